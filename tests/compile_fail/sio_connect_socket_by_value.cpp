// on_connect taking duet::socket by value.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/">(duet::on_connect([](duet::socket s) { s.join("all"); })));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
