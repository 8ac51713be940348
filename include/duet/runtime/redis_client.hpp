// duet/runtime/redis_client.hpp — one asynchronous Redis connection (hiredis's
// async API) driven by an asio::io_context, with reconnection.
//
// Owns: the hiredis context and its socket's readiness waits, the bounded set of
// commands in flight, the subscriptions (restored after every reconnect) and the
// reconnect timer with exponential backoff.
//
// One object per role, as Node's adapter does: a command connection (PUBLISH,
// PUBSUB NUMSUB, GET/SET/DEL...) and a subscriber connection (SUBSCRIBE/PSUBSCRIBE
// put a Redis connection in a mode where it accepts nothing else).
//
// Threading: everything runs on the io_context's thread; no locks. Callbacks are
// invoked from that thread, never from inside command()/subscribe() themselves
// (errors detected on the spot are posted), so a caller's state is never re-entered.
//
// Failure model: nothing is queued while disconnected — a command then fails at
// once with redis_errc::not_connected; commands in flight when the connection drops
// fail with redis_errc::connection_lost; at most options.max_pending commands are in
// flight (redis_errc::too_many_pending beyond). Memory is therefore bounded by
// max_pending, and a Redis outage shows up as errors, never as a growing queue.
//
// hiredis wiring: hiredis calls addRead/delRead/addWrite/delWrite/cleanup on its
// context; those arm or disarm an async_wait on an asio::posix::stream_descriptor
// that wraps hiredis's socket (hiredis keeps ownership of the fd: the descriptor is
// release()d in cleanup, before hiredis closes it). A wait that completes after its
// context is gone finds the connection marked dead and does nothing.
#pragma once

#include <duet/core/log.hpp>
#include <duet/runtime/redis_error.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duet::runtime {

struct redis_client_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    // Commands in flight (sent, reply not yet read) at most; more fail at once.
    std::size_t max_pending = 4096;
    // TCP connect + Redis accepting the socket; a connect taking longer is retried.
    std::chrono::milliseconds connect_timeout{5000};
    // Reconnect delays: reconnect_min, doubled after each failed attempt, at most reconnect_max.
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{5000};
    bool reconnect = true;
    // A command unanswered this long means Redis (or the path to it) hangs: every
    // command in flight fails with redis_errc::timed_out, the connection is dropped
    // and re-established (with the backoff). 0 = wait forever.
    std::chrono::milliseconds command_timeout{5000};
    // Sent on every (re)connection before anything else: AUTH (when `password` is
    // set; with `username`, Redis 6 ACL form), then SELECT `db` (when not 0). The
    // client counts as connected once Redis accepted them; a refusal is logged and
    // retried with the reconnect backoff.
    std::string username{};
    std::string password{};
    unsigned db = 0;

    // From "redis://[[username]:password@]host[:port][/db]" (the form Node's
    // createClient takes); throws std::invalid_argument for anything else.
    static redis_client_options from_url(std::string_view u) {
        redis_client_options o;
        if (!u.starts_with("redis://")) throw std::invalid_argument("redis url must be redis://[[user]:password@]host[:port][/db]");
        u.remove_prefix(8);
        if (const auto at = u.rfind('@'); at != std::string_view::npos) {
            const auto creds = u.substr(0, at);
            const auto c = creds.find(':');
            if (c == std::string_view::npos) throw std::invalid_argument("redis url: credentials must be [user]:password");
            o.username = percent_decoded(creds.substr(0, c));
            o.password = percent_decoded(creds.substr(c + 1));
            u.remove_prefix(at + 1);
        }
        if (const auto slash = u.find('/'); slash != std::string_view::npos) {
            const auto db = u.substr(slash + 1);
            unsigned long n = 0;
            for (char c : db)
                if (c < '0' || c > '9' || (n = n * 10 + static_cast<unsigned long>(c - '0')) > 1000000)
                    throw std::invalid_argument("redis url: bad database number");
            o.db = static_cast<unsigned>(n);
            u = u.substr(0, slash);
        }
        const auto colon = u.rfind(':');
        o.host = std::string(u.substr(0, colon));
        if (colon != std::string_view::npos) {
            unsigned long p = 0;
            const auto digits = u.substr(colon + 1);
            if (digits.empty()) throw std::invalid_argument("redis url: bad port");
            for (char c : digits)
                if (c < '0' || c > '9' || (p = p * 10 + static_cast<unsigned long>(c - '0')) > 65535)
                    throw std::invalid_argument("redis url: bad port");
            o.port = static_cast<std::uint16_t>(p);
        }
        if (o.host.empty()) o.host = "127.0.0.1";
        return o;
    }

private:
    // %XX escapes in URL credentials (a password may hold '@' or ':').
    static std::string percent_decoded(std::string_view s) {
        auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
                out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
                i += 2;
            } else {
                out.push_back(s[i]);
            }
        }
        return out;
    }
};

// A reply, copied out of hiredis (binary safe: `str` may hold any bytes).
struct redis_reply {
    enum class kind { nil, string, status, error, integer, array };
    kind type = kind::nil;
    std::string str{};
    long long integer = 0;
    std::vector<redis_reply> elements{};

    static redis_reply from(const redisReply& r) {
        redis_reply out;
        switch (r.type) {
            case REDIS_REPLY_STRING: out.type = kind::string; break;
            case REDIS_REPLY_STATUS: out.type = kind::status; break;
            case REDIS_REPLY_ERROR: out.type = kind::error; break;
            case REDIS_REPLY_INTEGER: out.type = kind::integer; break;
            case REDIS_REPLY_ARRAY: out.type = kind::array; break;
            default: out.type = kind::nil; break;
        }
        if (r.str) out.str.assign(r.str, r.len);
        out.integer = r.integer;
        if (r.type == REDIS_REPLY_ARRAY) {
            out.elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(from(*r.element[i]));
        }
        return out;
    }
};

enum class redis_state { disconnected, connecting, connected, closed };

class redis_client {
public:
    using reply_handler = std::function<void(std::error_code, const redis_reply&)>;
    // pattern is empty for a SUBSCRIBE message.
    using message_handler =
        std::function<void(std::string_view pattern, std::string_view channel, std::span<const std::byte> payload)>;
    // Every state change; ec says why for disconnected (connect_failed,
    // connection_lost); last_error() has hiredis's text ("Connection refused").
    using state_handler = std::function<void(redis_state, std::error_code)>;
    // Subscription confirmations: kind is "subscribe" or "psubscribe" (also after a
    // reconnect), name the channel or pattern.
    using subscribed_handler = std::function<void(std::string_view kind, std::string_view name)>;

    redis_client(asio::io_context& io, redis_client_options opts)
        : impl_(std::make_shared<impl>(io, std::move(opts))) {}
    ~redis_client() { close(); }
    redis_client(const redis_client&) = delete;
    redis_client& operator=(const redis_client&) = delete;

    void on_message(message_handler h) { impl_->on_message_ = std::move(h); }
    void on_state(state_handler h) { impl_->on_state_ = std::move(h); }
    void on_subscribed(subscribed_handler h) { impl_->on_subscribed_ = std::move(h); }

    // Starts connecting (and reconnecting, per options). Call once.
    void start() { impl_->connect_now(); }
    // Frees the connection; commands in flight fail with client_closed. Final.
    void close() {
        if (impl_) impl_->close();
    }

    redis_state state() const noexcept { return impl_->state_; }
    asio::io_context& io() const noexcept { return impl_->io_; }
    const std::string& last_error() const noexcept { return impl_->last_error_; }
    std::size_t pending() const noexcept { return impl_->pending_; }
    // Completed connections so far (1 after the first connect, 2 after a reconnect, ...).
    std::uint64_t connections() const noexcept { return impl_->connections_; }

    // Any command, arguments binary safe. The handler always runs exactly once.
    void command(std::span<const std::string_view> args, reply_handler h) { impl_->command(args, std::move(h)); }
    void command(std::initializer_list<std::string_view> args, reply_handler h) {
        impl_->command(std::span<const std::string_view>(args.begin(), args.size()), std::move(h));
    }

    void publish(std::string_view channel, std::string_view payload, reply_handler h = {}) {
        command({"PUBLISH", channel, payload}, std::move(h));
    }
    // PUBSUB NUMSUB <channel>: subscribers of that channel (Node's serverCount()).
    void numsub(std::string_view channel, std::function<void(std::error_code, std::uint64_t)> h) {
        command({"PUBSUB", "NUMSUB", channel}, [h = std::move(h)](std::error_code ec, const redis_reply& r) {
            if (!ec && (r.type != redis_reply::kind::array || r.elements.size() < 2 ||
                        r.elements[1].type != redis_reply::kind::integer || r.elements[1].integer < 0))
                ec = redis_errc::protocol_error;
            h(ec, ec ? 0 : static_cast<std::uint64_t>(r.elements[1].integer));
        });
    }

    // Subscriptions are remembered and restored on every (re)connect. While
    // disconnected they are only recorded.
    void subscribe(std::string_view channel) { impl_->subscribe(false, channel); }
    void psubscribe(std::string_view pattern) { impl_->subscribe(true, pattern); }
    void unsubscribe(std::string_view channel) { impl_->unsubscribe(false, channel); }
    void punsubscribe(std::string_view pattern) { impl_->unsubscribe(true, pattern); }

private:
    struct impl;

    // One hiredis context and the descriptor that watches its socket. Shared with
    // the pending waits, which may outlive the context.
    struct connection {
        connection(asio::io_context& io, redisAsyncContext* c, std::weak_ptr<impl> o)
            : ac(c), sd(io), owner(std::move(o)) {}
        redisAsyncContext* ac;
        asio::posix::stream_descriptor sd;
        std::weak_ptr<impl> owner;
        bool reading = false, writing = false;
        bool read_waiting = false, write_waiting = false;
    };

    struct command_slot {
        std::weak_ptr<impl> owner;
        reply_handler handler;
    };

    struct impl : std::enable_shared_from_this<impl> {
        impl(asio::io_context& io, redis_client_options o)
            : io_(io), opts_(std::move(o)), reconnect_timer_(io), connect_timer_(io), reply_timer_(io),
              backoff_(opts_.reconnect_min) {}

        ~impl() { close(); }

        asio::io_context& io_;
        redis_client_options opts_;
        asio::steady_timer reconnect_timer_;
        asio::steady_timer connect_timer_;
        // The reply deadline of the oldest command in flight (Redis answers in order,
        // so one timer watches them all): sent_ holds each pending command's send time.
        asio::steady_timer reply_timer_;
        std::deque<std::chrono::steady_clock::time_point> sent_;
        bool reply_timer_armed_ = false;
        bool timing_out_ = false;
        std::chrono::milliseconds backoff_;
        std::shared_ptr<connection> conn_;
        redis_state state_ = redis_state::disconnected;
        bool closed_ = false;
        std::string last_error_;
        std::size_t pending_ = 0;
        std::size_t handshake_left_ = 0;
        bool refused_ = false;
        std::uint64_t connections_ = 0;
        std::set<std::string, std::less<>> channels_, patterns_;
        message_handler on_message_;
        state_handler on_state_;
        subscribed_handler on_subscribed_;

        void set_state(redis_state s, std::error_code ec = {}) {
            state_ = s;
            if (on_state_) on_state_(s, ec);
        }

        // ---- connecting

        void connect_now() {
            if (closed_ || conn_) return;
            redisAsyncContext* ac = redisAsyncConnect(opts_.host.c_str(), opts_.port);
            if (!ac || ac->err) {
                last_error_ = ac ? ac->errstr : "cannot allocate a hiredis context";
                if (ac) redisAsyncFree(ac);
                failed(redis_errc::connect_failed);
                return;
            }
            ac->data = this;
            auto c = std::make_shared<connection>(io_, ac, weak_from_this());
            std::error_code ec;
            c->sd.assign(ac->c.fd, ec);
            if (ec) {
                last_error_ = ec.message();
                redisAsyncFree(ac);
                failed(redis_errc::connect_failed);
                return;
            }
            conn_ = c;
            ac->ev.data = c.get();
            ac->ev.addRead = &add_read;
            ac->ev.delRead = &del_read;
            ac->ev.addWrite = &add_write;
            ac->ev.delWrite = &del_write;
            ac->ev.cleanup = &cleanup;
            redisAsyncSetDisconnectCallback(ac, &on_disconnect);
            // Also arms the write wait: the first writable event is the connect.
            redisAsyncSetConnectCallback(ac, &on_connect);
            set_state(redis_state::connecting);
            connect_timer_.expires_after(opts_.connect_timeout);
            connect_timer_.async_wait([w = weak_from_this(), c = std::weak_ptr<connection>(c)](std::error_code e) {
                auto self = w.lock();
                auto conn = c.lock();
                if (e || !self || !conn || self->conn_ != conn || self->state_ != redis_state::connecting) return;
                self->last_error_ = "connect timeout";
                redisAsyncFree(conn->ac);  // no callback of ours runs for an unconnected context
                self->failed(redis_errc::connect_failed);
            });
        }

        // A connect failed or a connection ended: report, then retry later.
        void failed(redis_errc why) {
            connect_timer_.cancel();
            set_state(redis_state::disconnected, why);
            schedule_reconnect();
        }

        void schedule_reconnect() {
            if (closed_ || !opts_.reconnect) return;
            reconnect_timer_.expires_after(backoff_);
            backoff_ = std::min(backoff_ * 2, opts_.reconnect_max);
            reconnect_timer_.async_wait([w = weak_from_this()](std::error_code e) {
                if (auto self = w.lock(); self && !e) self->connect_now();
            });
        }

        static impl* owner_of(const redisAsyncContext* ac) { return static_cast<impl*>(ac->data); }

        static void on_connect(const redisAsyncContext* ac, int status) {
            impl* self = owner_of(ac);
            if (status != REDIS_OK) {
                // hiredis frees the context right after this returns.
                self->last_error_ = ac->errstr;
                self->failed(redis_errc::connect_failed);
                return;
            }
            self->handshake();
        }

        // AUTH / SELECT first (pipelined: Redis answers in order); connected once the
        // last is accepted. Still "connecting" meanwhile, under the connect timeout.
        void handshake() {
            std::vector<std::vector<std::string>> cmds;
            if (!opts_.password.empty()) {
                if (opts_.username.empty()) cmds.push_back({"AUTH", opts_.password});
                else cmds.push_back({"AUTH", opts_.username, opts_.password});
            }
            if (opts_.db != 0) cmds.push_back({"SELECT", std::to_string(opts_.db)});
            if (cmds.empty()) return established();
            handshake_left_ = cmds.size();
            for (auto& cmd : cmds) {
                std::vector<const char*> argv;
                std::vector<std::size_t> lens;
                for (auto& a : cmd) {
                    argv.push_back(a.data());
                    lens.push_back(a.size());
                }
                redisAsyncCommandArgv(conn_->ac, &on_handshake_reply, this, static_cast<int>(argv.size()), argv.data(),
                                      lens.data());
            }
        }

        static void on_handshake_reply(redisAsyncContext* ac, void* r, void* priv) {
            auto* self = static_cast<impl*>(priv);
            if (!r || self->state_ != redis_state::connecting) return;  // freed, or already refused
            auto* reply = static_cast<redisReply*>(r);
            if (reply->type == REDIS_REPLY_ERROR) {
                self->last_error_ = std::string(reply->str, reply->len);
                log(log_level::error, "redis " + self->opts_.host + ":" + std::to_string(self->opts_.port) +
                                          " refused the connection's set-up: " + self->last_error_);
                self->state_ = redis_state::disconnected;  // on_disconnect reports and retries
                self->refused_ = true;                     // ...keeping this reason
                redisAsyncDisconnect(ac);
                return;
            }
            if (--self->handshake_left_ == 0) self->established();
        }

        void established() {
            connect_timer_.cancel();
            backoff_ = opts_.reconnect_min;
            ++connections_;
            resubscribe();
            set_state(redis_state::connected);
        }

        static void on_disconnect(const redisAsyncContext* ac, int status) {
            impl* self = owner_of(ac);
            if (self->closed_) return;
            if (!std::exchange(self->refused_, false)) self->last_error_ = status == REDIS_OK ? "disconnected" : ac->errstr;
            self->failed(redis_errc::connection_lost);
        }

        // ---- hiredis event hooks

        static void add_read(void* p) {
            auto* c = static_cast<connection*>(p);
            c->reading = true;
            if (!c->read_waiting) wait(c->owner.lock(), c, false);
        }
        static void del_read(void* p) { static_cast<connection*>(p)->reading = false; }
        static void add_write(void* p) {
            auto* c = static_cast<connection*>(p);
            c->writing = true;
            if (!c->write_waiting) wait(c->owner.lock(), c, true);
        }
        static void del_write(void* p) { static_cast<connection*>(p)->writing = false; }
        // The context is being freed (hiredis closes the fd next).
        static void cleanup(void* p) {
            auto* c = static_cast<connection*>(p);
            c->ac = nullptr;
            c->reading = c->writing = false;
            std::error_code ignored;
            c->sd.cancel(ignored);
            (void)c->sd.release();
            if (auto self = c->owner.lock(); self && self->conn_.get() == c) self->conn_.reset();
        }

        static void wait(const std::shared_ptr<impl>& self, connection* c, bool write) {
            if (!self || self->conn_.get() != c) return;
            std::shared_ptr<connection> keep = self->conn_;
            (write ? c->write_waiting : c->read_waiting) = true;
            c->sd.async_wait(write ? asio::posix::stream_descriptor::wait_write
                                   : asio::posix::stream_descriptor::wait_read,
                             [keep, write](std::error_code ec) {
                                 connection* c = keep.get();
                                 (write ? c->write_waiting : c->read_waiting) = false;
                                 // Keep the owner alive through hiredis's callbacks,
                                 // which may close or destroy the client.
                                 auto self = c->owner.lock();
                                 if (ec || !self || !c->ac || !(write ? c->writing : c->reading)) return;
                                 if (write) redisAsyncHandleWrite(c->ac);
                                 else redisAsyncHandleRead(c->ac);
                                 if (c->ac && (write ? c->writing : c->reading) &&
                                     !(write ? c->write_waiting : c->read_waiting))
                                     wait(self, c, write);
                             });
        }

        // ---- commands

        void command(std::span<const std::string_view> args, reply_handler h) {
            auto fail = [&](redis_errc e) {
                if (h) asio::post(io_, [h = std::move(h), e] { h(e, redis_reply{}); });
            };
            if (closed_) return fail(redis_errc::client_closed);
            if (state_ != redis_state::connected || !conn_ || !conn_->ac) return fail(redis_errc::not_connected);
            if (pending_ >= opts_.max_pending) return fail(redis_errc::too_many_pending);
            std::vector<const char*> argv(args.size());
            std::vector<std::size_t> lens(args.size());
            for (std::size_t i = 0; i < args.size(); ++i) {
                argv[i] = args[i].data();
                lens[i] = args[i].size();
            }
            auto* slot = new command_slot{weak_from_this(), std::move(h)};
            if (redisAsyncCommandArgv(conn_->ac, &on_reply, slot, static_cast<int>(args.size()), argv.data(),
                                      lens.data()) != REDIS_OK) {
                h = std::move(slot->handler);
                delete slot;
                return fail(redis_errc::not_connected);
            }
            ++pending_;
            if (opts_.command_timeout.count() > 0) {
                sent_.push_back(std::chrono::steady_clock::now());
                arm_reply_timer();
            }
        }

        void arm_reply_timer() {
            if (reply_timer_armed_ || sent_.empty()) return;
            reply_timer_armed_ = true;
            reply_timer_.expires_at(sent_.front() + opts_.command_timeout);
            reply_timer_.async_wait([w = weak_from_this()](std::error_code e) {
                auto self = w.lock();
                if (!self) return;
                self->reply_timer_armed_ = false;
                if (e || self->closed_) return;
                if (!self->sent_.empty() &&
                    self->sent_.front() + self->opts_.command_timeout <= std::chrono::steady_clock::now())
                    return self->reply_timeout();
                self->arm_reply_timer();  // the oldest was answered meanwhile: watch the next
            });
        }

        // The oldest command got no answer in time: fail everything in flight and start over.
        void reply_timeout() {
            last_error_ = "no reply within " + std::to_string(opts_.command_timeout.count()) + " ms";
            log(log_level::warn, "redis " + opts_.host + ":" + std::to_string(opts_.port) + ": " + last_error_ +
                                     "; reconnecting");
            if (!conn_ || !conn_->ac) return;
            timing_out_ = true;
            refused_ = true;  // keep last_error_ through the disconnect callback
            redisAsyncFree(conn_->ac);  // pending callbacks get no reply (timed_out), then on_disconnect
            timing_out_ = false;
        }

        // Every command's reply, or nullptr when the context is freed with it pending.
        static void on_reply(redisAsyncContext*, void* r, void* priv) {
            std::unique_ptr<command_slot> slot(static_cast<command_slot*>(priv));
            auto self = slot->owner.lock();
            if (self) {
                --self->pending_;
                if (!self->sent_.empty()) self->sent_.pop_front();
            }
            if (!slot->handler) return;
            if (!r) {
                slot->handler(!self || self->closed_ ? redis_errc::client_closed
                              : self->timing_out_ ? redis_errc::timed_out
                                                  : redis_errc::connection_lost,
                              redis_reply{});
                return;
            }
            auto reply = redis_reply::from(*static_cast<redisReply*>(r));
            const std::error_code ec =
                reply.type == redis_reply::kind::error ? std::error_code(redis_errc::redis_error) : std::error_code();
            slot->handler(ec, reply);
        }

        // ---- subscriptions

        void subscribe(bool pattern, std::string_view name) {
            auto& set = pattern ? patterns_ : channels_;
            if (!set.emplace(name).second) return;
            if (state_ == redis_state::connected) send_subscribe(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", {std::string(name)});
        }

        void unsubscribe(bool pattern, std::string_view name) {
            auto& set = pattern ? patterns_ : channels_;
            auto it = set.find(name);
            if (it == set.end()) return;
            set.erase(it);
            if (state_ == redis_state::connected) send_subscribe(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", {std::string(name)});
        }

        void resubscribe() {
            if (!channels_.empty()) send_subscribe("SUBSCRIBE", {channels_.begin(), channels_.end()});
            if (!patterns_.empty()) send_subscribe("PSUBSCRIBE", {patterns_.begin(), patterns_.end()});
        }

        // hiredis keeps the callback of a (P)SUBSCRIBE registered per channel and
        // calls it for every message; `this` is the privdata (the context never
        // outlives the impl: close() frees it).
        void send_subscribe(const char* verb, const std::vector<std::string>& names) {
            if (!conn_ || !conn_->ac) return;
            std::vector<const char*> argv{verb};
            std::vector<std::size_t> lens{std::char_traits<char>::length(verb)};
            for (const auto& n : names) {
                argv.push_back(n.data());
                lens.push_back(n.size());
            }
            redisAsyncCommandArgv(conn_->ac, &on_subscription, this, static_cast<int>(argv.size()), argv.data(),
                                  lens.data());
        }

        static void on_subscription(redisAsyncContext*, void* r, void* priv) {
            auto* self = static_cast<impl*>(priv);
            const auto* reply = static_cast<const redisReply*>(r);
            if (!reply || self->closed_ || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
            auto str = [&](std::size_t i) -> std::string_view {
                const redisReply* e = reply->element[i];
                return e->str ? std::string_view(e->str, e->len) : std::string_view{};
            };
            const auto kind = str(0);
            if (kind == "message") {
                if (self->on_message_) self->on_message_({}, str(1), std::as_bytes(std::span(str(2).data(), str(2).size())));
            } else if (kind == "pmessage" && reply->elements >= 4) {
                if (self->on_message_)
                    self->on_message_(str(1), str(2), std::as_bytes(std::span(str(3).data(), str(3).size())));
            } else if (kind == "subscribe" || kind == "psubscribe") {
                if (self->on_subscribed_) self->on_subscribed_(kind, str(1));
            }
        }

        // ---- closing

        void close() {
            if (closed_) return;
            closed_ = true;
            reconnect_timer_.cancel();
            connect_timer_.cancel();
            reply_timer_.cancel();
            if (conn_ && conn_->ac) {
                // Pending callbacks run now with a null reply (client_closed); when
                // called from inside a hiredis callback, hiredis defers the free
                // until that callback returns (the wait handler holds us alive).
                redisAsyncFree(conn_->ac);
            }
            state_ = redis_state::closed;
        }
    };

    std::shared_ptr<impl> impl_;
};

}  // namespace duet::runtime
