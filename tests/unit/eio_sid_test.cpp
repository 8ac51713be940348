// Engine.IO session ids: shape (base64id-compatible), CSPRNG uniqueness, the shard
// index carried in byte 0, and refusal of malformed ids from the query string.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <span>
#include <ostream>  // doctest prints std::error_code through operator<<
#include <string>
#include <string_view>
#include <unordered_set>

#include <duet/core/base64.hpp>
#include <duet/eio/sid.hpp>

namespace eio = duet::eio;

namespace {
bool is_url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}
}  // namespace

TEST_CASE("eio sid: 20 base64url characters, like the reference base64id") {
    for (int i = 0; i < 100; ++i) {
        const auto id = eio::generate_sid();
        REQUIRE(id.has_value());
        const std::string_view v = id->view();
        CHECK(v.size() == eio::sid_length);
        CHECK(std::all_of(v.begin(), v.end(), is_url_char));
        CHECK(id->str() == v);
        CHECK_FALSE(id->empty());
        // What we hand out, we accept back from a query string.
        const auto parsed = eio::session_id::parse(v);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == *id);
    }
}

TEST_CASE("eio sid: the encoding is base64url of the 15 bytes, byte 0 first") {
    std::array<std::uint8_t, eio::sid_bytes> raw{};
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(0xF0 + i * 7);
    const auto id = eio::session_id::from_bytes(raw);
    const std::string expected =
        duet::base64::encode(std::as_bytes(std::span(raw)), duet::base64::alphabet::url);
    CHECK(expected.size() == 20);
    CHECK(id.view() == expected);
    CHECK(id.view().find_first_of("+/=") == std::string_view::npos);
    CHECK(id.shard() == 0xF0);
}

TEST_CASE("eio sid: ids do not repeat") {
    std::unordered_set<eio::session_id> seen;
    for (int i = 0; i < 20000; ++i) {
        const auto id = eio::generate_sid(static_cast<std::uint8_t>(i % 3));
        REQUIRE(id.has_value());
        CHECK(seen.insert(*id).second);
    }
    CHECK(seen.size() == 20000);
}

TEST_CASE("eio sid: the shard index round-trips for every shard") {
    for (int s = 0; s < 256; ++s) {
        const auto shard = static_cast<std::uint8_t>(s);
        const auto id = eio::generate_sid(shard);
        REQUIRE(id.has_value());
        CHECK(id->shard() == shard);
        const auto back = eio::shard_of_sid(id->view());
        REQUIRE(back.has_value());
        CHECK(*back == shard);
    }
    // Everything after the shard byte is random: same shard, different ids.
    const auto a = eio::generate_sid(7), b = eio::generate_sid(7);
    CHECK(a->view().substr(0, 1) == b->view().substr(0, 1));
    CHECK(a->view().substr(2) != b->view().substr(2));
}

TEST_CASE("eio sid: malformed ids are refused, so they route nowhere") {
    const std::string_view bad[] = {
        "",
        "AAAAAAAAAAAAAAAAAAA",     // 19
        "AAAAAAAAAAAAAAAAAAAAA",   // 21
        "AAAAAAAAAAAAAAAAAAA+",    // standard alphabet
        "AAAAAAAAAAAAAAAAAAA/",
        "AAAAAAAAAAAAAAAAAA==",
        "AAAAAAAAA AAAAAAAAAA",
        std::string_view("AAAAAAAAAA\0AAAAAAAAA", 20),
        "AAAAAAAAAAAAAAAAAAA\xc3",
    };
    for (auto s : bad) {
        CAPTURE(s);
        CHECK_FALSE(eio::session_id::parse(s).has_value());
        CHECK_FALSE(eio::shard_of_sid(s).has_value());
    }
    // Well-formed but never issued ids still parse: lookup decides "unknown".
    CHECK(eio::shard_of_sid("lv_VI97HAXpY6yYWAAAC") == std::uint8_t{0x96});
    CHECK(eio::shard_of_sid("__________________-_") == std::uint8_t{0xFF});
}

TEST_CASE("eio sid: empty default id, ordering and hashing by the characters") {
    const eio::session_id none;
    CHECK(none.empty());
    CHECK(none.view().empty());
    CHECK(none.shard() == 0);
    const auto id = eio::generate_sid();
    CHECK(none != *id);

    const auto x = *eio::session_id::parse("AAAAAAAAAAAAAAAAAAAB");
    const auto y = *eio::session_id::parse("AAAAAAAAAAAAAAAAAAAC");
    CHECK(x < y);
    CHECK(std::set<eio::session_id>{y, x}.begin()->view() == x.view());
    CHECK(std::hash<eio::session_id>{}(*id) == std::hash<std::string_view>{}(id->view()));
}
