// circuits.cpp — METHODS §4 from the weights: circuits, eigenvalues, composition (circuits.h).
#include "analysis/circuits.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/rng.h"

namespace induction {

namespace {

constexpr double NOT_A_SCORE = std::numeric_limits<double>::quiet_NaN();

// A 2-D tensor (any float dtype, any device) as a Matrix.
Matrix matrix_of(const Tensor& t) {
    check(t.ndim() == 2, "circuits: expected a matrix, got ", describe(t));
    Matrix m(t.size(0), t.size(1));
    m.data = t.to_vector();
    return m;
}

// §1.3 folding of a matrix that reads the residual stream, m [r, d_model] → m diag(γ) C:
// scale column i by γ_i, then centre each row over d_model.
Matrix fold_layer_norm(Matrix m, const std::vector<double>& gamma) {
    for (int64_t r = 0; r < m.rows; ++r) {
        double* row = m.row(r);
        double mean = 0;
        for (int64_t i = 0; i < m.cols; ++i) mean += (row[i] *= gamma[size_t(i)]) / double(m.cols);
        for (int64_t i = 0; i < m.cols; ++i) row[i] -= mean;
    }
    return m;
}

Matrix scaled(Matrix m, double factor) {
    for (double& x : m.data) x *= factor;
    return m;
}

Matrix add(Matrix a, const Matrix& b) {
    for (size_t i = 0; i < a.data.size(); ++i) a.data[i] += b.data[i];
    return a;
}

// trace(a b) without forming a b: Σ_ij a_ij b_ji.
double trace_of_product(const Matrix& a, const Matrix& b) {
    check(a.rows == b.cols && a.cols == b.rows, "trace_of_product: shapes [", a.rows, ", ", a.cols,
          "] and [", b.rows, ", ", b.cols, "] do not make a square product");
    double sum = 0;
    for (int64_t i = 0; i < a.rows; ++i)
        for (int64_t j = 0; j < a.cols; ++j) sum += a(i, j) * b(j, i);
    return sum;
}

// The matrix square root of a symmetric positive semi-definite matrix (negative rounding
// eigenvalues are treated as zero).
Matrix symmetric_sqrt(const Matrix& a) {
    SymmetricEigen e = symmetric_eigen(a);
    const int64_t n = a.rows;
    Matrix root(n, n);
    for (int64_t k = 0; k < n; ++k) {
        double s = std::sqrt(std::max(e.values[size_t(k)], 0.0));
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < n; ++j) root(i, j) += s * e.vectors(i, k) * e.vectors(j, k);
    }
    return root;
}

double mean(const std::vector<double>& x) {
    double sum = 0;
    for (double v : x) sum += v;
    return sum / double(x.size());
}

double standard_deviation(const std::vector<double>& x) {
    double m = mean(x), sum = 0;
    for (double v : x) sum += (v - m) * (v - m);
    return std::sqrt(sum / double(x.size() - 1));
}

// The three §4.6 scores of h1 → h2 from their matrices.
struct Compositions {
    double k, q, v;
};
Compositions compositions(const HeadWeights& from, const HeadWeights& to) {
    LowRank ov_from = ov_matrix(from), qk_to = qk_matrix(to);
    LowRank qk_to_transposed{transpose(qk_to.right), transpose(qk_to.left)};  // W_K^T W_Q
    return {composition_score(qk_to, ov_from), composition_score(qk_to_transposed, ov_from),
            composition_score(ov_matrix(to), ov_from)};
}

// [SC]'s reduced variant: ‖W_X^{h2} W_O^{h1}‖ / (‖W_X^{h2}‖ ‖W_O^{h1}‖) on raw slices.
Compositions reduced_compositions(const HeadWeights& from, const HeadWeights& to) {
    auto score = [&](const Matrix& reader) {
        double denominator = frobenius_norm(reader) * frobenius_norm(from.W_O);
        return denominator > 0 ? frobenius_norm(multiply(reader, from.W_O)) / denominator
                               : NOT_A_SCORE;
    };
    return {score(to.W_K), score(to.W_Q), score(to.W_V)};
}

json::Value number_or_null(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }

json::Value numbers_json(const std::vector<double>& values) {
    json::Value a = json::Value::array();
    for (double x : values) a.push_back(number_or_null(x));
    return a;
}

}  // namespace

// ---- weights -------------------------------------------------------------------------------------

CircuitWeights circuit_weights(const Transformer& model, bool fold_layer_norm_in) {
    const ModelConfig& c = model.config;
    const bool fold = fold_layer_norm_in && c.has_layer_norm();
    CircuitWeights w;
    w.n_layers = c.n_layers;
    w.n_heads = c.n_heads;
    w.layer_norm_folded = fold;
    w.W_E = transpose(matrix_of(model.W_E.value()));  // stored [V, D] → [D, V]
    w.W_U = transpose(matrix_of(model.W_U.value()));  // stored [D, V] → [V, D]
    if (fold) w.W_U = fold_layer_norm(std::move(w.W_U), model.ln_final_w.value().to_vector());
    for (int l = 0; l < c.n_layers; ++l) {
        const BlockParams& block = model.blocks[size_t(l)];
        std::vector<double> gamma;
        if (fold) gamma = block.ln1_w.value().to_vector();
        auto reader = [&](const Var& stored, int h) {  // stored [H, D, dh] → [dh, D], folded
            Matrix m = transpose(matrix_of(stored.value()[h]));
            return fold ? fold_layer_norm(std::move(m), gamma) : m;
        };
        for (int h = 0; h < c.n_heads; ++h)
            w.heads.push_back({reader(block.attn.W_Q, h), reader(block.attn.W_K, h),
                               reader(block.attn.W_V, h),
                               transpose(matrix_of(block.attn.W_O.value()[h]))});  // [dh, D] → [D, dh]
    }
    return w;
}

// ---- factored matrices ---------------------------------------------------------------------------

LowRank qk_matrix(const HeadWeights& head) { return {transpose(head.W_Q), head.W_K}; }

LowRank ov_matrix(const HeadWeights& head) { return {head.W_O, head.W_V}; }

LowRank full_qk_circuit(const CircuitWeights& weights, int layer, int head) {
    const HeadWeights& w = weights.head(layer, head);
    return {transpose(multiply(w.W_Q, weights.W_E)), multiply(w.W_K, weights.W_E)};
}

LowRank full_ov_circuit(const CircuitWeights& weights, int layer, int head) {
    const HeadWeights& w = weights.head(layer, head);
    return {multiply(weights.W_U, w.W_O), multiply(w.W_V, weights.W_E)};
}

Matrix positional_qk_circuit(const Transformer& model, int layer, int head, int64_t T) {
    check(model.config.position_infused(), "positional_qk_circuit: the model has no position-infused "
          "attention (positional_embedding_type '", model.config.positional_embedding_type, "')");
    check(T >= 1 && T <= model.config.n_ctx, "positional_qk_circuit: T = ", T, " outside [1, n_ctx = ",
          model.config.n_ctx, "]");
    const AttentionParams& attn = model.blocks[size_t(layer)].attn;
    Matrix P = matrix_of(model.W_pos.value().slice(0, T));  // [T, D], rows P_p
    Matrix queries = multiply(P, matrix_of(attn.W_Q.value()[head]));  // [T, dh]: (W_Q P_p)^T
    Matrix keys = multiply(P, matrix_of(attn.W_K.value()[head]));     // [T, dh]
    return multiply(queries, transpose(keys));
}

double positional_previous_token(const Matrix& positional_qk, int64_t d_head) {
    const int64_t T = positional_qk.rows;
    if (T < 2) return NOT_A_SCORE;
    const double scale = 1.0 / std::sqrt(double(d_head));
    double total = 0;
    for (int64_t p = 1; p < T; ++p) {
        double top = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j <= p; ++j) top = std::max(top, positional_qk(p, j) * scale);
        double sum = 0;
        for (int64_t j = 0; j <= p; ++j) sum += std::exp(positional_qk(p, j) * scale - top);
        total += std::exp(positional_qk(p, p - 1) * scale - top) / sum;
    }
    return total / double(T - 1);
}

std::vector<double> singular_values(const LowRank& m) {
    Matrix root = symmetric_sqrt(multiply(transpose(m.left), m.left));  // (L^T L)^½: [r, r]
    Matrix inner = multiply(multiply(root, gram(m.right)), root);        // S R R^T S
    std::vector<double> values = symmetric_eigen(inner).values;          // descending
    for (double& x : values) x = std::sqrt(std::max(x, 0.0));
    return values;
}

double squared_frobenius_norm(const LowRank& m) {
    return trace_of_product(multiply(transpose(m.left), m.left), gram(m.right));
}

// ---- §4.3 ----------------------------------------------------------------------------------------

std::vector<std::complex<double>> ov_circuit_eigenvalues(const CircuitWeights& weights, int layer,
                                                         int head) {
    const HeadWeights& w = weights.head(layer, head);
    // M = (W_V^eff W_E)(W_U^eff W_O): the factors of the full OV circuit in the other order.
    return eigenvalues(multiply(multiply(w.W_V, weights.W_E), multiply(weights.W_U, w.W_O)));
}

double eigenvalue_copying_score(const std::vector<std::complex<double>>& eigenvalues, double scale) {
    double sum = 0, mass = 0;
    for (std::complex<double> lambda : eigenvalues) {
        sum += lambda.real();  // the imaginary parts of conjugate pairs cancel
        mass += std::abs(lambda);
    }
    return mass > 1e-12 * scale ? sum / mass : NOT_A_SCORE;
}

namespace {
// A bound on every eigenvalue of the OV circuit: the product of its factors' norms.
double ov_eigenvalue_bound(const CircuitWeights& weights, const HeadWeights& w) {
    return frobenius_norm(w.W_V) * frobenius_norm(weights.W_E) * frobenius_norm(weights.W_U) *
           frobenius_norm(w.W_O);
}
}  // namespace

HeadTable copy_eig(const Transformer& model) {
    CircuitWeights weights = circuit_weights(model);
    HeadTable table(weights.n_layers, weights.n_heads);
    for (int l = 0; l < weights.n_layers; ++l)
        for (int h = 0; h < weights.n_heads; ++h)
            table.at(l, h) = eigenvalue_copying_score(
                ov_circuit_eigenvalues(weights, l, h), ov_eigenvalue_bound(weights, weights.head(l, h)));
    return table;
}

// ---- §4.5 ----------------------------------------------------------------------------------------

KCompositionTrace previous_token_kcomp_trace(const CircuitWeights& weights,
                                             const HeadTable& previous_token) {
    check(previous_token.n_layers == weights.n_layers && previous_token.n_heads == weights.n_heads,
          "previous_token_kcomp_trace: previous-token scores of ", previous_token.n_layers, "x",
          previous_token.n_heads, " heads for a model of ", weights.n_layers, "x", weights.n_heads);
    KCompositionTrace out{HeadTable(weights.n_layers, weights.n_heads, NOT_A_SCORE),
                          HeadTable(weights.n_layers, weights.n_heads, NOT_A_SCORE)};
    const int64_t D = weights.W_E.rows;
    // Σ_k π(h_k) W_OV^{h_k} over the heads of the layers below l, accumulated layer by layer.
    Matrix weighted_ov(D, D);
    for (int l = 1; l < weights.n_layers; ++l) {
        for (int h = 0; h < weights.n_heads; ++h) {
            const HeadWeights& below = weights.head(l - 1, h);
            double pi = previous_token.at(l - 1, h);
            if (std::isfinite(pi))
                weighted_ov = add(std::move(weighted_ov), scaled(ov_matrix(below).materialize(), pi));
        }
        for (int h = 0; h < weights.n_heads; ++h) {
            const HeadWeights& w = weights.head(l, h);
            // W^(h) = W_E^T W_QK^h (Σ π W_OV) W_E = left [V, dh] · right [dh, V]
            LowRank m{transpose(multiply(w.W_Q, weights.W_E)),
                      multiply(multiply(w.W_K, weighted_ov), weights.W_E)};
            double trace = trace_of_product(m.right, m.left);  // trace(L R) = trace(R L): dh × dh
            double nuclear = 0;
            for (double s : singular_values(m)) nuclear += s;
            out.trace.at(l, h) = trace;
            out.normalised.at(l, h) = nuclear > 0 ? trace / nuclear : NOT_A_SCORE;
        }
    }
    return out;
}

// ---- §4.6 ----------------------------------------------------------------------------------------

double composition_score(const LowRank& a, const LowRank& b) {
    // ‖A B‖² = trace(M^T (L_a^T L_a) M (R_b R_b^T)) with M = R_a L_b: all r × r.
    Matrix left_gram = multiply(transpose(a.left), a.left), right_gram = gram(b.right);
    Matrix m = multiply(a.right, b.left);
    double product = trace_of_product(multiply(multiply(transpose(m), left_gram), m), right_gram);
    double norms = squared_frobenius_norm(a) * squared_frobenius_norm(b);
    return norms > 0 ? std::sqrt(std::max(product, 0.0) / norms) : NOT_A_SCORE;
}

std::vector<CompositionPair> composition_scores(const CircuitWeights& folded,
                                                const CircuitWeights& raw) {
    std::vector<CompositionPair> pairs;
    for (int l2 = 1; l2 < folded.n_layers; ++l2)
        for (int h2 = 0; h2 < folded.n_heads; ++h2)
            for (int l1 = 0; l1 < l2; ++l1)
                for (int h1 = 0; h1 < folded.n_heads; ++h1) {
                    Compositions full = compositions(folded.head(l1, h1), folded.head(l2, h2));
                    Compositions reduced = reduced_compositions(raw.head(l1, h1), raw.head(l2, h2));
                    pairs.push_back({l1, h1, l2, h2, full.k, full.q, full.v, reduced.k, reduced.q,
                                     reduced.v});
                }
    return pairs;
}

CompositionBaseline composition_baseline(const ModelConfig& config, int draws, uint64_t seed) {
    check(draws >= 2, "composition_baseline: need at least 2 draws, got ", draws);
    const int64_t D = config.d_model, dh = config.d_head;
    const std::vector<double> ones(size_t(D), 1.0);
    Rng rng(seed);
    auto gaussian = [&](int64_t rows, int64_t cols) {
        return matrix_of(rng.normal({rows, cols}, 0.0, 1.0, DType::F64));
    };
    auto random_head = [&] {
        HeadWeights w{gaussian(dh, D), gaussian(dh, D), gaussian(dh, D), gaussian(D, dh)};
        if (config.has_layer_norm())
            for (Matrix* reader : {&w.W_Q, &w.W_K, &w.W_V}) *reader = fold_layer_norm(*reader, ones);
        return w;
    };
    std::vector<double> full, reduced;
    for (int d = 0; d < draws; ++d) {
        HeadWeights from = random_head(), to = random_head();
        Compositions f = compositions(from, to), r = reduced_compositions(from, to);
        full.insert(full.end(), {f.k, f.q, f.v});
        reduced.insert(reduced.end(), {r.k, r.q, r.v});
    }
    return {mean(full), standard_deviation(full), mean(reduced), standard_deviation(reduced), draws,
            seed};
}

// ---- one snapshot --------------------------------------------------------------------------------

Circuits analyze_circuits(const Transformer& model, const HeadTable& previous_token, int64_t T,
                          int baseline_draws) {
    const ModelConfig& c = model.config;
    CircuitWeights folded = circuit_weights(model), raw = circuit_weights(model, false);
    KCompositionTrace traces = previous_token_kcomp_trace(folded, previous_token);
    Circuits out;
    out.layer_norm_folded = folded.layer_norm_folded;
    for (int l = 0; l < c.n_layers; ++l)
        for (int h = 0; h < c.n_heads; ++h) {
            HeadCircuit head;
            head.layer = l;
            head.head = h;
            head.eigenvalues = ov_circuit_eigenvalues(folded, l, h);
            head.eig_copying =
                eigenvalue_copying_score(head.eigenvalues, ov_eigenvalue_bound(folded, folded.head(l, h)));
            head.prev_token_kcomp_trace = traces.trace.at(l, h);
            head.prev_token_kcomp_trace_normalised = traces.normalised.at(l, h);
            head.positional_previous_token =
                c.position_infused()
                    ? positional_previous_token(positional_qk_circuit(model, l, h, T), c.d_head)
                    : NOT_A_SCORE;
            head.ov_singular_values = singular_values(ov_matrix(folded.head(l, h)));
            head.qk_singular_values = singular_values(qk_matrix(folded.head(l, h)));
            out.heads.push_back(std::move(head));
        }
    out.pairs = composition_scores(folded, raw);
    out.baseline = composition_baseline(c, baseline_draws);
    return out;
}

json::Value circuits_json(const Circuits& circuits) {
    json::Value out = json::Value::object();
    out["fold_layer_norm"] = circuits.layer_norm_folded;
    json::Value baseline = json::Value::object();
    baseline["mean"] = circuits.baseline.mean;
    baseline["std"] = circuits.baseline.std;
    baseline["reduced_mean"] = circuits.baseline.reduced_mean;
    baseline["reduced_std"] = circuits.baseline.reduced_std;
    baseline["draws"] = circuits.baseline.draws;
    baseline["seed"] = circuits.baseline.seed;
    out["baseline"] = baseline;
    json::Value heads = json::Value::array();
    for (const HeadCircuit& h : circuits.heads) {
        json::Value v = json::Value::object();
        v["layer"] = h.layer;
        v["head"] = h.head;
        v["eig_copying"] = number_or_null(h.eig_copying);
        json::Value eigenvalues = json::Value::array();
        for (std::complex<double> lambda : h.eigenvalues) {
            json::Value pair = json::Value::array();
            pair.push_back(lambda.real());
            pair.push_back(lambda.imag());
            eigenvalues.push_back(pair);
        }
        v["eigenvalues"] = eigenvalues;
        v["prev_token_kcomp_trace"] = number_or_null(h.prev_token_kcomp_trace);
        v["prev_token_kcomp_trace_normalised"] = number_or_null(h.prev_token_kcomp_trace_normalised);
        v["positional_previous_token"] = number_or_null(h.positional_previous_token);
        v["ov_singular_values"] = numbers_json(h.ov_singular_values);
        v["qk_singular_values"] = numbers_json(h.qk_singular_values);
        heads.push_back(v);
    }
    out["heads"] = heads;
    json::Value pairs = json::Value::array();
    for (const CompositionPair& p : circuits.pairs) {
        json::Value v = json::Value::object();
        json::Value from = json::Value::array(), to = json::Value::array();
        from.push_back(p.from_layer);
        from.push_back(p.from_head);
        to.push_back(p.to_layer);
        to.push_back(p.to_head);
        v["from"] = from;
        v["to"] = to;
        v["k_comp"] = number_or_null(p.k_comp);
        v["q_comp"] = number_or_null(p.q_comp);
        v["v_comp"] = number_or_null(p.v_comp);
        v["baseline_mean"] = circuits.baseline.mean;
        v["baseline_std"] = circuits.baseline.std;
        v["k_comp_reduced"] = number_or_null(p.k_comp_reduced);
        v["q_comp_reduced"] = number_or_null(p.q_comp_reduced);
        v["v_comp_reduced"] = number_or_null(p.v_comp_reduced);
        pairs.push_back(v);
    }
    out["pairs"] = pairs;
    return out;
}

}  // namespace induction
