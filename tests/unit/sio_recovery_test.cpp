// sio/recovery.hpp: the recovery log and kept sessions of one namespace on one shard.
// A kept session is restored once, with exactly the logged packets after its offset
// that were addressed to it (rooms, except, an excluded sender), in log order; a
// client without an offset gets those since it connected; an unknown, expired or
// already taken session, or an offset the log no longer holds, restores nothing
// (the client starts afresh, never with a gap). Offsets are unique and the
// encoder places them as the last argument.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <asio/io_context.hpp>

#include <duet/sio/encoder.hpp>
#include <duet/sio/recovery.hpp>

using namespace duet::sio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::shared_ptr<const broadcast_message> logged(recovery_store& r, std::vector<std::string> rooms,
                                               std::vector<std::string> except = {}, std::string exclude = {}) {
    auto m = std::make_shared<broadcast_message>();
    m->rooms = std::move(rooms);
    m->except = std::move(except);
    m->exclude_id = std::move(exclude);
    m->offset = r.next_offset();
    m->text = "2[\"e\",\"" + m->offset + "\"]";
    return m;
}

std::vector<std::string> offsets(const std::vector<logged_packet>& v) {
    std::vector<std::string> out;
    for (auto& m : v) out.push_back(m->offset);
    return out;
}

kept_session session(std::string sid, std::vector<std::string> rooms, clock_type::time_point at, std::uint64_t seq = 0) {
    return {std::move(sid), "pid-" + std::to_string(seq), std::move(rooms), boost::json::value("data"), at, seq};
}

}  // namespace

TEST_CASE("recovery: offsets are unique and end the EVENT's arguments") {
    asio::io_context io;
    recovery_options o;
    recovery_store a(io, o, 0), b(io, o, 1);
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        CHECK(seen.insert(a.next_offset()).second);
        CHECK(seen.insert(b.next_offset()).second);
    }
    std::string text;
    encode_event_append(text, "/", "tick", {});
    append_offset_arg(text, "12.0");
    CHECK(text == "2[\"tick\",\"12.0\"]");
    text.clear();
    encode_event_append(text, "/chat", "m", std::vector<boost::json::value>{1, "x"});
    append_offset_arg(text, "z.1");
    CHECK(text == "2/chat,[\"m\",1,\"x\",\"z.1\"]");
    CHECK(recovery_store::new_pid().size() == 20);
}

TEST_CASE("recovery: addressed_to follows rooms, except and the excluded sender") {
    broadcast_message m;
    const std::vector<std::string> rooms{"r1", "r2"};
    CHECK(addressed_to(m, "s1", rooms));  // everyone
    m.rooms = {"r2"};
    CHECK(addressed_to(m, "s1", rooms));
    m.rooms = {"other"};
    CHECK_FALSE(addressed_to(m, "s1", rooms));
    m.rooms = {"s1"};  // its own room
    CHECK(addressed_to(m, "s1", {}));
    m.rooms = {};
    m.except = {"r1"};
    CHECK_FALSE(addressed_to(m, "s1", rooms));
    m.except = {"s1"};
    CHECK_FALSE(addressed_to(m, "s1", {}));
    m.except = {};
    m.exclude_id = "s1";
    CHECK_FALSE(addressed_to(m, "s1", rooms));
    CHECK(addressed_to(m, "s2", rooms));
}

TEST_CASE("recovery: a kept session gets what it missed after its offset, once") {
    asio::io_context io;
    recovery_options o;
    recovery_store r(io, o, 0);
    const auto t0 = clock_type::now();
    auto p0 = logged(r, {"room"});
    r.log(p0, t0);
    auto p1 = logged(r, {"room"});
    r.log(p1, t0);
    auto other = logged(r, {"elsewhere"});
    r.log(other, t0);
    auto p2 = logged(r, {});
    r.log(p2, t0);
    auto mine = logged(r, {"s1"});
    r.log(mine, t0);
    auto not_me = logged(r, {"room"}, {}, "s1");
    r.log(not_me, t0);
    r.persist(session("s1", {"room"}, t0));
    CHECK(r.kept_sessions() == 1);

    auto got = r.take("pid-0", p0->offset, t0 + 1s);
    REQUIRE(got);
    CHECK(got->session.sid == "s1");
    CHECK(got->session.data == boost::json::value("data"));
    CHECK(offsets(got->missed) == std::vector<std::string>{p1->offset, p2->offset, mine->offset});
    // Taken: a second try (the same client twice, or a replay) gets nothing.
    CHECK_FALSE(r.take("pid-0", p0->offset, t0 + 1s));
    CHECK(r.kept_sessions() == 0);
}

TEST_CASE("recovery: a client without an offset gets everything since it connected") {
    asio::io_context io;
    recovery_options o;
    recovery_store r(io, o, 0);
    const auto t0 = clock_type::now();
    r.log(logged(r, {}), t0);  // before it connected
    const std::uint64_t connected_at = r.next_seq();
    auto a = logged(r, {});
    r.log(a, t0);
    r.persist(session("s1", {}, t0, connected_at));
    auto got = r.take("pid-" + std::to_string(connected_at), std::nullopt, t0);
    REQUIRE(got);
    CHECK(offsets(got->missed) == std::vector<std::string>{a->offset});
}

TEST_CASE("recovery: unknown pid, expiry, an evicted offset: nothing restored") {
    asio::io_context io;
    recovery_options o;
    o.max_disconnection_duration = 1000ms;
    o.max_kept_packets = 3;
    recovery_store r(io, o, 0);
    const auto t0 = clock_type::now();
    auto first = logged(r, {});
    r.log(first, t0);
    CHECK_FALSE(r.take("nobody", first->offset, t0));

    // Expired.
    r.persist(session("s1", {}, t0));
    CHECK_FALSE(r.take("pid-0", first->offset, t0 + 1001ms));

    // Its offset pushed out by the cap: a gap would follow, so no restore.
    r.persist(session("s2", {}, t0));
    for (int i = 0; i < 3; ++i) r.log(logged(r, {}), t0);
    CHECK(r.kept_packets() == 3);
    CHECK_FALSE(r.contains(first->offset));
    CHECK_FALSE(r.take("pid-0", first->offset, t0));

    // No offset and connected before the oldest kept packet: no restore either.
    r.persist(session("s3", {}, t0, 0));
    CHECK_FALSE(r.take("pid-0", std::nullopt, t0));

    // Old packets and sessions go with time.
    r.persist(session("s4", {}, t0));
    r.expire(t0 + 2s);
    CHECK(r.kept_sessions() == 0);
    CHECK(r.kept_packets() == 0);
}

TEST_CASE("recovery: append_since skips what was already replayed") {
    asio::io_context io;
    recovery_options o;
    recovery_store r(io, o, 0);
    const auto t0 = clock_type::now();
    auto a = logged(r, {});
    auto b = logged(r, {});
    auto c = logged(r, {"not-mine"});
    r.log(a, t0);
    const std::uint64_t since = r.next_seq();
    r.log(b, t0);
    r.log(c, t0);
    std::vector<logged_packet> out{a};
    std::unordered_set<std::string_view> skip{a->offset};
    r.append_since(since, session("s1", {}, t0), skip, out);
    CHECK(offsets(out) == std::vector<std::string>{a->offset, b->offset});
}

TEST_CASE("recovery: expired sessions are freed by the store's own timer") {
    asio::io_context io;
    recovery_options o;
    o.max_disconnection_duration = 20ms;
    recovery_store r(io, o, 0);
    r.persist(session("s1", {}, clock_type::now()));
    r.log(logged(r, {}));
    CHECK(r.kept_sessions() == 1);
    io.run_for(500ms);
    CHECK(r.kept_sessions() == 0);
    CHECK(r.kept_packets() == 0);
    CHECK(io.stopped());  // nothing left armed
}

TEST_CASE("recovery: stop() leaves no timer armed") {
    asio::io_context io;
    recovery_options o;
    recovery_store r(io, o, 0);
    r.persist(session("s1", {}, clock_type::now()));
    r.stop();
    io.run_for(200ms);
    CHECK(io.stopped());
    CHECK(r.kept_sessions() == 1);  // kept, only no longer timed
}
