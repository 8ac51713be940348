// duet/session/express_format.hpp — the value express-session stores, as connect-redis
// 7 writes it (docs/REDIS_WIRE.md, "connect-redis 7 + express-session").
//
// Owns: JavaScript's Date#toISOString and its parsing back, express-session's
// `cookie` object (Cookie#toJSON: originalMaxAge, partitioned, priority, expires,
// secure, httpOnly, domain, path, sameSite, in that order, members that are
// undefined omitted), the stored value (`JSON.stringify(session)`: `cookie` first,
// then the session's own members in insertion order) and connect-redis' TTL rule
// (`ceil((cookie.expires - now) / 1000)`, the store's default TTL when the cookie
// has no expiry). Pure functions: unit-tested against values captured from Node.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <duet/core/json_writer.hpp>
#include <duet/http/cookie.hpp>

namespace duet::express {

using clock = std::chrono::system_clock;

// Date#toISOString: "2026-12-04T16:00:49.069Z" (milliseconds, UTC; years 0..9999).
inline std::string iso_date(clock::time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss<milliseconds> hms{ms - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    return buf;
}

// The ISO form Date#toISOString writes ("YYYY-MM-DDTHH:MM:SS[.fff]Z", 1 to 3
// fraction digits accepted); nullopt for anything else.
inline std::optional<clock::time_point> parse_iso_date(std::string_view s) {
    using namespace std::chrono;
    auto num = [&](std::size_t pos, std::size_t n, int& out) {
        if (pos + n > s.size()) return false;
        out = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, sec;
    if (s.size() < 20 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
        s[10] != 'T' || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) || s[16] != ':' || !num(17, 2, sec))
        return std::nullopt;
    std::size_t pos = 19;
    int frac_ms = 0;
    if (s[pos] == '.') {
        std::size_t digits = 0;
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (std::size_t i = digits; i < 3; ++i) frac_ms *= 10;
    }
    if (pos + 1 != s.size() || s[pos] != 'Z') return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    return clock::time_point(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi) + seconds(sec) +
                             milliseconds(frac_ms));
}

// What duet's session options say about the cookie, in express-session's terms.
struct cookie_attributes {
    std::chrono::milliseconds max_age{};  // originalMaxAge
    bool secure = false;                   // written only when true (Node's default leaves it undefined)
    bool http_only = true;
    std::string_view domain{};             // empty: omitted
    std::string_view path = "/";
    http::cookie_same_site same_site = http::cookie_same_site::unset;  // unset: omitted
};

inline std::string_view same_site_name(http::cookie_same_site s) noexcept {
    switch (s) {
        case http::cookie_same_site::lax: return "lax";
        case http::cookie_same_site::strict: return "strict";
        case http::cookie_same_site::none: return "none";
        case http::cookie_same_site::unset: break;
    }
    return {};
}

// The cookie object express-session would write for these attributes, expiring at `expires`.
inline boost::json::object make_cookie(const cookie_attributes& a, clock::time_point expires) {
    boost::json::object c;
    c["originalMaxAge"] = static_cast<std::int64_t>(a.max_age.count());
    c["expires"] = iso_date(expires);
    if (a.secure) c["secure"] = true;
    c["httpOnly"] = a.http_only;
    if (!a.domain.empty()) c["domain"] = a.domain;
    c["path"] = a.path;
    if (auto ss = same_site_name(a.same_site); !ss.empty()) c["sameSite"] = ss;
    return c;
}

// Saving a session: a cookie read from the store (written by Node or by duet) keeps
// its members and their order, with originalMaxAge and expires moved to this save
// (express-session's touch: expires = now + originalMaxAge); an empty one is built.
inline void update_cookie(boost::json::object& cookie, const cookie_attributes& a, clock::time_point expires) {
    if (cookie.empty()) {
        cookie = make_cookie(a, expires);
        return;
    }
    cookie["originalMaxAge"] = static_cast<std::int64_t>(a.max_age.count());
    cookie["expires"] = iso_date(expires);
}

// JSON.stringify(session): {"cookie":{...}, ...data}. A data member named "cookie"
// is not written (express-session reserves the name).
inline std::string stringify(const boost::json::object& cookie, const boost::json::object& data) {
    std::string out = "{\"cookie\":";
    json::append_json(out, boost::json::value(cookie));
    for (const auto& kv : data) {
        if (kv.key() == "cookie") continue;
        out += ',';
        json::append_json_string(out, kv.key());
        out += ':';
        json::append_json(out, kv.value());
    }
    out += '}';
    return out;
}

struct stored_session {
    boost::json::object cookie;
    boost::json::object data;
    std::optional<clock::time_point> expires;  // cookie.expires, when it is a date
};

// A stored value read back; nullopt when it is not a JSON object with an object
// `cookie` (express-session could not use it either).
inline std::optional<stored_session> parse(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    auto& o = v.get_object();
    auto* c = o.if_contains("cookie");
    if (!c || !c->is_object()) return std::nullopt;
    stored_session out;
    out.cookie = std::move(c->get_object());
    if (auto* e = out.cookie.if_contains("expires"); e && e->is_string()) out.expires = parse_iso_date(e->get_string());
    // Member by member: object::erase would move the last member into the gap, and
    // the order is part of what Node reads back.
    out.data.reserve(o.size() - 1);
    for (auto& kv : o)
        if (kv.key() != "cookie") out.data.emplace(kv.key(), std::move(kv.value()));
    return out;
}

// connect-redis' getTTL: seconds until cookie.expires rounded up, or the default
// when the cookie has no expiry. <= 0 means "delete instead of set".
inline long long ttl_seconds(std::optional<clock::time_point> expires, clock::time_point now,
                             std::chrono::seconds default_ttl) {
    if (!expires) return default_ttl.count();
    using namespace std::chrono;
    const long long ms = duration_cast<milliseconds>(*expires - now).count();
    // Math.ceil(ms / 1000)
    return ms > 0 ? (ms + 999) / 1000 : -((-ms) / 1000);
}

}  // namespace duet::express
