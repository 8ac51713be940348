// runtime/mailbox.hpp: the lock-free door between threads. Every task posted from any
// number of producer threads runs exactly once, on the consumer's thread, in each
// producer's order; posting from the consumer itself defers; close() runs what is
// queued and refuses the rest (destroyed, never run).
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <duet/runtime/mailbox.hpp>

using duet::runtime::mailbox;
using duet::runtime::mpsc_queue;

namespace {
struct node {
    std::atomic<node*> next{nullptr};
    int value = 0;
};
}  // namespace

TEST_CASE("mpsc_queue: FIFO on one thread, empty after the last pop") {
    mpsc_queue<node> q;
    CHECK(q.pop() == nullptr);
    std::vector<node> nodes(5);
    for (int i = 0; i < 5; ++i) {
        nodes[i].value = i;
        q.push(&nodes[i]);
    }
    for (int i = 0; i < 5; ++i) {
        node* n = q.pop();
        REQUIRE(n != nullptr);
        CHECK(n->value == i);
    }
    CHECK(q.pop() == nullptr);
    CHECK_FALSE(q.in_transit());
    // Usable again after running dry (the stub node went back in).
    q.push(&nodes[0]);
    CHECK(q.pop() == &nodes[0]);
    CHECK(q.pop() == nullptr);
}

TEST_CASE("mailbox: 4 producer threads x 20000 posts run once each, per-producer order kept") {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE);
    auto work = asio::make_work_guard(io);
    mailbox box(io);
    box.open();
    constexpr int producers = 4, per = 20000;
    std::vector<int> last(producers, -1);
    bool ordered = true;
    std::thread::id consumer_thread;
    bool on_consumer = true;
    int ran = 0;
    std::atomic<int> posted{0};

    std::thread consumer([&] {
        consumer_thread = std::this_thread::get_id();
        io.run();
    });
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&, p] {
            for (int i = 0; i < per; ++i) {
                box.post([&, p, i] {
                    if (std::this_thread::get_id() != consumer_thread) on_consumer = false;
                    if (i != last[p] + 1) ordered = false;
                    last[p] = i;
                    if (++ran == producers * per) {
                        box.close();
                        work.reset();
                    }
                });
                posted.fetch_add(1, std::memory_order_relaxed);
            }
        });
    for (auto& t : threads) t.join();
    consumer.join();
    CHECK(posted.load() == producers * per);
    CHECK(ran == producers * per);
    CHECK(ordered);
    CHECK(on_consumer);
}

TEST_CASE("mailbox: a post from the consumer's own thread runs later, not inside the caller") {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE);
    mailbox box(io);
    box.open();
    std::vector<int> order;
    box.post([&] {
        order.push_back(1);
        box.post([&] {
            order.push_back(3);
            box.close();
        });
        order.push_back(2);
    });
    io.run();
    CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("mailbox: close() runs what is queued; later posts never run and are freed") {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE);
    auto alive = std::make_shared<int>(0);
    int ran = 0;
    {
        mailbox box(io);
        box.open();
        box.post([&ran] { ++ran; });
        box.close();
        CHECK(ran == 1);
        CHECK(box.closed());
        box.post([&ran, alive] { ++ran; });  // after close: held, never run
        CHECK(alive.use_count() == 2);
        io.run();
        CHECK(ran == 1);
    }
    CHECK(alive.use_count() == 1);  // the destructor freed the unrun task
}
