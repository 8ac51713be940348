// http/signed_cookie.hpp + http/session.hpp: signatures compatible with npm
// cookie-signature, secret rotation, tampering, the in-memory store (expiry, touch,
// destroy), loading and committing sessions.
#include <doctest/doctest.h>

#include <thread>

#include <duet/http/response.hpp>
#include <duet/session/session.hpp>
#include <duet/session/signed_cookie.hpp>

using namespace duet;
using namespace std::chrono_literals;

TEST_CASE("signatures are byte-identical to npm cookie-signature") {
    // node -e "require('cookie-signature').sign('hello','tobiiscool')"
    CHECK(http::sign_value("hello", "tobiiscool") == "hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI");
    CHECK(http::sign_value("abc.def", "k2") == "abc.def.g7XMa+5OmJH/MvNpcJjDO4Dm7AorBWSKc0oNIr1gNAo");
}

TEST_CASE("unsign accepts only an intact value signed with a known secret") {
    std::vector<std::string> secrets{"new", "old"};
    auto by_new = http::sign_value("sid123", "new");
    auto by_old = http::sign_value("sid123", "old");
    CHECK(http::unsign_value(by_new, secrets) == std::optional<std::string_view>("sid123"));
    CHECK(http::unsign_value(by_old, secrets) == std::optional<std::string_view>("sid123"));  // rotation
    CHECK_FALSE(http::unsign_value(http::sign_value("sid123", "other"), secrets));
    std::string tampered = by_new;
    tampered[0] = 'x';  // value changed, signature kept
    CHECK_FALSE(http::unsign_value(tampered, secrets));
    std::string bad_sig = by_new;
    bad_sig.back() = bad_sig.back() == 'A' ? 'B' : 'A';
    CHECK_FALSE(http::unsign_value(bad_sig, secrets));
    CHECK_FALSE(http::unsign_value("sid123", secrets));        // unsigned
    CHECK_FALSE(http::unsign_value("sid123.", secrets));       // empty signature
    CHECK_FALSE(http::unsign_value(by_new + "x", secrets));    // longer signature
    CHECK_FALSE(http::unsign_value("", secrets));
    CHECK_FALSE(http::unsign_value(by_new, std::vector<std::string>{}));
}

TEST_CASE("memory store: get/set/destroy, expiry, touch") {
    memory_session_store store;
    session_record r;
    r.data["name"] = "ada";
    r.expires = session_clock::now() + 1h;
    store.set("a", r);
    auto got = store.get("a");
    REQUIRE(got);
    CHECK(got->data.at("name").as_string() == "ada");
    CHECK_FALSE(store.get("b"));
    store.destroy("a");
    CHECK_FALSE(store.get("a"));

    r.expires = session_clock::now() + 50ms;
    store.set("short", r);
    CHECK(store.get("short"));
    store.touch("short", session_clock::now() + 1h);
    std::this_thread::sleep_for(80ms);
    CHECK(store.get("short"));  // touched: still there
    r.expires = session_clock::now() + 20ms;
    store.set("expiring", r);
    std::this_thread::sleep_for(40ms);
    CHECK_FALSE(store.get("expiring"));
    CHECK(store.size() == 1);  // expired entries are pruned
}

TEST_CASE("load_session: a valid cookie finds the stored session, anything else starts a new one") {
    memory_session_store store;
    session_options o;
    o.store = &store;
    o.secrets = {"s3cret"};
    session_record r;
    r.data["user"] = "bob";
    r.expires = session_clock::now() + 1h;
    store.set("ID1", r);

    auto cookie = "duet.sid=" + http::percent_encode(session_cookie_value(o, "ID1"));
    auto s = load_session(o, std::string_view(cookie));
    CHECK_FALSE(s.is_new());
    CHECK(s.id() == "ID1");
    CHECK(s.get_string("user") == "bob");

    CHECK(load_session(o, std::nullopt).is_new());
    CHECK(load_session(o, std::string_view("duet.sid=s%3AID1.forged")).is_new());
    CHECK(load_session(o, std::string_view("other=1")).is_new());
    o.secrets = {"rotated", "s3cret"};
    CHECK(load_session(o, std::string_view(cookie)).id() == "ID1");  // old secret still verifies
    session_options none;
    CHECK_THROWS_AS(load_session(none, std::nullopt), std::logic_error);
}

TEST_CASE("commit: nothing for an untouched new session; store + signed cookie when written; regenerate; destroy") {
    memory_session_store store;
    session_options o;
    o.store = &store;
    o.secrets = {"k"};
    o.max_age = std::chrono::seconds(3600);

    http::response res;
    auto fresh = load_session(o, std::nullopt);
    duet::commit_session(res, fresh, o, false);
    CHECK_FALSE(res.get("set-cookie"));  // saveUninitialized = false
    CHECK(store.size() == 0);

    fresh.set("name", "ada");
    duet::commit_session(res, fresh, o, false);
    auto set_cookie = res.get("set-cookie");
    REQUIRE(set_cookie);
    const std::string expected_prefix = "duet.sid=" + http::percent_encode(session_cookie_value(o, fresh.id())) + "; Max-Age=3600; Path=/; Expires=";
    CHECK(set_cookie->substr(0, expected_prefix.size()) == expected_prefix);
    CHECK(set_cookie->find("; HttpOnly; SameSite=Lax") != std::string_view::npos);
    REQUIRE(store.get(fresh.id()));
    CHECK(store.get(fresh.id())->data.at("name").as_string() == "ada");

    // Login: a new id, the old one is gone from the store.
    auto cookie = "duet.sid=" + http::percent_encode(session_cookie_value(o, fresh.id()));
    auto loaded = load_session(o, std::string_view(cookie));
    const std::string old_id = loaded.id();
    loaded.regenerate();
    CHECK(loaded.id() != old_id);
    http::response res2;
    duet::commit_session(res2, loaded, o, false);
    CHECK_FALSE(store.get(old_id));
    CHECK(store.get(loaded.id()));

    // Logout: destroyed in the store, cookie cleared.
    auto cookie2 = "duet.sid=" + http::percent_encode(session_cookie_value(o, loaded.id()));
    auto again = load_session(o, std::string_view(cookie2));
    again.destroy();
    http::response res3;
    duet::commit_session(res3, again, o, false);
    CHECK_FALSE(store.get(loaded.id()));
    REQUIRE(res3.get("set-cookie"));
    CHECK(res3.get("set-cookie")->find("duet.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT") == 0);
}

TEST_CASE("commit: a Secure cookie only answers a secure request; secure_auto follows the request (express-session)") {
    memory_session_store store;
    session_options o;
    o.store = &store;
    o.secrets = {"k"};
    o.secure = true;

    // Plain request: the session is saved, no cookie is sent (express-session: "not secured").
    auto plain = load_session(o, std::nullopt);
    plain.set("n", 1);
    http::response res;
    duet::commit_session(res, plain, o, false);
    CHECK_FALSE(res.get("set-cookie"));
    CHECK(store.get(plain.id()));

    // Secure request (HTTPS, or a trusted proxy's X-Forwarded-Proto: https).
    auto tls = load_session(o, std::nullopt);
    tls.set("n", 1);
    http::response res2;
    duet::commit_session(res2, tls, o, true);
    REQUIRE(res2.get("set-cookie"));
    CHECK(res2.get("set-cookie")->find("; Secure") != std::string_view::npos);

    // 'auto': Secure exactly when the request is.
    o.secure = false;
    o.secure_auto = true;
    for (bool secure_request : {false, true}) {
        auto s = load_session(o, std::nullopt);
        s.set("n", 1);
        http::response r;
        duet::commit_session(r, s, o, secure_request);
        REQUIRE(r.get("set-cookie"));
        CHECK((r.get("set-cookie")->find("; Secure") != std::string_view::npos) == secure_request);
    }
}

TEST_CASE("session values: JSON values, C strings and std::string alike") {
    memory_session_store store;
    session_options o;
    o.store = &store;
    o.secrets = {"k"};
    auto s = load_session(o, std::nullopt);
    const std::string name = "ada";
    s.set("user", name);                       // std::string: stored as a JSON string
    s.set("role", "admin");                    // const char*
    s.set("visits", 3);                        // a JSON number
    s.set("tags", boost::json::array{"a", "b"});
    CHECK(s.get_string("user") == std::optional<std::string>("ada"));
    CHECK(s.get_string("role") == std::optional<std::string>("admin"));
    REQUIRE(s.get("visits"));
    CHECK(s.get("visits")->as_int64() == 3);
    CHECK(s.get("tags")->as_array().size() == 2);
    CHECK(s.modified());
}
