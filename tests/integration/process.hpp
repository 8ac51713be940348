// tests/integration/process.hpp — child processes for tests that need a real
// peer (redis-server, node).
//
// Owns: `free_port()` (bind port 0 on loopback and read the port back),
// `child_process` (fork/exec with arguments, SIGTERM/SIGKILL and reap on
// destruction, so a failing test never leaves a server behind) and
// `wait_for_port()` (poll a TCP connect until the child listens).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace duet_test {

// A port nobody listens on right now (the kernel's choice for port 0).
inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("free_port");
    ::close(fd);
    return ntohs(a.sin_port);
}

inline bool port_open(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

inline bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (port_open(port)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

class child_process {
public:
    child_process() = default;
    // argv[0] is looked up in PATH. stdout/stderr are inherited unless `quiet`.
    explicit child_process(std::vector<std::string> argv, bool quiet = true) {
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            if (quiet) {
                const int null = ::open("/dev/null", O_WRONLY);
                ::dup2(null, 1);
                ::dup2(null, 2);
            }
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
    }
    child_process(child_process&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
    child_process& operator=(child_process&& o) noexcept {
        if (this != &o) {
            stop();
            pid_ = o.pid_;
            o.pid_ = -1;
        }
        return *this;
    }
    ~child_process() { stop(); }

    pid_t pid() const noexcept { return pid_; }
    bool running() const noexcept { return pid_ > 0; }

    // The wait status if the child has exited (it is then reaped), else nullopt.
    std::optional<int> try_wait() {
        int st = 0;
        if (pid_ <= 0 || ::waitpid(pid_, &st, WNOHANG) != pid_) return std::nullopt;
        pid_ = -1;
        return st;
    }

    // SIGKILL: the abrupt death a reconnect test wants.
    void kill() { signal_and_reap(SIGKILL); }
    // SIGTERM, then SIGKILL after 5 s.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 250; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        signal_and_reap(SIGKILL);
    }

private:
    void signal_and_reap(int sig) {
        if (pid_ <= 0) return;
        ::kill(pid_, sig);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    pid_t pid_ = -1;
};

}  // namespace duet_test
