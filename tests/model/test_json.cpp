// test_json.cpp — the JSON parser and writer: round trips, escapes, numbers, errors, get<T>.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "model/io/file_io.h"
#include "model/io/json.h"

namespace induction {
namespace {

using json::Value;

// The message of the Error that body throws ("" when it throws nothing).
template <class Body>
std::string error_of(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

#define EXPECT_ERROR_CONTAINS(statement, phrase)                                             \
    do {                                                                                     \
        std::string message_ = error_of([&] { (void)(statement); });                         \
        EXPECT_NE(message_.find(phrase), std::string::npos)                                  \
            << "expected an error containing \"" << (phrase) << "\", got \"" << message_ << "\""; \
    } while (0)

TEST(Json, ParsesNestedDocument) {
    Value v = json::parse(R"( {"name": "induction", "layers": 2, "ok": true, "none": null,
                              "sizes": [1, [2, 3], {"x": -4.5}], "empty": {}, "nothing": []} )");
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(v.at("name").as_string(), "induction");
    EXPECT_EQ(v.at("layers").as_int(), 2);
    EXPECT_TRUE(v.at("ok").as_bool());
    EXPECT_TRUE(v.at("none").is_null());
    const Value& sizes = v.at("sizes");
    ASSERT_EQ(sizes.size(), 3u);
    EXPECT_EQ(sizes[1][1].as_int(), 3);
    EXPECT_EQ(sizes[2].at("x").as_number(), -4.5);
    EXPECT_EQ(v.at("empty").size(), 0u);
    EXPECT_EQ(v.at("nothing").size(), 0u);
}

TEST(Json, KeepsKeysInInsertionOrder) {
    Value v = json::parse(R"({"z": 1, "a": 2, "m": 3})");
    std::vector<std::string> keys;
    for (const auto& [key, _] : v.members()) keys.push_back(key);
    EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m"}));

    Value built = Value::object();
    built["second"] = 2;
    built["first"] = 1;
    built["second"] = 22;  // assigning again keeps the original position
    EXPECT_EQ(json::dump(built), R"({"second":22,"first":1})");
}

TEST(Json, RoundTripsNestedValuesCompactAndPretty) {
    Value doc = Value::object();
    doc["config"] = Value::object();
    doc["config"]["n_layers"] = 2;
    doc["config"]["act_fn"] = "gelu";
    doc["losses"] = Value::array({0.1, 2.5, -0.0, 1e-300});
    doc["nested"] = Value::array({Value::array({1, 2}), Value::object(), Value(), true, false});
    doc["text"] = "tab\there \"quoted\" back\\slash \xC3\xA9 \xF0\x9F\x98\x80";
    for (int indent : {-1, 0, 2, 4}) {
        std::string text = json::dump(doc, indent);
        EXPECT_EQ(json::dump(json::parse(text), indent), text) << "indent " << indent;
        EXPECT_EQ(json::dump(json::parse(text)), json::dump(doc)) << "indent " << indent;
    }
}

TEST(Json, PrettyPrintsWithScalarArraysOnOneLine) {
    Value doc = Value::object();
    doc["shape"] = Value::array({2, 3});
    doc["rows"] = Value::array({Value::array({1}), Value::object()});
    doc["empty"] = Value::array();
    EXPECT_EQ(json::dump(doc, 2),
              "{\n"
              "  \"shape\": [2, 3],\n"
              "  \"rows\": [\n"
              "    [1],\n"
              "    {}\n"
              "  ],\n"
              "  \"empty\": []\n"
              "}");
    EXPECT_EQ(json::dump(doc), R"({"shape":[2,3],"rows":[[1],{}],"empty":[]})");
}

TEST(Json, ParsesEscapes) {
    Value v = json::parse(R"("\"\\\/\b\f\n\r\t")");
    EXPECT_EQ(v.as_string(), "\"\\/\b\f\n\r\t");
    EXPECT_EQ(json::parse(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");
    EXPECT_EQ(json::parse(R"("\u0000")").as_string(), std::string(1, '\0'));
}

TEST(Json, CombinesSurrogatePairsIntoUtf8) {
    // U+1F600 (grinning face) = \ud83d\ude00 = F0 9F 98 80; U+10FFFF = \udbff\udfff.
    EXPECT_EQ(json::parse(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
    EXPECT_EQ(json::parse(R"("\uDBFF\uDFFF")").as_string(), "\xF4\x8F\xBF\xBF");
}

TEST(Json, RejectsBadStrings) {
    EXPECT_ERROR_CONTAINS(json::parse(R"("\ud83d")"), "not followed by a low surrogate");
    EXPECT_ERROR_CONTAINS(json::parse(R"("\ud83d\u0041")"), "not followed by a low surrogate");
    EXPECT_ERROR_CONTAINS(json::parse(R"("\ude00")"), "unpaired low surrogate");
    EXPECT_ERROR_CONTAINS(json::parse(R"("\u12G4")"), "four hex digits");
    EXPECT_ERROR_CONTAINS(json::parse(R"("\x")"), "invalid escape");
    EXPECT_ERROR_CONTAINS(json::parse("\"a\nb\""), "control character");
    EXPECT_ERROR_CONTAINS(json::parse("\"abc"), "unterminated string");
    EXPECT_ERROR_CONTAINS(json::parse("\"\xFF\""), "invalid UTF-8");
    EXPECT_ERROR_CONTAINS(json::parse("\"\xC0\x80\""), "invalid UTF-8");          // overlong NUL
    EXPECT_ERROR_CONTAINS(json::parse("\"\xED\xA0\x80\""), "invalid UTF-8");      // encoded surrogate
    EXPECT_ERROR_CONTAINS(json::parse("\"\xE2\x82\""), "invalid UTF-8");          // truncated
    EXPECT_ERROR_CONTAINS(json::parse("\"\xF4\x90\x80\x80\""), "invalid UTF-8");  // above U+10FFFF
}

TEST(Json, WritesEscapesAndRawUtf8) {
    EXPECT_EQ(json::dump(Value("a\"b\\c\nd\x01\x1F\t")), R"("a\"b\\c\nd\u0001\u001F\t")");
    EXPECT_EQ(json::dump(Value("\xC3\xA9")), "\"\xC3\xA9\"");
    std::string all_ascii;
    for (int c = 1; c < 128; ++c) all_ascii += static_cast<char>(c);
    EXPECT_EQ(json::parse(json::dump(Value(all_ascii))).as_string(), all_ascii);
    EXPECT_ERROR_CONTAINS(json::dump(Value("bad \xFF byte")), "not valid UTF-8");
}

// A BPE token may hold part of a character: printable_utf8 keeps whole sequences and writes each
// stray byte as \xNN, so token text always goes into JSON.
TEST(Json, PrintableUtf8EscapesStrayBytes) {
    EXPECT_EQ(json::printable_utf8("plain"), "plain");
    EXPECT_EQ(json::printable_utf8("caf\xC3\xA9"), "caf\xC3\xA9");             // é is kept
    EXPECT_EQ(json::printable_utf8("\xE2\x82"), "\\xE2\\x82");              // a truncated €
    EXPECT_EQ(json::printable_utf8("a\xFF\x80" "b"), "a\\xFF\\x80b");
    for (std::string bytes : {"\xE2\x82", "x\xC0\x80", "\xED\xA0\x80 z"})
        EXPECT_NO_THROW(json::dump(Value(json::printable_utf8(bytes)))) << bytes;
}

// Text from a file goes into error messages through printable_line: control characters are
// escaped too, so a crafted key cannot break the message's one line or restyle the terminal.
TEST(Json, PrintableLineEscapesControlCharacters) {
    EXPECT_EQ(json::printable_line("caf\xC3\xA9 ok"), "caf\xC3\xA9 ok");
    EXPECT_EQ(json::printable_line("a\nb\tc\x1B[31m\x7F"), "a\\x0Ab\\x09c\\x1B[31m\\x7F");
    EXPECT_EQ(json::printable_line("\xE2\x82"), "\\xE2\\x82");
}

TEST(Json, ErrorsNamingAKeyStayOnOneLine) {
    const std::string message = error_of([] { json::parse(R"({"a\nb": 1, "a\nb": 2})"); });
    EXPECT_NE(message.find("duplicate key 'a\\x0Ab'"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(Json, WritesIntegersWithoutFraction) {
    EXPECT_EQ(json::dump(Value(3)), "3");
    EXPECT_EQ(json::dump(Value(-12.0)), "-12");
    EXPECT_EQ(json::dump(Value(int64_t{1000000})), "1000000");
    EXPECT_EQ(json::dump(Value(9007199254740992.0)), "9007199254740992");  // 2^53
    EXPECT_EQ(json::dump(Value(-0.0)), "-0");
    EXPECT_EQ(json::dump(Value(1.5)), "1.5");
    EXPECT_EQ(json::dump(Value(0.1)), "0.1");
    EXPECT_EQ(json::dump(Value(1e-300)), "1e-300");
}

TEST(Json, NumbersRoundTripBitExactly) {
    std::vector<double> values = {0.1, 1e-300, -0.0, 0.0, 9007199254740992.0, 9007199254740993.0,
                                  1e21, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308,
                                  1.0 / 3.0, 123456789.125, -1e100};
    std::mt19937_64 bits(12345);
    while (values.size() < 10000) {
        uint64_t pattern = bits();
        double x;
        std::memcpy(&x, &pattern, sizeof x);
        if (std::isfinite(x)) values.push_back(x);
    }
    for (double x : values) {
        double back = json::parse(json::dump(Value(x))).as_number();
        ASSERT_EQ(std::memcmp(&back, &x, sizeof x), 0) << json::dump(Value(x));
    }
    EXPECT_TRUE(std::signbit(json::parse("-0").as_number()));
    EXPECT_EQ(json::parse("9007199254740992").as_int(), int64_t{1} << 53);
    EXPECT_EQ(json::parse("-1.25E+2").as_number(), -125.0);
}

TEST(Json, RejectsBadNumbers) {
    for (const char* text : {"01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-a"})
        EXPECT_NE(error_of([&] { json::parse(text); }), "") << text;
    EXPECT_ERROR_CONTAINS(json::parse("[1e400]"), "number 1e400 is out of the range of a double at line 1, column 2");
    EXPECT_ERROR_CONTAINS(json::parse("01"), "leading zero");
    EXPECT_ERROR_CONTAINS(json::dump(Value(std::nan(""))), "NaN or infinity");
    EXPECT_ERROR_CONTAINS(json::dump(Value(HUGE_VAL)), "NaN or infinity");
}

TEST(Json, ErrorsGiveLineAndColumn) {
    EXPECT_ERROR_CONTAINS(json::parse("{\n  \"a\": 1,\n  \"b\": tru\n}"),
                          "json: invalid literal, expected 'true' at line 3, column 8");
    EXPECT_ERROR_CONTAINS(json::parse("[1, 2,]"),
                          "expected a value but found character ']' at line 1, column 7");
    EXPECT_ERROR_CONTAINS(json::parse("{\"a\": 1"),
                          "expected ',' or '}' in an object but found end of input at line 1, column 8");
    EXPECT_ERROR_CONTAINS(json::parse("{\"a\": 1,\n\"a\": 2}"), "duplicate key 'a' at line 2, column 1");
    EXPECT_ERROR_CONTAINS(json::parse("{1: 2}"), "expected a string key");
    EXPECT_ERROR_CONTAINS(json::parse("[1 2]"), "expected ',' or ']'");
    EXPECT_ERROR_CONTAINS(json::parse("1 2"), "unexpected character '2' after the document at line 1, column 3");
    EXPECT_ERROR_CONTAINS(json::parse(""), "expected a value but found end of input at line 1, column 1");
    EXPECT_ERROR_CONTAINS(json::parse("   \n  "), "end of input at line 2, column 3");
    // Columns count characters, not bytes: "é" is one column.
    EXPECT_ERROR_CONTAINS(json::parse("[\"\xC3\xA9\", x]"), "at line 1, column 7");
    EXPECT_ERROR_CONTAINS(json::parse(std::string("[\0]", 3)), "byte 0x00");
}

TEST(Json, RejectsVeryDeepNestingWithoutCrashing) {
    std::string deep(100000, '[');
    EXPECT_ERROR_CONTAINS(json::parse(deep), "nesting deeper than");
    std::string ok = std::string(100, '[') + std::string(100, ']');
    EXPECT_EQ(json::dump(json::parse(ok)), ok);
}

TEST(Json, TypedAccessorsCheckKinds) {
    Value v = json::parse(R"({"n": 1.5, "s": "x", "a": [1]})");
    EXPECT_ERROR_CONTAINS(v.at("n").as_int(), "expected an integer, got 1.5");
    EXPECT_ERROR_CONTAINS(v.at("s").as_number(), "expected number, got string");
    EXPECT_ERROR_CONTAINS(v.at("missing"), "missing key 'missing'");
    EXPECT_ERROR_CONTAINS(v.at("a")[1], "index 1 out of range");
    EXPECT_ERROR_CONTAINS(v.at("s").size(), "expected an array or an object, got string");
    EXPECT_ERROR_CONTAINS(v.push_back(1), "expected array, got object");
    EXPECT_ERROR_CONTAINS(json::parse("1e19").as_int(), "expected an integer");
    EXPECT_TRUE(v.contains("s"));
    EXPECT_FALSE(v.contains("t"));
}

TEST(Json, GetReturnsValueOrFallback) {
    Value v = json::parse(R"({"flag": true, "rate": 0.25, "steps": 10000000000, "layers": 2,
                              "name": "run"})");
    EXPECT_EQ(v.get<bool>("flag", false), true);
    EXPECT_EQ(v.get<double>("rate", 1.0), 0.25);
    EXPECT_EQ(v.get<int64_t>("steps", 0), 10000000000);
    EXPECT_EQ(v.get<int>("layers", 0), 2);
    EXPECT_EQ(v.get<std::string>("name", "default"), "run");
    EXPECT_EQ(v.get("name", "default"), "run");

    EXPECT_EQ(v.get<bool>("missing", true), true);
    EXPECT_EQ(v.get<double>("missing", 3.5), 3.5);
    EXPECT_EQ(v.get<int64_t>("missing", -7), -7);
    EXPECT_EQ(v.get<int>("missing", 9), 9);
    EXPECT_EQ(v.get("missing", "default"), "default");

    // Present but wrong: an error naming the key, never a silent fallback.
    EXPECT_ERROR_CONTAINS(v.get<int>("rate", 0), "field 'rate' at line 1, column 24: expected an integer");
    EXPECT_ERROR_CONTAINS(v.get<int>("steps", 0), "does not fit in an int");
    EXPECT_ERROR_CONTAINS(v.get<std::string>("layers", ""), "field 'layers' at line 1, column 62: expected string, got number");
    Value built = Value::object();  // not parsed: no origin, so the key is added
    built["layers"] = 2;
    EXPECT_ERROR_CONTAINS(built.get<std::string>("layers", ""), "expected string, got number (key 'layers')");
    EXPECT_ERROR_CONTAINS(Value(1).get<int>("x", 0), "expected object");
}

TEST(Json, ErrorsOfParsedValuesNameTheFieldLineAndColumn) {
    // Nested values, several lines, non-ASCII text before the value (columns count characters).
    Value v = json::parse("{\n  \"model\": {\"name\": \"é\",\n    \"d_model\": \"x\"},\n  \"list\": [1, true]\n}");
    EXPECT_ERROR_CONTAINS(v.at("model").at("d_model").as_number(),
                          "json: field 'd_model' at line 3, column 16: expected number, got string");
    EXPECT_ERROR_CONTAINS(v.at("model").at("name").as_int(), "field 'name' at line 2, column 21");
    EXPECT_ERROR_CONTAINS(v.at("list")[1].as_number(), "at line 4, column 15: expected number, got bool");
    EXPECT_ERROR_CONTAINS(v.at("model").at("n_ctx"), "field 'model' at line 2, column 12: missing key 'n_ctx'");
}

class JsonFiles : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "induction_json_XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        directory_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::string path(const std::string& name) const { return directory_ + "/" + name; }
    std::string directory_;
};

TEST_F(JsonFiles, WriteThenReadRoundTrips) {
    Value doc = Value::object();
    doc["d_model"] = 64;
    doc["tokens"] = Value::array({"a", "\xC3\xA9"});
    json::write_file(path("config.json"), doc);
    EXPECT_EQ(read_file_bytes(path("config.json")), json::dump(doc, 2) + "\n");
    EXPECT_EQ(json::dump(json::read_file(path("config.json"))), json::dump(doc));
    EXPECT_FALSE(file_exists(path("config.json.tmp")));
}

TEST_F(JsonFiles, ReadErrorsNameTheFile) {
    EXPECT_ERROR_CONTAINS(json::read_file(path("absent.json")), path("absent.json"));
    EXPECT_ERROR_CONTAINS(json::read_file(path("absent.json")), "No such file or directory");
    write_file_atomic(path("bad.json"), "{\n  \"a\": [1,\n}\n");
    EXPECT_ERROR_CONTAINS(json::read_file(path("bad.json")),
                          "json: " + path("bad.json") + ": expected a value but found character '}' at line 3, column 1");
    // Errors found after parsing (a field of the wrong kind, a missing key) name the file too,
    // and fail_in_file names it only once.
    write_file_atomic(path("config.json"), "{\"model\": {\"d_model\": \"x\"}}");
    const Value config = json::read_file(path("config.json"));
    const std::string expected = path("config.json") + ": field 'd_model' at line 1, column 23: expected number";
    EXPECT_ERROR_CONTAINS(config.at("model").at("d_model").as_number(), expected);
    try {
        config.at("model").at("d_model").as_number();
    } catch (const Error& e) {
        EXPECT_ERROR_CONTAINS(json::fail_in_file(path("config.json"), e), expected);
        try {
            json::fail_in_file(path("config.json"), e);
        } catch (const Error& again) {
            EXPECT_EQ(std::string(again.what()).find(path("config.json")),
                      std::string(again.what()).rfind(path("config.json")));
        }
    }
    EXPECT_ERROR_CONTAINS(json::fail_in_file("other.json", Error("json: expected number")),
                          "other.json: json: expected number");
}

}  // namespace
}  // namespace induction
