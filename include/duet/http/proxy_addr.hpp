// duet/http/proxy_addr.hpp — which proxies to believe: Express's `trust proxy`.
//
// Owns: `http::trust_proxy` (nothing, everything, the first n hops, or a list of
// addresses and subnets — the values Express's `app.set('trust proxy', ...)` takes,
// read as the proxy-addr package reads them) and the address chain of a request: the
// socket's peer, then the X-Forwarded-For entries right to left, cut after the first
// hop that is not trusted. request::ip(), ips(), protocol(), secure() and host() are
// computed from it (duet/http/request.hpp), only when asked.
//
// Addresses are parsed strictly (inet_pton: dotted quads and RFC 4291 text, an IPv6
// zone ignored); an entry that is not an address is never trusted, as in proxy-addr.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack listener reports) are
// compared as the IPv4 address they carry, with proxy-addr's rules for mapped subnets.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace duet::http {

// One address, IPv4 or IPv6, as 16 bytes (IPv4 in the first four).
struct ip_address {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;

    // ::ffff:a.b.c.d
    bool ipv4_mapped() const noexcept {
        if (v4) return false;
        for (int i = 0; i < 10; ++i)
            if (bytes[i] != 0) return false;
        return bytes[10] == 0xff && bytes[11] == 0xff;
    }
    ip_address to_ipv4() const noexcept {  // of a mapped address
        ip_address r;
        r.v4 = true;
        std::memcpy(r.bytes.data(), bytes.data() + 12, 4);
        return r;
    }
    ip_address to_ipv4_mapped() const noexcept {  // of an IPv4 address
        ip_address r;
        r.bytes[10] = r.bytes[11] = 0xff;
        std::memcpy(r.bytes.data() + 12, bytes.data(), 4);
        return r;
    }
    // The first `prefix` bits are equal.
    bool matches(const ip_address& net, unsigned prefix) const noexcept {
        unsigned i = 0;
        for (; prefix >= 8; prefix -= 8, ++i)
            if (bytes[i] != net.bytes[i]) return false;
        if (prefix == 0) return true;
        const auto mask = static_cast<std::uint8_t>(0xff << (8 - prefix));
        return (bytes[i] & mask) == (net.bytes[i] & mask);
    }
};

// Parses "a.b.c.d" or an IPv6 address (a "%zone" suffix is ignored). nullopt-like:
// false when `text` is not an address.
inline bool parse_ip_address(std::string_view text, ip_address& out) noexcept {
    char buf[64];
    if (text.empty() || text.size() >= sizeof buf) return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    out = {};
    if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
        out.v4 = true;
        return true;
    }
    if (char* zone = std::strchr(buf, '%')) {
        if (zone[1] == '\0') return false;
        *zone = '\0';
    }
    return inet_pton(AF_INET6, buf, out.bytes.data()) == 1;
}

// Calls `each(entry)` for every address of an X-Forwarded-For value, from the last
// (the closest proxy's peer) to the first, as the npm `forwarded` package splits it:
// entries end at commas, spaces around them dropped.
template <class F>
void for_each_forwarded_for(std::string_view header, F&& each) {
    std::size_t end = header.size(), start = header.size();
    for (std::size_t i = header.size(); i-- > 0;) {
        const char c = header[i];
        if (c == ' ') {
            if (start == end) start = end = i;
        } else if (c == ',') {
            if (start != end) each(header.substr(start, end - start));
            start = end = i;
        } else {
            start = i;
        }
    }
    if (start != end) each(header.substr(start, end - start));
}

// Which hops of a request's address chain are proxies to believe. Hop 0 is the
// socket's peer, hop 1 the last X-Forwarded-For entry, and so on.
//
//   trust_proxy{} / false     nothing (the default): req.ip() is the socket's peer,
//                             X-Forwarded-* are ignored
//   true                      every hop: req.ip() is the first X-Forwarded-For entry
//   2 (a number)              the first n hops
//   "loopback, 10.0.0.0/8"    hops whose address is in the list: addresses, CIDR
//                             subnets, IPv4 netmasks (10.0.0.0/255.0.0.0) and the names
//                             loopback, linklocal, uniquelocal; a bad entry throws
//                             std::invalid_argument with proxy-addr's message
class trust_proxy {
public:
    trust_proxy() = default;
    trust_proxy(bool all) noexcept : mode_(all ? mode::all : mode::none) {}
    trust_proxy(int hops) noexcept : mode_(hops > 0 ? mode::hops : mode::none), hops_(hops > 0 ? static_cast<unsigned>(hops) : 0) {}
    trust_proxy(const char* list) : trust_proxy(std::string_view(list)) {}
    trust_proxy(const std::string& list) : trust_proxy(std::string_view(list)) {}
    trust_proxy(std::string_view list) {
        // Express splits a string on commas and trims each entry.
        std::size_t pos = 0;
        while (pos <= list.size()) {
            auto comma = list.find(',', pos);
            if (comma == std::string_view::npos) comma = list.size();
            add(trim(list.substr(pos, comma - pos)));
            pos = comma + 1;
        }
        mode_ = subnets_.empty() ? mode::none : mode::list;
    }

    // Believes anything beyond the socket's peer.
    bool enabled() const noexcept { return mode_ != mode::none; }

    // Whether hop `hop` of the chain, whose address is `addr`, is a trusted proxy.
    bool trusts(std::string_view addr, std::size_t hop) const noexcept {
        switch (mode_) {
            case mode::none: return false;
            case mode::all: return true;
            case mode::hops: return hop < hops_;
            case mode::list: break;
        }
        ip_address ip;
        if (!parse_ip_address(addr, ip)) return false;
        if (ip.ipv4_mapped()) ip = ip.to_ipv4();  // a mapped candidate is its IPv4 address
        for (const auto& s : subnets_) {
            if (ip.v4 == s.net.v4) {
                // A native IPv6 address never matches a mapped subnet.
                if (!ip.v4 && s.net.ipv4_mapped()) continue;
                if (ip.matches(s.net, s.prefix)) return true;
            } else if (ip.v4 && s.prefix >= 96 && s.net.ipv4_mapped()) {
                // An IPv6 subnet spans IPv4 only as a mapped subnet covering ::ffff:.
                if (ip.to_ipv4_mapped().matches(s.net, s.prefix)) return true;
            }
        }
        return false;
    }

private:
    struct subnet {
        ip_address net;
        unsigned prefix = 0;
    };
    enum class mode : std::uint8_t { none, all, hops, list };

    static std::string_view trim(std::string_view s) noexcept {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
        return s;
    }

    void add(std::string_view entry) {
        if (entry == "loopback") return add("127.0.0.1/8"), add("::1/128");
        if (entry == "linklocal") return add("169.254.0.0/16"), add("fe80::/10");
        if (entry == "uniquelocal")
            return add("10.0.0.0/8"), add("172.16.0.0/12"), add("192.168.0.0/16"), add("fc00::/7");
        const auto slash = entry.rfind('/');
        const std::string_view addr = entry.substr(0, slash);
        subnet s;
        if (!parse_ip_address(addr, s.net)) throw std::invalid_argument("invalid IP address: " + std::string(addr));
        // A mapped address written alone is stored as IPv4.
        if (slash == std::string_view::npos && s.net.ipv4_mapped()) s.net = s.net.to_ipv4();
        const unsigned max = s.net.v4 ? 32 : 128;
        if (slash == std::string_view::npos) {
            s.prefix = max;
        } else {
            const std::string_view range = entry.substr(slash + 1);
            long bits = -1;
            if (!range.empty() && range.find_first_not_of("0123456789") == std::string_view::npos) {
                bits = range.size() > 4 ? 1000 : std::stol(std::string(range));
            } else if (ip_address mask; s.net.v4 && parse_ip_address(range, mask) && mask.v4) {
                bits = netmask_bits(mask);
            }
            if (bits <= 0 || bits > static_cast<long>(max))
                throw std::invalid_argument("invalid range on address: " + std::string(entry));
            s.prefix = static_cast<unsigned>(bits);
        }
        subnets_.push_back(s);
    }

    // The prefix length of a contiguous IPv4 netmask; -1 otherwise (ipaddr.js gives
    // null, which proxy-addr reports as an invalid range).
    static long netmask_bits(const ip_address& m) noexcept {
        const std::uint32_t v = (std::uint32_t(m.bytes[0]) << 24) | (std::uint32_t(m.bytes[1]) << 16) |
                                (std::uint32_t(m.bytes[2]) << 8) | m.bytes[3];
        long bits = 0;
        std::uint32_t x = v;
        while (x & 0x80000000u) ++bits, x <<= 1;
        return x == 0 ? bits : -1;
    }

    mode mode_ = mode::none;
    unsigned hops_ = 0;
    std::vector<subnet> subnets_;
};

// The address chain Express's req.ips / req.ip read (proxy-addr's `all`): the socket's
// peer, then X-Forwarded-For right to left, ending at the first hop not trusted (which
// is kept: it is the client as far as the trusted proxies know).
inline std::vector<std::string> trusted_address_chain(const trust_proxy& trust, std::string_view peer,
                                                      std::string_view forwarded_for) {
    std::vector<std::string> chain;
    chain.emplace_back(peer);
    if (!trust.enabled() || !trust.trusts(peer, 0)) return chain;
    bool open = true;
    for_each_forwarded_for(forwarded_for, [&](std::string_view entry) {
        if (!open) return;
        chain.emplace_back(entry);
        open = trust.trusts(entry, chain.size() - 1);
    });
    return chain;
}

}  // namespace duet::http
