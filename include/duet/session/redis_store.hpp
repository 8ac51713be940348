// duet/session/redis_store.hpp — sessions in Redis, in connect-redis 7's format, so a
// user logged in through a Node Express node (express-session + connect-redis) is
// logged in on a duet node and the reverse.
//
// Owns: the Redis commands of each store operation (exactly connect-redis's: GET;
// SET key value EX ttl, or DEL when the ttl is not positive; DEL; EXPIRE), the key
// (`sess:<id>`, prefix configurable), the value (express-session's JSON, see
// session/express_format.hpp) and one Redis connection per shard.
//
// Asynchronous (session_store::asynchronous() is true): the HTTP connection loads a
// request's session before its handler and waits for the commit before it writes the
// response; Socket.IO code uses load_session_async() / session::save(done). The
// synchronous get/set/destroy/touch throw std::logic_error: they would block a shard.
//
// Connections: one runtime::redis_client per shard, created on the shard's thread the
// first time that shard uses the store, on that shard's io_context (the client is
// single-threaded; no lock on the command path). Commands issued while it connects
// wait (at most max_waiting); while Redis is unreachable they fail at once. It is
// closed when the shard stops (runtime::shard::at_stop), so run() returns. The store
// must outlive the servers that use it (like the memory store).
//
// Failures: a load that fails reads as "no session"; a save/remove that fails makes
// the HTTP response a 500 (express-session passes the error to next()). An outage is
// logged once when it starts and once when Redis is back, not per request.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio/post.hpp>

#include <duet/core/log.hpp>
#include <duet/runtime/redis_client.hpp>
#include <duet/runtime/shard.hpp>
#include <duet/session/express_format.hpp>
#include <duet/session/session.hpp>

namespace duet {

struct redis_session_store_options {
    // Where Redis is (host, port), connect timeout, reconnect backoff, commands in flight.
    runtime::redis_client_options redis{};
    // connect-redis' `prefix`.
    std::string prefix = "sess:";
    // connect-redis' `ttl`: seconds a session lives when its cookie has no expiry.
    std::chrono::seconds ttl{86400};
    // connect-redis' `disableTouch`: an unchanged session's expiry is not moved.
    bool disable_touch = false;
    // A stored value larger than this reads as no session (and is logged).
    std::size_t max_value_bytes = 1 << 20;
    // Commands that wait while a shard's connection is being established.
    std::size_t max_waiting = 1024;
};

class redis_session_store final : public session_store {
public:
    explicit redis_session_store(redis_session_store_options o = {})
        : opts_(std::move(o)), uid_(next_uid().fetch_add(1, std::memory_order_relaxed) + 1) {}
    ~redis_session_store() override {
        *alive_ = false;
        for (auto& [sh, l] : links_) l->close();
    }
    redis_session_store(const redis_session_store&) = delete;
    redis_session_store& operator=(const redis_session_store&) = delete;

    bool asynchronous() const noexcept override { return true; }
    bool keeps_cookie() const noexcept override { return true; }
    const redis_session_store_options& options() const noexcept { return opts_; }

    std::optional<session_record> get(std::string_view) override { blocking(); }
    void set(std::string_view, const session_record&) override { blocking(); }
    void destroy(std::string_view) override { blocking(); }
    void touch(std::string_view, session_clock::time_point) override { blocking(); }

    // GET sess:<id>
    void load(std::string_view id, load_handler h) override {
        command({"GET", key(id)}, [this, h = std::move(h)](std::error_code ec, const runtime::redis_reply& r) {
            if (ec) return h(ec, std::nullopt);
            if (r.type != runtime::redis_reply::kind::string) return h({}, std::nullopt);
            if (r.str.size() > opts_.max_value_bytes) {
                log(log_level::warn, "session store: a stored session is larger than max_value_bytes; read as absent");
                return h({}, std::nullopt);
            }
            auto rec = parse(r.str, session_clock::now(), opts_.ttl);
            if (!rec) log(log_level::warn, "session store: a stored session is not express-session JSON; read as absent");
            h({}, std::move(rec));
        });
    }

    // SET sess:<id> <json> EX <ttl>, or DEL when the ttl is not positive (connect-redis' set).
    void save(std::string_view id, const session_record& record, done_handler h) override {
        const long long ttl = ttl_of(record, session_clock::now());
        if (ttl <= 0) return remove(id, std::move(h));
        command({"SET", key(id), serialize(record), "EX", std::to_string(ttl)}, done(std::move(h)));
    }

    // DEL sess:<id>
    void remove(std::string_view id, done_handler h) override { command({"DEL", key(id)}, done(std::move(h))); }

    // EXPIRE sess:<id> <ttl> (connect-redis' touch)
    void refresh(std::string_view id, session_clock::time_point expires, done_handler h) override {
        if (opts_.disable_touch) {
            asio::post(link().client.io(), [h = std::move(h)] { h({}); });
            return;
        }
        const long long ttl = express::ttl_seconds(expires, session_clock::now(), opts_.ttl);
        command({"EXPIRE", key(id), std::to_string(ttl)}, done(std::move(h)));
    }

    std::string key(std::string_view id) const { return opts_.prefix + std::string(id); }

    // ----- the value (pure; tested against values Node wrote) -----

    // JSON.stringify(session): the cookie object, then the data members.
    static std::string serialize(const session_record& r) { return express::stringify(r.cookie, r.data); }
    // A stored value back into a record; its expiry is cookie.expires, or now + ttl
    // when the cookie has none. nullopt: not express-session JSON.
    static std::optional<session_record> parse(std::string_view value, session_clock::time_point now,
                                               std::chrono::seconds ttl) {
        auto s = express::parse(value);
        if (!s) return std::nullopt;
        session_record r;
        r.data = std::move(s->data);
        r.cookie = std::move(s->cookie);
        r.expires = s->expires ? *s->expires : now + ttl;
        return r;
    }
    // connect-redis' getTTL for a record about to be saved.
    long long ttl_of(const session_record& r, session_clock::time_point now) const {
        std::optional<session_clock::time_point> expires;
        if (auto* e = r.cookie.if_contains("expires"); e && e->is_string()) expires = express::parse_iso_date(e->get_string());
        else if (r.cookie.empty() && r.expires != session_clock::time_point{}) expires = r.expires;
        return express::ttl_seconds(expires, now, opts_.ttl);
    }

    // Connections made so far on the calling shard (tests).
    std::uint64_t connections_on_this_shard() { return link().client.connections(); }

private:
    using reply_handler = runtime::redis_client::reply_handler;

    [[noreturn]] static void blocking() {
        throw std::logic_error(
            "redis_session_store is asynchronous: use load/save/remove/refresh (load_session_async, "
            "session::save(done)); the synchronous calls would block a shard");
    }

    static reply_handler done(done_handler h) {
        return [h = std::move(h)](std::error_code ec, const runtime::redis_reply&) { h(ec); };
    }

    // One shard's connection.
    struct shard_link {
        shard_link(asio::io_context& io, const redis_session_store_options& o) : client(io, o.redis), opts(o) {}

        runtime::redis_client client;
        const redis_session_store_options& opts;
        struct queued {
            std::vector<std::string> args;
            reply_handler handler;
        };
        std::deque<queued> waiting;
        bool outage = false;

        void start() {
            client.on_state([this](runtime::redis_state s, std::error_code ec) {
                if (s == runtime::redis_state::connected) {
                    if (outage) log(log_level::info, "session store: Redis is reachable again");
                    outage = false;
                    auto q = std::move(waiting);
                    waiting.clear();
                    for (auto& c : q) send(c.args, std::move(c.handler));
                } else if (s == runtime::redis_state::disconnected) {
                    if (!outage)
                        log(log_level::warn,
                            "session store: cannot reach Redis at " + opts.redis.host + ":" +
                                std::to_string(opts.redis.port) + " (" + client.last_error() + ", " + ec.message() +
                                "); sessions read as absent and session writes answer 500 until it is back");
                    outage = true;
                    fail_waiting(runtime::redis_errc::not_connected);
                }
            });
            client.start();
        }
        void send(const std::vector<std::string>& args, reply_handler h) {
            std::vector<std::string_view> v(args.begin(), args.end());
            client.command(std::span<const std::string_view>(v), std::move(h));
        }
        void fail_waiting(runtime::redis_errc e) {
            if (waiting.empty()) return;
            auto q = std::move(waiting);
            waiting.clear();
            asio::post(client.io(), [q = std::move(q), e]() mutable {
                for (auto& c : q) c.handler(e, runtime::redis_reply{});
            });
        }
        void close() {
            fail_waiting(runtime::redis_errc::client_closed);
            client.close();
        }
    };

    void command(std::vector<std::string> args, reply_handler h) {
        auto& l = link();
        if (l.client.state() == runtime::redis_state::connecting) {
            if (l.waiting.size() >= opts_.max_waiting) {
                asio::post(l.client.io(), [h = std::move(h)] { h(runtime::redis_errc::too_many_pending, {}); });
                return;
            }
            l.waiting.push_back({std::move(args), std::move(h)});
            return;
        }
        // Connected, or not (then it fails at once, posted).
        l.send(args, [h = std::move(h)](std::error_code ec, const runtime::redis_reply& r) {
            if (ec == runtime::redis_errc::redis_error)
                log(log_level::error, "session store: Redis answered " + r.str);
            h(ec, r);
        });
    }

    struct cache_entry {
        std::uint64_t store = 0;
        runtime::shard* shard = nullptr;
        shard_link* link = nullptr;
    };
    static cache_entry& tls_cache() {
        thread_local cache_entry c;
        return c;
    }
    static std::atomic<std::uint64_t>& next_uid() {
        static std::atomic<std::uint64_t> n{0};
        return n;
    }

    // The calling shard's connection, created on first use. The lock is taken only
    // when the thread-local one-entry cache misses (first use on a thread, several
    // stores alternating).
    shard_link& link() {
        runtime::shard* sh = runtime::current_shard;
        if (!sh)
            throw std::logic_error(
                "redis_session_store: used outside a server thread (it keeps one Redis connection per shard)");
        auto& cache = tls_cache();
        if (cache.store == uid_ && cache.shard == sh) return *cache.link;
        std::lock_guard lock(mutex_);
        auto& slot = links_[sh];
        if (!slot) {
            slot = std::make_unique<shard_link>(sh->io(), opts_);
            slot->start();
            sh->at_stop([alive = std::weak_ptr<bool>(alive_), this, sh] {
                if (auto a = alive.lock(); a && *a) drop(sh);
            });
        }
        cache = {uid_, sh, slot.get()};
        return *slot;
    }

    void drop(runtime::shard* sh) {
        std::unique_ptr<shard_link> l;
        {
            std::lock_guard lock(mutex_);
            if (auto it = links_.find(sh); it != links_.end()) {
                l = std::move(it->second);
                links_.erase(it);
            }
        }
        if (auto& cache = tls_cache(); cache.store == uid_ && cache.shard == sh) cache = {};
        if (l) l->close();
    }

    redis_session_store_options opts_;
    std::uint64_t uid_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::mutex mutex_;
    std::unordered_map<runtime::shard*, std::unique_ptr<shard_link>> links_;
};

}  // namespace duet
