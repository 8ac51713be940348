// duet/http/middleware/helmet.hpp — security headers (npm `helmet` 8) as a middleware entry.
//
// Owns: `duet::helmet<CSP>(helmet_options)`: the response headers helmet() sets with its
// defaults, byte for byte, each one configurable or off:
//
//   Content-Security-Policy: <CSP>  (helmet's default policy unless given)
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Resource-Policy: same-origin
//   Origin-Agent-Cluster: ?1
//   Referrer-Policy: no-referrer
//   Strict-Transport-Security: max-age=31536000; includeSubDomains
//   X-Content-Type-Options: nosniff
//   X-DNS-Prefetch-Control: off
//   X-Download-Options: noopen
//   X-Frame-Options: SAMEORIGIN
//   X-Permitted-Cross-Domain-Policies: none
//   X-XSS-Protection: 0
//
//   duet::use(duet::helmet())
//   duet::use(duet::helmet<"default-src 'self';img-src *">({.hsts_max_age = 15552000, .hsts_preload = true}))
//   duet::use(duet::helmet({.content_security_policy = false, .frame_options = duet::frame_options::deny}))
//
// As helmet, the headers are set before the handler runs, so a handler can still
// change or remove any of them for its own answer. The CSP is text, so it is a template
// argument (checked at compile time: it must be a valid header value); the options are
// bools and integers, so the middleware stays a structural type.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

#include <duet/core/fixed_string.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>

namespace duet {

// helmet's default Content-Security-Policy (its `useDefaults` directives).
inline constexpr char helmet_default_csp[] =
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';"
    "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';"
    "style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

enum class frame_options : std::uint8_t { sameorigin, deny, off };

struct helmet_options {
    bool content_security_policy = true;
    bool cross_origin_opener_policy = true;    // same-origin
    bool cross_origin_resource_policy = true;  // same-origin
    bool origin_agent_cluster = true;
    bool referrer_policy = true;                // no-referrer
    // Strict-Transport-Security (helmet's strictTransportSecurity): off, or max-age in
    // seconds (365 days by default), includeSubDomains, preload.
    bool strict_transport_security = true;
    std::uint32_t hsts_max_age = 31536000;
    bool hsts_include_subdomains = true;
    bool hsts_preload = false;
    bool x_content_type_options = true;         // nosniff
    bool dns_prefetch_control = true;           // X-DNS-Prefetch-Control: off
    bool x_download_options = true;             // noopen
    frame_options frame = frame_options::sameorigin;
    bool x_permitted_cross_domain_policies = true;  // none
    bool x_xss_protection = true;               // 0 (turns the buggy XSS auditors off)
};

template <fixed_string CSP>
struct helmet_middleware {
    static_assert(!CSP.view().empty() && http::is_field_value(CSP.view()),
                  "duet::helmet: the Content-Security-Policy must be a non-empty header value (no CR, LF or NUL)");

    // Public: the middleware is a structural type (a template argument of the table).
    helmet_options options;

    void operator()(http::request&, http::response& res) const {
        const helmet_options& o = options;
        if (o.content_security_policy) res.set("Content-Security-Policy", CSP.view());
        if (o.cross_origin_opener_policy) res.set("Cross-Origin-Opener-Policy", "same-origin");
        if (o.cross_origin_resource_policy) res.set("Cross-Origin-Resource-Policy", "same-origin");
        if (o.origin_agent_cluster) res.set("Origin-Agent-Cluster", "?1");
        if (o.referrer_policy) res.set("Referrer-Policy", "no-referrer");
        if (o.strict_transport_security) {
            char buf[64] = "max-age=";
            auto r = std::to_chars(buf + 8, buf + 24, o.hsts_max_age);
            std::string_view tail = o.hsts_include_subdomains ? (o.hsts_preload ? "; includeSubDomains; preload" : "; includeSubDomains")
                                                              : (o.hsts_preload ? "; preload" : "");
            for (char c : tail) *r.ptr++ = c;
            res.set("Strict-Transport-Security", std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
        }
        if (o.x_content_type_options) res.set("X-Content-Type-Options", "nosniff");
        if (o.dns_prefetch_control) res.set("X-DNS-Prefetch-Control", "off");
        if (o.x_download_options) res.set("X-Download-Options", "noopen");
        if (o.frame != frame_options::off) res.set("X-Frame-Options", o.frame == frame_options::deny ? "DENY" : "SAMEORIGIN");
        if (o.x_permitted_cross_domain_policies) res.set("X-Permitted-Cross-Domain-Policies", "none");
        if (o.x_xss_protection) res.set("X-XSS-Protection", "0");
    }
};

template <fixed_string CSP = helmet_default_csp>
constexpr helmet_middleware<CSP> helmet(helmet_options o = {}) {
    return helmet_middleware<CSP>{o};
}

}  // namespace duet
