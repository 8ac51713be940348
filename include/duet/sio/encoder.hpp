// duet/sio/encoder.hpp — Socket.IO v5 packet encoder (text part).
//
// Owns: turning a packet into "<type>[<n>-][<nsp>,][<id>][<json>]", appended to a
// caller-owned std::string (keep one per connection or per broadcast: its capacity
// is reused, so steady-state encoding does not allocate). The attachments of a
// BINARY_EVENT/BINARY_ACK are not copied: the caller sends packet::attachments as
// the binary messages that follow, in order.
//
// The JSON is core/json_writer.hpp's: byte-identical to socket.io-parser
// (JSON.stringify) for the same value.
#pragma once

#include <duet/core/json_writer.hpp>
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

using json::append_json;
using json::append_json_string;

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
        json::detail::append_integer(out, attachments);
        out.push_back('-');
    }
    if (!nsp.empty() && nsp != main_namespace) {
        out.append(nsp);
        out.push_back(',');
    }
    if (id) json::detail::append_integer(out, *id);
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

// Adds `offset` as the last argument of an encoded EVENT (`...]` → `...,"<offset>"]`):
// connection state recovery's offset. Offsets are plain ASCII (no escaping).
inline void append_offset_arg(std::string& text, std::string_view offset) {
    text.pop_back();
    text += ",\"";
    text += offset;
    text += "\"]";
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
