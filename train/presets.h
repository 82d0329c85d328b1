// presets.h — named training configurations: the paper's small-model family scaled to a 2-core
// CPU, and the paper's own sizes for big machines (METHODS §1.8).
//
// Every preset of a family shares data order, schedule and seeds; only the architecture differs,
// so their curves are comparable as in [O].
#pragma once

#include <string>
#include <vector>

#include "train/train_config.h"

namespace induction {

struct Preset {
    std::string name;         // "attn-2l"
    std::string description;  // one line for `induction presets`
    TrainConfig config;
};

const std::vector<Preset>& presets();
const Preset& find_preset(const std::string& name);  // throws listing the known names
const char* default_preset_name();                  // the model `induction train` uses by default
// The models `induction run` trains, and the quick subset for `induction run --quick`.
std::vector<std::string> default_family();
std::vector<std::string> quick_family();

}  // namespace induction
