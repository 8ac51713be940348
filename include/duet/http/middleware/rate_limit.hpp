// duet/http/middleware/rate_limit.hpp — a fixed-window rate limiter (npm
// `express-rate-limit` 7 with its memory store) as a middleware entry.
//
// Owns: `duet::rate_limit<Message>(rate_limit_options)`: each client (req.ip(), so
// server_options.trust_proxy decides what a client is behind a proxy) may make `limit`
// requests per window; the window starts at its first request and lasts `window_ms`.
// Over the limit the request is answered `status` (429) with `Message` and
// `Retry-After` (seconds until the window ends), and routing stops. Headers, as
// express-rate-limit sets them:
// - legacy_headers (on by default, as there): X-RateLimit-Limit, X-RateLimit-Remaining,
//   X-RateLimit-Reset (the window's end, in Unix seconds);
// - standard_headers draft6: RateLimit-Policy "limit;w=seconds", RateLimit-Limit,
//   RateLimit-Remaining, RateLimit-Reset (seconds left); draft7: RateLimit-Policy and
//   "RateLimit: limit=L, remaining=R, reset=S".
//
//   duet::use<"/api">(duet::rate_limit({.window_ms = 15 * 60 * 1000, .limit = 100}))
//   duet::post<"/login">(duet::rate_limit<"Too many logins">({.limit = 5}), login)
//
// The counts are kept in memory per shard (each shard thread has its own map, no lock
// on the request path): with several shards a client whose connections land on
// different shards gets `limit` on each. Each table entry counts on its own, like
// each rateLimit() instance. Windows that ended are swept once per window, so the
// memory follows the clients seen in the last window.
#pragma once

#include <chrono>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include <duet/core/fixed_string.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>

namespace duet {

enum class rate_limit_headers : std::uint8_t { none, draft6, draft7 };

struct rate_limit_options {
    std::uint32_t window_ms = 60'000;  // express-rate-limit's windowMs
    std::uint32_t limit = 5;           // requests per window per client
    std::int16_t status = 429;
    rate_limit_headers standard_headers = rate_limit_headers::none;
    bool legacy_headers = true;        // X-RateLimit-*
};

inline constexpr char rate_limit_default_message[] = "Too many requests, please try again later.";

namespace http::rate_limit_detail {

struct window {
    std::uint32_t hits = 0;
    std::int64_t reset_ms = 0;  // Unix time in ms when the window ends
};
struct store {
    std::unordered_map<std::string, window> clients;
    std::int64_t next_sweep_ms = 0;
};

// This thread's (shard's) counts of the table entry at `owner`.
inline store& store_of(const void* owner) {
    thread_local std::unordered_map<const void*, store> stores;
    return stores[owner];
}

inline void set_number(response& res, std::string_view name, std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    res.set(name, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

}  // namespace http::rate_limit_detail

template <fixed_string Message>
struct rate_limit_middleware {
    // Public: the middleware is a structural type (a template argument of the table).
    rate_limit_options options;

    duet::flow operator()(http::request& req, http::response& res) const {
        namespace d = http::rate_limit_detail;
        const rate_limit_options& o = options;
        const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch()).count();
        d::store& s = d::store_of(this);
        if (now >= s.next_sweep_ms) {
            std::erase_if(s.clients, [now](const auto& kv) { return kv.second.reset_ms <= now; });
            s.next_sweep_ms = now + o.window_ms;
        }
        d::window& w = s.clients[req.ip()];
        if (w.reset_ms <= now) w = {0, now + o.window_ms};
        ++w.hits;
        const std::int64_t remaining = w.hits >= o.limit ? 0 : o.limit - w.hits;
        // Seconds until the window ends, rounded up (never negative).
        const std::int64_t reset_seconds = w.reset_ms > now ? (w.reset_ms - now + 999) / 1000 : 0;
        const std::int64_t window_seconds = (std::int64_t{o.window_ms} + 999) / 1000;
        if (o.legacy_headers) {
            d::set_number(res, "X-RateLimit-Limit", o.limit);
            d::set_number(res, "X-RateLimit-Remaining", remaining);
            d::set_number(res, "X-RateLimit-Reset", (w.reset_ms + 999) / 1000);
        }
        if (o.standard_headers != rate_limit_headers::none) {
            res.set("RateLimit-Policy", std::to_string(o.limit) + ";w=" + std::to_string(window_seconds));
            if (o.standard_headers == rate_limit_headers::draft6) {
                d::set_number(res, "RateLimit-Limit", o.limit);
                d::set_number(res, "RateLimit-Remaining", remaining);
                if (reset_seconds) d::set_number(res, "RateLimit-Reset", reset_seconds);
            } else {
                res.set("RateLimit", "limit=" + std::to_string(o.limit) + ", remaining=" + std::to_string(remaining) +
                                         ", reset=" + std::to_string(reset_seconds));
            }
        }
        if (w.hits <= o.limit) return duet::flow::next;
        d::set_number(res, "Retry-After", reset_seconds);
        res.status(o.status);
        res.send(Message.view());
        return duet::flow::done;
    }
};

template <fixed_string Message = rate_limit_default_message>
constexpr rate_limit_middleware<Message> rate_limit(rate_limit_options o = {}) {
    return rate_limit_middleware<Message>{o};
}

}  // namespace duet
