// http/accept.hpp and http/content_disposition.hpp: Express's req.accepts choice and
// res.attachment/res.download header, against vectors printed by the npm packages
// Express 5.3 runs on (accepts 2.0.0 + negotiator 1.1.0; content-disposition 2.0.1),
// broken and odd headers included.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include <duet/http/accept.hpp>
#include <duet/http/content_disposition.hpp>

using namespace duet::http;

namespace {

struct accept_case {
    bool has_header;
    std::string_view accept;
    std::vector<std::string_view> offered;
    int expected;  // index in offered, -1: none acceptable
};

// node -e: accepts({headers: {accept}}).types(offered)
const accept_case accept_cases[] = {
    {false, "", {"json", "html", "text/plain"}, 0},
    {false, "", {"html", "json"}, 0},
    {false, "", {"text/html", "application/json"}, 0},
    {false, "", {"png", "jpg"}, 0},
    {false, "", {"application/json; charset=utf-8", "text/html"}, 0},
    {false, "", {"text/plain;format=flowed", "text/plain"}, 0},
    {false, "", {"xml", "unknownext", "json"}, 0},
    {true, "", {"json", "html", "text/plain"}, 0},
    {true, "", {"html", "json"}, 0},
    {true, "", {"text/html", "application/json"}, 0},
    {true, "", {"png", "jpg"}, 0},
    {true, "", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "", {"xml", "unknownext", "json"}, 0},
    {true, "*/*", {"json", "html", "text/plain"}, 0},
    {true, "*/*", {"html", "json"}, 0},
    {true, "*/*", {"text/html", "application/json"}, 0},
    {true, "*/*", {"png", "jpg"}, 0},
    {true, "*/*", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "*/*", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "*/*", {"xml", "unknownext", "json"}, 0},
    {true, "text/html", {"json", "html", "text/plain"}, 1},
    {true, "text/html", {"html", "json"}, 0},
    {true, "text/html", {"text/html", "application/json"}, 0},
    {true, "text/html", {"png", "jpg"}, -1},
    {true, "text/html", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "text/html", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "text/html", {"xml", "unknownext", "json"}, -1},
    {true, "application/json", {"json", "html", "text/plain"}, 0},
    {true, "application/json", {"html", "json"}, 1},
    {true, "application/json", {"text/html", "application/json"}, 1},
    {true, "application/json", {"png", "jpg"}, -1},
    {true, "application/json", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "application/json", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "application/json", {"xml", "unknownext", "json"}, 2},
    {true, "text/*", {"json", "html", "text/plain"}, 1},
    {true, "text/*", {"html", "json"}, 0},
    {true, "text/*", {"text/html", "application/json"}, 0},
    {true, "text/*", {"png", "jpg"}, -1},
    {true, "text/*", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "text/*", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "text/*", {"xml", "unknownext", "json"}, -1},
    {true, "image/png", {"json", "html", "text/plain"}, -1},
    {true, "image/png", {"html", "json"}, -1},
    {true, "image/png", {"text/html", "application/json"}, -1},
    {true, "image/png", {"png", "jpg"}, 0},
    {true, "image/png", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "image/png", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "image/png", {"xml", "unknownext", "json"}, -1},
    {true, "application/json;q=0.5, text/html;q=0.8", {"json", "html", "text/plain"}, 1},
    {true, "application/json;q=0.5, text/html;q=0.8", {"html", "json"}, 0},
    {true, "application/json;q=0.5, text/html;q=0.8", {"text/html", "application/json"}, 0},
    {true, "application/json;q=0.5, text/html;q=0.8", {"png", "jpg"}, -1},
    {true, "application/json;q=0.5, text/html;q=0.8", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "application/json;q=0.5, text/html;q=0.8", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "application/json;q=0.5, text/html;q=0.8", {"xml", "unknownext", "json"}, 2},
    {true, "text/html;q=0, */*", {"json", "html", "text/plain"}, 0},
    {true, "text/html;q=0, */*", {"html", "json"}, 1},
    {true, "text/html;q=0, */*", {"text/html", "application/json"}, 1},
    {true, "text/html;q=0, */*", {"png", "jpg"}, 0},
    {true, "text/html;q=0, */*", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "text/html;q=0, */*", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "text/html;q=0, */*", {"xml", "unknownext", "json"}, 0},
    {true, "*/*;q=0.1, application/json", {"json", "html", "text/plain"}, 0},
    {true, "*/*;q=0.1, application/json", {"html", "json"}, 1},
    {true, "*/*;q=0.1, application/json", {"text/html", "application/json"}, 1},
    {true, "*/*;q=0.1, application/json", {"png", "jpg"}, 0},
    {true, "*/*;q=0.1, application/json", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "*/*;q=0.1, application/json", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "*/*;q=0.1, application/json", {"xml", "unknownext", "json"}, 2},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"json", "html", "text/plain"}, 1},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"html", "json"}, 0},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"text/html", "application/json"}, 0},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"png", "jpg"}, 0},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", {"xml", "unknownext", "json"}, 0},
    {true, "application/*", {"json", "html", "text/plain"}, 0},
    {true, "application/*", {"html", "json"}, 1},
    {true, "application/*", {"text/html", "application/json"}, 1},
    {true, "application/*", {"png", "jpg"}, -1},
    {true, "application/*", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "application/*", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "application/*", {"xml", "unknownext", "json"}, 0},
    {true, "TEXT/HTML", {"json", "html", "text/plain"}, 1},
    {true, "TEXT/HTML", {"html", "json"}, 0},
    {true, "TEXT/HTML", {"text/html", "application/json"}, 0},
    {true, "TEXT/HTML", {"png", "jpg"}, -1},
    {true, "TEXT/HTML", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "TEXT/HTML", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "TEXT/HTML", {"xml", "unknownext", "json"}, -1},
    {true, "text/html;level=1", {"json", "html", "text/plain"}, -1},
    {true, "text/html;level=1", {"html", "json"}, -1},
    {true, "text/html;level=1", {"text/html", "application/json"}, -1},
    {true, "text/html;level=1", {"png", "jpg"}, -1},
    {true, "text/html;level=1", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "text/html;level=1", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "text/html;level=1", {"xml", "unknownext", "json"}, -1},
    {true, "foo", {"json", "html", "text/plain"}, -1},
    {true, "foo", {"html", "json"}, -1},
    {true, "foo", {"text/html", "application/json"}, -1},
    {true, "foo", {"png", "jpg"}, -1},
    {true, "foo", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "foo", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "foo", {"xml", "unknownext", "json"}, -1},
    {true, ",,,", {"json", "html", "text/plain"}, -1},
    {true, ",,,", {"html", "json"}, -1},
    {true, ",,,", {"text/html", "application/json"}, -1},
    {true, ",,,", {"png", "jpg"}, -1},
    {true, ",,,", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, ",,,", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, ",,,", {"xml", "unknownext", "json"}, -1},
    {true, "application/json;q=abc, text/plain", {"json", "html", "text/plain"}, 2},
    {true, "application/json;q=abc, text/plain", {"html", "json"}, -1},
    {true, "application/json;q=abc, text/plain", {"text/html", "application/json"}, -1},
    {true, "application/json;q=abc, text/plain", {"png", "jpg"}, -1},
    {true, "application/json;q=abc, text/plain", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "application/json;q=abc, text/plain", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "application/json;q=abc, text/plain", {"xml", "unknownext", "json"}, -1},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"json", "html", "text/plain"}, 0},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"html", "json"}, 1},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"text/html", "application/json"}, 1},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"png", "jpg"}, -1},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "text/html;q=\"0.5\", application/json;q=0.6", {"xml", "unknownext", "json"}, 2},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"json", "html", "text/plain"}, 2},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"html", "json"}, 0},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"text/html", "application/json"}, 0},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"png", "jpg"}, -1},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "text/plain;q=0.5, text/html;q=0.5", {"xml", "unknownext", "json"}, -1},
    {true, "*/*;q=0", {"json", "html", "text/plain"}, -1},
    {true, "*/*;q=0", {"html", "json"}, -1},
    {true, "*/*;q=0", {"text/html", "application/json"}, -1},
    {true, "*/*;q=0", {"png", "jpg"}, -1},
    {true, "*/*;q=0", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "*/*;q=0", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "*/*;q=0", {"xml", "unknownext", "json"}, -1},
    {true, "text/plain;format=flowed", {"json", "html", "text/plain"}, -1},
    {true, "text/plain;format=flowed", {"html", "json"}, -1},
    {true, "text/plain;format=flowed", {"text/html", "application/json"}, -1},
    {true, "text/plain;format=flowed", {"png", "jpg"}, -1},
    {true, "text/plain;format=flowed", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "text/plain;format=flowed", {"text/plain;format=flowed", "text/plain"}, 0},
    {true, "text/plain;format=flowed", {"xml", "unknownext", "json"}, -1},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"json", "html", "text/plain"}, 1},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"html", "json"}, 0},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"text/html", "application/json"}, 0},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"png", "jpg"}, -1},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "text/plain;format=\"a,b\", text/html;q=0.1", {"xml", "unknownext", "json"}, -1},
    {true, "image/*;q=0.9, image/png", {"json", "html", "text/plain"}, -1},
    {true, "image/*;q=0.9, image/png", {"html", "json"}, -1},
    {true, "image/*;q=0.9, image/png", {"text/html", "application/json"}, -1},
    {true, "image/*;q=0.9, image/png", {"png", "jpg"}, 0},
    {true, "image/*;q=0.9, image/png", {"application/json; charset=utf-8", "text/html"}, -1},
    {true, "image/*;q=0.9, image/png", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "image/*;q=0.9, image/png", {"xml", "unknownext", "json"}, -1},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"json", "html", "text/plain"}, 0},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"html", "json"}, 1},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"text/html", "application/json"}, 1},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"png", "jpg"}, -1},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "  text/html  ;  q=0.7 , application/json ; q = 0.8 ", {"xml", "unknownext", "json"}, 2},
    {true, "application/json;q=.5, text/html;q=0.4", {"json", "html", "text/plain"}, 0},
    {true, "application/json;q=.5, text/html;q=0.4", {"html", "json"}, 1},
    {true, "application/json;q=.5, text/html;q=0.4", {"text/html", "application/json"}, 1},
    {true, "application/json;q=.5, text/html;q=0.4", {"png", "jpg"}, -1},
    {true, "application/json;q=.5, text/html;q=0.4", {"application/json; charset=utf-8", "text/html"}, 0},
    {true, "application/json;q=.5, text/html;q=0.4", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "application/json;q=.5, text/html;q=0.4", {"xml", "unknownext", "json"}, 2},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"json", "html", "text/plain"}, 1},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"html", "json"}, 0},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"text/html", "application/json"}, 0},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"png", "jpg"}, -1},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"application/json; charset=utf-8", "text/html"}, 1},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"text/plain;format=flowed", "text/plain"}, -1},
    {true, "text/html;q=1e-1, application/json;q=0.05", {"xml", "unknownext", "json"}, 2},
};

struct disposition_case {
    std::string_view filename;
    std::string_view header;
};

// node -e: require("content-disposition").create(filename)
const disposition_case disposition_cases[] = {
    {"file.txt", "attachment; filename=file.txt"},
    {"my file.txt", "attachment; filename=\"my file.txt\""},
    {"na\xc3""\xaf""ve.txt", "attachment; filename=\"na?ve.txt\"; filename*=UTF-8''na%C3%AFve.txt"},
    {"\xe2""\x82""\xac"" rates.pdf", "attachment; filename=\"? rates.pdf\"; filename*=UTF-8''%E2%82%AC%20rates.pdf"},
    {"a\"b\\c.txt", "attachment; filename=\"a\\\"b\\\\c.txt\""},
    {"100%.txt", "attachment; filename=100%.txt"},
    {"%41.txt", "attachment; filename=%41.txt; filename*=UTF-8''%2541.txt"},
    {"\xf0""\x9f""\x98""\x80"".png", "attachment; filename=\"??.png\"; filename*=UTF-8''%F0%9F%98%80.png"},
    {"it's (1).txt", "attachment; filename=\"it's (1).txt\""},
    {"", "attachment; filename=\"\""},
    {"x;y=z.txt", "attachment; filename=\"x;y=z.txt\""},
    {"tab\x09""here.txt", "attachment; filename=\"tab?here.txt\"; filename*=UTF-8''tab%09here.txt"},
    {"\xc3""\xbf"".txt", "attachment; filename=\"?.txt\"; filename*=UTF-8''%C3%BF.txt"},
    {"R\xc3""\xa9""sum\xc3""\xa9"" 2026 \xe2""\x82""\xac"".txt", "attachment; filename=\"R?sum? 2026 ?.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026%20%E2%82%AC.txt"},
    {"\xe6""\x97""\xa5""\xe6""\x9c""\xac""\xe8""\xaa""\x9e"".txt", "attachment; filename=\"???.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"},
    {"a\x7f""b.txt", "attachment; filename=\"a?b.txt\"; filename*=UTF-8''a%7Fb.txt"},
    {"back\\slash", "attachment; filename=\"back\\\\slash\""},
    {"%zz.txt", "attachment; filename=%zz.txt"},
    {"%4", "attachment; filename=%4"},
    {"\xc2""\xa0""nbsp.txt", "attachment; filename=\"?nbsp.txt\"; filename*=UTF-8''%C2%A0nbsp.txt"},
};

}  // namespace

TEST_CASE("preferred_type makes the choice of Express's req.accepts on every vector") {
    for (const auto& t : accept_cases) {
        const auto got = preferred_type(t.has_header ? std::optional<std::string_view>(t.accept) : std::nullopt,
                                        std::span<const std::string_view>(t.offered));
        const int index = got ? static_cast<int>(*got) : -1;
        INFO("Accept: " << (t.has_header ? t.accept : "(none)") << " offered[0]=" << t.offered[0]);
        CHECK(index == t.expected);
    }
}

TEST_CASE("Accept parsing: quoted commas, parameters, q as parseFloat reads it") {
    using namespace accept_detail;
    const auto r = parse_accept("text/plain;format=\"a,b\";q=0.5, bad, */*;q=junk, image/png;q=.25x");
    REQUIRE(r.size() == 3);
    CHECK(r[0].type == "text");
    CHECK(r[0].subtype == "plain");
    REQUIRE(r[0].params.size() == 1);
    CHECK(r[0].params[0].second == "a,b");
    CHECK(r[0].q == doctest::Approx(0.5));
    CHECK(r[1].q < 0);  // NaN: never acceptable
    CHECK(r[1].index == 2);  // "bad" (no '/') is dropped but keeps its place
    CHECK(r[2].q == doctest::Approx(0.25));
    CHECK(js_parse_float("  1e-1x") == doctest::Approx(0.1));
    CHECK_FALSE(js_parse_float("abc"));
    CHECK_FALSE(js_parse_float("."));
    // Out of range reads as parseFloat reads it: Infinity ranks first, 1e-999 is 0.
    CHECK(std::isinf(*js_parse_float("1e999")));
    CHECK(*js_parse_float("1e-999") == 0.0);
    CHECK(*js_parse_float("0.5e-999") == 0.0);
    const std::string_view json_html[] = {"json", "html"};
    CHECK(preferred_type(std::string_view("application/json;q=0.9, text/html;q=1e999"), json_html) == 1u);
    CHECK(preferred_type(std::string_view("text/html;q=1e-999, application/json;q=0.1"), json_html) == 0u);
    // "text" is an extension too (Express's res.format docs use it).
    CHECK(offered_media_type("text") == "text/plain");
    CHECK(parse_accept("").empty());
    CHECK(parse_accept(",,,;;;").empty());
}

TEST_CASE("offered names: extensions through the MIME table, full types as they are") {
    CHECK(offered_media_type("html") == "text/html");
    CHECK(offered_media_type("json") == "application/json");
    CHECK(offered_media_type("text/x-anything") == "text/x-anything");
    CHECK(offered_media_type("no-such-extension").empty());
}

TEST_CASE("Content-Disposition as content-disposition 2.0 writes it") {
    for (const auto& t : disposition_cases) {
        INFO("filename: " << t.filename);
        CHECK(content_disposition(t.filename) == t.header);
    }
    // Bytes that are not UTF-8 are read as U+FFFD (a Node string cannot hold them).
    CHECK(content_disposition("a\xff.txt") == "attachment; filename=\"a?.txt\"; filename*=UTF-8''a%EF%BF%BD.txt");
    CHECK(content_disposition("x.txt", "inline") == "inline; filename=x.txt");
}

TEST_CASE("path_basename is Node's path.basename on '/' paths") {
    CHECK(path_basename("a/b/c.txt") == "c.txt");
    CHECK(path_basename("c.txt") == "c.txt");
    CHECK(path_basename("a/b/") == "b");
    CHECK(path_basename("/") == "");
    CHECK(path_basename("") == "");
    CHECK(path_basename("//x//") == "x");
}
