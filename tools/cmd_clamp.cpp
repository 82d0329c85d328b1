// cmd_clamp.cpp — `induction clamp`: the few-shot task of Singh et al. 2024 trained with clamps
// (METHODS §8), one spec (--spec FILE) or a named experiment (--experiment NAME).
#include <cstdio>

#include "analysis/report/page.h"
#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tools/args.h"
#include "tools/clamp/experiments.h"
#include "tools/commands.h"

namespace induction {

namespace {

std::string experiment_list() {
    std::string text;
    for (const ExperimentInfo& e : experiments()) text += e.name + " (" + e.summary + "); ";
    return text.substr(0, text.size() - 2);
}

// One run from a spec file: its run directory and a one-page summary of its curves.
int run_spec_command(const Args& args) {
    const std::string path = args.get("spec"), out = args.get("out", "runs/clamp-spec");
    const FewShotSpec spec = FewShotSpec::from_json(json::read_file(path), path);
    const json::Value result = run_spec(spec, out, args.flag("quiet"));
    const json::Value& last = result.at("evaluations").as_array().back();
    std::printf("%s: %lld sequences, train loss %.4f, accuracy %.3f (%.0f steps/s)\n", out.c_str(),
                (long long)last.at("sequences").as_int(), last.at("train").at("loss").as_number(),
                last.at("train").at("accuracy").as_number(), result.at("steps_per_second").as_number());
    return 0;
}

int run_clamp_command(const Args& args) {
    check(args.has("spec") != args.has("experiment"), "give exactly one of --spec FILE or --experiment NAME");
    cpu::set_max_threads(args.threads());
    if (args.has("spec")) return run_spec_command(args);
    ExperimentOptions options;
    options.out_dir = args.get("out", options.out_dir);
    options.jobs = int(args.get_int("jobs"));
    check(options.jobs >= 1 && options.jobs <= 256, "--jobs must be in [1, 256], got ", options.jobs);
    options.scale = args.get_double("scale");
    check(options.scale > 0 && options.scale <= 10, "--scale must be in (0, 10], got ", options.scale);
    options.lr_factor = args.get_double("lr-factor");
    check(options.lr_factor >= 1 && options.lr_factor <= 100, "--lr-factor must be in [1, 100], got ",
          options.lr_factor);
    options.quiet = args.flag("quiet");
    options.lm_unclamped_run = args.get("lm-unclamped", "");
    options.lm_steps = args.get_int("lm-steps", -1);
    const std::string summary = run_experiment(args.get("experiment"), options);
    std::printf("%s%s/index.html\n", summary.c_str(), options.out_dir.c_str());
    return 0;
}

}  // namespace

const Command CLAMP_COMMAND = {
    {"clamp",
     "(--experiment NAME | --spec FILE) [options]",
     "Trains the few-shot model of Singh et al. 2024 (METHODS §8) with clamps: the paper's experiments "
     "by name, or one run from a spec file; writes run directories and report pages.",
     {{"experiment", "NAME", "one of: " + experiment_list()},
      {"spec", "FILE",
       "one run: {\"run\": {task, model, init_seed, learning_rate, batch, sequences, eval_every, snapshots, "
       "clamps}, \"probe_sequences\": N, \"probes\": [{\"name\", \"clamps\"}]} (README: Clamp schedules)"},
      {"out", "DIR", "output directory (default runs/clamp, or runs/clamp-spec with --spec)"},
      {"jobs", "N", "runs trained side by side, one core each", "2"},
      {"scale", "F", "multiply every run length by F (quick looks; the figures come from 1)", "1"},
      {"lr-factor", "F",
       "learning rate × F and every run length ÷ F (Adam at a small constant rate follows lr × sequences); "
       "1 runs the paper's exact settings, about 3× longer than the default", "3"},
      {"lm-unclamped", "DIR", "lm-bridge: reuse this unclamped attn-2l run (e.g. runs/attn-2l of make run)"},
      {"lm-steps", "N", "lm-bridge: training steps of both language-model runs (default: the preset's)"},
      {"quiet", "", "no progress lines"},
      threads_option()}},
    run_clamp_command};

}  // namespace induction
