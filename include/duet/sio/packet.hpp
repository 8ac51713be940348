// duet/sio/packet.hpp — the Socket.IO v5 packet: type, namespace, ack id, JSON data
// and binary attachments.
//
// Owns: packet_type and the in-memory packet shared by encoder.hpp and decoder.hpp.
// Boost.JSON has no binary type, so binary arguments are represented the way they
// travel on the wire: `data` keeps the {"_placeholder":true,"num":N} objects and
// `attachments[N]` holds the bytes (binary.hpp has the helpers to build and resolve
// them). A packet owns everything it refers to, so it may outlive the messages it
// was decoded from and be queued or moved across threads.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duet::sio {

enum class packet_type : std::uint8_t {
    connect = 0,
    disconnect = 1,
    event = 2,
    ack = 3,
    connect_error = 4,
    binary_event = 5,
    binary_ack = 6,
};

// The wire digit of a type.
constexpr char to_char(packet_type t) noexcept { return static_cast<char>('0' + static_cast<int>(t)); }

constexpr bool is_binary(packet_type t) noexcept {
    return t == packet_type::binary_event || t == packet_type::binary_ack;
}

// EVENT and BINARY_EVENT are the same packet for a dispatcher; likewise the acks.
constexpr bool is_event(packet_type t) noexcept {
    return t == packet_type::event || t == packet_type::binary_event;
}
constexpr bool is_ack(packet_type t) noexcept {
    return t == packet_type::ack || t == packet_type::binary_ack;
}

// Largest ack id duet reads or writes: Number.MAX_SAFE_INTEGER. A larger id would be
// rounded by a JavaScript peer and its ACK would never match.
inline constexpr std::uint64_t max_ack_id = (std::uint64_t{1} << 53) - 1;

// The bytes of one binary attachment (one Engine.IO binary message).
using attachment = std::vector<std::byte>;

// The main namespace, which the wire format leaves implicit.
inline constexpr std::string_view main_namespace = "/";

// Every member has a default initializer so that designated initialisation
// (`packet{.type = packet_type::event, .data = args}`) compiles under
// -Wmissing-field-initializers.
struct packet {
    // After decoding, a BINARY_EVENT/BINARY_ACK is reported as event/ack (as the
    // reference parser does once the attachments are in place); `attachments` being
    // non-empty is what says it carried binary. The encoder accepts both spellings
    // and picks the binary type whenever an event/ack has attachments.
    packet_type type = packet_type::event;

    // Always starts with '/'. "/" is the main namespace.
    std::string nsp{main_namespace};

    std::optional<std::uint64_t> id{};

    // The JSON payload; null means "no payload" (the wire cannot tell them apart:
    // the reference encoder omits null and undefined alike, and no packet type
    // accepts a literal null payload).
    boost::json::value data{};

    // Bytes referenced by the placeholders in `data`, in `num` order.
    std::vector<attachment> attachments{};

    bool has_data() const noexcept { return !data.is_null(); }
    bool has_binary() const noexcept { return !attachments.empty(); }
};

}  // namespace duet::sio
