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

// One br stream written piece by piece (a streamed HTTP body), quality 4.
class compress_stream {
public:
    compress_stream([[maybe_unused]] int quality = 4) {
#if DUET_HAS_BROTLI
        s_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
        if (s_) BrotliEncoderSetParameter(s_, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(quality));
#endif
    }
    ~compress_stream() {
#if DUET_HAS_BROTLI
        if (s_) BrotliEncoderDestroyInstance(s_);
#endif
    }
    compress_stream(const compress_stream&) = delete;
    compress_stream& operator=(const compress_stream&) = delete;

    // Appends what compressing `in` produces; `flush` emits everything so far,
    // `finish` ends the stream. false when brotli is not compiled in or failed.
    bool write([[maybe_unused]] std::string_view in, [[maybe_unused]] std::string& out, [[maybe_unused]] bool flush,
               [[maybe_unused]] bool finish) {
#if DUET_HAS_BROTLI
        if (!s_) return false;
        const BrotliEncoderOperation op = finish ? BROTLI_OPERATION_FINISH : flush ? BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_PROCESS;
        std::size_t avail_in = in.size();
        const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
        for (;;) {
            std::size_t avail_out = 0;
            if (!BrotliEncoderCompressStream(s_, op, &avail_in, &next_in, &avail_out, nullptr, nullptr)) return false;
            std::size_t n = 0;
            const std::uint8_t* produced = BrotliEncoderTakeOutput(s_, &n);
            if (n) out.append(reinterpret_cast<const char*>(produced), n);
            const bool done = avail_in == 0 && !BrotliEncoderHasMoreOutput(s_) &&
                              (!finish || BrotliEncoderIsFinished(s_));
            if (done) return true;
        }
#else
        return false;
#endif
    }

private:
#if DUET_HAS_BROTLI
    BrotliEncoderState* s_ = nullptr;
#endif
};

}  // namespace duet::brotli
