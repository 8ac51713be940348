// duet/cluster/redis_emitter.hpp — a standalone emitter, the C++ counterpart of
// @socket.io/redis-emitter 5.1: a process that is not a Socket.IO server publishes
// broadcasts and commands that every node of a Node (or duet) cluster executes.
//
// Owns: the operator chain (of / to / in / except / volatile / compress) and what
// each operation publishes. The bytes are the emitter's own (uid "emitter", opts
// ordered rooms, flags, except; no uid on join/leave/disconnect), produced by
// redis_wire.hpp; the connection is a runtime::redis_client the caller owns (a command
// connection, used from its io_context's thread).
//
//   redis_emitter em(client);
//   em.of("/chat").to("room1").except("room2").emit("message", "hi", 42);
//   em.to("room1").sockets_join("room3");
#pragma once

#include <duet/runtime/redis_client.hpp>
#include <duet/cluster/redis_wire.hpp>
#include <duet/sio/binary.hpp>

#include <boost/json/value_from.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace duet::cluster {

using runtime::redis_client;
using runtime::redis_client_options;
using runtime::redis_reply;
using runtime::redis_state;

class redis_emitter {
public:
    explicit redis_emitter(redis_client& client, std::string_view nsp = "/", std::string_view key = default_key)
        : client_(&client), key_(key), nsp_(normalise(nsp)), ch_(nsp_, key_) {}

    // Another namespace ("chat" and "/chat" are the same, as in Node).
    redis_emitter of(std::string_view nsp) const { return redis_emitter(*client_, nsp, key_); }

    class operation {
    public:
        operation& to(std::string_view room) & { return add(opts_.rooms, room); }
        operation&& to(std::string_view room) && { return std::move(add(opts_.rooms, room)); }
        operation& in(std::string_view room) & { return to(room); }
        operation&& in(std::string_view room) && { return std::move(to(room)); }
        operation& except(std::string_view room) & { return add(opts_.except, room); }
        operation&& except(std::string_view room) && { return std::move(add(opts_.except, room)); }
        operation&& volatile_() && {
            opts_.flags.volatile_ = true;
            return std::move(*this);
        }
        operation&& compress(bool c) && {
            opts_.flags.compress = c;
            return std::move(*this);
        }

        // emit("event", args...): each argument through boost::json::value_from,
        // except bytes (sio::attachment, std::span<const std::byte>), which travel
        // as msgpack bin and reach clients as binary. Throws std::invalid_argument
        // for a reserved event name, as Node's emitter does.
        template <class... Args>
        void emit(std::string_view event, Args&&... args) const {
            check_event(event);
            broadcast_message m{.uid = std::string(emitter_uid)};
            m.packet.nsp = owner_->nsp_;
            auto& data = m.packet.data.emplace_array();
            data.emplace_back(event);
            (append_arg(data, m.packet.attachments, std::forward<Args>(args)), ...);
            m.opts = opts_;
            owner_->client_->publish(broadcast_channel(owner_->ch_, m.opts), encode(m, producer::emitter));
        }

        void sockets_join(std::vector<std::string> rooms) const {
            owner_->request(remote_join_request{std::nullopt, filter(), std::move(rooms)});
        }
        void sockets_leave(std::vector<std::string> rooms) const {
            owner_->request(remote_leave_request{std::nullopt, filter(), std::move(rooms)});
        }
        void disconnect_sockets(bool close = false) const {
            owner_->request(remote_disconnect_request{std::nullopt, filter(), close});
        }

    private:
        friend class redis_emitter;
        explicit operation(const redis_emitter* o) : owner_(o) {}

        operation& add(std::vector<std::string>& set, std::string_view room) {
            // Node keeps a Set: adding twice is a no-op.
            for (const auto& r : set)
                if (r == room) return *this;
            set.emplace_back(room);
            return *this;
        }
        room_filter filter() const { return {opts_.rooms, opts_.except}; }

        template <class T>
        static void append_arg(boost::json::array& data, std::vector<attachment>& atts, T&& v) {
            using U = std::remove_cvref_t<T>;
            if constexpr (std::is_same_v<U, attachment>) {
                sio::append_binary(data, atts, attachment(std::forward<T>(v)));
            } else if constexpr (std::is_convertible_v<const U&, std::span<const std::byte>>) {
                sio::append_binary(data, atts, std::span<const std::byte>(v));
            } else {
                data.emplace_back(boost::json::value_from(std::forward<T>(v), data.storage()));
            }
        }

        const redis_emitter* owner_;
        broadcast_options opts_{};
    };

    operation to(std::string_view room) const { return operation(this).to(room); }
    operation in(std::string_view room) const { return to(room); }
    operation except(std::string_view room) const { return operation(this).except(room); }
    operation volatile_() const { return operation(this).volatile_(); }
    operation compress(bool c) const { return operation(this).compress(c); }

    template <class... Args>
    void emit(std::string_view event, Args&&... args) const {
        operation(this).emit(event, std::forward<Args>(args)...);
    }
    void sockets_join(std::vector<std::string> rooms) const { operation(this).sockets_join(std::move(rooms)); }
    void sockets_leave(std::vector<std::string> rooms) const { operation(this).sockets_leave(std::move(rooms)); }
    void disconnect_sockets(bool close = false) const { operation(this).disconnect_sockets(close); }

    // serverSideEmit without ack (the emitter cannot receive acks, as in Node).
    template <class... Args>
    void server_side_emit(std::string_view event, Args&&... args) const {
        server_side_emit_request q{.uid = std::string(emitter_uid)};
        q.data.emplace_back(event);
        (q.data.emplace_back(boost::json::value_from(std::forward<Args>(args))), ...);
        request(std::move(q));
    }

    const channels& channel_names() const noexcept { return ch_; }

private:
    static std::string normalise(std::string_view nsp) {
        return nsp.empty() || nsp[0] != '/' ? "/" + std::string(nsp) : std::string(nsp);
    }

    static void check_event(std::string_view ev) {
        static constexpr std::array<std::string_view, 6> reserved = {"connect",       "connect_error", "disconnect",
                                                                     "disconnecting", "newListener",   "removeListener"};
        for (auto r : reserved)
            if (ev == r) throw std::invalid_argument("\"" + std::string(ev) + "\" is a reserved event name");
    }

    void request(const cluster::request& r) const { client_->publish(ch_.request, encode(r)); }

    redis_client* client_;
    std::string key_;
    std::string nsp_;
    channels ch_;
};

}  // namespace duet::cluster
