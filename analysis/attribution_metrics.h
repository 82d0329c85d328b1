// attribution_metrics.h — a model's ablations over training as data (METHODS §5.4, §5.5): every
// head and every head group at every snapshot, written to DIR/metrics/<model>/ablations.json
// (format in analysis/metrics_schema.md).
#pragma once

#include <string>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/attribution.h"
#include "analysis/evaluators.h"
#include "model/io/json.h"

namespace induction {

// The head sets of [O]'s Argument 3, from the final snapshot's classes (§5.6): "induction",
// "previous-token" and "other" (every remaining head, anti-copying prefix heads included).
// Empty groups are left out.
struct HeadGroup {
    std::string name;
    HeadSet heads;
};
std::vector<HeadGroup> head_groups(const std::vector<HeadClass>& classes, int n_layers, int n_heads);

// One snapshot: the clean readings and one effect per single head (layer-major) and per group.
struct SnapshotAttribution {
    int64_t step = 0, tokens = 0;
    Estimate icl, icl_band;            // clean ICL amount per decade ([O] indices; [OURS] bands)
    double loss_random_token = 0;      // clean Loss(n_s) (§2.4)
    std::vector<double> random_token;  // clean v_s (§2.3)
    std::vector<AblationEffect> heads;
    std::vector<AblationEffect> groups;
};

// Reads one snapshot's sweep: sets = the single heads (layer-major), then the groups, in order.
SnapshotAttribution attribute_snapshot(const AblationSweep& sweep, const AttributionColumns& columns,
                                       size_t n_single_heads, const BootstrapPlan& plan);

struct AttributionSettings {
    AblationMode mode = AblationMode::PATTERN_PRESERVING;
    int n_layers = 0, n_heads = 0;
    std::vector<HeadGroup> groups;
    AttributionColumns columns;
    int bootstrap_resamples = 0;
    // §5.5's s_start and s_end: snapshot indices of the ICL curve's window (§6.1), or -1 with
    // the reason there is none.
    int64_t window_start = -1, window_end = -1;
    std::string no_window_reason;
};

// JSON pieces shared with `induction ablate`: [lo, hi]; [[layer, head], ...]; one ablation's
// ICL fields (icl_amount, delta_icl, their band variants, share_removed) with intervals.
json::Value interval(const Estimate& e);
json::Value head_set_json(const HeadSet& heads);
json::Value effect_json(const AblationEffect& effect);

json::Value ablations_json(const AttributionSettings& settings, const std::vector<SnapshotAttribution>& snapshots);

}  // namespace induction
