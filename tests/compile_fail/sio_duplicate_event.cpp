// The same event twice in one namespace.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/">(duet::on<"chat">([](duet::socket&) {}),
                                               duet::on<"chat">([](duet::socket&, std::string) {})));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
