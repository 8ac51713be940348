// duet/http/router.hpp — the compile-time route table and its dispatcher.
//
// Owns: route entries (`get<"/users/:id">(handler)`, `use<"/static">(middleware)`),
// the table that holds them (`routes(...)`), the checks done on it at compile time
// (duplicate routes, parameter/handler mismatch), handler argument extraction
// (request, response, converted path parameters, typed JSON bodies, and whatever
// the server's context adds), and dispatch in table order with Express's semantics:
// middleware and routes run in the order written; the first route whose path and
// method match answers; 405 + Allow when only the method differs; automatic HEAD
// (from GET) and OPTIONS; 404 otherwise.
//
// Dispatch is a chain of direct calls unrolled by the compiler. A coroutine handler
// or middleware (one returning asio::awaitable) switches the rest of the chain for
// that request to a coroutine; synchronous tables never create one.
#pragma once

#include <charconv>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <asio/awaitable.hpp>

#include <duet/core/callable_traits.hpp>
#include <duet/core/diagnostic.hpp>
#include <duet/core/fixed_string.hpp>
#include <duet/core/json_traits.hpp>
#include <duet/core/static_list.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/route_pattern.hpp>

namespace duet {

// What a middleware returns: go on with the chain, or stop (it answered).
// A middleware returning void continues unless it ended the response.
enum class flow { next, done };

// A handler parameter `json_body<T>` receives the request body converted to T
// (Boost.JSON value_to; described structs work). A body that does not parse or
// convert answers 400 before the handler runs, naming the first member that does
// not fit: {"error":"body.age: expected an integer from -2147483648 to 2147483647"}.
template <class T>
struct json_body {
    T value;
    T& operator*() noexcept { return value; }
    T* operator->() noexcept { return &value; }
};

// A handler parameter `form_body<T>` receives an HTML form body
// (application/x-www-form-urlencoded, read as express.urlencoded() reads it) converted
// to T: a described struct filled from the fields of the same names, or
// boost::json::object for the fields as they came (request::body_form_as<T>). Another
// Content-Type answers 415, a field that does not fit 400 naming it.
template <class T>
struct form_body {
    T value;
    T& operator*() noexcept { return value; }
    T* operator->() noexcept { return &value; }
};

// A handler parameter `text_body` receives a text/plain body as UTF-8 text
// (express.text(); request::body_text()). Another Content-Type answers 415.
struct text_body {
    std::string value;
    std::string& operator*() noexcept { return value; }
    std::string* operator->() noexcept { return &value; }
};

namespace http {

// ----- methods as a bit mask -----
enum method_bits : std::uint8_t {
    m_get = 1, m_head = 2, m_post = 4, m_put = 8, m_patch = 16, m_delete = 32, m_options = 64, m_other = 128,
    m_any = 255,
};

constexpr std::uint8_t method_bit(method m) noexcept {
    switch (m) {
        case method::get: return m_get;
        case method::head: return m_head;
        case method::post: return m_post;
        case method::put: return m_put;
        case method::patch: return m_patch;
        case method::delete_: return m_delete;
        case method::options: return m_options;
        case method::other: break;
    }
    return m_other;
}

// "GET, HEAD, POST" for an Allow header; HEAD comes with GET, OPTIONS always.
inline void append_allow(std::string& out, std::uint8_t mask) {
    if (mask & m_get) mask |= m_head;
    mask |= m_options;
    static constexpr std::pair<std::uint8_t, std::string_view> names[] = {
        {m_get, "GET"}, {m_head, "HEAD"}, {m_post, "POST"}, {m_put, "PUT"},
        {m_patch, "PATCH"}, {m_delete, "DELETE"}, {m_options, "OPTIONS"}};
    bool first = true;
    for (auto& [bit, name] : names) {
        if (!(mask & bit)) continue;
        if (!first) out.append(", ");
        out.append(name);
        first = false;
    }
}

// ----- path parameter conversion -----
template <class T>
struct param_converter;  // specialise to support more parameter types

template <>
struct param_converter<std::string_view> {
    static bool convert(std::string_view in, std::string_view& out) noexcept { out = in; return true; }
};
template <>
struct param_converter<std::string> {
    static bool convert(std::string_view in, std::string& out) { out.assign(in); return true; }
};
template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
struct param_converter<T> {
    static bool convert(std::string_view in, T& out) noexcept {
        if (in.empty()) return false;
        auto r = std::from_chars(in.data(), in.data() + in.size(), out);
        return r.ec == std::errc{} && r.ptr == in.data() + in.size();
    }
};
template <class T>
    requires std::is_floating_point_v<T>
struct param_converter<T> {
    static bool convert(std::string_view in, T& out) noexcept {
        if (in.empty()) return false;
        auto r = std::from_chars(in.data(), in.data() + in.size(), out);
        return r.ec == std::errc{} && r.ptr == in.data() + in.size();
    }
};

template <class T>
concept path_param_type = requires(std::string_view in, T& out) {
    { param_converter<T>::convert(in, out) } -> std::same_as<bool>;
};

// ----- what a handler parameter is -----
template <class T>
struct is_json_body : std::false_type {};
template <class T>
struct is_json_body<json_body<T>> : std::true_type {};
template <class T>
struct is_form_body : std::false_type {};
template <class T>
struct is_form_body<form_body<T>> : std::true_type {};
// Parameters read from the request body.
template <class T>
constexpr bool is_body_param_v = is_json_body<T>::value || is_form_body<T>::value || std::is_same_v<T, text_body>;

// The context a dispatch runs with. The server derives from it to add its own
// extractable objects (`io&`, the user's state): such a type declares
// `template <class P> static constexpr bool provides` and `P& provide()` overloads.
struct dispatch_context {
    request& req;
    response& res;
    std::string_view mount_rest{};  // the path below the current use<> mount
    const handler_error* error = nullptr;  // while the on_error entry runs
};

template <class Ctx, class P>
constexpr bool context_provides() {
    if constexpr (requires { Ctx::template provides<std::remove_cvref_t<P>>; })
        return Ctx::template provides<std::remove_cvref_t<P>>;
    else
        return false;
}

template <class Ctx, class P>
constexpr bool is_path_param_v = !std::is_same_v<std::remove_cvref_t<P>, request> &&
                                 !std::is_same_v<std::remove_cvref_t<P>, response> &&
                                 !is_body_param_v<std::remove_cvref_t<P>> &&
                                 !std::is_same_v<std::remove_cvref_t<P>, handler_error> && !context_provides<Ctx, P>();

template <class Ctx, class Args>
struct path_param_count;
template <class Ctx, class... A>
struct path_param_count<Ctx, std::tuple<A...>> {
    static constexpr std::size_t value = (std::size_t{0} + ... + (is_path_param_v<Ctx, A> ? 1 : 0));
};

// ----- compile-time checks of one handler parameter -----
// Each is instantiated only for a parameter at fault; its static_assert names the
// place (route pattern, event...), the parameter's number (from 1) and its type
// through diag:: template arguments (see core/diagnostic.hpp).

// The checks that do not depend on the server: request/response taken by value, a
// json_body<T> whose T has no JSON conversion. Always true (a fault is reported by
// the static_assert of the check it instantiates).
template <class Where, std::size_t Number, class P>
consteval bool check_param() {
    using T = std::remove_cvref_t<P>;
    if constexpr (std::is_same_v<T, request> && !std::is_reference_v<P>)
        static_assert(diag::parameter<Where, Number, P>::take_it_by_reference,
                      "duet: this handler parameter takes duet::request by value (the handler would read a copy): "
                      "take it by reference, duet::request&");
    else if constexpr (std::is_same_v<T, response> && !std::is_reference_v<P>)
        static_assert(diag::parameter<Where, Number, P>::take_it_by_reference,
                      "duet: this handler parameter takes duet::response by value (the handler would answer a copy "
                      "and the client get an empty 200): take it by reference, duet::response&");
    else if constexpr (is_json_body<T>::value || is_form_body<T>::value)
        (void)check_json_readable<Where, Number, decltype(T::value)>();
    return true;
}
template <class Where, class H>
consteval bool check_params() {
    if constexpr (callable_traits<H>::known) {
        using args = typename callable_traits<H>::args;
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return (check_param<Where, I + 1, std::tuple_element_t<I, args>>() && ... && true);
        }(std::make_index_sequence<std::tuple_size_v<args>>{});
    }
    return true;
}

// Builds the argument for parameter type P. `k` counts path parameters consumed.
template <class P, class Ctx>
decltype(auto) extract_arg(Ctx& ctx, std::size_t& k, bool& ok) {
    using T = std::remove_cvref_t<P>;
    if constexpr (std::is_same_v<T, request>) {
        return (ctx.req);
    } else if constexpr (std::is_same_v<T, response>) {
        return (ctx.res);
    } else if constexpr (is_json_body<T>::value) {
        if constexpr (json_readable<decltype(T::value)>) return T{ctx.req.template body_as<decltype(T::value)>()};
        else return T{};  // reported at compile time by check_param
    } else if constexpr (is_form_body<T>::value) {
        if constexpr (json_readable<decltype(T::value)>) return T{ctx.req.template body_form_as<decltype(T::value)>()};
        else return T{};  // reported at compile time by check_param
    } else if constexpr (std::is_same_v<T, text_body>) {
        return T{ctx.req.body_text()};
    } else if constexpr (std::is_same_v<T, handler_error>) {
        return (*ctx.error);
    } else if constexpr (context_provides<Ctx, P>()) {
        return ctx.template provide<T>();
    } else if constexpr (path_param_type<T>) {
        T value{};
        if (ok) ok = param_converter<T>::convert(ctx.req.param(k), value);
        ++k;
        return value;
    } else {
        // Reported at compile time by the dispatcher's check_entry.
        ok = false;
        return T{};
    }
}

// Calls `h` with its arguments extracted from the context. `ok` turns false when
// a path parameter does not convert; the handler is then not called.
template <class H, class Ctx, class... A>
auto invoke_extracted(const H& h, Ctx& ctx, std::tuple<A...>*, bool& ok) {
    std::size_t k = 0;
    // Braced init: arguments are built left to right.
    std::tuple<decltype(extract_arg<A>(ctx, k, ok))...> args{extract_arg<A>(ctx, k, ok)...};
    using R = std::invoke_result_t<const H&, A...>;
    if (!ok) {
        if constexpr (is_awaitable_v<R>) return R{};
        else if constexpr (std::is_void_v<R>) return;
        else return R{};
    }
    return std::apply([&](auto&... a) -> R { return h(static_cast<A&&>(a)...); }, args);
}

// ----- table entries -----
template <class H>
constexpr bool is_async_callable = is_awaitable_v<typename callable_traits<H>::result>;

template <fixed_string Prefix, class M>
struct use_entry {
    M middleware;
    static constexpr std::string_view prefix = Prefix.view();
    static constexpr auto prefix_text = Prefix;
    static constexpr bool is_route = false;
    static constexpr bool is_websocket = false;
    static constexpr bool async = is_async_callable<M>;
    static_assert(callable_traits<M>::known, "duet::use: middleware must be a function object with one call operator");
};

template <fixed_string Pattern, std::uint8_t Methods, class H, class... M>
struct route_entry {
    H handler;
    static_list<M...> middleware;  // structural, unlike std::tuple
    using pattern = route_pattern<Pattern>;
    static constexpr auto pattern_text = Pattern;
    static constexpr std::uint8_t methods = Methods;
    static constexpr bool is_route = true;
    static constexpr bool is_websocket = false;
    static constexpr bool async = is_async_callable<H> || (is_async_callable<M> || ...);
    static_assert(callable_traits<H>::known,
                  "duet route: the handler must be a non-generic callable (a function via duet::fn<f>, or a lambda "
                  "with concrete parameter types)");
};

// `duet::on_error(handler)`: runs when a handler or middleware of the table throws,
// before anything of the answer was sent; it takes `const duet::handler_error&` besides
// the usual parameters and may answer. Synchronous.
template <class H>
struct error_entry {
    H handler;
    static constexpr bool is_route = false;
    static constexpr bool is_websocket = false;
    static constexpr bool is_error_handler = true;
    static constexpr bool async = false;
    static_assert(callable_traits<H>::known, "duet::on_error: the handler must be a non-generic callable");
    static_assert(!is_async_callable<H>, "duet::on_error: the error handler must be synchronous (not a coroutine)");
};
template <class E>
constexpr bool is_error_entry_v = requires { E::is_error_handler; };

// `duet::on_not_found(handler)`: answers what no entry of the table answered and no
// route's path matched (Express's last app.use((req, res) => res.status(404)...)).
// Without it: 404 "Not Found". Synchronous.
template <class H>
struct not_found_entry {
    H handler;
    static constexpr bool is_route = false;
    static constexpr bool is_websocket = false;
    static constexpr bool is_not_found_handler = true;
    static constexpr bool async = false;
    static_assert(callable_traits<H>::known, "duet::on_not_found: the handler must be a non-generic callable");
    static_assert(!is_async_callable<H>, "duet::on_not_found: the handler must be synchronous (not a coroutine)");
};
template <class E>
constexpr bool is_not_found_entry_v = requires { E::is_not_found_handler; };

// Any entry of a table is a coroutine (a mounted table's entries count).
template <class Table>
constexpr bool table_is_async = []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::remove_cvref_t<decltype(list_at<I>(std::declval<const Table&>()))>::async || ... || false);
}(std::make_index_sequence<Table::size>{});

// `duet::use<"/api">(api_routes)`: a whole routes table mounted under a prefix
// (Express's app.use('/api', router)). Its entries see the path below the mount
// (request::path(); request::base_url() is the mount) and run in their order, with
// their own use<> middleware; when none answers, the outer table goes on. The table
// is usually defined in a header of its own and its handlers in their own
// translation unit; it is checked like any table, with the server's context.
template <fixed_string Prefix, class Table>
struct router_entry {
    Table table;
    static constexpr std::string_view prefix = Prefix.view();
    static constexpr auto prefix_text = Prefix;
    static constexpr bool is_route = false;
    static constexpr bool is_websocket = false;
    static constexpr bool is_router = true;
    static constexpr bool async = table_is_async<Table>;
};
template <class E>
constexpr bool is_router_entry_v = requires { E::is_router; };

// ----- the table: a structural heterogeneous list -----
template <class... E>
using route_table = static_list<E...>;

template <std::size_t I, class T>
constexpr const auto& entry_at(const T& t) {
    return list_at<I>(t);
}

template <class... E>
consteval bool has_duplicate_routes() {
    constexpr std::size_t n = sizeof...(E);
    std::array<std::string_view, n + 1> patterns{};
    std::array<std::uint8_t, n + 1> masks{};
    std::array<bool, n + 1> is_route{};
    std::size_t i = 0;
    ((patterns[i] = [] {
          if constexpr (E::is_route) return E::pattern::text;
          else return std::string_view{};
      }(),
      masks[i] = [] {
          if constexpr (E::is_route) return E::methods;
          else return std::uint8_t{0};
      }(),
      is_route[i] = E::is_route, ++i),
     ...);
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
            if (is_route[a] && is_route[b] && (masks[a] & masks[b]) && same_shape(patterns[a], patterns[b]))
                return true;
    return false;
}

// ----- dispatch -----
struct dispatch_state {
    std::uint8_t allowed = 0;  // methods of routes whose path matched (405 / OPTIONS)
};

// Inside a mounted table the request's path is the part below the mount; restored
// when the table is left, however (an exception included).
class mount_scope {
public:
    mount_scope(request& req, std::string_view rest) noexcept : req_(req), saved_(req.enter_mount(rest)) {}
    mount_scope(const mount_scope&) = delete;
    mount_scope& operator=(const mount_scope&) = delete;
    ~mount_scope() { req_.leave_mount(saved_); }

private:
    request& req_;
    request::mount_state saved_;
};

template <class Table, class Ctx>
struct dispatcher;

// The checks a mounted table must pass (its entries are dispatched by the outer
// server, which resolves WebSocket upgrades and errors from its top-level table).
template <class E>
consteval bool check_mounted_entry() {
    static_assert(!E::is_websocket, "duet::use<prefix>(table): a mounted table cannot hold a duet::websocket endpoint "
                                    "(declare it in the server's own table)");
    static_assert(!is_error_entry_v<E>, "duet::use<prefix>(table): put duet::on_error in the server's own table");
    static_assert(!is_not_found_entry_v<E>,
                  "duet::use<prefix>(table): put duet::on_not_found in the server's own table");
    return true;
}

template <class Table, class Ctx>
struct dispatcher {
    static constexpr std::size_t N = Table::size;

    // The parameter/handler check needs the context (it decides which parameter
    // types are extracted objects rather than path parameters), so it runs here,
    // once per entry, when the server instantiates its dispatcher.
    template <class Where, std::size_t Number, class P>
    static consteval bool check_context_param() {
        using T = std::remove_cvref_t<P>;
        if constexpr (context_provides<Ctx, P>() && !std::is_reference_v<P>)
            static_assert(diag::parameter<Where, Number, P>::take_it_by_reference,
                      "duet: this handler parameter takes an object the server provides (duet::io, your state) by "
                      "value (the handler would act on a copy): take it by reference, T&");
        else if constexpr (is_path_param_v<Ctx, P> && !path_param_type<T>)
            static_assert(diag::parameter<Where, Number, P>::is_not_a_path_parameter_type,
                      "duet: a handler parameter is neither request&, response&, json_body<T>, form_body<T>, text_body, a server-provided "
                      "object, nor a path parameter type (std::string_view, std::string, integer, floating point)");
        return true;
    }
    template <class Where, class... A>
    static consteval bool check_context_params(std::tuple<A...>*) {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return (check_context_param<Where, I + 1, A>() && ... && true);
        }(std::index_sequence_for<A...>{});
    }

    template <class E>
    static consteval bool check_entry() {
        if constexpr (is_error_entry_v<E>) {
            using H = decltype(std::declval<E>().handler);
            check_context_params<diag::mount_t<"(on_error)">>(static_cast<typename callable_traits<H>::args*>(nullptr));
        } else if constexpr (is_not_found_entry_v<E>) {
            using H = decltype(std::declval<E>().handler);
            check_context_params<diag::mount_t<"(on_not_found)">>(static_cast<typename callable_traits<H>::args*>(nullptr));
        } else if constexpr (is_router_entry_v<E>) {
            using Sub = decltype(std::declval<E>().table);
            static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
                return (check_mounted_entry<std::remove_cvref_t<decltype(list_at<I>(std::declval<const Sub&>()))>>() && ... && true);
            }(std::make_index_sequence<Sub::size>{}));
            (void)sizeof(dispatcher<Sub, Ctx>);  // its own checks, with this server's context
        } else if constexpr (E::is_route) {
            using H = decltype(std::declval<E>().handler);
            using Where = diag::route_t<E::pattern_text>;
            constexpr std::size_t declared = path_param_count<Ctx, typename callable_traits<H>::args>::value;
            constexpr std::size_t named = E::pattern::param_count;
            check_context_params<Where>(static_cast<typename callable_traits<H>::args*>(nullptr));
            static_assert(declared == named || (E::pattern::has_wildcard && declared == named + 1) ||
                              diag::path_parameters<Where, declared, named>::
                                  handler_path_parameters_match_the_pattern,
                          "duet route: the handler's path parameters do not match the pattern's ':name' "
                          "parameters (one handler parameter per ':name', in order, plus optionally one for '*')");
        } else if constexpr (!E::is_websocket) {
            using M = decltype(std::declval<E>().middleware);
            if constexpr (callable_traits<M>::known)
                check_context_params<diag::mount_t<E::prefix_text>>(static_cast<typename callable_traits<M>::args*>(nullptr));
        }
        return true;
    }
    template <std::size_t... I>
    static consteval bool check_all(std::index_sequence<I...>) {
        return (check_entry<std::remove_cvref_t<decltype(entry_at<I>(std::declval<const Table&>()))>>() && ...);
    }
    static_assert(check_all(std::make_index_sequence<N>{}));

    using state = dispatch_state;

    enum class step { next, done, go_async };

    // Synchronous part of entry I: match, and when it matched and is synchronous, run it.
    template <std::size_t I>
    static step try_sync(const Table& t, Ctx& ctx, state& st) {
        const auto& e = entry_at<I>(t);
        using E = std::remove_cvref_t<decltype(e)>;
        if constexpr (is_error_entry_v<E> || is_not_found_entry_v<E>) {
            return step::next;  // runs only when something threw / nothing answered
        } else if constexpr (is_router_entry_v<E>) {
            std::string_view rest;
            if (!mount_matches(E::prefix, ctx.req.path(), rest)) return step::next;
            if constexpr (E::async) {
                return step::go_async;
            } else {
                const mount_scope scope(ctx.req, rest);
                return dispatcher<decltype(e.table), Ctx>::run_mounted(e.table, ctx, st) ? step::done : step::next;
            }
        } else if constexpr (E::is_websocket) {
            // A WebSocket endpoint reached without an accepted Upgrade.
            std::array<std::string_view, max_route_params> raw;
            if (!E::pattern::match(ctx.req.path(), raw)) return step::next;
            ctx.res.status(426);
            ctx.res.set("Upgrade", "websocket");
            ctx.res.set("Sec-WebSocket-Version", "13");
            ctx.res.type("text/plain; charset=utf-8");
            ctx.res.send("Upgrade Required");
            return step::done;
        } else if constexpr (!E::is_route) {
            std::string_view rest;
            if (!mount_matches(E::prefix, ctx.req.path(), rest)) return step::next;
            if constexpr (E::async) {
                return step::go_async;
            } else {
                ctx.mount_rest = rest;
                return run_middleware(e.middleware, ctx) == flow::next ? step::next : step::done;
            }
        } else {
            // (A malformed escape in a parameter was answered 404 by match_route.)
            if (!match_route<E>(ctx, st)) return ctx.res.ended() ? step::done : step::next;
            if constexpr (E::async) {
                return step::go_async;
            } else {
                if (run_route_middleware<0>(e, ctx) == flow::done) return step::done;
                bool ok = true;
                invoke_extracted(e.handler, ctx, static_cast<typename callable_traits<decltype(e.handler)>::args*>(nullptr), ok);
                if (!ok) not_found(ctx);
                return step::done;
            }
        }
    }

    // The asynchronous form of entry I (called only after try_sync said go_async).
    template <std::size_t I>
    static asio::awaitable<flow> run_async(const Table& t, Ctx& ctx, state& st) {
        const auto& e = entry_at<I>(t);
        using E = std::remove_cvref_t<decltype(e)>;
        if constexpr (E::is_websocket || is_error_entry_v<E> || is_not_found_entry_v<E>) {
            co_return flow::done;  // never asynchronous: answered (or skipped) in try_sync
        } else if constexpr (is_router_entry_v<E>) {
            std::string_view rest;
            mount_matches(E::prefix, ctx.req.path(), rest);
            const mount_scope scope(ctx.req, rest);
            const bool answered = co_await dispatcher<decltype(e.table), Ctx>::template run_mounted_async<0>(e.table, ctx, st);
            co_return answered ? flow::done : flow::next;
        } else if constexpr (!E::is_route) {
            std::string_view rest;
            mount_matches(E::prefix, ctx.req.path(), rest);
            ctx.mount_rest = rest;
            const flow f = co_await run_middleware_async(e.middleware, ctx);
            co_return f;
        } else {
            const flow before = co_await run_route_middleware_async<0>(e, ctx);
            if (before == flow::done) co_return flow::done;
            bool ok = true;
            using H = decltype(e.handler);
            auto* args = static_cast<typename callable_traits<H>::args*>(nullptr);
            if constexpr (is_async_callable<H>) {
                auto aw = invoke_extracted(e.handler, ctx, args, ok);
                if (ok) co_await std::move(aw);
            } else {
                invoke_extracted(e.handler, ctx, args, ok);
            }
            if (!ok) not_found(ctx);
            co_return flow::done;
        }
    }

    // Runs entries I.. as a coroutine.
    template <std::size_t I>
    static asio::awaitable<void> run_async_from(const Table& t, Ctx& ctx, state st) {
        if constexpr (I == N) {
            finish_unmatched(ctx, st);
            co_return;
        } else {
            step s = try_sync<I>(t, ctx, st);
            if (s == step::go_async) {
                const flow f = co_await run_async<I>(t, ctx, st);
                s = f == flow::next ? step::next : step::done;
            }
            if (s == step::next) co_await run_async_from<I + 1>(t, ctx, st);
        }
    }

    // A mounted table (router_entry), synchronous: true when one of its entries
    // answered; otherwise the outer table goes on (st keeps the methods seen).
    template <std::size_t I = 0>
    static bool run_mounted(const Table& t, Ctx& ctx, state& st) {
        if constexpr (I == N) {
            return false;
        } else {
            const step s = try_sync<I>(t, ctx, st);  // never go_async: the table is synchronous
            if (s == step::done) return true;
            return run_mounted<I + 1>(t, ctx, st);
        }
    }

    // A mounted table with coroutine entries, from entry I.
    template <std::size_t I>
    static asio::awaitable<bool> run_mounted_async(const Table& t, Ctx& ctx, state& st) {
        if constexpr (I == N) {
            co_return false;
        } else {
            step s = try_sync<I>(t, ctx, st);
            if (s == step::go_async) {
                const flow f = co_await run_async<I>(t, ctx, st);
                s = f == flow::next ? step::next : step::done;
            }
            if (s == step::done) co_return true;
            const bool answered = co_await run_mounted_async<I + 1>(t, ctx, st);
            co_return answered;
        }
    }

    // Entry point. Returns true when the request was answered synchronously;
    // otherwise `pending` holds the coroutine that will answer it.
    template <std::size_t I = 0>
    static bool run(const Table& t, Ctx& ctx, asio::awaitable<void>& pending, state st = {}) {
        if constexpr (I == N) {
            finish_unmatched(ctx, st);
            return true;
        } else {
            switch (try_sync<I>(t, ctx, st)) {
                case step::next: return run<I + 1>(t, ctx, pending, st);
                case step::done: return true;
                case step::go_async: pending = continue_async<I>(t, ctx, st); return false;
            }
            return true;
        }
    }

    // The table has an on_error entry.
    static constexpr bool has_error_handler = []<std::size_t... I>(std::index_sequence<I...>) {
        return (is_error_entry_v<std::remove_cvref_t<decltype(entry_at<I>(std::declval<const Table&>()))>> || ...);
    }(std::make_index_sequence<N>{});
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return ((is_error_entry_v<std::remove_cvref_t<decltype(entry_at<I>(std::declval<const Table&>()))>> ? 1 : 0) + ... + 0);
    }(std::make_index_sequence<N>{}) <= 1, "duet::routes: at most one on_error entry per table");

    // Runs the on_not_found entry, if the table has one. true: it answered.
    template <std::size_t I = 0>
    static bool handle_not_found(const Table& t, Ctx& ctx) {
        if constexpr (I == N) {
            return false;
        } else {
            const auto& e = entry_at<I>(t);
            using E = std::remove_cvref_t<decltype(e)>;
            if constexpr (is_not_found_entry_v<E>) {
                bool ok = true;
                invoke_extracted(e.handler, ctx, static_cast<typename callable_traits<decltype(e.handler)>::args*>(nullptr), ok);
                return ctx.res.ended();
            } else {
                return handle_not_found<I + 1>(t, ctx);
            }
        }
    }
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return ((is_not_found_entry_v<std::remove_cvref_t<decltype(entry_at<I>(std::declval<const Table&>()))>> ? 1 : 0) + ... + 0);
    }(std::make_index_sequence<N>{}) <= 1, "duet::routes: at most one on_not_found entry per table");

    // Runs the on_error entry for `err` (the response reset beforehand). true: it
    // answered.
    template <std::size_t I = 0>
    static bool handle_error(const Table& t, Ctx& ctx, const handler_error& err) {
        if constexpr (I == N) {
            return false;
        } else {
            const auto& e = entry_at<I>(t);
            using E = std::remove_cvref_t<decltype(e)>;
            if constexpr (is_error_entry_v<E>) {
                ctx.error = &err;
                bool ok = true;
                invoke_extracted(e.handler, ctx, static_cast<typename callable_traits<decltype(e.handler)>::args*>(nullptr), ok);
                ctx.error = nullptr;
                return ctx.res.ended();
            } else {
                return handle_error<I + 1>(t, ctx, err);
            }
        }
    }

private:
    template <std::size_t I>
    static asio::awaitable<void> continue_async(const Table& t, Ctx& ctx, state st) {
        // Each co_await is its own statement: GCC 12 miscompiles co_await inside a
        // condition of a template coroutine (seen as SIGILL at run time).
        const flow f = co_await run_async<I>(t, ctx, st);
        if (f == flow::next) co_await run_async_from<I + 1>(t, ctx, st);
    }

    template <class E>
    static bool match_route(Ctx& ctx, state& st) {
        std::array<std::string_view, max_route_params> raw;
        if (!E::pattern::match(ctx.req.path(), raw)) return false;
        const std::uint8_t want = method_bit(ctx.req.method());
        st.allowed |= E::methods;
        const bool method_ok = (E::methods & want) || (want == m_head && (E::methods & m_get));
        if (!method_ok) return false;
        constexpr std::size_t n = E::pattern::param_count + (E::pattern::has_wildcard ? 1 : 0);
        if (!ctx.req.set_params(raw, E::pattern::names, n)) {
            // A malformed escape in a parameter: the resource cannot exist.
            not_found(ctx);
            return false;
        }
        return true;
    }

    template <class M>
    static flow run_middleware(const M& m, Ctx& ctx) {
        using R = typename callable_traits<M>::result;
        bool ok = true;
        auto* args = static_cast<typename callable_traits<M>::args*>(nullptr);
        if constexpr (std::is_same_v<R, flow>) {
            flow f = invoke_extracted(m, ctx, args, ok);
            return ctx.res.ended() ? flow::done : f;
        } else {
            invoke_extracted(m, ctx, args, ok);
            return ctx.res.ended() ? flow::done : flow::next;
        }
    }

    template <class M>
    static asio::awaitable<flow> run_middleware_async(const M& m, Ctx& ctx) {
        if constexpr (!is_async_callable<M>) {
            co_return run_middleware(m, ctx);
        } else {
            using R = typename awaitable_value<typename callable_traits<M>::result>::type;
            bool ok = true;
            auto aw = invoke_extracted(m, ctx, static_cast<typename callable_traits<M>::args*>(nullptr), ok);
            if constexpr (std::is_same_v<R, flow>) {
                flow f = co_await std::move(aw);
                co_return ctx.res.ended() ? flow::done : f;
            } else {
                co_await std::move(aw);
                co_return ctx.res.ended() ? flow::done : flow::next;
            }
        }
    }

    template <std::size_t J, class E>
    static flow run_route_middleware(const E& e, Ctx& ctx) {
        if constexpr (J == decltype(e.middleware)::size) {
            return flow::next;
        } else {
            if (run_middleware(list_at<J>(e.middleware), ctx) == flow::done) return flow::done;
            return run_route_middleware<J + 1>(e, ctx);
        }
    }

    template <std::size_t J, class E>
    static asio::awaitable<flow> run_route_middleware_async(const E& e, Ctx& ctx) {
        if constexpr (J == decltype(e.middleware)::size) {
            co_return flow::next;
        } else {
            const flow f = co_await run_middleware_async(list_at<J>(e.middleware), ctx);
            if (f == flow::done) co_return flow::done;
            const flow rest = co_await run_route_middleware_async<J + 1>(e, ctx);
            co_return rest;
        }
    }

    static void not_found(Ctx& ctx) {
        if constexpr (requires { ctx.answer_not_found(); }) {
            // The server's entry sees the request as the server's table does, outside
            // any mount (Express's app-level 404 middleware sees req.path restored).
            const auto saved = ctx.req.leave_all_mounts();
            const bool answered = ctx.answer_not_found();
            ctx.req.leave_mount(saved);
            if (answered) return;
        }
        ctx.res.status(404);
        ctx.res.type("text/plain; charset=utf-8");
        ctx.res.send("Not Found");
    }

    static void finish_unmatched(Ctx& ctx, const state& st) {
        if (ctx.res.ended()) return;
        if (st.allowed == 0) return not_found(ctx);
        std::string allow;
        append_allow(allow, st.allowed);
        ctx.res.set("Allow", allow);
        if (ctx.req.method() == method::options) {
            ctx.res.status(200);
            ctx.res.type("text/plain; charset=utf-8");
            ctx.res.send(allow);
        } else {
            ctx.res.status(405);
            ctx.res.type("text/plain; charset=utf-8");
            ctx.res.send("Method Not Allowed");
        }
    }
};

}  // namespace http

// ----- the user-facing table builders -----

// `duet::on_error([](const duet::handler_error& err, duet::response& res) {...})`:
// Express's error middleware for the whole table (see error_entry).
template <class H>
constexpr auto on_error(H h) {
    return http::error_entry<H>{h};
}

// `duet::on_not_found([](duet::request& req, duet::response& res) {...})`: the answer
// when nothing else answered (see not_found_entry).
template <class H>
constexpr auto on_not_found(H h) {
    return http::not_found_entry<H>{h};
}

// `duet::routes(entries...)`: the compile-time route table.
template <class... E>
constexpr auto routes(E... e) {
    static_assert(!http::has_duplicate_routes<E...>(),
                  "duet::routes: two routes match the same paths with the same method");
    return make_static_list(e...);
}

namespace detail {
template <fixed_string Pattern, std::uint8_t Methods, class... F>
constexpr auto make_route(F... f) {
    static_assert(sizeof...(F) >= 1, "duet route: a handler is required");
    auto all = std::tuple<F...>{f...};
    constexpr std::size_t n = sizeof...(F);
    using H = std::tuple_element_t<n - 1, std::tuple<F...>>;
    static_assert(http::check_params<diag::route_t<Pattern>, H>());
    [[maybe_unused]] constexpr bool middleware_checked = []<std::size_t... I>(std::index_sequence<I...>) {
        return (http::check_params<diag::route_middleware_t<Pattern>, std::tuple_element_t<I, std::tuple<F...>>>() && ... &&
                true);
    }(std::make_index_sequence<n - 1>{});
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        using entry = http::route_entry<Pattern, Methods, H, std::tuple_element_t<I, std::tuple<F...>>...>;
        return entry{std::get<n - 1>(all), make_static_list(std::get<I>(all)...)};
    }(std::make_index_sequence<n - 1>{});
}
}  // namespace detail

template <fixed_string P, class... F> constexpr auto get(F... f) { return detail::make_route<P, http::m_get>(f...); }
template <fixed_string P, class... F> constexpr auto post(F... f) { return detail::make_route<P, http::m_post>(f...); }
template <fixed_string P, class... F> constexpr auto put(F... f) { return detail::make_route<P, http::m_put>(f...); }
template <fixed_string P, class... F> constexpr auto patch(F... f) { return detail::make_route<P, http::m_patch>(f...); }
template <fixed_string P, class... F> constexpr auto del(F... f) { return detail::make_route<P, http::m_delete>(f...); }
template <fixed_string P, class... F> constexpr auto options(F... f) { return detail::make_route<P, http::m_options>(f...); }
// Every method (Express's app.all).
template <fixed_string P, class... F> constexpr auto all(F... f) { return detail::make_route<P, http::m_any>(f...); }

// `use<"/api">(api_routes)`: a routes table mounted under a prefix (router_entry).
template <fixed_string Prefix = "/", class... E>
constexpr http::router_entry<Prefix, static_list<E...>> use(static_list<E...> table) {
    return {table};
}

// `use(mw)` runs for every request; `use<"/prefix">(mw)` for the prefix and below.
// (A static_list argument picks the overload above: it is more specialized.)
template <fixed_string Prefix = "/", class M>
constexpr http::use_entry<Prefix, M> use(M m) {
    static_assert(http::check_params<diag::mount_t<Prefix>, M>());
    return {m};
}

}  // namespace duet
