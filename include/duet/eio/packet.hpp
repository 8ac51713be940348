// duet/eio/packet.hpp — one Engine.IO v4 packet: its types and its single-packet
// encodings over both transports.
//
// Owns: packet_type, the packet view, decoding one packet from its text form (type
// digit + data, or 'b' + base64 for binary) and from a WebSocket binary frame, and
// encoding one packet for HTTP long-polling and for WebSocket.
//
// Wire forms (engine.io-protocol v4, "Packet encoding"):
//   text packet, any transport     <type digit>[data]          e.g. "4hello", "2probe"
//   binary message over polling    'b' + base64(data)          e.g. "bAQIDBA=="
//   binary message over WebSocket  the bytes, as a binary frame: no type byte at all
// Only message packets carry binary data; a binary packet is always a message.
//
// Ownership: a decoded packet never owns its bytes. Text data is a view into the
// caller's input; binary data from base64 is a view into a caller-provided scratch
// buffer, which is cleared and refilled by each decode (so one buffer, reused, costs
// no allocation once it has grown). Copy what you keep before decoding the next
// packet into the same scratch buffer.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <duet/core/base64.hpp>
#include <duet/eio/error.hpp>
#include <duet/core/utf8.hpp>  // the same RFC 3629 check as WebSocket text frames

namespace duet::eio {

enum class packet_type : std::uint8_t {
    open = 0,
    close = 1,
    ping = 2,
    pong = 3,
    message = 4,
    upgrade = 5,
    noop = 6,
};

// Prefix of a base64 binary packet in the text form (polling).
inline constexpr char binary_prefix = 'b';
// Payload of the ping/pong exchanged on a WebSocket during the upgrade.
inline constexpr std::string_view probe = "probe";

constexpr char type_char(packet_type t) noexcept {
    return static_cast<char>('0' + static_cast<std::uint8_t>(t));
}

// '0'..'6' -> type; anything else (including 'b') -> nullopt.
constexpr std::optional<packet_type> parse_type_char(char c) noexcept {
    if (c < '0' || c > '6') return std::nullopt;
    return static_cast<packet_type>(c - '0');
}

// The reference implementation's name of each type ("open", "close", ...), for logs.
constexpr std::string_view name(packet_type t) noexcept {
    switch (t) {
        case packet_type::open: return "open";
        case packet_type::close: return "close";
        case packet_type::ping: return "ping";
        case packet_type::pong: return "pong";
        case packet_type::message: return "message";
        case packet_type::upgrade: return "upgrade";
        case packet_type::noop: return "noop";
    }
    return "unknown";
}

// The one-character prefix of a text packet, as a view into static storage. Lets a
// transport send "<digit><data>" as a two-piece gather write without copying data
// (e.g. a broadcast message encoded once and shared by every recipient).
constexpr std::string_view type_prefix(packet_type t) noexcept {
    constexpr std::string_view digits = "0123456";
    return digits.substr(static_cast<std::uint8_t>(t), 1);
}

// A packet, decoded or to be encoded. Views only; see "Ownership" above.
struct packet {
    packet_type type = packet_type::message;
    bool binary = false;     // true: `data` holds raw bytes (type is then message)
    std::string_view data;   // text (UTF-8) or raw bytes

    static constexpr packet text(packet_type t, std::string_view d = {}) noexcept {
        return {t, false, d};
    }
    static packet binary_message(std::span<const std::byte> bytes) noexcept {
        return {packet_type::message, true,
                std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())};
    }

    std::span<const std::byte> bytes() const noexcept { return std::as_bytes(std::span(data)); }

    friend bool operator==(const packet&, const packet&) = default;
};

// A ping or pong carrying "probe" (the WebSocket upgrade handshake).
constexpr bool is_probe(const packet& p) noexcept {
    return !p.binary && (p.type == packet_type::ping || p.type == packet_type::pong) &&
           p.data == probe;
}

// What the scratch buffer of a decode must offer: contiguous one-byte elements that
// can be cleared and resized (std::string, std::vector<char|unsigned char|std::byte>).
template <class B>
concept byte_buffer = requires(B& b, std::size_t n) {
    b.clear();
    b.resize(n);
    { b.size() } -> std::convertible_to<std::size_t>;
    { b.data() };
} && sizeof(*std::declval<B&>().data()) == 1;

namespace detail {

// Accepts exactly what base64::decode_append accepts, without producing output: lets
// a whole payload be checked before any packet of it is delivered.
inline bool valid_base64(std::string_view in) noexcept {
    std::size_t n = in.size();
    if (n % 4 == 0 && n >= 4) {
        if (in[n - 1] == '=') --n;
        if (in[n - 1] == '=') --n;
    }
    if (n % 4 == 1) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (base64::detail::decode_table[static_cast<unsigned char>(in[i])] & 0x80) return false;
    return true;
}

}  // namespace detail

struct decode_options {
    // Reject a text packet that is not UTF-8. Keep it on for polling bodies: nothing
    // else checks them, and a text message relayed to a WebSocket client as a text
    // frame must be UTF-8 or that client fails its connection. Turn it off only for
    // WebSocket text frames, which the ws layer has already validated.
    bool validate_utf8 = true;
};

// Checks one packet in text form without decoding it. Same verdict as decode_packet.
inline std::error_code check_packet(std::string_view in, decode_options opts = {}) noexcept {
    if (in.empty()) return error::empty_packet;
    if (in.front() == binary_prefix) {
        if (!detail::valid_base64(in.substr(1))) return error::invalid_base64;
        return {};
    }
    if (!parse_type_char(in.front())) return error::unknown_packet_type;
    if (opts.validate_utf8 && !is_valid_utf8(in.substr(1))) return error::invalid_utf8;
    return {};
}

// Decodes one packet in text form ("4hello", "2", "bAQID", ...). On success `out`
// views `in` (text) or `scratch` (binary; scratch is cleared first). "b" alone is an
// empty binary message, as in engine.io-parser (a client sends it for an empty
// ArrayBuffer). On error `out` is left unchanged. `scratch` must not be the buffer
// `in` views.
template <byte_buffer Buffer>
std::error_code decode_packet(std::string_view in, packet& out, Buffer& scratch,
                              decode_options opts = {}) {
    if (in.empty()) return error::empty_packet;
    if (in.front() == binary_prefix) {
        scratch.clear();
        if (!base64::decode_append(scratch, in.substr(1))) return error::invalid_base64;
        out = {packet_type::message, true,
               std::string_view(reinterpret_cast<const char*>(scratch.data()), scratch.size())};
        return {};
    }
    const auto t = parse_type_char(in.front());
    if (!t) return error::unknown_packet_type;
    const std::string_view data = in.substr(1);
    if (opts.validate_utf8 && !is_valid_utf8(data)) return error::invalid_utf8;
    out = {*t, false, data};
    return {};
}

// A WebSocket text frame is one packet in text form. The frame's UTF-8 was checked by
// the WebSocket layer (RFC 6455 §8.1), so it is not checked again. A 'b' + base64
// packet is accepted here too, as the reference parser does on any transport.
template <byte_buffer Buffer>
std::error_code decode_ws_text(std::string_view frame, packet& out, Buffer& scratch) {
    return decode_packet(frame, out, scratch, {.validate_utf8 = false});
}

// A WebSocket binary frame is a binary message packet: the whole frame is the data
// (v4 has no type byte here). Cannot fail; the packet views `frame`.
inline packet decode_ws_binary(std::span<const std::byte> frame) noexcept {
    return packet::binary_message(frame);
}

// ---- encoding ----------------------------------------------------------------------

// Size of `p` in text form (polling): 1 + data, or 1 + base64 length for binary.
constexpr std::size_t polling_encoded_size(const packet& p) noexcept {
    return 1 + (p.binary ? base64::encoded_size(p.data.size()) : p.data.size());
}

// Appends `p` in text form, as sent inside a polling payload: "<digit><data>", or
// "b<base64>" for a binary packet (whose type is then ignored: always message).
// Text data must not contain the record separator 0x1E, which would split the packet
// on the client (JSON never has it raw: JSON escapes every control character).
inline void encode_polling_packet(std::string& out, const packet& p) {
    if (p.binary) {
        out.push_back(binary_prefix);
        base64::encode_append(out, p.bytes());
    } else {
        out.push_back(type_char(p.type));
        out.append(p.data);
    }
}

enum class ws_frame : std::uint8_t { text, binary };

constexpr ws_frame ws_frame_of(const packet& p) noexcept {
    return p.binary ? ws_frame::binary : ws_frame::text;
}

// Size of the WebSocket frame payload for `p`.
constexpr std::size_t ws_encoded_size(const packet& p) noexcept {
    return p.binary ? p.data.size() : 1 + p.data.size();
}

// Appends the WebSocket frame payload of `p` and returns the frame type to send it
// in: text "<digit><data>", or the raw bytes as a binary frame. To avoid the copy,
// send p.data itself for a binary packet, or {type_prefix(p.type), p.data} as a
// gather write for a text one.
inline ws_frame encode_ws(std::string& out, const packet& p) {
    if (p.binary) {
        out.append(p.data);
        return ws_frame::binary;
    }
    out.push_back(type_char(p.type));
    out.append(p.data);
    return ws_frame::text;
}

}  // namespace duet::eio
