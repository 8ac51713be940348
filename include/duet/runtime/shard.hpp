// duet/runtime/shard.hpp — one thread's share of the server: shared nothing.
//
// Owns: the per-thread io_context, its mailbox (runtime/mailbox.hpp: the only way in
// from other threads), the registry of live connections, the maintenance tick (the
// coarse clock every timeout is measured with, the wall-clock second the HTTP layer's
// cached Date line is keyed on, and the sweep that enforces timeouts), the per-turn
// flush list, and graceful drain. Below every protocol layer: it knows connections
// only as the three small interfaces declared here.
//
// Why a sweep instead of a timer per connection: re-arming an Asio timer on every
// request costs a heap-ordered timer-queue update and a cancellation completion; a
// coarse deadline stored in the connection costs one store. uWebSockets does the
// same with its timeout wheel. Connection timeouts (keep-alive, header, body, close
// handshake) are therefore enforced with one-second granularity (a 5 s keep-alive
// closes between 5 and 6 s). Deadlines a protocol peer can observe to the
// millisecond (Engine.IO heartbeats, the Socket.IO connect timeout) live on the
// shard's timer wheel instead (runtime/timer_wheel.hpp): O(1) to re-arm, one Asio
// timer per shard armed at the next wake.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>
#include <string_view>

#include <functional>
#include <atomic>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <duet/runtime/mailbox.hpp>
#include <duet/runtime/timer_wheel.hpp>

namespace duet::runtime {

using clock = std::chrono::steady_clock;

// A connection as the shard sees it. The two calls are maintenance, once a second
// or once at shutdown — never on the request path.
struct connection_node {
    connection_node* prev = nullptr;
    connection_node* next = nullptr;
    virtual void on_tick(clock::time_point now) = 0;
    virtual void drain() = 0;

protected:
    ~connection_node() = default;
};

// ----- deferred flushes (WebSocket write coalescing) -----
// A connection with bytes queued during this event-loop turn: the shard calls
// flush_deferred() once, after the handlers already queued have run, so everything
// queued to one connection within a turn goes out in one write.
struct flush_node {
    virtual void flush_deferred() = 0;

protected:
    ~flush_node() = default;
};

class shard;
// The shard whose io_context the calling thread is running (nullptr elsewhere).
inline thread_local shard* current_shard = nullptr;

class shard {
public:
    // The io_context runs without internal locking (ASIO_CONCURRENCY_HINT_UNSAFE):
    // only this shard's thread ever touches it. That removes a mutex lock/unlock pair
    // from every handler the scheduler runs (~12% of the instructions of a plaintext
    // request, measured with callgrind). Other threads reach the shard only through
    // post_remote(): the mailbox.
    explicit shard(unsigned index)
        : index_(index), io_(ASIO_CONCURRENCY_HINT_UNSAFE), tick_(io_), alarm_(io_), mailbox_(io_) {
        refresh_clock();
    }
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;
    // Handlers destroyed with the io_context may still cancel their wheel entries:
    // from here on that must not touch the alarm (destroyed before the io_context).
    ~shard() {
        in_wheel_ = true;
        armed_ = timer_wheel::never;
    }

    asio::io_context& io() noexcept { return io_; }
    unsigned index() const noexcept { return index_; }

    // The coarse clock (refreshed by the tick and whenever a batch of I/O starts).
    clock::time_point now() const noexcept { return now_; }
    // A deadline `d` from now, for the tick's sweep. Read from the real clock (a vDSO
    // call, ~20 ns), not the coarse one: the coarse clock lags by up to a tick period,
    // so a deadline built on it could fire a whole tick early — a 1 s keep-alive
    // closing 10 ms after the response. With this, a timeout fires between d and
    // d + one sweep period.
    static clock::time_point deadline_after(clock::duration d) noexcept { return clock::now() + d; }
    // The wall-clock second of the last refresh (what the HTTP Date line shows).
    std::time_t wall_second() const noexcept { return wall_second_; }
    void refresh_clock() noexcept {
        now_ = clock::now();
        wall_second_ = std::time(nullptr);
    }

    void link(connection_node* c) noexcept {
        c->next = head_;
        c->prev = nullptr;
        if (head_) head_->prev = c;
        head_ = c;
        count_.fetch_add(1, std::memory_order_relaxed);
    }
    void unlink(connection_node* c) noexcept {
        if (c->prev) c->prev->next = c->next;
        else if (head_ == c) head_ = c->next;
        if (c->next) c->next->prev = c->prev;
        c->prev = c->next = nullptr;
        const std::size_t left = count_.fetch_sub(1, std::memory_order_relaxed) - 1;
        if (stopping_ && left == 0) drained();
    }
    // Live connections; readable from any thread (stats, tests).
    std::size_t connection_count() const noexcept { return count_.load(std::memory_order_relaxed); }
    bool stopping() const noexcept { return stopping_; }

    void start_tick() {
        schedule_tick();
        mailbox_.open();
    }

    // Runs `task` on this shard's thread; callable from any thread (and from this one:
    // the task then runs later, never inside the caller). Lock-free (runtime/mailbox.hpp).
    void post_remote(std::function<void()> task) { mailbox_.post(std::move(task)); }

    // Called once when this shard has drained during a graceful stop (no connection
    // left). The server uses it to close every shard's mailbox only when all shards
    // are drained, so that cross-shard work posted during the drain is never lost.
    void on_drained(std::function<void()> f) { on_drained_ = std::move(f); }

    // Stops the tick and the mailbox (tasks already queued still run), and runs the
    // at_stop hooks: run() returns.
    void stop_maintenance() {
        tick_running_ = false;
        ++tick_gen_;
        tick_.cancel();
        mailbox_.close();
        auto hooks = std::move(at_stop_);
        at_stop_.clear();
        for (auto& h : hooks) h();
    }

    // Runs `f` on this shard's thread when the shard stops (after every connection has
    // gone). For per-shard clients created lazily on this io_context (a Redis
    // connection of a session store): they keep the io_context busy, so they must
    // close for run() to return, and before the io_context is destroyed.
    void at_stop(std::function<void()> f) { at_stop_.push_back(std::move(f)); }

    // Graceful stop: idle connections close now, busy ones after their response.
    // The tick keeps running until the last connection is gone, so that drained
    // connections still time out.
    void begin_drain() {
        stopping_ = true;
        for (connection_node* c = head_; c;) {
            connection_node* next = c->next;  // drain() may unlink c
            c->drain();
            c = next;
        }
        if (connection_count() == 0) drained();
    }

    // ----- deferred flushes (see flush_node) -----
    void defer_flush(flush_node* n) {
        flush_list_.push_back(n);
        if (!flush_posted_) {
            flush_posted_ = true;
            asio::post(io_, [this] { run_flushes(); });
        }
    }
    // A node going away while its flush is pending.
    void cancel_flush(flush_node* n) noexcept {
        for (auto& p : flush_list_)
            if (p == n) p = nullptr;
        for (auto& p : flushing_)
            if (p == n) p = nullptr;
    }
    // Shard-wide buffers for the connections' reads and scatter/gather writes (one
    // thread, used within one call: no connection keeps a read buffer while idle).
    std::span<std::byte> read_buffer() {
        if (read_buffer_.empty()) read_buffer_.resize(64 * 1024);
        return read_buffer_;
    }
    std::vector<asio::const_buffer>& iov_scratch() noexcept { return iov_; }

    // ----- fine deadlines (see runtime/timer_wheel.hpp) -----
    // Fires `t` (its on_timer()) `d` from now, rounded up to the millisecond: never
    // early, and late only by the event loop's own delay.
    void schedule(wheel_timer& t, clock::duration d) { schedule_at(t, clock::now() + d); }
    void schedule_at(wheel_timer& t, clock::time_point when) {
        const auto since = std::chrono::ceil<std::chrono::milliseconds>(when - origin_).count();
        const std::uint64_t expiry = since > 0 ? std::uint64_t(since) : 0;
        wheel_.schedule(t, expiry);
        if (expiry < armed_) arm(expiry);
    }
    void cancel(wheel_timer& t) noexcept {
        wheel_.cancel(t);
        if (wheel_.empty() && armed_ != timer_wheel::never && !in_wheel_) {
            // Nothing left to wait for: a pending wait would keep run() from returning.
            armed_ = timer_wheel::never;
            ++alarm_gen_;
            alarm_.cancel();
        }
    }

private:
    void drained() {
        if (drained_called_) return;
        drained_called_ = true;
        if (on_drained_) on_drained_();
        else stop_maintenance();
    }

    void run_flushes() {
        flush_posted_ = false;
        flushing_.swap(flush_list_);
        for (std::size_t i = 0; i < flushing_.size(); ++i)
            if (flush_node* n = flushing_[i]) {
                flushing_[i] = nullptr;
                n->flush_deferred();
            }
        flushing_.clear();
    }

    void schedule_tick() {
        tick_running_ = true;
        tick_.expires_after(std::chrono::seconds(1));
        tick_.async_wait([this, gen = ++tick_gen_](std::error_code ec) {
            if (ec || gen != tick_gen_) return;  // stopped
            tick_running_ = false;
            refresh_clock();
            for (connection_node* c = head_; c;) {
                connection_node* next = c->next;
                c->on_tick(now_);
                c = next;
            }
            if (!stopping_ || connection_count() > 0) schedule_tick();
        });
    }

    // The wheel's Asio timer, armed at the wheel's next wake (in ms since origin_).
    void arm(std::uint64_t wake) {
        if (in_wheel_) return;  // on_alarm re-arms once the callbacks are done
        armed_ = wake;
        alarm_.expires_at(origin_ + std::chrono::milliseconds(wake));
        alarm_.async_wait([this, gen = ++alarm_gen_](std::error_code ec) {
            if (ec || gen != alarm_gen_) return;  // re-armed sooner, or nothing left
            on_alarm();
        });
    }
    void on_alarm() {
        armed_ = timer_wheel::never;
        refresh_clock();
        in_wheel_ = true;
        wheel_.advance(std::uint64_t(std::chrono::floor<std::chrono::milliseconds>(now_ - origin_).count()));
        in_wheel_ = false;
        if (const std::uint64_t next = wheel_.next_wake(); next != timer_wheel::never) arm(next);
    }

    // Deferred flushes, shared buffers, timed nodes. Declared before io_: connections
    // destroyed with the io_context's pending handlers still unregister from them.
    std::vector<flush_node*> flush_list_, flushing_;
    bool flush_posted_ = false;
    std::vector<std::byte> read_buffer_;
    std::vector<asio::const_buffer> iov_;
    bool tick_running_ = false;
    std::uint64_t tick_gen_ = 0;
    clock::time_point origin_ = clock::now();  // the wheel's millisecond 0
    timer_wheel wheel_;
    std::uint64_t armed_ = timer_wheel::never;
    std::uint64_t alarm_gen_ = 0;
    bool in_wheel_ = false;

    unsigned index_;
    asio::io_context io_;
    asio::steady_timer tick_;
    asio::steady_timer alarm_;  // the wheel's
    mailbox mailbox_;
    bool drained_called_ = false;
    std::function<void()> on_drained_;
    std::vector<std::function<void()>> at_stop_;
    connection_node* head_ = nullptr;
    std::atomic<std::size_t> count_{0};
    bool stopping_ = false;
    clock::time_point now_{};
    std::time_t wall_second_ = 0;
};

}  // namespace duet::runtime
