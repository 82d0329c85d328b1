// clamp.cpp — applying a clamp schedule in the forward pass (METHODS §8.5–§8.6).
//
// clamped_forward() turns each active clamp into an Interventions transform at its site:
// a ← where(mask, value, a), with the mask built from the clamp's heads, positions and element
// mask, and the value built for the activation's shape when the site is reached. Other passes
// the clamps read (a pass with its own clamps, for the layer-1 clamp's patterns or perfect-copy
// scores) run first, once each, and hand over their activations still attached to the graph.
#include "model/clamp.h"

#include <algorithm>
#include <map>

#include "autograd/functions.h"
#include "model/checkpoint.h"

namespace induction {

namespace {

// One clamped pass: what its clamps read besides the activation at their own site.
struct PassState {
    const ClampedModel& model;
    int64_t step;
    Var embeddings;                                  // [B, T, d_model], this pass's
    std::map<std::string, Interventions> passes;     // other passes (by their schedule's JSON), with captures
    Interventions* self = nullptr;                   // this pass's interventions (captured scores)
};

// The per-sequence slice of an activation: its shape without the batch axis.
Shape sequence_slice(const Shape& x) {
    std::vector<int64_t> dims(x.dims.begin() + 1, x.dims.begin() + x.ndim);
    return Shape(dims);
}

// i32, x's shape: 1 where the clamp applies, its heads × positions × element mask. A mask depends
// only on the clamp's site selection and the shape, so each is built once and reused (a training
// run asks for the same ones every step).
Tensor clamp_mask(const Clamp& c, const Shape& x, const char* where) {
    static std::map<std::string, Tensor> cache;
    std::string key = x.str() + (site_has_heads(c.site) ? "h" : "-");
    for (const std::vector<int>* list : {&c.heads, &c.positions}) {
        key += '|';
        for (int i : *list) key += std::to_string(i) + ',';
    }
    for (double m : c.mask) key += m != 0 ? '1' : '0';
    if (auto hit = cache.find(key); hit != cache.end()) return hit->second;
    const Shape slice = sequence_slice(x);
    const bool heads = site_has_heads(c.site);
    const int64_t H = heads ? slice[0] : 1, per_head = slice.numel() / H;
    const int64_t T = slice[heads ? 1 : 0], per_position = per_head / T;
    for (int h : c.heads) check(h < H, where, ": head ", h, " is not a head here (", H, " heads)");
    for (int p : c.positions) check(p < T, where, ": position ", p, " is past T = ", T);
    if (!c.mask.empty())
        check(c.mask_shape.numel() == per_head, where, ": the element mask has shape ", c.mask_shape.str(),
              "; expected one head's per-sequence slice of ", per_head, " elements");
    std::vector<int32_t> mask(size_t(x.numel()));
    for (int64_t i = 0; i < slice.numel(); ++i) {
        const int64_t head = i / per_head, within = i % per_head, position = within / per_position;
        const bool on_head = c.heads.empty() || std::count(c.heads.begin(), c.heads.end(), head);
        const bool on_position = c.positions.empty() || std::count(c.positions.begin(), c.positions.end(), position);
        const bool on_element = c.mask.empty() || c.mask[size_t(within)] != 0;
        mask[size_t(i)] = on_head && on_position && on_element;
    }
    for (int64_t b = 1; b < x[0]; ++b)  // every sequence alike
        std::copy(mask.begin(), mask.begin() + slice.numel(), mask.begin() + b * slice.numel());
    if (cache.size() > 256) cache.clear();
    return cache[key] = Tensor::from_ints(x, mask);
}

// A per-sequence table (one head's slice, or the whole slice) repeated over the batch and heads.
Var repeated(const std::vector<double>& table, const Shape& table_shape, const Shape& x, DType dtype) {
    std::vector<int64_t> dims = table_shape.to_vector();
    while (int(dims.size()) < x.ndim) dims.insert(dims.begin(), 1);
    return Var(broadcast_to(Tensor::from_vector(Shape(dims), table, dtype), x));
}

// The previous-token pattern of strength s (§8.6): A[0,0] = 1; A[p,p−1] = s, A[p,p] = 1 − s.
Var previous_token_pattern(const Shape& x, double s, DType dtype) {
    const int64_t T = x.back(1);
    std::vector<double> A(size_t(T * T), 0.0);
    A[0] = 1.0;
    for (int64_t p = 1; p < T; ++p) {
        A[size_t(p * T + p - 1)] = s;
        A[size_t(p * T + p)] = 1.0 - s;
    }
    return repeated(A, Shape({T, T}), x, dtype);
}

// Whether a pattern clamp touches the query row (T − 1) alone: the induction value defines no
// other row (a clamp written for T = 5 on longer sequences would silently zero row 4).
bool masks_query_row_only(const Clamp& c, int64_t T) {
    if (!c.positions.empty())
        return std::all_of(c.positions.begin(), c.positions.end(), [T](int p) { return p == T - 1; });
    if (c.mask.empty()) return false;
    for (size_t i = 0; i < c.mask.size(); ++i)
        if (c.mask[i] != 0 && int64_t(i) / T != T - 1) return false;
    return true;
}

// The induction pattern of strength s, query row (§8.6): s on each label token carrying y_q,
// 1 − s on the others, 0 on exemplar tokens. Rows other than the query's are 0 (never unmasked).
Var induction_pattern(const ClampedModel& m, const Shape& x, double s, DType dtype, const char* where) {
    const int64_t B = x[0], T = x.back(1);
    check(m.labels.defined() && m.targets.defined() && m.labels.shape() == Shape({B, T}), where,
          ": an induction pattern needs the sequences' labels (few-shot models only)");
    std::vector<double> labels = m.labels.to_vector(), targets = m.targets.to_vector();
    std::vector<double> A(size_t(B * T * T), 0.0);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 1; p < T - 1; p += 2)
            A[size_t((b * T + T - 1) * T + p)] = labels[size_t(b * T + p)] == targets[size_t(b)] ? s : 1.0 - s;
    return Var(broadcast_to(Tensor::from_vector({B, 1, T, T}, A, dtype), x));
}

// Perfect-copy logits (§8.6) from a pattern-site score tensor [B, H, T, T]: for each label ℓ the
// sum of head h's pre-softmax scores from the query to the label tokens carrying ℓ; −1e9 for
// labels not in the context. Differentiable through the scores only.
Var perfect_copy_logits(const ClampedModel& m, const Var& scores, int head, const Shape& x, const char* where) {
    const int64_t B = scores.size(0), T = scores.size(2), L = x.back(1);
    check(m.labels.defined() && m.labels.shape() == Shape({B, T}), where,
          ": perfect-copy logits need the sequences' labels (few-shot models only)");
    std::vector<double> labels = m.labels.to_vector();
    std::vector<double> onehot(size_t(B * T * L), 0.0), absent(size_t(B * L), -1e9);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 1; p < T - 1; p += 2) {
            const int64_t y = int64_t(labels[size_t(b * T + p)]);
            check(y >= 0 && y < L, where, ": label ", y, " outside the ", L, " logits");
            onehot[size_t((b * T + p) * L + y)] = 1.0;
            absent[size_t(b * L + y)] = 0.0;
        }
    const DType dtype = scores.dtype();
    Var query_scores = reshape(slice(slice(scores, 1, head, head + 1), 2, T - 1, T), {B, 1, T});
    Var logits = add(matmul(query_scores, Var(Tensor::from_vector({B, T, L}, onehot, dtype))),
                     Var(Tensor::from_vector({B, 1, L}, absent, dtype)));  // [B, 1, L]
    return x[1] == 1 ? logits : broadcast_to(logits, x);
}

// E' of the layer-1 clamp: the code's shift by one (E'_p = E_{p−1}, ends kept), or the
// docstring's [0, E_0, 0, E_2, ..., E_{T−1}].
Var shifted_embeddings(const Var& E, bool docstring) {
    const int64_t T = E.size(1);
    Var shifted = shift(E, 1, /*replicate_first=*/true);
    if (docstring) {
        std::vector<double> odd(static_cast<size_t>(T));
        for (int64_t p = 0; p < T; ++p) odd[size_t(p)] = p % 2;
        shifted = mul(shifted, Var(Tensor::from_vector({1, T, 1}, odd, E.dtype())));
    }
    return T == 1 ? E : concat({slice(shifted, 1, 0, T - 1), slice(E, 1, T - 1, T)}, 1);
}

std::string pass_key(const ClampValue& v) { return v.pass ? json::dump(v.pass->to_json()) : "{}"; }

Var clamp_value(const Clamp& c, int layer, const Var& x, double strength, PassState& state, const char* where) {
    const ClampValue& v = c.value;
    const Shape& shape = x.shape();
    switch (v.kind) {
        case ClampValueKind::ZERO: return Var(Tensor::zeros(shape, x.dtype(), x.value().device()));
        case ClampValueKind::CONSTANT: {
            const Shape slice = sequence_slice(shape);
            check(v.data_shape.numel() == slice.numel() || v.data_shape.numel() * (site_has_heads(c.site) ? slice[0] : 1) == slice.numel(),
                  where, ": constant data of shape ", v.data_shape.str(), " fits neither ", slice.str(), " nor one head of it");
            std::vector<int64_t> dims = slice.to_vector();
            if (v.data_shape.numel() != slice.numel()) dims[0] = 1;
            return repeated(v.data, Shape(dims), shape, x.dtype());
        }
        case ClampValueKind::PREVIOUS_TOKEN:
            check(c.site == Site::PATTERN, where, ": a previous-token value fits the pattern site only");
            return previous_token_pattern(shape, strength, x.dtype());
        case ClampValueKind::INDUCTION:
            check(c.site == Site::PATTERN, where, ": an induction value fits the pattern site only");
            check(masks_query_row_only(c, shape.back(1)), where, ": an induction value is the query row's only; ",
                  "set positions to [", shape.back(1) - 1, "] (T = ", shape.back(1), ")");
            return induction_pattern(state.model, shape, strength, x.dtype(), where);
        case ClampValueKind::PERFECT_COPY: {
            check(c.site == Site::LOGITS, where, ": a perfect-copy value fits the logits site only");
            const Interventions& source = v.pass ? state.passes.at(pass_key(v)) : *state.self;
            return perfect_copy_logits(state.model, source.captured_var(Site::SCORES, v.source_layer),
                                       v.source_head, shape, where);
        }
        case ClampValueKind::PASS:
            return state.passes.at(pass_key(v)).captured_var(v.has_pass_site ? v.pass_site : c.site,
                                                             v.has_pass_site ? v.pass_layer : layer);
        case ClampValueKind::EMBEDDINGS: return state.embeddings;
        case ClampValueKind::SHIFTED_EMBEDDINGS: return shifted_embeddings(state.embeddings, v.docstring_shift);
        case ClampValueKind::CHECKPOINT:
            check(bool(state.model.other_model), where, ": this run cannot load other models");
            return state.model.other_model(v.checkpoint, c.site, layer);
    }
    fail(where, ": unknown clamp value");
}

// The activation with the clamp applied: where(mask, value, a), ramped and detached as asked.
Var apply_clamp(const Clamp& c, int layer, const Var& x, PassState& state) {
    const std::string site_text = "clamp '" + (c.name.empty() ? std::string(clamp_value_name(c.value.kind)) : c.name) +
                              "' at " + hook_name(c.site, layer);
    const double progress = c.ramp_steps > 0
                                ? std::clamp(double(state.step - c.first_step) / double(c.ramp_steps), 0.0, 1.0)
                                : 1.0;
    const bool has_strength = c.value.kind == ClampValueKind::PREVIOUS_TOKEN || c.value.kind == ClampValueKind::INDUCTION;
    const double strength = c.ramp_from + ((has_strength ? c.value.strength : 1.0) - c.ramp_from) * progress;
    Var value = clamp_value(c, layer, x, has_strength ? strength : c.value.strength, state, site_text.c_str());
    check(value.shape() == x.shape(), site_text, ": the value is ", describe(value.value()), ", the activation ",
          describe(x.value()));
    if (c.stop_gradient) value = Var(value.value());  // the value only: a ramp's (1 − w)·a keeps its gradient
    if (!has_strength && strength < 1.0) value = add(scale(value, strength), scale(x, 1.0 - strength));
    return where(clamp_mask(c, x.shape(), site_text.c_str()), value, x);
}

// The layers a clamp touches (LOGITS has one site, called layer 0).
std::vector<int> clamp_layers(const Clamp& c, int n_layers) {
    if (c.site == Site::LOGITS) return {0};
    if (!c.layers.empty()) return c.layers;
    std::vector<int> all(static_cast<size_t>(n_layers));
    for (int l = 0; l < n_layers; ++l) all[size_t(l)] = l;
    return all;
}

// Runs, once each, the other passes the active clamps read, capturing what they read there.
void run_other_passes(const ClampSchedule& schedule, PassState& state) {
    static const ClampSchedule plain_pass;
    std::map<std::string, const ClampSchedule*> schedules;
    const int n_layers = state.model.model->config.n_layers;
    for (const Clamp& c : schedule.clamps) {
        const ClampValue& v = c.value;
        if (!c.active_at(state.step)) continue;
        if (v.kind == ClampValueKind::PERFECT_COPY && !v.pass) state.self->capture(Site::SCORES, v.source_layer);
        if (v.kind != ClampValueKind::PASS && !(v.kind == ClampValueKind::PERFECT_COPY && v.pass)) continue;
        const std::string key = pass_key(v);
        schedules[key] = v.pass ? v.pass.get() : &plain_pass;
        Interventions& other = state.passes[key];
        if (v.kind == ClampValueKind::PERFECT_COPY)
            other.capture(Site::SCORES, v.source_layer);
        else
            for (int l : clamp_layers(c, n_layers))
                other.capture(v.has_pass_site ? v.pass_site : c.site, v.has_pass_site ? v.pass_layer : l);
    }
    for (auto& [key, other] : state.passes) clamped_forward(*schedules.at(key), state.step, state.model, other);
}

}  // namespace

Var checkpoint_activation(const std::string& checkpoint, Site site, int layer, const CheckpointForward& forward) {
    static std::map<std::string, Transformer> loaded;
    if (!loaded.count(checkpoint)) loaded.emplace(checkpoint, load_checkpoint(checkpoint).model);
    NoGrad no_grad;
    Interventions capture;
    capture.capture(site, layer);
    forward(loaded.at(checkpoint), capture);
    return Var(capture.captured(site, layer));
}

Var clamped_forward(const ClampSchedule& schedule, int64_t step, const ClampedModel& model,
                    Interventions& interventions) {
    check(model.model && model.embed && model.readout, "clamped_forward: the model, embed and readout are required");
    PassState state{model, step, model.embed(), {}, &interventions};
    run_other_passes(schedule, state);
    for (const Clamp& c : schedule.clamps) {
        if (!c.active_at(step)) continue;
        for (int l : clamp_layers(c, model.model->config.n_layers))
            interventions.transform(c.site, l, [&c, l, &state](const Var& x) { return apply_clamp(c, l, x, state); });
    }
    Var residual = run_blocks(*model.model, state.embeddings, 0, &interventions);
    return interventions.apply(Site::LOGITS, 0, model.readout(residual));
}

}  // namespace induction
