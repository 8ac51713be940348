// '*' may only be the last segment.
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/static/*/x">([](duet::response&) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
