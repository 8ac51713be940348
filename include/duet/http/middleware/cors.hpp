// duet/http/middleware/cors.hpp — Cross-Origin Resource Sharing (npm `cors`) as a
// compile-time middleware.
//
// Owns: `duet::cors<Origins, ExposedHeaders, Methods, AllowedHeaders>(cors_options)`,
// the Access-Control-* response headers, Vary, and the answer to a preflight.
//
//   duet::use(duet::cors<"*">())
//   duet::use<"/api">(duet::cors<"https://a.example,https://b.example", "X-Total">(
//       {.credentials = true, .max_age = 600}))
//
// Everything that is text is a template argument (checked at compile time); the
// options are bools and integers, so the middleware object stays a structural type
// and the route table a valid template argument.
//
// Behaviour (npm `cors` with `origin` a string / array / `true`):
// - Origins "*": `Access-Control-Allow-Origin: *` — unless `credentials` is set, in
//   which case the request's Origin is echoed with `Vary: Origin` (a browser refuses
//   `*` together with credentials; this is npm cors' `origin: true`).
// - Origins a comma-separated list: the request's Origin is echoed when it equals one
//   of them exactly (scheme, host and port, case-sensitive), with `Vary: Origin`.
//   `Vary: Origin` is sent for every request in this mode, allowed or not, because the
//   answer depends on the Origin header (a shared cache must not reuse it across
//   origins) — npm cors does the same.
// - A request whose origin is not allowed (or that has no Origin in list mode) gets
//   no Access-Control-* header at all: the browser blocks the response, the server
//   still handles the request, as npm cors does.
// - `Access-Control-Allow-Credentials: true` with `credentials`;
//   `Access-Control-Expose-Headers` when ExposedHeaders is not empty.
// - Preflight = OPTIONS carrying Access-Control-Request-Method. It is answered here
//   (204, or `preflight_status`) and routing stops: Allow-Methods (Methods), Allow-
//   Headers (AllowedHeaders, or the request's Access-Control-Request-Headers echoed
//   with `Vary: Access-Control-Request-Headers` when AllowedHeaders is empty), Max-Age
//   when `max_age >= 0`. With `preflight_continue` the headers are set and the request
//   goes on to the next handlers instead. An OPTIONS without Access-Control-Request-
//   Method is not a preflight (npm cors treats every OPTIONS as one): it gets the
//   simple-request headers and is routed normally (the router's automatic OPTIONS).
// - Mounted with use<"/prefix">, it sees every method, so preflights to that prefix
//   are answered even when no route there handles OPTIONS. Used as per-route
//   middleware (`get<"/x">(cors..., handler)`) it only runs for that route's methods,
//   so it cannot answer that route's preflight — mount it with use<> for that.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include <duet/core/fixed_string.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/router.hpp>

namespace duet {

struct cors_options {
    // Sends `Access-Control-Allow-Credentials: true` (cookies, HTTP auth); with
    // Origins "*" the request's origin is echoed instead of "*".
    bool credentials = false;
    // Access-Control-Max-Age on preflight answers, in seconds; negative = not sent.
    std::int32_t max_age = -1;
    // Set the preflight headers but let the request go on to the next handlers.
    bool preflight_continue = false;
    // Status of a preflight answer (some old clients need 200).
    std::int16_t preflight_status = 204;
};

namespace http {
namespace cors_detail {

// string_view::find, by index: GCC 12 with -fsanitize cannot constant-evaluate the
// library's version on a template parameter object (it compares the pointer that
// memchr found against null).
constexpr std::size_t find_char(std::string_view s, char c) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == c) return i;
    return std::string_view::npos;
}

// Calls f(element) for each comma-separated element, OWS trimmed, empties skipped.
template <class F>
constexpr bool for_each_element(std::string_view list, F f) {
    while (true) {
        const std::size_t comma = find_char(list, ',');
        const std::string_view e = trim_ows(list.substr(0, comma));
        if (!e.empty() && !f(e)) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

constexpr bool is_any(std::string_view origins) { return trim_ows(origins) == "*"; }

// "*" alone, or a list of origins: "scheme://host[:port]", no path, no '*', and
// nothing that cannot go into a header value.
consteval bool valid_origins(std::string_view origins) {
    if (is_any(origins)) return true;
    if (!is_field_value(origins)) return false;
    bool any = false;
    const bool ok = for_each_element(origins, [&](std::string_view o) {
        any = true;
        if (o == "null") return true;  // the opaque origin (sandboxed frames, file:)
        const std::size_t scheme = find_char(o, ':');
        if (scheme == std::string_view::npos || scheme == 0 || o.substr(scheme, 3) != "://") return false;
        const std::string_view host = o.substr(scheme + 3);
        if (host.empty()) return false;
        for (char c : o)
            if (c == '*' || c == ' ' || c == '\t') return false;
        return find_char(host, '/') == std::string_view::npos;
    });
    return ok && any;
}

// A comma-separated list of header names (tokens) or methods; empty is allowed.
consteval bool valid_token_list(std::string_view list) {
    if (!is_field_value(list)) return false;
    return for_each_element(list, [](std::string_view e) { return is_token(e); });
}

constexpr bool origin_listed(std::string_view origins, std::string_view origin) noexcept {
    bool found = false;
    for_each_element(origins, [&](std::string_view o) {
        if (o == origin) found = true;
        return !found;
    });
    return found;
}

}  // namespace cors_detail

template <fixed_string Origins, fixed_string ExposedHeaders, fixed_string Methods, fixed_string AllowedHeaders>
struct cors_middleware {
    static_assert(cors_detail::valid_origins(Origins.view()),
                  "duet::cors: Origins must be \"*\" or a comma-separated list of origins such as "
                  "\"https://a.example,http://localhost:3000\" (scheme://host[:port], no path, no wildcard)");
    static_assert(cors_detail::valid_token_list(ExposedHeaders.view()),
                  "duet::cors: ExposedHeaders must be a comma-separated list of header names");
    static_assert(cors_detail::valid_token_list(Methods.view()) && !Methods.view().empty(),
                  "duet::cors: Methods must be a non-empty comma-separated list of methods");
    static_assert(cors_detail::valid_token_list(AllowedHeaders.view()),
                  "duet::cors: AllowedHeaders must be a comma-separated list of header names");

    // Public and non-mutable: the middleware is a structural type.
    cors_options options;

    static constexpr bool any_origin = cors_detail::is_any(Origins.view());

    flow operator()(request& req, response& res) const {
        const std::optional<std::string_view> origin = req.header("origin");
        const bool preflight =
            req.method() == method::options && req.header("access-control-request-method").has_value();

        // Which value (if any) goes into Access-Control-Allow-Origin.
        std::optional<std::string_view> allow;
        bool vary_origin = false;
        if constexpr (any_origin) {
            if (!options.credentials) {
                allow = "*";
            } else {
                vary_origin = true;
                allow = origin;
            }
        } else {
            vary_origin = true;
            if (origin && cors_detail::origin_listed(Origins.view(), *origin)) allow = origin;
        }

        const bool reflect_headers = preflight && allow && AllowedHeaders.view().empty();
        if (vary_origin && reflect_headers) res.vary("Origin, Access-Control-Request-Headers");
        else if (vary_origin) res.vary("Origin");
        else if (reflect_headers) res.vary("Access-Control-Request-Headers");

        if (allow) {
            res.set("Access-Control-Allow-Origin", *allow);
            if (options.credentials) res.set("Access-Control-Allow-Credentials", "true");
            if constexpr (!ExposedHeaders.view().empty())
                res.set("Access-Control-Expose-Headers", ExposedHeaders.view());
        }
        if (!preflight) return flow::next;

        if (allow) {
            res.set("Access-Control-Allow-Methods", Methods.view());
            if constexpr (!AllowedHeaders.view().empty()) {
                res.set("Access-Control-Allow-Headers", AllowedHeaders.view());
            } else if (const auto requested = req.header("access-control-request-headers")) {
                if (!trim_ows(*requested).empty()) res.set("Access-Control-Allow-Headers", *requested);
            }
            if (options.max_age >= 0) {
                char num[16];
                const auto r = std::to_chars(num, num + sizeof num, options.max_age);
                res.set("Access-Control-Max-Age", std::string_view(num, static_cast<std::size_t>(r.ptr - num)));
            }
        }
        if (options.preflight_continue) return flow::next;
        res.status(options.preflight_status);
        res.end();
        return flow::done;
    }
};

}  // namespace http

// `duet::cors<Origins, ExposedHeaders, Methods, AllowedHeaders>(options)`; see above.
// AllowedHeaders empty (the default) echoes the preflight's Access-Control-Request-Headers.
template <fixed_string Origins = "*", fixed_string ExposedHeaders = "",
          fixed_string Methods = "GET,HEAD,PUT,PATCH,POST,DELETE", fixed_string AllowedHeaders = "">
constexpr http::cors_middleware<Origins, ExposedHeaders, Methods, AllowedHeaders> cors(cors_options options = {}) {
    return {options};
}

}  // namespace duet
