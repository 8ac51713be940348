// duet/eio/sid.hpp — Engine.IO session ids, and the shard each one names.
//
// Owns: generating session ids from a CSPRNG, checking the shape of an id received
// in a query string, and recovering the shard index an id carries.
//
// Shape: like the reference server's `base64id`, 15 bytes written as 20 characters
// of base64url (A-Z a-z 0-9 - _, no padding: 15 bytes are exactly 5 groups of 3).
// Layout of the 15 bytes:
//   byte 0      the index of the shard (io_context) that owns the session, so that a
//               polling request accepted by another shard can be handed to the owner
//               without any shared table. It is public: it fixes the first character
//               (shard >> 2) and the top two bits of the second one.
//   bytes 1-14  CSPRNG (core/random_id.hpp): 112 bits nobody can guess, which is what keeps a
//               session from being taken over by someone who does not hold its id.
// Link with -lcrypto.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>


#include <duet/core/base64.hpp>
#include <duet/core/random_id.hpp>

namespace duet::eio {

inline constexpr std::size_t sid_bytes = 15;
inline constexpr std::size_t sid_length = 20;

// A session id held by value (20 chars, no allocation): cheap to copy into timers,
// maps and messages between shards. A default-constructed id is empty and never
// equal to a generated or parsed one.
class session_id {
public:
    constexpr session_id() noexcept = default;

    // Builds the id whose bytes are `raw` (byte 0 is the shard). generate_sid uses it
    // with random bytes; it is public for tests and custom generators.
    static constexpr session_id from_bytes(std::span<const std::uint8_t, sid_bytes> raw) noexcept {
        session_id id;
        const char* chars = base64::detail::url_chars;
        for (std::size_t i = 0, o = 0; i < sid_bytes; i += 3) {
            const std::uint32_t v = (std::uint32_t{raw[i]} << 16) |
                                    (std::uint32_t{raw[i + 1]} << 8) | raw[i + 2];
            id.chars_[o++] = chars[(v >> 18) & 63];
            id.chars_[o++] = chars[(v >> 12) & 63];
            id.chars_[o++] = chars[(v >> 6) & 63];
            id.chars_[o++] = chars[v & 63];
        }
        return id;
    }

    // The id spelled by `text` if it has the shape of one (20 base64url characters);
    // nullopt otherwise. Answer a malformed sid like an unknown one ("Session ID
    // unknown"), without looking it up.
    static constexpr std::optional<session_id> parse(std::string_view text) noexcept {
        if (text.size() != sid_length) return std::nullopt;
        session_id id;
        for (std::size_t i = 0; i < sid_length; ++i) {
            if (url_value(text[i]) < 0) return std::nullopt;
            id.chars_[i] = text[i];
        }
        return id;
    }

    constexpr bool empty() const noexcept { return chars_[0] == '\0'; }

    // The 20 characters (empty for a default-constructed id).
    constexpr std::string_view view() const noexcept {
        return empty() ? std::string_view() : std::string_view(chars_.data(), sid_length);
    }
    std::string str() const { return std::string(view()); }

    // The shard index stored in byte 0 (0 for an empty id).
    constexpr std::uint8_t shard() const noexcept {
        if (empty()) return 0;
        return static_cast<std::uint8_t>((url_value(chars_[0]) << 2) | (url_value(chars_[1]) >> 4));
    }

    friend constexpr bool operator==(const session_id&, const session_id&) noexcept = default;
    friend constexpr auto operator<=>(const session_id&, const session_id&) noexcept = default;

private:
    // 0..63 for a base64url character, -1 otherwise. The standard alphabet's '+' and
    // '/' are refused: ids are only ever spelled with '-' and '_'.
    static constexpr int url_value(char c) noexcept {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    }

    std::array<char, sid_length> chars_{};
};

// A new session id for the session owned by shard `shard`. nullopt only if the
// CSPRNG fails (the reference answers a failed id generation with "Bad request").
inline std::optional<session_id> generate_sid(std::uint8_t shard = 0) noexcept {
    std::array<std::uint8_t, sid_bytes> raw;
    if (!fill_random(std::span(raw).subspan(1))) return std::nullopt;
    raw[0] = shard;
    return session_id::from_bytes(raw);
}

// The shard named by a sid as received (e.g. from the query string); nullopt when
// `sid` does not have the shape of an id, so it cannot be routed anywhere.
constexpr std::optional<std::uint8_t> shard_of_sid(std::string_view sid) noexcept {
    const auto id = session_id::parse(sid);
    if (!id) return std::nullopt;
    return id->shard();
}

}  // namespace duet::eio

// Ids are mostly random characters, so the string hash spreads them well; hashing
// the same characters as std::hash<std::string_view> lets a heterogeneous lookup by
// the query's string_view agree with it.
template <>
struct std::hash<duet::eio::session_id> {
    std::size_t operator()(const duet::eio::session_id& id) const noexcept {
        return std::hash<std::string_view>{}(id.view());
    }
};
