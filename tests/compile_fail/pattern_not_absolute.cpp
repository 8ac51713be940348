// A route pattern must start with '/'.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"users">([](duet::response&) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
