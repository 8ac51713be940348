// libFuzzer target for the permessage-deflate paths of core/zlib.hpp: what a client's
// compressed WebSocket messages go through (zlib::message_inflater, bounded), and what
// the server sends (zlib::deflate_message).
//
// Input layout: byte 0 picks the limit (max_message_size), bit 7 of byte 1 the reset
// flag (client_no_context_takeover) and its low bits the window; the rest is a sequence
// of messages, each a 1-byte length then that many bytes of deflate data. Checks,
// aborting on any violation:
//  - an inflated message never exceeds the limit (a bomb stops at limit+1 byte with
//    too_large), and a failed message leaves the output exactly as it was;
//  - after a failure the stream reports itself unusable (the connection closes);
//  - a message that inflated fine inflates to the same bytes through a fresh inflater
//    fed the same history (determinism) — checked with reset on, where history is empty;
//  - deflate_message of the input's bytes inflates back to exactly those bytes, and is
//    refused (too_large, output untouched) with a limit one byte under its size.
#include <duet/core/zlib.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace zlib = duet::zlib;

namespace {
void check(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr std::size_t limits[] = {0, 1, 16, 125, 1000, 4096, 65536, 1 << 20};
    const std::size_t limit = limits[data[0] % 8];
    const bool reset = (data[1] & 0x80) != 0;
    const int window = 9 + (data[1] & 0x07) % 7;  // 9..15
    std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);

    // Hostile messages through one connection's inflater.
    zlib::message_inflater z(window);
    std::string out = "prefix";
    while (!rest.empty() && z.usable()) {
        const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(rest[0]), rest.size() - 1);
        const std::string_view msg = rest.substr(1, n);
        rest.remove_prefix(1 + n);
        const std::size_t before = out.size();
        const std::string saved = out;
        const auto ec = z.inflate_message(msg, out, limit, reset);
        if (ec) {
            check(out == saved);
            check(!z.usable() || ec == zlib::error::too_large);
            break;
        }
        check(out.size() - before <= limit);
        check(out.compare(0, before, saved) == 0);
        if (reset) {
            // With no history, a fresh inflater gives the same message.
            zlib::message_inflater fresh(window);
            std::string again;
            check(!fresh.inflate_message(msg, again, limit));
            check(again == std::string_view(out).substr(before));
        }
        if (out.size() > (1 << 16)) out.resize(6);
    }

    // What the server sends: deflate then inflate gives the input back.
    const std::string_view plain(reinterpret_cast<const char*>(data + 2), size - 2);
    std::string packed;
    check(zlib::deflate_message(plain, packed));
    // The server deflates with a 15-bit window (clients keep 15 unless
    // server_max_window_bits was agreed, which duet never asks for).
    zlib::message_inflater back(15);
    std::string round;
    check(!back.inflate_message(packed, round, plain.size()));
    check(round == plain);
    if (!plain.empty()) {
        zlib::message_inflater tight(15);
        std::string cut = "x";
        check(tight.inflate_message(packed, cut, plain.size() - 1) == zlib::error::too_large);
        check(cut == "x");
    }
    return 0;
}
