// duet/sio/app.hpp — a Socket.IO server as a realtime spec of duet::server.
//
// Owns: `duet::events(...)` / `duet::events_at<"/path/">(...)` (the spec: path,
// namespaces, the Engine.IO server type), and `session_handler`, the Engine.IO
// handler that runs the Socket.IO protocol for one client: packet decoding (binary
// attachments included), the connect flow (namespace lookup → "Invalid namespace",
// connect middleware → CONNECT_ERROR, connect timeout, the {"sid"} reply), event and
// ack dispatch through the compile-time table, client and server disconnects with
// socket.io's reasons, and the close of the whole connection on a decode error.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>

#include <duet/core/log.hpp>
#include <duet/eio/server.hpp>
#include <duet/eio/sid.hpp>
#include <duet/sio/decoder.hpp>
#include <duet/sio/events.hpp>
#include <duet/sio/socket.hpp>

namespace duet {
namespace sio {

// Per shard: the namespaces/rooms state and the `io` handle over it.
struct shard_bundle {
    shard_state state;
    sio::io io{state};
    shard_bundle(asio::io_context& ctx, const options& o, unsigned index, const session_options* sessions = nullptr)
        : state(ctx, o, index, sessions) {}
};

template <class Spec>
class session_handler {
public:
    session_handler(shard_bundle& b, const http::request& req)
        : bundle_(&b),
          client_(std::make_shared<client>(b.state, make_handshake(req))),
          connect_timer_(std::make_unique<asio::steady_timer>(b.state.io())) {}

    template <class Session>
    void on_open(Session& s) {
        static constexpr transport_ops ops{
            [](void* p, const eio::packet* pk, std::size_t n) {
                auto* es = static_cast<Session*>(p);
                for (std::size_t i = 0; i < n; ++i) es->send(pk[i]);
            },
            [](void* p, const ws::shared_bytes& framed, const eio::packet* pk, std::size_t n) {
                static_cast<Session*>(p)->send_shared(framed, pk, n);
            },
            [](void* p) { static_cast<Session*>(p)->close("forced close"); },
            [](void* p) -> std::size_t { return static_cast<Session*>(p)->backlog(); },
        };
        client_->bind_transport(&s, &ops);
        client_->bind_disconnect(&disconnect_thunk, this);
        // A client that joins no namespace in time is closed (socket.io's connectTimeout).
        connect_timer_->expires_after(bundle_->state.opts().connect_timeout);
        connect_timer_->async_wait([c = std::weak_ptr<client>(client_)](std::error_code ec) {
            if (ec) return;
            if (auto cl = c.lock(); cl && cl->sockets().empty()) cl->close_transport();
        });
    }

    template <class Session>
    void on_message(Session& s, const eio::packet& p) {
        // Packets are decoded by the thread's decoder; a connection gets its own only
        // while a binary packet waits for its attachments (idle connections keep none).
        decoder& d = own_decoder_ ? *own_decoder_ : shared_decoder(bundle_->state.opts().max_attachments);
        std::error_code ec = p.binary ? d.feed_binary(p.bytes()) : d.feed_text(p.data);
        if (ec) {
            own_decoder_.reset();
            // Invalid packet: the reference server closes the connection.
            s.close("forced close");  // socket.io: Client.onerror -> conn.close()
            return;
        }
        if (!d.has_packet()) {
            // Waiting for attachments: the partial packet moves to this connection.
            if (!own_decoder_) {
                own_decoder_ = std::make_unique<decoder>(std::move(d));
                d.reset();
            }
            return;
        }
        packet pk = d.take_packet();
        own_decoder_.reset();
        handle(pk);
    }

    template <class Session>
    void on_close(Session&, std::string_view reason) {
        connect_timer_.reset();
        // Every namespace socket of this client ends with the connection's reason.
        while (!client_->sockets().empty()) disconnect_thunk(this, *client_->sockets().back(), reason);
        client_->unbind_transport();
    }

private:
    static decoder& shared_decoder(std::size_t max_attachments) {
        struct cache {
            std::size_t max_attachments = 0;
            std::unique_ptr<decoder> d;
        };
        thread_local cache c;
        if (!c.d || c.max_attachments != max_attachments) {
            c.d = std::make_unique<decoder>(decoder_options{.max_attachments = max_attachments});
            c.max_attachments = max_attachments;
        }
        return *c.d;
    }

    static handshake_info make_handshake(const http::request& req) {
        std::size_t n = 0;
        req.for_each_header([&](std::string_view k, std::string_view v) { n += k.size() + v.size() + 2; });
        std::string headers;
        headers.reserve(n);
        req.for_each_header([&](std::string_view k, std::string_view v) {
            headers.append(k).push_back(':');
            headers.append(v).push_back('\n');
        });
        handshake_info h(req.url(), req.remote_endpoint().address().to_string(), headers);
        h.time = std::chrono::system_clock::now();
        return h;
    }

    // Handlers are empty closure types: the table is rebuilt from its type alone.
    using ns_list = typename Spec::namespace_list;
    static constexpr ns_list table_{};
    static constexpr const ns_list& namespaces() noexcept { return table_; }

    void handle(packet& p) {
        switch (p.type) {
            case packet_type::connect: return on_connect_packet(p);
            case packet_type::disconnect:
                if (socket* s = client_->socket_for(p.nsp)) disconnect_thunk(this, *s, "client namespace disconnect");
                else invalid_state();
                return;
            case packet_type::event:
            case packet_type::binary_event:
                if (socket* s = client_->socket_for(p.nsp); s && s->connected()) dispatch_event(*s, p);
                else if (!s) invalid_state();
                return;
            case packet_type::ack:
            case packet_type::binary_ack:
                if (!client_->socket_for(p.nsp)) return invalid_state();
                if (socket* s = client_->socket_for(p.nsp); s && p.id) {
                    ack_reply reply;
                    if (p.data.is_array()) reply.args = std::move(p.data.as_array());
                    reply.attachments = std::move(p.attachments);
                    s->on_ack(*p.id, std::move(reply));
                }
                return;
            case packet_type::connect_error:
                return;  // only servers send it
        }
    }

    // ----- connect -----
    template <std::size_t I = 0>
    static std::size_t find_namespace(std::string_view nsp) {
        if constexpr (I == ns_list::size) {
            return ns_list::size;
        } else {
            if (list_at<I>(namespaces()).matches(nsp)) return I;
            return find_namespace<I + 1>(nsp);
        }
    }

    // A packet for a namespace the client has not joined, or a second CONNECT: the
    // reference (Client.ondecoded, "invalid state") closes the connection.
    void invalid_state() { client_->close_transport(); }

    void on_connect_packet(packet& p) {
        if (client_->socket_for(p.nsp)) return invalid_state();  // already connected there
        const std::size_t index = find_namespace(p.nsp);
        if (index == ns_list::size) return connect_refused(p.nsp, "Invalid namespace", nullptr);
        auto id = eio::generate_sid(static_cast<std::uint8_t>(bundle_->state.shard_index()));
        if (!id) return connect_refused(p.nsp, "Internal error", nullptr);
        namespace_state& ns = bundle_->state.of(p.nsp);
        boost::json::value auth = p.data.is_object() ? std::move(p.data) : boost::json::value(boost::json::object{});
        client_->sockets().push_back(std::make_shared<socket>(*client_, ns, id->str(), std::move(auth)));
        socket& s = *client_->sockets().back();
        s.table_index = index;
        run_connect<0>(index, s);
    }

    template <std::size_t I>
    void run_connect(std::size_t index, socket& s) {
        if constexpr (I < ns_list::size) {
            if (index != I) return run_connect<I + 1>(index, s);
            const auto& ns = list_at<I>(namespaces());
            using entries = std::remove_cvref_t<decltype(ns.entries)>;
            if constexpr (has_async_middleware<entries>()) {
                asio::co_spawn(bundle_->state.io(), connect_async<I>(client_, s.id()), asio::detached);
            } else {
                try {
                    if (!run_middleware_sync<0>(ns.entries, s)) return;
                } catch (const connect_error& e) {
                    return refuse_socket(s, e.what(), e.data);
                }
                accept<I>(s);
            }
        }
    }

    template <class E>
    static constexpr bool is_async_middleware() {
        if constexpr (E::kind == entry_kind::middleware)
            return is_awaitable_v<typename callable_traits<decltype(E::handler)>::result>;
        else
            return false;
    }
    template <class L>
    struct any_async_middleware;
    template <class... E>
    struct any_async_middleware<static_list<E...>> {
        static constexpr bool value = (is_async_middleware<E>() || ... || false);
    };
    template <class Entries>
    static constexpr bool has_async_middleware() {
        return any_async_middleware<Entries>::value;
    }

    // Middleware results: void (accept), bool (false refuses as "unauthorized"),
    // std::optional<connect_error> (a value refuses), or a thrown connect_error.
    template <class R>
    static std::optional<connect_error> verdict(R&& r) {
        using T = std::remove_cvref_t<R>;
        if constexpr (std::is_same_v<T, bool>) {
            if (!r) return connect_error("unauthorized");
            return std::nullopt;
        } else {
            return std::optional<connect_error>(static_cast<R&&>(r));
        }
    }

    template <class M>
    std::optional<connect_error> call_middleware(const M& m, socket& s) {
        event_context c{s, bundle_->io, client_, empty_args(), no_attachments(), std::nullopt, {}};
        bool ok = true;
        using R = typename callable_traits<M>::result;
        auto* args = static_cast<typename callable_traits<M>::args*>(nullptr);
        if constexpr (std::is_void_v<R>) {
            invoke_event(m, c, args, ok);
            return std::nullopt;
        } else {
            return verdict(invoke_event(m, c, args, ok));
        }
    }

    template <std::size_t J, class Entries>
    bool run_middleware_sync(const Entries& es, socket& s) {
        if constexpr (J == Entries::size) {
            return true;
        } else {
            const auto& e = list_at<J>(es);
            using E = std::remove_cvref_t<decltype(e)>;
            if constexpr (E::kind == entry_kind::middleware) {
                if (auto err = call_middleware(e.handler, s)) {
                    refuse_socket(s, err->what(), err->data);
                    return false;
                }
            }
            return run_middleware_sync<J + 1>(es, s);
        }
    }

    template <std::size_t I>
    asio::awaitable<void> connect_async(std::shared_ptr<client> keep, std::string socket_id) {
        const auto& ns = list_at<I>(namespaces());
        std::optional<connect_error> err;
        try {
            err = co_await middleware_async<0>(ns.entries, keep, socket_id);
        } catch (const connect_error& e) {
            err = e;
        } catch (const std::exception& e) {
            err = connect_error(e.what());
        }
        if (!keep->has_transport()) co_return;
        socket* s = find_pending(socket_id);
        if (!s) co_return;
        if (err) co_return refuse_socket(*s, err->what(), err->data);
        accept<I>(*s);
    }

    socket* find_pending(std::string_view id) {
        for (auto& s : client_->sockets())
            if (s->id() == id) return s.get();
        return nullptr;
    }

    template <std::size_t J, class Entries>
    asio::awaitable<std::optional<connect_error>> middleware_async(const Entries& es, std::shared_ptr<client> keep,
                                                                  std::string socket_id) {
        if constexpr (J == Entries::size) {
            co_return std::nullopt;
        } else {
            const auto& e = list_at<J>(es);
            using E = std::remove_cvref_t<decltype(e)>;
            if constexpr (E::kind == entry_kind::middleware) {
                // After a suspension the session (and this handler) may be gone: only
                // `keep` may be looked at until the transport is known to be there.
                if (!keep->has_transport()) co_return connect_error("disconnected");
                socket* s = find_pending(socket_id);
                if (!s) co_return connect_error("disconnected");
                using R = typename callable_traits<decltype(e.handler)>::result;
                if constexpr (is_awaitable_v<R>) {
                    event_context c{*s, bundle_->io, client_, empty_args(), no_attachments(), std::nullopt, {}};
                    bool ok = true;
                    auto aw = invoke_event(e.handler, c, static_cast<typename callable_traits<decltype(e.handler)>::args*>(nullptr), ok);
                    // The middleware's `socket&` stays valid while it awaits (the client
                    // may close meanwhile: the socket is then retired, not destroyed).
                    std::shared_ptr<socket> held = keep->hold(*s);
                    using V = typename awaitable_value<R>::type;
                    if constexpr (std::is_void_v<V>) {
                        co_await std::move(aw);
                    } else {
                        auto v = co_await std::move(aw);
                        if (auto err = verdict(std::move(v))) co_return err;
                    }
                } else {
                    if (auto err = call_middleware(e.handler, *s)) co_return err;
                }
            }
            auto rest = co_await middleware_async<J + 1>(es, keep, socket_id);
            co_return rest;
        }
    }

    template <std::size_t I>
    void accept(socket& s) {
        s.ns().add(s);
        s.join(s.id());
        if (!client_->session_id().empty()) s.join(socket::session_room(client_->session_id()));
        s.mark_connected();
        connect_timer_.reset();  // connected: no timer kept for the connection's life
        packet reply;
        reply.type = packet_type::connect;
        reply.nsp = std::string(s.nsp());
        reply.data = boost::json::object{{"sid", s.id()}};
        client_->send_packet(reply);
        const auto& ns = list_at<I>(namespaces());
        call_kind<entry_kind::connect, 0>(ns.entries, [&](const auto& h) {
            event_context c{s, bundle_->io, client_, empty_args(), no_attachments(), std::nullopt, {}};
            bool ok = true;
            guarded(s, "connect", [&] {
                invoke_event(h, c, static_cast<typename callable_traits<std::remove_cvref_t<decltype(h)>>::args*>(nullptr), ok);
            });
        });
    }

    void connect_refused(std::string_view nsp, std::string_view message, boost::json::value data) {
        packet p;
        p.type = packet_type::connect_error;
        p.nsp = std::string(nsp);
        boost::json::object o{{"message", message}};
        if (!data.is_null()) o["data"] = std::move(data);
        p.data = std::move(o);
        client_->send_packet(p);
    }

    void refuse_socket(socket& s, std::string_view message, const boost::json::value& data) {
        std::string nsp(s.nsp());
        client_->drop_socket(s);
        connect_refused(nsp, message, data);
    }

    // ----- events -----
    void dispatch_event(socket& s, packet& p) {
        if (!p.data.is_array() || p.data.as_array().empty() || !p.data.as_array()[0].is_string()) return;
        dispatch_in_namespace<0>(s, p);
    }

    template <std::size_t I>
    void dispatch_in_namespace(socket& s, packet& p) {
        if constexpr (I < ns_list::size) {
            if (s.table_index != I) return dispatch_in_namespace<I + 1>(s, p);
            auto& arr = p.data.as_array();
            const std::string_view name = arr[0].as_string();
            boost::json::array args(arr.begin() + 1, arr.end());
            if (!dispatch_event_entry<0>(list_at<I>(namespaces()).entries, s, name, args, p)) {
                // No handler for the event: the catch-all, if any.
                call_kind<entry_kind::any, 0>(list_at<I>(namespaces()).entries, [&](const auto& h) {
                    guarded(s, name, [&] { h(s, name, static_cast<const boost::json::array&>(args)); });
                });
            }
        }
    }

    template <std::size_t J, class Entries>
    bool dispatch_event_entry(const Entries& es, socket& s, std::string_view name, const boost::json::array& args,
                              packet& p) {
        if constexpr (J == Entries::size) {
            return false;
        } else {
            const auto& e = list_at<J>(es);
            using E = std::remove_cvref_t<decltype(e)>;
            if constexpr (E::kind == entry_kind::event) {
                if (name == E::name) {
                    run_event(e.handler, s, name, args, p);
                    return true;
                }
            }
            return dispatch_event_entry<J + 1>(es, s, name, args, p);
        }
    }

    template <class H>
    void run_event(const H& h, socket& s, std::string_view name, const boost::json::array& args, packet& p) {
        event_context c{s, bundle_->io, client_, args, p.attachments, p.id, {}};
        bool ok = true;
        using R = typename callable_traits<H>::result;
        auto* types = static_cast<typename callable_traits<H>::args*>(nullptr);
        std::weak_ptr<client> alive = client_;
        if constexpr (is_awaitable_v<R>) {
            // Attachments and args are moved into the coroutine frame's context copy.
            auto st = std::make_shared<async_event>(s, bundle_->io, client_, args, std::move(p.attachments), p.id);
            event_context ac{s, bundle_->io, client_, st->args, st->attachments, p.id, {}};
            auto aw = invoke_event(h, ac, types, ok);
            if (!ok) return arg_error(s, name, ac.error, p.id);
            // A coroutine that throws is reported like a synchronous handler (guarded):
            // to on_handler_error with its socket when that is still there, else logged.
            asio::co_spawn(bundle_->state.io(), keep_alive(std::move(aw), st),
                           [alive, bundle = bundle_, id = s.id(), name = std::string(name)](std::exception_ptr ep) {
                auto c = alive.lock();
                if (!ep || !c) return;
                try {
                    std::rethrow_exception(ep);
                } catch (const std::exception& e) {
                    socket* sock = nullptr;
                    for (auto& x : c->sockets())
                        if (x->id() == id) sock = x.get();
                    if (auto hook = bundle->state.opts().on_handler_error; hook && sock) hook(*sock, name, e.what());
                    else log(log_level::error, "socket.io handler for '" + name + "' threw: " + e.what());
                }
            });
        } else {
            guarded(s, name, [&] { invoke_event(h, c, types, ok); });
            if (!ok && !alive.expired()) arg_error(s, name, c.error, p.id);
        }
    }

    // What a coroutine handler's frame refers to, kept until it finishes: its
    // arguments, and its socket (retired, not destroyed, if the client goes meanwhile)
    // with the client that socket points to.
    struct async_event {
        std::shared_ptr<client> owner;
        std::shared_ptr<socket> sock;
        boost::json::array args;
        std::vector<attachment> attachments;
        async_event(socket& s, sio::io&, const std::shared_ptr<client>& c, const boost::json::array& a,
                    std::vector<attachment>&& at, std::optional<std::uint64_t>)
            : owner(c), sock(c->hold(s)), args(a), attachments(std::move(at)) {}
    };
    static asio::awaitable<void> keep_alive(asio::awaitable<void> aw, std::shared_ptr<async_event>) { co_await std::move(aw); }

    void arg_error(socket& s, std::string_view name, const std::string& what, std::optional<std::uint64_t> id) {
        if (auto hook = bundle_->state.opts().on_arg_error) hook(s, name, what);
        if (id) {
            // The client asked for an ack: answer it with an error object.
            ack<boost::json::value> a(client_, std::string(s.nsp()), id);
            a(boost::json::object{{"error", "invalid arguments"}, {"message", what}});
        }
    }

    template <class F>
    void guarded(socket& s, std::string_view name, F&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            if (auto hook = bundle_->state.opts().on_handler_error) hook(s, name, e.what());
            else log(log_level::error, "socket.io handler for '" + std::string(name) + "' threw: " + e.what());
        }
    }

    template <entry_kind K, std::size_t J, class Entries, class F>
    static void call_kind(const Entries& es, F&& f) {
        if constexpr (J < Entries::size) {
            const auto& e = list_at<J>(es);
            if constexpr (std::remove_cvref_t<decltype(e)>::kind == K) f(e.handler);
            else call_kind<K, J + 1>(es, f);
        }
    }

    // ----- disconnect -----
    static void disconnect_thunk(void* self_ptr, socket& s, std::string_view reason) {
        auto* self = static_cast<session_handler*>(self_ptr);
        // As in socket.io, the socket is no longer connected when its disconnect
        // handler and its failed acks' callbacks run: what they emit to it is dropped.
        const bool was_connected = s.connected();
        s.mark_disconnected();
        if (was_connected) self->template run_disconnect<0>(s, reason);
        s.fail_pending_acks();
        self->client_->drop_socket(s);
    }

    template <std::size_t I>
    void run_disconnect(socket& s, std::string_view reason) {
        if constexpr (I < ns_list::size) {
            if (s.table_index != I) return run_disconnect<I + 1>(s, reason);
            call_kind<entry_kind::disconnect, 0>(list_at<I>(namespaces()).entries, [&](const auto& h) {
                using H = std::remove_cvref_t<decltype(h)>;
                guarded(s, "disconnect", [&] {
                    if constexpr (std::is_invocable_v<const H&, socket&, std::string_view>) h(s, reason);
                    else h(s);
                });
            });
        }
    }

    static const boost::json::array& empty_args() {
        static const boost::json::array a;
        return a;
    }
    static const std::vector<attachment>& no_attachments() {
        static const std::vector<attachment> v;
        return v;
    }

    shard_bundle* bundle_;
    std::shared_ptr<client> client_;
    std::unique_ptr<decoder> own_decoder_;
    std::unique_ptr<asio::steady_timer> connect_timer_;
};

}  // namespace sio

template <fixed_string Path, class... N>
struct events_spec {
    static_assert(Path.size() >= 2 && Path.view().front() == '/' && Path.view().back() == '/',
                  "duet::events_at: the path must start and end with '/' (\"/socket.io/\")");
    static_assert(!sio::has_duplicate_namespaces<N...>(), "duet::events: the same namespace twice");
    using namespace_list = static_list<N...>;
    namespace_list namespaces;

    static constexpr std::string_view path = Path.view();
    using shard_state = sio::shard_bundle;
    using handler = sio::session_handler<events_spec>;
    using eio_server = eio::server<handler, shard_state>;

    template <class Options>
    static shard_state make_state(runtime::shard& shard, const Options& o) {
        return shard_state(shard.io(), o.socketio, shard.index(), &o.session);
    }
};

template <class... N>
constexpr events_spec<"/socket.io/", N...> events(N... ns) {
    return {make_static_list(ns...)};
}
template <fixed_string Path, class... N>
constexpr events_spec<Path, N...> events_at(N... ns) {
    return {make_static_list(ns...)};
}

}  // namespace duet
