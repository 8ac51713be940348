// duet::ack must be the handler's last parameter.
#include <duet/duet.hpp>
constexpr auto ev = duet::events(duet::of<"/">(duet::on<"join">([](duet::socket&, duet::ack<bool>, std::string) {})));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
