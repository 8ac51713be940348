// The event table's duet::on_server_side_emit<"event"> entries: what a serverSideEmit
// from another server (handed to namespace_state::receive_server_side_emit, as the
// Redis adapter does on shard 0) runs — typed arguments, duet::io&, the trailing
// duet::ack answering the sender, argument errors, unknown events ignored, the
// namespace matched like a CONNECT, coroutine handlers, and the listening namespaces
// created on shard 0 at start.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include <duet/socketio.hpp>

namespace json = boost::json;

namespace {

struct point {
    int x = 0;
    int y = 0;
};
BOOST_DESCRIBE_STRUCT(point, (), (x, y))

std::vector<std::string> seen;  // what the handlers ran with

void hello(duet::io& io, std::string who, int n, std::optional<point> p) {
    seen.push_back("hello " + who + " " + std::to_string(n) + (p ? " " + std::to_string(p->x + p->y) : "") + " shard " +
                   std::to_string(io.state().shard_index()));
}
void ping(duet::ack<std::string> ack) {
    seen.push_back(ack.requested() ? "ping (answer asked)" : "ping (no answer asked)");
    ack("pong");
    ack("twice");  // only the first answer is sent
}
void raw(duet::event_args args, duet::ack<json::value> ack) {
    json::array out;
    for (std::size_t i = 0; i < args.size(); ++i) out.push_back(args[i]);
    ack(out);
}
void admin_only(duet::ack<> ack) {
    seen.push_back("admin");
    ack();
}
void thrower(int) { throw std::runtime_error("boom"); }
asio::awaitable<void> later(duet::io& io, int n, duet::ack<int> ack) {
    asio::steady_timer t(io.state().io(), std::chrono::milliseconds(5));
    co_await t.async_wait(asio::use_awaitable);
    ack(n * n);
}
void client_chat(duet::socket&, std::string) { seen.push_back("client chat"); }

// "chat" is both a client event and a server-side one: two tables, no clash.
constexpr auto events = duet::events(
    duet::of<"/">(duet::on<"chat">(duet::fn<client_chat>), duet::on_server_side_emit<"hello">(duet::fn<hello>),
                  duet::on_server_side_emit<"ping">(duet::fn<ping>), duet::on_server_side_emit<"raw">(duet::fn<raw>),
                  duet::on_server_side_emit<"throws">(duet::fn<thrower>),
                  duet::on_server_side_emit<"later">(duet::fn<later>)),
    duet::of<"/admin">(duet::on_server_side_emit<"ping">(duet::fn<admin_only>)),
    duet::of<"/quiet">(duet::on<"chat">(duet::fn<client_chat>)));
using spec = std::remove_cvref_t<decltype(events)>;

struct node {
    asio::io_context io;
    duet::sio::options opts;
    duet::sio::shard_bundle bundle;
    explicit node(unsigned index = 0)
        : bundle(io, opts, index, nullptr, &duet::sio::server_side_table<spec>::install) {}

    // Delivers [event, ...args] as the adapter would; returns the answers sent back.
    std::vector<json::value> deliver(std::string_view nsp, std::string_view data, bool with_ack = true) {
        std::vector<json::value> answers;
        duet::sio::server_side_reply reply;
        if (with_ack) reply = [&answers](json::value v) { answers.push_back(std::move(v)); };
        bundle.state.of(nsp).receive_server_side_emit(json::parse(data).as_array(), reply);
        io.run();
        io.restart();
        return answers;
    }
};

}  // namespace

TEST_CASE("typed arguments and duet::io& reach the entry; no answer when none was asked for") {
    node n;
    seen.clear();
    CHECK(n.deliver("/", R"(["hello","ann",2,{"x":1,"y":2}])", false).empty());
    CHECK(n.deliver("/", R"(["hello","bob",3])", false).empty());  // optional: absent
    CHECK(seen == std::vector<std::string>{"hello ann 2 3 shard 0", "hello bob 3 shard 0"});
}

TEST_CASE("duet::ack answers the sender once; requested() tells whether it waits") {
    node n;
    seen.clear();
    CHECK(n.deliver("/", R"(["ping"])") == std::vector<json::value>{json::value("pong")});
    CHECK(n.deliver("/", R"(["ping"])", false).empty());
    CHECK(seen == std::vector<std::string>{"ping (answer asked)", "ping (no answer asked)"});
    CHECK(n.deliver("/", R"(["raw",1,[true],null])") == std::vector<json::value>{json::parse("[1,[true],null]")});
}

TEST_CASE("arguments that do not convert: the handler does not run, the sender gets the error object") {
    node n;
    seen.clear();
    auto answers = n.deliver("/", R"(["hello",5,2])");
    REQUIRE(answers.size() == 1);
    CHECK(answers[0] == json::parse(R"({"error":"invalid arguments","message":"argument 0: expected a string"})"));
    answers = n.deliver("/", R"(["hello","ann"])");
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].at("message") == "missing argument 1");
    CHECK(seen.empty());
}

TEST_CASE("an event without an entry, a client-only event, a malformed message or a throwing handler: nothing answers") {
    node n;
    seen.clear();
    CHECK(n.deliver("/", R"(["nobody-listens",1])").empty());
    CHECK(n.deliver("/", R"(["chat","x"])").empty());  // a client event is not a server-side one
    CHECK(n.deliver("/", R"([])").empty());
    CHECK(n.deliver("/", R"([42])").empty());
    CHECK(n.deliver("/", R"(["throws",1])").empty());
    CHECK(n.deliver("/quiet", R"(["ping"])").empty());    // no server-side entries there
    CHECK(n.deliver("/nowhere", R"(["ping"])").empty());  // not in the table
    CHECK(seen.empty());
}

TEST_CASE("the namespace's own entries: the same name elsewhere is another handler") {
    node n;
    seen.clear();
    CHECK(n.deliver("/admin", R"(["ping"])") == std::vector<json::value>{json::value()});  // ack<>: null
    CHECK(seen == std::vector<std::string>{"admin"});
}

TEST_CASE("a coroutine entry answers when it finishes") {
    node n;
    CHECK(n.deliver("/", R"(["later",7])") == std::vector<json::value>{json::value(49)});
}

TEST_CASE("shard 0 creates the namespaces that listen (a cluster subscribes to them); other shards do not") {
    node zero(0), one(1);
    CHECK(zero.bundle.state.find("/") != nullptr);
    CHECK(zero.bundle.state.find("/admin") != nullptr);
    CHECK(zero.bundle.state.find("/quiet") == nullptr);
    CHECK(one.bundle.state.find("/admin") == nullptr);
    // Every shard dispatches (what runs them is the adapter's choice: Redis uses shard 0).
    const bool dispatches = one.bundle.state.server_side() == &duet::sio::server_side_table<spec>::dispatch;
    CHECK(dispatches);
}
