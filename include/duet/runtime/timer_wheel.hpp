// duet/runtime/timer_wheel.hpp — millisecond deadlines for many objects at O(1) each.
//
// Owns: a hierarchical timing wheel over a 64-bit millisecond clock (the shard's ticks
// since it started). It knows nothing of Asio or of time sources: the owner asks
// next_wake() when to come back, and calls advance(now) then; each timer whose expiry
// is at or before `now` has its on_timer() called once.
//
// Why a wheel: an Engine.IO session re-arms its heartbeat deadline twice per ping
// interval and a Socket.IO client has a connect deadline; one Asio timer each would
// cost a heap-ordered queue update and a cancellation completion per re-arm, plus
// the timer object in every idle connection. A wheel slot is an intrusive list: to
// schedule is to link a node, to cancel is to unlink it, and the node lives inside its
// owner (32 bytes). One Asio timer per shard is armed at the next wake.
//
// Layout: 7 levels of 64 slots. A timer sits at the level of the highest 6-bit digit
// in which its expiry differs from `now`, in the slot of that digit: every timer at
// level k shares now's digits above k and its digit at level k is ahead of now's, so
// a level never wraps and the first non-empty slot of the lowest non-empty level is the
// next thing to do. Level 0 slots are exact milliseconds; a timer found in a higher
// slot when time reaches it moves down (at most once per level). A bitmap per level
// finds the next non-empty slot with one count-trailing-zeros. 7 × 6 bits span 2^42 ms
// (139 years); expiries are capped at 2^40 ms ahead.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace duet::runtime {

class timer_wheel;

// A deadline inside its owner. Not copyable; must be cancelled (or have fired)
// before it is destroyed — the owner's destructor calls timer_wheel::cancel.
class wheel_timer {
public:
    wheel_timer() = default;
    wheel_timer(const wheel_timer&) = delete;
    wheel_timer& operator=(const wheel_timer&) = delete;

    bool scheduled() const noexcept { return pprev_ != nullptr; }
    std::uint64_t expiry() const noexcept { return expiry_; }

    // Called by advance() once the expiry has passed; the timer is no longer
    // scheduled then (it may schedule itself again).
    virtual void on_timer() = 0;

protected:
    ~wheel_timer() = default;

private:
    friend class timer_wheel;
    wheel_timer* next_ = nullptr;
    wheel_timer** pprev_ = nullptr;  // the slot's head or the previous node's next_
    std::uint64_t expiry_ = 0;
    std::uint16_t slot_ = 0;         // level * 64 + digit, or one of the list ids below
};

class timer_wheel {
public:
    static constexpr unsigned digit_bits = 6;
    static constexpr unsigned slots_per_level = 1u << digit_bits;
    static constexpr unsigned levels = 7;
    static constexpr std::uint64_t max_ahead = std::uint64_t(1) << 40;
    static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

    explicit timer_wheel(std::uint64_t now = 0) noexcept : now_(now) {}
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    std::uint64_t now() const noexcept { return now_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // (Re)schedules `t` to fire at `expiry` (an expiry already passed fires at the next
    // advance(), never inside this call).
    void schedule(wheel_timer& t, std::uint64_t expiry) noexcept {
        if (t.scheduled()) unlink(t);
        else ++size_;
        t.expiry_ = expiry;
        place(t);
    }

    void cancel(wheel_timer& t) noexcept {
        if (!t.scheduled()) return;
        unlink(t);
        --size_;
    }

    // The earliest time at which advance() has something to do (a timer to fire or
    // to move down a level), or `never`.
    std::uint64_t next_wake() const noexcept {
        if (due_) return now_;
        for (unsigned k = 0; k < levels; ++k) {
            if (!pending_[k]) continue;
            const unsigned shift = k * digit_bits;
            const std::uint64_t base = (now_ >> (shift + digit_bits)) << (shift + digit_bits);
            return base | (std::uint64_t(std::countr_zero(pending_[k])) << shift);
        }
        return never;
    }

    // Moves the clock to `now` (never backwards) and fires every timer due by then.
    // Timers scheduled by the callbacks for `now` or earlier fire at the next call.
    // Returns how many fired.
    std::size_t advance(std::uint64_t now) {
        if (now < now_) now = now_;
        wheel_timer* todo = nullptr;
        splice(todo, due_);
        for (unsigned k = 0; k < levels; ++k) {
            const unsigned shift = k * digit_bits;
            const bool above_changed = (now >> (shift + digit_bits)) != (now_ >> (shift + digit_bits));
            const unsigned from = digit(now_, k), to = digit(now, k);
            if (!above_changed && from == to) break;  // this digit and every higher one are unchanged
            std::uint64_t reached = above_changed ? ~std::uint64_t(0) : (mask_through(to) & ~mask_through(from));
            reached &= pending_[k];
            while (reached) {
                const unsigned d = unsigned(std::countr_zero(reached));
                reached &= reached - 1;
                splice(todo, heads_[k * slots_per_level + d]);
                pending_[k] &= ~(std::uint64_t(1) << d);
            }
            if (!above_changed) break;
        }
        now_ = now;
        // Timers not yet due go back to a lower level first, so that the callbacks
        // below see a consistent wheel; the due ones stay on `todo` (a real list:
        // a callback may cancel one that has not fired yet).
        for (wheel_timer* t = todo; t;) {
            wheel_timer* next = t->next_;
            if (t->expiry_ > now_) {
                unlink_raw(*t);
                place(*t);
            }
            t = next;
        }
        std::size_t fired = 0;
        while (todo) {
            wheel_timer* t = todo;
            unlink_raw(*t);
            --size_;
            ++fired;
            t->on_timer();
        }
        return fired;
    }

private:
    static constexpr std::uint16_t due_list = levels * slots_per_level;
    static constexpr std::uint16_t todo_list = due_list + 1;

    static unsigned digit(std::uint64_t t, unsigned level) noexcept {
        return unsigned(t >> (level * digit_bits)) & (slots_per_level - 1);
    }
    // Bits 0..d set.
    static std::uint64_t mask_through(unsigned d) noexcept {
        return d >= 63 ? ~std::uint64_t(0) : (std::uint64_t(1) << (d + 1)) - 1;
    }

    void place(wheel_timer& t) noexcept {
        std::uint64_t at = t.expiry_;
        if (at <= now_) return push(t, due_, due_list);
        if (at - now_ > max_ahead) at = now_ + max_ahead;  // fires early, is placed again
        const unsigned level = unsigned(63 - std::countl_zero(at ^ now_)) / digit_bits;
        const unsigned d = digit(at, level);
        pending_[level] |= std::uint64_t(1) << d;
        push(t, heads_[level * slots_per_level + d], std::uint16_t(level * slots_per_level + d));
    }

    static void push(wheel_timer& t, wheel_timer*& head, std::uint16_t slot) noexcept {
        t.next_ = head;
        if (head) head->pprev_ = &t.next_;
        head = &t;
        t.pprev_ = &head;
        t.slot_ = slot;
    }

    // Unlinks without touching the bitmaps (lists that have none, or a bulk move).
    static void unlink_raw(wheel_timer& t) noexcept {
        *t.pprev_ = t.next_;
        if (t.next_) t.next_->pprev_ = t.pprev_;
        t.next_ = nullptr;
        t.pprev_ = nullptr;
    }

    void unlink(wheel_timer& t) noexcept {
        const std::uint16_t slot = t.slot_;
        unlink_raw(t);
        if (slot < due_list && !heads_[slot]) pending_[slot / slots_per_level] &= ~(std::uint64_t(1) << (slot % slots_per_level));
    }

    // Moves every node of `from` to the front of `to`, marking them as on `to`.
    static void splice(wheel_timer*& to, wheel_timer*& from) noexcept {
        if (!from) return;
        wheel_timer* last = from;
        for (;;) {
            last->slot_ = todo_list;
            if (!last->next_) break;
            last = last->next_;
        }
        last->next_ = to;
        if (to) to->pprev_ = &last->next_;
        to = from;
        to->pprev_ = &to;
        from = nullptr;
    }

    std::array<wheel_timer*, levels * slots_per_level> heads_{};
    std::array<std::uint64_t, levels> pending_{};
    wheel_timer* due_ = nullptr;
    std::uint64_t now_;
    std::size_t size_ = 0;
};

}  // namespace duet::runtime
