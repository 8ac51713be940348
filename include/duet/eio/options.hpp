// duet/eio/options.hpp — every option of the Engine.IO server (socket.io's server
// options at the engine level), with the reference server's defaults.
//
// Owns: heartbeat timing, payload and queue limits, allowed transports and upgrades,
// CORS for the long-polling requests, the `io` cookie, and the allow-request hook that
// can refuse a handshake (origin or auth checks). README "Engine.IO options" documents
// each.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <duet/http/ascii.hpp>
#include <duet/http/cookie.hpp>
#include <duet/http/request.hpp>
#include <duet/ws/options.hpp>

namespace duet::eio {

// Whether `origin` is one of the comma-separated `list` (exact match, whitespace
// around entries ignored). "*" allows any. Used by the handshake's origin check and
// by CORS.
inline bool origin_in_list(std::string_view list, std::string_view origin) noexcept {
    for (auto o : http::list_elements(list))
        if (o == "*" || o == origin) return true;
    return false;
}

struct cors_options {
    // "" = no CORS headers; "*" = any origin; else a comma-separated list of allowed
    // origins ("https://a.example,https://b.example"), echoed back when matched.
    std::string origin;
    // Access-Control-Allow-Credentials: true (cookies on cross-origin polling). With
    // origin "*" the request's Origin is echoed, as browsers refuse "*" with credentials.
    bool credentials = false;
};

// engine.io's httpCompression: long-polling answers of at least `threshold` bytes are
// sent gzip- or deflate-encoded when the request's Accept-Encoding allows it (chosen as
// engine.io chooses, http::negotiate_encoding). On by default, as in engine.io.
struct http_compression_options {
    bool enabled = true;
    std::size_t threshold = 1024;
};

struct cookie_options {
    bool enabled = false;  // the reference sends no cookie unless configured
    std::string name = "io";
    std::string path = "/";
    bool http_only = true;
    http::cookie_same_site same_site = http::cookie_same_site::lax;
};

struct options {
    std::chrono::milliseconds ping_interval{25'000};
    std::chrono::milliseconds ping_timeout{20'000};
    // Time a client has to finish a polling → WebSocket upgrade after its probe.
    std::chrono::milliseconds upgrade_timeout{10'000};
    // Largest message or polling POST body accepted (maxHttpBufferSize); over it the
    // session is closed over WebSocket (close 1009); a polling POST gets 413 and its
    // body is dropped (the session goes on, as in engine.io).
    std::size_t max_payload = 1'000'000;
    // Bytes queued for one client (polling queue or WebSocket send queue); over it the
    // client is a slow consumer and its session is closed, logged.
    std::size_t max_buffered_bytes = 8 * 1024 * 1024;
    bool polling = true;
    bool websocket = true;
    // Whether a polling handshake offers the upgrade to WebSocket. Like engine.io's
    // allowUpgrades it decides the offer only: a client that probes anyway is upgraded.
    bool allow_upgrades = true;
    http_compression_options http_compression;
    // engine.io's perMessageDeflate: WebSocket permessage-deflate (RFC 7692) with the
    // clients that offer it; off by default as in engine.io. Messages of at least
    // `threshold` bytes (1024) go out deflated; compressed messages from the client are
    // inflated up to max_payload (1009 beyond).
    ws::permessage_deflate_options per_message_deflate;
    cors_options cors;
    // Origins allowed to open a session ("" = any): a handshake whose Origin header is
    // not in this comma-separated list is refused with 403 {"code":4,"message":"Forbidden"},
    // so another site's page cannot open a socket with the user's cookies. A request
    // without Origin (not from a browser) is allowed.
    std::string allowed_origins;
    cookie_options cookie;
    // Called for every handshake (a request without sid); false refuses it with 403
    // {"code":4,"message":"Forbidden"}. Runs once per connection, not per message.
    std::function<bool(const http::request&)> allow_request;
    // The WebSocket layer's own bounds (close timeout, write timeout). Its message and
    // queue limits are taken from max_payload and max_buffered_bytes.
    ws::connection_options ws;
};

}  // namespace duet::eio
