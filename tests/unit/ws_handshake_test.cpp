// Opening handshake: Sec-WebSocket-Accept, key validation, upgrade request checks
// (with the 400/426 split) and the exact response bytes.
#include <ostream>

#include <doctest/doctest.h>

#include <duet/ws/handshake.hpp>

#include <string>

using namespace duet::ws;

namespace {
upgrade_request good_request() {
    upgrade_request r;
    r.method = "GET";
    r.http_major = 1;
    r.http_minor = 1;
    r.upgrade = "websocket";
    r.connection = "Upgrade";
    r.key = "dGhlIHNhbXBsZSBub25jZQ==";
    r.version = "13";
    return r;
}
}  // namespace

TEST_CASE("accept_key: RFC 6455 section 1.3 example") {
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(accept_key(" dGhlIHNhbXBsZSBub25jZQ==\t") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // Another known pair (from the `ws` test suite's fixed key).
    CHECK(accept_key("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==").size() == accept_key_size);

    std::string out = "Sec-WebSocket-Accept: ";
    append_accept_key(out, "dGhlIHNhbXBsZSBub25jZQ==");
    CHECK(out == "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    // Keys of any length hash without truncation (the long-key path).
    CHECK(accept_key(std::string(100, 'a')) != accept_key(std::string(99, 'a')));
    CHECK(accept_key(std::string(100, 'a')).size() == accept_key_size);
}

TEST_CASE("is_valid_client_key: base64 of exactly 16 bytes") {
    CHECK(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK(is_valid_client_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    CHECK(is_valid_client_key("+/+/+/+/+/+/+/+/+/+/+w=="));
    CHECK_FALSE(is_valid_client_key(""));
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ="));    // 23 chars
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ==="));  // 25 chars
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQAA"));   // no padding
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZXk="));   // base64 of 17 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j"));       // base64 of 15 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25-ZQ=="));   // URL alphabet
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25_ZQ=="));
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBu=25jZQ=="));   // '=' inside
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZ Q=="));  // space inside
    CHECK_FALSE(is_valid_client_key(" dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK_FALSE(is_valid_client_key(std::string_view("dGhlIHNhbXBsZSBub25jZ\0==", 24)));
}

TEST_CASE("header_has_token: comma lists, case and whitespace insensitive") {
    CHECK(header_has_token("Upgrade", "upgrade"));
    CHECK(header_has_token("keep-alive, Upgrade", "upgrade"));
    CHECK(header_has_token("keep-alive,upgrade", "upgrade"));
    CHECK(header_has_token("UPGRADE , keep-alive", "upgrade"));
    CHECK(header_has_token(" \tupgrade\t ", "upgrade"));
    CHECK(header_has_token("keep-alive, , Upgrade,", "upgrade"));
    CHECK(header_has_token("WebSocket", "websocket"));
    CHECK_FALSE(header_has_token("", "upgrade"));
    CHECK_FALSE(header_has_token(",", "upgrade"));
    CHECK_FALSE(header_has_token("keep-alive", "upgrade"));
    CHECK_FALSE(header_has_token("upgrade-insecure-requests", "upgrade"));
    CHECK_FALSE(header_has_token("upgradex, keep-alive", "upgrade"));
    CHECK_FALSE(header_has_token("up grade", "upgrade"));
}

TEST_CASE("validate_upgrade: a browser-like request is accepted") {
    CHECK_FALSE(validate_upgrade(good_request()));
    auto r = good_request();
    r.connection = "keep-alive, Upgrade";  // Firefox
    r.upgrade = "WebSocket";
    r.version = " 13 ";
    r.key = " dGhlIHNhbXBsZSBub25jZQ== ";
    CHECK_FALSE(validate_upgrade(r));
    r.http_minor = 2;  // "HTTP/1.1 or higher"
    CHECK_FALSE(validate_upgrade(r));
}

TEST_CASE("validate_upgrade: each problem is named, version problems answer 426") {
    struct row { void (*mutate)(upgrade_request&); error e; int status; };
    const row rows[] = {
        {[](upgrade_request& r) { r.method = "POST"; }, error::bad_method, 400},
        {[](upgrade_request& r) { r.method = "get"; }, error::bad_method, 400},
        {[](upgrade_request& r) { r.http_minor = 0; }, error::bad_http_version, 400},
        {[](upgrade_request& r) { r.http_major = 0; r.http_minor = 9; }, error::bad_http_version, 400},
        {[](upgrade_request& r) { r.upgrade = {}; }, error::bad_upgrade_header, 400},
        {[](upgrade_request& r) { r.upgrade = "h2c"; }, error::bad_upgrade_header, 400},
        {[](upgrade_request& r) { r.upgrade = "websocketx"; }, error::bad_upgrade_header, 400},
        {[](upgrade_request& r) { r.connection = {}; }, error::bad_connection_header, 400},
        {[](upgrade_request& r) { r.connection = "keep-alive"; }, error::bad_connection_header, 400},
        {[](upgrade_request& r) { r.version = {}; }, error::bad_version, 426},
        {[](upgrade_request& r) { r.version = "8"; }, error::bad_version, 426},
        {[](upgrade_request& r) { r.version = "13, 8"; }, error::bad_version, 426},
        {[](upgrade_request& r) { r.version = "130"; }, error::bad_version, 426},
        {[](upgrade_request& r) { r.key = {}; }, error::bad_key, 400},
        {[](upgrade_request& r) { r.key = "c2hvcnQ="; }, error::bad_key, 400},
    };
    for (const auto& row : rows) {
        auto r = good_request();
        row.mutate(r);
        const std::error_code ec = validate_upgrade(r);
        CHECK(ec == row.e);
        CHECK(http_status_for(ec) == row.status);
    }
    // Several headers joined: Upgrade listing another protocol first still works.
    auto r = good_request();
    r.upgrade = "h2c, websocket";
    CHECK_FALSE(validate_upgrade(r));
}

TEST_CASE("append_accept_response: exact bytes") {
    std::string out = "previous";
    append_accept_response(out, "dGhlIHNhbXBsZSBub25jZQ==");
    CHECK(out ==
          "previous"
          "HTTP/1.1 101 Switching Protocols\r\n"
          "Upgrade: websocket\r\n"
          "Connection: Upgrade\r\n"
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
          "\r\n");

    const std::string expect_extra =
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Set-Cookie: io=abc\r\n"
        "X-A: b\r\n"
        "\r\n";
    std::string a, b;
    append_accept_response(a, "dGhlIHNhbXBsZSBub25jZQ==", "Set-Cookie: io=abc\r\nX-A: b\r\n");
    append_accept_response(b, "dGhlIHNhbXBsZSBub25jZQ==", "Set-Cookie: io=abc\r\nX-A: b");
    CHECK(a == expect_extra);
    CHECK(b == expect_extra);  // missing final CRLF is supplied
}

TEST_CASE("append_reject_response: 426 carries Sec-WebSocket-Version, 400 does not") {
    std::string out;
    append_reject_response(out, error::bad_version);
    const std::string body = std::error_code(error::bad_version).message();
    CHECK(out ==
          "HTTP/1.1 426 Upgrade Required\r\n"
          "Sec-WebSocket-Version: 13\r\n"
          "Connection: close\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);

    out.clear();
    append_reject_response(out, error::bad_key);
    CHECK(out.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(out.find("Sec-WebSocket-Version") == std::string::npos);
    const auto head_end = out.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    const std::string b = out.substr(head_end + 4);
    CHECK(b == "missing or invalid Sec-WebSocket-Key");
    CHECK(out.find("Content-Length: " + std::to_string(b.size()) + "\r\n") != std::string::npos);
}
