// tests/interop/eio_test_server.cpp — the Engine.IO server the interop tests
// (engineio.test.mjs) drive with the official npm engine.io-client.
//
// Echoes every message as it came (text as text, binary as binary), except a few
// text commands that trigger server-side behaviour:
//   "close"       the server closes the session (session::close())
//   "binary:<n>"  the server sends n bytes 0,1,..,n-1 (mod 256) as one binary message
//   "burst:<n>"   the server sends n text messages "m0".."m<n-1>" in one go
//
// Usage: eio_test_server <port|0> [--ping-interval ms] [--ping-timeout ms]
//        [--max-payload bytes] [--cors-origin origin] [--no-websocket]
//        [--no-upgrades] [--cookie] [--threads n]
//        [--no-http-compression] [--compression-threshold bytes]
//        [--per-message-deflate] (threshold: --deflate-threshold bytes, 1024;
//        --client-no-context-takeover answers client_no_context_takeover to every client)
// Listens on 127.0.0.1, path /engine.io/, and prints "listening <port>" once bound
// (port 0 picks a free port; the real one is printed).
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <duet/duet.hpp>

#include "../../examples/common/cli.hpp"

namespace {

// Parses "<prefix><n>" into n; false when `text` is not of that form.
bool command(std::string_view text, std::string_view prefix, std::size_t& n) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    const char* b = text.data() + prefix.size();
    const char* e = text.data() + text.size();
    auto [p, ec] = std::from_chars(b, e, n);
    return ec == std::errc{} && p == e && b != e;
}

struct test_handler {
    template <class Session>
    void on_open(Session&) {}

    template <class Session>
    void on_message(Session& s, const duet::eio::packet& p) {
        std::size_t n = 0;
        if (!p.binary) {
            if (p.data == "close") return s.close();
            if (command(p.data, "binary:", n)) {
                std::vector<std::byte> bytes(n);
                for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::byte>(i & 0xff);
                return s.send_binary(bytes);
            }
            if (command(p.data, "burst:", n)) {
                for (std::size_t i = 0; i < n; ++i) s.send_text("m" + std::to_string(i));
                return;
            }
        }
        s.send(p);
    }

    template <class Session>
    void on_close(Session&, std::string_view) {}
};

constexpr auto routes = duet::routes(duet::get<"/">([](duet::response& res) {
    res.type("text/plain; charset=utf-8");
    res.send("eio_test_server\n");
}));

using test_server = duet::server<routes, duet::engine_io<"/engine.io/", test_handler>>;

}  // namespace

int main(int argc, char** argv) {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(argc > 1 && argv[1][0] != '-' ? std::atoi(argv[1]) : 0);
    o.stop_on_signals = true;
    auto& e = o.engineio;
    e.ping_interval = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-interval", 25000));
    e.ping_timeout = std::chrono::milliseconds(duet_cli::number(argc, argv, "--ping-timeout", 20000));
    e.max_payload = static_cast<std::size_t>(duet_cli::number(argc, argv, "--max-payload", 1000000));
    if (const char* c = duet_cli::value(argc, argv, "--cors-origin")) e.cors.origin = c;
    e.websocket = !duet_cli::has(argc, argv, "--no-websocket");
    e.allow_upgrades = !duet_cli::has(argc, argv, "--no-upgrades");
    e.cookie.enabled = duet_cli::has(argc, argv, "--cookie");
    e.http_compression.enabled = !duet_cli::has(argc, argv, "--no-http-compression");
    e.per_message_deflate.enabled = duet_cli::has(argc, argv, "--per-message-deflate");
    e.per_message_deflate.threshold = static_cast<std::size_t>(duet_cli::number(argc, argv, "--deflate-threshold", 1024));
    e.per_message_deflate.client_no_context_takeover = duet_cli::has(argc, argv, "--client-no-context-takeover");
    e.http_compression.threshold =
        static_cast<std::size_t>(duet_cli::number(argc, argv, "--compression-threshold", 1024));
    test_server srv(std::move(o));
    std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.run(static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1)));
}
