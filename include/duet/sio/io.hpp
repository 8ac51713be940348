// duet/sio/io.hpp — `io` (duet::io): the server-wide handle, socket.io's `io`.
//
// Owns: the entry point HTTP handlers and event handlers get over the Socket.IO
// state of the shard it runs on: `of(nsp)` (a namespace, with its own to/except/emit/
// to_session), and the same operations on the main namespace "/" (serverSideEmit to
// the other servers included). Broadcasts reach the other shards by themselves.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <duet/sio/ack.hpp>
#include <duet/sio/broadcast_operator.hpp>
#include <duet/sio/namespace_state.hpp>

namespace duet::sio {

// ----- the server-wide handle (socket.io's `io`) -----
// Given to HTTP handlers and event handlers that take `duet::io&`: emits to
// namespaces and rooms of the shard it runs on.
class io {
public:
    explicit io(shard_state& st) : st_(&st) {}
    namespace_state& of(std::string_view nsp) { return st_->of(nsp); }
    broadcast_operator to(std::string_view room) { return of("/").to(room); }
    broadcast_operator in(std::string_view room) { return to(room); }
    broadcast_operator except(std::string_view room) { return of("/").except(room); }
    template <class... A>
    std::size_t emit(std::string_view event, A&&... args) {
        return of("/").emit(event, static_cast<A&&>(args)...);
    }
    std::vector<socket*> fetch_sockets() { return of("/").fetch_sockets(); }
    // serverSideEmit on the main namespace (see namespace_state): to the other servers
    // of the cluster, received there by duet::on_server_side_emit<"event"> entries.
    template <class... A>
    void server_side_emit(std::string_view event, A&&... args) {
        of("/").server_side_emit(event, static_cast<A&&>(args)...);
    }
    template <class... A>
    void server_side_emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                   server_side_ack_callback callback, A&&... args) {
        of("/").server_side_emit_with_ack(event, timeout, std::move(callback), static_cast<A&&>(args)...);
    }
    template <class... A>
        requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                      std::error_code, std::vector<boost::json::value>>)
    asio::awaitable<std::vector<boost::json::value>> server_side_emit_with_ack(std::string_view event,
                                                                             std::chrono::milliseconds timeout,
                                                                             A&&... args) {
        return of("/").server_side_emit_with_ack(event, timeout, static_cast<A&&>(args)...);
    }
    // Every socket (namespace "/") of an HTTP session: `io.to_session(req.session().id())`;
    // another namespace's: `io.of("/admin").to_session(id)`.
    broadcast_operator to_session(std::string_view session_id) { return of("/").to_session(session_id); }
    shard_state& state() noexcept { return *st_; }

private:
    shard_state* st_;
};

}  // namespace duet::sio
