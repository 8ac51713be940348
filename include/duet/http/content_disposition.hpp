// duet/http/content_disposition.hpp — the Content-Disposition header of a download.
//
// Owns: `append_content_disposition(out, filename)`, the header value Express's
// res.attachment() and res.download() send, as npm content-disposition 2.0's create()
// writes it: `attachment; filename=report.pdf` for a plain ASCII name (quoted when it
// is not a token), and for any other name an ASCII fallback with every non-ASCII
// UTF-16 unit as '?' plus the exact name in RFC 8187 form:
// `attachment; filename="na?ve.txt"; filename*=UTF-8''na%C3%AFve.txt`. A name that
// looks percent-encoded ("%41.txt") also gets the filename* form, so that no browser
// decodes it. Bytes that are not UTF-8 are read as U+FFFD first (Node strings cannot
// hold them). The file name itself is the caller's: pass the base name.
#pragma once

#include <string>
#include <string_view>

#include <duet/core/utf8.hpp>
#include <duet/http/ascii.hpp>

namespace duet::http {

namespace content_disposition_detail {

constexpr bool printable_ascii(unsigned char c) noexcept { return c >= 0x20 && c <= 0x7e; }

// "%41": what a browser could take for an escape.
inline bool has_hex_escape(std::string_view s) noexcept {
    for (std::size_t i = 0; i + 2 < s.size(); ++i)
        if (s[i] == '%' && is_hex_digit(s[i + 1]) && is_hex_digit(s[i + 2])) return true;
    return false;
}

// One parameter as content-disposition's format(): a token as it is, anything else
// quoted with '\' before '\' and '"'.
inline void append_parameter(std::string& out, std::string_view name, std::string_view value) {
    out.append("; ").append(name).push_back('=');
    if (is_token(value)) {
        out.append(value);
        return;
    }
    out.push_back('"');
    for (char c : value) {
        if (c == '\\' || c == '"') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace content_disposition_detail

// The last segment of a '/'-separated path, trailing slashes ignored (Node's
// path.basename: "a/b.txt" -> "b.txt", "a/" -> "a", "/" -> "").
constexpr std::string_view path_basename(std::string_view path) noexcept {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Appends `type; filename=...` for `filename` (UTF-8).
inline void append_content_disposition(std::string& out, std::string_view filename, std::string_view type = "attachment") {
    namespace d = content_disposition_detail;
    out.append(type);
    std::string name;
    append_utf8_replacing(name, filename);
    bool ascii = true;
    for (char c : name) ascii = ascii && d::printable_ascii(static_cast<unsigned char>(c));
    if (ascii && !d::has_hex_escape(name)) {
        d::append_parameter(out, "filename", name);
        return;
    }
    // The fallback: every UTF-16 code unit outside printable ASCII becomes '?' (a code
    // point above U+FFFF is two units, so "??").
    std::string fallback;
    for (std::size_t i = 0; i < name.size();) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x80) {
            fallback.push_back(d::printable_ascii(c) ? static_cast<char>(c) : '?');
            ++i;
            continue;
        }
        const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;  // well-formed after the repair
        fallback.append(len == 4 ? "??" : "?");
        i += len;
    }
    d::append_parameter(out, "filename", fallback);
    // RFC 8187 ext-value: encodeURIComponent, then also ' ( ) * escaped; what is left
    // unescaped is a token.
    out.append("; filename*=UTF-8''");
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_' || c == '.' || c == '!' || c == '~';
        if (keep) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
}

inline std::string content_disposition(std::string_view filename, std::string_view type = "attachment") {
    std::string out;
    append_content_disposition(out, filename, type);
    return out;
}

}  // namespace duet::http
