// Integration tests of the HTTP/1.1 server over loopback with a raw socket client:
// routing, keep-alive, pipelining, bodies, limits, timeouts, errors, coroutines,
// middleware and graceful shutdown — the bytes a real client sends and receives.
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <duet/duet.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::header_of;
using duet_test::raw_client;
using duet_test::status_of;

namespace {

struct new_user {
    std::string name;
    int age;
};
BOOST_DESCRIBE_STRUCT(new_user, (), (name, age))

struct order_line {
    std::string sku;
    int qty;
};
BOOST_DESCRIBE_STRUCT(order_line, (), (sku, qty))
struct order {
    std::string customer;
    std::vector<order_line> lines;
    std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(order, (), (customer, lines, note))

struct app_state {
    int hits = 0;
};

void user(duet::response& res, int id) { res.json({{"id", id}}); }

void file(duet::response& res, std::string_view dir, std::string_view rest) {
    res.type("text/plain");
    res.send(std::string(dir) + "|" + std::string(rest));
}

asio::awaitable<void> slow(duet::request& req, duet::response& res) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(std::chrono::milliseconds(std::stoi(req.query("ms").value_or("50"))));
    co_await t.async_wait(asio::use_awaitable);
    res.type("text/plain");
    res.send("slow done");
}

asio::awaitable<void> stream(duet::response& res) {
    res.type("text/plain");
    res.write("part1,");
    co_await res.flush();
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
    co_await t.async_wait(asio::use_awaitable);
    res.write("part2");
    res.end();
}

void echo(duet::request& req, duet::response& res) {
    res.type("application/octet-stream");
    res.send(req.body());
}

void create_order(duet::response& res, duet::json_body<order> o) {
    res.status(201).send(o->customer + ":" + std::to_string(o->lines.size()));
}

void create_user(duet::response& res, duet::json_body<new_user> u) {
    res.status(201);
    res.json({{"name", u->name}, {"age", u->age}});
}

void count(app_state& st, duet::response& res) { res.json({{"hits", ++st.hits}}); }

// Global middleware: tags every response.
void tag(duet::response& res) { res.set("X-Duet", "1"); }

// Mounted middleware: /admin needs a token.
duet::flow admin_only(duet::request& req, duet::response& res) {
    if (req.header("x-token") == std::optional<std::string_view>("secret")) return duet::flow::next;
    res.status(401);
    res.json({{"error", "unauthorized"}});
    return duet::flow::done;
}

asio::awaitable<duet::flow> async_gate(duet::request& req, duet::response& res) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
    co_await t.async_wait(asio::use_awaitable);
    if (req.query("ok")) co_return duet::flow::next;
    res.status(403);
    res.send("gate closed");
    co_return duet::flow::done;
}

constexpr auto routes = duet::routes(
    duet::use(duet::fn<tag>),
    duet::use<"/admin">(duet::fn<admin_only>),
    duet::get<"/">([](duet::response& res) { res.send("home"); }),
    duet::get<"/users/:id">(duet::fn<user>),
    duet::post<"/users">(duet::fn<create_user>),
    duet::post<"/orders">(duet::fn<create_order>),
    duet::put<"/users/:id">([](duet::response& res, int id) { res.json({{"updated", id}}); }),
    duet::del<"/users/:id">([](duet::response& res, int) { res.status(204); res.end(); }),
    duet::get<"/files/:dir/*">(duet::fn<file>),
    duet::get<"/query">([](duet::request& req, duet::response& res) {
        res.send(req.query("q").value_or("<none>") + "|" + req.query("x").value_or("<none>"));
    }),
    duet::get<"/params/:a/:b">([](duet::response& res, std::string a, std::string_view b) { res.send(a + "+" + std::string(b)); }),
    duet::get<"/slow">(duet::fn<slow>),
    duet::get<"/stream">(duet::fn<stream>),
    duet::post<"/echo">(duet::fn<echo>),
    duet::get<"/count">(duet::fn<count>),
    duet::get<"/throw">([](duet::response&) -> void { throw std::runtime_error("boom"); }),
    duet::get<"/teapot">([](duet::response&) -> void { throw duet::http_error(418, "short and stout"); }),
    duet::get<"/cookies">([](duet::request& req, duet::response& res) {
        res.cookie("sid", "a b;c", {.max_age = std::chrono::seconds(60), .path = "/", .http_only = true,
                                    .same_site = duet::http::cookie_same_site::lax});
        res.clear_cookie("old");
        res.send(req.cookie("theme").value_or("<none>"));
    }),
    duet::get<"/redirect">([](duet::response& res) { res.redirect("/target path"); }),
    duet::get<"/admin/panel">([](duet::response& res) { res.send("panel"); }),
    duet::get<"/gated">(duet::fn<async_gate>, [](duet::response& res) { res.send("through"); }),
    duet::get<"/close">([](duet::response& res) { res.close_connection(); res.send("bye"); }),
    duet::all<"/any">([](duet::request& req, duet::response& res) { res.send(req.method_string()); }));

using test_server = duet::server<routes, duet::no_realtime{}, app_state>;

duet::server_options local(duet::http::limits l = {}) {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.http = l;
    return o;
}

std::string get(std::string_view target, std::string_view extra = {}) {
    return std::string("GET ").append(target).append(" HTTP/1.1\r\nHost: x\r\n").append(extra).append("\r\n");
}

}  // namespace

TEST_CASE("routes answer with converted parameters, 404 when a parameter does not convert") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/users/42"));
    auto r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == R"({"id":42})");
    CHECK(header_of(r, "content-type") == "application/json; charset=utf-8");
    CHECK(header_of(r, "x-duet") == "1");
    CHECK(header_of(r, "date").has_value());

    c.send(get("/users/4x2"));
    CHECK(status_of(c.read_response()) == 404);
    c.send(get("/users/99999999999999999999"));  // overflows int
    CHECK(status_of(c.read_response()) == 404);
    c.send(get("/users/42/"));  // trailing slash is the same route
    CHECK(body_of(c.read_response()) == R"({"id":42})");
    c.send(get("/nope"));
    auto nf = c.read_response();
    CHECK(status_of(nf) == 404);
    CHECK(header_of(nf, "x-duet") == "1");  // global middleware ran first
}

TEST_CASE("path parameters are percent-decoded, query values too, wildcard takes the rest") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/params/a%20b/c%2Fd"));
    CHECK(body_of(c.read_response()) == "a b+c/d");
    c.send(get("/params/%zz/x"));  // malformed escape: no such resource
    CHECK(status_of(c.read_response()) == 404);
    c.send(get("/query?x=1&q=hello+world%21"));
    CHECK(body_of(c.read_response()) == "hello world!|1");
    c.send(get("/query"));
    CHECK(body_of(c.read_response()) == "<none>|<none>");
    c.send(get("/files/docs/a/b/c.txt"));
    CHECK(body_of(c.read_response()) == "docs|a/b/c.txt");
    c.send(get("/files/docs"));
    CHECK(body_of(c.read_response()) == "docs|");
}

TEST_CASE("405 with Allow when only the method differs; automatic OPTIONS and HEAD") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send("PATCH /users/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    auto r = c.read_response();
    CHECK(status_of(r) == 405);
    CHECK(header_of(r, "allow") == "GET, HEAD, PUT, DELETE, OPTIONS");

    c.send("OPTIONS /users/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(header_of(r, "allow") == "GET, HEAD, PUT, DELETE, OPTIONS");

    c.send("HEAD /users/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    r = c.read(2000ms, "\r\n\r\n");
    CHECK(status_of(r) == 200);
    CHECK(header_of(r, "content-length") == "8");  // the GET body's length...
    CHECK(body_of(r).empty());                     // ...without the body
    // The connection is still usable: the HEAD answer carried no stray body bytes.
    c.send(get("/users/8"));
    CHECK(body_of(c.read_response()) == R"({"id":8})");

    c.send("DELETE /users/3 HTTP/1.1\r\nHost: x\r\n\r\n");
    r = c.read_response();
    CHECK(status_of(r) == 204);
    CHECK_FALSE(header_of(r, "content-length").has_value());

    c.send("PUT /any HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    CHECK(body_of(c.read_response()) == "PUT");
}

TEST_CASE("keep-alive, HTTP/1.0 and Connection: close") {
    duet_test::running_server<test_server> srv(local());
    {
        raw_client c(srv.port());
        for (int i = 0; i < 3; ++i) {
            c.send(get("/"));
            CHECK(body_of(c.read_response()) == "home");
        }
        CHECK_FALSE(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send("GET / HTTP/1.0\r\n\r\n");
        auto r = c.read(2000ms);
        CHECK(status_of(r) == 200);
        CHECK(header_of(r, "connection") == "close");
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        auto r = c.read_response();
        CHECK(header_of(r, "connection") == "keep-alive");
        c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK(body_of(c.read_response()) == "home");
    }
    {
        raw_client c(srv.port());
        c.send(get("/", "Connection: close\r\n"));
        auto r = c.read(2000ms);
        CHECK(header_of(r, "connection") == "close");
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send(get("/close"));
        auto r = c.read(2000ms);
        CHECK(body_of(r) == "bye");
        CHECK(c.closed());
    }
}

TEST_CASE("pipelined requests are answered in order, across a coroutine handler") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/users/1") + get("/slow?ms=30") + get("/users/2") + get("/nope") + get("/users/3"));
    CHECK(body_of(c.read_response()) == R"({"id":1})");
    CHECK(body_of(c.read_response()) == "slow done");
    CHECK(body_of(c.read_response()) == R"({"id":2})");
    CHECK(status_of(c.read_response()) == 404);
    CHECK(body_of(c.read_response()) == R"({"id":3})");

    // Deeper than one batch: every request still gets its answer, in order.
    std::string many;
    for (int i = 0; i < 200; ++i) many += get("/users/" + std::to_string(i));
    c.send(many);
    for (int i = 0; i < 200; ++i) REQUIRE(body_of(c.read_response()) == "{\"id\":" + std::to_string(i) + "}");
}

TEST_CASE("request bodies: Content-Length, chunked, split across reads, Expect: 100-continue") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
    CHECK(body_of(c.read_response()) == "hello world");

    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    CHECK(body_of(c.read_response()) == "hello world");

    // Byte by byte: head and body split at every possible point.
    std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde";
    for (char ch : req) {
        c.send(std::string_view(&ch, 1));
        std::this_thread::sleep_for(1ms);
    }
    CHECK(body_of(c.read_response()) == "abcde");

    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    auto interim = c.read(2000ms, "\r\n\r\n");
    CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send("data");
    CHECK(body_of(c.read_response()) == "data");

    // A large body arriving in many reads.
    std::string big(300000, 'z');
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + big);
    CHECK(body_of(c.read_response(5000ms)) == big);
}

TEST_CASE("typed JSON bodies: converted, or 400 with a JSON error") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    auto post = [&](std::string_view body) {
        c.send("POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
        return c.read_response();
    };
    auto r = post(R"({"name":"ada","age":36})");
    CHECK(status_of(r) == 201);
    CHECK(body_of(r) == R"({"name":"ada","age":36})");
    r = post(R"({"name":"ada",)");
    CHECK(status_of(r) == 400);
    CHECK(body_of(r) == R"({"error":"request body is not valid JSON"})");
    r = post(R"({"name":"ada","age":"old"})");
    CHECK(status_of(r) == 400);
    CHECK(boost::json::parse(body_of(r)).at("error").is_string());
}

TEST_CASE("a typed JSON body that does not fit: 400 naming the first member at fault") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    auto error_of = [&](std::string_view body) {
        c.send("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
        auto r = c.read_response();
        CHECK(status_of(r) == 400);
        CHECK(r.find("Content-Type: application/json") != std::string::npos);
        return std::string(boost::json::parse(body_of(r)).at("error").as_string());
    };
    CHECK(error_of(R"([])") == "body: expected an object");
    CHECK(error_of(R"({"customer":7,"lines":[],"note":null})") == "body.customer: expected a string");
    CHECK(error_of(R"({"customer":"a","lines":[{"sku":"x","qty":1},{"sku":"y","qty":"2"}],"note":null})") ==
          "body.lines[1].qty: expected an integer");
    CHECK(error_of(R"({"customer":"a","lines":[{"sku":"x"}],"note":null})") ==
          "body.lines[0].qty: missing (expected an integer)");
    CHECK(error_of(R"({"customer":"a","lines":[{"sku":"x","qty":1e12}],"note":null})") ==
          "body.lines[0].qty: expected an integer from -2147483648 to 2147483647");
    CHECK(error_of(R"({"customer":"a","lines":[],"note":false})") == "body.note: expected a string");
    CHECK(error_of(R"({"customer":"a","lines":[]})") == "body.note: missing (expected a string or null)");
    CHECK(error_of(R"({"customer":"a","lines":[],"note":null,"extra":1})") == "body.extra: unexpected member");
    // The exact body: {"error":"<path>: <what was expected>"}.
    const std::string body = R"({"customer":"a","lines":{},"note":null})";
    c.send("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK(body_of(c.read_response()) == R"({"error":"body.lines: expected an array"})");
    // And a body that fits still reaches the handler.
    const std::string ok = R"({"customer":"a","lines":[{"sku":"x","qty":2}],"note":"n"})";
    c.send("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(ok.size()) + "\r\n\r\n" + ok);
    auto r = c.read_response();
    CHECK(status_of(r) == 201);
    CHECK(body_of(r) == "a:1");
}

TEST_CASE("a compressed JSON body (Content-Encoding gzip/deflate) is inflated as Express's body parsers do, bounded by max_body_bytes") {
    duet::http::limits l;
    l.max_body_bytes = 4096;
    duet_test::running_server<test_server> srv(local(l));
    raw_client c(srv.port());
    auto post = [&](std::string_view coding, const std::string& body) {
        c.send("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: " +
               std::string(coding) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        return c.read_response();
    };
    const std::string ok = R"({"customer":"a","lines":[{"sku":"x","qty":2}],"note":"n"})";
    for (const auto& coding : {std::pair{"gzip", duet::zlib::format::gzip}, std::pair{"GZip", duet::zlib::format::gzip},
                               std::pair{"deflate", duet::zlib::format::zlib}}) {
        // Not a structured binding: clang 14 cannot capture one in doctest's lambda.
        const char* name = coding.first;
        std::string packed;
        REQUIRE(duet::zlib::compress(ok, packed, coding.second));
        auto r = post(name, packed);
        CHECK_MESSAGE(status_of(r) == 201, name);
        CHECK(body_of(r) == "a:1");
    }
    CHECK(body_of(post("identity", ok)) == "a:1");
    // A bomb: 1 MiB of blanks inside the JSON, a few hundred bytes on the wire, over the
    // 4 KiB limit once inflated: 413, the connection still usable.
    std::string bomb = R"({"customer":"a","lines":[],"note":")" + std::string(1 << 20, ' ') + R"("})";
    std::string packed;
    REQUIRE(duet::zlib::compress(bomb, packed, duet::zlib::format::gzip));
    REQUIRE(packed.size() < 4096);
    auto r = post("gzip", packed);
    CHECK(status_of(r) == 413);
    CHECK(body_of(r) == R"({"error":"request entity too large"})");
    // Not gzip at all, cut short, or a coding no body parser reads.
    CHECK(status_of(post("gzip", "not gzip")) == 400);
    std::string small;
    REQUIRE(duet::zlib::compress(ok, small, duet::zlib::format::gzip));
    CHECK(status_of(post("gzip", small.substr(0, small.size() - 6))) == 400);  // cut inside the trailer
    r = post("br", ok);
    CHECK(status_of(r) == 415);
    CHECK(body_of(r) == R"({"error":"unsupported content encoding \"br\""})");
    CHECK(body_of(post("identity", ok)) == "a:1");
}

TEST_CASE("handlers that throw answer 500 or their status; the server lives on") {
    duet_test::running_server<test_server> srv(local());
    duet::set_log_sink(nullptr);
    raw_client c(srv.port());
    c.send(get("/throw"));
    auto r = c.read_response();
    CHECK(status_of(r) == 500);
    CHECK(body_of(r) == R"({"error":"Internal Server Error"})");
    c.send(get("/teapot"));
    r = c.read_response();
    CHECK(status_of(r) == 418);
    CHECK(body_of(r) == R"({"error":"short and stout"})");
    c.send(get("/users/5"));
    CHECK(status_of(c.read_response()) == 200);
    duet::set_log_sink(&duet::default_log_sink);
}

TEST_CASE("state, cookies and redirects") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/count"));
    CHECK(body_of(c.read_response()) == R"({"hits":1})");
    c.send(get("/count"));
    CHECK(body_of(c.read_response()) == R"({"hits":2})");
    CHECK(srv->state().hits == 2);

    c.send(get("/cookies", "Cookie: a=1; theme=dark%20blue; b=2\r\n"));
    auto r = c.read_response();
    CHECK(body_of(r) == "dark blue");
    CHECK(r.find("Set-Cookie: sid=a%20b%3Bc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax\r\n") != std::string::npos);
    CHECK(r.find("Set-Cookie: old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT\r\n") != std::string::npos);

    c.send(get("/redirect"));
    r = c.read_response();
    CHECK(status_of(r) == 302);
    CHECK(header_of(r, "location") == "/target%20path");
}

TEST_CASE("middleware: mounted gate, per-route async middleware") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/admin/panel"));
    auto r = c.read_response();
    CHECK(status_of(r) == 401);
    c.send(get("/admin/panel", "X-Token: secret\r\n"));
    CHECK(body_of(c.read_response()) == "panel");
    c.send(get("/administrator"));  // not under the /admin mount
    CHECK(status_of(c.read_response()) == 404);
    c.send(get("/gated"));
    r = c.read_response();
    CHECK(status_of(r) == 403);
    CHECK(body_of(r) == "gate closed");
    c.send(get("/gated?ok=1"));
    CHECK(body_of(c.read_response()) == "through");
}

TEST_CASE("chunked streaming from a coroutine handler") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/stream"));
    auto first = c.read(2000ms, "part1,\r\n");
    CHECK(header_of(first, "transfer-encoding") == "chunked");
    CHECK(first.find("6\r\npart1,\r\n") != std::string::npos);
    auto rest = c.read(2000ms, "0\r\n\r\n");
    CHECK(rest.find("5\r\npart2\r\n0\r\n\r\n") != std::string::npos);
    c.send(get("/"));
    CHECK(body_of(c.read_response()) == "home");
}

TEST_CASE("malformed requests get 400 and the connection is closed") {
    duet_test::running_server<test_server> srv(local());
    for (std::string bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                            std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                            std::string("POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
                            std::string("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
                            std::string("GET /\0 HTTP/1.1\r\n\r\n", 18)}) {
        CAPTURE(bad);
        raw_client c(srv.port());
        c.send(bad);
        auto r = c.read(2000ms);
        CHECK(status_of(r) == 400);
        CHECK(c.closed());
    }
}

TEST_CASE("limits: header bytes and count (431), body (413), pipelined batch") {
    duet::http::limits l;
    l.max_header_bytes = 1024;
    l.max_header_count = 10;
    l.max_body_bytes = 64;
    l.max_pipelined_requests = 2;
    duet_test::running_server<test_server> srv(local(l));
    {
        raw_client c(srv.port());
        c.send(get("/", "X-Big: " + std::string(2000, 'a') + "\r\n"));
        auto r = c.read(2000ms);
        CHECK(status_of(r) == 431);
        CHECK(c.closed());
    }
    {
        // Trickled: the limit holds when the head arrives in small reads.
        raw_client c(srv.port());
        c.send("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 40; ++i)
            if (!c.try_send("X-Filler: " + std::string(50, 'b') + "\r\n")) break;
        auto r = c.read(2000ms);
        CHECK(status_of(r) == 431);
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        std::string h;
        for (int i = 0; i < 11; ++i) h += "X-" + std::to_string(i) + ": v\r\n";
        c.send(get("/", h));
        CHECK(status_of(c.read(2000ms)) == 431);
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n");
        CHECK(status_of(c.read(2000ms)) == 413);
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'x') +
               "\r\n1\r\ny\r\n0\r\n\r\n");
        CHECK(status_of(c.read(2000ms)) == 413);
        CHECK(c.closed());
    }
    {
        // Body limit exactly: accepted.
        raw_client c(srv.port());
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\n" + std::string(64, 'x'));
        CHECK(status_of(c.read_response()) == 200);
        // Five pipelined with a batch of 2: all answered, in order.
        c.send(get("/users/1") + get("/users/2") + get("/users/3") + get("/users/4") + get("/users/5"));
        for (int i = 1; i <= 5; ++i) CHECK(body_of(c.read_response()) == "{\"id\":" + std::to_string(i) + "}");
    }
}

TEST_CASE("timeouts: a trickled head gets 408, an idle keep-alive connection is closed") {
    duet::http::limits l;
    l.header_timeout = 1000ms;
    l.keep_alive_timeout = 1000ms;
    l.body_timeout = 1000ms;
    duet_test::running_server<test_server> srv(local(l));
    {
        raw_client c(srv.port());
        c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes the head
        auto r = c.read(4000ms);
        CHECK(status_of(r) == 408);
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");  // body never completes
        auto r = c.read(4000ms);
        CHECK(status_of(r) == 408);
        CHECK(c.closed());
    }
    {
        raw_client c(srv.port());
        c.send(get("/"));
        CHECK(body_of(c.read_response()) == "home");
        auto t0 = std::chrono::steady_clock::now();
        CHECK(c.wait_closed(4000ms));
        CHECK(std::chrono::steady_clock::now() - t0 >= 900ms);
    }
}

TEST_CASE("graceful stop: in-flight requests finish, idle connections close, run() returns") {
    auto srv = std::make_unique<duet_test::running_server<test_server>>(local());
    raw_client idle(srv->port());
    idle.send(get("/"));
    CHECK(body_of(idle.read_response()) == "home");
    raw_client busy(srv->port());
    busy.send(get("/slow?ms=300"));
    std::this_thread::sleep_for(100ms);  // the request is in its handler
    std::thread stopper([&] { srv->stop(); });
    auto r = busy.read(3000ms);
    CHECK(body_of(r) == "slow done");
    CHECK(header_of(r, "connection") == "close");
    CHECK(idle.wait_closed(3000ms));
    stopper.join();
    // No longer accepting.
    CHECK_THROWS(raw_client(srv->port()));
}

TEST_CASE("a port another process listens on fails with EADDRINUSE, not by sharing it through SO_REUSEPORT") {
    // "Another process": a listening socket with SO_REUSEPORT set, as a second duet (or
    // any server that uses it) would hold. Without the probe, the kernel would let duet
    // join it and both would split the connections silently.
    asio::io_context io;
    asio::ip::tcp::acceptor other(io);
    other.open(asio::ip::tcp::v4());
    int one = 1;
    ::setsockopt(other.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    other.bind({asio::ip::make_address("127.0.0.1"), 0});
    other.listen();
    const auto port = other.local_endpoint().port();

    auto o = local();
    o.port = port;
    o.exit_on_listen_error = false;
    bool thrown = false;
    try {
        test_server srv(o);
    } catch (const duet::listen_error& e) {
        thrown = true;
        CHECK(e.code() == std::errc::address_in_use);
        CHECK(std::string(e.what()) == "listen EADDRINUSE: address already in use 127.0.0.1:" + std::to_string(port));
    }
    CHECK(thrown);

    // A bad host is a listen_error too, never an abort.
    auto bad = local();
    bad.host = "not-an-address";
    bad.exit_on_listen_error = false;
    CHECK_THROWS_AS(test_server{bad}, duet::listen_error);

    // Once the port is free, the same options serve (and run(2) adds a second shard on it).
    other.close();
    test_server srv(o);
    CHECK(srv.port() == port);
}
