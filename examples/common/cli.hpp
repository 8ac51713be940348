// examples/common/cli.hpp — the command-line helpers shared by the example servers,
// the test servers and the benchmark servers: `--name value` flags and the open-file
// limit. Not part of duet (include/duet); a program's own convenience.
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/resource.h>

namespace duet_cli {

// The value after `--name`, or nullptr.
inline const char* value(int argc, char** argv, const char* name) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return nullptr;
}

// `--name N` as a number, or `fallback`.
inline long number(int argc, char** argv, const char* name, long fallback) {
    const char* v = value(argc, argv, name);
    return v ? std::atol(v) : fallback;
}

// `--name text`, or `fallback`.
inline std::string text(int argc, char** argv, const char* name, std::string fallback = {}) {
    const char* v = value(argc, argv, name);
    return v ? std::string(v) : fallback;
}

// Whether the bare switch `--name` is present.
inline bool has(int argc, char** argv, const char* name) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return true;
    return false;
}

// Raises the soft open-file limit to the hard one: a server holding thousands of
// connections needs more than the usual 1024 descriptors.
inline void raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

}  // namespace duet_cli
