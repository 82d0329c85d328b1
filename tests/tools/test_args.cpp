// test_args.cpp — the CLI's option parser and help text (tools/args.h), both made from one
// declaration of a command's options: the parser accepts exactly the declared options, the help
// lists each with its meaning and default, and code that reads an undeclared option fails. Also
// --threads, range-checked before anything runs (--threads 100000 once crashed inside libgomp).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/support/testing.h"
#include "tools/args.h"

namespace induction::testing {
namespace {

const Usage EXAMPLE = {
    "example",
    "FILE [options]",
    "Does an example thing to FILE.",
    {{"count", "N", "how many times", "3"},
     {"scale", "X", "a factor"},
     {"mode", "fast|slow", "how to do it, a description long enough to be wrapped onto a second line of the help text",
      "fast"},
     {"a-very-long-option-name", "VALUE-WITH-A-LONG-NAME", "its label does not fit the first column"},
     {"verbose", "", "say more"},
     threads_option()}};

Args parse(const std::vector<std::string>& words) { return Args(words, EXAMPLE.options); }

TEST(Args, ParsesDeclaredOptionsFlagsAndPositionals) {
    const Args args = parse({"in.txt", "--count", "5", "--scale=0.5", "--verbose", "out.txt"});
    EXPECT_EQ(args.positional(), (std::vector<std::string>{"in.txt", "out.txt"}));
    EXPECT_TRUE(args.has("count"));
    EXPECT_EQ(args.get_int("count"), 5);
    EXPECT_DOUBLE_EQ(args.get_double("scale", 1.0), 0.5);
    EXPECT_TRUE(args.flag("verbose"));
    EXPECT_FALSE(args.has("mode"));
}

TEST(Args, AbsentOptionsReadTheirDeclaredDefaultOrTheFallback) {
    const Args args = parse({});
    EXPECT_FALSE(args.has("count"));
    EXPECT_EQ(args.get_int("count"), 3);
    EXPECT_EQ(args.get("mode"), "fast");
    EXPECT_DOUBLE_EQ(args.get_double("scale", 1.5), 1.5);
    EXPECT_FALSE(args.flag("verbose"));
}

TEST(Args, RejectsWhatIsNotDeclared) {
    EXPECT_THROW_MESSAGE(parse({"--colour", "red"}),
                         "unknown option --colour (known: --count N --scale X --mode fast|slow");
    EXPECT_THROW_MESSAGE(parse({"--verbose=yes"}), "option --verbose takes no value");
    EXPECT_THROW_MESSAGE(parse({"--count"}), "option --count needs a value (N)");
    EXPECT_THROW_MESSAGE(parse({"--count", "two"}).get_int("count"), "option --count expects an integer, got 'two'");
    EXPECT_THROW_MESSAGE(Args({"--count", "1"}, {}), "unknown option --count (known: none)");
}

// Code can read only what the command declares, and a declared default only one way, so neither
// the parser nor the help can be bypassed.
TEST(Args, ReadingAnUndeclaredOptionIsAnError) {
    const Args args = parse({"--count", "1"});
    EXPECT_THROW_MESSAGE(args.has("colour"), "option --colour is read but not declared");
    EXPECT_THROW_MESSAGE(args.get("colour", "red"), "option --colour is read but not declared");
    EXPECT_THROW_MESSAGE(args.flag("count"), "option --count is read as a flag but takes a value");
    EXPECT_THROW_MESSAGE(args.get_int("count", 7), "option --count declares a default; read it without a fallback");
    EXPECT_THROW_MESSAGE(parse({}).get_double("scale"), "option --scale declares no default");
}

TEST(Args, ThreadsAreRangeChecked) {
    EXPECT_EQ(parse({}).threads(), 0);  // absent: OpenMP's default
    EXPECT_EQ(parse({"--threads", "2"}).threads(), 2);
    EXPECT_EQ(parse({"--threads", "256"}).threads(), Args::MAX_THREADS);
    for (const char* bad : {"0", "-1", "257", "100000", "4294967298"})
        EXPECT_THROW(parse({"--threads", bad}).threads(), Error) << bad;
    EXPECT_THROW(parse({"--threads", "two"}).threads(), Error);
}

TEST(HelpText, ListsEveryOptionWithItsMeaningAndDefault) {
    const std::string help = help_text(EXAMPLE);
    EXPECT_EQ(help.rfind("usage: induction example FILE [options]\n\nDoes an example thing to FILE.\n", 0), 0u)
        << help;
    for (const char* line : {"\n  --count N  ", "how many times (default: 3)\n", "\n  --scale X  ",
                             "a factor\n", "\n  --verbose  ", "say more\n", "\n  --threads N  ",
                             "(default: all cores)\n", "\n  --help  ", "print this text and exit\n",
                             "\n  --a-very-long-option-name VALUE-WITH-A-LONG-NAME\n      ",
                             "its label does not fit the first column\n"})
        EXPECT_NE(help.find(line), std::string::npos) << "no \"" << line << "\" in\n" << help;
    // Lines of at most 100 columns: the long help of --mode wraps, and none of it is lost.
    std::istringstream words(help);
    std::string collapsed;
    for (std::string word; words >> word;) collapsed += word + " ";
    EXPECT_NE(collapsed.find("--mode fast|slow how to do it, a description long enough to be wrapped onto a second "
                             "line of the help text (default: fast) "),
              std::string::npos);
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;
}

TEST(HelpText, CommandListGivesEachNameAndSummary) {
    const Usage other = {"other thing", "", "Does another thing.", {}};
    EXPECT_EQ(command_list({&EXAMPLE, &other}),
              "  example      Does an example thing to FILE.\n"
              "  other thing  Does another thing.\n");
}

}  // namespace
}  // namespace induction::testing
