// tests/interop/redis_cluster_server.cpp — a duet Socket.IO server that is one node of
// a Redis cluster (duet::cluster::redis_cluster), for redis_cluster.test.mjs. The same
// events are served by the Node node (redis_cluster_node.mjs); keep them in step.
//
// Namespace "/":
//   on connect        joins the rooms listed in auth.rooms
//   "emit"            (kind, room, except, args...) → a broadcast of "msg" (args...):
//                     kind "all" io.emit, "room" io.to(room), "except" io.to(room).except(except)
//                     ("" room: everyone), "broadcast" socket.broadcast, "volatile"
//                     io.volatile, "local" io.local
//   "op"              (kind, room, target) → io.in(room) ("" room: all) socketsJoin(target) /
//                     socketsLeave(target) / disconnectSockets(): kind "join"/"leave"/"disconnect"
//   "rooms"           (ack) → the socket's rooms, sorted
//   "server-count"    (ack) → io.serverCount()
//   "all-rooms"       (ack) → the room names of every server, sorted (or {"error"})
//   "fetch"           (room, ack) → [{id, rooms (sorted), hasHandshake}] of every server, by id
//   "remote"          (room, action, arg, ack) → co_await cluster->fetch_sockets(room), then on
//                     each remote socket: "emit" emit("msg", "remote", arg), "join"/"leave"
//                     join(arg)/leave(arg), "disconnect" disconnect(); acks the ids, sorted
//   "sse-emit"        (withAck, args...) → io.server_side_emit("sse", args...) (with ack:
//                     co_await io.server_side_emit_with_ack; acks the answers, or {"error"})
//   "sse-ask"         (event, args...) → co_await server_side_emit_with_ack(event, args...):
//                     acks the answers, or {"error"}
//   "sse-greet"       (name, n, x, y) → server_side_emit_with_ack("greet", name, n, point{x, y})
//                     (typed, the callback form): acks the answers, or {"error"}
//   "ask-all"         (room, ack) → io.to(room) ("" all) emit_with_ack("question", 1, <07>)
//                     with 2 s: acks the first ack arguments, sorted (or {"error"})
//   "shard"           (ack) → the index of the shard serving this socket
//   "sse-log"         (ack) → the serverSideEmit data the table's entries received so far
//   "sse-raw-log"     (ack) → the same, as seen by the low-level cluster->on_server_side_emit
//
// serverSideEmit received (duet::on_server_side_emit entries of "/", Node: io.on):
//   "sse"     (args...) recorded ["sse", args...]; answered {"duet": data} — unless
//             args[0] == "silent" (recorded, not answered)
//   "greet"   (name, n, point{x, y}) recorded ["greet", name, n, {x, y}]; io.to("a").emit("msg",
//             "greeted", name); answered greeting{hello: name, twice: 2n, sum: x + y}
//   "square"  (n) a coroutine: answers n * n after 20 ms
//
// Usage: redis_cluster_server <port|0> --redis HOST:PORT [--threads n] [--requests-timeout ms]
//        [--specific-response-channel]  (publishOnSpecificResponseChannel)
// Prints "listening <port>" once bound.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <duet/cluster/redis_adapter.hpp>
#include <duet/duet.hpp>

#include "../../examples/common/cli.hpp"

namespace {

namespace json = boost::json;

std::shared_ptr<duet::cluster::redis_cluster> cluster;
std::chrono::milliseconds requests_timeout{5000};
std::mutex sse_mutex;
json::array sse_log, sse_raw_log;

struct point {
    int x = 0;
    int y = 0;
};
BOOST_DESCRIBE_STRUCT(point, (), (x, y))
struct greeting {
    std::string hello;
    int twice = 0;
    int sum = 0;
};
BOOST_DESCRIBE_STRUCT(greeting, (), (hello, twice, sum))

void record(json::array entry) {
    std::lock_guard lock(sse_mutex);
    sse_log.push_back(std::move(entry));
}

void on_connect(duet::socket& s) {
    if (const auto* o = s.auth().if_object())
        if (const auto* r = o->if_contains("rooms"); r && r->is_array())
            for (const auto& room : r->get_array())
                if (room.is_string()) s.join(std::string(room.get_string()));
}

void emit(duet::socket& s, duet::io& io, std::string kind, std::string room, std::string except,
          duet::event_args args) {
    auto op = duet::sio::broadcast_operator(io.of("/"));
    if (kind == "broadcast") op = s.broadcast();
    if (!room.empty()) op.to(room);
    if (!except.empty()) op.except(except);
    if (kind == "volatile") op = std::move(op).volatile_();
    if (kind == "local") op = std::move(op).local();
    op.emit("msg", args);
}

void op(duet::io& io, std::string kind, std::string room, std::string target) {
    auto b = duet::sio::broadcast_operator(io.of("/"));
    if (!room.empty()) b.to(room);
    if (kind == "join") b.sockets_join(target);
    else if (kind == "leave") b.sockets_leave(target);
    else b.disconnect_sockets();
}

void rooms(duet::socket& s, duet::ack<std::vector<std::string>> ack) {
    std::vector<std::string> r = s.rooms();
    std::sort(r.begin(), r.end());
    ack(r);
}

asio::awaitable<void> server_count(duet::io& io, duet::ack<int> ack) {
    auto counting = io.of("/").server_count();
    const std::size_t n = co_await std::move(counting);
    ack(static_cast<int>(n));
}

void all_rooms(duet::socket& s, duet::ack<json::value> ack) {
    cluster->all_rooms(s.ns(), [ack](std::error_code ec, std::vector<std::string> rooms) mutable {
        if (ec) return ack(json::object{{"error", ec.message()}});
        std::sort(rooms.begin(), rooms.end());
        ack(json::value_from(rooms));
    });
}

void fetch(duet::socket& s, std::string room, duet::ack<json::value> ack) {
    duet::cluster::room_filter f;
    if (!room.empty()) f.rooms.push_back(room);
    cluster->fetch_sockets(s.ns(), f, [ack](std::error_code ec, std::vector<duet::cluster::remote_socket> found) mutable {
        if (ec) return ack(json::object{{"error", ec.message()}});
        std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.id < b.id; });
        json::array out;
        for (auto& d : found) {
            std::sort(d.rooms.begin(), d.rooms.end());
            const auto* h = d.handshake.if_object();
            out.push_back(json::object{{"id", d.id}, {"rooms", json::value_from(d.rooms)},
                                       {"hasHandshake", h && h->contains("headers")}});
        }
        ack(std::move(out));
    });
}

asio::awaitable<void> remote(duet::io& io, std::string room, std::string action, json::value arg,
                             duet::ack<json::value> ack) {
    duet::cluster::room_filter f;
    if (!room.empty()) f.rooms.push_back(room);
    std::vector<duet::cluster::remote_socket> found;
    try {
        auto fetching = cluster->fetch_sockets(io.of("/"), f);
        found = co_await std::move(fetching);
    } catch (const std::system_error& e) {
        ack(json::object{{"error", e.what()}});
        co_return;
    }
    std::vector<std::string> ids;
    for (const auto& r : found) {
        ids.push_back(r.id);
        if (action == "emit") r.emit("msg", "remote", arg);
        else if (action == "join") r.join(arg.as_string());
        else if (action == "leave") r.leave(arg.as_string());
        else if (action == "disconnect") r.disconnect();
    }
    std::sort(ids.begin(), ids.end());
    ack(json::value_from(ids));
}

asio::awaitable<void> sse_emit(duet::io& io, bool with_ack, duet::event_args args, duet::ack<json::value> ack) {
    if (!with_ack) {
        io.server_side_emit("sse", args);
        ack(true);
        co_return;
    }
    try {
        auto asking = io.server_side_emit_with_ack("sse", requests_timeout, args);
        std::vector<json::value> answers = co_await std::move(asking);
        ack(json::value_from(answers));
    } catch (const duet::sio::ack_timeout& e) {
        ack(json::object{{"error", e.what()}});
    }
}

asio::awaitable<void> sse_ask(duet::io& io, std::string event, duet::event_args args, duet::ack<json::value> ack) {
    try {
        auto asking = io.server_side_emit_with_ack(event, requests_timeout, args);
        std::vector<json::value> answers = co_await std::move(asking);
        ack(json::value_from(answers));
    } catch (const duet::sio::ack_timeout& e) {
        ack(json::object{{"error", e.what()}});
    }
}

void sse_greet(duet::io& io, std::string name, int n, int x, int y, duet::ack<json::value> ack) {
    io.server_side_emit_with_ack("greet", requests_timeout,
                                 [ack](std::error_code ec, std::vector<json::value> answers) mutable {
                                     if (ec) return ack(json::object{{"error", ec.message()}});
                                     ack(json::value_from(answers));
                                 },
                                 name, n, point{x, y});
}

// ----- serverSideEmit received: the table's entries -----
void on_sse(duet::io&, duet::event_args args, duet::ack<json::value> ack) {
    json::array data{"sse"};
    for (std::size_t i = 0; i < args.size(); ++i) data.push_back(args[i]);
    record(data);
    const bool silent = args.size() > 0 && args[0] == "silent";
    if (!silent) ack(json::object{{"duet", data}});
}

void on_greet(duet::io& io, std::string name, int n, point p, duet::ack<greeting> ack) {
    record(json::array{"greet", json::value(name), n, json::value_from(p)});
    io.to("a").emit("msg", "greeted", name);
    ack(greeting{name, 2 * n, p.x + p.y});
}

asio::awaitable<void> on_square(duet::io& io, int n, duet::ack<int> ack) {
    asio::steady_timer t(io.state().io(), std::chrono::milliseconds(20));
    co_await t.async_wait(asio::use_awaitable);
    ack(n * n);
}

void ask_all(duet::io& io, std::string room, duet::ack<json::value> ack) {
    auto b = duet::sio::broadcast_operator(io.of("/"));
    if (!room.empty()) b.to(room);
    const std::array<std::byte, 1> seven{std::byte{7}};
    b.emit_with_ack("question", std::chrono::milliseconds(2000),
                    [ack](std::error_code ec, std::vector<duet::sio::ack_reply> replies) mutable {
                        if (ec) return ack(json::object{{"error", ec.message()}, {"got", replies.size()}});
                        std::vector<std::string> out;
                        for (auto& r : replies)
                            out.push_back(r.args.empty() || !r.args[0].is_string() ? "?" : std::string(r.args[0].get_string()));
                        std::sort(out.begin(), out.end());
                        ack(json::value_from(out));
                    },
                    1, duet::bytes(seven));
}

void shard(duet::io& io, duet::ack<int> ack) { ack(static_cast<int>(io.state().shard_index())); }

void sse_read(duet::ack<json::value> ack) {
    std::lock_guard lock(sse_mutex);
    ack(sse_log);
}
void sse_raw_read(duet::ack<json::value> ack) {
    std::lock_guard lock(sse_mutex);
    ack(sse_raw_log);
}

constexpr auto events = duet::events(duet::of<"/">(
    duet::on_connect(duet::fn<on_connect>), duet::on<"emit">(duet::fn<emit>), duet::on<"op">(duet::fn<op>),
    duet::on<"rooms">(duet::fn<rooms>), duet::on<"server-count">(duet::fn<server_count>),
    duet::on<"all-rooms">(duet::fn<all_rooms>), duet::on<"fetch">(duet::fn<fetch>), duet::on<"remote">(duet::fn<remote>),
    duet::on<"sse-emit">(duet::fn<sse_emit>), duet::on<"sse-ask">(duet::fn<sse_ask>),
    duet::on<"sse-greet">(duet::fn<sse_greet>), duet::on<"sse-log">(duet::fn<sse_read>),
    duet::on<"sse-raw-log">(duet::fn<sse_raw_read>), duet::on<"ask-all">(duet::fn<ask_all>),
    duet::on<"shard">(duet::fn<shard>), duet::on_server_side_emit<"sse">(duet::fn<on_sse>),
    duet::on_server_side_emit<"greet">(duet::fn<on_greet>), duet::on_server_side_emit<"square">(duet::fn<on_square>)));

constexpr auto no_routes = duet::routes();
using test_server = duet::server<no_routes, events>;

}  // namespace

int main(int argc, char** argv) {
    const std::string redis = duet_cli::text(argc, argv, "--redis");
    if (argc < 2 || redis.find(':') == std::string::npos) {
        std::fprintf(stderr, "usage: %s <port|0> --redis HOST:PORT [--threads n]\n", argv[0]);
        return 2;
    }
    duet::cluster::redis_cluster_options ro;
    ro.url = "redis://" + redis;
    ro.requests_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--requests-timeout", 5000));
    ro.publish_on_specific_response_channel = duet_cli::has(argc, argv, "--specific-response-channel");
    requests_timeout = ro.requests_timeout;
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    o.stop_on_signals = true;
    cluster = std::make_shared<duet::cluster::redis_cluster>(ro);
    // The low-level hook sees every serverSideEmit too (the table's entries answer).
    cluster->on_server_side_emit([](std::string_view, json::array data, std::function<void(json::value)>) {
        std::lock_guard lock(sse_mutex);
        sse_raw_log.push_back(std::move(data));
    });
    o.socketio.cluster = cluster;
    static test_server srv(std::move(o));
    std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.run(static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1)));
}
