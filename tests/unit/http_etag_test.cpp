// Tests for duet/http/etag.hpp. Expected values come from npm etag 1.8.1 (file
// ETags), fresh 2.0.0 (304 decisions) and send 1.2 (412 and If-Range decisions).
#include <doctest/doctest.h>

#include <duet/http/etag.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

using namespace std::string_view_literals;
namespace http = duet::http;

TEST_CASE("stat_etag is byte-identical to npm etag(fs.Stats)") {
    CHECK(http::stat_etag(1234, 1445412480123).view() == "W/\"4d2-150894c247b\"");
    CHECK(http::stat_etag(1234, 1445412480123, false).view() == "\"4d2-150894c247b\"");
    CHECK(http::stat_etag(0, 0).view() == "W/\"0-0\"");
    CHECK(http::stat_etag((std::uint64_t{1} << 53) - 1, -5).view() == "W/\"1fffffffffffff--5\"");
    // Extremes fit the fixed buffer and do not overflow the negation.
    const auto big = http::stat_etag(std::numeric_limits<std::uint64_t>::max(),
                                     std::numeric_limits<std::int64_t>::min());
    CHECK(big.view() == "W/\"ffffffffffffffff--8000000000000000\"");
    CHECK(big.view().size() == http::stat_etag_max_size);
    static_assert(http::stat_etag(16, 255).view() == "W/\"10-ff\"");

    using namespace std::chrono;
    const system_clock::time_point mtime = system_clock::time_point{} + milliseconds(1445412480123) + microseconds(999);
    CHECK(http::stat_etag(1234, mtime).view() == "W/\"4d2-150894c247b\"");  // sub-ms dropped
}

TEST_CASE("entity-tag comparison") {
    CHECK(http::etag_weak_equals("W/\"a\"", "\"a\""));
    CHECK(http::etag_weak_equals("\"a\"", "\"a\""));
    CHECK_FALSE(http::etag_weak_equals("\"a\"", "\"b\""));
    CHECK(http::etag_strong_equals("\"a\"", "\"a\""));
    CHECK_FALSE(http::etag_strong_equals("W/\"a\"", "W/\"a\""));
    CHECK_FALSE(http::etag_strong_equals("\"a\"", "W/\"a\""));
    CHECK(http::etag_is_weak("W/\"x\""));
    CHECK_FALSE(http::etag_is_weak("w/\"x\""));  // the W is case-sensitive
    CHECK(http::etag_opaque("W/\"x\"") == "\"x\"");
}

TEST_CASE("entity-tag lists: quote-aware, OWS, '*', garbage") {
    const std::string_view tag = "\"foo\"";
    CHECK(http::etag_list_matches("\"foo\"", tag));
    CHECK(http::etag_list_matches("\"bar\" , \"foo\"", tag));
    CHECK(http::etag_list_matches("\"bar\",W/\"foo\"", tag));
    CHECK(http::etag_list_matches("W/\"foo\"", "W/\"foo\""));
    CHECK(http::etag_list_matches("\"foo\"", "W/\"foo\""));
    CHECK(http::etag_list_matches("*", tag));
    CHECK(http::etag_list_matches("\"x\", *", tag));
    CHECK_FALSE(http::etag_list_matches("\"bar\"", tag));
    CHECK_FALSE(http::etag_list_matches("\"fo\"", tag));
    CHECK_FALSE(http::etag_list_matches("\"foo\"x", "\"foox\""));
    CHECK_FALSE(http::etag_list_matches("", tag));
    CHECK_FALSE(http::etag_list_matches(",,, ,", tag));
    // A comma inside an opaque tag is part of the tag (npm fresh splits it; we don't).
    CHECK(http::etag_list_matches("\"a,b\"", "\"a,b\""));
    CHECK_FALSE(http::etag_list_matches("\"a,b\"", "\"a\""));
    CHECK_FALSE(http::etag_list_matches("\"a,b\"", "\"b\""));
    // Unterminated and unquoted elements never match a real tag and never over-read.
    CHECK_FALSE(http::etag_list_matches("\"foo", tag));
    CHECK_FALSE(http::etag_list_matches("W/\"foo", tag));
    CHECK_FALSE(http::etag_list_matches("W/", tag));
    CHECK_FALSE(http::etag_list_matches("\"", tag));
    CHECK_FALSE(http::etag_list_matches("foo", tag));
    CHECK(http::etag_list_matches("garbage, \"foo\"", tag));
    CHECK_FALSE(http::etag_list_matches("\"foo\"", ""));  // no ETag: only '*' matches
    CHECK(http::etag_list_matches("\"\xC3\xA9\"", "\"\xC3\xA9\""));
    CHECK_FALSE(http::etag_list_matches("\"fo\0o\""sv, "\"fo\""sv));
}

TEST_CASE("fresh: 304 decisions like npm fresh 2.0") {
    using rq = http::request_conditions;
    using rs = http::response_validators;
    const rs etag_foo{.etag = "\"foo\""};
    CHECK_FALSE(http::fresh(rq{}, etag_foo));  // unconditional
    CHECK(http::fresh(rq{.if_none_match = "\"foo\""}, etag_foo));
    CHECK(http::fresh(rq{.if_none_match = "\"foo\""}, rs{.etag = "W/\"foo\""}));
    CHECK(http::fresh(rq{.if_none_match = "W/\"foo\""}, etag_foo));
    CHECK(http::fresh(rq{.if_none_match = "\"bar\" , \"foo\""}, etag_foo));
    CHECK_FALSE(http::fresh(rq{.if_none_match = "\"bar\""}, etag_foo));
    CHECK(http::fresh(rq{.if_none_match = "*"}, rs{}));
    CHECK_FALSE(http::fresh(rq{.if_none_match = "\"foo\""}, rs{}));  // no ETag to compare
    // Reloads bypass the cache.
    CHECK_FALSE(http::fresh(rq{.if_none_match = "\"foo\"", .cache_control = "max-age=0, no-cache"}, etag_foo));
    // Directive names are case-insensitive (RFC 9111); npm fresh would say true here.
    CHECK_FALSE(http::fresh(rq{.if_none_match = "\"foo\"", .cache_control = "No-Cache"}, etag_foo));
    CHECK(http::fresh(rq{.if_none_match = "\"foo\"", .cache_control = "no-cache=\"x\""}, etag_foo));
    CHECK(http::fresh(rq{.if_none_match = "\"foo\"", .cache_control = "max-age=0"}, etag_foo));

    const std::string_view t0 = "Sun, 06 Nov 1994 08:49:37 GMT", t1 = "Sun, 06 Nov 1994 08:49:38 GMT";
    CHECK(http::fresh(rq{.if_modified_since = t0}, rs{.last_modified = t0}));
    CHECK(http::fresh(rq{.if_modified_since = t1}, rs{.last_modified = t0}));
    CHECK_FALSE(http::fresh(rq{.if_modified_since = t0}, rs{.last_modified = t1}));
    CHECK_FALSE(http::fresh(rq{.if_modified_since = t0}, rs{}));
    CHECK_FALSE(http::fresh(rq{.if_modified_since = "garbage"}, rs{.last_modified = t0}));
    CHECK_FALSE(http::fresh(rq{.if_modified_since = t0}, rs{.last_modified = "garbage"}));
    CHECK(http::fresh(rq{.if_modified_since = "Sunday, 06-Nov-94 08:49:37 GMT"}, rs{.last_modified = t0}));
    // If-None-Match decides alone: a stale If-Modified-Since is ignored.
    CHECK(http::fresh(rq{.if_none_match = "\"foo\"", .if_modified_since = t0},
                      rs{.etag = "\"foo\"", .last_modified = t1}));
    CHECK_FALSE(http::fresh(rq{.if_none_match = "\"bar\"", .if_modified_since = t1},
                            rs{.etag = "\"foo\"", .last_modified = t0}));
    // Whitespace-only headers count as absent.
    CHECK_FALSE(http::fresh(rq{.if_none_match = "  ", .if_modified_since = "\t"}, etag_foo));
}

TEST_CASE("precondition_failed: 412 decisions like send") {
    using rq = http::request_conditions;
    using rs = http::response_validators;
    const std::string_view t0 = "Sun, 06 Nov 1994 08:49:37 GMT", t1 = "Sun, 06 Nov 1994 08:49:38 GMT";
    const rs res{.etag = "W/\"4d2-1\"", .last_modified = t0};
    CHECK_FALSE(http::precondition_failed(rq{}, res));
    CHECK_FALSE(http::precondition_failed(rq{.if_match = "W/\"4d2-1\""}, res));
    CHECK_FALSE(http::precondition_failed(rq{.if_match = "\"4d2-1\""}, res));
    CHECK_FALSE(http::precondition_failed(rq{.if_match = "\"x\", \"4d2-1\""}, res));
    CHECK_FALSE(http::precondition_failed(rq{.if_match = "*"}, res));
    CHECK(http::precondition_failed(rq{.if_match = "\"other\""}, res));
    CHECK(http::precondition_failed(rq{.if_match = "*"}, rs{}));  // nothing to match
    CHECK_FALSE(http::precondition_failed(rq{.if_unmodified_since = t0}, res));
    CHECK_FALSE(http::precondition_failed(rq{.if_unmodified_since = t1}, res));
    CHECK(http::precondition_failed(rq{.if_unmodified_since = "Sun, 06 Nov 1994 08:49:36 GMT"}, res));
    CHECK(http::precondition_failed(rq{.if_unmodified_since = t0}, rs{}));
    CHECK_FALSE(http::precondition_failed(rq{.if_unmodified_since = "not a date"}, res));  // ignored
}

TEST_CASE("if_range_matches: honour Range only for the same representation") {
    using rs = http::response_validators;
    const std::string_view t0 = "Sun, 06 Nov 1994 08:49:37 GMT", t1 = "Sun, 06 Nov 1994 08:49:38 GMT";
    const rs res{.etag = "W/\"4d2-1\"", .last_modified = t0};
    CHECK(http::if_range_matches("", res));
    CHECK(http::if_range_matches("W/\"4d2-1\"", res));
    CHECK(http::if_range_matches(" W/\"4d2-1\" ", res));
    CHECK_FALSE(http::if_range_matches("\"4d2-1\"", res));
    CHECK_FALSE(http::if_range_matches("W/\"4d2-2\"", res));
    CHECK_FALSE(http::if_range_matches("\"x\"", rs{}));
    CHECK(http::if_range_matches(t0, res));
    CHECK(http::if_range_matches(t1, res));
    CHECK_FALSE(http::if_range_matches("Sun, 06 Nov 1994 08:49:36 GMT", res));
    CHECK_FALSE(http::if_range_matches("garbage", res));
    CHECK_FALSE(http::if_range_matches(t0, rs{}));
}
