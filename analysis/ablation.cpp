// ablation.cpp — the three ablations of METHODS §5.1–§5.3, by definition and fast.
#include "analysis/ablation.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "autograd/functions.h"

namespace induction {

namespace {

void check_heads(const HeadSet& heads, const ModelConfig& config) {
    check(!heads.empty(), "ablation: no heads to ablate");
    for (const HeadRef& h : heads)
        check(h.layer >= 0 && h.layer < config.n_layers && h.head >= 0 && h.head < config.n_heads,
              "ablation: head ", h.layer, ".", h.head, " is not in a model of ", config.n_layers,
              " layers × ", config.n_heads, " heads");
}

void check_tokens(const Tensor& tokens) {
    check(tokens.dtype() == DType::I32 && tokens.ndim() == 2 && tokens.size(1) >= 2,
          "ablation: tokens must be i32 [N, T >= 2], got ", describe(tokens));
}

int first_layer(const HeadSet& heads) {
    int first = heads.front().layer;
    for (const HeadRef& h : heads) first = std::min(first, h.layer);
    return first;
}

// Removes each head's output: z^h = 0, hence r^h = W_O z^h = 0 (§5.1; [SC]'s v = 0 is the same
// when there is no b_O, and our heads have none).
void remove_outputs(Interventions& hooks, const HeadSet& heads, int from_layer) {
    for (const HeadRef& h : heads)
        if (h.layer >= from_layer) hooks.ablate_head(h.layer, h.head);
}

// Run 1 of every mode: what the clean pass must keep for the ablated pass to use.
void capture_frozen(Interventions& hooks, const ModelConfig& config, AblationMode mode) {
    for (int l = 0; l < config.n_layers; ++l) {
        if (mode == AblationMode::PATTERN_PRESERVING) hooks.capture(Site::PATTERN, l);
        if (mode == AblationMode::VALUE_PRESERVING) hooks.capture(Site::V, l);
    }
}

// Run 2's freezing (§5.2, §5.3) for layers >= from_layer, from a clean pass's captures.
void freeze(Interventions& hooks, const Interventions& clean, const ModelConfig& config,
            AblationMode mode, int from_layer) {
    for (int l = from_layer; l < config.n_layers; ++l) {
        if (mode == AblationMode::PATTERN_PRESERVING)
            hooks.replace(Site::PATTERN, l, Var(clean.captured(Site::PATTERN, l)));
        if (mode == AblationMode::VALUE_PRESERVING)
            hooks.replace(Site::V, l, Var(clean.captured(Site::V, l)));
    }
}

// The ablated heads in an ablated pass: value-preserving zeroes their values after the clamps
// ([SC]: replacements are applied before scales at a site); the others zero their z.
void ablate(Interventions& hooks, const HeadSet& heads, AblationMode mode, int from_layer) {
    if (mode != AblationMode::VALUE_PRESERVING) return remove_outputs(hooks, heads, from_layer);
    for (const HeadRef& h : heads)
        if (h.layer >= from_layer) hooks.scale(Site::V, h.layer, h.head, 0.0);
}

// An attention-only model with frozen patterns is linear in the residual stream between layer
// norms, and nothing in a layer reads that layer's own output: the stream leaving the first
// ablated layer is the clean one minus the ablated heads' clean result vectors.
bool skips_first_ablated_layer(const ModelConfig& config, AblationMode mode) {
    return mode == AblationMode::PATTERN_PRESERVING && config.attn_only;
}

}  // namespace

const char* ablation_mode_name(AblationMode mode) {
    switch (mode) {
        case AblationMode::FULL: return "full";
        case AblationMode::PATTERN_PRESERVING: return "pattern";
        case AblationMode::VALUE_PRESERVING: return "value";
    }
    return "?";
}

AblationMode ablation_mode_from_name(const std::string& name) {
    for (AblationMode mode : {AblationMode::PATTERN_PRESERVING, AblationMode::FULL, AblationMode::VALUE_PRESERVING})
        if (name == ablation_mode_name(mode)) return mode;
    throw Error("ablation mode '" + name + "' is not one of pattern, full, value");
}

std::string head_set_name(const HeadSet& heads) {
    std::string name;
    for (const HeadRef& h : heads) {
        if (!name.empty()) name += '+';
        name += std::to_string(h.layer);
        name += '.';
        name += std::to_string(h.head);
    }
    return name;
}

std::vector<HeadSet> single_heads(const ModelConfig& config) {
    std::vector<HeadSet> sets;
    for (int l = 0; l < config.n_layers; ++l)
        for (int h = 0; h < config.n_heads; ++h) sets.push_back({{l, h}});
    return sets;
}

HeadSet parse_head_set(const std::string& text, const ModelConfig& config) {
    HeadSet heads;
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        size_t dot = item.find('.');
        HeadRef h{-1, -1};
        try {
            size_t used_layer = 0, used_head = 0;
            if (dot != std::string::npos) {
                h.layer = std::stoi(item.substr(0, dot), &used_layer);
                h.head = std::stoi(item.substr(dot + 1), &used_head);
            }
            if (used_layer != dot || used_head != item.size() - dot - 1) h = {-1, -1};
        } catch (const std::exception&) {
            h = {-1, -1};
        }
        check(h.layer >= 0 && h.layer < config.n_layers && h.head >= 0 && h.head < config.n_heads,
              "heads '", text, "': '", item, "' is not LAYER.HEAD with layer in [0, ", config.n_layers,
              ") and head in [0, ", config.n_heads, ")");
        check(std::find(heads.begin(), heads.end(), h) == heads.end(), "heads '", text, "': ", item,
              " is listed twice");
        heads.push_back(h);
    }
    check(!heads.empty(), "heads '", text, "': expected LAYER.HEAD[,LAYER.HEAD...]");
    return heads;
}

Tensor ablated_losses_two_pass(const Transformer& model, const Tensor& tokens, const HeadSet& heads,
                               AblationMode mode, int64_t batch_size) {
    check_tokens(tokens);
    check_heads(heads, model.config);
    const int64_t N = tokens.size(0), T = tokens.size(1);
    Tensor losses = Tensor::empty({N, T - 1}, model.W_E.dtype());
    NoGrad no_grad;
    for (int64_t begin = 0; begin < N; begin += batch_size) {
        const int64_t end = std::min(N, begin + batch_size);
        Tensor rows = tokens.slice(begin, end);
        Interventions run1;  // clean: store what the ablated run keeps
        capture_frozen(run1, model.config, mode);
        forward(model, rows, &run1);
        Interventions run2;  // ablated, from the embedding on
        freeze(run2, run1, model.config, mode, 0);
        ablate(run2, heads, mode, 0);
        Tensor batch = next_token_losses(forward(model, rows, &run2), rows).value();
        std::memcpy(losses.slice(begin, end).raw_data(), batch.raw_data(), batch.nbytes());
    }
    return losses;
}

Tensor every_column(int64_t n_rows, int64_t T) {
    std::vector<int32_t> columns;
    for (int64_t n = 0; n < n_rows; ++n)
        for (int64_t p = 0; p + 1 < T; ++p) columns.push_back(int32_t(p));
    return Tensor::from_ints({n_rows, T - 1}, columns);
}

Tensor pick_columns(const Tensor& losses, const Tensor& columns) {
    check(losses.ndim() == 2 && columns.dtype() == DType::I32 && columns.ndim() == 2 &&
              columns.size(0) == losses.size(0),
          "pick_columns: expected losses [N, T-1] and i32 columns [N, P], got ", describe(losses), " and ",
          describe(columns));
    const int64_t N = losses.size(0), width = losses.size(1), P = columns.size(1);
    std::vector<int32_t> flat;  // row-major indices into the flattened loss matrix
    const int32_t* c = columns.data<int32_t>();
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < P; ++k) {
            check(c[n * P + k] >= 0 && c[n * P + k] < width, "pick_columns: column ", c[n * P + k],
                  " outside [0, ", width, ")");
            flat.push_back(int32_t(n * width + c[n * P + k]));
        }
    NoGrad no_grad;
    Var picked = embedding(Var(losses.reshape({N * width, 1})), Tensor::from_ints({N * P}, flat));
    return picked.value().reshape({N, P});
}

namespace {

// ---- the sections of ablation_sweep() ----------------------------------------------------------

// Checks a sweep's inputs; returns the number P of scored columns per row.
int64_t check_sweep_inputs(const Transformer& model, const Tensor& tokens, const Tensor& columns,
                           const std::vector<HeadSet>& sets) {
    check_tokens(tokens);
    for (const HeadSet& heads : sets) check_heads(heads, model.config);
    const int64_t N = tokens.size(0), T = tokens.size(1);
    check(columns.dtype() == DType::I32 && columns.ndim() == 2 && columns.size(0) == N,
          "ablation_sweep: columns must be i32 [", N, ", P], got ", describe(columns));
    const int32_t* column = columns.data<int32_t>();
    for (int64_t i = 0; i < columns.numel(); ++i)
        check(column[i] >= 0 && column[i] < T - 1, "ablation_sweep: column ", column[i],
              " outside [0, ", T - 1, ")");
    return columns.size(1);
}

// One batch of B rows of a sweep: the scored positions, and the clean run every head set starts from.
class SweepBatch {
public:
    // rows: i32 [B, T]; column: the scored columns of rows [0, B) of this batch, P per row.
    SweepBatch(const Transformer& model, const Tensor& rows, const int32_t* column, int64_t P)
        : model_(model), B_(rows.size(0)), T_(rows.size(1)), D_(model.config.d_model) {
        // The scored positions as rows of the flattened [B * T, d_model] stream, and their targets.
        std::vector<int32_t> targets;
        const int32_t* ids = rows.data<int32_t>();
        for (int64_t b = 0; b < B_; ++b)
            for (int64_t k = 0; k < P; ++k) {
                int32_t p = column[b * P + k];
                picked_.push_back(int32_t(b * T_ + p));
                targets.push_back(ids[b * T_ + p + 1]);
            }
        picked_rows_ = Tensor::from_ints({B_ * P}, picked_);
        picked_targets_ = Tensor::from_ints({B_ * P}, targets);
    }

    // Run 1, shared by every head set: returns the clean losses [B, T-1], and keeps what the
    // ablated runs start from (the stream entering each layer, or leaving it with its heads' z).
    Tensor run_clean(const Tensor& rows, AblationMode mode, bool skip_first) {
        const ModelConfig& config = model_.config;
        capture_frozen(clean_, config, mode);
        for (int l = 0; l < config.n_layers; ++l) {
            if (skip_first) {
                clean_.capture(Site::RESID_POST, l);
                clean_.capture(Site::Z, l);
            } else {
                clean_.capture(Site::RESID_PRE, l);
            }
        }
        return next_token_losses(forward(model_, rows, &clean_), rows).value();
    }

    // One head set's losses at the scored positions, [B * P].
    Tensor ablated_scored_losses(const HeadSet& heads, AblationMode mode, bool skip_first) const {
        const ModelConfig& config = model_.config;
        const int first = first_layer(heads);
        Var scored;  // [B * P, d_model] the final residual stream at the scored positions
        if (skip_first && first + 1 == config.n_layers) {
            // Nothing downstream reads the last layer: remove the heads' results where scored.
            scored = at_scored(Var(clean_.captured(Site::RESID_POST, first)));
            for (const HeadRef& h : heads) scored = sub(scored, result_at_scored(h));
        } else {
            Var x;  // [B, T, d_model] the residual stream entering block `start`
            int start = first;
            if (skip_first) {
                x = Var(clean_.captured(Site::RESID_POST, first));
                for (const HeadRef& h : heads)
                    if (h.layer == first) x = sub(x, result(h));
                start = first + 1;
            } else {
                x = Var(clean_.captured(Site::RESID_PRE, first));
            }
            Interventions hooks;
            freeze(hooks, clean_, config, mode, start);
            ablate(hooks, heads, mode, start);
            scored = at_scored(run_blocks(model_, x, start, &hooks));
        }
        Var logits = unembed(model_, scored);                       // [B * P, d_vocab]
        return cross_entropy(logits, picked_targets_).value();     // [B * P]
    }

private:
    // Rows of a [B, T, d_model] stream at the scored positions → [B * P, d_model].
    Var at_scored(const Var& stream) const { return embedding(reshape(stream, {B_ * T_, D_}), picked_rows_); }

    Var W_O(const HeadRef& h) const {
        const int64_t dh = model_.config.d_head;
        return reshape(slice(model_.blocks[size_t(h.layer)].attn.W_O, 0, h.head, h.head + 1), {dh, D_});
    }

    // One head's clean result vectors r^h = z^h W_O^h (z is [B, H, T, d_head]) at every position:
    // [B, T, d_model].
    Var result(const HeadRef& h) const {
        const int64_t dh = model_.config.d_head;
        Var z = slice(Var(clean_.captured(Site::Z, h.layer)), 1, h.head, h.head + 1);  // [B, 1, T, d_head]
        return reshape(matmul(reshape(z, {B_ * T_, dh}), W_O(h)), {B_, T_, D_});
    }

    // The same at the scored positions only: [B * P, d_model].
    Var result_at_scored(const HeadRef& h) const {
        const int64_t H = model_.config.n_heads, dh = model_.config.d_head;
        std::vector<int32_t> ids(picked_.size());
        for (size_t k = 0; k < picked_.size(); ++k) {
            const int64_t b = picked_[k] / T_, p = picked_[k] % T_;
            ids[k] = int32_t((b * H + h.head) * T_ + p);
        }
        Var z = reshape(Var(clean_.captured(Site::Z, h.layer)), {B_ * H * T_, dh});
        return matmul(embedding(z, Tensor::from_ints({int64_t(ids.size())}, ids)), W_O(h));
    }

    const Transformer& model_;
    const int64_t B_, T_, D_;
    std::vector<int32_t> picked_;             // b * T + p per scored position
    Tensor picked_rows_, picked_targets_;     // i32 [B * P]
    Interventions clean_;
};

}  // namespace

AblationSweep ablation_sweep(const Transformer& model, const Tensor& tokens, const Tensor& columns,
                             const std::vector<HeadSet>& sets, AblationMode mode, int64_t batch_size) {
    const int64_t P = check_sweep_inputs(model, tokens, columns, sets);
    const int64_t N = tokens.size(0), T = tokens.size(1);
    const int32_t* column = columns.data<int32_t>();
    const bool skip_first = skips_first_ablated_layer(model.config, mode);

    AblationSweep sweep;
    sweep.clean = Tensor::empty({N, T - 1}, model.W_E.dtype());
    for (size_t s = 0; s < sets.size(); ++s) sweep.ablated.push_back(Tensor::empty({N, P}, model.W_E.dtype()));
    NoGrad no_grad;
    for (int64_t begin = 0; begin < N; begin += batch_size) {
        const int64_t end = std::min(N, begin + batch_size);
        Tensor rows = tokens.slice(begin, end);
        SweepBatch batch(model, rows, column + begin * P, P);
        Tensor clean_losses = batch.run_clean(rows, mode, skip_first);
        std::memcpy(sweep.clean.slice(begin, end).raw_data(), clean_losses.raw_data(), clean_losses.nbytes());
        for (size_t s = 0; s < sets.size(); ++s) {
            Tensor losses = batch.ablated_scored_losses(sets[s], mode, skip_first);
            std::memcpy(sweep.ablated[s].slice(begin, end).raw_data(), losses.raw_data(), losses.nbytes());
        }
    }
    return sweep;
}

Tensor ablated_losses(const Transformer& model, const Tensor& tokens, const HeadSet& heads,
                      AblationMode mode, int64_t batch_size) {
    check_tokens(tokens);
    Tensor columns = every_column(tokens.size(0), tokens.size(1));
    return ablation_sweep(model, tokens, columns, {heads}, mode, batch_size).ablated.front();
}

}  // namespace induction
