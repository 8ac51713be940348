// duet/core/utf8.hpp — UTF-8 (RFC 3629): the one place its grammar is written down.
//
// Owns: the lead-byte table of the grammar (`utf8_lead`), a validator whose state survives across buffers, so a text message may be
// checked fragment by fragment — or read by read — and a bad byte is reported as
// soon as it arrives ("fail fast", as the Autobahn 6.x cases expect), not when the
// message ends. Rejects overlong forms, UTF-16 surrogates (U+D800..DFFF), code
// points above U+10FFFF, stray continuation bytes, and sequences cut off at the end.
//
// The state is just "how many continuation bytes are still due, and which range the
// next one must fall in": the RFC 3629 §4 grammar only ever narrows the range of the
// byte right after the lead byte (E0, ED, F0, F4), so no table is needed. Pure ASCII
// is skipped 32 (then 8) bytes per step.
//
// Also `utf8_sequence`: the length of one sequence, or of its maximal ill-formed
// subpart (what a decoder replaces with one U+FFFD), for writers that must turn
// C++ bytes into well-formed text (the JSON writer), and `append_utf8_replacing`,
// which decodes bytes as Node's Buffer.toString('utf8') does.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <span>
#include <string_view>

namespace duet {

// What the byte `c` starts: how many continuation bytes follow (0 for ASCII) and the
// range the first of them must fall in (RFC 3629 §4: only E0, ED, F0 and F4 narrow
// it). `need` is 0xFF for a byte that can never start a sequence (80..C1, F5..FF).
struct utf8_lead {
    std::uint8_t need;
    std::uint8_t lo;
    std::uint8_t hi;
};
constexpr utf8_lead utf8_lead_of(unsigned c) noexcept {
    if (c < 0x80) return {0, 0x80, 0xBF};
    if (c < 0xC2) return {0xFF, 0, 0};                // stray continuation, C0/C1 overlong
    if (c < 0xE0) return {1, 0x80, 0xBF};             // 2 bytes: U+0080..07FF
    if (c < 0xF0)                                     // 3 bytes: U+0800..FFFF
        return {2, static_cast<std::uint8_t>(c == 0xE0 ? 0xA0 : 0x80),   // E0 80..9F: overlong
                static_cast<std::uint8_t>(c == 0xED ? 0x9F : 0xBF)};     // ED A0..BF: surrogate
    if (c < 0xF5)                                     // 4 bytes: U+10000..10FFFF
        return {3, static_cast<std::uint8_t>(c == 0xF0 ? 0x90 : 0x80),   // F0 80..8F: overlong
                static_cast<std::uint8_t>(c == 0xF4 ? 0x8F : 0xBF)};     // F4 90..: > U+10FFFF
    return {0xFF, 0, 0};                              // F5..FF never start a sequence
}

// Length of the UTF-8 sequence starting at p (p < end, *p >= 0x80). Sets `valid`.
// When invalid, the length is that of the maximal ill-formed subpart (Unicode 3.9,
// "U+FFFD substitution of maximal subparts", also the WHATWG decoder's rule), at
// least 1.
inline std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end, bool& valid) noexcept {
    const utf8_lead lead = utf8_lead_of(*p);
    if (lead.need == 0xFF) { valid = false; return 1; }
    unsigned lo = lead.lo, hi = lead.hi;
    std::size_t i = 1;
    for (; i <= lead.need; ++i) {
        if (p + i == end) { valid = false; return i; }
        const unsigned char b = p[i];
        if (b < lo || b > hi) { valid = false; return i; }
        lo = 0x80;
        hi = 0xBF;
    }
    valid = true;
    return i;
}

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
                const utf8_lead lead = utf8_lead_of(c);
                if (lead.need == 0xFF) return fail();
                need_ = lead.need;
                lo_ = lead.lo;
                hi_ = lead.hi;
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

// ISO-8859-1 bytes as UTF-8 (each byte the code point of the same number). Appends to
// `out`.
inline void append_latin1_as_utf8(std::string& out, std::string_view bytes) {
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
}

// Appends `bytes` as UTF-8 text: valid sequences kept, each maximal ill-formed subpart
// replaced by U+FFFD (what Node's Buffer.toString('utf8') and iconv-lite do).
inline void append_utf8_replacing(std::string& out, std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* const end = p + bytes.size();
    while (p < end) {
        if (*p < 0x80) {
            const auto* run = p;
            while (p < end && *p < 0x80) ++p;
            out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
            continue;
        }
        bool valid = false;
        const std::size_t n = utf8_sequence(p, end, valid);
        if (valid) out.append(reinterpret_cast<const char*>(p), n);
        else out.append("\xEF\xBF\xBD");
        p += n;
    }
}

}  // namespace duet
