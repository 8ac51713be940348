// Two routes for the same method and path shape (parameter names do not matter).
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:id">([](duet::response&, int) {}),
                                duet::get<"/users/:name">([](duet::response&, std::string_view) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
