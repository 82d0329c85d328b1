// hand_built.h — transformers whose weights are set by hand, so that what each head does is
// known exactly: the behaviour tests of the evaluators (METHODS §3), ablations (§5) and circuit
// measures (§4) run on them, and they make small demos.
//
// make_induction_model: the two-layer induction circuit of [F]/[O] in its cleanest form.
//   Attention-only, no LayerNorm, position-infused attention ("shortformer", METHODS §1.4 i)
//   with one-hot positions. The residual stream has three orthogonal subspaces:
//     TOKEN     [0, V)            the current token, one-hot (W_E), read by W_U;
//     PREVIOUS  [V, 2V)           the previous token, one-hot, written by the layer-0 head;
//     POSITION  [2V, 2V + n_ctx)  position p, one-hot — only in W_pos, which PIA adds to the
//                                 query/key inputs, never to the residual stream.
//   Layer 0, head 0 — previous-token head: attends p → p−1 (query = position p, key = position
//     p−1), copies the attended token's TOKEN one-hot into PREVIOUS.
//   Layer 1, head 0 — induction head (K-composition): query = current TOKEN, key = PREVIOUS, so p
//     attends to every q whose previous token equals its own token (with a smaller bonus for
//     position 0, where it rests when nothing matches, like a BOS sink); its OV copies the
//     attended token's TOKEN one-hot into TOKEN, raising that token's logit by copy_strength.
//   Every other head has zero weights: it attends uniformly and writes nothing.
//   Intended margins are attention_gap logits, so patterns are one-hot to ~e^-gap.
//   Position 0 has no previous token; the layer-0 head attends to itself there, so position 0's
//   key says "previous token = t_0". Sequences should start with a token that does not recur
//   (BOS), as the evaluators' prefix examples do.
//
// make_copying_model: the toy of METHODS §3.1's unit tests — one layer, one head, V <= d_model,
//   tied orthonormal embedding (W_E = [I_V 0], W_U = W_E^T), W_V = I and W_OV = the given
//   matrix; queries and keys are zero (uniform attention) unless a pattern is imposed.
#pragma once

#include "model/transformer.h"

namespace induction {

struct InductionModelOptions {
    int d_vocab = 64;
    int n_ctx = 128;
    int n_heads = 2;              // head 0 of each layer works; the rest do nothing
    double attention_gap = 20.0;  // score margin (after 1/sqrt(d_head)) of the intended source
    double copy_strength = 20.0;  // logit the induction head adds to the attended token
};

// Where the working heads of make_induction_model sit (0-based).
constexpr int HAND_BUILT_PREVIOUS_TOKEN_LAYER = 0;
constexpr int HAND_BUILT_INDUCTION_LAYER = 1;
constexpr int HAND_BUILT_WORKING_HEAD = 0;

Transformer make_induction_model(const InductionModelOptions& options = {});

// ov: [d_model, d_model], the head's W_OV in the column convention of METHODS §0 (the residual
// direction written per unit of the one read). d_vocab <= d_model.
Transformer make_copying_model(const Tensor& ov, int d_vocab, int n_ctx = 128);

}  // namespace induction
