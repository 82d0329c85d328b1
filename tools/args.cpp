// args.cpp — command-line parsing.
#include "tools/args.h"

#include "tensor/error.h"

namespace induction {

Args::Args(int argc, char** argv, const std::set<std::string>& options,
           const std::set<std::string>& flags) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) {
            positional_.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2), value;
        size_t equals = name.find('=');
        bool inline_value = equals != std::string::npos;
        if (inline_value) {
            value = name.substr(equals + 1);
            name = name.substr(0, equals);
        }
        if (flags.count(name) && !inline_value) {
            flags_.insert(name);
        } else if (options.count(name)) {
            if (!inline_value) {
                check(i + 1 < argc, "option --", name, " needs a value");
                value = argv[++i];
            }
            values_[name] = value;
        } else {
            std::string known;
            for (const std::string& o : options) known += " --" + o + " X";
            for (const std::string& f : flags) known += " --" + f;
            fail("unknown option --", name, " (known:", known.empty() ? " none" : known, ")");
        }
    }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

namespace {

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

}  // namespace

int64_t Args::get_int(const std::string& name, int64_t fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    return parse_option<int64_t>(name, it->second, "an integer",
                                 [](const std::string& t, size_t* used) { return std::stoll(t, used); });
}

int Args::threads() const {
    const int64_t n = get_int("threads", 0);
    check(!has("threads") || (n >= 1 && n <= MAX_THREADS), "option --threads must lie in [1, ", MAX_THREADS,
          "], got ", n);
    return int(n);
}

double Args::get_double(const std::string& name, double fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    return parse_option<double>(name, it->second, "a number",
                                [](const std::string& t, size_t* used) { return std::stod(t, used); });
}

}  // namespace induction
