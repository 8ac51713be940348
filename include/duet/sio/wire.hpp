// duet/sio/wire.hpp — how Socket.IO packets become Engine.IO messages: the parser's
// encoding side, as the runtime reaches it.
//
// Owns: `wire_format` (one parser's encoders as a table of plain functions, plus
// whether its packets travel as one binary Engine.IO message), `json_wire` (the
// default parser: socket.io-parser's text + attachments, sio/encoder.hpp),
// `json_parser` (the policy type an event table names), and `append_eio_packets`
// (the Engine.IO messages carrying one encoded packet). The MessagePack format is in
// sio/msgpack_wire.hpp (it needs msgpuck).
//
// Why a table of functions and not a template parameter all the way down: the
// runtime (socket, broadcast_operator, the adapters) is not a template — handlers
// name `duet::socket&` before a server type exists — so the parser, a template
// parameter of the server type (its event table), is resolved at compile time where
// packets are decoded (the server type's session handler), and reaches the runtime's
// encoders as a constexpr table the server type picks: one indirect call per encoded
// packet (a broadcast is encoded once for all its recipients), no test of the parser
// anywhere.
#pragma once

#include <duet/eio/packet.hpp>
#include <duet/sio/binary.hpp>
#include <duet/sio/encoder.hpp>
#include <duet/sio/packet.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace duet::sio {

struct wire_format {
    // true: a packet is one Engine.IO binary message, its binaries inline (MessagePack);
    // false: a text message, then one binary message per attachment (socket.io-parser).
    bool binary;
    // EVENT `[event, ...args]` (plus `offset` as the last argument when not empty:
    // connection state recovery), asking for ack `id` when given; `atts` are the
    // bytes the placeholders in `args` name.
    void (*event)(std::string& out, std::string_view nsp, std::string_view event,
                  std::span<const boost::json::value> args, std::span<const attachment> atts,
                  std::optional<std::uint64_t> id, std::string_view offset);
    // ACK `id` with `args`.
    void (*ack)(std::string& out, std::string_view nsp, std::uint64_t id, std::span<const boost::json::value> args,
                std::span<const attachment> atts);
    // Any packet (CONNECT reply, CONNECT_ERROR, DISCONNECT).
    void (*packet)(std::string& out, const sio::packet& p);
};

namespace detail {
inline void json_event(std::string& out, std::string_view nsp, std::string_view event,
                       std::span<const boost::json::value> args, std::span<const attachment> atts,
                       std::optional<std::uint64_t> id, std::string_view offset) {
    encode_event_append(out, nsp, event, args, id, atts.size());
    if (!offset.empty()) append_offset_arg(out, offset);
}
inline void json_ack(std::string& out, std::string_view nsp, std::uint64_t id, std::span<const boost::json::value> args,
                     std::span<const attachment> atts) {
    encode_ack_append(out, nsp, id, args, atts.size());
}
inline void json_packet(std::string& out, const sio::packet& p) { encode_append(out, p); }
}  // namespace detail

inline constexpr wire_format json_wire{false, &detail::json_event, &detail::json_ack, &detail::json_packet};

// The default parser (socket.io-parser 4: text packets, binary as attachments). Its
// decoding is sio/decoder.hpp's state machine, which the session handler drives.
struct json_parser {
    static constexpr bool binary_messages = false;
    static constexpr const wire_format& wire = json_wire;
};

// Appends the Engine.IO messages that carry one packet `bytes` encoded by `w`
// (views of `bytes` and `atts`, which must outlive them).
inline void append_eio_packets(const wire_format& w, std::string_view bytes, std::span<const attachment> atts,
                               std::vector<eio::packet>& out) {
    if (w.binary) {
        out.push_back(eio::packet::binary_message(std::as_bytes(std::span(bytes.data(), bytes.size()))));
        return;
    }
    out.push_back(eio::packet::text(eio::packet_type::message, bytes));
    for (const auto& a : atts) out.push_back(eio::packet::binary_message(a));
}

}  // namespace duet::sio
