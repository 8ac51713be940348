// ':' must be followed by an identifier.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:1st">([](duet::response&, int) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
