// bench/sio/bench_server — the duet side of the Socket.IO benchmarks (bench/sio/run.sh),
// doing exactly what bench/sio/socketio_server.js does with npm socket.io:
//
//   namespace "/":
//     "echo"   (any arguments)        emits "echo" with the same arguments back to the sender
//     "join"   (room, ack)            joins the room, acks true
//     "fanout" (room, payload)        io.to(room).emit("fanout", payload)
//   GET /      a short text/plain page
//
// One thread (duet's default, like Node), listening on 127.0.0.1 only.
//
// Usage: sio_bench_server [port] [--ping-interval ms] [--ping-timeout ms] [--max-payload bytes]
//                         [--recovery max-disconnection-ms [--recovery-packets n]]
//                         [--per-message-deflate [--client-no-context-takeover]]
//                         [--parser json|msgpack]
//   --parser msgpack speaks socket.io-msgpack-parser (both server types are compiled in
//   when Meson finds msgpuck, DUET_BENCH_MSGPACK; the flag picks one at start).
//   defaults: port 3000, 25000 ms, 20000 ms, 1000000 bytes (socket.io's defaults);
//   connection state recovery off (bench/recovery turns it on); permessage-deflate off
//   (threshold 1024 when on, as socket.io's {threshold: 1024}).
//   HOST=... overrides the listen address.
//
// The soft RLIMIT_NOFILE is raised to the hard limit at start, so that 10,000
// connections fit when the shell's soft limit is lower.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <duet/duet.hpp>
#if DUET_BENCH_MSGPACK
#include <duet/sio/msgpack_parser.hpp>
#endif

#include "../../examples/common/cli.hpp"

namespace {

void echo(duet::socket& s, duet::event_args args) { s.emit("echo", args); }
void join(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.join(room);
    ack(true);
}
void fanout(duet::io& io, std::string room, duet::event_args payload) { io.to(room).emit("fanout", payload); }

template <class Parser>
constexpr auto events = duet::events<Parser>(duet::of<"/">(duet::on<"echo">(duet::fn<echo>),
                                                   duet::on<"join">(duet::fn<join>),
                                                   duet::on<"fanout">(duet::fn<fanout>)));

constexpr auto routes = duet::routes(duet::get<"/">([](duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("sio_bench_server: connect a Socket.IO v5 client to /socket.io/\n");
}));

template <class Parser>
int serve(duet::server_options o, unsigned threads, const char* host, const char* parser) {
    duet::server<routes, events<Parser>> srv(std::move(o));
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    std::printf("sio_bench_server listening on http://%s:%u/socket.io/ (%u shard%s, fd limit %llu, %s parser)\n", host,
                srv.port(), threads, threads == 1 ? "" : "s", static_cast<unsigned long long>(rl.rlim_cur), parser);
    std::fflush(stdout);
    srv.run(threads);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    duet_cli::raise_fd_limit();
    duet::server_options o;
    const char* host = std::getenv("HOST");
    o.host = host && *host ? host : "127.0.0.1";
    o.port = static_cast<std::uint16_t>(argc > 1 && argv[1][0] != '-' ? std::atoi(argv[1]) : 3000);
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-interval", 25000));
    o.engineio.ping_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-timeout", 20000));
    o.engineio.max_payload = static_cast<std::size_t>(duet_cli::number(argc, argv, "--max-payload", 1000000));
    o.engineio.cors.origin = "*";
    if (duet_cli::value(argc, argv, "--recovery")) {
        auto& r = o.socketio.connection_state_recovery;
        r.enabled = true;
        r.max_disconnection_duration = std::chrono::milliseconds(duet_cli::number(argc, argv, "--recovery", 120000));
        r.max_kept_packets = static_cast<std::size_t>(duet_cli::number(argc, argv, "--recovery-packets", 10000));
    }
    o.engineio.per_message_deflate.enabled = duet_cli::has(argc, argv, "--per-message-deflate");
    o.engineio.per_message_deflate.client_no_context_takeover = duet_cli::has(argc, argv, "--client-no-context-takeover");
    const auto threads = static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1));
    const char* parser = duet_cli::value(argc, argv, "--parser");
    if (!parser) parser = "json";
    const char* shown_host = host && *host ? host : "127.0.0.1";
    if (!std::strcmp(parser, "json")) return serve<duet::json_parser>(std::move(o), threads, shown_host, parser);
#if DUET_BENCH_MSGPACK
    if (!std::strcmp(parser, "msgpack")) return serve<duet::msgpack_parser>(std::move(o), threads, shown_host, parser);
#endif
    std::fprintf(stderr, "sio_bench_server: unknown parser \"%s\" (json%s)\n", parser,
                 DUET_BENCH_MSGPACK ? ", msgpack" : "; msgpack needs msgpuck");
    return 2;
}
