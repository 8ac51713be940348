// duet/eio/error.hpp — error codes of the Engine.IO layer (category "duet.eio").
//
// Owns: the ways an Engine.IO packet or polling payload can be malformed (the
// session answers all of them by closing with reason "parse error", as the
// reference server does), the request-verification failures the reference server
// answers with its error JSON, and the wire code / HTTP status of each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace duet::eio {

enum class error {
    // --- packet / payload decoding: close the session with reason "parse error" ---
    empty_payload = 1,     // POST body without a single byte
    empty_packet,          // zero-length packet: "\x1e\x1e", leading or trailing separator
    unknown_packet_type,   // first byte not '0'..'6' and not the binary prefix 'b'
    invalid_base64,        // 'b' packet whose remainder is not base64
    invalid_utf8,          // text packet that is not UTF-8
    payload_too_large,     // body longer than maxPayload: HTTP 413, like the reference

    // --- request verification: answered with the error JSON (see server_error) ---
    transport_unknown,
    session_id_unknown,
    bad_handshake_method,
    bad_request,
    forbidden,
    unsupported_protocol_version,
};

}  // namespace duet::eio

// Declared before anything converts an `error` to std::error_code (a conversion seen
// first would instantiate the primary template and make this one ill-formed).
template <>
struct std::is_error_code_enum<duet::eio::error> : std::true_type {};

namespace duet::eio {

// The codes of the reference server's error JSON ({"code":N,"message":"..."}).
// Their values are the wire values, so 0 is a real error here: this is why they are
// not an error_code enum themselves (an error_code of value 0 means success). Use
// to_server_error() to go from a duet::eio::error to one of these.
enum class server_error : std::uint8_t {
    transport_unknown = 0,
    session_id_unknown = 1,
    bad_handshake_method = 2,
    bad_request = 3,
    forbidden = 4,
    unsupported_protocol_version = 5,
};

// The reference server's message for each code (engine.io Server.errorMessages).
// Also the plain-text body the reference sends when it refuses a WebSocket upgrade.
constexpr std::string_view message(server_error e) noexcept {
    switch (e) {
        case server_error::transport_unknown: return "Transport unknown";
        case server_error::session_id_unknown: return "Session ID unknown";
        case server_error::bad_handshake_method: return "Bad handshake method";
        case server_error::bad_request: return "Bad request";
        case server_error::forbidden: return "Forbidden";
        case server_error::unsupported_protocol_version: return "Unsupported protocol version";
    }
    return "Bad request";
}

// HTTP status of a refused polling request: 403 for Forbidden, 400 for all others
// (engine.io abortRequest). A refused WebSocket upgrade is always 400.
constexpr unsigned http_status(server_error e) noexcept {
    return e == server_error::forbidden ? 403u : 400u;
}

// HTTP status for a POST body over maxPayload (engine.io polling: 413; the body is
// dropped, the session goes on).
inline constexpr unsigned payload_too_large_status = 413;

namespace detail {
class error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.eio"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
            case error::empty_payload: return "empty polling payload";
            case error::empty_packet: return "empty packet in polling payload";
            case error::unknown_packet_type: return "unknown Engine.IO packet type";
            case error::invalid_base64: return "binary packet is not valid base64";
            case error::invalid_utf8: return "text packet is not valid UTF-8";
            case error::payload_too_large: return "payload exceeds maxPayload";
            case error::transport_unknown: return "Transport unknown";
            case error::session_id_unknown: return "Session ID unknown";
            case error::bad_handshake_method: return "Bad handshake method";
            case error::bad_request: return "Bad request";
            case error::forbidden: return "Forbidden";
            case error::unsupported_protocol_version: return "Unsupported protocol version";
        }
        return "unknown duet.eio error";
    }
};
}  // namespace detail

inline const std::error_category& eio_category() noexcept {
    static const detail::error_category cat;
    return cat;
}

inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), eio_category()};
}

// True for the decoding errors, i.e. those after which the session closes with
// reason "parse error" (payload_too_large included: a WebSocket message over the
// limit ends the session; a polling POST over it only gets 413).
constexpr bool is_parse_error(error e) noexcept {
    return e >= error::empty_payload && e <= error::payload_too_large;
}

// The error-JSON code for a verification error; nullopt for decoding errors and
// for error codes of other categories.
constexpr std::optional<server_error> to_server_error(error e) noexcept {
    switch (e) {
        case error::transport_unknown: return server_error::transport_unknown;
        case error::session_id_unknown: return server_error::session_id_unknown;
        case error::bad_handshake_method: return server_error::bad_handshake_method;
        case error::bad_request: return server_error::bad_request;
        case error::forbidden: return server_error::forbidden;
        case error::unsupported_protocol_version: return server_error::unsupported_protocol_version;
        default: return std::nullopt;
    }
}

inline std::optional<server_error> to_server_error(const std::error_code& ec) noexcept {
    if (ec.category() != eio_category()) return std::nullopt;
    return to_server_error(static_cast<error>(ec.value()));
}

}  // namespace duet::eio
