// duet/http/options.hpp — every limit and timeout of the HTTP/1.1 connection.
//
// Owns: `http::limits`, the documented, configurable bounds that keep a client from
// growing memory or holding a connection forever. Defaults follow Node's http.Server
// where it has one (header size 16 KiB, 2000 headers... we are stricter: 100),
// otherwise a value a web app can live with. README "Limits" lists them all.
#pragma once

#include <chrono>
#include <cstddef>

namespace duet::http {

struct limits {
    // Request line + all header lines, in bytes. Over it: 431 and close.
    std::size_t max_header_bytes = 16 * 1024;
    // Number of header fields. Over it: 431 and close.
    std::size_t max_header_count = 100;
    // Decoded request body (Content-Length or the sum of chunks). Over it: 413 and close.
    std::size_t max_body_bytes = 1024 * 1024;
    // Fields of a form body read by req.body_form() / form_body<T> ('&'-separated
    // pairs). Over it: 413 "too many parameters" (body-parser's parameterLimit).
    std::size_t max_form_parameters = 1000;
    // Requests answered from one read before the responses are flushed and the
    // connection waits for the client to read them (bounds the output buffer that
    // pipelining can build up).
    std::size_t max_pipelined_requests = 64;
    // From the first byte of a request until its headers are complete. Over it:
    // 408 and close (slowloris).
    std::chrono::milliseconds header_timeout{10'000};
    // From the end of the headers until the body is complete. Over it: 408 and close.
    std::chrono::milliseconds body_timeout{30'000};
    // An idle keep-alive connection (no request in progress) is closed after this.
    std::chrono::milliseconds keep_alive_timeout{5'000};
    // A response the client does not read: the connection is closed when a write
    // has not completed after this long.
    std::chrono::milliseconds write_timeout{30'000};
};

}  // namespace duet::http
