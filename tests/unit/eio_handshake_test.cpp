// Engine.IO handshake JSON (open packet) and the server's error bodies, byte for byte
// as the reference server writes them; the duet.eio error category.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <ostream>  // doctest prints std::error_code through operator<<
#include <string>
#include <string_view>
#include <system_error>

#include <duet/eio/handshake.hpp>

using namespace std::literals;
namespace eio = duet::eio;

TEST_CASE("eio handshake: open packet with the reference defaults and key order") {
    const auto s = eio::open_packet({.sid = "lv_VI97HAXpY6yYWAAAC", .upgrades = eio::upgrades_websocket});
    CHECK(s == R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
               R"("pingTimeout":20000,"maxPayload":1000000})");
}

TEST_CASE("eio handshake: no upgrades is an empty list, not a missing key") {
    const auto s = eio::open_packet({.sid = "AAAAAAAAAAAAAAAAAAAA"});
    CHECK(s == R"(0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":[],"pingInterval":25000,)"
               R"("pingTimeout":20000,"maxPayload":1000000})");
}

TEST_CASE("eio handshake: configured values are written as integers in milliseconds") {
    // The engine.io protocol test suite's server configuration.
    const std::array<std::string_view, 2> ups{"websocket", "webtransport"};
    std::string out = "prefix";
    eio::append_open_packet(out, {.sid = "abc",
                                  .upgrades = ups,
                                  .ping_interval = 300ms,
                                  .ping_timeout = 200ms,
                                  .max_payload = 100'000});
    CHECK(out == R"(prefix0{"sid":"abc","upgrades":["websocket","webtransport"],"pingInterval":300,)"
                 R"("pingTimeout":200,"maxPayload":100000})");

    std::string json;
    eio::append_open_json(json, {.sid = "abc", .ping_interval = 1s, .ping_timeout = 0ms, .max_payload = 0});
    CHECK(json == R"({"sid":"abc","upgrades":[],"pingInterval":1000,"pingTimeout":0,"maxPayload":0})");

    // A negative duration cannot be sent as such.
    json.clear();
    eio::append_open_json(json, {.sid = "a", .ping_interval = -5ms});
    CHECK(json.find(R"("pingInterval":0,)") != std::string::npos);
}

TEST_CASE("eio handshake: open_json_size is exact, escaping and large numbers included") {
    const std::array<std::string_view, 1> odd_upgrade{"we\"b\x01"};
    const eio::open_params cases[] = {
        {.sid = "lv_VI97HAXpY6yYWAAAC", .upgrades = eio::upgrades_websocket},
        {.sid = ""},
        {.sid = "a\"b\\c\n\x1f\x7f\xc3\xa9", .upgrades = odd_upgrade},
        {.sid = "x",
         .ping_interval = std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max()),
         .ping_timeout = 9ms,
         .max_payload = std::numeric_limits<std::size_t>::max()},
    };
    for (const auto& p : cases) {
        std::string json;
        eio::append_open_json(json, p);
        CHECK(json.size() == eio::open_json_size(p));
        CHECK(eio::open_packet(p) == "0" + json);
    }
}

TEST_CASE("eio handshake: strings are escaped as JSON.stringify does") {
    std::string json;
    eio::append_open_json(json, {.sid = "a\"b\\c\n\t\r\b\f\x01\x1f\x7f\xc3\xa9/"});
    CHECK(json.substr(0, json.find(",\"upgrades\"")) ==
          R"({"sid":"a\"b\\c\n\t\r\b\f\u0001\u001f)" "\x7f\xc3\xa9/\"");
}

TEST_CASE("eio handshake: the six error bodies, messages and statuses of the reference") {
    using E = eio::server_error;
    CHECK(eio::error_json(E::transport_unknown) == R"({"code":0,"message":"Transport unknown"})");
    CHECK(eio::error_json(E::session_id_unknown) == R"({"code":1,"message":"Session ID unknown"})");
    CHECK(eio::error_json(E::bad_handshake_method) == R"({"code":2,"message":"Bad handshake method"})");
    CHECK(eio::error_json(E::bad_request) == R"({"code":3,"message":"Bad request"})");
    CHECK(eio::error_json(E::forbidden) == R"({"code":4,"message":"Forbidden"})");
    CHECK(eio::error_json(E::unsupported_protocol_version) ==
          R"({"code":5,"message":"Unsupported protocol version"})");
    CHECK(eio::error_json(static_cast<E>(42)) == R"({"code":3,"message":"Bad request"})");

    CHECK(eio::http_status(E::transport_unknown) == 400);
    CHECK(eio::http_status(E::session_id_unknown) == 400);
    CHECK(eio::http_status(E::bad_handshake_method) == 400);
    CHECK(eio::http_status(E::bad_request) == 400);
    CHECK(eio::http_status(E::forbidden) == 403);
    CHECK(eio::http_status(E::unsupported_protocol_version) == 400);
    CHECK(eio::message(E::session_id_unknown) == "Session ID unknown");
    CHECK(eio::error_content_type == "application/json");

    std::string out = "body:";
    eio::append_error_json(out, E::bad_request);
    CHECK(out == R"(body:{"code":3,"message":"Bad request"})");
}

TEST_CASE("eio handshake: a refusal reason replaces the message, escaped") {
    std::string out;
    eio::append_error_json(out, eio::server_error::forbidden, "not \"you\"\n");
    CHECK(out == R"({"code":4,"message":"not \"you\"\n"})");
    out.clear();
    eio::append_error_json(out, eio::server_error::forbidden, "");
    CHECK(out == R"({"code":4,"message":"Forbidden"})");
}

TEST_CASE("eio error: category, messages and mapping to the error JSON codes") {
    const std::error_code ec = eio::error::session_id_unknown;
    CHECK(ec.category() == eio::eio_category());
    CHECK(std::string_view(ec.category().name()) == "duet.eio");
    CHECK(ec.message() == "Session ID unknown");
    CHECK(std::error_code(eio::error::invalid_base64).message() == "binary packet is not valid base64");
    CHECK(std::error_code(static_cast<eio::error>(999)).message() == "unknown duet.eio error");

    CHECK(eio::to_server_error(ec) == eio::server_error::session_id_unknown);
    CHECK(eio::to_server_error(eio::error::transport_unknown) == eio::server_error::transport_unknown);
    CHECK(eio::to_server_error(eio::error::forbidden) == eio::server_error::forbidden);
    CHECK(eio::to_server_error(eio::error::unsupported_protocol_version) ==
          eio::server_error::unsupported_protocol_version);
    CHECK_FALSE(eio::to_server_error(eio::error::invalid_utf8).has_value());
    CHECK_FALSE(eio::to_server_error(std::error_code()).has_value());
    // Same value, other category: not ours.
    CHECK_FALSE(eio::to_server_error(std::error_code(static_cast<int>(eio::error::forbidden),
                                                     std::generic_category()))
                    .has_value());

    CHECK(eio::is_parse_error(eio::error::empty_payload));
    CHECK(eio::is_parse_error(eio::error::invalid_base64));
    CHECK(eio::is_parse_error(eio::error::payload_too_large));
    CHECK_FALSE(eio::is_parse_error(eio::error::bad_request));
}
