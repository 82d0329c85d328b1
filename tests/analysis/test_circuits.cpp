// test_circuits.cpp — METHODS §4 from the weights (analysis/circuits.h): every factored quantity
// against the same quantity computed from materialised matrices, the positional QK term against
// the scores the forward pass captures, the random composition baseline against METHODS §4.6's
// table, and the hand-built induction circuit read from its weights (copying OV, K-composition
// with the previous-token head far above the baseline). Also the rank correlation of
// analysis/validation.h.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>

#include "analysis/circuits.h"
#include "analysis/evaluators.h"
#include "analysis/hand_built.h"
#include "analysis/validation.h"
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using testing::random_tensor;

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// A small f64 model with LayerNorm gains far from 1, so that LN folding matters.
Transformer random_model(int n_layers = 3, const std::string& normalization = "LN") {
    ModelConfig c;
    c.n_layers = n_layers;
    c.d_model = 12;
    c.n_heads = 2;
    c.d_head = 3;
    c.d_vocab = 17;
    c.n_ctx = 10;
    c.normalization_type = normalization;
    Transformer model = make_transformer(c, 5, DType::F64);
    model.W_E.set_value(random_tensor({17, 12}, DType::F64, 21));
    if (c.has_layer_norm()) {
        model.ln_final_w.set_value(random_tensor({12}, DType::F64, 22, 0.5, 1.5));
        for (int l = 0; l < n_layers; ++l)
            model.blocks[size_t(l)].ln1_w.set_value(random_tensor({12}, DType::F64, 30 + l, 0.5, 1.5));
    }
    return model;
}

// The same weights, read independently: column-convention matrices taken entry by entry from
// the stored tensors, LN folded by an explicit diag(γ) C product.
struct Explicit {
    int64_t D, V, dh;
    Matrix W_E, W_U;  // [D, V], [V, D] (W_U^eff)

    explicit Explicit(const Transformer& model)
        : D(model.config.d_model), V(model.config.d_vocab), dh(model.config.d_head),
          W_E(D, V), W_U(V, D) {
        for (int64_t i = 0; i < D; ++i)
            for (int64_t v = 0; v < V; ++v) {
                W_E(i, v) = model.W_E.value().at({v, i});
                W_U(v, i) = model.W_U.value().at({i, v});
            }
        if (model.config.has_layer_norm()) W_U = multiply(W_U, fold(model.ln_final_w.value()));
    }
    Matrix fold(const Tensor& gamma) const {  // diag(γ) C
        Matrix m(D, D);
        for (int64_t i = 0; i < D; ++i)
            for (int64_t j = 0; j < D; ++j) m(i, j) = gamma.at({i}) * ((i == j) - 1.0 / double(D));
        return m;
    }
    // W_X^eff [dh, D] for X in {Q, K, V} of one head.
    Matrix reader(const Transformer& model, const Var& stored, int layer, int64_t h) const {
        Matrix m(dh, D);
        for (int64_t i = 0; i < D; ++i)
            for (int64_t k = 0; k < dh; ++k) m(k, i) = stored.value().at({h, i, k});
        if (!model.config.has_layer_norm()) return m;
        return multiply(m, fold(model.blocks[size_t(layer)].ln1_w.value()));
    }
    Matrix W_O(const Transformer& model, int layer, int64_t h) const {
        Matrix m(D, dh);
        for (int64_t i = 0; i < D; ++i)
            for (int64_t k = 0; k < dh; ++k) m(i, k) = model.blocks[size_t(layer)].attn.W_O.value().at({h, k, i});
        return m;
    }
    Matrix qk(const Transformer& model, int l, int64_t h) const {  // W_Q^T W_K [D, D]
        const AttentionParams& a = model.blocks[size_t(l)].attn;
        return multiply(transpose(reader(model, a.W_Q, l, h)), reader(model, a.W_K, l, h));
    }
    Matrix ov(const Transformer& model, int l, int64_t h) const {  // W_O W_V [D, D]
        return multiply(W_O(model, l, h), reader(model, model.blocks[size_t(l)].attn.W_V, l, h));
    }
};

double comp(const Matrix& a, const Matrix& b) {
    return frobenius_norm(multiply(a, b)) / (frobenius_norm(a) * frobenius_norm(b));
}

TEST(Circuits, FactoredCircuitsEqualTheMaterialisedOnes) {
    Transformer model = random_model();
    CircuitWeights weights = circuit_weights(model);
    Explicit x(model);
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 2; ++h) {
            Matrix full_qk = multiply(multiply(transpose(x.W_E), x.qk(model, l, h)), x.W_E);
            Matrix full_ov = multiply(multiply(x.W_U, x.ov(model, l, h)), x.W_E);
            Matrix qk = full_qk_circuit(weights, l, h).materialize();
            Matrix ov = full_ov_circuit(weights, l, h).materialize();
            ASSERT_EQ(qk.rows, 17);
            ASSERT_EQ(ov.cols, 17);
            for (size_t i = 0; i < qk.data.size(); ++i) {
                EXPECT_NEAR(qk.data[i], full_qk.data[i], 1e-10);
                EXPECT_NEAR(ov.data[i], full_ov.data[i], 1e-10);
            }
        }
}

// §4.3: eig_copying from the d_head × d_head matrix against the full V × V circuit's spectrum.
TEST(Circuits, EigenvalueCopyingMatchesTheFullCircuitSpectrum) {
    for (const char* normalization : {"LN", "none"}) {
        Transformer model = random_model(3, normalization);
        Explicit x(model);
        HeadTable eig = copy_eig(model);
        CircuitWeights weights = circuit_weights(model);
        for (int l = 0; l < 3; ++l)
            for (int h = 0; h < 2; ++h) {
                std::vector<std::complex<double>> full =
                    eigenvalues(multiply(multiply(x.W_U, x.ov(model, l, h)), x.W_E));  // 17 of them
                double sum = 0, mass = 0;
                for (std::complex<double> lambda : full) {
                    sum += lambda.real();
                    mass += std::abs(lambda);
                }
                EXPECT_NEAR(eig.at(l, h), sum / mass, 1e-9) << normalization << " L" << l << "H" << h;
                // The d_head eigenvalues are the full circuit's non-zero ones: the largest agree.
                std::vector<std::complex<double>> small = ov_circuit_eigenvalues(weights, l, h);
                ASSERT_EQ(small.size(), 3u);
                double largest_small = 0, largest_full = 0;
                for (auto lambda : small) largest_small = std::max(largest_small, std::abs(lambda));
                for (auto lambda : full) largest_full = std::max(largest_full, std::abs(lambda));
                EXPECT_NEAR(largest_small, largest_full, 1e-9 * largest_full);
            }
    }
}

TEST(Circuits, SingularValuesAndNormsOfFactoredMatrices) {
    Transformer model = random_model();
    CircuitWeights weights = circuit_weights(model);
    Explicit x(model);
    for (int l = 0; l < 3; ++l)
        for (int h = 0; h < 2; ++h) {
            for (auto [factored, dense] : {std::pair{ov_matrix(weights.head(l, h)), x.ov(model, l, h)},
                                           std::pair{qk_matrix(weights.head(l, h)), x.qk(model, l, h)}}) {
                std::vector<double> fast = singular_values(factored), reference = singular_values(dense);
                ASSERT_EQ(fast.size(), 3u);
                for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(fast[k], reference[k], 1e-8 * reference[0]);
                EXPECT_NEAR(squared_frobenius_norm(factored),
                            frobenius_norm(dense) * frobenius_norm(dense), 1e-9);
            }
        }
}

// §4.6, both variants, every pair of heads in different layers, against dense products.
TEST(Circuits, CompositionScoresMatchDenseProducts) {
    Transformer model = random_model();
    Explicit x(model);
    std::vector<CompositionPair> pairs =
        composition_scores(circuit_weights(model), circuit_weights(model, false));
    ASSERT_EQ(pairs.size(), 2u * 2 * 1 + 2u * 2 * 2);  // layer 1 reads 2 heads, layer 2 reads 4
    for (const CompositionPair& p : pairs) {
        ASSERT_LT(p.from_layer, p.to_layer);
        Matrix ov_from = x.ov(model, p.from_layer, p.from_head);
        EXPECT_NEAR(p.k_comp, comp(x.qk(model, p.to_layer, p.to_head), ov_from), 1e-10);
        EXPECT_NEAR(p.q_comp, comp(transpose(x.qk(model, p.to_layer, p.to_head)), ov_from), 1e-10);
        EXPECT_NEAR(p.v_comp, comp(x.ov(model, p.to_layer, p.to_head), ov_from), 1e-10);
        // Reduced: raw W_K, W_Q, W_V of the later head [dh, D] times raw W_O of the earlier.
        const AttentionParams& to = model.blocks[size_t(p.to_layer)].attn;
        Matrix W_O = x.W_O(model, p.from_layer, p.from_head);
        auto raw = [&](const Var& stored) {
            Matrix m(x.dh, x.D);
            for (int64_t i = 0; i < x.D; ++i)
                for (int64_t k = 0; k < x.dh; ++k) m(k, i) = stored.value().at({p.to_head, i, k});
            return m;
        };
        EXPECT_NEAR(p.k_comp_reduced, comp(raw(to.W_K), W_O), 1e-10);
        EXPECT_NEAR(p.q_comp_reduced, comp(raw(to.W_Q), W_O), 1e-10);
        EXPECT_NEAR(p.v_comp_reduced, comp(raw(to.W_V), W_O), 1e-10);
    }
}

// METHODS §4.6's table: the baseline of random factors is ≈ 1/sqrt(d_model).
TEST(Circuits, RandomCompositionBaselineMatchesTheTable) {
    ModelConfig c;
    c.d_model = 64;
    c.d_head = 8;
    c.normalization_type = "none";
    CompositionBaseline small = composition_baseline(c, 100);
    EXPECT_NEAR(small.mean, 0.1251, 0.004);
    EXPECT_NEAR(small.std, 0.013, 0.004);
    EXPECT_NEAR(small.reduced_mean, 0.125, 0.01);
    c.d_model = 128;
    c.d_head = 32;
    c.normalization_type = "LN";  // centred readers: d_model − 1 free directions
    CompositionBaseline wide = composition_baseline(c, 40);
    EXPECT_NEAR(wide.mean, 0.0883, 0.003);
    EXPECT_GT(wide.std, 0.0);
    // Deterministic in the seed.
    EXPECT_EQ(composition_baseline(c, 40).mean, wide.mean);
    EXPECT_NE(composition_baseline(c, 40, 7).mean, wide.mean);
}

// §4.5 against the dense V × V matrix Σ_k π_k W_E^T W_QK^h W_OV^k W_E.
TEST(Circuits, PreviousTokenKCompositionTraceMatchesTheDenseMatrix) {
    Transformer model = random_model();
    Explicit x(model);
    HeadTable pi(3, 2);
    pi.values = {0.9, 0.1, 0.3, 0.6, 0.5, 0.5};
    KCompositionTrace traces = previous_token_kcomp_trace(circuit_weights(model), pi);
    for (int h = 0; h < 2; ++h) {
        EXPECT_TRUE(std::isnan(traces.trace.at(0, h)));
        EXPECT_TRUE(std::isnan(traces.normalised.at(0, h)));
    }
    for (int l = 1; l < 3; ++l)
        for (int h = 0; h < 2; ++h) {
            Matrix weighted(x.D, x.D);
            for (int lk = 0; lk < l; ++lk)
                for (int hk = 0; hk < 2; ++hk) {
                    Matrix ov = x.ov(model, lk, hk);
                    for (size_t i = 0; i < ov.data.size(); ++i) weighted.data[i] += pi.at(lk, hk) * ov.data[i];
                }
            Matrix W = multiply(multiply(multiply(transpose(x.W_E), x.qk(model, l, h)), weighted), x.W_E);
            double nuclear = 0;
            for (double s : singular_values(W)) nuclear += s;
            EXPECT_NEAR(traces.trace.at(l, h), trace(W), 1e-9 * (1 + std::abs(trace(W))));
            EXPECT_NEAR(traces.normalised.at(l, h), trace(W) / nuclear, 1e-8);
        }
    HeadTable wrong(2, 2);
    EXPECT_THROW_MESSAGE(previous_token_kcomp_trace(circuit_weights(model), wrong),
                         "previous-token scores of 2x2 heads for a model of 3x2");
}

// With W_E = 0 and zero LN biases, layer 0's scores are exactly the positional term / sqrt(d_head).
TEST(Circuits, PositionalQkTermIsWhatPositionsAloneScore) {
    Transformer model = random_model();
    model.W_E.set_value(Tensor::zeros({17, 12}, DType::F64));
    model.W_pos.set_value(random_tensor({10, 12}, DType::F64, 41));
    Interventions capture;
    capture.capture(Site::SCORES, 0);
    {
        NoGrad no_grad;
        forward(model, Tensor::from_ints({1, 8}, {1, 2, 3, 4, 5, 6, 7, 8}), &capture);
    }
    const Tensor& scores = capture.captured(Site::SCORES, 0);  // [1, H, T, T]
    for (int h = 0; h < 2; ++h) {
        Matrix positional = positional_qk_circuit(model, 0, h, 8);
        for (int64_t p = 0; p < 8; ++p)
            for (int64_t j = 0; j < 8; ++j)
                EXPECT_NEAR(positional(p, j) / std::sqrt(3.0), scores.at({0, h, p, j}), 1e-10);
    }
    EXPECT_THROW_MESSAGE(positional_qk_circuit(model, 0, 0, 11), "outside [1, n_ctx = 10]");
}

// ---- the hand-built induction circuit -----------------------------------------------------------

constexpr int PT = HAND_BUILT_PREVIOUS_TOKEN_LAYER, IND = HAND_BUILT_INDUCTION_LAYER;
constexpr int W = HAND_BUILT_WORKING_HEAD;

TEST(Circuits, HandBuiltInductionCircuitReadFromItsWeights) {
    Transformer model = make_induction_model();
    HeadTable previous(2, 2);
    previous.values = {1.0, 0.0, 0.0, 0.0};  // the layer-0 working head is the previous-token head
    Circuits c = analyze_circuits(model, previous, 64, 10);
    const HeadCircuit& induction = c.heads[size_t(IND * 2 + W)];
    const HeadCircuit& previous_token = c.heads[size_t(PT * 2 + W)];
    EXPECT_GT(induction.eig_copying, 0.9);
    EXPECT_TRUE(std::isnan(previous_token.eig_copying));  // writes nothing W_U reads
    EXPECT_GT(previous_token.positional_previous_token, 0.99);
    EXPECT_LT(induction.positional_previous_token, 0.1);
    EXPECT_GT(induction.prev_token_kcomp_trace_normalised, 0.9);
    // Of every pair, K-composition of the previous-token head into the induction head is the
    // strongest, far above the random baseline.
    const CompositionPair* best = nullptr;
    for (const CompositionPair& p : c.pairs)
        for (double score : {p.k_comp, p.q_comp, p.v_comp})
            if (std::isfinite(score) && (!best || score > best->k_comp)) {
                EXPECT_EQ(score, p.k_comp) << "a Q- or V-composition score beats every K-composition";
                best = &p;
            }
    ASSERT_NE(best, nullptr);
    EXPECT_EQ(std::tuple(best->from_layer, best->from_head, best->to_layer, best->to_head),
              std::tuple(PT, W, IND, W));
    EXPECT_GT(best->k_comp, c.baseline.mean + 20 * c.baseline.std);
}

TEST(Circuits, CircuitsJsonFormat) {
    Transformer model = random_model(2);
    HeadTable previous(2, 2, 0.5);
    json::Value v = circuits_json(analyze_circuits(model, previous, 8, 10));
    EXPECT_TRUE(v.at("fold_layer_norm").as_bool());
    EXPECT_EQ(v.at("baseline").at("draws").as_int(), 10);
    ASSERT_EQ(v.at("heads").size(), 4u);
    const json::Value& head = v.at("heads")[3];
    EXPECT_EQ(head.at("layer").as_int(), 1);
    EXPECT_EQ(head.at("head").as_int(), 1);
    EXPECT_EQ(head.at("eigenvalues").size(), 3u);
    EXPECT_EQ(head.at("eigenvalues")[0].size(), 2u);
    EXPECT_TRUE(v.at("heads")[0].at("prev_token_kcomp_trace").is_null());
    EXPECT_FALSE(head.at("prev_token_kcomp_trace").is_null());
    EXPECT_EQ(head.at("ov_singular_values").size(), 3u);
    ASSERT_EQ(v.at("pairs").size(), 4u);
    const json::Value& pair = v.at("pairs")[0];
    EXPECT_EQ(pair.at("from")[0].as_int(), 0);
    EXPECT_EQ(pair.at("to")[0].as_int(), 1);
    for (const char* key : {"k_comp", "q_comp", "v_comp", "baseline_mean", "baseline_std"})
        EXPECT_GT(pair.at(key).as_number(), 0.0) << key;
}

// ---- rank correlation (validation.h) ------------------------------------------------------------

TEST(Validation, RankCorrelation) {
    EXPECT_NEAR(rank_correlation({1, 2, 3, 4}, {10, 20, 40, 80}), 1.0, 1e-12);  // monotone, not linear
    EXPECT_NEAR(rank_correlation({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
    // Ties take their average rank: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3).
    EXPECT_NEAR(rank_correlation({5, 5, 7}, {1, 2, 3}), std::sqrt(3.0) / 2, 1e-12);
    EXPECT_NEAR(rank_correlation({1, NaN, 2, 3}, {1, 9, 2, 3}), 1.0, 1e-12);  // NaN pairs left out
    EXPECT_TRUE(std::isnan(rank_correlation({1, 2}, {1, 2})));
    EXPECT_TRUE(std::isnan(rank_correlation({1, 1, 1}, {1, 2, 3})));
}

TEST(Validation, SnapshotRankCorrelationWithBootstrapInterval) {
    std::vector<HeadTable> x, y;
    for (int s = 0; s < 6; ++s) {
        HeadTable a(2, 2), b(2, 2);
        for (int i = 0; i < 4; ++i) {
            a.values[size_t(i)] = s * 4 + i;
            b.values[size_t(i)] = (s * 4 + i) + ((i + s) % 3 == 0 ? 2.5 : 0.0);  // mostly monotone
        }
        x.push_back(a);
        y.push_back(b);
    }
    RankCorrelation all = snapshot_rank_correlation(x, y);
    EXPECT_EQ(all.pairs, 24);
    EXPECT_EQ(all.snapshots, 6);
    EXPECT_GT(all.rho, 0.9);
    EXPECT_LE(all.low, all.rho + 1e-12);
    EXPECT_GE(all.high, all.low);
    EXPECT_LE(all.high, 1.0);
    RankCorrelation upper = snapshot_rank_correlation(x, y, 1);  // layer >= 1 only
    EXPECT_EQ(upper.pairs, 12);
    EXPECT_EQ(snapshot_rank_correlation(x, y).low, all.low);  // deterministic
}

}  // namespace
}  // namespace induction
