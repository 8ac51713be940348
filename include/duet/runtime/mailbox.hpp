// duet/runtime/mailbox.hpp — how other threads hand work to a shard: lock-free.
//
// Owns: `mpsc_queue`, Vyukov's intrusive multi-producer/single-consumer queue (one
// atomic exchange per push, no CAS loop, no mutex), and `mailbox`, which pairs it with
// an eventfd the consumer's io_context waits on. The eventfd is written only when the
// consumer may be asleep (an atomic flag cleared before each drain), so a burst of
// posts from another thread costs one wake-up, not one syscall per task.
//
// Why not asio::post from the other thread: the shards' io_contexts run with
// ASIO_CONCURRENCY_HINT_UNSAFE (no scheduler mutex), which makes posting from a
// foreign thread a data race. The mailbox is the only door between threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <system_error>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>

namespace duet::runtime {

// Intrusive MPSC queue. push() may run on any thread; pop() only on the consumer's.
// Node must have a member `std::atomic<Node*> next`.
template <class Node>
class mpsc_queue {
public:
    mpsc_queue() noexcept { stub_.next.store(nullptr, std::memory_order_relaxed); }
    mpsc_queue(const mpsc_queue&) = delete;
    mpsc_queue& operator=(const mpsc_queue&) = delete;

    void push(Node* n) noexcept {
        n->next.store(nullptr, std::memory_order_relaxed);
        Node* prev = head_.exchange(n, std::memory_order_acq_rel);
        // Between these two steps the queue is briefly "broken": pop() sees the gap
        // and reports it through in_transit() instead of spinning.
        prev->next.store(n, std::memory_order_release);
    }

    // The oldest node, or nullptr when the queue is empty or a producer is between
    // its two steps (then in_transit() is true: look again soon).
    Node* pop() noexcept {
        in_transit_ = false;
        Node* tail = tail_;
        Node* next = tail->next.load(std::memory_order_acquire);
        if (tail == &stub_) {
            if (!next) return nullptr;
            tail_ = next;
            tail = next;
            next = next->next.load(std::memory_order_acquire);
        }
        if (next) {
            tail_ = next;
            return tail;
        }
        if (tail != head_.load(std::memory_order_acquire)) {
            in_transit_ = true;
            return nullptr;
        }
        push(&stub_);
        next = tail->next.load(std::memory_order_acquire);
        if (next) {
            tail_ = next;
            return tail;
        }
        in_transit_ = true;
        return nullptr;
    }

    bool in_transit() const noexcept { return in_transit_; }

private:
    Node stub_{};
    std::atomic<Node*> head_{&stub_};
    Node* tail_ = &stub_;
    bool in_transit_ = false;
};

// Tasks for one io_context's thread, posted from any thread.
class mailbox {
public:
    explicit mailbox(asio::io_context& io) : io_(io), wake_(io, ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
    mailbox(const mailbox&) = delete;
    mailbox& operator=(const mailbox&) = delete;
    ~mailbox() {
        // Tasks never run (posted after close) are destroyed here.
        while (task_node* n = queue_.pop()) delete n;
    }

    // Runs `task` on the io_context's thread; callable from any thread (and from that
    // one: the task then runs later, never inside the caller).
    void post(std::function<void()> task) {
        queue_.push(new task_node{{nullptr}, std::move(task)});
        if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
            const std::uint64_t one = 1;
            [[maybe_unused]] auto w = ::write(wake_.native_handle(), &one, sizeof one);
        }
    }

    // Starts waiting for posts (on the consumer's thread, or before it runs).
    void open() { listen(); }

    // Runs what is queued now and stops listening; later posts never run.
    void close() {
        closed_ = true;
        drain();
        std::error_code ec;
        wake_.cancel(ec);
    }
    bool closed() const noexcept { return closed_; }

private:
    struct task_node {
        std::atomic<task_node*> next;
        std::function<void()> fn;
    };

    void drain() {
        // Cleared before draining: a post that lands after this point writes the
        // eventfd again, so nothing waits unseen.
        wake_pending_.store(false, std::memory_order_seq_cst);
        while (task_node* n = queue_.pop()) {
            auto fn = std::move(n->fn);
            delete n;
            fn();
        }
        if (queue_.in_transit() && !closed_) {
            // A producer is mid-push: look again once the loop has run other work.
            asio::post(io_, [this] { drain(); });
        }
    }

    void listen() {
        if (closed_) return;
        wake_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
            if (ec) return;
            std::uint64_t count = 0;
            [[maybe_unused]] auto n = ::read(wake_.native_handle(), &count, sizeof count);
            drain();
            listen();
        });
    }

    asio::io_context& io_;
    asio::posix::stream_descriptor wake_;
    mpsc_queue<task_node> queue_;
    std::atomic<bool> wake_pending_{false};
    bool closed_ = false;
};

}  // namespace duet::runtime
