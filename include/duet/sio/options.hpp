// duet/sio/options.hpp — the options of the Socket.IO layer (server_options.socketio).
//
// Owns: `sio::options` — connect timeout, default ack timeout, the error hooks, the
// decoder's attachment bound, the adapter factory, connection state recovery. Light on purpose: no Asio and no
// runtime class, so the server's options can name it without the rest of sio.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include <duet/sio/adapter.hpp>

namespace duet::sio {

class socket;

// Connection state recovery (socket.io >= 4.6's connectionStateRecovery): a client
// whose connection dropped for a transport reason (transport close/error, ping
// timeout, forced close, server shutting down) and that reconnects within
// max_disconnection_duration gets back its socket id, rooms and data(), and every
// packet it missed, in order and once; socket.recovered() tells the handlers.
struct recovery_options {
    bool enabled = false;
    std::chrono::milliseconds max_disconnection_duration{120'000};
    // A recovered socket does not run the namespace's middleware again.
    bool skip_middlewares = true;
    // Packets kept per namespace and shard for clients that may come back (the oldest
    // go first; a client whose last packet is gone reconnects fresh, recovered() ==
    // false: nothing is ever replayed partially). Packets older than
    // max_disconnection_duration are dropped too.
    std::size_t max_kept_packets = 10'000;
};

struct options {
    // A client that does not connect to a namespace within this time is closed.
    std::chrono::milliseconds connect_timeout{45'000};
    // Default timeout of an emit with ack when none is given.
    std::chrono::milliseconds ack_timeout{10'000};
    // Called when an event's arguments do not convert to the handler's parameter
    // types (the client gets an error ack if it asked for one; the connection stays).
    void (*on_arg_error)(socket&, std::string_view event, std::string_view what) = nullptr;
    // Called when a handler throws (the event fails, the connection stays).
    void (*on_handler_error)(socket&, std::string_view event, std::string_view what) = nullptr;
    // Decoder bounds (see decoder_options).
    std::size_t max_attachments = 10;
    // The adapter of every namespace (nullptr: memory_adapter, rooms on this shard).
    adapter_factory adapter = nullptr;
    // Other servers (processes) of the same application, e.g. a Node socket.io cluster
    // on Redis: std::make_shared<duet::cluster::redis_cluster>(...) from
    // <duet/cluster/redis_adapter.hpp>. Takes precedence over `adapter`.
    std::shared_ptr<cluster_link> cluster{};
    // Off by default, as in socket.io.
    recovery_options connection_state_recovery{};
};

}  // namespace duet::sio
