// transformer.cpp — initialisation and the forward pass (METHODS §1.1–1.6).
#include "model/transformer.h"

#include <cmath>

#include "autograd/functions.h"
#include "tensor/rng.h"

namespace induction {

namespace {

Var parameter(Tensor value, bool trainable = true) { return Var(std::move(value), trainable); }

// Site hook: a no-op unless interventions were given.
Var hook(Interventions* interventions, Site site, int layer, const Var& x) {
    return interventions ? interventions->apply(site, layer, x) : x;
}

// [B, T, H * d_head] → [B, H, T, d_head]
Var split_heads(const Var& x, int64_t B, int64_t T, int64_t H, int64_t d_head) {
    return permute(reshape(x, {B, T, H, d_head}), {0, 2, 1, 3});
}

// W: [H, d_model, d_head] → [d_model, H * d_head], so all heads project in one GEMM.
Var fuse_heads(const Var& W) {
    const Shape& s = W.shape();
    return reshape(permute(W, {1, 0, 2}), {s[1], s[0] * s[2]});
}

Var normalise(const ModelConfig& config, const Var& x, const Var& w, const Var& b) {
    return config.has_layer_norm() ? layer_norm(x, w, b) : x;
}

// The attention pattern [B, H, T, T] of one layer, from the queries and keys.
Var attention_pattern(const ModelConfig& config, const AttentionParams& p, int layer, const Var& qk_input,
                      Triangle scores_mask, Interventions* interventions) {
    const int64_t B = qk_input.size(0), T = qk_input.size(1), H = config.n_heads, dh = config.d_head;
    Var q = split_heads(matmul(qk_input, fuse_heads(p.W_Q)), B, T, H, dh);  // [B, H, T, dh]
    Var k = split_heads(matmul(qk_input, fuse_heads(p.W_K)), B, T, H, dh);
    if (config.smear_keys) {
        // k̃_j = σ(α) k_j + (1 − σ(α)) k_{j−1}, k̃_0 = k_0 (METHODS §1.6)
        Var mix = reshape(sigmoid(p.smear_alpha), {1, H, 1, 1});
        Var previous = shift(k, 2, /*replicate_first=*/true);
        k = add(previous, mul(mix, sub(k, previous)));
    }
    if (config.rotary()) {
        q = rotary_embedding(q);
        k = rotary_embedding(k);
    }
    q = hook(interventions, Site::Q, layer, q);
    k = hook(interventions, Site::K, layer, k);
    // Scaling q by 1/sqrt(d_head) is cheaper than scaling the [T, T] scores and gives the same.
    Var scores = matmul(scale(q, 1.0 / std::sqrt(double(dh))), k, false, true,
                        {.c = scores_mask});  // [B, H, T, T]
    scores = hook(interventions, Site::SCORES, layer, scores);
    return softmax(scores, /*causal=*/true, config.windows_of_layer(layer));
}

Var attention(const ModelConfig& config, const AttentionParams& p, int layer, const Var& u,
              const Var& positions, Interventions* interventions) {
    const int64_t B = u.size(0), T = u.size(1), H = config.n_heads, dh = config.d_head;
    Var v = split_heads(matmul(u, fuse_heads(p.W_V)), B, T, H, dh);  // [B, H, T, dh]
    v = hook(interventions, Site::V, layer, v);
    // Causal attention never uses scores above the diagonal, and its pattern is zero there: both
    // products skip that triangle (tensor/triangle.h). Hooked scores stay the full, unmasked
    // matrix; a replaced pattern may be anything, so pattern × v then reads all of it.
    const Triangle scores_mask =
        interventions && interventions->wants(Site::SCORES, layer) ? Triangle::FULL : Triangle::LOWER;
    const Triangle pattern_mask =
        interventions && interventions->replaces(Site::PATTERN, layer) ? Triangle::FULL : Triangle::LOWER;
    // When every head's pattern is given whole and nobody looks at the queries, keys or scores,
    // they would only be thrown away: a frozen-pattern pass (METHODS §5.2) skips them.
    const bool pattern_given = interventions && interventions->replaces_whole(Site::PATTERN, layer) &&
                               !interventions->wants(Site::Q, layer) &&
                               !interventions->wants(Site::K, layer) &&
                               !interventions->wants(Site::SCORES, layer);
    // Position-infused attention: positions join the query/key inputs only (METHODS §1.4 i).
    Var pattern = pattern_given ? interventions->whole_replacement(Site::PATTERN, layer)
                                : attention_pattern(config, p, layer,
                                                    positions.defined() ? add(u, positions) : u,
                                                    scores_mask, interventions);
    check(pattern.shape() == Shape({B, H, T, T}), "blocks.", layer, ".attn.hook_pattern: the given pattern is ",
          describe(pattern.value()), ", expected [", B, ", ", H, ", ", T, ", ", T, "]");
    pattern = hook(interventions, Site::PATTERN, layer, pattern);
    Var z = matmul(pattern, v, false, false, {.a = pattern_mask});  // [B, H, T, dh]
    z = hook(interventions, Site::Z, layer, z);
    Var z_rows = reshape(permute(z, {0, 2, 1, 3}), {B, T, H * dh});
    if (interventions && interventions->wants(Site::RESULT, layer)) {
        NoGrad no_grad;  // r^h = W_O^h z^h for each head: [H, B*T, dh] x [H, dh, d_model]
        Var z_by_head = reshape(permute(z, {1, 0, 2, 3}), {H, B * T, dh});
        Var result = reshape(matmul(z_by_head, p.W_O), {H, B, T, config.d_model});
        interventions->apply(Site::RESULT, layer, permute(result, {1, 2, 0, 3}));
    }
    Var out = matmul(z_rows, reshape(p.W_O, {H * dh, config.d_model}));  // [B, T, d_model]
    return hook(interventions, Site::ATTN_OUT, layer, out);
}

Var mlp(const ModelConfig& config, const BlockParams& p, const Var& u) {
    Var hidden = add(matmul(u, p.W_in), p.b_in);
    hidden = config.act_fn == "relu" ? relu(hidden) : gelu(hidden);
    return add(matmul(hidden, p.W_out), p.b_out);
}

}  // namespace

std::vector<NamedParameter> Transformer::parameters() {
    std::vector<NamedParameter> list;
    auto add_parameter = [&](std::string name, Var& v) {
        if (v.defined()) list.push_back({std::move(name), &v, v.value().ndim() >= 2});
    };
    add_parameter("embed.W_E", W_E);
    add_parameter("exemplar_embed.W_x", W_x);
    add_parameter("exemplar_embed.b_x", b_x);
    add_parameter("pos_embed.W_pos", W_pos);
    for (size_t l = 0; l < blocks.size(); ++l) {
        std::string prefix = "blocks." + std::to_string(l) + ".";
        BlockParams& b = blocks[l];
        add_parameter(prefix + "ln1.w", b.ln1_w);
        add_parameter(prefix + "ln1.b", b.ln1_b);
        add_parameter(prefix + "attn.W_Q", b.attn.W_Q);
        add_parameter(prefix + "attn.W_K", b.attn.W_K);
        add_parameter(prefix + "attn.W_V", b.attn.W_V);
        add_parameter(prefix + "attn.W_O", b.attn.W_O);
        add_parameter(prefix + "attn.smear_alpha", b.attn.smear_alpha);
        add_parameter(prefix + "ln2.w", b.ln2_w);
        add_parameter(prefix + "ln2.b", b.ln2_b);
        add_parameter(prefix + "mlp.W_in", b.W_in);
        add_parameter(prefix + "mlp.b_in", b.b_in);
        add_parameter(prefix + "mlp.W_out", b.W_out);
        add_parameter(prefix + "mlp.b_out", b.b_out);
    }
    add_parameter("ln_final.w", ln_final_w);
    add_parameter("ln_final.b", ln_final_b);
    add_parameter("unembed.W_U", W_U);
    add_parameter("unembed.b_U", b_U);
    return list;
}

int64_t Transformer::parameter_count() {
    int64_t n = 0;
    for (const NamedParameter& p : parameters()) n += p.var->value().numel();
    return n;
}

Tensor sinusoidal_positions(int64_t n_ctx, int64_t d_model, DType dtype) {
    std::vector<double> table(size_t(n_ctx * d_model));
    for (int64_t p = 0; p < n_ctx; ++p)
        for (int64_t i = 0; i < d_model; ++i) {
            double angle = double(p) / std::pow(10000.0, double(i - i % 2) / double(d_model));
            table[size_t(p * d_model + i)] = i % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    return Tensor::from_vector({n_ctx, d_model}, table, dtype);
}

// RoPE (METHODS §1.4 iii) as  x ⊙ cos + (x S) ⊙ sin: S maps each pair (a, b) to (−b, a), and the
// tables repeat cos θ and sin θ over both members of a pair. Four differentiable ops, constants
// built once per call (they are [T, d_head], tiny next to the activations).
Var rotary_embedding(const Var& x) {
    const int64_t T = x.size(x.value().ndim() - 2), dh = x.size(x.value().ndim() - 1);
    check(dh % 2 == 0, "rotary_embedding: d_head must be even, got ", dh);
    std::vector<double> cos_table(size_t(T * dh)), sin_table(size_t(T * dh)), swap(size_t(dh * dh), 0.0);
    for (int64_t p = 0; p < T; ++p)
        for (int64_t i = 0; i < dh; ++i) {
            double theta = double(p) / std::pow(10000.0, double(i - i % 2) / double(dh));
            cos_table[size_t(p * dh + i)] = std::cos(theta);
            sin_table[size_t(p * dh + i)] = std::sin(theta);
        }
    for (int64_t i = 0; i < dh; i += 2) {  // row = input index, column = output index
        swap[size_t((i + 1) * dh + i)] = -1.0;  // output 2i   = −b
        swap[size_t(i * dh + i + 1)] = 1.0;     // output 2i+1 = a
    }
    const DType dtype = x.dtype();
    Var cos_theta(Tensor::from_vector({T, dh}, cos_table, dtype).to(x.value().device()));
    Var sin_theta(Tensor::from_vector({T, dh}, sin_table, dtype).to(x.value().device()));
    Var pair_swap(Tensor::from_vector({dh, dh}, swap, dtype).to(x.value().device()));
    Var swapped = reshape(matmul(reshape(x, {x.value().numel() / dh, dh}), pair_swap), x.shape());
    return add(mul(x, cos_theta), mul(swapped, sin_theta));
}

Transformer make_transformer(const ModelConfig& config, uint64_t seed, DType dtype) {
    config.validate();
    Rng rng(seed);
    const int64_t D = config.d_model, H = config.n_heads, dh = config.d_head, V = config.d_vocab;
    auto normal = [&](Shape shape, double stddev) {
        return parameter(rng.normal(shape, 0, stddev, dtype));
    };
    auto constant = [&](Shape shape, double value) {
        return parameter(Tensor::full(shape, value, dtype));
    };
    double output_scale = config.scale_output_init ? 1.0 / std::sqrt(2.0 * config.n_layers) : 1.0;

    Transformer m;
    m.config = config;
    m.W_E = normal({V, D}, config.embed_init_range);
    if (!config.rotary())
        m.W_pos = config.fixed_positions ? parameter(sinusoidal_positions(config.n_ctx, D, dtype), false)
                                         : normal({config.n_ctx, D}, config.init_range);
    for (int l = 0; l < config.n_layers; ++l) {
        BlockParams b;
        if (config.has_layer_norm()) {
            b.ln1_w = constant({D}, 1.0);
            b.ln1_b = constant({D}, 0.0);
        }
        b.attn.W_Q = normal({H, D, dh}, 1.0 / std::sqrt(double(D)));
        b.attn.W_K = normal({H, D, dh}, 1.0 / std::sqrt(double(D)));
        b.attn.W_V = normal({H, D, dh}, 1.0 / std::sqrt(double(D)));
        b.attn.W_O = normal({H, dh, D}, output_scale / std::sqrt(double(H * dh)));
        if (config.smear_keys) b.attn.smear_alpha = constant({H}, config.smear_alpha_init);
        if (!config.attn_only) {
            if (config.has_layer_norm()) {
                b.ln2_w = constant({D}, 1.0);
                b.ln2_b = constant({D}, 0.0);
            }
            b.W_in = normal({D, config.d_mlp}, 1.0 / std::sqrt(double(D)));
            b.b_in = constant({config.d_mlp}, 0.0);
            b.W_out = normal({config.d_mlp, D}, output_scale / std::sqrt(double(config.d_mlp)));
            b.b_out = constant({D}, 0.0);
        }
        m.blocks.push_back(b);
    }
    if (config.has_layer_norm()) {
        m.ln_final_w = constant({D}, 1.0);
        m.ln_final_b = constant({D}, 0.0);
    }
    if (config.d_exemplar > 0) {
        m.W_x = normal({config.d_exemplar, D}, 1.0 / std::sqrt(double(config.d_exemplar)));
        m.b_x = constant({D}, 0.0);
    }
    m.W_U = normal({D, V}, config.init_range);
    m.b_U = constant({V}, 0.0);
    return m;
}

Var embed(const Transformer& model, const Tensor& tokens) {
    const ModelConfig& config = model.config;
    check(tokens.dtype() == DType::I32 && tokens.ndim() == 2, "forward: tokens must be i32 [batch, T], ",
          "got ", describe(tokens));
    const int64_t T = tokens.size(1);
    check(T >= 1 && T <= config.n_ctx, "forward: sequence length ", T, " outside [1, n_ctx = ",
          config.n_ctx, "]");
    Var x = embedding(model.W_E, tokens);  // [B, T, d_model]
    return config.positional_embedding_type == "standard" ? add(x, slice(model.W_pos, 0, 0, T)) : x;
}

Var run_blocks(const Transformer& model, Var x, int first_layer, Interventions* interventions) {
    const ModelConfig& config = model.config;
    check(first_layer >= 0 && first_layer <= config.n_layers, "run_blocks: first layer ", first_layer,
          " outside [0, ", config.n_layers, "]");
    check(x.value().ndim() == 3 && x.size(2) == config.d_model && x.size(1) <= config.n_ctx,
          "run_blocks: residual stream must be [batch, T <= n_ctx, d_model = ", config.d_model, "], got ",
          describe(x.value()));
    Var positions = config.position_infused() ? slice(model.W_pos, 0, 0, x.size(1)) : Var();  // [T, d_model]
    for (int l = first_layer; l < config.n_layers; ++l) {
        const BlockParams& b = model.blocks[size_t(l)];
        x = hook(interventions, Site::RESID_PRE, l, x);
        Var u = normalise(config, x, b.ln1_w, b.ln1_b);
        Var attn_out = attention(config, b.attn, l, u, positions, interventions);
        x = hook(interventions, Site::RESID_MID, l, add(x, attn_out));
        if (!config.attn_only) {
            Var mlp_out = mlp(config, b, normalise(config, x, b.ln2_w, b.ln2_b));
            x = add(x, hook(interventions, Site::MLP_OUT, l, mlp_out));
        }
        x = hook(interventions, Site::RESID_POST, l, x);
    }
    return x;
}

Var unembed(const Transformer& model, const Var& x) {
    Var normalised = normalise(model.config, x, model.ln_final_w, model.ln_final_b);
    return add(matmul(normalised, model.W_U), model.b_U);
}

Var forward(const Transformer& model, const Tensor& tokens, Interventions* interventions) {
    Var residual = run_blocks(model, embed(model, tokens), 0, interventions);
    return hook(interventions, Site::LOGITS, 0, unembed(model, residual));  // [B, T, d_vocab]
}

Var next_token_losses(const Var& logits, const Tensor& tokens) {
    const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
    check(tokens.shape() == Shape({B, T}), "next_token_losses: tokens ", describe(tokens),
          " for logits ", describe(logits.value()));
    check(T >= 2, "next_token_losses: need at least 2 positions, got ", T);
    // Position p is scored against token p + 1; the last position has no target and is ignored,
    // which avoids copying the logits to drop it. The targets are made with ops (tokens shifted
    // left by one, NO_TARGET appended), so they never leave the tokens' device.
    constexpr int32_t NO_TARGET = -1;
    Tensor none = Tensor::full({B, 1}, NO_TARGET, DType::I32, tokens.device());
    Tensor next = concat({slice(tokens, 1, 1, T), none}, 1).reshape({B * T});  // [B * T]
    Var losses = cross_entropy(reshape(logits, {B * T, V}), next, NO_TARGET);
    return slice(reshape(losses, {B, T}), 1, 0, T - 1);
}

}  // namespace induction
