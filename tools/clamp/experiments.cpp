// experiments.cpp — which runs each experiment needs, running them together, and its pages.
#include "tools/clamp/experiments.h"

#include <algorithm>
#include <map>
#include <set>

#include "analysis/report/page.h"
#include "model/io/file_io.h"
#include "tools/clamp/lm_bridge.h"
#include "tools/clamp/pages.h"
#include "train/corpus.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace induction {

namespace {

const std::set<std::string> CLAMPED = {"none", "pt", "layer1", "match", "copy", "layer1-copy"};

// What the chosen experiments need: flags per group of runs.
struct Needs {
    bool clamped = false, sweep = false, redundancy = false, wiring = false, timing = false, toy = false, lm = false;
    bool main() const { return clamped || sweep || redundancy || wiring || timing; }
};

Needs needs_of(const std::string& name) {
    Needs n;
    const bool all = name == "all";
    n.clamped = all || CLAMPED.count(name) || name == "progress" || name == "redundancy";
    n.sweep = all || name == "sweep";
    n.redundancy = all || name == "redundancy";
    n.wiring = all || name == "wiring";
    n.timing = all || name == "timing";
    n.toy = all || name == "toy";
    n.lm = all || name == "lm-bridge";
    return n;
}

// ---- lm-bridge ---------------------------------------------------------------------------------

// The bridge's options: its runs under OUT/lm-bridge; the unclamped attn-2l run of `make run`
// (runs/default/attn-2l) is reused when it is there and no other is named.
LmBridgeOptions lm_options(const ExperimentOptions& o) {
    LmBridgeOptions lm;
    lm.out_dir = o.out_dir + "/lm-bridge";
    lm.steps = o.lm_steps;
    lm.quiet = o.quiet;
    lm.unclamped_run = o.lm_unclamped_run;
    const TrainConfig preset = find_preset(lm.preset).config;
    const int64_t steps = lm.steps > 0 ? lm.steps : preset.steps;
    if (lm.unclamped_run.empty() && file_exists(snapshot_path("runs/default/attn-2l", steps)) && lm.steps < 0)
        lm.unclamped_run = "runs/default/attn-2l";
    return lm;
}

// The language-model runs as jobs of the pool, one core each (`induction train`); the corpus is
// built first so that the two never build it at once.
std::vector<Job> lm_jobs(const LmBridgeOptions& lm) {
    TrainConfig config = find_preset(lm.preset).config;
    if (lm.steps > 0) config.steps = lm.steps;
    CorpusOptions corpus;
    corpus.out_dir = config.corpus_dir;
    corpus.vocab_size = config.model.d_vocab;
    corpus.seed = config.corpus_seed;
    corpus.heldout_fraction = config.corpus_heldout_fraction;
    build_corpus(corpus);
    make_directories(lm.out_dir);
    const std::string clamps = lm.out_dir + "/clamps.json";
    json::write_file(clamps, previous_token_clamp(lm.clamped, 1.0).to_json());
    auto job = [&](const std::string& name, const std::string& dir, std::vector<std::string> extra) {
        std::vector<std::string> command = {"train", "--preset", lm.preset, "--out", dir, "--quiet", "--threads", "1"};
        if (lm.steps > 0) extra.insert(extra.end(), {"--steps", std::to_string(lm.steps)});
        command.insert(command.end(), extra.begin(), extra.end());
        return Job{name, {}, dir, command, snapshot_path(dir, config.steps)};
    };
    std::vector<Job> jobs;
    if (lm.unclamped_run.empty()) jobs.push_back(job("lm-unclamped", lm.out_dir + "/unclamped", {}));
    jobs.push_back(job("lm-clamped", lm.out_dir + "/clamped", {"--clamps", clamps}));
    return jobs;
}

std::string write_lm_page(const ExperimentOptions& o, const LmBridgeOptions& lm) {
    LmBridgeOptions measure = lm;
    measure.threads = o.jobs;
    const LmBridgeResult r = run_lm_bridge(measure);
    Page page("Clamping a language model: the bridge between the two papers");
    page.paragraph("attn-2l trained twice from the same seeds and data order: unclamped, and with layer 0 head " +
                   std::to_string(lm.clamped.head) + "'s attention pattern clamped to a perfect previous-token "
                   "pattern from step 0 (METHODS §8.6 PT clamp).");
    page.figure(read_file_bytes(r.svg_path), "Prefix matching of each run's strongest induction head against step.");
    page.paragraph(r.summary());
    page.write(o.out_dir + "/lm-bridge.html");
    return r.summary();
}

std::vector<RunResult> take(const std::vector<Job>& jobs, const std::vector<json::Value>& results, size_t& at) {
    std::vector<RunResult> out;
    for (const Job& job : jobs) out.push_back({job.name, results[at++]});
    return out;
}

// Runs every job the experiments need in one pool (the longest groups first) and draws the pages.
std::string run_groups(const Needs& needs, const ExperimentOptions& o, const RunResult& main, const KeyHeads& h,
                       std::vector<std::pair<std::string, std::string>>& pages) {
    const std::vector<Job> timing = needs.timing ? timing_jobs(o, h) : std::vector<Job>{};
    const std::vector<Job> clamped = needs.clamped ? clamped_jobs(o, h) : std::vector<Job>{};
    const std::vector<Job> sweep = needs.sweep ? sweep_jobs(o, h) : std::vector<Job>{};
    const std::vector<Job> singles = needs.redundancy ? single_head_jobs(o, h) : std::vector<Job>{};
    const std::vector<Job> pairs = needs.redundancy ? pair_jobs(o, h) : std::vector<Job>{};
    std::vector<Job> all;
    for (const std::vector<Job>* group : {&timing, &clamped, &sweep, &singles, &pairs})
        all.insert(all.end(), group->begin(), group->end());
    const std::vector<json::Value> results = run_jobs(all, o.jobs, o.quiet);
    size_t at = 0;
    const std::vector<RunResult> timing_runs = take(timing, results, at), clamped_runs = take(clamped, results, at),
                                 sweep_runs = take(sweep, results, at), single_runs = take(singles, results, at),
                                 pair_runs = take(pairs, results, at);
    std::string summary;
    auto page = [&](const std::string& file, const std::string& title, const std::string& text) {
        pages.push_back({file, title});
        summary += text;
    };
    if (needs.clamped) {
        page("clamped.html", "Clamped training runs (§8.7)", write_clamped_page(o, h, clamped_runs));
        page("progress.html", "Progress measures (§8.7)", write_progress_page(o, h, main, clamped_runs));
    }
    if (needs.sweep) page("sweep.html", "Clamped-strength sweep (§8.7)", write_sweep_page(o, h, sweep_runs));
    if (needs.redundancy)
        page("redundancy.html", "Additive redundancy (§8.8)",
             write_redundancy_page(o, h, clamped_runs.front(), single_runs, pair_runs));
    if (needs.wiring) page("wiring.html", "Many-to-many wiring (§8.9)", write_wiring_page(o, h));
    if (needs.timing) page("timing.html", "Data-dependent timing (§8.10)", write_timing_page(o, h, timing_runs));
    return summary;
}

}  // namespace

const std::vector<ExperimentInfo>& experiments() {
    static const std::vector<ExperimentInfo> list = {
        {"none", "only the strongest induction head active, nothing clamped (the reference run)"},
        {"pt", "previous-token attention clamp on the strongest previous-token head (step 1)"},
        {"layer1", "layer-1 clamp: perfect previous-token input to layer 2 (subcircuit A)"},
        {"match", "induction (match) clamp on the induction head (subcircuits A, B)"},
        {"copy", "perfect-copy clamp from the induction head (subcircuit C)"},
        {"layer1-copy", "layer-1 + copy clamps: only subcircuit B learns"},
        {"progress", "progress measures on the unclamped run, induction strength of every layer-2 head"},
        {"sweep", "induction clamp of strength s in 0..1 on the induction head, other heads free"},
        {"redundancy", "additive redundancy of induction heads (§8.8 items 1-5)"},
        {"wiring", "many-to-many wiring of previous-token and induction heads (§8.9 a-e)"},
        {"timing", "phase-change timing against classes K and labels L (§8.10)"},
        {"toy", "the rank-1 three-factor toy model, with and without clamps"},
        {"lm-bridge", "attn-2l with layer 0 head 0 clamped to previous-token attention vs unclamped"},
        {"all", "every experiment above"},
    };
    return list;
}

std::string run_experiment(const std::string& name, const ExperimentOptions& o) {
    const auto& list = experiments();
    check(std::any_of(list.begin(), list.end(), [&](const ExperimentInfo& e) { return e.name == name; }),
          "--experiment: unknown experiment '", name, "' (see induction clamp --help)");
    std::vector<std::pair<std::string, std::string>> pages;
    std::string summary;
    const Needs needs = needs_of(name);
    make_directories(o.out_dir);
    // The language-model runs take longest: they start first, beside everything else.
    const LmBridgeOptions lm = lm_options(o);
    BackgroundJobs lm_runs = start_in_background(needs.lm ? lm_jobs(lm) : std::vector<Job>{});
    if (needs.main()) {
        const RunResult main_run{"main", run_jobs({main_job(o)}, 1, o.quiet).front()};
        const KeyHeads heads = key_heads(main_run.result);
        summary += run_groups(needs, o, main_run, heads, pages);
    }
    if (needs.toy) {
        pages.push_back({"toy.html", "Toy model (§8.7)"});
        summary += write_toy_page(o);
    }
    if (needs.lm) {
        wait_for(lm_runs);
        pages.push_back({"lm-bridge.html", "Clamping a language model (lm-bridge)"});
        summary += write_lm_page(o, lm);
    }
    write_index_page(o, pages);
    return summary;
}

}  // namespace induction
