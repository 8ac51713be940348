// duet/ws/error.hpp — error codes of the WebSocket layer (category "duet.ws").
//
// Owns: every way an upgrade request or a client frame stream can be wrong, the
// std::error_code plumbing for them, and the close code (RFC 6455 §7.4) or HTTP
// status that answers each one.
#pragma once

#include <string>
#include <system_error>

#include <duet/ws/close_code.hpp>

namespace duet::ws {

enum class error {
    // --- upgrade request (answered with an HTTP status, see http_status_for) ---
    bad_method = 1,        // not GET
    bad_http_version,      // older than HTTP/1.1
    bad_upgrade_header,    // Upgrade lacks the "websocket" token
    bad_connection_header, // Connection lacks the "upgrade" token
    bad_version,           // Sec-WebSocket-Version missing or not 13 (HTTP 426)
    bad_key,               // Sec-WebSocket-Key missing or not base64 of 16 bytes

    // --- frame stream (answered with a close frame, see close_code_for) ---
    reserved_bits,         // RSV1-3 set while no extension was negotiated    -> 1002
    reserved_opcode,       // opcode 3-7 or 11-15                             -> 1002
    unmasked_frame,        // client frame without the MASK bit               -> 1002
    masked_frame,          // server frame with the MASK bit (client side)    -> 1002
    fragmented_control,    // control frame with FIN clear                    -> 1002
    control_too_big,       // control frame payload > 125 bytes               -> 1002
    bad_length,            // 64-bit length with the top bit set              -> 1002
    non_minimal_length,    // length not in its shortest encoding (§5.2 MUST) -> 1002
    unexpected_continuation,  // continuation frame with no message open      -> 1002
    expected_continuation,    // new text/binary frame inside a fragmented one -> 1002
    bad_close_payload,     // close payload of exactly 1 byte                 -> 1002
    bad_close_code,        // close code not allowed on the wire              -> 1002
    invalid_utf8,          // text message that is not UTF-8                  -> 1007
    invalid_close_reason,  // close reason that is not UTF-8                  -> 1007
    message_too_big,       // message larger than max_message_size            -> 1009
    too_many_fragments,    // message in more frames than max_fragments       -> 1009
};

namespace detail {
class error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.ws"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
            case error::bad_method: return "WebSocket upgrade must use GET";
            case error::bad_http_version: return "WebSocket upgrade requires HTTP/1.1";
            case error::bad_upgrade_header: return "missing or invalid Upgrade header";
            case error::bad_connection_header: return "missing or invalid Connection header";
            case error::bad_version: return "missing or unsupported Sec-WebSocket-Version";
            case error::bad_key: return "missing or invalid Sec-WebSocket-Key";
            case error::reserved_bits: return "reserved bits set in frame header";
            case error::reserved_opcode: return "reserved opcode";
            case error::unmasked_frame: return "client frame is not masked";
            case error::masked_frame: return "server frame is masked";
            case error::fragmented_control: return "fragmented control frame";
            case error::control_too_big: return "control frame payload larger than 125 bytes";
            case error::bad_length: return "invalid 64-bit payload length";
            case error::non_minimal_length: return "payload length not minimally encoded";
            case error::unexpected_continuation: return "continuation frame without a message";
            case error::expected_continuation: return "new data frame inside a fragmented message";
            case error::bad_close_payload: return "close frame payload of 1 byte";
            case error::bad_close_code: return "invalid close code";
            case error::invalid_utf8: return "text message is not valid UTF-8";
            case error::invalid_close_reason: return "close reason is not valid UTF-8";
            case error::message_too_big: return "message exceeds the size limit";
            case error::too_many_fragments: return "message exceeds the fragment limit";
        }
        return "unknown duet.ws error";
    }
};
}  // namespace detail

inline const std::error_category& ws_category() noexcept {
    static const detail::error_category cat;
    return cat;
}

inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), ws_category()};
}

// The close code to send when failing the connection because of `e`.
// Handshake errors never reach a close frame; they map to protocol_error for
// completeness.
constexpr close_code close_code_for(error e) noexcept {
    switch (e) {
        case error::invalid_utf8:
        case error::invalid_close_reason: return close_code::invalid_payload;
        case error::message_too_big:
        case error::too_many_fragments: return close_code::message_too_big;
        default: return close_code::protocol_error;
    }
}

}  // namespace duet::ws

template <>
struct std::is_error_code_enum<duet::ws::error> : std::true_type {};
