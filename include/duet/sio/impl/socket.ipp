// duet/sio/impl/socket.ipp — the member definitions of `socket`, and the call
// operator of `ack<Ts...>`: out of line because they reach the client and the
// namespace, declared after the socket. Included by <duet/sio/socket.hpp>.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <duet/session/session.hpp>
#include <duet/sio/ack.hpp>
#include <duet/sio/broadcast_operator.hpp>
#include <duet/sio/client.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/gather.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/socket_class.hpp>

namespace duet::sio {

inline std::string_view socket::nsp() const noexcept { return ns_->name(); }


inline duet::session socket::session() const {
    const session_options* so = ns_->shard().sessions();
    if (!so) throw std::logic_error("sessions are not configured (server_options.session)");
    if (so->store->asynchronous())
        throw std::logic_error("socket.session() reads a synchronous store; with an asynchronous one (Redis) use "
                               "co_await socket.load_session()");
    const std::string& id = client_->session_id();
    if (!id.empty())
        if (auto rec = so->store->get(id)) return duet::session(so, id, std::move(*rec), false);
    return duet::session(so, duet::session::new_id(), {}, true);
}
inline asio::awaitable<duet::session> socket::load_session() const {
    const session_options* so = ns_->shard().sessions();
    if (!so) throw std::logic_error("sessions are not configured (server_options.session)");
    // Eager: the load is started now, and the coroutine that waits holds only `w`.
    auto w = std::make_shared<detail::awaited_value<duet::session>>(ns_->shard().io());
    load_session_async(*so, client_->session_id(), [w](duet::session s) { w->set(std::move(s)); });
    return detail::await_value(std::move(w));
}

namespace detail {
inline asio::awaitable<void> await_store(std::shared_ptr<awaited_value<std::error_code>> w) {
    if (auto ec = co_await await_value(std::move(w))) throw std::system_error(ec, "session store");
}
}  // namespace detail

inline asio::awaitable<void> socket::save_session(duet::session& s) const {
    auto w = std::make_shared<detail::awaited_value<std::error_code>>(ns_->shard().io());
    s.save([w](std::error_code ec) { w->set(ec); });
    return detail::await_store(std::move(w));
}

inline const handshake_info& socket::handshake() const noexcept { return client_->handshake(); }

inline socket::~socket() {
    if (!retired_) retire();
}

inline void socket::retire() {
    retired_ = true;
    connected_ = false;
    fail_pending_acks();
    leave_all();
}

inline void socket::join(std::string_view room) {
    if (retired_ || in_room(room)) return;
    rooms_.emplace_back(room);
    ns_->add_to_room(*this, room);
}

inline void socket::leave(std::string_view room) {
    auto it = std::find(rooms_.begin(), rooms_.end(), room);
    if (it == rooms_.end()) return;
    ns_->remove_from_room(*this, room);
    rooms_.erase(it);
}

inline void socket::leave_all() {
    for (auto& r : rooms_) ns_->remove_from_room(*this, r);
    rooms_.clear();
    ns_->remove(*this);
}

inline void socket::disconnect(bool close) {
    if (!connected_) return;
    if (close) {
        // Every namespace of this client goes (DISCONNECT each, like socket.io's
        // client._disconnect()), then the connection.
        auto keep = client_->shared_from_this();
        std::vector<socket*> all;
        for (auto& s : keep->sockets()) if (s->connected()) all.push_back(s.get());
        for (socket* s : all) s->disconnect(false);
        keep->close_transport();
        return;
    }
    packet p;
    p.type = packet_type::disconnect;
    p.nsp = std::string(nsp());
    client_->send_packet(p);
    client_->disconnect_socket(*this, "server namespace disconnect");  // destroys *this
}

inline broadcast_operator socket::to(std::string_view room) const { return broadcast_operator(*ns_, this).to(room); }
inline broadcast_operator socket::except(std::string_view room) const {
    return broadcast_operator(*ns_, this).except(room);
}
inline broadcast_operator socket::broadcast() const { return broadcast_operator(*ns_, this); }

inline void socket::send_event(std::string_view event, detail::arg_builder& b, std::optional<std::uint64_t> id) {
    std::string& out = ns_->shard().scratch();
    out.clear();
    ns_->shard().wire().event(out, nsp(), event, b.args, b.attachments, id, {});
    client_->send_encoded(out, b.attachments);
}

template <class... A>
void socket::emit(std::string_view event, A&&... args) {
    if (!connected_) return;
    if (ns_->recovery()) {
        // As socket.io does with recovery on: the event goes through the log (an
        // offset as its last argument) so that a dropped client gets it on return.
        detail::arg_builder b;
        (b.add(static_cast<A&&>(args)), ...);
        return send_logged(event, b.args, std::move(b.attachments));
    }
    emit_unlogged(event, static_cast<A&&>(args)...);
}

inline void socket::send_logged(std::string_view event, std::span<const boost::json::value> args,
                                std::vector<attachment> atts) {
    auto m = std::make_shared<broadcast_message>();
    m->nsp = nsp();
    m->rooms.push_back(id_);
    detail::stamp_for_recovery(*ns_, *m, nullptr);
    m->attachments = std::move(atts);
    detail::encode_broadcast(*ns_, *m, event, args);
    client_->send_shared(m->framed, m->packets.data(), m->packets.size());
    ns_->recovery()->log(std::move(m));
}

template <class... A>
void socket::emit_unlogged(std::string_view event, A&&... args) {
    if constexpr (sizeof...(A) == 1 && (std::is_same_v<std::remove_cvref_t<A>, event_args> && ...)) {
        // Re-emitting what a client sent (an echo, a relay) without binary: encode the
        // received values as they are, no copy into a new array (which was a third of
        // the user time of an echo: allocating and freeing the copied strings).
        const event_args& a = (args, ...);
        if (!a.attachments || a.attachments->empty()) {
            std::string& out = ns_->shard().scratch();
            out.clear();
            std::span<const boost::json::value> values;
            if (a.values) values = std::span<const boost::json::value>(a.values->data() + a.first, a.size());
            ns_->shard().wire().event(out, nsp(), event, values, {}, std::nullopt, {});
            client_->send_encoded(out, {});
            return;
        }
    }
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    send_event(event, b, std::nullopt);
}

template <class... A>
void socket::volatile_emit(std::string_view event, A&&... args) {
    if (!connected_ || client_->backlog() > 0) return;
    emit_unlogged(event, static_cast<A&&>(args)...);  // never replayed (socket.io: no offset)
}

template <class... A>
void socket::emit_with_ack(std::string_view event, std::chrono::milliseconds timeout, ack_callback callback,
                           A&&... args) {
    if (!connected_) {
        callback(std::make_error_code(std::errc::not_connected), {});
        return;
    }
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    const std::uint64_t id = ns_->next_ack_id();
    expect_ack(id, timeout, std::move(callback));
    send_event(event, b, id);
}

inline void socket::expect_ack(std::uint64_t id, std::chrono::milliseconds timeout, ack_callback callback) {
    auto timer = std::make_unique<asio::steady_timer>(ns_->shard().io());
    timer->expires_after(timeout);
    timer->async_wait([this, id](std::error_code ec) {
        if (ec) return;  // answered (or the socket went away) first
        auto it = std::find_if(acks_.begin(), acks_.end(), [&](auto& a) { return a.id == id; });
        if (it == acks_.end()) return;
        auto cb = std::move(it->callback);
        acks_.erase(it);
        cb(std::make_error_code(std::errc::timed_out), {});
    });
    acks_.push_back({id, std::move(callback), std::move(timer)});
}

template <class... A>
    requires(!detail::first_is_ack_callback<A...>::value)
asio::awaitable<ack_reply> socket::emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                                A&&... args) {
    // A one-shot channel: the callback stores the result and wakes the waiter.
    struct state {
        std::optional<std::error_code> ec;
        ack_reply reply;
        asio::steady_timer wake;
        explicit state(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
    };
    auto st = std::make_shared<state>(ns_->shard().io());
    emit_with_ack(event, timeout, ack_callback([st](std::error_code ec, ack_reply r) {
        st->ec = ec;
        st->reply = std::move(r);
        st->wake.cancel();
    }), static_cast<A&&>(args)...);
    if (!st->ec) {
        std::error_code ignored;
        co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (*st->ec == std::errc::timed_out) throw ack_timeout();
    if (*st->ec) throw std::system_error(*st->ec);
    co_return std::move(st->reply);
}

inline void socket::on_ack(std::uint64_t id, ack_reply reply) {
    auto it = std::find_if(acks_.begin(), acks_.end(), [&](auto& a) { return a.id == id; });
    if (it == acks_.end()) return;  // late or unknown: ignored, like the reference
    auto cb = std::move(it->callback);
    it->timer->cancel();
    acks_.erase(it);
    cb({}, std::move(reply));
}

inline void socket::fail_pending_acks() {
    // Acks in flight are reported as failed, never silently dropped.
    auto pending = std::move(acks_);
    acks_.clear();
    for (auto& a : pending) {
        a.timer->cancel();
        if (a.callback) a.callback(std::make_error_code(std::errc::connection_aborted), {});
    }
}

template <class... Ts>
void ack<Ts...>::operator()(Ts... values) {
    if (relayed(values...)) return;
    if (!id_) return;
    auto c = client_.lock();
    if (!c) return;
    detail::arg_builder b;
    (b.add(values), ...);
    std::string& out = c->shard().scratch();
    out.clear();
    c->shard().wire().ack(out, nsp_, *id_, b.args, b.attachments);
    c->send_encoded(out, b.attachments);
    id_.reset();
}

}  // namespace duet::sio
