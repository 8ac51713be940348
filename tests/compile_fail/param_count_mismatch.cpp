// The handler declares two path parameters, the pattern has one.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:id">([](duet::response&, int, int) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
