// duet/http/middleware/static_files.hpp — serving a folder (express.static / serve-static).
//
// Owns: `duet::static_files<"root">(static_files_options)`: the mapping of a URL
// path below the mount point to a file under the root (decoding, traversal and
// dotfile checks, directory redirect, index.html). The answer with the file — its
// headers (Content-Type, Accept-Ranges, Cache-Control, Last-Modified, weak ETag),
// conditional requests (304, 412), single byte ranges (206, 416, If-Range), HEAD, and
// streaming the bytes in 64 KiB pieces with bounded memory per connection — is
// send_file.hpp's, shared with res.sendFile/res.download.
//
//   duet::use<"/static">(duet::static_files<"public">())
//   duet::use(duet::static_files<"/srv/www">({.max_age = 3600, .fallthrough = false}))
//
// The root is a compile-time string: absolute, or relative to the process's working
// directory (resolved at each request, like every relative path: do not chdir while
// serving). The options are bools, integers and an enum, so the middleware object is
// a structural type and the route table stays a valid template argument.
//
// The middleware must know its mount point to find the path below it: the `use`
// overload at the end of this file binds the prefix of `use<"/static">` into the
// middleware's type at compile time (no runtime cost). Outside of use<> (as per-route
// middleware) it serves the whole request path.
//
// Behaviour, with `send` / serve-static as the reference:
// - Only GET and HEAD; other methods go on to the next handlers (with fallthrough
//   off: 405 + `Allow: GET, HEAD`).
// - The path below the mount is percent-decoded: a malformed escape or a NUL byte
//   answers 400. A ".." segment (also "%2e%2e", "..%2f"), any backslash, and a path
//   that is absolute once decoded ("/%2Fetc/passwd", "//etc/passwd") answer 403.
//   Stricter than `send`, which serves "sub/../x" after normalising it and treats a
//   backslash as a file-name character on POSIX: here no request can even name a
//   file through a parent segment. "." and empty segments are dropped.
// - A segment starting with '.' (".env", ".git/config") is a dotfile: `ignore`
//   (default) treats it as not found, `deny` answers 403, `allow` serves it.
// - Not found (missing file, a file named with a trailing slash, a directory URL
//   with the index off or missing, anything but a regular file): next() with
//   fallthrough (the default), so later routes answer; 404 without. Unlike
//   serve-static, fallthrough does not apply to 400/403/412/416: those are answered.
// - A directory without a trailing slash: 301 to the same path + "/" (query kept,
//   leading slashes collapsed so the Location cannot name another host); with
//   `redirect` off, not found. With a trailing slash: its index.html (`index`).
// - Headers, each only when not already set by an earlier middleware: Accept-Ranges:
//   bytes, Cache-Control: public, max-age=N[, immutable] (N capped at one year as
//   `send` does), Last-Modified (mtime), ETag `W/"<size hex>-<mtime ms hex>"` (npm
//   `etag`), Content-Type by extension (mime.hpp; unknown: application/octet-stream).
// - If-Match / If-Unmodified-Since failing: 412. If-None-Match / If-Modified-Since
//   fresh (npm `fresh`): 304 without Content-* headers.
// - Range: one satisfiable range (after combining) -> 206 with Content-Range;
//   nothing satisfiable -> 416 with `Content-Range: bytes */size`; malformed, not
//   bytes, or several disjoint ranges -> ignored, 200. An If-Range that does not
//   match the current ETag / Last-Modified -> the whole file with 200.
// - HEAD: the same head (Content-Length included), no body, the file is not read.
// - GET: files up to 64 KiB go out with the response in one piece; larger ones are
//   read 64 KiB at a time, each piece written and flushed (`co_await res.flush()`)
//   before the next is read, so a connection holds at most about one piece whatever
//   the file's size. A file that shrinks while it is sent ends the response with an
//   error (the connection is closed: its Content-Length can no longer be honoured).
// - Files are read with pread() on the connection's thread (they normally come from
//   the page cache); symbolic links are followed, as `send` does.
#pragma once

#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include <duet/core/fixed_string.hpp>
#include <duet/http/percent.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/route_pattern.hpp>
#include <duet/http/router.hpp>
#include <duet/http/send_file.hpp>

namespace duet {

struct static_files_options {
    // A URL ending in '/' serves the directory's index.html.
    bool index = true;
    // Send a weak ETag (and honour If-None-Match / If-Match / If-Range with it).
    bool etag = true;
    // Send Last-Modified (and honour If-Modified-Since / If-Unmodified-Since / If-Range dates).
    bool last_modified = true;
    // Cache-Control max-age in seconds (capped at one year).
    std::uint32_t max_age = 0;
    // Send Cache-Control at all.
    bool cache_control = true;
    // Add ", immutable" to Cache-Control.
    bool immutable = false;
    dotfiles_policy dotfiles = dotfiles_policy::ignore;
    // A missing file calls next() (later routes answer); false answers 404 (and 405
    // for methods other than GET/HEAD).
    bool fallthrough = true;
    // A directory URL without a trailing slash redirects (301) to the URL with one.
    bool redirect = true;
    // Honour Range requests and send Accept-Ranges: bytes.
    bool accept_ranges = true;
};

namespace http {
namespace static_detail {

using namespace file_detail;

enum class step { next, done, stream };

inline step answer(response& res, int status) {
    answer_status(res, status);
    return step::done;
}

inline step not_found(const static_files_options& o, response& res) {
    return o.fallthrough ? step::next : answer(res, 404);
}

// serve-static's directory redirect: same path plus '/', query kept.
inline step redirect_to_directory(request& req, response& res) {
    std::string_view path = req.original_path();  // mounted tables included (serve-static: originalUrl)
    // "//evil.example/x" would be a network-path reference: keep one leading slash.
    std::size_t slashes = 0;
    while (slashes < path.size() && path[slashes] == '/') ++slashes;
    if (slashes > 1) path.remove_prefix(slashes - 1);
    std::string location;
    location.reserve(path.size() + 2 + req.query_string().size());
    location.append(path).push_back('/');
    if (!req.query_string().empty()) location.append("?").append(req.query_string());
    res.redirect(location, 301);
    return step::done;
}

// Everything but the streaming: decide, set status and headers, open the file.
inline step prepare(std::string_view root, std::string_view mount, const static_files_options& o,
                       request& req, response& res, body_job& job) {
    const method m = req.method();
    if (m != method::get && m != method::head) {
        if (o.fallthrough) return step::next;
        res.set("Allow", "GET, HEAD");
        return answer(res, 405);
    }

    std::string_view rest;
    if (!mount_matches(mount, req.path(), rest)) return step::next;
    // At the very mount point of a mounted table the path is "/" though the client
    // wrote none: the folder must still be redirected to "/mount/" (serve-static
    // checks originalUrl the same way), or its index's relative links would break.
    if (rest == "/" && !req.original_path().ends_with('/')) rest = {};
    // Not an origin-form path ("*", "http://host/x"): nothing here can match it.
    if (!rest.empty() && rest.front() != '/') return not_found(o, res);

    scratch& s = thread_scratch();
    s.decoded.clear();
    if (!percent_decode_append(s.decoded, rest)) return answer(res, 400);
    const std::string_view decoded = s.decoded;
    if (decoded.find('\0') != std::string_view::npos) return answer(res, 400);
    if (decoded.find('\\') != std::string_view::npos) return answer(res, 403);
    if (decoded.size() >= 2 && decoded[1] == '/') return answer(res, 403);  // absolute once decoded

    const bool trailing_slash = !decoded.empty() && decoded.back() == '/';
    s.fs_path.assign(root);
    while (s.fs_path.size() > 1 && s.fs_path.back() == '/') s.fs_path.pop_back();
    bool dotfile = false;
    std::string_view name = "index.html";  // what the Content-Type is taken from
    for (std::string_view p = decoded; !p.empty();) {
        const std::size_t slash = p.find('/');
        const std::string_view seg = p.substr(0, slash);
        p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash + 1);
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") return answer(res, 403);
        if (seg.size() > 1 && seg.front() == '.') dotfile = true;
        if (s.fs_path.empty() || s.fs_path.back() != '/') s.fs_path.push_back('/');
        s.fs_path.append(seg);
        name = seg;
    }
    if (dotfile) {
        if (o.dotfiles == dotfiles_policy::deny) return answer(res, 403);
        if (o.dotfiles == dotfiles_policy::ignore) return not_found(o, res);
    }
    if (trailing_slash && o.index) {
        if (s.fs_path.back() != '/') s.fs_path.push_back('/');
        s.fs_path.append("index.html");
        name = "index.html";
    }

    if (trailing_slash && !o.index) return not_found(o, res);  // "file.txt/" names no file, nor does "dir/"
    const answer_options ao{o.etag, o.last_modified, o.max_age, o.cache_control, o.immutable, o.accept_ranges};
    switch (open_and_answer(s.fs_path.c_str(), name, ao, req, res, job)) {
        case outcome::missing: return not_found(o, res);
        case outcome::forbidden: return answer(res, 403);
        case outcome::directory:
            // (With a trailing slash and the index on, the path named index.html: a
            // directory called index.html is simply not an index.)
            if (trailing_slash || !o.redirect) return not_found(o, res);
            return redirect_to_directory(req, res);
        case outcome::done: return step::done;
        case outcome::stream: return step::stream;
        // serve-static answers these itself, without the file's headers (they describe
        // no representation); a 416 keeps its Content-Range.
        case outcome::precondition_failed:
            remove_file_headers(res);
            return answer(res, 412);
        case outcome::unsatisfiable:
            remove_file_headers(res);
            return answer(res, 416);
    }
    return step::done;
}

// The whole middleware, one non-template coroutine shared by every instantiation.
inline asio::awaitable<flow> serve(std::string_view root, std::string_view mount, static_files_options o,
                                   request& req, response& res) {
    body_job job;
    const step what = prepare(root, mount, o, req, res, job);
    if (what == step::next) co_return flow::next;
    if (what == step::done) co_return flow::done;
    co_await stream_body(res, job);
    co_return flow::done;
}

}  // namespace static_detail

// Root: the folder served. Mount: the use<> prefix it is mounted at (bound by
// duet::use; "/" otherwise).
template <fixed_string Root, fixed_string Mount = "/">
struct static_files_middleware {
    static_assert(!Root.view().empty(), "duet::static_files: the root folder must not be empty (use \".\")");
    static_assert([] {
        for (char c : Root.view())
            if (c == '\0') return false;
        return true;
    }(), "duet::static_files: NUL in the root folder");

    // Public and non-mutable: the middleware is a structural type.
    static_files_options options;

    // For duet::use<Prefix>: the same middleware, knowing where it is mounted.
    static constexpr bool is_static_files = true;
    template <fixed_string Prefix>
    using mounted_at = static_files_middleware<Root, Prefix>;

    asio::awaitable<flow> operator()(request& req, response& res) const {
        return static_detail::serve(Root.view(), Mount.view(), options, req, res);
    }
};

template <class M>
concept unmounted_static_files = requires { M::is_static_files; };

}  // namespace http

// `duet::static_files<"public">(options)`: serves the folder "public" (relative to
// the working directory, or absolute); mount it with `duet::use<"/prefix">(...)`.
template <fixed_string Root>
constexpr http::static_files_middleware<Root> static_files(static_files_options options = {}) {
    return {options};
}

// `duet::use<"/static">(duet::static_files<"public">())`: the general `use` (router.hpp)
// with the prefix also bound into the middleware's type, so that it can find the
// path below the mount point. Chosen over the general overload because it is more
// constrained.
template <fixed_string Prefix = "/", class M>
    requires http::unmounted_static_files<M>
constexpr http::use_entry<Prefix, typename M::template mounted_at<Prefix>> use(M m) {
    return {{m.options}};
}

}  // namespace duet
