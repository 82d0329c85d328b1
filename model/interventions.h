// interventions.h — hooks in the one forward path: capture, replace or scale any activation.
//
// The forward pass (model/transformer.cpp) hands every named activation ("site") to
// Interventions::apply() before using it. An Interventions value lists what to do there:
//   capture  — keep the value (for analysis: patterns, z, residual stream, logits),
//   replace  — use a given value instead, for all of the site or one head and/or a position range;
//              the replaced entries get no gradient through their original computation (a
//              constant value is a clamp; a Var from another pass stays differentiable, as the
//              clamps of METHODS §8.5 require),
//   scale    — multiply one head's (or the whole site's) entries by a factor: 0 ablates a head,
//   transform — replace the activation by any function of it (the clamps of model/clamp.h: a
//              masked where() of a value built for the activation's shape at that moment).
// Site names follow TransformerLens hook names ("blocks.1.attn.hook_pattern").
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/var.h"

namespace induction {

enum class Site {
    RESID_PRE,   // [B, T, d_model] input of block l
    Q, K, V,     // [B, H, T, d_head] (K after smearing)
    SCORES,      // [B, H, T, T] pre-softmax, scaled by 1/sqrt(d_head), unmasked
    PATTERN,     // [B, H, T, T] attention pattern A
    Z,           // [B, H, T, d_head] Σ_j A_pj v_j
    RESULT,      // [B, T, H, d_model] per-head result W_O z (capture only; computed on request)
    ATTN_OUT,    // [B, T, d_model] Σ_h result
    RESID_MID,   // [B, T, d_model] after attention
    MLP_OUT,     // [B, T, d_model]
    RESID_POST,  // [B, T, d_model] output of block l
    LOGITS,      // [B, T, d_vocab] (layer ignored)
};

std::string hook_name(Site site, int layer);  // TransformerLens name, e.g. "blocks.0.attn.hook_z"
bool site_has_heads(Site site);               // Q K V SCORES PATTERN Z (head axis 1) and RESULT (axis 2)

class Interventions {
public:
    static constexpr int ALL_HEADS = -1;
    static constexpr int64_t ALL_POSITIONS = -1;

    Interventions& capture(Site site, int layer = 0);
    // value: the site's full shape (head = ALL_HEADS) or the shape of one head's slice; with a
    // position range, only positions [pos_begin, pos_end) are taken from value.
    Interventions& replace(Site site, int layer, Var value, int head = ALL_HEADS,
                           int64_t pos_begin = 0, int64_t pos_end = ALL_POSITIONS);
    Interventions& scale(Site site, int layer, int head, double factor, int64_t pos_begin = 0,
                         int64_t pos_end = ALL_POSITIONS);
    // fn sees the activation after this site's replacements and scalings and returns its new
    // value (same shape and dtype); what fn builds from Vars stays differentiable.
    using Transform = std::function<Var(const Var& activation)>;
    Interventions& transform(Site site, int layer, Transform fn);
    // Full ablation of a head (METHODS §5.1): its z, hence its result vector, is zero.
    Interventions& ablate_head(int layer, int head) { return scale(Site::Z, layer, head, 0.0); }

    bool wants(Site site, int layer) const;
    bool replaces(Site site, int layer) const;  // any replacement or transform there, whole or partial
    // Whether a replacement covers every head and position of the site (a frozen pattern, say),
    // and that replacement's value (the last one given, as apply() would leave it).
    bool replaces_whole(Site site, int layer) const;
    const Var& whole_replacement(Site site, int layer) const;
    const Tensor& captured(Site site, int layer = 0) const;  // throws naming the hook when absent
    const Var& captured_var(Site site, int layer = 0) const;  // the same, still differentiable
    void clear_captures() { captured_.clear(); }

    // Called by the forward pass at each site.
    Var apply(Site site, int layer, const Var& activation);

private:
    enum class Kind { CAPTURE, REPLACE, SCALE, TRANSFORM };
    struct Entry {
        Kind kind;
        Site site;
        int layer;
        int head;
        int64_t pos_begin, pos_end;
        Var value;      // REPLACE
        double factor;  // SCALE
        Transform fn;   // TRANSFORM
    };
    std::vector<Entry> entries_;
    std::map<std::pair<Site, int>, Var> captured_;
};

}  // namespace induction
