// icl.h — in-context-learning measurements from per-token losses (METHODS §2.3–2.6).
//
// Context index i is 1-based as in [O]: L(i) is the mean loss of predicting token i from tokens
// 1..i-1, i = 2..T, which is column i - 2 of a [N, T-1] per-token loss matrix.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace induction {

// The fixed evaluation set (METHODS §2.1): N windows of T tokens, and for each window the one
// random context index c_e of §2.3 (stored 0-based as a column of the loss matrix).
struct EvalSet {
    Tensor tokens;                     // i32 [N, T]
    std::vector<int64_t> random_column;  // [N], each in [0, T-2]
};

// Evenly spaced, non-overlapping windows of a held-out token stream (packed text with its
// document separators [OURS]: the held-out split has too few documents to start every window at
// a document boundary), in a seeded random order, and seeded random columns. n_examples = 0
// takes every window the stream holds (and is the same set as asking for that number).
EvalSet make_eval_set(const std::vector<int32_t>& heldout, int64_t n_examples, int64_t context,
                      uint64_t seed);

// The first n rows (all of them if there are fewer): the rows are in a random order, so any
// leading part is a random sample. The analysis measures every snapshot on its first rows.
EvalSet leading_rows(const EvalSet& eval, int64_t n);

struct LossSummary {
    double mean = 0;               // over every token of every example (§2.4, [OURS])
    double random_token_mean = 0;  // Loss(n_s): mean of the random-token vector (§2.4, [O])
    std::vector<double> by_position;      // [T-1] L(i) for i = 2..T (§2.3)
    std::vector<float> random_token_vector;  // [N] v_s (§2.3), the input of PCA (§7)
};
// losses: f32 [N, T-1] from per_token_losses().
LossSummary summarize_losses(const Tensor& losses, const EvalSet& eval);

// ICL score for context length T (§2.6): i_lo = round(50 T / 512), i_hi = round(500 T / 512).
struct IclScore {
    int64_t i_lo = 0, i_hi = 0;
    double score = 0;       // L(i_hi) - L(i_lo): negative when the model learns in context
    double amount = 0;      // L(i_lo) - L(i_hi) = -score
    double per_decade = 0;  // amount / log10(i_hi / i_lo): comparable across context lengths
};
// by_position: [T-1] as in LossSummary. Throws when T is too short (i_lo < 8, §2.6).
IclScore icl_score(const std::vector<double>& by_position);

// The band-averaged ICL amount ([OURS], METHODS §2.6's noise note): L averaged over the context
// indices i in [0.8 i_lo, 1.25 i_lo] against those in [0.8 i_hi, min(T, 1.25 i_hi)], per decade
// of the bands' geometric-mean centres. For T = 256: i = 20..31 against 200..256. Beside [O]'s
// single-index score, it has about a third of its sampling noise.
struct IclBands {
    int64_t lo_first = 0, lo_last = 0;  // 1-based context indices, inclusive
    int64_t hi_first = 0, hi_last = 0;
    double log10_ratio = 0;             // log10(centre_hi / centre_lo)
};
IclBands icl_bands(int64_t T);  // throws where icl_score() would

// d L / d ln i, log-binned central differences (§2.5 default): bins of a quarter octave.
struct LossDerivative {
    std::vector<double> centers;  // exp(mean ln i) of each non-empty bin
    std::vector<double> values;   // D(k) at each centre
};
LossDerivative loss_derivative(const std::vector<double>& by_position);

}  // namespace induction
