// tests/fuzz/fuzz_assert.hpp — FUZZ_ASSERT(cond): an invariant a fuzz target checks; a
// violation traps, which libFuzzer reports as a crash with the input that caused it
// (assert() would vanish in an NDEBUG build).
#pragma once

#define FUZZ_ASSERT(cond)              \
    do {                               \
        if (!(cond)) __builtin_trap(); \
    } while (0)
