// duet/sio/adapter.hpp — the adapter interface: where the sockets and rooms of a
// namespace live, and how a broadcast reaches its recipients.
//
// Owns: `adapter` (one per namespace per shard) and the two values a broadcast is
// described with: `broadcast_target` (rooms, except-rooms, an excluded sender,
// volatile) and `broadcast_packet` (the packet encoded once: Engine.IO packets for
// long-polling recipients, WebSocket frames shared by all others). The in-memory
// implementation (memory_adapter, in socket.hpp) keeps the rooms of one shard and
// reaches the same namespace on the other shards of the server (run(n)) through their
// mailboxes; an adapter that also reaches other servers (socket.io's Redis adapter's
// role) implements the same interface and is chosen with sio::options::adapter.
// A broadcast costs one virtual call per shard, not one per recipient. Messages
// between servers (serverSideEmit) go out through the adapter too; those that come in
// are handed to namespace_state::receive_server_side_emit.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <duet/eio/packet.hpp>
#include <duet/sio/ack.hpp>
#include <duet/sio/packet.hpp>
#include <duet/ws/options.hpp>

namespace duet::sio {

class socket;
class namespace_state;

struct broadcast_target {
    std::span<const std::string> rooms;   // empty: every socket of the namespace
    std::span<const std::string> except;  // sockets in any of these rooms are skipped
    const socket* exclude = nullptr;      // the sender, for socket.to()/broadcast()
    bool volatile_ = false;               // skip recipients with unsent data
};

struct broadcast_packet {
    ws::shared_bytes framed;              // WebSocket frames: "4"+text, then attachments
    std::span<const eio::packet> packets; // the same as Engine.IO packets (long-polling)
};

// A broadcast in owning form: what one shard hands to the others (immutable once
// built, shared read-only between threads). `packets` point into `text` and
// `attachments`, so it is built in place (make_shared) and never moved.
struct broadcast_message {
    std::string nsp;
    std::vector<std::string> rooms;
    std::vector<std::string> except;
    bool volatile_ = false;
    std::string text;                   // the encoded Socket.IO packet
    bool binary = false;                // `text` is one binary message (wire_format::binary)
    std::vector<std::vector<std::byte>> attachments;
    ws::shared_bytes framed;
    std::vector<eio::packet> packets;
    // Connection state recovery (empty when off): the offset appended as the last
    // argument, and the id of the sender a socket.broadcast excluded.
    std::string offset;
    std::string exclude_id;

    broadcast_message() = default;
    broadcast_message(const broadcast_message&) = delete;
    broadcast_message& operator=(const broadcast_message&) = delete;

    broadcast_target target(const socket* exclude = nullptr) const { return {rooms, except, exclude, volatile_}; }
    broadcast_packet packet() const { return {framed, packets}; }
};

// A broadcast as it leaves the process (an adapter that reaches other servers):
// the event, its arguments (binary ones as placeholders) and their attachments,
// and the target. Only built when adapter::publishes() says so.
struct outgoing_broadcast {
    std::string_view event;
    std::span<const boost::json::value> args;
    std::span<const attachment> attachments;
    broadcast_target target;
};

// socketsJoin / socketsLeave / disconnectSockets sent to the other servers.
enum class remote_op { join, leave, disconnect };

// Work for the same namespace on another shard, run on that shard's thread.
using remote_work = std::function<void(namespace_state&)>;

class adapter {
public:
    virtual ~adapter() = default;
    virtual void add(socket& s) = 0;     // s joined the namespace
    virtual void remove(socket& s) = 0;  // s left it (after leaving its rooms)
    virtual void join(socket& s, std::string_view room) = 0;
    virtual void leave(socket& s, std::string_view room) = 0;
    virtual std::size_t size() const = 0;
    virtual std::size_t room_size(std::string_view room) const = 0;
    virtual socket* find(std::string_view id) const = 0;
    // visit(ctx, s) once for each socket (of this shard) the target addresses.
    virtual void for_each(const broadcast_target& t, void (*visit)(void*, socket&), void* ctx) const = 0;
    // Hands the packet to every addressed socket; returns how many it reached here.
    virtual std::size_t broadcast(const broadcast_target& t, const broadcast_packet& p) = 0;

    // ----- beyond this shard -----
    // How many other shards (or servers) remote work reaches; 0 for a lone shard.
    virtual std::size_t remote_count() const { return 0; }
    // Runs `work` once on each of them, on its own thread, with its namespace of the
    // same name (created there if needed). Returns at once; work runs later.
    virtual void for_each_remote(const remote_work& work) { (void)work; }

    // ----- beyond this process (the Redis adapter; the memory adapter does nothing) -----
    // Whether broadcasts are also published to other servers (then publish() gets
    // each one once, from the shard that emitted it, after the local delivery).
    virtual bool publishes() const { return false; }
    virtual void publish(const outgoing_broadcast& b) { (void)b; }
    // socketsJoin/Leave(room) or disconnectSockets(close) for the other servers (the
    // process itself has applied it already).
    virtual void publish_op(remote_op op, std::span<const std::string> rooms, std::span<const std::string> except,
                            std::string_view room, bool close) {
        (void)op, (void)rooms, (void)except, (void)room, (void)close;
    }
    // A broadcast with ack for the other servers: `done` (on this shard, once) gets
    // their clients' replies (error timed_out after `timeout`, with those that came).
    // false: not supported (the memory adapter), done is not called.
    virtual bool publish_with_ack(const outgoing_broadcast& b, std::chrono::milliseconds timeout,
                                  std::function<void(std::error_code, std::vector<ack_reply>)> done) {
        (void)b, (void)timeout, (void)done;
        return false;
    }
    // The number of servers (processes) with this namespace, this one included.
    virtual void server_count(std::function<void(std::size_t)> done) { done(1); }
    // How many sockets of the other servers match (rooms, except) — what socket.io
    // counts with `(await io.in(room).fetchSockets()).length`. `done` (on this shard,
    // once) gets the count of the servers that answered (error timed_out when some did
    // not). false: there are no other servers (the memory adapter), done is not called.
    virtual bool remote_socket_count(std::span<const std::string> rooms, std::span<const std::string> except,
                                     std::function<void(std::error_code, std::size_t)> done) {
        (void)rooms, (void)except, (void)done;
        return false;
    }
    // serverSideEmit: `data` is [event, ...args] (JSON only), for the other servers —
    // never this one. The memory adapter has none: nothing is sent.
    virtual void server_side_emit(boost::json::array data) { (void)data; }
    // serverSideEmitWithAck: `done` (on this shard, once) gets one answer per other
    // server (error timed_out after `timeout`, with those that came). false: there are
    // no other servers (the memory adapter), done is not called and the caller
    // completes with no answers.
    virtual bool server_side_emit_with_ack(boost::json::array data, std::chrono::milliseconds timeout,
                                           server_side_ack_callback done) {
        (void)data, (void)timeout, (void)done;
        return false;
    }
};

// Builds the adapter of a namespace (sio::options::adapter); empty = memory_adapter.
using adapter_factory = std::function<std::unique_ptr<adapter>(namespace_state&)>;

class shard_state;
// A process-wide link to other servers (sio::options::cluster, e.g.
// cluster::redis_cluster): builds every namespace's adapter on every shard; the
// server calls start() with shard 0's state before its threads run, and stop()
// (on shard 0's thread) when it stops.
class cluster_link {
public:
    virtual ~cluster_link() = default;
    virtual std::unique_ptr<adapter> make_adapter(namespace_state& ns) = 0;
    virtual void start(shard_state& home) = 0;
    virtual void stop() = 0;
};

}  // namespace duet::sio
