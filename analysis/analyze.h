// analyze.h — the measurements of the main job for one model's snapshots, written as data.
//
// For every snapshot (about 120 per model): per-token losses on the curve windows (the first
// rows of the fixed evaluation set, METHODS §2), the ICL score with bootstrap intervals and the
// loss derivative, prefix-matching and previous-token scores (§3), σ(α) of smeared keys (§1.6) and
// the display heads' patterns. For the full snapshots (every fifth of training and the window
// edges): every copying reading, eig_copying, the §4.5 trace, and the ablation of every head and
// head group (§5). The final snapshot's ICL is also measured on the first 2,048 evaluation
// windows. Then, over training: the phase-change window and loss bump (§6), the final head
// classification (§5.6) and the before-and-after attribution (§5.5). Results go
// to DIR/metrics/<model>/ in the formats of analysis/metrics_schema.md; the PCA rows
// (§7) are returned so that one PCA can be fitted over all models of a run.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/evaluators.h"
#include "analysis/icl.h"
#include "analysis/pca.h"
#include "analysis/phase.h"
#include "model/io/json.h"

namespace induction {

struct SnapshotRef {
    int64_t step = 0;
    int64_t tokens = 0;  // training tokens seen
    std::string path;
};

// The control of §6's phase detector ([OURS]): a model without induction heads (the 1-layer
// vanilla model of the same run) whose ICL curve carries the early transient every model shares.
struct IclControl {
    std::string name;
    std::vector<double> tokens, icl;  // per snapshot: training tokens, band ICL [OURS]
};

struct ModelToAnalyze {
    std::string name;         // "attn-2l"
    std::string description;  // for the report
    json::Value config;       // the run's training config (config.json)
    bool smeared = false;     // smeared keys: induction heads may sit in any layer (§5.6, §6)
    std::vector<SnapshotRef> snapshots;  // ascending
    std::vector<ScheduleChange> schedule_changes;
    double warmup_tokens = 0;  // training tokens by the end of the learning-rate warm-up
    std::optional<IclControl> control;  // none: the detector reads the model's own ICL curve
};

// Inputs shared by every model of a run, fixed once (same examples for every snapshot).
struct AnalysisSetup {
    EvalSet eval;
    EvaluatorInputs evaluators;
    std::vector<std::string> token_text;  // display text of each token id
    int64_t batch_size = 16;
    int token_change_examples = 3;        // examples shown in the "which tokens got better" view
    int64_t curve_examples = 128;         // windows every snapshot is measured on (the first rows;
                                          // the final snapshot is measured on all of them)
    int64_t final_examples = 2048;        // the final snapshot's ICL (the headline figure): the
                                          // first rows; its band interval is about ±0.04 nats
    int full_snapshot_divisions = 5;      // full snapshots at every fifth of training (analyze.cpp)
    double burn_in_fraction = 0.05;       // §6.1: window peaks are searched after this share of the
                                          // model's training tokens, or after its warm-up if later
    // §5.4–§5.5: every head, and the final snapshot's head groups, ablated at every snapshot.
    AblationMode ablation_mode = AblationMode::PATTERN_PRESERVING;
    int bootstrap_resamples = 1000;       // ICL intervals (analysis/attribution.h)
    uint64_t bootstrap_seed = 1;
};

struct ModelAnalysis {
    std::vector<LossVectorRow> pca_rows;  // one per snapshot
    std::vector<int64_t> steps;
    std::vector<double> icl_tokens, icl;  // per snapshot: tokens, band ICL [OURS] (a control's input)
    bool phase_change = false;
    double burn_in_tokens = 0;            // §6.1's burn-in, also the PCA pivot's (§6.4)
    struct Seconds {
        double snapshots = 0, full = 0, final_icl = 0;  // wall time of each stage
    } seconds;
    std::optional<TokenInterval> window;  // §6.2's phase-change window
};

// progress(done, total) is called after each snapshot.
ModelAnalysis analyze_model(const ModelToAnalyze& model, const AnalysisSetup& setup,
                            const std::string& metrics_dir,
                            const std::function<void(int64_t, int64_t)>& progress = {});

// One joint PCA over all models' rows (§7); writes metrics_dir/pca.json and adds each model's
// PCA pivot (§6.4, searched after the burn-in) to its phase.json.
void write_pca(const std::vector<std::string>& names, const std::vector<ModelAnalysis>& analyses,
               const std::string& metrics_dir);

}  // namespace induction
