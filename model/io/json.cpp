// json.cpp — the JSON value, a recursive-descent parser (RFC 8259) and the writer.
#include "model/io/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "model/io/file_io.h"

namespace induction::json {

// ---------------------------------------------------------------------------------------------
// UTF-8 helpers shared by the parser (which validates input) and the writer (which validates
// strings before writing them).

size_t utf8_sequence_length(std::string_view text, size_t pos) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(pos);
    if (lead < 0x80) return 1;
    size_t length;
    uint32_t code_point;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, code_point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, code_point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, code_point = lead & 0x07;
    } else {
        return 0;
    }
    if (pos + length > text.size()) return 0;
    for (size_t i = 1; i < length; ++i) {
        if ((byte(pos + i) & 0xC0) != 0x80) return 0;
        code_point = (code_point << 6) | (byte(pos + i) & 0x3F);
    }
    const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < smallest[length]) return 0;                       // overlong
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;        // surrogate
    if (code_point > 0x10FFFF) return 0;
    return length;
}

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

// bytes with each byte outside a well-formed UTF-8 sequence, and each control character when
// escape_controls, written as "\xNN".
std::string escape_bytes(std::string_view bytes, bool escape_controls) {
    std::string out;
    for (size_t pos = 0; pos < bytes.size();) {
        size_t length = utf8_sequence_length(bytes, pos);
        if (length > 0 && !(escape_controls && is_control(static_cast<unsigned char>(bytes[pos])))) {
            out.append(bytes.substr(pos, length));
            pos += length;
            continue;
        }
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\x%02X", static_cast<unsigned char>(bytes[pos++]));
        out += escaped;
    }
    return out;
}

}  // namespace

std::string printable_utf8(std::string_view bytes) { return escape_bytes(bytes, false); }

std::string printable_line(std::string_view bytes) { return escape_bytes(bytes, true); }

namespace {

void append_utf8(std::string& out, uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Value

const char* kind_name(Value::Kind kind) {
    switch (kind) {
        case Value::Kind::NUL: return "null";
        case Value::Kind::BOOL: return "bool";
        case Value::Kind::NUMBER: return "number";
        case Value::Kind::STRING: return "string";
        case Value::Kind::ARRAY: return "array";
        case Value::Kind::OBJECT: return "object";
    }
    return "?";
}

namespace {

void expect_kind(const Value& value, Value::Kind wanted) {
    check(value.kind() == wanted, value.where(), "expected ", kind_name(wanted), ", got ",
          kind_name(value.kind()));
}

}  // namespace

std::string Value::where() const {
    if (origin_.line == 0) return "json: ";
    std::string text = origin_.source && !origin_.source->empty() ? *origin_.source + ": " : "json: ";
    if (!origin_.key.empty()) text += "field '" + printable_line(origin_.key) + "' ";
    return text + "at line " + std::to_string(origin_.line) + ", column " + std::to_string(origin_.column) + ": ";
}

Value Value::array(std::vector<Value> items) {
    Value v;
    v.kind_ = Kind::ARRAY;
    v.array_ = std::move(items);
    return v;
}

Value Value::object() {
    Value v;
    v.kind_ = Kind::OBJECT;
    return v;
}

bool Value::as_bool() const {
    expect_kind(*this, Kind::BOOL);
    return bool_;
}

double Value::as_number() const {
    expect_kind(*this, Kind::NUMBER);
    return number_;
}

int64_t Value::as_int() const {
    expect_kind(*this, Kind::NUMBER);
    // 2^63 is exactly representable; every double in (-2^63, 2^63) that is integral fits.
    constexpr double LIMIT = 9223372036854775808.0;
    check(std::trunc(number_) == number_ && number_ > -LIMIT && number_ < LIMIT,
          where(), "expected an integer, got ", dump(*this));
    return static_cast<int64_t>(number_);
}

const std::string& Value::as_string() const {
    expect_kind(*this, Kind::STRING);
    return string_;
}

const std::vector<Value>& Value::as_array() const {
    expect_kind(*this, Kind::ARRAY);
    return array_;
}

std::vector<Value>& Value::as_array() {
    expect_kind(*this, Kind::ARRAY);
    return array_;
}

void Value::push_back(Value v) {
    expect_kind(*this, Kind::ARRAY);
    array_.push_back(std::move(v));
}

size_t Value::size() const {
    if (kind_ == Kind::OBJECT) return object_.size();
    check(kind_ == Kind::ARRAY, where(), "expected an array or an object, got ", kind_name(kind_));
    return array_.size();
}

const Value& Value::operator[](size_t index) const {
    expect_kind(*this, Kind::ARRAY);
    check(index < array_.size(), where(), "index ", index, " out of range for an array of ",
          array_.size());
    return array_[index];
}

Value& Value::operator[](const std::string& key) {
    expect_kind(*this, Kind::OBJECT);
    auto [position, inserted] = object_index_.try_emplace(key, object_.size());
    if (inserted) object_.emplace_back(key, Value());
    return object_[position->second].second;
}

const Value* Value::find(const std::string& key) const {
    expect_kind(*this, Kind::OBJECT);
    auto position = object_index_.find(key);
    return position == object_index_.end() ? nullptr : &object_[position->second].second;
}

const Value& Value::at(const std::string& key) const {
    const Value* member = find(key);
    check(member != nullptr, where(), "missing key '", printable_line(key), "'");
    return *member;
}

bool Value::contains(const std::string& key) const { return find(key) != nullptr; }

const std::vector<std::pair<std::string, Value>>& Value::members() const {
    expect_kind(*this, Kind::OBJECT);
    return object_;
}

// ---------------------------------------------------------------------------------------------
// Parser

namespace {

// Deeper documents are rejected rather than risking the stack (none of ours nest past ~5).
constexpr int MAX_DEPTH = 512;

class Parser {
public:
    Parser(std::string_view text, const std::string& file)
        : text_(text), source_(file.empty() ? "" : file + ": "), file_(std::make_shared<const std::string>(file)) {}

    Value parse_document() {
        skip_whitespace();
        Value value = parse_value(0);
        skip_whitespace();
        if (pos_ < text_.size()) error("unexpected ", describe_here(), " after the document");
        return value;
    }

private:
    // Throws "json: [source: ]<what> at line L, column C" for the current position. Columns
    // count characters (UTF-8 code points), both from 1.
    template <class... Parts>
    [[noreturn]] void error(const Parts&... parts) const {
        size_t line = 1, column = 1;
        for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(text_[i]);
            if (c == '\n') {
                ++line, column = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column;
            }
        }
        fail("json: ", source_, parts..., " at line ", line, ", column ", column);
    }

    std::string describe_here() const {
        if (pos_ >= text_.size()) return "end of input";
        unsigned char c = static_cast<unsigned char>(text_[pos_]);
        if (c >= 0x20 && c < 0x7F) return std::string("character '") + static_cast<char>(c) + "'";
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", c);
        return std::string("byte ") + hex;
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }

    void skip_whitespace() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++pos_;
    }

    void expect(char c) {
        if (peek() != c) error("expected '", c, "' but found ", describe_here());
        ++pos_;
    }

    // The line and column of pos_, counted incrementally: parsing only moves forward.
    void advance_location() {
        for (; scanned_ < pos_ && scanned_ < text_.size(); ++scanned_) {
            unsigned char c = static_cast<unsigned char>(text_[scanned_]);
            if (c == '\n') {
                ++line_, column_ = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column_;
            }
        }
    }

    // A value with its origin: where it starts, and its key when it is an object's member.
    Value parse_value(int depth, std::string key = {}) {
        advance_location();
        Value::Origin origin{file_, line_, column_, std::move(key)};
        Value value = parse_bare_value(depth);
        value.set_origin(std::move(origin));
        return value;
    }

    Value parse_bare_value(int depth) {
        if (depth > MAX_DEPTH) error("nesting deeper than ", MAX_DEPTH, " levels");
        switch (peek()) {
            case '{': return parse_object(depth);
            case '[': return parse_array(depth);
            case '"': return Value(parse_string());
            case 't': parse_literal("true"); return Value(true);
            case 'f': parse_literal("false"); return Value(false);
            case 'n': parse_literal("null"); return Value();
            default:
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return Value(parse_number());
                error("expected a value but found ", describe_here());
        }
    }

    void parse_literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) error("invalid literal, expected '", word, "'");
        pos_ += word.size();
    }

    Value parse_object(int depth) {
        Value object = Value::object();
        expect('{');
        skip_whitespace();
        if (peek() == '}') {
            ++pos_;
            return object;
        }
        while (true) {
            skip_whitespace();
            size_t key_pos = pos_;
            if (peek() != '"') error("expected a string key but found ", describe_here());
            std::string key = parse_string();
            if (object.contains(key)) {
                pos_ = key_pos;
                error("duplicate key '", printable_line(key), "'");
            }
            skip_whitespace();
            expect(':');
            skip_whitespace();
            object[key] = parse_value(depth + 1, key);
            skip_whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return object;
            }
            error("expected ',' or '}' in an object but found ", describe_here());
        }
    }

    Value parse_array(int depth) {
        Value array = Value::array();
        expect('[');
        skip_whitespace();
        if (peek() == ']') {
            ++pos_;
            return array;
        }
        while (true) {
            skip_whitespace();
            array.push_back(parse_value(depth + 1));
            skip_whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') {
                ++pos_;
                return array;
            }
            error("expected ',' or ']' in an array but found ", describe_here());
        }
    }

    // Four hex digits after "\u".
    uint32_t parse_hex4() {
        uint32_t value = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            char c = peek();
            uint32_t digit;
            if (c >= '0' && c <= '9') digit = c - '0';
            else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
            else error("expected four hex digits after \\u but found ", describe_here());
            value = value * 16 + digit;
        }
        return value;
    }

    // At "\u": one code point, combining a surrogate pair.
    uint32_t parse_unicode_escape() {
        size_t escape_pos = pos_;
        pos_ += 2;  // "\u"
        uint32_t unit = parse_hex4();
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            pos_ = escape_pos;
            error("unpaired low surrogate \\u", text_.substr(escape_pos + 2, 4));
        }
        if (unit < 0xD800 || unit > 0xDBFF) return unit;
        if (text_.substr(pos_, 2) != "\\u") {
            pos_ = escape_pos;
            error("high surrogate \\u", text_.substr(escape_pos + 2, 4),
                  " not followed by a low surrogate");
        }
        pos_ += 2;
        uint32_t low = parse_hex4();
        if (low < 0xDC00 || low > 0xDFFF) {
            pos_ = escape_pos;
            error("high surrogate \\u", text_.substr(escape_pos + 2, 4),
                  " not followed by a low surrogate");
        }
        return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }

    std::string parse_string() {
        expect('"');
        std::string out;
        while (true) {
            if (at_end()) error("unterminated string");
            unsigned char c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c < 0x20) error("control character ", describe_here(), " in a string (escape it)");
            if (c == '\\') {
                out += parse_escape();
                continue;
            }
            size_t length = utf8_sequence_length(text_, pos_);
            if (length == 0) error("invalid UTF-8 ", describe_here(), " in a string");
            out.append(text_.substr(pos_, length));
            pos_ += length;
        }
    }

    // At a backslash: the bytes the escape stands for.
    std::string parse_escape() {
        char kind = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
        const char* simple = nullptr;
        switch (kind) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': {
                std::string bytes;
                append_utf8(bytes, parse_unicode_escape());
                return bytes;
            }
            default: error("invalid escape in a string");
        }
        pos_ += 2;
        return simple;
    }

    // The RFC 8259 grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    double parse_number() {
        size_t start = pos_;
        auto digits = [&] {
            size_t first = pos_;
            while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
            return pos_ - first;
        };
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
            if (peek() >= '0' && peek() <= '9') error("leading zero in a number");
        } else if (digits() == 0) {
            error("expected a digit but found ", describe_here());
        }
        if (peek() == '.') {
            ++pos_;
            if (digits() == 0) error("expected a digit after '.' but found ", describe_here());
        }
        if ((peek() == 'e' || peek() == 'E')) {
            ++pos_;
            if ((peek() == '+' || peek() == '-')) ++pos_;
            if (digits() == 0) error("expected a digit in the exponent but found ", describe_here());
        }
        double value = 0;
        auto result = std::from_chars(text_.data() + start, text_.data() + pos_, value);
        if (result.ec != std::errc() || result.ptr != text_.data() + pos_) {
            std::string_view number = text_.substr(start, pos_ - start);
            pos_ = start;
            error("number ", number, " is out of the range of a double");
        }
        return value;
    }

    std::string_view text_;
    std::string source_;  // "path: " when parsing a file, else empty
    std::shared_ptr<const std::string> file_;  // the path, shared by every value's origin
    size_t pos_ = 0;
    size_t scanned_ = 0;  // advance_location has counted lines and columns up to here
    uint32_t line_ = 1, column_ = 1;
};

}  // namespace

Value parse(std::string_view text) { return Parser(text, "").parse_document(); }

// ---------------------------------------------------------------------------------------------
// Writer

namespace {

void write_string(std::string& out, const std::string& s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char escape[8];
                    std::snprintf(escape, sizeof escape, "\\u%04X", c);
                    out += escape;
                } else {
                    size_t length = utf8_sequence_length(s, i);
                    check(length > 0, "json: cannot write a string that is not valid UTF-8 (byte ",
                          i, " of \"", s.substr(0, 40), "\")");
                    out.append(s, i, length);
                    i += length;
                    continue;
                }
        }
        ++i;
    }
    out += '"';
}

// Integral values up to 2^53 print as integers ("3", "-0"); everything else in the shortest
// form that parses back to the same double ("0.1", "1e-300").
void write_number(std::string& out, double x) {
    check(std::isfinite(x), "json: cannot write ", x, " (JSON has no NaN or infinity)");
    char buffer[32];
    char* end;
    constexpr double EXACT_INTEGER_LIMIT = 9007199254740992.0;  // 2^53
    if (x == 0 && std::signbit(x)) {
        out += "-0";
        return;
    }
    if (std::trunc(x) == x && std::fabs(x) <= EXACT_INTEGER_LIMIT) {
        end = std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(x)).ptr;
    } else {
        end = std::to_chars(buffer, buffer + sizeof buffer, x).ptr;
    }
    out.append(buffer, end);
}

bool is_scalar(const Value& v) { return !v.is_array() && !v.is_object(); }

class Writer {
public:
    explicit Writer(int indent) : indent_(indent) {}

    void write(const Value& v, int depth) {
        switch (v.kind()) {
            case Value::Kind::NUL: out += "null"; break;
            case Value::Kind::BOOL: out += v.as_bool() ? "true" : "false"; break;
            case Value::Kind::NUMBER: write_number(out, v.as_number()); break;
            case Value::Kind::STRING: write_string(out, v.as_string()); break;
            case Value::Kind::ARRAY: write_array(v, depth); break;
            case Value::Kind::OBJECT: write_object(v, depth); break;
        }
    }

    std::string out;

private:
    void newline(int depth) {
        out += '\n';
        out.append(static_cast<size_t>(indent_) * depth, ' ');
    }

    // Pretty-printed arrays of scalars stay on one line: "[2, 3, 4]".
    void write_array(const Value& v, int depth) {
        const auto& items = v.as_array();
        bool one_line = indent_ < 0 || std::all_of(items.begin(), items.end(), is_scalar);
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
            if (i > 0) out += indent_ < 0 ? "," : one_line ? ", " : ",";
            if (!one_line) newline(depth + 1);
            write(items[i], depth + 1);
        }
        if (!one_line && !items.empty()) newline(depth);
        out += ']';
    }

    void write_object(const Value& v, int depth) {
        const auto& members = v.members();
        out += '{';
        for (size_t i = 0; i < members.size(); ++i) {
            if (i > 0) out += ',';
            if (indent_ >= 0) newline(depth + 1);
            write_string(out, members[i].first);
            out += indent_ < 0 ? ":" : ": ";
            write(members[i].second, depth + 1);
        }
        if (indent_ >= 0 && !members.empty()) newline(depth);
        out += '}';
    }

    int indent_;
};

}  // namespace

std::string dump(const Value& value, int indent) {
    Writer writer(indent);
    writer.write(value, 0);
    return std::move(writer.out);
}

// ---------------------------------------------------------------------------------------------
// Files

void fail_in_file(const std::string& path, const Error& error) {
    const std::string message = error.what();
    if (message.find(path) != std::string::npos) fail(message);
    fail(path, ": ", message);
}

Value read_file(const std::string& path) {
    const std::string text = read_file_bytes(path);
    return Parser(text, path).parse_document();
}

void write_file(const std::string& path, const Value& value, int indent) {
    write_file_atomic(path, dump(value, indent) + "\n");
}

}  // namespace induction::json
