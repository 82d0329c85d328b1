// schedule.h — learning-rate and weight-decay schedules over optimizer steps.
//
// Learning rate: linear warm-up from 0 over `warmup_steps`, then constant or cosine decay to
// min_lr_fraction × peak at the last step. Weight decay: a base value with optional changes at
// given steps ([O] reduced it once, after the phase change). Every point where either schedule
// changes behaviour is listed by change_points(), so analysis can check that a phase change
// does not coincide with one (METHODS §1.7, §6.2).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace induction {

struct Schedule {
    double learning_rate = 3e-3;
    int64_t warmup_steps = 50;
    std::string decay = "constant";  // "constant" | "cosine"
    double min_lr_fraction = 0.1;    // cosine floor, as a fraction of the peak
    int64_t total_steps = 1000;
    double weight_decay = 0.01;
    std::vector<std::pair<int64_t, double>> weight_decay_changes;  // (from step, new value)

    double learning_rate_at(int64_t step) const;  // step is 0-based
    double weight_decay_at(int64_t step) const;

    struct ChangePoint {
        int64_t step;
        std::string what;  // "warm-up ends", "weight decay 0.01 -> 0.001", ...
    };
    std::vector<ChangePoint> change_points() const;
};

}  // namespace induction
