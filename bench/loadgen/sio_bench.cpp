// bench/loadgen/sio_bench — Socket.IO v5 load generator (WebSocket transport).
//
//   sio_bench echo   --port P [--connections 100] [--duration 10] [--pipeline 1] [--size 32]
//   sio_bench fanout --port P [--subscribers 10000] [--emits 20] [--interval 100] [--size 0]
//   sio_bench idle   --port P [--connections 10000] [--settle 2] --server-pid PID
//   (sio_bench --help lists every option)
//   --parser msgpack  speaks socket.io-msgpack-parser (built with msgpuck, DUET_LOADGEN_MSGPACK)
//
// Every connection is a Socket.IO client of namespace "/" over the WebSocket transport
// (ws://127.0.0.1:P/socket.io/?EIO=4&transport=websocket, then CONNECT), built on
// ws_client.hpp's sio_client. Connections are opened --connect-concurrency at a time;
// the measurement starts once every one of them is connected (and, for fanout, has
// joined the room). The server is expected to implement bench/sio/bench_server.cpp's
// events ("echo", "join", "fanout").
//
// Modes:
//  echo    Each connection keeps K `emit("echo", "<payload>")` in flight for S seconds:
//          it sends K, and the next one whenever an echo comes back. Every echo is
//          checked byte for byte (each payload carries its connection and sequence
//          number); the round trip (send queued -> echo read) goes into a log-bucket
//          histogram (<1% error). Reports msgs/s and p50/p90/p99/p99.9.
//  fanout  M subscribers each emit "join" "r" with an ack and wait for `true`; then one
//          more connection, the publisher (not in the room), emits
//          `fanout("r", {"seq":i,"t":<send time ns>})` W+N times: each emit waits until
//          every subscriber has received the previous one (or --emit-timeout passed),
//          then --interval ms. For each of the N measured emits (the W warm-up emits
//          are checked but not measured): the time from the publisher's send to the
//          LAST subscriber's receipt, and the median over subscribers. Every subscriber
//          must receive every emit exactly once with the right seq and timestamp.
//          With --burst B (sustained broadcast), after those the publisher emits B more
//          back to back (one write): deliveries per second (B x M over the time from the
//          first send to the last receipt) and the time until the last subscriber got
//          the last message, with the CPU of that window; checked the same way.
//  idle    Opens N connections, waits --settle seconds, and reads the server's VmRSS
//          (/proc/<pid>/status) before connecting and after: (after - before) / N is
//          the server's resident memory per idle Socket.IO connection.
//
// Threads: --threads T runs T io_contexts on T threads (connections spread round-robin);
// the default is one. getrusage covers every thread, so the reported loadgen CPU is the
// whole generator's. With more connections than one source address has ephemeral ports
// for, --source-addresses K connects from 127.0.0.1..127.0.0.K (the default picks K from
// the connection count: one address per 20,000 connections).
//
// Parser: --parser json (default) or msgpack. With msgpack every packet is one binary
// message (ws_client.hpp's sio_client with set_msgpack(true)); echo emits are prebuilt
// msgpack bytes with the stamp rewritten in place, as the JSON path does with its text.
// Received packets are decoded and their data turned back into JSON text for the same
// checks, which costs load-generator CPU (not server CPU): watch the loadgen's CPU
// figure, a client-bound run shows there.
//
// Output: a human summary, then one machine-readable line `RESULT {json}`. Exit status
// 0 when every check passed; 1 when messages were lost, duplicated or mismatched (the
// summary says FAILED and why); 2 on bad usage, or when connections could not be opened
// or were closed by the server.
//
// With --server-pid, the server's CPU time is read from /proc/<pid>/stat at the start and
// the end of the measured window, so server and generator CPU cover the same interval;
// "other" is the rest of the machine's busy time from /proc/stat.
//
// Several servers (bench/cluster: two nodes joined through Redis): in fanout mode
// --publisher-port puts the publisher on another server than --port, and
// --subscriber-ports P1,P2,... spreads the subscribers over several servers (round-robin);
// --watch NAME=PID (repeatable) reads more processes' CPU over the same windows as the
// server's (the measured emits, the burst), reported per process ("watched" in the JSON)
// and left out of "other".
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ws_client.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace lg = duet::loadgen;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}
clock_type::duration seconds_d(double s) {
    return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}
double secs(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }

// ---------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------
enum class mode { echo, fanout, idle };

struct options {
    mode m = mode::echo;
    unsigned port = 0;
    std::string path = "/socket.io/";
    long server_pid = 0;
    std::size_t threads = 1;
    std::size_t source_addresses = 0;  // 0: automatic
    double connect_timeout = 0;        // 0: automatic
    std::size_t connect_concurrency = 128;
    bool quiet = false;
    // echo, idle
    std::size_t connections = 0;  // 0: the mode's default
    // echo
    double duration = 10;
    std::size_t pipeline = 1;
    std::size_t size = 32;  // echo: payload string length; fanout: "pad" string length
    bool size_set = false;
    double drain_timeout = 5;
    // fanout
    std::size_t subscribers = 10000;
    std::size_t emits = 20;
    std::size_t warmup_emits = 2;
    double interval_ms = 100;
    double emit_timeout = 10;
    std::size_t burst = 0;
    double burst_timeout = 120;
    std::string room = "r";
    unsigned publisher_port = 0;                // 0: --port
    std::vector<unsigned> subscriber_ports;     // empty: --port
    // more processes whose CPU is reported: (name, pid)
    std::vector<std::pair<std::string, long>> watch;
    // idle
    double settle = 2;
    double hold = 0;
    // permessage-deflate: offered by every connection; in idle mode each connection
    // first sends one compressed event of this many bytes (0: none), so the server
    // holds whatever inflate state a compressing client costs it.
    bool deflate = false;
    std::size_t deflate_message = 0;
    // socket.io-msgpack-parser instead of the JSON text format
    bool msgpack = false;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "sio_bench: %s (see --help)\n", msg.c_str());
    std::exit(2);
}

void print_usage() {
    std::puts(
        "usage: sio_bench echo|fanout|idle --port P [options]\n"
        "\n"
        "Socket.IO v5 load generator (WebSocket transport, namespace \"/\", 127.0.0.1 only). The server\n"
        "must answer \"echo\" (emit it back), \"join\" (room; ack true) and \"fanout\" (room, payload:\n"
        "io.to(room).emit(\"fanout\", payload)), as bench/sio/bench_server.cpp and socketio_server.js do.\n"
        "\n"
        "common:\n"
        "  --port P                  server port on 127.0.0.1 (required)\n"
        "  --path PATH               Socket.IO path (default /socket.io/)\n"
        "  --server-pid PID          measure that process's CPU (and, for idle, its memory)\n"
        "  --threads T               generator threads, each with its own io_context (default 1)\n"
        "  --source-addresses K      connect from 127.0.0.1..127.0.0.K (default: one per 20,000 connections)\n"
        "  --connect-timeout S       time allowed to connect everything (default 30 + 5ms per connection)\n"
        "  --connect-concurrency N   handshakes in progress at once (default 128)\n"
        "  --quiet                   print only the RESULT line\n"
        "  --parser json|msgpack     Socket.IO parser: socket.io-parser's text (default) or\n"
        "                            socket.io-msgpack-parser (one binary message per packet)\n"
        "echo:\n"
        "  --connections N           Socket.IO connections (default 100)\n"
        "  --duration S              measured window in seconds, may be fractional (default 10)\n"
        "  --pipeline K              emits in flight per connection (default 1)\n"
        "  --size BYTES              length of the echoed string (default 32)\n"
        "  --drain-timeout S         time allowed for in-flight echoes after the window (default 5)\n"
        "fanout:\n"
        "  --subscribers M           connections in the room (default 10000); one more publishes\n"
        "  --emits N                 measured emits (default 20)\n"
        "  --warmup-emits W          emits before those, checked but not measured (default 2)\n"
        "  --interval MS             pause after an emit has reached everyone (default 100)\n"
        "  --emit-timeout S          give up waiting for an emit's delivery after S (default 10)\n"
        "  --burst B                 then B emits back to back: sustained broadcast rate (default 0: none)\n"
        "  --burst-timeout S         give up waiting for the burst's delivery after S (default 120)\n"
        "  --size BYTES              adds a \"pad\" string of that length to the payload (default 0)\n"
        "  --room NAME               the room (default r)\n"
        "  --publisher-port P        the publisher connects to that port (default --port)\n"
        "  --subscriber-ports LIST   subscribers spread round-robin over these ports, e.g. 3001,3002\n"
        "                            (default --port)\n"
        "  --watch NAME=PID          also report that process's CPU over the measured windows (repeatable)\n"
        "idle (needs --server-pid):\n"
        "  --connections N           connections (default 10000)\n"
        "  --settle S                wait after the last connect before reading memory (default 2)\n"
        "  --hold S                  keep the connections open that much longer (default 0)\n"
        "  --deflate                 offer permessage-deflate (client_max_window_bits)\n"
        "  --deflate-message N       then send one compressed event of N bytes per connection before\n"
        "                            idling (implies --deflate; the server must negotiate it)\n"
        "  -h, --help                this text\n"
        "\n"
        "Prints a summary and `RESULT {json}`. Exit 0: every check passed; 1: lost, duplicated or\n"
        "mismatched messages; 2: usage error, connections not opened, or closed by the server.");
}

options parse_args(int argc, char** argv) {
    options o;
    bool have_port = false, have_mode = false;
    for (duet::loadgen::arg_reader args(argc, argv, usage_error); args.next();) {
        const std::string& a = args.name();
        auto val = [&] { return args.value(); };
        auto uint = [&](std::uint64_t min, std::uint64_t max) { return args.integer(min, max); };
        auto number = [&](double min) { return args.number(min, 86400e3, "a number"); };
        if (!have_mode && a.rfind("-", 0) != 0) {
            if (a == "echo") o.m = mode::echo;
            else if (a == "fanout") o.m = mode::fanout;
            else if (a == "idle") o.m = mode::idle;
            else usage_error("unknown mode \"" + a + "\" (echo, fanout or idle)");
            have_mode = true;
        } else if (a == "--port") o.port = static_cast<unsigned>(uint(1, 65535)), have_port = true;
        else if (a == "--path") {
            o.path = val();
            if (o.path.empty() || o.path[0] != '/') usage_error("--path must start with '/'");
        } else if (a == "--server-pid") o.server_pid = static_cast<long>(uint(1, 1u << 30));
        else if (a == "--threads") o.threads = uint(1, 64);
        else if (a == "--source-addresses") o.source_addresses = uint(1, 254);
        else if (a == "--connect-timeout") o.connect_timeout = number(0.1);
        else if (a == "--connect-concurrency") o.connect_concurrency = uint(1, 1'000'000);
        else if (a == "--quiet") o.quiet = true;
        else if (a == "--parser") {
            const std::string v = val();
            if (v == "json") o.msgpack = false;
            else if (v == "msgpack") {
#if DUET_LOADGEN_MSGPACK
                o.msgpack = true;
#else
                usage_error("--parser msgpack: this sio_bench was built without msgpuck");
#endif
            } else usage_error("--parser needs json or msgpack, got \"" + v + "\"");
        }
        else if (a == "--connections" || a == "-c") o.connections = uint(1, 1'000'000);
        else if (a == "--duration" || a == "-d") o.duration = number(0.1);
        else if (a == "--pipeline") o.pipeline = uint(1, 100'000);
        else if (a == "--size") o.size = uint(0, std::size_t{1} << 24), o.size_set = true;
        else if (a == "--drain-timeout") o.drain_timeout = number(0);
        else if (a == "--subscribers") o.subscribers = uint(1, 1'000'000);
        else if (a == "--emits") o.emits = uint(1, 100'000);
        else if (a == "--warmup-emits") o.warmup_emits = uint(0, 100'000);
        else if (a == "--interval") o.interval_ms = number(0);
        else if (a == "--emit-timeout") o.emit_timeout = number(0.01);
        else if (a == "--burst") o.burst = uint(0, 1'000'000);
        else if (a == "--burst-timeout") o.burst_timeout = number(0.1);
        else if (a == "--room") {
            o.room = val();
            for (char c : o.room)
                if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) usage_error("--room: plain characters only");
        } else if (a == "--publisher-port") o.publisher_port = static_cast<unsigned>(uint(1, 65535));
        else if (a == "--subscriber-ports") {
            const std::string v = val();
            std::size_t from = 0;
            while (from <= v.size()) {
                const std::size_t comma = std::min(v.find(',', from), v.size());
                const std::string one = v.substr(from, comma - from);
                char* end = nullptr;
                const unsigned long p = std::strtoul(one.c_str(), &end, 10);
                if (one.empty() || *end || p < 1 || p > 65535) usage_error("--subscriber-ports: bad port \"" + one + "\"");
                o.subscriber_ports.push_back(static_cast<unsigned>(p));
                from = comma + 1;
            }
        } else if (a == "--watch") {
            const std::string v = val();
            const std::size_t eq = v.find('=');
            char* end = nullptr;
            const long pid = eq == std::string::npos ? 0 : std::strtol(v.c_str() + eq + 1, &end, 10);
            if (eq == 0 || eq == std::string::npos || !end || *end || pid < 1) usage_error("--watch needs NAME=PID, got \"" + v + "\"");
            for (char c : v.substr(0, eq))
                if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) usage_error("--watch: plain characters only in NAME");
            o.watch.emplace_back(v.substr(0, eq), pid);
        } else if (a == "--settle") o.settle = number(0);
        else if (a == "--deflate") o.deflate = true;
        else if (a == "--deflate-message") o.deflate_message = uint(0, std::size_t{1} << 20), o.deflate = true;
        else if (a == "--hold") o.hold = number(0);
        else if (a == "-h" || a == "--help") print_usage(), std::exit(0);
        else usage_error("unknown option " + a);
    }
    if (!have_mode) usage_error("give a mode: echo, fanout or idle");
    if (!have_port) usage_error("--port is required");
    if (o.connections == 0) o.connections = o.m == mode::echo ? 100 : 10000;
    if (o.m == mode::echo && !o.size_set) o.size = 32;
    if (o.m == mode::fanout && !o.size_set) o.size = 0;
    if (o.m == mode::echo && o.size < 1) usage_error("echo: --size must be at least 1");
    if (o.msgpack && o.deflate_message) usage_error("--deflate-message sends a text event: not with --parser msgpack");
    if (o.m == mode::idle && !o.server_pid) usage_error("idle: --server-pid is required (its memory is the figure)");
    if (o.m != mode::fanout && (o.publisher_port || !o.subscriber_ports.empty()))
        usage_error("--publisher-port and --subscriber-ports are for fanout mode");
    return o;
}

// ---------------------------------------------------------------------------------
// Echo payloads: a string of `size` characters of a 64-letter alphabet (nothing JSON
// escapes) whose first 11 characters stamp (connection id << 40 | sequence number).
// ---------------------------------------------------------------------------------
constexpr char alphabet64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t stamp_len = 11;

void write_stamp(char* out, std::size_t n, std::uint32_t conn, std::uint64_t seq) {
    const std::uint64_t v = (std::uint64_t{conn} << 40) ^ seq;
    for (std::size_t i = 0; i < n; ++i) out[i] = alphabet64[(v >> (6 * i)) & 63];
}
std::optional<std::uint64_t> read_stamp(const char* in, std::size_t n) {
    if (n < stamp_len) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char* p = std::strchr(alphabet64, in[i]);
        if (!p || !*p) return std::nullopt;
        v |= static_cast<std::uint64_t>(p - alphabet64) << (6 * i);
    }
    return v;
}

// ---------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------
enum class phase : int { connecting, running, draining, done };
enum class role : std::uint8_t { echo, subscriber, publisher, idle };

struct bench;
struct worker;

struct conn : lg::sio_client<conn> {
    conn(worker& w, const lg::client_options& o, std::uint32_t id, role r);

    void on_sio_connect(std::string_view sid);
    void on_sio_event(std::string_view args, std::optional<std::uint64_t> ack_id);
    void on_sio_ack(std::uint64_t id, std::string_view args);
    void on_sio_closed(std::string_view why, bool by_us);

    void send_echo();

    worker& w;
    std::uint32_t id;
    role r;
    bool ready = false;
    bool drained = false;
    // echo
    std::vector<clock_type::time_point> sent_at;  // ring: sequence % pipeline
    std::uint64_t next_send = 0, next_echo = 0;
    // fanout subscriber: receipt time (steady ns) of each emit, -1 until received
    std::vector<std::int64_t> recv_ns;
};

struct worker {
    bench& b;
    std::size_t index;
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::vector<std::unique_ptr<conn>> conns;  // after io: destroyed first
    std::size_t started = 0, in_handshake = 0, concurrency = 1, drained = 0;

    // echo
    std::string tx;  // `42["echo","<payload>"]`, the stamp rewritten per send
    std::string tx_mp;         // --parser msgpack: the same EVENT as msgpack bytes, sent instead
    std::size_t tx_mp_stamp = 0;  // where the payload (and its stamp) starts in tx_mp
    lg::log_histogram hist;
    std::uint64_t counted = 0, echoed_total = 0, sent_total = 0, mismatches = 0, missing = 0;
    std::vector<std::uint64_t> per_second;
    // fanout
    std::uint64_t fan_received = 0, fan_duplicates = 0, fan_bad = 0;
    // anything a connection did not expect
    std::uint64_t unexpected = 0;

    worker(bench& b, std::size_t i) : b(b), index(i) {}
    void start_more();
    void conn_ready(conn& c);
    void start_echo();
    void echo(conn& c, std::string_view args);
    void conn_drained(conn& c);
    void fanout_received(conn& c, std::string_view args);
};

struct bench {
    options opt;
    std::vector<lg::client_options> copts;  // one per (server port, source address): [port index * K + address index]
    std::vector<unsigned> ports;            // the server ports connected to; ports[0] is --port
    std::size_t addresses = 1;              // K
    std::vector<std::unique_ptr<worker>> workers;
    std::size_t total = 0;
    std::atomic<std::size_t> ready{0};
    std::atomic<std::size_t> workers_drained{0};
    std::atomic<int> ph{static_cast<int>(phase::connecting)};
    std::atomic<int> reports{0};
    std::mutex fatal_mu;
    std::string fatal;  // a reason to give up (exit 2)
    std::optional<lg::eio_open_info> first_open;
    std::once_flag first_open_once;

    // The coordinator's timers run on worker 0.
    std::unique_ptr<asio::steady_timer> timer, emit_timer;

    // t1: the planned end of the echo window (read by the workers; written before they
    // start); t_cpu1: when the closing CPU readings were taken.
    clock_type::time_point t_connect, t_ready, t0, t1, t_cpu1, t_end;
    lg::self_cpu cpu_connect0, cpu_ready, cpu0, cpu1;
    std::optional<double> srv_connect0, srv_ready, busy0, busy1;
    std::optional<lg::proc_cpu> srv0, srv1;

    // fanout
    conn* publisher = nullptr;
    std::size_t total_emits = 0;   // warm-up + measured single emits + burst
    std::size_t single_emits = 0;  // warm-up + measured single emits
    // burst
    std::atomic<std::uint64_t> burst_left{0};
    std::atomic<std::int64_t> burst_last_ns{-1};
    std::int64_t burst_first_send_ns = -1, burst_last_send_ns = -1;
    bool burst_done = false, burst_timed_out = false;
    clock_type::time_point bt0, bt1;
    lg::self_cpu bcpu0, bcpu1;
    std::optional<double> bbusy0, bbusy1;
    std::optional<lg::proc_cpu> bsrv0, bsrv1;
    // --watch processes: CPU at the start and end of the measured window (w) and of the burst (b)
    struct watched_proc {
        std::string name;
        long pid;
        std::optional<lg::proc_cpu> w0, w1, b0, b1;
    };
    std::vector<watched_proc> watched;
    std::unique_ptr<std::atomic<std::int64_t>[]> sent_ns;      // per seq: send time
    std::unique_ptr<std::atomic<std::uint32_t>[]> remaining;   // per seq: subscribers still to receive it
    std::vector<char> timed_out;                               // per seq (coordinator only)
    std::size_t next_emit = 0;
    bool waiting_emit = false;
    std::string pad;
    std::string emit_buf;

    // idle
    std::optional<std::uint64_t> rss_before, rss_after, hwm_after;

    explicit bench(options o) : opt(std::move(o)) {}

    bool running() const noexcept { return ph.load(std::memory_order_relaxed) != static_cast<int>(phase::done); }
    worker& coord() { return *workers[0]; }

    void report(const std::string& what) {
        if (reports.fetch_add(1, std::memory_order_relaxed) < 8) std::fprintf(stderr, "sio_bench: %s\n", what.c_str());
    }

    void give_up(std::string why) {
        {
            std::lock_guard lock(fatal_mu);
            if (fatal.empty()) fatal = std::move(why);
        }
        stop_all();
    }
    void stop_all() {
        ph.store(static_cast<int>(phase::done));
        for (auto& w : workers) w->io.stop();
    }

    void setup() {
        total = opt.m == mode::fanout ? opt.subscribers + 1 : opt.connections;
        for (const auto& [name, pid] : opt.watch) watched.push_back({name, pid, {}, {}, {}, {}});
        const std::size_t k = opt.source_addresses ? opt.source_addresses : std::max<std::size_t>(1, (total + 19999) / 20000);
        addresses = k;
        auto add_port = [this](unsigned p) {
            if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
        };
        add_port(opt.port);
        if (opt.publisher_port) add_port(opt.publisher_port);
        for (unsigned p : opt.subscriber_ports) add_port(p);
        for (unsigned port : ports)
            for (std::size_t i = 0; i < k; ++i) {
                lg::client_options c;
                c.host = "127.0.0.1";
                c.port = static_cast<std::uint16_t>(port);
                c.target = lg::eio_target(opt.path);
                if (k > 1) c.bind_host = "127.0.0." + std::to_string(i + 1);
                c.read_buffer_size = opt.m == mode::echo ? std::clamp<std::size_t>((opt.size + 32) * std::min<std::size_t>(opt.pipeline, 8), 4096, 1 << 20)
                                                         : 4096;
                c.max_message_size = std::max<std::size_t>(opt.size * 2 + 256, std::size_t{1} << 20);
                c.offer_deflate = opt.deflate;
                copts.push_back(std::move(c));
            }
        const std::size_t nthreads = std::min(opt.threads, total);
        for (std::size_t i = 0; i < nthreads; ++i) workers.push_back(std::make_unique<worker>(*this, i));
        for (auto& w : workers) w->concurrency = std::max<std::size_t>(1, opt.connect_concurrency / nthreads);
        if (opt.m == mode::echo) {
            std::string payload(opt.size, 'x');
            for (std::size_t i = 0; i < opt.size; ++i) payload[i] = alphabet64[(i * 7 + 3) % 64];
            for (auto& w : workers) w->tx = "42[\"echo\",\"" + payload + "\"]";
#if DUET_LOADGEN_MSGPACK
            if (opt.msgpack) {
                // {type: 2, data: ["echo", payload], nsp: "/"}, built once and stamped in
                // place per send. The payload's bytes end right before the 6 bytes of the
                // nsp member (a3 "nsp" a1 "/").
                const boost::json::value arg = boost::json::string(payload);
                std::string mp;
                duet::sio::encode_msgpack_event_append(mp, "/", "echo", std::span<const boost::json::value>(&arg, 1), {});
                const std::size_t at = mp.size() - 6 - payload.size();
                if (mp.compare(at, payload.size(), payload) != 0) std::abort();  // the layout above changed
                for (auto& w : workers) w->tx_mp = mp, w->tx_mp_stamp = at;
            }
#endif
        }
        if (opt.m == mode::fanout) {
            single_emits = opt.warmup_emits + opt.emits;
            total_emits = single_emits + opt.burst;
            sent_ns = std::make_unique<std::atomic<std::int64_t>[]>(total_emits);
            remaining = std::make_unique<std::atomic<std::uint32_t>[]>(total_emits);
            for (std::size_t i = 0; i < total_emits; ++i) sent_ns[i].store(-1), remaining[i].store(0);
            timed_out.assign(total_emits, 0);
            for (std::size_t i = 0; i < opt.size; ++i) pad += alphabet64[(i * 7 + 3) % 64];
        }
        // Connection 0 is the publisher in fanout mode, on worker 0 (the coordinator).
        for (std::size_t i = 0; i < total; ++i) {
            worker& w = *workers[i % workers.size()];
            const role r = opt.m == mode::echo     ? role::echo
                           : opt.m == mode::idle   ? role::idle
                           : i == 0                ? role::publisher
                                                   : role::subscriber;
            // The server this connection goes to: --port, or in fanout mode the
            // publisher's port / the subscribers' ports round-robin.
            unsigned port = opt.port;
            if (r == role::publisher && opt.publisher_port) port = opt.publisher_port;
            if (r == role::subscriber && !opt.subscriber_ports.empty())
                port = opt.subscriber_ports[(i - 1) % opt.subscriber_ports.size()];
            const auto pi = static_cast<std::size_t>(std::find(ports.begin(), ports.end(), port) - ports.begin());
            w.conns.push_back(std::make_unique<conn>(w, copts[pi * k + i % k], static_cast<std::uint32_t>(i), r));
            if (r == role::publisher) publisher = w.conns.back().get();
        }
    }

    void start() {
        timer = std::make_unique<asio::steady_timer>(coord().io);
        emit_timer = std::make_unique<asio::steady_timer>(coord().io);
        if (opt.m == mode::idle) {
            rss_before = lg::proc_status_kib(opt.server_pid, "VmRSS");
            if (!rss_before) {
                give_up("cannot read VmRSS of --server-pid " + std::to_string(opt.server_pid));
                return;
            }
        }
        t_connect = clock_type::now();
        cpu_connect0 = lg::self_cpu::now();
        if (opt.server_pid) srv_connect0 = lg::proc_cpu_seconds(opt.server_pid);
        const double limit = opt.connect_timeout > 0 ? opt.connect_timeout : 30 + 0.005 * static_cast<double>(total);
        timer->expires_after(seconds_d(limit));
        timer->async_wait([this, limit](const asio::error_code& ec) {
            if (ec || ph.load() != static_cast<int>(phase::connecting)) return;
            char b[32];
            std::snprintf(b, sizeof b, "%gs", limit);
            give_up("only " + std::to_string(ready.load()) + " of " + std::to_string(total) +
                    " connections were ready within " + b + " (--connect-timeout)");
        });
        for (auto& w : workers) asio::post(w->io, [wp = w.get()] { wp->start_more(); });
    }

    // On any worker: one more connection is ready (connected; for a subscriber, joined).
    void one_ready() {
        if (ready.fetch_add(1) + 1 == total) asio::post(coord().io, [this] { all_ready(); });
    }

    void mark_window_start() {
        busy0 = lg::machine_busy_seconds();
        if (opt.server_pid) srv0 = lg::proc_cpu_times(opt.server_pid);
        for (auto& w : watched) w.w0 = lg::proc_cpu_times(w.pid);
        cpu0 = lg::self_cpu::now();
        t0 = clock_type::now();
    }
    void mark_window_end() {
        t_cpu1 = clock_type::now();
        cpu1 = lg::self_cpu::now();
        if (opt.server_pid) srv1 = lg::proc_cpu_times(opt.server_pid);
        for (auto& w : watched) w.w1 = lg::proc_cpu_times(w.pid);
        busy1 = lg::machine_busy_seconds();
    }

    // On the coordinator.
    void all_ready() {
        if (!running()) return;
        timer->cancel();
        t_ready = clock_type::now();
        cpu_ready = lg::self_cpu::now();
        if (opt.server_pid) srv_ready = lg::proc_cpu_seconds(opt.server_pid);
        ph.store(static_cast<int>(phase::running));
        switch (opt.m) {
            case mode::echo: return begin_echo();
            case mode::fanout: return begin_fanout();
            case mode::idle: return begin_idle();
        }
    }

    // ----- echo -----
    void begin_echo() {
        mark_window_start();
        t1 = t0 + seconds_d(opt.duration);  // read by the workers: set before the posts below
        for (auto& w : workers) asio::post(w->io, [wp = w.get()] { wp->start_echo(); });
        timer->expires_at(t1);
        timer->async_wait([this](const asio::error_code& ec) {
            if (ec || !running()) return;
            mark_window_end();
            ph.store(static_cast<int>(phase::draining));
            timer->expires_after(seconds_d(opt.drain_timeout));
            timer->async_wait([this](const asio::error_code& ec2) {
                if (!ec2 && running()) finish();
            });
        });
    }
    void worker_drained() {
        if (workers_drained.fetch_add(1) + 1 == workers.size())
            asio::post(coord().io, [this] {
                if (!running()) return;
                if (!busy1) mark_window_end();  // all drained before the timer ran (not expected)
                finish();
            });
    }

    // ----- fanout -----
    void begin_fanout() {
        next_emit = 0;
        schedule_emit(0);
    }
    void schedule_emit(double delay_ms) {
        if (next_emit >= single_emits) {
            mark_window_end();
            if (opt.burst > 0) return begin_burst(delay_ms);
            return finish();
        }
        emit_timer->expires_after(seconds_d(delay_ms / 1000));
        emit_timer->async_wait([this](const asio::error_code& ec) {
            if (!ec && running()) emit_one();
        });
    }
    void emit_one() {
        const std::size_t seq = next_emit;
        if (seq == opt.warmup_emits) mark_window_start();
        send_fanout(seq);
        waiting_emit = true;
        timer->expires_after(seconds_d(opt.emit_timeout));
        timer->async_wait([this, seq](const asio::error_code& ec) {
            if (ec || !running() || !waiting_emit || next_emit != seq) return;
            timed_out[seq] = 1;
            report("emit " + std::to_string(seq) + ": " + std::to_string(remaining[seq].load()) + " of " +
                   std::to_string(opt.subscribers) + " subscribers had not received it after " +
                   std::to_string(opt.emit_timeout) + "s (--emit-timeout)");
            emit_finished(seq);
        });
    }
    // Queues one "fanout" emit of `seq` on the publisher, stamped with its send time.
    std::int64_t send_fanout(std::size_t seq) {
        emit_buf.clear();
        emit_buf += "[\"fanout\",\"";
        emit_buf += opt.room;
        emit_buf += "\",{\"seq\":";
        emit_buf += std::to_string(seq);
        emit_buf += ",\"t\":";
        const std::int64_t t = now_ns();
        emit_buf += std::to_string(t);
        if (!pad.empty()) {
            emit_buf += ",\"pad\":\"";
            emit_buf += pad;
            emit_buf += '"';
        }
        emit_buf += "}]";
        remaining[seq].store(static_cast<std::uint32_t>(opt.subscribers), std::memory_order_relaxed);
        sent_ns[seq].store(t, std::memory_order_release);
        publisher->emit(emit_buf);
        return t;
    }

    // ----- burst (sustained broadcast) -----
    void begin_burst(double delay_ms) {
        emit_timer->expires_after(seconds_d(delay_ms / 1000));
        emit_timer->async_wait([this](const asio::error_code& ec) {
            if (ec || !running()) return;
            burst_left.store(static_cast<std::uint64_t>(opt.burst) * opt.subscribers);
            bbusy0 = lg::machine_busy_seconds();
            if (opt.server_pid) bsrv0 = lg::proc_cpu_times(opt.server_pid);
            for (auto& w : watched) w.b0 = lg::proc_cpu_times(w.pid);
            bcpu0 = lg::self_cpu::now();
            bt0 = clock_type::now();
            publisher->auto_flush(false);  // B emits, one write
            for (std::size_t i = 0; i < opt.burst; ++i) {
                const std::int64_t t = send_fanout(single_emits + i);
                if (i == 0) burst_first_send_ns = t;
                burst_last_send_ns = t;
            }
            publisher->flush();
            publisher->auto_flush(true);
            timer->expires_after(seconds_d(opt.burst_timeout));
            timer->async_wait([this](const asio::error_code& ec2) {
                if (ec2 || !running() || burst_done) return;
                burst_timed_out = true;
                report("burst: " + std::to_string(burst_left.load()) + " deliveries missing after " +
                       std::to_string(opt.burst_timeout) + "s (--burst-timeout)");
                end_burst();
            });
        });
    }
    // On the coordinator: every burst delivery arrived (or the time ran out).
    void end_burst() {
        if (burst_done || !running()) return;
        burst_done = true;
        timer->cancel();
        bt1 = clock_type::now();
        bcpu1 = lg::self_cpu::now();
        if (opt.server_pid) bsrv1 = lg::proc_cpu_times(opt.server_pid);
        for (auto& w : watched) w.b1 = lg::proc_cpu_times(w.pid);
        bbusy1 = lg::machine_busy_seconds();
        finish();
    }
    // On the coordinator: every subscriber has `seq`, or its time ran out.
    void emit_finished(std::size_t seq) {
        if (!running() || !waiting_emit || seq != next_emit) return;
        waiting_emit = false;
        timer->cancel();
        ++next_emit;
        schedule_emit(opt.interval_ms);
    }

    // ----- idle -----
    void begin_idle() {
        timer->expires_after(seconds_d(opt.settle));
        timer->async_wait([this](const asio::error_code& ec) {
            if (ec || !running()) return;
            rss_after = lg::proc_status_kib(opt.server_pid, "VmRSS");
            hwm_after = lg::proc_status_kib(opt.server_pid, "VmHWM");
            if (!rss_after) return give_up("cannot read VmRSS of --server-pid " + std::to_string(opt.server_pid));
            timer->expires_after(seconds_d(opt.hold));
            timer->async_wait([this](const asio::error_code& ec2) {
                if (!ec2 && running()) finish();
            });
        });
    }

    void finish() {
        t_end = clock_type::now();
        stop_all();
    }

    void closed(conn& c, std::string_view why, bool by_us) {
        if (by_us || !running()) return;
        const auto p = static_cast<phase>(ph.load());
        std::string msg = "connection " + std::to_string(c.id) + " (" +
                          (c.r == role::publisher ? "publisher" : c.r == role::subscriber ? "subscriber" : "client") +
                          "): " + std::string(why);
        if (p == phase::connecting) msg += c.ready ? " (while the others connected)" : " (while connecting)";
        else if (p == phase::running) msg += " (during the measurement)";
        else msg += " (during the drain after the window)";
        give_up(msg);
    }
};

// ---------------------------------------------------------------------------------
// conn and worker
// ---------------------------------------------------------------------------------
conn::conn(worker& w, const lg::client_options& o, std::uint32_t id, role r) : sio_client(w.io, o), w(w), id(id), r(r) {
    set_msgpack(w.b.opt.msgpack);
    if (r == role::echo) sent_at.resize(w.b.opt.pipeline);
    if (r == role::subscriber) recv_ns.assign(w.b.total_emits, -1);
}

void conn::on_sio_connect(std::string_view) {
    std::call_once(w.b.first_open_once, [&] { w.b.first_open = open_info(); });
    if (r == role::subscriber) {
        emit("[\"join\",\"" + w.b.opt.room + "\"]", 0);
        return;
    }
    if (r == role::idle && w.b.opt.deflate) {
        if (!deflate_negotiated()) return fail("--deflate: the server did not negotiate permessage-deflate");
        if (const std::size_t n = w.b.opt.deflate_message) {
            // An event no handler listens to: ignored by both servers once inflated.
            // Varied text (a JSON array of numbered rows) compresses as real payloads do.
            std::string args = "[\"deflated\",\"";
            for (std::size_t i = 0; args.size() < n; ++i) args += "row " + std::to_string(i * 7919 % 100003) + ";";
            args += "\"]";
            emit_deflated(args);
        }
    }
    w.conn_ready(*this);
}

void conn::on_sio_ack(std::uint64_t ack_id, std::string_view args) {
    if (r == role::subscriber && !ready && ack_id == 0) {
        if (args != "[true]") {
            w.b.give_up("connection " + std::to_string(id) + ": \"join\" was acked with " +
                        std::string(args.substr(0, 200)) + ", expected [true]");
            return;
        }
        w.conn_ready(*this);
        return;
    }
    ++w.unexpected;
    w.b.report("connection " + std::to_string(id) + ": unexpected ACK " + std::to_string(ack_id) + " " +
               std::string(args.substr(0, 200)));
}

void conn::on_sio_event(std::string_view args, std::optional<std::uint64_t> ack_id) {
    if (r == role::echo && !ack_id) return w.echo(*this, args);
    if (r == role::subscriber && !ack_id) return w.fanout_received(*this, args);
    ++w.unexpected;
    w.b.report("connection " + std::to_string(id) + ": unexpected EVENT " + std::string(args.substr(0, 200)));
}

void conn::on_sio_closed(std::string_view why, bool by_us) { w.b.closed(*this, why, by_us); }

void conn::send_echo() {
    std::string& tx = w.tx;
    write_stamp(tx.data() + 11, std::min(stamp_len, w.b.opt.size), id, next_send);  // after `42["echo","`
    sent_at[next_send % sent_at.size()] = clock_type::now();
    ++next_send;
    ++w.sent_total;
    if (msgpack()) {
        std::string& mp = w.tx_mp;
        write_stamp(mp.data() + w.tx_mp_stamp, std::min(stamp_len, w.b.opt.size), id, next_send - 1);
        return send_binary(std::as_bytes(std::span(mp.data(), mp.size())));
    }
    send_text(std::string_view(tx));
}

void worker::start_more() {
    while (b.running() && started < conns.size() && in_handshake < concurrency) {
        ++in_handshake;
        conns[started++]->start();
    }
}

void worker::conn_ready(conn& c) {
    if (c.ready) return;
    c.ready = true;
    --in_handshake;
    start_more();
    b.one_ready();
}

void worker::start_echo() {
    per_second.assign(static_cast<std::size_t>(std::ceil(b.opt.duration)) + 1, 0);
    for (auto& c : conns) {
        c->auto_flush(false);  // K sends, one write
        for (std::size_t k = 0; k < b.opt.pipeline; ++k) c->send_echo();
        c->flush();
        c->auto_flush(true);
    }
}

void worker::echo(conn& c, std::string_view args) {
    const auto now = clock_type::now();
    ++echoed_total;
    if (c.next_echo == c.next_send) {
        ++mismatches;
        b.report("connection " + std::to_string(c.id) + ": an echo arrived with no emit in flight: " +
                 std::string(args.substr(0, 100)));
        return;
    }
    // args must be tx without its "42" (Engine.IO message, Socket.IO EVENT), stamped for
    // (c, seq): `["echo","<payload>"]`, the payload from offset 9.
    const std::string_view want(tx.data() + 2, tx.size() - 2);
    const std::size_t sl = std::min(stamp_len, b.opt.size);
    auto matches = [&](std::uint64_t seq) {
        if (args.size() != want.size()) return false;
        char st[stamp_len];
        write_stamp(st, sl, c.id, seq);
        return std::memcmp(args.data(), want.data(), 9) == 0 && std::memcmp(args.data() + 9, st, sl) == 0 &&
               std::memcmp(args.data() + 9 + sl, want.data() + 9 + sl, want.size() - 9 - sl) == 0;
    };
    std::uint64_t seq = c.next_echo, skipped = 0;
    if (!matches(seq)) {
        // A later emit of this connection, intact: the ones before it never came back.
        std::optional<std::uint64_t> later;
        if (args.size() == want.size())
            if (auto v = read_stamp(args.data() + 9, sl); v && (*v >> 40) == c.id) {
                const std::uint64_t s = *v & ((std::uint64_t{1} << 40) - 1);
                if (s > c.next_echo && s < c.next_send && matches(s)) later = s;
            }
        if (later) {
            skipped = *later - seq;
            missing += skipped;
            b.report("connection " + std::to_string(c.id) + ": emits " + std::to_string(seq) + ".." +
                     std::to_string(*later - 1) + " never came back; emit " + std::to_string(*later) + " did");
            seq = *later;
        } else {
            ++mismatches;
            b.report("connection " + std::to_string(c.id) + ": echo of emit " + std::to_string(seq) +
                     " differs: got " + std::string(args.substr(0, 120)) + (args.size() > 120 ? "..." : "") +
                     " (" + std::to_string(args.size()) + " bytes, expected " + std::to_string(want.size()) + ")");
        }
    }
    c.next_echo = seq + 1;
    if (now < b.t1) {
        const auto lat = std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sent_at[seq % c.sent_at.size()]);
        hist.record(static_cast<std::uint64_t>(std::max<std::int64_t>(lat.count(), 0)));
        ++counted;
        const auto sec = static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(now - b.t0).count());
        if (sec < per_second.size()) ++per_second[sec];
        for (std::uint64_t i = 0; i <= skipped; ++i) c.send_echo();  // keep K in flight
    } else if (c.next_echo == c.next_send) {
        conn_drained(c);
    }
}

void worker::conn_drained(conn& c) {
    if (c.drained) return;
    c.drained = true;
    if (++drained == conns.size()) b.worker_drained();
}

// args: ["fanout",{"seq":S,"t":T[,"pad":"..."]}]
void worker::fanout_received(conn& c, std::string_view args) {
    const std::int64_t now = now_ns();
    auto bad = [&](const char* why) {
        ++fan_bad;
        b.report("subscriber " + std::to_string(c.id) + ": " + why + ": " + std::string(args.substr(0, 160)));
    };
    constexpr std::string_view head = R"(["fanout",{"seq":)";
    if (args.substr(0, head.size()) != head) return bad("not a fanout event");
    std::size_t i = head.size();
    auto number = [&](std::uint64_t& out) {
        const std::size_t from = i;
        out = 0;
        while (i < args.size() && args[i] >= '0' && args[i] <= '9' && i - from < 19)
            out = out * 10 + static_cast<std::uint64_t>(args[i++] - '0');
        return i > from;
    };
    std::uint64_t seq = 0, t = 0;
    if (!number(seq)) return bad("no seq");
    if (args.substr(i, 5) != R"(,"t":)") return bad("no t after seq");
    i += 5;
    if (!number(t)) return bad("no t");
    std::string_view rest = args.substr(i);
    if (b.pad.empty() ? rest != "}]"
                      : (rest.size() != b.pad.size() + 11 || rest.substr(0, 8) != R"(,"pad":")" ||
                         rest.substr(8, b.pad.size()) != b.pad || rest.substr(8 + b.pad.size()) != "\"}]"))
        return bad("payload differs after t");
    if (seq >= b.total_emits) return bad("seq out of range");
    if (static_cast<std::int64_t>(t) != b.sent_ns[seq].load(std::memory_order_acquire)) return bad("t is not the send time of that seq");
    if (c.recv_ns[seq] >= 0) {
        ++fan_duplicates;
        b.report("subscriber " + std::to_string(c.id) + ": emit " + std::to_string(seq) + " received twice");
        return;
    }
    c.recv_ns[seq] = now;
    ++fan_received;
    if (seq >= b.single_emits) {
        // Burst: the receipt time of the last delivery is the end of the burst.
        std::int64_t prev = b.burst_last_ns.load(std::memory_order_relaxed);
        while (prev < now && !b.burst_last_ns.compare_exchange_weak(prev, now, std::memory_order_relaxed)) {}
        if (b.burst_left.fetch_sub(1, std::memory_order_acq_rel) == 1)
            asio::post(b.coord().io, [bp = &b] { bp->end_burst(); });
        return;
    }
    if (b.remaining[seq].fetch_sub(1, std::memory_order_acq_rel) == 1)
        asio::post(b.coord().io, [bp = &b, seq] { bp->emit_finished(seq); });
}

// ---------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------
struct json_obj {
    std::string j = "{";
    void add(const char* k, const std::string& v) {
        if (j.size() > 1) j += ',';
        j += '"';
        j += k;
        j += "\":";
        j += v;
    }
    std::string str() const { return j + "}"; }
};
std::string num(double x) {
    if (!std::isfinite(x)) return "null";
    char s[48];
    std::snprintf(s, sizeof s, "%.6g", x);
    return s;
}
std::string opt_num(const std::optional<double>& x) { return x ? num(*x) : std::string("null"); }
std::string str(std::string_view s) { return "\"" + lg::json_escape(s) + "\""; }
std::string pct(double x) {
    char b[16];
    std::snprintf(b, sizeof b, "%.0f%%", x);
    return b;
}

// The --watch processes' CPU between two readings: (user, sys) each, nullopt when a
// reading failed (the process was gone).
struct watched_cpu {
    std::string name;
    long pid;
    std::optional<double> user, sys;
};
std::vector<watched_cpu> watched_between(const bench& b, bool burst) {
    std::vector<watched_cpu> out;
    for (const auto& w : b.watched) {
        const auto& a = burst ? w.b0 : w.w0;
        const auto& z = burst ? w.b1 : w.w1;
        watched_cpu c{w.name, w.pid, {}, {}};
        if (a && z) c.user = z->user - a->user, c.sys = z->sys - a->sys;
        out.push_back(std::move(c));
    }
    return out;
}
double watched_total(const std::vector<watched_cpu>& v) {
    double t = 0;
    for (const auto& c : v) t += c.user.value_or(0) + c.sys.value_or(0);
    return t;
}
// [{"name":..,"pid":..,"cpu_s":..,"user_s":..,"sys_s":..,"cpu_pct":..}] over `window` seconds
std::string watched_json(const std::vector<watched_cpu>& v, double window) {
    std::string s = "[";
    for (const auto& c : v) {
        if (s.size() > 1) s += ',';
        const std::optional<double> cpu = c.user ? std::optional<double>(*c.user + *c.sys) : std::nullopt;
        s += "{\"name\":" + str(c.name) + ",\"pid\":" + std::to_string(c.pid) + ",\"cpu_s\":" + opt_num(cpu) +
             ",\"user_s\":" + opt_num(c.user) + ",\"sys_s\":" + opt_num(c.sys) +
             ",\"cpu_pct\":" + (cpu ? num(100 * *cpu / window) : "null") + "}";
    }
    return s + "]";
}
void print_watched(const std::vector<watched_cpu>& v, double window) {
    for (const auto& c : v) {
        if (c.user) std::printf(", %s %s (sys %.2fs)", c.name.c_str(), pct(100 * (*c.user + *c.sys) / window).c_str(), *c.sys);
        else std::printf(", %s ?", c.name.c_str());
    }
}

struct cpu_figures {
    double window = 0, gen = 0, gen_user = 0, gen_sys = 0;
    std::optional<double> srv, srv_user, srv_sys, other;
    std::vector<watched_cpu> watched;
};
cpu_figures cpu_over_window(const bench& b) {
    cpu_figures f;
    f.window = secs(b.t_cpu1 - b.t0);
    f.gen_user = b.cpu1.user - b.cpu0.user;
    f.gen_sys = b.cpu1.sys - b.cpu0.sys;
    f.gen = f.gen_user + f.gen_sys;
    if (b.srv0 && b.srv1) {
        f.srv_user = b.srv1->user - b.srv0->user;
        f.srv_sys = b.srv1->sys - b.srv0->sys;
        f.srv = *f.srv_user + *f.srv_sys;
    }
    f.watched = watched_between(b, false);
    if (b.busy0 && b.busy1)
        f.other = std::max(0.0, *b.busy1 - *b.busy0 - f.gen - f.srv.value_or(0) - watched_total(f.watched));
    return f;
}
void add_cpu(json_obj& j, const bench& b, const cpu_figures& f) {
    j.add("loadgen_cpu_s", num(f.gen));
    j.add("loadgen_user_s", num(f.gen_user));
    j.add("loadgen_sys_s", num(f.gen_sys));
    j.add("loadgen_cpu_pct", num(100 * f.gen / f.window));
    j.add("server_pid", b.opt.server_pid ? std::to_string(b.opt.server_pid) : "null");
    j.add("server_cpu_s", opt_num(f.srv));
    j.add("server_user_s", opt_num(f.srv_user));
    j.add("server_sys_s", opt_num(f.srv_sys));
    j.add("server_cpu_pct", f.srv ? num(100 * *f.srv / f.window) : "null");
    if (!f.watched.empty()) j.add("watched", watched_json(f.watched, f.window));
    j.add("other_cpu_s", opt_num(f.other));
    j.add("other_cpu_pct", f.other ? num(100 * *f.other / f.window) : "null");
}
void print_cpu(const bench& b, const cpu_figures& f) {
    std::printf("  cpu       : loadgen %s of one core (user %.2fs, sys %.2fs)", pct(100 * f.gen / f.window).c_str(), f.gen_user,
                f.gen_sys);
    if (f.srv)
        std::printf(", server pid %ld %s (user %.2fs, sys %.2fs)", b.opt.server_pid, pct(100 * *f.srv / f.window).c_str(),
                    *f.srv_user, *f.srv_sys);
    print_watched(f.watched, f.window);
    if (f.other) std::printf(", rest of machine %s", pct(100 * *f.other / f.window).c_str());
    std::printf("  (over %.2fs)\n", f.window);
}

void add_common(json_obj& j, const bench& b, const char* m) {
    j.add("mode", str(m));
    j.add("parser", str(b.opt.msgpack ? "msgpack" : "json"));
    j.add("target", str("ws://127.0.0.1:" + std::to_string(b.opt.port) + b.copts[0].target));
    j.add("threads", std::to_string(b.workers.size()));
    j.add("source_addresses", std::to_string(b.addresses));
    j.add("connections", std::to_string(b.total));
    j.add("connect_s", num(secs(b.t_ready - b.t_connect)));
    const auto& oi = *b.first_open;
    j.add("open", "{\"pingInterval\":" + std::to_string(oi.ping_interval.count()) + ",\"pingTimeout\":" +
                      std::to_string(oi.ping_timeout.count()) + ",\"maxPayload\":" + std::to_string(oi.max_payload) + "}");
}

int report_echo(bench& b) {
    const options& o = b.opt;
    lg::log_histogram hist;
    std::uint64_t counted = 0, echoed = 0, sent = 0, mism = 0, missing = 0, unexpected = 0, unanswered = 0, pings = 0;
    std::vector<std::uint64_t> per_second;
    for (auto& w : b.workers) {
        hist.merge(w->hist);
        counted += w->counted, echoed += w->echoed_total, sent += w->sent_total, mism += w->mismatches;
        missing += w->missing, unexpected += w->unexpected;
        if (per_second.size() < w->per_second.size()) per_second.resize(w->per_second.size());
        for (std::size_t i = 0; i < w->per_second.size(); ++i) per_second[i] += w->per_second[i];
        for (auto& c : w->conns) unanswered += c->next_send - c->next_echo, pings += c->pings_answered();
    }
    const cpu_figures f = cpu_over_window(b);
    const double window = secs(b.t1 - b.t0);
    const double rate = static_cast<double>(counted) / window;
    const std::uint64_t lost = missing + unanswered;
    const bool ok = mism == 0 && lost == 0 && unexpected == 0;
    const double p50 = hist.quantile(0.5), p90 = hist.quantile(0.9), p99 = hist.quantile(0.99), p999 = hist.quantile(0.999);
    std::vector<std::uint64_t> full(per_second.begin(),
                                    per_second.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                                             per_second.size(), static_cast<std::size_t>(window))));
    const std::uint64_t mn = full.empty() ? 0 : *std::min_element(full.begin(), full.end());
    const std::uint64_t mx = full.empty() ? 0 : *std::max_element(full.begin(), full.end());
    if (!o.quiet) {
        std::printf("sio_bench echo: ws://127.0.0.1:%u%s  %zu connections, pipeline %zu, %zu-char string, %.2fs window, %zu thread(s)\n",
                    o.port, b.copts[0].target.c_str(), b.total, o.pipeline, o.size, window, b.workers.size());
        std::printf("  connect   : %zu Socket.IO connections in %.3fs\n", b.total, secs(b.t_ready - b.t_connect));
        std::printf("  messages  : %s echoed in the window = %s msg/s (full seconds: min %s, max %s)\n",
                    lg::fmt_count(static_cast<double>(counted)).c_str(), lg::fmt_count(rate).c_str(),
                    lg::fmt_count(static_cast<double>(mn)).c_str(), lg::fmt_count(static_cast<double>(mx)).c_str());
        std::printf("  latency   : p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s  (emit queued -> echo read)\n",
                    lg::fmt_latency_ns(p50).c_str(), lg::fmt_latency_ns(p90).c_str(), lg::fmt_latency_ns(p99).c_str(),
                    lg::fmt_latency_ns(p999).c_str(), lg::fmt_latency_ns(static_cast<double>(hist.max())).c_str(),
                    lg::fmt_latency_ns(hist.mean()).c_str());
        std::printf("  checks    : %" PRIu64 " sent, %" PRIu64 " echoes checked, %" PRIu64 " mismatched, %" PRIu64
                    " lost (%" PRIu64 " skipped, %" PRIu64 " unanswered %gs after the window), %" PRIu64
                    " unexpected packets, %" PRIu64 " pings answered\n",
                    sent, echoed, mism, lost, missing, unanswered, o.drain_timeout, unexpected, pings);
        print_cpu(b, f);
    }
    json_obj j;
    j.add("ok", ok ? "true" : "false");
    add_common(j, b, "echo");
    j.add("pipeline", std::to_string(o.pipeline));
    j.add("size", std::to_string(o.size));
    j.add("duration_s", num(window));
    j.add("messages", std::to_string(counted));
    j.add("msgs_per_s", num(rate));
    std::string ps = "[";
    for (std::size_t i = 0; i < per_second.size(); ++i) ps += (i ? "," : "") + std::to_string(per_second[i]);
    j.add("per_second", ps + "]");
    j.add("latency_us", "{\"p50\":" + num(p50 / 1e3) + ",\"p90\":" + num(p90 / 1e3) + ",\"p99\":" + num(p99 / 1e3) +
                            ",\"p999\":" + num(p999 / 1e3) + ",\"max\":" + num(static_cast<double>(hist.max()) / 1e3) +
                            ",\"min\":" + num(static_cast<double>(hist.min()) / 1e3) + ",\"mean\":" + num(hist.mean() / 1e3) +
                            ",\"samples\":" + std::to_string(hist.count()) + "}");
    j.add("sent", std::to_string(sent));
    j.add("echoed", std::to_string(echoed));
    j.add("mismatches", std::to_string(mism));
    j.add("lost", std::to_string(lost));
    j.add("lost_kinds", "{\"skipped\":" + std::to_string(missing) + ",\"unanswered\":" + std::to_string(unanswered) + "}");
    j.add("unexpected", std::to_string(unexpected));
    j.add("pings_answered", std::to_string(pings));
    add_cpu(j, b, f);
    std::printf("RESULT %s\n", j.str().c_str());
    std::fflush(stdout);
    if (!ok) {
        std::fprintf(stderr, "sio_bench: FAILED: %" PRIu64 " mismatched echoes, %" PRIu64 " lost, %" PRIu64 " unexpected packets\n",
                     mism, lost, unexpected);
        return 1;
    }
    return 0;
}

double median_of(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int report_fanout(bench& b) {
    const options& o = b.opt;
    std::uint64_t received = 0, dups = 0, badp = 0, unexpected = 0, pings = 0;
    for (auto& w : b.workers) {
        received += w->fan_received, dups += w->fan_duplicates, badp += w->fan_bad, unexpected += w->unexpected;
        for (auto& c : w->conns) pings += c->pings_answered();
    }
    // Per emit: latency of every subscriber that received it.
    std::vector<std::vector<double>> lat(b.total_emits);
    std::uint64_t missing = 0;
    std::vector<std::uint64_t> missing_per_emit(b.total_emits, 0);
    for (auto& w : b.workers)
        for (auto& c : w->conns) {
            if (c->r != role::subscriber) continue;
            for (std::size_t s = 0; s < b.total_emits; ++s) {
                const std::int64_t sent = b.sent_ns[s].load();
                if (c->recv_ns[s] < 0) {
                    if (sent >= 0) ++missing, ++missing_per_emit[s];  // unsent emits (a stopped run) are not lost
                    continue;
                }
                lat[s].push_back(static_cast<double>(c->recv_ns[s] - sent));
            }
        }
    std::size_t timeouts = 0;
    std::vector<double> last, median, first;
    lg::log_histogram all;
    for (std::size_t s = o.warmup_emits; s < b.single_emits; ++s) {
        if (b.timed_out[s]) ++timeouts;
        auto& v = lat[s];
        if (v.empty()) continue;
        last.push_back(*std::max_element(v.begin(), v.end()));
        first.push_back(*std::min_element(v.begin(), v.end()));
        median.push_back(median_of(v));
        for (double x : v) all.record(static_cast<std::uint64_t>(std::max(x, 0.0)));
    }
    std::vector<double> warm_last;
    for (std::size_t s = 0; s < o.warmup_emits && s < b.total_emits; ++s)
        if (!lat[s].empty()) warm_last.push_back(*std::max_element(lat[s].begin(), lat[s].end()));
    const cpu_figures f = cpu_over_window(b);
    const bool ok = missing == 0 && dups == 0 && badp == 0 && unexpected == 0;
    // Burst (sustained broadcast).
    std::uint64_t burst_missing = 0;
    for (std::size_t s = b.single_emits; s < b.total_emits; ++s) burst_missing += missing_per_emit[s];
    const std::uint64_t burst_expected = static_cast<std::uint64_t>(o.burst) * o.subscribers;
    const double burst_s = b.burst_last_ns.load() >= 0 && b.burst_first_send_ns >= 0
                               ? static_cast<double>(b.burst_last_ns.load() - b.burst_first_send_ns) / 1e9
                               : NAN;
    const double burst_rate = static_cast<double>(burst_expected - burst_missing) / burst_s;
    const double bwin = secs(b.bt1 - b.bt0);
    const double bgen = (b.bcpu1.user - b.bcpu0.user) + (b.bcpu1.sys - b.bcpu0.sys);
    std::optional<double> bsrv, bsrv_sys, bother;
    if (b.bsrv0 && b.bsrv1) {
        bsrv = (b.bsrv1->user - b.bsrv0->user) + (b.bsrv1->sys - b.bsrv0->sys);
        bsrv_sys = b.bsrv1->sys - b.bsrv0->sys;
    }
    const std::vector<watched_cpu> bwatched = watched_between(b, true);
    if (b.bbusy0 && b.bbusy1) bother = std::max(0.0, *b.bbusy1 - *b.bbusy0 - bgen - bsrv.value_or(0) - watched_total(bwatched));
    const double last_med = median_of(last), med_med = median_of(median);
    const double last_min = last.empty() ? NAN : *std::min_element(last.begin(), last.end());
    const double last_max = last.empty() ? NAN : *std::max_element(last.begin(), last.end());
    const double n_emits = static_cast<double>(o.emits);
    if (!o.quiet) {
        std::printf("sio_bench fanout: ws://127.0.0.1:%u%s  %zu subscribers in room \"%s\", 1 publisher, %zu emits (+%zu warm-up), "
                    "%gms apart, %zu thread(s)\n",
                    o.port, b.copts[0].target.c_str(), o.subscribers, o.room.c_str(), o.emits, o.warmup_emits,
                    o.interval_ms, b.workers.size());
        std::printf("  connect   : %zu connections connected and joined in %.3fs\n", b.total, secs(b.t_ready - b.t_connect));
        std::printf("  to last   : median %s  min %s  max %s  (publisher's send -> the last subscriber's receipt, per emit)\n",
                    lg::fmt_latency_ns(last_med).c_str(), lg::fmt_latency_ns(last_min).c_str(),
                    lg::fmt_latency_ns(last_max).c_str());
        std::printf("  to median : median %s  (the median subscriber's receipt, per emit)\n", lg::fmt_latency_ns(med_med).c_str());
        std::printf("  all       : p50 %s  p90 %s  p99 %s  over %s receipts\n", lg::fmt_latency_ns(all.quantile(0.5)).c_str(),
                    lg::fmt_latency_ns(all.quantile(0.9)).c_str(), lg::fmt_latency_ns(all.quantile(0.99)).c_str(),
                    lg::fmt_count(static_cast<double>(all.count())).c_str());
        std::printf("  per emit  :");
        for (double x : last) std::printf(" %s", lg::fmt_latency_ns(x).c_str());
        std::printf("  (to last)\n");
        if (!warm_last.empty()) {
            std::printf("  warm-up   :");
            for (double x : warm_last) std::printf(" %s", lg::fmt_latency_ns(x).c_str());
            std::printf("  (to last, not counted)\n");
        }
        std::printf("  checks    : %" PRIu64 " receipts, %" PRIu64 " missing, %" PRIu64 " duplicated, %" PRIu64
                    " malformed, %" PRIu64 " unexpected packets, %zu emits timed out, %" PRIu64 " pings answered\n",
                    received, missing, dups, badp, unexpected, timeouts, pings);
        print_cpu(b, f);
        if (o.burst > 0) {
            std::printf("  burst     : %zu emits back to back to %zu subscribers: %s deliveries in %s (first send -> last receipt) = %s deliveries/s; "
                        "%" PRIu64 " missing%s\n",
                        o.burst, o.subscribers, lg::fmt_count(static_cast<double>(burst_expected)).c_str(),
                        lg::fmt_latency_ns(burst_s * 1e9).c_str(), lg::fmt_count(burst_rate).c_str(), burst_missing,
                        b.burst_timed_out ? " (timed out)" : "");
            std::printf("  burst cpu : loadgen %s, server %s (sys %.2fs)", pct(100 * bgen / bwin).c_str(),
                        bsrv ? pct(100 * *bsrv / bwin).c_str() : "?", bsrv_sys.value_or(NAN));
            print_watched(bwatched, bwin);
            std::printf(", rest of machine %s (over %.2fs)\n", bother ? pct(100 * *bother / bwin).c_str() : "?", bwin);
        }
        if (f.srv)
            std::printf("  per emit  : server %.2fms CPU (user %.2fms, sys %.2fms), loadgen %.2fms CPU (the window includes the %gms pauses)\n",
                        1e3 * *f.srv / n_emits, 1e3 * *f.srv_user / n_emits, 1e3 * *f.srv_sys / n_emits,
                        1e3 * f.gen / n_emits, o.interval_ms);
    }
    json_obj j;
    j.add("ok", ok ? "true" : "false");
    add_common(j, b, "fanout");
    j.add("subscribers", std::to_string(o.subscribers));
    j.add("emits", std::to_string(o.emits));
    j.add("warmup_emits", std::to_string(o.warmup_emits));
    j.add("interval_ms", num(o.interval_ms));
    j.add("pad", std::to_string(o.size));
    auto arr = [](const std::vector<double>& v, double scale) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + num(v[i] * scale);
        return s + "]";
    };
    j.add("last_us", "{\"median\":" + num(last_med / 1e3) + ",\"min\":" + num(last_min / 1e3) + ",\"max\":" +
                         num(last_max / 1e3) + ",\"per_emit\":" + arr(last, 1e-3) + "}");
    j.add("median_us", "{\"median\":" + num(med_med / 1e3) + ",\"per_emit\":" + arr(median, 1e-3) + "}");
    j.add("first_us", "{\"median\":" + num(median_of(first) / 1e3) + ",\"per_emit\":" + arr(first, 1e-3) + "}");
    j.add("all_us", "{\"p50\":" + num(all.quantile(0.5) / 1e3) + ",\"p90\":" + num(all.quantile(0.9) / 1e3) +
                        ",\"p99\":" + num(all.quantile(0.99) / 1e3) + ",\"samples\":" + std::to_string(all.count()) + "}");
    j.add("warmup_last_us", arr(warm_last, 1e-3));
    j.add("receipts", std::to_string(received));
    j.add("missing", std::to_string(missing));
    j.add("duplicates", std::to_string(dups));
    j.add("malformed", std::to_string(badp));
    j.add("unexpected", std::to_string(unexpected));
    j.add("timeouts", std::to_string(timeouts));
    j.add("pings_answered", std::to_string(pings));
    add_cpu(j, b, f);
    if (o.burst > 0) {
        j.add("burst", "{\"emits\":" + std::to_string(o.burst) + ",\"deliveries\":" + std::to_string(burst_expected) +
                           ",\"missing\":" + std::to_string(burst_missing) + ",\"timed_out\":" +
                           (b.burst_timed_out ? "true" : "false") + ",\"first_send_to_last_receipt_us\":" + num(burst_s * 1e6) +
                           ",\"send_span_us\":" + num(static_cast<double>(b.burst_last_send_ns - b.burst_first_send_ns) / 1e3) +
                           ",\"deliveries_per_s\":" + num(burst_rate) + ",\"window_s\":" + num(bwin) +
                           ",\"server_cpu_s\":" + opt_num(bsrv) + ",\"server_sys_s\":" + opt_num(bsrv_sys) +
                           ",\"server_cpu_pct\":" + (bsrv ? num(100 * *bsrv / bwin) : "null") +
                           ",\"loadgen_cpu_s\":" + num(bgen) + ",\"loadgen_cpu_pct\":" + num(100 * bgen / bwin) +
                           ",\"other_cpu_pct\":" + (bother ? num(100 * *bother / bwin) : "null") +
                           (bwatched.empty() ? std::string() : ",\"watched\":" + watched_json(bwatched, bwin)) + "}");
    }
    j.add("server_cpu_ms_per_emit", f.srv ? num(1e3 * *f.srv / n_emits) : "null");
    j.add("server_user_ms_per_emit", f.srv ? num(1e3 * *f.srv_user / n_emits) : "null");
    j.add("server_sys_ms_per_emit", f.srv ? num(1e3 * *f.srv_sys / n_emits) : "null");
    j.add("loadgen_cpu_ms_per_emit", num(1e3 * f.gen / n_emits));
    std::printf("RESULT %s\n", j.str().c_str());
    std::fflush(stdout);
    if (!ok) {
        std::fprintf(stderr, "sio_bench: FAILED: %" PRIu64 " receipts missing, %" PRIu64 " duplicated, %" PRIu64
                             " malformed, %" PRIu64 " unexpected packets\n",
                     missing, dups, badp, unexpected);
        return 1;
    }
    return 0;
}

int report_idle(bench& b) {
    const options& o = b.opt;
    std::uint64_t unexpected = 0;
    for (auto& w : b.workers) unexpected += w->unexpected;
    const double before = static_cast<double>(*b.rss_before), after = static_cast<double>(*b.rss_after);
    const double per_conn = (after - before) * 1024 / static_cast<double>(b.total);
    const double connect_s = secs(b.t_ready - b.t_connect);
    std::optional<double> srv_connect;
    if (b.srv_connect0 && b.srv_ready) srv_connect = *b.srv_ready - *b.srv_connect0;
    const double gen_connect = b.cpu_ready.total() - b.cpu_connect0.total();
    const bool ok = unexpected == 0;
    if (!o.quiet) {
        std::printf("sio_bench idle: ws://127.0.0.1:%u%s  %zu connections, server pid %ld, %zu thread(s)\n", o.port,
                    b.copts[0].target.c_str(), b.total, o.server_pid, b.workers.size());
        std::printf("  connect   : %zu Socket.IO connections in %.3fs = %s/s; CPU: server %s, loadgen %.2fs\n", b.total,
                    connect_s, lg::fmt_count(static_cast<double>(b.total) / connect_s).c_str(),
                    srv_connect ? (num(*srv_connect) + "s").c_str() : "?", gen_connect);
        std::printf("  memory    : server VmRSS %.1f MiB before, %.1f MiB with %zu connections (%gs later; VmHWM %.1f MiB)\n",
                    before / 1024, after / 1024, b.total, o.settle, static_cast<double>(b.hwm_after.value_or(0)) / 1024);
        std::printf("  per conn  : %.0f bytes (%.2f KiB) of server RSS per idle Socket.IO connection\n", per_conn,
                    per_conn / 1024);
        if (o.deflate)
            std::printf("  deflate   : permessage-deflate negotiated; %zu-byte compressed event sent per connection\n",
                        o.deflate_message);
    }
    json_obj j;
    j.add("ok", ok ? "true" : "false");
    add_common(j, b, "idle");
    j.add("settle_s", num(o.settle));
    j.add("deflate", o.deflate ? "true" : "false");
    j.add("deflate_message_bytes", std::to_string(o.deflate_message));
    j.add("rss_before_kib", std::to_string(*b.rss_before));
    j.add("rss_after_kib", std::to_string(*b.rss_after));
    j.add("hwm_after_kib", b.hwm_after ? std::to_string(*b.hwm_after) : "null");
    j.add("bytes_per_connection", num(per_conn));
    j.add("connections_per_s", num(static_cast<double>(b.total) / connect_s));
    j.add("server_connect_cpu_s", opt_num(srv_connect));
    j.add("loadgen_connect_cpu_s", num(gen_connect));
    j.add("unexpected", std::to_string(unexpected));
    std::printf("RESULT %s\n", j.str().c_str());
    std::fflush(stdout);
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse_args(argc, argv);
    const std::size_t total = o.m == mode::fanout ? o.subscribers + 1 : o.connections;
    const std::uint64_t need = total + 64;
    const std::uint64_t have = lg::raise_fd_limit(need);
    if (have < need) {
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        std::fprintf(stderr, "sio_bench: %zu connections need about %llu file descriptors; the limit is %llu (hard %llu). "
                             "Raise it (ulimit -n; bench/sio/run.sh does) or use fewer connections.\n",
                     total, static_cast<unsigned long long>(need), static_cast<unsigned long long>(have),
                     static_cast<unsigned long long>(rl.rlim_max));
        std::printf("RESULT {\"ok\":false,\"error\":\"file descriptor limit %llu is below %llu\"}\n",
                    static_cast<unsigned long long>(have), static_cast<unsigned long long>(need));
        return 2;
    }

    bench b(o);
    b.setup();
    b.start();
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < b.workers.size(); ++i) threads.emplace_back([&b, i] { b.workers[i]->io.run(); });
    b.workers[0]->io.run();
    b.stop_all();  // worker 0 returns only after stop_all(); make sure of the others anyway
    for (auto& t : threads) t.join();

    if (!b.fatal.empty()) {
        std::fprintf(stderr, "sio_bench: FAILED: %s\n", b.fatal.c_str());
        std::printf("RESULT {\"ok\":false,\"error\":%s}\n", str(b.fatal).c_str());
        return 2;
    }
    switch (o.m) {
        case mode::echo: return report_echo(b);
        case mode::fanout: return report_fanout(b);
        case mode::idle: return report_idle(b);
    }
    return 2;
}
