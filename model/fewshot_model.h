// fewshot_model.h — the few-shot classification model of Singh et al. 2024 (METHODS §8.3).
//
// A Transformer (model/transformer.h) with two differences at its ends: exemplar tokens enter
// through a learned linear map W_x e + b_x and label tokens through the embedding W_E (d_vocab =
// L labels); the output head reads the query, the last position, only. In between it is the
// ordinary forward pass, so every hook and intervention (and every clamp) works unchanged.
// The paper's settings: 2 layers, 8 heads, d_model 64, d_head 8, pre-LN with a final LN, RoPE on
// q and k, attention-only, no attention biases; LeCun-normal weights (truncated at ±2σ), W_E
// truncated normal σ = 0.02, zero biases.
#pragma once

#include <cstdint>
#include <vector>

#include "model/clamp.h"
#include "model/transformer.h"

namespace induction {

// What the model reads and the metrics need, for b sequences of T = 2N + 1 tokens (made by
// train/fewshot_task.h from a sequence set).
struct FewShotInputs {
    Tensor exemplars;   // [b, T, D]: exemplar features at even positions, zeros at label positions
    Tensor labels;      // i32 [b, T]: the label id at odd positions, 0 at even positions
    Tensor is_label;    // [b, T, 1]: 1 at odd positions, 0 at even
    Tensor targets;     // i32 [b]: y_q
    Tensor in_context;  // [b, L]: 1 for labels present in the context, 0 otherwise
    Tensor correct;     // i32 [b]: the pair whose class is the query's (its label sits at 2·correct + 1)
};

// The §8.2 metrics of query logits [b, 1, L], means over the b sequences.
struct FewShotMetrics {
    double loss = 0;             // cross-entropy over all L labels
    double accuracy = 0;         // argmax over all L == y_q
    double in_context_accuracy = 0;  // the same, labels absent from the context masked out
    double in_context_probability = 0;
    double probability = 0;      // softmax probability of y_q
};
FewShotMetrics fewshot_metrics(const Tensor& logits, const FewShotInputs& inputs);
// The same per sequence (metrics over many batches, overlaps of errors between heads).
struct FewShotOutcomes {
    std::vector<double> loss, probability, in_context_probability;
    std::vector<double> correct, in_context_correct;  // 1 or 0
};
FewShotOutcomes fewshot_outcomes(const Tensor& logits, const FewShotInputs& inputs);
FewShotMetrics fewshot_metrics(const FewShotOutcomes& outcomes);

// The clamped model of one batch: embed, readout, labels and targets for model/clamp.h, and
// other checkpoints (grafts) run on the same inputs.
ClampedModel fewshot_clamped_model(const Transformer& model, const FewShotInputs& inputs);

// Every sequence of the chunks scored with the schedule's clamps active at `step` (no gradient).
// A probe, when given, asks for captures before each chunk's pass and reads them after it.
struct ChunkProbe {
    std::function<void(Interventions&)> before;
    std::function<void(const Interventions&, const FewShotInputs&)> after;
};
FewShotOutcomes fewshot_outcomes(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                                 const ClampSchedule& clamps, int64_t step, const ChunkProbe& probe = {});

// The training loss: mean cross-entropy of the query logits [b, 1, L] against y_q.
Var fewshot_loss(const Var& logits, const Tensor& targets);

// The §8.3 architecture for exemplars of `feature_dim` features, `labels` labels and sequences
// of `n_ctx` tokens (2 context pairs + the query = 5 in the main task).
ModelConfig fewshot_model_config(int feature_dim, int labels, int n_ctx = 5);

// A freshly initialised few-shot model (§8.3 initialisation), reproducible from init_seed.
Transformer make_fewshot_model(const ModelConfig& config, uint64_t init_seed, DType dtype = DType::F32);

// The residual stream entering block 0, [B, T, d_model]: W_x e_p + b_x where is_label_p = 0,
// W_E[label_p] where it is 1.  exemplars [B, T, D]; labels i32 [B, T]; is_label [B, T, 1].
Var fewshot_embed(const Transformer& model, const Tensor& exemplars, const Tensor& labels, const Tensor& is_label);

// The final residual stream [B, T, d_model] → logits at the query, [B, 1, L].
Var fewshot_readout(const Transformer& model, const Var& residual);

// embed → blocks (with hooks) → readout; the LOGITS hook sees the query logits [B, 1, L].
Var fewshot_forward(const Transformer& model, const FewShotInputs& inputs, Interventions* interventions = nullptr);

}  // namespace induction
