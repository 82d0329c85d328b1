// cmd_heads.cpp — `induction heads CHECKPOINT [--json]`: the head evaluator table of one
// snapshot (METHODS §3 prefix matching, copying, previous token; §4.3 eig_copying) and each
// head's class (§5.6).
//
// The inputs are those the run's analysis uses (tools/analysis_inputs.h), so for a snapshot of
// an analyzed run the scores are the numbers of its metrics. --copying-ratio picks the reading
// of the copying score (per-source, deviation, raised-share; analysis/evaluators.h).
// With --json the output has the format of metrics/<model>/heads.json
// (analysis/metrics_schema.md).
#include <chrono>
#include <cmath>
#include <cstdio>

#include "analysis/evaluators.h"
#include "model/checkpoint.h"
#include "tools/analysis_inputs.h"
#include "tools/args.h"
#include "tools/format.h"
#include "tools/commands.h"

namespace induction {

namespace {

int run_heads_command(const Args& args) {
    check(args.positional().size() == 1, "expected one CHECKPOINT argument");
    const std::string checkpoint = args.positional()[0];
    const CopyingRatio ratio = copying_ratio_from_name(args.get("copying-ratio"));
    LoadedCheckpoint loaded = load_checkpoint(checkpoint, args.flag("allow-nonfinite"));
    const Transformer& model = loaded.model;
    const ModelConfig& config = model.config;

    auto started = std::chrono::steady_clock::now();
    EvaluatorInputs inputs = snapshot_evaluator_inputs(checkpoint, config, args);
    auto evaluating = std::chrono::steady_clock::now();
    HeadScores scores = evaluate_heads(model, inputs, ratio);
    auto done = std::chrono::steady_clock::now();
    ClassificationRule rule = classification_rule(config);
    std::vector<HeadClass> classes = classify_heads(scores, rule);

    if (args.flag("json")) {
        std::printf("%s\n", json::dump(heads_json(scores, classes, rule)).c_str());
        return 0;
    }
    std::vector<char> unstable = unstable_heads(scores, rule);
    std::vector<char> disagree = copying_measures_disagree(scores, rule);
    auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    std::printf("%s: %d layers x %d heads; evaluator inputs %s\n", checkpoint.c_str(),
                config.n_layers, config.n_heads, json::dump(inputs.settings_json()).c_str());
    std::printf("layer head  prefix   copy  copy_top  eig_copying   prev  class\n");
    for (int l = 0; l < config.n_layers; ++l)
        for (int h = 0; h < config.n_heads; ++h) {
            size_t i = size_t(l * config.n_heads + h);
            std::printf("%5d %4d %7s %6s %9s %12s %6s  %s%s%s\n", l, h,
                        number_text(scores.prefix_matching.at(l, h)).c_str(),
                        number_text(scores.copying.at(l, h)).c_str(),
                        number_text(scores.copying_top.at(l, h)).c_str(),
                        number_text(scores.copy_eig.at(l, h)).c_str(),
                        number_text(scores.previous_token.at(l, h)).c_str(),
                        head_class_name(classes[i]), unstable[i] ? " (unstable)" : "",
                        disagree[i] ? " (copy and eig_copying disagree)" : "");
        }
    std::printf(
        "copy: the %s reading of the copying ratio (METHODS §3.1), random baseline %.2f; copy_top: "
        "fraction of positions whose most-attended token is the one the head raises most (chance "
        "%.2f); eig_copying: sum of the OV circuit's eigenvalues over the sum of their moduli "
        "(§4.3), random baseline 0; (unstable): the class changes with thresholds +-0.1 or "
        "eig_copying for copy (§5.6); '-': no score (the head writes nothing W_U reads)\n"
        "inputs %.3f s, evaluators %.3f s\n",
        copying_ratio_name(ratio), copying_random_baseline(ratio, inputs.copying.size(1)),
        1.0 / double(inputs.copying.size(1)), seconds(started, evaluating),
        seconds(evaluating, done));
    return 0;
}

}  // namespace

const Command HEADS_COMMAND = {
    {"heads", "CHECKPOINT [options]",
     "Prints the head evaluator table of one snapshot: prefix matching, copying, eig_copying, previous token "
     "and each head's class, on the inputs its run's analysis uses.",
     joined({{"copying-ratio", "per-source-signed|per-source|deviation|raised-share",
              "the reading of the copying score (analysis/evaluators.h)",
              copying_ratio_name(CopyingRatio::PER_SOURCE_SIGNED)},
             {"json", "", "print the table as JSON, in the format of metrics/<model>/heads.json"},
             allow_nonfinite_option()},
            snapshot_input_options())},
    run_heads_command};

}  // namespace induction
