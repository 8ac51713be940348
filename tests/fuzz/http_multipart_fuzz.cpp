// libFuzzer target: the multipart/form-data parser (duet/http/multipart.hpp) over a
// fixed boundary, with small limits so that every limit is reachable.
//
// The input's first byte picks a chunk size (1..64) and its second one a few cut
// points; the rest is the body. The body is parsed twice, whole and in chunks, and
// the target traps when a property breaks:
// - the two parses give the same events and the same error (chunking never matters);
// - callbacks come in order (begin, data*, end), nothing after an error or after
//   the closing delimiter, and data pieces are never empty;
// - the data delivered is never more than the body, per part within its limit,
//   and the counts of parts, files and fields within theirs;
// - a filename holds no '/' or '\' and is never "." or "..";
// - finish() succeeds exactly when the closing delimiter was seen.
//
// Build and run (seeds in tests/fuzz/corpus/http_multipart; copy them to a scratch
// directory first, libFuzzer adds what it finds to the directory it is given):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I include
//       tests/fuzz/http_multipart_fuzz.cpp -o /tmp/f && /tmp/f -max_total_time=60 DIR
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <duet/http/multipart.hpp>

#include "fuzz_assert.hpp"

namespace {

using namespace duet::http;

constexpr std::string_view boundary = "XyZ";
constexpr multipart_limits limits{.max_parts = 8,
                                  .max_header_bytes = 256,
                                  .max_field_bytes = 64,
                                  .max_file_bytes = 128,
                                  .max_files = 3,
                                  .max_fields = 4,
                                  .max_field_name_bytes = 16};

struct checker {
    std::string events;  // a transcript, compared between the two parses
    bool in_part = false, stopped = false, file = false;
    std::size_t part_bytes = 0, total_bytes = 0, parts = 0, files = 0, fields = 0;

    void on_part_begin(const multipart_part& p) {
        FUZZ_ASSERT(!stopped && !in_part);
        FUZZ_ASSERT(!p.name.empty() && p.name.size() <= limits.max_field_name_bytes);
        if (p.filename) {
            FUZZ_ASSERT(p.filename->find_first_of("/\\") == std::string::npos);
            FUZZ_ASSERT(*p.filename != "." && *p.filename != "..");
        }
        in_part = true;
        file = p.is_file();
        part_bytes = 0;
        FUZZ_ASSERT(++parts <= limits.max_parts);
        if (file) FUZZ_ASSERT(++files <= limits.max_files);
        else FUZZ_ASSERT(++fields <= limits.max_fields);
        events += "B" + p.name + "\x01" + (p.filename ? "F" + *p.filename : std::string("-")) + "\x01" +
                  p.content_type + "\x01" + p.charset + "\x01" + p.transfer_encoding + "\x01";
    }
    std::error_code on_part_data(std::string_view d) {
        FUZZ_ASSERT(!stopped && in_part && !d.empty());
        part_bytes += d.size();
        total_bytes += d.size();
        FUZZ_ASSERT(part_bytes <= (file ? limits.max_file_bytes : limits.max_field_bytes));
        // Now and then the handler refuses (at a '!'), to check that nothing follows;
        // the transcript stops there, wherever the piece around it was cut.
        const std::size_t bang = d.find('!');
        events.append(d.substr(0, bang == std::string_view::npos ? d.size() : bang + 1));
        if (bang != std::string_view::npos) return std::make_error_code(std::errc::operation_canceled);
        return {};
    }
    void on_part_end() {
        FUZZ_ASSERT(!stopped && in_part);
        in_part = false;
        events += "E";
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t step = 1 + data[0] % 64;
    const std::size_t jitter = data[1];
    const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

    // Whole.
    multipart_parser whole{std::string(boundary), limits};
    checker a;
    std::error_code ea = whole.feed(body, a);
    a.stopped = static_cast<bool>(ea) || whole.done();
    if (!ea) ea = whole.finish();
    FUZZ_ASSERT(!ea == whole.done());
    FUZZ_ASSERT(a.total_bytes <= body.size());
    FUZZ_ASSERT(whole.finish() == ea);

    // In chunks: `step` bytes, every third chunk longer by the jitter byte's value.
    multipart_parser chunked{std::string(boundary), limits};
    checker b;
    std::error_code eb;
    std::size_t n = 0;
    for (std::size_t at = 0; at < body.size() && !eb; ++n) {
        const std::size_t len = std::min(body.size() - at, step + (n % 3 == 2 ? jitter : 0));
        eb = chunked.feed(body.substr(at, len), b);
        b.stopped = static_cast<bool>(eb) || chunked.done();
        at += len;
    }
    if (!eb) eb = chunked.finish();
    b.stopped = true;
    FUZZ_ASSERT(chunked.feed("\r\n--XyZ\r\n", b) == (eb ? eb : std::error_code()));
    FUZZ_ASSERT(b.total_bytes <= body.size());

    FUZZ_ASSERT(ea == eb);
    FUZZ_ASSERT(a.events == b.events);
    return 0;
}
