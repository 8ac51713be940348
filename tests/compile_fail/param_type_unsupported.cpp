// A handler parameter that is neither an extractor nor a convertible path parameter.
#include <vector>
#include <duet/duet.hpp>
constexpr auto r = duet::routes(duet::get<"/users/:id">([](duet::response&, std::vector<int>) {}));
int main() { return sizeof(duet::server<r>) > 0 ? 0 : 1; }
