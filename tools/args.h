// args.h — a small command-line parser: positional arguments, `--name value` options and
// `--flag` switches. Unknown options are errors, so a typo never silently does nothing.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace induction {

class Args {
public:
    // options: names taking a value; flags: names without one (both without the leading "--").
    // Errors name the option only: the CLI prefixes every error with "induction <command>: ".
    Args(int argc, char** argv, const std::set<std::string>& options,
         const std::set<std::string>& flags);

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    bool flag(const std::string& name) const { return flags_.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const;
    int64_t get_int(const std::string& name, int64_t fallback) const;
    double get_double(const std::string& name, double fallback) const;
    // --threads N, checked to lie in [1, MAX_THREADS]; 0 when absent (OpenMP's default).
    int threads() const;
    static constexpr int MAX_THREADS = 256;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

}  // namespace induction
