// trainer.h — the training loop: data, AdamW, schedules, snapshots, progress, exact resume.
//
// A run directory holds (DESIGN.md "Run directory"):
//   config.json                  the TrainConfig, fixed once the run has started
//   tokenizer.json               the corpus tokenizer
//   snapshots/step-NNNNNN.safetensors   parameters after N steps (+ tokens seen, recent loss)
//   snapshots/resume.safetensors        optimizer state of the newest snapshot (resume_state.h)
//   train_loss.csv               step, tokens, loss, grad_norm, lr, weight_decay per step (appended)
//   train.log                    what happened, in words (appended)
// Files are replaced atomically (file_io.h) or appended, never written through a link. A new run
// writes its config, an empty loss table and a step-0 resume state before the first snapshot, and
// each snapshot is followed by its resume state, so a SIGKILL at any moment leaves a directory
// that `resume` continues; the resumed run's files equal the uninterrupted run's byte for byte
// (the data order is a function of the step). A resume that asks for a different config is
// refused before anything is written (the clamp schedule is part of the config); a resume of a
// finished run writes nothing. A run with clamps (TrainConfig::clamps, METHODS §8.5) applies them
// on every forward pass of training (the trainer has no evaluation passes), logs them in
// train.log and records them in every snapshot's metadata ("clamps", the schedule's JSON); a run
// without clamps runs the plain forward pass, bit for bit what it ran before clamps existed.
// The analysis of snapshots (`induction analyze`) measures the bare weights, without the clamps;
// tools/clamp/lm_bridge.h measures a clamped run both ways. A non-finite
// loss or gradient norm stops the run before the update, and weights are checked to be finite
// before every snapshot, so the last snapshot on disk is always finite and the error names it.
#pragma once

#include <functional>
#include <string>

#include "model/clamp.h"
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
    // Called before every step (before its snapshot, if any) with the model and the step; may edit
    // the weights. Tests inject faults with it.
    std::function<void(Transformer&, int64_t step)> before_step;
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

// What clamped_forward (model/clamp.h) needs to run a language model on tokens (i32 [B, T]): its
// embedding and unembedding, and for CHECKPOINT values the same site of another model's plain
// forward pass on the same tokens (each checkpoint is read once).
ClampedModel lm_clamped_model(const Transformer& model, const Tensor& tokens);
// The logits [B, T, d_vocab] with the clamps of `clamps` active at `step`, and `interventions`
// (captures, say) in force: the plain forward() when the schedule is empty.
Var lm_forward(const Transformer& model, const Tensor& tokens, const ClampSchedule& clamps, int64_t step,
               Interventions* interventions = nullptr);

// One optimizer step on one batch: forward (with the config's clamps active at `step`), mean next-token loss, backward, global gradient norm,
// AdamW (clipping by that norm) with the scheduled learning rate and weight decay. Every part is an
// op, so the step reads nothing on the host: the loss and the norm stay where they were computed
// (tensors of shape []), for the caller to read when it wants them. When the loss or the norm is
// not finite no parameter is updated.
struct StepTensors {
    Tensor loss, grad_norm;
};
StepTensors train_step_on_device(Transformer& model, AdamW& optimizer,
                                 const std::vector<AdamWParameter>& trainable, const Tensor& batch,
                                 const TrainConfig& config, int64_t step);
// The same, with the loss and the gradient norm read on the host.
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
