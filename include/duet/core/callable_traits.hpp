// duet/core/callable_traits.hpp — compile-time facts about handlers.
//
// Owns: `fn<F>` (a function lifted into an empty closure type, the form GCC 12
// accepts inside class-type template arguments), the argument/return type lists of
// a handler, and detection of C++20 coroutine handlers (`asio::awaitable<T>`).
// Handlers are never type-erased: everything here is used to generate direct calls.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>

#include <asio/awaitable.hpp>

namespace duet {

// `duet::fn<get_user>`: an empty, structural closure that calls `get_user` directly.
template <auto F>
struct fn_t {
    template <class... A>
    constexpr decltype(auto) operator()(A&&... a) const {
        return F(static_cast<A&&>(a)...);
    }
};
template <auto F>
inline constexpr fn_t<F> fn{};

namespace detail {

template <class R, class... A>
struct signature {
    using result = R;
    using args = std::tuple<A...>;
    static constexpr std::size_t arity = sizeof...(A);
};

template <class T, class = void>
struct callable_traits_impl {
    static constexpr bool known = false;
};
template <class R, class... A>
struct callable_traits_impl<R (*)(A...)> : signature<R, A...> {
    static constexpr bool known = true;
};
template <class R, class... A>
struct callable_traits_impl<R (*)(A...) noexcept> : signature<R, A...> {
    static constexpr bool known = true;
};
template <class C, class R, class... A>
struct callable_traits_impl<R (C::*)(A...) const> : signature<R, A...> {
    static constexpr bool known = true;
};
template <class C, class R, class... A>
struct callable_traits_impl<R (C::*)(A...) const noexcept> : signature<R, A...> {
    static constexpr bool known = true;
};
template <class C, class R, class... A>
struct callable_traits_impl<R (C::*)(A...)> : signature<R, A...> {
    static constexpr bool known = true;
};
// Closures and function objects with one non-template call operator.
template <class T>
struct callable_traits_impl<T, std::void_t<decltype(&T::operator())>>
    : callable_traits_impl<decltype(&T::operator())> {};

}  // namespace detail

template <class T>
struct callable_traits : detail::callable_traits_impl<std::remove_cvref_t<T>> {};
template <auto F>
struct callable_traits<fn_t<F>> : detail::callable_traits_impl<decltype(F)> {};
template <auto F>
struct callable_traits<const fn_t<F>> : callable_traits<fn_t<F>> {};

template <class T>
struct is_awaitable : std::false_type {};
template <class T, class E>
struct is_awaitable<asio::awaitable<T, E>> : std::true_type {};
template <class T>
inline constexpr bool is_awaitable_v = is_awaitable<std::remove_cvref_t<T>>::value;

template <class T>
struct awaitable_value {
    using type = T;
};
template <class T, class E>
struct awaitable_value<asio::awaitable<T, E>> {
    using type = T;
};

}  // namespace duet
