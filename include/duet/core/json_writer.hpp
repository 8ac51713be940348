// duet/core/json_writer.hpp — JSON text exactly as JavaScript's JSON.stringify writes it.
//
// Owns: `append_json` / `append_json_string`, used by every JSON duet writes —
// `res.json()` over HTTP and Socket.IO packets alike — so that a value prints the same
// on both sides and byte-identical to a Node server (JSON.stringify), which Boost.JSON's
// serializer is not (it writes 1.5 as "1.5E0" and 100.0 as "1E2"). The rules:
//  - strings: escapes `"` `\` \b \t \n \f \r, other C0 controls as \u00xx (lower
//    case); everything else, DEL and U+2028/9 included, is copied as UTF-8. Bytes
//    that are not UTF-8 (possible only in strings built in C++) become U+FFFD, one
//    per maximal ill-formed subsequence, exactly what a peer's UTF-8 decoder would
//    make of them.
//  - numbers: integers print exactly; doubles use the shortest round-trip digits laid
//    out as Number.prototype.toString does (1e21, 1.5, 1e-7, 100); NaN and infinities
//    print as null; -0 as 0. An int64/uint64 beyond 2^53 prints exactly although a
//    JavaScript peer will round it when parsing.
//  - objects: members in insertion order, except that keys which are array indices
//    ("0", "17", not "01") come first in ascending numeric order, as in JavaScript.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <duet/core/utf8.hpp>

namespace duet::json {

namespace detail {

// 0: copied as is; 1: ASCII that must be escaped; 2: first byte of a multi-byte (or
// invalid) UTF-8 sequence, to be validated.
inline constexpr std::array<std::uint8_t, 256> json_char_class = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 1;
    t['"'] = 1;
    t['\\'] = 1;
    for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
    return t;
}();

template <class Int>
inline void append_integer(std::string& out, Int v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// Number.prototype.toString(10) for a finite double (ECMA-262 Number::toString).
inline void append_double(std::string& out, double v) {
    if (!std::isfinite(v)) { out.append("null"); return; }
    if (v == 0) { out.push_back('0'); return; }  // +0 and -0
    // Shortest round-trip digits, as "d[.ddd]e±x". to_chars picks, among the
    // shortest, the digits closest to the value, which is ECMAScript's choice too.
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const char* p = buf;
    if (*p == '-') { out.push_back('-'); ++p; }
    char digits[20];
    int k = 0;
    for (; p != r.ptr && *p != 'e'; ++p)
        if (*p != '.') digits[k++] = *p;
    int e = 0;
    std::from_chars(p + 1 + (p[1] == '+'), r.ptr, e);
    const int n = e + 1;  // value = 0.digits * 10^n
    if (k <= n && n <= 21) {
        out.append(digits, static_cast<std::size_t>(k));
        out.append(static_cast<std::size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out.append(digits, static_cast<std::size_t>(n));
        out.push_back('.');
        out.append(digits + n, static_cast<std::size_t>(k - n));
    } else if (-6 < n && n <= 0) {
        out.append("0.");
        out.append(static_cast<std::size_t>(-n), '0');
        out.append(digits, static_cast<std::size_t>(k));
    } else {
        out.push_back(digits[0]);
        if (k > 1) {
            out.push_back('.');
            out.append(digits + 1, static_cast<std::size_t>(k - 1));
        }
        out.push_back('e');
        out.push_back(n - 1 < 0 ? '-' : '+');
        append_integer(out, n - 1 < 0 ? 1 - n : n - 1);
    }
}

// True when `key` is an ECMAScript array index: canonical decimal ("0" or no leading
// zero) of a value below 2^32 - 1. Such keys are enumerated first, in numeric order.
inline bool array_index_key(std::string_view key, std::uint32_t& index) noexcept {
    if (key.empty() || key.size() > 10) return false;
    if (key[0] == '0') { index = 0; return key.size() == 1; }
    std::uint64_t v = 0;
    for (char c : key) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v >= 0xFFFF'FFFFu) return false;
    index = static_cast<std::uint32_t>(v);
    return true;
}

}  // namespace detail

// Bytes append_json_string writes for `s`, quotes included: exact for valid UTF-8
// (invalid bytes may widen to U+FFFD). constexpr, for precomputed reservations.
constexpr std::size_t string_size(std::string_view s) noexcept {
    std::size_t n = 2;
    for (unsigned char c : s) {
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') n += 2;
        else n += c < 0x20 ? 6 : 1;
    }
    return n;
}

// Appends `s` as a JSON string literal (JSON.stringify rules, see the top).
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* const end = p + s.size();
    const auto* run = p;  // start of the bytes not yet copied
    auto flush = [&] { out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run)); };
    while (p != end) {
        const auto cls = detail::json_char_class[*p];
        if (cls == 0) { ++p; continue; }
        if (cls == 2) {
            bool valid;
            const std::size_t n = utf8_sequence(p, end, valid);
            if (valid) { p += n; continue; }
            flush();
            out.append("\xEF\xBF\xBD");  // U+FFFD
            p += n;
            run = p;
            continue;
        }
        flush();
        const unsigned char c = *p++;
        run = p;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\t': esc[1] = 't'; break;
            case '\n': esc[1] = 'n'; break;
            case '\f': esc[1] = 'f'; break;
            case '\r': esc[1] = 'r'; break;
            default:
                esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
                esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
                out.append(esc, 6);
                continue;
        }
        out.append(esc, 2);
    }
    flush();
    out.push_back('"');
}

// Appends `v` as JSON text (JSON.stringify rules, see the top). Recursion depth is
// the nesting depth of `v`.
inline void append_json(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: out.append("null"); return;
        case boost::json::kind::bool_: out.append(v.get_bool() ? "true" : "false"); return;
        case boost::json::kind::int64: detail::append_integer(out, v.get_int64()); return;
        case boost::json::kind::uint64: detail::append_integer(out, v.get_uint64()); return;
        case boost::json::kind::double_: detail::append_double(out, v.get_double()); return;
        case boost::json::kind::string: {
            const auto& s = v.get_string();
            append_json_string(out, {s.data(), s.size()});
            return;
        }
        case boost::json::kind::array: {
            const auto& a = v.get_array();
            out.push_back('[');
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (i) out.push_back(',');
                append_json(out, a[i]);
            }
            out.push_back(']');
            return;
        }
        case boost::json::kind::object: {
            const auto& o = v.get_object();
            out.push_back('{');
            bool first = true;
            auto member = [&](const boost::json::key_value_pair& kv) {
                if (!first) out.push_back(',');
                first = false;
                append_json_string(out, {kv.key().data(), kv.key().size()});
                out.push_back(':');
                append_json(out, kv.value());
            };
            // Fast path: no key starts with a digit, so none is an array index and
            // insertion order is JavaScript's order.
            bool any_index = false;
            for (const auto& kv : o) {
                const auto k = kv.key();
                if (!k.empty() && k[0] >= '0' && k[0] <= '9') { any_index = true; break; }
            }
            if (!any_index) {
                for (const auto& kv : o) member(kv);
            } else {
                std::vector<std::pair<std::uint32_t, const boost::json::key_value_pair*>> indexed;
                for (const auto& kv : o) {
                    std::uint32_t i;
                    if (detail::array_index_key({kv.key().data(), kv.key().size()}, i))
                        indexed.emplace_back(i, &kv);
                }
                std::sort(indexed.begin(), indexed.end(),
                          [](const auto& a, const auto& b) { return a.first < b.first; });
                for (const auto& [i, kv] : indexed) member(*kv);
                for (const auto& kv : o) {
                    std::uint32_t i;
                    if (!detail::array_index_key({kv.key().data(), kv.key().size()}, i)) member(kv);
                }
            }
            out.push_back('}');
            return;
        }
    }
}

}  // namespace duet::json
