// examples/modular/board.cpp — the notes themselves (no duet code at all).
#include "app.hpp"

namespace notes {

std::size_t board::add(note n) {
    std::lock_guard lock(mutex);
    notes.push_back(std::move(n));
    return notes.size() - 1;
}

std::vector<note> board::snapshot() {
    std::lock_guard lock(mutex);
    return notes;
}

board& the_board() {
    static board b;
    return b;
}

}  // namespace notes
