// duet/core/diagnostic.hpp — compile errors that say where and how to fix.
//
// Owns: the vocabulary of duet's own static_asserts. A static_assert message must be
// a string literal, so the route pattern, event name, parameter number and type at
// fault travel as template arguments of the asserted expression instead; both
// compilers print those in the first lines of the diagnostic:
//
//   g++ 12:   In instantiation of 'consteval bool duet::http::check_param() [with Where =
//               duet::diag::route<duet::fixed_string<11>{"/users/:id"}>; ... Number = 2;
//               P = response]' ... error: static assertion failed: duet: this handler
//               parameter takes duet::response by value (...): take it by reference, ...
//   clang 14: error: static_assert failed due to requirement 'diag::parameter<
//               duet::diag::route<'/', 'u', 's', 'e', 'r', 's', '/', ':', 'i', 'd'>, 2,
//               duet::http::response>::take_it_by_reference' "duet: ... take it by reference ..."
//
// The asserts sit inside `if constexpr` branches of consteval check functions (not in
// class templates): clang marks a class whose static_assert failed invalid and then
// reports every use of it again; a failed static_assert in a function body does not.
//
// clang 14 prints a fixed_string template argument as a list of numbers, so under
// clang the places are spelled as character packs; g++ prints the string itself.
// Parameters are numbered from 1, as a reader counts them.
#pragma once

#include <cstddef>
#include <utility>

#include <duet/core/fixed_string.hpp>

namespace duet::diag {

#if defined(__clang__)
template <char... C> struct route {};       // an HTTP route pattern
template <char... C> struct mount {};       // the prefix of duet::use<"/prefix">(middleware)
template <char... C> struct event {};       // a Socket.IO event name (duet::on<"name">)
template <char... C> struct server_side_event {};  // duet::on_server_side_emit<"name">
template <char... C> struct route_middleware {};  // a middleware of one route: get<"/p">(mw, handler)
namespace spell_detail {
template <template <char...> class K, fixed_string S, class I = std::make_index_sequence<S.size()>>
struct spell;
template <template <char...> class K, fixed_string S, std::size_t... I>
struct spell<K, S, std::index_sequence<I...>> {
    using type = K<S.chars[I]...>;
};
}  // namespace spell_detail
template <fixed_string S> using route_t = typename spell_detail::spell<route, S>::type;
template <fixed_string S> using mount_t = typename spell_detail::spell<mount, S>::type;
template <fixed_string S> using event_t = typename spell_detail::spell<event, S>::type;
template <fixed_string S> using server_side_event_t = typename spell_detail::spell<server_side_event, S>::type;
template <fixed_string S> using route_middleware_t = typename spell_detail::spell<route_middleware, S>::type;
#else
template <fixed_string S> struct route {};
template <fixed_string S> struct mount {};
template <fixed_string S> struct event {};
template <fixed_string S> using route_t = route<S>;
template <fixed_string S> using mount_t = mount<S>;
template <fixed_string S> struct route_middleware {};
template <fixed_string S> using event_t = event<S>;
template <fixed_string S> struct server_side_event {};
template <fixed_string S> using server_side_event_t = server_side_event<S>;
template <fixed_string S> using route_middleware_t = route_middleware<S>;
#endif

// Places without a name.
struct on_connect {};
struct on_disconnect {};
struct on_any {};
struct connect_middleware {};  // duet::use(m) inside duet::of<"/nsp">(...)
struct emit_payload {};        // an argument of emit()/ack()/res.json()
struct request_body {};        // req.body_as<T>()

// The asserted expressions: always false once instantiated; their names are the fix.
template <class Where, std::size_t Number, class Param>
struct parameter {
    static constexpr bool take_it_by_reference = false;
    static constexpr bool is_not_a_path_parameter_type = false;
    // duet::on_server_side_emit handlers: what a message from another server lacks.
    static constexpr bool no_socket_in_a_server_side_event = false;
    static constexpr bool no_binary_between_servers = false;
    static constexpr bool one_value_in_a_server_side_ack = false;
};
template <class Where, std::size_t Declared, std::size_t InPattern>
struct path_parameters {
    static constexpr bool handler_path_parameters_match_the_pattern = false;
};
// Type: what was asked for; Part: the (possibly nested) type that has no conversion.
template <class Where, std::size_t Number, class Type, class Part>
struct json {
    static constexpr bool add_BOOST_DESCRIBE_STRUCT_or_tag_invoke = false;
};

}  // namespace duet::diag
