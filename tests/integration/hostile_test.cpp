// Hostile clients against the HTTP and WebSocket layers, over loopback with raw
// sockets: a WebSocket peer streaming continuation fragments without end (growing
// past max_message_size, or empty/tiny ones counted by max_fragments) is closed with
// 1009 while another client keeps being served; clients killed in the middle of a
// WebSocket frame or of an HTTP request (half a head, half a body; FIN or RST) are
// freed — the server's connection count returns to what it was — and others are
// still served.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <duet/duet.hpp>
#include <duet/ws/frame.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::raw_client;
using duet_test::status_of;
namespace ws = duet::ws;
using duet_test::masked;

namespace {

struct echo_ws {
    template <class S>
    void on_open(S& s) {
        s.send_text("welcome");
    }
    template <class S>
    void on_message(S& s, bool binary, std::span<const std::byte> payload) {
        if (binary) s.send_binary(payload);
        else s.send_text(std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
    }
    template <class S>
    void on_close(S&, ws::close_code, std::string_view) {}
};

void stats(duet::response& res);

constexpr auto routes = duet::routes(
    duet::get<"/">([](duet::response& res) { res.send("home"); }),
    duet::post<"/echo">([](duet::request& req, duet::response& res) { res.send(req.body()); }),
    duet::get<"/stats">(duet::fn<stats>),
    duet::websocket<"/ws", echo_ws>);

using hostile_server = duet::server<routes>;

// The server under test, for /stats (its handler runs on the server's thread, where
// connection_count() may be called).
std::atomic<hostile_server*> current{nullptr};

// Open connections other than the one asking.
void stats(duet::response& res) { res.send(std::to_string(current.load()->connection_count() - 1)); }

constexpr std::size_t max_message = 64 * 1024;
constexpr std::size_t max_fragments = 256;

duet::server_options local() {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.websocket.max_message_size = max_message;
    o.websocket.max_fragments = max_fragments;
    o.websocket.close_timeout = 1000ms;
    return o;
}

struct started {
    duet_test::running_server<hostile_server> srv{local()};
    started() { current.store(&*srv); }
    ~started() {
        srv.stop();
        current.store(nullptr);
    }
    std::uint16_t port() const { return srv.port(); }
};

using frame = duet_test::ws_frame;
using duet_test::close_code_of;

// A WebSocket client on /ws after the handshake (the "welcome" frame consumed).
struct ws_client {
    raw_client c;
    std::string buf;

    explicit ws_client(std::uint16_t port) : c(port) {
        c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        std::string head = c.read(2000ms, "\r\n\r\n");
        auto end = head.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        REQUIRE(status_of(head) == 101);
        buf = head.substr(end + 4);
        auto hello = next();
        REQUIRE(hello);
        REQUIRE(hello->payload == "welcome");
    }

    std::optional<frame> next(std::chrono::milliseconds timeout = 2000ms) {
        return duet_test::next_server_frame(c, buf, timeout);
    }

    // Has the server sent anything (without waiting)?
    bool readable() {
        pollfd p{c.fd(), POLLIN, 0};
        return !buf.empty() || ::poll(&p, 1, 0) > 0;
    }

    // One echo round trip; returns its latency.
    std::chrono::milliseconds round_trip(std::string_view text) {
        auto t0 = std::chrono::steady_clock::now();
        c.send(masked(ws::opcode::text, text));
        auto f = next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::text);
        CHECK(f->payload == text);
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    }
};

// Closes `fd`'s connection with a TCP RST instead of a FIN (a killed process, a
// dropped NAT entry): SO_LINGER with a zero timeout.
void reset(raw_client& c) {
    linger l{1, 0};
    ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    c.close();
}

// The server's open connections besides the stats client itself.
std::size_t others(raw_client& stats_client) {
    stats_client.send("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = stats_client.read_response();
    REQUIRE(status_of(r) == 200);
    return std::stoul(body_of(r));
}

// Polls until others() == n; returns the last value seen.
std::size_t wait_others(raw_client& stats_client, std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t seen = others(stats_client);
    while (seen != n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        seen = others(stats_client);
    }
    return seen;
}

struct flood_result {
    std::size_t frames = 0;                       // frames sent after the first one
    std::optional<frame> answer;                  // the server's first frame
    std::chrono::milliseconds worst_bystander{0};  // slowest echo of the other client
    int bystander_trips = 0;
};

// Sends `first`, then `piece` over and over (never a final frame) — an endless
// message — in batches of 16 frames until the server answers or the connection fails,
// with a bystander echo round trip after each batch. Gives up after `limit` pieces.
flood_result flood(ws_client& w, const std::string& first, const std::string& piece, ws_client& bystander,
                   std::size_t limit) {
    flood_result r;
    w.c.send(first);
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += piece;
    while (r.frames < limit && !w.readable()) {
        if (!w.c.try_send(batch)) break;  // the server closed the connection
        r.frames += 16;
        r.worst_bystander = std::max(r.worst_bystander, bystander.round_trip("still here"));
        ++r.bystander_trips;
    }
    r.answer = w.next(3000ms);
    return r;
}

}  // namespace

TEST_CASE("fragment flood: continuations growing past max_message_size are closed with 1009; others are served") {
    started s;
    ws_client bystander(s.port());
    ws_client w(s.port());
    // 512-byte continuations: the limit (64 KiB) is crossed after 127 of them.
    auto r = flood(w, masked(ws::opcode::binary, std::string(1000, 'a'), false),
                   masked(ws::opcode::continuation, std::string(512, 'b'), false), bystander, 100000);
    CAPTURE(r.frames);
    REQUIRE(r.answer);
    CHECK(r.answer->op == ws::opcode::close);
    CHECK(close_code_of(*r.answer) == 1009);
    CHECK(r.frames * 512 >= max_message - 1000);  // not before the limit
    CHECK(r.frames < 100000);                       // and long before our give-up point
    CHECK(w.c.wait_closed(3000ms));
    // The other client was served during the flood and still is.
    CHECK(r.bystander_trips >= 4);
    CHECK(r.worst_bystander < 1000ms);
    CHECK(bystander.round_trip("after") < 1000ms);
}

TEST_CASE("fragment flood: empty or 1-byte continuations are bounded by max_fragments (1009); others are served") {
    started s;
    ws_client bystander(s.port());
    raw_client stats_client(s.port());
    {
        // Exactly max_fragments frames is one message like any other.
        ws_client w(s.port());
        std::string msg = masked(ws::opcode::text, "start", false);
        for (std::size_t i = 2; i < max_fragments; ++i) msg += masked(ws::opcode::continuation, "", false);
        msg += masked(ws::opcode::continuation, "end");
        w.c.send(msg);
        auto f = w.next();
        REQUIRE(f);
        CHECK(f->op == ws::opcode::text);
        CHECK(f->payload == "startend");
    }
    for (std::string_view piece : {std::string_view{}, std::string_view("x")}) {
        CAPTURE(piece.size());
        ws_client w(s.port());
        auto r = flood(w, masked(ws::opcode::text, "", false), masked(ws::opcode::continuation, piece, false),
                       bystander, 1'000'000);
        CAPTURE(r.frames);
        REQUIRE(r.answer);
        CHECK(r.answer->op == ws::opcode::close);
        CHECK(close_code_of(*r.answer) == 1009);
        CHECK(r.answer->payload.size() == 2);  // code only
        CHECK(r.frames >= max_fragments - 1);
        CHECK(r.frames < 1'000'000);
        CHECK(w.c.wait_closed(3000ms));
        CHECK(r.bystander_trips >= 4);
        CHECK(r.worst_bystander < 1000ms);
    }
    CHECK(bystander.round_trip("after") < 1000ms);
    // The flooders' connections are gone; the bystander's remains.
    CHECK(wait_others(stats_client, 1) == 1);
}

TEST_CASE("WebSocket client killed mid-frame (FIN or RST): the connection is freed, others are served") {
    started s;
    raw_client stats_client(s.port());
    ws_client bystander(s.port());
    std::vector<std::unique_ptr<ws_client>> victims;
    auto victim = [&](const std::string& bytes) {
        victims.push_back(std::make_unique<ws_client>(s.port()));
        victims.back()->c.send(bytes);
    };
    const std::string big = masked(ws::opcode::binary, std::string(1000, 'p'));
    victim(big.substr(0, 300));                    // half a payload
    victim(big.substr(0, 300));
    victim(big.substr(0, 3));                      // half a header (16-bit length cut)
    victim(big.substr(0, 3));
    victim(masked(ws::opcode::text, "first half", false) +  // mid-message, mid-continuation
           masked(ws::opcode::continuation, std::string(500, 'c')).substr(0, 100));
    victim(masked(ws::opcode::ping, "ping").substr(0, 5));  // half a control frame
    REQUIRE(wait_others(stats_client, 1 + victims.size()) == 1 + victims.size());
    // The server has read what they sent (the bytes reached it) — now they die.
    std::this_thread::sleep_for(20ms);
    for (std::size_t i = 0; i < victims.size(); ++i) {
        if (i % 2 == 0) victims[i]->c.close();  // FIN
        else reset(victims[i]->c);              // RST
    }
    CHECK(wait_others(stats_client, 1) == 1);
    CHECK(bystander.round_trip("alive") < 1000ms);
    ws_client fresh(s.port());
    CHECK(fresh.round_trip("new") < 1000ms);
}

TEST_CASE("HTTP client killed mid-request (half a head, half a body; FIN or RST): freed, others are served") {
    started s;
    raw_client stats_client(s.port());
    raw_client bystander(s.port());
    bystander.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(body_of(bystander.read_response()) == "home");
    const std::vector<std::string> halves = {
        "GET /sta",                                                       // half a request line
        "GET / HTTP/1.1\r\nHost: x\r\nX-Long: aaaaaaaa",                  // half the headers
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(400, 'b'),  // half a body
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabcdefgh",         // half a chunk
    };
    for (int rst = 0; rst < 2; ++rst) {
        CAPTURE(rst);
        std::vector<std::unique_ptr<raw_client>> victims;
        for (auto& h : halves) {
            victims.push_back(std::make_unique<raw_client>(s.port()));
            victims.back()->send(h);
        }
        REQUIRE(wait_others(stats_client, 1 + victims.size()) == 1 + victims.size());
        std::this_thread::sleep_for(20ms);
        for (auto& v : victims) {
            if (rst) reset(*v);
            else v->close();
        }
        CHECK(wait_others(stats_client, 1) == 1);
        // The keep-alive bystander and a new client are served.
        bystander.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        CHECK(body_of(bystander.read_response()) == "hello");
        raw_client fresh(s.port());
        fresh.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        CHECK(body_of(fresh.read_response()) == "home");
    }
}
