// Integration tests of the CORS and static-file middleware over loopback with a raw
// socket client: the exact headers and statuses a browser sees (simple requests,
// preflights, credentials, refused origins), and a served folder created for the
// test (types, validators, 304/412, ranges 206/416, HEAD, a 1 MiB+ file streamed in
// pieces, directories and index.html, dotfiles, traversal 403, malformed 400, and
// routes answering after a fallthrough).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <duet/duet.hpp>
#include <duet/core/brotli.hpp>
#include <duet/core/zlib.hpp>
#include <duet/http/middleware/compression.hpp>
#include <duet/http/middleware/cors.hpp>
#include <duet/http/middleware/static_files.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using duet_test::body_of;
using duet_test::header_of;
using duet_test::raw_client;
using duet_test::status_of;

namespace {

// ----- the served folder -----

constexpr std::size_t big_size = 1024 * 1024 + 12345;  // > 16 pieces of 64 KiB, not a multiple
constexpr std::int64_t hello_mtime_s = 1609459200;     // Fri, 01 Jan 2021 00:00:00 GMT
constexpr long hello_mtime_ns = 123456789;             // .123 s: the ETag carries milliseconds
const std::string hello_body = "Hello, world!\n";
const std::string unicode_name = "\xC3\xBCnic\xC3\xB6" "de-\xE2\x9C\x93.txt";  // "ünicöde-✓.txt"

std::string big_content() {
    std::string s(big_size, '\0');
    for (std::size_t i = 0; i < big_size; ++i) s[i] = static_cast<char>((i * 131 + (i >> 16) + (i >> 8)) & 0xff);
    return s;
}

void write_file(const std::filesystem::path& p, std::string_view content) {
    std::ofstream f(p, std::ios::binary);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

// Creates <tmp>/public with the test files (and <tmp>/secret.txt outside of it),
// makes <tmp> the working directory (the roots below are relative), and undoes both.
class served_folder {
public:
    served_folder() {
        char tmpl[] = "/tmp/duet-mw-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        dir_ = tmpl;
        old_cwd_ = std::filesystem::current_path();
        namespace fs = std::filesystem;
        const fs::path pub = dir_ / "public";
        fs::create_directories(pub / "sub");
        fs::create_directories(pub / "emptydir");
        fs::create_directories(pub / ".hidden");
        write_file(dir_ / "secret.txt", "TOP SECRET");
        write_file(pub / "hello.txt", hello_body);
        write_file(pub / "index.html", "<h1>root index</h1>");
        write_file(pub / "style.css", "body{color:red}");
        write_file(pub / "noext", "raw bytes");
        write_file(pub / "empty.txt", "");
        write_file(pub / "big.bin", big_content());
        write_file(pub / ".secret", "dot secret");
        write_file(pub / ".hidden" / "inside.txt", "hidden inside");
        write_file(pub / "sub" / "index.html", "<p>sub index</p>");
        write_file(pub / "sub" / "page.txt", "sub page");
        write_file(pub / "with space.txt", "spaced out");
        write_file(pub / unicode_name, "unicode body");
        const timespec times[2] = {{hello_mtime_s, hello_mtime_ns}, {hello_mtime_s, hello_mtime_ns}};
        if (::utimensat(AT_FDCWD, (pub / "hello.txt").c_str(), times, 0) != 0) throw std::runtime_error("utimensat");
        fs::current_path(dir_);
    }
    ~served_folder() {
        std::error_code ec;
        std::filesystem::current_path(old_cwd_, ec);
        std::filesystem::remove_all(dir_, ec);
    }

private:
    std::filesystem::path dir_, old_cwd_;
};

// W/"<size hex>-<mtime ms hex>" as npm etag writes it.
std::string expected_etag(std::uint64_t size, std::int64_t mtime_ms) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "W/\"%llx-%llx\"", static_cast<unsigned long long>(size),
                  static_cast<unsigned long long>(mtime_ms));
    return buf;
}
const std::string hello_etag = expected_etag(14, hello_mtime_s * 1000 + hello_mtime_ns / 1000000);
const std::string hello_last_modified = "Fri, 01 Jan 2021 00:00:00 GMT";

// ----- the application -----

// A routes table mounted under /site, serving the folder from its own root.
constexpr auto site_routes = duet::routes(duet::use(duet::static_files<"public">()));

constexpr auto routes = duet::routes(
    // CORS
    duet::use<"/open">(duet::cors<"*">()),
    duet::use<"/api">(duet::cors<"https://a.example, https://b.example", "X-Total,X-Page">(
        {.credentials = true, .max_age = 600})),
    duet::use<"/cred">(duet::cors<"*">({.credentials = true})),
    duet::use<"/custom">(duet::cors<"https://a.example", "", "GET,POST", "Content-Type,X-Token">(
        {.preflight_status = 200})),
    duet::use<"/cont">(duet::cors<"*">({.preflight_continue = true})),
    duet::get<"/open/data">([](duet::response& res) { res.send("open data"); }),
    duet::get<"/api/data">([](duet::response& res) {
        res.set("X-Total", "2");
        res.send("api data");
    }),
    duet::put<"/api/data">([](duet::response& res) { res.send("api put"); }),
    duet::get<"/cred/data">([](duet::response& res) { res.send("cred data"); }),
    duet::get<"/custom/data">([](duet::response& res) { res.send("custom data"); }),
    duet::options<"/cont/data">([](duet::response& res) { res.send("options handler"); }),

    // Compression
    duet::use<"/z">(duet::compression()),
    duet::use<"/t0">(duet::compression({.threshold = 0})),
    duet::get<"/z/big">([](duet::response& res) { res.send(std::string(3000, 'a') + "end"); }),
    duet::get<"/z/small">([](duet::response& res) { res.send(std::string(1023, 'b')); }),
    duet::get<"/z/json">([](duet::response& res) {
        boost::json::array a;
        for (int i = 0; i < 300; ++i) a.emplace_back(i);
        res.json(a);
    }),
    duet::get<"/z/png">([](duet::response& res) {
        res.type("image/png");
        res.send(std::string(3000, 'p'));
    }),
    duet::get<"/z/encoded">([](duet::response& res) {
        res.set("Content-Encoding", "br");
        res.type("text/plain");
        res.send(std::string(3000, 'e'));
    }),
    duet::get<"/z/notransform">([](duet::response& res) {
        res.set("Cache-Control", "public, no-transform");
        res.send(std::string(3000, 'n'));
    }),
    duet::get<"/z/stream">([](duet::response& res) {
        res.type("text/plain");
        res.write(std::string(3000, 's'));
        res.end();
    }),
    duet::get<"/z/empty">([](duet::response& res) { res.send_status(204); }),
    duet::get<"/t0/tiny">([](duet::response& res) {
        res.type("application/vnd.api+json");
        res.send("{}");
    }),

    // Static files
    duet::use<"/static">(duet::static_files<"public">()),
    duet::use<"/strict">(duet::static_files<"public">({.fallthrough = false})),
    duet::use<"/plain">(duet::static_files<"public">({.index = false,
                                                      .etag = false,
                                                      .last_modified = false,
                                                      .max_age = 3600,
                                                      .immutable = true,
                                                      .redirect = false,
                                                      .accept_ranges = false})),
    duet::use<"/deny">(duet::static_files<"public">({.dotfiles = duet::dotfiles_policy::deny})),
    duet::use<"/allow">(duet::static_files<"public">({.dotfiles = duet::dotfiles_policy::allow})),
    duet::use<"/abs">(duet::static_files<"/proc/self/cwd/public">()),  // an absolute root
    duet::use<"/site">(site_routes),  // static files inside a mounted table
    // Routes after a fallthrough still answer...
    duet::get<"/static/dynamic">([](duet::response& res) { res.send("dynamic route"); }),
    duet::post<"/static/*">([](duet::response& res, std::string_view rest) { res.send("posted " + std::string(rest)); }),
    // ...and a last middleware marks what fell through (Express's final 404 handler).
    duet::use<"/static">([](duet::response& res) {
        res.status(404);
        res.type("text/plain");
        res.send("fallback 404");
    }),
    // Mounted at "/" (no prefix): the whole path is below the mount.
    duet::use(duet::static_files<"public">()));

using test_server = duet::server<routes>;

duet::server_options local() {
    duet::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
}

std::string req(std::string_view method, std::string_view target, std::string_view extra = {}) {
    return std::string(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: x\r\n").append(extra).append("\r\n");
}
std::string get(std::string_view target, std::string_view extra = {}) { return req("GET", target, extra); }

// One request, one response, on a fresh connection.
std::string fetch(std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 5000ms) {
    raw_client c(port);
    c.send(request);
    return c.read_response(timeout);
}

// A HEAD answer has a Content-Length but no body: read the head only.
std::string read_head(raw_client& c) { return c.read(3000ms, "\r\n\r\n"); }

}  // namespace

// ===================================================================== compression

namespace {
// A chunked body's data (chunk extensions and trailers ignored).
std::string dechunked(std::string_view body) {
    std::string out;
    while (!body.empty()) {
        const auto eol = body.find("\r\n");
        REQUIRE(eol != std::string_view::npos);
        const std::size_t size = std::stoul(std::string(body.substr(0, eol)), nullptr, 16);
        if (size == 0) break;
        REQUIRE(body.size() >= eol + 2 + size + 2);
        out.append(body.substr(eol + 2, size));
        body.remove_prefix(eol + 2 + size + 2);
    }
    return out;
}
// The body of a response, decoded by its Content-Encoding.
std::string decoded_body(const std::string& r) {
    const std::string body = body_of(r);
    const auto enc = header_of(r, "content-encoding");
    if (!enc) return body;
    std::string out;
    const auto f = *enc == "gzip" ? duet::zlib::format::gzip : duet::zlib::format::zlib;
    REQUIRE_FALSE(duet::zlib::decompress(body, out, f));
    return out;
}
}  // namespace

TEST_CASE("compression: the Accept-Encoding decides the coding, the body decodes to the original") {
    duet_test::running_server<test_server> srv(local());
    const std::string big = std::string(3000, 'a') + "end";
    struct row {
        const char* accept;
        const char* coding;  // nullptr: sent as is
    };
    // br when brotli is compiled in (preferred on equal quality, as npm compression).
    const char* br_or_gzip = duet::brotli::available ? "br" : "gzip";
    const char* br_or_none = duet::brotli::available ? "br" : nullptr;
    for (const row& x : {row{"gzip, deflate, br", br_or_gzip}, row{"gzip, deflate", "gzip"}, row{"deflate, gzip", "gzip"},
                         row{"deflate", "deflate"}, row{"gzip;q=0.5, identity", nullptr}, row{"br", br_or_none},
                         row{"identity", nullptr}, row{nullptr, nullptr}, row{"*", br_or_gzip}}) {
        CAPTURE(x.accept);
        auto r = fetch(srv.port(), get("/z/big", x.accept ? std::string("Accept-Encoding: ") + x.accept + "\r\n" : ""));
        CHECK(status_of(r) == 200);
        CHECK(header_of(r, "vary") == "Accept-Encoding");
        if (x.coding) {
            CHECK(header_of(r, "content-encoding") == x.coding);
            CHECK(body_of(r).size() < 100);
            CHECK(header_of(r, "content-length") == std::to_string(body_of(r).size()));
        } else {
            CHECK_FALSE(header_of(r, "content-encoding").has_value());
        }
        // (br bodies are decoded by the interop test, with Node's decoder.)
        if (!x.coding || std::string_view(x.coding) != "br") CHECK(decoded_body(r) == big);
    }
    // JSON from res.json(), and any +json type with threshold 0.
    auto r = fetch(srv.port(), get("/z/json", "Accept-Encoding: gzip\r\n"));
    CHECK(header_of(r, "content-encoding") == "gzip");
    CHECK(decoded_body(r).substr(0, 8) == "[0,1,2,3");
    r = fetch(srv.port(), get("/t0/tiny", "Accept-Encoding: gzip\r\n"));
    CHECK(header_of(r, "content-encoding") == "gzip");
    CHECK(decoded_body(r) == "{}");
    // Keep-alive holds across compressed answers on one connection.
    raw_client c(srv.port());
    for (int i = 0; i < 3; ++i) {
        c.send(get("/z/big", "Accept-Encoding: gzip\r\n"));
        CHECK(decoded_body(c.read_response(3000ms)) == big);
    }
}

TEST_CASE("compression: what is never compressed, as npm compression") {
    duet_test::running_server<test_server> srv(local());
    const std::string gz = "Accept-Encoding: gzip\r\n";
    // Under the threshold: as is, but Vary (the answer depends on Accept-Encoding for
    // bigger bodies of the same route).
    auto r = fetch(srv.port(), get("/z/small", gz));
    CHECK_FALSE(header_of(r, "content-encoding").has_value());
    CHECK(header_of(r, "vary") == "Accept-Encoding");
    CHECK(body_of(r) == std::string(1023, 'b'));
    // Not a compressible type: no Vary either.
    r = fetch(srv.port(), get("/z/png", gz));
    CHECK_FALSE(header_of(r, "content-encoding").has_value());
    CHECK_FALSE(header_of(r, "vary").has_value());
    // Already encoded by the handler: left alone.
    r = fetch(srv.port(), get("/z/encoded", gz));
    CHECK(header_of(r, "content-encoding") == "br");
    CHECK(body_of(r) == std::string(3000, 'e'));
    // Cache-Control: no-transform.
    r = fetch(srv.port(), get("/z/notransform", gz));
    CHECK_FALSE(header_of(r, "content-encoding").has_value());
    CHECK_FALSE(header_of(r, "vary").has_value());
    // HEAD: the head of the uncompressed answer.
    raw_client c(srv.port());
    c.send(req("HEAD", "/z/big", gz));
    const std::string head = read_head(c);
    CHECK(status_of(head) == 200);
    CHECK_FALSE(header_of(head, "content-encoding").has_value());
    CHECK(header_of(head, "content-length") == "3003");
    // A streamed body is compressed as it is written and sent chunked (npm compression).
    r = fetch(srv.port(), get("/z/stream", gz));
    CHECK(header_of(r, "content-encoding") == "gzip");
    CHECK(header_of(r, "transfer-encoding") == "chunked");
    CHECK_FALSE(header_of(r, "content-length").has_value());
    std::string inflated;
    CHECK_FALSE(duet::zlib::decompress(dechunked(body_of(r)), inflated, duet::zlib::format::gzip));
    CHECK(inflated == std::string(3000, 's'));
    // No body.
    r = fetch(srv.port(), get("/z/empty", gz));
    CHECK(status_of(r) == 204);
    CHECK_FALSE(header_of(r, "content-encoding").has_value());
    // Outside the mount: nothing.
    r = fetch(srv.port(), get("/static/dynamic", gz));
    CHECK_FALSE(header_of(r, "vary").has_value());
}

// ===================================================================== CORS

TEST_CASE("cors \"*\": any origin gets Access-Control-Allow-Origin: *, no Vary, no credentials") {
    duet_test::running_server<test_server> srv(local());
    auto r = fetch(srv.port(), get("/open/data", "Origin: https://x.example\r\n"));
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "open data");
    CHECK(header_of(r, "access-control-allow-origin") == "*");
    CHECK_FALSE(header_of(r, "vary").has_value());
    CHECK_FALSE(header_of(r, "access-control-allow-credentials").has_value());
    CHECK_FALSE(header_of(r, "access-control-expose-headers").has_value());
    CHECK_FALSE(header_of(r, "access-control-allow-methods").has_value());  // not a preflight

    r = fetch(srv.port(), get("/open/data"));  // no Origin: npm cors still says "*"
    CHECK(header_of(r, "access-control-allow-origin") == "*");

    // A route outside the mount gets nothing.
    r = fetch(srv.port(), get("/static/dynamic", "Origin: https://x.example\r\n"));
    CHECK(body_of(r) == "dynamic route");
    CHECK_FALSE(header_of(r, "access-control-allow-origin").has_value());
}

TEST_CASE("cors origin list: a listed origin is echoed with Vary, credentials and exposed headers") {
    duet_test::running_server<test_server> srv(local());
    for (std::string origin : {"https://a.example", "https://b.example"}) {
        auto r = fetch(srv.port(), get("/api/data", "Origin: " + origin + "\r\n"));
        CHECK(status_of(r) == 200);
        CHECK(body_of(r) == "api data");
        CHECK(header_of(r, "access-control-allow-origin") == origin);
        CHECK(header_of(r, "vary") == "Origin");
        CHECK(header_of(r, "access-control-allow-credentials") == "true");
        CHECK(header_of(r, "access-control-expose-headers") == "X-Total,X-Page");
        CHECK(header_of(r, "x-total") == "2");
        CHECK_FALSE(header_of(r, "access-control-max-age").has_value());  // preflight only
    }
}

TEST_CASE("cors: a disallowed origin gets no CORS headers but the request is still handled") {
    duet_test::running_server<test_server> srv(local());
    for (std::string extra : {"Origin: https://evil.example\r\n", "Origin: https://A.example\r\n",
                              "Origin: https://a.example.evil\r\n", "Origin: null\r\n", ""}) {
        CAPTURE(extra);
        auto r = fetch(srv.port(), get("/api/data", extra));
        CHECK(status_of(r) == 200);
        CHECK(body_of(r) == "api data");  // the handler ran
        CHECK_FALSE(header_of(r, "access-control-allow-origin").has_value());
        CHECK_FALSE(header_of(r, "access-control-allow-credentials").has_value());
        CHECK_FALSE(header_of(r, "access-control-expose-headers").has_value());
        CHECK(header_of(r, "vary") == "Origin");  // the answer depends on Origin: caches must know
    }
}

TEST_CASE("cors preflight: 204 with methods, echoed headers and max-age; routing stops there") {
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(req("OPTIONS", "/api/data",
               "Origin: https://a.example\r\nAccess-Control-Request-Method: PUT\r\n"
               "Access-Control-Request-Headers: content-type, x-token\r\n"));
    auto r = c.read_response();
    CHECK(r.rfind("HTTP/1.1 204 No Content\r\n", 0) == 0);
    CHECK(header_of(r, "access-control-allow-origin") == "https://a.example");
    CHECK(header_of(r, "access-control-allow-credentials") == "true");
    CHECK(header_of(r, "access-control-allow-methods") == "GET,HEAD,PUT,PATCH,POST,DELETE");
    CHECK(header_of(r, "access-control-allow-headers") == "content-type, x-token");
    CHECK(header_of(r, "access-control-max-age") == "600");
    CHECK(header_of(r, "vary") == "Origin, Access-Control-Request-Headers");
    CHECK_FALSE(header_of(r, "allow").has_value());  // the router's automatic OPTIONS did not run
    CHECK_FALSE(header_of(r, "content-length").has_value());
    CHECK(body_of(r).empty());
    // Nothing stray on the connection.
    c.send(get("/api/data", "Origin: https://b.example\r\n"));
    CHECK(body_of(c.read_response()) == "api data");

    // Without Access-Control-Request-Headers: no Allow-Headers.
    r = fetch(srv.port(), req("OPTIONS", "/open/data", "Origin: https://x.example\r\nAccess-Control-Request-Method: GET\r\n"));
    CHECK(status_of(r) == 204);
    CHECK(header_of(r, "access-control-allow-origin") == "*");
    CHECK(header_of(r, "access-control-allow-methods") == "GET,HEAD,PUT,PATCH,POST,DELETE");
    CHECK_FALSE(header_of(r, "access-control-allow-headers").has_value());
    CHECK_FALSE(header_of(r, "access-control-max-age").has_value());
    CHECK(header_of(r, "vary") == "Access-Control-Request-Headers");  // "*": the origin does not matter
}

TEST_CASE("cors preflight from a disallowed origin: answered, but without any CORS header") {
    duet_test::running_server<test_server> srv(local());
    auto r = fetch(srv.port(), req("OPTIONS", "/api/data",
                                   "Origin: https://evil.example\r\nAccess-Control-Request-Method: PUT\r\n"
                                   "Access-Control-Request-Headers: x-token\r\n"));
    CHECK(status_of(r) == 204);
    CHECK_FALSE(header_of(r, "access-control-allow-origin").has_value());
    CHECK_FALSE(header_of(r, "access-control-allow-methods").has_value());
    CHECK_FALSE(header_of(r, "access-control-allow-headers").has_value());
    CHECK_FALSE(header_of(r, "access-control-allow-credentials").has_value());
    CHECK_FALSE(header_of(r, "access-control-max-age").has_value());
    CHECK(header_of(r, "vary") == "Origin");
}

TEST_CASE("cors: an OPTIONS without Access-Control-Request-Method is routed normally") {
    duet_test::running_server<test_server> srv(local());
    auto r = fetch(srv.port(), req("OPTIONS", "/api/data", "Origin: https://a.example\r\n"));
    CHECK(status_of(r) == 200);  // the router's automatic OPTIONS
    CHECK(header_of(r, "allow") == "GET, HEAD, PUT, OPTIONS");
    CHECK(header_of(r, "access-control-allow-origin") == "https://a.example");
    CHECK_FALSE(header_of(r, "access-control-allow-methods").has_value());
}

TEST_CASE("cors \"*\" with credentials echoes the origin (a browser refuses * with credentials)") {
    duet_test::running_server<test_server> srv(local());
    auto r = fetch(srv.port(), get("/cred/data", "Origin: https://x.example\r\n"));
    CHECK(body_of(r) == "cred data");
    CHECK(header_of(r, "access-control-allow-origin") == "https://x.example");
    CHECK(header_of(r, "access-control-allow-credentials") == "true");
    CHECK(header_of(r, "vary") == "Origin");

    r = fetch(srv.port(), get("/cred/data"));  // not a cross-origin request
    CHECK(body_of(r) == "cred data");
    CHECK_FALSE(header_of(r, "access-control-allow-origin").has_value());
    CHECK(header_of(r, "vary") == "Origin");
}

TEST_CASE("cors: configured methods and allowed headers, custom preflight status, preflight_continue") {
    duet_test::running_server<test_server> srv(local());
    auto r = fetch(srv.port(), req("OPTIONS", "/custom/data",
                                   "Origin: https://a.example\r\nAccess-Control-Request-Method: POST\r\n"
                                   "Access-Control-Request-Headers: x-other\r\n"));
    CHECK(status_of(r) == 200);
    CHECK(body_of(r).empty());
    CHECK(header_of(r, "access-control-allow-origin") == "https://a.example");
    CHECK(header_of(r, "access-control-allow-methods") == "GET,POST");
    CHECK(header_of(r, "access-control-allow-headers") == "Content-Type,X-Token");  // configured, not echoed
    CHECK(header_of(r, "vary") == "Origin");
    CHECK_FALSE(header_of(r, "access-control-allow-credentials").has_value());
    CHECK_FALSE(header_of(r, "access-control-expose-headers").has_value());

    r = fetch(srv.port(), req("OPTIONS", "/cont/data", "Origin: https://x.example\r\nAccess-Control-Request-Method: GET\r\n"));
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "options handler");  // the preflight went on to the route
    CHECK(header_of(r, "access-control-allow-origin") == "*");
    CHECK(header_of(r, "access-control-allow-methods") == "GET,HEAD,PUT,PATCH,POST,DELETE");
}

// ============================================================= static files

TEST_CASE("static: a file with its type, length, validators and cache headers") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/static/hello.txt"));
    auto r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == hello_body);
    CHECK(header_of(r, "content-type") == "text/plain; charset=utf-8");
    CHECK(header_of(r, "content-length") == "14");
    CHECK(header_of(r, "accept-ranges") == "bytes");
    CHECK(header_of(r, "cache-control") == "public, max-age=0");
    CHECK(header_of(r, "last-modified") == hello_last_modified);
    CHECK(header_of(r, "etag") == hello_etag);
    CHECK_FALSE(header_of(r, "transfer-encoding").has_value());

    // Types by extension; unknown -> application/octet-stream.
    c.send(get("/static/style.css"));
    r = c.read_response();
    CHECK(body_of(r) == "body{color:red}");
    CHECK(header_of(r, "content-type") == "text/css; charset=utf-8");
    c.send(get("/static/noext"));
    r = c.read_response();
    CHECK(body_of(r) == "raw bytes");
    CHECK(header_of(r, "content-type") == "application/octet-stream");
    c.send(get("/static/empty.txt"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(header_of(r, "content-length") == "0");
    CHECK(body_of(r).empty());

    // Names with a space and with non-ASCII characters, percent-encoded.
    c.send(get("/static/with%20space.txt"));
    CHECK(body_of(c.read_response()) == "spaced out");
    c.send(get("/static/%C3%BCnic%C3%B6de-%E2%9C%93.txt"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "unicode body");
    // An encoded slash is a slash; "." segments and doubled inner slashes are dropped.
    c.send(get("/static/sub%2Fpage.txt"));
    CHECK(body_of(c.read_response()) == "sub page");
    c.send(get("/static/./sub//page.txt?x=1"));
    CHECK(body_of(c.read_response()) == "sub page");

    // Pipelined: both answered, in order, on one connection.
    c.send(get("/static/noext") + get("/static/hello.txt"));
    CHECK(body_of(c.read_response()) == "raw bytes");
    CHECK(body_of(c.read_response()) == hello_body);

    // Options: no validators, one-year-capped max-age, immutable, no ranges.
    c.send(get("/plain/hello.txt", "Range: bytes=0-1\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == hello_body);
    CHECK(header_of(r, "cache-control") == "public, max-age=3600, immutable");
    CHECK_FALSE(header_of(r, "etag").has_value());
    CHECK_FALSE(header_of(r, "last-modified").has_value());
    CHECK_FALSE(header_of(r, "accept-ranges").has_value());
    CHECK_FALSE(header_of(r, "content-range").has_value());

    // Mounted at "/" and with an absolute root.
    c.send(get("/hello.txt"));
    CHECK(body_of(c.read_response()) == hello_body);
    c.send(get("/abs/hello.txt"));
    r = c.read_response();
    CHECK(body_of(r) == hello_body);
    CHECK(header_of(r, "etag") == hello_etag);
}

TEST_CASE("static: a 1 MiB+ file is streamed byte-exact, HEAD sends the head only, keep-alive holds") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    const std::string big = big_content();
    raw_client c(srv.port());
    c.send(get("/static/big.bin"));
    auto r = c.read_response(20000ms);
    CHECK(status_of(r) == 200);
    CHECK(header_of(r, "content-length") == std::to_string(big_size));
    CHECK(header_of(r, "content-type") == "application/octet-stream");
    CHECK_FALSE(header_of(r, "transfer-encoding").has_value());
    CHECK(body_of(r).size() == big_size);
    CHECK(body_of(r) == big);
    // The declared length was exact: the next answer on this connection is clean.
    c.send(get("/static/hello.txt"));
    CHECK(body_of(c.read_response()) == hello_body);

    c.send(req("HEAD", "/static/big.bin"));
    r = read_head(c);
    CHECK(status_of(r) == 200);
    CHECK(header_of(r, "content-length") == std::to_string(big_size));
    CHECK(header_of(r, "etag").has_value());
    CHECK(body_of(r).empty());
    c.send(get("/static/hello.txt"));
    r = c.read_response();
    CHECK(r.rfind("HTTP/1.1 200", 0) == 0);  // no stray body bytes before it
    CHECK(body_of(r) == hello_body);

    c.send(req("HEAD", "/static/hello.txt"));
    r = read_head(c);
    CHECK(header_of(r, "content-length") == "14");
    CHECK(body_of(r).empty());
    c.send(get("/static/noext"));
    CHECK(body_of(c.read_response()) == "raw bytes");
}

TEST_CASE("static: a slow reader of a big file does not hold up other clients") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    raw_client slow(srv.port());
    int small = 16384;  // the server soon has to wait for this client
    ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    slow.send(get("/static/big.bin"));
    std::this_thread::sleep_for(100ms);  // the server is now blocked on the slow socket
    for (int i = 0; i < 3; ++i) {
        auto r = fetch(srv.port(), get("/static/hello.txt"), 2000ms);
        CHECK(body_of(r) == hello_body);
    }
    int large = 4 * 1024 * 1024;  // now read it at full speed
    ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &large, sizeof large);
    auto r = slow.read_response(30000ms);
    CHECK(body_of(r) == big_content());
}

TEST_CASE("static: conditional requests answer 304 and 412") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());

    c.send(get("/static/hello.txt", "If-None-Match: " + hello_etag + "\r\n"));
    auto r = c.read_response();
    CHECK(r.rfind("HTTP/1.1 304 Not Modified\r\n", 0) == 0);
    CHECK(header_of(r, "etag") == hello_etag);
    CHECK(header_of(r, "last-modified") == hello_last_modified);
    CHECK(header_of(r, "cache-control") == "public, max-age=0");
    CHECK_FALSE(header_of(r, "content-type").has_value());
    CHECK_FALSE(header_of(r, "content-length").has_value());
    CHECK(body_of(r).empty());

    c.send(get("/static/hello.txt", "If-None-Match: \"other\", " + hello_etag + "\r\n"));
    CHECK(status_of(c.read_response()) == 304);
    c.send(get("/static/hello.txt", "If-None-Match: \"other\"\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == hello_body);
    // An end-to-end reload is never answered from the cache.
    c.send(get("/static/hello.txt", "If-None-Match: " + hello_etag + "\r\nCache-Control: no-cache\r\n"));
    CHECK(status_of(c.read_response()) == 200);

    c.send(get("/static/hello.txt", "If-Modified-Since: " + hello_last_modified + "\r\n"));
    CHECK(status_of(c.read_response()) == 304);
    c.send(get("/static/hello.txt", "If-Modified-Since: Thu, 31 Dec 2020 23:59:59 GMT\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == hello_body);
    // Without validators nothing is ever fresh.
    c.send(get("/plain/hello.txt", "If-Modified-Since: Sat, 01 Jan 2050 00:00:00 GMT\r\n"));
    CHECK(status_of(c.read_response()) == 200);

    c.send(get("/static/hello.txt", "If-Match: \"nope\"\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 412);
    CHECK_FALSE(header_of(r, "etag").has_value());
    c.send(get("/static/hello.txt", "If-Match: " + hello_etag + "\r\n"));
    CHECK(status_of(c.read_response()) == 200);
    c.send(get("/static/hello.txt", "If-Unmodified-Since: Thu, 31 Dec 2020 00:00:00 GMT\r\n"));
    CHECK(status_of(c.read_response()) == 412);

    // HEAD gets the same 304.
    c.send(req("HEAD", "/static/hello.txt", "If-None-Match: " + hello_etag + "\r\n"));
    CHECK(status_of(read_head(c)) == 304);
}

TEST_CASE("static: byte ranges answer 206, 416, or are ignored") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    const std::string big = big_content();
    raw_client c(srv.port());

    c.send(get("/static/hello.txt", "Range: bytes=0-4\r\n"));
    auto r = c.read_response();
    CHECK(r.rfind("HTTP/1.1 206 Partial Content\r\n", 0) == 0);
    CHECK(header_of(r, "content-range") == "bytes 0-4/14");
    CHECK(header_of(r, "content-length") == "5");
    CHECK(header_of(r, "content-type") == "text/plain; charset=utf-8");
    CHECK(body_of(r) == "Hello");

    c.send(get("/static/hello.txt", "Range: bytes=-6\r\n"));
    r = c.read_response();
    CHECK(header_of(r, "content-range") == "bytes 8-13/14");
    CHECK(body_of(r) == "orld!\n");
    c.send(get("/static/hello.txt", "Range: bytes=7-100\r\n"));  // clamped to the end
    r = c.read_response();
    CHECK(status_of(r) == 206);
    CHECK(header_of(r, "content-range") == "bytes 7-13/14");
    CHECK(body_of(r) == "world!\n");

    // A range across piece boundaries of the big file, streamed.
    c.send(get("/static/big.bin", "Range: bytes=65530-200000\r\n"));
    r = c.read_response(10000ms);
    CHECK(status_of(r) == 206);
    CHECK(header_of(r, "content-range") == "bytes 65530-200000/" + std::to_string(big_size));
    CHECK(header_of(r, "content-length") == "134471");
    CHECK(body_of(r) == big.substr(65530, 134471));
    c.send(get("/static/big.bin", "Range: bytes=1000000-\r\n"));
    r = c.read_response(10000ms);
    CHECK(header_of(r, "content-range") == "bytes 1000000-" + std::to_string(big_size - 1) + "/" + std::to_string(big_size));
    CHECK(body_of(r) == big.substr(1000000));

    // Unsatisfiable: 416 with the size.
    c.send(get("/static/hello.txt", "Range: bytes=14-\r\n"));
    r = c.read_response();
    CHECK(r.rfind("HTTP/1.1 416 Range Not Satisfiable\r\n", 0) == 0);
    CHECK(header_of(r, "content-range") == "bytes */14");
    CHECK_FALSE(header_of(r, "etag").has_value());
    c.send(get("/static/empty.txt", "Range: bytes=0-0\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 416);
    CHECK(header_of(r, "content-range") == "bytes */0");

    // Malformed, another unit, or several disjoint ranges: ignored, the whole file.
    for (std::string range : {"bytes=abc", "bytes=5", "items=0-1", "bytes=0-1,5-6", "bytes=--1"}) {
        CAPTURE(range);
        c.send(get("/static/hello.txt", "Range: " + range + "\r\n"));
        r = c.read_response();
        CHECK(status_of(r) == 200);
        CHECK_FALSE(header_of(r, "content-range").has_value());
        CHECK(body_of(r) == hello_body);
    }
    // Overlapping ranges combine into one.
    c.send(get("/static/hello.txt", "Range: bytes=0-2,1-4\r\n"));
    r = c.read_response();
    CHECK(header_of(r, "content-range") == "bytes 0-4/14");
    CHECK(body_of(r) == "Hello");

    // If-Range: honoured while the validator still matches, else the whole file.
    c.send(get("/static/hello.txt", "Range: bytes=0-4\r\nIf-Range: " + hello_etag + "\r\n"));
    CHECK(status_of(c.read_response()) == 206);
    c.send(get("/static/hello.txt", "Range: bytes=0-4\r\nIf-Range: W/\"old\"\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == hello_body);
    c.send(get("/static/hello.txt", "Range: bytes=0-4\r\nIf-Range: " + hello_last_modified + "\r\n"));
    CHECK(status_of(c.read_response()) == 206);
    c.send(get("/static/hello.txt", "Range: bytes=0-4\r\nIf-Range: Thu, 31 Dec 2020 00:00:00 GMT\r\n"));
    CHECK(status_of(c.read_response()) == 200);
    c.send(get("/static/hello.txt", "Range: bytes=99-\r\nIf-Range: W/\"old\"\r\n"));  // stale: no 416 either
    CHECK(status_of(c.read_response()) == 200);

    // HEAD with a range: the 206 head only.
    c.send(req("HEAD", "/static/hello.txt", "Range: bytes=0-4\r\n"));
    r = read_head(c);
    CHECK(status_of(r) == 206);
    CHECK(header_of(r, "content-length") == "5");
    CHECK(body_of(r).empty());
    c.send(get("/static/noext"));
    CHECK(body_of(c.read_response()) == "raw bytes");
}

TEST_CASE("static: directories redirect to a trailing slash and serve index.html") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());

    c.send(get("/static/sub"));
    auto r = c.read_response();
    CHECK(r.rfind("HTTP/1.1 301 Moved Permanently\r\n", 0) == 0);
    CHECK(header_of(r, "location") == "/static/sub/");
    c.send(get("/static/sub?x=1&y=%20"));
    CHECK(header_of(c.read_response(), "location") == "/static/sub/?x=1&y=%20");
    c.send(get("/static"));  // the mount point itself is the root directory
    r = c.read_response();
    CHECK(status_of(r) == 301);
    CHECK(header_of(r, "location") == "/static/");

    c.send(get("/static/"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "<h1>root index</h1>");
    CHECK(header_of(r, "content-type") == "text/html; charset=utf-8");
    c.send(get("/static/sub/"));
    r = c.read_response();
    CHECK(body_of(r) == "<p>sub index</p>");
    CHECK(header_of(r, "content-type") == "text/html; charset=utf-8");
    c.send(get("/"));  // mounted at "/"
    CHECK(body_of(c.read_response()) == "<h1>root index</h1>");

    // Inside a mounted table (duet::use<"/site">(table)): the same redirects, with the
    // whole path, also at the table's own mount point.
    c.send(get("/site"));
    r = c.read_response();
    CHECK(status_of(r) == 301);
    CHECK(header_of(r, "location") == "/site/");
    c.send(get("/site/"));
    CHECK(body_of(c.read_response()) == "<h1>root index</h1>");
    c.send(get("/site/sub?q=1"));
    CHECK(header_of(c.read_response(), "location") == "/site/sub/?q=1");

    // No index there, a file named like a directory, index off, redirect off.
    c.send(get("/static/emptydir/"));
    CHECK(body_of(c.read_response()) == "fallback 404");
    c.send(get("/static/hello.txt/"));
    CHECK(body_of(c.read_response()) == "fallback 404");
    c.send(get("/strict/emptydir/"));
    r = c.read_response();
    CHECK(status_of(r) == 404);
    CHECK(body_of(r) == "Not Found");
    c.send(get("/plain/sub/"));
    CHECK(status_of(c.read_response()) == 404);
    c.send(get("/plain/sub"));
    r = c.read_response();
    CHECK(status_of(r) == 404);
    CHECK_FALSE(header_of(r, "location").has_value());
}

TEST_CASE("static: traversal attempts answer 403, malformed paths 400, never a file outside the root") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    // <tmp>/secret.txt exists next to <tmp>/public: any escape would serve it.
    const char* forbidden[] = {
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/sub/../../secret.txt",
        "/static/sub/%2e%2e/%2e%2e/secret.txt",
        "/static/..%5csecret.txt",
        "/static/sub%5c..%5c..%5csecret.txt",
        "/static/a%5cb",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/%2F..%2Fsecret.txt",
        "/../secret.txt",         // mounted at "/"
        "/%2e%2e/secret.txt",
        "/strict/../secret.txt",  // fallthrough does not apply to refusals
        "/static/sub/..",         // even one that would stay inside the root
    };
    raw_client c(srv.port());
    for (const char* target : forbidden) {
        CAPTURE(target);
        c.send(get(target));
        auto r = c.read_response();
        CHECK(status_of(r) == 403);
        CHECK(body_of(r) == "Forbidden");
        CHECK(r.find("TOP SECRET") == std::string::npos);
    }
    const char* bad[] = {"/static/%zz", "/static/%", "/static/hello%2", "/static/a%00b", "/static/hello.txt%00.html", "/%00"};
    for (const char* target : bad) {
        CAPTURE(target);
        c.send(get(target));
        auto r = c.read_response();
        CHECK(status_of(r) == 400);
        CHECK(body_of(r) == "Bad Request");
    }
    // Still a working connection, still serving inside the root.
    c.send(get("/static/hello.txt"));
    CHECK(body_of(c.read_response()) == hello_body);
}

TEST_CASE("static: dotfiles are ignored by default, or denied, or allowed") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    for (const char* p : {"/.secret", "/.hidden/inside.txt"}) {
        CAPTURE(p);
        c.send(get(std::string("/static") + p));
        auto r = c.read_response();
        CHECK(status_of(r) == 404);
        CHECK(body_of(r) == "fallback 404");  // ignored: fell through to the next handler
        c.send(get(std::string("/strict") + p));
        r = c.read_response();
        CHECK(status_of(r) == 404);
        CHECK(body_of(r) == "Not Found");
        c.send(get(std::string("/deny") + p));
        r = c.read_response();
        CHECK(status_of(r) == 403);
        CHECK(body_of(r) == "Forbidden");
    }
    c.send(get("/allow/.secret"));
    auto r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "dot secret");
    c.send(get("/allow/%2Ehidden/inside.txt"));
    CHECK(body_of(c.read_response()) == "hidden inside");
}

TEST_CASE("static: misses and other methods fall through to later routes; fallthrough off answers") {
    served_folder folder;
    duet_test::running_server<test_server> srv(local());
    raw_client c(srv.port());
    c.send(get("/static/dynamic"));
    auto r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "dynamic route");
    c.send(get("/static/missing.txt"));
    CHECK(body_of(c.read_response()) == "fallback 404");
    c.send(get("/static/sub/missing/deeper.txt"));
    CHECK(body_of(c.read_response()) == "fallback 404");
    c.send(req("POST", "/static/hello.txt", "Content-Length: 0\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 200);
    CHECK(body_of(r) == "posted hello.txt");

    c.send(get("/strict/missing.txt"));
    r = c.read_response();
    CHECK(status_of(r) == 404);
    CHECK(body_of(r) == "Not Found");
    c.send(req("POST", "/strict/hello.txt", "Content-Length: 0\r\n"));
    r = c.read_response();
    CHECK(status_of(r) == 405);
    CHECK(header_of(r, "allow") == "GET, HEAD");
    c.send(req("DELETE", "/strict/hello.txt"));
    CHECK(status_of(c.read_response()) == 405);
    c.send(get("/strict/hello.txt"));
    CHECK(body_of(c.read_response()) == hello_body);
}
