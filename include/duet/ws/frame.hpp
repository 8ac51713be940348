// duet/ws/frame.hpp — RFC 6455 §5 frame codec: opcodes, header encode/decode, masking.
//
// Owns: the byte layout of a frame header in both directions, the XOR masking of
// payloads (also when a payload arrives in several pieces), and the close frame
// payload (code + reason). Stateless and allocation-free except where the caller
// hands in a growable buffer; message-level rules (fragment sequencing, size limits,
// UTF-8) live in message_parser.hpp.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <system_error>

#include <duet/ws/close_code.hpp>
#include <duet/ws/error.hpp>

namespace duet::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

constexpr bool is_control(opcode op) noexcept { return (static_cast<unsigned>(op) & 0x8) != 0; }

// Opcodes 3-7 and 11-15 are reserved for extensions we never negotiate.
constexpr bool is_known_opcode(unsigned op) noexcept { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

inline constexpr std::size_t max_control_payload = 125;
inline constexpr std::size_t max_close_reason = max_control_payload - 2;
inline constexpr std::size_t max_server_header_size = 10;  // 2 + 8-byte length, no mask
inline constexpr std::size_t max_client_header_size = 14;  // + 4-byte masking key

using mask_key = std::array<std::byte, 4>;

// A growable byte buffer we can append to: std::string, std::vector<char/std::byte>, ...
template <class C>
concept byte_buffer = requires(C& c, std::size_t n) {
    c.size();
    c.resize(n);
    c.data();
} && sizeof(typename C::value_type) == 1;

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------
namespace detail {
// Writes a header into `o` and returns its size; `o` has room for
// max_server_header_size bytes, or max_client_header_size when `key` is given.
// `payload_size` must be below 2^63 (anything a process can hold).
constexpr std::size_t write_header(std::byte* o, opcode op, bool fin, std::uint64_t payload_size,
                                   const mask_key* key) noexcept {
    o[0] = static_cast<std::byte>((fin ? 0x80u : 0u) | static_cast<unsigned>(op));
    const auto mask_bit = key ? std::byte{0x80} : std::byte{0};
    std::size_t n;
    if (payload_size < 126) {
        o[1] = mask_bit | static_cast<std::byte>(payload_size);
        n = 2;
    } else if (payload_size <= 0xFFFF) {
        o[1] = mask_bit | std::byte{126};
        o[2] = static_cast<std::byte>(payload_size >> 8);
        o[3] = static_cast<std::byte>(payload_size);
        n = 4;
    } else {
        o[1] = mask_bit | std::byte{127};
        for (int i = 0; i < 8; ++i) o[2 + i] = static_cast<std::byte>(payload_size >> (56 - 8 * i));
        n = 10;
    }
    if (key) {
        for (int i = 0; i < 4; ++i) o[n + i] = (*key)[i];
        n += 4;
    }
    return n;
}

template <byte_buffer Out>
std::byte* grow(Out& out, std::size_t n) {
    const std::size_t start = out.size();
    out.resize(start + n);
    return reinterpret_cast<std::byte*>(out.data()) + start;
}
}  // namespace detail

// Size of the (unmasked, server-to-client) header for a payload of `payload_size`.
constexpr std::size_t frame_header_size(std::uint64_t payload_size) noexcept {
    return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

// Writes a server frame header (never masked, RFC 6455 §5.1) using the shortest
// length form (7-bit, 16-bit or 64-bit, §5.2). Returns the number of bytes written.
constexpr std::size_t write_frame_header(std::span<std::byte, max_server_header_size> out,
                                         opcode op, bool fin, std::uint64_t payload_size) noexcept {
    return detail::write_header(out.data(), op, fin, payload_size, nullptr);
}

// A header held by value: keep it alive next to the payload and hand both to a
// scatter/gather write, so the payload (e.g. a shared broadcast buffer) is never copied.
struct frame_header_bytes {
    std::array<std::byte, max_server_header_size> data{};
    std::uint8_t size = 0;

    constexpr std::span<const std::byte> bytes() const noexcept { return {data.data(), size}; }
};

constexpr frame_header_bytes make_frame_header(opcode op, bool fin, std::uint64_t payload_size) noexcept {
    frame_header_bytes h;
    h.size = static_cast<std::uint8_t>(write_frame_header(h.data, op, fin, payload_size));
    return h;
}

// Appends a server frame header to `out`.
template <byte_buffer Out>
void append_frame_header(Out& out, opcode op, bool fin, std::uint64_t payload_size) {
    std::byte tmp[max_client_header_size];
    const std::size_t n = detail::write_header(tmp, op, fin, payload_size, nullptr);
    std::memcpy(detail::grow(out, n), tmp, n);
}

// Appends a whole server frame (header + payload) to `out`.
template <byte_buffer Out>
void append_frame(Out& out, opcode op, std::span<const std::byte> payload, bool fin = true) {
    std::byte tmp[max_client_header_size];
    const std::size_t n = detail::write_header(tmp, op, fin, payload.size(), nullptr);
    std::byte* o = detail::grow(out, n + payload.size());
    std::memcpy(o, tmp, n);
    if (!payload.empty()) std::memcpy(o + n, payload.data(), payload.size());
}
template <byte_buffer Out>
void append_frame(Out& out, opcode op, std::string_view payload, bool fin = true) {
    append_frame(out, op, std::as_bytes(std::span(payload.data(), payload.size())), fin);
}

// ---------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------

// XORs `data` with the masking key (§5.3), in place. `offset` is the position of
// data[0] within the frame payload, so a payload that arrives in several pieces is
// unmasked piece by piece: call with offset 0, then offset = bytes done so far.
// Masking and unmasking are the same operation.
//
// Works 8 bytes per step: the 4-byte key, rotated to `offset`, is repeated into a
// 64-bit word; memcpy keeps the loads/stores free of alignment and aliasing issues
// (compilers turn it into plain moves). The word is built with register operations,
// not byte stores, so loading it does not stall on store forwarding. Byte order only
// decides the rotation direction: the word is applied to the bytes it was read as.
inline void unmask(std::span<std::byte> data, mask_key key, std::size_t offset = 0) noexcept {
    std::uint32_t k;
    std::memcpy(&k, key.data(), 4);
    if (const int r = static_cast<int>(offset & 3) * 8; r != 0)  // start the key at byte offset%4
        k = std::endian::native == std::endian::little ? std::rotr(k, r) : std::rotl(k, r);
    const std::uint64_t m = (std::uint64_t{k} << 32) | k;
    auto* p = reinterpret_cast<unsigned char*>(data.data());
    const std::size_t n = data.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        w ^= m;
        std::memcpy(p + i, &w, 8);
    }
    if (i < n) {  // tail of 1-7 bytes; i is a multiple of 8, so the key is still in phase
        unsigned char kb[8];
        std::memcpy(kb, &m, 8);
        for (std::size_t j = 0; i < n; ++i, ++j) p[i] ^= kb[j];
    }
}

// Appends a masked (client-to-server) frame. Servers never send these; it exists for
// clients, tests and benchmarks that must speak to a server.
template <byte_buffer Out>
void append_masked_frame(Out& out, opcode op, std::span<const std::byte> payload, mask_key key,
                         bool fin = true) {
    std::byte tmp[max_client_header_size];
    const std::size_t n = detail::write_header(tmp, op, fin, payload.size(), &key);
    // Header and payload are grown separately: with one combined size GCC 12 -O2
    // mis-derives a negative memcpy bound (-Wstringop-overflow false positive).
    std::memcpy(detail::grow(out, n), tmp, n);
    if (!payload.empty()) {
        std::byte* o = detail::grow(out, payload.size());
        std::memcpy(o, payload.data(), payload.size());
        unmask({o, payload.size()}, key);
    }
}
template <byte_buffer Out>
void append_masked_frame(Out& out, opcode op, std::string_view payload, mask_key key,
                         bool fin = true) {
    append_masked_frame(out, op, std::as_bytes(std::span(payload.data(), payload.size())), key, fin);
}

// ---------------------------------------------------------------------------------
// Close frames
// ---------------------------------------------------------------------------------

// Appends a close payload: the code in network byte order followed by the reason.
// A reason longer than 123 bytes is cut to fit the 125-byte control frame limit, at a
// UTF-8 character boundary (the reason must be UTF-8; the peer fails us with 1007
// otherwise). Codes that must not appear on the wire (1005, 1006, 1015) produce the
// empty payload, which the peer reads as "no status" — the reason is then dropped.
// Returns the number of bytes appended.
template <byte_buffer Out>
std::size_t append_close_payload(Out& out, close_code code, std::string_view reason = {}) {
    if (code == close_code::no_status || code == close_code::abnormal ||
        code == close_code::tls_handshake)
        return 0;
    if (reason.size() > max_close_reason) {
        std::size_t cut = max_close_reason;
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
        reason = reason.substr(0, cut);
    }
    const auto c = static_cast<std::uint16_t>(code);
    std::byte* o = detail::grow(out, 2 + reason.size());
    o[0] = static_cast<std::byte>(c >> 8);
    o[1] = static_cast<std::byte>(c);
    if (!reason.empty()) std::memcpy(o + 2, reason.data(), reason.size());
    return 2 + reason.size();
}

// Appends a whole server close frame (header + payload) to `out`.
template <byte_buffer Out>
void append_close_frame(Out& out, close_code code, std::string_view reason = {}) {
    const std::size_t at = out.size();
    append_frame_header(out, opcode::close, true, 0);  // patched below: payload <= 125
    const std::size_t n = append_close_payload(out, code, reason);
    reinterpret_cast<std::byte*>(out.data())[at + 1] = static_cast<std::byte>(n);
}

// ---------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------

struct frame_header {
    opcode op = opcode::continuation;
    bool fin = false;
    bool rsv1 = false;  // permessage-deflate: the message is compressed (first frame only)
    bool masked = false;
    mask_key mask{};
    std::uint64_t payload_size = 0;
    std::size_t header_size = 0;
};

// Which side wrote the frames being decoded: clients must mask, servers must not (§5.1).
enum class sender { client, server };

namespace detail {
// decode_frame_header without std::error_code (whose construction is an out-of-line
// call): `err` is left value-initialised (no error) unless a rule is broken.
// `compressed`: permessage-deflate was negotiated, so RSV1 may be set on the first
// frame of a data message (text or binary; never on continuations or control frames).
inline std::size_t decode_header(std::span<const std::byte> in, frame_header& h, sender from,
                                 error& err, bool compressed = false) noexcept {
    if (in.size() < 2) return 0;
    const auto b0 = static_cast<unsigned>(in[0]);
    const auto b1 = static_cast<unsigned>(in[1]);
    const unsigned op = b0 & 0x0F;
    const bool fin = (b0 & 0x80) != 0;
    const bool masked = (b1 & 0x80) != 0;
    const unsigned len7 = b1 & 0x7F;
    const bool rsv1 = (b0 & 0x40) != 0;
    if (b0 & 0x70) {
        const bool allowed = compressed && (b0 & 0x70) == 0x40 && (op == 0x1 || op == 0x2);
        if (!allowed) { err = error::reserved_bits; return 0; }
    }
    if (!is_known_opcode(op)) { err = error::reserved_opcode; return 0; }
    if (op & 0x8) {
        if (!fin) { err = error::fragmented_control; return 0; }
        if (len7 > max_control_payload) { err = error::control_too_big; return 0; }
    }
    if (masked != (from == sender::client)) {
        err = masked ? error::masked_frame : error::unmasked_frame;
        return 0;
    }
    const std::size_t len_bytes = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t size = 2 + len_bytes + (masked ? 4 : 0);
    if (in.size() < size) {
        // Report a bad 64-bit length as soon as its first byte is in.
        if (len_bytes == 8 && in.size() > 2 && (static_cast<unsigned>(in[2]) & 0x80))
            err = error::bad_length;
        return 0;
    }
    std::uint64_t len = len7;
    if (len_bytes) {
        len = 0;
        for (std::size_t i = 0; i < len_bytes; ++i) len = (len << 8) | static_cast<unsigned>(in[2 + i]);
        if (len_bytes == 8 && (len >> 63)) { err = error::bad_length; return 0; }
        if (len < (len_bytes == 2 ? 126u : 0x10000u)) { err = error::non_minimal_length; return 0; }
    }
    h.op = static_cast<opcode>(op);
    h.fin = fin;
    h.rsv1 = rsv1;
    h.masked = masked;
    if (masked) std::memcpy(h.mask.data(), in.data() + 2 + len_bytes, 4);
    else h.mask = {};
    h.payload_size = len;
    h.header_size = size;
    return size;
}
}  // namespace detail

// Decodes the frame header at the start of `in`.
//  - returns its size (2..14) and fills `h` when the whole header is present;
//  - returns 0 with `ec` clear when more bytes are needed;
//  - returns 0 with `ec` set when the header breaks a rule that does not depend on the
//    stream state. Everything checkable from the first two bytes (reserved bits,
//    opcode, control frame FIN and size, mask bit) is reported as soon as those two
//    bytes are there, before the extended length arrives.
// Rules checked: RSV1-3 clear (this entry point negotiates no extension; the message
// parser allows RSV1 when permessage-deflate is on), known opcode, control
// frames final and <= 125 bytes, mask bit as `from` requires, 64-bit length with the
// top bit clear, length in its shortest form. All are close code 1002.
inline std::size_t decode_frame_header(std::span<const std::byte> in, frame_header& h,
                                       std::error_code& ec, sender from = sender::client) noexcept {
    error err{};
    const std::size_t n = detail::decode_header(in, h, from, err);
    if (err != error{}) ec = err;
    else ec.clear();
    return n;
}

}  // namespace duet::ws
