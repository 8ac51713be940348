// duet/ws/close_code.hpp — RFC 6455 §7.4 close status codes.
//
// Owns: the close code enum and the rule for which codes a peer may put on the wire.
// Kept apart from frame.hpp so that error.hpp can map errors to close codes without
// pulling in the frame codec.
#pragma once

#include <cstdint>

namespace duet::ws {

enum class close_code : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    // 1004 is reserved; 1005 and 1006 exist only as API values, never on the wire.
    no_status = 1005,        // a close frame with an empty payload
    abnormal = 1006,         // the connection dropped without a close frame
    invalid_payload = 1007,  // e.g. non-UTF-8 text
    policy_violation = 1008,
    message_too_big = 1009,
    mandatory_extension = 1010,  // sent by clients only
    internal_error = 1011,
    service_restart = 1012,
    try_again_later = 1013,
    bad_gateway = 1014,
    tls_handshake = 1015,    // API value only, never on the wire
};

// True when `code` may appear in a received close frame. RFC 6455 §7.4.1/7.4.2 plus
// the IANA registry: 1000-1003 and 1007-1014 are assigned, 3000-4999 belong to
// libraries and applications; 0-999, 1004-1006, 1015 and every other unassigned
// code below 3000 is a protocol error (1002). This is the set that the Autobahn
// testsuite (cases 7.7.x / 7.9.x) and the `ws` package accept.
constexpr bool is_valid_wire_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

}  // namespace duet::ws
