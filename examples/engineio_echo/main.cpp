// examples/engineio_echo — an Engine.IO v4 server (no Socket.IO layer) that echoes
// every message back as it came: text as text, binary as binary.
//
// Serves /engine.io/ (polling, WebSocket, upgrade), CORS origin "*".
// Usage: engineio_echo [port] [--ping-interval ms] [--ping-timeout ms] [--max-payload bytes]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <duet/duet.hpp>

#include "../common/cli.hpp"

namespace {

struct echo {
    template <class Session>
    void on_open(Session&) {}
    template <class Session>
    void on_message(Session& s, const duet::eio::packet& p) {
        s.send(p);
    }
    template <class Session>
    void on_close(Session&, std::string_view) {}
};

constexpr auto routes = duet::routes(duet::get<"/">([](duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("engine.io echo server: connect an Engine.IO v4 client to /engine.io/\n");
}));

using echo_server = duet::server<routes, duet::engine_io<"/engine.io/", echo>>;

}  // namespace

int main(int argc, char** argv) {
    duet::server_options o;
    o.port = static_cast<std::uint16_t>(argc > 1 && argv[1][0] != '-' ? std::atoi(argv[1]) : 3000);
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-interval", 25000));
    o.engineio.ping_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-timeout", 20000));
    o.engineio.max_payload = static_cast<std::size_t>(duet_cli::number(argc, argv, "--max-payload", 1000000));
    o.engineio.cors.origin = "*";
    echo_server srv(std::move(o));
    std::printf("engineio_echo listening on http://localhost:%u/engine.io/\n", srv.port());
    std::fflush(stdout);
    srv.run();
}
