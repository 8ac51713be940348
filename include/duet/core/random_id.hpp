// duet/core/random_id.hpp — unguessable ids from the operating system's CSPRNG.
//
// Owns: `fill_random` (OpenSSL RAND_bytes, which refuses rather than returning weak
// bytes) and `random_id`, N random bytes spelled as base64url without padding — the
// shape of Engine.IO sids, cookie-session ids and Redis adapter uids. One generator
// for all of them, so an id's strength is decided in one place. Link with -lcrypto.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <openssl/rand.h>

#include <duet/core/base64.hpp>

namespace duet {

// Fills `out` with CSPRNG bytes; false only if the generator fails.
inline bool fill_random(std::span<std::uint8_t> out) noexcept {
    return out.empty() || RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

// `Bytes` random bytes as base64url, no padding (15 bytes → 20 characters); nullopt
// only if the generator fails.
template <std::size_t Bytes>
std::optional<std::string> random_id() {
    std::array<std::uint8_t, Bytes> raw;
    if (!fill_random(raw)) return std::nullopt;
    std::string out;
    base64::encode_append(out, std::as_bytes(std::span(raw)), base64::alphabet::url, false);
    return out;
}

}  // namespace duet
