// duet/sio/socket_class.hpp — `socket` (duet::socket): one client connected to one
// namespace.
//
// Owns: the socket's id, handshake, auth, session and user data; emit (typed
// arguments, binary), volatile emit, emit with ack (callback or coroutine, with a
// timeout) and the acks it waits for; its rooms; to/in/except/broadcast; disconnect.
// A concrete class, not a template: handlers name `duet::socket&` before a server
// type exists. Declarations only; the definitions are in impl/socket.ipp (they reach
// the client and the namespace). Applications include <duet/sio/socket.hpp>.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include <duet/session/session.hpp>
#include <duet/sio/ack.hpp>
#include <duet/sio/args.hpp>
#include <duet/sio/broadcast_operator.hpp>
#include <duet/sio/packet.hpp>

namespace duet::sio {

class client;
class namespace_state;
struct handshake_info;

class socket {
public:
    socket(client& c, namespace_state& ns, std::string id, boost::json::value auth)
        : client_(&c), ns_(&ns), id_(std::move(id)), auth_(std::move(auth)) {}
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    ~socket();

    const std::string& id() const noexcept { return id_; }
    std::string_view nsp() const noexcept;
    const handshake_info& handshake() const noexcept;
    const boost::json::value& auth() const noexcept { return auth_; }
    // The HTTP session of this connection, read fresh from the store (so changes the
    // HTTP side made since are visible). Changes made here are kept with save().
    // is_new() is true when the connection came without a valid session cookie.
    // Synchronous stores only (the memory store): with an asynchronous one (Redis) it
    // throws std::logic_error — use load_session().
    duet::session session() const;
    // The same from any store, without blocking the thread: `co_await s.load_session()`
    // (a store that cannot answer reads as a new, empty session, like a missing one).
    // Completes on this socket's shard; the socket may be gone by then (the session
    // is not: it is a value).
    asio::awaitable<duet::session> load_session() const;
    // Writes what changed in `s` (loaded with load_session()) to the store and waits
    // until the store confirmed it; throws std::system_error if it could not. The
    // write starts at the call (eager), so `s` may go before the co_await.
    asio::awaitable<void> save_session(duet::session& s) const;
    // The room every socket of an HTTP session joins: "session:<id>".
    static std::string session_room(std::string_view session_id) { return "session:" + std::string(session_id); }
    // Free for the application (socket.data in socket.io).
    boost::json::value& data() noexcept { return data_; }
    bool connected() const noexcept { return connected_; }
    // Connection state recovery (sio::options::connection_state_recovery): true when
    // this socket is a dropped one coming back — same id(), rooms and data(), the
    // packets it missed already replayed. Always false with recovery off.
    bool recovered() const noexcept { return rec_ && rec_->recovered; }
    client& owner() noexcept { return *client_; }
    namespace_state& ns() noexcept { return *ns_; }

    template <class... A>
    void emit(std::string_view event, A&&... args);
    // Sent only if the client's transport has nothing pending (may be dropped).
    template <class... A>
    void volatile_emit(std::string_view event, A&&... args);
    // callback(error_code, args): error_code is set (timed_out) when no ack came in `timeout`.
    template <class... A>
    void emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, ack_callback callback, A&&... args);
    // Coroutine form: the ack's arguments, or throws ack_timeout.
    template <class... A>
        requires(!detail::first_is_ack_callback<A...>::value)
    asio::awaitable<ack_reply> emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, A&&... args);

    void join(std::string_view room);
    void leave(std::string_view room);
    const std::vector<std::string>& rooms() const noexcept { return rooms_; }
    bool in_room(std::string_view room) const noexcept {
        return std::find(rooms_.begin(), rooms_.end(), room) != rooms_.end();
    }

    // Everyone in the room(s) but this socket.
    broadcast_operator to(std::string_view room) const;
    broadcast_operator in(std::string_view room) const { return to(room); }
    broadcast_operator except(std::string_view room) const;
    // Everyone in the namespace but this socket.
    broadcast_operator broadcast() const;

    // Leaves the namespace (DISCONNECT packet); `close` ends the whole connection.
    void disconnect(bool close = false);

    // ----- used by the client / dispatcher -----
    // Which namespace entry of the compile-time table serves this socket.
    std::size_t table_index = 0;
    // Connection state recovery: the private id sent with the CONNECT reply, the log
    // position at connect (for a client that never received a packet), whether it was
    // restored. Allocated only with recovery on.
    struct recovery_state {
        std::string pid;
        std::uint64_t connect_seq = 0;
        bool recovered = false;
    };
    recovery_state* recovery() noexcept { return rec_.get(); }
    void enable_recovery(std::string pid) { rec_ = std::make_unique<recovery_state>(recovery_state{std::move(pid), 0, false}); }
    // Before it connects: becomes the kept socket `sid` (its rooms are joined by the
    // connect flow).
    void restore(std::string sid, std::string pid, boost::json::value data) {
        id_ = std::move(sid);
        data_ = std::move(data);
        if (!rec_) rec_ = std::make_unique<recovery_state>();
        rec_->pid = std::move(pid);  // the kept one replaces the pid drawn for a new socket
        rec_->recovered = true;
    }
    void mark_connected() noexcept { connected_ = true; }
    void mark_disconnected() noexcept { connected_ = false; }
    void on_ack(std::uint64_t id, ack_reply reply);
    // Waits for the client's ack `id` (a packet already sent, or about to be).
    void expect_ack(std::uint64_t id, std::chrono::milliseconds timeout, ack_callback callback);
    void fail_pending_acks();
    void leave_all();
    // The socket leaves its namespace for good: acks failed, rooms left, no more
    // emits or joins. Done by the client when it drops the socket; the object itself
    // may live on while a coroutine handler still holds it (client::hold).
    void retire();
    bool retired() const noexcept { return retired_; }

private:
    friend class client;
    friend class namespace_state;
    void send_event(std::string_view event, detail::arg_builder& b, std::optional<std::uint64_t> id);
    // With recovery on: the EVENT gets an offset and is logged for replay.
    void send_logged(std::string_view event, std::span<const boost::json::value> args, std::vector<attachment> atts);
    template <class... A>
    void emit_unlogged(std::string_view event, A&&... args);

    struct pending_ack {
        std::uint64_t id;
        ack_callback callback;
        std::unique_ptr<asio::steady_timer> timer;
    };

    client* client_;
    namespace_state* ns_;
    std::string id_;
    boost::json::value auth_;
    boost::json::value data_;
    std::vector<std::string> rooms_;
    std::vector<pending_ack> acks_;
    std::unique_ptr<recovery_state> rec_;
    bool connected_ = false;
    bool retired_ = false;
};

}  // namespace duet::sio
