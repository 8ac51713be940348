// bench/cluster/cluster_bench_server — the duet node of the Redis-hop broadcast benchmark
// (bench/cluster/run.sh): a Socket.IO server that is one node of a cluster joined through
// Redis (duet::cluster::redis_cluster, wire-compatible with @socket.io/redis-adapter 8.3),
// doing exactly what bench/cluster/socketio_cluster_server.js does with npm socket.io and
// the Node adapter:
//
//   namespace "/":
//     "join"   (room, ack)       joins the room (on this node), acks true
//     "fanout" (room, payload)   io.to(room).emit("fanout", payload): delivered to the room's
//                                sockets on this node and published once to Redis, from where
//                                every other node delivers it to its own members of the room
//   GET /      a short text/plain page
//
// The broadcast is triggered by a client of node A (the load generator's publisher), and
// the node turns it into io.to(room).emit — what an application does. See run.js for why
// this measures "emit on A -> last subscriber on B" honestly.
//
// One thread by default (duet's default, like Node), listening on 127.0.0.1 only.
//
// Usage: cluster_bench_server <port|0> --redis HOST:PORT [--threads n] [--key K]
//                             [--ping-interval ms] [--ping-timeout ms] [--max-payload bytes]
//   defaults: one thread, key "socket.io", 25000 ms, 20000 ms, 1000000 bytes (socket.io's
//   defaults). Prints one line with the port once bound.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <duet/cluster/redis_adapter.hpp>
#include <duet/duet.hpp>

#include "../../examples/common/cli.hpp"

namespace {

void join(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.join(room);
    ack(true);
}
void fanout(duet::io& io, std::string room, duet::event_args payload) { io.to(room).emit("fanout", payload); }

constexpr auto events = duet::events(duet::of<"/">(duet::on<"join">(duet::fn<join>),
                                                   duet::on<"fanout">(duet::fn<fanout>)));

constexpr auto routes = duet::routes(duet::get<"/">([](duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("cluster_bench_server: connect a Socket.IO v5 client to /socket.io/\n");
}));

using bench_server = duet::server<routes, events>;

}  // namespace

int main(int argc, char** argv) {
    const std::string redis = duet_cli::text(argc, argv, "--redis");
    if (argc < 2 || argv[1][0] == '-' || redis.find(':') == std::string::npos) {
        std::fprintf(stderr, "usage: %s <port|0> --redis HOST:PORT [--threads n] [--key K] [--ping-interval ms] "
                             "[--ping-timeout ms] [--max-payload bytes]\n", argv[0]);
        return 2;
    }
    duet_cli::raise_fd_limit();
    duet::cluster::redis_cluster_options ro;
    ro.url = "redis://" + redis;
    ro.key = duet_cli::text(argc, argv, "--key", "socket.io");
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-interval", 25000));
    o.engineio.ping_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-timeout", 20000));
    o.engineio.max_payload = static_cast<std::size_t>(duet_cli::number(argc, argv, "--max-payload", 1000000));
    o.engineio.cors.origin = "*";
    o.socketio.cluster = std::make_shared<duet::cluster::redis_cluster>(ro);
    const auto threads = static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1));
    bench_server srv(std::move(o));
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    std::printf("cluster_bench_server listening on http://127.0.0.1:%u/socket.io/ (redis %s, key \"%s\", %u shard%s, "
                "fd limit %llu)\n",
                srv.port(), redis.c_str(), ro.key.c_str(), threads, threads == 1 ? "" : "s",
                static_cast<unsigned long long>(rl.rlim_cur));
    std::fflush(stdout);
    srv.run(threads);
}
