// Tests for duet/http/multipart.hpp. The transcripts of the first table were printed by
// busboy 1.6.0 (Node 20) driven as multer 2.1.1 drives it: the first error wins and the
// limit events become multer's messages. Where this parser knowingly differs from
// busboy, the test says what busboy printed.
#include <doctest/doctest.h>

#include <duet/http/multipart.hpp>

#include <cstddef>
#include <ostream>  // doctest prints std::error_code through operator<<
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace http = duet::http;
using namespace std::string_view_literals;

namespace {

// Writes each completed part as "name|filename|content-type|transfer-encoding|data\n"
// ("~" for no filename) and checks the order of the calls as it goes.
struct recorder {
    std::string out;
    std::string current;
    bool in_part = false;
    std::size_t parts = 0;

    void on_part_begin(const http::multipart_part& p) {
        CHECK_FALSE(in_part);
        in_part = true;
        ++parts;
        current = p.name + "|" + (p.filename ? *p.filename : std::string("~")) + "|" + p.content_type + "|" +
                  p.transfer_encoding + "|";
    }
    void on_part_data(std::string_view d) {
        CHECK(in_part);
        CHECK_FALSE(d.empty());
        current += d;
    }
    void on_part_end() {
        CHECK(in_part);
        in_part = false;
        out += current + "\n";
    }
};

// Feeds `body` cut at the offsets `cuts` (increasing), then finish(). The transcript,
// then "!" and the message of the first error.
std::string parse_cut(std::string_view boundary, std::string_view body, const std::vector<std::size_t>& cuts,
                      http::multipart_limits lim = {}) {
    http::multipart_parser p{std::string(boundary), lim};
    recorder r;
    std::error_code ec;
    std::size_t at = 0;
    for (std::size_t i = 0; i <= cuts.size() && !ec; ++i) {
        const std::size_t to = i < cuts.size() ? cuts[i] : body.size();
        ec = p.feed(body.substr(at, to - at), r);
        at = to;
    }
    if (!ec) ec = p.finish();
    CHECK(p.finish() == ec);  // finish() again: the same answer
    return r.out + (ec ? "!" + ec.message() : std::string());
}

std::string parse_whole(std::string_view boundary, std::string_view body, http::multipart_limits lim = {}) {
    return parse_cut(boundary, body, {}, lim);
}

std::string parse_step(std::string_view boundary, std::string_view body, std::size_t step,
                       http::multipart_limits lim = {}) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = step; at < body.size(); at += step) cuts.push_back(at);
    return parse_cut(boundary, body, cuts, lim);
}

// The same transcript for the whole body, steps of 1, 2, 3 and 7 bytes, and every
// cut into two pieces.
void check_every_chunking(std::string_view boundary, std::string_view body, std::string_view expected,
                          http::multipart_limits lim = {}) {
    CHECK(parse_whole(boundary, body, lim) == expected);
    for (std::size_t step : {1, 2, 3, 7}) {
        CAPTURE(step);
        CHECK(parse_step(boundary, body, step, lim) == expected);
    }
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
        CAPTURE(cut);
        CHECK(parse_cut(boundary, body, {cut}, lim) == expected);
    }
}

std::string part(std::string_view name, std::string_view value, std::string_view extra = "",
                 std::string_view headers = "", std::string_view boundary = "XyZ") {
    return "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"" +
           std::string(extra) + "\r\n" + std::string(headers) + "\r\n" + std::string(value) + "\r\n";
}

struct busboy_case {
    std::string_view label;
    std::string_view boundary;
    std::string_view body;
    http::multipart_limits limits;
    std::string_view expected;
};

// clang-format off
const busboy_case busboy_cases[] = {
    {"browser form: fields and files",
     "----WebKitFormBoundary7MA4YWxkTrZu0gW",
     "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\ntwo\r\nlines\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"bin\"; filename=\"b.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\xff\r\n--\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"sv,
     http::multipart_limits{},
     "title|~|text/plain|7bit|Hello\nnote|~|text/plain|7bit|two\r\nlines\nupload|a.txt|text/plain|7bit|file body\r\n\nbin|b.bin|application/octet-stream|7bit|\x00\x01\xff\r\n--\n"sv},
    {"preamble and epilogue are ignored",
     "XyZ",
     "This is a preamble\r\n--XyZ is not here\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\nepilogue\r\n--XyZ\r\n"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|1\n"sv},
    {"empty value, empty file",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"e.txt\"\r\n\r\n\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|\nf|e.txt|text/plain|7bit|\n"sv},
    {"the closing delimiter only",
     "XyZ",
     "--XyZ--"sv,
     http::multipart_limits{},
     ""sv},
    {"closing delimiter directly after the data, garbage after",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--garbage"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|x\n"sv},
    {"near-delimiters inside data",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\np\r\n--Xy\r\n-\r\n--XyQ x--XyZ\r\r\n--Xy\n--XyZ\r\n\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|p\r\n--Xy\r\n-\r\n--XyQ x--XyZ\r\r\n--Xy\n--XyZ\r\n\n"sv},
    {"data ending in CR, LF, CRLF",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ny\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nz\r\n\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|x\r\nb|~|text/plain|7bit|y\n\nc|~|text/plain|7bit|z\r\n\n"sv},
    {"data that is all dashes and CRs",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--\r\r\r--\r\n\r\n-\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|--\r\r\r--\r\n\r\n-\n"sv},
    {"delimiter followed by other bytes: the part ends, the rest is ignored",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZX\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n3\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|1\nc|~|text/plain|7bit|3\n"sv},
    {"delimiter followed by \"-x\" or CR x: ignored up to the next delimiter",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ-x\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n3\r\n--XyZ\rx\r\n--XyZ\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n4\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|1\nc|~|text/plain|7bit|3\nd|~|text/plain|7bit|4\n"sv},
    {"back-to-back delimiters",
     "XyZ",
     "--XyZ\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|1\n"sv},
    {"filenames: basename only",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"../../etc/passwd\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"; filename=\"C:\\\\x\\\\y.txt\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"; filename=\"C:\\x\\y.txt\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"d\"; filename=\"..\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"e\"; filename=\"dir/\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\".\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=plain.txt\r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|passwd|text/plain|7bit|d\nb|y.txt|text/plain|7bit|d\nc|y.txt|text/plain|7bit|d\nd||text/plain|7bit|d\ne||text/plain|7bit|d\nf||text/plain|7bit|d\ng|plain.txt|text/plain|7bit|d\n"sv},
    {"filename=\"\" is no filename: a field",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"\"\r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|d\n"sv},
    {"filename* preferred, decoded, then cut",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"x.txt\"; filename*=utf-8''%E2%82%AC%20rates.txt\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"; filename*=ISO-8859-1'en'%E9t%E9.txt; filename=\"y.txt\"\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"; filename*=UTF-8''%E2%82%41.txt\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"d\"; filename*=utf-8''..%2F..%2Fetc%2Fpasswd\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"e\"; filename*=utf-8''; filename=\"fallback.txt\"\r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|\xe2\x82\xac rates.txt|text/plain|7bit|d\nb|\xc3\xa9t\xc3\xa9.txt|text/plain|7bit|d\nc|\xef\xbf\xbd" "A.txt|text/plain|7bit|d\nd|passwd|text/plain|7bit|d\ne|fallback.txt|text/plain|7bit|d\n"sv},
    {"quoted-string escapes in name and filename",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\\\"b\\\\c\\d\"; filename=\"q\\\"uote.txt\"\r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a\"b\\c\\d|q\"uote.txt|text/plain|7bit|d\n"sv},
    {"raw UTF-8 filename bytes are kept",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"\xc3\xa9t\xc3\xa9.txt\"\r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     // busboy: the latin1 string of these bytes ("\u00c3\u00a9t\u00c3\u00a9.txt", multer's defParamCharset);
     // the bytes themselves are the same.
     "a|\xc3\xa9t\xc3\xa9.txt|text/plain|7bit|d\n"sv},
    {"octet-stream without filename is a file",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: application/octet-stream\r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|application/octet-stream|7bit|d\n"sv},
    {"part Content-Type and Content-Transfer-Encoding",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: Application/JSON; Charset=UTF-8\r\nContent-Transfer-Encoding: BINARY\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\nContent-Type: text\r\n\r\nd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\ncontent-type: image/png \r\n\r\nd\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|application/json|binary|d\nb|~|text/plain|7bit|d\nc|~|image/png|7bit|d\n"sv},
    {"header names are case-insensitive; the first of a repeated header wins; OWS optional",
     "XyZ",
     "--XyZ\r\nCONTENT-disposition:form-data;name=a\r\ncontent-disposition: form-data; name=\"b\"\r\nX-Other:\t v \r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|1\n"sv},
    {"disposition type is case-insensitive, unquoted params, whitespace around ;",
     "XyZ",
     "--XyZ\r\nContent-Disposition: Form-Data ;name=a ;\tfilename=f.txt  \r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "a|f.txt|text/plain|7bit|1\n"sv},
    {"parts: part max+1 is refused",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n3\r\n--XyZ--"sv,
     http::multipart_limits{.max_parts = 2},
     "a|~|text/plain|7bit|1\nb|~|text/plain|7bit|2\n!Too many parts"sv},
    {"files",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"1\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"; filename=\"2\"\r\n\r\n2\r\n--XyZ--"sv,
     http::multipart_limits{.max_files = 1},
     "a|1|text/plain|7bit|1\n!Too many files"sv},
    {"fields",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"3\"\r\n\r\n3\r\n--XyZ--"sv,
     http::multipart_limits{.max_fields = 1},
     "a|~|text/plain|7bit|1\n!Too many fields"sv},
    {"files: limit 0",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"3\"\r\n\r\n3\r\n--XyZ--"sv,
     http::multipart_limits{.max_files = 0},
     "!Too many files"sv},
    {"fieldSize",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12345\r\n--XyZ--"sv,
     http::multipart_limits{.max_field_bytes = 4},
     "!Field value too long"sv},
    {"fileSize",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a\"\r\n\r\n12345\r\n--XyZ--"sv,
     http::multipart_limits{.max_file_bytes = 4},
     "!File too large"sv},
    {"fieldNameSize",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"abcd\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"abcde\"\r\n\r\n2\r\n--XyZ--"sv,
     http::multipart_limits{.max_field_name_bytes = 4},
     "abcd|~|text/plain|7bit|1\n!Field name too long"sv},
    {"fieldNameSize for files",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"abcde\"; filename=\"x\"\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{.max_field_name_bytes = 4},
     "!Field name too long"sv},
    {"missing name",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Field name missing"sv},
    {"empty name",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"\"; filename=\"x\"\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Field name missing"sv},
    {"empty body",
     "XyZ",
     ""sv,
     http::multipart_limits{},
     "!Unexpected end of form"sv},
    {"garbage",
     "XyZ",
     "hello world"sv,
     http::multipart_limits{},
     "!Unexpected end of form"sv},
    {"unterminated: no closing delimiter",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"sv,
     http::multipart_limits{},
     "!Unexpected end of form"sv},
    {"unterminated: in data",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12"sv,
     http::multipart_limits{},
     "!Unexpected end of form"sv},
    {"unterminated: in headers",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"sv,
     http::multipart_limits{},
     "!Unexpected end of form"sv},
    {"unterminated: \"--XyZ-\"",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ-"sv,
     http::multipart_limits{},
     "a|~|text/plain|7bit|1\n!Unexpected end of form"sv},
    {"a part without headers",
     "XyZ",
     "--XyZ\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Malformed part header"sv},
    {"header line without colon",
     "XyZ",
     "--XyZ\r\nContent-Disposition form-data\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Malformed part header"sv},
    {"space before the colon",
     "XyZ",
     "--XyZ\r\nContent-Disposition : form-data; name=a\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Malformed part header"sv},
    {"control byte in a value",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=a\x01\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Malformed part header"sv},
    {"CR without LF",
     "XyZ",
     "--XyZ\r\nContent-Disposition: form-data; name=a\rx\r\n\r\n1\r\n--XyZ--"sv,
     http::multipart_limits{},
     "!Malformed part header"sv},
};
// clang-format on

}  // namespace

// ----- the boundary -----

TEST_CASE("multipart_boundary: busboy's parseContentType, then RFC 2046's 1..70 characters") {
    // busboy 1.6.0's parseContentType printed the same parameter for every accepted value.
    CHECK(http::multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW") ==
          "----WebKitFormBoundary7MA4YWxkTrZu0gW");
    CHECK(http::multipart_boundary("Multipart/Form-Data; BOUNDARY=\"a b:c\"") == "a b:c");
    CHECK(http::multipart_boundary(R"(multipart/form-data;boundary="a\"b\\c\d")") == R"(a"b\c\d)");
    CHECK(http::multipart_boundary("multipart/form-data; charset=utf-8; boundary=x; boundary=y") == "x");
    CHECK(http::multipart_boundary("multipart/form-data ; boundary=x ") == "x");
    CHECK(http::multipart_boundary("  multipart/form-data; boundary=x") == "x");  // a header value, trimmed
    CHECK(http::multipart_boundary("multipart/form-data;\tboundary=x") == "x");

    CHECK_FALSE(http::multipart_boundary("multipart/mixed; boundary=x"));
    CHECK_FALSE(http::multipart_boundary("text/plain; boundary=x"));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data"));
    CHECK_FALSE(http::multipart_boundary(""));
    // busboy: parseContentType gives undefined ("Malformed content type") for each.
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary="));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary=a b"));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary = x"));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data;"));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary=x;"));
    CHECK_FALSE(http::multipart_boundary("/form-data; boundary=x"));
    CHECK_FALSE(http::multipart_boundary("multipart; boundary=x"));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary=\"x"));
    // busboy takes these; RFC 2046 does not.
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary=\"\""));
    CHECK(http::multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'b')) == std::string(70, 'b'));
    CHECK_FALSE(http::multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b')));
}

// ----- bodies busboy decides -----

TEST_CASE("busboy's results, body by body, whole and in every chunking") {
    for (const auto& c : busboy_cases) {
        CAPTURE(c.label);
        check_every_chunking(c.boundary, c.body, c.expected, c.limits);
    }
}

TEST_CASE("every cut into three pieces of a small body gives the same parts") {
    const std::string body = "pre\r\n" + part("a", "x\r\n--Xy-") + part("f", "\r\r\n-", "; filename=\"f\"") + "--XyZ--";
    const std::string expected = "a|~|text/plain|7bit|x\r\n--Xy-\nf|f|text/plain|7bit|\r\r\n-\n";
    CHECK(parse_whole("XyZ", body) == expected);
    for (std::size_t i = 0; i <= body.size(); ++i)
        for (std::size_t j = i; j <= body.size(); ++j) {
            CAPTURE(i);
            CAPTURE(j);
            CHECK(parse_cut("XyZ", body, {i, j}) == expected);
        }
}

TEST_CASE("a header block over the limit: busboy's message, its own code") {
    const std::string pad = "X-Pad: " + std::string(17000, 'p') + "\r\n";
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n" + pad + "\r\n1\r\n--XyZ--";
    // busboy 1.6.0 (its fixed 16 KiB): "Malformed part header".
    CHECK(parse_step("XyZ", body, 1000, {.max_header_bytes = 16384}) == "!Malformed part header");

    // The block's bytes, its empty line included: at most max_header_bytes.
    const std::string block = "Content-Disposition: form-data; name=a\r\n\r\n";
    const std::string exact = "--XyZ\r\n" + block + "1\r\n--XyZ--";
    check_every_chunking("XyZ", exact, "a|~|text/plain|7bit|1\n", {.max_header_bytes = block.size()});
    check_every_chunking("XyZ", exact, "!Malformed part header", {.max_header_bytes = block.size() - 1});
    http::multipart_parser p("XyZ", {.max_header_bytes = block.size() - 1});
    recorder r;
    CHECK(p.feed(exact, r) == http::multipart_errc::header_too_large);
}

// ----- where this parser differs from busboy -----

TEST_CASE("stricter than busboy: parts busboy would skip or take in silence are errors") {
    // busboy 1.6.0: [field a = "xx"] (it joins the folded line).
    check_every_chunking("XyZ", "--XyZ\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nxx\r\n--XyZ--",
                         "!Malformed part header");
    // busboy 1.6.0: no event at all for these parts (skipped), then 'close'.
    check_every_chunking("XyZ", "--XyZ\r\nContent-Type: text/plain\r\n\r\nxx\r\n--XyZ--",
                         "!Part without Content-Disposition: form-data");
    check_every_chunking("XyZ", "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nxx\r\n--XyZ--",
                         "!Part without Content-Disposition: form-data");
    check_every_chunking("XyZ", "--XyZ\r\nContent-Disposition: \r\n\r\nxx\r\n--XyZ--",
                         "!Part without Content-Disposition: form-data");
    check_every_chunking("XyZ", "--XyZ\r\nContent-Disposition: form-data; name=a b\r\n\r\nxx\r\n--XyZ--",
                         "!Malformed part header");
    check_every_chunking("XyZ",
                         "--XyZ\r\nContent-Disposition: form-data; name=a; filename*=windows-1251''%C0b\r\n\r\nxx\r\n--XyZ--",
                         "!Malformed part header");
    check_every_chunking("XyZ", "--XyZ\r\nContent-Disposition: form-data; name=a; filename*=utf-8''%4\r\n\r\nxx\r\n--XyZ--",
                         "!Malformed part header");
    // busboy 1.6.0: the header parser goes on across the delimiter; here the first
    // part's unfinished block is refused at the delimiter.
    check_every_chunking("XyZ", "--XyZ\r\nContent-Disposition: form-data; name=a\r\n--XyZ\r\n" + part("b", "2") + "--XyZ--",
                         "!Malformed part header");
    // An unknown charset with an empty value decodes (to nothing), as in busboy.
    check_every_chunking("XyZ",
                         "--XyZ\r\nContent-Disposition: form-data; name=a; filename*=bogus''; filename=f\r\n\r\nxx\r\n--XyZ--",
                         "a|f|text/plain|7bit|xx\n");
}

TEST_CASE("limits are 'at most': exactly the limit passes (busboy flags it)") {
    // busboy 1.6.0: valueTruncated for a field of exactly fieldSize bytes, 'limit' for a
    // file of exactly fileSize, and partsLimit at the closing delimiter of a body of
    // exactly `parts` parts (multer: "Field value too long", "File too large", "Too many parts").
    check_every_chunking("XyZ", part("a", "1234") + "--XyZ--", "a|~|text/plain|7bit|1234\n", {.max_field_bytes = 4});
    check_every_chunking("XyZ", part("a", "12345") + "--XyZ--", "!Field value too long", {.max_field_bytes = 4});
    check_every_chunking("XyZ", part("a", "1234", "; filename=\"a\"") + "--XyZ--", "a|a|text/plain|7bit|1234\n",
                         {.max_file_bytes = 4});
    check_every_chunking("XyZ", part("a", "12345", "; filename=\"a\"") + "--XyZ--", "!File too large",
                         {.max_file_bytes = 4});
    check_every_chunking("XyZ", part("a", "1") + part("b", "2") + "--XyZ--",
                         "a|~|text/plain|7bit|1\nb|~|text/plain|7bit|2\n", {.max_parts = 2});
    check_every_chunking("XyZ", part("a", "1") + part("b", "2", "; filename=\"b\"") + "--XyZ--",
                         "a|~|text/plain|7bit|1\nb|b|text/plain|7bit|2\n", {.max_files = 1, .max_fields = 1});
    check_every_chunking("XyZ", part("abcd", "1") + "--XyZ--", "abcd|~|text/plain|7bit|1\n", {.max_field_name_bytes = 4});
    // Over a limit, the handler gets the data up to it, then the error, however the
    // body was cut.
    for (std::size_t step : {1, 2, 5, 100}) {
        struct counting {
            std::string data;
            void on_part_begin(const http::multipart_part&) {}
            void on_part_data(std::string_view d) { data += d; }
            void on_part_end() {}
        } h;
        http::multipart_parser p("XyZ", {.max_file_bytes = 4});
        const std::string body = part("a", "123456789", "; filename=\"a\"") + "--XyZ--";
        std::error_code ec;
        for (std::size_t at = 0; at < body.size() && !ec; at += step) ec = p.feed(std::string_view(body).substr(at, step), h);
        CHECK(ec == http::multipart_errc::file_too_large);
        CHECK(h.data == "1234");
    }
    // Empty values count nothing.
    check_every_chunking("XyZ", part("a", "") + "--XyZ--", "a|~|text/plain|7bit|\n", {.max_field_bytes = 0});
    // The default field-name limit: 100 bytes.
    check_every_chunking("XyZ", part(std::string(100, 'n'), "1") + "--XyZ--",
                         std::string(100, 'n') + "|~|text/plain|7bit|1\n");
    CHECK(parse_whole("XyZ", part(std::string(101, 'n'), "1") + "--XyZ--") == "!Field name too long");
}

TEST_CASE("10,000 tiny parts, max_parts = 1000: part 1001 is refused as it starts") {
    std::vector<std::string> parts;
    for (int i = 0; i < 10000; ++i) parts.push_back(part("p" + std::to_string(i), "v"));
    http::multipart_parser p("XyZ", {.max_parts = 1000, .max_fields = 100000});
    recorder r;
    std::error_code ec;
    std::size_t failed_at = 0;
    for (std::size_t i = 0; i < parts.size() && !ec; ++i) {
        ec = p.feed(parts[i], r);
        failed_at = i;
    }
    CHECK(ec == http::multipart_errc::too_many_parts);
    CHECK(ec.message() == "Too many parts");
    CHECK(failed_at == 1000);  // the 1001st part's first bytes
    CHECK(r.parts == 1000);
    CHECK_FALSE(r.in_part);
    CHECK(p.finish() == http::multipart_errc::too_many_parts);

    // The default max_fields (1000) stops the same body as "Too many fields".
    http::multipart_parser q("XyZ", {.max_parts = 100000});
    recorder r2;
    std::string all;
    for (const auto& s : parts) all += s;
    CHECK(q.feed(all + "--XyZ--", r2) == http::multipart_errc::too_many_fields);
    CHECK(r2.parts == 1000);
}

// ----- streaming -----

TEST_CASE("data is streamed: views into the caller's chunk, held back only while it may be a delimiter") {
    const std::string head = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n\r\n";
    std::string data;
    for (int i = 0; i < 200000; ++i) data += static_cast<char>("ab\r\n-XyZ"[i % 9]);
    const std::string body = head + data + "\r\n--XyZ--";
    static constexpr std::size_t delimiter = 7;  // "\r\n--XyZ"

    struct counting {
        std::string_view chunk;
        std::size_t delivered = 0, in_chunk = 0, copied = 0;
        std::string data;
        void on_part_begin(const http::multipart_part& p) { CHECK(p.is_file()); }
        void on_part_data(std::string_view d) {
            delivered += d.size();
            data += d;
            const bool inside = d.data() >= chunk.data() && d.data() + d.size() <= chunk.data() + chunk.size();
            (inside ? in_chunk : copied) += d.size();
            if (!inside) CHECK(d.size() < delimiter);
        }
        void on_part_end() {}
    } h;
    http::multipart_parser p("XyZ");
    std::size_t fed = 0;
    for (std::size_t at = 0; at < body.size(); at += 4096) {
        h.chunk = std::string_view(body).substr(at, 4096);
        REQUIRE_FALSE(p.feed(h.chunk, h));
        fed += h.chunk.size();
        const std::size_t data_fed = std::min(fed > head.size() ? fed - head.size() : 0, data.size());
        CHECK(h.delivered + delimiter > data_fed);  // never more than a delimiter's length held back
    }
    CHECK_FALSE(p.finish());
    CHECK(h.data == data);
    CHECK(h.copied < body.size() / 4096 * delimiter);
    CHECK(h.in_chunk > data.size() - h.copied - 1);
}

TEST_CASE("a boundary that overlaps itself (the parser takes any string)") {
    // multipart_boundary never yields a CR, but the search must not depend on it.
    const std::string b = "\r";
    const std::string body = "--\r\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\r\n--\r\r\n"
                             "Content-Disposition: form-data; name=b\r\n\r\n\r\n-\r\r\n--\r--";
    check_every_chunking(b, body, "a|~|text/plain|7bit|x\r\nb|~|text/plain|7bit|\r\n-\r\n");
}

// ----- parts -----

TEST_CASE("multipart_part: charset, type, is_file") {
    struct capture {
        std::vector<http::multipart_part> parts;
        void on_part_begin(const http::multipart_part& p) { parts.push_back(p); }
        void on_part_data(std::string_view) {}
        void on_part_end() {}
    } h;
    http::multipart_parser p("XyZ");
    const std::string body = part("a", "1") + part("b", "2", "", "Content-Type: text/plain; CHARSET=\"ISO-8859-1\"\r\n") +
                             part("c", "3", "", "Content-Type: application/octet-stream\r\n") +
                             part("d", "4", "; filename=\"..\"") + "--XyZ--";
    REQUIRE_FALSE(p.feed(body, h));
    REQUIRE_FALSE(p.finish());
    REQUIRE(h.parts.size() == 4);
    CHECK(h.parts[0].charset == "utf-8");
    CHECK(h.parts[0].content_type == "text/plain");
    CHECK(h.parts[0].transfer_encoding == "7bit");
    CHECK_FALSE(h.parts[0].is_file());
    CHECK(h.parts[1].charset == "iso-8859-1");
    CHECK(h.parts[2].is_file());
    CHECK_FALSE(h.parts[2].filename);
    CHECK(h.parts[3].is_file());
    CHECK(h.parts[3].filename == "");  // ".." leaves nothing: the caller must refuse it
}

// ----- the handler and the parser's life -----

TEST_CASE("a handler's error stops the parser: returned by feed, nothing called after it") {
    struct refusing {
        int begins = 0, datas = 0, ends = 0;
        std::error_code on_part_begin(const http::multipart_part& p) {
            ++begins;
            if (p.name == "stop") return std::make_error_code(std::errc::permission_denied);
            return {};
        }
        std::error_code on_part_data(std::string_view) {
            ++datas;
            return {};
        }
        void on_part_end() { ++ends; }
    } h;
    http::multipart_parser p("XyZ");
    const std::string body = part("a", "1") + part("stop", "2") + part("c", "3") + "--XyZ--";
    const auto ec = p.feed(body, h);
    CHECK(ec == std::errc::permission_denied);
    CHECK(h.begins == 2);
    CHECK(h.datas == 1);
    CHECK(h.ends == 1);
    CHECK(p.feed("more", h) == std::errc::permission_denied);
    CHECK(p.finish() == std::errc::permission_denied);
    CHECK(h.begins == 2);
    CHECK_FALSE(p.done());
}

TEST_CASE("done() after the closing delimiter; the epilogue is never read") {
    http::multipart_parser p("XyZ");
    recorder r;
    CHECK_FALSE(p.feed(part("a", "1") + "--XyZ-", r));
    CHECK_FALSE(p.done());
    CHECK_FALSE(p.feed("-", r));
    CHECK(p.done());
    CHECK_FALSE(p.feed("\r\n--XyZ\r\n\r\n garbage \x01", r));
    CHECK_FALSE(p.finish());
    CHECK(r.out == "a|~|text/plain|7bit|1\n");
}

TEST_CASE("error codes: category, messages (multer's and busboy's), comparisons") {
    using E = http::multipart_errc;
    const std::pair<E, const char*> messages[] = {
        {E::too_many_parts, "Too many parts"},
        {E::file_too_large, "File too large"},
        {E::field_value_too_long, "Field value too long"},
        {E::field_name_too_long, "Field name too long"},
        {E::too_many_files, "Too many files"},
        {E::too_many_fields, "Too many fields"},
        {E::missing_field_name, "Field name missing"},
        {E::unexpected_end, "Unexpected end of form"},
        {E::malformed_header, "Malformed part header"},
        {E::header_too_large, "Malformed part header"},
        {E::not_form_data, "Part without Content-Disposition: form-data"},
    };
    for (const auto& m : messages) {
        const std::error_code ec = m.first;  // is_error_code_enum
        CHECK(ec.message() == m.second);
        CHECK(&ec.category() == &http::multipart_category());
        CHECK(ec == http::make_error_code(m.first));
        CHECK(static_cast<bool>(ec));
    }
    CHECK(std::string(http::multipart_category().name()) == "duet.http.multipart");
    CHECK(std::error_code(E::header_too_large) != std::error_code(E::malformed_header));
}
