// duet/core/fixed_string.hpp — a string literal usable as a template argument.
//
// Owns: `fixed_string<N>`, the structural type that carries route patterns, event
// names and namespace paths into the type system (`get<"/users/:id">`, `on<"chat">`),
// so that tables built from them are resolved by the compiler.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace duet {

template <std::size_t N>
struct fixed_string {
    // Public, non-mutable members only: the type must stay structural to be a
    // template argument.
    char chars[N]{};

    constexpr fixed_string(const char (&s)[N]) noexcept { std::copy_n(s, N, chars); }

    static constexpr std::size_t size() noexcept { return N - 1; }
    constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
    constexpr operator std::string_view() const noexcept { return view(); }
    constexpr const char* c_str() const noexcept { return chars; }

    template <std::size_t M>
    constexpr bool operator==(const fixed_string<M>& o) const noexcept {
        return view() == o.view();
    }
};

}  // namespace duet
