// A generic lambda has no parameter list to check against the pattern.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:id">([](duet::response&, auto) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
