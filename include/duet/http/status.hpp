// duet/http/status.hpp — status codes and their precomputed status lines.
//
// Owns: the reason phrases and the "HTTP/1.1 200 OK\r\n" lines, built once at compile
// time so that writing a response head starts with a single memcpy.
#pragma once

#include <array>
#include <string_view>

namespace duet::http {

// Node's http.STATUS_CODES (what an Express app sends as the reason phrase and as
// res.sendStatus's body).
inline constexpr std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 102: return "Processing";
        case 103: return "Early Hints";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 203: return "Non-Authoritative Information";
        case 204: return "No Content";
        case 205: return "Reset Content";
        case 206: return "Partial Content";
        case 207: return "Multi-Status";
        case 208: return "Already Reported";
        case 226: return "IM Used";
        case 300: return "Multiple Choices";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 305: return "Use Proxy";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 402: return "Payment Required";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 407: return "Proxy Authentication Required";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 416: return "Range Not Satisfiable";
        case 417: return "Expectation Failed";
        case 418: return "I'm a Teapot";
        case 421: return "Misdirected Request";
        case 422: return "Unprocessable Entity";
        case 423: return "Locked";
        case 424: return "Failed Dependency";
        case 425: return "Too Early";
        case 426: return "Upgrade Required";
        case 428: return "Precondition Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 451: return "Unavailable For Legal Reasons";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        case 506: return "Variant Also Negotiates";
        case 507: return "Insufficient Storage";
        case 508: return "Loop Detected";
        case 509: return "Bandwidth Limit Exceeded";
        case 510: return "Not Extended";
        case 511: return "Network Authentication Required";
        default: return "unknown";  // Node's statusMessage for a code it has no name for
    }
}

namespace detail {
// "HTTP/1.1 NNN Reason\r\n" for every code 100..599, built at compile time.
struct status_line_table {
    static constexpr std::size_t width = 64;
    std::array<std::array<char, width>, 500> text{};
    std::array<unsigned char, 500> size{};
    constexpr status_line_table() {
        for (int code = 100; code < 600; ++code) {
            auto& t = text[code - 100];
            std::size_t n = 0;
            for (char c : std::string_view("HTTP/1.1 ")) t[n++] = c;
            t[n++] = static_cast<char>('0' + code / 100);
            t[n++] = static_cast<char>('0' + code / 10 % 10);
            t[n++] = static_cast<char>('0' + code % 10);
            t[n++] = ' ';
            for (char c : reason_phrase(code)) t[n++] = c;
            t[n++] = '\r';
            t[n++] = '\n';
            size[code - 100] = static_cast<unsigned char>(n);
        }
    }
};
inline constexpr status_line_table status_lines{};
}  // namespace detail

// The full status line including CRLF; codes outside 100..599 are clamped to 500.
inline constexpr std::string_view status_line(int status) noexcept {
    if (status < 100 || status > 599) status = 500;
    return {detail::status_lines.text[status - 100].data(), detail::status_lines.size[status - 100]};
}

}  // namespace duet::http
