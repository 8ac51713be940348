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
//
// Usage: redis_cluster_server <port|0> --redis HOST:PORT [--threads n]
// Prints "listening <port>" once bound.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <duet/cluster/redis_adapter.hpp>
#include <duet/duet.hpp>

#include "../../examples/common/cli.hpp"

namespace {

namespace json = boost::json;

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

constexpr auto events = duet::events(duet::of<"/">(
    duet::on_connect(duet::fn<on_connect>), duet::on<"emit">(duet::fn<emit>), duet::on<"op">(duet::fn<op>),
    duet::on<"rooms">(duet::fn<rooms>), duet::on<"server-count">(duet::fn<server_count>)));

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
    ro.host = redis.substr(0, redis.find(':'));
    ro.port = static_cast<std::uint16_t>(std::atoi(redis.c_str() + redis.find(':') + 1));
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    o.stop_on_signals = true;
    o.socketio.cluster = std::make_shared<duet::cluster::redis_cluster>(ro);
    static test_server srv(std::move(o));
    std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.run(static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1)));
}
