// duet/server/server.hpp — `duet::server<routes, events, State>`: the one server type.
//
// Owns: the options, the listening sockets (one SO_REUSEPORT acceptor per shard),
// the threads (`run(n)`: n shards, one io_context each, shared nothing), graceful
// stop, and the wiring between a connection and the compile-time tables: the
// dispatch context (what a handler may ask for besides request/response/path
// parameters) and the upgrade filter.
#pragma once

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <system_error>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <duet/core/log.hpp>
#include <duet/eio/options.hpp>
#include <duet/session/session.hpp>
#include <duet/sio/options.hpp>
#include <duet/http/connection.hpp>
#include <duet/http/options.hpp>
#include <duet/http/proxy_addr.hpp>
#include <duet/http/router.hpp>
#include <duet/runtime/shard.hpp>
#include <duet/ws/endpoint.hpp>
#include <duet/ws/handshake.hpp>

namespace duet {

struct server_options {
    // Address to listen on ("0.0.0.0", "127.0.0.1", "::").
    std::string host = "0.0.0.0";
    // 0 picks a free port; `port()` tells which.
    std::uint16_t port = 3000;
    int backlog = 1024;
    // A port that cannot be listened on (in use by another process: EADDRINUSE, a
    // privileged port: EACCES, a bad address) logs Node's message and exits with
    // status 1, as an unhandled 'error' event ends a Node server. false: the
    // constructor throws duet::listen_error instead.
    bool exit_on_listen_error = true;
    // SIGINT/SIGTERM start a graceful stop (finish in-flight requests, then return
    // from run()).
    bool stop_on_signals = false;
    http::limits http{};
    // Express's `trust proxy`: which peers are proxies whose X-Forwarded-For,
    // X-Forwarded-Proto and X-Forwarded-Host to believe (req.ip(), req.ips(),
    // req.protocol(), req.secure(), req.host(); a Secure session cookie is only sent
    // over a secure request). Default: none. `true`, a hop count, or a list such as
    // "loopback" or "loopback, 10.0.0.0/8" (see duet/http/proxy_addr.hpp).
    http::trust_proxy trust_proxy{};
    // Plain WebSocket endpoints (duet::websocket<"/path", H> in the route table).
    ws::connection_options websocket{};
    // Engine.IO / Socket.IO options (ping interval and timeout, max payload, CORS,
    // transports, cookie, allow_request); used when the server has a realtime spec.
    eio::options engineio{};
    // Socket.IO layer options (connect timeout, default ack timeout, error hooks).
    sio::options socketio{};
    // Sessions shared by HTTP (req.session()) and Socket.IO (socket.session()); off
    // until a store and a secret are given. Two servers (separate-port mode) share
    // sessions by sharing the store and the secrets.
    session_options session{};
};

// Thrown by the server's constructor (or run(n) adding shards) when it cannot listen
// and server_options::exit_on_listen_error is false. what(): Node's wording, e.g.
// "listen EADDRINUSE: address already in use 0.0.0.0:3000".
struct listen_error : std::system_error {
    listen_error(std::error_code ec, const std::string& what) : std::system_error(ec, what), message_(what) {}
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
};

// The State parameter of a server that has none.
struct no_state {};

// The realtime spec of a server without Engine.IO/Socket.IO: nothing is instantiated.
struct no_realtime {};

namespace server_detail {
// A realtime spec plugs in through its types (eio/app.hpp, sio/app.hpp): the server
// names none of them, so an HTTP-only app (duet/http.hpp) compiles without them.
// A per-shard state with an `io` member is a Socket.IO one: handlers may take its
// type (duet::io&) and the shards' states are linked into one cluster.
template <class S>
concept socketio_state = requires(S& s) {
    s.io;
    s.state;
};
template <class S>
struct io_handle_of {
    using type = void;
};
template <socketio_state S>
struct io_handle_of<S> {
    using type = decltype(S::io);
};
}  // namespace server_detail

// `Realtime` is `duet::no_realtime{}` (HTTP only), `duet::engine_io<"/path/", H>`, or a
// Socket.IO event table: the path it serves is a compile-time constant of the upgrade
// filter, and with no_realtime no Engine.IO code is instantiated at all.
template <auto Routes, auto Realtime = no_realtime{}, class State = no_state>
class server {
    using routes_type = std::remove_cvref_t<decltype(Routes)>;
    using connection_type = http::connection<server>;
    using realtime_type = std::remove_cvref_t<decltype(Realtime)>;
    static constexpr bool has_realtime = !std::is_same_v<realtime_type, no_realtime>;

    struct no_eio {};
    template <class R>
    struct realtime_parts {
        using eio_server = no_eio;
        using shard_state = no_eio;
    };
    template <class R>
        requires requires { typename R::eio_server; }
    struct realtime_parts<R> {
        using eio_server = typename R::eio_server;
        using shard_state = typename R::shard_state;
    };
    using eio_server = typename realtime_parts<realtime_type>::eio_server;
    using realtime_state = typename realtime_parts<realtime_type>::shard_state;
    static constexpr bool has_socketio = server_detail::socketio_state<realtime_state>;
    using io_handle = typename server_detail::io_handle_of<realtime_state>::type;

    // Does `path` belong to the realtime endpoint (prefix match, like engine.io)?
    static constexpr bool realtime_path(std::string_view path) noexcept {
        if constexpr (!has_realtime) {
            return false;
        } else {
            constexpr std::string_view p = realtime_type::path;
            return path.substr(0, p.size()) == p || path == p.substr(0, p.size() - 1);
        }
    }

public:
    explicit server(server_options opts = {}) : opts_(std::move(opts)) {
        owned_.push_back(std::make_unique<runtime::shard>(0));
        shards_.push_back(std::make_unique<shard_slot>(*owned_.front(), opts_));
        bind(*shards_.front(), opts_.port);
        bound_port_ = shards_.front()->acceptor.local_endpoint().port();
    }
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // The port actually bound (useful with port 0).
    std::uint16_t port() const noexcept { return bound_port_; }
    const server_options& options() const noexcept { return opts_; }
    State& state() noexcept { return state_; }

    // Serves until stop() (or a signal, when enabled). `threads` shards each accept
    // on their own SO_REUSEPORT socket and run their own io_context. Attached servers
    // (attach()) are served by the same threads.
    void run(unsigned threads = 1) {
        if (threads == 0) threads = 1;
        if (owned_.empty()) throw std::logic_error("duet::server::run: this server is attached to another; run that one");
        while (owned_.size() < threads) {
            owned_.push_back(std::make_unique<runtime::shard>(static_cast<unsigned>(owned_.size())));
            shards_.push_back(std::make_unique<shard_slot>(*owned_.back(), opts_));
            bind(*shards_.back(), bound_port_);
        }
        for (auto& g : guests_)
            for (auto& sh : owned_) g.adopt(g.server, *sh);
        link_shards();
        for (auto& g : guests_) g.link(g.server);
        // A graceful stop ends each shard's loop only when every shard has drained:
        // until then a shard still runs work the others post to it (a forwarded
        // polling answer, a broadcast, an ack collected for another shard).
        auto drained = std::make_shared<std::atomic<std::size_t>>(0);
        for (auto& sh : owned_)
            sh->on_drained([this, drained] {
                if (drained->fetch_add(1) + 1 != owned_.size()) return;
                for (auto& o : owned_) o->post_remote([p = o.get()] { p->stop_maintenance(); });
            });
        if (opts_.stop_on_signals) {
            signals_ = std::make_unique<asio::signal_set>(owned_.front()->io(), SIGINT, SIGTERM);
            signals_->async_wait([this](std::error_code ec, int) {
                if (!ec) stop();
            });
        }
        for (auto& sh : owned_) sh->start_tick();
        start_accepting();
        for (auto& g : guests_) g.start(g.server);
        std::vector<std::thread> workers;
        auto serve = [](runtime::shard* sh) {
            runtime::current_shard = sh;
            sh->io().run();
            runtime::current_shard = nullptr;
        };
        for (std::size_t i = 1; i < owned_.size(); ++i) workers.emplace_back(serve, owned_[i].get());
        serve(owned_.front().get());
        for (auto& t : workers) t.join();
        running_.store(false);
        for (auto& g : guests_) g.stopped(g.server);
    }

    // Separate-port mode: `guest` (another duet::server, e.g. Socket.IO only on its own
    // port) is served by this server's threads and stops with it. Call before run();
    // never call guest.run(). Both servers then run on the same shards, so an HTTP
    // handler of this server can use guest.io() directly (same thread, no locking).
    template <class Guest>
    void attach(Guest& guest) {
        guests_.push_back({&guest,
                           [](void* g, runtime::shard& sh) { static_cast<Guest*>(g)->adopt_shard(sh); },
                           [](void* g) { static_cast<Guest*>(g)->start_accepting(); },
                           [](void* g) { static_cast<Guest*>(g)->stop(); },
                           [](void* g) { static_cast<Guest*>(g)->mark_stopped(); },
                           [](void* g) { static_cast<Guest*>(g)->link_shards(); }});
    }

    // Tells every shard's Engine.IO server and Socket.IO state about the others, so
    // that polling requests, broadcasts, acks and disconnects reach the right shard.
    // (Called by run(); shard i is shards_[i].)
    void link_shards() {
        if constexpr (has_realtime) {
            std::vector<eio_server*> eios;
            for (auto& s : shards_) eios.push_back(&s->eio);
            for (auto& s : shards_) s->eio.set_peers(eios);
            if constexpr (has_socketio) {
                std::vector<decltype(realtime_state::state)*> states;
                std::vector<runtime::shard*> loops;
                for (auto& s : shards_) {
                    states.push_back(&s->state.state);
                    loops.push_back(&s->shard);
                }
                for (auto& s : shards_) s->state.state.set_cluster(states, loops);
                // Other processes (sio::options::cluster): one node for all shards,
                // its connections on shard 0.
                if (auto& c = opts_.socketio.cluster) c->start(shards_.front()->state.state);
            }
        }
    }

    // Polling requests and WebSocket probes carried to the shard owning their sid.
    std::size_t forwarded_requests() const {
        std::size_t n = 0;
        if constexpr (has_realtime)
            for (auto& s : shards_) n += s->eio.forwarded_requests();
        return n;
    }

    // The Socket.IO handle of the shard running the calling thread (from a handler of
    // this server, or of the server it is attached to).
    auto& io()
        requires has_socketio
    {
        for (auto& s : shards_)
            if (&s->shard == runtime::current_shard) return s->state.io;
        throw std::logic_error("duet::server::io(): not called from one of this server's threads");
    }

    // ----- used by a host server (attach) -----
    void adopt_shard(runtime::shard& sh) {
        if (sh.index() == 0) {
            // Our listening socket moves onto the host's first shard.
            auto protocol = shards_.front()->acceptor.local_endpoint().protocol();
            auto fd = shards_.front()->acceptor.release();
            shards_.front() = std::make_unique<shard_slot>(sh, opts_);
            shards_.front()->acceptor.assign(protocol, fd);
            shards_.front()->acceptor.non_blocking(true);
            owned_.clear();
        } else {
            shards_.push_back(std::make_unique<shard_slot>(sh, opts_));
            bind(*shards_.back(), bound_port_);
        }
    }
    void start_accepting() {
        for (auto& s : shards_) accept(*s);
        running_.store(true);
    }
    void mark_stopped() { running_.store(false); }

    // Graceful stop, callable from any thread (and from a handler): stop accepting,
    // let in-flight requests finish, close idle connections; run() then returns.
    void stop() {
        for (auto& g : guests_) g.stop(g.server);
        for (auto& s : shards_) {
            s->shard.post_remote([this, slot = s.get()] {
                std::error_code ec;
                slot->acceptor.close(ec);
                slot->retry.cancel();
                if constexpr (has_realtime) slot->eio.shutdown();
                slot->shard.begin_drain();
                if (slot->shard.index() == 0 && signals_) signals_->cancel(ec);
                if constexpr (has_socketio)
                    if (slot->shard.index() == 0 && opts_.socketio.cluster) opts_.socketio.cluster->stop();
            });
        }
    }

    bool running() const noexcept { return running_.load(); }

    // ----- called by connections -----
    const http::limits& http_limits() const noexcept { return opts_.http; }
    const http::trust_proxy& proxy_trust() const noexcept { return opts_.trust_proxy; }
    const session_options* session_config() const noexcept { return opts_.session.store ? &opts_.session : nullptr; }

    // The handler context: besides request/response/path parameters a handler may
    // take `State&`.
    struct context : http::dispatch_context {
        server* srv;
        void* slot;  // the shard_slot of the connection
        template <class P>
        static constexpr bool provides = (!std::is_same_v<State, no_state> && std::is_same_v<P, State>) ||
                                         std::is_same_v<P, io_handle>;
        template <class P>
        P& provide() noexcept {
            if constexpr (std::is_same_v<P, io_handle>) return static_cast<shard_slot*>(slot)->state.io;
            else return srv->state_;
        }
        // The table's on_not_found entry, for a 404 found anywhere (a mounted table
        // included). true: it answered.
        bool answer_not_found() {
            return http::dispatcher<routes_type, context>::handle_not_found(Routes, *this);
        }
    };

    // Instantiating the dispatcher runs the table's compile-time checks (handler
    // parameters against patterns) as soon as the server type is complete.
    static_assert(sizeof(http::dispatcher<routes_type, context>) > 0);

    // Each connection owns one context (it outlives a coroutine dispatch).
    context make_context(runtime::shard& shard, http::request& req, http::response& res) {
        return context{{req, res, {}}, this, slot_of(shard)};
    }

    // Every request: the realtime path first (socket.io's handler intercepts its
    // path before Express sees it), then the route table.
    bool dispatch(context& ctx, asio::awaitable<void>& pending) {
        if constexpr (has_realtime) {
            if (realtime_path(ctx.req.path())) return static_cast<shard_slot*>(ctx.slot)->eio.handle(ctx.req, ctx.res, pending);
        }
        ctx.mount_rest = {};
        return http::dispatcher<routes_type, context>::run(Routes, ctx, pending);
    }

    // A handler threw before answering: the table's on_error entry, if any, may answer
    // (the response was reset). false: no entry, or it did not answer.
    bool handle_error(context& ctx, const handler_error& err) {
        if constexpr (http::dispatcher<routes_type, context>::has_error_handler) {
            return http::dispatcher<routes_type, context>::handle_error(Routes, ctx, err);
        } else {
            (void)ctx, (void)err;
            return false;
        }
    }

    // The upgrade filter: an Upgrade request under the realtime path becomes a
    // WebSocket (or gets Engine.IO's error answer); anything else is an ordinary
    // request (answered, then the connection closes).
    http::upgrade_result upgrade(runtime::shard& shard, asio::ip::tcp::socket& socket, http::request& req,
                                 http::response& res, std::span<const char> rest) {
        if constexpr (has_realtime) {
            if (realtime_path(req.path())) {
                auto r = slot_of(shard)->eio.upgrade(socket, req, res, rest);
                return r == decltype(r)::taken ? http::upgrade_result::taken : http::upgrade_result::answered;
            }
        }
        return upgrade_websocket_route<0>(shard, socket, req, res, rest);
    }

    // Number of open connections (HTTP, WebSocket — Engine.IO's included) on all
    // shards (call from a handler or after run(), like realtime_session_count()).
    std::size_t connection_count() const {
        std::size_t n = 0;
        for (auto& s : shards_) n += s->shard.connection_count();
        return n;
    }

    // Number of live Engine.IO sessions on all shards (call from a handler or after run()).
    std::size_t realtime_session_count() const {
        std::size_t n = 0;
        if constexpr (has_realtime)
            for (auto& s : shards_) n += s->eio.session_count();
        return n;
    }

private:
    // The WebSocket endpoints of the route table, found at compile time.
    template <std::size_t I>
    http::upgrade_result upgrade_websocket_route(runtime::shard& shard, asio::ip::tcp::socket& socket,
                                                 http::request& req, http::response& res, std::span<const char> rest) {
        if constexpr (I == routes_type::size) {
            (void)shard, (void)socket, (void)req, (void)res, (void)rest;
            return http::upgrade_result::not_mine;
        } else {
            using E = std::remove_cvref_t<decltype(http::entry_at<I>(Routes))>;
            if constexpr (E::is_websocket) {
                std::array<std::string_view, http::max_route_params> raw;
                if (E::pattern::match(req.path(), raw)) {
                    ws::upgrade_request u{req.method_string(), req.http_major(), req.http_minor(),
                                          req.header_or("upgrade", ""), req.header_or("connection", ""),
                                          req.header_or("sec-websocket-key", ""),
                                          req.header_or("sec-websocket-version", "")};
                    if (auto ec = ws::validate_upgrade(u)) {
                        res.status(ws::http_status_for(ec));
                        if (res.status() == 426) res.set("Sec-WebSocket-Version", "13");
                        res.type("text/plain; charset=utf-8");
                        res.send(ec.message());
                        return http::upgrade_result::answered;
                    }
                    std::string head;
                    ws::append_accept_response(head, u.key);
                    auto s = std::make_shared<typename E::session_type>(shard, std::move(socket), opts_.websocket, rest);
                    s->start(head, [](auto& session) { session.handler().open(session); });
                    return http::upgrade_result::taken;
                }
            }
            return upgrade_websocket_route<I + 1>(shard, socket, req, res, rest);
        }
    }

    struct shard_slot {
        shard_slot(runtime::shard& sh, const server_options& o)
            : shard(sh), acceptor(shard.io()), retry(shard.io()), state(make_state(o)), eio(make_eio(o)) {}
        runtime::shard& shard;
        asio::ip::tcp::acceptor acceptor;
        asio::steady_timer retry;
        realtime_state state;
        eio_server eio;

    private:
        realtime_state make_state(const server_options& o) {
            if constexpr (has_realtime) return realtime_type::make_state(shard, o);
            else return realtime_state{};
        }
        eio_server make_eio(const server_options& o) {
            if constexpr (has_realtime) return eio_server(shard, o.engineio, state);
            else return eio_server{};
        }
    };

    // Every shard listens on its own SO_REUSEPORT socket (the kernel spreads the
    // connections). SO_REUSEPORT would also let this process share a port that another
    // process of the same user already listens on — silently splitting its traffic — so
    // the first bind of a fixed port is preceded by a probe without it: a port in use
    // fails like Node's listen() (EADDRINUSE), not by sharing. (The window between the
    // probe and the real bind is a few microseconds.)
    void bind(shard_slot& s, std::uint16_t port) {
        std::error_code ec;
        const auto address = asio::ip::make_address(opts_.host, ec);
        if (ec) return listen_failed("getaddrinfo", ec, port);
        asio::ip::tcp::endpoint ep(address, port);
        if (port != 0 && shards_.size() == 1 && &s == shards_.front().get()) {
            asio::ip::tcp::acceptor probe(s.shard.io());
            probe.open(ep.protocol(), ec);
            if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
            if (!ec) probe.bind(ep, ec);
            if (ec) return listen_failed("listen", ec, port);
        }
        s.acceptor.open(ep.protocol(), ec);
        if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) {
            int one = 1;
            if (::setsockopt(s.acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
                ec.assign(errno, std::system_category());
        }
        if (!ec) s.acceptor.bind(ep, ec);
        if (!ec) s.acceptor.listen(opts_.backlog, ec);
        if (!ec) s.acceptor.non_blocking(true, ec);
        if (ec) listen_failed("listen", ec, port);
    }

    // "listen EADDRINUSE: address already in use 0.0.0.0:3000", as Node words it; then
    // exit(1) like an unhandled 'error' event, or throw (exit_on_listen_error = false).
    [[noreturn]] void listen_failed(std::string_view syscall, std::error_code ec, std::uint16_t port) {
        // Asio reports errno values in its own category: give callers the standard one,
        // so that `e.code() == std::errc::address_in_use` holds.
        if (ec.category() == asio::error::get_system_category()) ec.assign(ec.value(), std::system_category());
        std::string msg(syscall);
        msg += ' ';
        msg += errno_name(ec);
        msg += ": ";
        std::string text = ec.message();  // "Address already in use" → Node's lower case
        if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
        msg += text;
        msg += ' ';
        msg += opts_.host.find(':') != std::string::npos ? "[" + opts_.host + "]" : opts_.host;
        msg += ':';
        msg += std::to_string(port);
        if (opts_.exit_on_listen_error) {
            log(log_level::error, msg);
            std::exit(1);
        }
        throw listen_error(ec, msg);
    }
    static std::string errno_name(const std::error_code& ec) {
        if (ec.category() != std::system_category()) return "EINVAL";
        switch (ec.value()) {
            case EADDRINUSE: return "EADDRINUSE";
            case EACCES: return "EACCES";
            case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
            case EAFNOSUPPORT: return "EAFNOSUPPORT";
            case EMFILE: return "EMFILE";
            default: return "E" + std::to_string(ec.value());
        }
    }

    void accept(shard_slot& s) {
        s.acceptor.async_accept([this, &s](std::error_code ec, asio::ip::tcp::socket sock) {
            if (ec == asio::error::operation_aborted || !s.acceptor.is_open()) return;
            if (ec) {
                // Out of descriptors or memory: say so, back off, try again — never spin.
                log(log_level::warn, "accept failed: " + ec.message());
                s.retry.expires_after(std::chrono::milliseconds(100));
                s.retry.async_wait([this, &s](std::error_code e) {
                    if (!e) accept(s);
                });
                return;
            }
            std::make_shared<connection_type>(*this, s.shard, std::move(sock))->start();
            // Take what else is already waiting in the listen queue before re-arming:
            // one accept per completion would let a busy loop (broadcasts, echoes)
            // starve new connections for seconds (seen in the soak run). Bounded, so
            // a connect flood cannot starve the connections already served either.
            for (int i = 0; i < 64; ++i) {
                std::error_code e;
                asio::ip::tcp::socket more(s.shard.io());
                s.acceptor.accept(more, e);  // non-blocking acceptor: would_block ends it
                if (e) break;
                std::make_shared<connection_type>(*this, s.shard, std::move(more))->start();
            }
            accept(s);
        });
    }

    server_options opts_;
    shard_slot* slot_of(runtime::shard& sh) {
        for (auto& s : shards_)
            if (&s->shard == &sh) return s.get();
        return shards_.front().get();
    }

    struct guest {
        void* server;
        void (*adopt)(void*, runtime::shard&);
        void (*start)(void*);
        void (*stop)(void*);
        void (*stopped)(void*);
        void (*link)(void*);
    };

    std::vector<std::unique_ptr<runtime::shard>> owned_;  // empty when attached to a host
    std::vector<std::unique_ptr<shard_slot>> shards_;
    std::vector<guest> guests_;
    std::uint16_t bound_port_ = 0;
    State state_{};
    std::unique_ptr<asio::signal_set> signals_;
    std::atomic<bool> running_{false};
};

}  // namespace duet
