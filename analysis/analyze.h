// analyze.h — the measurements of the main job for one model's snapshots, written as data.
//
// For every snapshot: per-token losses on the fixed evaluation set (METHODS §2), the ICL score and
// the loss derivative, the three head evaluators for every head (§3), and the ablation of every
// head and head group (§5). Then, over training: the phase-change window and loss bump (§6), the
// final head classification (§5.6) and the before-and-after attribution (§5.5). Results go
// to DIR/metrics/<model>/ in the formats of analysis/metrics_schema.md; the PCA rows
// (§7) are returned so that one PCA can be fitted over all models of a run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/evaluators.h"
#include "analysis/icl.h"
#include "analysis/pca.h"
#include "analysis/phase.h"
#include "model/json.h"

namespace induction {

struct SnapshotRef {
    int64_t step = 0;
    int64_t tokens = 0;  // training tokens seen
    std::string path;
};

struct ModelToAnalyze {
    std::string name;         // "attn-2l"
    std::string description;  // for the report
    json::Value config;       // the run's training config (config.json)
    bool smeared = false;     // smeared keys: induction heads may sit in any layer (§5.6, §6)
    std::vector<SnapshotRef> snapshots;  // ascending
    std::vector<ScheduleChange> schedule_changes;
};

// Inputs shared by every model of a run, fixed once (same examples for every snapshot).
struct AnalysisSetup {
    EvalSet eval;
    EvaluatorInputs evaluators;
    std::vector<std::string> token_text;  // display text of each token id
    int64_t batch_size = 16;
    int token_change_examples = 3;        // examples shown in the "which tokens got better" view
    double burn_in_fraction = 0.05;       // §6.1: window peaks are searched after this share of snapshots
    // §5.4–§5.5: every head, and the final snapshot's head groups, ablated at every snapshot.
    AblationMode ablation_mode = AblationMode::PATTERN_PRESERVING;
    int bootstrap_resamples = 1000;       // ICL intervals (analysis/attribution.h)
    uint64_t bootstrap_seed = 1;
};

struct ModelAnalysis {
    std::vector<LossVectorRow> pca_rows;  // one per snapshot
    std::vector<int64_t> steps;
    bool phase_change = false;
};

// progress(done, total) is called after each snapshot.
ModelAnalysis analyze_model(const ModelToAnalyze& model, const AnalysisSetup& setup,
                            const std::string& metrics_dir,
                            const std::function<void(int64_t, int64_t)>& progress = {});

// One joint PCA over all models' rows (§7); writes metrics_dir/pca.json.
void write_pca(const std::vector<std::string>& names, const std::vector<ModelAnalysis>& analyses,
               const std::string& metrics_dir);

}  // namespace induction
