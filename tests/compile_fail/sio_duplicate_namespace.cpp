// The same namespace twice in one table.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/admin">(duet::on<"a">([](duet::socket&) {})),
                                 duet::of<"/admin">(duet::on<"b">([](duet::socket&) {})));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
