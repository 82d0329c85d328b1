// pages.h — the report pages of the clamp experiments, drawn from the runs' result.json files
// (tools/clamp/spec_run.h) and measurements of the main run's final model; each page function
// writes OUT/<page>.html and a JSON of the numbers it shows, and returns a text summary.
#pragma once

#include <string>
#include <vector>

#include "tools/clamp/experiments.h"

namespace induction {

struct RunResult {
    std::string name;
    json::Value result;  // result.json
};

// A series of the evaluations: x = sequences, y = evaluations[i][split][metric].
struct Series {
    std::vector<double> x, y;
};
Series eval_series(const json::Value& result, const std::string& split, const std::string& metric = "loss");
Series probe_series(const json::Value& result, const std::string& key, int index);          // probes[i][key][index]
Series probe_metric(const json::Value& result, const std::string& probe, const std::string& metric);  // probes[i][probe][metric]
// The first evaluation with train loss < 0.4 ln 2 (the §8.8 learning time; NaN: never).
double learning_time(const json::Value& result);
// [OURS] plateau: the sequences spent with train loss within ±10% of ln 2 (the evaluations there ×
// the evaluation interval).
double plateau_length(const json::Value& result);

std::string write_clamped_page(const ExperimentOptions& o, const KeyHeads& h, const std::vector<RunResult>& runs);
std::string write_progress_page(const ExperimentOptions& o, const KeyHeads& h, const RunResult& main,
                                const std::vector<RunResult>& clamped);
std::string write_sweep_page(const ExperimentOptions& o, const KeyHeads& h, const std::vector<RunResult>& runs);
std::string write_redundancy_page(const ExperimentOptions& o, const KeyHeads& h, const RunResult& none,
                                  const std::vector<RunResult>& singles, const std::vector<RunResult>& pairs);
std::string write_wiring_page(const ExperimentOptions& o, const KeyHeads& h);
std::string write_timing_page(const ExperimentOptions& o, const KeyHeads& h, const std::vector<RunResult>& runs);
std::string write_toy_page(const ExperimentOptions& o);
void write_index_page(const ExperimentOptions& o, const std::vector<std::pair<std::string, std::string>>& pages);

}  // namespace induction
