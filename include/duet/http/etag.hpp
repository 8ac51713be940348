// duet/http/etag.hpp — entity tags and conditional-request evaluation.
//
// Owns: the file ETag (`W/"<size hex>-<mtime ms hex>"`, byte-identical to npm
// `etag(fs.Stats)`, so caches primed by an Express server stay valid), the body ETag
// (`W/"<length hex>-<27 chars of base64 SHA-1>"`, npm `etag(body)`), entity-tag
// list matching for If-None-Match / If-Match / If-Range, and the three decisions a
// static or cached response needs:
//   fresh()               -> 304 Not Modified      (npm `fresh`)
//   precondition_failed() -> 412 Precondition Failed (`send`'s isPreconditionFailure)
//   if_range_matches()    -> honour Range or send 200 (`send`'s isRangeFresh)
// All take header values as string_views; an empty view means "header absent".
#pragma once

#include <openssl/sha.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <duet/core/base64.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/http_date.hpp>

namespace duet::http {

// W/ + " + 16 hex + - + sign + 16 hex + "
inline constexpr std::size_t stat_etag_max_size = 2 + 1 + 16 + 1 + 1 + 16 + 1;

struct etag_buffer {
    std::array<char, stat_etag_max_size> chars{};
    std::size_t size = 0;
    constexpr std::string_view view() const noexcept { return {chars.data(), size}; }
};

namespace detail {
constexpr char* put_hex(char* o, std::uint64_t v) noexcept {
    // Lower-case, no leading zeros, "0" for zero: JavaScript's Number#toString(16).
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    while (n > 0) *o++ = tmp[--n];
    return o;
}
}  // namespace detail

// The ETag npm `etag` gives an fs.Stats: size and mtime (milliseconds since the
// epoch) in lower-case hex, weak by default because equal size and mtime do not
// prove equal bytes. A negative mtime prints as "-<hex>", as JavaScript does.
constexpr etag_buffer stat_etag(std::uint64_t size, std::int64_t mtime_ms, bool weak = true) noexcept {
    etag_buffer b;
    char* o = b.chars.data();
    if (weak) {
        *o++ = 'W';
        *o++ = '/';
    }
    *o++ = '"';
    o = detail::put_hex(o, size);
    *o++ = '-';
    std::uint64_t m = static_cast<std::uint64_t>(mtime_ms);
    if (mtime_ms < 0) {
        *o++ = '-';
        m = 0 - m;  // well-defined for INT64_MIN too (unsigned negation)
    }
    o = detail::put_hex(o, m);
    *o++ = '"';
    b.size = static_cast<std::size_t>(o - b.chars.data());
    return b;
}

// mtime as a time point; milliseconds are truncated toward zero like JavaScript's
// Date built from stat's mtimeMs.
inline etag_buffer stat_etag(std::uint64_t size, std::chrono::system_clock::time_point mtime,
                             bool weak = true) noexcept {
    return stat_etag(
        size, std::chrono::duration_cast<std::chrono::milliseconds>(mtime.time_since_epoch()).count(), weak);
}

// `W/"x"` -> `"x"`; anything else unchanged.
constexpr std::string_view etag_opaque(std::string_view tag) noexcept {
    if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
    return tag;
}

constexpr bool etag_is_weak(std::string_view tag) noexcept {
    return tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/';
}

// RFC 9110 8.8.3.2 weak comparison: the opaque tags match, W/ or not.
constexpr bool etag_weak_equals(std::string_view a, std::string_view b) noexcept {
    return etag_opaque(a) == etag_opaque(b);
}

// RFC 9110 strong comparison: neither is weak and they are identical.
constexpr bool etag_strong_equals(std::string_view a, std::string_view b) noexcept {
    return !etag_is_weak(a) && !etag_is_weak(b) && a == b;
}

// True if the entity-tag list `list` (If-None-Match, If-Match) contains `*` or a tag
// weakly equal to `etag`. The list is walked quote-aware, because a comma is a legal
// character inside an opaque tag (`"a,b"` is one tag, not two). An element that is
// not a valid entity-tag (unquoted garbage) is compared as written, after trimming,
// the way npm `fresh` compares its comma-split pieces. An empty `etag` matches only `*`.
constexpr bool etag_list_matches(std::string_view list, std::string_view etag) noexcept {
    const std::string_view want = etag_opaque(trim_ows(etag));
    std::size_t i = 0;
    const std::size_t n = list.size();
    while (i < n) {
        while (i < n && (list[i] == ',' || is_ows(list[i]))) ++i;
        if (i == n) break;
        const std::size_t start = i;
        std::string_view elem;
        if (list[i] == '"' || (n - i >= 3 && list[i] == 'W' && list[i + 1] == '/' && list[i + 2] == '"')) {
            const std::size_t open = list[i] == '"' ? i : i + 2;
            const std::size_t close = list.find('"', open + 1);
            if (close == std::string_view::npos) {
                elem = trim_ows(list.substr(start));  // unterminated: compare what is there
                i = n;
            } else {
                elem = list.substr(start, close + 1 - start);
                i = close + 1;
            }
        } else {
            const std::size_t comma = list.find(',', i);
            elem = trim_ows(list.substr(start, comma == std::string_view::npos ? n - start : comma - start));
            i = comma == std::string_view::npos ? n : comma;
        }
        if (elem == "*") return true;
        if (!want.empty() && etag_opaque(elem) == want) return true;
    }
    return false;
}

// The ETag npm `etag` gives a body (what Express's res.send sets): the length in hex
// and the first 27 characters of the base64 SHA-1 of the bytes, weak (W/) by default
// as Express's "etag" setting is. Appends to `out`.
inline void append_body_etag(std::string& out, std::string_view body, bool weak = true) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
    char hex[16];
    auto r = std::to_chars(hex, hex + sizeof hex, body.size(), 16);
    if (weak) out.append("W/", 2);
    out.push_back('"');
    out.append(hex, r.ptr).push_back('-');
    const std::size_t at = out.size();
    base64::encode_append(out, std::as_bytes(std::span(digest)));
    out.resize(at + 27);
    out.push_back('"');
}

// The request's conditional headers (empty = absent).
struct request_conditions {
    std::string_view if_none_match{};
    std::string_view if_modified_since{};
    std::string_view cache_control{};
    std::string_view if_match{};
    std::string_view if_unmodified_since{};
};

// The response's validators as they are (or will be) sent (empty = absent).
struct response_validators {
    std::string_view etag{};
    std::string_view last_modified{};  // an HTTP date
};

// npm `fresh` 2.0: true if the client's cached copy is still good (answer 304).
// - neither If-None-Match nor If-Modified-Since: not fresh;
// - `no-cache` in the request's Cache-Control (an end-to-end reload): not fresh
//   (matched case-insensitively, as RFC 9111 directive names are; `fresh` is
//   case-sensitive — the difference can only turn a 304 into a 200);
// - If-None-Match, when present, decides alone (RFC 9110 13.2.2: If-Modified-Since
//   is then ignored): `*` is fresh, otherwise the ETag must be listed (weak
//   comparison) and an absent ETag is not fresh;
// - else If-Modified-Since needs a Last-Modified no later than it; an unparsable
//   date on either side means not fresh.
constexpr bool fresh(const request_conditions& req, const response_validators& res) noexcept {
    const std::string_view inm = trim_ows(req.if_none_match);
    const std::string_view ims = trim_ows(req.if_modified_since);
    if (inm.empty() && ims.empty()) return false;
    if (token_list_contains(req.cache_control, "no-cache")) return false;
    if (!inm.empty()) {
        if (inm == "*") return true;
        if (trim_ows(res.etag).empty()) return false;
        return etag_list_matches(inm, res.etag);
    }
    const auto lm = parse_http_date(res.last_modified);
    const auto since = parse_http_date(ims);
    return lm && since && *lm <= *since;
}

// `send`'s precondition check: true means answer 412.
// - If-Match: fails without an ETag, passes for `*`, else needs a listed tag (weak
//   comparison, as `send` does — RFC 9110 asks for strong, which a weak file ETag
//   could never satisfy);
// - otherwise If-Unmodified-Since (when it parses): fails if Last-Modified is missing,
//   unparsable, or later.
constexpr bool precondition_failed(const request_conditions& req, const response_validators& res) noexcept {
    const std::string_view im = trim_ows(req.if_match);
    if (!im.empty()) {
        if (trim_ows(res.etag).empty()) return true;
        if (im == "*") return false;
        return !etag_list_matches(im, res.etag);
    }
    if (const auto ius = parse_http_date(req.if_unmodified_since)) {
        const auto lm = parse_http_date(res.last_modified);
        return !lm || *lm > *ius;
    }
    return false;
}

// `send`'s If-Range check: true means the Range header may be honoured, false means
// the representation changed and the whole of it goes out with 200.
// - absent: true;
// - an entity tag (contains '"'): true if it is exactly the ETag, W/ included. RFC
//   9110 wants a strong match, which a weak file ETag never gives; like `send`, the
//   tag a browser echoes back byte-for-byte is accepted;
// - otherwise an HTTP date: true if Last-Modified is no later than it.
constexpr bool if_range_matches(std::string_view if_range, const response_validators& res) noexcept {
    if_range = trim_ows(if_range);
    if (if_range.empty()) return true;
    if (if_range.find('"') != std::string_view::npos) {
        const std::string_view etag = trim_ows(res.etag);
        return !etag.empty() && if_range == etag;
    }
    const auto lm = parse_http_date(res.last_modified);
    const auto since = parse_http_date(if_range);
    return lm && since && *lm <= *since;
}

}  // namespace duet::http
