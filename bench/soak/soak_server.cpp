// bench/soak/soak_server — the duet Socket.IO server of the soak test (bench/soak/run.sh,
// driven by bench/loadgen/soak_client; docs/SOAK.md).
//
//   namespace "/":
//     "join"   (room, ack)                  joins the room, acks true
//     "leave"  (room, ack)                  leaves the room, acks true
//     "chat"   ({room, seq, text}, ack)     socket.to(room).emit_counted("chat", {from: <socket id>, room, seq, text})
//                                           (everyone in the room but the sender, on every shard), acks the
//                                           number of sockets the broadcast was handed to
//     "sync"   (ack)                        acks true (a barrier: every packet the server queued for this
//                                           connection before it is received before the ack)
//     "census" (rooms, ack)                 acks {"sockets": sockets in "/", "members": the sum of the
//                                           sizes of rooms "r0" .. "r<rooms-1>"}: the leak check on the
//                                           server's own tables at the end of a run
//   GET /      a short text/plain page
//
// Listens on 127.0.0.1 (HOST=... overrides). Prints one line
// "soak_server listening on http://<host>:<port>/socket.io/ (...)" once it accepts.
//
// Usage: soak_server [--port P] [--threads N] [--ping-interval ms] [--ping-timeout ms]
//                    [--max-payload bytes]
//   defaults: port 3000 (0: any free port, printed), 1 thread, 25000 ms, 20000 ms,
//   1000000 bytes (socket.io's defaults). --threads is passed to server::run(N): N shards,
//   rooms and broadcasts across them.
//
// The soft RLIMIT_NOFILE is raised to the hard limit at start.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <boost/describe.hpp>

#include <duet/duet.hpp>

#include "../../examples/common/cli.hpp"

namespace {

struct chat_in {
    std::string room;
    std::uint64_t seq = 0;
    std::string text;
};
BOOST_DESCRIBE_STRUCT(chat_in, (), (room, seq, text))

void join(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.join(room);
    ack(true);
}
void leave(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.leave(room);
    ack(true);
}
// The recipients of a room may live on any shard (--threads): the count is gathered
// from each (emit_counted), and the ack goes out once every shard has handed it on.
asio::awaitable<void> chat(duet::socket& s, chat_in m, duet::ack<std::uint64_t> ack) {
    const boost::json::object out{{"from", s.id()}, {"room", m.room}, {"seq", m.seq}, {"text", m.text}};
    auto sending = s.to(m.room).emit_counted("chat", out);
    const std::size_t n = co_await std::move(sending);
    ack(static_cast<std::uint64_t>(n));
}
void sync(duet::ack<bool> ack) { ack(true); }
// Counted on every shard. The namespace state outlives the socket (which may be gone
// after a co_await).
asio::awaitable<void> census(duet::socket& s, std::uint64_t rooms, duet::ack<boost::json::value> ack) {
    duet::sio::namespace_state& ns = s.ns();
    auto counting = duet::sio::broadcast_operator(ns).count();
    const std::size_t sockets = co_await std::move(counting);
    std::uint64_t members = 0;
    for (std::uint64_t i = 0; i < rooms && i < 1'000'000; ++i) {
        auto room = ns.in("r" + std::to_string(i)).count();
        members += co_await std::move(room);
    }
    ack(boost::json::object{{"sockets", static_cast<std::uint64_t>(sockets)}, {"members", members}});
}

constexpr auto events = duet::events(duet::of<"/">(duet::on<"join">(duet::fn<join>),
                                                   duet::on<"leave">(duet::fn<leave>),
                                                   duet::on<"chat">(duet::fn<chat>),
                                                   duet::on<"sync">(duet::fn<sync>),
                                                   duet::on<"census">(duet::fn<census>)));

constexpr auto routes = duet::routes(duet::get<"/">([](duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("soak_server: connect a Socket.IO v5 client to /socket.io/\n");
}));

using soak_server = duet::server<routes, events>;

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            std::puts("usage: soak_server [--port P] [--threads N] [--ping-interval ms] [--ping-timeout ms] [--max-payload bytes]");
            return 0;
        }
    duet_cli::raise_fd_limit();
    duet::server_options o;
    const char* host = std::getenv("HOST");
    o.host = host && *host ? host : "127.0.0.1";
    o.port = static_cast<std::uint16_t>(duet_cli::number(argc, argv, "--port", 3000));
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-interval", 25000));
    o.engineio.ping_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-timeout", 20000));
    o.engineio.max_payload = static_cast<std::size_t>(duet_cli::number(argc, argv, "--max-payload", 1000000));
    const long threads = duet_cli::number(argc, argv, "--threads", 1);
    if (threads < 1 || threads > 256) {
        std::fprintf(stderr, "soak_server: --threads must be in [1, 256]\n");
        return 2;
    }
    soak_server srv(std::move(o));
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    std::printf("soak_server listening on http://%s:%u/socket.io/ (pid %ld, %ld thread(s), fd limit %llu)\n",
                host && *host ? host : "127.0.0.1", srv.port(), static_cast<long>(getpid()), threads,
                static_cast<unsigned long long>(rl.rlim_cur));
    std::fflush(stdout);
    try {
        srv.run(static_cast<unsigned>(threads));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "soak_server: %s\n", e.what());
        return 1;
    }
}
