// runtime/timer_wheel.hpp: every scheduled timer fires exactly once, at the first
// advance() whose time has reached its expiry (never earlier, never later); cancelled
// and rescheduled timers behave as the last call said; next_wake() never sleeps past
// a due timer. Checked case by case and against a plain model over random operations
// spanning every level of the wheel.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include <duet/runtime/timer_wheel.hpp>

using duet::runtime::timer_wheel;
using duet::runtime::wheel_timer;

namespace {

struct probe final : wheel_timer {
    std::vector<std::uint64_t>* log = nullptr;  // when it fired (the wheel's now)
    timer_wheel* wheel = nullptr;
    std::uint64_t id = 0;
    std::vector<std::uint64_t>* ids = nullptr;  // firing order
    void on_timer() override {
        if (log) log->push_back(wheel->now());
        if (ids) ids->push_back(id);
    }
    ~probe() {
        if (wheel) wheel->cancel(*this);
    }
};

}  // namespace

TEST_CASE("timer_wheel: a timer fires at its millisecond, not before") {
    timer_wheel w(1000);
    std::vector<std::uint64_t> fired;
    probe p;
    p.wheel = &w;
    p.log = &fired;
    w.schedule(p, 1300);
    CHECK(p.scheduled());
    CHECK(w.size() == 1);
    CHECK(w.next_wake() <= 1300);
    CHECK(w.advance(1299) == 0);
    CHECK(fired.empty());
    // However the wheel got there, the last wake before the expiry is the expiry.
    while (w.next_wake() < 1300) CHECK(w.advance(w.next_wake()) == 0);
    CHECK(w.next_wake() == 1300);
    CHECK(w.advance(1300) == 1);
    CHECK(fired == std::vector<std::uint64_t>{1300});
    CHECK_FALSE(p.scheduled());
    CHECK(w.empty());
    CHECK(w.next_wake() == timer_wheel::never);
}

TEST_CASE("timer_wheel: a late advance fires everything due, once") {
    timer_wheel w(0);
    std::vector<std::uint64_t> ids;
    std::vector<probe> ps(5);
    const std::uint64_t at[] = {5, 64, 4095, 4097, 300000};
    for (std::size_t i = 0; i < ps.size(); ++i) {
        ps[i].wheel = &w;
        ps[i].ids = &ids;
        ps[i].id = at[i];
        w.schedule(ps[i], at[i]);
    }
    CHECK(w.advance(5000) == 4);
    std::sort(ids.begin(), ids.end());
    CHECK(ids == std::vector<std::uint64_t>{5, 64, 4095, 4097});
    CHECK(w.size() == 1);
    CHECK(w.advance(299999) == 0);
    CHECK(w.advance(300000) == 1);
    CHECK(w.advance(10'000'000) == 0);
}

TEST_CASE("timer_wheel: cancel and reschedule") {
    timer_wheel w(0);
    std::vector<std::uint64_t> fired;
    probe a, b;
    for (probe* p : {&a, &b}) {
        p->wheel = &w;
        p->log = &fired;
    }
    w.schedule(a, 100);
    w.schedule(b, 100);
    w.cancel(a);
    w.cancel(a);  // twice is harmless
    CHECK(w.size() == 1);
    w.schedule(b, 50'000);  // moved later: the old slot is empty again
    CHECK(w.next_wake() > 100);
    CHECK(w.advance(49'999) == 0);
    w.schedule(b, 10);  // moved into the past: fires at the next advance
    CHECK(w.next_wake() == 49'999);
    CHECK(w.advance(49'999) == 1);
    CHECK(fired == std::vector<std::uint64_t>{49'999});
    CHECK(w.empty());
}

TEST_CASE("timer_wheel: callbacks may cancel a timer due in the same advance, or schedule themselves") {
    timer_wheel w(0);
    struct canceller final : wheel_timer {
        timer_wheel* w = nullptr;
        wheel_timer* victim = nullptr;
        int runs = 0;
        void on_timer() override {
            ++runs;
            if (victim) w->cancel(*victim);
            victim = nullptr;
            if (runs < 3) w->schedule(*this, w->now() + 10);  // periodic, three times
        }
    } c1, c2;
    c1.w = c2.w = &w;
    c1.victim = &c2;
    c2.victim = &c1;
    w.schedule(c1, 20);
    w.schedule(c2, 20);
    w.advance(20);
    // Whichever ran first cancelled the other.
    CHECK(c1.runs + c2.runs == 1);
    CHECK(w.size() == 1);
    w.advance(30);
    w.advance(40);
    CHECK(c1.runs + c2.runs == 3);
    CHECK(w.empty());
}

TEST_CASE("timer_wheel: a timer scheduled for now from a callback waits for the next advance") {
    timer_wheel w(0);
    struct again final : wheel_timer {
        timer_wheel* w = nullptr;
        int runs = 0;
        void on_timer() override {
            if (++runs < 100) w->schedule(*this, w->now());
        }
    } t;
    t.w = &w;
    w.schedule(t, 1);
    CHECK(w.advance(1) == 1);
    CHECK(w.next_wake() == 1);
    CHECK(w.advance(1) == 1);
    CHECK(t.runs == 2);
    w.cancel(t);
}

TEST_CASE("timer_wheel: expiries beyond the span fire in time after being placed again") {
    const std::uint64_t far = timer_wheel::max_ahead * 3 + 12345;
    timer_wheel w(7);
    std::vector<std::uint64_t> fired;
    probe p;
    p.wheel = &w;
    p.log = &fired;
    w.schedule(p, far);
    int wakes = 0;
    while (fired.empty() && wakes < 1000) {
        const std::uint64_t n = w.next_wake();
        REQUIRE(n <= far);
        w.advance(n);
        ++wakes;
    }
    CHECK(fired == std::vector<std::uint64_t>{far});
}

// A model: expiry per id; every advance must fire exactly the ids whose expiry is in
// (previous now, now] (or earlier, if scheduled in the past), and next_wake must never
// be later than the earliest expiry.
TEST_CASE("timer_wheel: random operations agree with a model") {
    std::mt19937_64 rng(20261206);
    timer_wheel w(123456);
    std::vector<probe> ps(400);
    std::vector<std::uint64_t> fired_ids;
    std::map<std::uint64_t, std::uint64_t> model;  // id -> expiry
    for (std::size_t i = 0; i < ps.size(); ++i) {
        ps[i].wheel = &w;
        ps[i].id = i;
        ps[i].ids = &fired_ids;
    }
    auto delay = [&] {
        switch (rng() % 5) {
            case 0: return rng() % 64;                  // level 0
            case 1: return rng() % 4096;                // level 1
            case 2: return rng() % 300'000;             // levels 2-3 (heartbeats)
            case 3: return rng() % 100'000'000;         // higher levels
            default: return std::uint64_t(rng() % 3);   // now or just after
        }
    };
    for (int step = 0; step < 20000; ++step) {
        const std::size_t i = rng() % ps.size();
        switch (rng() % 4) {
            case 0:
            case 1: {
                const std::uint64_t e = w.now() + delay() - (rng() % 8 == 0 ? 2 : 0);
                w.schedule(ps[i], e);
                model[i] = e;
                break;
            }
            case 2:
                w.cancel(ps[i]);
                model.erase(i);
                break;
            default: {
                std::uint64_t earliest = timer_wheel::never;
                for (auto& [id, e] : model) earliest = std::min(earliest, e);
                const std::uint64_t wake = w.next_wake();
                REQUIRE(wake <= std::max(earliest, w.now()));
                if (model.empty()) REQUIRE(wake == timer_wheel::never);
                // Either jump to the next wake, or a random distance (a late loop).
                const std::uint64_t to = (rng() % 2 == 0 && wake != timer_wheel::never) ? wake : w.now() + delay();
                fired_ids.clear();
                w.advance(to);
                std::vector<std::uint64_t> expected;
                for (auto it = model.begin(); it != model.end();) {
                    if (it->second <= w.now()) {
                        expected.push_back(it->first);
                        it = model.erase(it);
                    } else {
                        ++it;
                    }
                }
                std::sort(fired_ids.begin(), fired_ids.end());
                REQUIRE(fired_ids == expected);
                break;
            }
        }
        REQUIRE(w.size() == model.size());
        for (std::size_t j = 0; j < ps.size(); j += 37) REQUIRE(ps[j].scheduled() == model.contains(j));
    }
}
