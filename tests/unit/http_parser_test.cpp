// http/request_parser.hpp: byte-level parsing of requests, split points, pipelining,
// chunked bodies, the header/body limits and malformed input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <duet/http/request_parser.hpp>

using duet::http::limits;
using duet::http::request_parser;
using result = request_parser::result;

namespace {

struct parsed {
    std::string method, url, body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool keep_alive = false, upgrade = false;
};

parsed snapshot(const request_parser& p, const char* base) {
    parsed r;
    r.method = std::string(p.method_string());
    r.url = std::string(p.url(base));
    r.body = p.body();
    for (auto& h : p.headers())
        r.headers.emplace_back(std::string(base + p.message_start() + h.name_off, h.name_len),
                               std::string(base + p.message_start() + h.value_off, h.value_len));
    r.keep_alive = p.keep_alive();
    r.upgrade = p.upgrade();
    return r;
}

// Feeds `input` in pieces of `step` bytes into a growing buffer, the way a
// connection does, and collects every request.
std::vector<parsed> feed(const std::string& input, std::size_t step, const limits& l, int* error_status = nullptr) {
    request_parser p(l);
    std::string buf;
    std::size_t pos = 0;
    std::vector<parsed> out;
    for (std::size_t at = 0; at < input.size();) {
        std::size_t n = std::min(step, input.size() - at);
        buf.append(input, at, n);
        at += n;
        while (true) {
            auto r = p.parse(buf.data(), pos, buf.size());
            if (r == result::request_ready) {
                out.push_back(snapshot(p, buf.data()));
                p.next();
                continue;
            }
            if (r == result::expect_continue) {
                p.resume();
                continue;
            }
            if (r == result::error) {
                if (error_status) *error_status = p.error_status();
                return out;
            }
            break;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("a simple GET: method, url, headers with trimmed values") {
    limits l;
    auto rs = feed("GET /a/b?x=1 HTTP/1.1\r\nHost: example\r\nX-Pad:   padded  \r\nEmpty:\r\n\r\n", 1 << 20, l);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].method == "GET");
    CHECK(rs[0].url == "/a/b?x=1");
    REQUIRE(rs[0].headers.size() == 3);
    CHECK(rs[0].headers[0] == std::pair<std::string, std::string>{"Host", "example"});
    CHECK(rs[0].headers[1].second == "padded");
    CHECK(rs[0].headers[2] == std::pair<std::string, std::string>{"Empty", ""});
    CHECK(rs[0].keep_alive);
}

TEST_CASE("every split point gives the same request") {
    limits l;
    const std::string req =
        "POST /upload/file HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world";
    auto whole = feed(req, 1 << 20, l);
    REQUIRE(whole.size() == 1);
    for (std::size_t step = 1; step < 40; ++step) {
        CAPTURE(step);
        auto rs = feed(req, step, l);
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].url == whole[0].url);
        CHECK(rs[0].headers == whole[0].headers);
        CHECK(rs[0].body == "hello world");
    }
}

TEST_CASE("pipelined requests come out one at a time, in order") {
    limits l;
    std::string in;
    for (int i = 0; i < 5; ++i) in += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, in.size()}) {
        auto rs = feed(in, step, l);
        REQUIRE(rs.size() == 5);
        for (int i = 0; i < 5; ++i) CHECK(rs[i].url == "/" + std::to_string(i));
    }
}

TEST_CASE("chunked bodies are decoded; chunk extensions and trailers are accepted") {
    limits l;
    auto rs = feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n",
                   5, l);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].body == "abc0123456789abcdef");
}

TEST_CASE("HTTP/1.0 is not keep-alive unless asked; Connection: close is honoured") {
    limits l;
    CHECK_FALSE(feed("GET / HTTP/1.0\r\n\r\n", 100, l).at(0).keep_alive);
    CHECK(feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 100, l).at(0).keep_alive);
    CHECK_FALSE(feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 100, l).at(0).keep_alive);
}

TEST_CASE("an Upgrade request is flagged") {
    limits l;
    auto rs = feed("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 100, l);
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].upgrade);
}

TEST_CASE("Expect: 100-continue pauses after the head") {
    limits l;
    request_parser p(l);
    std::string buf = "PUT /x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n";
    std::size_t pos = 0;
    CHECK(p.parse(buf.data(), pos, buf.size()) == result::expect_continue);
    CHECK(p.expects_continue());
    p.resume();
    CHECK(p.parse(buf.data(), pos, buf.size()) == result::need_more);
    buf += "abc";
    CHECK(p.parse(buf.data(), pos, buf.size()) == result::request_ready);
    CHECK(p.body() == "abc");
    // Without a body there is nothing to wait for.
    request_parser q(l);
    std::string get = "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n";
    pos = 0;
    CHECK(q.parse(get.data(), pos, get.size()) == result::request_ready);
}

TEST_CASE("limits: head bytes, header count, body bytes") {
    limits l;
    l.max_header_bytes = 100;
    l.max_header_count = 3;
    l.max_body_bytes = 10;
    int status = 0;
    feed("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", 1 << 20, l, &status);
    CHECK(status == 431);
    status = 0;
    feed("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", 3, l, &status);
    CHECK(status == 431);
    status = 0;
    feed("GET /" + std::string(200, 'u') + " HTTP/1.1\r\n\r\n", 1 << 20, l, &status);
    CHECK(status == 431);
    status = 0;
    feed("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 1 << 20, l, &status);
    CHECK(status == 431);
    status = 0;
    CHECK(feed("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 1 << 20, l, &status).size() == 1);
    CHECK(status == 0);
    feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 1 << 20, l, &status);
    CHECK(status == 413);
    status = 0;
    feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n", 4, l, &status);
    CHECK(status == 413);
    status = 0;
    CHECK(feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 1 << 20, l, &status).at(0).body == "0123456789");
}

TEST_CASE("malformed requests are errors with status 400") {
    limits l;
    for (std::string bad : {
             std::string("GET\r\n\r\n"),
             std::string("GET / HTTP/1.1\r\nNo-Colon\r\n\r\n"),
             std::string("GET / HTTP/2.7\r\n\r\n"),
             std::string("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
             std::string("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
             std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
             std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"),
             std::string("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
             std::string("G\x01T / HTTP/1.1\r\n\r\n"),
             std::string("GET /\x7f HTTP/1.1\r\n\r\n"),
         }) {
        CAPTURE(bad);
        int status = 0;
        CHECK(feed(bad, 1 << 20, l, &status).empty());
        CHECK(status == 400);
    }
}
