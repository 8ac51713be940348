// The pattern has a parameter the handler does not take.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:id/posts/:post">([](duet::response&, int) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
