// The asynchronous Redis client (duet/runtime/redis_client.hpp) against a real
// redis-server started by the test on a free port: commands, binary-safe
// publish/subscribe/psubscribe, PUBSUB NUMSUB, the pending-command bound, connect
// errors, and Redis killed and restarted mid-test (pending commands fail, both
// connections come back, subscriptions are restored).
#include <duet/runtime/redis_client.hpp>

#include "redis_server.hpp"

#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

using namespace duet::runtime;
using namespace std::chrono_literals;

namespace {

using duet_test::redis_server;

// The commands' own deadline: 5 s.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    return duet_test::run_until(io, done, timeout);
}

struct message {
    std::string pattern, channel, payload;
};

redis_client_options options_for(std::uint16_t port) {
    redis_client_options o;
    o.port = port;
    o.reconnect_min = 50ms;
    o.reconnect_max = 400ms;
    return o;
}

}  // namespace

TEST_CASE("redis_client: commands, pub/sub, reconnect") {
    redis_server redis;
    asio::io_context io;
    redis_client cmd(io, options_for(redis.port));
    redis_client sub(io, options_for(redis.port));
    std::vector<message> got;
    int confirmations = 0;
    sub.on_message([&](std::string_view p, std::string_view c, std::span<const std::byte> b) {
        got.push_back({std::string(p), std::string(c), std::string(reinterpret_cast<const char*>(b.data()), b.size())});
    });
    sub.on_subscribed([&](std::string_view, std::string_view) { ++confirmations; });
    cmd.start();
    sub.start();
    REQUIRE(run_until(io, [&] { return cmd.state() == redis_state::connected && sub.state() == redis_state::connected; }));

    sub.subscribe("socket.io-request#/#");
    sub.psubscribe("socket.io#/#*");
    REQUIRE(run_until(io, [&] { return confirmations == 2; }));

    // Binary payload: NUL, 0xff, CR LF — RESP framing must not care.
    const std::string payload("\x93\x00\xff\r\n\xc4\x01", 7);
    long long receivers = -1;
    cmd.publish("socket.io-request#/#", payload, [&](std::error_code ec, const redis_reply& r) {
        CHECK_FALSE(ec);
        receivers = r.integer;
    });
    cmd.publish("socket.io#/#room#", payload);
    REQUIRE(run_until(io, [&] { return got.size() == 2; }));
    CHECK(receivers == 1);
    CHECK(got[0].pattern.empty());
    CHECK(got[0].channel == "socket.io-request#/#");
    CHECK(got[0].payload == payload);
    CHECK(got[1].pattern == "socket.io#/#*");
    CHECK(got[1].channel == "socket.io#/#room#");
    CHECK(got[1].payload == payload);

    std::uint64_t n = 99;
    cmd.numsub("socket.io-request#/#", [&](std::error_code ec, std::uint64_t v) {
        CHECK_FALSE(ec);
        n = v;
    });
    REQUIRE(run_until(io, [&] { return n != 99; }));
    CHECK(n == 1);

    SUBCASE("GET/SET/DEL with EX, error replies") {
        std::vector<redis_reply> replies;
        std::vector<std::error_code> errors;
        auto keep = [&](std::error_code ec, const redis_reply& r) {
            errors.push_back(ec);
            replies.push_back(r);
        };
        cmd.command({"SET", "sess:abc", payload, "EX", "60"}, keep);
        cmd.command({"GET", "sess:abc"}, keep);
        cmd.command({"TTL", "sess:abc"}, keep);
        cmd.command({"DEL", "sess:abc"}, keep);
        cmd.command({"GET", "sess:abc"}, keep);
        cmd.command({"NOSUCHCOMMAND"}, keep);
        REQUIRE(run_until(io, [&] { return replies.size() == 6; }));
        CHECK(replies[0].type == redis_reply::kind::status);
        CHECK(replies[0].str == "OK");
        CHECK(replies[1].str == payload);
        CHECK(replies[2].integer == 60);
        CHECK(replies[3].integer == 1);
        CHECK(replies[4].type == redis_reply::kind::nil);
        CHECK(errors[5] == make_error_code(redis_errc::redis_error));
        CHECK(replies[5].str.find("unknown command") != std::string::npos);
        CHECK(cmd.pending() == 0);
    }

    SUBCASE("unsubscribe") {
        sub.unsubscribe("socket.io-request#/#");
        cmd.command({"PING"}, {});
        std::uint64_t left = 99;
        REQUIRE(run_until(io, [&] {
            if (left == 0) return true;
            cmd.numsub("socket.io-request#/#", [&](std::error_code, std::uint64_t v) { left = v; });
            io.restart();
            io.run_for(20ms);
            return false;
        }));
        cmd.publish("socket.io-request#/#", "x");
        cmd.publish("socket.io#/#", "y");
        REQUIRE(run_until(io, [&] { return got.size() == 3; }));
        CHECK(got[2].payload == "y");
    }

    SUBCASE("Redis killed and restarted: errors, then reconnect and resubscribe") {
        std::vector<std::error_code> cmd_errors;
        std::vector<redis_state> sub_states;
        sub.on_state([&](redis_state s, std::error_code) { sub_states.push_back(s); });
        // A command in flight when Redis dies: BLPOP blocks server-side.
        std::error_code in_flight;
        bool in_flight_done = false;
        cmd.command({"BLPOP", "nothing", "10"}, [&](std::error_code ec, const redis_reply&) {
            in_flight = ec;
            in_flight_done = true;
        });
        run_until(io, [] { return false; }, 100ms);
        CHECK(cmd.pending() == 1);
        redis.proc.kill();
        REQUIRE(run_until(io, [&] { return in_flight_done; }));
        CHECK(in_flight == make_error_code(redis_errc::connection_lost));
        REQUIRE(run_until(io, [&] { return cmd.state() != redis_state::connected && sub.state() != redis_state::connected; }));
        CHECK(cmd.pending() == 0);

        // While down: no queue, an immediate error.
        std::error_code down;
        cmd.command({"PING"}, [&](std::error_code ec, const redis_reply&) { down = ec; });
        REQUIRE(run_until(io, [&] { return bool(down); }));
        CHECK(down == make_error_code(redis_errc::not_connected));
        // Let a few reconnect attempts fail.
        run_until(io, [] { return false; }, 300ms);
        CHECK(cmd.connections() == 1);

        redis.start();
        confirmations = 0;
        REQUIRE(run_until(io, [&] { return cmd.state() == redis_state::connected && sub.state() == redis_state::connected; }));
        REQUIRE(run_until(io, [&] { return confirmations == 2; }));
        CHECK(cmd.connections() == 2);
        CHECK(sub.connections() == 2);
        CHECK(sub_states.front() == redis_state::disconnected);
        CHECK(sub_states.back() == redis_state::connected);

        got.clear();
        cmd.publish("socket.io-request#/#", payload);
        cmd.publish("socket.io#/#", payload);
        REQUIRE(run_until(io, [&] { return got.size() == 2; }));
        CHECK(got[0].channel == "socket.io-request#/#");
        CHECK(got[1].pattern == "socket.io#/#*");
        std::uint64_t again = 99;
        cmd.numsub("socket.io-request#/#", [&](std::error_code, std::uint64_t v) { again = v; });
        REQUIRE(run_until(io, [&] { return again != 99; }));
        CHECK(again == 1);
    }

    cmd.close();
    sub.close();
    CHECK(cmd.state() == redis_state::closed);
}

TEST_CASE("redis_client: bounded pending commands") {
    redis_server redis;
    asio::io_context io;
    auto o = options_for(redis.port);
    o.max_pending = 2;
    redis_client cmd(io, o);
    cmd.start();
    REQUIRE(run_until(io, [&] { return cmd.state() == redis_state::connected; }));
    std::vector<std::error_code> results;
    for (int i = 0; i < 3; ++i)
        cmd.command({"PING"}, [&](std::error_code ec, const redis_reply&) { results.push_back(ec); });
    REQUIRE(run_until(io, [&] { return results.size() == 3; }));
    // The refusal is posted, so it may complete before or after the replies.
    CHECK(std::count(results.begin(), results.end(), make_error_code(redis_errc::too_many_pending)) == 1);
    CHECK(std::count(results.begin(), results.end(), std::error_code()) == 2);
}

TEST_CASE("redis_client: connect errors are reported and retried; close() ends it") {
    asio::io_context io;
    auto o = options_for(duet_test::free_port());  // nobody listens there
    redis_client c(io, o);
    std::vector<std::error_code> errors;
    c.on_state([&](redis_state s, std::error_code ec) {
        if (s == redis_state::disconnected) errors.push_back(ec);
    });
    c.start();
    REQUIRE(run_until(io, [&] { return errors.size() >= 3; }));
    CHECK(errors[0] == make_error_code(redis_errc::connect_failed));
    CHECK(c.last_error().find("refused") != std::string::npos);
    CHECK(c.connections() == 0);
    std::error_code closed;
    c.close();
    c.command({"PING"}, [&](std::error_code ec, const redis_reply&) { closed = ec; });
    REQUIRE(run_until(io, [&] { return bool(closed); }));
    CHECK(closed == make_error_code(redis_errc::client_closed));
    io.restart();
    CHECK(io.run_for(200ms) == 0);  // no timer left behind
}

TEST_CASE("redis_client_options::from_url: Node's createClient forms") {
    auto o = redis_client_options::from_url("redis://10.1.2.3:6380");
    CHECK(o.host == "10.1.2.3");
    CHECK(o.port == 6380);
    CHECK(o.password.empty());
    CHECK(o.db == 0);
    o = redis_client_options::from_url("redis://:p%40ss%3Aword@cache/4");
    CHECK(o.host == "cache");
    CHECK(o.port == 6379);
    CHECK(o.username.empty());
    CHECK(o.password == "p@ss:word");
    CHECK(o.db == 4);
    o = redis_client_options::from_url("redis://app:secret@127.0.0.1:7000/0");
    CHECK(o.username == "app");
    CHECK(o.password == "secret");
    CHECK(o.port == 7000);
    for (const char* bad : {"http://x", "redis://h:99999", "redis://h:", "redis://h/x", "redis://nocolon@h"})
        CHECK_THROWS_AS(redis_client_options::from_url(bad), std::invalid_argument);
}

TEST_CASE("redis_client: password and database from the URL; a wrong password is refused and retried") {
    redis_server redis({"--requirepass", "s3cret"});
    asio::io_context io;
    auto good = redis_client_options::from_url("redis://:s3cret@127.0.0.1:" + std::to_string(redis.port) + "/3");
    redis_client c(io, good);
    c.start();
    REQUIRE(run_until(io, [&] { return c.state() == redis_state::connected; }));
    std::vector<std::string> got;
    c.command({"SET", "k", "in-db-3"}, [&](std::error_code ec, const redis_reply& r) { got.push_back(ec ? "error" : r.str); });
    c.command({"GET", "k"}, [&](std::error_code ec, const redis_reply& r) { got.push_back(ec ? "error" : r.str); });
    REQUIRE(run_until(io, [&] { return got.size() == 2; }));
    CHECK(got == std::vector<std::string>{"OK", "in-db-3"});

    // The same password, database 0: the key is not there (SELECT took effect).
    redis_client c0(io, redis_client_options::from_url("redis://:s3cret@127.0.0.1:" + std::to_string(redis.port)));
    c0.start();
    REQUIRE(run_until(io, [&] { return c0.state() == redis_state::connected; }));
    int type = -1;
    c0.command({"GET", "k"}, [&](std::error_code, const redis_reply& r) { type = static_cast<int>(r.type); });
    REQUIRE(run_until(io, [&] { return type != -1; }));
    CHECK(type == static_cast<int>(redis_reply::kind::nil));

    // A wrong password: never connected, the reason kept, commands fail at once.
    auto bad = good;
    bad.password = "wrong";
    bad.reconnect_min = bad.reconnect_max = 50ms;
    redis_client w(io, bad);
    int refusals = 0;
    w.on_state([&](redis_state s, std::error_code) { refusals += s == redis_state::disconnected; });
    w.start();
    REQUIRE(run_until(io, [&] { return refusals >= 2; }));  // refused, retried, refused
    CHECK(w.state() != redis_state::connected);
    CHECK(w.last_error().find("WRONGPASS") != std::string::npos);
}

TEST_CASE("redis_client: a Redis that stops answering — commands fail with timed_out, the client reconnects") {
    redis_server redis;
    asio::io_context io;
    redis_client_options o;
    o.port = redis.port;
    o.command_timeout = 300ms;
    o.connect_timeout = 300ms;
    o.reconnect_min = o.reconnect_max = 100ms;
    redis_client c(io, o);
    c.start();
    REQUIRE(run_until(io, [&] { return c.state() == redis_state::connected; }));

    ::kill(redis.proc.pid(), SIGSTOP);  // the TCP connection stays up; nothing answers
    std::vector<std::error_code> errors;
    const auto sent = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) c.command({"PING"}, [&](std::error_code ec, const redis_reply&) { errors.push_back(ec); });
    REQUIRE(run_until(io, [&] { return errors.size() == 3; }));
    const auto waited = std::chrono::steady_clock::now() - sent;
    CHECK(waited >= 300ms);
    CHECK(waited < 2s);
    for (auto& ec : errors) CHECK(ec == redis_errc::timed_out);
    CHECK(c.pending() == 0);
    CHECK(c.state() != redis_state::connected);

    ::kill(redis.proc.pid(), SIGCONT);
    REQUIRE(run_until(io, [&] { return c.state() == redis_state::connected; }));
    std::string pong;
    c.command({"PING"}, [&](std::error_code, const redis_reply& r) { pong = r.str; });
    REQUIRE(run_until(io, [&] { return !pong.empty(); }));
    CHECK(pong == "PONG");
}
