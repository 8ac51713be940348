// Tests for duet/http/form.hpp. The expected fields of every form were printed by
// qs 6.17 with the options body-parser 2.4 passes for express.urlencoded() (extended:
// false: depth 0, allowPrototypes, parameterLimit 1000), i.e. Express 5's req.body.
#include <doctest/doctest.h>

#include <duet/http/form.hpp>

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace http = duet::http;
namespace json = boost::json;

namespace {
struct form_case {
    const char* body;  // already text (UTF-8)
    bool latin1;
    const char* expected;
};
}  // namespace

TEST_CASE("parse_form: the fields Express 5's express.urlencoded() gives, form by form") {
    const form_case cases[] = {
        {"a=1&a=2&b=x+y", false, R"({"a":["1","2"],"b":"x y"})"},
        {"a[b]=c&a[d]=e", false, R"({"a[b]":"c","a[d]":"e"})"},
        {"a[]=1&a[]=2", false, R"({"a[]":["1","2"]})"},
        {"=x&y&z=", false, R"({"y":"","z":""})"},
        {"a=%zz%41&%E2%82%AC=%E2%82", false, R"({"a":"%zz%41","€":"%E2%82"})"},
        {"a=1&&b=2&", false, R"({"a":"1","b":"2"})"},
        {"__proto__=1&hasOwnProperty=2", false, R"({"hasOwnProperty":"2"})"},
        {"a%5Bb%5D=c", false, R"({"a[b]":"c"})"},
        {"a=1;b=2", false, R"({"a":"1;b=2"})"},
        {"x=%FF", false, R"({"x":"%FF"})"},
        {"[x]=1", false, R"({"x":"1"})"},
        {"[]=x&[]=y", false, R"({"0":"x","1":"y"})"},
        {"[]=x&[0]=y", false, R"({"0":["x","y"]})"},
        {"a=1&[a]=2", false, R"({"a":["1","2"]})"},
        {"a]=b=c", false, R"({"a]":"b=c"})"},
        {"x=1&x", false, R"({"x":["1",""]})"},
        {"[__proto__]=1", false, R"({})"},
        {"a=%C3", false, R"({"a":"%C3"})"},
        {"a=%c3%a9+%2B", false, R"({"a":"é +"})"},
        {"+a+=+", false, R"({" a ":" "})"},
        {"a=%", false, R"({"a":"%"})"},
        {"a=%4", false, R"({"a":"%4"})"},
        {"toString=1&a=%E2%82%AC%zz", false, R"({"toString":"1","a":"%E2%82%AC%zz"})"},
        {"k=%ED%A0%80", false, R"({"k":"%ED%A0%80"})"},
        {"k=%F0%9F%98%80&k=%f0%9f%98%80", false, R"({"k":["😀","😀"]})"},
        {"", false, R"({})"},
        {"a=%E9%zz+b", true, R"({"a":"é%zz b"})"},
        {"\xc3""\xa9""=%FF", true, R"({"é":"ÿ"})"},
        {"a=%41%4", true, R"({"a":"A%4"})"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.body);
        const auto r = http::parse_form(c.body, c.latin1);
        CHECK(r.error_status == 0);
        CHECK(json::value(r.fields) == json::parse(c.expected));
    }
}

TEST_CASE("parse_form: more pairs than the limit is 413, counted as body-parser counts (empty ones too)") {
    std::string body;
    for (int i = 0; i < 1000; ++i) body += (i ? "&" : "") + std::string("k") + std::to_string(i) + "=v";
    CHECK(http::parse_form(body).error_status == 0);
    CHECK(http::parse_form(body + "&").error_status == 413);
    CHECK(http::parse_form(std::string(1000, '&')).error == "too many parameters");
    CHECK(http::parse_form("a=1&b=2&c=3", false, {.max_parameters = 2}).error_status == 413);
}

TEST_CASE("decode_text: utf-8 with U+FFFD for each maximal ill-formed subpart, iso-8859-1, others refused") {
    std::string out;
    CHECK(http::decode_text("a\xC3\xA9\xFF\xE2\x82z\xF0\x9F\x98", "", out));
    CHECK(out == "a\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD");
    out.clear();
    CHECK(http::decode_text("\xE9t\xE9", "iso-8859-1", out));
    CHECK(out == "\xC3\xA9t\xC3\xA9");
    out.clear();
    CHECK_FALSE(http::decode_text("x", "utf-16le", out));
}

TEST_CASE("Content-Type: media type and charset") {
    CHECK(http::media_type_of(" Application/X-WWW-Form-Urlencoded ; charset=UTF-8") == "Application/X-WWW-Form-Urlencoded");
    CHECK(http::content_type_charset("text/plain; charset=\"ISO-8859-1\"") == "iso-8859-1");
    CHECK(http::content_type_charset("text/plain;format=flowed; Charset = utf-8 ") == "utf-8");
    CHECK(http::content_type_charset("text/plain") == "");
}

namespace {
struct signup {
    std::string name;
    int age = 0;
    bool newsletter = false;
    std::optional<double> score;
    std::vector<std::string> tags;
    std::vector<int> ids;
};
BOOST_DESCRIBE_STRUCT(signup, (), (name, age, newsletter, score, tags, ids))
}  // namespace

TEST_CASE("coerce_form_fields: numbers and booleans from text, repeated keys as vectors, absent bool false") {
    auto r = http::parse_form("name=Ada&age=36&tags=a&tags=b&ids=7&score=2.5");
    http::coerce_form_fields<signup>(r.fields);
    const auto s = json::value_to<signup>(json::value(r.fields));
    CHECK(s.name == "Ada");
    CHECK(s.age == 36);
    CHECK_FALSE(s.newsletter);
    CHECK(s.score == 2.5);
    CHECK(s.tags == std::vector<std::string>{"a", "b"});
    CHECK(s.ids == std::vector<int>{7});

    auto on = http::parse_form("name=x&age=1&newsletter=on");
    http::coerce_form_fields<signup>(on.fields);
    CHECK(json::value_to<signup>(json::value(on.fields)).newsletter);

    // What does not convert stays text: the conversion then fails on that member.
    auto bad = http::parse_form("name=x&age=old&newsletter=maybe&ids=1&ids=z");
    http::coerce_form_fields<signup>(bad.fields);
    CHECK(bad.fields.at("age") == "old");
    CHECK(bad.fields.at("newsletter") == "maybe");
    CHECK(bad.fields.at("ids").as_array()[1] == "z");
    CHECK(bad.fields.at("ids").as_array()[0] == 1);
    auto big = http::parse_form("age=99999999999");
    http::coerce_form_fields<signup>(big.fields);
    CHECK(big.fields.at("age").is_int64());  // out of int's range: value_to<int> reports it
}
