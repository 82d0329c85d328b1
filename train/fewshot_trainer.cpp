// fewshot_trainer.cpp — the few-shot training loop with clamps (METHODS §8.3, §8.5).
#include "train/fewshot_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "train/adamw.h"
#include "train/progress.h"

namespace induction {

namespace {

constexpr int64_t EVAL_CHUNK = 1000;  // sequences per evaluation forward pass

void check_run_config(const FewShotRunConfig& c, const std::string& source) {
    c.task.validate(source + " (task)");
    c.model.validate(source + " (model)");
    const int T = c.task.sampling == "icl" ? 5 : 2 * c.task.context_pairs + 1;
    check(c.model.d_exemplar == c.task.feature_dim && c.model.d_vocab == c.task.labels && c.model.n_ctx >= T,
          source, ": field 'model' must take d_exemplar = feature_dim (", c.task.feature_dim, "), d_vocab = labels (",
          c.task.labels, ") and n_ctx >= ", T);
    auto in_range = [&](const char* field, double value, double low, double high) {
        check(std::isfinite(value) && value >= low && value <= high, source, ": field '", field, "' must be in [",
              low, ", ", high, "], got ", value);
    };
    in_range("learning_rate", c.learning_rate, 0, 10);
    in_range("beta1", c.beta1, 0, 0.999999);
    in_range("beta2", c.beta2, 0, 0.999999999);
    in_range("eps", c.eps, 1e-30, 1);
    in_range("batch", c.batch, 1, 1 << 16);
    in_range("sequences", double(c.sequences), double(c.batch), 1e10);
    in_range("eval_every", double(c.eval_every), 1, 1e10);
    in_range("snapshots", c.snapshots, 0, 10000);
    in_range("init_seed", double(c.init_seed), 0, 9007199254740992.0);
    c.clamps.validate_for(c.model, source + " (clamps)");
}

// The optimiser steps at which the run evaluates: 0, every eval_every sequences, and the end.
std::vector<int64_t> evaluation_steps(const FewShotRunConfig& c) {
    std::set<int64_t> steps = {0, c.steps()};
    for (int64_t s = c.eval_every; s < c.sequences; s += c.eval_every) steps.insert(s / c.batch);
    return {steps.begin(), steps.end()};
}

std::set<int64_t> snapshot_steps(const FewShotRunConfig& c) {
    std::set<int64_t> steps;
    if (c.snapshots > 0) steps.insert(c.steps());
    for (int i = 0; i + 1 < c.snapshots; ++i) steps.insert(c.steps() * i / std::max(1, c.snapshots - 1));
    return steps;
}

std::string eval_csv_header() {
    std::string header = "step,sequences,train_loss";
    for (int s = 0; s < FEWSHOT_SPLIT_COUNT; ++s) {
        std::string name = split_name(FewShotSplit(s));
        for (const char* metric : {"loss", "acc", "in_context_acc", "in_context_prob", "prob"})
            header += "," + name + "_" + metric;
    }
    return header + "\n";
}

std::string eval_csv_row(const FewShotEvaluation& e) {
    std::ostringstream row;
    row.precision(8);
    row << e.step << ',' << e.sequences << ',' << e.train_loss;
    for (int s = 0; s < FEWSHOT_SPLIT_COUNT; ++s) {  // empty cells for splits not evaluated
        auto it = std::find_if(e.splits.begin(), e.splits.end(), [&](const auto& p) { return int(p.first) == s; });
        if (it == e.splits.end()) {
            row << ",,,,,";
            continue;
        }
        const FewShotMetrics& m = it->second;
        row << ',' << m.loss << ',' << m.accuracy << ',' << m.in_context_accuracy << ',' << m.in_context_probability
            << ',' << m.probability;
    }
    return row.str() + "\n";
}

// ["train", "test_classes", ...] → the splits, each once.
std::vector<FewShotSplit> read_splits(const json::Value& v, const std::string& source) {
    check(v.is_array(), source, ": field 'eval_splits' must be an array of split names");
    std::vector<FewShotSplit> splits;
    for (const json::Value& name : v.as_array()) {
        int found = -1;
        for (int s = 0; s < FEWSHOT_SPLIT_COUNT; ++s)
            if (name.is_string() && name.as_string() == split_name(FewShotSplit(s))) found = s;
        check(found >= 0 && std::find(splits.begin(), splits.end(), FewShotSplit(found)) == splits.end(), source,
              ": field 'eval_splits' holds ", json::dump(name), "; expected distinct names of train, test_relabel, ",
              "train_heldout_exemplars, test_classes");
        splits.push_back(FewShotSplit(found));
    }
    return splits;
}

}  // namespace

json::Value FewShotRunConfig::to_json() const {
    json::Value v = json::Value::object();
    v["task"] = task.to_json();
    v["model"] = model.to_json();
    v["init_seed"] = init_seed;
    v["learning_rate"] = learning_rate;
    v["beta1"] = beta1;
    v["beta2"] = beta2;
    v["eps"] = eps;
    v["batch"] = batch;
    v["sequences"] = sequences;
    v["eval_every"] = eval_every;
    v["snapshots"] = snapshots;
    v["eval_splits"] = json::Value::array();
    for (FewShotSplit split : eval_splits) v["eval_splits"].push_back(split_name(split));
    v["clamps"] = clamps.to_json();
    return v;
}

FewShotRunConfig FewShotRunConfig::from_json(const json::Value& v, const std::string& source) {
    static const std::set<std::string> known = {"task", "model", "init_seed", "learning_rate", "beta1", "beta2",
                                                "eps", "batch", "sequences", "eval_every", "snapshots", "eval_splits", "clamps"};
    check(v.is_object(), source, ": a few-shot run config must be a JSON object");
    for (const auto& [key, _] : v.members())
        check(known.count(key) > 0, source, ": unknown field '", json::printable_line(key), "'");
    FewShotRunConfig c;
    if (v.contains("task")) c.task = FewShotTaskConfig::from_json(v.at("task"), source + " (task)");
    const int T = c.task.sampling == "icl" ? 5 : 2 * c.task.context_pairs + 1;
    c.model = v.contains("model") ? ModelConfig::from_json(v.at("model"), source + " (model)")
                                  : fewshot_model_config(c.task.feature_dim, c.task.labels, T);
    c.init_seed = uint64_t(v.get("init_seed", int64_t(c.init_seed)));
    c.learning_rate = v.get("learning_rate", c.learning_rate);
    c.beta1 = v.get("beta1", c.beta1);
    c.beta2 = v.get("beta2", c.beta2);
    c.eps = v.get("eps", c.eps);
    c.batch = v.get("batch", c.batch);
    c.sequences = v.get("sequences", c.sequences);
    c.eval_every = v.get("eval_every", c.eval_every);
    c.snapshots = v.get("snapshots", c.snapshots);
    if (v.contains("eval_splits")) c.eval_splits = read_splits(v.at("eval_splits"), source);
    if (v.contains("clamps")) c.clamps = ClampSchedule::from_json(v.at("clamps"), source + " (clamps)");
    check_run_config(c, source);
    return c;
}

FewShotMetrics evaluate_fewshot(const Transformer& model, const FewShotTask& task, const FewShotSequences& sequences,
                                const ClampSchedule& clamps, int64_t step) {
    std::vector<FewShotInputs> chunks;
    for (int64_t begin = 0; begin < sequences.count; begin += EVAL_CHUNK)
        chunks.push_back(task.inputs(sequences, begin, std::min(sequences.count, begin + EVAL_CHUNK), model.W_E.dtype()));
    return fewshot_metrics(fewshot_outcomes(model, chunks, clamps, step));
}

FewShotRun train_fewshot(const FewShotRunConfig& config, const FewShotTrainOptions& options) {
    check_run_config(config, "few-shot run config");
    const FewShotTask task(config.task);
    std::vector<FewShotSequences> splits;
    for (FewShotSplit s : config.eval_splits) splits.push_back(task.evaluation_split(s));
    FewShotRun run;
    run.model = make_fewshot_model(config.model, config.init_seed);
    std::vector<AdamWParameter> parameters;
    for (NamedParameter& p : run.model.parameters()) parameters.push_back({p.var, false});
    AdamW adam(parameters, {config.beta1, config.beta2, config.eps});

    std::string csv;
    if (!options.out_dir.empty()) {
        make_directories(options.out_dir + "/snapshots");
        json::write_file(options.out_dir + "/config.json", config.to_json());
        json::write_file(options.out_dir + "/clamps.json", config.clamps.to_json());
        csv = eval_csv_header();
    }
    const std::vector<int64_t> eval_at = evaluation_steps(config);
    const std::set<int64_t> snapshot_at = snapshot_steps(config);
    Progress progress("few-shot", config.steps(), options.quiet);
    double loss_sum = 0;
    int64_t loss_count = 0;
    size_t next_eval = 0;
    for (int64_t step = 0;; ++step) {
        if (next_eval < eval_at.size() && eval_at[next_eval] == step) {
            FewShotEvaluation e{step, step * config.batch, loss_count ? loss_sum / double(loss_count) : NAN, {}};
            for (size_t s = 0; s < splits.size(); ++s)
                e.splits.push_back({config.eval_splits[s], evaluate_fewshot(run.model, task, splits[s], config.clamps, step)});
            if (options.probe) options.probe(e, run.model);
            run.evaluations.push_back(e);
            if (!csv.empty()) write_file_atomic(options.out_dir + "/eval.csv", csv += eval_csv_row(e));
            loss_sum = 0, loss_count = 0, ++next_eval;
        }
        if (!options.out_dir.empty() && snapshot_at.count(step)) {
            char name[64];
            std::snprintf(name, sizeof name, "/snapshots/step-%07lld.safetensors", static_cast<long long>(step));
            save_checkpoint(options.out_dir + name, run.model, {{"step", std::to_string(step)}});
        }
        if (step == config.steps()) break;
        FewShotInputs inputs = task.inputs(task.sample_training(config.batch, uint64_t(step)), 0, config.batch);
        Interventions interventions;
        Var logits = clamped_forward(config.clamps, step, fewshot_clamped_model(run.model, inputs), interventions);
        Var loss = fewshot_loss(logits, inputs.targets);
        for (AdamWParameter& p : parameters) p.var->zero_grad();
        backward(loss);
        adam.step(config.learning_rate, 0.0, global_grad_norm(parameters));
        const double value = loss.value().item();
        check(std::isfinite(value), "few-shot training: the loss is ", value, " at step ", step,
              "; stopping (the last snapshot is intact)");
        loss_sum += value, ++loss_count;
        if (step % 200 == 0) progress.update(step + 1, "loss " + std::to_string(value));
    }
    run.seconds = progress.elapsed_seconds();
    run.steps_per_second = double(config.steps()) / std::max(run.seconds, 1e-9);
    progress.finish("done");
    return run;
}

}  // namespace induction
