// duet/ws/endpoint.hpp — plain WebSocket endpoints in the route table.
//
// Owns: `duet::websocket<"/path", Handler>`, a route-table entry (like uWebSockets'
// `.ws()`), and the adapter between a user's per-connection handler and ws::connection.
// The upgrade filter of duet::server finds these entries at compile time; a plain
// GET (no Upgrade) on such a path answers 426 Upgrade Required.
//
// Handler: one object per connection (default-constructed), with
//     void on_message(Session&, bool binary, std::span<const std::byte> payload);
// and optionally
//     void on_open(Session&);
//     void on_close(Session&, duet::ws::close_code, std::string_view reason);
// Session is ws::connection<...>: send_text(), send_binary(), send_shared(), close().
#pragma once

#include <span>
#include <string_view>

#include <duet/core/fixed_string.hpp>
#include <duet/http/route_pattern.hpp>
#include <duet/ws/connection.hpp>

namespace duet {
namespace ws {

template <class H>
struct endpoint_handler {
    H user{};
    template <class S>
    void on_ws_message(S& s, bool binary, std::span<const std::byte> payload) {
        user.on_message(s, binary, payload);
    }
    template <class S>
    void on_ws_close(S& s, close_code code, std::string_view reason) {
        if constexpr (requires { user.on_close(s, code, reason); }) user.on_close(s, code, reason);
    }
    template <class S>
    void open(S& s) {
        if constexpr (requires { user.on_open(s); }) user.on_open(s);
    }
};

}  // namespace ws

template <fixed_string Path, class Handler>
struct websocket_entry {
    using pattern = http::route_pattern<Path>;
    static_assert(pattern::param_count == 0 && !pattern::has_wildcard,
                  "duet::websocket: the path of a WebSocket endpoint has no parameters");
    using handler = Handler;
    using session_type = ws::connection<ws::endpoint_handler<Handler>>;
    static constexpr bool is_route = false;
    static constexpr bool is_websocket = true;
    static constexpr bool async = false;
};

template <fixed_string Path, class Handler>
inline constexpr websocket_entry<Path, Handler> websocket{};

}  // namespace duet
