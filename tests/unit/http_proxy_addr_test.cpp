// Tests for duet/http/proxy_addr.hpp. Every expected chain and error message was
// printed by proxy-addr 2.0.8 through Express 5.3's compileTrust (the `trust proxy`
// setting) for the same value, peer address and X-Forwarded-For header.
#include <doctest/doctest.h>

#include <duet/http/proxy_addr.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace http = duet::http;

namespace {
struct chain_case {
    http::trust_proxy trust;
    const char* peer;
    const char* forwarded_for;
    std::vector<std::string> chain;
};
}  // namespace

TEST_CASE("trusted_address_chain: the chain proxy-addr computes for each kind of trust") {
    const std::vector<chain_case> cases = {
        {false, "127.0.0.1", "1.2.3.4", {"127.0.0.1"}},
        {true, "127.0.0.1", "1.2.3.4, 5.6.7.8", {"127.0.0.1", "5.6.7.8", "1.2.3.4"}},
        {1, "127.0.0.1", "1.2.3.4, 5.6.7.8", {"127.0.0.1", "5.6.7.8"}},
        {2, "127.0.0.1", "1.2.3.4, 5.6.7.8", {"127.0.0.1", "5.6.7.8", "1.2.3.4"}},
        {5, "127.0.0.1", " 1.2.3.4 ,, 5.6.7.8 , ", {"127.0.0.1", "5.6.7.8", "1.2.3.4"}},
        {"loopback", "127.0.0.1", "1.2.3.4, 127.0.0.2", {"127.0.0.1", "127.0.0.2", "1.2.3.4"}},
        {"loopback", "10.0.0.1", "1.2.3.4", {"10.0.0.1"}},
        {"loopback", "::1", "2001:db8::1", {"::1", "2001:db8::1"}},
        {"loopback", "::ffff:127.0.0.1", "9.9.9.9", {"::ffff:127.0.0.1", "9.9.9.9"}},
        {"uniquelocal", "10.1.2.3", "192.168.4.5, 172.20.0.1, 8.8.8.8, 172.32.0.1", {"10.1.2.3", "172.32.0.1"}},
        {"linklocal, loopback", "169.254.1.1", "fe80::1%eth0, unknown, 1.1.1.1", {"169.254.1.1", "1.1.1.1"}},
        {"10.0.0.0/255.0.0.0", "10.9.9.9", "11.0.0.1", {"10.9.9.9", "11.0.0.1"}},
        {"::ffff:127.0.0.1", "127.0.0.1", "3.3.3.3", {"127.0.0.1", "3.3.3.3"}},
        {"::ffff:127.0.0.0/104", "127.0.0.5", "3.3.3.3", {"127.0.0.5", "3.3.3.3"}},
        {"::ffff:127.0.0.0/104", "::ffff:127.0.0.5", "3.3.3.3", {"::ffff:127.0.0.5", "3.3.3.3"}},
        {"::/1", "::1", "4.4.4.4", {"::1", "4.4.4.4"}},
        {"2001:db8::/32", "2001:db8:1::5", "::ffff:10.0.0.1, 2001:db9::1", {"2001:db8:1::5", "2001:db9::1"}},
        {"127.0.0.1", "::ffff:127.0.0.1", "a b, c", {"::ffff:127.0.0.1", "c"}},
        {"0.0.0.0/1", "127.0.0.1", "128.0.0.1, 1.0.0.1", {"127.0.0.1", "1.0.0.1", "128.0.0.1"}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.peer);
        CAPTURE(c.forwarded_for);
        CHECK(http::trusted_address_chain(c.trust, c.peer, c.forwarded_for) == c.chain);
    }
}

TEST_CASE("trust_proxy: entries proxy-addr refuses throw its message") {
    CHECK_THROWS_WITH_AS(http::trust_proxy(""), "invalid IP address: ", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("loopback,"), "invalid IP address: ", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("10.0.0.1/33"), "invalid range on address: 10.0.0.1/33", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("10.0.0.1/0"), "invalid range on address: 10.0.0.1/0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("10.0.0.1/"), "invalid range on address: 10.0.0.1/", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("::1/129"), "invalid range on address: ::1/129", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("10.0.0.0/255.0.255.0"), "invalid range on address: 10.0.0.0/255.0.255.0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("10.0.0.0/ff"), "invalid range on address: 10.0.0.0/ff", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("1.2.3"), "invalid IP address: 1.2.3", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("localhost"), "invalid IP address: localhost", std::invalid_argument);
    CHECK_THROWS_WITH_AS(http::trust_proxy("::1/255.0.0.0"), "invalid range on address: ::1/255.0.0.0", std::invalid_argument);
}

TEST_CASE("trust_proxy: hops, all, none") {
    CHECK_FALSE(http::trust_proxy{}.enabled());
    CHECK_FALSE(http::trust_proxy(false).enabled());
    CHECK_FALSE(http::trust_proxy(0).enabled());
    CHECK(http::trust_proxy(true).trusts("not an address", 7));
    const http::trust_proxy two(2);
    CHECK(two.trusts("x", 0));
    CHECK(two.trusts("x", 1));
    CHECK_FALSE(two.trusts("x", 2));
}

TEST_CASE("trust_proxy: address lists never trust what is not an address") {
    const http::trust_proxy t("loopback, 10.0.0.0/8");
    CHECK(t.trusts("127.0.0.1", 0));
    CHECK(t.trusts("::1", 0));
    CHECK(t.trusts("::ffff:127.9.9.9", 0));
    CHECK(t.trusts("10.255.255.255", 3));
    CHECK_FALSE(t.trusts("11.0.0.0", 0));
    CHECK_FALSE(t.trusts("", 0));
    CHECK_FALSE(t.trusts("127.0.0.1:80", 0));
    CHECK_FALSE(t.trusts("127.1", 0));  // shorthand: proxy-addr refuses it too
    CHECK_FALSE(t.trusts(" 127.0.0.1", 0));
    CHECK_FALSE(t.trusts("::2", 0));
    CHECK_FALSE(t.trusts(std::string(100, '1'), 0));
    CHECK_FALSE(t.trusts("fe80::1%", 0));
}

TEST_CASE("for_each_forwarded_for splits as the npm forwarded package") {
    std::vector<std::string> got;
    http::for_each_forwarded_for(" a , b c,,d ,", [&](std::string_view e) { got.emplace_back(e); });
    CHECK(got == std::vector<std::string>{"d", "b c", "a"});
    got.clear();
    http::for_each_forwarded_for("", [&](std::string_view e) { got.emplace_back(e); });
    CHECK(got.empty());
    http::for_each_forwarded_for(" , ,", [&](std::string_view e) { got.emplace_back(e); });
    CHECK(got.empty());
}
