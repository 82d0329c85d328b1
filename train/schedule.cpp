// schedule.cpp — evaluating the schedules.
#include "train/schedule.h"

#include <cmath>
#include <sstream>

namespace induction {

double Schedule::learning_rate_at(int64_t step) const {
    if (step < warmup_steps) return learning_rate * double(step + 1) / double(warmup_steps);
    if (decay != "cosine" || total_steps <= warmup_steps) return learning_rate;
    double progress = double(step - warmup_steps) / double(std::max<int64_t>(total_steps - warmup_steps - 1, 1));
    progress = std::min(progress, 1.0);
    double floor = min_lr_fraction * learning_rate;
    return floor + (learning_rate - floor) * 0.5 * (1 + std::cos(M_PI * progress));
}

double Schedule::weight_decay_at(int64_t step) const {
    double value = weight_decay;
    for (const auto& [from, new_value] : weight_decay_changes)
        if (step >= from) value = new_value;
    return value;
}

std::vector<Schedule::ChangePoint> Schedule::change_points() const {
    std::vector<ChangePoint> points;
    if (warmup_steps > 0) points.push_back({warmup_steps, "warm-up ends"});
    if (decay == "cosine") points.push_back({warmup_steps, "cosine decay begins"});
    double previous = weight_decay;
    for (const auto& [from, value] : weight_decay_changes) {
        std::ostringstream what;
        what << "weight decay " << previous << " -> " << value;
        points.push_back({from, what.str()});
        previous = value;
    }
    return points;
}

}  // namespace induction
