// duet/http/middleware/etag.hpp — Express's default ETag on res.send, as a middleware entry.
//
// Owns: `duet::etag(etag_options)`: every body given whole below the mount (send,
// send_bytes, send_status, json, redirect) gets the ETag Express's res.send computes
// (npm `etag`: `W/"<length hex>-<27 chars of base64 SHA-1>"`, strong with .weak = false)
// unless the handler set one, and a GET or HEAD whose If-None-Match / If-Modified-Since
// find it fresh (npm `fresh`) is answered 304 without a body. Streamed bodies (write,
// static files, which have their own file ETag) are left alone.
//
//   duet::use(duet::etag())
//
// Not on by default as in Express: hashing every body costs CPU a cache-less API does
// not need.
#pragma once

#include <duet/http/etag.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>

namespace duet {

struct etag_options {
    bool weak = true;  // Express's "etag" setting: true/"weak" (the default) or "strong"
};

struct etag_middleware {
    // Public: the middleware is a structural type (a template argument of the table).
    etag_options options;

    void operator()(http::request& req, http::response& res) const {
        const bool conditional = req.method() == http::method::get || req.method() == http::method::head;
        res.etag_on_send(options.weak, conditional,
                         {.if_none_match = req.header_or("if-none-match", ""),
                          .if_modified_since = req.header_or("if-modified-since", ""),
                          .cache_control = req.header_or("cache-control", "")});
    }
};

constexpr etag_middleware etag(etag_options o = {}) { return etag_middleware{o}; }

}  // namespace duet
