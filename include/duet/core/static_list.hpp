// duet/core/static_list.hpp — a heterogeneous list that can be a template argument.
//
// Owns: `static_list<T...>`, the structural replacement for std::tuple (whose private
// members keep it out of template arguments). Route tables, per-route middleware and
// event tables are static_lists, so a whole table can be passed as `server<routes>`.
#pragma once

#include <cstddef>

namespace duet {

template <class... T>
struct static_list;

template <>
struct static_list<> {
    static constexpr std::size_t size = 0;
};

template <class T, class... R>
struct static_list<T, R...> {
    T head;
    static_list<R...> tail;
    static constexpr std::size_t size = 1 + sizeof...(R);
};

template <std::size_t I, class L>
constexpr const auto& list_at(const L& l) noexcept {
    if constexpr (I == 0) return l.head;
    else return list_at<I - 1>(l.tail);
}

// make_static_list(a, b, c) -> static_list<A, B, C>{a, {b, {c, {}}}}
constexpr static_list<> make_static_list() noexcept { return {}; }
template <class T, class... R>
constexpr static_list<T, R...> make_static_list(T first, R... rest) {
    return {first, make_static_list(rest...)};
}

}  // namespace duet
