// duet/runtime/redis_error.hpp — error codes of the Redis client (category "duet.redis").
//
// Owns: every way a command sent through runtime/redis_client.hpp can fail. A Redis
// outage shows up as one of these, never as a growing queue or a blocked thread.
// Used by the session layer's Redis store and by the cluster layer alike.
#pragma once

#include <string>
#include <system_error>

namespace duet::runtime {

enum class redis_errc {
    not_connected = 1,  // no connection to Redis (command refused or failed)
    connection_lost,    // the connection closed with the command in flight
    connect_failed,     // TCP connect or the Redis handshake failed
    too_many_pending,   // redis_client_options::max_pending commands already in flight
    redis_error,        // Redis answered with an error reply
    protocol_error,     // hiredis reported a protocol/IO error, or a reply of an unexpected type
    client_closed,      // the client was closed by its owner
    timed_out,          // no reply within redis_client_options::command_timeout
};

namespace detail {
class redis_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.redis"; }
    std::string message(int ev) const override {
        switch (static_cast<redis_errc>(ev)) {
            case redis_errc::not_connected: return "not connected to Redis";
            case redis_errc::connection_lost: return "connection to Redis lost";
            case redis_errc::connect_failed: return "cannot connect to Redis";
            case redis_errc::too_many_pending: return "too many Redis commands pending";
            case redis_errc::redis_error: return "Redis error reply";
            case redis_errc::protocol_error: return "Redis protocol error";
            case redis_errc::client_closed: return "Redis client closed";
            case redis_errc::timed_out: return "Redis did not answer in time";
        }
        return "unknown duet.redis error";
    }
};
}  // namespace detail

inline const std::error_category& redis_category() noexcept {
    static const detail::redis_error_category cat;
    return cat;
}

inline std::error_code make_error_code(redis_errc e) noexcept { return {static_cast<int>(e), redis_category()}; }

}  // namespace duet::runtime

template <>
struct std::is_error_code_enum<duet::runtime::redis_errc> : std::true_type {};
