// args.h — a command's options, declared once, and the two things made from that declaration:
// the parser (positional arguments, `--name value` options and `--flag` switches) and the help
// text of `induction <command> --help`. An option the declaration lacks is an error on the command
// line (a typo never silently does nothing) and in the code that reads it, so the parser, the help
// and the code cannot drift apart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace induction {

// One option: `--name VALUE`, or a flag `--name` when `value` is empty.
struct Option {
    std::string name;           // without the leading "--"
    std::string value;          // what the value is ("N", "DIR", "pattern|full|value"); "" for a flag
    std::string help;           // what it does; a default computed at run time is stated here
    std::string default_value = {};  // used when the option is absent; "" when there is none
};

// A command's interface: `induction <command> <synopsis>`, what it does, and its options.
struct Usage {
    std::string command;   // "train", "bench gemm"
    std::string synopsis;  // what follows the command's name: "CHECKPOINT [options]"
    std::string summary;   // one sentence: what it does
    std::vector<Option> options;
};

// The options of `first` followed by those of `second` (commands that share a group of options).
std::vector<Option> joined(std::vector<Option> first, const std::vector<Option>& second);

// `induction <command> --help`: the synopsis, the summary, then every option with its meaning and
// default, wrapped to 100 columns.
std::string help_text(const Usage& usage);
// The commands of `induction --help`: each one's name and summary.
std::string command_list(const std::vector<const Usage*>& usages);

class Args {
public:
    // words: the arguments after the command's name. Errors name the option only: the CLI
    // prefixes every error with "induction <command>: ".
    Args(const std::vector<std::string>& words, const std::vector<Option>& options);

    // Each accessor checks that `name` is declared (a programming error otherwise).
    bool has(const std::string& name) const;   // the option was given
    bool flag(const std::string& name) const;  // the flag was given
    // The value given, else the declared default ("" when there is none).
    std::string get(const std::string& name) const;
    int64_t get_int(const std::string& name) const;
    double get_double(const std::string& name) const;
    // The value given, else `fallback`: for options whose default is computed at run time (and
    // so declare none).
    std::string get(const std::string& name, const std::string& fallback) const;
    int64_t get_int(const std::string& name, int64_t fallback) const;
    double get_double(const std::string& name, double fallback) const;
    // --threads N, checked to lie in [1, MAX_THREADS]; 0 when absent (OpenMP's default).
    int threads() const;
    static constexpr int MAX_THREADS = 256;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    const Option& declared(const std::string& name) const;
    // The text of the option's value: given, else `fallback`.
    std::string value_or(const std::string& name, const std::string& fallback) const;
    // Given, else the declared default (a programming error when there is none).
    std::string given_or_default(const std::string& name) const;

    std::vector<Option> options_;
    std::map<std::string, std::string> given_;  // name -> value ("" for a flag)
    std::vector<std::string> positional_;
};

// --threads, shared by every command that computes.
const Option& threads_option();
// --allow-nonfinite, shared by the commands that load a checkpoint: weights holding NaN or Inf are
// refused unless it is given (forensic use on a diverged run).
const Option& allow_nonfinite_option();

}  // namespace induction
