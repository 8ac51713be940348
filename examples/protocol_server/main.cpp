// examples/protocol_server — behaves as the reference server of the Socket.IO protocol
// test suite (socket.io-protocol's test-suite): pingInterval 300 ms, pingTimeout 200 ms,
// maxPayload 1000000, connectTimeout 1000 ms, CORS origin "*".
//
//   "/":       on connection emits "auth" with the handshake auth; answers "message"
//              by emitting "message-back" with the same arguments (binary included);
//              answers "message-with-ack" by acking with the same arguments.
//   "/custom": on connection emits "auth" with the handshake auth.
//
// Usage: protocol_server [port]   (default 3000)
#include <cstdio>
#include <cstdlib>

#include <duet/duet.hpp>

namespace {

void emit_auth(duet::socket& s) { s.emit("auth", s.auth()); }

// The arguments go back exactly as they came: JSON values as they were, binary
// arguments (at any depth) as attachments again.
void message(duet::socket& s, duet::event_args args) { s.emit("message-back", args); }
void message_with_ack(duet::event_args args, duet::ack<duet::event_args> ack) { ack(args); }

constexpr auto events = duet::events(
    duet::of<"/">(duet::on_connect(duet::fn<emit_auth>),
                  duet::on<"message">(duet::fn<message>),
                  duet::on<"message-with-ack">(duet::fn<message_with_ack>)),
    duet::of<"/custom">(duet::on_connect(duet::fn<emit_auth>)));

constexpr auto routes = duet::routes();

using protocol_server = duet::server<routes, events>;

}  // namespace

int main(int argc, char** argv) {
    duet::server_options o;
    o.port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 3000);
    o.stop_on_signals = true;
    o.engineio.ping_interval = std::chrono::milliseconds(300);
    o.engineio.ping_timeout = std::chrono::milliseconds(200);
    o.engineio.max_payload = 1000000;
    o.engineio.cors.origin = "*";
    o.socketio.connect_timeout = std::chrono::milliseconds(1000);
    protocol_server srv(std::move(o));
    std::printf("protocol_server listening on http://localhost:%u/socket.io/\n", srv.port());
    std::fflush(stdout);
    srv.run();
}
