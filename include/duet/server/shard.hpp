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

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string_view>

#include <asio/io_context.hpp>
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

class shard {
public:
    explicit shard(unsigned index) : index_(index), io_(1), tick_(io_) { refresh_clock(); }
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    asio::io_context& io() noexcept { return io_; }
    unsigned index() const noexcept { return index_; }

    // "Sun, 06 Nov 1994 08:49:37 GMT", refreshed by the tick.
    std::string_view date() const noexcept { return date_.view(); }
    // The coarse clock (refreshed by the tick and whenever a batch of I/O starts).
    clock::time_point now() const noexcept { return now_; }
    void refresh_clock() noexcept {
        now_ = clock::now();
        std::time_t t = std::time(nullptr);
        if (t != date_second_) {
            date_second_ = t;
            date_ = http::format_http_date(static_cast<std::int64_t>(t));
        }
    }

    void link(connection_node* c) noexcept {
        c->next = head_;
        c->prev = nullptr;
        if (head_) head_->prev = c;
        head_ = c;
        ++count_;
    }
    void unlink(connection_node* c) noexcept {
        if (c->prev) c->prev->next = c->next;
        else if (head_ == c) head_ = c->next;
        if (c->next) c->next->prev = c->prev;
        c->prev = c->next = nullptr;
        --count_;
        if (stopping_ && count_ == 0) tick_.cancel();
    }
    std::size_t connection_count() const noexcept { return count_; }
    bool stopping() const noexcept { return stopping_; }

    void start_tick() { schedule_tick(); }

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
        if (count_ == 0) tick_.cancel();
    }

private:
    void schedule_tick() {
        tick_.expires_after(std::chrono::seconds(1));
        tick_.async_wait([this](std::error_code ec) {
            if (ec) return;
            refresh_clock();
            for (connection_node* c = head_; c;) {
                connection_node* next = c->next;
                c->on_tick(now_);
                c = next;
            }
            if (!stopping_ || count_ > 0) schedule_tick();
        });
    }

    unsigned index_;
    asio::io_context io_;
    asio::steady_timer tick_;
    connection_node* head_ = nullptr;
    std::size_t count_ = 0;
    bool stopping_ = false;
    clock::time_point now_{};
    std::time_t date_second_ = 0;
    http::http_date_buffer date_{};
};

}  // namespace duet::server_detail
