// duet/session/signed_cookie.hpp — cookie values signed with HMAC-SHA256.
//
// Owns: signing a value (`value.signature`, the signature being base64 of
// HMAC-SHA256(secret, value) without padding — the format of the npm
// `cookie-signature` package that express-session and cookie-parser use) and
// verifying one against a list of secrets (the newest signs, older ones still verify,
// so secrets can be rotated). The comparison is constant-time (CRYPTO_memcmp), so a
// forger learns nothing from timing; a tampered or unsigned value reads as absent.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <duet/core/base64.hpp>

namespace duet::http {

// Appends base64(HMAC-SHA256(secret, value)) without '=' padding.
inline void append_signature(std::string& out, std::string_view value, std::string_view secret) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(value.data()), value.size(), mac.data(), &len);
    base64::encode_append(out, std::as_bytes(std::span(mac.data(), len)), base64::alphabet::standard, false);
}

// "value.signature"
inline std::string sign_value(std::string_view value, std::string_view secret) {
    std::string out;
    out.reserve(value.size() + 44);
    out.append(value).push_back('.');
    append_signature(out, value, secret);
    return out;
}

// The value when `signed_value` carries a valid signature by one of `secrets`;
// nullopt otherwise (tampered, unsigned, signed with an unknown secret).
inline std::optional<std::string_view> unsign_value(std::string_view signed_value,
                                                    std::span<const std::string> secrets) {
    const auto dot = signed_value.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view value = signed_value.substr(0, dot);
    const std::string_view given = signed_value.substr(dot + 1);
    bool ok = false;
    std::string expected;
    for (const auto& secret : secrets) {
        expected.clear();
        append_signature(expected, value, secret);
        // Every secret is tried whatever the outcome, so timing does not say which matched.
        if (expected.size() == given.size() && CRYPTO_memcmp(expected.data(), given.data(), given.size()) == 0)
            ok = true;
    }
    if (!ok) return std::nullopt;
    return value;
}

}  // namespace duet::http
