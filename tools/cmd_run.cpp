// cmd_run.cpp — the main job: `induction run`, and its second half `induction analyze DIR`.
//
// run:     trains every model of the family into DIR/<preset>/ (finished models are skipped,
//          interrupted ones resumed), then analyzes and writes DIR/report.html. With --seeds N,
//          does that N times into DIR/seed-K/ (presets' seed and data_seed + K-1; a seed already
//          trained and analyzed is not analyzed again), then writes DIR/seeds.json and DIR/seeds.md
//          (tools/seed_summary.h) and prints the table.
// analyze: measures every snapshot of every model in DIR (METHODS §2, §3, §6, §7), writes
//          DIR/metrics/, then the report.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "analysis/analyze.h"
#include "analysis/report/report.h"
#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tools/analysis_inputs.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/seed_summary.h"
#include "train/corpus.h"
#include "train/presets.h"
#include "train/progress.h"
#include "train/tokenizer.h"
#include "train/trainer.h"

namespace induction {

namespace {

struct AnalyzeOptions {
    int64_t examples = 0;    // evaluation-set windows; 0: all of the held-out split (METHODS §2.1)
    uint64_t seed = 1;       // the evaluation set and evaluator inputs
    double burn_in = 0.05;   // §6.1 burn-in, a fraction of each model's training tokens (or its warm-up, if longer)
    bool quiet = false;
};

// The model directories of a run, in the family's order, then alphabetically.
std::vector<std::string> model_names(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error))
        if (entry.is_directory() && file_exists(entry.path().string() + "/config.json"))
            names.push_back(entry.path().filename().string());
    std::vector<std::string> order = default_family();
    auto rank = [&](const std::string& name) {
        return size_t(std::find(order.begin(), order.end(), name) - order.begin());
    };
    std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
        return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
    });
    return names;
}

// ---- the sections of analyze_run() -------------------------------------------------------------

// The models' training configs; they must share one corpus, context and vocabulary, since they
// share one evaluation set.
std::vector<TrainConfig> read_model_configs(const std::string& dir, const std::vector<std::string>& names) {
    std::vector<TrainConfig> configs;
    for (const std::string& name : names)
        configs.push_back(TrainConfig::from_json(json::read_file(dir + "/" + name + "/config.json"),
                                                 dir + "/" + name + "/config.json"));
    const TrainConfig& first = configs.front();
    for (const TrainConfig& c : configs)
        check(c.corpus_dir == first.corpus_dir && c.context == first.context &&
                  c.model.d_vocab == first.model.d_vocab,
              dir, ": models '", names.front(), "' and '", c.name,
              "' differ in corpus, context or vocabulary; they cannot share one evaluation set");
    return configs;
}

// Fixed inputs, shared by every snapshot of every model. The evaluation set is made once and
// stored in the run (metrics/); later analyses read it back.
AnalysisSetup shared_setup(const CorpusInfo& corpus, const std::string& metrics, int64_t context,
                           const AnalyzeOptions& options) {
    const AnalysisInputOptions input_options{options.examples, options.seed};
    std::optional<EvalSet> stored = stored_eval_set(metrics, input_options, context, corpus.vocab_size);
    AnalysisSetup setup = make_analysis_setup(corpus, context, input_options, stored ? &*stored : nullptr);
    if (!stored) write_eval_set(metrics, setup.eval, input_options);
    setup.burn_in_fraction = options.burn_in;
    Tokenizer tokenizer = Tokenizer::load(corpus.tokenizer_path());
    for (int32_t id = 0; id < corpus.vocab_size; ++id)
        setup.token_text.push_back(json::printable_utf8(tokenizer.decode({id})));
    return setup;
}

// Model m of the run as analyze_model takes it; analyses holds the models before it.
ModelToAnalyze model_to_analyze(const std::string& dir, const std::vector<std::string>& names,
                                const std::vector<TrainConfig>& configs, const std::vector<ModelAnalysis>& analyses,
                                size_t m) {
    const TrainConfig& c = configs[m];
    ModelToAnalyze model;
    model.name = names[m];
    for (const Preset& p : presets())
        if (p.name == c.name) model.description = p.description;
    model.config = c.to_json();
    model.smeared = c.model.smear_keys;
    for (int64_t step : list_snapshots(dir + "/" + names[m]))
        model.snapshots.push_back({step, step * c.tokens_per_step(), snapshot_path(dir + "/" + names[m], step)});
    model.warmup_tokens = double(c.schedule.warmup_steps * c.tokens_per_step());
    for (const Schedule::ChangePoint& change : c.schedule.change_points())
        model.schedule_changes.push_back(
            {change.what + " at step " + std::to_string(change.step), double(change.step * c.tokens_per_step())});
    // §6's control ([OURS]): the run's 1-layer vanilla model of the same kind (attention-only or
    // with MLPs), analyzed earlier in the family's order; without one the detector reads the
    // model's own ICL curve.
    for (size_t k = 0; k < m; ++k)
        if (configs[k].model.n_layers == 1 && !configs[k].model.smear_keys &&
            configs[k].model.attn_only == c.model.attn_only)
            model.control = IclControl{names[k], analyses[k].icl_tokens, analyses[k].icl};
    return model;
}

// metrics/run.json: the models in report order, the evaluation settings, the phase reference.
json::Value run_json(const std::string& dir, const std::vector<std::string>& names, int64_t context,
                     const AnalysisSetup& setup, const AnalyzeOptions& options) {
    json::Value run = json::Value::object();
    run["name"] = std::filesystem::path(dir).filename().string();
    json::Value list = json::Value::array();
    for (const std::string& name : names) list.push_back(name);
    run["models"] = list;
    json::Value eval = json::Value::object();
    IclScore positions = icl_score(std::vector<double>(size_t(context - 1), 0.0));
    eval["n_examples"] = setup.eval.tokens.size(0);
    eval["curve_examples"] = std::min(setup.curve_examples, setup.eval.tokens.size(0));
    eval["seed"] = options.seed;
    eval["context"] = context;
    eval["icl_lo"] = positions.i_lo;
    eval["icl_hi"] = positions.i_hi;
    eval["icl_kind"] = "per_decade";
    eval["burn_in_fraction"] = options.burn_in;
    eval["evaluators"] = setup.evaluators.settings_json();
    run["eval"] = eval;
    run["phase_reference"] = std::find(names.begin(), names.end(), default_preset_name()) != names.end()
                                 ? json::Value(default_preset_name()) : json::Value(names.front());
    return run;
}

void analyze_run(const std::string& dir, const AnalyzeOptions& options) {
    std::vector<std::string> names = model_names(dir);
    check(!names.empty(), dir, ": no trained models (subdirectories with config.json)");
    const std::vector<TrainConfig> configs = read_model_configs(dir, names);
    const TrainConfig& first = configs.front();
    CorpusInfo corpus = read_corpus_info(first.corpus_dir);
    const std::string metrics = dir + "/metrics";
    make_directories(metrics);
    const AnalysisSetup setup = shared_setup(corpus, metrics, first.context, options);

    std::vector<ModelAnalysis> analyses;
    for (size_t m = 0; m < names.size(); ++m) {
        const ModelToAnalyze model = model_to_analyze(dir, names, configs, analyses, m);
        Progress progress("analyze " + model.name, int64_t(model.snapshots.size()), options.quiet);
        analyses.push_back(analyze_model(model, setup, metrics, [&](int64_t done, int64_t) {
            progress.update(done, "snapshots");
        }));
        const ModelAnalysis::Seconds& t = analyses.back().seconds;
        progress.finish(std::string(analyses.back().phase_change ? "phase change found" : "no phase change") +
                        "; snapshots " + number_text(t.snapshots, "%.0f") + " s, full snapshots " +
                        number_text(t.full, "%.0f") + " s, final ICL " + number_text(t.final_icl, "%.0f") + " s");
    }
    write_pca(names, analyses, metrics);
    json::write_file(metrics + "/run.json", run_json(dir, names, first.context, setup, options));
    write_report(dir);
    if (!options.quiet) std::fprintf(stderr, "report: %s/report.html\n", dir.c_str());
}

// The options of the analysis, shared by `run` and `analyze`; their defaults are AnalyzeOptions'.
std::vector<Option> analysis_options() {
    const AnalyzeOptions defaults;
    return {{"examples", "N", "evaluation-set windows; 0: every window of the held-out split (METHODS §2.1)",
             std::to_string(defaults.examples)},
            {"burn-in", "F",
             "the §6.1 burn-in, in [0, 1): a fraction of each model's training tokens (or its warm-up, if longer)",
             number_text(defaults.burn_in, "%g")},
            threads_option(),
            {"quiet", "", "no progress lines on stderr"}};
}

AnalyzeOptions analyze_options(const Args& args) {
    AnalyzeOptions options;
    options.examples = args.get_int("examples");
    options.burn_in = args.get_double("burn-in");
    check(options.burn_in >= 0 && options.burn_in < 1, "option --burn-in must lie in [0, 1), got ",
          options.burn_in);
    options.quiet = args.flag("quiet");
    return options;
}

// Trains every model of the family into dir/<preset>/ with the presets' seed and data_seed raised
// by seed_offset. Finished models are skipped, interrupted ones resumed. True when it trained.
bool train_family(const std::string& dir, const std::vector<std::string>& family, const Args& args,
                  uint64_t seed_offset) {
    make_directories(dir);
    bool trained = false;
    for (const std::string& name : family) {
        TrainConfig config = find_preset(name).config;
        if (args.has("steps")) config.steps = args.get_int("steps", config.steps);
        config.seed += seed_offset;
        config.data_seed += seed_offset;
        TrainOptions options;
        options.out_dir = dir + "/" + name;
        options.threads = args.threads();
        options.quiet = args.flag("quiet");
        if (file_exists(snapshot_path(options.out_dir, config.steps))) continue;  // already trained
        options.resume = !list_snapshots(options.out_dir).empty();
        train(config, options);
        trained = true;
    }
    return trained;
}

// Whether dir already holds a finished analysis (run.json and the report) of exactly its models,
// so a resumed `run --seeds` does not measure a finished seed again (`induction analyze` redoes one).
bool analyzed(const std::string& dir) {
    const std::string run_json = dir + "/metrics/run.json";
    if (!file_exists(dir + "/report.html") || !file_exists(run_json)) return false;
    const json::Value run = json::read_file(run_json);
    std::vector<std::string> models;
    for (const json::Value& name : run.at("models").as_array()) models.push_back(name.as_string());
    return models == model_names(dir);
}

int run_analyze_command(const Args& args) {
    check(args.positional().size() == 1, "expected one run directory");
    cpu::set_max_threads(args.threads());
    analyze_run(args.positional()[0], analyze_options(args));
    return 0;
}

int run_run_command(const Args& args) {
    const bool quick = args.flag("quick");
    const std::string dir = args.get("out", quick ? "runs/quick" : "runs/default");
    const std::vector<std::string> family = quick ? quick_family() : default_family();
    const AnalyzeOptions analyze = analyze_options(args);
    if (!args.has("seeds")) {
        train_family(dir, family, args, 0);
        analyze_run(dir, analyze);
        return 0;
    }
    // --seeds N: the family N times, seed-K/ trained with the presets' seeds + K-1, then a summary.
    const int64_t seeds = args.get_int("seeds", 1);
    check(seeds >= 1 && seeds <= 100, "option --seeds must lie in [1, 100], got ", seeds);
    for (int64_t k = 1; k <= seeds; ++k) {
        const std::string seed_dir = dir + "/seed-" + std::to_string(k);
        if (train_family(seed_dir, family, args, uint64_t(k - 1)) || !analyzed(seed_dir))
            analyze_run(seed_dir, analyze);
    }
    const std::string table = write_seed_summary(dir, summarize_seeds(dir, int(seeds), family));
    std::fputs(table.c_str(), stdout);
    if (!analyze.quiet) std::fprintf(stderr, "seed summary: %s/seeds.md, %s/seeds.json\n", dir.c_str(), dir.c_str());
    return 0;
}

// "a, b and c"
std::string listed(const std::vector<std::string>& names) {
    std::string text;
    for (size_t i = 0; i < names.size(); ++i)
        text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    return text;
}

}  // namespace

const Command RUN_COMMAND = {
    {"run", "[options]",
     "The main job: trains every model of the family (finished ones are skipped, interrupted ones resumed), "
     "analyzes every snapshot and writes DIR/report.html.",
     joined({{"out", "DIR", "the run directory (default: runs/default, or runs/quick with --quick)"},
             {"quick", "", "the quick family (" + listed(quick_family()) + ") instead of the full one (" +
                               listed(default_family()) + ")"},
             {"steps", "N", "train every model N steps (default: its preset's)"},
             {"seeds", "N",
              "train and analyze the family N times, 1 to 100, into DIR/seed-K/ with the presets' seeds + K-1, "
              "then summarize them in DIR/seeds.md and DIR/seeds.json (default: once, into DIR)"}},
            analysis_options())},
    run_run_command};

const Command ANALYZE_COMMAND = {
    {"analyze", "DIR [options]",
     "Measures every snapshot of every model in the run directory DIR, writes DIR/metrics/ and the report.",
     analysis_options()},
    run_analyze_command};

}  // namespace induction
