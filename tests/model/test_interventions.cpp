// test_interventions.cpp — each intervention kind does what it says (model/interventions.h):
// captures are the activations actually used, replacements are exactly what the model then uses
// (for one head and position range only, when asked), ablations and scalings touch nothing
// upstream, constant replacements block the gradient while Var replacements pass it, and misuse
// is reported with the hook's name.
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

constexpr int64_t B = 2, T = 8, H = 4, DH = 4, D = 16, V = 23;

ModelConfig config_with_layers(int n_layers) {
    ModelConfig c;
    c.n_layers = n_layers;
    c.d_model = D;
    c.n_heads = H;
    c.d_head = DH;
    c.d_vocab = V;
    c.n_ctx = 16;
    return c;
}

// A model far from uniform attention, so that a pattern left unchanged by mistake shows.
Transformer random_model(const ModelConfig& config, DType dtype = DType::F32) {
    Transformer model = make_transformer(config, 1, dtype);
    uint64_t seed = 100;
    for (const NamedParameter& p : model.parameters())
        p.var->set_value(random_tensor(p.var->shape(), dtype, seed++, -0.8, 0.8));
    return model;
}

Tensor tokens_in(int32_t low, int32_t high, uint64_t seed = 5) {
    return random_tensor({B, T}, DType::I32, seed, low, high);
}

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// x[:, h] of a [B, H, ...] tensor.
Tensor head_of(const Tensor& x, int64_t h) { return slice(x, 1, h, h + 1); }

// The one-hot previous-token pattern [B, H, T, T]: row i attends to i - 1 (row 0 to itself).
Tensor previous_token_pattern(int64_t heads, DType dtype = DType::F32) {
    std::vector<double> p(size_t(B * heads * T * T), 0.0);
    for (int64_t bh = 0; bh < B * heads; ++bh)
        for (int64_t i = 0; i < T; ++i) p[size_t((bh * T + i) * T + std::max<int64_t>(i - 1, 0))] = 1;
    return Tensor::from_vector({B, heads, T, T}, p, dtype);
}

double squared_norm(const Tensor& t) {
    double s = 0;
    if (t.defined())
        for (double x : t.to_vector()) s += x * x;
    return s;
}

Var mean_loss(const Var& logits, const Tensor& tokens) {
    Var losses = next_token_losses(logits, tokens);
    return mean(reshape(losses, {losses.value().numel()}), 0);
}

TEST(Interventions, HookNamesAreTransformerLensNames) {
    EXPECT_EQ(hook_name(Site::PATTERN, 0), "blocks.0.attn.hook_pattern");
    EXPECT_EQ(hook_name(Site::Z, 3), "blocks.3.attn.hook_z");
    EXPECT_EQ(hook_name(Site::RESULT, 1), "blocks.1.attn.hook_result");
    EXPECT_EQ(hook_name(Site::SCORES, 1), "blocks.1.attn.hook_attn_scores");
    EXPECT_EQ(hook_name(Site::RESID_PRE, 1), "blocks.1.hook_resid_pre");
    EXPECT_EQ(hook_name(Site::MLP_OUT, 0), "blocks.0.hook_mlp_out");
    EXPECT_EQ(hook_name(Site::LOGITS, 5), "logits");
    EXPECT_TRUE(site_has_heads(Site::Q));
    EXPECT_TRUE(site_has_heads(Site::RESULT));
    EXPECT_FALSE(site_has_heads(Site::ATTN_OUT));
}

TEST(Interventions, CapturesAreTheActivationsActuallyUsed) {
    ModelConfig config = config_with_layers(2);
    Transformer model = random_model(config);
    Tensor tokens = tokens_in(0, V);
    Interventions hooks;
    for (Site site : {Site::RESID_PRE, Site::Q, Site::K, Site::V, Site::SCORES, Site::PATTERN,
                      Site::Z, Site::RESULT, Site::ATTN_OUT, Site::RESID_MID, Site::RESID_POST})
        hooks.capture(site, 0).capture(site, 1);
    hooks.capture(Site::LOGITS);
    Tensor logits = forward(model, tokens, &hooks).value();
    // Without hooks the attention products skip the causal triangle; with scores or pattern hooked
    // they are full products. The logits must not differ by a bit.
    EXPECT_TRUE(same_bits(forward(model, tokens).value(), logits)) << "capturing changed the output";
    EXPECT_TRUE(same_bits(hooks.captured(Site::LOGITS), logits));

    for (int l : {0, 1}) {
        SCOPED_TRACE("layer " + std::to_string(l));
        Tensor pattern = hooks.captured(Site::PATTERN, l);
        ASSERT_EQ(pattern.shape(), Shape({B, H, T, T}));
        std::vector<double> p = pattern.to_vector();
        for (int64_t row = 0; row < B * H * T; ++row) {
            int64_t i = row % T;
            double total = 0;
            for (int64_t j = 0; j < T; ++j) {
                double a = p[size_t(row * T + j)];
                total += a;
                if (j > i) {
                    EXPECT_EQ(a, 0.0) << "causal zero at (" << i << ", " << j << ")";
                }
            }
            EXPECT_NEAR(total, 1.0, 1e-6);
        }
        // The captured scores are q kᵀ / sqrt(d_head) everywhere, above the diagonal too (unmasked).
        Tensor q = hooks.captured(Site::Q, l), k = hooks.captured(Site::K, l);
        EXPECT_TRUE(close(hooks.captured(Site::SCORES, l),
                          matmul(scale(q, 1.0 / std::sqrt(double(DH))), k, false, true)));
        // The pattern is the softmax of the captured scores, and z = A v.
        EXPECT_TRUE(close(softmax(hooks.captured(Site::SCORES, l), true), pattern));
        Tensor v = hooks.captured(Site::V, l);
        Tensor z = hooks.captured(Site::Z, l);
        ASSERT_EQ(z.shape(), Shape({B, H, T, DH}));
        EXPECT_TRUE(close(z, matmul(pattern.reshape({B * H, T, T}), v.reshape({B * H, T, DH})).reshape(z.shape())));
        // Head results sum to the attention output; the residual adds it.
        Tensor result = hooks.captured(Site::RESULT, l);
        ASSERT_EQ(result.shape(), Shape({B, T, H, D}));
        Tensor attn_out = hooks.captured(Site::ATTN_OUT, l);
        EXPECT_TRUE(close(sum(result, 2), attn_out));
        EXPECT_TRUE(same_bits(hooks.captured(Site::RESID_MID, l),
                              add(hooks.captured(Site::RESID_PRE, l), attn_out)));
    }
    EXPECT_TRUE(same_bits(hooks.captured(Site::RESID_PRE, 1), hooks.captured(Site::RESID_POST, 0)));
    Tensor final_x = layer_norm(hooks.captured(Site::RESID_POST, 1), model.ln_final_w.value(),
                                model.ln_final_b.value()).y;
    EXPECT_TRUE(close(add(matmul(final_x, model.W_U.value()), model.b_U.value()), logits));
}

TEST(Interventions, ReplacedPatternIsExactlyThePatternUsed) {
    Transformer model = random_model(config_with_layers(1));
    Tensor tokens = tokens_in(0, V);
    Tensor previous = previous_token_pattern(H);
    Interventions hooks;
    hooks.replace(Site::PATTERN, 0, Var(previous)).capture(Site::PATTERN, 0).capture(Site::V, 0).capture(Site::Z, 0);
    forward(model, tokens, &hooks);
    EXPECT_TRUE(same_bits(hooks.captured(Site::PATTERN, 0), previous));
    // Attending to the previous token copies its value: z_i = v_{i-1}, z_0 = v_0.
    EXPECT_TRUE(same_bits(hooks.captured(Site::Z, 0), shift(hooks.captured(Site::V, 0), 2)));
}

TEST(Interventions, FrozenPatternsGiveTheCleanLogitsWithOrWithoutQueriesAndKeys) {
    // With every layer's pattern given whole, the forward pass skips queries, keys and softmax
    // (METHODS §5.2's frozen-pattern run) unless a hook asks for them; both give the clean logits.
    Transformer model = random_model(config_with_layers(2));
    Tensor tokens = tokens_in(0, V);
    Interventions clean;
    clean.capture(Site::PATTERN, 0).capture(Site::PATTERN, 1);
    Tensor clean_logits = forward(model, tokens, &clean).value();
    Interventions frozen, frozen_with_queries;
    for (int l = 0; l < 2; ++l) {
        frozen.replace(Site::PATTERN, l, Var(clean.captured(Site::PATTERN, l)));
        frozen_with_queries.replace(Site::PATTERN, l, Var(clean.captured(Site::PATTERN, l))).capture(Site::Q, l);
    }
    EXPECT_TRUE(same_bits(forward(model, tokens, &frozen).value(), clean_logits));
    EXPECT_TRUE(same_bits(forward(model, tokens, &frozen_with_queries).value(), clean_logits));
    EXPECT_TRUE(frozen_with_queries.captured(Site::Q, 1).defined());
    Interventions wrong;
    wrong.replace(Site::PATTERN, 1, Var(previous_token_pattern(H - 1)));
    EXPECT_THROW_MESSAGE(forward(model, tokens, &wrong), "blocks.1.attn.hook_pattern: the given pattern is");
}

TEST(Interventions, ReplacingOneHeadAndPositionRangeLeavesTheRestUntouched) {
    Transformer model = random_model(config_with_layers(1));
    Tensor tokens = tokens_in(0, V);
    Interventions baseline;
    baseline.capture(Site::PATTERN, 0).capture(Site::Z, 0).capture(Site::V, 0).capture(Site::RESID_MID, 0);
    forward(model, tokens, &baseline);

    const int head = 2;
    const int64_t begin = 3, end = 6;
    Tensor one_head = head_of(previous_token_pattern(H), head).reshape({B, T, T});
    Interventions hooks;
    hooks.replace(Site::PATTERN, 0, Var(one_head), head, begin, end).capture(Site::PATTERN, 0).capture(Site::Z, 0);
    forward(model, tokens, &hooks);

    Tensor pattern = hooks.captured(Site::PATTERN, 0), z = hooks.captured(Site::Z, 0);
    Tensor base_pattern = baseline.captured(Site::PATTERN, 0), base_z = baseline.captured(Site::Z, 0);
    for (int64_t h = 0; h < H; ++h) {
        SCOPED_TRACE("head " + std::to_string(h));
        if (h != head) {
            EXPECT_TRUE(same_bits(head_of(pattern, h), head_of(base_pattern, h)));
            EXPECT_TRUE(same_bits(head_of(z, h), head_of(base_z, h)));
            continue;
        }
        Tensor hp = head_of(pattern, h), hz = head_of(z, h);
        Tensor shifted_v = head_of(shift(baseline.captured(Site::V, 0), 2), h);
        for (auto [lo, hi] : {std::pair<int64_t, int64_t>{0, begin}, {end, T}}) {  // outside the range
            EXPECT_TRUE(same_bits(slice(hp, 2, lo, hi), slice(head_of(base_pattern, h), 2, lo, hi)));
            EXPECT_TRUE(same_bits(slice(hz, 2, lo, hi), slice(head_of(base_z, h), 2, lo, hi)));
        }
        EXPECT_TRUE(same_bits(slice(hp, 2, begin, end),
                              slice(one_head.reshape({B, 1, T, T}), 2, begin, end)));
        EXPECT_TRUE(same_bits(slice(hz, 2, begin, end), slice(shifted_v, 2, begin, end)));
    }
    // A residual-stream site: positions [0, 2) zeroed, the rest as computed.
    Interventions zeroed;
    zeroed.replace(Site::RESID_MID, 0, Var(Tensor::zeros({B, T, D})), Interventions::ALL_HEADS, 0, 2)
        .capture(Site::RESID_MID, 0);
    forward(model, tokens, &zeroed);
    Tensor resid = zeroed.captured(Site::RESID_MID, 0), base_resid = baseline.captured(Site::RESID_MID, 0);
    EXPECT_EQ(squared_norm(slice(resid, 1, 0, 2)), 0.0);
    EXPECT_TRUE(same_bits(slice(resid, 1, 2, T), slice(base_resid, 1, 2, T)));
}

TEST(Interventions, AblatedHeadChangesNothingUpstreamAndOutputsZero) {
    Transformer model = random_model(config_with_layers(2));
    Tensor tokens = tokens_in(0, V);
    auto run = [&](Interventions& hooks) {
        hooks.capture(Site::PATTERN, 0).capture(Site::PATTERN, 1).capture(Site::RESID_POST, 0)
            .capture(Site::Z, 1).capture(Site::RESULT, 1).capture(Site::ATTN_OUT, 1);
        return forward(model, tokens, &hooks).value();
    };
    Interventions baseline, ablated;
    Tensor base_logits = run(baseline);
    ablated.ablate_head(1, 2);
    Tensor logits = run(ablated);

    for (auto [site, layer] : {std::pair{Site::PATTERN, 0}, {Site::RESID_POST, 0}, {Site::PATTERN, 1}})
        EXPECT_TRUE(same_bits(ablated.captured(site, layer), baseline.captured(site, layer)))
            << hook_name(site, layer) << " is upstream of the ablated head";
    Tensor z = ablated.captured(Site::Z, 1), base_z = baseline.captured(Site::Z, 1);
    EXPECT_EQ(squared_norm(head_of(z, 2)), 0.0);
    EXPECT_GT(squared_norm(head_of(base_z, 2)), 0.0);
    for (int64_t h : {0, 1, 3}) EXPECT_TRUE(same_bits(head_of(z, h), head_of(base_z, h)));
    // The attention output loses exactly that head's result vector.
    Tensor head_result = slice(baseline.captured(Site::RESULT, 1), 2, 2, 3).reshape({B, T, D});
    EXPECT_TRUE(close(ablated.captured(Site::ATTN_OUT, 1), sub(baseline.captured(Site::ATTN_OUT, 1), head_result)));
    EXPECT_GT(normalized_mse(logits, base_logits), 1e-8);

    // Ablating a layer-0 head changes the patterns downstream, in layer 1.
    Interventions early;
    early.ablate_head(0, 1);
    run(early);
    EXPECT_TRUE(same_bits(early.captured(Site::PATTERN, 0), baseline.captured(Site::PATTERN, 0)));
    EXPECT_FALSE(same_bits(early.captured(Site::PATTERN, 1), baseline.captured(Site::PATTERN, 1)));
}

TEST(Interventions, ScalingMultipliesOnlyTheChosenHeadAndPositions) {
    Transformer model = random_model(config_with_layers(1));
    Tensor tokens = tokens_in(0, V);
    Interventions baseline;
    baseline.capture(Site::Z, 0).capture(Site::RESID_PRE, 0);
    forward(model, tokens, &baseline);
    Tensor base_z = baseline.captured(Site::Z, 0), base_resid = baseline.captured(Site::RESID_PRE, 0);

    Interventions doubled;
    doubled.scale(Site::Z, 0, 1, 2.0).capture(Site::Z, 0);
    forward(model, tokens, &doubled);
    Tensor z = doubled.captured(Site::Z, 0);
    EXPECT_TRUE(same_bits(head_of(z, 1), scale(head_of(base_z, 1), 2.0)));
    for (int64_t h : {0, 2, 3}) EXPECT_TRUE(same_bits(head_of(z, h), head_of(base_z, h)));

    Interventions tripled;  // a residual-stream site, positions [1, 3)
    tripled.scale(Site::RESID_PRE, 0, Interventions::ALL_HEADS, 3.0, 1, 3).capture(Site::RESID_PRE, 0);
    forward(model, tokens, &tripled);
    Tensor resid = tripled.captured(Site::RESID_PRE, 0);
    EXPECT_TRUE(same_bits(slice(resid, 1, 1, 3), scale(slice(base_resid, 1, 1, 3), 3.0)));
    EXPECT_TRUE(same_bits(slice(resid, 1, 0, 1), slice(base_resid, 1, 0, 1)));
    EXPECT_TRUE(same_bits(slice(resid, 1, 3, T), slice(base_resid, 1, 3, T)));
}

TEST(Interventions, ConstantReplacementBlocksTheGradient) {
    ModelConfig config = config_with_layers(1);
    config.smear_keys = true;
    Transformer model = random_model(config);
    Tensor tokens = tokens_in(0, V);
    Interventions baseline;
    baseline.capture(Site::PATTERN, 0);
    Tensor base_loss = mean_loss(forward(model, tokens, &baseline), tokens).value();
    const AttentionParams& attn = model.blocks[0].attn;

    // The whole pattern clamped: W_Q, W_K, α and the (position-infused) W_pos only shape the
    // pattern, so they get no gradient; the value/output path still does.
    Interventions clamped;
    clamped.replace(Site::PATTERN, 0, Var(baseline.captured(Site::PATTERN, 0)));
    Var loss = mean_loss(forward(model, tokens, &clamped), tokens);
    EXPECT_TRUE(same_bits(loss.value(), base_loss)) << "clamping to the same pattern changed the loss";
    backward(loss);
    for (const Var* v : std::initializer_list<const Var*>{&attn.W_Q, &attn.W_K, &attn.smear_alpha, &model.W_pos})
        EXPECT_EQ(squared_norm(v->grad()), 0.0);
    for (const Var* v : std::initializer_list<const Var*>{&attn.W_V, &attn.W_O, &model.W_E, &model.blocks[0].ln1_w,
                                                         &model.W_U})
        EXPECT_GT(squared_norm(v->grad()), 0.0);

    // One head clamped: only that head's slice of W_Q loses its gradient.
    for (const NamedParameter& p : model.parameters()) p.var->zero_grad();
    Interventions one_head;
    one_head.replace(Site::PATTERN, 0, Var(head_of(baseline.captured(Site::PATTERN, 0), 1).reshape({B, T, T})), 1);
    backward(mean_loss(forward(model, tokens, &one_head), tokens));
    const Tensor& grad_q = attn.W_Q.grad();  // [H, d_model, d_head]
    EXPECT_EQ(squared_norm(grad_q[1]), 0.0);
    for (int64_t h : {0, 2, 3}) EXPECT_GT(squared_norm(grad_q[h]), 0.0);
    EXPECT_EQ(attn.smear_alpha.grad().to_vector()[1], 0.0);
    EXPECT_NE(attn.smear_alpha.grad().to_vector()[0], 0.0);
}

TEST(Interventions, VarReplacementFromAnotherPassLetsGradientFlow) {
    // The input of layer 1 comes from another computation: the embedding of other tokens.
    Transformer model = random_model(config_with_layers(2));
    Tensor tokens = tokens_in(0, 10), other = tokens_in(10, 20, 6);
    Interventions hooks;
    hooks.replace(Site::RESID_PRE, 1, embedding(model.W_E, other));
    backward(mean_loss(forward(model, tokens, &hooks), tokens));
    const Tensor& grad_e = model.W_E.grad();  // [d_vocab, d_model]
    for (int32_t t : tokens.to_ints()) EXPECT_EQ(squared_norm(grad_e[t]), 0.0) << "blocked path, token " << t;
    for (int32_t t : other.to_ints()) EXPECT_GT(squared_norm(grad_e[t]), 0.0) << "replacement path, token " << t;
    EXPECT_EQ(squared_norm(model.blocks[0].attn.W_V.grad()), 0.0);
    EXPECT_GT(squared_norm(model.blocks[1].attn.W_V.grad()), 0.0);
}

TEST(Interventions, GradientThroughAPartialReplacementIsExact) {
    // f64 gradcheck of the losses as a function of a one-head, position-range replacement of z.
    Transformer model = random_model(config_with_layers(2), DType::F64);
    Tensor tokens = tokens_in(0, V);
    const int64_t begin = 2, end = 5;
    auto losses = [&](const std::vector<Var>& inputs) {
        Interventions hooks;
        hooks.replace(Site::Z, 0, inputs[0], 1, begin, end);
        return next_token_losses(forward(model, tokens, &hooks), tokens);
    };
    Tensor z_head = random_tensor({B, T, DH}, DType::F64, 7);
    EXPECT_TRUE(testing::gradient_ok(losses, {z_head}));

    Var z(z_head, true);
    backward(mean(reshape(losses({z}), {B * (T - 1)}), 0));
    Tensor grad = z.grad();
    EXPECT_EQ(squared_norm(slice(grad, 1, 0, begin)) + squared_norm(slice(grad, 1, end, T)), 0.0);
    EXPECT_GT(squared_norm(slice(grad, 1, begin, end)), 0.0);
}

TEST(Interventions, ReportsMisuseNamingTheHook) {
    Transformer model = random_model(config_with_layers(2));
    Tensor tokens = tokens_in(0, V);
    auto forward_with = [&](Interventions& hooks) { forward(model, tokens, &hooks); };
    {
        Interventions hooks;
        hooks.replace(Site::PATTERN, 1, Var(Tensor::zeros({B, T, T})), 7);
        EXPECT_THROW_MESSAGE(forward_with(hooks), "interventions: head 7 out of range at blocks.1.attn.hook_pattern");
    }
    {
        Interventions hooks;
        hooks.scale(Site::Z, 0, -2, 0.0);
        EXPECT_THROW_MESSAGE(forward_with(hooks), "head -2 out of range at blocks.0.attn.hook_z");
    }
    EXPECT_THROW_MESSAGE(Interventions().replace(Site::RESID_PRE, 0, Var(Tensor::zeros({B, T, D})), 1),
                         "blocks.0.hook_resid_pre has no heads (got head 1)");
    EXPECT_THROW_MESSAGE(Interventions().scale(Site::ATTN_OUT, 1, 0, 0.0), "blocks.1.hook_attn_out has no heads");
    EXPECT_THROW_MESSAGE(Interventions().replace(Site::RESULT, 0, Var(Tensor::zeros({B, T, H, D}))),
                         "blocks.0.attn.hook_result can only be captured");
    EXPECT_THROW_MESSAGE(Interventions().scale(Site::RESULT, 0, 1, 0.0), "can only be captured");
    EXPECT_THROW_MESSAGE(Interventions().replace(Site::Z, 0, Var()), "replace at blocks.0.attn.hook_z needs a value");
    {
        Interventions hooks;
        hooks.replace(Site::Z, 0, Var(Tensor::zeros({B, T, DH + 1})), 1);
        EXPECT_THROW_MESSAGE(forward_with(hooks), "replacement for blocks.0.attn.hook_z is f32[2, 1, 8, 5], "
                                                  "expected shape [2, 1, 8, 4]");
    }
    {  // a whole-site value passed with a head index
        Interventions hooks;
        hooks.replace(Site::Z, 0, Var(Tensor::zeros({B, H, T, DH})), 1);
        EXPECT_THROW_MESSAGE(forward_with(hooks), "replacement for blocks.0.attn.hook_z");
    }
    {
        Interventions hooks;
        hooks.replace(Site::ATTN_OUT, 1, Var(Tensor::zeros({B, T, D}, DType::F64)));
        EXPECT_THROW_MESSAGE(forward_with(hooks), "replacement for blocks.1.hook_attn_out is f64[2, 8, 16], "
                                                  "expected dtype f32");
    }
    for (auto [begin, end] : {std::pair<int64_t, int64_t>{3, 20}, {5, 3}, {-1, 2}}) {
        Interventions hooks;
        hooks.scale(Site::Z, 0, 1, 0.0, begin, end);
        EXPECT_THROW_MESSAGE(forward_with(hooks), "interventions: positions [" + std::to_string(begin) + ", " +
                                                      std::to_string(end) + ") out of range at blocks.0.attn.hook_z (T = 8)");
    }
    Interventions nothing;
    nothing.capture(Site::Z, 0);
    forward_with(nothing);
    EXPECT_THROW_MESSAGE(nothing.captured(Site::Z, 1), "nothing captured at blocks.1.attn.hook_z");
}

}  // namespace
}  // namespace induction
