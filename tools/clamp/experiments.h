// experiments.h — the experiments of Singh et al. 2024 (METHODS §8.7–§8.10) and the bridge to
// language models, as `induction clamp --experiment NAME`.
//
// Every experiment is a set of few-shot runs (tools/clamp/spec_run.h) run side by side
// (tools/clamp/jobs.h), then measured and drawn into OUT/<page>.html with its data beside it.
// They share runs: the "main" run (all heads free, 2e6 sequences: twice the paper's, as our
// Gaussian task's induction heads are still forming at 1e6) names the heads the
// others clamp — the strongest induction head (final induction strength) and the strongest
// previous-token head (final previous-token attention) — and the "none" run (only that induction
// head active) is the reference of the clamped runs, the progress measures and the single-head
// runs. A run already finished with the same spec is reused.
#pragma once

#include <string>
#include <vector>

#include "model/clamp_catalogue.h"
#include "tools/clamp/jobs.h"

namespace induction {

struct ExperimentOptions {
    std::string out_dir = "runs/clamp";
    int jobs = 2;          // runs side by side, one core each
    bool quiet = false;
    double scale = 1.0;    // run lengths × scale (quick looks and tests; figures come from 1)
    // Learning rate × lr_factor and every run length ÷ lr_factor: with Adam at a small constant
    // learning rate the trajectory depends on lr × sequences, so this runs the paper's experiments
    // lr_factor times faster (1: the paper's exact 1e-5 and lengths).
    double lr_factor = 3.0;
    std::string lm_unclamped_run;  // lm-bridge: an unclamped run to reuse (make run's runs/attn-2l)
    int64_t lm_steps = -1;         // lm-bridge: steps of both LM runs (-1: the preset's)
};

struct ExperimentInfo {
    std::string name, summary;
};
const std::vector<ExperimentInfo>& experiments();  // in `all` order

// Runs one experiment (or "all"), writes its pages; returns a short text summary.
std::string run_experiment(const std::string& name, const ExperimentOptions& options);

// ---- the runs (tools/clamp/plan.cpp) -------------------------------------------------------------

// The heads the experiments clamp, from the main run's result.json.
struct KeyHeads {
    HeadId induction{1, 0}, previous_token{0, 0};
    std::vector<double> induction_strength, previous_token_attention;  // final, per head
    std::vector<int> by_strength;  // last-layer heads, strongest induction head first
    std::vector<int> pt_heads;     // first-layer heads with previous-token attention >= 0.5
};
KeyHeads key_heads(const json::Value& main_result);

// A named run: its spec and directory.
Job main_job(const ExperimentOptions& o);
std::vector<Job> clamped_jobs(const ExperimentOptions& o, const KeyHeads& heads);  // none, pt, layer1, match, copy, layer1-copy
std::vector<Job> sweep_jobs(const ExperimentOptions& o, const KeyHeads& heads);
std::vector<Job> single_head_jobs(const ExperimentOptions& o, const KeyHeads& heads);  // one per last-layer head but the strongest
std::vector<Job> pair_jobs(const ExperimentOptions& o, const KeyHeads& heads);
std::vector<Job> timing_jobs(const ExperimentOptions& o, const KeyHeads& heads);
std::vector<double> sweep_strengths();  // 0, 0.1, ..., 0.5, 0.55, ..., 1.0
// (K, L) settings of §8.10.
struct TimingSetting {
    int classes, labels;
};
std::vector<TimingSetting> timing_settings();

}  // namespace induction
