// duet/sio/namespace_state.hpp — the state of Socket.IO on one shard.
//
// Owns: `namespace_state` (one namespace on one shard: its adapter, hence its sockets
// and rooms, the broadcasts over it — `io.of("/chat").to(room)` —, its ack ids, and
// serverSideEmit to and from other servers) and `shard_state` (the namespaces of one
// shard, its scratch buffer, the session configuration, where serverSideEmits from
// other servers are dispatched, and the other shards of the server, reached through
// their mailboxes). A shard's thread is the only one that touches them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <duet/runtime/shard.hpp>
#include <duet/session/session.hpp>
#include <duet/sio/wire.hpp>
#include <duet/sio/ack.hpp>
#include <duet/sio/adapter.hpp>
#include <duet/sio/broadcast_operator.hpp>
#include <duet/sio/options.hpp>
#include <duet/sio/recovery.hpp>

namespace duet::sio {

class socket;
class shard_state;
class namespace_state;
class io;

// What a serverSideEmit from another server is handed to: the event table's
// on_server_side_emit entries (duet::events sets it on every shard). `data` is
// [event, ...args]; `reply` is empty unless the sender waits for an answer.
using server_side_dispatch = void (*)(io& handle, namespace_state& ns, boost::json::array data, server_side_reply reply);

// ----- one namespace on one shard: its adapter and the operations over it -----
class namespace_state {
public:
    namespace_state(shard_state& shard, std::string name);

    const std::string& name() const noexcept { return name_; }
    shard_state& shard() noexcept { return *shard_; }
    sio::adapter& adapter() noexcept { return *adapter_; }
    std::size_t size() const { return adapter_->size(); }
    socket* find(std::string_view id) const { return adapter_->find(id); }
    std::size_t room_size(std::string_view room) const { return adapter_->room_size(room); }

    broadcast_operator to(std::string_view room) { return broadcast_operator(*this).to(room); }
    broadcast_operator in(std::string_view room) { return to(room); }
    broadcast_operator except(std::string_view room) { return broadcast_operator(*this).except(room); }
    // Every socket of an HTTP session in this namespace (each joins
    // socket::session_room(id) in every namespace it connects to):
    // `io.of("/admin").to_session(req.session().id())`.
    broadcast_operator to_session(std::string_view session_id);
    template <class... A>
    std::size_t emit(std::string_view event, A&&... args) {
        return broadcast_operator(*this).emit(event, static_cast<A&&>(args)...);
    }
    std::vector<socket*> fetch_sockets() { return broadcast_operator(*this).fetch_sockets(); }
    // The number of servers (processes) that have this namespace, this one included
    // (socket.io's serverCount(): 1 without a cluster adapter).
    asio::awaitable<std::size_t> server_count();

    // ----- between servers (socket.io's serverSideEmit) -----
    // An event for this namespace on every OTHER server of the cluster (never this
    // one, nor this process's other shards: they are the same server); received there
    // by the table's duet::on_server_side_emit<"event"> entries (Node: io.on("event")).
    // Without a cluster (the memory adapter) it reaches nobody. Arguments as for emit;
    // binary ones travel as Node's Buffer JSON. The reserved names "connect",
    // "connection" and "new_namespace" throw std::invalid_argument, as in Node.
    template <class... A>
    void server_side_emit(std::string_view event, A&&... args);
    // With answers: callback(error, answers) on this shard, once, with one answer per
    // other server (the value its handler acked with); timed_out after `timeout` with
    // those that came. No other servers: callback({}, {}) at once (posted), as
    // socket.io's cluster adapters do (its in-memory adapter only warns and never
    // calls back).
    template <class... A>
    void server_side_emit_with_ack(std::string_view event, std::chrono::milliseconds timeout,
                                   server_side_ack_callback callback, A&&... args);
    // Coroutine form: the answers, or throws ack_timeout (socket.io's
    // serverSideEmitWithAck rejects on its timeout).
    template <class... A>
        requires(!std::is_invocable_v<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<A..., int>>>&,
                                      std::error_code, std::vector<boost::json::value>>)
    asio::awaitable<std::vector<boost::json::value>> server_side_emit_with_ack(std::string_view event,
                                                                             std::chrono::milliseconds timeout,
                                                                             A&&... args);
    // A serverSideEmit that came from another server (data: [event, ...args]), handed
    // to this namespace's on_server_side_emit entries; an event without one is ignored,
    // as in Node. Called by the adapter that received it (the Redis one: on shard 0).
    void receive_server_side_emit(boost::json::array data, server_side_reply reply = {});

    // A broadcast's part on this shard: to the addressed sockets here (but `exclude`),
    // and into the recovery log when it carries an offset. Returns the recipients.
    std::size_t deliver(const std::shared_ptr<const broadcast_message>& m, const socket* exclude = nullptr);
    // Connection state recovery for this namespace on this shard (nullptr when off).
    recovery_store* recovery() noexcept { return recovery_.get(); }

    // ----- membership (used by socket and the connect flow) -----
    void add(socket& s) { adapter_->add(s); }
    void remove(socket& s) { adapter_->remove(s); }
    void add_to_room(socket& s, std::string_view room) { adapter_->join(s, room); }
    void remove_from_room(socket& s, std::string_view room) { adapter_->leave(s, room); }

    // Ack ids: one sequence per namespace and shard, shared by a socket's own emits
    // and broadcasts with ack (ids only need to be unique among one socket's acks).
    std::uint64_t next_ack_id() noexcept { return next_ack_id_++; }

private:
    shard_state* shard_;
    std::string name_;
    std::unique_ptr<sio::adapter> adapter_;
    std::unique_ptr<recovery_store> recovery_;
    std::uint64_t next_ack_id_ = 0;
};

// ----- everything Socket.IO on one shard -----
class shard_state {
public:
    shard_state(asio::io_context& io, const options& opts, unsigned shard_index,
                const session_options* sessions = nullptr, const wire_format& wire = json_wire)
        : io_(&io), opts_(&opts), shard_index_(shard_index), sessions_(sessions && sessions->store ? sessions : nullptr),
          wire_(&wire) {}

    // The parser's encoders (the server type's choice; sio/wire.hpp).
    const wire_format& wire() const noexcept { return *wire_; }

    // The HTTP side's session configuration, when sessions are on.
    const session_options* sessions() const noexcept { return sessions_; }

    asio::io_context& io() noexcept { return *io_; }
    const options& opts() const noexcept { return *opts_; }
    unsigned shard_index() const noexcept { return shard_index_; }

    // The namespace's state, created on first use.
    namespace_state& of(std::string_view name) {
        auto it = namespaces_.find(std::string(name));
        if (it == namespaces_.end())
            it = namespaces_.emplace(std::string(name), std::make_unique<namespace_state>(*this, std::string(name))).first;
        return *it->second;
    }
    namespace_state* find(std::string_view name) const {
        auto it = namespaces_.find(std::string(name));
        return it == namespaces_.end() ? nullptr : it->second.get();
    }

    // Scratch buffers for encoding (one shard = one thread).
    std::string& scratch() noexcept { return scratch_; }

    // Where serverSideEmits from other servers go (the event table; set once, before
    // the server runs), and the io handle its handlers get.
    void set_server_side_dispatch(server_side_dispatch d, sio::io& handle) noexcept {
        server_side_ = d;
        io_handle_ = &handle;
    }
    server_side_dispatch server_side() const noexcept { return server_side_; }
    sio::io* io_handle() const noexcept { return io_handle_; }

    // ----- the shards of one server (run(n)) -----
    // `states[i]` and `shards[i]` are shard i's (this one included); set before the
    // threads start. A lone shard has none.
    void set_cluster(std::vector<shard_state*> states, std::vector<runtime::shard*> shards) {
        cluster_states_ = std::move(states);
        cluster_shards_ = std::move(shards);
        // Recovery keeps a timer per namespace for its expiries: stopped with the shard.
        if (opts_->connection_state_recovery.enabled)
            loop()->at_stop([this] {
                for (auto& [name, ns] : namespaces_)
                    if (auto* r = ns->recovery()) r->stop();
            });
    }
    // This shard's event loop (once set_cluster ran).
    runtime::shard* loop() const noexcept {
        return shard_index_ < cluster_shards_.size() ? cluster_shards_[shard_index_] : nullptr;
    }
    std::size_t cluster_size() const noexcept { return cluster_states_.size(); }
    shard_state& peer(std::size_t i) const noexcept { return *cluster_states_[i]; }
    // Runs `f` on shard i's thread (through its mailbox).
    void post_to(std::size_t i, std::function<void()> f) const { cluster_shards_[i]->post_remote(std::move(f)); }
    // Runs `f` on this shard's thread; callable from any thread.
    void post(std::function<void()> f) const { post_to(shard_index_, std::move(f)); }

private:
    std::vector<shard_state*> cluster_states_;
    std::vector<runtime::shard*> cluster_shards_;
    asio::io_context* io_;
    const options* opts_;
    unsigned shard_index_;
    std::unordered_map<std::string, std::unique_ptr<namespace_state>> namespaces_;
    std::string scratch_;
    const session_options* sessions_;
    server_side_dispatch server_side_ = nullptr;
    sio::io* io_handle_ = nullptr;
    const wire_format* wire_;
};

}  // namespace duet::sio
