// test_transformer.cpp — behaviour of the transformer of METHODS §1 on small random models:
// causality for every architecture, position-infused attention (§1.4), smeared keys (§1.6),
// local heads (§1.5), TransformerLens parameter names, initialisation (§1.7), determinism,
// fixed sinusoidal positions and f64 gradient checks through the whole model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "autograd/functions.h"
#include "model/transformer.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using testing::close;
using testing::random_tensor;

// One config per architecture switch, and one with every switch on.
std::vector<std::pair<std::string, ModelConfig>> architecture_variants() {
    std::vector<std::pair<std::string, ModelConfig>> variants;
    auto add = [&](std::string name, auto change) {
        ModelConfig c = testing::small_model_config();
        change(c);
        variants.push_back({std::move(name), c});
    };
    add("attn-only LN shortformer", [](ModelConfig&) {});
    add("one layer", [](ModelConfig& c) { c.n_layers = 1; });
    add("no LN", [](ModelConfig& c) { c.normalization_type = "none"; });
    add("standard positions", [](ModelConfig& c) { c.positional_embedding_type = "standard"; });
    add("smeared", [](ModelConfig& c) { c.smear_keys = true; c.smear_alpha_init = -1; });
    add("local", [](ModelConfig& c) { c.local_windows = {1, 2, 0, 5, 3, 0, 1, 0}; });
    add("fixed positions", [](ModelConfig& c) { c.fixed_positions = true; });
    add("MLP gelu", [](ModelConfig& c) { c.attn_only = false; });
    add("MLP relu no LN", [](ModelConfig& c) {
        c.attn_only = false;
        c.act_fn = "relu";
        c.normalization_type = "none";
    });
    add("everything", [](ModelConfig& c) {
        c.attn_only = false;
        c.smear_keys = true;
        c.positional_embedding_type = "standard";
        c.local_windows = {0, 4, 1, 0, 2, 0, 0, 3};
    });
    return variants;
}

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

Tensor random_tokens(const ModelConfig& c, int64_t batch, int64_t T, uint64_t seed) {
    return random_tensor({batch, T}, DType::I32, seed, 0, c.d_vocab);
}

// Replaces every parameter by uniform(-0.8, 0.8) noise: init-scale weights make a near-uniform
// model in which many mistakes (a wrong mask, a missing position term) barely show.
void randomize(Transformer& model, uint64_t seed) {
    for (const NamedParameter& p : model.parameters())
        p.var->set_value(random_tensor(p.var->shape(), p.var->dtype(), seed++, -0.8, 0.8));
}

Tensor captured_after(const Transformer& model, const Tensor& tokens, Site site, int layer) {
    Interventions interventions;
    interventions.capture(site, layer);
    forward(model, tokens, &interventions);
    return interventions.captured(site, layer);
}

Var mean_loss(const Var& logits, const Tensor& tokens) {
    Var losses = next_token_losses(logits, tokens);
    return mean(reshape(losses, {losses.value().numel()}), 0);
}

TEST(Transformer, FutureTokensChangeNoEarlierLogitInAnyArchitecture) {
    for (const auto& [name, config] : architecture_variants()) {
        SCOPED_TRACE(name);
        Transformer model = make_transformer(config, 7);
        randomize(model, 100);
        const int64_t T = 12;
        Tensor tokens = random_tokens(config, 2, T, 3);
        Tensor logits = forward(model, tokens).value();
        for (int64_t k : {1, 6, 11}) {
            Tensor changed = tokens.clone();
            int32_t* t = changed.data<int32_t>();
            for (int64_t b = 0; b < 2; ++b)
                for (int64_t p = k; p < T; ++p) t[b * T + p] = (t[b * T + p] + 1) % config.d_vocab;
            Tensor changed_logits = forward(model, changed).value();
            EXPECT_TRUE(same_bits(slice(changed_logits, 1, 0, k), slice(logits, 1, 0, k)))
                << "a token at position >= " << k << " changed an earlier logit";
            EXPECT_FALSE(same_bits(slice(changed_logits, 1, k, k + 1), slice(logits, 1, k, k + 1)))
                << "changing token " << k << " did not change its own logits";
        }
    }
}

TEST(Transformer, PositionInfusedAttentionKeepsPositionsOutOfResidualAndValues) {
    ModelConfig config = testing::small_model_config();
    Transformer model = make_transformer(config, 1);
    randomize(model, 10);
    Transformer moved = model;  // the same weights with another position table
    moved.W_pos = Var(random_tensor(model.W_pos.shape(), DType::F32, 99, -0.8, 0.8), true);
    Tensor tokens = random_tokens(config, 2, 10, 4);

    Tensor resid = captured_after(model, tokens, Site::RESID_PRE, 0);
    EXPECT_TRUE(same_bits(resid, embedding(model.W_E.value(), tokens))) << "x0 must be W_E e_t alone";
    EXPECT_TRUE(same_bits(captured_after(moved, tokens, Site::RESID_PRE, 0), resid));
    EXPECT_TRUE(same_bits(captured_after(moved, tokens, Site::V, 0), captured_after(model, tokens, Site::V, 0)));
    for (Site site : {Site::Q, Site::K}) {
        Tensor a = captured_after(model, tokens, site, 0), b = captured_after(moved, tokens, site, 0);
        EXPECT_GT(normalized_mse(a, b), 1e-3) << hook_name(site, 0) << " must see the positions";
    }

    // Standard positions: added to the residual stream, so the values see them too.
    config.positional_embedding_type = "standard";
    model.config = moved.config = config;
    Tensor x0 = add(embedding(model.W_E.value(), tokens), slice(model.W_pos.value(), 0, 0, 10));
    EXPECT_TRUE(close(captured_after(model, tokens, Site::RESID_PRE, 0), x0));
    EXPECT_GT(normalized_mse(captured_after(model, tokens, Site::V, 0), captured_after(moved, tokens, Site::V, 0)),
              1e-3);
}

TEST(Transformer, SmearedKeysMixEachKeyWithThePreviousOne) {
    ModelConfig vanilla_config = testing::small_model_config();
    ModelConfig smeared_config = vanilla_config;
    smeared_config.smear_keys = true;
    Transformer vanilla = make_transformer(vanilla_config, 2, DType::F64);
    randomize(vanilla, 20);
    Transformer smeared = make_transformer(smeared_config, 5, DType::F64);
    std::vector<NamedParameter> vanilla_parameters = vanilla.parameters();
    size_t copied = 0;
    for (const NamedParameter& p : smeared.parameters())
        for (const NamedParameter& q : vanilla_parameters)
            if (p.name == q.name) {
                p.var->set_value(q.var->value());
                ++copied;
            }
    ASSERT_EQ(copied, vanilla_parameters.size());
    Tensor tokens = random_tokens(vanilla_config, 2, 11, 5);
    const Tolerance tight{1e-12, 1e-10};

    // σ(α) = 1: the plain keys, hence the vanilla model.
    for (BlockParams& b : smeared.blocks) b.attn.smear_alpha.set_value(Tensor::full({4}, 40.0, DType::F64));
    EXPECT_TRUE(close(forward(smeared, tokens).value(), forward(vanilla, tokens).value(), tight));

    // Any α, layer 0 (same input as the vanilla model): k̃_j = σ k_j + (1 − σ) k_{j−1}, k̃_0 = k_0.
    std::vector<double> alpha = {-40, -1.5, 0, 2};
    smeared.blocks[0].attn.smear_alpha.set_value(Tensor::from_vector({4}, alpha, DType::F64));
    Tensor k = captured_after(vanilla, tokens, Site::K, 0);          // [B, H, T, dh]
    Tensor previous = shift(k, 2, /*replicate_first=*/true);
    std::vector<double> sigma(4);
    for (int h = 0; h < 4; ++h) sigma[size_t(h)] = 1 / (1 + std::exp(-alpha[size_t(h)]));
    Tensor mix = Tensor::from_vector({1, 4, 1, 1}, sigma, DType::F64);
    Tensor expected = add(mul(mix, k), mul(scale(mix, -1, 1), previous));
    Tensor smeared_k = captured_after(smeared, tokens, Site::K, 0);
    EXPECT_TRUE(close(smeared_k, expected, tight));
    // σ(−40) ≈ 0: head 0 keys on the previous token only.
    EXPECT_TRUE(close(slice(smeared_k, 1, 0, 1), slice(previous, 1, 0, 1), tight));
    // Values are not smeared.
    EXPECT_TRUE(same_bits(captured_after(smeared, tokens, Site::V, 0), captured_after(vanilla, tokens, Site::V, 0)));
}

TEST(Transformer, LocalHeadsAttendOnlyWithinTheirWindow) {
    ModelConfig config = testing::small_model_config();
    config.local_windows = {0, 0, 0, 0,   // layer 0: dense
                            1, 2, 0, 5};  // layer 1: window 1 (itself), 2, dense, 5
    Transformer model = make_transformer(config, 3);
    randomize(model, 30);
    const int64_t T = 9;
    Tensor tokens = random_tokens(config, 2, T, 6);
    for (int layer : {0, 1}) {
        std::vector<int32_t> windows(config.local_windows.begin() + layer * 4,
                                     config.local_windows.begin() + layer * 4 + 4);
        Tensor pattern = captured_after(model, tokens, Site::PATTERN, layer);  // [B, H, T, T]
        for (int64_t b = 0; b < 2; ++b)
            for (int64_t h = 0; h < 4; ++h)
                for (int64_t i = 0; i < T; ++i) {
                    double row_sum = 0;
                    for (int64_t j = 0; j < T; ++j) {
                        double a = pattern.at({b, h, i, j});
                        int32_t w = windows[size_t(h)];
                        bool allowed = j <= i && (w == 0 || i - j < w);
                        SCOPED_TRACE("layer " + std::to_string(layer) + " head " + std::to_string(h) +
                                     " entry (" + std::to_string(i) + ", " + std::to_string(j) + ")");
                        if (allowed) {
                            EXPECT_GT(a, 0);
                        } else {
                            EXPECT_EQ(a, 0);
                        }
                        if (w == 1) {
                            EXPECT_EQ(a, i == j ? 1.0 : 0.0);  // identity pattern
                        }
                        row_sum += a;
                    }
                    EXPECT_NEAR(row_sum, 1.0, 1e-6);
                }
    }
}

TEST(Transformer, ParametersHaveTransformerLensNamesAndShapes) {
    ModelConfig config = testing::small_model_config();
    config.attn_only = false;
    config.smear_keys = true;
    Transformer model = make_transformer(config, 1);
    std::vector<std::pair<std::string, Shape>> expected = {{"embed.W_E", {23, 16}}, {"pos_embed.W_pos", {16, 16}}};
    for (int l = 0; l < 2; ++l) {
        std::string b = "blocks." + std::to_string(l) + ".";
        std::vector<std::pair<std::string, Shape>> block = {
            {b + "ln1.w", {16}},           {b + "ln1.b", {16}},           {b + "attn.W_Q", {4, 16, 4}},
            {b + "attn.W_K", {4, 16, 4}},  {b + "attn.W_V", {4, 16, 4}},  {b + "attn.W_O", {4, 4, 16}},
            {b + "attn.smear_alpha", {4}}, {b + "ln2.w", {16}},           {b + "ln2.b", {16}},
            {b + "mlp.W_in", {16, 32}},    {b + "mlp.b_in", {32}},        {b + "mlp.W_out", {32, 16}},
            {b + "mlp.b_out", {16}}};
        expected.insert(expected.end(), block.begin(), block.end());
    }
    expected.insert(expected.end(), {{"ln_final.w", {16}}, {"ln_final.b", {16}}, {"unembed.W_U", {16, 23}},
                                     {"unembed.b_U", {23}}});
    std::vector<NamedParameter> parameters = model.parameters();
    ASSERT_EQ(parameters.size(), expected.size());
    int64_t count = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(parameters[i].name, expected[i].first);
        EXPECT_EQ(parameters[i].var->shape(), expected[i].second) << expected[i].first;
        EXPECT_TRUE(parameters[i].var->requires_grad()) << expected[i].first;
        // AdamW decays matrices only: not biases, LayerNorm gains or α (METHODS §1.6–1.7).
        EXPECT_EQ(parameters[i].weight_decay, expected[i].second.ndim >= 2) << expected[i].first;
        count += expected[i].second.numel();
    }
    EXPECT_EQ(model.parameter_count(), count);

    // The pure attention-only model of [F]: no LayerNorm, no MLP, no α.
    config.attn_only = true;
    config.smear_keys = false;
    config.normalization_type = "none";
    std::vector<std::string> names;
    Transformer pure = make_transformer(config, 1);
    for (const NamedParameter& p : pure.parameters()) names.push_back(p.name);
    EXPECT_EQ(names, (std::vector<std::string>{
                         "embed.W_E", "pos_embed.W_pos", "blocks.0.attn.W_Q", "blocks.0.attn.W_K",
                         "blocks.0.attn.W_V", "blocks.0.attn.W_O", "blocks.1.attn.W_Q", "blocks.1.attn.W_K",
                         "blocks.1.attn.W_V", "blocks.1.attn.W_O", "unembed.W_U", "unembed.b_U"}));
}

double standard_deviation(const Tensor& t) {
    std::vector<double> v = t.to_vector();
    double sum = 0, squares = 0;
    for (double x : v) sum += x, squares += x * x;
    double mean = sum / double(v.size());
    return std::sqrt(squares / double(v.size()) - mean * mean);
}

TEST(Transformer, InitialisationFollowsMethods17) {
    ModelConfig config = testing::small_model_config();
    config.d_model = 64;
    config.d_head = 16;
    config.d_mlp = 256;
    config.d_vocab = 512;
    config.n_ctx = 64;
    config.attn_only = false;
    config.smear_keys = true;
    config.smear_alpha_init = 2;
    config.scale_output_init = true;
    config.embed_init_range = 0.5;
    Transformer m = make_transformer(config, 11);
    auto expect_std = [](const Var& v, double expected, const char* what) {
        EXPECT_NEAR(standard_deviation(v.value()), expected, 0.05 * expected) << what;
    };
    expect_std(m.W_E, 0.5, "W_E: N(0, embed_init_range²)");
    expect_std(m.W_pos, 0.02, "W_pos");
    expect_std(m.W_U, 0.02, "W_U");
    const BlockParams& b = m.blocks[1];
    expect_std(b.attn.W_Q, 1 / 8.0, "W_Q: N(0, 1/fan_in)");
    expect_std(b.attn.W_V, 1 / 8.0, "W_V");
    expect_std(b.attn.W_O, 1 / 8.0 / 2.0, "W_O: 1/sqrt(fan_in) scaled by 1/sqrt(2L)");
    expect_std(b.W_in, 1 / 8.0, "W_in");
    expect_std(b.W_out, 1 / 16.0 / 2.0, "W_out");
    EXPECT_EQ(b.ln1_w.value().to_vector(), std::vector<double>(64, 1.0));
    EXPECT_EQ(b.ln2_b.value().to_vector(), std::vector<double>(64, 0.0));
    EXPECT_EQ(b.b_in.value().to_vector(), std::vector<double>(256, 0.0));
    EXPECT_EQ(b.attn.smear_alpha.value().to_vector(), std::vector<double>(4, 2.0));
    EXPECT_EQ(m.b_U.value().to_vector(), std::vector<double>(512, 0.0));
}

TEST(Transformer, IsDeterministicForASeed) {
    ModelConfig config = testing::small_model_config();
    config.attn_only = false;
    Transformer a = make_transformer(config, 42), b = make_transformer(config, 42),
                c = make_transformer(config, 43);
    std::vector<NamedParameter> pa = a.parameters(), pb = b.parameters(), pc = c.parameters();
    bool any_differs = false;
    for (size_t i = 0; i < pa.size(); ++i) {
        EXPECT_TRUE(same_bits(pa[i].var->value(), pb[i].var->value())) << pa[i].name;
        any_differs = any_differs || !same_bits(pa[i].var->value(), pc[i].var->value());
    }
    EXPECT_TRUE(any_differs) << "seeds 42 and 43 gave the same model";
    Tensor tokens = random_tokens(config, 3, 10, 8);
    EXPECT_TRUE(same_bits(forward(a, tokens).value(), forward(b, tokens).value()));
    EXPECT_TRUE(same_bits(forward(a, tokens).value(), forward(a, tokens).value()));
}

TEST(Transformer, FixedPositionsAreTheSinusoidalTableAndGetNoGradient) {
    ModelConfig config = testing::small_model_config();
    config.fixed_positions = true;
    Transformer model = make_transformer(config, 1);
    std::vector<double> table;
    for (int p = 0; p < 16; ++p)
        for (int i = 0; i < 16; ++i) {
            double angle = p / std::pow(10000.0, 2.0 * (i / 2) / 16.0);  // P[p, 2i] = sin(p / 10000^(2i/d))
            table.push_back(i % 2 == 0 ? std::sin(angle) : std::cos(angle));
        }
    EXPECT_TRUE(close(model.W_pos.value(), Tensor::from_vector({16, 16}, table, DType::F64), {1e-7, 1e-6}));
    EXPECT_TRUE(close(sinusoidal_positions(16, 16, DType::F64), Tensor::from_vector({16, 16}, table, DType::F64),
                      {1e-15, 1e-14}));
    EXPECT_FALSE(model.W_pos.requires_grad());

    Tensor tokens = random_tokens(config, 2, 8, 9);
    backward(mean_loss(forward(model, tokens), tokens));
    EXPECT_FALSE(model.W_pos.grad().defined());
    EXPECT_TRUE(model.W_E.grad().defined());
    EXPECT_TRUE(model.blocks[0].attn.W_Q.grad().defined());
}

TEST(Transformer, NextTokenLossesScorePositionPAgainstTokenPPlusOne) {
    ModelConfig config = testing::small_model_config();
    Transformer model = make_transformer(config, 1);
    randomize(model, 40);
    Tensor tokens = random_tokens(config, 2, 7, 10);
    Tensor logits = forward(model, tokens).value();
    Tensor losses = next_token_losses(Var(logits), tokens).value();
    ASSERT_EQ(losses.shape(), Shape({2, 6}));
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t p = 0; p < 6; ++p) {
            double log_sum = 0;
            for (int64_t v = 0; v < config.d_vocab; ++v) log_sum += std::exp(logits.at({b, p, v}));
            int64_t target = tokens.to_ints()[size_t(b * 7 + p + 1)];
            EXPECT_NEAR(losses.at({b, p}), std::log(log_sum) - logits.at({b, p, target}), 1e-5);
        }
}

TEST(Transformer, RejectsBadTokens) {
    ModelConfig config = testing::small_model_config();
    Transformer model = make_transformer(config, 1);
    EXPECT_THROW_MESSAGE(forward(model, random_tokens(config, 1, 17, 1)),
                         "forward: sequence length 17 outside [1, n_ctx = 16]");
    EXPECT_THROW_MESSAGE(forward(model, Tensor::zeros({2, 4})), "forward: tokens must be i32 [batch, T]");
    // A token outside the vocabulary is not read on the host per call (token files and evaluation
    // rows check them where they enter): its embedding row, and so its logits, are NaN.
    std::vector<double> logits = forward(model, Tensor::from_ints({1, 2}, {0, 23})).value().to_vector();
    EXPECT_TRUE(std::isnan(logits.back()));
    EXPECT_THROW_MESSAGE(next_token_losses(forward(model, Tensor::from_ints({1, 1}, {0})), Tensor::from_ints({1, 1}, {0})),
                         "need at least 2 positions");
}

// --- f64 gradient checks through the whole model --------------------------------------------

ModelConfig tiny_config() {
    ModelConfig c;
    c.n_layers = 2;
    c.d_model = 8;
    c.n_heads = 2;
    c.d_head = 4;
    c.d_mlp = 8;
    c.d_vocab = 7;
    c.n_ctx = 6;
    return c;
}

// Gradchecks next_token_losses as a function of the named parameters, all others fixed.
::testing::AssertionResult model_gradient_ok(const ModelConfig& config, const std::vector<std::string>& names) {
    Transformer model = make_transformer(config, 3, DType::F64);
    randomize(model, 50);
    Tensor tokens = Tensor::from_ints({2, 5}, {1, 4, 1, 4, 6, 0, 5, 3, 3, 2});
    std::vector<Tensor> inputs;
    for (const std::string& name : names)
        for (const NamedParameter& p : model.parameters())
            if (p.name == name) inputs.push_back(p.var->value());
    if (inputs.size() != names.size()) return ::testing::AssertionFailure() << "unknown parameter name";
    auto losses = [&](const std::vector<Var>& values) {
        Transformer substituted = model;
        for (const NamedParameter& p : substituted.parameters())
            for (size_t i = 0; i < names.size(); ++i)
                if (p.name == names[i]) *p.var = values[i];
        return next_token_losses(forward(substituted, tokens), tokens);
    };
    return testing::gradient_ok(losses, inputs);
}

TEST(Transformer, GradientsOfTheWholeModelPassGradcheck) {
    ModelConfig config = tiny_config();  // attention-only, pre-LN, shortformer
    EXPECT_TRUE(model_gradient_ok(config, {"pos_embed.W_pos", "blocks.0.attn.W_Q"}));
    EXPECT_TRUE(model_gradient_ok(config, {"blocks.1.ln1.w", "blocks.1.attn.W_O"}));

    config.attn_only = false;
    config.smear_keys = true;
    config.local_windows = {0, 2, 3, 0};
    EXPECT_TRUE(model_gradient_ok(config, {"blocks.0.attn.smear_alpha", "blocks.1.attn.smear_alpha"}));
    EXPECT_TRUE(model_gradient_ok(config, {"blocks.0.mlp.W_in", "blocks.1.ln2.b"}));
    EXPECT_TRUE(model_gradient_ok(config, {"embed.W_E", "unembed.b_U"}));

    config.normalization_type = "none";
    config.positional_embedding_type = "standard";
    EXPECT_TRUE(model_gradient_ok(config, {"pos_embed.W_pos", "blocks.1.attn.W_K"}));
}

}  // namespace
}  // namespace induction
