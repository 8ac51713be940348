// tests/interop/msgpack_test_server — what msgpack.test.mjs needs beyond the protocol
// server, on the MessagePack parser (duet::events<duet::msgpack_parser>): broadcasts
// (framed once, as one binary message), an emit with ack to the client, and connection
// state recovery (the offset as the last argument of a MessagePack EVENT).
//
//   "/":  "join"       (room, ack)     joins, acks true
//         "to-room"    (room, args...) s.to(room).emit("room-message", args...) (binary included)
//         "io-emit"    (args...)       io.emit("io-message", args...)
//         "ask"        (args...)       asks the sender "question" with the args (1 s); on its
//                                      answer emits "answer" with what the client acked
//         "state"      (ack)           acks {id, recovered}
//
// Usage: msgpack_test_server <port|0> [--threads n] [--recovery max-disconnection-ms]
//   prints "listening <port>".
#include <cstdio>
#include <cstdlib>

#include <duet/duet.hpp>
#include <duet/sio/msgpack_parser.hpp>

#include "../../examples/common/cli.hpp"

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

void join(duet::socket& s, std::string room, duet::ack<bool> ack) {
    s.join(room);
    ack(true);
}
void to_room(duet::socket& s, std::string room, duet::event_args rest) { s.to(room).emit("room-message", rest); }
void io_emit(duet::io& io, duet::event_args args) { io.emit("io-message", args); }
// The answer goes to the socket by id: it may have gone away while the ack was due.
void ask(duet::socket& s, duet::io& io, duet::event_args args) {
    s.emit_with_ack("question", 1000ms, [&io, id = s.id()](std::error_code ec, duet::sio::ack_reply answer) {
        duet::socket* sock = io.of("/").find(id);
        if (!sock) return;
        if (ec) sock->emit("answer", "error: " + ec.message());
        else sock->emit("answer", duet::event_args{&answer.args, &answer.attachments, 0});  // spread, as socket.io
    }, args);
}
void state(duet::socket& s, duet::ack<json::value> ack) {
    ack(json::object{{"id", s.id()}, {"recovered", s.recovered()}});
}

constexpr auto events = duet::events<duet::msgpack_parser>(duet::of<"/">(
    duet::on<"join">(duet::fn<join>), duet::on<"to-room">(duet::fn<to_room>), duet::on<"io-emit">(duet::fn<io_emit>),
    duet::on<"ask">(duet::fn<ask>), duet::on<"state">(duet::fn<state>)));

constexpr auto routes = duet::routes();

using test_server = duet::server<routes, events>;

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <port|0> [--threads n] [--recovery ms]\n", argv[0]);
        return 2;
    }
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    o.stop_on_signals = true;
    o.engineio.cors.origin = "*";
    if (duet_cli::value(argc, argv, "--recovery")) {
        o.socketio.connection_state_recovery.enabled = true;
        o.socketio.connection_state_recovery.max_disconnection_duration =
            std::chrono::milliseconds(duet_cli::number(argc, argv, "--recovery", 120000));
    }
    test_server srv(std::move(o));
    std::printf("listening %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    srv.run(static_cast<unsigned>(duet_cli::number(argc, argv, "--threads", 1)));
}
