// duet/http/middleware/compression.hpp — response compression (npm `compression`) as
// a middleware entry.
//
// Owns: `duet::compression(compression_options)`: the coding chosen from the request's
// Accept-Encoding (br then gzip preferred on equal quality, then deflate; identity when
// the client prefers it or accepts nothing else), applied to the response when its head goes
// out (http::response::compress_on_send), with npm compression's rules:
// - only types `compressible` says are worth it (text/*, JSON, JavaScript, XML, SVG ...),
//   and never with `Cache-Control: no-transform`; those get `Vary: Accept-Encoding`
//   whatever the size or the client, so a shared cache keeps the variants apart;
// - bodies of at least `threshold` bytes (1024 by default), not already encoded
//   (a Content-Encoding set by the handler), not for HEAD;
// - Content-Length is the compressed size.
//
//   duet::use(duet::compression())                  // everything below
//   duet::use<"/api">(duet::compression({.threshold = 0}))
//
// br (brotli, quality 4 as npm compression) when compiled in (DUET_HAS_BROTLI: the Meson
// build finds Debian's libbrotli-dev). Streamed bodies (res.write, static files) are
// decided at their first write and compressed as they are written (http::response).
#pragma once

#include <array>
#include <cstddef>

#include <duet/core/brotli.hpp>
#include <duet/http/accept_encoding.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>

namespace duet {

struct compression_options {
    // Smallest body compressed, in bytes (npm compression's `threshold`, "1kb").
    std::size_t threshold = 1024;
};

struct compression_middleware {
    // Public: the middleware is a structural type (a template argument of the table).
    compression_options options;

    duet::flow operator()(http::request& req, http::response& res) const {
        // npm compression's lists (br, then gzip, preferred on equal quality); without
        // brotli compiled in, the same lists less br — what compression does on a Node
        // without brotli.
        using c = http::content_coding;
        static constexpr std::array<c, 4> with_br{c::br, c::gzip, c::deflate, c::identity};
        static constexpr std::array<c, 2> preferred_with_br{c::br, c::gzip};
        static constexpr std::array<c, 3> without_br{c::gzip, c::deflate, c::identity};
        static constexpr std::array<c, 1> preferred_without_br{c::gzip};
        const auto accept = req.header("accept-encoding");
        c coding = c::identity;
        if (accept) {
            coding = brotli::available ? http::negotiate_encoding(*accept, with_br, preferred_with_br)
                                       : http::negotiate_encoding(*accept, without_br, preferred_without_br);
        }
        // HEAD is never compressed (Vary still says the answer depends on the header);
        // said here, since a streamed body is judged at its first write.
        if (req.method() == http::method::head) coding = c::identity;
        res.compress_on_send(coding, options.threshold);
        return duet::flow::next;
    }
};

constexpr compression_middleware compression(compression_options o = {}) { return compression_middleware{o}; }

}  // namespace duet
