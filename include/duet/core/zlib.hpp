// duet/core/zlib.hpp — Owns: one-shot compression and bounded decompression with zlib,
// for HTTP content codings (gzip, deflate) and, later, WebSocket permessage-deflate
// (raw deflate). Header-only; link zlib (Meson: dependency('zlib')).
//
// Compressing is a hot path for long-polling answers and HTTP responses: each thread
// keeps one z_stream per format and resets it between uses (deflateInit allocates
// ~256 KiB; a per-call init would allocate and free that for every response).
// Decompressing is where hostile input lives: every inflate is bounded by an output
// limit, so a small bomb cannot grow past it (error::too_large).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace duet::zlib {

// The container around the deflate stream.
enum class format : std::uint8_t {
    gzip,     // RFC 1952: HTTP "gzip"
    zlib,     // RFC 1950: HTTP "deflate"
    raw,      // RFC 1951: permessage-deflate
};

enum class error {
    too_large = 1,  // the inflated data would exceed the limit
    corrupt,        // not a valid stream of the format
    truncated,      // the stream ended before its end marker
    internal,       // zlib could not allocate or refused its arguments
};
}  // namespace duet::zlib

template <>
struct std::is_error_code_enum<duet::zlib::error> : std::true_type {};

namespace duet::zlib {

namespace detail {
class error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "duet.zlib"; }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
            case error::too_large: return "inflated data over the limit";
            case error::corrupt: return "corrupt compressed data";
            case error::truncated: return "truncated compressed data";
            case error::internal: return "zlib internal error";
        }
        return "unknown duet.zlib error";
    }
};

constexpr int window_bits(format f, int bits) noexcept {
    switch (f) {
        case format::gzip: return bits + 16;
        case format::zlib: return bits;
        case format::raw: return -bits;
    }
    return bits;
}

// A z_stream that lives as long as its owner, reset before each use.
struct deflater {
    z_stream z{};
    bool ok = false;
    deflater(format f, int level) {
        ok = deflateInit2(&z, level, Z_DEFLATED, window_bits(f, 15), 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    ~deflater() {
        if (ok) deflateEnd(&z);
    }
    deflater(const deflater&) = delete;
    deflater& operator=(const deflater&) = delete;
};

inline deflater& thread_deflater(format f) {
    // Node's zlib default (Z_DEFAULT_COMPRESSION, level 6), like engine.io and compression.
    thread_local deflater gz(format::gzip, Z_DEFAULT_COMPRESSION);
    thread_local deflater zl(format::zlib, Z_DEFAULT_COMPRESSION);
    thread_local deflater rw(format::raw, Z_DEFAULT_COMPRESSION);
    switch (f) {
        case format::gzip: return gz;
        case format::zlib: return zl;
        case format::raw: return rw;
    }
    return gz;
}
}  // namespace detail

inline const std::error_category& zlib_category() noexcept {
    static const detail::error_category cat;
    return cat;
}
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), zlib_category()}; }

// Appends `in` compressed as a whole stream of `f` to `out`. Returns false only when
// zlib failed (out is then restored).
inline bool compress(std::string_view in, std::string& out, format f) {
    auto& d = detail::thread_deflater(f);
    if (!d.ok || deflateReset(&d.z) != Z_OK) return false;
    const std::size_t start = out.size();
    // deflateBound is the worst case (stored blocks): one allocation, never a second.
    out.resize(start + deflateBound(&d.z, static_cast<uLong>(in.size())));
    d.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    d.z.avail_in = static_cast<uInt>(in.size());
    d.z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
    d.z.avail_out = static_cast<uInt>(out.size() - start);
    const int rc = deflate(&d.z, Z_FINISH);
    if (rc != Z_STREAM_END) {
        out.resize(start);
        return false;
    }
    out.resize(out.size() - d.z.avail_out);
    return true;
}

// Inflates `in` (one whole stream of `f`) and appends the result to `out`, refusing
// to produce more than `limit` bytes. On error `out` is restored.
inline std::error_code decompress(std::string_view in, std::string& out, format f,
                                  std::size_t limit = std::numeric_limits<std::size_t>::max()) {
    z_stream z{};
    if (inflateInit2(&z, detail::window_bits(f, 15)) != Z_OK) return error::internal;
    struct end_guard {
        z_stream* z;
        ~end_guard() { inflateEnd(z); }
    } guard{&z};
    const std::size_t start = out.size();
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::size_t produced = 0;
    for (;;) {
        // Grow in steps, never past limit + 1 (one byte over proves the overflow).
        const std::size_t room = std::min<std::size_t>(std::max<std::size_t>(in.size() * 2, 4096), 1 << 20);
        const std::size_t left = limit - produced;  // produced <= limit here
        const std::size_t step = left >= room ? room : left + 1;
        out.resize(start + produced + step);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + start + produced);
        z.avail_out = static_cast<uInt>(step);
        const int rc = inflate(&z, Z_NO_FLUSH);
        produced += step - z.avail_out;
        if (produced > limit) {
            out.resize(start);
            return error::too_large;
        }
        if (rc == Z_STREAM_END) {
            out.resize(start + produced);
            return {};
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0) {
            out.resize(start);
            return error::truncated;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            out.resize(start);
            return rc == Z_MEM_ERROR ? error::internal : error::corrupt;
        }
    }
}

}  // namespace duet::zlib
