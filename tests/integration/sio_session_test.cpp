// HTTP → Socket.IO through the session cookie, per namespace: every socket of a
// cookie session joins "session:<id>" in each namespace it connects to, and
// `io.of(nsp).to_session(id)` reaches that session's sockets in that namespace only
// (`io.to_session(id)` is the main namespace's). Raw clients: HTTP requests for the
// login and the notices, Engine.IO over WebSocket (with the cookie) for the sockets.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include <duet/duet.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::eio_ws_client;
using duet_test::header_of;
using duet_test::raw_client;
using duet_test::status_of;

namespace {

// POST /login/:name → a session holding the name; the cookie comes with the answer.
void login(duet::request& req, duet::response& res, std::string_view name) {
    req.session().set("name", boost::json::string(name));
    res.send("ok");
}

// POST /notify/:nsp ("main" or a namespace name without '/') → "notice" with the
// namespace's name to the sockets of the caller's session in that namespace; the
// answer is how many sockets it reached (all shards).
asio::awaitable<void> notify(duet::request& req, duet::response& res, duet::io& io, std::string_view nsp) {
    const std::string ns = nsp == "main" ? std::string("/") : "/" + std::string(nsp);
    const std::string id = req.session().id();
    auto sending = ns == "/" ? io.to_session(id).emit_counted("notice", ns)
                             : io.of(ns).to_session(id).emit_counted("notice", ns);
    const std::size_t n = co_await std::move(sending);
    res.send(std::to_string(n));
}

// GET /name → the session's name, as the HTTP side reads it now.
void name_of(duet::request& req, duet::response& res) { res.send(req.session().get_string("name").value_or("-")); }

constexpr auto routes = duet::routes(duet::post<"/login/:name">(duet::fn<login>),
                                     duet::post<"/notify/:nsp">(duet::fn<notify>),
                                     duet::get<"/name">(duet::fn<name_of>));

void noop(duet::socket&) {}
// "rename" (new name, ack): the session loaded and saved from Socket.IO, the coroutine
// way (any store); acks the name it read before the change.
asio::awaitable<void> rename(duet::socket& s, std::string name, duet::ack<std::string> ack) {
    duet::session session = co_await s.load_session();
    const std::string before = session.get_string("name").value_or("-");
    session.set("name", name);
    co_await s.save_session(session);
    ack(before);
}
constexpr auto events = duet::events(duet::of<"/">(duet::on<"noop">(duet::fn<noop>), duet::on<"rename">(duet::fn<rename>)),
                                     duet::of<"/admin">(duet::on<"noop">(duet::fn<noop>)));

using server_t = duet::server<routes, events>;

duet::memory_session_store store;

duet::server_options local() {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.session.store = &store;
    o.session.secrets = {"sio-session-test-secret"};
    return o;
}

// "Cookie: duet.sid=...\r\n" for a new session of `name`.
std::string login_as(std::uint16_t port, std::string_view name) {
    raw_client c(port);
    c.send("POST /login/" + std::string(name) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(status_of(r) == 200);
    auto set_cookie = header_of(r, "set-cookie");
    REQUIRE(set_cookie);
    return "Cookie: " + set_cookie->substr(0, set_cookie->find(';')) + "\r\n";
}

// POST /notify/<nsp> as the session of `cookie`; the number of sockets reached.
std::string notify_as(std::uint16_t port, const std::string& cookie, std::string_view nsp) {
    raw_client c(port);
    c.send("POST /notify/" + std::string(nsp) + " HTTP/1.1\r\nHost: x\r\n" + cookie + "Content-Length: 0\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(status_of(r) == 200);
    return body_of(r);
}

}  // namespace

TEST_CASE("io.of(nsp).to_session(id) reaches the session's sockets in that namespace only") {
    duet_test::running_server<server_t> srv(local());
    const auto port = srv.port();
    const std::string ada = login_as(port, "ada");
    const std::string bob = login_as(port, "bob");
    REQUIRE(ada != bob);

    // ada: one connection in "/" and "/admin", another in "/" only; bob: "/" and "/admin".
    eio_ws_client ada_both(port, ada);
    ada_both.connect("/");
    ada_both.connect("/admin");
    eio_ws_client ada_main(port, ada);
    ada_main.connect("/");
    eio_ws_client bob_both(port, bob);
    bob_both.connect("/");
    bob_both.connect("/admin");

    // /admin: ada's one /admin socket, nobody else.
    CHECK(notify_as(port, ada, "admin") == "1");
    CHECK(ada_both.next() == R"(42/admin,["notice","/admin"])");

    // "/": both of ada's main-namespace sockets. ada_main's first packet is this one,
    // so the /admin notice did not reach it; ada_both gets it once, in "/".
    CHECK(notify_as(port, ada, "main") == "2");
    CHECK(ada_both.next() == R"(42["notice","/"])");
    CHECK(ada_main.next() == R"(42["notice","/"])");

    // bob's own /admin notice is the first thing he gets: ada's never reached him.
    CHECK(notify_as(port, bob, "admin") == "1");
    CHECK(bob_both.next() == R"(42/admin,["notice","/admin"])");

    // A namespace the session has no socket in, and an unknown session: nobody.
    CHECK(notify_as(port, "", "admin") == "0");
    CHECK(notify_as(port, ada, "other") == "0");
}

TEST_CASE("co_await socket.load_session() / save_session(): a change made over Socket.IO is what HTTP reads next") {
    duet_test::running_server<server_t> srv(local());
    const auto port = srv.port();
    const std::string cookie = login_as(port, "ada");
    auto name = [&] {
        raw_client c(port);
        c.send("GET /name HTTP/1.1\r\nHost: x\r\n" + cookie + "\r\n");
        return body_of(c.read_response());
    };
    CHECK(name() == "ada");
    eio_ws_client sock(port, cookie);
    sock.connect("/");
    sock.send(R"(421["rename","grace"])");
    auto p = sock.next();
    REQUIRE(p);
    CHECK(*p == R"(431["ada"])");  // read from the store: the HTTP login
    CHECK(name() == "grace");       // written to the store: HTTP sees it
    sock.send(R"(422["rename","hopper"])");
    p = sock.next();
    REQUIRE(p);
    CHECK(*p == R"(432["grace"])");
    // Without a session cookie: a new, empty session.
    eio_ws_client anon(port);
    anon.connect("/");
    anon.send(R"(423["rename","x"])");
    p = anon.next();
    REQUIRE(p);
    CHECK(*p == R"(433["-"])");
}
