// config.h — ModelConfig: the architecture of a transformer (METHODS §1), with TransformerLens
// field names so a config reads the same here and in TransformerLens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/io/json.h"

namespace induction {

struct ModelConfig {
    // TransformerLens fields.
    int n_layers = 2;
    int d_model = 128;
    int n_heads = 4;
    int d_head = 32;
    int d_mlp = 512;          // used when !attn_only (METHODS §1.2: 4 * d_model)
    int d_vocab = 2048;
    int n_ctx = 256;          // longest context the position table covers
    bool attn_only = true;
    std::string normalization_type = "LN";                // "LN" (pre-LN + final LN) | "none"
    // "shortformer" (PIA, §1.4 i) | "standard" (§1.4 ii) | "rotary" (RoPE on q and k, §1.4 iii; no W_pos)
    std::string positional_embedding_type = "shortformer";
    std::string act_fn = "gelu";                          // "gelu" (exact, erf) | "relu"
    // Ours.
    bool smear_keys = false;               // §1.6: one trainable α per head
    double smear_alpha_init = 0.0;         // σ(0) = 0.5
    std::vector<int> local_windows;        // §1.5: per layer*head (flat, layer-major); empty = all dense
    bool fixed_positions = false;          // W_pos is the sinusoidal table and is not trained
    double init_range = 0.02;              // N(0, init_range²) for W_U and a learned W_pos (§1.7)
    double embed_init_range = 0.02;        // N(0, embed_init_range²) for W_E
    bool scale_output_init = false;        // W_O, W_out scaled by 1/sqrt(2 L) (§1.7)
    // Few-shot models (§8.3): > 0 adds the exemplar input map W_x [d_exemplar, d_model] + b_x; the
    // token embedding W_E then embeds labels (d_vocab = L) and W_U reads out label logits.
    int d_exemplar = 0;

    bool has_layer_norm() const { return normalization_type == "LN"; }
    bool position_infused() const { return positional_embedding_type == "shortformer"; }
    bool rotary() const { return positional_embedding_type == "rotary"; }
    // Per-head windows of one layer (size n_heads), or empty when every head is dense.
    std::vector<int32_t> windows_of_layer(int layer) const;

    // Throws naming the field and what was expected (source names the file, if any). Sizes are
    // bounded, and so is the parameter count they imply, before anything is allocated.
    void validate(const std::string& source = "config") const;
    static constexpr int MAX_LAYERS = 256, MAX_HEADS = 1024, MAX_WIDTH = 1 << 16;
    static constexpr int MAX_VOCAB = 1 << 24, MAX_CONTEXT = 1 << 20;
    static constexpr double MAX_PARAMETERS = double(int64_t{1} << 31);
    json::Value to_json() const;
    // Unknown keys are errors, so a misspelt field never silently falls back to a default.
    static ModelConfig from_json(const json::Value& value, const std::string& source = "config");
};

}  // namespace induction
