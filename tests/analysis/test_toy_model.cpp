// test_toy_model.cpp — the rank-1 three-factor toy model (METHODS §8.7 "Toy model").
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/toy_model.h"
#include "tensor/error.h"

namespace induction {
namespace {

// First step at which the loss is below `fraction` of its start (as toy_plateau_length).
int64_t first_below(const ToyTrace& trace, double fraction) {
    return toy_plateau_length(trace.loss, fraction);
}

TEST(ToyModel, ClampNames) {
    EXPECT_STREQ(toy_clamp_name(ToyClamp::NONE), "none");
    EXPECT_STREQ(toy_clamp_name(ToyClamp::C), "c");
    EXPECT_STREQ(toy_clamp_name(ToyClamp::BC), "b,c");
}

TEST(ToyModel, TargetsHaveNormSqrtDimAndInitIsSmall) {
    const ToyProblem p = make_toy_problem({});
    ASSERT_EQ(p.target.a.size(), 20u);
    for (const auto* v : {&p.target.a, &p.target.b, &p.target.c}) {
        double norm2 = 0;
        for (double x : *v) norm2 += x * x;
        EXPECT_NEAR(norm2, 20.0, 1e-9);
    }
    double init2 = 0;
    for (const auto* v : {&p.init.a, &p.init.b, &p.init.c})
        for (double x : *v) init2 += x * x;
    EXPECT_LT(std::sqrt(init2 / 60), 0.4);  // init_scale 0.3: entries ~3x below the targets'
    EXPECT_GT(std::sqrt(init2 / 60), 0.2);
}

TEST(ToyModel, LossFallsToNearZeroInEveryCondition) {
    for (ToyClamp clamp : {ToyClamp::NONE, ToyClamp::C, ToyClamp::BC}) {
        const ToyTrace trace = train_toy_model(clamp);
        SCOPED_TRACE(toy_clamp_name(clamp));
        ASSERT_EQ(trace.loss.size(), 1001u);
        ASSERT_EQ(trace.one_minus_cos2_a.size(), 1001u);
        ASSERT_EQ(trace.loss_bc_at_target.size(), 1001u);
        EXPECT_GT(trace.loss.front(), 0.1);  // T* has RMS entry 1: the start is ~½
        EXPECT_LT(trace.loss.back(), 1e-10 * trace.loss.front());
        EXPECT_LT(trace.one_minus_cos2_a.back(), 1e-10);
        // Not 0 when b, c learn: a⊗b⊗c = T* fixes the factors only up to (λa*, μb*, c*/(λμ)).
        EXPECT_LT(trace.loss_bc_at_target.back(), 1e-3 * trace.loss_bc_at_target.front());
    }
}

TEST(ToyModel, ClampingShortensThePlateau) {
    const int64_t none = first_below(train_toy_model(ToyClamp::NONE), 0.5);
    const int64_t c = first_below(train_toy_model(ToyClamp::C), 0.5);
    const int64_t bc = first_below(train_toy_model(ToyClamp::BC), 0.5);
    ASSERT_GT(none, 0);
    ASSERT_GT(c, 0);
    ASSERT_GT(bc, 0);
    EXPECT_GT(none, c);
    EXPECT_GE(c, bc);
    EXPECT_GT(none, 2 * c);  // not a marginal difference
}

TEST(ToyModel, NoClampRunSitsOnAPlateauThenDropsSuddenly) {
    const ToyTrace trace = train_toy_model(ToyClamp::NONE);
    const int64_t t90 = first_below(trace, 0.9), t10 = first_below(trace, 0.1);
    ASSERT_GT(t90, 0);
    ASSERT_GT(t10, t90);
    EXPECT_GT(t90, 100);                 // a long plateau within 10% of the start ...
    EXPECT_LT(t10 - t90, t90 / 4);       // ... then the drop to 10% takes a fraction of it
    // On the plateau a's direction is learned only slowly: halfway along, it is still far off.
    EXPECT_GT(trace.one_minus_cos2_a[t90 / 2], 0.1);
}

TEST(ToyModel, BcClampedRunIsTheExactLinearContraction) {
    // With b = b*, c = c* (|b*|²|c*|² = n²), a − a* shrinks by (1 − lr/n) per step, so the loss
    // ½|a − a*|² n²/n³ shrinks by (1 − 1/n)² exactly: smooth, no plateau.
    const ToyTrace trace = train_toy_model(ToyClamp::BC);
    for (size_t t = 1; t < 200; ++t) {
        EXPECT_NEAR(trace.loss[t] / trace.loss[t - 1], (1 - 1 / 20.0) * (1 - 1 / 20.0), 1e-9) << t;
        EXPECT_LE(trace.loss_bc_at_target[t], trace.loss[t] * (1 + 1e-12) + 1e-300) << t;
    }
}

TEST(ToyModel, ClampedFactorsStayAtTheirTargets) {
    const ToyProblem p = make_toy_problem({});
    const ToyTrace c = train_toy_model(ToyClamp::C);
    EXPECT_EQ(c.learned.c, p.target.c);
    EXPECT_NE(c.learned.b, p.target.b);
    const ToyTrace bc = train_toy_model(ToyClamp::BC);
    EXPECT_EQ(bc.learned.b, p.target.b);
    EXPECT_EQ(bc.learned.c, p.target.c);
}

TEST(ToyModel, GradientMatchesFiniteDifferences) {
    std::mt19937_64 gen(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    const int n = 6;
    auto draw = [&] {
        std::vector<double> v(n);
        for (double& x : v) x = normal(gen);
        return v;
    };
    const ToyFactors target{draw(), draw(), draw()};
    ToyFactors x{draw(), draw(), draw()};
    const ToyFactors grad = toy_loss_gradient(target, x);
    const double h = 1e-5;
    for (int which = 0; which < 3; ++which) {
        std::vector<double>& v = which == 0 ? x.a : which == 1 ? x.b : x.c;
        const std::vector<double>& g = which == 0 ? grad.a : which == 1 ? grad.b : grad.c;
        for (int i = 0; i < n; ++i) {
            const double keep = v[i];
            v[i] = keep + h;
            const double up = toy_loss(target, x);
            v[i] = keep - h;
            const double down = toy_loss(target, x);
            v[i] = keep;
            EXPECT_NEAR(g[i], (up - down) / (2 * h), 1e-7 * (1 + std::abs(g[i])))
                << "factor " << which << " entry " << i;
        }
    }
}

TEST(ToyModel, Deterministic) {
    const ToyTrace first = train_toy_model(ToyClamp::NONE), second = train_toy_model(ToyClamp::NONE);
    EXPECT_EQ(first.loss, second.loss);
    EXPECT_EQ(first.one_minus_cos2_a, second.one_minus_cos2_a);
    EXPECT_EQ(first.loss_bc_at_target, second.loss_bc_at_target);
    ToyModelOptions other;
    other.seed = 2;
    EXPECT_NE(train_toy_model(ToyClamp::NONE, other).loss, first.loss);
}

TEST(ToyModel, PlateauLength) {
    EXPECT_EQ(toy_plateau_length({1.0, 0.9, 0.6, 0.5, 0.4}), 4);  // strictly below half
    EXPECT_EQ(toy_plateau_length({1.0, 0.9, 0.6}), -1);
    EXPECT_EQ(toy_plateau_length({}), -1);
    EXPECT_EQ(toy_plateau_length({1.0, 0.2}, 0.1), -1);
    EXPECT_THROW(toy_plateau_length({1.0}, 0.0), Error);
    EXPECT_THROW(toy_plateau_length({1.0}, 1.5), Error);
}

TEST(ToyModel, RejectsBadOptions) {
    ToyModelOptions o;
    o.dim = 0;
    EXPECT_THROW(train_toy_model(ToyClamp::NONE, o), Error);
    o = {};
    o.iterations = -1;
    EXPECT_THROW(train_toy_model(ToyClamp::NONE, o), Error);
    o = {};
    o.learning_rate = 0;
    EXPECT_THROW(train_toy_model(ToyClamp::NONE, o), Error);
    o = {};
    o.init_scale = -0.1;
    EXPECT_THROW(train_toy_model(ToyClamp::NONE, o), Error);
    EXPECT_THROW(toy_loss({{1.0}, {1.0}, {1.0}}, {{1.0, 2.0}, {1.0}, {1.0}}), Error);
}

}  // namespace
}  // namespace induction
