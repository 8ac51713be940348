// duet/sio/memory_adapter.hpp — the default adapter: rooms in memory, shards through
// their mailboxes.
//
// Owns: `memory_adapter`, the sockets and rooms of one namespace on one shard (a
// socket's own room is implicit, not stored) and the hand-off of a broadcast to the
// same bytes for every recipient; it reaches the same namespace on the other shards
// of the server by posting to their mailboxes. Another adapter (sio/adapter.hpp) is
// chosen with sio::options::adapter; one that adds to it (publishing to other
// servers, counting, ...) derives from it and overrides what it adds, as the Redis
// adapter does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <duet/sio/adapter.hpp>
#include <duet/sio/client.hpp>
#include <duet/sio/namespace_state.hpp>
#include <duet/sio/socket_class.hpp>

namespace duet::sio {

// ----- the in-memory adapter: rooms of one namespace on one shard -----
// Also the in-process link between shards: for_each_remote posts the work to the
// same namespace on every other shard of the server (their mailboxes: lock-free, one
// post per shard per operation, nothing per recipient).
class memory_adapter : public adapter {
public:
    explicit memory_adapter(namespace_state& ns) : ns_(&ns) {}
    std::size_t remote_count() const override {
        const std::size_t n = ns_->shard().cluster_size();
        return n > 1 ? n - 1 : 0;
    }
    void for_each_remote(const remote_work& work) override {
        shard_state& here = ns_->shard();
        for (std::size_t i = 0; i < here.cluster_size(); ++i) {
            if (i == here.shard_index()) continue;
            shard_state* there = &here.peer(i);
            here.post_to(i, [there, work, name = ns_->name()] { work(there->of(name)); });
        }
    }
    void add(socket& s) override { sockets_.emplace(s.id(), &s); }
    void remove(socket& s) override { sockets_.erase(s.id()); }
    // The room named after a socket's own id (every socket is in it, as in socket.io)
    // is not stored: sockets_ already maps the id to the socket. That is ~270 bytes per
    // connection less (a map node, a set and its buckets), a sixth of an idle one.
    void join(socket& s, std::string_view room) override {
        if (room == s.id()) return;
        rooms_[std::string(room)].insert(&s);
    }
    void leave(socket& s, std::string_view room) override {
        auto it = rooms_.find(std::string(room));
        if (it == rooms_.end()) return;
        it->second.erase(&s);
        if (it->second.empty()) rooms_.erase(it);
    }
    std::size_t size() const override { return sockets_.size(); }
    std::size_t room_size(std::string_view room) const override {
        std::size_t n = 0;
        for_each_member(room, [&](socket&) { ++n; });
        return n;
    }
    socket* find(std::string_view id) const override {
        auto it = sockets_.find(std::string(id));
        return it == sockets_.end() ? nullptr : it->second;
    }
    void for_each(const broadcast_target& t, void (*visit)(void*, socket&), void* ctx) const override {
        visit_targets(t, [&](socket& s) { visit(ctx, s); });
    }
    std::size_t broadcast(const broadcast_target& t, const broadcast_packet& p) override {
        std::size_t n = 0;
        visit_targets(t, [&](socket& s) {
            if (!s.connected()) return;
            if (t.volatile_ && s.owner().backlog() > 0) return;
            s.owner().send_shared(p.framed, p.packets.data(), p.packets.size());
            ++n;
        });
        return n;
    }

private:
    template <class F>
    void visit_targets(const broadcast_target& t, F&& f) const {
        auto excluded = [&](socket* s) {
            if (s == t.exclude) return true;
            for (auto& r : t.except)
                if (s->in_room(r)) return true;
            return false;
        };
        if (t.rooms.empty()) {
            for (auto& [id, s] : sockets_)
                if (!excluded(s)) f(*s);
            return;
        }
        if (t.rooms.size() == 1) {
            for_each_member(t.rooms[0], [&](socket& s) {
                if (!excluded(&s)) f(s);
            });
            return;
        }
        // Several rooms: each socket once.
        std::unordered_set<socket*> seen;
        for (auto& r : t.rooms)
            for_each_member(r, [&](socket& s) {
                if (!excluded(&s) && seen.insert(&s).second) f(s);
            });
    }

    // The members of `room`: those stored, plus the socket whose id it is (its own
    // room, implicit) unless it left it. The two never overlap.
    template <class F>
    void for_each_member(std::string_view room, F&& f) const {
        const std::string key(room);
        if (auto it = rooms_.find(key); it != rooms_.end())
            for (socket* s : it->second) f(*s);
        if (auto it = sockets_.find(key); it != sockets_.end() && it->second->in_room(room)) f(*it->second);
    }

    namespace_state* ns_;
    std::unordered_map<std::string, socket*> sockets_;
    std::unordered_map<std::string, std::unordered_set<socket*>> rooms_;
};

}  // namespace duet::sio
