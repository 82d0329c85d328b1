// test_fewshot_measures.cpp — the few-shot measures of analysis/fewshot_measures.h (METHODS §8.4,
// §8.7 [OURS], §8.8, §8.9) on a freshly initialised §8.3 model and 200 sequences of the §8.2
// train split: clamps of known strength read back as 2s − 1 and s; every table equals the same
// ablation done by hand with head-output interventions (not clamps); preservation freezes what it
// promises in the second layer and nothing else; the direct path equals the logits of the final
// residual stream minus the first layer's output; composition scores are the raw-weight norms.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "analysis/fewshot_measures.h"
#include "autograd/functions.h"
#include "tests/support/testing.h"
#include "train/fewshot_task.h"

namespace induction {
namespace {

constexpr int H = 8;  // heads per layer of the §8.3 model

struct Fixture {
    FewShotTask task{FewShotTaskConfig{}};
    Transformer model = make_fewshot_model(fewshot_model_config(64, 5), 5);
    std::vector<FewShotInputs> chunks;  // 200 sequences in two chunks (a measure must pool chunks)
    std::vector<FewShotInputs> whole;   // the same in one chunk (half the passes)
    Fixture() {
        const FewShotSequences s = task.evaluation_split(FewShotSplit::TRAIN);
        chunks = {task.inputs(s, 0, 120), task.inputs(s, 120, 200)};
        whole = {task.inputs(s, 0, 200)};
    }
};

const Fixture& fixture() {
    static const Fixture s;
    return s;
}

// Per-sequence outcomes of plain forward passes with hand-made interventions (no clamps).
FewShotOutcomes by_hand(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                        const std::function<void(Interventions&)>& prepare) {
    NoGrad no_grad;
    FewShotOutcomes all;
    for (const FewShotInputs& inputs : chunks) {
        Interventions iv;
        prepare(iv);
        FewShotOutcomes o = fewshot_outcomes(fewshot_forward(model, inputs, &iv).value(), inputs);
        all.loss.insert(all.loss.end(), o.loss.begin(), o.loss.end());
        all.probability.insert(all.probability.end(), o.probability.begin(), o.probability.end());
        all.in_context_probability.insert(all.in_context_probability.end(), o.in_context_probability.begin(),
                                          o.in_context_probability.end());
        all.correct.insert(all.correct.end(), o.correct.begin(), o.correct.end());
        all.in_context_correct.insert(all.in_context_correct.end(), o.in_context_correct.begin(),
                                      o.in_context_correct.end());
    }
    return all;
}

// Head outputs removed by hand: z of every head of `layer` not in `keep` scaled to 0.
std::function<void(Interventions&)> keeping(int layer, const std::vector<int>& keep, int n_heads = H) {
    return [layer, keep, n_heads](Interventions& iv) {
        for (int h = 0; h < n_heads; ++h)
            if (std::find(keep.begin(), keep.end(), h) == keep.end()) iv.ablate_head(layer, h);
    };
}

void expect_same_metrics(const FewShotMetrics& a, const FewShotMetrics& b, double tolerance, const std::string& what) {
    EXPECT_NEAR(a.loss, b.loss, tolerance) << what;
    EXPECT_NEAR(a.accuracy, b.accuracy, tolerance) << what;
    EXPECT_NEAR(a.in_context_accuracy, b.in_context_accuracy, tolerance) << what;
    EXPECT_NEAR(a.probability, b.probability, tolerance) << what;
    EXPECT_NEAR(a.in_context_probability, b.in_context_probability, tolerance) << what;
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
    std::vector<double> x = a.to_vector(), y = b.to_vector();
    EXPECT_EQ(x.size(), y.size());
    double worst = 0;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
    return worst;
}

// What the preservation tests read, per chunk, from one pass under a clamp schedule.
struct Captured {
    Tensor pattern, v;  // layer 1: [B, H, T, T], [B, H, T, d_head]
    Tensor z0;          // layer 0: [B, H, T, d_head]
};
std::vector<Captured> captured(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                               const ClampSchedule& clamps) {
    std::vector<Captured> out;
    ChunkProbe probe;
    probe.before = [](Interventions& iv) { iv.capture(Site::PATTERN, 1).capture(Site::V, 1).capture(Site::Z, 0); };
    probe.after = [&](const Interventions& iv, const FewShotInputs&) {
        out.push_back({iv.captured(Site::PATTERN, 1), iv.captured(Site::V, 1), iv.captured(Site::Z, 0)});
    };
    fewshot_outcomes(model, chunks, clamps, 0, probe);
    return out;
}

// Head h's slice [B, T, d] of a [B, H, T, d] tensor, as host doubles.
std::vector<double> head_slice(const Tensor& x, int h) {
    std::vector<double> all = x.to_vector(), out;
    const int64_t B = x.size(0), per_head = x.size(2) * x.size(3);
    for (int64_t b = 0; b < B; ++b)
        out.insert(out.end(), all.begin() + (b * x.size(1) + h) * per_head,
                   all.begin() + (b * x.size(1) + h + 1) * per_head);
    return out;
}

TEST(FewShotMeasures, InductionClampReadsAsTwoSMinusOne) {
    const Fixture& s = fixture();
    const std::vector<double> free = induction_strengths(s.model, s.chunks, 1);
    ASSERT_EQ(free.size(), size_t(H));
    for (double strength : {0.8, 0.3, 1.0}) {
        const std::vector<double> clamped = induction_strengths(s.model, s.chunks, 1, induction_clamp({1, 2}, strength));
        EXPECT_NEAR(clamped[2], 2 * strength - 1, 1e-6) << "s = " << strength;
        for (int h = 0; h < H; ++h)
            if (h != 2) {
                EXPECT_NEAR(clamped[h], free[h], 1e-12) << "head " << h << " moved with another's clamp";
            }
    }
    // The free strengths against the captured query rows, the correct token found by its label.
    std::vector<double> by_label(H, 0.0);
    int64_t n = 0;
    const std::vector<Captured> plain = captured(s.model, s.chunks, {});
    for (size_t c = 0; c < s.chunks.size(); ++c) {
        const Tensor& pattern = plain[c].pattern;
        std::vector<double> A = pattern.to_vector(), labels = s.chunks[c].labels.to_vector(),
                            targets = s.chunks[c].targets.to_vector();
        for (int64_t b = 0; b < pattern.size(0); ++b, ++n)
            for (int h = 0; h < H; ++h)
                for (int p : {1, 3})
                    by_label[size_t(h)] += (labels[size_t(b * 5 + p)] == targets[size_t(b)] ? 1 : -1) *
                                           A[size_t(((b * H + h) * 5 + 4) * 5 + p)];
    }
    for (int h = 0; h < H; ++h) EXPECT_NEAR(free[h], by_label[size_t(h)] / double(n), 1e-9) << "head " << h;
}

TEST(FewShotMeasures, PreviousTokenClampReadsAsS) {
    const Fixture& s = fixture();
    const std::vector<double> free = previous_token_attention(s.model, s.chunks);
    for (bool label_rows_only : {false, true}) {
        const std::vector<double> clamped =
            previous_token_attention(s.model, s.chunks, 0, previous_token_clamp({0, 5}, 0.7, label_rows_only));
        EXPECT_NEAR(clamped[5], 0.7, 1e-6);
        for (int h = 0; h < H; ++h)
            if (h != 5) {
                EXPECT_NEAR(clamped[h], free[h], 1e-12) << "head " << h;
            }
    }
    for (double a : free) EXPECT_TRUE(a > 0 && a < 1) << a;
}

TEST(FewShotMeasures, RedundancyTableIsTheDirectAblation) {
    const Fixture& s = fixture();
    const RedundancyTable t = redundancy_table(s.model, s.chunks, 1);
    ASSERT_EQ(t.heads.size(), size_t(H));
    const FewShotMetrics plain = fewshot_metrics(by_hand(s.model, s.chunks, [](Interventions&) {}));
    expect_same_metrics(t.unablated, plain, 1e-12, "unablated");
    const std::vector<double> strengths = induction_strengths(s.model, s.chunks, 1);
    for (int h : {0, 3, 7}) {
        const std::string what = "head " + std::to_string(h);
        EXPECT_EQ(t.heads[size_t(h)].head, h);
        EXPECT_EQ(t.heads[size_t(h)].induction_strength, strengths[size_t(h)]) << what;
        expect_same_metrics(t.heads[size_t(h)].only_active,
                            fewshot_metrics(by_hand(s.model, s.chunks, keeping(1, {h}))), 1e-9, what + " alone");
        std::vector<int> others;
        for (int k = 0; k < H; ++k)
            if (k != h) others.push_back(k);
        expect_same_metrics(t.heads[size_t(h)].only_removed,
                            fewshot_metrics(by_hand(s.model, s.chunks, keeping(1, others))), 1e-9, what + " removed");
        EXPECT_NE(t.heads[size_t(h)].only_removed.loss, t.unablated.loss) << what << ": removing it changed nothing";
        EXPECT_NE(t.heads[size_t(h)].only_active.loss, t.unablated.loss) << what;
    }
}

TEST(FewShotMeasures, AddingHeadsBackEndsAtTheUnablatedModel) {
    const Fixture& s = fixture();
    const std::vector<double> strengths = induction_strengths(s.model, s.whole, 1);
    const std::vector<int> order = heads_by_strength(strengths);
    ASSERT_EQ(order.size(), size_t(H));
    for (size_t k = 1; k < order.size(); ++k) EXPECT_GE(strengths[size_t(order[k - 1])], strengths[size_t(order[k])]);
    const AddingHeadsBack a = adding_heads_back(s.model, s.whole, 1, order);
    ASSERT_EQ(a.metrics.size(), size_t(H));
    expect_same_metrics(a.metrics.back(), fewshot_metrics(by_hand(s.model, s.whole, [](Interventions&) {})), 1e-12,
                        "all heads back");
    for (size_t k : {size_t(1), size_t(3)}) {
        const std::vector<int> first(order.begin(), order.begin() + std::ptrdiff_t(k));
        expect_same_metrics(a.metrics[k - 1], fewshot_metrics(by_hand(s.model, s.whole, keeping(1, first))), 1e-9,
                            std::to_string(k) + " heads back");
    }
    // Leaving the strongest out: a shorter order.
    const AddingHeadsBack rest = adding_heads_back(s.model, s.whole, 1, {order.begin() + 1, order.end()});
    ASSERT_EQ(rest.metrics.size(), size_t(H - 1));
    expect_same_metrics(rest.metrics.back(), fewshot_metrics(by_hand(s.model, s.whole, keeping(1, rest.order))),
                        1e-9, "all but the strongest");
}

TEST(FewShotMeasures, ErrorOverlapCountsPerSequence) {
    const Fixture& s = fixture();
    const int strongest = 3;
    const ErrorOverlap e = error_overlap(s.model, s.whole, 1, strongest);
    const FewShotOutcomes alone = by_hand(s.model, s.whole, keeping(1, {strongest}));
    int64_t errors = 0;
    for (double c : alone.correct) errors += c == 0;
    EXPECT_EQ(e.sequences, 200);
    EXPECT_EQ(e.strongest_errors, errors);
    ASSERT_GT(errors, 0) << "an untrained model should make errors";
    EXPECT_TRUE(std::isnan(e.fraction_right[strongest]));
    for (int h : {0, 4, 7}) {
        const FewShotOutcomes other = by_hand(s.model, s.whole, keeping(1, {h}));
        double right = 0;
        for (size_t b = 0; b < alone.correct.size(); ++b) right += alone.correct[b] == 0 && other.correct[b] == 1;
        EXPECT_NEAR(e.fraction_right[size_t(h)], right / double(errors), 1e-12) << "head " << h;
    }
}

// Head h of layer 1 has v ≡ 0, in every chunk.
bool zero_values(const std::vector<Captured>& captures, int h) {
    for (const Captured& c : captures)
        for (double x : head_slice(c.v, h))
            if (x != 0.0) return false;
    return true;
}

TEST(FewShotMeasures, PreservationFreezesWhatItSaysInTheSecondLayer) {
    // 0:4 ablated, only 1:2 active in layer 1: the patterns, the values or both of layer 1 must be
    // those of the clean pass, and the rest must move (the ablation reaches layer 1 otherwise).
    const Fixture& s = fixture();
    const std::vector<Captured> plain = captured(s.model, s.whole, {});
    for (Preservation p : {Preservation::PATTERNS, Preservation::VALUES, Preservation::BOTH}) {
        const std::string what = preservation_name(p);
        const std::vector<Captured> clamped = captured(s.model, s.whole, wiring_clamps(0, {4}, p, 1, {2}, H));
        ASSERT_EQ(clamped.size(), plain.size());
        for (size_t c = 0; c < plain.size(); ++c) {
            const double pattern_moved = max_abs_difference(clamped[c].pattern, plain[c].pattern);
            std::vector<double> kept = head_slice(clamped[c].v, 2), clean = head_slice(plain[c].v, 2);
            double values_moved = 0;
            for (size_t k = 0; k < kept.size(); ++k) values_moved = std::max(values_moved, std::abs(kept[k] - clean[k]));
            if (p == Preservation::VALUES) {
                EXPECT_GT(pattern_moved, 1e-5) << what << ": the ablation did not reach the patterns";
            } else {
                EXPECT_LT(pattern_moved, 1e-6) << what;
            }
            if (p == Preservation::PATTERNS) {
                EXPECT_GT(values_moved, 1e-4) << what << ": the ablation did not reach the values";
            } else {
                EXPECT_LT(values_moved, 1e-6) << what;
            }
            for (double x : head_slice(clamped[c].z0, 4)) ASSERT_EQ(x, 0.0) << what << ": head 0:4 is not ablated";
        }
        // Preservation must not revive the second-layer heads the restriction ablates.
        for (int h = 0; h < H; ++h) EXPECT_EQ(zero_values(clamped, h), h != 2) << what << ": layer 1 head " << h;
    }
}

TEST(FewShotMeasures, WiringTableIsItsClampsAndTheRawCompositionScores) {
    // The table is n_heads · (1 + 4 · n_heads) scored rows: a 2-head model and one chunk keep it fast.
    const Fixture& s = fixture();
    ModelConfig config = fewshot_model_config(64, 5);
    config.n_heads = 2;
    const int n = config.n_heads;
    const Transformer model = make_fewshot_model(config, 7);
    const std::vector<FewShotInputs>& chunk = s.whole;
    const WiringTable t = wiring_table(model, chunk, 0, 1, 20);
    ASSERT_EQ(t.entries.size(), size_t(n * n));
    ASSERT_EQ(t.only_second.size(), size_t(n));
    for (int i = 0; i < n; ++i)
        expect_same_metrics(t.only_second[size_t(i)], fewshot_metrics(by_hand(model, chunk, keeping(1, {i}, n))),
                            1e-9, "only " + std::to_string(i));
    auto scored = [&](const ClampSchedule& c) { return fewshot_metrics(fewshot_outcomes(model, chunk, c, 0)); };
    for (auto [i, j] : {std::pair{1, 0}, {0, 1}}) {
        const WiringEntry& e = t.at(i, j);
        EXPECT_EQ(e.second_head, i);
        EXPECT_EQ(e.first_head, j);
        std::vector<int> others;
        for (int k = 0; k < n; ++k)
            if (k != j) others.push_back(k);
        auto clamps = [&](const std::vector<int>& ablated, Preservation p) {
            return scored(wiring_clamps(0, ablated, p, 1, {i}, n));
        };
        expect_same_metrics(e.removed_patterns_preserved, clamps({j}, Preservation::PATTERNS), 0, "(a) patterns");
        expect_same_metrics(e.removed_values_preserved, clamps({j}, Preservation::VALUES), 0, "(a) values");
        expect_same_metrics(e.kept_patterns_preserved, clamps(others, Preservation::PATTERNS), 0, "(b) patterns");
        expect_same_metrics(e.kept_values_preserved, clamps(others, Preservation::VALUES), 0, "(b) values");
        EXPECT_NE(e.removed_patterns_preserved.loss, t.only_second[size_t(i)].loss);
        EXPECT_NE(e.removed_values_preserved.loss, e.removed_patterns_preserved.loss);
        // Reduced composition from the stored weights: ‖W_K^i W_O^j‖ / (‖W_K^i‖ ‖W_O^j‖), same for W_V.
        const std::vector<double> W_O = model.blocks[0].attn.W_O.value()[j].to_vector();  // [d_head, d_model]
        for (bool key : {true, false}) {
            const Var& reader = key ? model.blocks[1].attn.W_K : model.blocks[1].attn.W_V;
            const std::vector<double> W = reader.value()[i].to_vector();  // [d_model, d_head]
            double product = 0, norm_reader = 0, norm_o = 0;
            for (double x : W) norm_reader += x * x;
            for (double x : W_O) norm_o += x * x;
            for (int a = 0; a < 8; ++a)
                for (int b = 0; b < 8; ++b) {
                    double m = 0;  // (W_O W)_{ab}: W_O [8, 64] times W [64, 8]
                    for (int d = 0; d < 64; ++d) m += W_O[size_t(a * 64 + d)] * W[size_t(d * 8 + b)];
                    product += m * m;
                }
            EXPECT_NEAR(key ? e.k_comp_reduced : e.v_comp_reduced, std::sqrt(product / (norm_reader * norm_o)), 1e-6);
        }
        EXPECT_GT(e.k_comp, 0);
        EXPECT_GT(e.v_comp, 0);
    }
    EXPECT_NEAR(t.baseline.reduced_mean, 0.125, 0.03) << "≈ 1/sqrt(d_model)";
}

TEST(FewShotMeasures, WiringSetsAndTheDirectPath) {
    const Fixture& s = fixture();
    const WiringSets w = wiring_sets(s.model, s.whole, 0, 1, {1, 5});
    EXPECT_EQ(w.other_heads, (std::vector<int>{0, 2, 3, 4, 6, 7}));
    EXPECT_EQ(w.second_active, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    const FewShotMetrics plain = fewshot_metrics(by_hand(s.model, s.whole, [](Interventions&) {}));
    expect_same_metrics(w.baseline, plain, 1e-12, "baseline");
    auto scored = [&](const ClampSchedule& c) { return fewshot_metrics(fewshot_outcomes(s.model, s.whole, c, 0)); };
    const std::vector<int> all = w.second_active;
    expect_same_metrics(w.pt_patterns_preserved, scored(wiring_clamps(0, {1, 5}, Preservation::PATTERNS, 1, all, H)), 0, "pt/p");
    expect_same_metrics(w.pt_values_preserved, scored(wiring_clamps(0, {1, 5}, Preservation::VALUES, 1, all, H)), 0, "pt/v");
    expect_same_metrics(w.other_patterns_preserved, scored(wiring_clamps(0, w.other_heads, Preservation::PATTERNS, 1, all, H)), 0, "o/p");
    expect_same_metrics(w.other_values_preserved, scored(wiring_clamps(0, w.other_heads, Preservation::VALUES, 1, all, H)), 0, "o/v");
    // (e) by hand: the final residual stream less the first layer's attention output, read out.
    NoGrad no_grad;
    FewShotOutcomes direct;
    for (const FewShotInputs& inputs : s.whole) {
        Interventions iv;
        iv.capture(Site::RESID_POST, 1).capture(Site::ATTN_OUT, 0);
        fewshot_forward(s.model, inputs, &iv);
        Var residual = sub(iv.captured_var(Site::RESID_POST, 1), iv.captured_var(Site::ATTN_OUT, 0));
        FewShotOutcomes o = fewshot_outcomes(fewshot_readout(s.model, residual).value(), inputs);
        direct.loss.insert(direct.loss.end(), o.loss.begin(), o.loss.end());
        direct.probability.insert(direct.probability.end(), o.probability.begin(), o.probability.end());
        direct.in_context_probability.insert(direct.in_context_probability.end(), o.in_context_probability.begin(),
                                             o.in_context_probability.end());
        direct.correct.insert(direct.correct.end(), o.correct.begin(), o.correct.end());
        direct.in_context_correct.insert(direct.in_context_correct.end(), o.in_context_correct.begin(),
                                         o.in_context_correct.end());
    }
    const FewShotMetrics by_subtraction = fewshot_metrics(direct);
    EXPECT_NEAR(w.direct_path.loss, by_subtraction.loss, 1e-5);
    EXPECT_NEAR(w.direct_path.probability, by_subtraction.probability, 1e-5);
    EXPECT_NEAR(w.direct_path.accuracy, by_subtraction.accuracy, 1.0 / 200 + 1e-12);  // a near-tie may flip
    EXPECT_GT(std::abs(w.direct_path.loss - plain.loss), 1e-4) << "the direct path of an untrained layer 0 matters";
    // The strongest-only setting restricts every row.
    const WiringSets one = wiring_sets(s.model, s.whole, 0, 1, {1, 5}, {3});
    expect_same_metrics(one.baseline, fewshot_metrics(by_hand(s.model, s.whole, keeping(1, {3}))), 1e-9, "only 3");
}

TEST(FewShotMeasures, TablesWriteJson) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    FewShotMetrics m;
    m.loss = 0.5;
    m.accuracy = 0.75;
    RedundancyTable r{1, m, {{3, nan, m, m}}};
    const json::Value rj = r.to_json();
    EXPECT_TRUE(rj.at("heads")[0].at("induction_strength").is_null());
    EXPECT_EQ(rj.at("heads")[0].at("only_removed").at("accuracy").as_number(), 0.75);
    EXPECT_EQ(AddingHeadsBack({1, {3, 1}, {m, m}}).to_json().at("metrics")[1].at("active_heads").as_int(), 2);
    EXPECT_TRUE(ErrorOverlap({1, 0, 10, 0, {nan, nan}}).to_json().at("fraction_right")[1].is_null());
    WiringTable t;
    t.n_heads = 1;
    FewShotMetrics worse = m;
    worse.accuracy = 0.5;
    t.only_second = {m};
    t.entries = {WiringEntry{0, 0, worse, m, m, m, 0.1, 0.2, 0.3, 0.4}};
    const json::Value tj = t.to_json();
    EXPECT_EQ(tj.at("entries")[0].at("removed_patterns_preserved_accuracy_change").as_number(), -0.25);
    EXPECT_EQ(tj.at("entries")[0].at("v_comp_reduced").as_number(), 0.2);
    WiringSets w;
    w.baseline = m;
    w.direct_path = worse;
    const json::Value wj = w.to_json();
    EXPECT_EQ(wj.at("direct_path_accuracy_change").as_number(), -0.25);
    for (const json::Value* v : {&rj, &tj, &wj}) EXPECT_NO_THROW(json::parse(json::dump(*v)));
}

TEST(FewShotMeasures, BadArgumentsAreErrors) {
    const Fixture& s = fixture();
    EXPECT_THROW_MESSAGE(induction_strengths(s.model, s.whole, 2), "layer 2");
    EXPECT_THROW_MESSAGE(adding_heads_back(s.model, s.whole, 1, {3, 3}), "twice");
    EXPECT_THROW_MESSAGE(error_overlap(s.model, s.whole, 1, 8), "head 8");
    EXPECT_THROW_MESSAGE(wiring_sets(s.model, s.whole, 1, 0, {}), "must come before");
    // Three context pairs (T = 7): no §8.4 strength, but previous-token attention over 1, 3 and 5.
    FewShotTaskConfig c;
    c.sampling = "bursty";
    c.context_pairs = 3;
    c.shots = 1;
    const FewShotTask task(c);
    const std::vector<FewShotInputs> seven = {task.inputs(task.sample_training(6, 0), 0, 6)};
    const Transformer model = make_fewshot_model(fewshot_model_config(64, 5, 7), 5);
    EXPECT_THROW_MESSAGE(induction_strengths(model, seven, 1), "T = 7");
    EXPECT_NEAR(previous_token_attention(model, seven, 0, previous_token_clamp({0, 1}, 0.4))[1], 0.4, 1e-6);
}

}  // namespace
}  // namespace induction
