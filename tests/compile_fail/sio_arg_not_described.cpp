// A typed event argument whose nested member type has no JSON conversion.
#include <optional>
#include <vector>
#include <boost/describe.hpp>
#include <duet/duet.hpp>
struct item { int qty; };  // not described
struct order { std::vector<item> items; };
BOOST_DESCRIBE_STRUCT(order, (), (items))
constexpr auto ev = duet::events(duet::of<"/">(duet::on<"order">([](duet::socket&, std::string, std::optional<order>) {})));
constexpr auto r = duet::routes();
int main() { return sizeof(duet::server<r, ev>) > 0 ? 0 : 1; }
