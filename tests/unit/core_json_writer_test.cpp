// core/json_writer.hpp: one JSON writer with JSON.stringify's output, used by res.json()
// and by Socket.IO alike — the same value prints the same bytes over HTTP and over
// Socket.IO, and the bytes a Node server would print.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include <boost/json.hpp>

#include <duet/core/json_writer.hpp>
#include <duet/http/response.hpp>
#include <duet/sio/encoder.hpp>

namespace json = boost::json;

namespace {
std::string write(const json::value& v) {
    std::string out;
    duet::json::append_json(out, v);
    return out;
}
std::string over_http(const json::value& v) {
    duet::http::response res;
    res.json(v);
    return std::string(res.body());
}
}  // namespace

TEST_CASE("numbers print as Number.prototype.toString does (Boost.JSON would write 1.5E0, 1E2)") {
    CHECK(write(1.5) == "1.5");
    CHECK(write(100.0) == "100");
    CHECK(write(-0.0) == "0");
    CHECK(write(1e21) == "1e+21");
    CHECK(write(1e-7) == "1e-7");
    CHECK(write(123456789012.0) == "123456789012");
    CHECK(write(0.1 + 0.2) == "0.30000000000000004");
    CHECK(write(std::numeric_limits<double>::quiet_NaN()) == "null");
    CHECK(write(std::numeric_limits<double>::infinity()) == "null");
    CHECK(write(std::int64_t{-42}) == "-42");
    CHECK(write(std::uint64_t{18446744073709551615u}) == "18446744073709551615");
}

TEST_CASE("strings: JSON.stringify's escapes; invalid UTF-8 becomes U+FFFD per maximal subpart") {
    CHECK(write("a\"b\\c\n\t\x01") == R"("a\"b\\c\n\t\u0001")");
    CHECK(write("\x7f\u2028") == "\"\x7f\u2028\"");
    CHECK(write(json::string_view("\xC3\x28", 2)) == "\"\xEF\xBF\xBD(\"");   // a cut 2-byte sequence
    CHECK(write(json::string_view("\xF0\x9F\x98", 3)) == "\"\xEF\xBF\xBD\"");  // one subpart, one U+FFFD
    CHECK(duet::json::string_size("a\"\n\x01") == 2 + 1 + 2 + 2 + 6);
}

TEST_CASE("objects: array-index keys first in numeric order, then insertion order") {
    CHECK(write(json::object{{"b", 1}, {"2", 2}, {"a", 3}, {"1", 4}}) == R"({"1":4,"2":2,"b":1,"a":3})");
}

TEST_CASE("res.json() and a Socket.IO packet print the same value identically") {
    const json::value v = {{"price", 1.5}, {"count", 100.0}, {"big", 1e21}, {"name", "x\ny"}};
    const std::string text = write(v);
    CHECK(text == R"({"price":1.5,"count":100,"big":1e+21,"name":"x\ny"})");
    CHECK(over_http(v) == text);
    duet::sio::packet p{.type = duet::sio::packet_type::event, .data = json::array{"e", v}};
    CHECK(duet::sio::encode(p) == "2[\"e\"," + text + "]");
}
