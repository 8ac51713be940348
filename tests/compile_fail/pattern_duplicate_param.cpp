// The same parameter name twice in one pattern.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/a/:id/b/:id">([](duet::response&, int, int) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
