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

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <asio/ip/tcp.hpp>

#include <duet/eio/error.hpp>
#include <duet/eio/handshake.hpp>
#include <duet/eio/options.hpp>
#include <duet/eio/session.hpp>
#include <duet/eio/sid.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/query.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/server/shard.hpp>
#include <duet/ws/handshake.hpp>

namespace duet::eio {

// What became of an Upgrade request offered to the Engine.IO server.
enum class upgrade_result { taken, answered };

template <class Handler, class HandlerContext>
class server {
public:
    using handler_type = Handler;
    using session_type = session<server>;
    using ws_session = typename session_type::ws_session;

    server(server_detail::shard& shard, const eio::options& opts, HandlerContext& ctx)
        : shard_(shard), opts_(opts), ctx_(ctx) {}

    server_detail::shard& shard() noexcept { return shard_; }
    const eio::options& opts() const noexcept { return opts_; }
    HandlerContext& context() noexcept { return ctx_; }
    std::size_t session_count() const noexcept { return sessions_.size(); }

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
            auto s = find(*sid);
            if (!s) return fail(res, server_error::session_id_unknown);
            // A WebSocket request without Upgrade, or polling on a session that has
            // moved to WebSocket: not this session's transport.
            if (*transport != "polling" || s->transport() != transport_kind::polling)
                return fail(res, server_error::bad_request);
            if (req.method() == http::method::get) return s->poll(res, pending);
            if (req.method() == http::method::post) {
                s->post(req.body(), res);
                return true;
            }
            return fail(res, server_error::bad_request);
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
        std::shared_ptr<session_type> s;
        bool is_upgrade = false;
        if (auto sid = http::raw_query_value(q, "sid")) {
            s = find(*sid);
            if (!s) {
                fail_upgrade(res, server_error::session_id_unknown);
                return upgrade_result::answered;
            }
            if (s->transport() != transport_kind::polling || !opts_.allow_upgrades) {
                fail_upgrade(res, server_error::bad_request);
                return upgrade_result::answered;
            }
            is_upgrade = true;
        } else {
            if (!check_version(req, res, true)) return upgrade_result::answered;
            if (!origin_allowed(req) || (opts_.allow_request && !opts_.allow_request(req))) {
                fail_upgrade(res, server_error::forbidden);
                return upgrade_result::answered;
            }
            s = create(transport_kind::websocket, req);
            if (!s) {
                fail_upgrade(res, server_error::bad_request);
                return upgrade_result::answered;
            }
        }
        std::string head;
        ws::append_accept_response(head, u.key, cookie_header(is_upgrade ? std::string_view{} : s->sid()));
        ws_opts_ = opts_.ws;
        ws_opts_.max_message_size = opts_.max_payload;
        ws_opts_.max_send_queue_bytes = opts_.max_buffered_bytes + opts_.max_payload;
        auto ws = std::make_shared<ws_session>(shard_, std::move(socket), ws_opts_, rest,
                                               typename session_type::ws_link{s});
        s->attach_websocket(ws.get(), is_upgrade);
        if (!is_upgrade) {
            // The open packet is the first frame (no upgrades offered on WebSocket).
            std::string open;
            s->append_open(open, true);
            ws::append_frame(head, ws::opcode::text, std::string_view(open));
        }
        ws->start(head);
        if (!is_upgrade) s->start();
        return upgrade_result::taken;
    }

    void unregister(const session_id& id) { sessions_.erase(id); }

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

    server_detail::shard& shard_;
    const eio::options& opts_;
    HandlerContext& ctx_;
    ws::session_options ws_opts_;
    std::unordered_map<session_id, std::shared_ptr<session_type>> sessions_;
};

}  // namespace duet::eio
