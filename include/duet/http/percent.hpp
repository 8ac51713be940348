// duet/http/percent.hpp — percent-decoding and percent-encoding of URL parts.
//
// Owns: `%XY` decoding (strict for paths and route parameters, lenient for query
// strings), the allocation-free "does this decode to that?" comparison used by query
// and cookie lookups, and the two encoders Express uses: encodeURIComponent (cookie
// values, query components) and `encodeurl` (a whole URL for a Location header,
// keeping escapes that are already there).
//
// Bytes in, bytes out. Decoding does NOT validate UTF-8 (decodeURIComponent would
// throw on `%FF`; here `%FF` is the byte 0xFF): a caller that needs text checks it.
// `%00` decodes to a NUL byte on purpose (it is a valid escape); anything that hands
// a decoded string to the filesystem or a C API must reject NUL itself, as `send`
// does with a 400.
//
// The *_append functions grow `out` before reading `in`, so `in` must not be a view
// into `out` itself (the same holds for every *_append built on them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <duet/http/ascii.hpp>

namespace duet::http {

// True if decoding `in` could change it: it holds a '%' (or a '+' when '+' means
// space). Lets callers hand out a view of the raw bytes instead of a decoded copy.
constexpr bool needs_decoding(std::string_view in, bool plus_as_space = false) noexcept {
    for (char c : in)
        if (c == '%' || (plus_as_space && c == '+')) return true;
    return false;
}

namespace detail {
// Shared decoder core. The output can only shrink (3 bytes -> 1), so one resize up
// front and a raw write pointer replace per-byte push_back.
template <bool Strict>
inline bool percent_decode_into(std::string& out, std::string_view in, bool plus_as_space) {
    const std::size_t start = out.size();
    out.resize(start + in.size());
    char* o = out.data() + start;
    const char* p = in.data();
    const char* const end = p + in.size();
    while (p != end) {
        const char c = *p;
        if (c == '%') {
            if (end - p >= 3) {
                const int hi = hex_value(p[1]);
                const int lo = hex_value(p[2]);
                if ((hi | lo) >= 0) {  // both are 0..15 (a -1 makes the OR negative)
                    *o++ = static_cast<char>((hi << 4) | lo);
                    p += 3;
                    continue;
                }
            }
            if constexpr (Strict) {
                out.resize(start);
                return false;
            }
            *o++ = '%';  // lenient: the '%' and what follows stay as they were
            ++p;
            continue;
        }
        *o++ = (plus_as_space && c == '+') ? ' ' : c;
        ++p;
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
    return true;
}
}  // namespace detail

// Strict decoding: a '%' not followed by two hex digits (`%`, `%4`, `%zz`) makes the
// whole input invalid; returns false and leaves `out` as it was. Use for paths and
// route parameters, where Express answers a malformed escape with 400.
inline bool percent_decode_append(std::string& out, std::string_view in, bool plus_as_space = false) {
    if (!needs_decoding(in, plus_as_space)) {
        out.append(in);
        return true;
    }
    return detail::percent_decode_into<true>(out, in, plus_as_space);
}

// Lenient decoding: malformed escapes are copied through unchanged and valid ones
// around them are still decoded (`100%+sure%21` -> `100% sure!`). This is what
// Node's querystring.unescape falls back to, and what Express 5's default query
// parser therefore produces. Never fails.
inline void percent_decode_lenient_append(std::string& out, std::string_view in,
                                          bool plus_as_space = false) {
    if (!needs_decoding(in, plus_as_space)) {
        out.append(in);
        return;
    }
    detail::percent_decode_into<false>(out, in, plus_as_space);
}

inline std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space = false) {
    std::string out;
    if (!percent_decode_append(out, in, plus_as_space)) return std::nullopt;
    return out;
}

// True if lenient-decoding `encoded` yields exactly `decoded`, without building the
// decoded string: how query keys and cookie names are matched against a lookup key.
constexpr bool percent_decoded_equals(std::string_view encoded, std::string_view decoded,
                                      bool plus_as_space = false) noexcept {
    std::size_t i = 0, j = 0;
    const std::size_t n = encoded.size(), m = decoded.size();
    while (i < n) {
        if (j == m) return false;
        char c = encoded[i];
        if (c == '%' && n - i >= 3) {
            const int hi = hex_value(encoded[i + 1]);
            const int lo = hex_value(encoded[i + 2]);
            if ((hi | lo) >= 0) {
                c = static_cast<char>((hi << 4) | lo);
                i += 2;
            }
        } else if (plus_as_space && c == '+') {
            c = ' ';
        }
        if (c != decoded[j]) return false;
        ++i;
        ++j;
    }
    return j == m;
}

// Which bytes an encoder leaves alone.
enum class encode_set : std::uint8_t {
    // encodeURIComponent: keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and escapes the rest.
    // For one component: a query key or value, a cookie value, a path segment.
    component,
    // npm `encodeurl` (Express's res.location / res.redirect): keeps every character
    // that may appear in a URL, keeps `%XY` escapes that are already there, escapes
    // a '%' that does not start one as `%25`, and escapes controls, space,
    // " < > \ ^ ` { | } DEL and every byte >= 0x80. The result can never break out
    // of a header line.
    url,
};

namespace detail {
inline constexpr std::array<bool, 256> keep_component = [] {
    std::array<bool, 256> t{};
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (char c : std::string_view("-_.!~*'()")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

// '%' is handled separately (kept only in front of two hex digits).
inline constexpr std::array<bool, 256> keep_url = [] {
    std::array<bool, 256> t{};
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (char c : std::string_view("!#$&'()*+,-./:;=?@[]_~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

inline constexpr char upper_hex[] = "0123456789ABCDEF";

constexpr bool url_keeps(std::string_view in, std::size_t i) noexcept {
    const char c = in[i];
    if (c == '%') return in.size() - i >= 3 && is_hex_digit(in[i + 1]) && is_hex_digit(in[i + 2]);
    return keep_url[static_cast<unsigned char>(c)];
}
}  // namespace detail

// Appends the encoding of `in` to `out`. Escapes use upper-case hex, as JavaScript's
// encoders do (so a Set-Cookie or Location header is byte-identical to Express's).
// Two passes: size first, then one resize and raw writes.
inline void percent_encode_append(std::string& out, std::string_view in,
                                  encode_set set = encode_set::component) {
    const bool url = set == encode_set::url;
    std::size_t extra = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const bool keep = url ? detail::url_keeps(in, i)
                              : detail::keep_component[static_cast<unsigned char>(in[i])];
        if (!keep) extra += 2;
    }
    if (extra == 0) {
        out.append(in);
        return;
    }
    const std::size_t start = out.size();
    out.resize(start + in.size() + extra);
    char* o = out.data() + start;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto b = static_cast<unsigned char>(in[i]);
        const bool keep = url ? detail::url_keeps(in, i) : detail::keep_component[b];
        if (keep) {
            *o++ = static_cast<char>(b);
        } else {
            *o++ = '%';
            *o++ = detail::upper_hex[b >> 4];
            *o++ = detail::upper_hex[b & 15];
        }
    }
}

inline std::string percent_encode(std::string_view in, encode_set set = encode_set::component) {
    std::string out;
    percent_encode_append(out, in, set);
    return out;
}

}  // namespace duet::http
