// duet/server/shard.hpp — one thread's share of the server: shared nothing.
//
// Owns: the per-thread io_context, the registry of live connections, the one-second
// maintenance tick (the cached Date header, the coarse clock every timeout is
// measured with, and the sweep that enforces those timeouts) and graceful drain.
//
// Why a sweep instead of a timer per connection: re-arming an Asio timer on every
// request costs a heap-ordered timer-queue update and a cancellation completion; a
// coarse deadline stored in the connection costs one store. uWebSockets does the
// same with its timeout wheel. Timeouts are therefore enforced with one-second
// granularity (a 5 s keep-alive closes between 5 and 6 s).
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

#include <sys/eventfd.h>
#include <unistd.h>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <duet/http/http_date.hpp>

namespace duet::server_detail {

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

// ----- deferred flushes and fine timers (WebSocket write coalescing, Engine.IO heartbeats) -----
// A connection with bytes queued during this event-loop turn: the shard calls
// flush_deferred() once, after the handlers already queued have run, so everything
// queued to one connection within a turn goes out in one write.
struct flush_node {
    virtual void flush_deferred() = 0;

protected:
    ~flush_node() = default;
};

// Something with deadlines finer than the connection sweep (Engine.IO heartbeats): it
// is called on every tick, at the period the shard was asked for (want_tick_period).
struct timed_node {
    timed_node* tprev = nullptr;
    timed_node* tnext = nullptr;
    bool tlinked = false;
    virtual void on_timer_tick(std::chrono::steady_clock::time_point now) = 0;

protected:
    ~timed_node() = default;
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
    // post_remote(): a lock-free task queue plus an eventfd the shard waits on.
    explicit shard(unsigned index)
        : index_(index), io_(ASIO_CONCURRENCY_HINT_UNSAFE), tick_(io_), wake_(io_, ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
        refresh_clock();
    }
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    asio::io_context& io() noexcept { return io_; }
    unsigned index() const noexcept { return index_; }

    // "Sun, 06 Nov 1994 08:49:37 GMT", refreshed by the tick.
    std::string_view date() const noexcept { return {date_line_.data() + 6, http::http_date_size}; }
    // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n": the whole header line, ready to copy.
    std::string_view date_line() const noexcept { return {date_line_.data(), date_line_.size()}; }
    // The coarse clock (refreshed by the tick and whenever a batch of I/O starts).
    clock::time_point now() const noexcept { return now_; }
    void refresh_clock() noexcept {
        now_ = clock::now();
        std::time_t t = std::time(nullptr);
        if (t != date_second_) {
            date_second_ = t;
            auto d = http::format_http_date(static_cast<std::int64_t>(t));
            std::copy_n("Date: ", 6, date_line_.data());
            std::copy_n(d.chars.data(), http::http_date_size, date_line_.data() + 6);
            date_line_[6 + http::http_date_size] = '\r';
            date_line_[7 + http::http_date_size] = '\n';
        }
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
        listen_remote();
    }

    // Runs `task` on this shard's thread; callable from any thread (and from this one:
    // the task then runs later, never inside the caller). Lock-free: tasks go through
    // an intrusive multi-producer/single-consumer queue (Vyukov's), and the eventfd is
    // written only when the shard may be asleep — a burst of posts costs one wake-up.
    void post_remote(std::function<void()> task) {
        auto* n = new task_node{{nullptr}, std::move(task)};
        task_node* prev = inbox_head_.exchange(n, std::memory_order_acq_rel);
        prev->next.store(n, std::memory_order_release);
        if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
            const std::uint64_t one = 1;
            [[maybe_unused]] auto w = ::write(wake_.native_handle(), &one, sizeof one);
        }
    }

    // Called once when this shard has drained during a graceful stop (no connection
    // left). The server uses it to close every shard's mailbox only when all shards
    // are drained, so that cross-shard work posted during the drain is never lost.
    void on_drained(std::function<void()> f) { on_drained_ = std::move(f); }

    // Stops the tick and the mailbox (tasks already queued still run): run() returns.
    void stop_maintenance() {
        tick_running_ = false;
        ++tick_gen_;
        tick_.cancel();
        std::error_code ec;
        remote_closed_ = true;
        run_inbox();
        wake_.cancel(ec);
    }

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

    ~shard() {
        // Tasks never run (posted after the stop) are destroyed here.
        while (task_node* n = pop_task()) delete n;
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

    // ----- timed nodes (see timed_node) -----
    void link_timed(timed_node* n) noexcept {
        if (n->tlinked) return;
        n->tlinked = true;
        n->tprev = nullptr;
        n->tnext = timed_head_;
        if (timed_head_) timed_head_->tprev = n;
        timed_head_ = n;
    }
    void unlink_timed(timed_node* n) noexcept {
        if (!n->tlinked) return;
        n->tlinked = false;
        if (n->tprev) n->tprev->tnext = n->tnext;
        else timed_head_ = n->tnext;
        if (n->tnext) n->tnext->tprev = n->tprev;
        if (sweep_next_ == n) sweep_next_ = n->tnext;
        n->tprev = n->tnext = nullptr;
    }
    // Asks for ticks at least this often (clamped to [10 ms, 1 s]); connections are
    // still swept once a second.
    void want_tick_period(clock::duration d) {
        d = std::clamp<clock::duration>(d, std::chrono::milliseconds(10), std::chrono::seconds(1));
        if (d >= tick_period_) return;
        tick_period_ = d;
        if (tick_running_) schedule_tick();  // re-arms sooner (the pending wait is cancelled)
    }

private:
    struct task_node {
        std::atomic<task_node*> next;
        std::function<void()> fn;
    };

    void drained() {
        if (drained_called_) return;
        drained_called_ = true;
        if (on_drained_) on_drained_();
        else stop_maintenance();
    }

    // Consumer side of the queue (this shard's thread only). Returns nullptr when the
    // queue is empty, or when a producer is between its two steps (it has taken the
    // head but not linked it yet): `in_transit_` then says to look again soon.
    task_node* pop_task() {
        task_node* tail = inbox_tail_;
        task_node* next = tail->next.load(std::memory_order_acquire);
        if (tail == &stub_) {
            if (!next) return nullptr;
            inbox_tail_ = next;
            tail = next;
            next = next->next.load(std::memory_order_acquire);
        }
        if (next) {
            inbox_tail_ = next;
            return tail;
        }
        if (tail != inbox_head_.load(std::memory_order_acquire)) {
            in_transit_ = true;
            return nullptr;
        }
        stub_.next.store(nullptr, std::memory_order_relaxed);
        task_node* prev = inbox_head_.exchange(&stub_, std::memory_order_acq_rel);
        prev->next.store(&stub_, std::memory_order_release);
        next = tail->next.load(std::memory_order_acquire);
        if (next) {
            inbox_tail_ = next;
            return tail;
        }
        in_transit_ = true;
        return nullptr;
    }

    void run_inbox() {
        // Cleared before draining: a post that lands after this point writes the
        // eventfd again, so nothing waits unseen.
        wake_pending_.store(false, std::memory_order_seq_cst);
        in_transit_ = false;
        while (task_node* n = pop_task()) {
            auto fn = std::move(n->fn);
            delete n;
            fn();
        }
        if (in_transit_ && !remote_closed_) {
            // A producer is mid-push: look again once the loop has run other work.
            asio::post(io_, [this] { run_inbox(); });
        }
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

    void listen_remote() {
        if (remote_closed_) return;
        wake_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
            if (ec) return;
            std::uint64_t count = 0;
            [[maybe_unused]] auto n = ::read(wake_.native_handle(), &count, sizeof count);
            run_inbox();
            listen_remote();
        });
    }

    void schedule_tick() {
        tick_running_ = true;
        tick_.expires_after(tick_period_);
        tick_.async_wait([this, gen = ++tick_gen_](std::error_code ec) {
            if (ec || gen != tick_gen_) return;  // stopped, or re-armed by want_tick_period
            tick_running_ = false;
            refresh_clock();
            for (timed_node* t = timed_head_; t;) {
                sweep_next_ = t->tnext;  // on_timer_tick may unlink t and its successor
                t->on_timer_tick(now_);
                t = sweep_next_;
            }
            sweep_next_ = nullptr;
            if (now_ - last_sweep_ >= std::chrono::seconds(1) - tick_period_ / 2) {
                last_sweep_ = now_;
                for (connection_node* c = head_; c;) {
                    connection_node* next = c->next;
                    c->on_tick(now_);
                    c = next;
                }
            }
            if (!stopping_ || connection_count() > 0) schedule_tick();
        });
    }

    // Deferred flushes, shared buffers, timed nodes. Declared before io_: connections
    // destroyed with the io_context's pending handlers still unregister from them.
    std::vector<flush_node*> flush_list_, flushing_;
    bool flush_posted_ = false;
    std::vector<std::byte> read_buffer_;
    std::vector<asio::const_buffer> iov_;
    timed_node* timed_head_ = nullptr;
    timed_node* sweep_next_ = nullptr;
    clock::duration tick_period_ = std::chrono::seconds(1);
    clock::time_point last_sweep_{};
    bool tick_running_ = false;
    std::uint64_t tick_gen_ = 0;

    unsigned index_;
    asio::io_context io_;
    asio::steady_timer tick_;
    asio::posix::stream_descriptor wake_;
    task_node stub_{{nullptr}, {}};
    std::atomic<task_node*> inbox_head_{&stub_};
    task_node* inbox_tail_ = &stub_;
    std::atomic<bool> wake_pending_{false};
    bool in_transit_ = false;
    bool remote_closed_ = false;
    bool drained_called_ = false;
    std::function<void()> on_drained_;
    connection_node* head_ = nullptr;
    std::atomic<std::size_t> count_{0};
    bool stopping_ = false;
    clock::time_point now_{};
    std::time_t date_second_ = 0;
    std::array<char, 8 + http::http_date_size> date_line_{};
};

}  // namespace duet::server_detail
