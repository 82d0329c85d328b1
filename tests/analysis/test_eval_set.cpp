// test_eval_set.cpp — the fixed evaluation set of METHODS §2.1: non-overlapping windows of the
// held-out stream in a seeded random order, so that any leading block of rows (the curve windows
// every snapshot is measured on) is a random sample of the split.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "analysis/icl.h"
#include "tensor/error.h"

namespace induction {
namespace {

// A stream whose token k is k, so a window's first token says where it starts.
std::vector<int32_t> counting_stream(int32_t length) {
    std::vector<int32_t> stream(size_t(length), 0);
    std::iota(stream.begin(), stream.end(), 0);
    return stream;
}

TEST(EvalSet, ZeroExamplesTakesEveryWindowInASeededOrder) {
    const std::vector<int32_t> stream = counting_stream(1000);
    EvalSet all = make_eval_set(stream, 0, 64, 7);
    ASSERT_EQ(all.tokens.size(0), 1000 / 64);
    ASSERT_EQ(all.tokens.size(1), 64);
    ASSERT_EQ(all.random_column.size(), size_t(1000 / 64));
    std::set<int32_t> starts;
    std::vector<int32_t> order;
    for (int64_t e = 0; e < all.tokens.size(0); ++e) {
        std::vector<int32_t> row = all.tokens[e].to_ints();
        for (size_t k = 0; k < row.size(); ++k) ASSERT_EQ(row[k], row[0] + int32_t(k));  // contiguous
        EXPECT_EQ(row[0] % (1000 / 15), 0);  // 15 windows, evenly spaced: stride 66 >= 64
        starts.insert(row[0]);
        order.push_back(row[0]);
    }
    EXPECT_EQ(starts.size(), size_t(1000 / 64));  // each window exactly once
    EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));  // shuffled, not in stream order
    for (int64_t c : all.random_column) {
        EXPECT_GE(c, 0);
        EXPECT_LT(c, 63);
    }
    // The same set as asking for that number, and the same again for the same seed.
    EvalSet counted = make_eval_set(stream, 1000 / 64, 64, 7);
    EXPECT_EQ(counted.tokens.to_ints(), all.tokens.to_ints());
    EXPECT_EQ(counted.random_column, all.random_column);
    EXPECT_NE(make_eval_set(stream, 0, 64, 8).tokens.to_ints(), all.tokens.to_ints());
}

TEST(EvalSet, FewerWindowsAreSpreadOverTheStream) {
    EvalSet set = make_eval_set(counting_stream(1000), 4, 64, 1);
    std::set<int32_t> starts;
    for (int64_t e = 0; e < 4; ++e) starts.insert(set.tokens[e].to_ints()[0]);
    EXPECT_EQ(starts, (std::set<int32_t>{0, 250, 500, 750}));
}

TEST(EvalSet, RejectsAStreamTooShort) {
    EXPECT_THROW(make_eval_set(counting_stream(100), 0, 128, 1), Error);
    EXPECT_THROW(make_eval_set(counting_stream(100), 2, 64, 1), Error);
}

}  // namespace
}  // namespace induction
