// test_args.cpp — the CLI's option parser: --threads is range-checked before anything runs
// (--threads 100000 once crashed inside libgomp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/args.h"

namespace induction {
namespace {

// Args from words, as main() would pass them (argv[0] is the subcommand).
Args parse(std::vector<std::string> words) {
    words.insert(words.begin(), "cmd");
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    return Args(int(argv.size()), argv.data(), {"threads"}, {});
}

TEST(Args, ThreadsAreRangeChecked) {
    EXPECT_EQ(parse({}).threads(), 0);  // absent: OpenMP's default
    EXPECT_EQ(parse({"--threads", "2"}).threads(), 2);
    EXPECT_EQ(parse({"--threads", "256"}).threads(), Args::MAX_THREADS);
    for (const char* bad : {"0", "-1", "257", "100000", "4294967298"})
        EXPECT_THROW(parse({"--threads", bad}).threads(), Error) << bad;
    EXPECT_THROW(parse({"--threads", "two"}).threads(), Error);
}

}  // namespace
}  // namespace induction
