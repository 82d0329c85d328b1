// json.h — a small JSON value, parser and writer (RFC 8259), written for this project.
//
// Used for model configs, tokenizer files, safetensors headers, metrics and reports.
// Objects keep their keys in insertion order so files we write are stable and diffable.
// Numbers are doubles; integers up to 2^53 round-trip exactly, and every finite double is
// written in its shortest form that reads back to the same bits. Strings are UTF-8: the
// parser rejects malformed UTF-8, control characters and unpaired \u surrogates, and the
// writer refuses strings that are not UTF-8 and numbers that are NaN or infinite.
// Duplicate keys in an object are a parse error.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tensor/error.h"

namespace induction::json {

// Length of the well-formed UTF-8 sequence starting at text[pos], or 0 when it is malformed
// (bad lead byte, missing continuation byte, overlong form, surrogate, or above U+10FFFF).
size_t utf8_sequence_length(std::string_view text, size_t pos);
// bytes as valid UTF-8 for display: each byte outside a well-formed sequence becomes "\xNN"
// (a BPE token can hold part of a multi-byte character).
std::string printable_utf8(std::string_view bytes);
// bytes for one line of an error message: printable_utf8, with control characters (newline, tab,
// escape, DEL) also written as "\xNN", so text read from a file cannot break or restyle the line.
std::string printable_line(std::string_view bytes);

class Value {
public:
    enum class Kind { NUL, BOOL, NUMBER, STRING, ARRAY, OBJECT };

    // Where a parsed value was read: the file (or "" for text parsed in memory), its line and
    // column (from 1; columns count characters) and, for an object's member, its key. Every error
    // of a typed read names it, so a mistyped field deep in a config reads
    // "config.json: field 'd_model' at line 4, column 16: expected number, got string".
    struct Origin {
        std::shared_ptr<const std::string> source;
        uint32_t line = 0, column = 0;
        std::string key;
    };
    void set_origin(Origin origin) { origin_ = std::move(origin); }
    // "<source>: field 'key' at line L, column C: " for a parsed value, "json: " otherwise.
    std::string where() const;

    Value() = default;  // null
    Value(std::nullptr_t) {}
    Value(bool b) : kind_(Kind::BOOL), bool_(b) {}
    Value(int n) : kind_(Kind::NUMBER), number_(n) {}
    Value(int64_t n) : kind_(Kind::NUMBER), number_(static_cast<double>(n)) {}
    Value(uint64_t n) : kind_(Kind::NUMBER), number_(static_cast<double>(n)) {}
    Value(double n) : kind_(Kind::NUMBER), number_(n) {}
    Value(const char* s) : kind_(Kind::STRING), string_(s) {}
    Value(std::string s) : kind_(Kind::STRING), string_(std::move(s)) {}
    static Value array(std::vector<Value> items = {});
    static Value object();

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::NUL; }
    bool is_bool() const { return kind_ == Kind::BOOL; }
    bool is_number() const { return kind_ == Kind::NUMBER; }
    bool is_string() const { return kind_ == Kind::STRING; }
    bool is_array() const { return kind_ == Kind::ARRAY; }
    bool is_object() const { return kind_ == Kind::OBJECT; }

    // Typed reads; each throws induction::Error naming the expected and actual kind.
    bool as_bool() const;
    double as_number() const;
    int64_t as_int() const;  // also checks the number is integral
    const std::string& as_string() const;
    const std::vector<Value>& as_array() const;
    std::vector<Value>& as_array();

    // Arrays.
    void push_back(Value v);
    size_t size() const;  // elements of an array or members of an object
    const Value& operator[](size_t index) const;

    // Objects. operator[] with a key inserts a null member when missing (objects only);
    // at() throws "missing key 'k'" instead. get() returns fallback when the key is missing.
    Value& operator[](const std::string& key);
    const Value& at(const std::string& key) const;
    bool contains(const std::string& key) const;
    const std::vector<std::pair<std::string, Value>>& members() const;
    // T is bool, double, int64_t, int or std::string. A present member of the wrong kind
    // (or a non-integral / out-of-range number for int) throws instead of falling back.
    template <class T> T get(const std::string& key, T fallback) const;
    std::string get(const std::string& key, const char* fallback) const {
        return get<std::string>(key, fallback);
    }

private:
    const Value* find(const std::string& key) const;  // nullptr when missing; objects only

    Kind kind_ = Kind::NUL;
    bool bool_ = false;
    double number_ = 0;
    std::string string_;
    std::vector<Value> array_;
    std::vector<std::pair<std::string, Value>> object_;
    std::map<std::string, size_t> object_index_;  // key -> position in object_
    Origin origin_;
};

// "null", "bool", "number", "string", "array" or "object".
const char* kind_name(Value::Kind kind);

// Parses a whole document. Throws induction::Error("json: <what> at line L, column C").
Value parse(std::string_view text);
// Compact when indent < 0, otherwise pretty-printed with that many spaces per level.
std::string dump(const Value& value, int indent = -1);

// Rethrows an error met while interpreting the JSON file at path, naming the file once (the
// errors of values parsed from it name it already, with the field, line and column).
[[noreturn]] void fail_in_file(const std::string& path, const Error& error);

// Reads and parses a file; errors name the file.
Value read_file(const std::string& path);
// Writes the file atomically (file_io.h write_file_atomic).
void write_file(const std::string& path, const Value& value, int indent = 2);

template <class T>
T Value::get(const std::string& key, T fallback) const {
    const Value* member = find(key);
    if (member == nullptr) return fallback;
    try {
        if constexpr (std::is_same_v<T, bool>) {
            return member->as_bool();
        } else if constexpr (std::is_same_v<T, double>) {
            return member->as_number();
        } else if constexpr (std::is_same_v<T, int64_t>) {
            return member->as_int();
        } else if constexpr (std::is_same_v<T, int>) {
            int64_t n = member->as_int();
            check(n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max(),
                  member->where(), n, " does not fit in an int");
            return static_cast<int>(n);
        } else if constexpr (std::is_same_v<T, std::string>) {
            return member->as_string();
        } else {
            static_assert(!sizeof(T), "json::Value::get supports bool, double, int64_t, int, std::string");
        }
    } catch (const Error& e) {
        if (member->origin_.line > 0) throw;  // a parsed member's error names its key already
        fail(e.what(), " (key '", key, "')");
    }
}

}  // namespace induction::json
