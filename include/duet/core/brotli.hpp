// duet/core/brotli.hpp — Owns: one-shot brotli compression for the HTTP "br" content
// coding (Debian's libbrotli-dev). Optional: compiled in when DUET_HAS_BROTLI is 1 (the
// Meson build defines it when libbrotlienc is found and links it; a header-include build
// defines it and links -lbrotlienc). Without it, `br` is never offered.
#pragma once

#ifndef DUET_HAS_BROTLI
#define DUET_HAS_BROTLI 0
#endif

#include <cstdint>
#include <string>
#include <string_view>

#if DUET_HAS_BROTLI
#include <brotli/encode.h>
#endif

namespace duet::brotli {

inline constexpr bool available = DUET_HAS_BROTLI != 0;

// Appends `in` brotli-compressed to `out`. Quality 4 by default: npm compression's
// (BROTLI_PARAM_QUALITY 4), fast enough for responses made per request. false when
// brotli is not compiled in or failed (out is then restored).
inline bool compress([[maybe_unused]] std::string_view in, [[maybe_unused]] std::string& out,
                     [[maybe_unused]] int quality = 4) {
#if DUET_HAS_BROTLI
    const std::size_t start = out.size();
    std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
    if (size == 0) size = in.size() + 1024;  // 0: the bound overflowed or the input is huge
    out.resize(start + size);
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
                               reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                               reinterpret_cast<std::uint8_t*>(out.data() + start))) {
        out.resize(start);
        return false;
    }
    out.resize(start + size);
    return true;
#else
    return false;
#endif
}

}  // namespace duet::brotli
