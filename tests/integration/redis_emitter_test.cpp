// The C++ emitter (duet/cluster/redis_emitter.hpp) against a Node socket.io server
// with @socket.io/redis-adapter (tests/interop/redis_node_server.mjs): what the
// emitter publishes must reach the Node server's socket.io-client exactly as a
// Node @socket.io/redis-emitter would make it. The Node process is the judge
// (exit status 0).
#include <duet/cluster/redis_emitter.hpp>

#include "redis_server.hpp"

#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include <sys/wait.h>

#include <chrono>
#include <functional>
#include <string>

using namespace duet::cluster;
using namespace std::chrono_literals;

namespace {

// The Node peer starts slowly: 10 s.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    return duet_test::run_until(io, done, timeout);
}

void pause(asio::io_context& io, std::chrono::milliseconds d) { run_until(io, [] { return false; }, d); }

}  // namespace

TEST_CASE("redis_emitter: a Node socket.io server receives the C++ emitter's operations") {
    duet_test::redis_server redis;
    const auto port = redis.port;
    ::setenv("REDIS_PORT", std::to_string(port).c_str(), 1);
    duet_test::child_process node({"node", DUET_INTEROP_DIR "/redis_node_server.mjs"}, false);

    asio::io_context io;
    redis_client_options o;
    o.port = port;
    redis_client client(io, o);
    client.start();
    REQUIRE(run_until(io, [&] { return client.state() == redis_state::connected; }));
    bool ready = false;
    REQUIRE(run_until(io, [&] {
        client.command({"GET", "duet:interop:ready"},
                       [&](std::error_code, const redis_reply& r) { ready = r.str == "1"; });
        pause(io, 50ms);
        return ready;
    }));

    redis_emitter em(client);
    em.emit("plain", 1, "two", boost::json::object{{"three", 3}}, nullptr, 1.5);
    em.to("r1").emit("room", "x");
    em.to("r1").except("r1").emit("excluded", "never");
    em.to("nobody").emit("empty-room", "never");
    em.emit("binary", attachment{std::byte{1}, std::byte{2}, std::byte{3}}, "after");
    em.of("chat").emit("hello", "chat");
    em.sockets_join({"j1", "j2"});
    pause(io, 200ms);
    em.to("j1").emit("joined", "j1");
    em.in("r1").sockets_leave({"j2"});
    em.server_side_emit("sse", 5, "x");
    CHECK_THROWS_AS(em.emit("disconnect"), std::invalid_argument);
    pause(io, 300ms);
    // Volatile packets are dropped by a transport that is still writing: send it alone.
    em.volatile_().emit("volatile", true);
    pause(io, 100ms);
    em.emit("done");
    pause(io, 100ms);

    std::optional<int> status;
    for (int i = 0; i < 500 && !status; ++i) {
        status = node.try_wait();
        if (!status) pause(io, 20ms);
    }
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
}
