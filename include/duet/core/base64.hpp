// duet/core/base64.hpp — RFC 4648 base64 (standard and URL-safe alphabets).
//
// Owns: encoding/decoding used by the WebSocket handshake (Sec-WebSocket-Accept),
// Engine.IO polling binary packets ("b" prefix) and session id generation.
// Pure functions over bytes; decoding reports malformed input instead of guessing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace duet::base64 {

enum class alphabet { standard, url };

namespace detail {
inline constexpr char standard_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr char url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for a valid character, 0xFF otherwise. Accepts both alphabets so that a
// decoder is tolerant of either spelling of the two last symbols.
inline constexpr std::array<std::uint8_t, 256> decode_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = 0xFF;
    for (int i = 0; i < 64; ++i) {
        t[static_cast<unsigned char>(standard_chars[i])] = static_cast<std::uint8_t>(i);
        t[static_cast<unsigned char>(url_chars[i])] = static_cast<std::uint8_t>(i);
    }
    return t;
}();
}  // namespace detail

inline constexpr std::size_t encoded_size(std::size_t n, bool pad = true) noexcept {
    return pad ? (n + 2) / 3 * 4 : (n * 4 + 2) / 3;
}

// Appends the encoding of `in` to `out`.
inline void encode_append(std::string& out, std::span<const std::byte> in,
                          alphabet a = alphabet::standard, bool pad = true) {
    const char* chars = a == alphabet::standard ? detail::standard_chars : detail::url_chars;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t n = in.size();
    std::size_t start = out.size();
    out.resize(start + encoded_size(n, pad));
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
        *o++ = chars[(v >> 18) & 63];
        *o++ = chars[(v >> 12) & 63];
        *o++ = chars[(v >> 6) & 63];
        *o++ = chars[v & 63];
    }
    if (std::size_t rest = n - i; rest) {
        std::uint32_t v = std::uint32_t{p[i]} << 16;
        if (rest == 2) v |= std::uint32_t{p[i + 1]} << 8;
        *o++ = chars[(v >> 18) & 63];
        *o++ = chars[(v >> 12) & 63];
        if (rest == 2) *o++ = chars[(v >> 6) & 63];
        else if (pad) *o++ = '=';
        if (pad) *o++ = '=';
    }
}

inline std::string encode(std::span<const std::byte> in, alphabet a = alphabet::standard,
                          bool pad = true) {
    std::string out;
    encode_append(out, in, a, pad);
    return out;
}

inline std::string encode(std::string_view in, alphabet a = alphabet::standard, bool pad = true) {
    return encode(std::as_bytes(std::span(in.data(), in.size())), a, pad);
}

// Appends the decoded bytes of `in` to `out`. Padding is optional, but when present
// it must be correct; any character outside the alphabet, or a length that cannot
// come from an encoder (4k+1 symbols), makes the whole input invalid (returns false,
// `out` is left with its original size).
template <class ByteContainer>
bool decode_append(ByteContainer& out, std::string_view in) {
    std::size_t n = in.size();
    if (n % 4 == 0 && n >= 4) {
        if (in[n - 1] == '=') --n;
        if (in[n - 1] == '=') --n;
    }
    if (n % 4 == 1) return false;
    const std::size_t start = out.size();
    out.resize(start + n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0));
    auto* o = reinterpret_cast<unsigned char*>(out.data()) + start;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        std::uint32_t a = detail::decode_table[static_cast<unsigned char>(in[i])];
        std::uint32_t b = detail::decode_table[static_cast<unsigned char>(in[i + 1])];
        std::uint32_t c = detail::decode_table[static_cast<unsigned char>(in[i + 2])];
        std::uint32_t d = detail::decode_table[static_cast<unsigned char>(in[i + 3])];
        if ((a | b | c | d) & 0x80) { out.resize(start); return false; }
        std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        *o++ = static_cast<unsigned char>(v >> 16);
        *o++ = static_cast<unsigned char>(v >> 8);
        *o++ = static_cast<unsigned char>(v);
    }
    if (std::size_t rest = n - i; rest) {
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < rest; ++k) {
            std::uint32_t s = detail::decode_table[static_cast<unsigned char>(in[i + k])];
            if (s & 0x80) { out.resize(start); return false; }
            v |= s << (18 - 6 * k);
        }
        *o++ = static_cast<unsigned char>(v >> 16);
        if (rest == 3) *o++ = static_cast<unsigned char>(v >> 8);
    }
    return true;
}

inline std::optional<std::string> decode(std::string_view in) {
    std::string out;
    if (!decode_append(out, in)) return std::nullopt;
    return out;
}

}  // namespace duet::base64
