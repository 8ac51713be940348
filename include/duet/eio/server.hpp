// duet/eio/server.hpp — the Engine.IO server of one shard.
//
// Owns: the session table (sid → session), the checks every Engine.IO request goes
// through with the reference server's exact error answers (unknown transport 0,
// unknown sid 1, bad handshake method 2, bad request 3, forbidden 4 / HTTP 403,
// unsupported protocol version 5), the handshake over either transport, routing of
// polling GET/POST to their session, accepting the WebSocket upgrade (direct, or as
// the probe of a polling session), CORS on polling responses and the `io` cookie.
//
// `Handler` is the per-session upper layer (see session.hpp); it is constructed with
// the arguments given to the server (`handler_args`), typically a reference to the
// application's shard state.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <duet/eio/error.hpp>
#include <duet/eio/handshake.hpp>
#include <duet/http/accept_encoding.hpp>
#include <duet/eio/options.hpp>
#include <duet/eio/session.hpp>
#include <duet/eio/sid.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/date_line.hpp>
#include <duet/http/query.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/runtime/shard.hpp>
#include <duet/ws/handshake.hpp>
#include <duet/ws/permessage_deflate.hpp>

namespace duet::eio {

// What became of an Upgrade request offered to the Engine.IO server.
enum class upgrade_result { taken, answered };

template <class Handler, class HandlerContext>
class server {
public:
    using handler_type = Handler;
    using session_type = session<server>;
    using ws_connection = typename session_type::ws_connection;

    server(runtime::shard& shard, const eio::options& opts, HandlerContext& ctx)
        : shard_(shard), opts_(opts), ctx_(ctx) {}

    runtime::shard& shard() noexcept { return shard_; }
    const eio::options& opts() const noexcept { return opts_; }
    HandlerContext& context() noexcept { return ctx_; }
    // Live sessions of this shard; readable from any thread (tests, stats).
    std::size_t session_count() const noexcept { return session_count_.load(std::memory_order_relaxed); }

    std::shared_ptr<session_type> find(std::string_view sid) const {
        auto id = session_id::parse(sid);
        if (!id) return nullptr;
        auto it = sessions_.find(*id);
        return it == sessions_.end() ? nullptr : it->second;
    }

    template <class F>
    void for_each_session(F&& f) {
        for (auto& [id, s] : sessions_) f(*s);
    }

    // ----- HTTP (long-polling) requests under the Engine.IO path -----
    // Returns true when answered synchronously; otherwise `pending` answers later.
    bool handle(http::request& req, http::response& res, asio::awaitable<void>& pending) {
        add_cors(req, res);
        if (req.method() == http::method::options && !opts_.cors.origin.empty()) {
            // CORS preflight for the polling requests.
            res.set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE");
            if (auto h = req.header("access-control-request-headers")) res.set("Access-Control-Allow-Headers", *h);
            res.status(204);
            res.end();
            return true;
        }
        const std::string_view q = req.query_string();
        auto transport = http::raw_query_value(q, "transport");
        if (!transport || (*transport == "polling" && !opts_.polling) ||
            (*transport == "websocket" && !opts_.websocket) ||
            (*transport != "polling" && *transport != "websocket"))
            return fail(res, server_error::transport_unknown);
        if (auto origin = req.header("origin"); origin && !http::is_field_value(*origin))
            return fail(res, server_error::bad_request);
        auto sid = http::raw_query_value(q, "sid");
        if (sid) {
            auto id = session_id::parse(*sid);
            if (!id) return fail(res, server_error::session_id_unknown);
            const bool polling = *transport == "polling";
            const http::content_coding coding = polling_coding(req);
            if (id->shard() == shard_.index())
                return serve_sid(*id, polling, req.method(), req.body(), coding, res, pending);
            // Another shard owns this session: it serves the request, this shard
            // carries the bytes (see forward_request).
            if (id->shard() >= peers_.size()) return fail(res, server_error::session_id_unknown);
            forward_request(*peers_[id->shard()], *id, polling, req.method(), req.body(), coding, res, pending);
            return false;
        }
        // Handshake.
        if (req.method() != http::method::get) return fail(res, server_error::bad_handshake_method);
        if (*transport == "websocket") return fail(res, server_error::bad_request);  // needs Upgrade
        if (!check_version(req, res)) return true;
        if (!origin_allowed(req) || (opts_.allow_request && !opts_.allow_request(req)))
            return fail(res, server_error::forbidden);
        auto s = create(transport_kind::polling, req);
        if (!s) return fail(res, server_error::bad_request);
        std::string body;
        s->append_open(body, false);
        set_cookie(res, s->sid());
        res.type("text/plain; charset=UTF-8");
        res.send(body);
        s->start();
        return true;
    }

    // ----- WebSocket upgrade under the Engine.IO path -----
    upgrade_result upgrade(asio::ip::tcp::socket& socket, http::request& req, http::response& res,
                           std::span<const char> rest) {
        add_cors(req, res);
        const std::string_view q = req.query_string();
        auto transport = http::raw_query_value(q, "transport");
        if (!transport || *transport != "websocket" || !opts_.websocket) {
            fail_upgrade(res, server_error::transport_unknown);
            return upgrade_result::answered;
        }
        ws::upgrade_request u{req.method_string(), req.http_major(), req.http_minor(),
                              req.header_or("upgrade", ""), req.header_or("connection", ""),
                              req.header_or("sec-websocket-key", ""), req.header_or("sec-websocket-version", "")};
        if (auto ec = ws::validate_upgrade(u)) {
            res.status(ws::http_status_for(ec));
            if (res.status() == 426) res.set("Sec-WebSocket-Version", "13");
            res.type("text/plain; charset=utf-8");
            res.send(ec.message());
            return upgrade_result::answered;
        }
        // permessage-deflate, when on and offered.
        std::optional<ws::deflate_params> deflate;
        if (opts_.per_message_deflate.enabled) {
            if (auto offers = req.header("sec-websocket-extensions"))
                deflate = ws::negotiate_permessage_deflate(
                    *offers, {.client_max_window_bits = opts_.per_message_deflate.client_max_window_bits,
                              .client_no_context_takeover = opts_.per_message_deflate.client_no_context_takeover});
        }
        if (auto sid = http::raw_query_value(q, "sid")) {
            auto id = session_id::parse(*sid);
            if (id && id->shard() != shard_.index() && id->shard() < peers_.size()) {
                // The probe of a session another shard owns: the socket moves there.
                hand_off_upgrade(*peers_[id->shard()], socket, *id, u.key, rest, deflate);
                return upgrade_result::taken;
            }
            if (auto e = check_upgrade_target(id)) {
                fail_upgrade(res, *e);
                return upgrade_result::answered;
            }
            start_websocket(std::move(socket), find(id->view()), true, u.key, rest, deflate);
            return upgrade_result::taken;
        }
        if (!check_version(req, res, true)) return upgrade_result::answered;
        if (!origin_allowed(req) || (opts_.allow_request && !opts_.allow_request(req))) {
            fail_upgrade(res, server_error::forbidden);
            return upgrade_result::answered;
        }
        auto s = create(transport_kind::websocket, req);
        if (!s) {
            fail_upgrade(res, server_error::bad_request);
            return upgrade_result::answered;
        }
        start_websocket(std::move(socket), std::move(s), false, u.key, rest, deflate);
        return upgrade_result::taken;
    }

    // ----- the shards of one server (run(n)) -----
    // `peers[i]` is the Engine.IO server of shard i (this one included). Set before
    // the threads start; a request naming a sid of shard i is served by peers[i].
    void set_peers(std::vector<server*> peers) { peers_ = std::move(peers); }
    // Requests this shard carried for a session another shard owns.
    std::size_t forwarded_requests() const noexcept { return forwarded_.load(std::memory_order_relaxed); }

    void unregister(const session_id& id) {
        if (sessions_.erase(id)) session_count_.fetch_sub(1, std::memory_order_relaxed);
    }

    // Graceful stop: every session is told and closed.
    void shutdown() {
        std::vector<std::shared_ptr<session_type>> all;
        for (auto& [id, s] : sessions_) all.push_back(s);
        for (auto& s : all) s->shutdown();
    }

    // CORS headers for a request under the Engine.IO path (the polling responses).
    void add_cors(const http::request& req, http::response& res) const {
        const auto& c = opts_.cors;
        if (c.origin.empty()) return;
        auto origin = req.header("origin");
        if (c.origin == "*") {
            if (c.credentials && origin) {
                res.set("Access-Control-Allow-Origin", *origin);
                res.append("Vary", "Origin");
            } else {
                res.set("Access-Control-Allow-Origin", "*");
            }
        } else {
            if (!origin || !origin_in_list(c.origin, *origin)) return;
            res.set("Access-Control-Allow-Origin", *origin);
            res.append("Vary", "Origin");
        }
        if (c.credentials) res.set("Access-Control-Allow-Credentials", "true");
    }

private:
    // The content coding for the answers to a polling GET (identity: none).
    http::content_coding polling_coding(const http::request& req) const {
        static constexpr http::content_coding offered[] = {http::content_coding::gzip, http::content_coding::deflate};
        if (!opts_.http_compression.enabled || req.method() != http::method::get) return http::content_coding::identity;
        return http::negotiate_encoding(req.header("accept-encoding").value_or(std::string_view{}), offered);
    }

    // A polling request naming a session of this shard.
    bool serve_sid(const session_id& id, bool polling, http::method method, std::string_view body,
                   http::content_coding coding, http::response& res, asio::awaitable<void>& pending) {
        auto it = sessions_.find(id);
        if (it == sessions_.end()) return fail(res, server_error::session_id_unknown);
        auto& s = it->second;
        // A WebSocket request without Upgrade, or polling on a session that has
        // moved to WebSocket: not this session's transport.
        if (!polling || s->transport() != transport_kind::polling) return fail(res, server_error::bad_request);
        if (method == http::method::get) return s->poll(res, pending, coding);
        if (method == http::method::post) {
            s->post(body, res);
            return true;
        }
        return fail(res, server_error::bad_request);
    }

    // ----- a polling request that reached the wrong shard -----
    // The accepting shard keeps the TCP connection and copies the request (method,
    // body) to the owner through its mailbox; the owner runs serve_sid() exactly as
    // for a local request (a GET may park there) and posts the answer back. Two
    // mailbox hops, no shared table, no lock.
    struct forwarded_answer {
        explicit forwarded_answer(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
        asio::steady_timer wake;  // the accepting shard's: touched only there
        bool done = false;
        int status = 200;
        std::string content_type;
        std::string content_encoding;
        std::string body;
    };

    void forward_request(server& owner, const session_id& id, bool polling, http::method method,
                         std::string_view body, http::content_coding coding, http::response& res,
                         asio::awaitable<void>& pending) {
        forwarded_.fetch_add(1, std::memory_order_relaxed);
        auto answer = std::make_shared<forwarded_answer>(shard_.io());
        owner.shard().post_remote([&owner, origin = this, answer, id, polling, method, coding, b = std::string(body)]() mutable {
            asio::co_spawn(owner.shard().io(),
                           owner.serve_forwarded(*origin, answer, id, polling, method, coding, std::move(b)),
                           asio::detached);
        });
        pending = await_forwarded(std::move(answer), res);
    }

    // On the owner's thread.
    asio::awaitable<void> serve_forwarded(server& origin, std::shared_ptr<forwarded_answer> answer, session_id id,
                                          bool polling, http::method method, http::content_coding coding,
                                          std::string body) {
        http::response r;
        asio::awaitable<void> pending;
        const bool done = serve_sid(id, polling, method, body, coding, r, pending);
        if (!done) co_await std::move(pending);
        answer->status = r.status();
        if (auto t = r.get("content-type")) answer->content_type = *t;
        if (auto e = r.get("content-encoding")) answer->content_encoding = *e;
        answer->body = r.body();
        origin.shard().post_remote([answer] {
            answer->done = true;
            answer->wake.cancel();
        });
    }

    // On the accepting shard's thread: the answer, once the owner has posted it.
    static asio::awaitable<void> await_forwarded(std::shared_ptr<forwarded_answer> answer, http::response& res) {
        if (!answer->done) {
            std::error_code ignored;
            co_await answer->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        }
        res.status(answer->status);
        if (!answer->content_type.empty()) res.type(answer->content_type);
        if (!answer->content_encoding.empty()) res.set("Content-Encoding", answer->content_encoding);
        res.send(answer->body);
    }

    // ----- a WebSocket probe that reached the wrong shard -----
    // The socket leaves this shard's reactor (release) and joins the owner's
    // (assign); the bytes already read after the request head go with it.
    void hand_off_upgrade(server& owner, asio::ip::tcp::socket& socket, const session_id& id, std::string_view key,
                          std::span<const char> rest, std::optional<ws::deflate_params> deflate) {
        std::error_code ec;
        const auto protocol = socket.local_endpoint(ec).protocol();
        if (ec) return;
        const int fd = socket.release(ec);
        if (ec) return;  // the socket is closed: the client sees its connection end
        forwarded_.fetch_add(1, std::memory_order_relaxed);
        owner.shard().post_remote([&owner, fd, protocol, id, deflate, k = std::string(key),
                                   r = std::string(rest.data(), rest.size())] {
            asio::ip::tcp::socket moved(owner.shard().io());
            std::error_code e;
            moved.assign(protocol, fd, e);
            if (e) {
                ::close(fd);
                return;
            }
            owner.accept_handed_off(std::move(moved), id, k, r, deflate);
        });
    }

    // On the owner's thread: the same checks as a local probe, then the WebSocket.
    void accept_handed_off(asio::ip::tcp::socket socket, const session_id& id, std::string_view key,
                           std::string_view rest, std::optional<ws::deflate_params> deflate) {
        if (auto e = check_upgrade_target(id)) {
            // Answer on the raw socket (the HTTP connection stayed on the other shard).
            http::response r;
            fail_upgrade(r, *e);
            auto out = std::make_shared<std::string>();
            r.serialize(*out, http::date_line(shard_.wall_second()), false, false, true);
            auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
            asio::async_write(*sock, asio::buffer(*out), [out, sock](std::error_code, std::size_t) {
                std::error_code ignored;
                sock->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            });
            return;
        }
        start_websocket(std::move(socket), find(id.view()), true, key, std::span<const char>(rest.data(), rest.size()),
                        deflate);
    }

    // Why an upgrade naming `id` cannot join its session (nullopt: it can).
    std::optional<server_error> check_upgrade_target(const std::optional<session_id>& id) const {
        if (!id) return server_error::session_id_unknown;
        auto it = sessions_.find(*id);
        if (it == sessions_.end()) return server_error::session_id_unknown;
        // allow_upgrades only decides what the handshake offers: like the reference, a
        // client that probes anyway is upgraded.
        return std::nullopt;
    }

    // The 101 answer and the WebSocket session: a new session's direct transport, or
    // the probe of a polling session (`is_upgrade`).
    void start_websocket(asio::ip::tcp::socket socket, std::shared_ptr<session_type> s, bool is_upgrade,
                         std::string_view key, std::span<const char> rest, std::optional<ws::deflate_params> deflate) {
        std::string head;
        std::string extra = cookie_header(is_upgrade ? std::string_view{} : s->sid());
        if (deflate) ws::append_extension_header(extra, *deflate);
        ws::append_accept_response(head, key, extra);
        ws_opts_ = opts_.ws;
        ws_opts_.max_message_size = opts_.max_payload;
        ws_opts_.max_send_queue_bytes = opts_.max_buffered_bytes + opts_.max_payload;
        ws_opts_.permessage_deflate = opts_.per_message_deflate;
        auto ws = std::make_shared<ws_connection>(shard_, std::move(socket), ws_opts_, rest,
                                               typename session_type::ws_link{s});
        if (deflate) ws->enable_deflate(*deflate);
        if (is_upgrade && (s->transport() != transport_kind::polling || s->upgrade_in_progress())) {
            // A second WebSocket for a session that is already upgrading or upgraded:
            // the reference completes the handshake, then closes it (the client sees a
            // close, not an HTTP error). The session is not touched.
            ws->start(head);
            ws->close(reference_close);
            return;
        }
        s->attach_websocket(ws.get(), is_upgrade);
        if (!is_upgrade) {
            // The open packet is the first frame (no upgrades offered on WebSocket).
            std::string open;
            s->append_open(open, true);
            ws::append_frame(head, ws::opcode::text, std::string_view(open));
        }
        ws->start(head);
        if (!is_upgrade) s->start();
    }

    bool fail(http::response& res, server_error e) {
        res.status(http_status(e));
        res.type(error_content_type);
        res.send(error_json(e));
        return true;
    }

    bool origin_allowed(const http::request& req) const {
        if (opts_.allowed_origins.empty()) return true;
        auto origin = req.header("origin");
        return !origin || origin_in_list(opts_.allowed_origins, *origin);
    }

    bool check_version(const http::request& req, http::response& res, bool upgrade = false) {
        auto v = http::raw_query_value(req.query_string(), "EIO");
        if (v && *v == "4") return true;
        if (upgrade) fail_upgrade(res, server_error::unsupported_protocol_version);
        else fail(res, server_error::unsupported_protocol_version);
        return false;
    }

    // A refused WebSocket upgrade: the reference (engine.io abortUpgrade) answers
    // 400 whatever the code, with the bare message as a text/html body.
    void fail_upgrade(http::response& res, server_error e) {
        res.status(400);
        res.type("text/html");
        res.send(message(e));
    }

    std::shared_ptr<session_type> create(transport_kind t, const http::request& req) {
        auto id = generate_sid(static_cast<std::uint8_t>(shard_.index()));
        if (!id) return nullptr;
        auto s = std::make_shared<session_type>(*this, *id, t, ctx_, req);
        sessions_.emplace(*id, s);
        session_count_.fetch_add(1, std::memory_order_relaxed);
        return s;
    }

    void set_cookie(http::response& res, std::string_view sid) const {
        if (!opts_.cookie.enabled) return;
        res.cookie(opts_.cookie.name, sid,
                   {.path = opts_.cookie.path, .http_only = opts_.cookie.http_only, .same_site = opts_.cookie.same_site,
                    .encode = false});
    }

    std::string cookie_header(std::string_view sid) const {
        if (!opts_.cookie.enabled || sid.empty()) return {};
        std::string v;
        http::set_cookie_append(v, opts_.cookie.name, sid,
                                {.path = opts_.cookie.path, .http_only = opts_.cookie.http_only,
                                 .same_site = opts_.cookie.same_site, .encode = false});
        return "Set-Cookie: " + v + "\r\n";
    }

    runtime::shard& shard_;
    const eio::options& opts_;
    HandlerContext& ctx_;
    ws::connection_options ws_opts_;
    std::unordered_map<session_id, std::shared_ptr<session_type>> sessions_;
    std::vector<server*> peers_;
    std::atomic<std::size_t> session_count_{0};
    std::atomic<std::size_t> forwarded_{0};
};

}  // namespace duet::eio
