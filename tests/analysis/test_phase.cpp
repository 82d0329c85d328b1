// test_phase.cpp — phase-change window, loss bump and PCA pivot (METHODS §6) on synthetic curves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "analysis/phase.h"
#include "tensor/error.h"

namespace induction {
namespace {

double sigmoid(double t) { return 1.0 / (1.0 + std::exp(-t)); }

// n_k = (k + 1) * step for k < count.
std::vector<double> linear_tokens(int count, double step) {
    std::vector<double> n(count);
    for (int k = 0; k < count; ++k) n[k] = (k + 1) * step;
    return n;
}

// count points from lo to hi, evenly spaced in ln n.
std::vector<double> log_tokens(int count, double lo, double hi) {
    std::vector<double> n(count);
    for (int k = 0; k < count; ++k) n[k] = lo * std::pow(hi / lo, k / (count - 1.0));
    return n;
}

// y_k = f(x_k) + Gaussian noise of standard deviation sigma.
template <class F>
std::vector<double> curve(const std::vector<double>& x, F f, double sigma, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, sigma);
    std::vector<double> y;
    for (double v : x) y.push_back(f(v) + (sigma > 0.0 ? noise(rng) : 0.0));
    return y;
}

// ---- rise_window ------------------------------------------------------------------------

TEST(RiseWindow, FindsANoisyLogisticStep) {
    std::vector<double> n = linear_tokens(200, 1e7);  // 1e7 .. 2e9 tokens
    const double mid = 6e8, width = 5e7;
    std::vector<double> y = curve(n, [&](double v) { return 0.05 + 0.4 * sigmoid((v - mid) / width); }, 0.01, 1);
    RiseWindow w = rise_window(y, n);
    EXPECT_TRUE(w.found) << w.reason;
    EXPECT_TRUE(w.reason.empty());
    EXPECT_EQ(w.burn_in, 10);
    EXPECT_FALSE(w.multi_step);
    EXPECT_NEAR(w.n_peak, mid, 5e7);
    EXPECT_LT(w.n_start, mid - width);
    EXPECT_GT(w.n_end, mid + width);
    EXPECT_LT(w.n_end - w.n_start, 10 * width);
    EXPECT_GT(w.frac_in_window, 0.75);
    EXPECT_NEAR(w.y_post, 0.45, 0.02);
    EXPECT_NEAR(w.y_first, 0.05, 0.02);
    // The logistic recovers the generating parameters, so its window is the true 10-90% one.
    EXPECT_TRUE(w.logistic.converged);
    EXPECT_NEAR(w.logistic.x_mid, mid, 1e7);
    EXPECT_NEAR(w.logistic.width, width, 0.15 * width);
    EXPECT_NEAR(w.logistic.y_post - w.logistic.y_pre, 0.4, 0.02);
    EXPECT_NEAR(w.logistic.n_start, mid - std::log(9.0) * width, 2e7);
    EXPECT_NEAR(w.logistic.rms_residual, 0.01, 0.002);
    EXPECT_GT(w.window_agreement, 0.4);
    EXPECT_EQ(w.smoothed.size(), 200u);
    EXPECT_EQ(w.slope.size(), 200u);
}

TEST(RiseWindow, LogSpacedSnapshots) {
    std::vector<double> n = log_tokens(60, 1e6, 1e10);
    const double mid = std::log(3e8);
    std::vector<double> y = curve(n, [&](double v) { return 0.1 + 0.5 * sigmoid((std::log(v) - mid) / 0.3); }, 0.005, 2);
    RiseWindowOptions options;
    options.log_n = true;
    RiseWindow w = rise_window(y, n, options);
    EXPECT_TRUE(w.found) << w.reason;
    EXPECT_NEAR(std::log(w.n_peak), mid, 0.3);
    EXPECT_LT(w.n_start, 3e8);
    EXPECT_GT(w.n_end, 3e8);
    EXPECT_GT(w.frac_in_window, 0.75);
    EXPECT_NEAR(w.logistic.x_mid, mid, 0.05);  // x is ln n
    EXPECT_NEAR(w.logistic.width, 0.3, 0.05);
}

TEST(RiseWindow, FlatCurveIsNoPhaseChange) {
    std::vector<double> n = linear_tokens(100, 1e7);
    RiseWindow w = rise_window(curve(n, [](double) { return 0.08; }, 0.01, 3), n);
    EXPECT_FALSE(w.found);
    EXPECT_NE(w.reason.find("rise"), std::string::npos) << w.reason;
    EXPECT_TRUE(std::isnan(w.frac_in_window)) << "a share of a near-zero total rise has no meaning";
}

TEST(RiseWindow, LinearCurveIsNoPhaseChange) {
    // Rises by 0.5 overall but at a constant rate: no slope peak stands out of the final half.
    std::vector<double> n = linear_tokens(100, 1e7);
    RiseWindow w = rise_window(curve(n, [](double v) { return 0.5 * v / 1e9; }, 0.002, 4), n);
    EXPECT_FALSE(w.found);
    EXPECT_NE(w.reason.find("peak slope"), std::string::npos) << w.reason;
}

TEST(RiseWindow, TwoStepsAreFlaggedAndTheFirstIsTaken) {
    std::vector<double> n = linear_tokens(200, 1e7);
    std::vector<double> y = curve(n, [](double v) {
        return 0.2 * sigmoid((v - 5e8) / 3e7) + 0.2 * sigmoid((v - 1.4e9) / 3e7);
    }, 0.003, 5);
    RiseWindow w = rise_window(y, n);
    EXPECT_TRUE(w.found) << w.reason;
    EXPECT_TRUE(w.multi_step);
    ASSERT_EQ(w.step_peaks.size(), 2u);
    EXPECT_NEAR(n[w.step_peaks[0]], 5e8, 3e7);
    EXPECT_NEAR(n[w.step_peaks[1]], 1.4e9, 3e7);
    EXPECT_EQ(w.peak, w.step_peaks[0]);
    EXPECT_LT(w.n_end, 1.0e9);  // the window covers the first step only
    EXPECT_LT(w.frac_in_window, 0.6);
}

TEST(RiseWindow, LargestRiseChoiceTakesTheStepThatCarriesTheMostRise) {
    // A small steep step (0.06) before a larger, gentler one (0.2): METHODS' earliest-step rule
    // takes the first, LARGEST_RISE the second.
    std::vector<double> n = linear_tokens(200, 1e7);
    std::vector<double> y = curve(n, [](double v) {
        return 0.06 * sigmoid((v - 3e8) / 1e7) + 0.2 * sigmoid((v - 1.2e9) / 6e7);
    }, 0.001, 6);
    RiseWindow earliest = rise_window(y, n);
    ASSERT_TRUE(earliest.multi_step);
    EXPECT_NEAR(earliest.n_peak, 3e8, 3e7);
    RiseWindowOptions options;
    options.step_choice = RiseWindowOptions::StepChoice::LARGEST_RISE;
    RiseWindow largest = rise_window(y, n, options);
    EXPECT_TRUE(largest.found) << largest.reason;
    EXPECT_EQ(largest.step_peaks, earliest.step_peaks);
    EXPECT_NEAR(largest.n_peak, 1.2e9, 6e7);
    EXPECT_GT(largest.n_start, 8e8);
    EXPECT_GT(largest.frac_in_window, 0.6);
}

TEST(RiseWindow, EarlyRiseInsideTheBurnInIsIgnored) {
    std::vector<double> n = linear_tokens(100, 1e7);
    // A jump over the first 3 snapshots (steeper than the later step), then the real step.
    std::vector<double> y = curve(n, [](double v) {
        return 0.1 * std::min(v / 3e7, 1.0) + 0.3 * sigmoid((v - 4e8) / 4e7);
    }, 0.0, 0);
    RiseWindow w = rise_window(y, n);
    EXPECT_EQ(w.burn_in, 5);
    EXPECT_TRUE(w.found) << w.reason;
    EXPECT_NEAR(w.n_peak, 4e8, 2e7);
    RiseWindowOptions no_burn_in;
    no_burn_in.burn_in_fraction = 0.0;
    EXPECT_LT(rise_window(y, n, no_burn_in).n_peak, 1e8);  // without it the early jump wins
}

TEST(RiseWindow, BurnInInTokensCoversLogSpacedEarlySnapshots) {
    // Dense log-spaced snapshots early (as the family's presets take them), then linear ones: 5%
    // of the snapshots covers almost no tokens, a burn-in in tokens covers the early jump.
    std::vector<double> n = log_tokens(20, 1e5, 1e7);
    for (double v : linear_tokens(100, 1e7)) n.push_back(v + 1e7);
    std::vector<double> y = curve(n, [](double v) {
        return 0.1 * std::min(v / 5e6, 1.0) + 0.3 * sigmoid((v - 4e8) / 4e7);
    }, 0.0, 0);
    RiseWindowOptions fraction_only;
    EXPECT_LT(rise_window(y, n, fraction_only).n_peak, 1e7);  // the jump wins
    RiseWindowOptions tokens;
    tokens.burn_in_fraction = 0;
    tokens.burn_in_tokens = 0.05 * n.back();
    RiseWindow w = rise_window(y, n, tokens);
    EXPECT_EQ(w.burn_in, int64_t(std::upper_bound(n.begin(), n.end(), tokens.burn_in_tokens) - n.begin()));
    EXPECT_TRUE(w.found) << w.reason;
    EXPECT_NEAR(w.n_peak, 4e8, 2e7);
}

TEST(ExcessOverControl, RemovesASharedTransientAndKeepsTheModelsOwnRise) {
    // Both curves share an early rise; only the model has the later step. The control stops
    // earlier (fewer steps) and its level there carries on.
    std::vector<double> n = linear_tokens(100, 1e7), control_n = linear_tokens(40, 1e7);
    auto transient = [](double v) { return 0.2 * (1 - std::exp(-v / 5e7)); };
    std::vector<double> y = curve(n, [&](double v) { return transient(v) + 0.3 * sigmoid((v - 6e8) / 4e7); }, 0.0, 0);
    std::vector<double> control_y = curve(control_n, transient, 0.0, 0);
    std::vector<double> excess = excess_over_control(n, y, control_n, control_y);
    ASSERT_EQ(excess.size(), n.size());
    EXPECT_NEAR(excess[10], 0.0, 1e-3);   // inside the control's range: the transient cancels
    EXPECT_NEAR(excess[99], 0.3, 0.01);   // beyond it: the control's late level
    RiseWindowOptions options;
    options.burn_in_fraction = 0;
    RiseWindow own = rise_window(y, n, options), with_control = rise_window(excess, n, options);
    EXPECT_LT(own.n_peak, 1e8);  // the transient is the steepest rise of the model's own curve
    ASSERT_TRUE(with_control.found) << with_control.reason;
    EXPECT_NEAR(with_control.n_peak, 6e8, 3e7);
    // Interpolation between the control's snapshots, and its first value before them.
    std::vector<double> at = excess_over_control({5e6, 1.5e7}, {1.0, 1.0}, {1e7, 2e7}, {0.2, 0.4});
    EXPECT_NEAR(at[0], 0.8, 1e-12);
    EXPECT_NEAR(at[1], 0.7, 1e-12);
    EXPECT_THROW(excess_over_control({1.0}, {1.0}, {2.0, 1.0}, {0.0, 0.0}), Error);
}

TEST(RiseWindow, ThresholdsForIclAmountAndPrefixScore) {
    std::vector<double> n = linear_tokens(100, 1e7);
    std::vector<double> y = curve(n, [](double v) { return 0.12 * sigmoid((v - 4e8) / 3e7); }, 0.0, 0);
    EXPECT_TRUE(rise_window(y, n).found);  // 0.12 >= 0.10
    RiseWindowOptions prefix;
    prefix.min_rise = PREFIX_SCORE_MIN_RISE;
    RiseWindow w = rise_window(y, n, prefix);
    EXPECT_FALSE(w.found);  // 0.12 < 0.15
    EXPECT_NEAR(w.y_post - w.y_pre, 0.12, 0.01);
}

TEST(RiseWindow, SmoothingRemovesASingleSpike) {
    std::vector<double> n = linear_tokens(50, 1.0);
    std::vector<double> y(50, 0.0);
    y[20] = 5.0;
    RiseWindow w = rise_window(y, n);
    for (double v : w.smoothed) EXPECT_EQ(v, 0.0);
    EXPECT_FALSE(w.found);
    EXPECT_EQ(w.smoothed.front(), y.front());  // the windows shrink to one point at the ends
}

TEST(RiseWindow, RejectsBadInput) {
    EXPECT_THROW(rise_window({1, 2, 3, 4, 5}, {1, 2, 3, 4}), Error);
    EXPECT_THROW(rise_window({1, 2, 3, 4, 5}, {1, 2, 2, 4, 5}), Error);
    EXPECT_THROW(rise_window({1, 2, 3}, {1, 2, 3}), Error);
    RiseWindowOptions log;
    log.log_n = true;
    EXPECT_THROW(rise_window({1, 2, 3, 4, 5}, {0, 1, 2, 3, 4}, log), Error);
}

// ---- combined_window --------------------------------------------------------------------

TEST(CombinedWindow, UnionLagOverlapAndScheduleChanges) {
    std::vector<double> n = linear_tokens(200, 1e7);
    std::vector<double> a = curve(n, [](double v) { return 0.4 * sigmoid((v - 6e8) / 4e7); }, 0.0, 0);
    std::vector<double> p = curve(n, [](double v) { return 0.6 * sigmoid((v - 6.4e8) / 4e7); }, 0.0, 0);
    RiseWindow wa = rise_window(a, n);
    RiseWindowOptions prefix;
    prefix.min_rise = PREFIX_SCORE_MIN_RISE;
    RiseWindow wp = rise_window(p, n, prefix);
    CombinedWindow c = combined_window(wa, wp, {{"warmup_end", 1e8}, {"weight_decay_change", 6.2e8}});
    EXPECT_TRUE(c.found);
    EXPECT_TRUE(c.both_found);
    EXPECT_TRUE(c.reason.empty());
    EXPECT_EQ(c.window.start, std::min(wa.n_start, wp.n_start));
    EXPECT_EQ(c.window.end, std::max(wa.n_end, wp.n_end));
    EXPECT_NEAR(c.lag, 4e7, 1.5e7);
    EXPECT_GT(c.iou, 0.5);
    EXPECT_LT(c.iou, 1.0);
    ASSERT_EQ(c.changes_inside.size(), 1u);
    EXPECT_EQ(c.changes_inside[0].name, "weight_decay_change");

    RiseWindow flat = rise_window(std::vector<double>(200, 0.0), n);
    CombinedWindow one = combined_window(wa, flat);
    EXPECT_TRUE(one.found);
    EXPECT_FALSE(one.both_found);
    EXPECT_NE(one.reason.find("prefix"), std::string::npos);
    EXPECT_EQ(one.window.start, wa.n_start);
    EXPECT_FALSE(combined_window(flat, flat).found);
}

// ---- loss bump --------------------------------------------------------------------------

TEST(ConvexMinorant, HandMadePoints) {
    std::vector<double> h = convex_minorant({0, 1, 2, 3, 4}, {0, 2, 1, 3, 4});
    std::vector<double> expected = {0, 0.5, 1, 2.5, 4};  // hull (0,0) (2,1) (4,4)
    for (int k = 0; k < 5; ++k) EXPECT_DOUBLE_EQ(h[k], expected[k]);
    std::vector<double> line = convex_minorant({0, 1, 3}, {1, 2, 4});  // collinear: the line itself
    EXPECT_DOUBLE_EQ(line[1], 2.0);
    std::vector<double> convex = {4, 1, 0, 1, 4};  // already convex: unchanged
    EXPECT_EQ(convex_minorant({-2, -1, 0, 1, 2}, convex), convex);
    EXPECT_THROW(convex_minorant({0, 0, 1}, {1, 2, 3}), Error);
}

TEST(LossBump, ConvexCurveHasNoBump) {
    std::vector<double> n = log_tokens(100, 1e6, 1e10);
    auto power_law = [](double v) { return 2.0 + 5.0 * std::pow(v / 1e6, -0.3); };
    LossBump clean = loss_bump(curve(n, power_law, 0.0, 0), n, true);
    EXPECT_FALSE(clean.found);
    EXPECT_TRUE(clean.other_regions.empty());
    LossBump noisy = loss_bump(curve(n, power_law, 0.002, 6), n, true);
    EXPECT_FALSE(noisy.found) << "height " << noisy.height << " tau " << noisy.tau;
    EXPECT_TRUE(noisy.other_regions.empty());
    EXPECT_GT(noisy.tau, 0.002);
}

TEST(LossBump, FindsAPlateauBeforeADrop) {
    // A power law with an extra 0.3-nat drop at n = 1e8: the curve lies above its convex
    // minorant on the plateau just before the drop.
    std::vector<double> n = log_tokens(120, 1e6, 1e10);
    const double x0 = std::log(1e8);
    auto loss = [&](double v) {
        return 2.0 + 5.0 * std::pow(v / 1e6, -0.3) + 0.3 * (1.0 - sigmoid((std::log(v) - x0) / 0.15));
    };
    std::vector<double> y = curve(n, loss, 0.002, 7);
    TokenInterval window{std::exp(x0 - 0.4), std::exp(x0 + 0.4)};
    LossBump b = loss_bump(y, n, true, window);
    EXPECT_TRUE(b.found);
    EXPECT_GT(b.location, x0 - 1.0);
    EXPECT_LT(b.location, x0 + 0.2);
    EXPECT_NEAR(b.n_location, std::exp(b.location), 1e-6 * b.n_location);
    EXPECT_LE(b.x[b.region_start], b.location);
    EXPECT_GE(b.x[b.region_end], b.location);
    EXPECT_GT(b.height, 0.05);
    EXPECT_TRUE(b.other_regions.empty());
    EXPECT_TRUE(b.overlaps_window);
    ASSERT_TRUE(b.slope_inside && b.slope_before && b.slope_after);
    EXPECT_TRUE(b.steeper_inside);
    EXPECT_LT(*b.slope_inside, *b.slope_before);

    // A window far from the drop: no overlap, and no steeper slope inside it.
    LossBump away = loss_bump(y, n, true, TokenInterval{1e9, 3e9});
    EXPECT_FALSE(away.overlaps_window);
    EXPECT_FALSE(away.steeper_inside);
}

TEST(LossBump, LinearXAndDroppedZeroTokens) {
    std::vector<double> n = {0, 1, 2, 3, 4, 5, 6};
    std::vector<double> y = {9, 4, 3, 2.5, 2.2, 2.1, 2.05};
    LossBump log_x = loss_bump(y, n, true);
    EXPECT_EQ(log_x.first, 1);
    EXPECT_EQ(log_x.x.size(), 6u);
    EXPECT_DOUBLE_EQ(log_x.x[1], std::log(2.0));
    LossBump lin = loss_bump(y, n, false);
    EXPECT_EQ(lin.first, 0);
    EXPECT_EQ(lin.x, n);
    for (double e : lin.excess) EXPECT_GE(e, 0.0);
}

// ---- pca_pivot --------------------------------------------------------------------------

// A walk with unit steps whose heading turns by turns[k] degrees at point k.
Matrix walk(const std::vector<double>& turns) {
    Matrix z(static_cast<int64_t>(turns.size()), 2);
    double heading = 0.0;
    for (size_t k = 1; k < turns.size(); ++k) {
        heading += turns[k - 1] * std::numbers::pi / 180.0;
        z(k, 0) = z(k - 1, 0) + std::cos(heading);
        z(k, 1) = z(k - 1, 1) + std::sin(heading);
    }
    return z;
}

TEST(PcaPivot, FindsTheSharpestTurn) {
    std::vector<double> turns(25, 0.0);
    turns[9] = 20, turns[10] = 50, turns[11] = 20;
    std::vector<double> n = linear_tokens(25, 1e7);
    PcaPivot p = pca_pivot(walk(turns), n);
    EXPECT_EQ(p.pivot, 10);
    EXPECT_EQ(p.n_pivot, n[10]);
    EXPECT_NEAR(p.turning_angle[10], 50.0 * std::numbers::pi / 180.0, 1e-12);
    EXPECT_NEAR(p.angle, 30.0 * std::numbers::pi / 180.0, 1e-12);
    EXPECT_EQ(p.turning_angle.front(), 0.0);
    EXPECT_EQ(p.turning_angle.back(), 0.0);

    PcaPivot straight = pca_pivot(walk(std::vector<double>(10, 0.0)), linear_tokens(10, 1.0));
    EXPECT_NEAR(straight.angle, 0.0, 1e-12);
    Matrix back = Matrix::from_rows({{0, 0}, {1, 0}, {0, 0}});  // a full reversal
    EXPECT_NEAR(pca_pivot(back, {1, 2, 3}).turning_angle[1], std::numbers::pi, 1e-12);
    EXPECT_THROW(pca_pivot(Matrix(5, 3), linear_tokens(5, 1.0)), Error);
}

}  // namespace
}  // namespace induction
