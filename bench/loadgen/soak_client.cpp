// bench/loadgen/soak_client — the driver of the soak test (bench/soak/run.sh; docs/SOAK.md).
//
//   soak_client --port P --server-pid PID [--clients 200] [--duration 30] [--rooms R]
//               [--rate 0.1] [--lifetime 60] [--room-switch 20] ...   (--help lists all)
//
// N simulated users, each a Socket.IO v5 client of namespace "/" over the WebSocket
// transport (ws_client.hpp's sio_client), all on one thread and one io_context. The
// server is bench/soak/soak_server.cpp ("join", "leave", "chat", "sync", "census").
//
// Phases:
//   warm-up   every client connects (at most --connect-concurrency handshakes at once),
//             joins 1 or 2 of the R rooms "r0".."r<R-1>" and chats, for --warmup seconds;
//             then every client disconnects; after --settle seconds the server's VmRSS
//             is read: RSS start.
//   main      every client connects again; for --duration seconds (counted from the start
//             of this wave) the clients chat, switch rooms (leave one, join another) and
//             disconnect and reconnect (churn); then every client disconnects.
//   end       after --settle seconds: RSS end; then one more client asks the server for
//             its census (sockets in "/", members of r0..r<R-1>): it must be itself and 0.
//
// A client's life: connect; join k in {1,2} random rooms ("join" with ack); while
// connected, emit `chat {room, seq, text}` with an ack to one of its joined rooms at
// random times (Poisson, --rate per second, at most --max-inflight unanswered); every
// --room-switch seconds on average leave one room ("leave" with ack) and then join
// another; after --lifetime seconds on average (main phase), disconnect: stop emitting,
// wait for every outstanding ack, then either leave every room or send "sync" (a
// barrier), then end the connection in one of four ways (Socket.IO DISCONNECT + Engine.IO
// close, Engine.IO close, WebSocket close handshake, TCP close without a handshake);
// reconnect after 0.2..--offline seconds.
//
// What is checked (every failure is counted and printed; any one fails the run):
//   acks       every emit with an ack ("join", "leave", "chat", "sync") is answered,
//              within --ack-timeout seconds, exactly once, with the right value.
//   deliveries every "chat" broadcast reaches every member of its room exactly once, and
//              nobody else. Membership is defined on one logical clock (a counter stamped
//              on every event of this one thread), per connection and room:
//                join sent (Js) < join acked (Ja) < end sent (Ls) < end acked (La)
//              where "end" is the "leave" of that room, or the "sync" barrier sent
//              before a disconnect (La: the connection is closed). A message has its send
//              Ts < ack Ta. Because the server handles one connection's packets in order
//              and Ts < server's handling < Ta (likewise for the join and the end):
//                expected   Ja < Ts and Ta < Ls (a stable member the whole time): must be
//                           received, before La;
//                allowed    Js < Ta and Ts < La (membership and message may overlap);
//                never      anything else, the sender itself, a room the connection is
//                           not in, a message twice on one connection.
//              Checked when the membership ends, against every message of the room.
//   counts     the ack of "chat" is the number of sockets the server handed the
//              broadcast to: it must be at least the expected members and at most the
//              allowed ones (members whose connection ended without a "leave" count as
//              allowed for --count-grace seconds after the close: the server notices a
//              closed TCP connection a little later).
//   closes     no connection is refused, fails its handshake or is closed by the server;
//              each of our closes completes within 10 s.
//   census     after the end: the server holds no socket but the census client's, and
//              no room member.
//   memory     RSS end <= RSS start + max(--rss-margin-pct % of RSS start, --rss-margin-mib).
//
// Output: progress lines every 10 s (stderr), a summary, `RESULT {json}`. Exit 0 when
// every check passed, 1 when one failed, 2 on a usage error or when the run could not
// proceed (the server did not answer, connections could not be opened).
#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <charconv>
#include <chrono>
#include <cstdarg>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ws_client.hpp"

namespace {

namespace lg = duet::loadgen;
using clock_type = std::chrono::steady_clock;
using tick_t = std::uint64_t;  // the logical clock
constexpr tick_t never = std::numeric_limits<tick_t>::max();
constexpr std::uint32_t none32 = std::numeric_limits<std::uint32_t>::max();

double secs(clock_type::duration d) { return std::chrono::duration<double>(d).count(); }
clock_type::duration seconds_d(double s) {
    return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

// ---------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------
struct options {
    unsigned port = 0;
    long server_pid = 0;
    bool no_memory_check = false;
    std::size_t clients = 200;
    double duration = 30;
    std::size_t rooms = 0;  // 0: max(1, clients / 50)
    double rate = 0.1;      // chats per second per connected client
    std::size_t size = 32;  // chat text length
    std::size_t max_inflight = 4;
    double warmup = 15;
    double settle = 5;
    double lifetime = 60;     // mean connection lifetime in the main phase (0: no churn)
    double room_switch = 20;  // mean time between room switches (0: none)
    double offline = 2;       // offline 0.2 .. this many seconds before reconnecting
    std::size_t connect_concurrency = 200;
    double ack_timeout = 10;
    double count_grace = 10;
    double rss_margin_pct = 10;
    double rss_margin_mib = 8;
    std::uint64_t seed = 0;
    bool seed_set = false;
    std::size_t source_addresses = 0;
    double progress = 10;
    bool quiet = false;
    // Self-test of the checks: corrupt what the driver sees, every `inject_every`-th time.
    enum class fault : std::uint8_t { none, drop, dup, count } inject = fault::none;
    std::uint64_t inject_every = 1000;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "soak_client: %s (see --help)\n", msg.c_str());
    std::exit(2);
}

void print_usage() {
    std::puts(
        "usage: soak_client --port P --server-pid PID [options]\n"
        "\n"
        "Soak test driver for bench/soak/soak_server (Socket.IO v5 over WebSocket, 127.0.0.1, one thread).\n"
        "\n"
        "  --port P                  server port on 127.0.0.1 (required)\n"
        "  --server-pid PID          the server process: its VmRSS and CPU are read from /proc (required\n"
        "                            unless --no-memory-check)\n"
        "  --no-memory-check         skip the memory check (no --server-pid)\n"
        "  --clients N               simulated users (default 200)\n"
        "  --duration S              main phase, seconds (default 30)\n"
        "  --rooms R                 rooms r0..r<R-1> (default max(1, clients/50): ~75 members a room)\n"
        "  --rate X                  chats per second per connected user (default 0.1)\n"
        "  --size BYTES              chat text length (default 32)\n"
        "  --max-inflight K          unanswered chats per user at most (default 4; over it a chat is skipped)\n"
        "  --warmup S                warm-up phase, seconds after the first wave connected (default 15)\n"
        "  --settle S                wait after everyone disconnected before reading RSS (default 5)\n"
        "  --lifetime S              mean connection lifetime in the main phase; 0: no churn (default 60)\n"
        "  --room-switch S           mean time between room switches per user; 0: none (default 20)\n"
        "  --offline S               offline 0.2..S seconds between connections (default 2)\n"
        "  --connect-concurrency N   handshakes in progress at once (default 200)\n"
        "  --ack-timeout S           an ack later than this is a failure (default 10)\n"
        "  --count-grace S           a closed connection may still be counted by the server this long (default 10)\n"
        "  --rss-margin-pct P        memory check: allowed growth, percent of RSS start (default 10)\n"
        "  --rss-margin-mib M        memory check: allowed growth, MiB, whichever is larger (default 8)\n"
        "  --seed X                  random seed (default: from the clock; printed)\n"
        "  --source-addresses K      connect from 127.0.0.1..127.0.0.K (default: one per 20,000 users)\n"
        "  --progress S              progress line every S seconds on stderr; 0: none (default 10)\n"
        "  --quiet                   print only the RESULT line\n"
        "  --inject drop|dup|count   self-test of the checks: ignore a received chat (drop), handle one twice\n"
        "                            (dup), or add 1000 to a chat ack's recipient count (count), every\n"
        "                            --inject-every'th time (default 1000); the run must then FAIL\n"
        "  -h, --help                this text\n"
        "\n"
        "Exit 0: every check passed; 1: a check failed; 2: usage error or the run could not proceed.");
}

options parse_args(int argc, char** argv) {
    options o;
    bool have_port = false;
    for (lg::arg_reader args(argc, argv, usage_error); args.next();) {
        const std::string& a = args.name();
        auto uint = [&](std::uint64_t min, std::uint64_t max) { return args.integer(min, max); };
        auto number = [&](double min) { return args.number(min, 86400e3, "a number"); };
        if (a == "--port") o.port = static_cast<unsigned>(uint(1, 65535)), have_port = true;
        else if (a == "--server-pid") o.server_pid = static_cast<long>(uint(1, 1u << 30));
        else if (a == "--no-memory-check") o.no_memory_check = true;
        else if (a == "--clients" || a == "-c") o.clients = uint(1, 1'000'000);
        else if (a == "--duration" || a == "-d") o.duration = number(1);
        else if (a == "--rooms") o.rooms = uint(1, 1'000'000);
        else if (a == "--rate") o.rate = number(0);
        else if (a == "--size") o.size = uint(1, 1 << 20);
        else if (a == "--max-inflight") o.max_inflight = uint(1, 1'000'000);
        else if (a == "--warmup") o.warmup = number(0);
        else if (a == "--settle") o.settle = number(0);
        else if (a == "--lifetime") o.lifetime = number(0);
        else if (a == "--room-switch") o.room_switch = number(0);
        else if (a == "--offline") o.offline = number(0.2);
        else if (a == "--connect-concurrency") o.connect_concurrency = uint(1, 1'000'000);
        else if (a == "--ack-timeout") o.ack_timeout = number(0.1);
        else if (a == "--count-grace") o.count_grace = number(0);
        else if (a == "--rss-margin-pct") o.rss_margin_pct = number(0);
        else if (a == "--rss-margin-mib") o.rss_margin_mib = number(0);
        else if (a == "--seed") o.seed = uint(0, std::numeric_limits<std::uint64_t>::max()), o.seed_set = true;
        else if (a == "--source-addresses") o.source_addresses = uint(1, 254);
        else if (a == "--progress") o.progress = number(0);
        else if (a == "--quiet") o.quiet = true;
        else if (a == "--inject") {
            const std::string v = args.value();
            if (v == "drop") o.inject = options::fault::drop;
            else if (v == "dup") o.inject = options::fault::dup;
            else if (v == "count") o.inject = options::fault::count;
            else usage_error("--inject: drop, dup or count");
        } else if (a == "--inject-every") o.inject_every = uint(1, 1'000'000'000);
        else if (a == "-h" || a == "--help") print_usage(), std::exit(0);
        else usage_error("unknown option " + a);
    }
    if (!have_port) usage_error("--port is required");
    if (!o.server_pid && !o.no_memory_check) usage_error("--server-pid is required (or --no-memory-check)");
    if (o.rooms == 0) o.rooms = std::max<std::size_t>(1, o.clients / 50);
    if (!o.seed_set) o.seed = static_cast<std::uint64_t>(clock_type::now().time_since_epoch().count());
    return o;
}


// System-wide kernel TCP counters (/proc/net/netstat "TcpExt:", /proc/net/snmp "Tcp:"):
// what explains slow connects on loopback (SYNs retransmitted, accept queue overflows).
constexpr const char* tcp_counter_names[] = {"Tcp:RetransSegs",       "TcpExt:TCPSynRetrans", "TcpExt:ListenOverflows",
                                             "TcpExt:ListenDrops",    "TcpExt:TWRecycled",    "TcpExt:PAWSActive",
                                             "TcpExt:TCPChallengeACK", "TcpExt:TCPTimeWaitOverflow"};
constexpr std::size_t tcp_counter_count = std::size(tcp_counter_names);
std::array<std::int64_t, tcp_counter_count> read_tcp_counters() {
    std::array<std::int64_t, tcp_counter_count> out{};
    out.fill(-1);
    for (const char* file : {"/proc/net/snmp", "/proc/net/netstat"}) {
        std::ifstream f(file);
        std::string names, values;
        while (std::getline(f, names) && std::getline(f, values)) {
            std::istringstream n(names), v(values);
            std::string prefix, vprefix, name, value;
            n >> prefix;
            v >> vprefix;
            while (n >> name && v >> value)
                for (std::size_t i = 0; i < tcp_counter_count; ++i)
                    if (prefix + name == tcp_counter_names[i]) out[i] = std::strtoll(value.c_str(), nullptr, 10);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------

// One connection's membership of one room (see the header for the four stamps).
struct membership {
    std::uint32_t room = 0;
    std::uint32_t inc = 0;  // the connection (incarnation)
    tick_t join_sent = never, join_acked = never, end_sent = never, end_acked = never;
    clock_type::time_point closed_at{};  // wall time of end_acked
    bool ended_by_close = false;         // ended by a disconnect, not a "leave"
    std::vector<std::uint64_t> received;  // message ids received in it (until verified)
};

struct message {
    std::uint32_t room = 0;
    std::uint32_t sender_inc = 0;
    tick_t sent = never, acked = never;
};

// One connection of one user.
struct incarnation {
    std::uint32_t slot = 0;
    std::string sid;
    std::unordered_set<std::uint64_t> seen;  // message ids received (duplicates)
};

enum class op_kind : std::uint8_t { join, leave, chat, sync, census };

struct pending_op {
    std::uint64_t ack_id = 0;
    op_kind kind = op_kind::chat;
    std::uint64_t ref = 0;  // membership index (join, leave) or message id (chat)
    clock_type::time_point sent_at{};
    bool late = false;
};

enum class slot_state : std::uint8_t { offline, connecting, online, draining, finishing, closing };
enum class end_mode : std::uint8_t { leave_all, sync };
enum class close_mode : std::uint8_t { sio_disconnect, eio_close, ws_close, tcp_abort };
constexpr const char* close_mode_names[] = {"socket.io DISCONNECT + engine.io close", "engine.io close",
                                            "websocket close", "tcp close (no handshake)"};

struct room_slot {
    std::uint32_t room = 0;
    std::uint32_t mem = 0;  // membership index
    enum class st : std::uint8_t { joining, joined, leaving } state = st::joining;
};

struct driver;

struct conn : lg::sio_client<conn> {
    conn(driver& d, const lg::client_options& o, std::uint32_t slot, std::uint32_t inc)
        : sio_client(io_of(d), o), d(d), slot(slot), inc(inc) {}
    static asio::io_context& io_of(driver& d);

    void on_sio_connect(std::string_view sid);
    void on_sio_event(std::string_view args, std::optional<std::uint64_t> ack_id);
    void on_sio_ack(std::uint64_t id, std::string_view args);
    void on_sio_closed(std::string_view why, bool by_us);

    driver& d;
    std::uint32_t slot;  // none32: the census client
    std::uint32_t inc;
};

struct user {
    std::uint32_t index = 0;
    slot_state state = slot_state::offline;
    std::unique_ptr<conn> c;
    std::uint32_t inc = none32;
    std::vector<room_slot> rooms;
    std::vector<pending_op> pending;
    std::uint64_t next_ack_id = 0;
    std::size_t chats_inflight = 0;
    std::optional<std::uint32_t> switch_to;  // join this room once the leave is acked
    end_mode em = end_mode::sync;
    close_mode cm = close_mode::eio_close;
    clock_type::time_point reconnect_at{}, next_chat{}, next_switch{}, disconnect_at{}, state_since{};
    bool churn = false;  // disconnect at disconnect_at
};

enum class phase : std::uint8_t { warmup_connect, warmup_run, warmup_drain, warmup_settle, main_run, final_drain,
                                  final_settle, census, done };
constexpr const char* phase_names[] = {"warm-up connect", "warm-up", "warm-up disconnect", "warm-up settle", "main",
                                       "final disconnect", "final settle", "census", "done"};

// ---------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------
struct driver {
    options opt;
    asio::io_context io{1};
    asio::steady_timer timer{io};
    std::vector<lg::client_options> copts;
    std::mt19937_64 rng;
    std::vector<user> users;
    std::deque<membership> mems;
    std::vector<message> msgs;
    std::deque<incarnation> incs;
    std::vector<std::vector<std::uint64_t>> room_msgs;     // per room: message ids in send order
    std::vector<std::vector<std::uint32_t>> room_members;  // per room: memberships, open or recently closed
    std::vector<std::pair<clock_type::time_point, std::unique_ptr<conn>>> graveyard;
    std::unique_ptr<conn> census_conn;
    std::string buf;
    tick_t clk = 0;
    phase ph = phase::warmup_connect;
    clock_type::time_point t_start, t_phase, phase_deadline, t_main_start, t_main_end, t_end, last_progress, last_second;
    std::size_t in_handshake = 0, online = 0;
    std::string fatal;

    // counters
    std::uint64_t connects_started = 0, connects_ok = 0, connect_failures = 0, unexpected_closes = 0, close_timeouts = 0;
    std::uint64_t closes_by_mode[4] = {};
    std::uint64_t joins = 0, leaves = 0, syncs = 0, chats = 0, chats_skipped = 0, switches = 0;
    std::uint64_t acks_ok = 0, acks_bad = 0, acks_late = 0, acks_unknown = 0, acks_lost = 0;
    std::uint64_t receipts = 0, expected = 0, expected_received = 0, missing = 0, extra_allowed = 0;
    std::uint64_t duplicates = 0, unexpected_deliveries = 0, malformed = 0, unexpected_packets = 0;
    std::uint64_t count_checked = 0, count_low = 0, count_high = 0, count_recipients = 0;
    std::uint64_t memberships_verified = 0;
    lg::log_histogram connect_hist;  // connect() -> Socket.IO CONNECT answered, ns
    lg::log_histogram ack_hist;      // emit -> ack, ns (every kind)
    std::array<std::uint64_t, 7> connect_buckets{};  // < 0.5 s, < 1, < 2, < 4, < 8, < 16, more
    std::array<std::int64_t, tcp_counter_count> tcp0{}, tcp1{};
    int reports = 0;
    // memory and CPU
    std::optional<std::uint64_t> rss_start, rss_end, rss_peak_main, hwm_end, rss_first;
    std::uint64_t rss_peak = 0;
    std::optional<lg::proc_cpu> srv_cpu0, srv_cpu_main0, srv_cpu_main1, srv_cpu1;
    lg::self_cpu cpu0, cpu_main0, cpu_main1, cpu1;
    // census
    std::optional<std::uint64_t> census_sockets, census_members;
    std::string census_raw;
    std::vector<std::pair<double, std::uint64_t>> rss_series;  // (seconds since start, KiB) every 10 s

    explicit driver(options o) : opt(std::move(o)), rng(opt.seed) {}

    tick_t tick() { return ++clk; }
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    void report(const char* fmt, ...) {
        if (++reports > 30) return;
        std::fprintf(stderr, "soak_client: ");
        va_list ap;
        va_start(ap, fmt);
        std::vfprintf(stderr, fmt, ap);
        va_end(ap);
        std::fputc('\n', stderr);
        if (reports == 30) std::fprintf(stderr, "soak_client: (further reports suppressed)\n");
    }
    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
    double expo(double mean) { return mean <= 0 ? 1e18 : std::exponential_distribution<double>(1.0 / mean)(rng); }
    std::uint32_t random_room() { return static_cast<std::uint32_t>(rng() % opt.rooms); }
    bool draining_phase() const {
        return ph == phase::warmup_drain || ph == phase::final_drain || ph == phase::warmup_settle ||
               ph == phase::final_settle || ph == phase::census || ph == phase::done;
    }

    static std::string room_name(std::uint32_t r) { return "r" + std::to_string(r); }
    // The text of message `id`: "m<id>:" then letters, `size` characters in all.
    std::string text_of(std::uint64_t id) const {
        std::string t = "m" + std::to_string(id) + ":";
        for (std::size_t i = t.size(); i < opt.size; ++i) t += static_cast<char>('a' + (id + i) % 26);
        t.resize(opt.size);
        return t;
    }

    void give_up(std::string why) {
        if (fatal.empty()) fatal = std::move(why);
        finish();
    }

    std::optional<std::uint64_t> rss() const {
        if (!opt.server_pid) return std::nullopt;
        return lg::proc_status_kib(opt.server_pid, "VmRSS");
    }

    void setup() {
        const std::size_t k = opt.source_addresses ? opt.source_addresses
                                                   : std::max<std::size_t>(1, (opt.clients + 19999) / 20000);
        for (std::size_t i = 0; i < k; ++i) {
            lg::client_options c;
            c.port = static_cast<std::uint16_t>(opt.port);
            c.target = lg::eio_target("/socket.io/");
            if (k > 1) c.bind_host = "127.0.0." + std::to_string(i + 1);
            c.read_buffer_size = 4096;
            copts.push_back(std::move(c));
        }
        users.resize(opt.clients);
        for (std::size_t i = 0; i < users.size(); ++i) users[i].index = static_cast<std::uint32_t>(i);
        room_msgs.resize(opt.rooms);
        room_members.resize(opt.rooms);
    }

    void start() {
        t_start = clock_type::now();
        last_progress = last_second = t_start;
        cpu0 = lg::self_cpu::now();
        tcp0 = read_tcp_counters();
        if (opt.server_pid) {
            srv_cpu0 = lg::proc_cpu_times(opt.server_pid);
            rss_first = rss();
            if (!srv_cpu0 || !rss_first) return give_up("cannot read /proc/" + std::to_string(opt.server_pid));
            rss_peak = *rss_first;
        }
        enter(phase::warmup_connect);
        schedule_tick();
    }

    void schedule_tick() {
        timer.expires_after(std::chrono::milliseconds(20));
        timer.async_wait([this](const asio::error_code& ec) {
            if (ec || ph == phase::done) return;
            on_tick();
            if (ph != phase::done) schedule_tick();
        });
    }

    void enter(phase p) {
        ph = p;
        const auto now = clock_type::now();
        t_phase = now;
        switch (p) {
            case phase::warmup_connect:
                for (auto& u : users) u.reconnect_at = now, u.churn = false;
                phase_deadline = now + seconds_d(30 + 0.01 * static_cast<double>(opt.clients));
                break;
            case phase::warmup_run: phase_deadline = now + seconds_d(opt.warmup); break;
            case phase::warmup_drain:
            case phase::final_drain:
                for (auto& u : users)
                    if (u.state == slot_state::online) begin_drain(u);
                phase_deadline = now + seconds_d(60 + opt.ack_timeout);
                break;
            case phase::warmup_settle:
            case phase::final_settle: phase_deadline = now + seconds_d(opt.settle); break;
            case phase::main_run:
                t_main_start = now;
                cpu_main0 = lg::self_cpu::now();
                if (opt.server_pid) srv_cpu_main0 = lg::proc_cpu_times(opt.server_pid);
                phase_deadline = t_main_end = now + seconds_d(opt.duration);
                for (auto& u : users) u.reconnect_at = now;
                break;
            case phase::census: start_census(); phase_deadline = now + seconds_d(10); break;
            case phase::done: break;
        }
    }

    void on_tick() {
        const auto now = clock_type::now();
        // memory sample once a second
        if (now - last_second >= std::chrono::seconds(1)) {
            last_second = now;
            if (auto r = rss()) {
                rss_peak = std::max(rss_peak, *r);
                if (ph == phase::main_run) rss_peak_main = std::max(rss_peak_main.value_or(0), *r);
                if (rss_series.empty() || secs(now - t_start) - rss_series.back().first >= 10)
                    rss_series.emplace_back(secs(now - t_start), *r);
            }
            check_ack_timeouts(now);
            std::erase_if(graveyard, [&](auto& g) { return now - g.first > std::chrono::seconds(3); });
        }
        if (opt.progress > 0 && secs(now - last_progress) >= opt.progress) {
            last_progress = now;
            progress(now);
        }
        // phase transitions
        switch (ph) {
            case phase::warmup_connect:
                if (online == users.size()) enter(phase::warmup_run);
                else if (now > phase_deadline)
                    return give_up("only " + std::to_string(online) + " of " + std::to_string(users.size()) +
                                   " users connected within the warm-up connect time");
                break;
            case phase::warmup_run:
                if (now >= phase_deadline) enter(phase::warmup_drain);
                break;
            case phase::main_run:
                if (now >= phase_deadline) {
                    cpu_main1 = lg::self_cpu::now();
                    if (opt.server_pid) srv_cpu_main1 = lg::proc_cpu_times(opt.server_pid);
                    enter(phase::final_drain);
                }
                break;
            case phase::warmup_drain:
            case phase::final_drain:
                if (all_offline()) {
                    enter(ph == phase::warmup_drain ? phase::warmup_settle : phase::final_settle);
                } else if (now > phase_deadline) {
                    return give_up("users did not finish disconnecting within " +
                                   std::to_string(static_cast<int>(60 + opt.ack_timeout)) + "s");
                }
                break;
            case phase::warmup_settle:
                if (now >= phase_deadline) {
                    rss_start = rss();
                    enter(phase::main_run);
                }
                break;
            case phase::final_settle:
                if (now >= phase_deadline) {
                    rss_end = rss();
                    if (opt.server_pid) hwm_end = lg::proc_status_kib(opt.server_pid, "VmHWM");
                    enter(phase::census);
                }
                break;
            case phase::census:
                if (now > phase_deadline) {
                    report("census: no answer within 10 s");
                    finish();
                }
                return;
            case phase::done: return;
        }
        // users
        for (auto& u : users) step(u, now);
    }

    bool all_offline() const {
        for (auto& u : users)
            if (u.state != slot_state::offline) return false;
        return true;
    }

    void progress(clock_type::time_point now) {
        const auto r = rss();
        std::size_t st[6] = {};
        for (auto& u : users) ++st[static_cast<int>(u.state)];
        std::fprintf(stderr,
                     "soak_client: %6.0fs %-18s online %zu (offline %zu, connecting %zu, leaving %zu), connects %" PRIu64 ", chats %" PRIu64 ", receipts %" PRIu64
                     ", expected %" PRIu64 " (missing %" PRIu64 ", dup %" PRIu64 ", unexpected %" PRIu64
                     "), acks ok %" PRIu64 " (bad %" PRIu64 ", late %" PRIu64 "), server RSS %.1f MiB\n",
                     secs(now - t_start), phase_names[static_cast<int>(ph)], online, st[0], st[1], st[3] + st[4] + st[5],
                     connects_ok, chats, receipts, expected,
                     missing, duplicates, unexpected_deliveries, acks_ok, acks_bad, acks_late,
                     r ? static_cast<double>(*r) / 1024 : 0.0);
    }

    // ----- one user's next action -----
    void step(user& u, clock_type::time_point now) {
        switch (u.state) {
            case slot_state::offline:
                if (draining_phase() || ph == phase::warmup_run) return;
                if (ph == phase::main_run && now >= t_main_end) return;
                if (now >= u.reconnect_at && in_handshake < opt.connect_concurrency) connect(u);
                return;
            case slot_state::connecting:
                if (now - u.state_since > std::chrono::seconds(30)) {
                    ++connect_failures;
                    report("user %u: not connected after 30 s", u.index);
                    u.c->abort("connect timeout");  // on_sio_closed runs
                }
                return;
            case slot_state::online: {
                if (u.churn && now >= u.disconnect_at) return begin_drain(u);
                if (opt.room_switch > 0 && now >= u.next_switch) {
                    u.next_switch = now + seconds_d(expo(opt.room_switch));
                    switch_room(u);
                }
                if (opt.rate > 0 && now >= u.next_chat) {
                    u.next_chat = now + seconds_d(expo(1.0 / opt.rate));
                    send_chat(u);
                }
                return;
            }
            case slot_state::draining:
                if (u.pending.empty()) finish_user(u);
                return;
            case slot_state::finishing:
                if (u.pending.empty()) close_user(u);
                return;
            case slot_state::closing:
                if (now - u.state_since > std::chrono::seconds(10)) {
                    ++close_timeouts;
                    report("user %u: close (%s) not completed after 10 s", u.index,
                           close_mode_names[static_cast<int>(u.cm)]);
                    u.c->abort("close timeout");
                }
                return;
        }
    }

    void set_state(user& u, slot_state s) {
        if (u.state == slot_state::online) --online;
        if (s == slot_state::online) ++online;
        u.state = s;
        u.state_since = clock_type::now();
    }

    void connect(user& u) {
        const auto inc = static_cast<std::uint32_t>(incs.size());
        incs.emplace_back();
        incs.back().slot = u.index;
        u.inc = inc;
        u.rooms.clear();
        u.pending.clear();
        u.chats_inflight = 0;
        u.switch_to.reset();
        u.next_ack_id = 0;
        u.c = std::make_unique<conn>(*this, copts[u.index % copts.size()], u.index, inc);
        set_state(u, slot_state::connecting);
        ++in_handshake;
        ++connects_started;
        u.c->start();
    }

    std::uint64_t add_pending(user& u, op_kind k, std::uint64_t ref) {
        const std::uint64_t id = u.next_ack_id++;
        u.pending.push_back({id, k, ref, clock_type::now(), false});
        return id;
    }

    // Sends "join" for a new membership of `room`.
    void join_room(user& u, std::uint32_t room) {
        const auto mi = static_cast<std::uint32_t>(mems.size());
        mems.emplace_back();
        membership& m = mems.back();
        m.room = room;
        m.inc = u.inc;
        m.join_sent = tick();
        room_members[room].push_back(mi);
        u.rooms.push_back({room, mi, room_slot::st::joining});
        const std::uint64_t id = add_pending(u, op_kind::join, mi);
        ++joins;
        u.c->emit("[\"join\",\"" + room_name(room) + "\"]", id);
    }

    void on_connected(user& u) {
        --in_handshake;
        ++connects_ok;
        const auto now = clock_type::now();
        connect_hist.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - u.state_since).count()));
        {
            const double s = secs(now - u.state_since);
            std::size_t b = s < 0.5 ? 0 : 1;
            for (double lim = 1; b < 6 && s >= lim; lim *= 2) ++b;
            ++connect_buckets[b];
        }
        if (draining_phase() || (ph == phase::main_run && now >= t_main_end)) {
            set_state(u, slot_state::online);
            return begin_drain(u);
        }
        set_state(u, slot_state::online);
        const int k = rng() % 2 ? 2 : 1;
        const std::uint32_t a = random_room();
        join_room(u, a);
        if (k == 2 && opt.rooms > 1) {
            std::uint32_t b = random_room();
            while (b == a) b = random_room();
            join_room(u, b);
        }
        u.next_chat = now + seconds_d(opt.rate > 0 ? expo(1.0 / opt.rate) : 1e9);
        u.next_switch = now + seconds_d(expo(opt.room_switch));
        u.churn = ph == phase::main_run && opt.lifetime > 0;
        if (u.churn) u.disconnect_at = now + seconds_d(expo(opt.lifetime));
    }

    void switch_room(user& u) {
        if (opt.rooms < 2 || u.switch_to) return;
        room_slot* from = nullptr;
        for (auto& r : u.rooms)
            if (r.state != room_slot::st::joined) return;  // one room operation at a time
        if (u.rooms.empty()) return;
        from = &u.rooms[rng() % u.rooms.size()];
        std::uint32_t to = random_room();
        auto taken = [&](std::uint32_t r) {
            for (auto& s : u.rooms)
                if (s.room == r) return true;
            return false;
        };
        if (opt.rooms <= u.rooms.size()) return;
        while (taken(to)) to = random_room();
        ++switches;
        u.switch_to = to;
        send_leave(u, *from);
    }

    void send_leave(user& u, room_slot& r) {
        r.state = room_slot::st::leaving;
        mems[r.mem].end_sent = tick();
        const std::uint64_t id = add_pending(u, op_kind::leave, r.mem);
        ++leaves;
        u.c->emit("[\"leave\",\"" + room_name(r.room) + "\"]", id);
    }

    void send_chat(user& u) {
        std::vector<std::uint32_t> joined;
        for (auto& r : u.rooms)
            if (r.state == room_slot::st::joined) joined.push_back(r.room);
        if (joined.empty()) return;
        if (u.chats_inflight >= opt.max_inflight) {
            ++chats_skipped;
            return;
        }
        const std::uint32_t room = joined[rng() % joined.size()];
        const std::uint64_t mid = msgs.size();
        msgs.push_back({room, u.inc, tick(), never});
        room_msgs[room].push_back(mid);
        const std::uint64_t id = add_pending(u, op_kind::chat, mid);
        ++u.chats_inflight;
        ++chats;
        buf.clear();
        buf += "[\"chat\",{\"room\":\"";
        buf += room_name(room);
        buf += "\",\"seq\":";
        buf += std::to_string(mid);
        buf += ",\"text\":\"";
        buf += text_of(mid);
        buf += "\"}]";
        u.c->emit(buf, id);
    }

    // Stop emitting; once every ack is in, end the memberships and close.
    void begin_drain(user& u) {
        set_state(u, slot_state::draining);
        u.switch_to.reset();
        u.em = rng() % 2 ? end_mode::sync : end_mode::leave_all;
        u.cm = static_cast<close_mode>(rng() % 4);
        if (u.pending.empty()) finish_user(u);
    }

    void finish_user(user& u) {
        set_state(u, slot_state::finishing);
        if (u.em == end_mode::leave_all || u.rooms.empty()) {
            for (auto& r : u.rooms)
                if (r.state == room_slot::st::joined) send_leave(u, r);
        } else {
            const tick_t t = tick();
            for (auto& r : u.rooms) mems[r.mem].end_sent = t;
            const std::uint64_t id = add_pending(u, op_kind::sync, 0);
            ++syncs;
            u.c->emit("[\"sync\"]", id);
        }
        if (u.pending.empty()) close_user(u);
    }

    void close_user(user& u) {
        set_state(u, slot_state::closing);
        ++closes_by_mode[static_cast<int>(u.cm)];
        switch (u.cm) {
            case close_mode::sio_disconnect:
                u.c->send_message("1");  // "41": Socket.IO DISCONNECT of "/"
                u.c->close_session();
                break;
            case close_mode::eio_close: u.c->close_session(); break;
            case close_mode::ws_close: u.c->close(); break;
            case close_mode::tcp_abort: u.c->abort("tcp close"); break;  // on_sio_closed runs now
        }
    }

    // ----- membership ends: verify it against every message of its room -----
    void end_membership(std::uint32_t mi, bool by_close) {
        membership& m = mems[mi];
        m.end_acked = tick();
        if (m.end_sent == never) m.end_sent = m.end_acked;
        m.closed_at = clock_type::now();
        m.ended_by_close = by_close;
        ++memberships_verified;
        auto& rec = m.received;
        std::sort(rec.begin(), rec.end());
        // Every message received must have been allowed: Js < Ta (Ts < La holds: received before now).
        for (std::uint64_t id : rec) {
            const message& g = msgs[id];
            if (g.acked != never && g.acked < m.join_sent) {
                ++unexpected_deliveries;
                report("message %" PRIu64 " (room r%u) was acked before connection %u even sent its join, yet delivered",
                       id, m.room, m.inc);
            }
        }
        // Every expected message must have been received: Ja < Ts, Ta < Ls.
        if (m.join_acked != never) {
            const auto& list = room_msgs[m.room];
            auto it = std::upper_bound(list.begin(), list.end(), m.join_acked,
                                       [&](tick_t t, std::uint64_t id) { return t < msgs[id].sent; });
            std::uint64_t exp = 0, got = 0;
            for (; it != list.end() && msgs[*it].sent < m.end_sent; ++it) {
                const message& g = msgs[*it];
                if (g.sender_inc == m.inc || g.acked == never || g.acked >= m.end_sent) continue;
                ++exp;
                if (std::binary_search(rec.begin(), rec.end(), *it)) ++got;
                else {
                    ++missing;
                    report("message %" PRIu64 " to room r%u never reached connection %u (sid %s), a member throughout",
                           *it, m.room, m.inc, incs[m.inc].sid.c_str());
                }
            }
            expected += exp;
            expected_received += got;
            extra_allowed += rec.size() - got;
        } else {
            extra_allowed += rec.size();
        }
        std::vector<std::uint64_t>().swap(rec);
    }

    // Bounds on the server's recipient count of message `mid`, at its ack.
    void check_count(std::uint64_t mid, std::uint64_t n) {
        const message& g = msgs[mid];
        const auto now = clock_type::now();
        std::uint64_t lo = 0, hi = 0;
        auto& list = room_members[g.room];
        const auto keep = seconds_d(opt.count_grace + opt.ack_timeout + 1);
        std::erase_if(list, [&](std::uint32_t mi) {
            const membership& m = mems[mi];
            return m.end_acked != never && now - m.closed_at > keep;
        });
        for (std::uint32_t mi : list) {
            const membership& m = mems[mi];
            if (m.inc == g.sender_inc) continue;
            if (m.join_acked < g.sent && m.end_sent == never) ++lo;
            const bool may_be_in = m.end_acked == never || m.end_acked > g.sent ||
                                   (m.ended_by_close && now - m.closed_at <= seconds_d(opt.count_grace));
            if (m.join_sent < g.acked && may_be_in) ++hi;
        }
        ++count_checked;
        count_recipients += n;
        if (n < lo) {
            ++count_low;
            report("chat %" PRIu64 " to r%u: the server handed it to %" PRIu64 " sockets, but %" PRIu64
                   " were members throughout",
                   mid, g.room, n, lo);
        } else if (n > hi) {
            ++count_high;
            report("chat %" PRIu64 " to r%u: the server handed it to %" PRIu64 " sockets, at most %" PRIu64
                   " could be members",
                   mid, g.room, n, hi);
        }
    }

    void check_ack_timeouts(clock_type::time_point now) {
        const auto limit = seconds_d(opt.ack_timeout);
        for (auto& u : users)
            for (auto& p : u.pending)
                if (!p.late && now - p.sent_at > limit) {
                    p.late = true;
                    ++acks_late;
                    report("user %u (connection %u): ack %" PRIu64 " not received after %gs", u.index, u.inc, p.ack_id,
                           opt.ack_timeout);
                }
    }

    // ----- events from connections -----
    void connected(conn& c, std::string_view sid) {
        if (c.slot == none32) {
            census_conn->emit("[\"census\"," + std::to_string(opt.rooms) + "]", 0);
            return;
        }
        incs[c.inc].sid.assign(sid);
        on_connected(users[c.slot]);
    }

    void ack(conn& c, std::uint64_t ack_id, std::string_view args) {
        if (c.slot == none32) return census_answer(args);
        user& u = users[c.slot];
        if (u.inc != c.inc) return;
        auto it = std::find_if(u.pending.begin(), u.pending.end(), [&](auto& p) { return p.ack_id == ack_id; });
        if (it == u.pending.end()) {
            ++acks_unknown;
            report("user %u: ack %" PRIu64 " that was not asked for (or came twice): %.*s", u.index, ack_id,
                   static_cast<int>(std::min<std::size_t>(args.size(), 120)), args.data());
            return;
        }
        const pending_op p = *it;
        u.pending.erase(it);
        ack_hist.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - p.sent_at).count()));
        const tick_t t = tick();
        bool ok = true;
        switch (p.kind) {
            case op_kind::join: {
                ok = args == "[true]";
                membership& m = mems[p.ref];
                m.join_acked = t;
                for (auto& r : u.rooms)
                    if (r.mem == p.ref && r.state == room_slot::st::joining) r.state = room_slot::st::joined;
                break;
            }
            case op_kind::leave: {
                ok = args == "[true]";
                end_membership(static_cast<std::uint32_t>(p.ref), false);
                std::erase_if(u.rooms, [&](auto& r) { return r.mem == p.ref; });
                if (u.switch_to && u.state == slot_state::online) {
                    const std::uint32_t to = *u.switch_to;
                    u.switch_to.reset();
                    join_room(u, to);
                }
                break;
            }
            case op_kind::chat: {
                msgs[p.ref].acked = t;
                --u.chats_inflight;
                std::uint64_t n = 0;
                auto r = std::from_chars(args.data() + 1, args.data() + args.size(), n);
                ok = args.size() >= 3 && args.front() == '[' && r.ec == std::errc() && r.ptr == args.data() + args.size() - 1 &&
                     args.back() == ']';
                if (ok && inject_now(options::fault::count)) n += 1000;
                if (ok) check_count(p.ref, n);
                break;
            }
            case op_kind::sync: ok = args == "[true]"; break;
            case op_kind::census: break;
        }
        if (ok) ++acks_ok;
        else {
            ++acks_bad;
            report("user %u: unexpected ack value %.*s", u.index, static_cast<int>(std::min<std::size_t>(args.size(), 120)),
                   args.data());
        }
        if (p.late) report("user %u: ack %" PRIu64 " arrived late", u.index, p.ack_id);
        if (u.state == slot_state::draining && u.pending.empty()) finish_user(u);
        else if (u.state == slot_state::finishing && u.pending.empty()) close_user(u);
    }

    std::uint64_t injected = 0, inject_counter = 0;
    bool inject_now(options::fault f) {
        if (opt.inject != f || ++inject_counter % opt.inject_every != 0) return false;
        ++injected;
        return true;
    }

    void event(conn& c, std::string_view args, std::optional<std::uint64_t> ack_id) {
        if (!ack_id && c.slot != none32) {
            if (inject_now(options::fault::drop)) return;
            if (inject_now(options::fault::dup)) handle_event(c, args, ack_id);
        }
        handle_event(c, args, ack_id);
    }

    void handle_event(conn& c, std::string_view args, std::optional<std::uint64_t> ack_id) {
        if (c.slot == none32 || ack_id) {
            ++unexpected_packets;
            report("unexpected EVENT %.*s", static_cast<int>(std::min<std::size_t>(args.size(), 120)), args.data());
            return;
        }
        user& u = users[c.slot];
        if (u.inc != c.inc) return;
        ++receipts;
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(args, ec);
        const boost::json::object* o = nullptr;
        if (!ec && v.is_array() && v.as_array().size() == 2 && v.as_array()[0] == "chat" && v.as_array()[1].is_object())
            o = &v.as_array()[1].as_object();
        const boost::json::value* from = o ? o->if_contains("from") : nullptr;
        const boost::json::value* room = o ? o->if_contains("room") : nullptr;
        const boost::json::value* seq = o ? o->if_contains("seq") : nullptr;
        const boost::json::value* text = o ? o->if_contains("text") : nullptr;
        std::uint64_t id = 0;
        bool ok = from && room && seq && text && from->is_string() && room->is_string() && text->is_string() &&
                  (seq->is_uint64() || (seq->is_int64() && seq->get_int64() >= 0));
        if (ok) {
            id = seq->is_uint64() ? seq->get_uint64() : static_cast<std::uint64_t>(seq->get_int64());
            ok = id < msgs.size() && room_name(msgs[id].room) == room->get_string() &&
                 incs[msgs[id].sender_inc].sid == from->get_string() && text_of(id) == text->get_string();
        }
        if (!ok) {
            ++malformed;
            report("connection %u: malformed or unknown chat %.*s", c.inc,
                   static_cast<int>(std::min<std::size_t>(args.size(), 160)), args.data());
            return;
        }
        const message& g = msgs[id];
        if (g.sender_inc == c.inc) {
            ++unexpected_deliveries;
            report("connection %u received its own chat %" PRIu64, c.inc, id);
            return;
        }
        if (!incs[c.inc].seen.insert(id).second) {
            ++duplicates;
            report("connection %u received chat %" PRIu64 " (room r%u) twice", c.inc, id, g.room);
            return;
        }
        for (auto& r : u.rooms)
            if (r.room == g.room) {
                mems[r.mem].received.push_back(id);
                return;
            }
        ++unexpected_deliveries;
        report("connection %u received chat %" PRIu64 " for room r%u, which it is not in (left or never joined)", c.inc,
               id, g.room);
    }

    void closed(conn& c, std::string_view why, bool by_us) {
        if (c.slot == none32) {
            if (ph == phase::census && !census_sockets) report("census connection closed: %.*s", int(why.size()), why.data());
            if (ph == phase::census) finish();
            return;
        }
        user& u = users[c.slot];
        if (u.inc != c.inc) return;
        const bool ours = u.state == slot_state::closing;
        if (u.state == slot_state::connecting) {
            --in_handshake;
            if (!by_us) {
                ++connect_failures;
                report("user %u: connect failed: %.*s", u.index, int(why.size()), why.data());
            }
        } else if (!ours) {
            ++unexpected_closes;
            report("user %u (connection %u, sid %s): closed in state %d: %.*s", u.index, c.inc, incs[c.inc].sid.c_str(),
                   static_cast<int>(u.state), int(why.size()), why.data());
        }
        if (!ours && !u.pending.empty()) {
            acks_lost += u.pending.size();
            for (auto& p : u.pending) {
                if (p.kind == op_kind::chat) --u.chats_inflight;
            }
        }
        const tick_t t = tick();
        for (auto& r : u.rooms) {
            membership& m = mems[r.mem];
            if (m.end_sent == never) m.end_sent = t;
            end_membership(r.mem, true);
        }
        u.rooms.clear();
        u.pending.clear();
        u.switch_to.reset();
        incs[c.inc].seen = {};
        graveyard.emplace_back(clock_type::now(), std::move(u.c));
        set_state(u, slot_state::offline);
        u.reconnect_at = clock_type::now() + seconds_d(uniform(0.2, std::max(0.2, opt.offline)));
    }

    // ----- census -----
    void start_census() {
        census_conn = std::make_unique<conn>(*this, copts[0], none32, none32);
        census_conn->start();
    }
    void census_answer(std::string_view args) {
        census_raw.assign(args);
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(args, ec);
        if (!ec && v.is_array() && v.as_array().size() == 1 && v.as_array()[0].is_object()) {
            const auto& o = v.as_array()[0].as_object();
            auto get = [&](const char* k) -> std::optional<std::uint64_t> {
                const auto* x = o.if_contains(k);
                if (x && x->is_uint64()) return x->get_uint64();
                if (x && x->is_int64() && x->get_int64() >= 0) return static_cast<std::uint64_t>(x->get_int64());
                return std::nullopt;
            };
            census_sockets = get("sockets");
            census_members = get("members");
        }
        census_conn->close_session();
    }

    void finish() {
        if (ph == phase::done) return;
        t_end = clock_type::now();
        cpu1 = lg::self_cpu::now();
        tcp1 = read_tcp_counters();
        if (opt.server_pid) srv_cpu1 = lg::proc_cpu_times(opt.server_pid);
        ph = phase::done;
        timer.cancel();
        io.stop();
    }

    int summarize();
};

asio::io_context& conn::io_of(driver& d) { return d.io; }
void conn::on_sio_connect(std::string_view sid) { d.connected(*this, sid); }
void conn::on_sio_event(std::string_view args, std::optional<std::uint64_t> ack_id) { d.event(*this, args, ack_id); }
void conn::on_sio_ack(std::uint64_t id, std::string_view args) { d.ack(*this, id, args); }
void conn::on_sio_closed(std::string_view why, bool by_us) { d.closed(*this, why, by_us); }

std::string num(double x) {
    if (!std::isfinite(x)) return "null";
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", x);
    return b;
}
std::string opt_u(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "null"; }

int driver::summarize() {
    const bool memory_checked = opt.server_pid && rss_start && rss_end;
    const double start_kib = rss_start ? static_cast<double>(*rss_start) : 0;
    const double end_kib = rss_end ? static_cast<double>(*rss_end) : 0;
    const double margin_kib = std::max(start_kib * opt.rss_margin_pct / 100, opt.rss_margin_mib * 1024);
    const bool memory_ok = !memory_checked || end_kib <= start_kib + margin_kib;
    const bool census_ok = census_sockets == 1u && census_members == 0u;
    const std::uint64_t never_acked = [&] {
        std::uint64_t n = 0;
        for (auto& u : users) n += u.pending.size();
        return n;
    }();
    const std::uint64_t lost_acks = acks_lost + never_acked;
    const bool delivery_ok = missing == 0 && duplicates == 0 && unexpected_deliveries == 0 && malformed == 0;
    const bool acks_good = acks_bad == 0 && acks_late == 0 && acks_unknown == 0 && lost_acks == 0;
    const bool counts_ok = count_low == 0 && count_high == 0;
    const bool conns_ok = connect_failures == 0 && unexpected_closes == 0 && close_timeouts == 0 && unexpected_packets == 0;
    const bool ok = fatal.empty() && delivery_ok && acks_good && counts_ok && conns_ok && census_ok && memory_ok &&
                    (memory_checked || opt.no_memory_check);
    const double wall = secs(t_end - t_start);
    const double main_s = secs(t_main_end - t_main_start);
    const double gen_cpu = cpu1.total() - cpu0.total();
    std::optional<double> srv_cpu, srv_user, srv_sys, srv_cpu_main, gen_cpu_main;
    if (srv_cpu0 && srv_cpu1) {
        srv_cpu = srv_cpu1->total() - srv_cpu0->total();
        srv_user = srv_cpu1->user - srv_cpu0->user;
        srv_sys = srv_cpu1->sys - srv_cpu0->sys;
    }
    if (srv_cpu_main0 && srv_cpu_main1) srv_cpu_main = srv_cpu_main1->total() - srv_cpu_main0->total();
    if (cpu_main1.total() > 0) gen_cpu_main = cpu_main1.total() - cpu_main0.total();
    auto mib = [](double kib) { return kib / 1024; };
    if (!opt.quiet) {
        std::printf("soak_client: ws://127.0.0.1:%u/socket.io/  %zu users, %zu rooms, %g chats/s per user, main %gs "
                    "(+%gs warm-up), lifetime %gs, room switch %gs, seed %" PRIu64 "\n",
                    opt.port, opt.clients, opt.rooms, opt.rate, opt.duration, opt.warmup, opt.lifetime, opt.room_switch,
                    opt.seed);
        std::printf("  run         : %.1fs wall (main phase %.1fs)%s%s\n", wall, main_s, fatal.empty() ? "" : "; STOPPED: ",
                    fatal.c_str());
        std::printf("  connections : %" PRIu64 " opened (%" PRIu64 " started), %" PRIu64 " connect failures, %" PRIu64
                    " closed by the server, %" PRIu64 " closes not completed\n",
                    connects_ok, connects_started, connect_failures, unexpected_closes, close_timeouts);
        std::printf("  latency     : connect (TCP + upgrade + Socket.IO CONNECT) p50 %s p99 %s max %s; ack p50 %s p99 %s max %s\n",
                    lg::fmt_latency_ns(connect_hist.quantile(0.5)).c_str(), lg::fmt_latency_ns(connect_hist.quantile(0.99)).c_str(),
                    lg::fmt_latency_ns(static_cast<double>(connect_hist.max())).c_str(),
                    lg::fmt_latency_ns(ack_hist.quantile(0.5)).c_str(), lg::fmt_latency_ns(ack_hist.quantile(0.99)).c_str(),
                    lg::fmt_latency_ns(static_cast<double>(ack_hist.max())).c_str());
        std::printf("  connect time: <0.5s %" PRIu64 ", 0.5-1s %" PRIu64 ", 1-2s %" PRIu64 ", 2-4s %" PRIu64 ", 4-8s %" PRIu64
                    ", 8-16s %" PRIu64 ", >=16s %" PRIu64 "\n",
                    connect_buckets[0], connect_buckets[1], connect_buckets[2], connect_buckets[3], connect_buckets[4],
                    connect_buckets[5], connect_buckets[6]);
        std::printf("  kernel TCP  : during the run, system-wide:");
        for (std::size_t i = 0; i < tcp_counter_count; ++i)
            if (tcp0[i] >= 0 && tcp1[i] >= 0) std::printf(" %s %lld", tcp_counter_names[i], static_cast<long long>(tcp1[i] - tcp0[i]));
        std::printf("\n");
        std::printf("  our closes  : %" PRIu64 " sio DISCONNECT+eio close, %" PRIu64 " eio close, %" PRIu64 " ws close, %" PRIu64
                    " tcp close\n",
                    closes_by_mode[0], closes_by_mode[1], closes_by_mode[2], closes_by_mode[3]);
        std::printf("  operations  : %" PRIu64 " joins, %" PRIu64 " leaves (%" PRIu64 " room switches), %" PRIu64 " syncs, %" PRIu64
                    " chats (%" PRIu64 " skipped: %zu in flight)\n",
                    joins, leaves, switches, syncs, chats, chats_skipped, opt.max_inflight);
        std::printf("  acks        : %" PRIu64 " ok, %" PRIu64 " wrong value, %" PRIu64 " later than %gs, %" PRIu64
                    " never came, %" PRIu64 " not asked for\n",
                    acks_ok, acks_bad, acks_late, opt.ack_timeout, lost_acks, acks_unknown);
        std::printf("  deliveries  : %" PRIu64 " received; %" PRIu64 " expected (stable members), %" PRIu64 " of them received, %" PRIu64
                    " MISSING; %" PRIu64 " allowed extra (membership changing); %" PRIu64 " duplicated, %" PRIu64
                    " not allowed, %" PRIu64 " malformed; %" PRIu64 " memberships checked\n",
                    receipts, expected, expected_received, missing, extra_allowed, duplicates, unexpected_deliveries,
                    malformed, memberships_verified);
        std::printf("  counts      : %" PRIu64 " chat acks checked against the members (mean %.1f recipients), %" PRIu64
                    " below, %" PRIu64 " above\n",
                    count_checked, count_checked ? static_cast<double>(count_recipients) / static_cast<double>(count_checked) : 0.0,
                    count_low, count_high);
        std::printf("  census      : %s -> %s\n", census_raw.empty() ? "(no answer)" : census_raw.c_str(),
                    census_ok ? "ok (only the census socket, no room member)" : "FAILED (expected 1 socket, 0 members)");
        if (opt.server_pid)
            std::printf("  memory      : server VmRSS at start %.1f MiB, after warm-up %.1f MiB, peak %.1f MiB (main phase "
                        "%.1f MiB), end %.1f MiB, VmHWM %.1f MiB; end - warm-up = %+.1f MiB, margin %.1f MiB -> %s\n",
                        mib(static_cast<double>(rss_first.value_or(0))), mib(start_kib), mib(static_cast<double>(rss_peak)),
                        mib(static_cast<double>(rss_peak_main.value_or(0))), mib(end_kib),
                        mib(static_cast<double>(hwm_end.value_or(0))), mib(end_kib - start_kib), mib(margin_kib),
                        !memory_checked ? "NOT CHECKED" : memory_ok ? "ok" : "FAILED");
        if (srv_cpu)
            std::printf("  cpu         : server %.1fs (user %.1fs, sys %.1fs; main phase %.1fs = %.0f%% of a core), "
                        "soak_client %.1fs (main phase %.0f%%)\n",
                        *srv_cpu, *srv_user, *srv_sys, srv_cpu_main.value_or(0),
                        main_s > 0 ? 100 * srv_cpu_main.value_or(0) / main_s : 0.0, gen_cpu,
                        main_s > 0 ? 100 * gen_cpu_main.value_or(0) / main_s : 0.0);
        std::printf("  rates       : %.0f chats/s, %.0f receipts/s, %.1f connects/s over the run\n",
                    static_cast<double>(chats) / wall, static_cast<double>(receipts) / wall,
                    static_cast<double>(connects_ok) / wall);
        if (opt.inject != options::fault::none)
            std::printf("  self-test   : %" PRIu64 " faults injected (--inject): this run must FAIL\n", injected);
        std::printf("  result      : %s\n", ok ? "PASSED" : "FAILED");
    }
    std::string rs = "[";
    for (std::size_t i = 0; i < rss_series.size(); ++i)
        rs += (i ? "," : "") + std::string("[") + num(rss_series[i].first) + "," + std::to_string(rss_series[i].second) + "]";
    rs += "]";
    std::string j = "{\"ok\":" + std::string(ok ? "true" : "false");
    auto add = [&](const char* k, const std::string& v) { j += ",\"" + std::string(k) + "\":" + v; };
    auto u64 = [](std::uint64_t v) { return std::to_string(v); };
    if (!fatal.empty()) add("error", "\"" + lg::json_escape(fatal) + "\"");
    add("clients", u64(opt.clients));
    add("rooms", u64(opt.rooms));
    add("rate", num(opt.rate));
    add("duration_s", num(opt.duration));
    add("warmup_s", num(opt.warmup));
    add("lifetime_s", num(opt.lifetime));
    add("room_switch_s", num(opt.room_switch));
    add("seed", u64(opt.seed));
    if (opt.inject != options::fault::none) add("injected_faults", u64(injected));
    add("wall_s", num(wall));
    add("connections", u64(connects_ok));
    add("connect_failures", u64(connect_failures));
    add("connect_ms", "{\"p50\":" + num(connect_hist.quantile(0.5) / 1e6) + ",\"p99\":" + num(connect_hist.quantile(0.99) / 1e6) +
                          ",\"max\":" + num(static_cast<double>(connect_hist.max()) / 1e6) + "}");
    add("ack_ms", "{\"p50\":" + num(ack_hist.quantile(0.5) / 1e6) + ",\"p99\":" + num(ack_hist.quantile(0.99) / 1e6) +
                      ",\"max\":" + num(static_cast<double>(ack_hist.max()) / 1e6) + "}");
    {
        std::string cb = "[";
        for (std::size_t i = 0; i < connect_buckets.size(); ++i) cb += (i ? "," : "") + std::to_string(connect_buckets[i]);
        add("connect_buckets", cb + "]");
        std::string tc = "{";
        for (std::size_t i = 0; i < tcp_counter_count; ++i)
            tc += (i ? ",\"" : "\"") + std::string(tcp_counter_names[i]) + "\":" +
                  (tcp0[i] >= 0 && tcp1[i] >= 0 ? std::to_string(tcp1[i] - tcp0[i]) : std::string("null"));
        add("kernel_tcp", tc + "}");
    }
    add("server_closes", u64(unexpected_closes));
    add("close_timeouts", u64(close_timeouts));
    add("joins", u64(joins));
    add("leaves", u64(leaves));
    add("syncs", u64(syncs));
    add("chats", u64(chats));
    add("chats_skipped", u64(chats_skipped));
    add("acks_ok", u64(acks_ok));
    add("acks_bad", u64(acks_bad));
    add("acks_late", u64(acks_late));
    add("acks_lost", u64(lost_acks));
    add("acks_unknown", u64(acks_unknown));
    add("receipts", u64(receipts));
    add("expected", u64(expected));
    add("expected_received", u64(expected_received));
    add("missing", u64(missing));
    add("extra_allowed", u64(extra_allowed));
    add("duplicates", u64(duplicates));
    add("not_allowed", u64(unexpected_deliveries));
    add("malformed", u64(malformed));
    add("count_checked", u64(count_checked));
    add("count_low", u64(count_low));
    add("count_high", u64(count_high));
    add("census_sockets", opt_u(census_sockets));
    add("census_members", opt_u(census_members));
    add("rss_initial_kib", opt_u(rss_first));
    add("rss_start_kib", opt_u(rss_start));
    add("rss_peak_kib", u64(rss_peak));
    add("rss_end_kib", opt_u(rss_end));
    add("hwm_end_kib", opt_u(hwm_end));
    add("rss_margin_kib", num(margin_kib));
    add("memory_ok", memory_checked ? (memory_ok ? "true" : "false") : "null");
    add("rss_series", rs);
    add("server_cpu_s", srv_cpu ? num(*srv_cpu) : "null");
    add("server_cpu_main_s", srv_cpu_main ? num(*srv_cpu_main) : "null");
    add("client_cpu_s", num(gen_cpu));
    j += "}";
    std::printf("RESULT %s\n", j.c_str());
    std::fflush(stdout);
    if (!ok) {
        std::fprintf(stderr, "soak_client: FAILED:%s%s%s%s%s%s%s\n", fatal.empty() ? "" : " run stopped;",
                     delivery_ok ? "" : " deliveries;", acks_good ? "" : " acks;", counts_ok ? "" : " recipient counts;",
                     conns_ok ? "" : " connections;", census_ok ? "" : " census;",
                     !memory_ok ? " memory;" : memory_checked || opt.no_memory_check ? "" : " memory not read;");
        return fatal.empty() ? 1 : 2;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse_args(argc, argv);
    const std::uint64_t need = o.clients + 64;
    const std::uint64_t have = lg::raise_fd_limit(need);
    if (have < need) {
        std::fprintf(stderr, "soak_client: %zu users need about %llu file descriptors; the limit is %llu (ulimit -n)\n",
                     o.clients, static_cast<unsigned long long>(need), static_cast<unsigned long long>(have));
        return 2;
    }
    driver d(o);
    d.setup();
    d.start();
    d.io.run();
    if (d.ph != phase::done) d.finish();
    if (d.t_end == clock_type::time_point{}) d.t_end = clock_type::now();
    return d.summarize();
}
