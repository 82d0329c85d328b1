// test_fewshot_model.cpp — RoPE (METHODS §1.4 iii) and the few-shot model of §8.3: the rotation
// is the formula element by element, leaves position 0 alone, makes q·k a function of the relative
// position only and has exact gradients; rotary models have no position table and their configs
// round-trip; the few-shot model has the paper's architecture and initialisation, puts exemplars
// and labels where the layout says, reads out the query row only, survives a checkpoint round
// trip, and its §8.2 metrics and loss gradient are what a hand computation gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/fewshot_model.h"
#include "tests/support/testing.h"
#include "train/fewshot_task.h"

namespace induction {
namespace {

using testing::close;
using testing::random_tensor;

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

double squared_norm(const Tensor& t) {
    double s = 0;
    if (t.defined())
        for (double x : t.to_vector()) s += x * x;
    return s;
}

// The few-shot task (L = 5 labels) with exemplars of `feature_dim` features, and b of its training
// sequences as model inputs.
FewShotTask task_with_features(int feature_dim) {
    FewShotTaskConfig c;
    c.feature_dim = feature_dim;
    return FewShotTask(c);
}

FewShotInputs training_inputs(const FewShotTask& task, int64_t b, DType dtype = DType::F64) {
    return task.inputs(task.sample_training(b, 0), 0, b, dtype);
}

// ---- RoPE ---------------------------------------------------------------------------------------

TEST(Rotary, MatchesTheFormulaElementByElement) {
    const int64_t B = 2, H = 3, T = 7, DH = 8;
    Tensor x = random_tensor({B, H, T, DH}, DType::F64, 11);
    Tensor y = rotary_embedding(Var(x)).value();
    ASSERT_EQ(y.shape(), x.shape());
    std::vector<double> xs = x.to_vector(), ys = y.to_vector();
    for (int64_t row = 0; row < B * H * T; ++row) {
        const int64_t p = row % T;
        for (int64_t i = 0; i < DH / 2; ++i) {
            const double theta = double(p) / std::pow(10000.0, double(2 * i) / double(DH));
            const double a = xs[size_t(row * DH + 2 * i)], b = xs[size_t(row * DH + 2 * i + 1)];
            EXPECT_NEAR(ys[size_t(row * DH + 2 * i)], a * std::cos(theta) - b * std::sin(theta), 1e-14)
                << "position " << p << ", pair " << i;
            EXPECT_NEAR(ys[size_t(row * DH + 2 * i + 1)], b * std::cos(theta) + a * std::sin(theta), 1e-14)
                << "position " << p << ", pair " << i;
        }
    }
    // Position 0 is not rotated at all; every later one is.
    EXPECT_TRUE(same_bits(slice(y, 2, 0, 1), slice(x, 2, 0, 1)));
    for (int64_t p = 1; p < T; ++p) EXPECT_GT(normalized_mse(slice(y, 2, p, p + 1), slice(x, 2, p, p + 1)), 1e-10);
    // The rotation keeps each pair's length.
    for (int64_t k = 0; k < B * H * T * DH; k += 2)
        EXPECT_NEAR(xs[size_t(k)] * xs[size_t(k)] + xs[size_t(k + 1)] * xs[size_t(k + 1)],
                    ys[size_t(k)] * ys[size_t(k)] + ys[size_t(k + 1)] * ys[size_t(k + 1)], 1e-14);
    EXPECT_THROW_MESSAGE(rotary_embedding(Var(random_tensor({1, 4, 5}, DType::F64, 3))),
                         "rotary_embedding: d_head must be even, got 5");
}

TEST(Rotary, QueryKeyProductDependsOnlyOnTheRelativePosition) {
    const int64_t T = 12, DH = 8;
    // The same query vector at every position, and the same key vector at every position.
    Tensor q = random_tensor({1, DH}, DType::F64, 21), k = random_tensor({1, DH}, DType::F64, 22);
    Tensor rq = rotary_embedding(Var(broadcast_to(q, {1, T, DH}))).value().reshape({T, DH});
    Tensor rk = rotary_embedding(Var(broadcast_to(k, {1, T, DH}))).value().reshape({T, DH});
    Tensor dots = matmul(rq, rk, false, true);  // [T, T]: rq_m · rk_n
    auto dot = [&](int64_t m, int64_t n) { return dots.at({m, n}); };
    for (int64_t m = 0; m < T; ++m)
        for (int64_t n = 0; n < T; ++n)
            for (int64_t s = 1; m + s < T && n + s < T; ++s)
                EXPECT_NEAR(dot(m + s, n + s), dot(m, n), 1e-12) << "m " << m << ", n " << n << ", shift " << s;
    // ... and it does depend on the relative position.
    EXPECT_GT(std::abs(dot(5, 2) - dot(5, 3)), 1e-3);
    EXPECT_GT(std::abs(dot(5, 2) - dot(2, 5)), 1e-3);
}

TEST(Rotary, GradientCheck) {
    auto f = [](const std::vector<Var>& inputs) { return rotary_embedding(inputs[0]); };
    EXPECT_TRUE(testing::gradient_ok(f, {random_tensor({2, 2, 5, 8}, DType::F64, 31)}));
    EXPECT_TRUE(testing::gradient_ok(f, {random_tensor({6, 4}, DType::F64, 32)}));
}

TEST(Rotary, RotatesTheQueriesAndKeysOfEveryLayerOnly) {
    // The same weights with and without RoPE: q and k of a rotary model are the rotated q and k
    // of the other, v is the same; the rotary model has no position table.
    ModelConfig config = testing::small_model_config();
    config.positional_embedding_type = "rotary";
    Transformer rotary = make_transformer(config, 3, DType::F64);
    EXPECT_FALSE(rotary.W_pos.defined());
    Transformer plain = rotary;  // shares the parameters
    plain.config.positional_embedding_type = "standard";
    Tensor x = random_tensor({2, 6, config.d_model}, DType::F64, 41, -2, 2);
    for (int l = 0; l < config.n_layers; ++l) {
        SCOPED_TRACE("layer " + std::to_string(l));
        Interventions with, without;
        for (Site site : {Site::Q, Site::K, Site::V}) {
            with.capture(site, l);
            without.capture(site, l);
        }
        run_blocks(rotary, Var(x), l, &with);
        run_blocks(plain, Var(x), l, &without);
        EXPECT_TRUE(same_bits(with.captured(Site::Q, l), rotary_embedding(without.captured_var(Site::Q, l)).value()));
        EXPECT_TRUE(same_bits(with.captured(Site::K, l), rotary_embedding(without.captured_var(Site::K, l)).value()));
        EXPECT_TRUE(same_bits(with.captured(Site::V, l), without.captured(Site::V, l)));
        EXPECT_GT(normalized_mse(with.captured(Site::Q, l), without.captured(Site::Q, l)), 1e-6);
    }
}

TEST(Rotary, ModelHasNoPositionTableAndItsConfigRoundTrips) {
    ModelConfig config = testing::small_model_config();
    config.positional_embedding_type = "rotary";
    Transformer model = make_transformer(config, 1);
    ModelConfig pia = config;
    pia.positional_embedding_type = "shortformer";
    Transformer with_positions = make_transformer(pia, 1);
    for (const NamedParameter& p : model.parameters()) EXPECT_NE(p.name, "pos_embed.W_pos");
    EXPECT_EQ(with_positions.parameter_count() - model.parameter_count(), int64_t(config.n_ctx) * config.d_model);

    const json::Value written = config.to_json();
    EXPECT_EQ(written.get("positional_embedding_type", ""), "rotary");
    ModelConfig read = ModelConfig::from_json(json::parse(json::dump(written)));
    EXPECT_TRUE(read.rotary());
    EXPECT_FALSE(read.position_infused());
    EXPECT_EQ(json::dump(read.to_json()), json::dump(written));
    // Its forward pass runs on any length up to n_ctx.
    Tensor tokens = random_tensor({2, config.n_ctx}, DType::I32, 3, 0, config.d_vocab);
    EXPECT_EQ(forward(model, tokens).shape(), Shape({2, config.n_ctx, config.d_vocab}));
}

TEST(Rotary, WrongPositionalTypeIsRejectedNamingTheField) {
    ModelConfig config = testing::small_model_config();
    config.positional_embedding_type = "rotary";
    EXPECT_NO_THROW(config.validate());
    for (const char* wrong : {"rope", "Rotary", ""}) {
        config.positional_embedding_type = wrong;
        EXPECT_THROW_MESSAGE(config.validate("model.json"), "model.json: field 'positional_embedding_type' must be");
        EXPECT_THROW_MESSAGE(make_transformer(config, 1), "field 'positional_embedding_type'");
    }
    json::Value v = testing::small_model_config().to_json();
    v["positional_embedding_type"] = "rotry";
    EXPECT_THROW_MESSAGE(ModelConfig::from_json(v, "cfg"), "field 'positional_embedding_type'");
}

// ---- the few-shot model ---------------------------------------------------------------------------

TEST(FewShotModel, ConfigIsThePaperArchitecture) {
    const ModelConfig c = fewshot_model_config(/*feature_dim=*/64, /*labels=*/5);
    EXPECT_EQ(c.n_layers, 2);
    EXPECT_EQ(c.n_heads, 8);
    EXPECT_EQ(c.d_model, 64);
    EXPECT_EQ(c.d_head, 8);
    EXPECT_TRUE(c.attn_only);
    EXPECT_TRUE(c.has_layer_norm());
    EXPECT_TRUE(c.rotary());
    EXPECT_FALSE(c.smear_keys);
    EXPECT_TRUE(c.local_windows.empty());
    EXPECT_EQ(c.d_vocab, 5);
    EXPECT_EQ(c.d_exemplar, 64);
    EXPECT_EQ(c.n_ctx, 5);
    const ModelConfig other = fewshot_model_config(16, 7, 9);
    EXPECT_EQ(other.d_exemplar, 16);
    EXPECT_EQ(other.d_vocab, 7);
    EXPECT_EQ(other.n_ctx, 9);
    EXPECT_EQ(json::dump(ModelConfig::from_json(c.to_json()).to_json()), json::dump(c.to_json()));
    EXPECT_EQ(ModelConfig::from_json(c.to_json()).d_exemplar, 64);

    // Exactly these parameters: no position table, no attention or MLP extras.
    Transformer model = make_fewshot_model(c, 5);
    std::vector<std::string> names;
    for (const NamedParameter& p : model.parameters()) names.push_back(p.name);
    std::vector<std::string> expected = {"embed.W_E", "exemplar_embed.W_x", "exemplar_embed.b_x"};
    for (int l = 0; l < 2; ++l)
        for (const char* n : {"ln1.w", "ln1.b", "attn.W_Q", "attn.W_K", "attn.W_V", "attn.W_O"})
            expected.push_back("blocks." + std::to_string(l) + "." + n);
    for (const char* n : {"ln_final.w", "ln_final.b", "unembed.W_U", "unembed.b_U"}) expected.push_back(n);
    EXPECT_EQ(names, expected);
    EXPECT_EQ(model.W_x.shape(), Shape({64, 64}));
    EXPECT_EQ(model.W_E.shape(), Shape({5, 64}));
    EXPECT_EQ(model.W_U.shape(), Shape({64, 5}));
    EXPECT_EQ(model.blocks[1].attn.W_O.shape(), Shape({8, 8, 64}));
    EXPECT_THROW_MESSAGE(make_fewshot_model(testing::small_model_config(), 1), "no exemplar input");
}

// Sample mean, standard deviation and largest magnitude.
struct Stats {
    double mean = 0, stddev = 0, max_abs = 0;
    int64_t n = 0;
};
Stats stats_of(const Tensor& t) {
    Stats s;
    std::vector<double> v = t.to_vector();
    s.n = int64_t(v.size());
    for (double x : v) s.mean += x / double(s.n);
    for (double x : v) {
        s.stddev += (x - s.mean) * (x - s.mean) / double(s.n - 1);
        s.max_abs = std::max(s.max_abs, std::abs(x));
    }
    s.stddev = std::sqrt(s.stddev);
    return s;
}

TEST(FewShotModel, InitialisationIsTruncatedLeCunAndSmallLabelEmbeddings) {
    // L = 32 labels so that W_E and W_U have enough entries for their statistics.
    const ModelConfig config = fewshot_model_config(64, 32);
    Transformer model = make_fewshot_model(config, 5, DType::F64);
    constexpr double TRUNCATED_STD = 0.87962566103423978;  // std of N(0, 1) truncated to ±2
    auto expect_lecun = [&](const Var& w, double fan_in, const std::string& name) {
        SCOPED_TRACE(name);
        const Stats s = stats_of(w.value());
        const double target = 1.0 / std::sqrt(fan_in), sigma = target / TRUNCATED_STD;
        EXPECT_NEAR(s.stddev, target, 0.05 * target);
        EXPECT_NEAR(s.mean, 0.0, 4 * target / std::sqrt(double(s.n)));
        EXPECT_LE(s.max_abs, 2 * sigma * (1 + 1e-12));  // truncated at ±2σ of the corrected σ ...
        EXPECT_GT(s.max_abs, 1.9 * sigma);               // ... and not at ±2 of the uncorrected one
    };
    for (int l = 0; l < 2; ++l) {
        const AttentionParams& a = model.blocks[size_t(l)].attn;
        const std::string layer = "layer " + std::to_string(l);
        expect_lecun(a.W_Q, 64, layer + " W_Q");
        expect_lecun(a.W_K, 64, layer + " W_K");
        expect_lecun(a.W_V, 64, layer + " W_V");
        expect_lecun(a.W_O, 64, layer + " W_O");  // fan-in n_heads · d_head = 64
        EXPECT_TRUE(same_bits(model.blocks[size_t(l)].ln1_w.value(), Tensor::full({64}, 1.0, DType::F64)));
        EXPECT_EQ(squared_norm(model.blocks[size_t(l)].ln1_b.value()), 0.0);
    }
    expect_lecun(model.W_x, 64, "W_x");
    expect_lecun(model.W_U, 64, "W_U");
    // W_E: N(0, 0.02²) truncated to ±0.04, σ not corrected (its std is 0.02 · 0.8796).
    const Stats e = stats_of(model.W_E.value());
    EXPECT_NEAR(e.stddev, 0.02 * TRUNCATED_STD, 0.06 * 0.02 * TRUNCATED_STD);
    EXPECT_LE(e.max_abs, 0.04 * (1 + 1e-12));
    EXPECT_GT(e.max_abs, 0.038);
    for (const Var* zero : {&model.b_x, &model.b_U, &model.ln_final_b}) EXPECT_EQ(squared_norm(zero->value()), 0.0);
    EXPECT_TRUE(same_bits(model.ln_final_w.value(), Tensor::full({64}, 1.0, DType::F64)));
    // Reproducible from the seed, different for another.
    Transformer again = make_fewshot_model(config, 5, DType::F64), other = make_fewshot_model(config, 6, DType::F64);
    EXPECT_TRUE(same_bits(again.blocks[1].attn.W_Q.value(), model.blocks[1].attn.W_Q.value()));
    EXPECT_TRUE(same_bits(again.W_E.value(), model.W_E.value()));
    EXPECT_FALSE(same_bits(other.blocks[1].attn.W_Q.value(), model.blocks[1].attn.W_Q.value()));
}

// A model with every parameter away from its initial value (nonzero biases, LN gains off 1), so a
// parameter left out anywhere shows.
Transformer perturbed_model(const ModelConfig& config, uint64_t seed) {
    Transformer model = make_fewshot_model(config, seed, DType::F64);
    uint64_t s = seed * 100;
    for (const NamedParameter& p : model.parameters())
        p.var->set_value(add(p.var->value(), random_tensor(p.var->shape(), DType::F64, s++, -0.1, 0.1)));
    return model;
}

TEST(FewShotModel, EmbeddingPutsExemplarsAndLabelsInTheirPositions) {
    const int D = 16, L = 5;
    const FewShotTask task = task_with_features(D);
    const FewShotInputs in = training_inputs(task, 4);
    Transformer model = perturbed_model(fewshot_model_config(D, L), 7);
    Tensor E = fewshot_embed(model, in.exemplars, in.labels, in.is_label).value();
    const int64_t B = 4, T = 5, DM = 64;
    ASSERT_EQ(E.shape(), Shape({B, T, DM}));
    std::vector<double> e = E.to_vector(), x = in.exemplars.to_vector(), W_x = model.W_x.value().to_vector(),
                        b_x = model.b_x.value().to_vector(), W_E = model.W_E.value().to_vector();
    std::vector<int32_t> labels = in.labels.to_ints();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 0; p < T; ++p) {
            EXPECT_EQ(in.is_label.at({b, p, 0}), double(p % 2)) << "the layout: labels at odd positions";
            for (int64_t j = 0; j < DM; ++j) {
                double expected = 0;
                if (p % 2 == 0) {  // W_x e + b_x
                    expected = b_x[size_t(j)];
                    for (int64_t d = 0; d < D; ++d) expected += x[size_t((b * T + p) * D + d)] * W_x[size_t(d * DM + j)];
                } else {  // W_E[label]
                    expected = W_E[size_t(labels[size_t(b * T + p)] * DM + j)];
                }
                ASSERT_NEAR(e[size_t((b * T + p) * DM + j)], expected, 1e-13) << "sequence " << b << ", position "
                                                                             << p << ", feature " << j;
            }
        }
    EXPECT_THROW_MESSAGE(fewshot_embed(model, in.labels, in.labels, in.is_label), "exemplars must be [B, T, 16]");
}

TEST(FewShotModel, LogitsAreTheQueryRowsReadOut) {
    const int D = 16, L = 5;
    const FewShotTask task = task_with_features(D);
    const FewShotInputs in = training_inputs(task, 4);
    Transformer model = perturbed_model(fewshot_model_config(D, L), 8);
    Interventions hooks;
    hooks.capture(Site::RESID_POST, 1).capture(Site::LOGITS);
    Tensor logits = fewshot_forward(model, in, &hooks).value();
    ASSERT_EQ(logits.shape(), Shape({4, 1, L}));
    EXPECT_TRUE(same_bits(hooks.captured(Site::LOGITS), logits));
    EXPECT_TRUE(same_bits(fewshot_forward(model, in).value(), logits));
    Tensor residual = hooks.captured(Site::RESID_POST, 1);
    EXPECT_TRUE(close(unembed(model, Var(slice(residual, 1, 4, 5))).value(), logits));

    // The readout depends on the query row only: other rows changed, the logits keep every bit;
    // the query row changed, they change.
    Tensor other_rows = concat({random_tensor({4, 4, 64}, DType::F64, 51), slice(residual, 1, 4, 5)}, 1);
    EXPECT_TRUE(same_bits(fewshot_readout(model, Var(other_rows)).value(), logits));
    Tensor other_query = concat({slice(residual, 1, 0, 4), random_tensor({4, 1, 64}, DType::F64, 52)}, 1);
    EXPECT_GT(normalized_mse(fewshot_readout(model, Var(other_query)).value(), logits), 1e-6);
}

TEST(FewShotModel, CheckpointRoundTripGivesIdenticalLogits) {
    const int D = 16, L = 5;
    const FewShotTask task = task_with_features(D);
    const FewShotInputs in = training_inputs(task, 4);
    Transformer model = perturbed_model(fewshot_model_config(D, L), 9);
    testing::TempDir dir;
    save_checkpoint(dir / "fewshot.safetensors", model, {{"step", "1234"}});
    LoadedCheckpoint loaded = load_checkpoint(dir / "fewshot.safetensors");
    EXPECT_EQ(loaded.get("step"), "1234");
    EXPECT_EQ(json::dump(loaded.model.config.to_json()), json::dump(model.config.to_json()));
    EXPECT_EQ(loaded.model.config.d_exemplar, D);
    EXPECT_FALSE(loaded.model.W_pos.defined());
    ASSERT_TRUE(loaded.model.W_x.defined());
    EXPECT_TRUE(same_bits(loaded.model.W_x.value(), model.W_x.value()));
    EXPECT_TRUE(same_bits(loaded.model.b_x.value(), model.b_x.value()));
    EXPECT_TRUE(same_bits(fewshot_forward(loaded.model, in).value(), fewshot_forward(model, in).value()));
}

TEST(FewShotModel, MetricsAreTheHandComputedOnes) {
    // Three sequences, L = 4 labels.
    const std::vector<double> z = {2, 1, 0, -1,  //  target 1; context {1, 3}: wrong overall, right in context
                                   0, 0.5, 3, 0.2,  // target 2; context {0, 2}: right both ways
                                   1, 4, 2, 3};     // target 0; context {0, 2}: wrong both ways
    FewShotInputs in;
    in.targets = Tensor::from_ints({3}, {1, 2, 0});
    in.in_context = Tensor::from_vector({3, 4}, {0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0}, DType::F64);
    const Tensor logits = Tensor::from_vector({3, 1, 4}, z, DType::F64);
    using std::exp, std::log;
    const double all0 = exp(2) + exp(1) + exp(0) + exp(-1), all1 = exp(0) + exp(0.5) + exp(3) + exp(0.2),
                 all2 = exp(1) + exp(4) + exp(2) + exp(3);
    const double loss[] = {log(all0) - 1, log(all1) - 3, log(all2) - 1};
    const double prob[] = {exp(1) / all0, exp(3) / all1, exp(1) / all2};
    const double in_context_prob[] = {exp(1) / (exp(1) + exp(-1)), exp(3) / (exp(0) + exp(3)), exp(1) / (exp(1) + exp(2))};

    const FewShotOutcomes o = fewshot_outcomes(logits, in);
    ASSERT_EQ(o.loss.size(), 3u);
    for (size_t b = 0; b < 3; ++b) {
        EXPECT_NEAR(o.loss[b], loss[b], 1e-12);
        EXPECT_NEAR(o.probability[b], prob[b], 1e-12);
        EXPECT_NEAR(o.in_context_probability[b], in_context_prob[b], 1e-12);
    }
    EXPECT_EQ(o.correct, (std::vector<double>{0, 1, 0}));
    EXPECT_EQ(o.in_context_correct, (std::vector<double>{1, 1, 0}));

    const FewShotMetrics m = fewshot_metrics(logits, in);
    EXPECT_NEAR(m.loss, (loss[0] + loss[1] + loss[2]) / 3, 1e-12);
    EXPECT_NEAR(m.probability, (prob[0] + prob[1] + prob[2]) / 3, 1e-12);
    EXPECT_NEAR(m.in_context_probability, (in_context_prob[0] + in_context_prob[1] + in_context_prob[2]) / 3, 1e-12);
    EXPECT_NEAR(m.accuracy, 1.0 / 3, 1e-12);
    EXPECT_NEAR(m.in_context_accuracy, 2.0 / 3, 1e-12);
    // The training loss is the same cross-entropy.
    EXPECT_NEAR(fewshot_loss(Var(logits), in.targets).value().item(), m.loss, 1e-12);
    EXPECT_THROW_MESSAGE(fewshot_loss(Var(Tensor::zeros({3, 2, 4}, DType::F64)), in.targets), "expected [B, 1, L]");
}

TEST(FewShotModel, LossGradientWithRespectToTheExemplarMapIsExact) {
    const int D = 2, L = 5;
    const FewShotTask task = task_with_features(D);
    const FewShotInputs in = training_inputs(task, 2);
    Transformer model = perturbed_model(fewshot_model_config(D, L), 10);
    auto loss = [&](const std::vector<Var>& inputs) {
        Transformer m = model;
        m.W_x = inputs[0];
        return fewshot_loss(fewshot_forward(m, in), in.targets);
    };
    EXPECT_TRUE(testing::gradient_ok(loss, {model.W_x.value()}));
    backward(fewshot_loss(fewshot_forward(model, in), in.targets));  // not a vacuous check: W_x matters
    EXPECT_GT(squared_norm(model.W_x.grad()), 1e-8);
}

}  // namespace
}  // namespace induction
