// Tests for duet/http/mime.hpp. Expected Content-Types are mime-types 3.0.2's
// contentType(ext), what Express 5's static file server (send) emits.
#include <doctest/doctest.h>

#include <duet/http/mime.hpp>

#include <string>
#include <string_view>

using namespace std::string_view_literals;
namespace http = duet::http;

TEST_CASE("common web types, with charset on text, JSON and JavaScript") {
    struct row { std::string_view ext, type; };
    for (const row& r : {
             row{"html", "text/html; charset=utf-8"},
             row{"htm", "text/html; charset=utf-8"},
             row{"css", "text/css; charset=utf-8"},
             row{"js", "text/javascript; charset=utf-8"},
             row{"mjs", "text/javascript; charset=utf-8"},
             row{"json", "application/json; charset=utf-8"},
             row{"map", "application/json; charset=utf-8"},
             row{"txt", "text/plain; charset=utf-8"},
             row{"csv", "text/csv; charset=utf-8"},
             row{"md", "text/markdown; charset=utf-8"},
             row{"xml", "application/xml"},
             row{"svg", "image/svg+xml"},
             row{"png", "image/png"},
             row{"jpg", "image/jpeg"},
             row{"jpeg", "image/jpeg"},
             row{"gif", "image/gif"},
             row{"webp", "image/webp"},
             row{"avif", "image/avif"},
             row{"ico", "image/vnd.microsoft.icon"},
             row{"wasm", "application/wasm"},
             row{"woff", "font/woff"},
             row{"woff2", "font/woff2"},
             row{"ttf", "font/ttf"},
             row{"otf", "font/otf"},
             row{"pdf", "application/pdf"},
             row{"zip", "application/zip"},
             row{"gz", "application/gzip"},
             row{"mp4", "video/mp4"},
             row{"webm", "video/webm"},
             row{"mp3", "audio/mpeg"},
             row{"wav", "audio/wav"},
             row{"ogg", "audio/ogg"},
             row{"webmanifest", "application/manifest+json; charset=utf-8"},
             row{"7z", "application/x-7z-compressed"},
         }) {
        CAPTURE(r.ext);
        CHECK(http::mime_type(r.ext) == r.type);
    }
    static_assert(http::mime_type("html") == "text/html; charset=utf-8");
}

TEST_CASE("extension spelling: dot, case, unknown, oversized, odd bytes") {
    CHECK(http::mime_type(".html") == "text/html; charset=utf-8");
    CHECK(http::mime_type("HTML") == "text/html; charset=utf-8");
    CHECK(http::mime_type(".WoFf2") == "font/woff2");
    CHECK(http::mime_type("unknownext") == http::default_mime_type);
    CHECK(http::mime_type("") == "application/octet-stream");
    CHECK(http::mime_type(".") == "application/octet-stream");
    CHECK(http::mime_type("..html") == "application/octet-stream");  // only one dot is stripped
    CHECK(http::mime_type("htm ") == "application/octet-stream");
    CHECK(http::mime_type("html\0"sv) == "application/octet-stream");
    CHECK(http::mime_type("h\xC3\xA9") == "application/octet-stream");
    CHECK(http::mime_type(std::string(100000, 'a')) == "application/octet-stream");
    CHECK(http::mime_type("webmanifestx") == "application/octet-stream");  // longer than any entry
    CHECK(http::mime_type("jso") == "application/octet-stream");           // prefix of an entry
    CHECK_FALSE(http::lookup_mime_type("exe").has_value());
    CHECK(http::lookup_mime_type("png") == "image/png");
}

TEST_CASE("path_extension follows Node's path.extname") {
    CHECK(http::path_extension("/static/app.min.js") == "js");
    CHECK(http::path_extension("archive.tar.gz") == "gz");
    CHECK(http::path_extension("/dir.d/README") == "");  // the dot is in a directory name
    CHECK(http::path_extension("/.bashrc") == "");       // a leading dot is not an extension
    CHECK(http::path_extension(".bashrc") == "");
    CHECK(http::path_extension("/x/.config.json") == "json");
    CHECK(http::path_extension("file.") == "");
    CHECK(http::path_extension("") == "");
    CHECK(http::path_extension("/") == "");
    CHECK(http::path_extension("..") == "");
}

TEST_CASE("mime_type_for_path") {
    CHECK(http::mime_type_for_path("/public/index.HTML") == "text/html; charset=utf-8");
    CHECK(http::mime_type_for_path("/public/logo.svg") == "image/svg+xml");
    CHECK(http::mime_type_for_path("/public/Makefile") == "application/octet-stream");
    CHECK(http::mime_type_for_path("/public/.htaccess") == "application/octet-stream");
    CHECK(http::mime_type_for_path("/a.json/b") == "application/octet-stream");
}
