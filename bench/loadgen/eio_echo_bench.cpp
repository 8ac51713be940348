// bench/loadgen/eio_echo_bench — Engine.IO v4 echo load generator (WebSocket transport).
//
//   eio_echo_bench --port P [--connections N] [--duration S] [--size BYTES] [--binary]
//                  [--pipeline K] [--path /engine.io/] [--server-pid PID] ...
//   (eio_echo_bench --help lists every option)
//
// Opens N Engine.IO sessions over WebSocket to 127.0.0.1:P (loopback only), all on one
// io_context run by one thread, so the generator's own CPU use (reported) shows when
// the client, not the server, is the limit. Once every session is open, each keeps K
// messages in flight for S seconds: it sends K, and sends the next one whenever an
// echo comes back. Every echo is checked against what was sent (frame type, size,
// bytes: each message carries its connection id and sequence number), and its round
// trip (from queueing the send to reading the echo) goes into a log-bucket histogram
// (<1% relative error). After the window, the messages still in flight are awaited and
// checked, then the sessions are closed.
//
// Output: a human summary, then one machine-readable line `RESULT {json}`. Exit status
// 0 when every echo matched and none was lost; 1 when some did not (the summary says
// FAILED and why); 2 on bad usage or when sessions could not be opened or were closed
// by the server.
//
// With --server-pid, the server's CPU time is read from /proc/<pid>/stat at the start
// and the end of the measured window, so server and generator CPU cover the same
// interval; "other" is the rest of the machine's busy time from /proc/stat.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ws_client.hpp"

namespace {

// Measurement helpers shared with sio_bench live in ws_client.hpp.
using duet::loadgen::fmt_count;
using duet::loadgen::fmt_latency_ns;
using duet::loadgen::json_escape;
using duet::loadgen::log_histogram;
using duet::loadgen::machine_busy_seconds;
using duet::loadgen::proc_cpu_seconds;
using duet::loadgen::self_cpu;

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;


struct options {
    unsigned port = 0;
    std::size_t connections = 100;
    double duration = 10;
    std::size_t size = 32;
    bool binary = false;
    std::size_t pipeline = 1;
    std::string path = "/engine.io/";
    long server_pid = 0;
    double connect_timeout = 15;
    double drain_timeout = 5;
    std::size_t connect_concurrency = 128;
    bool quiet = false;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "eio_echo_bench: %s (see --help)\n", msg.c_str());
    std::exit(2);
}

void print_usage() {
    std::puts(
        "usage: eio_echo_bench --port P [options]\n"
        "\n"
        "Engine.IO v4 echo load generator (WebSocket transport, 127.0.0.1 only).\n"
        "\n"
        "  --port P                  server port on 127.0.0.1 (required)\n"
        "  --connections N           Engine.IO sessions, one WebSocket each (default 100)\n"
        "  --duration S              measured window in seconds, may be fractional (default 10)\n"
        "  --size BYTES              message size in bytes (default 32)\n"
        "  --binary                  send binary messages (default: text)\n"
        "  --pipeline K              messages in flight per session (default 1)\n"
        "  --path PATH               Engine.IO path (default /engine.io/)\n"
        "  --server-pid PID          also measure that process's CPU over the window\n"
        "  --connect-timeout S       time allowed to open every session (default 15)\n"
        "  --drain-timeout S         time allowed for in-flight echoes after the window (default 5)\n"
        "  --connect-concurrency N   handshakes in progress at once (default 128)\n"
        "  --quiet                   print only the RESULT line\n"
        "  -h, --help                this text\n"
        "\n"
        "Prints a summary and `RESULT {json}`. Exit 0: all echoes matched; 1: mismatched or\n"
        "lost echoes; 2: usage error, sessions not opened, or a session closed by the server.");
}

options parse_args(int argc, char** argv) {
    options o;
    bool have_port = false;
    for (duet::loadgen::arg_reader args(argc, argv, usage_error); args.next();) {
        const std::string& a = args.name();
        auto val = [&] { return args.value(); };
        auto uint = [&](std::uint64_t min, std::uint64_t max) { return args.integer(min, max); };
        auto seconds = [&](double min) { return args.number(min, 86400, "a number of seconds"); };
        if (a == "--port") o.port = static_cast<unsigned>(uint(1, 65535)), have_port = true;
        else if (a == "--connections" || a == "-c") o.connections = uint(1, 1'000'000);
        else if (a == "--duration" || a == "-d") o.duration = seconds(0.1);
        else if (a == "--size") o.size = uint(1, std::size_t{1} << 30);
        else if (a == "--binary") o.binary = true;
        else if (a == "--text") o.binary = false;
        else if (a == "--pipeline") o.pipeline = uint(1, 1'000'000);
        else if (a == "--path") {
            o.path = val();
            if (o.path.empty() || o.path[0] != '/') usage_error("--path must start with '/'");
        } else if (a == "--server-pid") o.server_pid = static_cast<long>(uint(1, 1u << 30));
        else if (a == "--connect-timeout") o.connect_timeout = seconds(0.1);
        else if (a == "--drain-timeout") o.drain_timeout = seconds(0);
        else if (a == "--connect-concurrency") o.connect_concurrency = uint(1, 1'000'000);
        else if (a == "--quiet") o.quiet = true;
        else if (a == "-h" || a == "--help") print_usage(), std::exit(0);
        else usage_error("unknown option " + a);
    }
    if (!have_port) usage_error("--port is required");
    return o;
}

// ---------------------------------------------------------------------------------
// Message content. Each message is a fixed base pattern of `size` bytes whose first
// bytes (the stamp) encode (connection id << 40 | sequence number): 11 characters of
// a 64-letter alphabet for text, 8 raw little-endian bytes for binary. The binary base
// pattern runs through all 256 byte values, so a binary echo that went through a text
// path (UTF-8 checks, string conversion) does not match.
// ---------------------------------------------------------------------------------
constexpr char alphabet64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t text_stamp = 11;
constexpr std::size_t binary_stamp = 8;

struct message_format {
    bool binary;
    std::size_t size;
    std::string base;  // size bytes

    message_format(bool bin, std::size_t n) : binary(bin), size(n), base(n, '\0') {
        for (std::size_t i = 0; i < n; ++i)
            base[i] = bin ? static_cast<char>(static_cast<unsigned char>(i * 131 + 7))
                          : alphabet64[(i * 7 + 3) % 64];
    }
    std::size_t stamp_size() const noexcept { return std::min(size, binary ? binary_stamp : text_stamp); }
    // Writes the stamp of (conn, seq) to `out` (stamp_size() bytes).
    void stamp(char* out, std::uint32_t conn, std::uint64_t seq) const noexcept {
        const std::uint64_t v = (std::uint64_t{conn} << 40) ^ seq;
        const std::size_t n = stamp_size();
        if (binary) {
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(v >> (8 * i));
        } else {
            for (std::size_t i = 0; i < n; ++i) out[i] = alphabet64[(v >> (6 * i)) & 63];
        }
    }
    // The inverse of stamp(); nullopt when the stamp is cut short (tiny messages) or has
    // a character outside the alphabet.
    std::optional<std::uint64_t> unstamp(const char* in) const noexcept {
        const std::size_t n = stamp_size();
        std::uint64_t v = 0;
        if (binary) {
            if (n < binary_stamp) return std::nullopt;
            for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
            return v;
        }
        if (n < text_stamp) return std::nullopt;
        for (std::size_t i = 0; i < n; ++i) {
            const char* p = std::strchr(alphabet64, in[i]);
            if (!p || !*p) return std::nullopt;
            v |= static_cast<std::uint64_t>(p - alphabet64) << (6 * i);
        }
        return v;
    }
};

// ---------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------
enum class phase { connecting, running, draining, done };

struct bench;

struct connection : duet::loadgen::eio_client<connection> {
    connection(asio::io_context& io, const duet::loadgen::client_options& o, bench& b, std::uint32_t id,
               std::size_t pipeline)
        : eio_client(io, o), b(b), id(id), sent_at(pipeline) {}

    void on_eio_open(const duet::loadgen::eio_open_info&);
    void on_eio_message(std::string_view data, bool binary);
    void on_eio_closed(std::string_view why, bool by_us);

    void send_one();

    bench& b;
    std::uint32_t id;
    std::vector<clock_type::time_point> sent_at;  // ring: sequence % pipeline
    std::uint64_t next_send = 0;                   // sequence of the next message to send
    std::uint64_t next_echo = 0;                   // sequence of the next echo expected
    bool opened = false;
    bool drained = false;
};

struct bench {
    options opt;
    duet::loadgen::client_options copt;
    asio::io_context io{1};
    message_format fmt;
    std::string tx;  // "4"+message for text, the message for binary; the stamp is rewritten per send
    std::size_t tx_stamp_at;
    std::vector<std::unique_ptr<connection>> conns;
    asio::steady_timer timer{io};

    phase ph = phase::connecting;
    std::size_t started = 0, opened = 0, in_handshake = 0, drained = 0;
    std::string fatal;  // a reason to give up (exit 2)
    std::optional<duet::loadgen::eio_open_info> first_open;

    clock_type::time_point t_connect, t0, t1, t_end;
    self_cpu cpu0, cpu1;
    std::optional<double> srv0, srv1, busy0, busy1;

    log_histogram hist;
    std::uint64_t counted = 0;       // echoes received inside the window
    std::uint64_t echoed_total = 0;  // every echo received
    std::uint64_t sent_total = 0;
    std::vector<std::uint64_t> per_second;
    std::uint64_t mismatches = 0, bad_type = 0, bad_size = 0, bad_bytes = 0, missing = 0;
    int mismatch_reports = 0;

    explicit bench(options o)
        : opt(std::move(o)), fmt(opt.binary, opt.size) {
        copt.host = "127.0.0.1";
        copt.port = static_cast<std::uint16_t>(opt.port);
        copt.target = duet::loadgen::eio_target(opt.path);
        copt.max_message_size = std::max<std::size_t>(opt.size + 64, std::size_t{1} << 20);
        copt.read_buffer_size = std::clamp<std::size_t>((opt.size + 16) * std::min<std::size_t>(opt.pipeline, 8),
                                                        4096, std::size_t{1} << 20);
        tx_stamp_at = opt.binary ? 0 : 1;
        tx = opt.binary ? fmt.base : "4" + fmt.base;
    }

    void give_up(std::string why) {
        if (fatal.empty()) fatal = std::move(why);
        ph = phase::done;
        timer.cancel();
        for (auto& c : conns) c->abort("benchmark stopped");
        io.stop();
    }

    void start() {
        conns.reserve(opt.connections);
        for (std::size_t i = 0; i < opt.connections; ++i)
            conns.push_back(std::make_unique<connection>(io, copt, *this, static_cast<std::uint32_t>(i), opt.pipeline));
        t_connect = clock_type::now();
        timer.expires_after(std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(opt.connect_timeout)));
        timer.async_wait([this](const asio::error_code& ec) {
            if (ec || ph != phase::connecting) return;
            give_up("only " + std::to_string(opened) + " of " + std::to_string(opt.connections) +
                    " sessions opened within " + fmt_seconds(opt.connect_timeout) + " (--connect-timeout)");
        });
        start_more();
    }

    static std::string fmt_seconds(double s) {
        char b[32];
        std::snprintf(b, sizeof b, "%gs", s);
        return b;
    }

    void start_more() {
        while (ph == phase::connecting && started < conns.size() && in_handshake < opt.connect_concurrency) {
            ++in_handshake;
            conns[started++]->start();
        }
    }

    void session_opened(connection& c, const duet::loadgen::eio_open_info& info) {
        if (!first_open) first_open = info;
        --in_handshake;
        ++opened;
        c.opened = true;
        if (opened == conns.size()) begin_run();
        else start_more();
    }

    void begin_run() {
        timer.cancel();
        ph = phase::running;
        const double secs = opt.duration;
        per_second.assign(static_cast<std::size_t>(std::ceil(secs)) + 1, 0);
        busy0 = machine_busy_seconds();
        if (opt.server_pid) srv0 = proc_cpu_seconds(opt.server_pid);
        cpu0 = self_cpu::now();
        t0 = clock_type::now();
        for (auto& c : conns) {
            c->auto_flush(false);  // K sends, one write
            for (std::size_t k = 0; k < opt.pipeline; ++k) c->send_one();
            c->flush();
            c->auto_flush(true);
        }
        timer.expires_at(t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(secs)));
        timer.async_wait([this](const asio::error_code& ec) {
            if (!ec && ph == phase::running) end_window();
        });
    }

    void end_window() {
        t1 = clock_type::now();
        cpu1 = self_cpu::now();
        if (opt.server_pid) srv1 = proc_cpu_seconds(opt.server_pid);
        busy1 = machine_busy_seconds();
        ph = phase::draining;
        for (auto& c : conns)
            if (c->next_echo == c->next_send) conn_drained(*c);
        if (ph != phase::draining) return;
        timer.expires_after(std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(opt.drain_timeout)));
        timer.async_wait([this](const asio::error_code& ec) {
            if (!ec && ph == phase::draining) finish();
        });
    }

    void conn_drained(connection& c) {
        if (c.drained) return;
        c.drained = true;
        if (++drained == conns.size()) finish();
    }

    void finish() {
        t_end = clock_type::now();
        ph = phase::done;
        timer.cancel();
        for (auto& c : conns) c->abort("benchmark finished");
    }

    void echo(connection& c, std::string_view data, bool binary) {
        const auto now = clock_type::now();
        ++echoed_total;
        if (c.next_echo == c.next_send) {
            report_mismatch(c, "an echo arrived with no message in flight");
            ++mismatches;
            return;
        }
        std::uint64_t seq = c.next_echo;
        std::uint64_t skipped = 0;
        if (!matches(c, seq, data, binary)) {
            // A later message of this connection, intact: the ones before it never came
            // back. Count them as missing and go on from there, instead of counting every
            // later echo as a mismatch.
            if (const auto later = later_message(c, data, binary)) {
                skipped = *later - seq;
                missing += skipped;
                report_mismatch(c, (skipped == 1 ? "message " + std::to_string(seq)
                                                 : "messages " + std::to_string(seq) + ".." + std::to_string(*later - 1)) +
                                       " never came back; message " + std::to_string(*later) + " did");
                seq = *later;
            } else {
                count_mismatch(c, seq, data, binary);
            }
        }
        c.next_echo = seq + 1;
        if (ph == phase::running) {
            const auto lat = std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sent_at[seq % opt.pipeline]);
            hist.record(static_cast<std::uint64_t>(std::max<std::int64_t>(lat.count(), 0)));
            ++counted;
            const auto sec = static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(now - t0).count());
            if (sec < per_second.size()) ++per_second[sec];
            for (std::uint64_t i = 0; i <= skipped; ++i) c.send_one();  // keep K in flight
        } else if (ph == phase::draining && c.next_echo == c.next_send) {
            conn_drained(c);
        }
    }

    bool matches(connection& c, std::uint64_t seq, std::string_view data, bool binary) const {
        if (binary != fmt.binary || data.size() != fmt.size) return false;
        char st[16];
        fmt.stamp(st, c.id, seq);
        const std::size_t ns = fmt.stamp_size();
        return std::memcmp(data.data(), st, ns) == 0 &&
               std::memcmp(data.data() + ns, fmt.base.data() + ns, fmt.size - ns) == 0;
    }

    // When `data` is an intact message of `c` sent after the one expected (and still
    // in flight), its sequence number.
    std::optional<std::uint64_t> later_message(connection& c, std::string_view data, bool binary) const {
        if (binary != fmt.binary || data.size() != fmt.size) return std::nullopt;
        const auto v = fmt.unstamp(data.data());
        if (!v) return std::nullopt;
        const std::uint64_t seq = *v & ((std::uint64_t{1} << 40) - 1);
        if ((*v >> 40) != c.id || seq <= c.next_echo || seq >= c.next_send) return std::nullopt;
        if (!matches(c, seq, data, binary)) return std::nullopt;
        return seq;
    }

    void count_mismatch(connection& c, std::uint64_t seq, std::string_view data, bool binary) {
        ++mismatches;
        if (binary != fmt.binary) {
            ++bad_type;
            report_mismatch(c, std::string("message ") + std::to_string(seq) + " came back as " +
                                   (binary ? "binary" : "text") + ", sent as " + (fmt.binary ? "binary" : "text"));
        } else if (data.size() != fmt.size) {
            ++bad_size;
            report_mismatch(c, "message " + std::to_string(seq) + " came back with " + std::to_string(data.size()) +
                                   " bytes, sent " + std::to_string(fmt.size));
        } else {
            ++bad_bytes;
            std::string want(fmt.base);
            fmt.stamp(want.data(), c.id, seq);
            std::size_t at = 0;
            while (at < data.size() && data[at] == want[at]) ++at;
            report_mismatch(c, "message " + std::to_string(seq) + " came back with different bytes (first at offset " +
                                   std::to_string(at) + ")");
        }
    }

    void report_mismatch(connection& c, const std::string& what) {
        if (mismatch_reports++ < 5)
            std::fprintf(stderr, "eio_echo_bench: MISMATCH on connection %u: %s\n", c.id, what.c_str());
    }

    void closed(connection& c, std::string_view why, bool by_us) {
        if (by_us || ph == phase::done) return;
        std::string msg = "connection " + std::to_string(c.id) + ": " + std::string(why);
        const std::size_t wire = fmt.size + (fmt.binary ? 0 : 1);  // text goes out as "4" + data
        if (first_open && first_open->max_payload && wire > first_open->max_payload)
            msg += "; note: the messages (" + std::to_string(wire) + " bytes as packets) exceed the server's maxPayload (" +
                   std::to_string(first_open->max_payload) + ")";
        if (ph == phase::connecting) {
            give_up(msg + (c.opened ? "" : " (while opening the session)"));
        } else {
            give_up(msg + " (during the " + (ph == phase::running ? "measured window" : "drain after it") + ")");
        }
    }
};

void connection::send_one() {
    std::string& tx = b.tx;
    b.fmt.stamp(tx.data() + b.tx_stamp_at, id, next_send);
    sent_at[next_send % sent_at.size()] = clock_type::now();
    ++next_send;
    ++b.sent_total;
    if (b.fmt.binary) send_binary(std::as_bytes(std::span(tx.data(), tx.size())));
    else send_text(std::string_view(tx));  // already "4" + data: one copy fewer than send_message()
}
void connection::on_eio_open(const duet::loadgen::eio_open_info& info) { b.session_opened(*this, info); }
void connection::on_eio_message(std::string_view data, bool binary) { b.echo(*this, data, binary); }
void connection::on_eio_closed(std::string_view why, bool by_us) { b.closed(*this, why, by_us); }

// ---------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------



}  // namespace

int main(int argc, char** argv) {
    const options o = parse_args(argc, argv);
    bench b(o);
    b.start();
    b.io.run();

    const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    if (!b.fatal.empty()) {
        std::fprintf(stderr, "eio_echo_bench: FAILED: %s\n", b.fatal.c_str());
        std::printf("RESULT {\"ok\":false,\"error\":\"%s\"}\n", json_escape(b.fatal).c_str());
        return 2;
    }

    const double window = secs(b.t1 - b.t0);
    const double rate = static_cast<double>(b.counted) / window;
    // Lost: messages whose echo never came, either skipped (a later echo of the same
    // session arrived instead) or still unanswered when the drain time ran out.
    std::uint64_t unanswered = 0;
    for (const auto& c : b.conns) unanswered += c->next_send - c->next_echo;
    const std::uint64_t lost = b.missing + unanswered;
    std::uint64_t pings = 0;
    for (const auto& c : b.conns) pings += c->pings_answered();
    const double gen_user = b.cpu1.user - b.cpu0.user, gen_sys = b.cpu1.sys - b.cpu0.sys;
    const double gen_cpu = gen_user + gen_sys;
    std::optional<double> srv_cpu, other_cpu;
    if (b.srv0 && b.srv1) srv_cpu = *b.srv1 - *b.srv0;
    if (b.busy0 && b.busy1) other_cpu = std::max(0.0, *b.busy1 - *b.busy0 - gen_cpu - srv_cpu.value_or(0));
    const bool ok = b.mismatches == 0 && lost == 0;
    // Per-second rates over the full seconds of the window (the last partial second is left out).
    std::vector<std::uint64_t> full(b.per_second.begin(),
                                    b.per_second.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                                               b.per_second.size(), static_cast<std::size_t>(window))));
    const auto [mn, mx] = full.empty() ? std::pair<std::uint64_t, std::uint64_t>{0, 0}
                                       : std::pair{*std::min_element(full.begin(), full.end()),
                                                   *std::max_element(full.begin(), full.end())};
    const double p50 = b.hist.quantile(0.50), p90 = b.hist.quantile(0.90), p99 = b.hist.quantile(0.99),
                 p999 = b.hist.quantile(0.999);
    const auto& oi = *b.first_open;

    if (!o.quiet) {
        std::printf("eio_echo_bench: ws://127.0.0.1:%u%s  %zu sessions, pipeline %zu, %zu-byte %s messages, %.2fs window\n",
                    o.port, b.copt.target.c_str(), o.connections, o.pipeline, o.size, o.binary ? "binary" : "text",
                    window);
        std::printf("  open      : %zu sessions in %.3fs; server's open packet: pingInterval %lld, pingTimeout %lld, maxPayload %zu, upgrades [%s]\n",
                    b.opened, secs(b.t0 - b.t_connect), static_cast<long long>(oi.ping_interval.count()),
                    static_cast<long long>(oi.ping_timeout.count()), oi.max_payload,
                    [&] { std::string s; for (auto& u : oi.upgrades) s += (s.empty() ? "" : ",") + u; return s; }().c_str());
        std::printf("  messages  : %s echoed in the window = %s msg/s (full seconds: min %s, max %s)\n",
                    fmt_count(static_cast<double>(b.counted)).c_str(), fmt_count(rate).c_str(),
                    fmt_count(static_cast<double>(mn)).c_str(), fmt_count(static_cast<double>(mx)).c_str());
        std::printf("  latency   : p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s  (send queued -> echo read)\n",
                    fmt_latency_ns(p50).c_str(), fmt_latency_ns(p90).c_str(), fmt_latency_ns(p99).c_str(), fmt_latency_ns(p999).c_str(),
                    fmt_latency_ns(static_cast<double>(b.hist.max())).c_str(), fmt_latency_ns(b.hist.mean()).c_str());
        std::printf("  checks    : %" PRIu64 " sent, %" PRIu64 " echoes checked, %" PRIu64 " mismatched, %" PRIu64
                    " lost (%" PRIu64 " skipped, %" PRIu64 " unanswered %gs after the window), %" PRIu64
                    " pings answered\n",
                    b.sent_total, b.echoed_total, b.mismatches, lost, b.missing, unanswered, o.drain_timeout, pings);
        std::printf("  cpu       : loadgen %.0f%% of one core (user %.2fs, sys %.2fs)", 100 * gen_cpu / window, gen_user,
                    gen_sys);
        if (srv_cpu) std::printf(", server pid %ld %.0f%%", o.server_pid, 100 * *srv_cpu / window);
        if (other_cpu) std::printf(", rest of machine %.0f%%", 100 * *other_cpu / window);
        std::printf("\n");
    }

    std::string j = "{";
    auto add = [&](const char* k, const std::string& v) {
        if (j.size() > 1) j += ',';
        j += '"';
        j += k;
        j += "\":";
        j += v;
    };
    auto num = [](double x) {
        char s[48];
        std::snprintf(s, sizeof s, "%.6g", x);
        return std::string(s);
    };
    auto opt_num = [&](const std::optional<double>& x) { return x ? num(*x) : std::string("null"); };
    add("ok", ok ? "true" : "false");
    add("target", "\"ws://127.0.0.1:" + std::to_string(o.port) + json_escape(b.copt.target) + "\"");
    add("connections", std::to_string(o.connections));
    add("pipeline", std::to_string(o.pipeline));
    add("size", std::to_string(o.size));
    add("binary", o.binary ? "true" : "false");
    add("duration_s", num(window));
    add("connect_s", num(secs(b.t0 - b.t_connect)));
    add("messages", std::to_string(b.counted));
    add("msgs_per_s", num(rate));
    std::string ps = "[";
    for (std::size_t i = 0; i < b.per_second.size(); ++i) ps += (i ? "," : "") + std::to_string(b.per_second[i]);
    add("per_second", ps + "]");
    add("latency_us", "{\"p50\":" + num(p50 / 1e3) + ",\"p90\":" + num(p90 / 1e3) + ",\"p99\":" + num(p99 / 1e3) +
                          ",\"p999\":" + num(p999 / 1e3) + ",\"max\":" + num(static_cast<double>(b.hist.max()) / 1e3) +
                          ",\"min\":" + num(static_cast<double>(b.hist.min()) / 1e3) + ",\"mean\":" + num(b.hist.mean() / 1e3) +
                          ",\"samples\":" + std::to_string(b.hist.count()) + "}");
    add("sent", std::to_string(b.sent_total));
    add("echoed", std::to_string(b.echoed_total));
    add("mismatches", std::to_string(b.mismatches));
    add("mismatch_kinds", "{\"type\":" + std::to_string(b.bad_type) + ",\"size\":" + std::to_string(b.bad_size) +
                              ",\"bytes\":" + std::to_string(b.bad_bytes) + "}");
    add("lost", std::to_string(lost));
    add("lost_kinds", "{\"skipped\":" + std::to_string(b.missing) + ",\"unanswered\":" + std::to_string(unanswered) + "}");
    add("pings_answered", std::to_string(pings));
    add("open", "{\"pingInterval\":" + std::to_string(oi.ping_interval.count()) + ",\"pingTimeout\":" +
                    std::to_string(oi.ping_timeout.count()) + ",\"maxPayload\":" + std::to_string(oi.max_payload) + "}");
    add("loadgen_cpu_s", num(gen_cpu));
    add("loadgen_user_s", num(gen_user));
    add("loadgen_sys_s", num(gen_sys));
    add("loadgen_cpu_pct", num(100 * gen_cpu / window));
    add("server_pid", o.server_pid ? std::to_string(o.server_pid) : "null");
    add("server_cpu_s", opt_num(srv_cpu));
    add("server_cpu_pct", srv_cpu ? num(100 * *srv_cpu / window) : "null");
    add("other_cpu_s", opt_num(other_cpu));
    add("other_cpu_pct", other_cpu ? num(100 * *other_cpu / window) : "null");
    j += '}';
    std::printf("RESULT %s\n", j.c_str());
    std::fflush(stdout);

    if (!ok) {
        std::fprintf(stderr, "eio_echo_bench: FAILED: %" PRIu64 " mismatched echoes (type %" PRIu64 ", size %" PRIu64
                             ", bytes %" PRIu64 "), %" PRIu64 " lost\n",
                     b.mismatches, b.bad_type, b.bad_size, b.bad_bytes, lost);
        return 1;
    }
    return 0;
}
