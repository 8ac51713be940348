// duet/core/json_traits.hpp: which types convert, and the path of the first member
// that does not fit after a conversion failed.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>

#include <duet/core/json_traits.hpp>

namespace {
struct address {
    std::string city;
    int zip;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, zip))
struct person {
    std::string name;
    int age;
    std::optional<std::string> note;
    std::vector<address> homes;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age, note, homes))

struct plain {  // no description
    int x;
};
struct holder {
    std::vector<plain> items;
};
BOOST_DESCRIBE_STRUCT(holder, (), (items))

struct custom {
    int v;
};
custom tag_invoke(boost::json::value_to_tag<custom>, const boost::json::value& jv) {
    if (!jv.is_int64()) throw std::invalid_argument("custom wants an int");
    return {static_cast<int>(jv.get_int64())};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const custom& c) { jv = c.v; }

template <class T>
std::string why(std::string_view json, std::string root = "body") {
    auto v = boost::json::parse(json);
    CHECK_FALSE(boost::json::try_value_to<T>(v).has_value());
    return duet::json_mismatch<T>(v, std::move(root));
}
}  // namespace

TEST_CASE("which types convert: the first part without a conversion is named") {
    static_assert(duet::json_readable<person>);
    static_assert(duet::json_writable<person>);
    static_assert(duet::json_readable<std::map<std::string, std::vector<std::optional<int>>>>);
    static_assert(duet::json_readable<custom> && duet::json_writable<custom>);
    static_assert(duet::json_readable<std::optional<custom>>);
    CHECK(duet::to_json(custom{7}) == 7);
    static_assert(std::is_same_v<duet::json_unreadable_part_t<plain>, plain>);
    static_assert(std::is_same_v<duet::json_unreadable_part_t<holder>, plain>);
    static_assert(std::is_same_v<duet::json_unwritable_part_t<std::optional<holder>>, plain>);
    static_assert(std::is_same_v<duet::json_unreadable_part_t<std::tuple<int, plain>>, plain>);
    CHECK(duet::to_json(person{"a", 1, std::nullopt, {}}).as_object().at("age") == 1);
}

TEST_CASE("the first member that does not fit, with its path") {
    CHECK(why<person>(R"([1])") == "body: expected an object");
    CHECK(why<person>(R"({"name":"a","age":"x","note":null,"homes":[]})") == "body.age: expected an integer");
    CHECK(why<person>(R"({"name":"a","age":1.5,"note":null,"homes":[]})") == "body.age: expected an integer");
    CHECK(why<person>(R"({"name":"a","age":4294967296,"note":null,"homes":[]})") ==
          "body.age: expected an integer from -2147483648 to 2147483647");
    CHECK(why<person>(R"({"name":5,"age":1,"note":null,"homes":[]})") == "body.name: expected a string");
    CHECK(why<person>(R"({"name":"a","note":null,"homes":[]})") ==
          "body.age: missing (expected an integer)");
    CHECK(why<person>(R"({"name":"a","age":1,"note":2,"homes":[]})") == "body.note: expected a string");
    CHECK(why<person>(R"({"name":"a","age":1,"note":null,"homes":[{"city":"x","zip":1},{"city":"y"}]})") ==
          "body.homes[1].zip: missing (expected an integer)");
    CHECK(why<person>(R"({"name":"a","age":1,"note":null,"homes":[{"city":"x","zip":true}]})") ==
          "body.homes[0].zip: expected an integer");
    CHECK(why<person>(R"({"name":"a","age":1,"note":null,"homes":{}})") == "body.homes: expected an array");
    CHECK(why<person>(R"({"name":"a","age":1,"note":null,"homes":[],"nick":"b"})") ==
          "body.nick: unexpected member");
    CHECK(why<person>(R"({"name":"a","age":1,"note":null,"homes":[],"two words":1})") ==
          "body[\"two words\"]: unexpected member");
    CHECK(why<std::vector<bool>>(R"([true, 1])", "argument 2") == "argument 2[1]: expected true or false");
    CHECK(why<std::map<std::string, double>>(R"({"a":1,"b":"x"})") == "body.b: expected a number");
    CHECK(why<std::tuple<int, std::string>>(R"([1])") == "body: expected an array of 2 elements");
    CHECK(why<std::tuple<int, std::string>>(R"([1, 2])") == "body[1]: expected a string");
    CHECK(why<unsigned>(R"(-1)") == "body: expected an integer from 0 to 4294967295");
    CHECK(why<custom>(R"("x")").starts_with("body: does not convert ("));
}
