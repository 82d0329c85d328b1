// test_command_help.cpp — every command of the built CLI documents exactly the options it accepts.
//
// For each command that `induction --help` lists, the options its parser accepts (named by the
// one-line error for an unknown option) must be the options `induction <command> --help` lists,
// each with a description; an option accepted but undocumented, or documented but refused, fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/testing.h"

namespace induction::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The command names of `induction --help`: lines "  name  summary" of its "commands:" section.
std::vector<std::string> command_names(const std::string& cli) {
    const ShellResult list = run_shell("'" + cli + "' --help");
    EXPECT_EQ(list.status, 0) << list.output;
    std::vector<std::string> names;
    bool in_commands = false;
    for (const std::string& line : lines_of(list.output)) {
        if (line == "commands:") in_commands = true;
        else if (line.empty()) in_commands = false;
        else if (in_commands && line.rfind("  ", 0) == 0 && line[2] != ' ')
            names.push_back(line.substr(2, line.find("  ", 2) - 2));
    }
    return names;
}

// The option labels ("--name VALUE", "--flag") of a help text's "options:" section, each with its
// description (the rest of its line and its continuation lines), "--help" excepted.
std::vector<std::pair<std::string, std::string>> documented_options(const std::string& help) {
    std::vector<std::pair<std::string, std::string>> options;
    bool in_options = false;
    for (const std::string& line : lines_of(help)) {
        if (line == "options:") {
            in_options = true;
        } else if (in_options && line.rfind("  --", 0) == 0) {
            const size_t gap = line.find("  ", 2);
            options.push_back({line.substr(2, gap == std::string::npos ? std::string::npos : gap - 2),
                               gap == std::string::npos ? "" : line.substr(gap)});
        } else if (in_options && !options.empty()) {
            options.back().second += line;
        }
    }
    if (!options.empty() && options.back().first == "--help") options.pop_back();
    return options;
}

// The option labels an "unknown option --x (known: --a N --b)" error lists.
std::set<std::string> accepted_options(const std::string& error) {
    const size_t start = error.find("(known:");
    if (start == std::string::npos) return {};
    std::istringstream words(error.substr(start + 7, error.rfind(')') - start - 7));
    std::set<std::string> labels;
    std::string label;
    for (std::string word; words >> word;) {
        if (word == "none") continue;
        if (word.rfind("--", 0) == 0) {
            if (!label.empty()) labels.insert(label);
            label = word;
        } else {
            label += " " + word;
        }
    }
    if (!label.empty()) labels.insert(label);
    return labels;
}

TEST(CommandHelp, EveryCommandDocumentsExactlyTheOptionsItAccepts) {
    const std::string cli = induction_cli();
    if (cli.empty()) GTEST_SKIP() << "no induction CLI found (set INDUCTION_CLI)";
    const std::vector<std::string> names = command_names(cli);
    for (const char* expected : {"train", "eval", "heads", "ablate", "run", "bench gemm"})
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
    for (const std::string& name : names) {
        SCOPED_TRACE("induction " + name);
        const ShellResult help = run_shell("'" + cli + "' " + name + " --help 2>&1");
        EXPECT_EQ(help.status, 0) << help.output;
        EXPECT_EQ(help.output.rfind("usage: induction " + name, 0), 0u) << help.output;
        const ShellResult refused = run_shell("'" + cli + "' " + name + " --no-such-option 2>&1");
        EXPECT_EQ(refused.status, 1) << refused.output;
        EXPECT_EQ(refused.output.rfind("induction " + name + ": unknown option --no-such-option (known:", 0), 0u)
            << refused.output;
        EXPECT_EQ(lines_of(refused.output).size(), 1u) << refused.output;

        std::set<std::string> documented;
        for (const auto& [label, description] : documented_options(help.output)) {
            documented.insert(label);
            std::istringstream words(description);
            size_t word_count = 0;
            for (std::string word; words >> word;) ++word_count;
            EXPECT_GE(word_count, 2u) << label << " has no description";
        }
        EXPECT_EQ(accepted_options(refused.output), documented) << help.output << refused.output;
    }
}

}  // namespace
}  // namespace induction::testing
