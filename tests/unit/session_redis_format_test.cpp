// session/express_format.hpp + the Redis store's value: byte-equal to what
// express-session 1.19 + connect-redis 7.1 write (golden values produced by Node:
// `JSON.stringify(session)` with express-session's own Session and Cookie classes,
// expiry fixed at 2026-12-04T16:00:49.069Z), read back, TTL as connect-redis computes it.
#include <doctest/doctest.h>

#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/session/express_format.hpp>
#include <duet/session/redis_store.hpp>
#include <duet/session/session.hpp>

using namespace duet;
using namespace std::chrono_literals;

namespace {
const auto fixed = *express::parse_iso_date("2026-12-04T16:00:49.069Z");

// Captured from Node (see the file comment).
constexpr std::string_view node_default =
    R"({"cookie":{"originalMaxAge":60000,"expires":"2026-12-04T16:00:49.069Z","httpOnly":true,"path":"/"},"user":"ann","n":1})";
constexpr std::string_view node_lax =
    R"({"cookie":{"originalMaxAge":86400000,"expires":"2026-12-04T16:00:49.069Z","httpOnly":true,"path":"/","sameSite":"lax"},"user":"bob","roles":["a","b"],"score":1.5,"nested":{"x":null}})";
constexpr std::string_view node_all =
    R"({"cookie":{"originalMaxAge":3600000,"expires":"2026-12-04T16:00:49.069Z","secure":true,"httpOnly":false,"domain":"example.com","path":"/app","sameSite":"strict"}})";
constexpr std::string_view node_no_expiry =
    "{\"cookie\":{\"originalMaxAge\":null,\"expires\":null,\"httpOnly\":true,\"path\":\"/\"},\"u\":\"\xc3\xa9\xe2\x80\xa8\\\"\\n\"}";
}  // namespace

TEST_CASE("Date#toISOString and back") {
    CHECK(express::iso_date(fixed) == "2026-12-04T16:00:49.069Z");
    CHECK(express::iso_date(session_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
    CHECK(express::iso_date(session_clock::time_point{} + 951782400s + 5ms) == "2000-02-29T00:00:00.005Z");
    CHECK(express::parse_iso_date("1970-01-01T00:00:00Z") == session_clock::time_point{});
    CHECK(express::parse_iso_date("1970-01-01T00:00:00.5Z") == session_clock::time_point{} + 500ms);
    CHECK(express::parse_iso_date("2000-02-29T00:00:00.005Z") == session_clock::time_point{} + 951782400s + 5ms);
    CHECK_FALSE(express::parse_iso_date("2001-02-29T00:00:00.000Z"));  // no such day
    CHECK_FALSE(express::parse_iso_date("2026-12-04T16:00:49.069"));   // no zone
    CHECK_FALSE(express::parse_iso_date("2026-12-04 16:00:49.069Z"));
    CHECK_FALSE(express::parse_iso_date("2026-12-04T24:00:00.000Z"));
    CHECK_FALSE(express::parse_iso_date("2026-12-04T16:00:49.Z"));
    CHECK_FALSE(express::parse_iso_date(""));
}

TEST_CASE("the cookie object is express-session's Cookie#toJSON") {
    express::cookie_attributes a{.max_age = 60000ms};
    CHECK(express::stringify(express::make_cookie(a, fixed), boost::json::object{{"user", "ann"}, {"n", 1}}) ==
          node_default);
    a = {.max_age = 86400000ms, .same_site = http::cookie_same_site::lax};
    boost::json::object data{{"user", "bob"},
                             {"roles", boost::json::array{"a", "b"}},
                             {"score", 1.5},
                             {"nested", boost::json::object{{"x", nullptr}}}};
    CHECK(express::stringify(express::make_cookie(a, fixed), data) == node_lax);
    a = {.max_age = 3600000ms, .secure = true, .http_only = false, .domain = "example.com", .path = "/app",
         .same_site = http::cookie_same_site::strict};
    CHECK(express::stringify(express::make_cookie(a, fixed), {}) == node_all);
}

TEST_CASE("values Node wrote read back and re-serialize byte-equal") {
    const auto now = fixed - 30s;
    for (auto v : {node_default, node_lax, node_all, node_no_expiry}) {
        CAPTURE(v);
        auto r = redis_session_store::parse(v, now, 86400s);
        REQUIRE(r);
        CHECK(redis_session_store::serialize(*r) == v);
    }
    auto r = redis_session_store::parse(node_default, now, 86400s);
    CHECK(r->data.at("user").as_string() == "ann");
    CHECK(r->data.at("n").as_int64() == 1);
    CHECK_FALSE(r->data.contains("cookie"));
    CHECK(r->expires == fixed);
    // No expiry: the store's ttl.
    auto n = redis_session_store::parse(node_no_expiry, now, 86400s);
    CHECK(n->expires == now + 86400s);

    CHECK_FALSE(redis_session_store::parse("", now, 1s));
    CHECK_FALSE(redis_session_store::parse("[1]", now, 1s));
    CHECK_FALSE(redis_session_store::parse(R"({"user":"x"})", now, 1s));       // no cookie
    CHECK_FALSE(redis_session_store::parse(R"({"cookie":1,"user":"x"})", now, 1s));
    CHECK_FALSE(redis_session_store::parse(R"({"cookie":{})", now, 1s));       // truncated
}

TEST_CASE("saving keeps Node's cookie members and moves originalMaxAge and expires") {
    auto r = redis_session_store::parse(node_all, fixed, 86400s);
    REQUIRE(r);
    express::update_cookie(r->cookie, {.max_age = 7200000ms}, fixed + 1h);
    CHECK(redis_session_store::serialize(*r) ==
          R"({"cookie":{"originalMaxAge":7200000,"expires":"2026-12-04T17:00:49.069Z","secure":true,"httpOnly":false,"domain":"example.com","path":"/app","sameSite":"strict"}})");
    // A data member named "cookie" cannot shadow the cookie object.
    session_record s;
    s.data["cookie"] = "x";
    s.data["a"] = 1;
    express::update_cookie(s.cookie, {.max_age = 1000ms}, fixed);
    CHECK(redis_session_store::serialize(s) ==
          R"({"cookie":{"originalMaxAge":1000,"expires":"2026-12-04T16:00:49.069Z","httpOnly":true,"path":"/"},"a":1})");
}

TEST_CASE("TTL as connect-redis' getTTL") {
    CHECK(express::ttl_seconds(fixed, fixed - 60s, 86400s) == 60);
    CHECK(express::ttl_seconds(fixed, fixed - 59001ms, 86400s) == 60);  // Math.ceil
    CHECK(express::ttl_seconds(fixed, fixed - 1ms, 86400s) == 1);
    CHECK(express::ttl_seconds(fixed, fixed, 86400s) == 0);             // <= 0: DEL
    CHECK(express::ttl_seconds(fixed, fixed + 1500ms, 86400s) == -1);
    CHECK(express::ttl_seconds(std::nullopt, fixed, 86400s) == 86400);
    redis_session_store store;
    auto r = redis_session_store::parse(node_default, fixed - 60s, 86400s);
    CHECK(store.ttl_of(*r, fixed - 60s) == 60);
    auto n = redis_session_store::parse(node_no_expiry, fixed, 86400s);
    CHECK(store.ttl_of(*n, fixed) == 86400);
    CHECK(store.key("abc") == "sess:abc");
    redis_session_store prefixed({.prefix = "app:"});
    CHECK(prefixed.key("abc") == "app:abc");
}

TEST_CASE("the Redis store never blocks: the synchronous calls refuse") {
    redis_session_store store;
    CHECK(store.asynchronous());
    CHECK(store.keeps_cookie());
    CHECK_THROWS_AS(store.get("x"), std::logic_error);
    CHECK_THROWS_AS(store.set("x", {}), std::logic_error);
    CHECK_THROWS_AS(store.destroy("x"), std::logic_error);
    // Outside a server thread there is no shard to own a connection.
    CHECK_THROWS_AS(store.load("x", [](std::error_code, std::optional<session_record>) {}), std::logic_error);
}

TEST_CASE("the signed cookie value is cookie-signature's (connect.sid=s:<id>.<sig>)") {
    // node -e "require('cookie-signature').sign('AbCdEfGhIjKlMnOpQrStUvWxYz012345','keyboard cat')"
    session_options o;
    o.secrets = {"keyboard cat"};
    o.cookie_name = "connect.sid";
    CHECK(session_cookie_value(o, "AbCdEfGhIjKlMnOpQrStUvWxYz012345") ==
          "s:AbCdEfGhIjKlMnOpQrStUvWxYz012345.Rep3/Fvg0qav4rmx0KMMPMPLPqwiVeA7cAX7m1k6618");
    CHECK(session_id_from_cookies(
              o, "connect.sid=s%3AAbCdEfGhIjKlMnOpQrStUvWxYz012345.Rep3%2FFvg0qav4rmx0KMMPMPLPqwiVeA7cAX7m1k6618") ==
          std::optional<std::string>("AbCdEfGhIjKlMnOpQrStUvWxYz012345"));
}

// A store that answers later (posted), like Redis: exercises the session's
// asynchronous save path without a server.
namespace {
struct deferred_store final : session_store {
    std::vector<std::string> log;
    std::vector<std::function<void()>> queue;
    std::error_code fail_with;
    std::optional<session_record> get(std::string_view) override { throw std::logic_error("sync"); }
    void set(std::string_view, const session_record&) override { throw std::logic_error("sync"); }
    void destroy(std::string_view) override { throw std::logic_error("sync"); }
    void touch(std::string_view, session_clock::time_point) override { throw std::logic_error("sync"); }
    bool asynchronous() const noexcept override { return true; }
    bool keeps_cookie() const noexcept override { return true; }
    void save(std::string_view id, const session_record& r, done_handler h) override {
        log.push_back("SET " + std::string(id) + " " + redis_session_store::serialize(r).substr(0, 30));
        queue.push_back([this, h] { h(fail_with); });
    }
    void remove(std::string_view id, done_handler h) override {
        log.push_back("DEL " + std::string(id));
        queue.push_back([this, h] { h(fail_with); });
    }
    void refresh(std::string_view id, session_clock::time_point, done_handler h) override {
        log.push_back("EXPIRE " + std::string(id));
        queue.push_back([h] { h({}); });
    }
    void run() {
        auto q = std::move(queue);
        queue.clear();
        for (auto& f : q) f();
    }
};
}  // namespace

TEST_CASE("commit with an asynchronous store: waits for the store, regenerate removes the old entry, failure is reported") {
    deferred_store st;
    session_options o;
    o.store = &st;
    o.secrets = {"s"};
    session_record rec;
    rec.data["user"] = "ann";
    session s(&o, "old", rec, false);
    s.regenerate();
    s.set("n", 2);
    http::response res;
    int called = 0;
    std::error_code got;
    CHECK_FALSE(commit_session_async(res, s, o, false, [&](std::error_code ec) {
        ++called;
        got = ec;
    }));
    REQUIRE(st.log.size() == 2);
    CHECK(st.log[0] == "DEL old");
    CHECK(st.log[1].starts_with("SET " + s.id() + " {\"cookie\":{\"originalMaxAge\""));
    CHECK(called == 0);
    st.run();
    CHECK(called == 1);
    CHECK_FALSE(got);

    // Unchanged loaded session: EXPIRE, not waited for.
    st.log.clear();
    session u(&o, "u1", rec, false);
    CHECK(commit_session_async(res, u, o, false, [&](std::error_code) { ++called; }));
    CHECK(st.log == std::vector<std::string>{"EXPIRE u1"});
    st.run();
    CHECK(called == 1);

    // Destroy: DEL, waited for; the failure reaches the caller.
    st.log.clear();
    st.fail_with = runtime::redis_errc::not_connected;
    session d(&o, "d1", rec, false);
    d.destroy();
    CHECK_FALSE(commit_session_async(res, d, o, false, [&](std::error_code ec) {
        ++called;
        got = ec;
    }));
    CHECK(st.log == std::vector<std::string>{"DEL d1"});
    st.run();
    CHECK(called == 2);
    CHECK(got == runtime::redis_errc::not_connected);

    // A new, untouched session: nothing at all.
    st.log.clear();
    session n(&o, "n1", {}, true);
    CHECK(commit_session_async(res, n, o, false, [&](std::error_code) { ++called; }));
    CHECK(st.log.empty());
    CHECK(called == 2);
}
