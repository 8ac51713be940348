// Tests for duet/http/range.hpp. Unless a case says otherwise, the expected result is
// what npm range-parser 1.3.0 (Express 5's `send`) returns for the same input:
// ranges -> ok, -1 -> unsatisfiable, -2 -> ignore.
#include <doctest/doctest.h>

#include <duet/http/range.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;
namespace http = duet::http;
using http::byte_range;
using http::range_status;

namespace {
struct parsed {
    range_status status;
    std::vector<byte_range> ranges;
};

parsed parse(std::string_view h, std::uint64_t size, bool combine = false) {
    std::array<byte_range, 8> buf{};
    const auto r = http::parse_range(h, size, buf, combine);
    if (r.status != range_status::ok) CHECK(r.count == 0);
    return {r.status, std::vector<byte_range>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.count))};
}

using ranges = std::vector<byte_range>;
}  // namespace

TEST_CASE("satisfiable forms: closed, open, suffix, clamped") {
    auto r = parse("bytes=0-499", 1000);
    CHECK(r.status == range_status::ok);
    CHECK(r.ranges == ranges{{0, 499}});
    CHECK(r.ranges[0].length() == 500);
    CHECK(parse("bytes=500-", 1000).ranges == ranges{{500, 999}});
    CHECK(parse("bytes=-400", 1000).ranges == ranges{{600, 999}});
    CHECK(parse("bytes=0-1999", 1000).ranges == ranges{{0, 999}});  // end clamped to size-1
    CHECK(parse("bytes=999-999", 1000).ranges == ranges{{999, 999}});
    CHECK(parse("bytes=0-0", 1).ranges == ranges{{0, 0}});
    // Multiple ranges keep request order without combine.
    CHECK(parse("bytes=0-0,-1", 1000).ranges == ranges{{0, 0}, {999, 999}});
    // OWS around elements, unit case-insensitive (RFC 9110: range units are).
    CHECK(parse("bytes= 0-1 , 5-6 ", 1000).ranges == ranges{{0, 1}, {5, 6}});
    CHECK(parse("  Bytes=0-1", 1000).ranges == ranges{{0, 1}});
}

TEST_CASE("suffix longer than the representation selects all of it (RFC 9110 14.1.2)") {
    // Deliberate difference: range-parser answers -1 (416) here.
    auto r = parse("bytes=-2000", 1000);
    CHECK(r.status == range_status::ok);
    CHECK(r.ranges == ranges{{0, 999}});
    CHECK(parse("bytes=-1000", 1000).ranges == ranges{{0, 999}});
}

TEST_CASE("empty list elements are skipped (RFC 9110 5.6.1)") {
    // Deliberate difference: range-parser answers -2 for a trailing comma.
    CHECK(parse("bytes=0-1,", 1000).ranges == ranges{{0, 1}});
    CHECK(parse("bytes=,0-1,,2-3", 1000).ranges == ranges{{0, 1}, {2, 3}});
    CHECK(parse("bytes=,", 1000).status == range_status::ignore);  // nothing at all
}

TEST_CASE("unsatisfiable: well-formed but selecting nothing -> 416") {
    CHECK(parse("bytes=1000-", 1000).status == range_status::unsatisfiable);
    CHECK(parse("bytes=9500-", 1000).status == range_status::unsatisfiable);
    CHECK(parse("bytes=500-100", 1000).status == range_status::unsatisfiable);
    CHECK(parse("bytes=-0", 1000).status == range_status::unsatisfiable);
    CHECK(parse("bytes=0-0", 0).status == range_status::unsatisfiable);  // empty file
    CHECK(parse("bytes=-5", 0).status == range_status::unsatisfiable);
    CHECK(parse("bytes=0-", 0).status == range_status::unsatisfiable);
    CHECK(parse("bytes=2000-3000,5-1", 1000).status == range_status::unsatisfiable);
    // One good range among bad ones is enough for 206.
    CHECK(parse("bytes=2000-3000,5-9", 1000).ranges == ranges{{5, 9}});
}

TEST_CASE("malformed or foreign -> ignore the header and send 200") {
    for (std::string_view bad : {""sv, "bytes"sv, "bytes="sv, "bytes=abc"sv, "bytes=1-a"sv, "bytes=--1"sv,
                                 "bytes=-"sv, "bytes=1"sv, "bytes=0-1,abc"sv, "bytes=+1-2"sv, "bytes=1-+2"sv,
                                 "bytes=0x10-0x20"sv, "bytes=1 -2"sv, "bytes=1- 2"sv, "bytes=1.5-2"sv,
                                 "bytes=-1-2"sv, "bytes=1-2-3"sv, "bytes=\xC3\xA9-1"sv, "bytes=1\0-2"sv,
                                 "items=0-5"sv, "bytes =0-5"sv, "bytesx=0-5"sv, "=0-5"sv, "bytes=0-1\r\n"sv}) {
        CAPTURE(bad);
        CHECK(parse(bad, 1000).status == range_status::ignore);
    }
    // A syntax error anywhere voids the whole header, even after good ranges.
    CHECK(parse("bytes=0-1,2-x", 1000).status == range_status::ignore);
}

TEST_CASE("huge numbers saturate instead of overflowing") {
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    // Last position beyond 2^64: "to the end".
    CHECK(parse("bytes=0-99999999999999999999999", 1000).ranges == ranges{{0, 999}});
    CHECK(parse("bytes=0-18446744073709551615", 1000).ranges == ranges{{0, 999}});
    CHECK(parse("bytes=0-18446744073709551616", 1000).ranges == ranges{{0, 999}});
    // First position beyond the size: unsatisfiable, not wrapped to something small.
    CHECK(parse("bytes=99999999999999999999-", 1000).status == range_status::unsatisfiable);
    CHECK(parse("bytes=18446744073709551617-18446744073709551618", 1000).status ==
          range_status::unsatisfiable);
    // 2^64 + 5 must not wrap to 5.
    CHECK(parse("bytes=18446744073709551621-", 1000).status == range_status::unsatisfiable);
    // Suffix beyond 2^64: the whole representation.
    CHECK(parse("bytes=-99999999999999999999999999", 1000).ranges == ranges{{0, 999}});
    // Representation as large as it gets.
    CHECK(parse("bytes=0-", max).ranges == ranges{{0, max - 1}});
    CHECK(parse("bytes=-1", max).ranges == ranges{{max - 1, max - 1}});
    CHECK(parse("bytes=" + std::string(5000, '9') + "-", 1000).status == range_status::unsatisfiable);
}

TEST_CASE("combine merges overlapping and adjacent ranges (send's combine: true)") {
    // range-parser: [{0,75},{90,199}] for this input (and size 1000).
    CHECK(parse("bytes=0-4,90-99,5-75,100-199,101-102", 1000, true).ranges == ranges{{0, 75}, {90, 199}});
    CHECK(parse("bytes=0-1,2-3", 1000, true).ranges == ranges{{0, 3}});     // adjacent
    CHECK(parse("bytes=0-1,3-4", 1000, true).ranges == ranges{{0, 1}, {3, 4}});  // gap of one byte
    CHECK(parse("bytes=500-,-100,0-10", 1000, true).ranges == ranges{{0, 10}, {500, 999}});
    CHECK(parse("bytes=0-1,2-3", 1000, false).ranges == ranges{{0, 1}, {2, 3}});
}

TEST_CASE("more satisfiable ranges than the caller's buffer -> ignore") {
    std::array<byte_range, 2> two{};
    CHECK(http::parse_range("bytes=0-0,2-2", 100, two).status == range_status::ok);
    const auto r = http::parse_range("bytes=0-0,2-2,4-4", 100, two);
    CHECK(r.status == range_status::ignore);
    CHECK(r.count == 0);
    // Unsatisfiable elements do not take buffer space.
    const auto u = http::parse_range("bytes=500-,600-,0-0", 100, two);
    CHECK(u.status == range_status::ok);
    CHECK(u.count == 1);
    // A zero-sized buffer can still tell 416 from 200.
    CHECK(http::parse_range("bytes=500-", 100, std::span<byte_range>{}).status == range_status::unsatisfiable);
    CHECK(http::parse_range("bytes=0-", 100, std::span<byte_range>{}).status == range_status::ignore);
}

TEST_CASE("parse_single_range: what the static file server serves") {
    auto r = http::parse_single_range("bytes=0-99", 1234);
    CHECK(r.status == range_status::ok);
    CHECK(r.range == byte_range{0, 99});
    // Overlapping ranges combine into one -> still 206.
    r = http::parse_single_range("bytes=0-50,40-99", 1234);
    CHECK(r.status == range_status::ok);
    CHECK(r.range == byte_range{0, 99});
    // Disjoint ranges: send answers 200 with the whole file.
    CHECK(http::parse_single_range("bytes=0-1,5-6", 1234).status == range_status::ignore);
    CHECK(http::parse_single_range("bytes=5000-", 1234).status == range_status::unsatisfiable);
    CHECK(http::parse_single_range("bytes=x", 1234).status == range_status::ignore);
    // 40 copies of the same range exceed the 32 considered: ignore, no 206.
    std::string many = "bytes=0-0";
    for (int i = 0; i < 39; ++i) many += ",0-0";
    CHECK(http::parse_single_range(many, 1234).status == range_status::ignore);
    std::string ok = "bytes=0-0";
    for (int i = 0; i < 31; ++i) ok += ",0-0";
    CHECK(http::parse_single_range(ok, 1234).range == byte_range{0, 0});
    static_assert(http::parse_single_range("bytes=-10", 100).range == byte_range{90, 99});
}

TEST_CASE("Content-Range values") {
    std::string out;
    http::content_range_append(out, {0, 99}, 1234);
    CHECK(out == "bytes 0-99/1234");
    out = "Content-Range: ";
    http::content_range_unsatisfied_append(out, 1234);
    CHECK(out == "Content-Range: bytes */1234");
    out.clear();
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    http::content_range_append(out, {max - 2, max - 1}, max);
    CHECK(out == "bytes 18446744073709551613-18446744073709551614/18446744073709551615");
    CHECK(out.size() <= http::content_range_max_size);
    out.clear();
    http::content_range_unsatisfied_append(out, 0);
    CHECK(out == "bytes */0");
}
