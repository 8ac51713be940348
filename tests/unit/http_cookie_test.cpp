// Tests for duet/http/cookie.hpp. Expected values were produced by npm cookie 0.7.2
// (the version Express 5 uses): cookie.parse for requests, cookie.serialize for
// Set-Cookie.
#include <doctest/doctest.h>

#include <duet/http/cookie.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::string_view_literals;
namespace http = duet::http;

namespace {
using pairs = std::vector<std::pair<std::string_view, std::string_view>>;
pairs all(std::string_view h) {
    pairs v;
    for (auto [n, val] : http::cookie_pairs(h)) v.emplace_back(n, val);
    return v;
}

std::string set_cookie(std::string_view name, std::string_view value, const http::cookie_options& o = {}) {
    std::string out;
    const auto err = http::set_cookie_append(out, name, value, o);
    REQUIRE(err == http::cookie_error::none);
    return out;
}

http::cookie_error set_cookie_error(std::string_view name, std::string_view value,
                                    const http::cookie_options& o = {}) {
    // Only called with input that must be rejected: nothing may reach the buffer.
    std::string out = "untouched";
    const auto err = http::set_cookie_append(out, name, value, o);
    CHECK(out == "untouched");
    return err;
}
}  // namespace

TEST_CASE("cookie header iteration: split, trim, unquote, skip pairs without '='") {
    CHECK(all("a=1; b=2") == pairs{{"a", "1"}, {"b", "2"}});
    CHECK(all(" a = 1 ; b\t=\t\"x y\" ") == pairs{{"a", "1"}, {"b", "x y"}});
    CHECK(all("a; b=1") == pairs{{"b", "1"}});
    CHECK(all("a=1;;b=2") == pairs{{"a", "1"}, {"b", "2"}});
    CHECK(all("a=b=c") == pairs{{"a", "b=c"}});
    CHECK(all("a=1;a=2") == pairs{{"a", "1"}, {"a", "2"}});  // iteration keeps duplicates
    CHECK(all("=v") == pairs{{"", "v"}});
    CHECK(all("").empty());
    CHECK(all(";;;").empty());
    CHECK(all("novalue").empty());
    // Quotes: only a matching pair is removed; a lone quote becomes empty (npm).
    CHECK(all("a=\"\"") == pairs{{"a", ""}});
    CHECK(all("a=\"") == pairs{{"a", ""}});
    CHECK(all("a=\"x") == pairs{{"a", "\"x"}});
    CHECK(all("a=x\"") == pairs{{"a", "x\""}});
    // Views into the header.
    const std::string_view h = "sid=abc";
    auto p = *http::cookie_pairs(h).begin();
    CHECK(p.name.data() == h.data());
    CHECK(p.value.data() == h.data() + 4);
}

TEST_CASE("cookie lookup: first occurrence wins, names are case-sensitive") {
    const std::string_view h = "A=1; a=2; a=3; sid=\"s%3Aabc\"";
    CHECK(http::raw_cookie_value(h, "a") == "2");
    CHECK(http::raw_cookie_value(h, "A") == "1");
    CHECK(http::raw_cookie_value(h, "sid") == "s%3Aabc");
    CHECK_FALSE(http::raw_cookie_value(h, "SID").has_value());
    CHECK_FALSE(http::raw_cookie_value(h, "si").has_value());
    CHECK_FALSE(http::raw_cookie_value("", "a").has_value());
    CHECK(http::cookie_value(h, "sid") == "s:abc");
    static_assert(*http::raw_cookie_value("x=1; y=2", "y") == "2");
}

TEST_CASE("cookie values: decoded only when every escape is valid") {
    CHECK(http::cookie_value("a=%41%42", "a") == "AB");
    CHECK(http::cookie_value("a=%C3%A9", "a") == "\xC3\xA9");
    CHECK(http::cookie_value("a=\"%41\"", "a") == "A");   // unquote, then decode
    CHECK(http::cookie_value("a=1+2", "a") == "1+2");     // '+' is not a space in cookies
    CHECK(http::cookie_value("a=%zz%41", "a") == "%zz%41");  // one bad escape: all raw
    CHECK(http::cookie_value("a=100%", "a") == "100%");
    CHECK(http::cookie_value("a=", "a") == "");
    CHECK(http::cookie_value("a=%00", "a") == "\0"sv);
    CHECK_FALSE(http::cookie_value("a=1", "b").has_value());

    std::string out = "v:";
    CHECK(http::cookie_value_append(out, "k=%20", "k"));
    CHECK(out == "v: ");
    CHECK_FALSE(http::cookie_value_append(out, "k=%20", "x"));
    CHECK(out == "v: ");
}

TEST_CASE("cookie header with hostile bytes stays within the header") {
    // Non-ASCII, controls and NUL are data; nothing reads past the view.
    CHECK(http::cookie_value("\xC3\xA9=\xFF\x01; b=2", "\xC3\xA9") == "\xFF\x01");
    CHECK(http::raw_cookie_value("a=1\0; b=2"sv, "b") == "2");
    CHECK(http::raw_cookie_value("a=1\0; b=2"sv, "a") == "1\0"sv);
    std::string big(100000, 'x');
    big += "=1; target=yes";
    CHECK(http::raw_cookie_value(big, "target") == "yes");
}

TEST_CASE("Set-Cookie: attribute order and spelling of npm cookie serialize") {
    using namespace std::chrono;
    CHECK(set_cookie("foo", "bar") == "foo=bar");
    CHECK(set_cookie("foo", "a b;c") == "foo=a%20b%3Bc");

    http::cookie_options o;
    o.max_age = seconds(3600);
    o.domain = "example.com";
    o.path = "/";
    o.expires = system_clock::time_point{} + seconds(1445412480) + milliseconds(500);
    o.http_only = true;
    o.secure = true;
    o.partitioned = true;
    o.priority = http::cookie_priority::high;
    o.same_site = http::cookie_same_site::lax;
    CHECK(set_cookie("foo", "bar", o) ==
          "foo=bar; Max-Age=3600; Domain=example.com; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT; "
          "HttpOnly; Secure; Partitioned; Priority=High; SameSite=Lax");

    CHECK(set_cookie("foo", "", {.max_age = seconds(0)}) == "foo=; Max-Age=0");
    CHECK(set_cookie("foo", "x",
                     {.max_age = seconds(-1), .priority = http::cookie_priority::low,
                      .same_site = http::cookie_same_site::none}) ==
          "foo=x; Max-Age=-1; Priority=Low; SameSite=None");
    CHECK(set_cookie("a", "b", {.priority = http::cookie_priority::medium,
                                .same_site = http::cookie_same_site::strict}) ==
          "a=b; Priority=Medium; SameSite=Strict");
    // res.clearCookie's shape: epoch expiry.
    CHECK(set_cookie("sid", "", {.expires = system_clock::time_point{}, .path = "/"}) ==
          "sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    // Empty path/domain mean "no attribute".
    CHECK(set_cookie("a", "b", {.path = "", .domain = ""}) == "a=b");
    // Appends after what is already in the buffer.
    std::string out = "Set-Cookie: ";
    CHECK(http::set_cookie_append(out, "k", "v") == http::cookie_error::none);
    CHECK(out == "Set-Cookie: k=v");
}

TEST_CASE("Set-Cookie: encoded values can never inject a header or attribute") {
    CHECK(set_cookie("s", "x\r\nSet-Cookie: admin=1") == "s=x%0D%0ASet-Cookie%3A%20admin%3D1");
    CHECK(set_cookie("s", "v; Domain=evil.com") == "s=v%3B%20Domain%3Devil.com");
    CHECK(set_cookie("s", "\"q\"\\,\0\xFF"sv) == "s=%22q%22%5C%2C%00%FF");
    CHECK(set_cookie("s", "s:abc.def+/=") == "s=s%3Aabc.def%2B%2F%3D");
}

TEST_CASE("Set-Cookie: invalid names are rejected") {
    for (std::string_view bad : {""sv, "a b"sv, "a;b"sv, "a=b"sv, "a\r\nb"sv, "a\0"sv, "a\xC3\xA9"sv,
                                 "a,b"sv, "\"a\""sv, "a\tb"sv}) {
        CAPTURE(bad);
        CHECK(set_cookie_error(bad, "v") == http::cookie_error::invalid_name);
    }
    CHECK(set_cookie("!#$%&*+-.^_`|~", "v") == "!#$%&*+-.^_`|~=v");
}

TEST_CASE("Set-Cookie: domain validation (npm cookie's domain rule)") {
    CHECK(set_cookie("a", "b", {.domain = ".example.com"}) == "a=b; Domain=.example.com");
    CHECK(set_cookie("a", "b", {.domain = "ex-ample.com"}) == "a=b; Domain=ex-ample.com");
    CHECK(set_cookie("a", "b", {.domain = "LOCALHOST"}) == "a=b; Domain=LOCALHOST");
    CHECK(set_cookie("a", "b", {.domain = "127.0.0.1"}) == "a=b; Domain=127.0.0.1");
    const std::string label63(63, 'x'), label64(64, 'x');
    const std::string ok = label63 + ".com", too_long = label64 + ".com";
    CHECK(set_cookie("a", "b", {.domain = ok}) == "a=b; Domain=" + ok);
    for (std::string_view bad : {"-bad.com"sv, "bad-.com"sv, "a..b"sv, "a.b."sv, "."sv, ".."sv,
                                 "exa_mple.com"sv, "example.com\n"sv, "example.com; Secure"sv,
                                 "ex ample.com"sv, "\xC3\xA9.com"sv, "a\0.com"sv, "a.-b"sv,
                                 std::string_view(too_long)}) {
        CAPTURE(bad);
        CHECK(set_cookie_error("a", "b", {.domain = bad}) == http::cookie_error::invalid_domain);
    }
}

TEST_CASE("Set-Cookie: path validation") {
    CHECK(set_cookie("a", "b", {.path = "/a b"}) == "a=b; Path=/a b");
    CHECK(set_cookie("a", "b", {.path = "/x?y=1#z"}) == "a=b; Path=/x?y=1#z");
    for (std::string_view bad : {"/a;b"sv, "/a\r\nX: y"sv, "/a\0"sv, "/\xC3\xA9"sv, "/\x7F"sv, "/\t"sv}) {
        CAPTURE(bad);
        CHECK(set_cookie_error("a", "b", {.path = bad}) == http::cookie_error::invalid_path);
    }
}

TEST_CASE("Set-Cookie: raw (unencoded) values must be cookie-values") {
    const http::cookie_options raw{.encode = false};
    CHECK(set_cookie("a", "\"abc\"", raw) == "a=\"abc\"");
    CHECK(set_cookie("a", "s%3Aabc", raw) == "a=s%3Aabc");
    CHECK(set_cookie("a", "", raw) == "a=");
    for (std::string_view bad : {"a b"sv, "a,b"sv, "a\\b"sv, "\"a"sv, "a;b"sv, "a\r\n"sv, "\xC3\xA9"sv,
                                 "a\"b"sv, "\0"sv}) {
        CAPTURE(bad);
        CHECK(set_cookie_error("a", bad, raw) == http::cookie_error::invalid_value);
    }
    CHECK(http::to_string(http::cookie_error::invalid_value) == "cookie value is invalid");
}
