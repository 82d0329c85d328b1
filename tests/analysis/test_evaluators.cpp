// test_evaluators.cpp — the head evaluators of METHODS §3, copy_eig (§4.3) and the head
// classification (§5.6): unit values on imposed ideal patterns and on the copying toy model
// (also of the rank-based copying_top, and a case where it and rho disagree), the hand-built
// induction circuit (scores, classes, in-context prediction, ablation), an independent
// full-vocabulary check of copy_eig's LN folding, and the fixed inputs' determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <set>

#include "analysis/circuits.h"
#include "analysis/evaluators.h"
#include "analysis/hand_built.h"
#include "analysis/linalg.h"
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using testing::random_tensor;

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr int V = 64;  // vocabulary of the small models here
constexpr int32_t BOS = 0;

// counts[v] = 1000 − v: rank(v) = v + 1, so R_ok = ranks 2..32 = tokens 1..31.
std::vector<int64_t> falling_counts() {
    std::vector<int64_t> counts(V);
    for (int v = 0; v < V; ++v) counts[size_t(v)] = 1000 - v;
    return counts;
}

EvaluatorInputOptions small_vocab_options(uint64_t seed = 3) {
    EvaluatorInputOptions options;
    options.seed = seed;
    options.bos_token = BOS;
    options.filter.special_tokens = {BOS};
    return options;
}

EvaluatorInputs small_vocab_inputs(uint64_t seed = 3, int64_t T = 128) {
    Tensor windows = Rng(seed + 100).randint({12, T}, 0, V);
    return make_evaluator_inputs(falling_counts(), windows, small_vocab_options(seed));
}

// A one-hot pattern [N, H, T, T] with row p of every example and head on source(p).
template <class Source>
Tensor one_hot_pattern(int64_t N, int64_t H, int64_t T, const Source& source) {
    std::vector<double> values(static_cast<size_t>(N * H * T * T), 0.0);
    for (int64_t nh = 0; nh < N * H; ++nh)
        for (int64_t p = 0; p < T; ++p) values[size_t((nh * T + p) * T + source(p))] = 1.0;
    return Tensor::from_vector({N, H, T, T}, values);
}

// A small random model (LN, PIA) with room for the prefix examples (T = 101).
Transformer random_model(uint64_t seed = 1) {
    ModelConfig c;
    c.n_layers = 2;
    c.d_model = 32;
    c.n_heads = 2;
    c.d_head = 8;
    c.d_vocab = V;
    c.n_ctx = 128;
    return make_transformer(c, seed);
}

// Prefix-matching score of every head of layer 0 with `pattern` imposed there.
HeadTable prefix_with_pattern(const Tensor& tokens, const Tensor& pattern) {
    Transformer model = random_model();
    Interventions impose;
    impose.replace(Site::PATTERN, 0, Var(pattern));
    return prefix_matching_score(model, tokens, impose);
}

TEST(Evaluator, IdealInductionPatternScoresOne) {
    EvaluatorInputs inputs = small_vocab_inputs();
    const int64_t N = inputs.prefix.size(0), T = inputs.prefix.size(1);
    ASSERT_EQ(T, 101);
    // All mass on q = p − 24 (the token after the previous occurrence) from p = 26 on, BOS before.
    Tensor induction = one_hot_pattern(N, 2, T, [](int64_t p) { return p >= 26 ? p - 24 : 0; });
    HeadTable scores = prefix_with_pattern(inputs.prefix, induction);
    EXPECT_NEAR(scores.at(0, 0), 1.0, 1e-6);
    EXPECT_NEAR(scores.at(0, 1), 1.0, 1e-6);
    // Mass on the earliest target instead (q = (p−1) mod 25 + 2) is just as much induction.
    Tensor earliest =
        one_hot_pattern(N, 2, T, [](int64_t p) { return p >= 26 ? (p - 1) % 25 + 2 : 0; });
    EXPECT_NEAR(prefix_with_pattern(inputs.prefix, earliest).at(0, 0), 1.0, 1e-6);
}

TEST(Evaluator, PreviousTokenAndSinkPatternsScoreZeroPrefix) {
    EvaluatorInputs inputs = small_vocab_inputs();
    const int64_t N = inputs.prefix.size(0), T = inputs.prefix.size(1);
    Tensor previous = one_hot_pattern(N, 2, T, [](int64_t p) { return p > 0 ? p - 1 : 0; });
    Tensor sink = one_hot_pattern(N, 2, T, [](int64_t) { return 0; });
    EXPECT_NEAR(prefix_with_pattern(inputs.prefix, previous).at(0, 1), 0.0, 1e-9);
    EXPECT_NEAR(prefix_with_pattern(inputs.prefix, sink).at(0, 1), 0.0, 1e-9);
    // Attending to the current token's own earlier occurrence (q = p − 25) is not induction either.
    Tensor same = one_hot_pattern(N, 2, T, [](int64_t p) { return p >= 26 ? p - 25 : 0; });
    EXPECT_NEAR(prefix_with_pattern(inputs.prefix, same).at(0, 0), 0.0, 1e-9);
}

TEST(Evaluator, PreviousTokenScoreOfImposedPatterns) {
    EvaluatorInputs inputs = small_vocab_inputs();
    const int64_t N = inputs.previous_token.size(0), T = inputs.previous_token.size(1);
    Transformer model = random_model();
    Interventions impose;
    impose.replace(Site::PATTERN, 1,
                   Var(one_hot_pattern(N, 2, T, [](int64_t p) { return p > 0 ? p - 1 : 0; })));
    HeadTable scores = previous_token_score(model, inputs.previous_token, impose);
    EXPECT_NEAR(scores.at(1, 0), 1.0, 1e-6);
    EXPECT_NEAR(scores.at(1, 1), 1.0, 1e-6);
    Interventions self;
    self.replace(Site::PATTERN, 1, Var(one_hot_pattern(N, 2, T, [](int64_t p) { return p; })));
    EXPECT_NEAR(previous_token_score(model, inputs.previous_token, self).at(1, 0), 0.0, 1e-9);
}

// The copying toy of §3.1 with every destination p attending to one source only.
Interventions one_source_each(const Tensor& tokens) {
    const int64_t N = tokens.size(0), T = tokens.size(1);
    Interventions impose;
    impose.replace(Site::PATTERN, 0,
                   Var(one_hot_pattern(N, 1, T, [](int64_t p) { return (7 * p) % (p + 1); })));
    return impose;
}

HeadTable toy_copying_score(const Tensor& ov, CopyingRatio ratio) {
    Tensor tokens = small_vocab_inputs().copying;
    return copying_score(make_copying_model(ov, V), tokens, ratio, one_source_each(tokens));
}

HeadTable toy_copying_top_score(const Tensor& ov) {
    Tensor tokens = small_vocab_inputs().copying;
    return copying_top_score(make_copying_model(ov, V), tokens, one_source_each(tokens));
}

Tensor identity(int64_t n, double sign) {
    std::vector<double> values(static_cast<size_t>(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i) values[size_t(i * n + i)] = sign;
    return Tensor::from_vector({n, n}, values);
}

TEST(Evaluator, CopyingToyModelUnitValues) {
    constexpr int64_t D = 80;
    for (CopyingRatio ratio : ALL_COPYING_RATIOS) {
        EXPECT_NEAR(toy_copying_score(identity(D, +1), ratio).at(0, 0), +1.0, 1e-5)
            << copying_ratio_name(ratio);
        EXPECT_NEAR(toy_copying_score(identity(D, -1), ratio).at(0, 0), -1.0, 1e-5)
            << copying_ratio_name(ratio);
    }
    // A random OV raises unrelated tokens: each reading scores near its random baseline (−0.92
    // for the rectified ones with |S| = 25, −0.85 for raised-share, 0 for the signed one).
    for (CopyingRatio ratio : ALL_COPYING_RATIOS) {
        double random = toy_copying_score(Rng(9).normal({D, D}), ratio).at(0, 0);
        double baseline = copying_random_baseline(ratio, 25);
        EXPECT_NEAR(random, baseline, ratio == CopyingRatio::PER_SOURCE_SIGNED ? 0.15 : 0.07)
            << copying_ratio_name(ratio);
    }
    EXPECT_NEAR(copying_random_baseline(CopyingRatio::DEVIATION, 25), -0.92, 1e-12);
    EXPECT_NEAR(copying_random_baseline(CopyingRatio::RAISED_SHARE, 25), -1.0 + 4.0 / 26, 1e-12);
    EXPECT_EQ(copying_random_baseline(CopyingRatio::PER_SOURCE_SIGNED, 25), 0.0);
}

TEST(Evaluator, CopyingRatioNames) {
    for (CopyingRatio ratio : ALL_COPYING_RATIOS)
        EXPECT_EQ(copying_ratio_from_name(copying_ratio_name(ratio)), ratio);
    EXPECT_THROW_MESSAGE(copying_ratio_from_name("signed"), "per-source-signed, per-source");
}

TEST(Evaluator, CopyingTopToyModelValues) {
    constexpr int64_t D = 80;
    EXPECT_NEAR(toy_copying_top_score(identity(D, +1)).at(0, 0), 1.0, 1e-12);
    EXPECT_NEAR(toy_copying_top_score(identity(D, -1)).at(0, 0), 0.0, 1e-12);
    EXPECT_LT(toy_copying_top_score(Rng(9).normal({D, D})).at(0, 0), 0.2);  // chance ≈ 1/25
}

// A perfect copier (W_OV = I) that spreads its attention over all earlier tokens, more on recent
// ones (A_pj ∝ j + 1): METHODS §3.1's rho counts that as weak copying; the per-source readings
// (the default among them) and copying_top do not.
TEST(Evaluator, DiffuseAttentionLowersOnlyTheAttendedRatios) {
    Tensor tokens = small_vocab_inputs().copying;
    const int64_t N = tokens.size(0), T = tokens.size(1);
    std::vector<double> pattern(static_cast<size_t>(N * T * T), 0.0);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t p = 0; p < T; ++p)
            for (int64_t j = 0; j <= p; ++j)
                pattern[size_t((n * T + p) * T + j)] =
                    double(j + 1) / double((p + 1) * (p + 2) / 2);
    Interventions diffuse;
    diffuse.replace(Site::PATTERN, 0, Var(Tensor::from_vector({N, 1, T, T}, pattern)));
    Transformer model = make_copying_model(identity(80, +1), V);
    EXPECT_LT(copying_score(model, tokens, CopyingRatio::DEVIATION, diffuse).at(0, 0), 0.0);
    EXPECT_LT(copying_score(model, tokens, CopyingRatio::RAISED_SHARE, diffuse).at(0, 0), 0.0);
    EXPECT_NEAR(copying_score(model, tokens, CopyingRatio::PER_SOURCE, diffuse).at(0, 0), 1.0, 1e-5);
    EXPECT_NEAR(copying_score(model, tokens, {}, diffuse).at(0, 0), 1.0, 1e-5);  // the default
    EXPECT_NEAR(copying_top_score(model, tokens, diffuse).at(0, 0), 1.0, 1e-12);
    EXPECT_NEAR(copy_eig(model).at(0, 0), 1.0, 1e-9);  // the weights alone say: copying
}

TEST(Evaluator, CopyEigOfPlusMinusIdentity) {
    constexpr int64_t D = 80;
    EXPECT_NEAR(copy_eig(make_copying_model(identity(D, +1), V)).at(0, 0), +1.0, 1e-9);
    EXPECT_NEAR(copy_eig(make_copying_model(identity(D, -1), V)).at(0, 0), -1.0, 1e-9);
    double random = copy_eig(make_copying_model(Rng(9).normal({D, D}), V)).at(0, 0);
    EXPECT_LT(std::abs(random), 0.5);  // random baseline ≈ 0
}

// copy_eig against the definition: eigenvalues of the full V×V circuit W_U^eff W_OV^eff W_E,
// built entry by entry from the stored weights with LN folded (γ random, so folding matters).
TEST(Evaluator, CopyEigMatchesFullVocabularyCircuitWithLayerNorm) {
    ModelConfig c;
    c.n_layers = 2;
    c.d_model = 12;
    c.n_heads = 2;
    c.d_head = 3;
    c.d_vocab = 20;
    c.n_ctx = 8;
    Transformer model = make_transformer(c, 4, DType::F64);
    model.W_E.set_value(random_tensor({20, 12}, DType::F64, 11));
    model.W_U.set_value(random_tensor({12, 20}, DType::F64, 12));
    model.ln_final_w.set_value(random_tensor({12}, DType::F64, 13, 0.5, 1.5));
    model.blocks[1].ln1_w.set_value(random_tensor({12}, DType::F64, 14, 0.5, 1.5));
    HeadTable eig = copy_eig(model);

    const int64_t D = 12, Vs = 20, dh = 3;
    auto fold = [&](const Tensor& gamma) {  // diag(γ) C, [D, D]
        Matrix m(D, D);
        for (int64_t i = 0; i < D; ++i)
            for (int64_t j = 0; j < D; ++j) m(i, j) = gamma.at({i}) * ((i == j) - 1.0 / double(D));
        return m;
    };
    Matrix W_E(D, Vs), W_U(Vs, D);  // column convention
    for (int64_t i = 0; i < D; ++i)
        for (int64_t v = 0; v < Vs; ++v) {
            W_E(i, v) = model.W_E.value().at({v, i});
            W_U(v, i) = model.W_U.value().at({i, v});
        }
    Matrix W_U_eff = multiply(W_U, fold(model.ln_final_w.value()));
    for (int l = 0; l < 2; ++l)
        for (int64_t h = 0; h < 2; ++h) {
            Matrix W_V(dh, D), W_O(D, dh);
            const AttentionParams& attn = model.blocks[size_t(l)].attn;
            for (int64_t i = 0; i < D; ++i)
                for (int64_t k = 0; k < dh; ++k) {
                    W_V(k, i) = attn.W_V.value().at({h, i, k});
                    W_O(i, k) = attn.W_O.value().at({h, k, i});
                }
            Matrix W_V_eff = multiply(W_V, fold(model.blocks[size_t(l)].ln1_w.value()));
            Matrix full = multiply(multiply(multiply(W_U_eff, W_O), W_V_eff), W_E);  // [V, V]
            double mass = 0;
            for (std::complex<double> lambda : eigenvalues(full)) mass += std::abs(lambda);
            EXPECT_NEAR(eig.at(l, int(h)), trace(full) / mass, 1e-8)
                << "layer " << l << " head " << h;
        }
    // The score ignores the overall scale of the weights.
    model.blocks[0].attn.W_O.set_value(scale(model.blocks[0].attn.W_O.value(), 3.0));
    EXPECT_NEAR(copy_eig(model).at(0, 1), eig.at(0, 1), 1e-9);
}

// ---- the hand-built induction circuit -----------------------------------------------------------

constexpr int PT = HAND_BUILT_PREVIOUS_TOKEN_LAYER, IND = HAND_BUILT_INDUCTION_LAYER;
constexpr int W = HAND_BUILT_WORKING_HEAD;

TEST(HandBuilt, InductionCircuitScoresAndClasses) {
    Transformer model = make_induction_model();
    HeadScores scores = evaluate_heads(model, small_vocab_inputs());
    EXPECT_GT(scores.prefix_matching.at(IND, W), 0.99);
    EXPECT_GT(scores.copying.at(IND, W), 0.99);
    EXPECT_NEAR(scores.copying_top.at(IND, W), 1.0, 1e-12);
    EXPECT_NEAR(scores.copy_eig.at(IND, W), 1.0, 1e-9);
    EXPECT_GT(scores.previous_token.at(PT, W), 0.99);
    EXPECT_LT(scores.prefix_matching.at(PT, W), 0.01);
    // The idle heads attend uniformly: chance-level prefix and previous-token scores.
    EXPECT_LT(scores.prefix_matching.at(IND, 1), 0.1);
    EXPECT_LT(scores.previous_token.at(PT, 1), 0.1);
    // Heads writing nothing the unembedding reads have no copying score.
    EXPECT_TRUE(std::isnan(scores.copying.at(PT, W)));
    EXPECT_TRUE(std::isnan(scores.copying.at(IND, 1)));
    EXPECT_TRUE(std::isnan(scores.copy_eig.at(PT, W)));

    std::vector<HeadClass> classes = classify_heads(scores, classification_rule(model.config));
    ASSERT_EQ(classes.size(), 4u);
    EXPECT_EQ(classes[PT * 2 + W], HeadClass::PREVIOUS_TOKEN);
    EXPECT_EQ(classes[PT * 2 + 1], HeadClass::OTHER);
    EXPECT_EQ(classes[IND * 2 + W], HeadClass::INDUCTION);
    EXPECT_EQ(classes[IND * 2 + 1], HeadClass::OTHER);
    std::vector<char> unstable = unstable_heads(scores, classification_rule(model.config));
    EXPECT_EQ(unstable, std::vector<char>(4, 0));
}

// Mean next-token loss on the prefix examples (BOS + R×4) of the predictions of tokens at
// positions [first, last).
double mean_loss(const Transformer& model, const Tensor& tokens, int64_t first, int64_t last,
                 Interventions* interventions = nullptr) {
    NoGrad no_grad;
    Tensor losses = next_token_losses(forward(model, tokens, interventions), tokens).value();
    double total = 0;
    for (int64_t n = 0; n < tokens.size(0); ++n)
        for (int64_t position = first; position < last; ++position)
            total += losses.at({n, position - 1});
    return total / double(tokens.size(0) * (last - first));
}

TEST(HandBuilt, PredictsRepeatsUntilItsInductionHeadIsAblated) {
    Transformer model = make_induction_model();
    Tensor tokens = small_vocab_inputs().prefix;  // BOS + R×4, T = 101
    // Repeat 1 (positions 1..25) and its successor (26) cannot be predicted; 27..100 can.
    double first = mean_loss(model, tokens, 1, 26), repeats = mean_loss(model, tokens, 27, 101);
    EXPECT_GT(first, 5.0);
    EXPECT_LT(repeats, 1e-3);
    Interventions ablate;
    ablate.ablate_head(IND, W);
    EXPECT_GT(mean_loss(model, tokens, 27, 101, &ablate), 3.0);  // about ln 64 ≈ 4.2
    Interventions ablate_previous;
    ablate_previous.ablate_head(PT, W);
    EXPECT_GT(mean_loss(model, tokens, 27, 101, &ablate_previous), 3.0);
    Interventions ablate_idle;
    ablate_idle.ablate_head(IND, 1);
    EXPECT_LT(mean_loss(model, tokens, 27, 101, &ablate_idle), 1e-3);
}

// ---- classification -----------------------------------------------------------------------------

// One layer-0 and one layer-1 copy of each (prefix, copy, prev, copy_eig) row.
HeadScores scores_of(const std::vector<std::array<double, 4>>& heads) {
    HeadScores s;
    const int H = int(heads.size());
    for (HeadTable* t : {&s.prefix_matching, &s.copying, &s.previous_token, &s.copy_eig})
        *t = HeadTable(2, H);
    for (int l = 0; l < 2; ++l)
        for (int h = 0; h < H; ++h) {
            s.prefix_matching.at(l, h) = heads[size_t(h)][0];
            s.copying.at(l, h) = heads[size_t(h)][1];
            s.previous_token.at(l, h) = heads[size_t(h)][2];
            s.copy_eig.at(l, h) = heads[size_t(h)][3];
        }
    return s;
}

TEST(Evaluator, ClassificationThresholds) {
    HeadScores s = scores_of({
        {0.30, 0.01, 0.0, 0.5},   // 0: induction (in layer 1)
        {0.29, 0.90, 0.0, 0.5},   // 1: prefix just below
        {0.30, 0.00, 0.0, 0.5},   // 2: copy not > 0: anti-copying prefix
        {0.80, -0.5, 0.9, -0.5},  // 3: anti-copying before previous-token
        {0.10, 0.50, 0.40, 0.5},  // 4: previous-token
        {0.10, 0.50, 0.39, 0.5},  // 5: other
        {0.90, NaN, 0.0, 0.5},    // 6: no copying score: neither copying condition holds
        {0.90, 0.5, 0.0, -0.5},   // 7: induction, but anti-copying by copy_eig
    });
    using C = HeadClass;
    ClassificationRule rule;
    std::vector<C> classes = classify_heads(s, rule);
    std::vector<C> layer0(classes.begin(), classes.begin() + 8),
        layer1(classes.begin() + 8, classes.end());
    EXPECT_EQ(layer1, (std::vector<C>{C::INDUCTION, C::OTHER, C::ANTI_COPYING_PREFIX,
                                      C::ANTI_COPYING_PREFIX, C::PREVIOUS_TOKEN, C::OTHER, C::OTHER,
                                      C::INDUCTION}));
    // Layer 0 (1-based layer 1) has no induction heads unless the keys are smeared.
    EXPECT_EQ(layer0[0], C::OTHER);
    EXPECT_EQ(layer0[7], C::OTHER);
    ModelConfig smeared;
    smeared.smear_keys = true;
    EXPECT_EQ(classify_heads(s, classification_rule(smeared))[0], C::INDUCTION);
    rule.use_copy_eig = true;
    EXPECT_EQ(classify_heads(s, rule)[8 + 7], C::ANTI_COPYING_PREFIX);
    EXPECT_STREQ(head_class_name(C::ANTI_COPYING_PREFIX), "anti-copying prefix");
    EXPECT_STREQ(head_class_name(C::PREVIOUS_TOKEN), "previous-token");
}

TEST(Evaluator, UnstableHeadsAreThoseNearAThreshold) {
    HeadScores s = scores_of({
        {0.90, 0.9, 0.0, 0.9},   // clearly induction
        {0.35, 0.9, 0.0, 0.9},   // prefix within 0.1 of 0.30
        {0.00, 0.0, 0.45, 0.0},  // prev within 0.1 of 0.40
        {0.90, 0.9, 0.0, -0.2},  // copy_eig disagrees
        {0.02, 0.0, 0.02, 0.0},  // clearly other
    });
    std::vector<char> unstable = unstable_heads(s, ClassificationRule{});
    EXPECT_EQ(std::vector<char>(unstable.begin() + 5, unstable.end()),
              (std::vector<char>{0, 1, 1, 1, 0}));
}

TEST(Evaluator, CopyingMeasuresDisagreeWhenTheirSignsDiffer) {
    HeadScores s = scores_of({
        {0.9, 0.5, 0.0, 0.9},   // both copying
        {0.9, 0.5, 0.0, -0.3},  // activation says copying, weights anti-copying
        {0.9, -0.2, 0.0, 0.4},  // the reverse
        {0.9, -0.2, 0.0, -0.4}, // both not
        {0.9, NaN, 0.0, 0.4},   // no activation score: no verdict
    });
    std::vector<char> disagree = copying_measures_disagree(s, ClassificationRule{});
    EXPECT_EQ(std::vector<char>(disagree.begin() + 5, disagree.end()),
              (std::vector<char>{0, 1, 1, 0, 0}));
}

TEST(Evaluator, HeadsJsonFormat) {
    HeadScores s = scores_of({{0.9, 0.8, 0.1, 0.7}, {0.0, NaN, 0.95, NaN}});
    s.copying_top = s.copying;
    s.copying_random_baseline = 0.0;
    ClassificationRule rule;
    json::Value v = heads_json(s, classify_heads(s, rule), rule);
    EXPECT_EQ(v.at("copying_ratio").as_string(), "per-source-signed");
    EXPECT_EQ(v.at("copying_random_baseline").as_number(), 0.0);
    ASSERT_EQ(v.at("heads").size(), 4u);
    const json::Value& head = v.at("heads")[2];  // layer 1, head 0
    EXPECT_EQ(head.at("layer").as_int(), 1);
    EXPECT_EQ(head.at("head").as_int(), 0);
    EXPECT_DOUBLE_EQ(head.at("prefix_matching").as_number(), 0.9);
    EXPECT_DOUBLE_EQ(head.at("copying").as_number(), 0.8);
    EXPECT_DOUBLE_EQ(head.at("eig_copying").as_number(), 0.7);
    EXPECT_DOUBLE_EQ(head.at("previous_token").as_number(), 0.1);
    EXPECT_EQ(head.at("class").as_string(), "induction");
    EXPECT_FALSE(head.at("unstable").as_bool());
    EXPECT_FALSE(head.at("copying_disagreement").as_bool());
    EXPECT_EQ(head.members().size(), 10u);
    EXPECT_TRUE(v.at("heads")[3].at("copying").is_null());
    EXPECT_TRUE(v.at("heads")[3].at("eig_copying").is_null());
    EXPECT_EQ(v.at("heads")[3].at("class").as_string(), "previous-token");
    EXPECT_NO_THROW(json::dump(v));
}

// ---- fixed inputs -------------------------------------------------------------------------------

TEST(Evaluator, AllowedTokensFollowFrequencyRanks) {
    // V = 200, counts a permutation of 1..200: rank(v) = 201 − counts[v]; allowed ranks are
    // (ceil(0.01 V), floor(0.5 V)] = 3..100.
    std::vector<int64_t> counts(200);
    for (int v = 0; v < 200; ++v) counts[size_t(v)] = (v * 37) % 200 + 1;
    TokenFilter filter;
    filter.special_tokens = {7};  // rank 201 − 60 = 141 (outside anyway) ...
    std::vector<int32_t> expected;
    for (int v = 0; v < 200; ++v) {
        int64_t rank = 201 - counts[size_t(v)];
        if (rank >= 3 && rank <= 100) expected.push_back(v);
    }
    ASSERT_EQ(expected.size(), 98u);
    EXPECT_EQ(allowed_tokens(counts, filter), expected);
    filter.special_tokens = {expected[5]};  // ... while this one is inside
    EXPECT_EQ(allowed_tokens(counts, filter).size(), 97u);

    // With every rank above the common ones allowed, an unseen token (count 0, so the last rank)
    // is still left out unless asked for.
    filter.rare_fraction = 1.0;
    filter.special_tokens = {};
    counts[0] = 0;
    EXPECT_EQ(allowed_tokens(counts, filter).size(), 197u);  // ranks 3..200 minus the unseen token
    filter.exclude_unseen = false;
    EXPECT_EQ(allowed_tokens(counts, filter).size(), 198u);
    filter.special_tokens = {256};
    EXPECT_THROW_MESSAGE(allowed_tokens(counts, filter), "special token 256");
}

TEST(Evaluator, TokenCountsCountEveryId) {
    std::vector<int32_t> tokens = {3, 1, 3, 0, 3};
    EXPECT_EQ(token_counts(tokens, 5), (std::vector<int64_t>{1, 1, 0, 3, 0}));
    EXPECT_THROW_MESSAGE(token_counts(tokens, 3), "token 0 is 3");
}

TEST(Evaluator, InputsAreFixedBySeed) {
    EvaluatorInputs a = small_vocab_inputs(5), b = small_vocab_inputs(5), c = small_vocab_inputs(6);
    EXPECT_EQ(a.copying.to_ints(), b.copying.to_ints());
    EXPECT_EQ(a.prefix.to_ints(), b.prefix.to_ints());
    EXPECT_NE(a.copying.to_ints(), c.copying.to_ints());
    EXPECT_NE(a.prefix.to_ints(), c.prefix.to_ints());
    // The prefix examples draw from their own stream: not the copying examples again.
    std::vector<int32_t> first_copying = a.copying[0].to_ints(),
                         first_prefix = a.prefix[0].to_ints();
    EXPECT_NE(first_copying,
              std::vector<int32_t>(first_prefix.begin() + 1, first_prefix.begin() + 26));

    EXPECT_EQ(a.copying.shape(), Shape({10, 25}));
    EXPECT_EQ(a.prefix.shape(), Shape({10, 101}));
    EXPECT_EQ(a.previous_token.shape(), Shape({10, 128}));
    Tensor windows = Rng(105).randint({12, 128}, 0, V);
    EXPECT_EQ(a.previous_token.to_ints(), windows.slice(0, 10).to_ints());
    EXPECT_EQ(a.allowed_count, 31);  // tokens 1..31

    std::vector<int32_t> copying = a.copying.to_ints(), prefix = a.prefix.to_ints();
    for (int64_t e = 0; e < 10; ++e) {
        std::set<int32_t> distinct(copying.begin() + e * 25, copying.begin() + (e + 1) * 25);
        EXPECT_EQ(distinct.size(), 25u);
        EXPECT_GE(*distinct.begin(), 1);
        EXPECT_LE(*distinct.rbegin(), 31);
        const int32_t* row = prefix.data() + e * 101;
        EXPECT_EQ(row[0], BOS);
        std::set<int32_t> repeated(row + 1, row + 26);
        EXPECT_EQ(repeated.size(), 25u);
        for (int64_t p = 26; p < 101; ++p) EXPECT_EQ(row[p], row[p - 25]);
    }
    json::Value settings = a.settings_json();
    EXPECT_EQ(settings.at("seed").as_int(), 5);
    EXPECT_DOUBLE_EQ(settings.at("common_fraction").as_number(), 0.01);
    EXPECT_DOUBLE_EQ(settings.at("rare_fraction").as_number(), 0.5);
    EXPECT_EQ(settings.at("allowed_count").as_int(), 31);
}

TEST(Evaluator, MisuseIsReported) {
    EvaluatorInputOptions options = small_vocab_options();
    options.filter.rare_fraction = 0.3;  // ranks 2..19: 18 tokens, fewer than 25
    Tensor windows = Rng(1).randint({12, 16}, 0, V);
    EXPECT_THROW_MESSAGE(make_evaluator_inputs(falling_counts(), windows, options),
                         "only 18 allowed tokens");
    EXPECT_THROW_MESSAGE(
        make_evaluator_inputs(falling_counts(), windows.slice(0, 5), small_vocab_options()),
        "eval_windows");
    Transformer model = random_model();
    Tensor no_repeats = Tensor::from_ints({1, 4}, {1, 2, 3, 4});
    EXPECT_THROW_MESSAGE(prefix_matching_score(model, no_repeats), "repeats no token");
    EXPECT_THROW_MESSAGE(previous_token_score(model, Rng(1).randint({1, 129}, 0, V)),
                         "n_ctx = 128");
}

}  // namespace
}  // namespace induction
