// experiments.cpp — which runs each experiment needs, running them together, and its pages.
#include "tools/clamp/experiments.h"

#include <algorithm>
#include <map>
#include <set>

#include "model/io/file_io.h"
#include "tools/clamp/pages.h"

namespace induction {

namespace {

const std::set<std::string> CLAMPED = {"none", "pt", "layer1", "match", "copy", "layer1-copy"};

// What the chosen experiments need: flags per group of runs.
struct Needs {
    bool clamped = false, sweep = false, redundancy = false, wiring = false, timing = false, toy = false;
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
    return n;
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
    if (needs.main()) {
        const Job main = main_job(o);
        const RunResult main_run{"main", run_jobs({main}, 1, o.quiet).front()};
        const KeyHeads heads = key_heads(main_run.result);
        summary += run_groups(needs, o, main_run, heads, pages);
    }
    if (needs.toy) {
        pages.push_back({"toy.html", "Toy model (§8.7)"});
        summary += write_toy_page(o);
    }
    write_index_page(o, pages);
    return summary;
}

}  // namespace induction
