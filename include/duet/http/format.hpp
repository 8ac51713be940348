// duet/http/format.hpp — answering in the representation the client prefers.
//
// Owns: `duet::format(req, res, cases...)`, Express's res.format(obj):
//
//   duet::format(req, res,
//       duet::on_type("html", [&] { res.send("<p>hello</p>"); }),
//       duet::on_type("json", [&] { res.json({{"message", "hello"}}); }),
//       duet::otherwise([&] { res.status(406).send("html or json"); }));
//
// The case whose type the Accept header prefers runs (req.accepts' choice, see
// accept.hpp) after its Content-Type is set — the type of the extension with the
// charset mime-types' contentType() gives it ("html" -> "text/html; charset=utf-8", as
// Express's res.send then sends it), or a full "type/subtype" as written (with
// "; charset=utf-8" for text/* and JSON); `Vary: Accept` is added whatever happens.
// None acceptable: the otherwise case, or without one http_error 406 "Not Acceptable"
// (Express: next(createError(406)), which an on_error entry receives).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <duet/http/accept.hpp>
#include <duet/http/ascii.hpp>
#include <duet/http/mime.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>

namespace duet {

namespace http {

template <class F>
struct format_case {
    std::string_view type;
    F run;
};
template <class F>
struct format_otherwise {
    F run;
};
template <class T>
inline constexpr bool is_format_otherwise_v = false;
template <class F>
inline constexpr bool is_format_otherwise_v<format_otherwise<F>> = true;

// The Content-Type a chosen case answers with.
inline void set_format_type(response& res, std::string_view offered) {
    if (offered.find('/') == std::string_view::npos) {
        res.type(mime_type(offered));
        return;
    }
    const std::string_view bare = trim_ows(offered.substr(0, offered.find(';')));
    if (ascii_istarts_with(bare, "text/") || ascii_iequals(bare, "application/json")) {
        std::string t(bare);
        t.append("; charset=utf-8");
        res.type(t);
    } else {
        res.type(bare);
    }
}

}  // namespace http

template <class F>
constexpr http::format_case<F> on_type(std::string_view type, F f) {
    return {type, std::move(f)};
}
template <class F>
constexpr http::format_otherwise<F> otherwise(F f) {
    return {std::move(f)};
}

template <class... C>
void format(http::request& req, http::response& res, C&&... cases) {
    constexpr std::size_t defaults = (std::size_t{0} + ... + (http::is_format_otherwise_v<std::remove_cvref_t<C>> ? 1 : 0));
    static_assert(defaults <= 1, "duet::format: at most one duet::otherwise case");
    constexpr std::size_t n = sizeof...(C) - defaults;
    std::array<std::string_view, n> types{};
    std::size_t k = 0;
    (
        [&] {
            if constexpr (!http::is_format_otherwise_v<std::remove_cvref_t<C>>) types[k++] = cases.type;
        }(),
        ...);
    res.vary("Accept");
    const auto chosen = http::preferred_type(req.header("accept"), std::span<const std::string_view>(types));
    if (chosen) {
        http::set_format_type(res, types[*chosen]);
        std::size_t i = 0;
        (
            [&] {
                if constexpr (!http::is_format_otherwise_v<std::remove_cvref_t<C>>) {
                    if (i++ == *chosen) cases.run();
                }
            }(),
            ...);
        return;
    }
    if constexpr (defaults == 1) {
        (
            [&] {
                if constexpr (http::is_format_otherwise_v<std::remove_cvref_t<C>>) cases.run();
            }(),
            ...);
    } else {
        throw http_error(406, "Not Acceptable");
    }
}

}  // namespace duet
