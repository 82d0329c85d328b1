// test_attribution.cpp — METHODS §5.4–§5.5 read from losses: the columns and bands, per-example
// ICL readings against a direct computation, bootstrap intervals (coverage of a known mean,
// paired differences, ratios), the before-and-after vector, and the head groups.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/attribution.h"
#include "analysis/attribution_metrics.h"
#include "tensor/rng.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

EvalSet eval_set(int64_t N, int64_t T, uint64_t seed = 1) {
    EvalSet eval;
    eval.tokens = Tensor::zeros({N, T}, DType::I32);
    Rng rng(seed);
    for (int64_t e = 0; e < N; ++e) eval.random_column.push_back(rng.next_int(0, T - 1));
    return eval;
}

TEST(Attribution, BandsScaleWithTheContext) {
    IclBands b = icl_bands(256);  // i_lo = 25, i_hi = 250
    EXPECT_EQ(b.lo_first, 20);
    EXPECT_EQ(b.lo_last, 31);
    EXPECT_EQ(b.hi_first, 200);
    EXPECT_EQ(b.hi_last, 256);  // clipped at T
    EXPECT_NEAR(b.log10_ratio, std::log10(226.9 / 25.2), 0.01);  // geometric-mean centres
    IclBands c = icl_bands(512);  // i_lo = 50, i_hi = 500
    EXPECT_EQ(c.lo_first, 40);
    EXPECT_EQ(c.lo_last, 62);
    EXPECT_EQ(c.hi_first, 400);
    EXPECT_EQ(c.hi_last, 512);
    EXPECT_THROW_MESSAGE(icl_bands(64), "too short");
}

TEST(Attribution, ReadingsMatchADirectComputation) {
    const int64_t N = 7, T = 256;
    EvalSet eval = eval_set(N, T);
    AttributionColumns c = attribution_columns(eval);
    Tensor losses = testing::random_tensor({N, T - 1}, DType::F64, 3, 0, 6);  // ℓ[e, i − 2]
    ExampleReadings r = read_examples(pick_columns(losses, c.columns), c);
    auto L = [&](int64_t e, int64_t i) { return losses.at({e, i - 2}); };
    for (int64_t e = 0; e < N; ++e) {
        EXPECT_NEAR(r.icl[size_t(e)], (L(e, 25) - L(e, 250)) / std::log10(10.0), 1e-12);
        double lo = 0, hi = 0;
        for (int64_t i = 20; i <= 31; ++i) lo += L(e, i) / 12;
        for (int64_t i = 200; i <= 256; ++i) hi += L(e, i) / 57;
        EXPECT_NEAR(r.icl_band[size_t(e)], (lo - hi) / c.bands.log10_ratio, 1e-12);
        EXPECT_EQ(r.random_token[size_t(e)], losses.at({e, eval.random_column[size_t(e)]}));
    }
}

TEST(Attribution, BootstrapIntervalsCoverAKnownMean) {
    // 200 experiments of 400 normal draws with mean 1: the 95% interval should contain 1 in
    // about 95% of them (binomial sd ≈ 1.5%), and its width should be about 2 · 1.96 / sqrt(400).
    BootstrapPlan plan = make_bootstrap_plan(400, 1000, 7);
    int covered = 0;
    double width = 0;
    for (int experiment = 0; experiment < 200; ++experiment) {
        std::vector<double> x = Rng(100 + uint64_t(experiment)).normal({400}, 1.0, 1.0, DType::F64).to_vector();
        Estimate e = mean_with_interval(x, plan);
        covered += e.lo <= 1.0 && 1.0 <= e.hi;
        width += (e.hi - e.lo) / 200;
        EXPECT_LT(e.lo, e.value);
        EXPECT_GT(e.hi, e.value);
    }
    EXPECT_GE(covered, 180);
    EXPECT_LE(covered, 198);
    EXPECT_NEAR(width, 2 * 1.96 / 20.0, 0.02);
}

TEST(Attribution, PairedDifferencesAndRatiosAreResampledJointly) {
    BootstrapPlan plan = make_bootstrap_plan(300, 500, 2);
    std::vector<double> clean = Rng(1).normal({300}, 0.0, 3.0, DType::F64).to_vector();
    std::vector<double> ablated = clean;
    for (double& x : ablated) x -= 0.5;  // a constant shift: the paired interval has no width
    Estimate d = difference_with_interval(clean, ablated, plan);
    EXPECT_NEAR(d.value, -0.5, 1e-12);
    EXPECT_NEAR(d.lo, -0.5, 1e-12);
    EXPECT_NEAR(d.hi, -0.5, 1e-12);
    std::vector<double> amount(300, 2.0), lost(300, 1.5);
    Estimate share = ratio_with_interval(lost, amount, plan);
    EXPECT_NEAR(share.value, 0.75, 1e-12);
    EXPECT_NEAR(share.lo, 0.75, 1e-12);
    std::vector<double> negative(300, -1.0);
    EXPECT_TRUE(std::isnan(ratio_with_interval(lost, negative, plan).value));  // no share of nothing
}

TEST(Attribution, EffectOfAnAblation) {
    const int64_t N = 50, T = 128;
    EvalSet eval = eval_set(N, T);
    AttributionColumns c = attribution_columns(eval);
    // Clean: loss falls with context; ablated: flat at the late loss + 1 (ICL gone, loss up).
    std::vector<double> clean_losses, ablated_losses;
    for (int64_t e = 0; e < N; ++e)
        for (int64_t i = 2; i <= T; ++i) {
            clean_losses.push_back(4.0 - std::log10(double(i)));
            ablated_losses.push_back(3.0);
        }
    Tensor clean = Tensor::from_vector({N, T - 1}, clean_losses, DType::F64);
    Tensor ablated = Tensor::from_vector({N, T - 1}, ablated_losses, DType::F64);
    BootstrapPlan plan = make_bootstrap_plan(N, 200);
    ExampleReadings before = read_examples(pick_columns(clean, c.columns), c);
    AblationEffect effect = ablation_effect(before, read_examples(pick_columns(ablated, c.columns), c), plan);
    EXPECT_NEAR(mean_with_interval(before.icl, plan).value, 1.0, 1e-12);  // one nat per decade
    EXPECT_NEAR(effect.icl.value, 0.0, 1e-12);
    EXPECT_NEAR(effect.delta_icl.value, -1.0, 1e-12);
    EXPECT_NEAR(effect.delta_icl_band.value, -1.0, 1e-9);
    EXPECT_NEAR(effect.share_removed.value, 1.0, 1e-12);
    double expected_loss = 0;
    for (int64_t e = 0; e < N; ++e) expected_loss += (3.0 - (4.0 - std::log10(double(eval.random_column[size_t(e)] + 2)))) / N;
    EXPECT_NEAR(effect.delta_loss, expected_loss, 1e-12);
}

TEST(Attribution, BeforeAndAfterVector) {
    std::vector<double> start = {3, 3, 3, 3}, end = {3, 1, 3, 3};  // only example 1 improved
    std::vector<double> b = before_after_vector(start, end);
    EXPECT_EQ(b, (std::vector<double>{0, -1, 0, 0}));
    // Undoing the improvement: a = ⟨δ, b⟩ < 0, pointing straight back (cosine −1).
    BeforeAfterAttribution undo = before_after_attribution({0, 2, 0, 0}, b);
    EXPECT_DOUBLE_EQ(undo.projection, -2.0);
    EXPECT_DOUBLE_EQ(undo.cosine, -1.0);
    BeforeAfterAttribution elsewhere = before_after_attribution({1, 0, 0, 0}, b);
    EXPECT_DOUBLE_EQ(elsewhere.projection, 0.0);
    EXPECT_TRUE(before_after_vector(start, start).empty());
}

TEST(Attribution, HeadGroupsFollowTheFinalClasses) {
    std::vector<HeadClass> classes = {HeadClass::PREVIOUS_TOKEN, HeadClass::OTHER, HeadClass::INDUCTION,
                                      HeadClass::ANTI_COPYING_PREFIX};
    std::vector<HeadGroup> groups = head_groups(classes, 2, 2);
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_EQ(groups[0].name, "induction");
    EXPECT_EQ(groups[0].heads, (HeadSet{{1, 0}}));
    EXPECT_EQ(groups[1].name, "previous-token");
    EXPECT_EQ(groups[2].heads, (HeadSet{{0, 1}, {1, 1}}));  // anti-copying prefix heads count as other
    EXPECT_EQ(head_groups({HeadClass::OTHER}, 1, 1).size(), 1u);
}

}  // namespace
}  // namespace induction
