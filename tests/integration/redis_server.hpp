// tests/integration/redis_server.hpp — what the Redis tests share: a redis-server
// child process on a free loopback port (no persistence), and `run_until`, which
// drives a test-owned io_context until a condition holds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "process.hpp"

namespace duet_test {

struct redis_server {
    std::uint16_t port = free_port();
    child_process proc;
    std::vector<std::string> extra;  // more redis-server arguments ("--requirepass", "pw")
    explicit redis_server(std::vector<std::string> more = {}) : extra(std::move(more)) { start(); }
    // (Re)starts it on the same port, empty.
    void start() {
        std::vector<std::string> argv{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        proc = child_process(std::move(argv));
        if (!wait_for_port(port)) throw std::runtime_error("redis-server did not start");
    }
};

// Runs `io` until `done()` or the timeout; false on timeout.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        io.restart();
        io.run_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace duet_test
