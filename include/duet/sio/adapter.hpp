// duet/sio/adapter.hpp — the adapter interface: where the sockets and rooms of a
// namespace live, and how a broadcast reaches its recipients.
//
// Owns: `adapter` (one per namespace per shard) and the two values a broadcast is
// described with: `broadcast_target` (rooms, except-rooms, an excluded sender,
// volatile) and `broadcast_packet` (the packet encoded once: Engine.IO packets for
// long-polling recipients, WebSocket frames shared by all others). The in-memory
// implementation (memory_adapter, in socket.hpp) serves one shard; an adapter that
// also forwards broadcasts to other shards or servers (socket.io's Redis adapter's
// role) implements the same interface and is chosen with sio::options::adapter.
// A broadcast costs one virtual call, not one per recipient.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <duet/eio/packet.hpp>
#include <duet/ws/session.hpp>

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
};

// Builds the adapter of a namespace (sio::options::adapter); nullptr = memory_adapter.
using adapter_factory = std::unique_ptr<adapter> (*)(namespace_state&);

}  // namespace duet::sio
