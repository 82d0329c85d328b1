// evaluators.h — the head activation evaluators of METHODS §3 (prefix matching, copying,
// previous token) and the head classification of §5.6, which also weighs the eigenvalue copying
// score of §4.3 (analysis/circuits.h).
//
// Each evaluator scores every head of a snapshot from one batched, forward-only pass that
// captures all layers' patterns (and, for copying, the values v and result vectors W_O z). The
// evaluation inputs are drawn once from seeds (make_evaluator_inputs) and reused for every
// snapshot and model, so scores of different snapshots are comparable.
//
// Conventions fixed here ([OURS] where METHODS leaves a choice):
// - tokens are sampled from R_ok (§3.0): ranked by training-corpus count (ties by id), allowed
//   ranks ceil(common_fraction V) < rank <= floor(rare_fraction V), minus special tokens and
//   minus tokens never seen in training (a zero count is "least frequent" whatever its rank);
// - a head whose direct logit effect on the sample tokens is exactly zero everywhere (it writes
//   nothing the unembedding reads) has no copying score: NaN, written as null in JSON; likewise
//   copy_eig for a head whose OV circuit has no eigenvalue above rounding;
// - prefix targets are found from the tokens themselves (Tgt(p) = {q : 2 <= q < p,
//   t[q-1] == t[p]}), averaged over the destinations that have one, so the score is defined
//   for any sequence with repeats, not only the BOS + 25 x 4 layout.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/io/json.h"
#include "model/transformer.h"

namespace induction {

// ---- evaluation inputs (§3.0) -------------------------------------------------------------------

// Which tokens the random sequences may use (§3.0).
struct TokenFilter {
    double common_fraction = 0.01;  // ranks <= ceil(common_fraction * V) are too common
    double rare_fraction = 0.5;     // ranks > floor(rare_fraction * V) are too rare
    std::vector<int32_t> special_tokens = {256};  // never sampled (256 = <|endoftext|>)
    bool exclude_unseen = true;  // tokens with a zero training count are never sampled
};

// Occurrences of each id in a token sequence: any type with size() and operator[](int64_t)
// giving ids, e.g. a TokenFile of the training split (train/token_file.h). Templated so that
// analysis/ need not include train/ (DESIGN.md: siblings).
template <class Tokens>
std::vector<int64_t> token_counts(const Tokens& tokens, int64_t vocab_size) {
    check(vocab_size > 0, "token_counts: vocab_size must be positive, got ", vocab_size);
    std::vector<int64_t> counts(size_t(vocab_size), 0);
    for (int64_t i = 0; i < int64_t(tokens.size()); ++i) {
        int64_t id = tokens[i];
        check(id >= 0 && id < vocab_size, "token_counts: token ", i, " is ", id,
              ", outside [0, vocab_size = ", vocab_size, ")");
        ++counts[size_t(id)];
    }
    return counts;
}

// R_ok of §3.0, ascending ids. counts: [V] training-corpus counts, V = counts.size().
std::vector<int32_t> allowed_tokens(const std::vector<int64_t>& counts, const TokenFilter& filter);

struct EvaluatorInputOptions {
    uint64_t seed = 0;
    int64_t n_examples = 10;  // per evaluator [O]
    int64_t n_tokens = 25;    // distinct random tokens per example [O]
    int64_t n_repeats = 4;    // prefix examples: BOS + the n_tokens repeated n_repeats times [O]
    int32_t bos_token = 256;  // <|endoftext|>, the corpus separator
    TokenFilter filter;
};

struct EvaluatorInputs {
    Tensor copying;  // i32 [n_examples, n_tokens]: distinct tokens from R_ok, no BOS (§3.1)
    Tensor prefix;   // i32 [n_examples, 1 + n_tokens * n_repeats]: BOS + R x n_repeats (§3.2)
    Tensor previous_token;  // i32 [n_examples, T]: the first evaluation-set windows (§3.3)
    EvaluatorInputOptions options;
    int64_t allowed_count = 0;  // |R_ok|

    // The settings that fixed these inputs (seed, thresholds, |R_ok|), for the run's logs.
    json::Value settings_json() const;
};

// token_counts: [V] training-corpus counts; eval_windows: i32 [N >= n_examples, T], the §2.1
// evaluation set (its first n_examples rows are used). Deterministic in options.seed.
EvaluatorInputs make_evaluator_inputs(const std::vector<int64_t>& token_counts,
                                      const Tensor& eval_windows,
                                      const EvaluatorInputOptions& options = {});

// ---- per-head scores ----------------------------------------------------------------------------

// One number per head of a model: values[layer * n_heads + head].
struct HeadTable {
    int n_layers = 0, n_heads = 0;
    std::vector<double> values;

    HeadTable() = default;
    HeadTable(int layers, int heads, double fill = 0.0);
    double& at(int layer, int head) { return values[size_t(layer * n_heads + head)]; }
    double at(int layer, int head) const { return values[size_t(layer * n_heads + head)]; }
};

// The readings of [O]'s copying ratio (§3.1, reconstructed: METHODS §10.1). Each is a ratio
// ρ_p per destination, averaged over destinations and examples, then mapped to [−1, 1]. With
// dev = Δ − mean_{v ∈ S} Δ[v] for a direct logit effect Δ (W_U^eff applied to what the head
// writes) on the sample's tokens S, and Δ^(j) = W_U^eff W_O^h v^h_j what the head writes when it
// attends to source j alone:
enum class CopyingRatio {
    // ρ_p = Σ_j A_pj ρ_j, ρ_j = dev^(j)[t_j] / Σ_v |dev^(j)[v]| ∈ [−0.5, 0.5]; score 2ρ. [OURS]:
    // for each source, how far the head raises (or lowers) the token it attends to relative to
    // the other sample tokens. +1 for a perfect copier however diffuse its attention, −1 for a
    // perfect anti-copier, and 0 in expectation for a head unrelated to the attended token.
    // The default: of the readings here it agrees best with eig_copying (README).
    PER_SOURCE_SIGNED,
    // The same with ReLU(dev^(j)[t_j]) ∈ [0, 0.5] (the candidate, keeping [O]'s ReLU);
    // score 4ρ − 1, random ≈ −1 + 2/|S|. Anti-copiers and unrelated heads both sit near −1.
    PER_SOURCE,
    // ρ_p = num / Σ_v |dev_p[v]|, num = Σ_j A_pj ReLU(dev_p[t_j]) on the head's actual output at
    // p (METHODS §3.1's reconstruction); score 4ρ − 1. A copier that spreads its attention over
    // k tokens scores at most 4/(2k) − 1, near the random baseline (METHODS §3.1, "measured
    // problem").
    DEVIATION,
    // ρ_p = num / (num + Σ_v ReLU(dev_p[v])) (METHODS §3.1's alternative reading); score 4ρ − 1.
    RAISED_SHARE,
};
inline constexpr std::array<CopyingRatio, 4> ALL_COPYING_RATIOS = {
    CopyingRatio::PER_SOURCE_SIGNED, CopyingRatio::PER_SOURCE, CopyingRatio::DEVIATION,
    CopyingRatio::RAISED_SHARE};
// "per-source-signed" | "per-source" | "deviation" | "raised-share" (the --copying-ratio spelling).
const char* copying_ratio_name(CopyingRatio ratio);
// The inverse; an unknown name is an error listing the known ones.
CopyingRatio copying_ratio_from_name(const std::string& name);
// The score of a head whose output is unrelated to the attended token, for a sample of
// |S| = sample_size tokens: 0 for the signed reading; −1 + 2/|S| for the rectified ones
// (ρ ≈ 1/(2|S|)), except raised-share's −1 + 4/(|S| + 1) (ρ' ≈ 1/(|S| + 1)).
inline double copying_random_baseline(CopyingRatio ratio, int64_t sample_size) {
    const double S = double(sample_size);
    switch (ratio) {
        case CopyingRatio::PER_SOURCE_SIGNED: return 0.0;
        case CopyingRatio::RAISED_SHARE: return -1.0 + 4.0 / (S + 1.0);
        default: return -1.0 + 2.0 / S;
    }
}

// Each evaluator runs the model once on its tokens, forward-only, with `interventions` in force
// (e.g. a replaced pattern or an ablation) plus the captures it needs.

// §3.2. tokens: i32 [N, T] with repeats (normally EvaluatorInputs::prefix). In [0, 1].
HeadTable prefix_matching_score(const Transformer& model, const Tensor& tokens,
                                Interventions interventions = {});
// §3.1. tokens: i32 [N, T] of distinct tokens (normally EvaluatorInputs::copying). In [-1, 1].
HeadTable copying_score(const Transformer& model, const Tensor& tokens,
                        CopyingRatio ratio = CopyingRatio::PER_SOURCE_SIGNED,
                        Interventions interventions = {});
// [OURS] rank-based companion of the copying score, on the same examples: the fraction of
// destinations whose most-attended source token is the sample token the head raises most (its
// direct effect, as in §3.1). Unlike rho, which is at most 1/(2k) for a perfect copier that
// spreads its attention over k tokens, it does not penalise diffuse attention: 1 for a head
// with W_OV ∝ I however it attends, 0 for W_OV ∝ −I, about 1/|S| = 0.04 for an unrelated head.
// In [0, 1]; NaN, like the copying score, for a head that raises no sample token.
HeadTable copying_top_score(const Transformer& model, const Tensor& tokens,
                            Interventions interventions = {});
// §3.3. tokens: i32 [N, T] (normally EvaluatorInputs::previous_token). In [0, 1].
HeadTable previous_token_score(const Transformer& model, const Tensor& tokens,
                               Interventions interventions = {});
struct HeadScores {
    HeadTable prefix_matching;
    HeadTable copying;  // copying_by_ratio[ratio]
    CopyingRatio ratio = CopyingRatio::PER_SOURCE_SIGNED;
    double copying_random_baseline = NAN;  // of the copying examples' sample size
    HeadTable copying_top, previous_token;
    HeadTable copy_eig;  // §4.3, from the weights (analysis/circuits.h)
    std::array<HeadTable, ALL_COPYING_RATIOS.size()> copying_by_ratio;  // by CopyingRatio value
};

// All of the above on fixed inputs: three forward passes (one on the short copying examples,
// which every copying variant shares) and one d_head × d_head eigenvalue problem per head.
HeadScores evaluate_heads(const Transformer& model, const EvaluatorInputs& inputs,
                          CopyingRatio ratio = CopyingRatio::PER_SOURCE_SIGNED);

// ---- classification (§5.6) ----------------------------------------------------------------------

enum class HeadClass { INDUCTION, ANTI_COPYING_PREFIX, PREVIOUS_TOKEN, OTHER };

// "induction" | "anti-copying prefix" | "previous-token" | "other" (the metrics' spelling).
const char* head_class_name(HeadClass head_class);

struct ClassificationRule {
    double prefix_threshold = 0.30;    // induction and anti-copying prefix: prefix >= this
    double copy_threshold = 0.0;       // induction: copy > this; anti-copying: copy <= this (0 is
                                       // the random baseline of the default copying reading and
                                       // of eig_copying, so "copying" means above chance)
    double previous_threshold = 0.40;  // previous-token: prev >= this
    bool use_copy_eig = false;         // judge copying by copy_eig instead of copying
    bool require_later_layer = true;   // induction heads only in layers >= 2 (0-based >= 1)
};

// The rule for a model: the layer condition is dropped for smeared-key models (§5.6).
ClassificationRule classification_rule(const ModelConfig& config);

// One class per head, layer-major (index layer * n_heads + head). Induction is tested first,
// then anti-copying prefix, then previous-token. A NaN copying score satisfies neither copying
// condition.
std::vector<HeadClass> classify_heads(const HeadScores& scores, const ClassificationRule& rule);

// §5.6 robustness: 1 for each head whose class changes when the prefix or previous-token
// threshold moves by +-0.1 or when copy_eig replaces the copying score; layer-major.
std::vector<char> unstable_heads(const HeadScores& scores, const ClassificationRule& rule);

// 1 for each head whose two copying measures disagree: the activation score says copying
// (copy > rule.copy_threshold) and eig_copying says not (<= 0), or the reverse; layer-major.
// Heads missing either score never disagree.
std::vector<char> copying_measures_disagree(const HeadScores& scores, const ClassificationRule& rule);

// The format of metrics/<model>/heads.json (0-based layer and head; NaN as null):
// {"copying_ratio": "per-source", "copying_random_baseline": -0.92,
//  "heads": [{"layer", "head", "prefix_matching", "copying", "copying_top", "eig_copying",
//             "previous_token", "class", "unstable", "copying_disagreement"}]}
json::Value heads_json(const HeadScores& scores, const std::vector<HeadClass>& classes,
                       const ClassificationRule& rule);

}  // namespace induction
