// clamp.h — clamps: declarative schedules that overwrite activations while a model trains or is
// evaluated ("artificial optogenetics", METHODS §8.5–§8.6).
//
// A clamp names a site (activation kind, layer, heads, positions or an element mask), a value and
// when it is active; at its site the forward pass computes  a ← where(mask, value, a). The
// gradient follows §8.5: masked entries get none through their own computation; a constant value
// (zero, a given array, an ideal previous-token or induction pattern, another checkpoint's
// activation) is a constant; a value from another pass of the same model (a pass with its own
// clamps, this pass's embeddings, the perfect-copy logits) stays differentiable — unless the
// clamp says stop_gradient. Every row of the §8.6 catalogue is a short list of clamps; the
// catalogue in analysis/clamp_catalogue.h spells them out. The JSON form is documented in
// README.md ("Clamp schedules") and is what `induction clamp --spec FILE` reads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/interventions.h"
#include "model/io/json.h"
#include "model/transformer.h"

namespace induction {

enum class ClampValueKind {
    ZERO,                // 0 (head ablation when the site is v)
    CONSTANT,            // a given array: one sequence's (and one head's) slice, repeated over the batch
    PREVIOUS_TOKEN,      // pattern: A[0,0] = 1; A[p,p−1] = s, A[p,p] = 1 − s
    INDUCTION,           // pattern, query row: s on the label token whose label is y_q, 1 − s on the other
    PERFECT_COPY,        // logits at the query: [y_n] = head's pre-softmax score (query → label token n)
    PASS,                // the same site (or another) of another pass of this model on the same input
    EMBEDDINGS,          // the residual stream entering block 0 (this pass's)
    SHIFTED_EMBEDDINGS,  // E'_p = E_{p−1} for 0 < p < T−1, E'_0 = E_0, E'_{T−1} = E_{T−1}
    CHECKPOINT,          // the same site of another model (a checkpoint), a constant ("graft")
};
const char* clamp_value_name(ClampValueKind kind);

struct ClampSchedule;

struct ClampValue {
    ClampValueKind kind = ClampValueKind::ZERO;
    double strength = 1.0;             // s of PREVIOUS_TOKEN and INDUCTION
    std::vector<double> data;          // CONSTANT, row-major over data_shape
    Shape data_shape;
    int source_layer = -1, source_head = -1;  // PERFECT_COPY: the head whose scores become logits
    // PASS and PERFECT_COPY: the clamps of the other pass (a plain pass when empty). PERFECT_COPY
    // without one reads the scores of this very pass.
    std::shared_ptr<ClampSchedule> pass;
    bool has_pass_site = false;        // PASS: read this site of the other pass instead of the clamp's own
    Site pass_site = Site::PATTERN;
    int pass_layer = 0;
    bool docstring_shift = false;      // SHIFTED_EMBEDDINGS: [0, E_0, 0, E_2, E_4] (the [SC] docstring)
    std::string checkpoint;            // CHECKPOINT: path of the other model's safetensors
};

struct Clamp {
    std::string name;              // free text, for logs and reports
    Site site = Site::PATTERN;
    std::vector<int> layers;       // empty: every layer (ignored for LOGITS)
    std::vector<int> heads;        // empty: every head (sites with heads only)
    std::vector<int> positions;    // empty: every position (pattern and scores: query rows)
    std::vector<double> mask;      // optional element mask over one head's per-sequence slice, 1 = clamp
    Shape mask_shape;
    ClampValue value;
    int64_t first_step = 0, end_step = -1;  // active for first_step <= step < end_step (-1: no end)
    // Strength ramp: over ramp_steps steps after first_step the strength s (PREVIOUS_TOKEN,
    // INDUCTION) or the mixing weight w of any other value (a ← w·value + (1−w)·a on the mask)
    // rises linearly from ramp_from to its full value.
    int64_t ramp_steps = 0;
    double ramp_from = 0.0;
    bool stop_gradient = false;    // detach values from other passes (constants are always detached)

    bool active_at(int64_t step) const { return step >= first_step && (end_step < 0 || step < end_step); }
};

struct ClampSchedule {
    std::vector<Clamp> clamps;

    bool empty() const { return clamps.empty(); }
    json::Value to_json() const;
    // Unknown keys, sites, value kinds and out-of-range fields are errors naming source and field.
    static ClampSchedule from_json(const json::Value& value, const std::string& source = "clamp spec");
    // Checks layers and heads against a model (what from_json cannot know), naming source.
    void validate_for(const ModelConfig& config, const std::string& source) const;
};

// What a clamped forward pass needs from the model family it runs (language model or few-shot).
struct ClampedModel {
    const Transformer* model = nullptr;
    std::function<Var()> embed;                    // the residual stream entering block 0, [B, T, d_model]
    std::function<Var(const Var&)> readout;        // the final residual stream → logits (hooked at LOGITS)
    Tensor labels;   // i32 [B, T]: label ids at label positions (INDUCTION, PERFECT_COPY; few-shot only)
    Tensor targets;  // i32 [B]: the query's label y_q
    // CHECKPOINT values: another model's activation at a site on the same input (a constant).
    std::function<Var(const std::string& checkpoint, Site site, int layer)> other_model;
};

// A CHECKPOINT value: the activation at (site, layer) of the model saved at `checkpoint` when
// `forward` runs it on the caller's inputs, as a constant. The model is loaded once per process
// and path (a file rewritten under the same path later is not read again).
using CheckpointForward = std::function<void(const Transformer& other, Interventions& capture)>;
Var checkpoint_activation(const std::string& checkpoint, Site site, int layer, const CheckpointForward& forward);

// The forward pass with every clamp of `schedule` that is active at `step` (and whatever the
// caller's interventions ask, e.g. captures). Returns the logits. The clamps are added to
// `interventions` as transforms that live for this one pass: give each pass a fresh value.
Var clamped_forward(const ClampSchedule& schedule, int64_t step, const ClampedModel& model,
                    Interventions& interventions);

// Site names of the JSON form ("pattern", "v", "resid_post", "logits", ...).
const char* clamp_site_name(Site site);

}  // namespace induction
