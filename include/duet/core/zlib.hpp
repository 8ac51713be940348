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

// One compressed stream written piece by piece (a streamed HTTP body): its own
// z_stream (~256 KiB of deflate state at level 6) for as long as the body streams.
class deflate_stream {
public:
    explicit deflate_stream(format f) {
        ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, detail::window_bits(f, 15), 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    ~deflate_stream() {
        if (ok_) deflateEnd(&z_);
    }
    deflate_stream(const deflate_stream&) = delete;
    deflate_stream& operator=(const deflate_stream&) = delete;

    // Appends to `out` what compressing `in` produces; `flush` puts everything so far
    // on the output (a sync point), `finish` ends the stream. false when zlib failed.
    bool write(std::string_view in, std::string& out, bool flush, bool finish) {
        if (!ok_) return false;
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z_.avail_in = static_cast<uInt>(in.size());
        const int mode = finish ? Z_FINISH : flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        for (;;) {
            const std::size_t start = out.size();
            const std::size_t room = std::max<std::size_t>(in.size() / 2 + 64, 4096);
            out.resize(start + room);
            z_.next_out = reinterpret_cast<Bytef*>(out.data() + start);
            z_.avail_out = static_cast<uInt>(room);
            const int rc = deflate(&z_, mode);
            out.resize(start + room - z_.avail_out);
            if (rc == Z_STREAM_END) return true;
            if (rc != Z_OK && !(rc == Z_BUF_ERROR && !finish)) return ok_ = false;
            // Done when the input is used and zlib had room left (nothing pending);
            // finishing goes on until the end of the stream.
            if (!finish && z_.avail_in == 0 && z_.avail_out != 0) return true;
        }
    }

private:
    z_stream z_{};
    bool ok_ = false;
};

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

// ----- permessage-deflate (RFC 7692 §7.2): raw deflate, one message at a time -----

// Appends one message deflated from an empty window (no context takeover: the same
// input gives the same bytes on every connection, so a broadcast is deflated once),
// flushed with Z_SYNC_FLUSH and without the trailing 00 00 ff ff (§7.2.1). false when
// zlib failed (out restored).
inline bool deflate_message(std::string_view in, std::string& out) {
    auto& d = detail::thread_deflater(format::raw);
    if (!d.ok || deflateReset(&d.z) != Z_OK) return false;
    const std::size_t start = out.size();
    // deflateBound covers Z_FINISH; a sync flush adds at most a 5-byte empty block.
    out.resize(start + deflateBound(&d.z, static_cast<uLong>(in.size())) + 8);
    d.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    d.z.avail_in = static_cast<uInt>(in.size());
    d.z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
    d.z.avail_out = static_cast<uInt>(out.size() - start);
    const int rc = deflate(&d.z, Z_SYNC_FLUSH);
    if (rc != Z_OK || d.z.avail_in != 0) {
        out.resize(start);
        return false;
    }
    std::size_t end = out.size() - d.z.avail_out;
    // Z_SYNC_FLUSH ends with an empty stored block: 00 00 ff ff, removed on the wire.
    if (end - start >= 4 && std::string_view(out.data() + end - 4, 4) == std::string_view("\x00\x00\xff\xff", 4)) end -= 4;
    out.resize(end);
    return true;
}

// A peer's deflate stream across messages (with context takeover its messages refer to
// earlier ones): one per connection, allocated when the first compressed message comes
// (inflate state ~7 KiB plus the window, 2^window_bits bytes).
class message_inflater {
public:
    explicit message_inflater(int window_bits = 15) {
        ok_ = inflateInit2(&z_, -window_bits) == Z_OK;
    }
    ~message_inflater() {
        if (ok_) inflateEnd(&z_);
    }
    message_inflater(const message_inflater&) = delete;
    message_inflater& operator=(const message_inflater&) = delete;

    // Appends the inflated message to `out`, at most `limit` bytes (error::too_large
    // beyond: the connection must then fail with 1009). `reset` first for a peer without
    // context takeover. On error `out` is restored and the stream is unusable.
    std::error_code inflate_message(std::string_view in, std::string& out, std::size_t limit, bool reset = false) {
        if (!ok_) return error::internal;
        if (reset && inflateReset(&z_) != Z_OK) return fail(error::internal);
        const std::size_t start = out.size();
        std::size_t produced = 0;
        static constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
        for (int part = 0; part < 2; ++part) {
            z_.next_in = part == 0 ? reinterpret_cast<Bytef*>(const_cast<char*>(in.data())) : const_cast<Bytef*>(tail);
            z_.avail_in = static_cast<uInt>(part == 0 ? in.size() : 4);
            // Until the input is used and inflate had room left (output may be pending
            // inside zlib when it filled the buffer exactly).
            do {
                const std::size_t room = std::min<std::size_t>(std::max<std::size_t>(in.size() * 2, 1024), 1 << 20);
                const std::size_t left = limit - produced;
                const std::size_t step = left >= room ? room : left + 1;
                out.resize(start + produced + step);
                z_.next_out = reinterpret_cast<Bytef*>(out.data() + start + produced);
                z_.avail_out = static_cast<uInt>(step);
                const int rc = inflate(&z_, Z_SYNC_FLUSH);
                produced += step - z_.avail_out;
                if (produced > limit) {
                    out.resize(start);
                    return fail(error::too_large);
                }
                if (rc == Z_STREAM_END) {
                    // A final block: the peer ended its stream; later messages start afresh.
                    if (inflateReset(&z_) != Z_OK) return fail(error::internal);
                    break;
                }
                if (rc == Z_BUF_ERROR) break;  // no progress possible: all input used, nothing pending
                if (rc != Z_OK) {
                    out.resize(start);
                    return fail(rc == Z_MEM_ERROR ? error::internal : error::corrupt);
                }
            } while (z_.avail_in > 0 || z_.avail_out == 0);
        }
        out.resize(start + produced);
        return {};
    }

    // false after a failure (the stream is then ended) or a failed initialisation.
    bool usable() const noexcept { return ok_; }

private:
    std::error_code fail(error e) {
        ok_ = false;
        inflateEnd(&z_);
        return e;
    }
    z_stream z_{};
    bool ok_ = false;
};

}  // namespace duet::zlib
