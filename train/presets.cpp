// presets.cpp — the preset table.
#include "train/presets.h"

#include "tensor/error.h"

namespace induction {

namespace {

// The small family on the built-in corpus: d_model 128, 4 heads of 32, pre-LN, fixed sinusoidal
// position-infused attention, BPE vocabulary 2048.
TrainConfig small_family_base() {
    TrainConfig c;
    c.model.d_model = 128;
    c.model.n_heads = 4;
    c.model.d_head = 32;
    c.model.d_mlp = 512;
    c.model.d_vocab = 2048;
    c.model.n_ctx = 256;
    c.model.fixed_positions = true;
    c.batch_size = 16;
    c.context = 256;
    c.steps = 3000;
    c.schedule.learning_rate = 3e-3;
    c.schedule.warmup_steps = 50;
    c.schedule.weight_decay = 0.01;
    c.schedule.total_steps = c.steps;
    c.adam.beta1 = 0.9;
    c.adam.beta2 = 0.99;
    c.grad_clip = 1.0;
    c.snapshot_every = 50;
    return c;
}

Preset small(const std::string& name, const std::string& description, int layers, bool attn_only,
             bool smear) {
    TrainConfig c = small_family_base();
    c.name = name;
    c.model.n_layers = layers;
    c.model.attn_only = attn_only;
    c.model.smear_keys = smear;
    return {name, description, c};
}

// [O]'s small models: d_model 768, 12 heads of 64, context 8192, vocabulary 2^16.
Preset paper(const std::string& name, int layers, bool attn_only) {
    TrainConfig c = small_family_base();
    c.name = name;
    c.model.n_layers = layers;
    c.model.attn_only = attn_only;
    c.model.d_model = 768;
    c.model.n_heads = 12;
    c.model.d_head = 64;
    c.model.d_mlp = 4 * 768;
    c.model.d_vocab = 65536;
    c.model.n_ctx = 8192;
    c.model.fixed_positions = false;
    c.context = 8192;
    c.batch_size = 8;
    c.steps = 10000;
    c.schedule.learning_rate = 1e-3;
    c.schedule.warmup_steps = 1500;
    c.schedule.total_steps = c.steps;
    c.schedule.weight_decay_changes = {{4750, 0.001}};
    c.snapshot_every = 50;
    c.corpus_dir = "data/corpus-65536";
    return {name, std::string("[O] small-model size: ") + std::to_string(layers) + " layer(s), " +
                      (attn_only ? "attention-only" : "with MLPs") + ", d_model 768, context 8192 "
                      "(needs a big machine)", c};
}

}  // namespace

const std::vector<Preset>& presets() {
    static const std::vector<Preset> table = {
        small("attn-1l", "1-layer attention-only (no induction heads expected)", 1, true, false),
        small("attn-2l", "2-layer attention-only: the model that shows the phase change", 2, true, false),
        small("attn-3l", "3-layer attention-only", 3, true, false),
        small("mlp-1l", "1-layer with MLP", 1, false, false),
        small("mlp-2l", "2-layer with MLPs", 2, false, false),
        small("attn-1l-smear", "1-layer attention-only with smeared keys (induction in one layer)", 1, true, true),
        small("attn-2l-smear", "2-layer attention-only with smeared keys (earlier phase change)", 2, true, true),
        paper("paper-attn-1l", 1, true),
        paper("paper-attn-2l", 2, true),
        paper("paper-attn-3l", 3, true),
        paper("paper-mlp-1l", 1, false),
        paper("paper-mlp-2l", 2, false),
    };
    return table;
}

const Preset& find_preset(const std::string& name) {
    std::string known;
    for (const Preset& p : presets()) {
        if (p.name == name) return p;
        known += (known.empty() ? "" : ", ") + p.name;
    }
    fail("unknown preset '", name, "' (known: ", known, ")");
}

const char* default_preset_name() { return "attn-2l"; }

std::vector<std::string> default_family() {
    return {"attn-1l", "attn-2l", "attn-1l-smear", "attn-2l-smear"};
}

std::vector<std::string> quick_family() { return {"attn-1l", "attn-1l-smear"}; }

TrainConfig quick_variant(TrainConfig c) {
    // The 1-layer contrast of a PyTorch pilot: context 128, batch 32, lr 1e-2 showed the smeared
    // model's phase change at steps 550-750 and none for the vanilla model.
    c.context = 128;
    c.batch_size = 32;
    c.steps = 800;
    c.schedule.learning_rate = 1e-2;
    c.schedule.total_steps = c.steps;
    c.snapshot_every = 25;
    return c;
}

}  // namespace induction
