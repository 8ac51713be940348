// duet/http/multipart.hpp — multipart/form-data bodies, streamed, as busboy 1.6 reads them.
//
// Owns: the boundary of a `multipart/form-data` Content-Type, a push parser that turns
// a body arriving in chunks of any size into parts (headers decoded, data streamed),
// the limits multer puts on such a body, and the error codes (category
// "duet.http.multipart") whose messages are those Express apps show: multer's for the
// limits, busboy's for malformed input. Sans-IO: nothing here reads a socket or
// writes a file; the caller feeds bytes and decides where part data goes.
//
// What busboy 1.6 (under multer 2) does, and so this parser:
// - the body is read as if "\r\n" came first, then split at every "\r\n--boundary";
//   what precedes the first delimiter (preamble) and follows "--boundary--"
//   (epilogue) is ignored; a delimiter followed by neither "\r\n" nor "--" ends the
//   current part and what follows it is ignored up to the next delimiter;
// - a part's header block: `name: value` lines (name a token, value field-vchars,
//   no space before ':'), ended by an empty line; names are case-insensitive and the
//   first of a repeated header wins; only Content-Disposition, Content-Type and
//   Content-Transfer-Encoding are read;
// - Content-Disposition parameters as busboy's parseDisposition reads them
//   (quoted-strings with `\"` and `\\` escapes, a backslash before any other
//   character kept; RFC 5987 `filename*=charset'lang'%XX` preferred over
//   `filename`; an empty value counts as absent); the filename is reduced to what
//   follows its last '/' or '\' (busboy's preservePath=false);
// - a part is a file when it has a filename or its type is application/octet-stream,
//   otherwise a field; files and fields are counted and sized separately.
//
// Where this parser is stricter than busboy (each one a part busboy would skip or
// keep in silence, which an application then has to notice itself), it reports an
// error instead: a folded header line, a part without `Content-Disposition:
// form-data`, a delimiter inside a header block (busboy feeds what follows to the
// same header parser), a filename* in a charset other than UTF-8 / ISO-8859-1. Its
// limits are "at most": busboy flags a field or file of exactly the limit as too
// long and counts the closing delimiter as a part, so multer refuses a body of
// exactly `parts` parts; here the error comes with part max_parts + 1 (see
// multipart_limits). Its results never depend on how the body is cut into chunks;
// busboy's do in two corners (delimiters in the same write as the closing one are
// still parsed; a delimiter whose CR ends a callback is lost). A body cut off inside
// a header block is "Unexpected end of form" even where busboy, flushing its last
// bytes into the header parser at the end, says "Malformed part header".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <duet/core/utf8.hpp>
#include <duet/http/ascii.hpp>

namespace duet::http {

// ----- errors -----

enum class multipart_errc {
    // --- limits (multer's codes and messages) ---
    too_many_parts = 1,    // LIMIT_PART_COUNT   "Too many parts"
    file_too_large,        // LIMIT_FILE_SIZE    "File too large"
    field_value_too_long,  // LIMIT_FIELD_VALUE  "Field value too long"
    field_name_too_long,   // LIMIT_FIELD_KEY    "Field name too long"
    too_many_files,        // LIMIT_FILE_COUNT   "Too many files"
    too_many_fields,       // LIMIT_FIELD_COUNT  "Too many fields"
    missing_field_name,    // MISSING_FIELD_NAME "Field name missing"
    // --- malformed input (busboy's messages where it has one) ---
    unexpected_end,        // no closing "--boundary--" before the end of the body
    malformed_header,      // a header block busboy refuses, or one this parser refuses
    header_too_large,      // a header block over max_header_bytes (busboy says "Malformed part header")
    not_form_data,         // a part without Content-Disposition: form-data (busboy skips it)
};

}  // namespace duet::http

// Declared before anything converts a multipart_errc to std::error_code (a conversion
// seen first would instantiate the primary template and make this one ill-formed).
template <>
struct std::is_error_code_enum<duet::http::multipart_errc> : std::true_type {};

namespace duet::http {

namespace detail {
class multipart_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.http.multipart"; }
    std::string message(int ev) const override {
        switch (static_cast<multipart_errc>(ev)) {
            case multipart_errc::too_many_parts: return "Too many parts";
            case multipart_errc::file_too_large: return "File too large";
            case multipart_errc::field_value_too_long: return "Field value too long";
            case multipart_errc::field_name_too_long: return "Field name too long";
            case multipart_errc::too_many_files: return "Too many files";
            case multipart_errc::too_many_fields: return "Too many fields";
            case multipart_errc::missing_field_name: return "Field name missing";
            case multipart_errc::unexpected_end: return "Unexpected end of form";
            case multipart_errc::malformed_header: return "Malformed part header";
            case multipart_errc::header_too_large: return "Malformed part header";
            case multipart_errc::not_form_data: return "Part without Content-Disposition: form-data";
        }
        return "unknown duet.http.multipart error";
    }
};
}  // namespace detail

inline const std::error_category& multipart_category() noexcept {
    static const detail::multipart_error_category cat;
    return cat;
}

inline std::error_code make_error_code(multipart_errc e) noexcept {
    return {static_cast<int>(e), multipart_category()};
}

// ----- limits and parts -----

// Every limit is "at most"; going over it is an error (multer turns busboy's limit
// events into errors, so an Express app never sees a truncated part either).
struct multipart_limits {
    // Parts (fields and files together), multer's `parts`. Counted when a part's
    // header block starts, so part max_parts + 1 is refused.
    std::size_t max_parts = 1000;
    // Bytes of one part's header block, its final empty line included. Stands for
    // busboy's fixed 16 KiB per block and multer's `headerPairs`: what a client may
    // make the server hold per part is bytes, whatever the number of lines.
    std::size_t max_header_bytes = 8 * 1024;
    // Bytes of a field's value (a part without filename), multer's `fieldSize`.
    std::size_t max_field_bytes = 1024 * 1024;
    // Bytes of one file, multer's `fileSize` (unlimited by default, as there).
    std::size_t max_file_bytes = SIZE_MAX;
    // Parts that are files, multer's `files`.
    std::size_t max_files = SIZE_MAX;
    // Parts that are fields, multer's `fields` (Infinity there; 1000 here, the same
    // bound express.urlencoded() puts on a form's parameters).
    std::size_t max_fields = 1000;
    // Bytes of a part's name, multer's `fieldNameSize` (busboy documents 100).
    std::size_t max_field_name_bytes = 100;
};

// One part, as on_part_begin sees it. Strings are the bytes sent, except where a
// decoding is named.
struct multipart_part {
    // Content-Disposition's `name` (never empty: a part without one is an error).
    std::string name;
    // Content-Disposition's `filename*` (RFC 5987, decoded to UTF-8) or else
    // `filename`, cut to what follows its last '/' or '\'. Absent: no filename (an
    // empty `filename=""`, which browsers send for an empty file input, counts as
    // absent, as in busboy). Engaged but EMPTY: the name was ".", ".." or ended with
    // a separator, so nothing usable is left — reject the part or store the data under
    // a name of your own (multer drops such a file); never build a path from it.
    // Even a non-empty filename is untrusted text (filename* can carry %00).
    std::optional<std::string> filename;
    // The part's Content-Type as "type/subtype", lower-cased; "text/plain" when
    // absent or malformed (busboy's mimeType).
    std::string content_type = "text/plain";
    // The Content-Type's charset parameter, lower-cased; "utf-8" when absent.
    std::string charset = "utf-8";
    // Content-Transfer-Encoding, lower-cased, not decoded (busboy's `encoding`).
    std::string transfer_encoding = "7bit";

    // busboy's test: a filename, or the type application/octet-stream.
    bool is_file() const noexcept { return filename.has_value() || content_type == "application/octet-stream"; }
};

// ----- header value grammar (busboy's lib/utils.js) -----

namespace multipart_detail {

inline constexpr std::size_t max_boundary_size = 70;  // RFC 2046 §5.1.1
inline constexpr std::size_t max_header_pairs = 2000;  // busboy: later pairs are dropped

// busboy's QDTEXT, CHARSET and EXTENDED_VALUE (RFC 5987 attr-char) tables.
inline constexpr std::array<bool, 256> qdtext = [] {
    std::array<bool, 256> t{};
    t['\t'] = true;
    for (int c = 0x20; c <= 0xFF; ++c) t[c] = c != '"' && c != '\\' && c != 0x7F;
    return t;
}();
inline constexpr std::array<bool, 256> charset_char = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
    for (char c : std::string_view("!#$%&+-^_`{}~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();
inline constexpr std::array<bool, 256> attr_char = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
    for (char c : std::string_view("!#$&+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

constexpr bool in(const std::array<bool, 256>& table, char c) noexcept {
    return table[static_cast<unsigned char>(c)];
}

// A header value byte busboy accepts (its FIELD_VCHAR): HTAB, SP..'~', 0x80..0xFF.
constexpr bool is_value_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

constexpr std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return i;
}

// A quoted-string starting at s[i] == '"', busboy's way: `\"` and `\\` are escapes,
// a backslash before any other character is kept with it. Appends the value to
// `out`, leaves `i` after the closing quote; false if malformed.
inline bool parse_quoted(std::string_view s, std::size_t& i, std::string& out) {
    std::size_t start = ++i;
    bool escaping = false;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\\') {
            if (escaping) {
                start = i;
                escaping = false;
            } else {
                out.append(s.substr(start, i - start));
                escaping = true;
            }
            continue;
        }
        if (c == '"') {
            if (escaping) {
                start = i;
                escaping = false;
                continue;
            }
            out.append(s.substr(start, i - start));
            break;
        }
        if (escaping) {
            start = i - 1;
            escaping = false;
        }
        if (!in(qdtext, c)) return false;
    }
    if (i == s.size()) return false;
    ++i;
    return true;
}

// token = 1*tchar at s[i]; false when empty.
inline bool parse_token_value(std::string_view s, std::size_t& i, std::string& out) {
    const std::size_t start = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    if (i == start) return false;
    out.assign(s.substr(start, i - start));
    return true;
}

// Bytes of an RFC 5987 value in `charset` as UTF-8 (busboy's convertToUTF8). false
// for a charset other than UTF-8 and the ISO-8859-1 family: busboy 1.6 fails those
// too (its TextDecoder fallback is an arrow function given `bind(charset)`, so it
// asks for the encoding "[object Object]"), except utf16le/ucs2 and base64, which
// no browser sends. An empty value decodes in any charset, as there.
inline bool convert_to_utf8(std::string& value, std::string_view charset) {
    if (value.empty()) return true;
    std::string cs(charset);
    ascii_to_lower_in_place(cs);
    if (cs == "utf-8" || cs == "utf8") {
        if (!is_valid_utf8(value)) {
            std::string out;
            append_utf8_replacing(out, value);
            value = std::move(out);
        }
        return true;
    }
    if (cs == "latin1" || cs == "ascii" || cs == "us-ascii" || cs == "iso-8859-1" || cs == "iso8859-1" ||
        cs == "iso88591" || cs == "iso_8859-1" || cs == "windows-1252" || cs == "iso_8859-1:1987" ||
        cs == "cp1252" || cs == "x-cp1252") {
        // busboy keeps each byte as the code point of the same number (latin1Slice).
        std::string out;
        out.reserve(value.size());
        append_latin1_as_utf8(out, value);
        value = std::move(out);
        return true;
    }
    return false;
}

// The parameters after a media type or disposition type, from s[i] (busboy's
// parseContentTypeParams / parseDispositionParams): `; name=value` with optional
// whitespace around ';' only. `extended`: names ending in '*' take RFC 5987 values
// (dispositions only). Calls on_param(lower-cased name, value) for each; false if
// malformed.
template <class F>
bool parse_params(std::string_view s, std::size_t i, bool extended, F&& on_param) {
    std::string name, value;
    while (i < s.size()) {
        i = skip_ws(s, i);
        if (i == s.size()) break;
        if (s[i++] != ';') return false;
        i = skip_ws(s, i);
        if (i == s.size()) return false;
        const std::size_t name_start = i;
        while (i < s.size() && is_tchar(s[i])) ++i;
        if (i == s.size() || s[i] != '=') return false;
        name.assign(s.substr(name_start, i - name_start));
        value.clear();
        if (extended && !name.empty() && name.back() == '*') {
            // charset ' language ' value-chars-and-%XX
            const std::size_t charset_start = ++i;
            while (i < s.size() && in(charset_char, s[i])) ++i;
            if (i == s.size() || s[i] != '\'') return false;
            const std::string_view charset = s.substr(charset_start, i - charset_start);
            ++i;
            while (i < s.size() && s[i] != '\'') ++i;
            if (i == s.size()) return false;
            ++i;
            if (i == s.size()) return false;
            std::size_t start = i;
            for (; i < s.size(); ++i) {
                if (in(attr_char, s[i])) continue;
                if (s[i] != '%') break;
                int hi = -1, lo = -1;
                if (i + 2 < s.size()) {
                    hi = hex_value(s[i + 1]);
                    lo = hex_value(s[i + 2]);
                }
                if (hi < 0 || lo < 0) return false;  // '%' outside an escape
                value.append(s.substr(start, i - start));
                value.push_back(static_cast<char>((hi << 4) | lo));
                i += 2;
                start = i + 1;
            }
            value.append(s.substr(start, i - start));
            if (!convert_to_utf8(value, charset)) return false;
        } else {
            ++i;  // '='
            if (i == s.size()) return false;
            if (s[i] == '"' ? !parse_quoted(s, i, value) : !parse_token_value(s, i, value)) return false;
        }
        ascii_to_lower_in_place(name);
        on_param(name, value);
    }
    return true;
}

// A media type (busboy's parseContentType): "type/subtype" lower-cased, params.
template <class F>
std::optional<std::string> parse_media_type(std::string_view s, F&& on_param) {
    std::size_t i = 0;
    while (i < s.size() && is_tchar(s[i])) ++i;
    if (i == 0 || i == s.size() || s[i] != '/') return std::nullopt;
    const std::size_t subtype_start = ++i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    if (i == subtype_start) return std::nullopt;
    if (i < s.size() && !parse_params(s, i, false, on_param)) return std::nullopt;
    std::string type(s.substr(0, i));
    ascii_to_lower_in_place(type);
    return type;
}

// What follows the last '/' or '\' ("" for "." and ".."): busboy's basename.
inline std::string basename(std::string_view path) {
    const std::size_t sep = path.find_last_of("/\\");
    if (sep != std::string_view::npos) path.remove_prefix(sep + 1);
    if (path == "." || path == "..") return {};
    return std::string(path);
}

// Calls f() and turns its result into an error code (a callback may return void).
template <class F>
std::error_code call(F&& f) {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
        std::forward<F>(f)();
        return {};
    } else {
        return std::error_code(std::forward<F>(f)());
    }
}

}  // namespace multipart_detail

// The boundary of a `multipart/form-data` Content-Type value (type and parameter
// names case-insensitive, the value a token or a quoted-string, the first
// `boundary` winning: busboy's parseContentType). nullopt when the value does not
// parse, is another type, has no boundary, or one that RFC 2046 forbids (empty or
// longer than 70 characters; busboy takes any).
inline std::optional<std::string> multipart_boundary(std::string_view content_type) {
    std::optional<std::string> boundary;
    const auto type = multipart_detail::parse_media_type(trim_ows(content_type),
                                                         [&](const std::string& name, const std::string& value) {
                                                             if (name == "boundary" && !boundary) boundary = value;
                                                         });
    if (!type || *type != "multipart/form-data" || !boundary) return std::nullopt;
    if (boundary->empty() || boundary->size() > multipart_detail::max_boundary_size) return std::nullopt;
    return boundary;
}

// ----- the parser -----

// Push parser for one body. feed() the body's bytes in order, in chunks of any size,
// then finish(). The handler is called as parts go by:
//     on_part_begin(const multipart_part&)   headers read and accepted
//     on_part_data(std::string_view)         the next piece of the part's data
//     on_part_end()                          the part's closing delimiter was seen
// Each may return void or something convertible to std::error_code; a non-zero code
// stops the parser and feed() returns it. After an error nothing is called again and
// every feed()/finish() returns that error.
//
// Memory: the parser holds at most one header block (bounded by max_header_bytes)
// and the tail of the last chunk that could start a delimiter (under
// boundary + 4 bytes); data is never gathered. Data pieces are views into the
// caller's chunk, except the few bytes of that tail when they turn out to be data;
// a view is valid during the call only.
//
// Speed: the delimiter "\r\n--boundary" is searched with string_view::find (memchr
// for the CR, then a compare), so a part's data is crossed in large steps; only
// header blocks are read byte by byte.
class multipart_parser {
public:
    // `boundary`: as multipart_boundary() returns it.
    explicit multipart_parser(std::string boundary, multipart_limits lim = {})
        : delim_("\r\n--" + std::move(boundary)), limits_(lim) {
        // busboy writes "\r\n" before the body, so a body may start with the
        // delimiter's "--boundary" directly. That CRLF is the first lookbehind.
        lookbehind_ = "\r\n";
    }

    template <class Handler>
    std::error_code feed(std::string_view chunk, Handler& h) {
        if (state_ == state::failed) return error_;
        if (state_ == state::complete) return {};
        const std::string_view d = delim_;
        std::size_t pos = 0;

        if (!lookbehind_.empty()) {
            // The lookbehind is a prefix of the delimiter: see whether it (or a later
            // start inside it) continues into this chunk.
            const std::string_view lb = lookbehind_;
            std::size_t data_end = lb.size();  // lookbehind bytes that are data
            bool matched = false;
            for (std::size_t i = 0; i < lb.size(); ++i) {
                if (lb[i] != d[0] || lb.substr(i) != d.substr(0, lb.size() - i)) continue;
                const std::size_t need = d.size() - (lb.size() - i);
                const std::size_t n = std::min(need, chunk.size());
                if (chunk.substr(0, n) != d.substr(lb.size() - i, n)) continue;
                if (n < need) {
                    // Still only a prefix: keep it, with the whole chunk.
                    if (auto ec = segment(lb.substr(0, i), h)) return ec;
                    if (state_ == state::complete) return done_feeding();
                    lookbehind_.erase(0, i);
                    lookbehind_.append(chunk);
                    return {};
                }
                data_end = i;
                pos = need;
                matched = true;
                break;
            }
            if (auto ec = segment(lb.substr(0, data_end), h)) return ec;
            lookbehind_.clear();
            if (state_ == state::complete) return done_feeding();
            if (matched)
                if (auto ec = on_delimiter(h)) return ec;
        }

        while (pos < chunk.size()) {
            const std::size_t at = chunk.find(d, pos);
            if (at == std::string_view::npos) {
                // Keep the longest tail that could start a delimiter.
                const std::size_t tail = partial_delimiter_at(chunk, pos);
                if (auto ec = segment(chunk.substr(pos, tail - pos), h)) return ec;
                if (state_ == state::complete) return done_feeding();
                lookbehind_.assign(chunk.substr(tail));
                return {};
            }
            if (auto ec = segment(chunk.substr(pos, at - pos), h)) return ec;
            if (state_ == state::complete) return done_feeding();
            pos = at + d.size();
            if (auto ec = on_delimiter(h)) return ec;
        }
        return {};
    }

    // The body has ended. Returns the first error, unexpected_end when the closing
    // delimiter was not seen.
    std::error_code finish() {
        if (state_ == state::failed) return error_;
        if (state_ != state::complete) return fail(multipart_errc::unexpected_end);
        return {};
    }

    // The closing delimiter was seen: the rest of the body is epilogue.
    bool done() const noexcept { return state_ == state::complete; }

    const multipart_limits& limits() const noexcept { return limits_; }

private:
    enum class state : std::uint8_t {
        preamble,     // before the first delimiter: ignored
        after_delim,  // right after a delimiter: "\r\n" (a part) or "--" (the end)?
        after_dash,   // after the delimiter and '-'
        after_cr,     // after the delimiter and CR
        headers,      // in a part's header block
        data,         // in a part's data
        skip,         // after a delimiter followed by something else: ignored
        complete,     // after the closing delimiter: the epilogue, ignored
        failed,
    };
    enum class header_state : std::uint8_t { name, pre_ows, value, cr, crlf, end_cr };
    enum class slot : std::uint8_t { none, disposition, type, encoding };

    std::error_code fail(std::error_code ec) {
        state_ = state::failed;
        error_ = ec;
        lookbehind_.clear();
        return ec;
    }

    std::error_code done_feeding() {
        lookbehind_.clear();
        return {};
    }

    // Where the longest suffix of chunk[from..] that is a proper prefix of the
    // delimiter starts (chunk.size() when none). Only the last delimiter-size - 1
    // bytes can hold one, and memchr finds its first byte.
    std::size_t partial_delimiter_at(std::string_view chunk, std::size_t from) const noexcept {
        const std::string_view d = delim_;
        if (chunk.size() - from >= d.size()) from = chunk.size() - (d.size() - 1);
        for (std::size_t i = chunk.find(d[0], from); i != std::string_view::npos; i = chunk.find(d[0], i + 1)) {
            const std::size_t n = chunk.size() - i;
            if (chunk.substr(i) == d.substr(0, n)) return i;
        }
        return chunk.size();
    }

    // A delimiter was seen: ends the part whose data was running.
    template <class Handler>
    std::error_code on_delimiter(Handler& h) {
        switch (state_) {
            case state::headers:
                // busboy keeps feeding the header parser across the delimiter (and
                // reports the block at the end of the body, if at all): refused here.
                return fail(multipart_errc::malformed_header);
            case state::data:
                if (auto ec = multipart_detail::call([&] { return h.on_part_end(); })) return fail(ec);
                break;
            default: break;
        }
        state_ = state::after_delim;
        return {};
    }

    // Bytes between two delimiters, in order.
    template <class Handler>
    std::error_code segment(std::string_view s, Handler& h) {
        while (!s.empty()) {
            switch (state_) {
                case state::preamble:
                case state::skip:
                case state::complete:
                case state::failed: return {};
                case state::after_delim:
                    state_ = s[0] == '-' ? state::after_dash : s[0] == '\r' ? state::after_cr : state::skip;
                    s.remove_prefix(1);
                    break;
                case state::after_dash:
                    // "--boundary--": the end. Anything else: busboy ignores what follows.
                    state_ = s[0] == '-' ? state::complete : state::skip;
                    break;
                case state::after_cr:
                    if (s[0] != '\n') {
                        state_ = state::skip;
                        break;
                    }
                    s.remove_prefix(1);
                    if (parts_ == limits_.max_parts) return fail(multipart_errc::too_many_parts);
                    ++parts_;
                    start_headers();
                    state_ = state::headers;
                    break;
                case state::headers: {
                    bool end = false;
                    const std::size_t used = read_header_block(s, end);
                    if (state_ == state::failed) return error_;
                    s.remove_prefix(used);
                    if (end)
                        if (auto ec = begin_part(h)) return ec;
                    break;
                }
                case state::data: {
                    // Over the limit: the data up to it, then the error (as busboy
                    // pushes what fits before 'limit'), so that where the chunks were
                    // cut never changes what the handler saw.
                    const std::size_t max = part_is_file_ ? limits_.max_file_bytes : limits_.max_field_bytes;
                    const bool over = s.size() > max - data_bytes_;
                    if (over) s = s.substr(0, max - data_bytes_);
                    data_bytes_ += s.size();
                    if (!s.empty())
                        if (auto ec = multipart_detail::call([&] { return h.on_part_data(s); })) return fail(ec);
                    if (over)
                        return fail(part_is_file_ ? multipart_errc::file_too_large : multipart_errc::field_value_too_long);
                    return {};
                }
            }
        }
        return {};
    }

    void start_headers() {
        header_state_ = header_state::name;
        header_bytes_ = 0;
        header_pairs_ = 0;
        header_name_.clear();
        disposition_.reset();
        type_.reset();
        encoding_.reset();
        slot_ = slot::none;
    }

    std::optional<std::string>* slot_value() noexcept {
        switch (slot_) {
            case slot::disposition: return &disposition_;
            case slot::type: return &type_;
            case slot::encoding: return &encoding_;
            case slot::none: break;
        }
        return nullptr;
    }

    // Reads header-block bytes from `s` (busboy's HeaderParser, without obs-fold).
    // Returns how many it used; sets `end` after the block's empty line. Fails the
    // parser on a malformed or oversized block.
    std::size_t read_header_block(std::string_view s, bool& end) {
        std::size_t i = 0;
        while (i < s.size()) {
            if (header_bytes_ == limits_.max_header_bytes) {
                fail(multipart_errc::header_too_large);
                return i;
            }
            ++header_bytes_;
            const char c = s[i++];
            switch (header_state_) {
                case header_state::name:
                    if (is_tchar(c)) {
                        header_name_.push_back(ascii_to_lower(c));
                        break;
                    }
                    if (c != ':' || header_name_.empty()) {
                        fail(multipart_errc::malformed_header);
                        return i;
                    }
                    choose_slot();
                    header_state_ = header_state::pre_ows;
                    break;
                case header_state::pre_ows:
                    if (c == ' ' || c == '\t') break;
                    header_state_ = header_state::value;
                    [[fallthrough]];
                case header_state::value:
                    if (c == '\r') {
                        header_state_ = header_state::cr;
                        break;
                    }
                    if (!multipart_detail::is_value_char(c)) {
                        fail(multipart_errc::malformed_header);
                        return i;
                    }
                    if (auto* v = slot_value()) v->value().push_back(c);
                    break;
                case header_state::cr:
                    if (c != '\n') {
                        fail(multipart_errc::malformed_header);
                        return i;
                    }
                    header_state_ = header_state::crlf;
                    break;
                case header_state::crlf:
                    // A line starting with SP/HTAB continues the last one (obs-fold,
                    // RFC 9112 §5.2): busboy joins it, this parser refuses it.
                    if (c == ' ' || c == '\t' || (c != '\r' && !is_tchar(c))) {
                        fail(multipart_errc::malformed_header);
                        return i;
                    }
                    ++header_pairs_;
                    slot_ = slot::none;
                    header_name_.clear();
                    if (c == '\r') {
                        header_state_ = header_state::end_cr;
                    } else {
                        header_name_.push_back(ascii_to_lower(c));
                        header_state_ = header_state::name;
                    }
                    break;
                case header_state::end_cr:
                    if (c != '\n') {
                        fail(multipart_errc::malformed_header);
                        return i;
                    }
                    end = true;
                    return i;
            }
        }
        return i;
    }

    // At a header's ':': keep its value if it is one of the three we read and the
    // first of its name (busboy also drops every pair after its 1999th).
    void choose_slot() {
        slot_ = slot::none;
        if (header_pairs_ + 1 >= multipart_detail::max_header_pairs) return;
        if (header_name_ == "content-disposition") slot_ = slot::disposition;
        else if (header_name_ == "content-type") slot_ = slot::type;
        else if (header_name_ == "content-transfer-encoding") slot_ = slot::encoding;
        auto* v = slot_value();
        if (!v) return;
        if (v->has_value()) slot_ = slot::none;  // a repeated header: the first wins
        else v->emplace();
    }

    // The header block is complete: decides what the part is, checks the limits,
    // and tells the handler.
    template <class Handler>
    std::error_code begin_part(Handler& h) {
        using namespace multipart_detail;
        part_.name.clear();
        part_.filename.reset();
        part_.content_type = "text/plain";
        part_.charset = "utf-8";
        part_.transfer_encoding = "7bit";

        if (!disposition_) return fail(multipart_errc::not_form_data);
        // busboy's parseDisposition: a token (the type), then parameters.
        const std::string_view disp = *disposition_;
        if (disp.empty()) return fail(multipart_errc::not_form_data);
        std::size_t i = 0;
        while (i < disp.size() && is_tchar(disp[i])) ++i;
        std::optional<std::string> name, filename, filename_ext;
        const bool ok = parse_params(disp, i, true, [&](const std::string& k, std::string& v) {
            if (v.empty()) return;  // busboy tests the values for truth: "" is absent
            std::optional<std::string>* to = k == "name"        ? &name
                                             : k == "filename"  ? &filename
                                             : k == "filename*" ? &filename_ext
                                                                : nullptr;
            if (to && !*to) *to = std::move(v);
        });
        if (!ok) return fail(multipart_errc::malformed_header);
        if (!ascii_iequals(disp.substr(0, i), "form-data")) return fail(multipart_errc::not_form_data);
        if (name) part_.name = std::move(*name);
        if (filename_ext) part_.filename = basename(*filename_ext);
        else if (filename) part_.filename = basename(*filename);

        if (type_) {
            std::optional<std::string> charset;
            auto media = parse_media_type(*type_, [&](const std::string& k, const std::string& v) {
                if (k == "charset" && !charset) charset = v;
            });
            if (media) {
                part_.content_type = std::move(*media);
                if (charset) {
                    part_.charset = std::move(*charset);
                    ascii_to_lower_in_place(part_.charset);
                }
            }
        }
        if (encoding_) {
            part_.transfer_encoding = *encoding_;
            ascii_to_lower_in_place(part_.transfer_encoding);
        }

        // The order of multer's checks: the count (busboy), then the name.
        part_is_file_ = part_.is_file();
        if (part_is_file_) {
            if (files_ == limits_.max_files) return fail(multipart_errc::too_many_files);
            ++files_;
        } else {
            if (fields_ == limits_.max_fields) return fail(multipart_errc::too_many_fields);
            ++fields_;
        }
        if (part_.name.empty()) return fail(multipart_errc::missing_field_name);
        if (part_.name.size() > limits_.max_field_name_bytes) return fail(multipart_errc::field_name_too_long);

        data_bytes_ = 0;
        state_ = state::data;
        if (auto ec = call([&] { return h.on_part_begin(std::as_const(part_)); })) return fail(ec);
        return {};
    }

    std::string delim_;  // "\r\n--" + boundary
    multipart_limits limits_;
    state state_ = state::preamble;
    std::error_code error_;
    std::string lookbehind_;  // a proper prefix of delim_, seen at the end of the last chunk

    std::size_t parts_ = 0, files_ = 0, fields_ = 0;

    // The header block being read.
    header_state header_state_ = header_state::name;
    slot slot_ = slot::none;
    std::size_t header_bytes_ = 0, header_pairs_ = 0;
    std::string header_name_;
    std::optional<std::string> disposition_, type_, encoding_;

    // The part whose data is running.
    multipart_part part_;
    bool part_is_file_ = false;
    std::size_t data_bytes_ = 0;
};

}  // namespace duet::http
