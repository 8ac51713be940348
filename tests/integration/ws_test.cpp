// Integration tests of the WebSocket layer over loopback: the upgrade handshake on the
// shared HTTP server, frames in every form, the close handshake with its status codes,
// protocol errors (1002/1007/1009), ping/pong, and backpressure — through a plain
// WebSocket endpoint declared in the route table (duet::websocket<"/echo", H>).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <duet/duet.hpp>
#include <duet/ws/frame.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::header_of;
using duet_test::raw_client;
using duet_test::status_of;
namespace ws = duet::ws;
using duet_test::masked;

namespace {

int opened = 0;

struct echo_ws {
    template <class S>
    void on_open(S& s) {
        ++opened;
        s.send_text("welcome");
    }
    template <class S>
    void on_message(S& s, bool binary, std::span<const std::byte> payload) {
        std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
        if (!binary && text.rfind("flood:", 0) == 0) {
            // Many large frames to a client that may not read them.
            std::string chunk(64 * 1024, 'f');
            for (int i = 0, n = std::stoi(std::string(text.substr(6))); i < n && s.is_open(); ++i) s.send_text(chunk);
            return;
        }
        if (!binary && text == "close") return s.close(ws::close_code::normal, "bye");
        if (binary) s.send_binary(payload);
        else s.send_text(text);
    }
    template <class S>
    void on_close(S&, ws::close_code, std::string_view) {}
};

constexpr auto routes = duet::routes(
    duet::get<"/">([](duet::response& res) { res.send("home"); }),
    duet::websocket<"/echo", echo_ws>);

using ws_server = duet::server<routes>;

duet::server_options local() {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.websocket.max_message_size = 64 * 1024;
    o.websocket.max_send_queue_bytes = 1024 * 1024;
    o.websocket.close_timeout = 1000ms;
    return o;
}

constexpr std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";

std::string upgrade_request(std::string_view extra = {}) {
    return std::string("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: ")
        .append(key)
        .append("\r\nSec-WebSocket-Version: 13\r\n")
        .append(extra)
        .append("\r\n");
}

using frame = duet_test::ws_frame;

// A client connection after a successful handshake, reading server frames.
struct ws_client {
    raw_client c;
    std::string buf;

    explicit ws_client(std::uint16_t port) : c(port) {
        c.send(upgrade_request());
        std::string head = c.read(2000ms, "\r\n\r\n");
        auto end = head.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        REQUIRE(status_of(head) == 101);
        CHECK(header_of(head, "sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        buf = head.substr(end + 4);
        auto hello = next();
        REQUIRE(hello.has_value());
        CHECK(hello->payload == "welcome");
    }

    std::optional<frame> next(std::chrono::milliseconds timeout = 2000ms) {
        return duet_test::next_server_frame(c, buf, timeout);
    }

    static std::uint16_t close_code_of(const frame& f) { return duet_test::close_code_of(f); }
};

}  // namespace

TEST_CASE("handshake on the shared HTTP port; plain GET on the endpoint answers 426") {
    duet_test::running_server<ws_server> srv(local());
    {
        ws_client w(srv.port());
        w.c.send(masked(ws::opcode::text, "hi"));
        auto f = w.next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::text);
        CHECK(f->payload == "hi");
    }
    raw_client c(srv.port());
    c.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_response();
    CHECK(status_of(r) == 426);
    CHECK(header_of(r, "upgrade") == "websocket");
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(body_of(c.read_response()) == "home");
}

TEST_CASE("bad handshakes: 400 for a missing or malformed key, 426 with the version for a wrong version") {
    duet_test::running_server<ws_server> srv(local());
    {
        raw_client c(srv.port());
        c.send("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");
        auto r = c.read(2000ms);
        CHECK(status_of(r) == 400);
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n");
        CHECK(status_of(c.read(2000ms)) == 400);
    }
    {
        raw_client c(srv.port());
        std::string req = upgrade_request();
        req.replace(req.find("Version: 13"), 11, "Version: 12");
        c.send(req);
        auto r = c.read(2000ms);
        CHECK(status_of(r) == 426);
        CHECK(header_of(r, "sec-websocket-version") == "13");
    }
}

TEST_CASE("every payload length form, binary, fragmentation with an interleaved ping") {
    duet_test::running_server<ws_server> srv(local());
    ws_client w(srv.port());
    for (std::size_t size : {std::size_t{0}, std::size_t{125}, std::size_t{126}, std::size_t{65535}, std::size_t{65536}}) {
        CAPTURE(size);
        std::string payload(size, 'x');
        if (size > 0) payload[size - 1] = 'y';
        w.c.send(masked(ws::opcode::binary, payload));
        auto f = w.next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::binary);
        CHECK(f->payload == payload);
    }
    w.c.send(masked(ws::opcode::text, "frag", false) + masked(ws::opcode::ping, "p?") +
             masked(ws::opcode::continuation, "men", false) + masked(ws::opcode::continuation, "ted", true));
    auto pong = w.next();
    REQUIRE(pong);
    CHECK(pong->op == ws::opcode::pong);
    CHECK(pong->payload == "p?");
    auto msg = w.next();
    REQUIRE(msg);
    CHECK(msg->payload == "fragmented");
    // A message split at every byte across TCP writes.
    std::string one = masked(ws::opcode::text, "slowly");
    for (char ch : one) {
        w.c.send(std::string_view(&ch, 1));
        std::this_thread::sleep_for(1ms);
    }
    auto slow = w.next();
    REQUIRE(slow);
    CHECK(slow->payload == "slowly");
}

TEST_CASE("close handshake: the client's close is echoed, the server's close carries its code") {
    duet_test::running_server<ws_server> srv(local());
    {
        ws_client w(srv.port());
        std::string payload = "\x03\xe8" "done";  // 1000
        w.c.send(masked(ws::opcode::close, payload));
        auto f = w.next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::close);
        CHECK(ws_client::close_code_of(*f) == 1000);
        CHECK(w.c.wait_closed(2000ms));
    }
    {
        ws_client w(srv.port());
        w.c.send(masked(ws::opcode::text, "close"));
        auto f = w.next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::close);
        CHECK(ws_client::close_code_of(*f) == 1000);
        CHECK(f->payload.substr(2) == "bye");
        // The server waits for our answer, then closes the TCP connection.
        w.c.send(masked(ws::opcode::close, std::string("\x03\xe8", 2)));
        CHECK(w.c.wait_closed(2000ms));
    }
    {
        // A peer that never answers the server's close is cut after close_timeout.
        ws_client w(srv.port());
        w.c.send(masked(ws::opcode::text, "close"));
        REQUIRE(w.next());
        CHECK(w.c.wait_closed(4000ms));
    }
}

TEST_CASE("protocol errors close with 1002, 1007 and 1009") {
    duet_test::running_server<ws_server> srv(local());
    auto expect_close = [&](const std::string& bytes, std::uint16_t code) {
        ws_client w(srv.port());
        w.c.send(bytes);
        auto f = w.next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::close);
        CHECK(ws_client::close_code_of(*f) == code);
        CHECK(w.c.wait_closed(3000ms));
    };
    // Unmasked client frame.
    std::string unmasked;
    ws::append_frame(unmasked, ws::opcode::text, std::string_view("hi"));
    expect_close(unmasked, 1002);
    // Reserved bit set.
    std::string rsv = masked(ws::opcode::text, "hi");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    expect_close(rsv, 1002);
    // Unknown opcode 0x3.
    std::string op3 = masked(ws::opcode::text, "hi");
    op3[0] = static_cast<char>((op3[0] & 0xF0) | 0x3);
    expect_close(op3, 1002);
    // Continuation without a message.
    expect_close(masked(ws::opcode::continuation, "x"), 1002);
    // Invalid UTF-8 in a text message, also when split across fragments.
    expect_close(masked(ws::opcode::text, "\xc3\x28"), 1007);
    expect_close(masked(ws::opcode::text, "ok\xf0\x9f", false) + masked(ws::opcode::continuation, "\x28\x28"), 1007);
    // Over max_message_size (64 KiB here), also as fragments that add up.
    expect_close(masked(ws::opcode::binary, std::string(64 * 1024 + 1, 'b')), 1009);
    expect_close(masked(ws::opcode::binary, std::string(40000, 'b'), false) +
                     masked(ws::opcode::continuation, std::string(40000, 'b')),
                 1009);
}

TEST_CASE("backpressure: a client that never reads is dropped, others keep being served") {
    duet_test::running_server<ws_server> srv(local());
    ws_client slow(srv.port());
    // Shrink our receive window so the server's writes cannot drain into the kernel.
    int small = 4096;
    ::setsockopt(slow.c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    slow.c.send(masked(ws::opcode::text, "flood:200"));  // ~12.5 MiB, queue limit 1 MiB
    ws_client fast(srv.port());
    auto t0 = std::chrono::steady_clock::now();
    fast.c.send(masked(ws::opcode::text, "still here"));
    auto f = fast.next();
    REQUIRE(f);
    CHECK(f->payload == "still here");
    CHECK(std::chrono::steady_clock::now() - t0 < 1000ms);
    // The slow client's connection was cut: reading what it buffered ends in EOF.
    std::size_t total = 0;
    auto deadline = std::chrono::steady_clock::now() + 5000ms;
    while (!slow.c.closed() && std::chrono::steady_clock::now() < deadline) total += slow.c.read_some(500ms).size();
    CHECK(slow.c.closed());
    CHECK(total < 200u * 64 * 1024);  // it never got everything it asked for
}
