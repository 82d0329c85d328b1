// args.cpp — command-line parsing and help text, both from a command's declared options.
#include "tools/args.h"

#include <algorithm>
#include <sstream>

#include "tensor/error.h"

namespace induction {

namespace {

constexpr size_t HELP_WIDTH = 100;
constexpr size_t MAX_LABEL_COLUMN = 32;  // a longer label puts its text on the next line

// `--name VALUE`, or `--name` for a flag.
std::string option_label(const Option& option) {
    return "--" + option.name + (option.value.empty() ? "" : " " + option.value);
}

// `text` wrapped to HELP_WIDTH columns, each line indented by `indent` spaces, the first one
// starting after `first` (at most `indent` wide).
std::string wrapped(const std::string& first, const std::string& text, size_t indent) {
    std::string out = first + std::string(indent - first.size(), ' ');
    size_t line = indent;  // columns used on the current line
    std::istringstream words(text);
    for (std::string word; words >> word;) {
        if (line > indent && line + 1 + word.size() > HELP_WIDTH) {
            out += '\n' + std::string(indent, ' ');
            line = indent;
        }
        if (line > indent) {
            out += ' ';
            ++line;
        }
        out += word;
        line += word.size();
    }
    return out + '\n';
}

// Two columns: each label, then its text wrapped beside it; a label too wide for the first column
// gets a line of its own.
std::string two_columns(const std::vector<std::pair<std::string, std::string>>& rows) {
    size_t column = 0;
    for (const auto& [label, text] : rows)
        if (label.size() + 2 <= MAX_LABEL_COLUMN) column = std::max(column, label.size() + 2);
    std::string out;
    for (const auto& [label, text] : rows) {
        if (label.size() + 2 > column) out += label + '\n';
        out += wrapped(label.size() + 2 > column ? "" : label, text, column);
    }
    return out;
}

// `text` read whole as a T by `parse` (std::stoll or std::stod), or an error naming the option.
template <class T, class Parse>
T parse_option(const std::string& name, const std::string& text, const char* expected, Parse parse) {
    try {
        size_t used = 0;
        T value = parse(text, &used);
        if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    fail("option --", name, " expects ", expected, ", got '", text, "'");
}

int64_t parse_int(const std::string& name, const std::string& text) {
    return parse_option<int64_t>(name, text, "an integer",
                                 [](const std::string& t, size_t* used) { return std::stoll(t, used); });
}

double parse_double(const std::string& name, const std::string& text) {
    return parse_option<double>(name, text, "a number",
                                [](const std::string& t, size_t* used) { return std::stod(t, used); });
}

}  // namespace

std::vector<Option> joined(std::vector<Option> first, const std::vector<Option>& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

std::string help_text(const Usage& usage) {
    std::string text = "usage: induction " + usage.command + (usage.synopsis.empty() ? "" : " " + usage.synopsis) +
                       "\n\n" + wrapped("", usage.summary, 0) + "\noptions:\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (const Option& option : usage.options) {
        const std::string default_text = option.default_value.empty() ? "" : " (default: " + option.default_value + ")";
        rows.push_back({"  " + option_label(option), option.help + default_text});
    }
    rows.push_back({"  --help", "print this text and exit"});
    return text + two_columns(rows);
}

std::string command_list(const std::vector<const Usage*>& usages) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const Usage* usage : usages) rows.push_back({"  " + usage->command, usage->summary});
    return two_columns(rows);
}

Args::Args(const std::vector<std::string>& words, const std::vector<Option>& options) : options_(options) {
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& word = words[i];
        if (word.rfind("--", 0) != 0) {
            positional_.push_back(word);
            continue;
        }
        std::string name = word.substr(2), value;
        const size_t equals = name.find('=');
        const bool inline_value = equals != std::string::npos;
        if (inline_value) {
            value = name.substr(equals + 1);
            name = name.substr(0, equals);
        }
        auto option = std::find_if(options.begin(), options.end(), [&](const Option& o) { return o.name == name; });
        if (option == options.end()) {
            std::string known;
            for (const Option& o : options) known += ' ' + option_label(o);
            fail("unknown option --", name, " (known:", known.empty() ? " none" : known, ")");
        }
        if (option->value.empty()) {
            check(!inline_value, "option --", name, " takes no value");
        } else if (!inline_value) {
            check(i + 1 < words.size(), "option --", name, " needs a value (", option->value, ")");
            value = words[++i];
        }
        given_[name] = value;
    }
}

const Option& Args::declared(const std::string& name) const {
    for (const Option& option : options_)
        if (option.name == name) return option;
    fail("internal error: option --", name, " is read but not declared");
}

bool Args::has(const std::string& name) const {
    declared(name);
    return given_.count(name) > 0;
}

bool Args::flag(const std::string& name) const {
    check(declared(name).value.empty(), "internal error: option --", name, " is read as a flag but takes a value");
    return given_.count(name) > 0;
}

std::string Args::value_or(const std::string& name, const std::string& fallback) const {
    auto it = given_.find(name);
    return it == given_.end() ? fallback : it->second;
}

std::string Args::get(const std::string& name) const { return value_or(name, declared(name).default_value); }

std::string Args::given_or_default(const std::string& name) const {
    const Option& option = declared(name);
    check(has(name) || !option.default_value.empty(), "internal error: option --", name,
          " declares no default; read it with a fallback");
    return value_or(name, option.default_value);
}

int64_t Args::get_int(const std::string& name) const { return parse_int(name, given_or_default(name)); }

double Args::get_double(const std::string& name) const { return parse_double(name, given_or_default(name)); }

std::string Args::get(const std::string& name, const std::string& fallback) const {
    check(declared(name).default_value.empty(), "internal error: option --", name,
          " declares a default; read it without a fallback");
    return value_or(name, fallback);
}

int64_t Args::get_int(const std::string& name, int64_t fallback) const {
    return has(name) ? parse_int(name, get(name, "")) : fallback;
}

double Args::get_double(const std::string& name, double fallback) const {
    return has(name) ? parse_double(name, get(name, "")) : fallback;
}

int Args::threads() const {
    const int64_t n = get_int("threads", 0);
    check(!has("threads") || (n >= 1 && n <= MAX_THREADS), "option --threads must lie in [1, ", MAX_THREADS,
          "], got ", n);
    return int(n);
}

const Option& threads_option() {
    static const Option option{"threads", "N",
                               "CPU threads, 1 to " + std::to_string(Args::MAX_THREADS) + " (default: all cores)"};
    return option;
}

const Option& allow_nonfinite_option() {
    static const Option option{"allow-nonfinite", "",
                               "load a checkpoint whose weights hold NaN or Inf instead of refusing it"};
    return option;
}

}  // namespace induction
