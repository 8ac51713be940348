// An emit payload Boost.JSON cannot convert.
#include <duet/duet.hpp>
struct point { int x, y; };
void handler(duet::socket& s) { s.emit("moved", point{1, 2}); }
int main() { return 0; }
