// circuits.h — reading a head from its weights (METHODS §4): QK and OV matrices and their full
// circuits, the OV eigenvalues and the eigenvalue copying score (§4.3), the previous-token
// K-composition trace (§4.5) and the Q/K/V composition scores with a random baseline (§4.6).
//
// Everything here is in the column convention of METHODS §0 (x is a column, W_QK = W_Q^T W_K,
// W_OV = W_O W_V), on host doubles, with LayerNorm folded into the weights that read the
// residual stream as §1.3 says: W_Q^eff = W_Q diag(γ_l) C (likewise W_K, W_V) and
// W_U^eff = W_U diag(γ_f) C, C the centring matrix; β, b_U and the per-position 1/σ(x) are
// dropped. Positional (PIA) terms are left out unless a function says otherwise.
//
// No V×V matrix is ever formed unless asked (LowRank::materialize): every circuit is a product
// of a [m, d_head] and a [d_head, n] factor, and every score below reduces to d_head × d_head
// algebra on those factors (Gram matrices), as §4.3, §4.5 and §4.6 describe.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

#include "analysis/evaluators.h"
#include "analysis/linalg.h"
#include "model/io/json.h"
#include "model/transformer.h"

namespace induction {

// ---- the weights of one model, as circuit analysis reads them ----------------------------------

// One head's matrices, column convention.
struct HeadWeights {
    Matrix W_Q, W_K, W_V;  // [d_head, d_model] (LN-folded unless the weights were read raw)
    Matrix W_O;            // [d_model, d_head]
};

struct CircuitWeights {
    int n_layers = 0, n_heads = 0;
    bool layer_norm_folded = false;
    Matrix W_E;                     // [d_model, V]: column t embeds token t
    Matrix W_U;                     // [V, d_model]: W_U^eff when folded
    std::vector<HeadWeights> heads;  // layer-major: heads[layer * n_heads + head]

    const HeadWeights& head(int layer, int h) const { return heads[size_t(layer * n_heads + h)]; }
};

// fold_layer_norm = false reads the raw per-head slices (the "reduced" composition of §4.6 and
// the positional term of the QK circuit, which joins the query/key inputs after the LN).
CircuitWeights circuit_weights(const Transformer& model, bool fold_layer_norm = true);

// ---- factored matrices ---------------------------------------------------------------------------

// left · right, kept as its factors: left [m, r], right [r, n] with r = d_head.
struct LowRank {
    Matrix left, right;
    Matrix materialize() const { return multiply(left, right); }  // [m, n]
};

LowRank qk_matrix(const HeadWeights& head);  // W_QK = W_Q^T W_K: [d_model, d_model]
LowRank ov_matrix(const HeadWeights& head);  // W_OV = W_O W_V:   [d_model, d_model]
// §4.1 full QK circuit W_E^T W_QK W_E [V, V]: entry (a, b) is the direct-path score (× sqrt(d_head))
// from destination token a to source token b.
LowRank full_qk_circuit(const CircuitWeights& weights, int layer, int head);
// §4.1 full OV circuit W_U^eff W_OV W_E [V, V]: entry (c, b) is the direct logit change of token c
// per unit of attention to source token b.
LowRank full_ov_circuit(const CircuitWeights& weights, int layer, int head);

// §4.1 positional QK term of a PIA model, P W_Q^T W_K P^T [T, T] with the raw W_Q, W_K (positions
// join the query/key inputs after the LayerNorm), unscaled like the full QK circuit. T <= n_ctx.
Matrix positional_qk_circuit(const Transformer& model, int layer, int head, int64_t T);
// [OURS] What that term alone does: the mean over destinations p = 1..T-1 of the attention it
// puts on p - 1 (softmax over j <= p of the term / sqrt(d_head)). Near 1 for a head whose
// positions make it a previous-token head; ≈ mean 1/(p+1) when positions say nothing.
double positional_previous_token(const Matrix& positional_qk, int64_t d_head);

// Singular values of a factored matrix (at most r of them, descending), from the r × r Gram
// matrices: the squares are the eigenvalues of S (right right^T) S with S = (left^T left)^½.
std::vector<double> singular_values(const LowRank& m);
// ‖A‖_F² of a factored matrix: trace((left^T left)(right right^T)).
double squared_frobenius_norm(const LowRank& m);

// ---- §4.3 eigenvalue copying score --------------------------------------------------------------

// The non-zero eigenvalues of the full OV circuit W_U^eff W_OV W_E, as those of the d_head × d_head
// matrix M = W_V^eff (W_E W_U^eff) W_O; sorted as linalg's eigenvalues() sorts them.
std::vector<std::complex<double>> ov_circuit_eigenvalues(const CircuitWeights& weights, int layer,
                                                         int head);
// Σλ / Σ|λ| in [-1, 1]; NaN when no eigenvalue rises above rounding of `scale` (a bound on every
// eigenvalue, e.g. the product of the factors' norms), i.e. the head writes nothing W_U reads.
double eigenvalue_copying_score(const std::vector<std::complex<double>>& eigenvalues, double scale);
// copy_eig of every head (§4.3).
HeadTable copy_eig(const Transformer& model);

// ---- §4.5 previous-token K-composition trace ----------------------------------------------------

struct KCompositionTrace {
    HeadTable trace;       // Σ_k π(h_k) trace(W_E^T W_QK^h W_OV^{h_k} W_E), unscaled logit units
    HeadTable normalised;  // [OURS] trace / nuclear norm of the same V×V matrix, in [-1, 1]
};
// previous_token: π of every head (§3.3). Heads of the first layer have no earlier heads: NaN.
KCompositionTrace previous_token_kcomp_trace(const CircuitWeights& weights,
                                             const HeadTable& previous_token);

// ---- §4.6 composition scores --------------------------------------------------------------------

// comp(A, B) = ‖A B‖_F / (‖A‖_F ‖B‖_F) of two d_model × d_model factored matrices, in [0, 1];
// NaN when either is zero.
double composition_score(const LowRank& a, const LowRank& b);

struct CompositionPair {
    int from_layer = 0, from_head = 0, to_layer = 0, to_head = 0;  // h1 (earlier) → h2 (later)
    double k_comp = 0, q_comp = 0, v_comp = 0;                     // comp_full: LN-folded
    double k_comp_reduced = 0, q_comp_reduced = 0, v_comp_reduced = 0;  // comp_reduced [SC]
};
// Every pair of heads in different layers, ordered by (to, from).
std::vector<CompositionPair> composition_scores(const CircuitWeights& folded,
                                                const CircuitWeights& raw);

// The scores of random weights of the same shapes: Gaussian factors (the scale cancels), the
// reading factors W_Q, W_K, W_V centred over d_model when the model's LayerNorm is folded, as
// the real ones are. Q-, K- and V-composition of independent random factors share one
// distribution, so the baseline pools all three kinds over `draws` pairs.
struct CompositionBaseline {
    double mean = 0, std = 0;                  // comp_full
    double reduced_mean = 0, reduced_std = 0;  // comp_reduced
    int draws = 0;
    uint64_t seed = 0;
};
CompositionBaseline composition_baseline(const ModelConfig& config, int draws = 200,
                                         uint64_t seed = 0);

// ---- everything about one snapshot's heads -------------------------------------------------------

struct HeadCircuit {
    int layer = 0, head = 0;
    std::vector<std::complex<double>> eigenvalues;  // of the full OV circuit (non-zero part)
    double eig_copying = 0;                        // §4.3
    double prev_token_kcomp_trace = 0;             // §4.5 (NaN in the first layer)
    double prev_token_kcomp_trace_normalised = 0;  // [OURS]
    double positional_previous_token = 0;          // [OURS], NaN without PIA
    std::vector<double> ov_singular_values, qk_singular_values;  // of W_OV and W_QK, descending
};

struct Circuits {
    bool layer_norm_folded = false;  // false for models without LayerNorm
    std::vector<HeadCircuit> heads;  // layer-major
    std::vector<CompositionPair> pairs;
    CompositionBaseline baseline;
};

// previous_token: the §3.3 scores of this snapshot (the weights of the §4.5 trace); T: the
// context of the positional term.
Circuits analyze_circuits(const Transformer& model, const HeadTable& previous_token, int64_t T,
                          int baseline_draws = 200);

// The JSON of `induction circuits --json` and metrics/<model>/circuits.json:
// {"fold_layer_norm": true, "baseline": {"mean", "std", "reduced_mean", "reduced_std", "draws"},
//  "heads": [{"layer", "head", "eig_copying", "eigenvalues": [[re, im], ...],
//             "prev_token_kcomp_trace", "prev_token_kcomp_trace_normalised",
//             "positional_previous_token", "ov_singular_values", "qk_singular_values"}],
//  "pairs": [{"from": [l, h], "to": [l, h], "k_comp", "q_comp", "v_comp", "baseline_mean",
//             "baseline_std", "k_comp_reduced", "q_comp_reduced", "v_comp_reduced"}]}
json::Value circuits_json(const Circuits& circuits);

}  // namespace induction
