// seed_summary.h — the seed summary of `induction run --seeds N`: how each model of the family
// fares across N training seeds (DIR/seed-1 ... DIR/seed-N, each a complete analyzed run).
//
// Per model it gathers, from every DIR/seed-K/metrics/<model>/:
//   phase.json      "verdict", "window" {start_step, end_step, start_tokens, end_tokens} | null,
//                   "icl"."frac_in_window"
//   snapshots.json  "final_icl"."per_decade" (and its CI), or, where any run lacks final_icl, the
//                   last snapshot's "icl_per_decade" for every run (so all seeds use one measure);
//                   "config"."seed" / "data_seed" (the seeds the run was trained with)
// and reports the verdict of each seed, the count ("2/3 phase change"), and mean ± sample sd with
// [min–max] of the window (over the seeds that found one), frac_in_window and the final ICL, [O]'s
// and the band-averaged [OURS] one.
// Written as DIR/seeds.json and DIR/seeds.md (a markdown table, also what the CLI prints).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/io/json.h"

namespace induction {

// Mean, sample standard deviation (n - 1) and range of some values; NaN where undefined
// (everything for n = 0, sd for n = 1).
struct SeedStat {
    int n = 0;
    double mean = std::numeric_limits<double>::quiet_NaN();
    double sd = std::numeric_limits<double>::quiet_NaN();
    double min = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
};
SeedStat seed_stat(const std::vector<double>& values);

// One model trained at one seed: DIR/seed-<k>/.
struct SeedModelRun {
    int k = 0;
    int64_t init_seed = -1, data_seed = -1;  // TrainConfig seed / data_seed; -1 when not recorded
    std::string verdict;                     // "phase change" | "no phase change"
    bool has_window = false;
    double start_step = 0, end_step = 0, start_tokens = 0, end_tokens = 0;
    double frac_in_window = std::numeric_limits<double>::quiet_NaN();  // NaN when null or absent
    bool has_final_icl = false;  // snapshots.json has "final_icl"
    double final_icl = std::numeric_limits<double>::quiet_NaN();       // final_icl.per_decade
    double final_icl_lo = std::numeric_limits<double>::quiet_NaN();    // final_icl.per_decade_ci
    double final_icl_hi = std::numeric_limits<double>::quiet_NaN();
    double final_icl_band = std::numeric_limits<double>::quiet_NaN();  // final_icl.band
    double last_snapshot_icl = std::numeric_limits<double>::quiet_NaN();  // snapshots[-1].icl_per_decade
    bool phase_change() const { return verdict == "phase change"; }
};

struct SeedModelSummary {
    std::string model;
    std::vector<SeedModelRun> runs;  // seeds 1..N in order
    int phase_changes = 0;
    SeedStat start_step, end_step, start_tokens, end_tokens;  // over the runs with a window
    SeedStat frac_in_window;                                  // over the runs that report it
    SeedStat final_icl;                                       // the measure SeedSummary names
    SeedStat final_icl_band;                                  // final_icl.band [OURS], where present
};

struct SeedSummary {
    int seeds = 0;
    // true: every run has final_icl, and final_icl.per_decade is summarised; false: the last
    // snapshot's icl_per_decade is, for every run.
    bool icl_from_final_icl = true;
    std::vector<SeedModelSummary> models;  // in the order given
};

// Reads DIR/seed-1..seeds/metrics/<model>/{phase,snapshots}.json for each model. Throws
// induction::Error naming the file when one is missing or malformed.
SeedSummary summarize_seeds(const std::string& dir, int seeds, const std::vector<std::string>& models);

json::Value seed_summary_json(const SeedSummary& summary);
std::string seed_summary_markdown(const SeedSummary& summary);
// Writes DIR/seeds.json and DIR/seeds.md; returns the markdown.
std::string write_seed_summary(const std::string& dir, const SeedSummary& summary);

}  // namespace induction
