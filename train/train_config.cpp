// train_config.cpp — TrainConfig JSON round trip, validation and the snapshot schedule.
#include "train/train_config.h"

#include <cmath>
#include <set>

#include "tensor/error.h"

namespace induction {

namespace {

// Clamp values that read the few-shot task's labels have nothing to read in a language model.
void check_language_model_clamps(const ClampSchedule& schedule, const std::string& where) {
    for (size_t i = 0; i < schedule.clamps.size(); ++i) {
        const ClampValue& value = schedule.clamps[i].value;
        const std::string clamp = where + " clamps[" + std::to_string(i) + "]";
        check(value.kind != ClampValueKind::INDUCTION && value.kind != ClampValueKind::PERFECT_COPY, clamp,
              ": value '", clamp_value_name(value.kind), "' reads the few-shot task's labels; a language model has "
              "none");
        if (value.pass) check_language_model_clamps(*value.pass, clamp + " pass");
    }
}

}  // namespace

std::vector<int64_t> TrainConfig::snapshot_steps() const {
    std::set<int64_t> steps_set = {0, steps};
    if (snapshot_every > 0)
        for (int64_t s = snapshot_every; s < steps; s += snapshot_every) steps_set.insert(s);
    for (int i = 0; i < snapshot_log_count; ++i) {
        double fraction = snapshot_log_count == 1 ? 1.0 : double(i) / double(snapshot_log_count - 1);
        steps_set.insert(int64_t(std::llround(std::pow(double(steps), fraction))));
    }
    return {steps_set.begin(), steps_set.end()};
}

void TrainConfig::validate(const std::string& source) const {
    model.validate(source + " (model)");
    // A number must lie in [low, high] (each end open when its flag says so) and be finite.
    auto in_range = [&](const char* field, double value, double low, double high, bool open_low = false,
                        bool open_high = false) {
        const bool ok = std::isfinite(value) && (open_low ? value > low : value >= low) &&
                        (open_high ? value < high : value <= high);
        check(ok, source, ": field '", field, "' must be in ", open_low ? "(" : "[", low, ", ", high,
              open_high ? ")" : "]", ", got ", value);
    };
    in_range("batch_size", double(batch_size), 1, MAX_BATCH_SIZE);
    in_range("context", double(context), 2, model.n_ctx);
    in_range("steps", double(steps), 1, MAX_STEPS);
    in_range("learning_rate", schedule.learning_rate, 0, MAX_LEARNING_RATE, true);
    in_range("warmup_steps", double(schedule.warmup_steps), 0, double(steps));
    check(schedule.decay == "constant" || schedule.decay == "cosine", source,
          ": field 'lr_decay' must be \"constant\" or \"cosine\", got \"", json::printable_line(schedule.decay), "\"");
    in_range("min_lr_fraction", schedule.min_lr_fraction, 0, 1);
    // Decoupled decay multiplies weights by 1 - lr·λ each step: λ·lr must stay below 1.
    auto decay = [&](const char* field, double value) {
        in_range(field, value, 0, 1 / schedule.learning_rate, false, true);
    };
    decay("weight_decay", schedule.weight_decay);
    for (const auto& [step, value] : schedule.weight_decay_changes) {
        in_range("weight_decay_changes[].step", double(step), 0, double(steps));
        decay("weight_decay_changes[].weight_decay", value);
    }
    in_range("beta1", adam.beta1, 0, 1, false, true);
    in_range("beta2", adam.beta2, 0, 1, false, true);
    in_range("adam_eps", adam.eps, 0, 1, true);
    in_range("grad_clip", grad_clip, 0, 1e12);
    in_range("snapshot_every", double(snapshot_every), 0, double(steps));
    in_range("snapshot_log_count", double(snapshot_log_count), 0, MAX_SNAPSHOT_LOG_COUNT);
    check(!corpus_dir.empty(), source, ": field 'corpus_dir' must name a directory");
    in_range("corpus_heldout_fraction", corpus_heldout_fraction, 0, 0.5, true, true);
    in_range("corpus_seed", double(corpus_seed), 0, 9007199254740992.0);
    in_range("seed", double(seed), 0, 9007199254740992.0);
    in_range("data_seed", double(data_seed), 0, 9007199254740992.0);
    clamps.validate_for(model, source + " (clamps)");
    check_language_model_clamps(clamps, source + " (clamps)");
}

json::Value TrainConfig::to_json() const {
    json::Value v = json::Value::object();
    v["name"] = name;
    v["model"] = model.to_json();
    v["batch_size"] = batch_size;
    v["context"] = context;
    v["steps"] = steps;
    v["seed"] = seed;
    v["data_seed"] = data_seed;
    v["learning_rate"] = schedule.learning_rate;
    v["warmup_steps"] = schedule.warmup_steps;
    v["lr_decay"] = schedule.decay;
    v["min_lr_fraction"] = schedule.min_lr_fraction;
    v["weight_decay"] = schedule.weight_decay;
    json::Value changes = json::Value::array();
    for (const auto& [step, value] : schedule.weight_decay_changes) {
        json::Value change = json::Value::object();
        change["step"] = step;
        change["weight_decay"] = value;
        changes.push_back(change);
    }
    v["weight_decay_changes"] = changes;
    v["beta1"] = adam.beta1;
    v["beta2"] = adam.beta2;
    v["adam_eps"] = adam.eps;
    v["grad_clip"] = grad_clip;
    v["snapshot_every"] = snapshot_every;
    v["snapshot_log_count"] = snapshot_log_count;
    v["corpus_dir"] = corpus_dir;
    v["corpus_heldout_fraction"] = corpus_heldout_fraction;
    v["corpus_seed"] = corpus_seed;
    if (!clamps.empty()) v["clamps"] = clamps.to_json();  // absent for a plain run (train_config.h)
    return v;
}

TrainConfig TrainConfig::from_json(const json::Value& v, const std::string& source) {
    check(v.is_object(), source, ": a training config must be a JSON object");
    static const std::set<std::string> known = {
        "name", "model", "batch_size", "context", "steps", "seed", "data_seed", "learning_rate",
        "warmup_steps", "lr_decay", "min_lr_fraction", "weight_decay", "weight_decay_changes",
        "beta1", "beta2", "adam_eps", "grad_clip", "snapshot_every", "snapshot_log_count",
        "corpus_dir", "corpus_heldout_fraction", "corpus_seed", "clamps"};
    for (const auto& [key, value] : v.members())
        check(known.count(key) > 0, source, ": unknown field '", json::printable_line(key), "'");
    TrainConfig c;
    auto number = [&](const char* key) -> double {
        check(v.at(key).is_number(), source, ": field '", key, "' must be a number, got ", json::dump(v.at(key)));
        return v.at(key).as_number();
    };
    // Integers up to 2^53, the largest a JSON number holds exactly (1e300 once became -2^63).
    auto integer = [&](const char* key) -> int64_t {
        double x = number(key);
        check(x == std::floor(x) && std::abs(x) <= 9007199254740992.0, source, ": field '", key,
              "' must be an integer of at most 2^53 in magnitude, got ", x);
        return int64_t(x);
    };
    // Seeds are unsigned: a negative one would be stored as 2^64 - |seed| and read back otherwise.
    auto seed = [&](const char* key) -> uint64_t {
        int64_t x = integer(key);
        check(x >= 0, source, ": field '", key, "' must be a non-negative integer, got ", x);
        return uint64_t(x);
    };
    auto text = [&](const char* key) -> std::string {
        check(v.at(key).is_string(), source, ": field '", key, "' must be a string, got ", json::dump(v.at(key)));
        return v.at(key).as_string();
    };
    if (v.contains("name")) c.name = text("name");
    if (v.contains("model")) c.model = ModelConfig::from_json(v.at("model"), source + " (model)");
    if (v.contains("batch_size")) c.batch_size = integer("batch_size");
    if (v.contains("context")) c.context = integer("context");
    if (v.contains("steps")) c.steps = integer("steps");
    if (v.contains("seed")) c.seed = seed("seed");
    if (v.contains("data_seed")) c.data_seed = seed("data_seed");
    if (v.contains("learning_rate")) c.schedule.learning_rate = number("learning_rate");
    if (v.contains("warmup_steps")) c.schedule.warmup_steps = integer("warmup_steps");
    if (v.contains("lr_decay")) c.schedule.decay = text("lr_decay");
    if (v.contains("min_lr_fraction")) c.schedule.min_lr_fraction = number("min_lr_fraction");
    if (v.contains("weight_decay")) c.schedule.weight_decay = number("weight_decay");
    if (v.contains("weight_decay_changes")) {
        check(v.at("weight_decay_changes").is_array(), source,
              ": field 'weight_decay_changes' must be an array of {step, weight_decay}");
        for (const json::Value& change : v.at("weight_decay_changes").as_array()) {
            check(change.is_object() && change.contains("step") && change.contains("weight_decay") &&
                      change.size() == 2,
                  source, ": each of 'weight_decay_changes' must be {\"step\": N, \"weight_decay\": X}");
            const json::Value& step = change.at("step");
            const json::Value& value = change.at("weight_decay");
            check(step.is_number() && step.as_number() == std::floor(step.as_number()) &&
                      std::abs(step.as_number()) <= 9007199254740992.0,
                  source, ": field 'weight_decay_changes[].step' must be an integer, got ", json::dump(step));
            check(value.is_number(), source, ": field 'weight_decay_changes[].weight_decay' must be a number, got ",
                  json::dump(value));
            c.schedule.weight_decay_changes.push_back({int64_t(step.as_number()), value.as_number()});
        }
    }
    if (v.contains("beta1")) c.adam.beta1 = number("beta1");
    if (v.contains("beta2")) c.adam.beta2 = number("beta2");
    if (v.contains("adam_eps")) c.adam.eps = number("adam_eps");
    if (v.contains("grad_clip")) c.grad_clip = number("grad_clip");
    if (v.contains("snapshot_every")) c.snapshot_every = integer("snapshot_every");
    if (v.contains("snapshot_log_count")) c.snapshot_log_count = int(integer("snapshot_log_count"));
    if (v.contains("corpus_dir")) c.corpus_dir = text("corpus_dir");
    if (v.contains("corpus_heldout_fraction")) c.corpus_heldout_fraction = number("corpus_heldout_fraction");
    if (v.contains("corpus_seed")) c.corpus_seed = seed("corpus_seed");
    if (v.contains("clamps")) c.clamps = ClampSchedule::from_json(v.at("clamps"), source + " (clamps)");
    c.schedule.total_steps = c.steps;
    c.validate(source);
    return c;
}

}  // namespace induction
