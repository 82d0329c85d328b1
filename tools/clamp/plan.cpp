// plan.cpp — the few-shot runs of the experiments (METHODS §8.7–§8.10), with the paper's settings
// (§8.3: Adam 1e-5, batch 32, init seed 5; 6e5 sequences for the sweep, 2e6 and 3e5 for the
// timing runs; longer than the paper's for the main run, 2e6, and the clamped runs, 1.5e6, see
// below), every length × scale ÷ lr_factor and the learning rate × lr_factor (experiments.h).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "tools/clamp/experiments.h"

namespace induction {

namespace {

constexpr int EVALUATIONS_PER_RUN = 60;  // evaluation points along a run (and probes with them)
// Clamped, single-head and pair runs: 1.5e6 sequences, 2.5× [S]'s 6e5, because on our Gaussian
// task the unclamped run's loss has only just reached ln 2 at 6e5 (its drop comes after).
constexpr double CLAMPED_RUN_SEQUENCES = 1.5e6;

Job make_job(const ExperimentOptions& o, const std::string& name, FewShotRunConfig run, double sequences,
             ClampSchedule clamps = {}, std::vector<ProbeClamp> probes = {}) {
    run.sequences = std::max<int64_t>(run.batch * 4, int64_t(std::llround(sequences * o.scale / o.lr_factor)));
    run.learning_rate *= o.lr_factor;
    run.eval_every = std::max<int64_t>(run.batch, run.sequences / EVALUATIONS_PER_RUN);
    run.clamps = std::move(clamps);
    FewShotSpec spec;
    spec.run = run;
    spec.probes = std::move(probes);
    // Over training only the train split and no probes, unless a page plots more (the main, none
    // and sweep runs say so): scoring costs as much as training in the short runs otherwise.
    spec.run.eval_splits = {FewShotSplit::TRAIN};
    spec.probe_sequences = 0;
    spec.final_sequences = 9800;  // a seeded sample of the exhaustive set, at the end
    return {name, spec, o.out_dir + "/runs/" + name};
}

FewShotRunConfig default_run() { return FewShotRunConfig::from_json(json::Value::object(), "default run"); }

int heads_per_layer() { return default_run().model.n_heads; }

ClampSchedule only_induction_head(const KeyHeads& h) {
    return only_heads_active(h.induction.layer, {h.induction.head}, heads_per_layer());
}

}  // namespace

KeyHeads key_heads(const json::Value& main_result) {
    KeyHeads h;
    const json::Value& final = main_result.at("final");
    for (const json::Value& v : final.at("induction_strength").as_array()) h.induction_strength.push_back(v.as_number());
    for (const json::Value& v : final.at("previous_token").as_array()) h.previous_token_attention.push_back(v.as_number());
    h.by_strength.resize(h.induction_strength.size());
    std::iota(h.by_strength.begin(), h.by_strength.end(), 0);
    std::stable_sort(h.by_strength.begin(), h.by_strength.end(),
                     [&](int a, int b) { return h.induction_strength[size_t(a)] > h.induction_strength[size_t(b)]; });
    const auto& pt = h.previous_token_attention;
    h.induction = {default_run().model.n_layers - 1, h.by_strength.front()};
    h.previous_token = {0, int(std::max_element(pt.begin(), pt.end()) - pt.begin())};
    for (size_t j = 0; j < pt.size(); ++j)
        if (pt[j] >= 0.5) h.pt_heads.push_back(int(j));
    return h;
}

Job main_job(const ExperimentOptions& o) {
    Job job = make_job(o, "main", default_run(), 2e6);
    job.spec.run.snapshots = 1;  // the final model: redundancy and wiring are measured on it
    job.spec.probe_sequences = 2000;
    job.spec.final_sequences = 0;  // all 78,400
    job.spec.run.eval_splits = default_run().eval_splits;
    return job;
}

std::vector<Job> clamped_jobs(const ExperimentOptions& o, const KeyHeads& h) {
    const ClampSchedule only = only_induction_head(h);
    // Progress measures on the unclamped ("None") run (§8.7 i–ii): its own clamps plus one more,
    // at evaluation time only.
    std::vector<ProbeClamp> progress = {
        {"pt_clamp", join({only, previous_token_clamp(h.previous_token)})},
        {"match_clamp", join({only, induction_clamp(h.induction)})},
    };
    const FewShotRunConfig run = default_run();
    Job none = make_job(o, "none", run, CLAMPED_RUN_SEQUENCES, only, progress);
    none.spec.probe_sequences = 1000;  // the progress page plots its probes
    return {
        none,
        make_job(o, "pt", run, CLAMPED_RUN_SEQUENCES, join({only, previous_token_clamp(h.previous_token)})),
        make_job(o, "layer1", run, CLAMPED_RUN_SEQUENCES, join({only, layer1_clamp()})),
        make_job(o, "match", run, CLAMPED_RUN_SEQUENCES, join({only, induction_clamp(h.induction)})),
        make_job(o, "copy", run, CLAMPED_RUN_SEQUENCES, perfect_copy_clamp(h.induction)),
        make_job(o, "layer1-copy", run, CLAMPED_RUN_SEQUENCES, layer1_copy_clamp(h.induction)),
    };
}

std::vector<double> sweep_strengths() {
    std::vector<double> s;
    for (int i = 0; i <= 5; ++i) s.push_back(0.1 * i);
    for (int i = 11; i <= 20; ++i) s.push_back(0.05 * i);
    return s;
}

std::vector<Job> sweep_jobs(const ExperimentOptions& o, const KeyHeads& h) {
    std::vector<Job> jobs;
    for (double s : sweep_strengths()) {
        char name[32];
        std::snprintf(name, sizeof name, "sweep-s%.2f", s);
        jobs.push_back(make_job(o, name, default_run(), 6e5, induction_clamp(h.induction, s)));
        jobs.back().spec.run.eval_splits = {FewShotSplit::TRAIN, FewShotSplit::TEST_RELABEL, FewShotSplit::TEST_CLASSES};
    }
    return jobs;
}

std::vector<Job> single_head_jobs(const ExperimentOptions& o, const KeyHeads& h) {
    std::vector<Job> jobs;
    for (int head : h.by_strength)
        if (head != h.induction.head)
            jobs.push_back(make_job(o, "single-" + std::to_string(head), default_run(), CLAMPED_RUN_SEQUENCES,
                                    only_heads_active(h.induction.layer, {head}, heads_per_layer())));
    return jobs;
}

std::vector<Job> pair_jobs(const ExperimentOptions& o, const KeyHeads& h) {
    std::vector<Job> jobs;
    for (int head : h.by_strength)
        if (head != h.induction.head)
            jobs.push_back(make_job(o, "pair-" + std::to_string(h.induction.head) + "-" + std::to_string(head),
                                    default_run(), CLAMPED_RUN_SEQUENCES,
                                    only_heads_active(h.induction.layer, {h.induction.head, head}, heads_per_layer())));
    return jobs;
}

std::vector<TimingSetting> timing_settings() { return {{50, 5}, {100, 5}, {200, 5}, {50, 10}, {50, 15}}; }

std::vector<Job> timing_jobs(const ExperimentOptions& o, const KeyHeads& h) {
    std::vector<Job> jobs;
    for (TimingSetting t : timing_settings()) {
        json::Value task = json::Value::object();
        task["train_classes"] = t.classes;
        task["labels"] = t.labels;
        json::Value config = json::Value::object();
        config["task"] = task;
        const FewShotRunConfig run = FewShotRunConfig::from_json(config, "timing run");
        const std::string prefix = "timing-K" + std::to_string(t.classes) + "-L" + std::to_string(t.labels) + "-";
        const ClampSchedule only = only_induction_head(h);
        jobs.push_back(make_job(o, prefix + "normal", run, 2e6, only));
        jobs.push_back(make_job(o, prefix + "B", run, 3e5, layer1_copy_clamp(h.induction)));
        jobs.push_back(make_job(o, prefix + "C", run, 3e5, join({only, induction_clamp(h.induction)})));
        jobs.push_back(make_job(o, prefix + "B,C", run, 3e5, join({only, layer1_clamp()})));
    }
    return jobs;
}

}  // namespace induction
