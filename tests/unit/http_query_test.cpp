// Tests for duet/http/query.hpp: allocation-free query string access.
// Expected values were checked against Node's querystring.parse (Express 5's default).
#include <doctest/doctest.h>

#include <duet/http/query.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::string_view_literals;
namespace http = duet::http;

namespace {
using pairs = std::vector<std::pair<std::string_view, std::string_view>>;
pairs all(std::string_view q) {
    pairs v;
    for (auto [k, val] : http::query_params(q)) v.emplace_back(k, val);
    return v;
}
}  // namespace

TEST_CASE("iteration yields raw views in order, repeated keys included") {
    const std::string_view q = "a=1&b=two&a=3";
    CHECK(all(q) == pairs{{"a", "1"}, {"b", "two"}, {"a", "3"}});
    // Views point into the input: no copy was made.
    auto it = http::query_params(q).begin();
    CHECK(it->key.data() == q.data());
    CHECK(it->value.data() == q.data() + 2);
}

TEST_CASE("edge shapes: bare keys, empty values, empty keys, empty pairs") {
    CHECK(all("a") == pairs{{"a", ""}});
    CHECK(all("a=") == pairs{{"a", ""}});
    CHECK(all("=b") == pairs{{"", "b"}});
    CHECK(all("=") == pairs{{"", ""}});
    CHECK(all("&&a=1&&") == pairs{{"a", "1"}});
    CHECK(all("a=b=c") == pairs{{"a", "b=c"}});
    CHECK(all("a;b=c") == pairs{{"a;b", "c"}});  // ';' is not a separator
    CHECK(all("").empty());
    CHECK(all("&").empty());
    CHECK(all("&&&").empty());
    // Still-encoded: iteration never decodes.
    CHECK(all("k%20ey=v+1") == pairs{{"k%20ey", "v+1"}});
    // A value of a bare key is an empty view inside the input, not a dangling one.
    const std::string_view q = "flag";
    auto p = *http::query_params(q).begin();
    CHECK(p.value.empty());
    CHECK(p.value.data() == q.data() + 4);
}

TEST_CASE("raw_query_value finds the first value by decoded key") {
    const std::string_view q = "x=1&user+name=bob&user%20name=eve&empty=&flag";
    CHECK(http::raw_query_value(q, "x") == "1");
    CHECK(http::raw_query_value(q, "user name") == "bob");  // '+' and %20 both match, first wins
    CHECK(http::raw_query_value(q, "empty") == "");
    CHECK(http::raw_query_value(q, "flag") == "");
    CHECK_FALSE(http::raw_query_value(q, "missing").has_value());
    CHECK_FALSE(http::raw_query_value(q, "user+name").has_value());  // the lookup key is decoded text
    CHECK_FALSE(http::raw_query_value(q, "X").has_value());          // keys are case-sensitive
    CHECK_FALSE(http::raw_query_value("", "").has_value());
    CHECK(http::raw_query_value("=v", "") == "v");
    CHECK(http::query_has(q, "flag"));
    CHECK_FALSE(http::query_has(q, "fla"));
    static_assert(*http::raw_query_value("a=1&b=2", "b") == "2");
}

TEST_CASE("query_value decodes: '+' is space, malformed escapes kept literally") {
    const std::string_view q = "q=hello+world%21&bad=%zz%41+b&pct=100%&utf=caf%C3%A9&nul=a%00b";
    CHECK(http::query_value(q, "q") == "hello world!");
    CHECK(http::query_value(q, "bad") == "%zzA b");
    CHECK(http::query_value(q, "pct") == "100%");
    CHECK(http::query_value(q, "utf") == "caf\xC3\xA9");
    CHECK(http::query_value(q, "nul") == "a\0b"sv);
    CHECK_FALSE(http::query_value(q, "none").has_value());

    std::string out = "pre:";
    CHECK(http::query_value_append(out, q, "q"));
    CHECK(out == "pre:hello world!");
    CHECK_FALSE(http::query_value_append(out, q, "none"));
    CHECK(out == "pre:hello world!");
}

TEST_CASE("keys with malformed escapes and odd bytes") {
    // A key with a broken escape is matched by its literal text.
    CHECK(http::query_value("%=%", "%") == "%");
    CHECK(http::query_value("a%2=x", "a%2") == "x");
    // Non-ASCII and control bytes are data, not separators.
    CHECK(http::query_value("\xC3\xA9=\x01\xFF", "\xC3\xA9") == "\x01\xFF");
    CHECK(http::query_value("k=v\r\nX: y", "k") == "v\r\nX: y");
    // An embedded NUL does not end the string.
    CHECK(http::raw_query_value("a\0b=1&a=2"sv, "a") == "2");
    CHECK(http::raw_query_value("a\0b=1&a=2"sv, "a\0b"sv) == "1");
}

TEST_CASE("long query: linear walk, last pair reachable") {
    std::string q;
    for (int i = 0; i < 10000; ++i) {
        q += 'k';  // not "k" + to_string(i): GCC 12 -O3 raises a false -Wrestrict on that
        q += std::to_string(i);
        q += "=v&";
    }
    q += "target=found";
    CHECK(http::raw_query_value(q, "target") == "found");
    std::size_t n = 0;
    for ([[maybe_unused]] auto p : http::query_params(q)) ++n;
    CHECK(n == 10001);
}
