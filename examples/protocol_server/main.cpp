// examples/protocol_server — behaves as the reference server of the Socket.IO protocol
// test suite (socket.io-protocol's test-suite): pingInterval 300 ms, pingTimeout 200 ms,
// maxPayload 1000000, connectTimeout 1000 ms, CORS origin "*".
//
//   "/":       on connection emits "auth" with the handshake auth; answers "message"
//              by emitting "message-back" with the same arguments (binary included);
//              answers "message-with-ack" by acking with the same arguments.
//   "/custom": on connection emits "auth" with the handshake auth.
//
// Usage: protocol_server [port] [--parser json|msgpack] [--per-message-deflate]
//   port 3000 by default; --parser msgpack speaks socket.io-msgpack-parser (both server
//   types are compiled in — the parser is a template parameter of the server type — and
//   the flag picks one at start; needs msgpuck, DUET_EXAMPLE_MSGPACK); --per-message-deflate
//   turns WebSocket compression on for every message (threshold 0).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <duet/duet.hpp>
#if DUET_EXAMPLE_MSGPACK
#include <duet/sio/msgpack_parser.hpp>
#endif

namespace {

void emit_auth(duet::socket& s) { s.emit("auth", s.auth()); }

// The arguments go back exactly as they came: JSON values as they were, binary
// arguments (at any depth) as attachments again.
void message(duet::socket& s, duet::event_args args) { s.emit("message-back", args); }
void message_with_ack(duet::event_args args, duet::ack<duet::event_args> ack) { ack(args); }

// The same table for either parser: handlers take duet::socket& whatever the wire.
template <class Parser>
constexpr auto events = duet::events<Parser>(
    duet::of<"/">(duet::on_connect(duet::fn<emit_auth>),
                  duet::on<"message">(duet::fn<message>),
                  duet::on<"message-with-ack">(duet::fn<message_with_ack>)),
    duet::of<"/custom">(duet::on_connect(duet::fn<emit_auth>)));

constexpr auto routes = duet::routes();

template <class Parser>
int serve(duet::server_options o, std::string_view name) {
    duet::server<routes, events<Parser>> srv(std::move(o));
    std::printf("protocol_server listening on http://localhost:%u/socket.io/ (%.*s parser)\n", srv.port(),
                static_cast<int>(name.size()), name.data());
    std::fflush(stdout);
    srv.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    duet::server_options o;
    std::string_view parser = "json";
    bool deflate = false;
    o.port = 3000;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--parser") && i + 1 < argc) parser = argv[++i];
        else if (!std::strcmp(argv[i], "--per-message-deflate")) deflate = true;
        else if (argv[i][0] != '-') o.port = static_cast<std::uint16_t>(std::atoi(argv[i]));
        else {
            std::fprintf(stderr, "usage: protocol_server [port] [--parser json|msgpack] [--per-message-deflate]\n");
            return 2;
        }
    }
    if (deflate) {
        o.engineio.per_message_deflate.enabled = true;
        o.engineio.per_message_deflate.threshold = 0;
    }
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(300);
    o.engineio.ping_timeout = std::chrono::milliseconds(200);
    o.engineio.max_payload = 1000000;
    o.engineio.cors.origin = "*";
    o.socketio.connect_timeout = std::chrono::milliseconds(1000);
    if (parser == "json") return serve<duet::json_parser>(std::move(o), parser);
#if DUET_EXAMPLE_MSGPACK
    if (parser == "msgpack") return serve<duet::msgpack_parser>(std::move(o), parser);
#endif
    std::fprintf(stderr, "protocol_server: unknown parser \"%.*s\" (json%s)\n", static_cast<int>(parser.size()),
                 parser.data(), DUET_EXAMPLE_MSGPACK ? ", msgpack" : "; msgpack needs msgpuck");
    return 2;
}
