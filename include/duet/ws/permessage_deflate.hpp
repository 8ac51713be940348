// duet/ws/permessage_deflate.hpp — RFC 7692 permessage-deflate: the negotiation.
//
// Owns: reading a client's Sec-WebSocket-Extensions offers, choosing the first
// permessage-deflate offer the server can accept (RFC 7692 §5: an offer with an unknown,
// repeated or invalid parameter is declined and the next one is tried), and the
// extension line of the 101 answer. Sans-IO: no zlib here (core/zlib.hpp compresses).
//
// The server's policy (deflate_policy):
// - server_no_context_takeover is always answered (the server may add it unilaterally,
//   §7.1.1.1): each message is deflated from an empty window, so the compressed bytes of
//   a message are the same for every connection — a broadcast is deflated once — and no
//   deflate state lives per connection.
// - client_max_window_bits caps the window the client deflates with, i.e. the inflate
//   window the server keeps per connection (2^bits bytes); answered when the client
//   offered the parameter (§7.1.2.2 forbids it otherwise).
// - client_no_context_takeover is answered when the client offered it, or always when
//   the policy asks for it (the server may add it unilaterally, §7.1.1.2): the client
//   then deflates every message from an empty window, so the server keeps no inflate
//   window per connection either (one per thread serves them all).
// - An offer with server_max_window_bits=8 is declined: zlib deflates raw streams with
//   at least a 9-bit window, which a client holding 8 bits could not inflate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <duet/http/ascii.hpp>

namespace duet::ws {

inline constexpr std::string_view permessage_deflate_name = "permessage-deflate";

// What the two sides agreed on.
struct deflate_params {
    bool server_no_context_takeover = true;
    bool client_no_context_takeover = false;
    std::uint8_t server_max_window_bits = 15;  // the server deflates with this window
    std::uint8_t client_max_window_bits = 15;  // the client deflates with (the server inflates) this window
    friend bool operator==(const deflate_params&, const deflate_params&) = default;
};

struct deflate_policy {
    // The largest window the server lets the client deflate with (8..15), when the
    // client offered client_max_window_bits.
    std::uint8_t client_max_window_bits = 15;
    // Ask every client to deflate without context takeover (no inflate state kept per
    // connection, at some cost in ratio for a client sending similar messages).
    bool client_no_context_takeover = false;
};

namespace detail {
// A window-bits value: 8..15, digits only (no leading zeros, §7.1.2.1 / §7.1.2.2).
constexpr std::optional<std::uint8_t> parse_window_bits(std::string_view v) noexcept {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);  // quoted-string form
    if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return static_cast<std::uint8_t>(v[0] - '0');
    if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return static_cast<std::uint8_t>(10 + v[1] - '0');
    return std::nullopt;
}

// One offer's parameters ("; a; b=1"); nullopt when the server must decline it.
constexpr std::optional<deflate_params> accept_offer(std::string_view params, const deflate_policy& policy) noexcept {
    deflate_params p;
    bool seen_snct = false, seen_cnct = false, seen_smwb = false, seen_cmwb = false;
    bool client_offered_cmwb = false;
    std::uint8_t client_limit = 15;
    while (!params.empty()) {
        const auto semi = params.find(';');
        const std::string_view item = http::trim_ows(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (item.empty()) return std::nullopt;
        const auto eq = item.find('=');
        const std::string_view name = http::trim_ows(item.substr(0, eq));
        // (A flag and a view rather than optional<string_view>: g++ 12 warns about the
        // latter as maybe-uninitialized at -O2.)
        const bool has_value = eq != std::string_view::npos;
        const std::string_view value = has_value ? http::trim_ows(item.substr(eq + 1)) : std::string_view{};
        auto once = [](bool& seen) {
            if (seen) return false;
            seen = true;
            return true;
        };
        if (http::ascii_iequals(name, "server_no_context_takeover")) {
            if (!once(seen_snct) || has_value) return std::nullopt;
        } else if (http::ascii_iequals(name, "client_no_context_takeover")) {
            if (!once(seen_cnct) || has_value) return std::nullopt;
            p.client_no_context_takeover = true;
        } else if (http::ascii_iequals(name, "server_max_window_bits")) {
            if (!once(seen_smwb) || !has_value) return std::nullopt;
            const auto bits = parse_window_bits(value);
            if (!bits || *bits < 9) return std::nullopt;
            p.server_max_window_bits = *bits;
        } else if (http::ascii_iequals(name, "client_max_window_bits")) {
            if (!once(seen_cmwb)) return std::nullopt;
            client_offered_cmwb = true;
            if (has_value) {
                const auto bits = parse_window_bits(value);
                if (!bits) return std::nullopt;
                client_limit = *bits;
            }
        } else {
            return std::nullopt;  // unknown parameter
        }
    }
    if (policy.client_no_context_takeover) p.client_no_context_takeover = true;
    // Without the client's client_max_window_bits the server cannot limit its window.
    if (client_offered_cmwb) {
        std::uint8_t bits = policy.client_max_window_bits < 8 ? 8 : policy.client_max_window_bits;
        if (bits > 15) bits = 15;
        p.client_max_window_bits = bits < client_limit ? bits : client_limit;
    }
    return p;
}
}  // namespace detail

// The parameters of the first acceptable permessage-deflate offer in a
// Sec-WebSocket-Extensions value (several header lines joined with ","), or nullopt:
// then the connection goes on without compression.
constexpr std::optional<deflate_params> negotiate_permessage_deflate(std::string_view extensions,
                                                                     const deflate_policy& policy = {}) noexcept {
    // Offers are separated by commas outside quoted strings.
    while (!extensions.empty()) {
        std::size_t end = 0;
        bool quoted = false;
        while (end < extensions.size() && (quoted || extensions[end] != ',')) {
            if (extensions[end] == '"') quoted = !quoted;
            ++end;
        }
        const std::string_view offer = http::trim_ows(extensions.substr(0, end));
        extensions = end < extensions.size() ? extensions.substr(end + 1) : std::string_view{};
        const auto semi = offer.find(';');
        const std::string_view name = http::trim_ows(offer.substr(0, semi));
        if (!http::ascii_iequals(name, permessage_deflate_name)) continue;
        const std::string_view params = semi == std::string_view::npos ? std::string_view{} : offer.substr(semi + 1);
        if (auto p = detail::accept_offer(params, policy)) return p;
    }
    return std::nullopt;
}

// Appends "Sec-WebSocket-Extensions: permessage-deflate; ...\r\n" for the 101 answer.
inline void append_extension_header(std::string& out, const deflate_params& p) {
    out.append("Sec-WebSocket-Extensions: permessage-deflate");
    if (p.server_no_context_takeover) out.append("; server_no_context_takeover");
    if (p.client_no_context_takeover) out.append("; client_no_context_takeover");
    if (p.server_max_window_bits != 15) out.append("; server_max_window_bits=").append(std::to_string(p.server_max_window_bits));
    if (p.client_max_window_bits != 15) out.append("; client_max_window_bits=").append(std::to_string(p.client_max_window_bits));
    out.append("\r\n");
}

}  // namespace duet::ws
