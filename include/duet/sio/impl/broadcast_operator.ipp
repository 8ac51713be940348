// duet/sio/impl/broadcast_operator.ipp — the member definitions of
// `broadcast_operator`: encode once and frame once (eio::frame_broadcast), hand the
// bytes to the adapter here and on every other shard, gather counts and acks back
// (sio/gather.hpp), and the per-shard part of a broadcast with ack. Included by
// <duet/sio/socket.hpp>.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <duet/core/log.hpp>
#include <duet/eio/broadcast_frame.hpp>
#include <duet/eio/packet.hpp>
#include <duet/sio/ack.hpp>
#include <duet/sio/adapter.hpp>
#include <duet/sio/args.hpp>
#include <duet/sio/broadcast_operator.hpp>
#include <duet/sio/client.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/gather.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/socket_class.hpp>
#include <duet/ws/options.hpp>

namespace duet::sio {

namespace detail {
// Connection state recovery: a broadcast that may be replayed (not volatile, no ack)
// gets this shard's next offset, encoded as its last argument (encode_broadcast).
inline void stamp_for_recovery(namespace_state& ns, broadcast_message& m, const socket* exclude) {
    recovery_store* r = ns.recovery();
    if (!r || m.volatile_) return;
    m.offset = r->next_offset();
    if (exclude) m.exclude_id = exclude->id();
}

// Encodes the EVENT of `m` once with the shard's wire format (its offset, when
// stamped, as the last argument; binaries from m.attachments) and frames it once.
inline void encode_broadcast(namespace_state& ns, broadcast_message& m, std::string_view event,
                             std::span<const boost::json::value> args) {
    const wire_format& w = ns.shard().wire();
    w.event(m.text, m.nsp, event, args, m.attachments, std::nullopt, m.offset);
    m.binary = w.binary;
    m.framed = eio::frame_broadcast(m.text, m.attachments, m.packets, m.binary);
}
}  // namespace detail

inline std::size_t namespace_state::deliver(const std::shared_ptr<const broadcast_message>& m, const socket* exclude) {
    const std::size_t n = adapter_->broadcast(m->target(exclude), m->packet());
    if (recovery_ && !m->offset.empty()) recovery_->log(m);
    return n;
}

template <class F>
void broadcast_operator::for_each_target(F&& f) const {
    broadcast_target t{rooms_, except_, exclude_, flags_.volatile_};
    using fn = std::remove_reference_t<F>;
    ns_->adapter().for_each(t, [](void* ctx, socket& s) { (*static_cast<fn*>(ctx))(s); }, &f);
}

inline std::shared_ptr<broadcast_message> broadcast_operator::make_message(detail::arg_builder& b,
                                                                          std::string_view event) const {
    auto m = std::make_shared<broadcast_message>();
    m->nsp = ns_->name();
    m->rooms = rooms_;
    m->except = except_;
    m->volatile_ = flags_.volatile_;
    detail::stamp_for_recovery(*ns_, *m, exclude_);
    m->attachments = std::move(b.attachments);
    // Encode once, frame once (Engine.IO message(s), and their WebSocket frames)...
    detail::encode_broadcast(*ns_, *m, event, b.args);
    return m;
}

template <class... A>
std::size_t broadcast_operator::emit(std::string_view event, A&&... args) const {
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    std::shared_ptr<const broadcast_message> m = make_message(b, event);
    // ...and share the bytes with every recipient (the adapter knows who they are).
    auto& ad = ns_->adapter();
    const std::size_t here = ns_->deliver(m, exclude_);
    if (ad.remote_count() > 0) ad.for_each_remote([m](namespace_state& ns) { ns.deliver(m); });
    publish(event, b, m->attachments);
    return here;
}

inline void broadcast_operator::publish(std::string_view event, detail::arg_builder& b,
                                        std::span<const attachment> atts) const {
    auto& ad = ns_->adapter();
    if (flags_.local || !ad.publishes()) return;
    ad.publish({event, b.args, atts, {rooms_, except_, exclude_, flags_.volatile_}});
}

namespace detail {
// The replies of a broadcast with ack, or ack_timeout / system_error.
inline asio::awaitable<std::vector<ack_reply>> await_acks(
    std::shared_ptr<awaited_value<std::pair<std::error_code, std::vector<ack_reply>>>> w) {
    auto [ec, replies] = co_await await_value(std::move(w));
    if (ec == std::errc::timed_out) throw ack_timeout();
    if (ec) throw std::system_error(ec);
    co_return std::move(replies);
}

inline std::size_t count_matching(namespace_state& ns, const broadcast_target& t) {
    std::size_t n = 0;
    ns.adapter().for_each(t, [](void* c, socket&) { ++*static_cast<std::size_t*>(c); }, &n);
    return n;
}
}  // namespace detail

template <class R, class Local, class Remote>
void broadcast_operator::gather(Local&& local, Remote remote, std::function<void(std::vector<R>)> done) const {
    auto& ad = ns_->adapter();
    auto st = std::make_shared<detail::gather_state<R>>();
    st->remaining = 1 + ad.remote_count();
    st->done = std::move(done);
    const shard_state* origin = &ns_->shard();
    if (ad.remote_count() > 0)
        ad.for_each_remote([st, origin, remote](namespace_state& ns) {
            // Replies travel back through the origin's mailbox: `st` is only ever
            // touched on the origin's thread.
            remote(ns, [st, origin](R r) { origin->post([st, r = std::move(r)]() mutable { st->add(std::move(r)); }); });
        });
    local([st](R r) { st->add(std::move(r)); });
}

template <class... A>
asio::awaitable<std::size_t> broadcast_operator::emit_counted(std::string_view event, A&&... args) const {
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    std::shared_ptr<const broadcast_message> m = make_message(b, event);
    auto w = std::make_shared<detail::awaited_value<std::size_t>>(ns_->shard().io());
    const socket* exclude = exclude_;
    gather<std::size_t>(
        [&](auto reply) { reply(ns_->deliver(m, exclude)); },
        [m](namespace_state& ns, auto reply) { reply(ns.deliver(m)); },
        [finish = count_finisher(w)](std::vector<std::size_t> counts) {
            std::size_t n = 0;
            for (auto c : counts) n += c;
            finish(n);
        });
    publish(event, b, m->attachments);
    return detail::await_value(std::move(w));
}

inline std::function<void(std::size_t)> broadcast_operator::count_finisher(
    std::shared_ptr<detail::awaited_value<std::size_t>> w) const {
    if (flags_.local || !ns_->adapter().publishes()) return [w](std::size_t here) { w->set(here); };
    // socket.broadcast / socket.to(): the sender is excepted by its own room.
    std::vector<std::string> except = except_;
    if (exclude_) except.push_back(exclude_->id());
    return [w, ns = ns_, rooms = rooms_, except = std::move(except)](std::size_t here) {
        const bool asked = ns->adapter().remote_socket_count(rooms, except, [w, here](std::error_code ec, std::size_t n) {
            if (ec) log(log_level::warn, "count across servers: " + ec.message() + " (counted the servers that answered)");
            w->set(here + n);
        });
        if (!asked) w->set(here);
    };
}

inline asio::awaitable<std::size_t> broadcast_operator::count() const {
    auto w = std::make_shared<detail::awaited_value<std::size_t>>(ns_->shard().io());
    auto target = std::make_shared<const std::tuple<std::vector<std::string>, std::vector<std::string>>>(rooms_, except_);
    gather<std::size_t>(
        [&](auto reply) { reply(detail::count_matching(*ns_, {rooms_, except_, exclude_, false})); },
        [target](namespace_state& ns, auto reply) {
            reply(detail::count_matching(ns, {std::get<0>(*target), std::get<1>(*target), nullptr, false}));
        },
        [finish = count_finisher(w)](std::vector<std::size_t> counts) {
            std::size_t n = 0;
            for (auto c : counts) n += c;
            finish(n);
        });
    return detail::await_value(std::move(w));
}

namespace detail {
// One shard's part of a broadcast with ack: encode with this shard's ack id, send to
// the matching sockets here, wait for their acks (or their timeouts).
struct shard_acks {
    std::vector<ack_reply> replies;
    std::error_code error;
};
struct ack_broadcast {
    std::string event;
    boost::json::array args;
    std::vector<attachment> attachments;
    std::vector<std::string> rooms;
    std::vector<std::string> except;
    bool volatile_ = false;
    std::chrono::milliseconds timeout{};
};
inline void ack_broadcast_on_shard(namespace_state& ns, const std::shared_ptr<const ack_broadcast>& m,
                                   const socket* exclude, std::function<void(shard_acks)> reply) {
    const std::uint64_t id = ns.next_ack_id();
    std::string text;
    const wire_format& w = ns.shard().wire();
    w.event(text, ns.name(), m->event, m->args, m->attachments, id, {});
    std::vector<eio::packet> pks;
    ws::shared_bytes shared = eio::frame_broadcast(text, m->attachments, pks, w.binary);

    std::vector<socket*> targets;
    broadcast_target t{m->rooms, m->except, exclude, m->volatile_};
    ns.adapter().for_each(t, [](void* out, socket& s) { static_cast<std::vector<socket*>*>(out)->push_back(&s); },
                          &targets);
    std::erase_if(targets, [&](socket* s) { return !s->connected() || (m->volatile_ && s->owner().backlog() > 0); });
    if (targets.empty()) return reply({});
    struct collector {
        shard_acks acks;
        std::size_t remaining;
        std::function<void(shard_acks)> reply;
    };
    auto col = std::make_shared<collector>(collector{{}, targets.size(), std::move(reply)});
    // Register every ack before sending anything: a send may fail and close a client
    // at once, which reports its ack as failed.
    for (socket* s : targets)
        s->expect_ack(id, m->timeout, [col](std::error_code ec, ack_reply r) {
            if (ec) {
                if (!col->acks.error || ec == std::errc::timed_out) col->acks.error = ec;
            } else {
                col->acks.replies.push_back(std::move(r));
            }
            if (--col->remaining == 0) col->reply(std::move(col->acks));
        });
    std::vector<std::weak_ptr<client>> owners;
    owners.reserve(targets.size());
    for (socket* s : targets) owners.push_back(s->owner().weak_from_this());
    for (auto& o : owners)
        if (auto c = o.lock()) c->send_shared(shared, pks.data(), pks.size());
}
}  // namespace detail

template <class... A>
void broadcast_operator::emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                       broadcast_ack_callback callback, A&&... args) const {
    detail::arg_builder b;
    (b.add(static_cast<A&&>(args)), ...);
    auto m = std::make_shared<detail::ack_broadcast>();
    m->event = std::string(event);
    m->args = std::move(b.args);
    m->attachments = std::move(b.attachments);
    m->rooms = rooms_;
    m->except = except_;
    m->volatile_ = flags_.volatile_;
    m->timeout = timeout;
    std::shared_ptr<const detail::ack_broadcast> shared = std::move(m);
    const socket* exclude = exclude_;
    namespace_state* here = ns_;
    // Other servers (a cluster adapter): their replies join this process's; the
    // callback runs once both parts are in.
    struct both {
        std::size_t remaining = 2;
        std::error_code error;
        std::vector<ack_reply> replies;
        broadcast_ack_callback cb;
        void add(std::error_code ec, std::vector<ack_reply> r) {
            if (ec && (!error || ec == std::errc::timed_out)) error = ec;
            for (auto& x : r) replies.push_back(std::move(x));
            if (--remaining == 0) cb(error, std::move(replies));
        }
    };
    auto& ad = ns_->adapter();
    if (!flags_.local && ad.publishes()) {
        auto j = std::make_shared<both>();
        j->cb = std::move(callback);
        if (ad.publish_with_ack({event, shared->args, shared->attachments, {rooms_, except_, exclude_, flags_.volatile_}},
                                timeout, [j](std::error_code ec, std::vector<ack_reply> r) { j->add(ec, std::move(r)); }))
            callback = [j](std::error_code ec, std::vector<ack_reply> r) { j->add(ec, std::move(r)); };
        else
            callback = std::move(j->cb);
    }
    gather<detail::shard_acks>(
        [&](auto reply) { detail::ack_broadcast_on_shard(*here, shared, exclude, std::move(reply)); },
        [shared](namespace_state& ns, auto reply) { detail::ack_broadcast_on_shard(ns, shared, nullptr, std::move(reply)); },
        [cb = std::move(callback)](std::vector<detail::shard_acks> parts) {
            std::vector<ack_reply> all;
            std::error_code error;
            for (auto& p : parts) {
                if (p.error && (!error || p.error == std::errc::timed_out)) error = p.error;
                for (auto& r : p.replies) all.push_back(std::move(r));
            }
            cb(error, std::move(all));
        });
}

template <class... A>
    requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                  std::error_code, std::vector<ack_reply>>)
asio::awaitable<std::vector<ack_reply>> broadcast_operator::emit_with_ack(std::string_view event,
                                                                         std::chrono::milliseconds timeout,
                                                                         A&&... args) const {
    using outcome = std::pair<std::error_code, std::vector<ack_reply>>;
    auto w = std::make_shared<detail::awaited_value<outcome>>(ns_->shard().io());
    emit_with_ack(event, timeout, broadcast_ack_callback([w](std::error_code ec, std::vector<ack_reply> r) {
        w->set(outcome{ec, std::move(r)});
    }), static_cast<A&&>(args)...);
    return detail::await_acks(std::move(w));
}

inline std::vector<socket*> broadcast_operator::fetch_sockets() const {
    std::vector<socket*> out;
    for_each_target([&](socket& s) { out.push_back(&s); });
    return out;
}

inline void broadcast_operator::apply_everywhere(std::function<void(socket&)> op) const {
    // Collected first: the operation may change rooms (or destroy the socket).
    for (socket* s : fetch_sockets()) op(*s);
    auto& ad = ns_->adapter();
    if (ad.remote_count() == 0) return;
    auto target = std::make_shared<const std::tuple<std::vector<std::string>, std::vector<std::string>, bool>>(
        rooms_, except_, flags_.volatile_);
    ad.for_each_remote([target, op](namespace_state& ns) {
        broadcast_target t{std::get<0>(*target), std::get<1>(*target), nullptr, std::get<2>(*target)};
        std::vector<socket*> found;
        ns.adapter().for_each(t, [](void* out, socket& s) { static_cast<std::vector<socket*>*>(out)->push_back(&s); },
                              &found);
        for (socket* s : found) op(*s);
    });
}
inline void broadcast_operator::sockets_join(std::string_view room) const {
    apply_everywhere([r = std::string(room)](socket& s) { s.join(r); });
    if (!flags_.local) ns_->adapter().publish_op(remote_op::join, rooms_, except_, room, false);
}
inline void broadcast_operator::sockets_leave(std::string_view room) const {
    apply_everywhere([r = std::string(room)](socket& s) { s.leave(r); });
    if (!flags_.local) ns_->adapter().publish_op(remote_op::leave, rooms_, except_, room, false);
}
inline void broadcast_operator::disconnect_sockets(bool close) const {
    apply_everywhere([close](socket& s) { s.disconnect(close); });
    if (!flags_.local) ns_->adapter().publish_op(remote_op::disconnect, rooms_, except_, {}, close);
}

}  // namespace duet::sio
