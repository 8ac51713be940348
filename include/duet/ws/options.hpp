// duet/ws/options.hpp — the limits of one WebSocket connection, and shared frames.
//
// Owns: `connection_options` (every limit a WebSocket peer is held to, each documented
// where it is declared) and `shared_bytes` (pre-framed bytes that several sessions'
// send queues reference: a broadcast frames once). Small on purpose: the Engine.IO
// options and the Socket.IO adapter interface name these without pulling in the I/O
// code of ws/session.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace duet::ws {

// RFC 7692 permessage-deflate (engine.io's perMessageDeflate; off by default as there).
struct permessage_deflate_options {
    bool enabled = false;
    // Messages shorter than this go out uncompressed (engine.io's default: 1024).
    std::size_t threshold = 1024;
    // The largest window a client may deflate with (8..15), i.e. the inflate window the
    // server keeps per connection that sent a compressed message: 2^bits bytes plus
    // ~7 KiB of zlib state. Asked for only from clients that offer the parameter.
    std::uint8_t client_max_window_bits = 15;
    // Answer client_no_context_takeover to every client (RFC 7692 §7.1.1.2 lets the
    // server add it): clients then deflate each message alone and the server keeps no
    // inflate window per connection (one per thread) — the memory knob for many
    // connections that send large messages. Off as in engine.io (ws's default).
    bool client_no_context_takeover = false;
};

struct connection_options {
    // Largest message accepted from the peer (all fragments); over it: close 1009.
    std::size_t max_message_size = 1'000'000;
    // Most frames one message may arrive in; over it: close 1009 (see
    // parser_options::max_fragments — a flood of empty continuation frames). 0 = no limit.
    std::size_t max_fragments = 4096;
    // Unsent bytes queued for the peer; over it the peer is a slow consumer and the
    // connection is dropped (logged), so one client cannot grow the server's memory.
    std::size_t max_send_queue_bytes = 8 * 1024 * 1024;
    // After we send a close frame, how long the peer has to answer with its own.
    std::chrono::milliseconds close_timeout{5'000};
    // A write that has not completed after this long: the peer stopped reading.
    std::chrono::milliseconds write_timeout{30'000};
    permessage_deflate_options permessage_deflate;
};

using shared_bytes = std::shared_ptr<const std::string>;

}  // namespace duet::ws
