// duet/sio/encoder.hpp — Socket.IO v5 packet encoder (text part) and the
// JavaScript-compatible JSON writer it is built on.
//
// Owns: turning a packet into "<type>[<n>-][<nsp>,][<id>][<json>]", appended to a
// caller-owned std::string (keep one per connection or per broadcast: its capacity
// is reused, so steady-state encoding does not allocate). The attachments of a
// BINARY_EVENT/BINARY_ACK are not copied: the caller sends packet::attachments as
// the binary messages that follow, in order.
//
// The output is byte-identical to socket.io-parser (JSON.stringify) for the same
// value, which Boost.JSON's serializer is not (it writes 1.5 as "1.5E0"). Hence the
// writer below, which follows ECMAScript's rules:
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

#include <duet/sio/packet.hpp>

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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duet::sio {

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

// Length of the UTF-8 sequence starting at p (p < end, *p >= 0x80). Sets `valid`.
// When invalid, the length is that of the maximal ill-formed subpart (Unicode 3.9,
// "U+FFFD substitution of maximal subparts", also the WHATWG decoder's rule), at
// least 1.
inline std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end,
                                 bool& valid) noexcept {
    const unsigned char c = *p;
    std::size_t need;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) { need = 2; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEF) { need = 2; if (c == 0xED) hi = 0x9F; }
    else if (c == 0xF0) { need = 3; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) { need = 3; hi = 0x8F; }
    else { valid = false; return 1; }
    std::size_t i = 1;
    for (; i <= need; ++i) {
        if (p + i == end) { valid = false; return i; }
        const unsigned char b = p[i];
        if (b < lo || b > hi) { valid = false; return i; }
        lo = 0x80;
        hi = 0xBF;
    }
    valid = true;
    return i;
}

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
            const std::size_t n = detail::utf8_sequence(p, end, valid);
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

// The packet type actually written: an EVENT/ACK with attachments becomes
// BINARY_EVENT/BINARY_ACK, a BINARY_* without any becomes EVENT/ACK (the reference
// decoder rejects an attachment count of 0). Other types never carry attachments.
constexpr packet_type wire_type(packet_type t, std::size_t attachments) noexcept {
    if (is_event(t)) return attachments ? packet_type::binary_event : packet_type::event;
    if (is_ack(t)) return attachments ? packet_type::binary_ack : packet_type::ack;
    return t;
}

// Appends "<type>[<n>-][<nsp>,][<id>]". `type` is written as given (call
// wire_type() first if needed); the count is written for the BINARY_* types only;
// an empty or "/" namespace is omitted. Preconditions: a non-main `nsp` starts with
// '/' and holds no ',' (the peer splits on the first one); id <= max_ack_id.
inline void append_header(std::string& out, packet_type type, std::size_t attachments,
                          std::string_view nsp, std::optional<std::uint64_t> id) {
    out.push_back(to_char(type));
    if (is_binary(type)) {
        detail::append_integer(out, attachments);
        out.push_back('-');
    }
    if (!nsp.empty() && nsp != main_namespace) {
        out.append(nsp);
        out.push_back(',');
    }
    if (id) detail::append_integer(out, *id);
}

// Appends the text part of `p`; returns how many binary messages must follow it
// (p.attachments, in order; 0 when the packet is not binary). Attachments of a
// CONNECT, DISCONNECT or CONNECT_ERROR are ignored and not counted.
inline std::size_t encode_append(std::string& out, const packet& p) {
    const packet_type t = wire_type(p.type, p.attachments.size());
    const std::size_t n = is_binary(t) ? p.attachments.size() : 0;
    append_header(out, t, n, p.nsp, p.id);
    if (!p.data.is_null()) append_json(out, p.data);
    return n;
}

inline std::string encode(const packet& p) {
    std::string out;
    encode_append(out, p);
    return out;
}

// The hot path: appends `2[<nsp>,][<id>]["<event>",<args>...]` (or its BINARY_EVENT
// form when `attachments` > 0, the args then holding that many placeholders)
// without first building an array that holds the event name. A json::array
// converts to the span implicitly.
inline void encode_event_append(std::string& out, std::string_view nsp, std::string_view event,
                                std::span<const boost::json::value> args,
                                std::optional<std::uint64_t> id = std::nullopt,
                                std::size_t attachments = 0) {
    // A guess that covers short events in one step; with a reused buffer it is a
    // no-op, and when it does grow libstdc++ still at least doubles the capacity.
    out.reserve(out.size() + 24 + nsp.size() + event.size() + 16 * args.size());
    append_header(out, wire_type(packet_type::event, attachments), attachments, nsp, id);
    out.push_back('[');
    append_json_string(out, event);
    for (const auto& a : args) {
        out.push_back(',');
        append_json(out, a);
    }
    out.push_back(']');
}

// Appends `3[<nsp>,]<id>[<args>...]` (BINARY_ACK when `attachments` > 0).
inline void encode_ack_append(std::string& out, std::string_view nsp, std::uint64_t id,
                              std::span<const boost::json::value> args,
                              std::size_t attachments = 0) {
    out.reserve(out.size() + 24 + nsp.size() + 16 * args.size());
    append_header(out, wire_type(packet_type::ack, attachments), attachments, nsp, id);
    out.push_back('[');
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i) out.push_back(',');
        append_json(out, args[i]);
    }
    out.push_back(']');
}

}  // namespace duet::sio
