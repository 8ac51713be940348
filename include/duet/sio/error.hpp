// duet/sio/error.hpp — error codes of the Socket.IO layer (category "duet.sio").
//
// Owns: every way a Socket.IO packet (text part or binary attachment sequence) can
// be rejected by the decoder. The reference server (socket.io Client.ondata) answers
// any decode error by closing the whole Engine.IO connection; so does duet, which
// is why one predicate, is_decode_error(), is all a session needs.
#pragma once

#include <string>
#include <system_error>

namespace duet::sio {

enum class error {
    // --- text part: "<type>[<n>-][<nsp>,][<id>][<json>]" ---
    empty_packet = 1,       // zero-length text message (the reference would read it as CONNECT "/")
    unknown_packet_type,    // first character is not '0'..'6'
    invalid_attachments,    // BINARY_*: count missing, not decimal, zero, or no '-'
    too_many_attachments,   // BINARY_*: count above decoder_options::max_attachments
    invalid_ack_id,         // ack id above 2^53-1 (a JS peer would round it), or blanks where the id goes
    invalid_json,           // payload is not one JSON text
    json_too_deep,          // payload nests deeper than decoder_options::max_depth
    invalid_payload,        // valid JSON of the wrong shape for the packet type (or missing)
    reserved_event_name,    // EVENT named "connect", "disconnect", ... (reference: invalid payload)
    invalid_placeholder,    // {"_placeholder":true,...} whose num is not an index < attachment count
    packet_too_large,       // text message above decoder_options::max_text_size

    // --- message sequencing ---
    unexpected_binary,      // binary message while no attachment is awaited
    unexpected_text,        // text message while attachments of a BINARY_* packet are pending
    attachments_too_large,  // attachments of one packet above decoder_options::max_attachment_bytes
};

namespace detail {
class error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.sio"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
            case error::empty_packet: return "empty Socket.IO packet";
            case error::unknown_packet_type: return "unknown Socket.IO packet type";
            case error::invalid_attachments: return "illegal attachments count";
            case error::too_many_attachments: return "too many attachments";
            case error::invalid_ack_id: return "invalid ack id";
            case error::invalid_json: return "payload is not valid JSON";
            case error::json_too_deep: return "payload JSON nested too deeply";
            case error::invalid_payload: return "invalid payload for packet type";
            case error::reserved_event_name: return "reserved event name";
            case error::invalid_placeholder: return "illegal attachment placeholder";
            case error::packet_too_large: return "packet exceeds the size limit";
            case error::unexpected_binary: return "got binary data when not reconstructing a packet";
            case error::unexpected_text: return "got plaintext data when reconstructing a packet";
            case error::attachments_too_large: return "attachments exceed the size limit";
        }
        return "unknown duet.sio error";
    }
};
}  // namespace detail

inline const std::error_category& sio_category() noexcept {
    static const detail::error_category cat;
    return cat;
}

inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), sio_category()};
}

// Every code of this enum is a decode error; the predicate exists so that callers
// holding a std::error_code do not have to compare categories themselves.
inline bool is_decode_error(const std::error_code& ec) noexcept {
    return ec && ec.category() == sio_category();
}

}  // namespace duet::sio

template <>
struct std::is_error_code_enum<duet::sio::error> : std::true_type {};
