// trainer.h — the training loop: data, AdamW, schedules, snapshots, progress, exact resume.
//
// A run directory holds (DESIGN.md "Run directory"):
//   config.json                  the TrainConfig, enough to repeat the run
//   tokenizer.json               the corpus tokenizer
//   snapshots/step-NNNNNN.safetensors   parameters after N steps (+ tokens seen in metadata)
//   snapshots/resume.safetensors        optimizer state of the newest snapshot
//   train_loss.csv               step, tokens, loss, grad_norm, lr, weight_decay per step
//   train.log                    what happened, in words
// Everything is written to a temporary name and renamed. A NaN or Inf loss stops the run with
// a message; the snapshots written so far stay. `resume` continues from the newest snapshot and
// reproduces the uninterrupted run bit for bit (the data order is a function of the step).
#pragma once

#include <string>

#include "model/transformer.h"
#include "train/corpus.h"
#include "train/train_config.h"

namespace induction {

struct TrainOptions {
    std::string out_dir;
    bool resume = false;
    int threads = 0;     // 0: OpenMP's default
    bool quiet = false;  // no progress lines
    int64_t stop_at_step = -1;  // >= 0: stop there as if interrupted (no final snapshot); resumable
    // Where the corpus comes from: the built-in Debian sources unless a test supplies its own.
    std::vector<CorpusSource> corpus_sources = builtin_sources();
    std::string corpus_root = "/";
};

struct TrainResult {
    int64_t steps = 0;
    double final_loss = 0;           // mean training loss of the last 10% of steps
    std::string final_snapshot;
    double tokens_per_second = 0;
};

TrainResult train(const TrainConfig& config, const TrainOptions& options);

// One optimizer step on one batch: forward, mean next-token loss, backward, gradient clipping,
// AdamW with the scheduled learning rate and weight decay. When the loss is not finite nothing is
// updated and the loss is returned for the caller to report.
struct StepResult {
    double loss = 0;
    double grad_norm = 0;
};
StepResult train_step(Transformer& model, AdamW& optimizer, const std::vector<AdamWParameter>& trainable,
                      const Tensor& batch, const TrainConfig& config, int64_t step);

// "DIR/snapshots/step-000100.safetensors"
std::string snapshot_path(const std::string& run_dir, int64_t step);
// The steps of the snapshots present in a run directory, ascending.
std::vector<int64_t> list_snapshots(const std::string& run_dir);

}  // namespace induction
