// test_ablation.cpp — the ablations of METHODS §5.1–§5.3: the fast sweep equals the two-pass
// definition on every head of small random models (1–3 layers, smeared keys or not, LayerNorm or
// not, MLPs, f32 and f64) and of the hand-built induction model; the hand-built model loses its
// in-context predictions exactly when the ablation should take them away.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "analysis/ablation.h"
#include "analysis/hand_built.h"
#include "analysis/losses.h"
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

constexpr AblationMode ALL_MODES[] = {AblationMode::FULL, AblationMode::PATTERN_PRESERVING,
                                      AblationMode::VALUE_PRESERVING};

double max_abs_difference(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    std::vector<double> x = a.to_vector(), y = b.to_vector();
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
    return worst;
}

struct RandomModelCase {
    int n_layers;
    bool smear_keys;
    bool layer_norm;
    bool attn_only;
};

std::string case_name(const RandomModelCase& c) {
    return std::to_string(c.n_layers) + " layers" + (c.smear_keys ? ", smeared" : "") +
           (c.layer_norm ? ", LN" : ", no LN") + (c.attn_only ? "" : ", MLP");
}

// Weights large enough that heads matter: patterns far from uniform and logits far from flat,
// so an ablation that was skipped, or applied in the wrong place, changes the losses by a lot.
Transformer random_model(const RandomModelCase& c, DType dtype, uint64_t seed) {
    ModelConfig config = testing::small_model_config();
    config.n_layers = c.n_layers;
    config.n_heads = 3;
    config.d_head = 5;
    config.n_ctx = 12;
    config.attn_only = c.attn_only;
    config.smear_keys = c.smear_keys;
    config.normalization_type = c.layer_norm ? "LN" : "none";
    Transformer model = make_transformer(config, seed, dtype);
    uint64_t s = seed * 100;
    for (const NamedParameter& p : model.parameters()) {
        double size = p.name.find("W_Q") != std::string::npos || p.name.find("W_K") != std::string::npos
                          ? 0.8 : p.name.find("ln") != std::string::npos ? 0.3 : 0.6;
        std::vector<double> v = p.var->value().to_vector(),
                            noise = testing::random_tensor(p.var->shape(), dtype, ++s, -size, size).to_vector();
        for (size_t i = 0; i < v.size(); ++i) v[i] += noise[i];
        p.var->set_value(Tensor::from_vector(p.var->shape(), v, dtype));
    }
    return model;
}

Tensor random_tokens(int64_t N, int64_t T, int32_t vocab, uint64_t seed) {
    return Rng(seed).randint({N, T}, 0, vocab);
}

std::vector<HeadSet> sets_to_check(const ModelConfig& config) {
    std::vector<HeadSet> sets = single_heads(config);
    if (config.n_layers >= 2) sets.push_back({{0, 1}, {config.n_layers - 1, 2}, {0, 0}});  // across layers
    return sets;
}

TEST(Ablation, FastSweepEqualsTwoPassOnRandomModels) {
    const std::vector<RandomModelCase> cases = {
        {1, false, true, true},  {1, true, true, true},  {1, false, false, true}, {1, true, false, true},
        {2, false, true, true},  {2, true, true, true},  {2, false, false, true}, {2, true, false, true},
        {3, false, true, true},  {3, true, true, true},  {3, false, false, true}, {3, true, false, true},
        {2, false, true, false}, {3, true, false, false},
    };
    for (DType dtype : {DType::F32, DType::F64}) {
        const double tolerance = dtype == DType::F32 ? 1e-4 : 1e-10;
        for (size_t c = 0; c < cases.size(); ++c) {
            Transformer model = random_model(cases[c], dtype, 11 + c);
            Tensor tokens = random_tokens(5, 12, int32_t(model.config.d_vocab), 40 + c);
            for (AblationMode mode : ALL_MODES) {
                std::vector<HeadSet> sets = sets_to_check(model.config);
                AblationSweep sweep = ablation_sweep(model, tokens, every_column(5, 12), sets, mode, 2);
                for (size_t s = 0; s < sets.size(); ++s) {
                    SCOPED_TRACE(case_name(cases[c]) + ", " + dtype_name(dtype) + ", " +
                                 ablation_mode_name(mode) + " ablation of " + head_set_name(sets[s]));
                    Tensor reference = ablated_losses_two_pass(model, tokens, sets[s], mode, 3);
                    EXPECT_LE(max_abs_difference(sweep.ablated[s], reference), tolerance);
                    // The ablation did something: the check above is not comparing clean with clean.
                    EXPECT_GT(max_abs_difference(reference, sweep.clean), 1e-3);
                }
                NoGrad no_grad;
                EXPECT_LE(max_abs_difference(sweep.clean, next_token_losses(forward(model, tokens), tokens).value()),
                          tolerance);
            }
        }
    }
}

TEST(Ablation, ModesDifferWhereTheyShould) {
    // Removing a layer-0 head changes what layer 1 attends to only in the full and value-preserving
    // ablations, and what layer 1 reads from the values only in full and pattern-preserving ones.
    Transformer model = random_model({2, false, true, true}, DType::F64, 5);
    Tensor tokens = random_tokens(4, 12, int32_t(model.config.d_vocab), 6);
    HeadSet head = {{0, 1}};
    Tensor full = ablated_losses(model, tokens, head, AblationMode::FULL);
    Tensor pattern = ablated_losses(model, tokens, head, AblationMode::PATTERN_PRESERVING);
    Tensor value = ablated_losses(model, tokens, head, AblationMode::VALUE_PRESERVING);
    EXPECT_GT(max_abs_difference(full, pattern), 1e-3);
    EXPECT_GT(max_abs_difference(full, value), 1e-3);
    EXPECT_GT(max_abs_difference(pattern, value), 1e-3);
    // A last-layer head feeds nothing but the logits: all three ablations agree.
    HeadSet last = {{1, 2}};
    Tensor a = ablated_losses(model, tokens, last, AblationMode::FULL);
    EXPECT_LE(max_abs_difference(a, ablated_losses(model, tokens, last, AblationMode::PATTERN_PRESERVING)), 1e-10);
    EXPECT_LE(max_abs_difference(a, ablated_losses(model, tokens, last, AblationMode::VALUE_PRESERVING)), 1e-10);
}

TEST(Ablation, SweepScoresTheGivenColumns) {
    Transformer model = random_model({2, true, true, true}, DType::F64, 8);
    const int64_t N = 5, T = 12;
    Tensor tokens = random_tokens(N, T, int32_t(model.config.d_vocab), 9);
    Tensor columns = Rng(10).randint({N, 4}, 0, int32_t(T - 1));  // repeats allowed
    for (AblationMode mode : ALL_MODES) {
        AblationSweep sweep = ablation_sweep(model, tokens, columns, single_heads(model.config), mode, 2);
        for (size_t s = 0; s < sweep.ablated.size(); ++s) {
            Tensor reference = ablated_losses_two_pass(model, tokens, single_heads(model.config)[s], mode);
            EXPECT_LE(max_abs_difference(sweep.ablated[s], pick_columns(reference, columns)), 1e-10);
        }
    }
}

// BOS, then a random sequence of distinct tokens repeated: from the second repeat on, every
// token is predictable in context.
Tensor repeated_random_tokens(int n_tokens, int repeats, uint64_t seed) {
    std::vector<int32_t> pool(63);
    std::iota(pool.begin(), pool.end(), 1);
    Rng rng(seed);
    for (size_t i = pool.size() - 1; i > 0; --i) std::swap(pool[i], pool[size_t(rng.next_int(0, int64_t(i) + 1))]);
    std::vector<int32_t> row = {0};
    for (int r = 0; r < repeats; ++r) row.insert(row.end(), pool.begin(), pool.begin() + n_tokens);
    return Tensor::from_ints({1, int64_t(row.size())}, row);
}

// Mean loss over the positions that predict tokens of the second repeat onwards.
double repeat_loss(const Tensor& losses, int n_tokens) {
    std::vector<double> l = losses.to_vector();
    double total = 0;
    for (size_t p = size_t(n_tokens) + 1; p < l.size(); ++p) total += l[p];
    return total / double(l.size() - size_t(n_tokens) - 1);
}

TEST(Ablation, HandBuiltModelLosesInductionOnlyWhenItShould) {
    Transformer model = make_induction_model();
    constexpr int R = 25;
    Tensor tokens = repeated_random_tokens(R, 4, 3);  // [1, 101]
    const int PT = HAND_BUILT_PREVIOUS_TOKEN_LAYER, IND = HAND_BUILT_INDUCTION_LAYER, W = HAND_BUILT_WORKING_HEAD;
    EXPECT_LT(repeat_loss(per_token_losses(model, tokens), R), 1e-3);
    for (AblationMode mode : ALL_MODES) {
        SCOPED_TRACE(ablation_mode_name(mode));
        std::vector<HeadSet> sets = single_heads(model.config);
        AblationSweep sweep = ablation_sweep(model, tokens, every_column(1, tokens.size(1)), sets, mode);
        for (size_t s = 0; s < sets.size(); ++s) {
            const HeadRef h = sets[s].front();
            SCOPED_TRACE(head_set_name(sets[s]));
            Tensor reference = ablated_losses_two_pass(model, tokens, sets[s], mode);
            EXPECT_LE(max_abs_difference(sweep.ablated[s], reference), 1e-4);
            const double loss = repeat_loss(sweep.ablated[s], R);
            // Taking the induction head out always destroys the predictions (about ln 64 ≈ 4.2).
            // The previous-token head matters only through the induction head's keys: a full or
            // value-preserving ablation loses that K-composition, a pattern-preserving one keeps
            // the induction head's clean pattern and so its predictions. Idle heads never matter.
            const bool destroys = (h.layer == IND && h.head == W) ||
                                  (h.layer == PT && h.head == W && mode != AblationMode::PATTERN_PRESERVING);
            if (destroys) EXPECT_GT(loss, 3.0);
            else EXPECT_LT(loss, 1e-3);
        }
    }
}

TEST(PerTokenLosses, RefusesAnEmptyBatch) {
    // A batch of 0 windows would never advance through the rows (once `eval --batch 0` hung).
    Transformer model = random_model({1, true, true, true}, DType::F32, 3);
    Tensor tokens = random_tokens(2, 8, int32_t(model.config.d_vocab), 4);
    EXPECT_THROW(per_token_losses(model, tokens, 0), Error);
    EXPECT_THROW(per_token_losses(model, tokens, -1), Error);
    EXPECT_EQ(per_token_losses(model, tokens, 1).size(0), 2);
}

TEST(Ablation, HeadSetsAndModesParseAndNameThemselves) {
    ModelConfig config = testing::small_model_config();  // 2 layers × 4 heads
    HeadSet set = parse_head_set("1.0,0.3", config);
    ASSERT_EQ(set.size(), 2u);
    EXPECT_EQ(set[0], (HeadRef{1, 0}));
    EXPECT_EQ(head_set_name(set), "1.0+0.3");
    EXPECT_EQ(single_heads(config).size(), 8u);
    EXPECT_THROW_MESSAGE(parse_head_set("2.0", config), "'2.0' is not LAYER.HEAD");
    EXPECT_THROW_MESSAGE(parse_head_set("1.x", config), "not LAYER.HEAD");
    EXPECT_THROW_MESSAGE(parse_head_set("1.1,1.1", config), "listed twice");
    EXPECT_THROW_MESSAGE(parse_head_set("", config), "expected LAYER.HEAD");
    for (AblationMode mode : ALL_MODES) EXPECT_EQ(ablation_mode_from_name(ablation_mode_name(mode)), mode);
    EXPECT_THROW_MESSAGE(ablation_mode_from_name("zero"), "not one of pattern, full, value");
}

}  // namespace
}  // namespace induction
