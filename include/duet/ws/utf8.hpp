// duet/ws/utf8.hpp — incremental UTF-8 validation (RFC 3629) for text messages.
//
// Owns: a validator whose state survives across buffers, so a text message may be
// checked fragment by fragment — or read by read — and a bad byte is reported as
// soon as it arrives ("fail fast", as the Autobahn 6.x cases expect), not when the
// message ends. Rejects overlong forms, UTF-16 surrogates (U+D800..DFFF), code
// points above U+10FFFF, stray continuation bytes, and sequences cut off at the end.
//
// The state is just "how many continuation bytes are still due, and which range the
// next one must fall in": the RFC 3629 §4 grammar only ever narrows the range of the
// byte right after the lead byte (E0, ED, F0, F4), so no table is needed. Pure ASCII
// is skipped 32 (then 8) bytes per step.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace duet::ws {

class utf8_validator {
public:
    // Validates the next piece of the text. Returns false once the text seen so far
    // cannot be the start of valid UTF-8; the failure is sticky until reset().
    bool feed(std::span<const std::byte> data) noexcept {
        return feed(reinterpret_cast<const unsigned char*>(data.data()), data.size());
    }
    bool feed(std::string_view data) noexcept {
        return feed(reinterpret_cast<const unsigned char*>(data.data()), data.size());
    }

    // True when everything fed so far is valid and does not end inside a sequence:
    // call at the end of a message.
    bool complete() const noexcept { return !failed_ && need_ == 0; }
    bool failed() const noexcept { return failed_; }

    void reset() noexcept { *this = utf8_validator{}; }

private:
    bool feed(const unsigned char* p, std::size_t n) noexcept {
        if (failed_) return false;
        const unsigned char* const end = p + n;
        while (p != end) {
            if (need_ == 0) {
                // ASCII fast path: 32 bytes per step while no byte has its top bit
                // set (four independent loads OR-ed: the CPU overlaps them), then 8.
                while (end - p >= 32) {
                    std::uint64_t w[4];
                    std::memcpy(w, p, 32);
                    if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull) break;
                    p += 32;
                }
                while (end - p >= 8) {
                    std::uint64_t w;
                    std::memcpy(&w, p, 8);
                    const std::uint64_t high = w & 0x8080808080808080ull;
                    if (high) {
                        // Skip the ASCII bytes in front of the first non-ASCII one.
                        if constexpr (std::endian::native == std::endian::little)
                            p += std::countr_zero(high) / 8;
                        break;
                    }
                    p += 8;
                }
                if (p == end) break;
                const unsigned c = *p++;
                if (c < 0x80) continue;
                if (c < 0xC2) return fail();        // 80..BF stray continuation, C0/C1 overlong
                if (c < 0xE0) {                      // 2 bytes: U+0080..07FF
                    expect(1, 0x80, 0xBF);
                } else if (c < 0xF0) {               // 3 bytes: U+0800..FFFF
                    expect(2, c == 0xE0 ? 0xA0 : 0x80,   // E0 80..9F would be overlong
                           c == 0xED ? 0x9F : 0xBF);     // ED A0..BF would be a surrogate
                } else if (c < 0xF5) {               // 4 bytes: U+10000..10FFFF
                    expect(3, c == 0xF0 ? 0x90 : 0x80,   // F0 80..8F would be overlong
                           c == 0xF4 ? 0x8F : 0xBF);     // F4 90.. would exceed U+10FFFF
                } else {
                    return fail();                   // F5..FF can never start a sequence
                }
            } else {
                const unsigned c = *p++;
                if (c < lo_ || c > hi_) return fail();
                --need_;
                lo_ = 0x80;
                hi_ = 0xBF;
            }
        }
        return true;
    }

    void expect(std::uint8_t need, unsigned lo, unsigned hi) noexcept {
        need_ = need;
        lo_ = static_cast<std::uint8_t>(lo);
        hi_ = static_cast<std::uint8_t>(hi);
    }
    bool fail() noexcept {
        failed_ = true;
        return false;
    }

    std::uint8_t need_ = 0;    // continuation bytes still due
    std::uint8_t lo_ = 0x80;   // allowed range of the next continuation byte
    std::uint8_t hi_ = 0xBF;
    bool failed_ = false;
};

// One-shot check of a complete text.
inline bool is_valid_utf8(std::span<const std::byte> text) noexcept {
    utf8_validator v;
    return v.feed(text) && v.complete();
}
inline bool is_valid_utf8(std::string_view text) noexcept {
    utf8_validator v;
    return v.feed(text) && v.complete();
}

}  // namespace duet::ws
