// train_config.h — everything needed to repeat a training run, as one JSON-serialisable struct.
#pragma once

#include <string>

#include "model/clamp.h"
#include "model/config.h"
#include "train/adamw.h"
#include "train/schedule.h"

namespace induction {

struct TrainConfig {
    std::string name = "custom";  // the preset name, or "custom"
    ModelConfig model;
    int64_t batch_size = 32;
    int64_t context = 128;  // tokens per training window (<= model.n_ctx)
    int64_t steps = 1000;
    uint64_t seed = 0;       // parameter initialisation
    uint64_t data_seed = 0;  // window order; the same for every model of a family
    Schedule schedule;       // total_steps follows `steps`
    AdamWOptions adam;
    double grad_clip = 1.0;  // max global gradient norm; 0 disables clipping
    int64_t snapshot_every = 100;  // 0: none on a fixed grid
    int snapshot_log_count = 0;    // extra log-spaced snapshots over [1, steps]
    std::string corpus_dir = "data/corpus";  // built on first use; shared by runs
    double corpus_heldout_fraction = 0.10;
    uint64_t corpus_seed = 1;
    // Clamps (METHODS §8.5) active on every forward pass of training, from the steps each names
    // ("clamps": {"clamps": [...]}, model/clamp.h). Empty: a plain run, whose config.json has no
    // "clamps" key, so its files are what they were before clamps existed. Values that need the
    // few-shot task's labels (induction, perfect_copy) are refused: a language model has none.
    ClampSchedule clamps;

    int64_t tokens_per_step() const { return batch_size * context; }
    // Snapshot steps, ascending: 0, the grid, the log-spaced points, and always the last step.
    std::vector<int64_t> snapshot_steps() const;

    // Every field against its allowed range; one line naming source, the field, the range and the
    // value (β in [0, 1), eps > 0, 0 < lr <= MAX_LEARNING_RATE, lr·weight_decay < 1, ...).
    void validate(const std::string& source = "config") const;
    static constexpr double MAX_LEARNING_RATE = 10;
    static constexpr double MAX_BATCH_SIZE = 1 << 20;
    static constexpr double MAX_STEPS = 1e9;
    static constexpr double MAX_SNAPSHOT_LOG_COUNT = 100000;
    json::Value to_json() const;
    static TrainConfig from_json(const json::Value& value, const std::string& source = "config");
};

}  // namespace induction
