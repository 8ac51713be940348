// duet/http/mime.hpp — Content-Type by file extension.
//
// Owns: the extension -> Content-Type table used by static files, res.type("json")
// and res.sendFile. The values are complete header values: text types (and JSON /
// JavaScript) carry `; charset=utf-8`, exactly as Express's mime-types contentType()
// appends it, so the static-file path writes the view straight into the header.
//
// The table is a constexpr array sorted by extension (checked by static_assert) and
// searched by binary search after lower-casing the extension into a stack buffer:
// no hashing, no allocation, no static initialisation order.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include <duet/http/ascii.hpp>

namespace duet::http {

inline constexpr std::string_view default_mime_type = "application/octet-stream";

struct mime_entry {
    std::string_view extension;  // lower-case, no dot
    std::string_view content_type;
};

namespace detail {
// Keep sorted (byte order) and lower-case; the static_assert below checks it.
// Every value equals mime-types 3.0.2 contentType(ext) — what Express 5's `send`
// and res.type() produce — so responses match Express byte for byte; notably js/mjs
// are text/javascript (RFC 9239), ico is image/vnd.microsoft.icon, and xml is
// application/xml without a charset (XML declares its own encoding).
inline constexpr std::array mime_table = {
    mime_entry{"7z", "application/x-7z-compressed"},
    mime_entry{"aac", "audio/aac"},
    mime_entry{"apng", "image/apng"},
    mime_entry{"atom", "application/atom+xml"},
    mime_entry{"avif", "image/avif"},
    mime_entry{"bin", "application/octet-stream"},
    mime_entry{"bmp", "image/bmp"},
    mime_entry{"css", "text/css; charset=utf-8"},
    mime_entry{"csv", "text/csv; charset=utf-8"},
    mime_entry{"eot", "application/vnd.ms-fontobject"},
    mime_entry{"flac", "audio/x-flac"},
    mime_entry{"gif", "image/gif"},
    mime_entry{"gz", "application/gzip"},
    mime_entry{"heic", "image/heic"},
    mime_entry{"htm", "text/html; charset=utf-8"},
    mime_entry{"html", "text/html; charset=utf-8"},
    mime_entry{"ico", "image/vnd.microsoft.icon"},
    mime_entry{"ics", "text/calendar; charset=utf-8"},
    mime_entry{"jpeg", "image/jpeg"},
    mime_entry{"jpg", "image/jpeg"},
    mime_entry{"js", "text/javascript; charset=utf-8"},
    mime_entry{"json", "application/json; charset=utf-8"},
    mime_entry{"jsonld", "application/ld+json"},
    mime_entry{"m4a", "audio/mp4"},
    mime_entry{"map", "application/json; charset=utf-8"},
    mime_entry{"md", "text/markdown; charset=utf-8"},
    mime_entry{"mjs", "text/javascript; charset=utf-8"},
    mime_entry{"mov", "video/quicktime"},
    mime_entry{"mp3", "audio/mpeg"},
    mime_entry{"mp4", "video/mp4"},
    mime_entry{"mpeg", "video/mpeg"},
    mime_entry{"oga", "audio/ogg"},
    mime_entry{"ogg", "audio/ogg"},
    mime_entry{"ogv", "video/ogg"},
    mime_entry{"opus", "audio/ogg"},
    mime_entry{"otf", "font/otf"},
    mime_entry{"pdf", "application/pdf"},
    mime_entry{"png", "image/png"},
    mime_entry{"rss", "application/rss+xml"},
    mime_entry{"svg", "image/svg+xml"},
    mime_entry{"tar", "application/x-tar"},
    mime_entry{"text", "text/plain; charset=utf-8"},  // res.format({text: ...}) in Express's docs
    mime_entry{"tif", "image/tiff"},
    mime_entry{"tiff", "image/tiff"},
    mime_entry{"ttf", "font/ttf"},
    mime_entry{"txt", "text/plain; charset=utf-8"},
    mime_entry{"vtt", "text/vtt; charset=utf-8"},
    mime_entry{"wasm", "application/wasm"},
    mime_entry{"wav", "audio/wav"},
    mime_entry{"weba", "audio/webm"},
    mime_entry{"webm", "video/webm"},
    mime_entry{"webmanifest", "application/manifest+json; charset=utf-8"},
    mime_entry{"webp", "image/webp"},
    mime_entry{"woff", "font/woff"},
    mime_entry{"woff2", "font/woff2"},
    mime_entry{"xhtml", "application/xhtml+xml"},
    mime_entry{"xml", "application/xml"},
    mime_entry{"yaml", "text/yaml; charset=utf-8"},
    mime_entry{"yml", "text/yaml; charset=utf-8"},
    mime_entry{"zip", "application/zip"},
};

inline constexpr std::size_t max_extension_size = [] {
    std::size_t n = 0;
    for (const auto& e : mime_table) n = std::max(n, e.extension.size());
    return n;
}();

// Index of the first entry that is not strictly after its predecessor or not
// lower-case; mime_table.size() when the table is well-formed.
constexpr std::size_t first_bad_mime_entry() noexcept {
    for (std::size_t i = 0; i < mime_table.size(); ++i) {
        for (char c : mime_table[i].extension)
            if (ascii_to_lower(c) != c) return i;
        if (i > 0 && !(mime_table[i - 1].extension < mime_table[i].extension)) return i;
    }
    return mime_table.size();
}
static_assert(first_bad_mime_entry() == mime_table.size(),
              "duet::http mime_table must be lower-case and strictly sorted by extension");
}  // namespace detail

// The Content-Type for an extension ("html", ".HTML", "tar"), or nullopt if the
// extension is not in the table. Case-insensitive.
constexpr std::optional<std::string_view> lookup_mime_type(std::string_view ext) noexcept {
    if (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
    if (ext.empty() || ext.size() > detail::max_extension_size) return std::nullopt;
    char buf[detail::max_extension_size] = {};
    for (std::size_t i = 0; i < ext.size(); ++i) buf[i] = ascii_to_lower(ext[i]);
    const std::string_view key(buf, ext.size());
    const auto* it = std::lower_bound(detail::mime_table.begin(), detail::mime_table.end(), key,
                                      [](const mime_entry& e, std::string_view k) { return e.extension < k; });
    if (it != detail::mime_table.end() && it->extension == key) return it->content_type;
    return std::nullopt;
}

// Like lookup_mime_type, but application/octet-stream for unknown extensions.
constexpr std::string_view mime_type(std::string_view ext) noexcept {
    return lookup_mime_type(ext).value_or(default_mime_type);
}

// Node's path.extname without the dot: the part after the last '.' of the last
// '/'-separated segment, and "" when there is none or the only dot starts the name
// (".bashrc" has no extension, "archive.tar.gz" has "gz", "file." has "").
constexpr std::string_view path_extension(std::string_view path) noexcept {
    const std::size_t slash = path.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return {};
    return base.substr(dot + 1);
}

// The Content-Type a static file server sends for `path`.
constexpr std::string_view mime_type_for_path(std::string_view path) noexcept {
    return mime_type(path_extension(path));
}

// Whether a Content-Type is worth compressing, as npm `compressible` (behind the
// `compression` middleware) decides: mime-db's compressible types that the pattern below
// does not cover, then text/*, *+json, *+text and *+xml. Parameters are ignored.
inline constexpr std::array<std::string_view, 40> compressible_types = {
    "application/dart", "application/ecmascript", "application/javascript", "application/json",
    "application/postscript", "application/raml+yaml", "application/rtf", "application/tar", "application/toml",
    "application/vnd.dart", "application/vnd.ms-fontobject", "application/vnd.ms-opentype", "application/wasm",
    "application/x-httpd-php", "application/x-javascript", "application/x-ns-proxy-autoconfig", "application/x-sh",
    "application/x-tar", "application/x-virtualbox-hdd", "application/x-virtualbox-ova", "application/x-virtualbox-ovf",
    "application/x-virtualbox-vbox", "application/x-virtualbox-vdi", "application/x-virtualbox-vhd",
    "application/x-virtualbox-vmdk", "application/x-www-form-urlencoded", "application/xml", "application/xml-dtd",
    "font/otf", "font/ttf", "image/bmp", "image/vnd.adobe.photoshop", "image/vnd.microsoft.icon", "image/vnd.ms-dds",
    "image/x-icon", "image/x-ms-bmp", "message/rfc822", "model/gltf-binary", "x-shader/x-fragment",
    "x-shader/x-vertex"};

constexpr bool compressible_type(std::string_view content_type) noexcept {
    while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t'))
        content_type.remove_prefix(1);
    const auto end = content_type.find_first_of("; \t");
    const std::string_view type = content_type.substr(0, end);
    if (type.empty()) return false;
    for (std::string_view t : compressible_types)
        if (ascii_iequals(type, t)) return true;
    return ascii_istarts_with(type, "text/") || ascii_iends_with(type, "+json") || ascii_iends_with(type, "+text") ||
           ascii_iends_with(type, "+xml");
}

}  // namespace duet::http
