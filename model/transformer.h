// transformer.h — the transformer of METHODS §1: parameters, initialisation and the one forward
// pass used by training, evaluation and analysis alike.
//
// Attention-only or with MLPs, pre-LN or no normalisation, position-infused attention
// ("shortformer": positions added to the query/key inputs of every layer, never to the residual
// stream or the values) or standard learned positions, smeared keys, local heads. Parameters
// carry TransformerLens names and shapes (DESIGN.md), and there are no attention biases
// (METHODS §1.1), so head result vectors are exactly W_O z.
#pragma once

#include <string>
#include <vector>

#include "autograd/var.h"
#include "model/config.h"
#include "model/interventions.h"

namespace induction {

struct AttentionParams {
    Var W_Q, W_K, W_V;  // [n_heads, d_model, d_head]
    Var W_O;            // [n_heads, d_head, d_model]
    Var smear_alpha;    // [n_heads] (smeared-key models only)
};

struct BlockParams {
    Var ln1_w, ln1_b;  // [d_model] (LN models only)
    AttentionParams attn;
    Var ln2_w, ln2_b;  // [d_model] (MLP + LN models only)
    Var W_in, b_in;    // [d_model, d_mlp], [d_mlp]
    Var W_out, b_out;  // [d_mlp, d_model], [d_model]
};

struct NamedParameter {
    std::string name;  // TransformerLens name, e.g. "blocks.0.attn.W_Q"
    Var* var;
    bool weight_decay;  // matrices decay; biases, LayerNorm gains and α do not
};

struct Transformer {
    ModelConfig config;
    Var W_E;    // embed.W_E [d_vocab, d_model]
    Var W_pos;  // pos_embed.W_pos [n_ctx, d_model]
    std::vector<BlockParams> blocks;
    Var ln_final_w, ln_final_b;  // [d_model]
    Var W_U;  // unembed.W_U [d_model, d_vocab]
    Var b_U;  // unembed.b_U [d_vocab]
    Var W_x;  // exemplar_embed.W_x [d_exemplar, d_model] (few-shot models only, METHODS §8.3)
    Var b_x;  // exemplar_embed.b_x [d_model]

    // Every parameter the config uses, in a fixed order (the checkpoint and optimizer order).
    std::vector<NamedParameter> parameters();
    int64_t parameter_count();
};

// A freshly initialised model (METHODS §1.7), reproducible from the seed.
Transformer make_transformer(const ModelConfig& config, uint64_t seed, DType dtype = DType::F32);

// The sinusoidal table of METHODS §1.4: P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...).
Tensor sinusoidal_positions(int64_t n_ctx, int64_t d_model, DType dtype = DType::F32);

// RoPE (METHODS §1.4 iii): x [..., T, d_head] with pair (2i, 2i+1) at position p rotated by
// θ = p / 10000^(2i / d_head): (a, b) → (a cos θ − b sin θ, b cos θ + a sin θ).
Var rotary_embedding(const Var& x);

// tokens: i32 [B, T] with T <= n_ctx → logits [B, T, d_vocab].
Var forward(const Transformer& model, const Tensor& tokens, Interventions* interventions = nullptr);

// forward() in its three stages, for passes that start or stop part-way (ablations, METHODS §5):
//   embed:      tokens i32 [B, T] → the residual stream entering block 0, [B, T, d_model];
//   run_blocks: the residual stream entering block first_layer → the one leaving the last block
//               (first_layer = n_layers returns x unchanged), with the hooks of those blocks;
//   unembed:    any [..., d_model] rows of the final residual stream → logits [..., d_vocab]
//               (final LayerNorm and W_U; each row on its own, so rows may be picked first).
Var embed(const Transformer& model, const Tensor& tokens);
Var run_blocks(const Transformer& model, Var x, int first_layer, Interventions* interventions = nullptr);
Var unembed(const Transformer& model, const Var& x);

// Per-token next-token losses: position p predicts tokens[p + 1], so the result is [B, T - 1].
Var next_token_losses(const Var& logits, const Tensor& tokens);

}  // namespace induction
