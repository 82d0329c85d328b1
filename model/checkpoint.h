// checkpoint.h — saving and loading a Transformer as safetensors.
//
// Tensors carry TransformerLens names and shapes; the model config is stored as JSON in the
// header's __metadata__ under "config", beside any metadata the caller adds (step, tokens seen).
// Our models have no attention biases; zero b_Q, b_K, b_V, b_O are written anyway so the file
// loads into TransformerLens as it is, and are checked to be zero on reading. Reading validates
// the config, every expected tensor's presence, dtype and shape, and rejects unknown tensors,
// with one line naming the file, the tensor and the problem.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/transformer.h"

namespace induction {

using Metadata = std::vector<std::pair<std::string, std::string>>;

void save_checkpoint(const std::string& path, Transformer& model, const Metadata& metadata = {});

struct LoadedCheckpoint {
    Transformer model;
    Metadata metadata;  // without "config"
    std::string get(const std::string& key, const std::string& fallback = "") const;
};
// Weights holding NaN or ±Inf are refused (naming the tensor and the element) unless
// allow_nonfinite, for forensic use on a diverged run.
LoadedCheckpoint load_checkpoint(const std::string& path, bool allow_nonfinite = false);

}  // namespace induction
