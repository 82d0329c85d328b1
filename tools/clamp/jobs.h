// jobs.h — running many few-shot runs side by side, each in its own process.
//
// The few-shot model is so small that a training step costs per-op overhead, not arithmetic: one
// core per run, several runs at once, beats several cores on one run. Each job is
// `induction clamp --spec SPEC --out DIR --quiet --threads 1` (this very binary), its output in
// DIR/run.log. A job whose DIR/result.json exists beside an identical DIR/spec.json is done
// already and is not rerun, so an interrupted experiment picks up where it stopped.
#pragma once

#include <string>
#include <vector>

#include "tools/clamp/spec_run.h"

namespace induction {

struct Job {
    std::string name;
    FewShotSpec spec;
    std::string out_dir;
    // Another command of this binary instead of a few-shot spec (the language-model runs of
    // lm-bridge), done when `done_file` exists.
    std::vector<std::string> command = {};
    std::string done_file = {};
};

// Jobs started all at once in the background (the language-model runs, beside the few-shot pool):
// the operating system shares the cores among everything running.
struct BackgroundJobs {
    std::vector<Job> jobs;
    std::vector<int> pids;  // by job; 0 for a job done before
};
BackgroundJobs start_in_background(const std::vector<Job>& jobs);
// Waits for them; throws naming the first that failed and its log.
void wait_for(BackgroundJobs& background);

// Runs the jobs, `parallel` at a time, in order; returns each one's result.json (null for a
// command job). Throws naming the first job that failed and its log.
std::vector<json::Value> run_jobs(const std::vector<Job>& jobs, int parallel, bool quiet);

}  // namespace induction
