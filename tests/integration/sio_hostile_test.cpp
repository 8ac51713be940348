// Hostile clients and faults against the Engine.IO / Socket.IO layers, over loopback
// with raw sockets (Engine.IO over long-polling and over WebSocket, bytes as the
// protocol specs write them):
//   - a long-polling client that opens many sessions and abandons them (some with a
//     parked GET whose TCP connection is then reset): every session expires after
//     pingInterval + pingTimeout;
//   - ~10,000 WebSocket connections that never send a Socket.IO CONNECT: all closed
//     after connect_timeout, while a well-behaved client is still answered;
//   - a graceful stop with acks in flight: callbacks (and co_await'ed acks) of a client
//     that never answers fail with connection_aborted, an answered one got its reply
//     exactly once, and run() returns;
//   - event handlers (plain and coroutine) that throw: reported to
//     sio::options::on_handler_error, the connection keeps working;
//   - typed arguments that do not convert: on_arg_error and the error ack name the
//     argument, the member and what was expected.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <duet/duet.hpp>
#include <duet/ws/frame.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::eio_ws_client;
using duet_test::ws_upgrade;
using duet_test::raw_client;
using duet_test::status_of;
namespace ws = duet::ws;
namespace json = boost::json;

namespace {

// ----- what the handlers saw (written on the server's thread, read by the test) -----
struct ack_record {
    std::string tag;
    std::error_code ec;
    json::array args;
};
std::mutex mu;
std::vector<ack_record> ack_records;
std::vector<std::pair<std::string, std::string>> handler_errors;  // (event, what)
std::vector<std::pair<std::string, std::string>> arg_errors;      // (event, what)

void record_ack(std::string tag, std::error_code ec, json::array args) {
    std::lock_guard lock(mu);
    ack_records.push_back({std::move(tag), ec, std::move(args)});
}
std::vector<ack_record> acks_seen() {
    std::lock_guard lock(mu);
    return ack_records;
}
std::vector<std::pair<std::string, std::string>> errors_seen() {
    std::lock_guard lock(mu);
    return handler_errors;
}
void reset_records() {
    std::lock_guard lock(mu);
    ack_records.clear();
    handler_errors.clear();
    arg_errors.clear();
}

void on_handler_error(duet::sio::socket&, std::string_view event, std::string_view what) {
    std::lock_guard lock(mu);
    handler_errors.emplace_back(event, what);
}
void on_arg_error(duet::sio::socket&, std::string_view event, std::string_view what) {
    std::lock_guard lock(mu);
    arg_errors.emplace_back(event, what);
}
std::vector<std::pair<std::string, std::string>> arg_errors_seen() {
    std::lock_guard lock(mu);
    return arg_errors;
}

// ----- typed arguments -----
struct line_item {
    std::string sku;
    int qty;
};
BOOST_DESCRIBE_STRUCT(line_item, (), (sku, qty))
struct order {
    std::string customer;
    std::vector<line_item> lines;
};
BOOST_DESCRIBE_STRUCT(order, (), (customer, lines))
void place(std::string who, order o, std::optional<int> priority, duet::ack<std::string> ack) {
    ack(who + ":" + o.customer + ":" + std::to_string(o.lines.size()) + ":" + std::to_string(priority.value_or(0)));
}

// ----- events -----
void echo(duet::event_args args, duet::ack<duet::event_args> ack) { ack(args); }

// Asks the client a question; the callback records what became of it.
void ask(duet::sio::socket& s, std::string tag) {
    s.emit_with_ack("question", 10s, [tag](std::error_code ec, duet::sio::ack_reply r) {
        record_ack(tag, ec, std::move(r.args));
    }, tag);
}

// The same with co_await. The socket may be gone when it resumes: not touched after.
asio::awaitable<void> ask_co(duet::sio::socket& s, std::string tag) {
    std::error_code ec;
    json::array args;
    try {
        duet::sio::ack_reply r = co_await s.emit_with_ack("question-co", 10s, tag);
        args = std::move(r.args);
    } catch (const duet::sio::ack_timeout&) {
        ec = std::make_error_code(std::errc::timed_out);
    } catch (const std::system_error& e) {
        ec = e.code();
    }
    record_ack(tag + "/co", ec, std::move(args));
}

void boom(duet::sio::socket&) { throw std::runtime_error("kaboom"); }

asio::awaitable<void> boom_co(duet::sio::socket&) {
    asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
    co_await t.async_wait(asio::use_awaitable);
    throw std::runtime_error("kaboom-co");
}

// Coroutines whose client goes away while they wait (a session load, a database
// call): their socket& stays valid — retired, no longer connected, no emits, no joins.
asio::awaitable<void> pause_20ms() {
    asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
    co_await t.async_wait(asio::use_awaitable);
}
void record_resumed(duet::sio::socket& s, std::string tag) {
    s.data() = json::object{{"resumed", true}};
    s.join("late-room");
    s.emit("late", 1);
    record_ack(tag, {}, json::array{s.connected(), s.retired(), s.in_room("late-room")});
}
asio::awaitable<bool> slow_gate(duet::sio::socket& s) {
    co_await pause_20ms();
    record_resumed(s, "gate");
    co_return true;
}
asio::awaitable<void> slow_event(duet::sio::socket& s) {
    co_await pause_20ms();
    record_resumed(s, "event");
}
// How many sockets of /slow are in "late-room" (all shards): none may be left there.
asio::awaitable<void> late_room(duet::sio::io& io, duet::ack<std::size_t> ack) {
    ack(co_await io.of("/slow").in("late-room").count());
}

constexpr auto events = duet::events(
    duet::of<"/">(duet::on<"echo">(duet::fn<echo>), duet::on<"ask">(duet::fn<ask>), duet::on<"ask-co">(duet::fn<ask_co>),
                  duet::on<"boom">(duet::fn<boom>), duet::on<"boom-co">(duet::fn<boom_co>),
                  duet::on<"place">(duet::fn<place>), duet::on<"late-room">(duet::fn<late_room>)),
    duet::of<"/slow">(duet::use(duet::fn<slow_gate>), duet::on<"slow">(duet::fn<slow_event>)));

void stats(duet::response& res);
constexpr auto routes = duet::routes(duet::get<"/stats">(duet::fn<stats>));

using sio_server = duet::server<routes, events>;

std::atomic<sio_server*> current{nullptr};

// "<Engine.IO sessions> <open connections besides the one asking>", read on the
// server's thread.
void stats(duet::response& res) {
    auto* s = current.load();
    res.send(std::to_string(s->realtime_session_count()) + " " + std::to_string(s->connection_count() - 1));
}

duet::server_options local() {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.engineio.ws.close_timeout = 1000ms;  // peers that never answer our close frame
    o.socketio.on_handler_error = &on_handler_error;
    o.socketio.on_arg_error = &on_arg_error;
    return o;
}

struct started {
    duet_test::running_server<sio_server> srv;
    explicit started(duet::server_options o) : srv(std::move(o)) { current.store(&*srv); }
    ~started() {
        srv.stop();
        current.store(nullptr);
    }
    std::uint16_t port() const { return srv.port(); }
};

struct counts {
    std::size_t sessions = 0;
    std::size_t connections = 0;
};
counts stats_of(raw_client& c) {
    c.send("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(status_of(r) == 200);
    counts out;
    auto body = body_of(r);
    auto sp = body.find(' ');
    REQUIRE(sp != std::string::npos);
    out.sessions = std::stoul(body.substr(0, sp));
    out.connections = std::stoul(body.substr(sp + 1));
    return out;
}
// Polls until `pred(counts)`; returns the last counts seen.
template <class P>
counts wait_stats(raw_client& c, P pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    counts seen = stats_of(c);
    while (!pred(seen) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        seen = stats_of(c);
    }
    return seen;
}

void reset(raw_client& c) {
    linger l{1, 0};
    ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    c.close();
}

const ack_record* find_ack(const std::vector<ack_record>& v, std::string_view tag) {
    for (auto& a : v)
        if (a.tag == tag) return &a;
    return nullptr;
}
std::size_t count_acks(const std::vector<ack_record>& v, std::string_view tag) {
    std::size_t n = 0;
    for (auto& a : v) n += a.tag == tag;
    return n;
}

}  // namespace

TEST_CASE("long-polling client abandoning 200 sessions: all expire after pingInterval + pingTimeout") {
    reset_records();
    auto o = local();
    o.engineio.ping_interval = 300ms;
    o.engineio.ping_timeout = 300ms;
    started s(o);
    raw_client stats_client(s.port());
    constexpr int sessions = 200;
    constexpr int parked = 50;  // the newest this many also leave a GET parked, then reset TCP
    std::vector<std::string> sids;
    {
        raw_client c(s.port());
        for (int i = 0; i < sessions; ++i) {
            c.send("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
            auto r = c.read_response();
            REQUIRE(status_of(r) == 200);
            auto body = body_of(r);
            REQUIRE(body.rfind("0{", 0) == 0);
            sids.emplace_back(json::parse(body.substr(1)).at("sid").as_string());
        }
    }  // the handshake connection goes away too
    const auto created = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<raw_client>> gets;
    for (int i = 0; i < parked; ++i) {
        gets.push_back(std::make_unique<raw_client>(s.port()));
        const auto& sid = sids[static_cast<std::size_t>(sessions - 1 - i)];
        gets.back()->send("GET /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    auto at_start = stats_of(stats_client);
    CHECK(at_start.sessions == static_cast<std::size_t>(sessions));
    for (auto& g : gets) CHECK(g->read_some(0ms).empty());  // parked: nothing to say yet
    for (auto& g : gets) reset(*g);
    auto end = wait_stats(stats_client, [](counts c) { return c.sessions == 0; }, 5000ms);
    const auto took = std::chrono::steady_clock::now() - created;
    CHECK(end.sessions == 0);
    // Not before pingInterval + pingTimeout (600 ms) after the last handshake, and not
    // much later either (timer wake-ups only).
    CHECK(took >= 550ms);
    CHECK(took < 3000ms);
    // Every connection is gone too (the reset GETs' included), and the old sids are
    // unknown now.
    CHECK(wait_stats(stats_client, [](counts c) { return c.connections == 0; }, 3000ms).connections == 0);
    raw_client late(s.port());
    for (std::size_t i : {std::size_t{0}, std::size_t{sessions - 1}}) {
        late.send("GET /socket.io/?EIO=4&transport=polling&sid=" + sids[i] + " HTTP/1.1\r\nHost: x\r\n\r\n");
        auto r = late.read_response();
        CHECK(status_of(r) == 400);
        CHECK(body_of(r) == R"({"code":1,"message":"Session ID unknown"})");
    }
}

TEST_CASE("10,000 WebSocket connections that never send CONNECT are all closed; a good client is served meanwhile") {
    reset_records();
    // Each connection costs two descriptors in this process (client and server side).
    rlimit lim{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
    lim.rlim_cur = lim.rlim_max;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lim) == 0);
    std::size_t n = 10'000;
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < 2 * n + 100) {
        n = lim.rlim_max > 300 ? static_cast<std::size_t>((lim.rlim_max - 100) / 2) : 100;
        MESSAGE("RLIMIT_NOFILE hard limit is " << lim.rlim_max << ": using " << n << " connections instead of 10000");
    }
    auto o = local();
    o.socketio.connect_timeout = 1000ms;
    started s(o);
    raw_client stats_client(s.port());

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<raw_client>> idle;
    idle.reserve(n);
    std::size_t bad_handshakes = 0;
    constexpr std::size_t batch = 250;  // below the listen backlog: connect() never waits for a retry
    for (std::size_t first = 0; first < n; first += batch) {
        const std::size_t last = std::min(n, first + batch);
        for (std::size_t i = first; i < last; ++i) {
            idle.push_back(std::make_unique<raw_client>(s.port()));
            idle.back()->send(ws_upgrade);
        }
        for (std::size_t i = first; i < last; ++i) {
            std::string got = idle[i]->read(5000ms, "}");
            if (status_of(got) != 101 || got.find("0{\"sid\":") == std::string::npos) ++bad_handshakes;
        }
    }
    const auto opened = std::chrono::steady_clock::now();
    CHECK(bad_handshakes == 0);
    MESSAGE(n << " Engine.IO WebSocket sessions opened in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(opened - t0).count() << " ms");

    // A well-behaved client, while (most of) those are still waiting for their timeout.
    eio_ws_client good(s.port());
    const auto c0 = std::chrono::steady_clock::now();
    good.connect();
    const auto connect_latency = std::chrono::steady_clock::now() - c0;
    CHECK(connect_latency < 1500ms);

    // Every idle session is closed by the connect timeout; the good one stays.
    auto after = wait_stats(stats_client, [](counts c) { return c.sessions == 1; }, 20000ms);
    CHECK(after.sessions == 1);
    // ... and every idle TCP connection is closed by the server (EOF seen).
    std::size_t still_open = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10000ms;
    for (auto& c : idle) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!c->wait_closed(std::max(left, 1ms))) ++still_open;
    }
    CHECK(still_open == 0);
    idle.clear();
    CHECK(wait_stats(stats_client, [](counts c) { return c.connections == 1; }, 5000ms).connections == 1);

    // The good client was not swept with them: it is still connected and served.
    good.send("421[\"echo\",\"still here\"]");
    auto reply = good.next();
    REQUIRE(reply);
    CHECK(*reply == "431[\"still here\"]");
    good.c.close();
    auto end = wait_stats(stats_client, [](counts c) { return c.sessions == 0 && c.connections == 0; }, 5000ms);
    CHECK(end.sessions == 0);
    CHECK(end.connections == 0);
}

TEST_CASE("graceful stop with acks in flight: unanswered acks fail, answered ones got their reply, run() returns") {
    reset_records();
    started s(local());
    eio_ws_client silent(s.port());  // never answers the server's questions
    silent.connect();
    eio_ws_client polite(s.port());
    polite.connect();

    // "42<id>[...]": the ack id the server chose (ids are per namespace and shard).
    auto split_ack = [](const std::string& pkt) -> std::pair<std::string, std::string> {
        if (pkt.rfind("42", 0) != 0) return {};
        std::size_t i = 2;
        while (i < pkt.size() && pkt[i] >= '0' && pkt[i] <= '9') ++i;
        return {pkt.substr(2, i - 2), pkt.substr(i)};
    };
    silent.send("42[\"ask\",\"silent\"]");
    auto q1 = silent.next();
    REQUIRE(q1);
    auto [id1, body1] = split_ack(*q1);
    CHECK(!id1.empty());
    CHECK(body1 == "[\"question\",\"silent\"]");
    silent.send("42[\"ask-co\",\"silent\"]");
    auto q2 = silent.next();
    REQUIRE(q2);
    auto [id2, body2] = split_ack(*q2);
    CHECK(!id2.empty());
    CHECK(id2 != id1);
    CHECK(body2 == "[\"question-co\",\"silent\"]");

    polite.send("42[\"ask\",\"polite\"]");
    auto q3 = polite.next();
    REQUIRE(q3);
    auto [id3, body3] = split_ack(*q3);
    REQUIRE(!id3.empty());
    CHECK(body3 == "[\"question\",\"polite\"]");
    polite.send("43" + id3 + "[\"yes\"]");
    // The answer is processed before the stop begins.
    auto deadline = std::chrono::steady_clock::now() + 2000ms;
    while (!find_ack(acks_seen(), "polite") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    REQUIRE(find_ack(acks_seen(), "polite"));
    CHECK(acks_seen().size() == 1);  // the silent ones are still pending (10 s timeout)

    const auto t0 = std::chrono::steady_clock::now();
    s.srv.stop();  // returns once run() has returned
    const auto stop_took = std::chrono::steady_clock::now() - t0;
    CHECK(stop_took < 5000ms);  // close_timeout (1 s) for peers that ignore our close, plus the tick

    auto acks = acks_seen();
    // Each callback exactly once.
    CHECK(count_acks(acks, "silent") == 1);
    CHECK(count_acks(acks, "silent/co") == 1);
    CHECK(count_acks(acks, "polite") == 1);
    CHECK(acks.size() == 3);
    if (auto* a = find_ack(acks, "silent")) {
        CHECK(a->ec == std::errc::connection_aborted);
        CHECK(a->args.empty());
    }
    if (auto* a = find_ack(acks, "silent/co")) CHECK(a->ec == std::errc::connection_aborted);
    if (auto* a = find_ack(acks, "polite")) {
        CHECK_FALSE(a->ec);
        CHECK(a->args == json::array{"yes"});
    }
    // The clients were told with the WebSocket close (no Engine.IO close packet over
    // WebSocket, as the reference's engine.close()).
    auto last = silent.next(3000ms);
    while (last) last = silent.next(3000ms);
    CHECK(silent.close_frame_seen);
}

TEST_CASE("event handlers that throw: on_handler_error is told, the event fails, the connection keeps working") {
    reset_records();
    started s(local());
    raw_client stats_client(s.port());
    eio_ws_client c(s.port());
    c.connect();
    c.send("42[\"boom\"]");
    c.send("421[\"boom\"]");  // asked for an ack: the handler never gave one
    c.send("42[\"boom-co\"]");
    c.send("422[\"echo\",\"after\"]");
    auto p = c.next();
    REQUIRE(p);
    CHECK(*p == "432[\"after\"]");  // the next packet is the following event's ack
    auto deadline = std::chrono::steady_clock::now() + 2000ms;
    while (errors_seen().size() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    auto errors = errors_seen();
    REQUIRE(errors.size() == 3);
    CHECK(errors[0] == std::pair<std::string, std::string>("boom", "kaboom"));
    CHECK(errors[1] == std::pair<std::string, std::string>("boom", "kaboom"));
    CHECK(errors[2] == std::pair<std::string, std::string>("boom-co", "kaboom-co"));
    // Still the same connection and namespace socket.
    c.send("423[\"echo\",\"again\"]");
    auto q = c.next();
    REQUIRE(q);
    CHECK(*q == "433[\"again\"]");
    CHECK_FALSE(c.c.closed());
    CHECK(stats_of(stats_client).sessions == 1);
}

TEST_CASE("typed arguments that do not convert: the argument, member and expectation are named") {
    reset_records();
    started s(local());
    eio_ws_client c(s.port());
    c.connect();
    const std::pair<std::string_view, std::string_view> cases[] = {
        {R"(["place"])", "missing argument 0"},
        {R"(["place",5])", "argument 0: expected a string"},
        {R"(["place","ann",[]])", "argument 1: expected an object"},
        {R"(["place","ann",{"customer":"c","lines":[{"sku":"a","qty":1},{"sku":"b","qty":"2"}]}])",
         "argument 1.lines[1].qty: expected an integer"},
        {R"(["place","ann",{"customer":"c","lines":[{"qty":1}]}])", "argument 1.lines[0].sku: missing (expected a string)"},
        {R"(["place","ann",{"customer":"c","lines":[]},1.5])", "argument 2: expected an integer"},
    };
    int id = 10;
    for (auto [packet, message] : cases) {
        c.send("42" + std::to_string(id) + std::string(packet));
        auto p = c.next();
        REQUIRE(p);
        const std::string prefix = "43" + std::to_string(id);
        REQUIRE(p->starts_with(prefix));
        auto reply = json::parse(p->substr(prefix.size())).as_array().at(0).as_object();
        CHECK(reply.at("error") == "invalid arguments");
        CHECK(std::string_view(reply.at("message").as_string()) == message);
        ++id;
    }
    auto deadline = std::chrono::steady_clock::now() + 2000ms;
    while (arg_errors_seen().size() < std::size(cases) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    auto seen = arg_errors_seen();
    REQUIRE(seen.size() == std::size(cases));
    CHECK(seen[3] == std::pair<std::string, std::string>("place", "argument 1.lines[1].qty: expected an integer"));
    // Arguments that fit reach the handler.
    c.send(R"(4299["place","ann",{"customer":"c","lines":[{"sku":"a","qty":1}]},3])");
    auto p = c.next();
    REQUIRE(p);
    CHECK(*p == R"(4399["ann:c:1:3"])");
}

TEST_CASE("a client that leaves while a coroutine middleware or handler waits: the socket& stays valid, retired") {
    reset_records();
    started s(local());
    raw_client stats_client(s.port());
    {
        // Connects to /slow and closes at once: the middleware resumes after the close.
        eio_ws_client c(s.port());
        c.send("40/slow,");
        c.c.close();
    }
    {
        // Connected (the middleware let it in), sends "slow" and closes at once.
        eio_ws_client c(s.port());
        c.connect("/slow");
        c.send("42/slow,[\"slow\"]");
        c.c.close();
    }
    auto deadline = std::chrono::steady_clock::now() + 2000ms;
    while (acks_seen().size() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    auto seen = acks_seen();
    REQUIRE(seen.size() == 3);  // gate (first client), gate + event (second)
    int gates = 0, events_resumed = 0;
    for (auto& r : seen) {
        if (r.tag == "gate") ++gates;
        if (r.tag == "event") {
            ++events_resumed;
            // Gone: not connected, retired, and the join after the close did nothing.
            CHECK(r.args == json::array{false, true, false});
        }
    }
    CHECK(gates == 2);
    CHECK(events_resumed == 1);
    // Nothing of either client is left in a room; the server serves the next one.
    eio_ws_client c(s.port());
    c.connect();
    c.send("421[\"late-room\"]");
    auto p = c.next();
    REQUIRE(p);
    CHECK(*p == "431[0]");
    deadline = std::chrono::steady_clock::now() + 2000ms;
    while (stats_of(stats_client).sessions != 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    CHECK(stats_of(stats_client).sessions == 1);
}
