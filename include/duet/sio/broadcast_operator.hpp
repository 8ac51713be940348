// duet/sio/broadcast_operator.hpp — the target of a broadcast, and what it can do.
//
// Owns: `broadcast_operator`, what `io.to(room)`, `socket.broadcast()`,
// `nsp.except(room)` return: the rooms, except-rooms, excluded sender and flags of a
// broadcast, then emit (encoded once, framed once, the same bytes for every
// recipient on every shard), emit_counted, emit_with_ack, count, fetch_sockets and
// the membership operations. Declarations only; the definitions are in
// impl/broadcast_operator.ipp, as they need the namespace and socket classes.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <vector>

#include <asio/awaitable.hpp>

#include <duet/sio/ack.hpp>
#include <duet/sio/adapter.hpp>
#include <duet/sio/args.hpp>
#include <duet/sio/gather.hpp>

namespace duet::sio {

class socket;
class namespace_state;

struct broadcast_flags {
    bool volatile_ = false;
    bool local = false;  // this process only (not published to other servers)
};

class broadcast_operator {
public:
    broadcast_operator(namespace_state& ns, const socket* exclude = nullptr) : ns_(&ns), exclude_(exclude) {}

    broadcast_operator& to(std::string_view room) & {
        rooms_.emplace_back(room);
        return *this;
    }
    broadcast_operator&& to(std::string_view room) && { return std::move(to(room)); }
    broadcast_operator& in(std::string_view room) & { return to(room); }
    broadcast_operator&& in(std::string_view room) && { return std::move(to(room)); }
    broadcast_operator& except(std::string_view room) & {
        except_.emplace_back(room);
        return *this;
    }
    broadcast_operator&& except(std::string_view room) && { return std::move(except(room)); }
    broadcast_operator&& volatile_() && {
        flags_.volatile_ = true;
        return std::move(*this);
    }

    // This process only: not published to other servers (socket.io's `.local`).
    broadcast_operator&& local() && {
        flags_.local = true;
        return std::move(*this);
    }

    // Encodes once, frames once, sends to every matching socket on every shard of
    // the server (the other shards get the same bytes through their mailboxes).
    // Returns how many sockets of the calling shard it was handed to; emit_counted
    // gives the total over all shards.
    template <class... A>
    std::size_t emit(std::string_view event, A&&... args) const;
    // The same, and the number of sockets reached on all shards — and, with a cluster
    // adapter (Redis), on the other servers: they are asked how many of their sockets
    // match (a fetchSockets request) while the broadcast goes out; local() counts this
    // server only.
    template <class... A>
    asio::awaitable<std::size_t> emit_counted(std::string_view event, A&&... args) const;

    // Emit with ack to every matching socket (all shards): callback(error, replies)
    // once every client answered, or when the timeout passed (socket.io's
    // io.timeout(t).emit(ev, (err, responses) => ...)).
    template <class... A>
    void emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, broadcast_ack_callback callback,
                       A&&... args) const;
    // Coroutine form: the replies, or throws ack_timeout if some client did not answer.
    template <class... A>
        requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                      std::error_code, std::vector<ack_reply>>)
    asio::awaitable<std::vector<ack_reply>> emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                                         A&&... args) const;

    // How many sockets match, on all shards (and on the other servers of a cluster,
    // unless local()).
    asio::awaitable<std::size_t> count() const;
    // The sockets that match on this shard (pointers do not cross threads).
    std::vector<socket*> fetch_sockets() const;
    // Membership and disconnection act on the matching sockets of every shard.
    void sockets_join(std::string_view room) const;
    void sockets_leave(std::string_view room) const;
    void disconnect_sockets(bool close = false) const;

private:
    friend class namespace_state;
    // What completes a count: adds the other servers' matching sockets (a cluster
    // adapter, unless local()) to the shards' total, then sets w. Built eagerly: the
    // excepted sender may be gone when the shards' counts are in.
    std::function<void(std::size_t)> count_finisher(std::shared_ptr<detail::awaited_value<std::size_t>> w) const;
    template <class F>
    void for_each_target(F&& f) const;
    // The encoded, framed broadcast in the form every shard can share.
    std::shared_ptr<broadcast_message> make_message(detail::arg_builder& b, std::string_view event) const;
    // Runs `local(reply)` here and `remote(ns, reply)` on every other shard; `done`
    // gets every reply, here, once all have come.
    template <class R, class Local, class Remote>
    void gather(Local&& local, Remote remote, std::function<void(std::vector<R>)> done) const;
    // Applies `op` to every matching socket of every shard.
    void apply_everywhere(std::function<void(socket&)> op) const;
    // Hands the broadcast to the adapter for other servers, unless local.
    void publish(std::string_view event, detail::arg_builder& b, std::span<const attachment> atts) const;

    namespace_state* ns_;
    const socket* exclude_;
    std::vector<std::string> rooms_;
    std::vector<std::string> except_;
    broadcast_flags flags_;
};

}  // namespace duet::sio
