// sio/adapter.hpp + the in-memory adapter: membership, rooms, targets (rooms, except,
// excluded sender, each socket once), a custom adapter chosen through options, and
// serverSideEmit with and without other servers.
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <boost/json/parse.hpp>

#include <duet/sio/socket.hpp>

using namespace duet::sio;
using socket_t = duet::sio::socket;

namespace {

struct fixture {
    asio::io_context io;
    options opts;
    std::unique_ptr<shard_state> shard;
    std::shared_ptr<client> c;
    std::vector<std::unique_ptr<socket_t>> sockets;

    explicit fixture(adapter_factory f = nullptr) {
        opts.adapter = f;
        shard = std::make_unique<shard_state>(io, opts, 0);
        c = std::make_shared<client>(*shard, handshake_info{});
    }
    socket_t& connect(std::string id, std::initializer_list<const char*> rooms = {}) {
        auto& ns = shard->of("/");
        sockets.push_back(std::make_unique<socket_t>(*c, ns, std::move(id), boost::json::object{}));
        socket_t& s = *sockets.back();
        ns.add(s);
        s.mark_connected();
        for (auto r : rooms) s.join(r);
        return s;
    }
    std::set<std::string> ids(const std::vector<socket_t*>& v) {
        std::set<std::string> out;
        for (auto* s : v) out.insert(s->id());
        return out;
    }
};

}  // namespace

TEST_CASE("rooms: join, leave, sizes, and leaving everything when a socket goes") {
    fixture f;
    auto& a = f.connect("a", {"r1", "r2"});
    f.connect("b", {"r1"});
    auto& ns = f.shard->of("/");
    CHECK(ns.size() == 2);
    CHECK(ns.room_size("r1") == 2);
    CHECK(ns.room_size("r2") == 1);
    a.join("r1");  // twice: no duplicate membership
    CHECK(ns.room_size("r1") == 2);
    a.leave("r2");
    CHECK(ns.room_size("r2") == 0);
    CHECK(ns.find("a") == &a);
    f.sockets.erase(f.sockets.begin());  // a destroyed: leaves its rooms and the namespace
    CHECK(ns.size() == 1);
    CHECK(ns.room_size("r1") == 1);
    CHECK(ns.find("a") == nullptr);
}

TEST_CASE("targets: whole namespace, one room, several rooms once each, except, sender excluded") {
    fixture f;
    auto& a = f.connect("a", {"r1"});
    f.connect("b", {"r1", "r2"});
    f.connect("c", {"r2", "vip"});
    f.connect("d");
    auto& ns = f.shard->of("/");
    CHECK(f.ids(ns.fetch_sockets()) == std::set<std::string>{"a", "b", "c", "d"});
    CHECK(f.ids(ns.to("r1").fetch_sockets()) == std::set<std::string>{"a", "b"});
    CHECK(ns.to("r1").to("r2").fetch_sockets().size() == 3);  // b once
    CHECK(f.ids(ns.to("r2").except("vip").fetch_sockets()) == std::set<std::string>{"b"});
    CHECK(f.ids(a.to("r1").fetch_sockets()) == std::set<std::string>{"b"});
    CHECK(f.ids(a.broadcast().fetch_sockets()) == std::set<std::string>{"b", "c", "d"});
    CHECK(ns.to("nobody").fetch_sockets().empty());
    // A broadcast reaches the addressed, connected sockets.
    CHECK(ns.to("r2").emit("e", 1) == 2);
    CHECK(a.broadcast().emit("e") == 3);
}

namespace {
int broadcasts_seen = 0;
// A custom adapter adds to the memory one (derives from it, overrides what it adds).
class counting_adapter final : public memory_adapter {
public:
    using memory_adapter::memory_adapter;
    std::size_t broadcast(const broadcast_target& t, const broadcast_packet& p) override {
        ++broadcasts_seen;
        CHECK(p.framed);
        CHECK(p.packets.size() == 1);
        return memory_adapter::broadcast(t, p);
    }
};
}  // namespace

TEST_CASE("options.adapter chooses the adapter of every namespace; a broadcast is one call") {
    fixture f([](namespace_state& ns) -> std::unique_ptr<adapter> { return std::make_unique<counting_adapter>(ns); });
    f.connect("a", {"r"});
    f.connect("b", {"r"});
    broadcasts_seen = 0;
    CHECK(f.shard->of("/").to("r").emit("hello", "x") == 2);
    CHECK(broadcasts_seen == 1);
}

namespace {
// An adapter that reaches other servers (the Redis adapter's role): what the
// broadcast operator hands it.
struct published {
    std::string event;
    boost::json::array args;
    std::size_t attachments = 0;
    std::vector<std::string> rooms, except;
    std::string excluded;
    bool volatile_ = false;
};
std::vector<published> publications;
std::vector<std::string> ops;
class publishing_adapter final : public memory_adapter {
public:
    using memory_adapter::memory_adapter;
    bool publishes() const override { return true; }
    void publish(const outgoing_broadcast& b) override {
        published p{std::string(b.event), boost::json::array(b.args.begin(), b.args.end()), b.attachments.size(),
                    {b.target.rooms.begin(), b.target.rooms.end()}, {b.target.except.begin(), b.target.except.end()},
                    b.target.exclude ? b.target.exclude->id() : "", b.target.volatile_};
        publications.push_back(std::move(p));
    }
    void publish_op(remote_op op, std::span<const std::string> rooms, std::span<const std::string>,
                    std::string_view room, bool close) override {
        ops.push_back(std::to_string(static_cast<int>(op)) + ":" + (rooms.empty() ? "" : rooms[0]) + ":" +
                      std::string(room) + ":" + (close ? "close" : ""));
    }
};
}  // namespace

TEST_CASE("an adapter that publishes gets each broadcast once, after the local delivery; local() is not published") {
    fixture f([](namespace_state& ns) -> std::unique_ptr<adapter> { return std::make_unique<publishing_adapter>(ns); });
    auto& a = f.connect("a", {"r"});
    f.connect("b", {"r"});
    auto& ns = f.shard->of("/");
    publications.clear();
    ops.clear();
    const std::array<std::byte, 2> bin{std::byte{1}, std::byte{2}};
    CHECK(ns.to("r").except("x").emit("hello", 1, std::span<const std::byte>(bin)) == 2);
    REQUIRE(publications.size() == 1);
    CHECK(publications[0].event == "hello");
    CHECK(publications[0].args.size() == 2);
    CHECK(publications[0].attachments == 1);
    CHECK(publications[0].rooms == std::vector<std::string>{"r"});
    CHECK(publications[0].except == std::vector<std::string>{"x"});
    CHECK(a.broadcast().emit("e") == 1);
    REQUIRE(publications.size() == 2);
    CHECK(publications[1].excluded == "a");
    CHECK(broadcast_operator(ns).local().emit("e") == 2);
    CHECK(broadcast_operator(ns).volatile_().emit("v") == 2);
    REQUIRE(publications.size() == 3);
    CHECK(publications[2].volatile_);
    ns.to("r").sockets_join("s");
    CHECK(ns.room_size("s") == 2);
    broadcast_operator(ns).local().sockets_leave("s");
    CHECK(ns.room_size("s") == 0);
    CHECK(ops == std::vector<std::string>{"0:r:s:"});
}

namespace {
// An adapter with other servers behind it: each "has" 5 matching sockets; records
// what it was asked.
std::vector<std::string> count_requests;
class clustered_adapter final : public memory_adapter {
public:
    using memory_adapter::memory_adapter;
    bool publishes() const override { return true; }
    void publish(const outgoing_broadcast&) override {}
    bool remote_socket_count(std::span<const std::string> rooms, std::span<const std::string> except,
                             std::function<void(std::error_code, std::size_t)> done) override {
        std::string q = "rooms:";
        for (auto& r : rooms) q += r + ",";
        q += " except:";
        for (auto& e : except) q += e + ",";
        count_requests.push_back(q);
        done({}, 5);
        return true;
    }
};

template <class T>
T run_awaitable(asio::io_context& io, asio::awaitable<T> aw) {
    std::optional<T> out;
    asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T v) {
        if (e) std::rethrow_exception(e);
        out = v;
    });
    io.restart();
    io.run();
    REQUIRE(out);
    return *out;
}
}  // namespace

TEST_CASE("counts with a cluster adapter add the other servers' sockets; local() does not ask them") {
    fixture f([](namespace_state& ns) -> std::unique_ptr<adapter> { return std::make_unique<clustered_adapter>(ns); });
    auto& a = f.connect("a", {"r"});
    f.connect("b", {"r"});
    auto& ns = f.shard->of("/");
    count_requests.clear();
    CHECK(run_awaitable(f.io, ns.to("r").emit_counted("e", 1)) == 2 + 5);
    CHECK(run_awaitable(f.io, ns.in("r").except("x").count()) == 2 + 5);
    // socket.to(room): the sender's own room is excepted over there too.
    CHECK(run_awaitable(f.io, a.to("r").emit_counted("e")) == 1 + 5);
    CHECK(count_requests == std::vector<std::string>{"rooms:r, except:", "rooms:r, except:x,", "rooms:r, except:a,"});
    count_requests.clear();
    CHECK(run_awaitable(f.io, ns.to("r").local().emit_counted("e")) == 2);
    CHECK(run_awaitable(f.io, ns.in("r").local().count()) == 2);
    CHECK(count_requests.empty());
}

// ----- serverSideEmit -----
namespace {
// What the shard's dispatch (the event table's on_server_side_emit entries) was handed.
std::vector<boost::json::array> dispatched;
void record_dispatch(io&, namespace_state&, boost::json::array data, server_side_reply) {
    dispatched.push_back(std::move(data));
}
}  // namespace

TEST_CASE("without a cluster, serverSideEmit reaches nobody (not even this server's entries); with ack it completes "
          "with no answers at once") {
    fixture f;
    io handle(*f.shard);
    f.shard->set_server_side_dispatch(&record_dispatch, handle);
    dispatched.clear();
    auto& ns = f.shard->of("/");
    ns.server_side_emit("hello", 1, "two");
    handle.server_side_emit("hello");
    f.io.run();
    f.io.restart();
    CHECK(dispatched.empty());  // Node: never to the sending server itself

    // Callback form: posted (not run inside the call), no error, no answers.
    int calls = 0;
    std::error_code got_ec = std::make_error_code(std::errc::io_error);
    std::vector<boost::json::value> got{boost::json::value(1)};
    ns.server_side_emit_with_ack("ping", std::chrono::seconds(30), [&](std::error_code ec, std::vector<boost::json::value> r) {
        ++calls;
        got_ec = ec;
        got = std::move(r);
    }, 1);
    CHECK(calls == 0);
    const auto t0 = std::chrono::steady_clock::now();
    f.io.run();
    f.io.restart();
    CHECK(calls == 1);
    CHECK(!got_ec);
    CHECK(got.empty());

    // Coroutine form: the (empty) answers, long before the 30 s timeout.
    bool finished = false;
    asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
        auto answers = co_await handle.server_side_emit_with_ack("ping", std::chrono::seconds(30), "x");
        CHECK(answers.empty());
        finished = true;
    }, asio::detached);
    f.io.run();
    CHECK(finished);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(dispatched.empty());

    // socket.io's reserved names are refused.
    CHECK_THROWS_AS(ns.server_side_emit("connection", 1), std::invalid_argument);
    CHECK_THROWS_AS(handle.server_side_emit_with_ack("connect", std::chrono::seconds(1), [](std::error_code, std::vector<boost::json::value>) {}),
                    std::invalid_argument);
}

namespace {
// An adapter with other servers: what serverSideEmit hands it, and scripted answers.
std::vector<boost::json::array> sent_to_servers;
std::vector<std::chrono::milliseconds> sent_timeouts;
std::error_code answer_error;
class server_side_adapter final : public adapter {
public:
    explicit server_side_adapter(namespace_state& ns) : inner_(ns) {}
    void add(socket_t& s) override { inner_.add(s); }
    void remove(socket_t& s) override { inner_.remove(s); }
    void join(socket_t& s, std::string_view r) override { inner_.join(s, r); }
    void leave(socket_t& s, std::string_view r) override { inner_.leave(s, r); }
    std::size_t size() const override { return inner_.size(); }
    std::size_t room_size(std::string_view r) const override { return inner_.room_size(r); }
    socket_t* find(std::string_view id) const override { return inner_.find(id); }
    void for_each(const broadcast_target& t, void (*v)(void*, socket_t&), void* ctx) const override {
        inner_.for_each(t, v, ctx);
    }
    std::size_t broadcast(const broadcast_target& t, const broadcast_packet& p) override { return inner_.broadcast(t, p); }
    void server_side_emit(boost::json::array data) override { sent_to_servers.push_back(std::move(data)); }
    bool server_side_emit_with_ack(boost::json::array data, std::chrono::milliseconds timeout,
                                   server_side_ack_callback done) override {
        sent_to_servers.push_back(std::move(data));
        sent_timeouts.push_back(timeout);
        done(answer_error, {boost::json::value("pong"), boost::json::value(2)});
        return true;
    }

private:
    memory_adapter inner_;
};
}  // namespace

TEST_CASE("an adapter with other servers gets serverSideEmit as JSON [event, ...args] (binary as Node's Buffer JSON); "
          "its answers complete the ack, its timeout throws ack_timeout") {
    fixture f([](namespace_state& ns) -> std::unique_ptr<adapter> { return std::make_unique<server_side_adapter>(ns); });
    io handle(*f.shard);
    sent_to_servers.clear();
    sent_timeouts.clear();
    answer_error = {};
    const std::array<std::byte, 2> bin{std::byte{1}, std::byte{255}};
    handle.of("/admin").server_side_emit("hello", 1, std::vector<std::string>{"a"}, duet::sio::binary(std::span<const std::byte>(bin)));
    REQUIRE(sent_to_servers.size() == 1);
    CHECK(boost::json::value(sent_to_servers[0]) ==
          boost::json::parse(R"(["hello",1,["a"],{"type":"Buffer","data":[1,255]}])"));

    std::vector<boost::json::value> got;
    handle.server_side_emit_with_ack("ping", std::chrono::milliseconds(1234),
                                     [&](std::error_code ec, std::vector<boost::json::value> r) {
                                         CHECK(!ec);
                                         got = std::move(r);
                                     });
    CHECK(got == std::vector<boost::json::value>{boost::json::value("pong"), boost::json::value(2)});
    REQUIRE(sent_timeouts.size() == 1);
    CHECK(sent_timeouts[0] == std::chrono::milliseconds(1234));
    CHECK(boost::json::value(sent_to_servers[1]) == boost::json::parse(R"(["ping"])"));

    answer_error = std::make_error_code(std::errc::timed_out);
    bool threw = false;
    asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
        try {
            co_await handle.server_side_emit_with_ack("ping", std::chrono::seconds(1));
        } catch (const ack_timeout&) {
            threw = true;
        }
    }, asio::detached);
    f.io.run();
    CHECK(threw);
}
