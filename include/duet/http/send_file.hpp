// duet/http/send_file.hpp — answering a request with a file (Express's res.sendFile
// and res.download, and the core of duet::static_files).
//
// Owns: opening a file and answering with it as npm `send` 1.2 does — Content-Type by
// extension, Accept-Ranges, Cache-Control, Last-Modified, weak ETag, conditional
// requests (304, 412), one byte range (206, 416, If-Range), HEAD — and streaming its
// bytes in 64 KiB pieces with bounded memory per connection; and the handler-facing
//
//   co_await duet::send_file(req, res, "/srv/files/report.pdf");
//   co_await duet::send_file(req, res, req.param(0), {.root = "uploads"});
//   co_await duet::download(req, res, path, "Report 2026.pdf");
//
// What cannot be sent is thrown as duet::http_error, which the route table's on_error
// entry receives as Express's error middleware receives send's errors (without one:
// the status and its reason as the answer): 404 for a missing file, a directory or a
// dotfile when they are ignored; 403 for a ".." segment (with a root: one leaving it),
// a denied dotfile or an unreadable file; 400 for a NUL. A relative path without a
// root throws std::invalid_argument (Express: TypeError, 500).
//
// Files are read with pread() on the connection's thread (they normally come from the
// page cache); symbolic links are followed, as `send` does.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/awaitable.hpp>

#include <duet/http/content_disposition.hpp>
#include <duet/http/etag.hpp>
#include <duet/http/http_date.hpp>
#include <duet/http/mime.hpp>
#include <duet/http/range.hpp>
#include <duet/http/request.hpp>
#include <duet/http/response.hpp>
#include <duet/http/status.hpp>

namespace duet {

enum class dotfiles_policy : std::uint8_t {
    ignore,  // as if the file did not exist (next() / 404)
    deny,    // 403
    allow,   // served like any file
};

// res.sendFile / res.download options (npm send's, with its defaults).
struct send_file_options {
    // When set, the path is relative to this folder and may not leave it (403).
    std::string_view root{};
    // Cache-Control max-age in seconds (capped at one year).
    std::uint32_t max_age = 0;
    bool cache_control = true;
    bool immutable = false;
    bool etag = true;
    bool last_modified = true;
    bool accept_ranges = true;
    dotfiles_policy dotfiles = dotfiles_policy::ignore;
};

namespace http {
namespace file_detail {

inline constexpr std::size_t chunk_size = 64 * 1024;
inline constexpr std::uint32_t max_max_age = 365u * 24 * 60 * 60;  // `send`'s cap

// An open file descriptor, closed on destruction.
class file_handle {
public:
    file_handle() = default;
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    file_handle(file_handle&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    file_handle& operator=(file_handle&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    ~file_handle() { reset(); }

    // Opens read-only. O_NONBLOCK keeps open() of a FIFO from blocking; it does not
    // change reads of regular files (only those are served).
    bool open(const char* path) noexcept {
        reset();
        do {
            fd_ = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        } while (fd_ < 0 && errno == EINTR);
        return fd_ >= 0;
    }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd() const noexcept { return fd_; }

private:
    int fd_ = -1;
};

// Per-thread scratch space: used only between suspension points (a coroutine never
// holds it across a co_await), so connections on one thread can share it and
// steady-state requests allocate nothing for paths or file pieces.
struct scratch {
    std::string decoded;
    std::string fs_path;
    std::vector<char> chunk;
};
inline scratch& thread_scratch() {
    thread_local scratch s;
    return s;
}

// Reads exactly n bytes at offset; throws if the file ends early or fails.
inline void read_exact(int fd, char* out, std::size_t n, std::uint64_t offset) {
    while (n > 0) {
        const ssize_t r = ::pread(fd, out, n, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw std::system_error(errno, std::generic_category(), "send_file: read");
        if (r == 0) throw std::runtime_error("send_file: the file shrank while being served");
        out += r;
        n -= static_cast<std::size_t>(r);
        offset += static_cast<std::uint64_t>(r);
    }
}

// The header choices shared by static_files and send_file.
struct answer_options {
    bool etag = true;
    bool last_modified = true;
    std::uint32_t max_age = 0;
    bool cache_control = true;
    bool immutable = false;
    bool accept_ranges = true;
};

enum class outcome {
    missing,    // no such regular file (ENOENT, ENOTDIR, a FIFO, ...)
    directory,  // the path names a directory
    forbidden,  // EACCES / EPERM
    done,       // answered (small body, HEAD, 304)
    stream,     // head set; job holds what stream_body must send
    precondition_failed,  // 412 due; the file's headers are set (the caller answers)
    unsatisfiable,        // 416 due; the file's headers and Content-Range are set
};

// What open_and_answer leaves for the streaming part.
struct body_job {
    file_handle file;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

inline void answer_status(response& res, int status) {
    res.status(status);
    res.type("text/plain; charset=utf-8");
    res.send(reason_phrase(status));
}

// The headers this middleware adds to a file answer (removed again for 412/416,
// which describe no representation).
inline void remove_file_headers(response& res) {
    res.remove("Accept-Ranges").remove("Cache-Control").remove("Last-Modified").remove("ETag").remove("Content-Type");
}

inline void set_if_absent(response& res, std::string_view name, std::string_view value) {
    if (!res.get(name)) res.set(name, value);
}

// Opens `fs_path` and, when it is a regular file, answers with it: headers (an
// earlier middleware's values win, as in `send`), conditions, range, and the body when
// it is small; Content-Type from `name`'s extension. `m` is GET or HEAD.
inline outcome open_and_answer(const char* fs_path, std::string_view name, const answer_options& o, request& req,
                               response& res, body_job& job) {
    const method m = req.method();
    if (!job.file.open(fs_path)) {
        switch (errno) {
            case ENOENT:
            case ENOTDIR:
            case ENAMETOOLONG:
            case ELOOP:
            case ENXIO:  // a socket or FIFO without a writer
                return outcome::missing;
            case EACCES:
            case EPERM:
                return outcome::forbidden;
            default:
                throw std::system_error(errno, std::generic_category(), "send_file: open");
        }
    }
    struct stat st {};
    if (::fstat(job.file.fd(), &st) != 0) throw std::system_error(errno, std::generic_category(), "send_file: stat");
    if (S_ISDIR(st.st_mode)) return outcome::directory;
    if (!S_ISREG(st.st_mode)) return outcome::missing;

    const auto size = static_cast<std::uint64_t>(st.st_size);
    // Rounded to the millisecond, as Node's fs.Stats mtime (Math.round of mtimeMs),
    // which npm etag reads: truncating would differ from Express half the time.
    const std::int64_t mtime_ms =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + (st.st_mtim.tv_nsec + 500000) / 1000000;

    // ----- headers (an earlier middleware's values win, as in `send`) -----
    if (o.accept_ranges) set_if_absent(res, "Accept-Ranges", "bytes");
    if (o.cache_control && !res.get("Cache-Control")) {
        char cc[48] = "public, max-age=";
        char* p = cc + 16;
        p = std::to_chars(p, cc + sizeof cc, std::min(o.max_age, max_max_age)).ptr;
        std::string_view v(cc, static_cast<std::size_t>(p - cc));
        if (o.immutable) {
            std::string with(v);
            with.append(", immutable");
            res.set("Cache-Control", with);
        } else {
            res.set("Cache-Control", v);
        }
    }
    if (o.last_modified) set_if_absent(res, "Last-Modified", format_http_date(static_cast<std::int64_t>(st.st_mtim.tv_sec)).view());
    if (o.etag) set_if_absent(res, "ETag", stat_etag(size, mtime_ms).view());
    set_if_absent(res, "Content-Type", mime_type_for_path(name));

    // ----- decisions (the validator views die with the next header change) -----
    const request_conditions cond{req.header_or("if-none-match", {}), req.header_or("if-modified-since", {}),
                                  req.header_or("cache-control", {}), req.header_or("if-match", {}),
                                  req.header_or("if-unmodified-since", {})};
    const response_validators val{res.get("ETag").value_or(std::string_view{}),
                                  res.get("Last-Modified").value_or(std::string_view{})};
    const bool conditional = !cond.if_none_match.empty() || !cond.if_modified_since.empty() ||
                             !cond.if_match.empty() || !cond.if_unmodified_since.empty();
    const bool failed = conditional && precondition_failed(cond, val);
    const bool not_modified = conditional && !failed && fresh(cond, val);
    single_range range{range_status::ignore, {}};
    if (o.accept_ranges) {
        if (const auto h = req.header("range")) {
            range = parse_single_range(*h, size);
            if (range.status != range_status::ignore && !if_range_matches(req.header_or("if-range", {}), val))
                range.status = range_status::ignore;
        }
    }

    if (failed) return outcome::precondition_failed;
    if (not_modified) {
        res.remove("Content-Type");
        res.status(304);
        res.end();
        return outcome::done;
    }
    job.offset = 0;
    job.length = size;
    if (range.status == range_status::unsatisfiable) {
        std::string cr;
        content_range_unsatisfied_append(cr, size);
        res.set("Content-Range", cr);
        return outcome::unsatisfiable;
    }
    if (range.status == range_status::ok) {
        std::string cr;
        content_range_append(cr, range.range, size);
        res.set("Content-Range", cr);
        res.status(206);
        job.offset = range.range.first;
        job.length = range.range.length();
    }
    res.stream_length(job.length);
    if (m == method::head || job.length == 0) {
        res.end();
        return outcome::done;
    }
    if (job.length <= chunk_size) {
        // Small: one piece, sent with the head by the connection (and corked with
        // other pipelined answers) — no coroutine round trip needed.
        scratch& sc = thread_scratch();
        if (sc.chunk.size() < chunk_size) sc.chunk.resize(chunk_size);
        read_exact(job.file.fd(), sc.chunk.data(), static_cast<std::size_t>(job.length), job.offset);
        res.write(std::string_view(sc.chunk.data(), static_cast<std::size_t>(job.length)));
        res.end();
        return outcome::done;
    }
    return outcome::stream;
}

// Writes job.length bytes from job.offset, flushing after every piece but the last
// (the connection sends that one when the response finishes).
inline asio::awaitable<void> stream_body(response& res, body_job& job) {
    std::uint64_t offset = job.offset;
    std::uint64_t left = job.length;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk_size));
        scratch& s = thread_scratch();  // fetched again after every resumption
        if (s.chunk.size() < chunk_size) s.chunk.resize(chunk_size);
        read_exact(job.file.fd(), s.chunk.data(), n, offset);
        res.write(std::string_view(s.chunk.data(), n));
        offset += n;
        left -= n;
        if (left == 0) break;
        co_await res.flush();
    }
    res.end();
}


}  // namespace file_detail

namespace file_detail {

// send_file, with `disposition` (when not empty) as the Content-Disposition of a file
// answer (200/206) — not of a 304, 412 or 416, which describe no download (Express's
// download sets it through send's 'headers' event; send's errors clear it again).
inline asio::awaitable<void> send_file_as(request& req, response& res, std::string_view path, send_file_options o,
                                          std::string disposition) {
    if (path.empty()) throw std::invalid_argument("send_file: the path is required");
    if (o.root.empty() && path.front() != '/')
        throw std::invalid_argument("send_file: the path must be absolute or a root given (Express: path must be absolute or specify root to res.sendFile)");
    if (path.find('\0') != std::string_view::npos) throw http_error(400, "Bad Request");
    // send's UP_PATH_REGEXP also takes '\\' as a separator: "..\\x" is refused too.
    for (std::size_t i = path.find(".."); i != std::string_view::npos; i = path.find("..", i + 1)) {
        const bool before = i == 0 || path[i - 1] == '/' || path[i - 1] == '\\';
        const bool after = i + 2 == path.size() || path[i + 2] == '/' || path[i + 2] == '\\';
        const bool backslash = (i > 0 && path[i - 1] == '\\') || (i + 2 < path.size() && path[i + 2] == '\\');
        if (before && after && backslash) throw http_error(403, "Forbidden");
    }
    // send's checks: ".." anywhere is malicious (with a root: once normalised, leaving
    // it); a segment starting with '.' is a dotfile (only those below the root count).
    std::string fs;
    bool dotfile = false;
    int depth = 0;
    const bool trailing_slash = path.back() == '/';
    if (!o.root.empty()) {
        fs.assign(o.root);
        while (fs.size() > 1 && fs.back() == '/') fs.pop_back();
    }
    const std::size_t root_length = fs.size();  // the root as written into fs (trailing '/'s dropped)
    std::string_view name;
    for (std::string_view p = path; !p.empty();) {
        const std::size_t slash = p.find('/');
        const std::string_view seg = p.substr(0, slash);
        p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash + 1);
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (o.root.empty() || --depth < 0) throw http_error(403, "Forbidden");
            const std::size_t cut = fs.rfind('/');
            fs.resize(cut == std::string::npos ? 0 : cut);
            continue;
        }
        if (!o.root.empty()) ++depth;
        fs.push_back('/');
        fs.append(seg);
    }
    if (fs.empty()) fs = o.root.empty() ? "/" : std::string(o.root);
    // Dotfiles: the segments of the normalised path (below the root when there is one).
    {
        std::string_view below = std::string_view(fs).substr(std::min(fs.size(), root_length));
        for (std::string_view p = below; !p.empty();) {
            const std::size_t slash = p.find('/');
            const std::string_view seg = p.substr(0, slash);
            p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash + 1);
            if (seg.size() > 1 && seg.front() == '.') dotfile = true;
        }
    }
    if (dotfile) {
        if (o.dotfiles == dotfiles_policy::deny) throw http_error(403, "Forbidden");
        if (o.dotfiles == dotfiles_policy::ignore) throw http_error(404, "Not Found");
    }
    if (trailing_slash) fs.append("/index.html");  // send: a directory path serves its index
    const std::size_t last = fs.rfind('/');
    name = std::string_view(fs).substr(last == std::string::npos ? 0 : last + 1);

    const answer_options ao{o.etag, o.last_modified, o.max_age, o.cache_control, o.immutable, o.accept_ranges};
    body_job job;
    const outcome what = open_and_answer(fs.c_str(), name, ao, req, res, job);
    switch (what) {
        case outcome::missing:
        case outcome::directory:  // Express: EISDIR goes on to the next routes, which end in a 404
            throw http_error(404, "Not Found");
        case outcome::forbidden:
            throw http_error(403, "Forbidden");
        // As send's errors reach Express's next(err): the file's headers stay.
        case outcome::precondition_failed:
            throw http_error(412, "Precondition Failed");
        case outcome::unsatisfiable:
            throw http_error(416, "Range Not Satisfiable");
        case outcome::done:
        case outcome::stream:
            break;
    }
    if (!disposition.empty() && (res.status() == 200 || res.status() == 206)) res.set("Content-Disposition", disposition);
    if (what == outcome::stream) co_await stream_body(res, job);
}

}  // namespace file_detail

// Express's res.sendFile(path, options), as a coroutine the handler awaits (see the
// top of this file for what is thrown). Only GET and HEAD send the body; other
// methods get the headers and the body as well, as Express does.
inline asio::awaitable<void> send_file(request& req, response& res, std::string_view path, send_file_options o = {}) {
    return file_detail::send_file_as(req, res, path, o, {});
}

// Express's res.download(path, filename, options): send_file with
// `Content-Disposition: attachment; filename=...` (content_disposition.hpp) naming
// `filename`, or the file's own base name when it is empty. A relative path without a
// root is taken from the working directory, as Express resolves it.
inline asio::awaitable<void> download(request& req, response& res, std::string_view path, std::string_view filename = {},
                                      send_file_options o = {}) {
    std::string resolved;
    if (o.root.empty() && !path.empty() && path.front() != '/') {
        char cwd[4096];
        if (::getcwd(cwd, sizeof cwd) == nullptr) throw std::system_error(errno, std::generic_category(), "download: getcwd");
        resolved.assign(cwd).append("/").append(path);
        path = resolved;
    }
    co_await file_detail::send_file_as(req, res, path, o, content_disposition(path_basename(filename.empty() ? path : filename)));
}

}  // namespace http

using http::download;
using http::send_file;

}  // namespace duet
