// fewshot_trainer.h — training the §8.3 few-shot model on the §8.1–§8.2 task, with a clamp
// schedule (model/clamp.h) applied on every forward pass of training and evaluation (§8.5).
//
// "Iterations" count sequences, as in [S]: a run of `sequences` sequences takes sequences /
// batch optimiser steps. The four evaluation splits are scored every `eval_every` sequences,
// from the initialisation on; the clamp schedule's steps are optimiser steps.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "model/clamp.h"
#include "train/fewshot_task.h"

namespace induction {

struct FewShotRunConfig {
    FewShotTaskConfig task;
    ModelConfig model;            // fewshot_model_config(...) of the task unless given
    uint64_t init_seed = 5;       // [SC]'s main figures
    double learning_rate = 1e-5;  // Adam, constant, no decay, no clipping (§8.3)
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    int batch = 32;
    int64_t sequences = 1000000;  // training length in sequences
    int64_t eval_every = 5000;    // sequences (1000 for [SC]'s clamp runs)
    int snapshots = 0;            // evenly spaced checkpoints kept in the run directory (the last always)
    std::vector<FewShotSplit> eval_splits = {FewShotSplit::TRAIN, FewShotSplit::TEST_RELABEL,
                                             FewShotSplit::TRAIN_HELDOUT_EXEMPLARS, FewShotSplit::TEST_CLASSES};
    ClampSchedule clamps;

    int64_t steps() const { return sequences / batch; }
    json::Value to_json() const;
    // Unknown keys are errors; "model" defaults to the §8.3 model of the task.
    static FewShotRunConfig from_json(const json::Value& value, const std::string& source);
};

struct FewShotEvaluation {
    int64_t step = 0, sequences = 0;
    double train_loss = NAN;                   // mean training-batch loss since the last evaluation
    std::vector<std::pair<FewShotSplit, FewShotMetrics>> splits;  // the config's eval_splits
};

struct FewShotRun {
    std::vector<FewShotEvaluation> evaluations;
    Transformer model;                         // the final model
    double seconds = 0;
    double steps_per_second = 0;
};

// Measurements taken at each evaluation on the model as it is then (induction strength, say).
using FewShotProbe = std::function<void(const FewShotEvaluation&, const Transformer& model)>;

struct FewShotTrainOptions {
    std::string out_dir;   // run directory (config.json, eval.csv, snapshots/); none when empty
    bool quiet = false;    // no progress lines
    FewShotProbe probe;    // optional
};

// The split's sequences scored with the schedule's clamps active at `step`, in chunks.
FewShotMetrics evaluate_fewshot(const Transformer& model, const FewShotTask& task, const FewShotSequences& sequences,
                                const ClampSchedule& clamps, int64_t step);

FewShotRun train_fewshot(const FewShotRunConfig& config, const FewShotTrainOptions& options = {});

}  // namespace induction
