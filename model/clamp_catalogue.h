// clamp_catalogue.h — the clamps of METHODS §8.6 as clamp schedules (model/clamp.h).
//
// Each function returns the clamps of one catalogue row; a run's schedule is their
// concatenation (join). Heads are (layer, head), 0-indexed; "layer 1" of the paper is layer 0.
#pragma once

#include <string>
#include <vector>

#include "model/clamp.h"

namespace induction {

struct HeadId {
    int layer = 0, head = 0;
};

// The schedules one after another (clamps at the same site apply in this order).
ClampSchedule join(const std::vector<ClampSchedule>& parts);

// PT attention clamp: head's pattern → the previous-token pattern of strength s, all rows (or
// the label rows 1 and 3 of the 5-token task only). Constant.
ClampSchedule previous_token_clamp(HeadId head, double strength = 1.0, bool label_rows_only = false);

// Induction (match) clamp: head's query row (position 4 of the 5-token task) → s on the label
// token carrying y_q, 1 − s on the other. Constant given the labels; induction strength 2s − 1.
ClampSchedule induction_clamp(HeadId head, double strength = 1.0);

// Perfect-copy clamp: the query logits ← head's pre-softmax scores to the label tokens (every
// other label −1e9), from this pass (or from `pass`, e.g. the layer-1 clamp's pass B).
ClampSchedule perfect_copy_clamp(HeadId head, const ClampSchedule& pass = {});

// Layer-1 clamp ("perfect previous-token input"): layer `input_layer`'s block output ← the
// embeddings shifted by one for computing the next layer's patterns (pass B), and ← the raw
// embeddings for everything else (pass C). The layers up to input_layer get no gradient.
ClampSchedule layer1_clamp(int input_layer = 0, bool docstring_shift = false);
// Layer 1 + copy: the layer-1 clamp, with the query logits from pass B's scores of `head`.
ClampSchedule layer1_copy_clamp(HeadId head, int input_layer = 0, bool docstring_shift = false);

// Head ablation: v of each head ← 0.
ClampSchedule ablate_heads(const std::vector<HeadId>& heads);
// Every head of `layer` but `keep` ablated (the [S] runs with one induction head active).
ClampSchedule only_heads_active(int layer, const std::vector<int>& keep, int n_heads);

// Preservation: every layer's `site` (pattern, v, q or k) taken from a first, unablated pass
// (differentiable). Put ablations after it so they override it for the ablated heads.
ClampSchedule preserve(Site site);
// Pattern-preserving / value-preserving ablation of heads (§5.2, §5.3): preservation, then the
// ablations.
ClampSchedule pattern_preserving_ablation(const std::vector<HeadId>& heads);
ClampSchedule value_preserving_ablation(const std::vector<HeadId>& heads);

// Graft: layer's block output ← another model's (a checkpoint), a constant.
ClampSchedule graft(const std::string& checkpoint, int layer = 0);

// The same clamps active only for steps [first, end) (end < 0: no end), with a strength ramp.
ClampSchedule during(ClampSchedule schedule, int64_t first, int64_t end, int64_t ramp_steps = 0,
                     double ramp_from = 0.0);

}  // namespace induction
