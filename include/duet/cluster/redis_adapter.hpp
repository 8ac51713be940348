// duet/cluster/redis_adapter.hpp — duet as one node of a Node socket.io cluster that
// uses @socket.io/redis-adapter 8.3 (the classic pub/sub adapter).
//
// Owns: `redis_cluster` (one per process: the Redis connections, the uid, the
// subscriptions, what arrives from Redis and the requests waiting for replies),
// `redis_adapter` (one per namespace per shard: the rooms of that shard in a
// memory_adapter, plus publishing) and `remote_socket` (what fetch_sockets gives:
// socket.io's RemoteSocket). Chosen with
//   opts.socketio.cluster = std::make_shared<duet::cluster::redis_cluster>(
//       duet::cluster::redis_cluster_options{.host = "127.0.0.1", .port = 6379});
//
// The shards of a process are one node toward Redis: both connections (commands,
// subscriptions) live on shard 0's io_context ("home"). A broadcast emitted on any
// shard is delivered locally (this shard, the others through their mailboxes) and
// published once, by the emitting shard, encoded there and handed to home. A
// broadcast received from Redis is decoded on home and fanned out to every shard
// the same way a local one is. Bytes follow docs/REDIS_WIRE.md (redis_wire.hpp).
//
// Remote socketsJoin/Leave/disconnectSockets are applied here at once (all shards)
// and published; their echo (our uid) is ignored — equivalent to Node's
// apply-on-receipt, and it keeps working while Redis is down. A serverSideEmit from
// another server is handed, on home, to the namespace's receive_server_side_emit
// (the event table's on_server_side_emit entries) and to the low-level hook.
#pragma once

#include <duet/cluster/redis_wire.hpp>
#include <duet/core/log.hpp>
#include <duet/core/random_id.hpp>
#include <duet/eio/broadcast_frame.hpp>
#include <duet/runtime/redis_client.hpp>
#include <duet/sio/socket.hpp>

#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <algorithm>
#include <map>
#include <tuple>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duet::cluster {

struct redis_cluster_options {
    // "redis://[[user]:password@]host[:port][/db]" (what Node's createClient({url})
    // takes); when set it replaces host and port, and the credentials are sent on
    // every connection (runtime::redis_client_options::from_url).
    std::string url{};
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    // The channel prefix (Node's `key` option).
    std::string key = std::string(default_key);
    // How long allRooms / fetchSockets / serverSideEmit wait for the other servers.
    std::chrono::milliseconds requests_timeout{5000};
    // Node's `publishOnSpecificResponseChannel`: answers to another node's request go
    // to that node's own channel ("<key>-response#<nsp>#<uid>#", which every node —
    // Node's and duet's — subscribes to) instead of the shared one, so the other nodes
    // do not receive and drop them. serverSideEmit answers always use the shared one,
    // as in Node.
    bool publish_on_specific_response_channel = false;
    // Bounds on what is accepted from Redis.
    wire_limits limits{};
};

class redis_cluster;

// ----- a socket of fetch_sockets, wherever it lives -----
// socket.io's RemoteSocket: the socket's details (id, handshake, rooms, data) and the
// operations Node gives it — emit, join, leave, disconnect — done as Node does them,
// through the namespace's broadcast operators on its own id (`to(id).emit`,
// `in(id).sockets_join` ...): they reach the socket on whichever shard or server it is
// (this one included), once. Use it on the shard that fetched it (where the callback
// of redis_cluster::fetch_sockets runs).
class remote_socket : public socket_details {
public:
    remote_socket(sio::namespace_state& ns, socket_details d) : socket_details(std::move(d)), ns_(&ns) {}

    template <class... A>
    void emit(std::string_view event, A&&... args) const {
        target().emit(event, static_cast<A&&>(args)...);
    }
    void join(std::string_view room) const { target().sockets_join(room); }
    void leave(std::string_view room) const { target().sockets_leave(room); }
    void disconnect(bool close = false) const { target().disconnect_sockets(close); }
    sio::namespace_state& ns() const noexcept { return *ns_; }

private:
    sio::broadcast_operator target() const {
        sio::broadcast_operator op(*ns_);
        op.to(id);
        return op;
    }
    sio::namespace_state* ns_;
};

// ----- one namespace on one shard -----
// The rooms are the memory adapter's (this process's sockets); what it adds is the
// way to the other servers.
class redis_adapter final : public sio::memory_adapter {
public:
    redis_adapter(redis_cluster& c, sio::namespace_state& ns) : sio::memory_adapter(ns), cluster_(&c), ns_(&ns) {}

    bool publishes() const override { return true; }
    void publish(const sio::outgoing_broadcast& b) override;
    void publish_op(sio::remote_op op, std::span<const std::string> rooms, std::span<const std::string> except,
                    std::string_view room, bool close) override;
    void server_count(std::function<void(std::size_t)> done) override;
    bool remote_socket_count(std::span<const std::string> rooms, std::span<const std::string> except,
                             std::function<void(std::error_code, std::size_t)> done) override;
    bool publish_with_ack(const sio::outgoing_broadcast& b, std::chrono::milliseconds timeout,
                          std::function<void(std::error_code, std::vector<sio::ack_reply>)> done) override;
    void server_side_emit(boost::json::array data) override;
    bool server_side_emit_with_ack(boost::json::array data, std::chrono::milliseconds timeout,
                                   sio::server_side_ack_callback done) override;

    // The room names of this shard (socket-id rooms included).
    void room_names(std::set<std::string>& out) const {
        sio::broadcast_target all{};
        for_each(all, [](void* o, sio::socket& s) {
            auto* set = static_cast<std::set<std::string>*>(o);
            for (auto& r : s.rooms()) set->insert(r);
        }, &out);
    }

private:
    redis_cluster* cluster_;
    sio::namespace_state* ns_;
};

// ----- the process's node -----
class redis_cluster final : public sio::cluster_link {
public:
    explicit redis_cluster(redis_cluster_options o = {})
        : opts_(std::move(o)), client_opts_(client_options(opts_)), uid_(random_id<6>().value_or("duet00")) {
        opts_.host = client_opts_.host;  // what the url named
        opts_.port = client_opts_.port;
    }
    ~redis_cluster() override { close_clients(); }

    const std::string& uid() const noexcept { return uid_; }
    const redis_cluster_options& options() const noexcept { return opts_; }
    // Messages from Redis dropped because they did not decode.
    std::uint64_t dropped() const noexcept { return dropped_.load(); }

    std::unique_ptr<sio::adapter> make_adapter(sio::namespace_state& ns) override {
        auto a = std::make_unique<redis_adapter>(*this, ns);
        on_home(ns, [this, nsp = ns.name()] { watch(nsp); });
        return a;
    }

    void start(sio::shard_state& home) override {
        home_ = &home;
        asio::post(home.io(), [this] {
            pub_ = std::make_unique<runtime::redis_client>(home_->io(), client_opts_);
            sub_ = std::make_unique<runtime::redis_client>(home_->io(), client_opts_);
            sub_->on_message([this](std::string_view pattern, std::string_view channel, std::span<const std::byte> payload) {
                on_message(pattern, channel, payload);
            });
            sub_->on_state([](runtime::redis_state s, std::error_code ec) {
                if (s == runtime::redis_state::disconnected)
                    log(log_level::warn, "redis adapter: subscriber disconnected (" + ec.message() + "), reconnecting");
            });
            sub_->psubscribe(opts_.key + "#*");
            for (auto& nsp : namespaces_) subscribe(nsp);
            pub_->start();
            sub_->start();
        });
        // The main namespace exists from the start, as in Node (serverCount counts it).
        home.of("/");
    }

    void stop() override {
        stopped_ = true;
        for (auto& [id, p] : pending_) p.timer->cancel();
        close_clients();
    }

    // ----- called by the adapters (any shard) -----

    // Runs f on home's thread (at once when already there).
    void on_home(sio::namespace_state& ns, std::function<void()> f) {
        auto& sh = ns.shard();
        if (sh.cluster_size() == 0 || sh.shard_index() == 0) {
            f();
        } else {
            sh.post_to(0, std::move(f));
        }
    }

    void publish(sio::namespace_state& ns, std::string channel, std::string bytes) {
        on_home(ns, [this, c = std::move(channel), b = std::move(bytes)] {
            if (pub_ && !stopped_) pub_->publish(c, b);
        });
    }

    void server_count(sio::namespace_state& ns, std::function<void(std::size_t)> done) {
        auto& sh = ns.shard();
        const bool here = sh.cluster_size() == 0 || sh.shard_index() == 0;
        sio::shard_state* origin = &sh;
        on_home(ns, [this, here, origin, nsp = ns.name(), done = std::move(done)]() mutable {
            numsub(nsp, [here, origin, done = std::move(done)](std::size_t n) mutable {
                if (here) done(n);
                else origin->post([n, done = std::move(done)] { done(n); });
            });
        });
    }

    // ----- requests to the other servers (callable from any shard; `done` runs on the
    // calling shard, once; after requests_timeout it gets std::errc::timed_out and
    // what came so far) -----

    using rooms_callback = std::function<void(std::error_code, std::vector<std::string>)>;
    using sockets_callback = std::function<void(std::error_code, std::vector<remote_socket>)>;
    using acks_callback = std::function<void(std::error_code, std::vector<boost::json::value>)>;
    // A serverSideEmit arriving from another server: data is [event, ...args]; `ack`
    // is set when the sender waits for an answer (call it at most once). Runs on
    // shard 0's thread. Set before the server runs. The low-level hook: the event
    // table's duet::on_server_side_emit<"event"> entries get the same messages (both
    // run when both are there; the first answer is the one sent).
    using server_side_handler =
        std::function<void(std::string_view nsp, boost::json::array data, std::function<void(boost::json::value)> ack)>;

    // socket.io's adapter.allRooms(): the room names of every server (this one included).
    void all_rooms(sio::namespace_state& ns, rooms_callback done) {
        auto back = callback_on(ns, std::move(done));
        on_home(ns, [this, nsp = ns.name(), back]() mutable {
            gather_rooms(home_->of(nsp), [this, nsp, back](std::set<std::string> mine) mutable {
                auto all = std::make_shared<std::set<std::string>>(std::move(mine));
                const std::string id = new_request_id();
                ask(nsp, id, encode(all_rooms_request{uid_, id}),
                    [all](response&& r) {
                        if (auto* a = std::get_if<all_rooms_response>(&r)) all->insert(a->rooms.begin(), a->rooms.end());
                    },
                    [all, back](std::error_code ec) mutable { back(ec, {all->begin(), all->end()}); });
            });
        });
    }

    // socket.io's fetchSockets() across servers: the sockets matching `filter` on
    // every server (this one included), each a remote_socket (details + emit, join,
    // leave, disconnect). `done` runs on ns's shard.
    void fetch_sockets(sio::namespace_state& ns, room_filter filter, sockets_callback done) {
        sio::namespace_state* where = &ns;
        auto back = callback_on(ns, std::move(done));
        on_home(ns, [this, where, nsp = ns.name(), filter = std::move(filter), back]() mutable {
            gather_sockets(home_->of(nsp), filter, [this, where, nsp, filter, back](std::vector<socket_details> mine) mutable {
                auto all = std::make_shared<std::vector<socket_details>>(std::move(mine));
                ask_fetch(nsp, filter,
                    [all](fetch_sockets_response&& f) {
                        for (auto& d : f.sockets) all->push_back(std::move(d));
                    },
                    [where, all, back](std::error_code ec) mutable {
                        // Only pointers are bound here; the sockets are used on `where`'s shard.
                        std::vector<remote_socket> out;
                        out.reserve(all->size());
                        for (auto& d : *all) out.emplace_back(*where, std::move(d));
                        back(ec, std::move(out));
                    });
            });
        });
    }
    // Coroutine form: the sockets, or throws std::system_error (timed_out) when some
    // server did not answer within requests_timeout (Node's fetchSockets rejects).
    asio::awaitable<std::vector<remote_socket>> fetch_sockets(sio::namespace_state& ns, room_filter filter) {
        using outcome = std::pair<std::error_code, std::vector<remote_socket>>;
        auto w = std::make_shared<sio::detail::awaited_value<outcome>>(ns.shard().io());
        fetch_sockets(ns, std::move(filter), [w](std::error_code ec, std::vector<remote_socket> found) {
            w->set(outcome{ec, std::move(found)});
        });
        return await_sockets(std::move(w));
    }

    // How many sockets match `filter` on the other servers (a fetchSockets request
    // whose answers are counted, not kept).
    void count_remote_sockets(sio::namespace_state& ns, room_filter filter,
                              std::function<void(std::error_code, std::size_t)> done) {
        auto back = callback_on(ns, std::move(done));
        on_home(ns, [this, nsp = ns.name(), filter = std::move(filter), back]() mutable {
            auto n = std::make_shared<std::size_t>(0);
            ask_fetch(nsp, filter, [n](fetch_sockets_response&& f) { *n += f.sockets.size(); },
                      [n, back](std::error_code ec) mutable { back(ec, *n); });
        });
    }

    // serverSideEmit: data is [event, ...args]; the other servers only.
    void server_side_emit(sio::namespace_state& ns, boost::json::array data) {
        publish(ns, channels(ns.name(), opts_.key).request, encode(server_side_emit_request{uid_, std::nullopt, std::move(data)}));
    }
    // serverSideEmitWithAck: one answer (the first ack argument) per other server,
    // waiting at most requests_timeout (or `timeout`).
    void server_side_emit_with_ack(sio::namespace_state& ns, boost::json::array data, acks_callback done) {
        server_side_emit_with_ack(ns, std::move(data), opts_.requests_timeout, std::move(done));
    }
    void server_side_emit_with_ack(sio::namespace_state& ns, boost::json::array data, std::chrono::milliseconds timeout,
                                   acks_callback done) {
        auto back = callback_on(ns, std::move(done));
        on_home(ns, [this, nsp = ns.name(), data = std::move(data), timeout, back]() mutable {
            auto got = std::make_shared<std::vector<boost::json::value>>();
            const std::string id = new_request_id();
            ask_until(nsp, id, encode(server_side_emit_request{uid_, id, std::move(data)}), timeout,
                      [got](std::size_t expected) {
                          return [got, expected](response&& r) {
                              if (auto* a = std::get_if<server_side_emit_response>(&r)) got->push_back(std::move(a->data));
                              else return false;
                              return got->size() >= expected;
                          };
                      },
                      [got, back](std::error_code ec) mutable { back(ec, std::move(*got)); });
        });
    }
    void on_server_side_emit(server_side_handler h) { on_sse_ = std::move(h); }

private:
    static asio::awaitable<std::vector<remote_socket>> await_sockets(
        std::shared_ptr<sio::detail::awaited_value<std::pair<std::error_code, std::vector<remote_socket>>>> w) {
        auto [ec, found] = co_await sio::detail::await_value(std::move(w));
        if (ec) throw std::system_error(ec);
        co_return std::move(found);
    }

    // Where both connections go: the url (with its credentials and db), else host and port.
    static runtime::redis_client_options client_options(const redis_cluster_options& o) {
        if (!o.url.empty()) return runtime::redis_client_options::from_url(o.url);
        runtime::redis_client_options c;
        c.host = o.host;
        c.port = o.port;
        return c;
    }

    // `done` wrapped to run on ns's shard.
    template <class... A>
    std::function<void(std::error_code, A...)> callback_on(sio::namespace_state& ns,
                                                          std::function<void(std::error_code, A...)> done) {
        auto& sh = ns.shard();
        if (sh.cluster_size() == 0 || sh.shard_index() == 0) return done;
        sio::shard_state* origin = &sh;
        return [origin, done = std::make_shared<std::function<void(std::error_code, A...)>>(std::move(done))](
                   std::error_code ec, A... a) {
            origin->post([done, ec, args = std::make_tuple(std::move(a)...)]() mutable {
                std::apply([&](auto&... x) { (*done)(ec, std::move(x)...); }, args);
            });
        };
    }

    // Any thread (a broadcast with ack starts on the emitting shard).
    std::string new_request_id() {
        const auto n = request_seq_.fetch_add(1) + 1;
        return random_id<6>().value_or("duet") + std::to_string(n);
    }

    // Publishes a request and waits for one reply per other server (PUBSUB NUMSUB
    // of the request channel, minus this one), or requests_timeout.
    void ask(const std::string& nsp, const std::string& id, std::string bytes, std::function<void(response&&)> each,
             std::function<void(std::error_code)> finish) {
        ask_until(nsp, id, std::move(bytes), opts_.requests_timeout,
                  [each = std::move(each)](std::size_t expected) {
                      return [each, expected, count = std::size_t{0}](response&& r) mutable {
                          each(std::move(r));
                          return ++count >= expected;
                      };
                  },
                  std::move(finish));
    }

    // A fetchSockets request (REMOTE_FETCH) to the other servers: `each` gets every answer.
    void ask_fetch(const std::string& nsp, const room_filter& filter, std::function<void(fetch_sockets_response&&)> each,
                   std::function<void(std::error_code)> finish) {
        const std::string id = new_request_id();
        ask(nsp, id, encode(remote_fetch_request{uid_, id, filter}),
            [each = std::move(each)](response&& r) {
                if (auto* f = std::get_if<fetch_sockets_response>(&r)) each(std::move(*f));
            },
            std::move(finish));
    }

    // The general form: `make_until(expected other servers)` builds the reply
    // handler, which says when the request is complete.
    void ask_until(const std::string& nsp, const std::string& id, std::string bytes, std::chrono::milliseconds timeout,
                   std::function<std::function<bool(response&&)>(std::size_t)> make_until,
                   std::function<void(std::error_code)> finish) {
        numsub(nsp, [this, nsp, id, timeout, bytes = std::move(bytes), make_until = std::move(make_until),
                     finish = std::move(finish)](std::size_t servers) mutable {
            const std::size_t expected = servers > 0 ? servers - 1 : 0;
            if (expected == 0 || stopped_ || !pub_) return finish({});
            auto timer = std::make_shared<asio::steady_timer>(home_->io(), timeout);
            auto fin = std::make_shared<std::function<void(std::error_code)>>(std::move(finish));
            auto until = std::make_shared<std::function<bool(response&&)>>(make_until(expected));
            pending_[id] = pending_request{timer, [this, id, until, fin](response&& r) {
                if (!(*until)(std::move(r))) return;
                auto f = std::move(*fin);
                *fin = nullptr;
                const std::string key = id;
                if (auto it = pending_.find(key); it != pending_.end()) {
                    it->second.timer->cancel();
                    pending_.erase(it);
                }
                if (f) f({});
            }};
            timer->async_wait([this, id, fin](std::error_code ec) {
                if (ec) return;
                auto it = pending_.find(id);
                if (it == pending_.end()) return;
                pending_.erase(it);
                if (*fin) (*fin)(std::make_error_code(std::errc::timed_out));
            });
            pub_->publish(channels(nsp, opts_.key).request, bytes);
        });
    }

    // A broadcast with ack to the other servers (from redis_adapter::publish_with_ack).
    void broadcast_with_ack(sio::namespace_state& ns, std::string bytes, std::string id, std::chrono::milliseconds timeout,
                            std::function<void(std::error_code, std::vector<sio::ack_reply>)> done) {
        auto back = callback_on(ns, std::move(done));
        on_home(ns, [this, nsp = ns.name(), bytes = std::move(bytes), id = std::move(id), timeout, back]() mutable {
            auto got = std::make_shared<std::vector<sio::ack_reply>>();
            ask_until(nsp, id, std::move(bytes), timeout,
                      [got](std::size_t expected) {
                          // socket.io's rule: every server sent its client count, and
                          // as many acks came as the counts add up to.
                          return [got, expected, servers = std::size_t{0}, clients = std::uint64_t{0}](response&& r) mutable {
                              if (auto* c = std::get_if<broadcast_client_count_response>(&r)) {
                                  ++servers;
                                  clients += c->client_count;
                              } else if (auto* a = std::get_if<broadcast_ack_response>(&r)) {
                                  sio::ack_reply reply;
                                  reply.args.push_back(std::move(a->arg));
                                  reply.attachments = std::move(a->attachments);
                                  got->push_back(std::move(reply));
                              } else {
                                  return false;
                              }
                              return servers >= expected && got->size() >= clients;
                          };
                      },
                      [got, back](std::error_code ec) mutable { back(ec, std::move(*got)); });
        });
    }

    struct pending_request {
        std::shared_ptr<asio::steady_timer> timer;
        std::function<void(response&&)> on_reply;
    };

    // ---- home thread only below

    void close_clients() {
        if (sub_) sub_->close();
        if (pub_) pub_->close();
    }

    void numsub(const std::string& nsp, std::function<void(std::size_t)> done) {
        if (!pub_ || stopped_) return done(1);
        pub_->numsub(channels(nsp, opts_.key).request, [done = std::move(done)](std::error_code ec, std::uint64_t n) {
            done(ec || n == 0 ? 1 : static_cast<std::size_t>(n));
        });
    }

    void watch(const std::string& nsp) {
        if (!namespaces_.insert(nsp).second) return;
        if (sub_) subscribe(nsp);
    }
    void subscribe(const std::string& nsp) {
        channels ch(nsp, opts_.key);
        sub_->subscribe(ch.request);
        sub_->subscribe(ch.response);
        sub_->subscribe(ch.specific_response(uid_));
    }

    void drop(std::string_view channel, std::error_code ec) {
        ++dropped_;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_drop_log_ < std::chrono::seconds(1)) return;
        last_drop_log_ = now;
        log(log_level::warn, "redis adapter: dropped a malformed message on " + std::string(channel) + ": " +
                                 ec.message() + " (" + std::to_string(dropped_.load()) + " so far)");
    }

    void on_message(std::string_view pattern, std::string_view channel, std::span<const std::byte> payload) {
        if (stopped_ || !home_) return;
        if (!pattern.empty()) return on_broadcast(channel, payload);
        // "<key>-request#<nsp>#" or "<key>-response#<nsp>#[<uid>#]"
        const std::string req_prefix = opts_.key + "-request#";
        const std::string res_prefix = opts_.key + "-response#";
        if (channel.starts_with(req_prefix)) {
            std::string_view nsp = channel.substr(req_prefix.size());
            if (nsp.empty() || nsp.back() != '#') return;
            nsp.remove_suffix(1);
            if (!namespaces_.contains(std::string(nsp))) return;
            request q;
            if (auto ec = decode(payload, q, opts_.limits)) return drop(channel, ec);
            on_request(std::string(nsp), std::move(q));
        } else if (channel.starts_with(res_prefix)) {
            response r;
            if (auto ec = decode(payload, r, opts_.limits)) return drop(channel, ec);
            on_response(std::move(r));
        }
    }

    void on_broadcast(std::string_view channel, std::span<const std::byte> payload) {
        broadcast_message m;
        if (auto ec = decode(payload, m, opts_.limits)) return drop(channel, ec);
        if (m.uid == uid_) return;
        if (!namespaces_.contains(m.packet.nsp)) return;
        if (!channels(m.packet.nsp, opts_.key).room_of(channel)) return;
        if (m.opts.flags.local && *m.opts.flags.local) return;
        auto msg = std::make_shared<sio::broadcast_message>();
        msg->nsp = m.packet.nsp;
        msg->rooms = std::move(m.opts.rooms);
        msg->except = std::move(m.opts.except);
        msg->volatile_ = m.opts.flags.volatile_.value_or(false);
        auto& data = m.packet.data.as_array();
        const auto& ev = data[0].as_string();
        auto& ns = home_->of(msg->nsp);
        // With connection state recovery on, another node's broadcast is logged here
        // too (an offset of this process): a client of this node that drops gets it.
        sio::detail::stamp_for_recovery(ns, *msg, nullptr);
        msg->attachments = std::move(m.packet.attachments);
        sio::detail::encode_broadcast(ns, *msg, std::string_view(ev.data(), ev.size()),
                                      std::span<const boost::json::value>(data.data() + 1, data.size() - 1));
        std::shared_ptr<const sio::broadcast_message> shared = std::move(msg);
        ns.deliver(shared);
        if (ns.adapter().remote_count() > 0)
            ns.adapter().for_each_remote([shared](sio::namespace_state& there) { there.deliver(shared); });
    }

    static sio::broadcast_operator select(sio::namespace_state& ns, const room_filter& f) {
        sio::broadcast_operator op(ns);
        for (auto& r : f.rooms) op.to(r);
        for (auto& r : f.except) op.except(r);
        return std::move(op).local();
    }

    void reply(const std::string& nsp, const response& r) {
        if (pub_) pub_->publish(channels(nsp, opts_.key).response, encode(r));
    }
    // The answer to `requester`'s request: its own channel or the shared one.
    void reply_to(const std::string& nsp, const std::string& requester, const response& r) {
        if (!pub_) return;
        channels ch(nsp, opts_.key);
        pub_->publish(opts_.publish_on_specific_response_channel ? ch.specific_response(requester) : ch.response, encode(r));
    }

    void on_request(const std::string& nsp, request&& q) {
        auto& ns = home_->of(nsp);
        if (auto* j = std::get_if<remote_join_request>(&q)) {
            if (j->uid && *j->uid == uid_) return;
            for (auto& room : j->rooms) select(ns, j->opts).sockets_join(room);
        } else if (auto* l = std::get_if<remote_leave_request>(&q)) {
            if (l->uid && *l->uid == uid_) return;
            for (auto& room : l->rooms) select(ns, l->opts).sockets_leave(room);
        } else if (auto* d = std::get_if<remote_disconnect_request>(&q)) {
            if (d->uid && *d->uid == uid_) return;
            select(ns, d->opts).disconnect_sockets(d->close);
        } else if (auto* a = std::get_if<all_rooms_request>(&q)) {
            if (a->uid == uid_) return;
            gather_rooms(ns, [this, nsp, id = a->request_id, from = a->uid](std::set<std::string> rooms) {
                reply_to(nsp, from, all_rooms_response{id, {rooms.begin(), rooms.end()}});
            });
        } else if (auto* s = std::get_if<sockets_request>(&q)) {
            if (s->uid == uid_) return;
            gather_sockets(ns, {s->rooms, {}}, [this, nsp, id = s->request_id, from = s->uid](std::vector<socket_details> found) {
                sockets_response r{id, {}};
                for (auto& d : found) r.sockets.push_back(std::move(d.id));
                reply_to(nsp, from, r);
            });
        } else if (auto* f = std::get_if<remote_fetch_request>(&q)) {
            if (f->uid == uid_) return;
            gather_sockets(ns, f->opts, [this, nsp, id = f->request_id, from = f->uid](std::vector<socket_details> found) {
                reply_to(nsp, from, fetch_sockets_response{id, std::move(found)});
            });
        } else if (auto* e = std::get_if<server_side_emit_request>(&q)) {
            if (e->uid == uid_) return;
            std::function<void(boost::json::value)> ack;
            if (e->request_id)
                ack = [this, nsp, id = *e->request_id, once = std::make_shared<bool>(false)](boost::json::value v) {
                    if (*once) return;
                    *once = true;
                    // Always on the shared response channel (REDIS_WIRE.md).
                    reply(nsp, server_side_emit_response{id, std::move(v)});
                };
            if (on_sse_) on_sse_(nsp, e->data, ack);
            // The event table's on_server_side_emit entries (shard 0, like this).
            ns.receive_server_side_emit(std::move(e->data), std::move(ack));
        } else if (auto* b = std::get_if<broadcast_request>(&q)) {
            if (b->uid == uid_) return;
            answer_broadcast_with_ack(ns, std::move(*b));
        }
    }

    // A broadcast with ack from another server: deliver it on every shard, tell the
    // requester how many clients got it, then each client's first ack argument.
    void answer_broadcast_with_ack(sio::namespace_state& ns, broadcast_request&& b) {
        auto m = std::make_shared<sio::detail::ack_broadcast>();
        auto& data = b.packet.data.as_array();
        m->event = std::string(data[0].as_string());
        m->args = boost::json::array(data.begin() + 1, data.end());
        m->attachments = std::move(b.packet.attachments);
        m->rooms = std::move(b.opts.rooms);
        m->except = std::move(b.opts.except);
        m->volatile_ = b.opts.flags.volatile_.value_or(false);
        m->timeout = std::chrono::milliseconds(b.opts.flags.timeout.value_or(opts_.requests_timeout.count()));
        std::shared_ptr<const sio::detail::ack_broadcast> shared = std::move(m);
        const std::string nsp = ns.name(), id = b.request_id, from = b.uid;
        // Count first (the requester needs the count before it can complete).
        gather<std::size_t>(
            ns,
            [shared](sio::namespace_state& there) {
                std::size_t n = 0;
                sio::broadcast_target t{shared->rooms, shared->except, nullptr, shared->volatile_};
                there.adapter().for_each(t, [](void* c, sio::socket& s) {
                    if (s.connected()) ++*static_cast<std::size_t*>(c);
                }, &n);
                return n;
            },
            [this, nsp, id, from](std::vector<std::size_t> counts) {
                std::size_t n = 0;
                for (auto c : counts) n += c;
                reply_to(nsp, from, broadcast_client_count_response{id, n});
            });
        sio::shard_state* home = home_;
        auto send_acks = [this, nsp, id, from](sio::detail::shard_acks acks) {
            for (auto& r : acks.replies) {
                broadcast_ack_response resp{id, r.args.empty() ? boost::json::value() : r.args[0], std::move(r.attachments)};
                reply_to(nsp, from, resp);
            }
        };
        if (ns.adapter().remote_count() > 0)
            ns.adapter().for_each_remote([shared, home, send_acks](sio::namespace_state& there) {
                sio::detail::ack_broadcast_on_shard(there, shared, nullptr, [home, send_acks](sio::detail::shard_acks a) {
                    home->post([send_acks, a = std::move(a)]() mutable { send_acks(std::move(a)); });
                });
            });
        sio::detail::ack_broadcast_on_shard(ns, shared, nullptr, send_acks);
    }

    void on_response(response&& r) {
        const std::string* id = std::visit([](const auto& x) -> const std::string* { return &x.request_id; }, r);
        auto it = pending_.find(*id);
        if (it == pending_.end()) return;
        // A copy: the last reply removes the entry.
        auto on_reply = it->second.on_reply;
        on_reply(std::move(r));
    }

    // Runs `per_shard(ns, reply)` on every shard; `done` gets the results on home.
    template <class R>
    void gather(sio::namespace_state& ns, std::function<R(sio::namespace_state&)> per_shard,
                std::function<void(std::vector<R>)> done) {
        auto st = std::make_shared<sio::detail::gather_state<R>>();
        st->remaining = 1 + ns.adapter().remote_count();
        st->done = std::move(done);
        sio::shard_state* home = home_;
        if (ns.adapter().remote_count() > 0)
            ns.adapter().for_each_remote([st, home, per_shard](sio::namespace_state& there) {
                R r = per_shard(there);
                home->post([st, r = std::move(r)]() mutable { st->add(std::move(r)); });
            });
        st->add(per_shard(ns));
    }

    void gather_rooms(sio::namespace_state& ns, std::function<void(std::set<std::string>)> done) {
        gather<std::set<std::string>>(
            ns,
            [](sio::namespace_state& there) {
                std::set<std::string> out;
                if (auto* a = dynamic_cast<redis_adapter*>(&there.adapter())) a->room_names(out);
                return out;
            },
            [done = std::move(done)](std::vector<std::set<std::string>> parts) {
                std::set<std::string> all;
                for (auto& p : parts) all.merge(p);
                done(std::move(all));
            });
    }

    static boost::json::value handshake_json(sio::socket& s) {
        const auto& h = s.handshake();
        boost::json::object headers;
        h.for_each_header([&](std::string_view k, std::string_view v) {
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            headers[k] = v;
        });
        boost::json::object query;
        for (std::string_view q = h.query(); !q.empty();) {
            auto amp = q.find('&');
            std::string_view kv = q.substr(0, amp);
            q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
            auto eq = kv.find('=');
            query[kv.substr(0, eq)] = eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
        }
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(h.time.time_since_epoch()).count();
        boost::json::object o;
        o["headers"] = std::move(headers);
        // Node's `new Date().toString()`, in UTC.
        char when[96] = "";
        const std::time_t t = std::chrono::system_clock::to_time_t(h.time);
        std::tm tm{};
        if (gmtime_r(&t, &tm)) std::strftime(when, sizeof when, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
        o["time"] = when;
        o["address"] = h.address();
        o["xdomain"] = h.header("origin").has_value();
        o["secure"] = h.secure;
        o["issued"] = ms;
        o["url"] = h.url();
        o["query"] = std::move(query);
        o["auth"] = s.auth().is_null() ? boost::json::value(boost::json::object()) : s.auth();
        return o;
    }

    void gather_sockets(sio::namespace_state& ns, room_filter filter,
                        std::function<void(std::vector<socket_details>)> done) {
        auto f = std::make_shared<const room_filter>(std::move(filter));
        gather<std::vector<socket_details>>(
            ns,
            [f](sio::namespace_state& there) {
                std::vector<socket_details> out;
                for (sio::socket* s : select(there, *f).fetch_sockets()) {
                    socket_details d;
                    d.id = s->id();
                    d.handshake = handshake_json(*s);
                    d.rooms = s->rooms();
                    if (!s->data().is_null()) d.data = s->data();
                    out.push_back(std::move(d));
                }
                return out;
            },
            [done = std::move(done)](std::vector<std::vector<socket_details>> parts) {
                std::vector<socket_details> all;
                for (auto& p : parts)
                    for (auto& d : p) all.push_back(std::move(d));
                done(std::move(all));
            });
    }

    friend class redis_adapter;

    redis_cluster_options opts_;
    runtime::redis_client_options client_opts_;
    std::string uid_;
    sio::shard_state* home_ = nullptr;
    std::unique_ptr<runtime::redis_client> pub_, sub_;
    std::set<std::string> namespaces_;
    std::map<std::string, pending_request> pending_;
    server_side_handler on_sse_;
    std::atomic<std::uint64_t> request_seq_{0};
    bool stopped_ = false;
    std::atomic<std::uint64_t> dropped_{0};
    std::chrono::steady_clock::time_point last_drop_log_{};
};

// ----- redis_adapter, the parts that need redis_cluster -----

namespace detail {
inline broadcast_message outgoing(const sio::outgoing_broadcast& b, const std::string& uid, const std::string& nsp) {
    broadcast_message m;
    m.uid = uid;
    m.packet.type = sio::packet_type::event;
    m.packet.nsp = nsp;
    auto& data = m.packet.data.emplace_array();
    data.reserve(1 + b.args.size());
    data.emplace_back(b.event);
    for (const auto& a : b.args) data.push_back(a);
    m.packet.attachments.assign(b.attachments.begin(), b.attachments.end());
    m.opts.rooms.assign(b.target.rooms.begin(), b.target.rooms.end());
    // Node keeps Sets: no duplicates.
    for (const auto& r : b.target.except)
        if (std::find(m.opts.except.begin(), m.opts.except.end(), r) == m.opts.except.end()) m.opts.except.push_back(r);
    // socket.to(room) / socket.broadcast: Node excepts the sender's own room.
    if (b.target.exclude &&
        std::find(m.opts.except.begin(), m.opts.except.end(), b.target.exclude->id()) == m.opts.except.end())
        m.opts.except.push_back(b.target.exclude->id());
    if (b.target.volatile_) m.opts.flags.volatile_ = true;
    return m;
}
}  // namespace detail

inline void redis_adapter::publish(const sio::outgoing_broadcast& b) {
    broadcast_message m = detail::outgoing(b, cluster_->uid(), ns_->name());
    channels ch(ns_->name(), cluster_->options().key);
    cluster_->publish(*ns_, broadcast_channel(ch, m.opts), encode(m));
}

inline bool redis_adapter::publish_with_ack(const sio::outgoing_broadcast& b, std::chrono::milliseconds timeout,
                                            std::function<void(std::error_code, std::vector<sio::ack_reply>)> done) {
    broadcast_message m = detail::outgoing(b, cluster_->uid(), ns_->name());
    m.opts.flags.timeout = static_cast<std::uint64_t>(timeout.count());
    std::string id = cluster_->new_request_id();
    std::string bytes = encode(broadcast_request{m.uid, id, std::move(m.packet), std::move(m.opts)});
    cluster_->broadcast_with_ack(*ns_, std::move(bytes), std::move(id), timeout, std::move(done));
    return true;
}

inline void redis_adapter::publish_op(sio::remote_op op, std::span<const std::string> rooms,
                                      std::span<const std::string> except, std::string_view room, bool close) {
    room_filter f{{rooms.begin(), rooms.end()}, {except.begin(), except.end()}};
    request q;
    switch (op) {
        case sio::remote_op::join: q = remote_join_request{cluster_->uid(), std::move(f), {std::string(room)}}; break;
        case sio::remote_op::leave: q = remote_leave_request{cluster_->uid(), std::move(f), {std::string(room)}}; break;
        case sio::remote_op::disconnect: q = remote_disconnect_request{cluster_->uid(), std::move(f), close}; break;
    }
    cluster_->publish(*ns_, channels(ns_->name(), cluster_->options().key).request, encode(q));
}

inline void redis_adapter::server_count(std::function<void(std::size_t)> done) {
    cluster_->server_count(*ns_, std::move(done));
}

inline bool redis_adapter::remote_socket_count(std::span<const std::string> rooms, std::span<const std::string> except,
                                               std::function<void(std::error_code, std::size_t)> done) {
    cluster_->count_remote_sockets(*ns_, room_filter{{rooms.begin(), rooms.end()}, {except.begin(), except.end()}},
                                   std::move(done));
    return true;
}

inline void redis_adapter::server_side_emit(boost::json::array data) {
    cluster_->server_side_emit(*ns_, std::move(data));
}

inline bool redis_adapter::server_side_emit_with_ack(boost::json::array data, std::chrono::milliseconds timeout,
                                                     sio::server_side_ack_callback done) {
    cluster_->server_side_emit_with_ack(*ns_, std::move(data), timeout, std::move(done));
    return true;
}

}  // namespace duet::cluster
