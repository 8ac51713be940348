// The Redis session store (duet/session/redis_store.hpp) end to end: a redis-server
// the test starts on a free port, a duet HTTP server whose sessions live there, and
// (when Node and the npm packages are there) an Express 5 app with express-session +
// connect-redis 7 sharing the secret and the cookie name
// (tests/interop/session_node_app.mjs): a login on either is a login on both.
#include <doctest/doctest.h>

#include <hiredis/hiredis.h>

#include <boost/json.hpp>

#include <duet/http.hpp>
#include <duet/session/redis_store.hpp>

#include "redis_server.hpp"
#include "support.hpp"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::header_of;
using duet_test::raw_client;
using duet_test::status_of;

namespace {

// ---- the duet app: the same three routes as the Node app ----
void login(duet::request& req, duet::response& res) {
    auto& s = req.session();
    s.regenerate();
    auto user = req.query("user").value_or("nobody");
    s.set("user", boost::json::string(user));
    s.set("n", 1);
    res.json({{"user", user}});
}
void me(duet::request& req, duet::response& res) {
    auto& s = req.session();
    auto user = s.get_string("user");
    if (!user) {
        res.status(401);
        return res.json({{"error", "not logged in"}});
    }
    std::int64_t n = 0;
    if (auto* v = s.get("n"); v && v->is_int64()) n = v->as_int64();
    s.set("n", n + 1);
    res.json({{"user", *user}, {"n", n + 1}});
}
// Reads without changing anything: the store only moves the expiry (EXPIRE).
void peek(duet::request& req, duet::response& res) {
    res.json({{"user", req.session().get_string("user").value_or("")}});
}
void logout(duet::request& req, duet::response& res) {
    req.session().destroy();
    res.status(204);
    res.end();
}
void plain(duet::response& res) { res.send("plain"); }

constexpr auto routes = duet::routes(duet::post<"/login">(duet::fn<login>), duet::get<"/me">(duet::fn<me>),
                                     duet::get<"/peek">(duet::fn<peek>), duet::post<"/logout">(duet::fn<logout>),
                                     duet::get<"/plain">(duet::fn<plain>));
using app_server = duet::server<routes>;

duet::server_options options_for(duet::redis_session_store& store) {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.session.store = &store;
    o.session.secrets = {"keyboard cat"};
    o.session.cookie_name = "connect.sid";
    o.session.max_age = 3600s;
    o.session.same_site = duet::http::cookie_same_site::lax;
    return o;
}

using redis_process = duet_test::redis_server;

// A blocking hiredis connection for the test's own checks (the test thread is no shard).
struct redis_probe {
    redisContext* c;
    explicit redis_probe(std::uint16_t port) : c(redisConnect("127.0.0.1", port)) { REQUIRE((c && !c->err)); }
    ~redis_probe() { redisFree(c); }
    template <class... A>
    redisReply* cmd(const char* fmt, A... a) {
        return static_cast<redisReply*>(redisCommand(c, fmt, a...));
    }
    std::optional<std::string> get(const std::string& key) {
        auto* r = cmd("GET %s", key.c_str());
        std::optional<std::string> out;
        if (r && r->type == REDIS_REPLY_STRING) out.emplace(r->str, r->len);
        freeReplyObject(r);
        return out;
    }
    long long ttl(const std::string& key) {
        auto* r = cmd("TTL %s", key.c_str());
        long long t = r ? r->integer : -3;
        freeReplyObject(r);
        return t;
    }
    void expire(const std::string& key, int seconds) { freeReplyObject(cmd("EXPIRE %s %d", key.c_str(), seconds)); }
};

std::string http(std::uint16_t port, std::string_view method, std::string_view path, const std::string& cookie = {}) {
    raw_client c(port);
    std::string req = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n";
    if (!cookie.empty()) req += "Cookie: " + cookie + "\r\n";
    req += "Content-Length: 0\r\n\r\n";
    c.send(req);
    return c.read_response(5000ms);
}

// "connect.sid=s%3A<id>.<sig>" from a Set-Cookie header.
std::string cookie_of(const std::string& response) {
    auto sc = header_of(response, "set-cookie");
    if (!sc) return {};
    return sc->substr(0, sc->find(';'));
}
// The session id inside such a cookie.
std::string sid_of(const std::string& cookie) {
    auto v = cookie.substr(cookie.find('=') + 1);
    REQUIRE(v.rfind("s%3A", 0) == 0);
    v = v.substr(4);
    return v.substr(0, v.rfind('.'));
}

}  // namespace

TEST_CASE("redis store: login sets the cookie, the session is read back, logout deletes the key; TTL from the cookie") {
    redis_process redis;
    redis_probe probe(redis.port);
    duet::redis_session_store store({.redis = {.port = redis.port}});
    duet_test::running_server<app_server> srv(options_for(store));

    // No cookie: no session, nothing stored.
    auto r = http(srv.port(), "GET", "/me");
    CHECK(status_of(r) == 401);
    CHECK_FALSE(header_of(r, "set-cookie"));

    r = http(srv.port(), "POST", "/login?user=ann");
    REQUIRE(status_of(r) == 200);
    const std::string cookie = cookie_of(r);
    REQUIRE(!cookie.empty());
    CHECK(header_of(r, "set-cookie")->find("HttpOnly") != std::string::npos);
    const std::string sid = sid_of(cookie);

    // The value is express-session's JSON; the TTL comes from the cookie (3600 s).
    auto stored = probe.get("sess:" + sid);
    REQUIRE(stored);
    auto v = boost::json::parse(*stored).as_object();
    CHECK(stored->rfind("{\"cookie\":{\"originalMaxAge\":3600000,\"expires\":\"", 0) == 0);
    CHECK(v.at("cookie").at("httpOnly") == true);
    CHECK(v.at("cookie").at("path") == "/");
    CHECK(v.at("cookie").at("sameSite") == "lax");
    CHECK(v.at("user") == "ann");
    CHECK(v.at("n") == 1);
    auto ttl = probe.ttl("sess:" + sid);
    CHECK(ttl > 3590);
    CHECK(ttl <= 3600);

    // A second request sees the session (loaded before the handler ran) and saves it.
    r = http(srv.port(), "GET", "/me", cookie);
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == R"({"user":"ann","n":2})");
    CHECK(boost::json::parse(*probe.get("sess:" + sid)).at("n") == 2);

    // An unchanged session: only its expiry moves (connect-redis' touch: EXPIRE).
    probe.expire("sess:" + sid, 100);
    r = http(srv.port(), "GET", "/peek", cookie);
    CHECK(body_of(r) == R"({"user":"ann"})");
    CHECK_FALSE(header_of(r, "set-cookie"));
    std::this_thread::sleep_for(50ms);  // the EXPIRE is not waited for
    CHECK(probe.ttl("sess:" + sid) > 3000);

    // Pipelined requests on one connection, each waiting for Redis: answered in order.
    {
        raw_client c(srv.port());
        std::string one = "GET /me HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n";
        c.send(one + "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n" + one);
        CHECK(body_of(c.read_response(5000ms)) == R"({"user":"ann","n":3})");
        CHECK(body_of(c.read_response(5000ms)) == "plain");
        CHECK(body_of(c.read_response(5000ms)) == R"({"user":"ann","n":4})");
    }

    // A tampered cookie is no session.
    std::string forged = cookie;
    forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
    CHECK(status_of(http(srv.port(), "GET", "/me", forged)) == 401);

    // A new login from the same browser: new id, the old key is gone.
    r = http(srv.port(), "POST", "/login?user=bob", cookie);
    const std::string cookie2 = cookie_of(r);
    REQUIRE(!cookie2.empty());
    CHECK(sid_of(cookie2) != sid);
    CHECK_FALSE(probe.get("sess:" + sid));
    CHECK(probe.get("sess:" + sid_of(cookie2)));

    // Logout: DEL, the cookie cleared.
    r = http(srv.port(), "POST", "/logout", cookie2);
    CHECK(status_of(r) == 204);
    CHECK(header_of(r, "set-cookie")->find("Expires=Thu, 01 Jan 1970") != std::string::npos);
    CHECK_FALSE(probe.get("sess:" + sid_of(cookie2)));
    CHECK(status_of(http(srv.port(), "GET", "/me", cookie2)) == 401);
}

TEST_CASE("redis store: Redis down → no session on read, 500 on write; back → sessions work again") {
    redis_process redis;
    duet::redis_session_store store({.redis = {.port = redis.port, .reconnect_min = 50ms, .reconnect_max = 200ms}});
    duet_test::running_server<app_server> srv(options_for(store));

    auto r = http(srv.port(), "POST", "/login?user=ann");
    REQUIRE(status_of(r) == 200);
    const std::string cookie = cookie_of(r);
    CHECK(status_of(http(srv.port(), "GET", "/me", cookie)) == 200);

    redis.proc.kill();
    std::this_thread::sleep_for(100ms);
    r = http(srv.port(), "GET", "/me", cookie);
    CHECK(status_of(r) == 401);  // the load failed: treated as no session
    r = http(srv.port(), "POST", "/login?user=bob");
    CHECK(status_of(r) == 500);  // the save failed: express-session's next(err)
    CHECK_FALSE(header_of(r, "set-cookie"));
    CHECK(status_of(http(srv.port(), "GET", "/plain")) == 200);  // requests without sessions are unaffected

    redis.start();  // same port, empty
    bool back = false;
    for (int i = 0; i < 100 && !back; ++i) {
        std::this_thread::sleep_for(50ms);
        back = status_of(http(srv.port(), "POST", "/login?user=cy")) == 200;
    }
    CHECK(back);
}

#ifdef DUET_INTEROP_DIR
TEST_CASE("interop: express-session + connect-redis 7 on Node and duet share logins both ways") {
    redis_process redis;
    redis_probe probe(redis.port);
    duet::redis_session_store store({.redis = {.port = redis.port}});
    duet_test::running_server<app_server> duet_srv(options_for(store));

    const auto node_port = duet_test::free_port();
    ::setenv("REDIS_PORT", std::to_string(redis.port).c_str(), 1);
    ::setenv("PORT", std::to_string(node_port).c_str(), 1);
    duet_test::child_process node({"node", DUET_INTEROP_DIR "/session_node_app.mjs"}, false);
    REQUIRE(duet_test::wait_for_port(node_port));
    const auto duet_port = duet_srv.port();

    SUBCASE("log in on Node, duet sees the user; log out on duet, Node no longer does") {
        auto r = http(node_port, "POST", "/login?user=ann");
        REQUIRE(status_of(r) == 200);
        const std::string cookie = cookie_of(r);
        REQUIRE(cookie.rfind("connect.sid=s%3A", 0) == 0);
        r = http(duet_port, "GET", "/me", cookie);
        CHECK(status_of(r) == 200);
        CHECK(body_of(r) == R"({"user":"ann","n":2})");
        // duet's write is what Node reads next (n went through both).
        r = http(node_port, "GET", "/me", cookie);
        CHECK(status_of(r) == 200);
        auto v = boost::json::parse(body_of(r)).as_object();
        CHECK(v.at("user") == "ann");
        CHECK(v.at("n") == 3);
        CHECK(v.at("cookie").at("originalMaxAge") == 3600000);
        CHECK(v.at("cookie").at("sameSite") == "lax");
        CHECK(v.at("cookie").at("httpOnly") == true);
        r = http(duet_port, "POST", "/logout", cookie);
        CHECK(status_of(r) == 204);
        CHECK(status_of(http(node_port, "GET", "/me", cookie)) == 401);
    }
    SUBCASE("log in on duet, Node sees the user; log out on Node, duet no longer does") {
        auto r = http(duet_port, "POST", "/login?user=bob");
        REQUIRE(status_of(r) == 200);
        const std::string cookie = cookie_of(r);
        r = http(node_port, "GET", "/me", cookie);
        CHECK(status_of(r) == 200);
        auto v = boost::json::parse(body_of(r)).as_object();
        CHECK(v.at("user") == "bob");
        CHECK(v.at("n") == 2);
        r = http(duet_port, "GET", "/me", cookie);
        CHECK(body_of(r) == R"({"user":"bob","n":3})");
        r = http(node_port, "POST", "/logout", cookie);
        CHECK(status_of(r) == 204);
        CHECK_FALSE(probe.get("sess:" + sid_of(cookie)));
        CHECK(status_of(http(duet_port, "GET", "/me", cookie)) == 401);
    }
}
#endif
