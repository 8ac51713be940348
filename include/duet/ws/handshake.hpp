// duet/ws/handshake.hpp — RFC 6455 §4.2 server opening handshake.
//
// Owns: validation of an upgrade request from its header values, the
// Sec-WebSocket-Accept computation (SHA-1 via OpenSSL, then base64), and the exact
// bytes of the 101 response and of the 400/426 refusals. Knows nothing of sockets or
// of the HTTP parser: the caller passes the header values it found (users must link
// -lcrypto).
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <openssl/sha.h>

#include <duet/core/base64.hpp>
#include <duet/ws/error.hpp>

namespace duet::ws {

inline constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
inline constexpr std::size_t accept_key_size = 28;  // base64 of a 20-byte SHA-1

namespace detail {
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

constexpr bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}
}  // namespace detail

// True when the comma-separated header value `list` holds `token`, compared
// case-insensitively with optional whitespace around each element
// ("keep-alive, Upgrade" holds "upgrade"). When a header occurs several times, join
// the values with "," first (RFC 9110 §5.3).
constexpr bool header_has_token(std::string_view list, std::string_view token) noexcept {
    while (true) {
        const std::size_t comma = list.find(',');
        if (detail::iequals(detail::trim_ows(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
    }
}

// A Sec-WebSocket-Key must be the base64 encoding of 16 bytes (§4.1): 22 symbols of
// the standard alphabet and "==". Like the `ws` package, the unused low bits of the
// last symbol are not checked. Surrounding whitespace is not accepted here; the
// validator below trims it.
constexpr bool is_valid_client_key(std::string_view key) noexcept {
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (!detail::is_base64_char(key[i])) return false;
    return true;
}

// Appends the Sec-WebSocket-Accept value for `key`: base64(SHA-1(key + GUID)).
// Whitespace around the key is ignored, as a header parser may keep it.
inline void append_accept_key(std::string& out, std::string_view key) {
    key = detail::trim_ows(key);
    unsigned char digest[SHA_DIGEST_LENGTH];
    // Every valid key is 24 bytes, so the concatenation fits on the stack; an
    // arbitrary caller-supplied key still works through the heap.
    char stack[64 + handshake_guid.size()];
    std::string heap;
    const unsigned char* input;
    const std::size_t n = key.size() + handshake_guid.size();
    if (key.size() <= 64) {
        std::memcpy(stack, key.data(), key.size());
        std::memcpy(stack + key.size(), handshake_guid.data(), handshake_guid.size());
        input = reinterpret_cast<const unsigned char*>(stack);
    } else {
        heap.reserve(n);
        heap.append(key).append(handshake_guid);
        input = reinterpret_cast<const unsigned char*>(heap.data());
    }
    SHA1(input, n, digest);
    base64::encode_append(out, std::as_bytes(std::span(digest)));
}

inline std::string accept_key(std::string_view sec_websocket_key) {
    std::string out;
    out.reserve(accept_key_size);
    append_accept_key(out, sec_websocket_key);
    return out;
}

// The parts of an upgrade request the handshake depends on. Absent headers are
// empty views; repeated headers are joined with ",".
struct upgrade_request {
    std::string_view method;        // "GET"
    unsigned http_major = 1;
    unsigned http_minor = 1;
    std::string_view upgrade;       // Upgrade
    std::string_view connection;    // Connection
    std::string_view key;           // Sec-WebSocket-Key
    std::string_view version;       // Sec-WebSocket-Version
};

// Checks an upgrade request (§4.2.1). Returns an empty error_code when the server may
// answer 101; otherwise the first problem found, which http_status_for() turns into
// the status to answer (400, or 426 for a missing/unsupported version).
inline std::error_code validate_upgrade(const upgrade_request& r) noexcept {
    if (r.method != "GET") return error::bad_method;
    if (r.http_major < 1 || (r.http_major == 1 && r.http_minor < 1)) return error::bad_http_version;
    if (!header_has_token(r.upgrade, "websocket")) return error::bad_upgrade_header;
    if (!header_has_token(r.connection, "upgrade")) return error::bad_connection_header;
    if (detail::trim_ows(r.version) != "13") return error::bad_version;
    if (!is_valid_client_key(detail::trim_ows(r.key))) return error::bad_key;
    return {};
}

// HTTP status answering a failed validate_upgrade(): 426 Upgrade Required (with
// "Sec-WebSocket-Version: 13", §4.4) for a version problem, 400 for the rest.
inline int http_status_for(std::error_code ec) noexcept {
    return ec == error::bad_version ? 426 : 400;
}

// Appends the complete 101 response, ending with the empty line. `extra_headers` is
// a block of full header lines, each ending in CRLF (e.g. "Set-Cookie: a=b\r\n"); a
// missing final CRLF is added. The key is the client's Sec-WebSocket-Key as received.
inline void append_accept_response(std::string& out, std::string_view sec_websocket_key,
                                   std::string_view extra_headers = {}) {
    out.append(
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ");
    append_accept_key(out, sec_websocket_key);
    out.append("\r\n");
    if (!extra_headers.empty()) {
        out.append(extra_headers);
        if (!extra_headers.ends_with("\r\n")) out.append("\r\n");
    }
    out.append("\r\n");
}

// Appends a complete refusal for a failed validate_upgrade(): status line, a short
// text/plain body naming the problem, and "Connection: close" (the caller closes
// the connection after writing it).
inline void append_reject_response(std::string& out, std::error_code ec) {
    const int status = http_status_for(ec);
    const std::string body = ec.message();
    out.append(status == 426 ? "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
                             : "HTTP/1.1 400 Bad Request\r\n");
    out.append("Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    out.append(std::to_string(body.size()));
    out.append("\r\n\r\n");
    out.append(body);
}

}  // namespace duet::ws
