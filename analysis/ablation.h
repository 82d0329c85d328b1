// ablation.h — take heads out of a model and measure the per-token losses (METHODS §5.1–§5.3).
//
// Three ablations of a set of heads, each a second forward pass that differs from the clean one:
//   FULL                (§5.1)  the heads' result vectors are zero; everything downstream is
//                               recomputed (later queries, keys, values and patterns change);
//   PATTERN_PRESERVING  (§5.2)  the heads' result vectors are zero, and every head of every layer
//                               keeps the clean run's attention pattern: only values downstream
//                               change ([O]'s Model Analysis Table);
//   VALUE_PRESERVING    (§5.3)  the heads' values are zero, and every other head keeps the clean
//                               run's values: queries and keys are recomputed ([S]/[SC]).
//
// Two implementations that must agree (tests/analysis/test_ablation.cpp):
//   ablated_losses_two_pass — the definition, literally: a clean pass that captures what is
//       frozen, then a whole second forward pass with the interventions;
//   ablation_sweep          — one clean pass per batch serves every head set. Each ablated pass
//       starts at the first ablated layer from the clean residual stream (the layers below are
//       untouched); with frozen patterns it computes no queries, keys or softmax; in an
//       attention-only model with frozen patterns, the residual stream leaving the first ablated
//       layer is the clean one minus the ablated heads' clean result vectors, so that layer is
//       not recomputed at all; and the unembedding (the largest product) runs only on the
//       positions that are scored.
#pragma once

#include <string>
#include <vector>

#include "model/transformer.h"

namespace induction {

enum class AblationMode { FULL, PATTERN_PRESERVING, VALUE_PRESERVING };

// "full" | "pattern" | "value" (the CLI's and the metrics' spelling).
const char* ablation_mode_name(AblationMode mode);
AblationMode ablation_mode_from_name(const std::string& name);  // throws listing the names

struct HeadRef {
    int layer = 0, head = 0;
    bool operator==(const HeadRef&) const = default;
};
using HeadSet = std::vector<HeadRef>;  // heads ablated together, in one pass

std::string head_set_name(const HeadSet& heads);  // "1.0+1.2" (layer.head, 0-based)
// Every head of the model on its own, layer by layer.
std::vector<HeadSet> single_heads(const ModelConfig& config);
// Parses "L.H,L.H,..." (0-based) into one set; errors name the text and the model's range.
HeadSet parse_head_set(const std::string& text, const ModelConfig& config);

// tokens: i32 [N, T] → per-token losses [N, T-1] in the model's dtype (entry [n, p] is the loss
// of predicting tokens[n, p+1]), with `heads` ablated as `mode` says; two forward passes per batch.
Tensor ablated_losses_two_pass(const Transformer& model, const Tensor& tokens, const HeadSet& heads,
                               AblationMode mode, int64_t batch_size = 16);

// The loss-matrix columns a measurement reads: i32 [N, P], row n listing P columns in [0, T-2]
// (repeats allowed). every_column() lists all T-1 columns in every row.
Tensor every_column(int64_t n_rows, int64_t T);

struct AblationSweep {
    Tensor clean;                 // [N, T-1] every clean per-token loss, from the sweep's clean pass
    std::vector<Tensor> ablated;  // per head set: [N, P] the losses at `columns`, ablated
};

// Every head set of `sets` ablated in turn on the same tokens (model dtype throughout).
AblationSweep ablation_sweep(const Transformer& model, const Tensor& tokens, const Tensor& columns,
                             const std::vector<HeadSet>& sets, AblationMode mode,
                             int64_t batch_size = 16);

// One head set, all columns: the fast counterpart of ablated_losses_two_pass.
Tensor ablated_losses(const Transformer& model, const Tensor& tokens, const HeadSet& heads,
                      AblationMode mode, int64_t batch_size = 16);

// losses: [N, T-1] → [N, P], entry [n, k] = losses[n, columns[n, k]].
Tensor pick_columns(const Tensor& losses, const Tensor& columns);

}  // namespace induction
