// res.json(v) of a struct Boost.JSON cannot convert.
#include <duet/duet.hpp>
struct point { int x, y; };
void handler(duet::response& res) { res.json(point{1, 2}); }
int main() { return 0; }
