// spec_run.h — one few-shot run from a spec file: what `induction clamp --spec FILE` runs, and
// what every experiment of `induction clamp --experiment NAME` is made of.
//
// A spec is {"run": <FewShotRunConfig>, "probe_sequences": N, "final_sequences": M,
// "probes": [{"name", "clamps"}]}.
// At every evaluation the run measures, on a fixed subset of the §8.4 exhaustive set (a seeded
// sample of its 78,400 sequences): the induction strength of every last-layer head, the previous-token
// attention of every first-layer head, the K-/V-composition scores of every head pair, and the
// loss and accuracy under each probe's evaluation-time clamps (§8.5: progress measures). At the
// end it scores the exhaustive set (or a seeded sample of final_sequences of it). Everything lands in the run directory: config.json,
// clamps.json, spec.json, eval.csv, result.json and snapshots/.
#pragma once

#include <string>
#include <vector>

#include "model/clamp.h"
#include "train/fewshot_trainer.h"

namespace induction {

struct ProbeClamp {
    std::string name;
    ClampSchedule clamps;
};

struct FewShotSpec {
    FewShotRunConfig run;
    int64_t probe_sequences = 2000;  // of the exhaustive set, a seeded sample
    int64_t final_sequences = 0;     // scored at the end (0: all 78,400)
    std::vector<ProbeClamp> probes;

    json::Value to_json() const;
    static FewShotSpec from_json(const json::Value& value, const std::string& source);
};

// Runs the spec into out_dir (created), writes result.json and returns it:
// {"evaluations": [{"step", "sequences", "train_loss", "<split>": {"loss", "accuracy", ...}, ...}],
//  "probes": [{"step", "sequences", "induction_strength": [H], "previous_token": [H],
//              "k_comp": [[H x H]], "v_comp": [[H x H]], "<probe>": {"loss", "accuracy", ...}}],
//  "final": {"induction_strength": [H], "previous_token": [H], "exhaustive": {"loss", "accuracy", ...}},
//  "seconds", "steps_per_second"}
json::Value run_spec(const FewShotSpec& spec, const std::string& out_dir, bool quiet);

// The sequences of the exhaustive set a run's probes use, as model inputs in chunks.
std::vector<FewShotInputs> exhaustive_chunks(const FewShotTask& task, int64_t count, int64_t chunk = 1000);

}  // namespace induction
