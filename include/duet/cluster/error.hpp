// duet/cluster/error.hpp — error codes of the cluster layer (category "duet.cluster").
//
// Owns: every way a message read from Redis can be rejected by the wire codec
// (redis_wire.hpp, msgpack.hpp). The Redis client's failures are runtime errors
// (runtime/redis_error.hpp, category "duet.redis"). Node's adapter silently drops a message it cannot parse; so
// should the integration: a decode error is a reason to log and ignore, never to
// tear anything down, which is why is_decode_error() exists.
#pragma once

#include <string>
#include <system_error>

namespace duet::cluster {

enum class error {
    // --- wire codec ---
    message_too_large = 1,  // above wire_limits::max_message_bytes
    invalid_msgpack,        // not one complete MessagePack value (truncated, trailing bytes, 0xc1)
    invalid_json,           // starts with '{' but is not one JSON text
    too_deep,               // nests deeper than wire_limits::max_depth
    too_many_attachments,   // more bin values than wire_limits::max_attachments
    invalid_map_key,        // a map key that is neither a string nor an integer
    invalid_shape,          // valid encoding, wrong structure (missing/mistyped field)
    unknown_request_type,   // "type" is not one of the request types
    unknown_response,       // a response of no known shape
};

namespace detail {
class cluster_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.cluster"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
            case error::message_too_large: return "cluster message exceeds the size limit";
            case error::invalid_msgpack: return "malformed MessagePack";
            case error::invalid_json: return "malformed JSON";
            case error::too_deep: return "cluster message nested too deeply";
            case error::too_many_attachments: return "too many binary values in a cluster message";
            case error::invalid_map_key: return "MessagePack map key is not a string or integer";
            case error::invalid_shape: return "cluster message has an unexpected shape";
            case error::unknown_request_type: return "unknown cluster request type";
            case error::unknown_response: return "unknown cluster response";
        }
        return "unknown duet.cluster error";
    }
};
}  // namespace detail

inline const std::error_category& cluster_category() noexcept {
    static const detail::cluster_error_category cat;
    return cat;
}

inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), cluster_category()}; }

// True for the codec's errors (a message to drop), false for anything else (the
// Redis client's errors are in runtime::redis_category()).
inline bool is_decode_error(const std::error_code& ec) noexcept {
    return ec && ec.category() == cluster_category();
}

}  // namespace duet::cluster

template <>
struct std::is_error_code_enum<duet::cluster::error> : std::true_type {};
