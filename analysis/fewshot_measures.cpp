// fewshot_measures.cpp — METHODS §8.4, §8.7 [OURS], §8.8, §8.9 on the few-shot model
// (fewshot_measures.h): attention read from captured patterns, everything else from clamp
// schedules scored by fewshot_outcomes().
#include "analysis/fewshot_measures.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>

namespace induction {

namespace {

constexpr double NOT_A_NUMBER = std::numeric_limits<double>::quiet_NaN();

void check_layer(const Transformer& model, int layer, const char* where) {
    check(model.config.d_exemplar > 0, where, ": not a few-shot model (d_exemplar = 0)");
    check(layer >= 0 && layer < model.config.n_layers, where, ": layer ", layer, " outside 0..",
          model.config.n_layers - 1);
}

void check_head(const Transformer& model, int head, const char* where) {
    check(head >= 0 && head < model.config.n_heads, where, ": head ", head, " outside 0..",
          model.config.n_heads - 1);
}

std::vector<int> all_heads(int n_heads) {
    std::vector<int> heads(size_t(n_heads), 0);
    std::iota(heads.begin(), heads.end(), 0);
    return heads;
}

std::vector<int> all_but(int n_heads, const std::vector<int>& left_out) {
    std::vector<int> heads;
    for (int h = 0; h < n_heads; ++h)
        if (std::find(left_out.begin(), left_out.end(), h) == left_out.end()) heads.push_back(h);
    return heads;
}

FewShotMetrics scored(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                      const ClampSchedule& clamps) {
    return fewshot_metrics(fewshot_outcomes(model, chunks, clamps, 0));
}

// One layer's pattern [B, H, T, T] of each chunk's pass (clamps active at step), handed to visit
// as host doubles with its chunk.
using PatternVisitor = std::function<void(const std::vector<double>& A, int64_t B, int64_t H, int64_t T,
                                          const FewShotInputs& inputs)>;
void for_each_pattern(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer,
                      const ClampSchedule& clamps, int64_t step, const PatternVisitor& visit) {
    ChunkProbe probe;
    probe.before = [layer](Interventions& interventions) { interventions.capture(Site::PATTERN, layer); };
    probe.after = [&](const Interventions& interventions, const FewShotInputs& inputs) {
        const Tensor& A = interventions.captured(Site::PATTERN, layer);
        visit(A.to_vector(), A.size(0), A.size(1), A.size(2), inputs);
    };
    fewshot_outcomes(model, chunks, clamps, step, probe);
}

std::vector<double> divided(std::vector<double> sums, int64_t count) {
    for (double& s : sums) s /= double(count);
    return sums;
}

json::Value number_or_null(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }

json::Value ints_json(const std::vector<int>& values) {
    json::Value a = json::Value::array();
    for (int v : values) a.push_back(v);
    return a;
}

// The K- and V-composition pair (from → to) of composition_scores().
const CompositionPair& composition_pair(const std::vector<CompositionPair>& pairs, int from_layer, int from_head,
                                        int to_layer, int to_head) {
    for (const CompositionPair& p : pairs)
        if (p.from_layer == from_layer && p.from_head == from_head && p.to_layer == to_layer && p.to_head == to_head)
            return p;
    fail("wiring_table: no composition pair ", from_layer, ":", from_head, " → ", to_layer, ":", to_head);
}

}  // namespace

// ---- attention measures ---------------------------------------------------------------------------

std::vector<double> induction_strengths(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                                        int layer, const ClampSchedule& clamps, int64_t step) {
    check_layer(model, layer, "induction_strengths");
    std::vector<double> sums(size_t(model.config.n_heads), 0.0);
    int64_t count = 0;
    for_each_pattern(model, chunks, layer, clamps, step, [&](const std::vector<double>& A, int64_t B, int64_t H,
                                                             int64_t T, const FewShotInputs& inputs) {
        check(T == 5, "induction_strengths: the §8.4 measure needs the 2-pair layout (T = 5), got T = ", T);
        const std::vector<double> correct = inputs.correct.to_vector();
        for (int64_t b = 0; b < B; ++b) {
            const int c = int(correct[size_t(b)]);
            if (c != 0 && c != 1) continue;
            ++count;
            for (int64_t h = 0; h < H; ++h) {
                const double* query_row = A.data() + ((b * H + h) * T + T - 1) * T;
                sums[size_t(h)] += query_row[2 * c + 1] - query_row[2 * (1 - c) + 1];
            }
        }
    });
    check(count > 0, "induction_strengths: no sequence with correct in {0, 1} in the chunks");
    return divided(sums, count);
}

std::vector<double> previous_token_attention(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                                             int layer, const ClampSchedule& clamps, int64_t step) {
    check_layer(model, layer, "previous_token_attention");
    std::vector<double> sums(size_t(model.config.n_heads), 0.0);
    int64_t count = 0;  // (sequence, label position) pairs
    for_each_pattern(model, chunks, layer, clamps, step, [&](const std::vector<double>& A, int64_t B, int64_t H,
                                                             int64_t T, const FewShotInputs&) {
        for (int64_t b = 0; b < B; ++b)
            for (int64_t p = 1; p < T - 1; p += 2) {
                ++count;
                for (int64_t h = 0; h < H; ++h) sums[size_t(h)] += A[size_t(((b * H + h) * T + p) * T + p - 1)];
            }
    });
    check(count > 0, "previous_token_attention: no label position in the chunks (T < 3)");
    return divided(sums, count);
}

std::vector<int> heads_by_strength(const std::vector<double>& strengths) {
    std::vector<int> order = all_heads(int(strengths.size()));
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return strengths[size_t(a)] > strengths[size_t(b)]; });
    return order;
}

// ---- §8.8 ---------------------------------------------------------------------------------------

RedundancyTable redundancy_table(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer) {
    check_layer(model, layer, "redundancy_table");
    const int H = model.config.n_heads;
    RedundancyTable t;
    t.layer = layer;
    t.unablated = scored(model, chunks, {});
    const std::vector<double> strengths = induction_strengths(model, chunks, layer);
    for (int h = 0; h < H; ++h)
        t.heads.push_back({h, strengths[size_t(h)], scored(model, chunks, only_heads_active(layer, {h}, H)),
                           scored(model, chunks, ablate_heads({{layer, h}}))});
    return t;
}

AddingHeadsBack adding_heads_back(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer,
                                  const std::vector<int>& order) {
    check_layer(model, layer, "adding_heads_back");
    check(!order.empty(), "adding_heads_back: the order names no head");
    for (size_t k = 0; k < order.size(); ++k) {
        check_head(model, order[k], "adding_heads_back");
        check(std::count(order.begin(), order.end(), order[k]) == 1, "adding_heads_back: head ", order[k],
              " appears twice in the order");
    }
    AddingHeadsBack a;
    a.layer = layer;
    a.order = order;
    for (size_t k = 1; k <= order.size(); ++k) {
        const std::vector<int> active(order.begin(), order.begin() + std::ptrdiff_t(k));
        a.metrics.push_back(scored(model, chunks, only_heads_active(layer, active, model.config.n_heads)));
    }
    return a;
}

ErrorOverlap error_overlap(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer,
                           int strongest) {
    check_layer(model, layer, "error_overlap");
    check_head(model, strongest, "error_overlap");
    const int H = model.config.n_heads;
    const FewShotOutcomes alone = fewshot_outcomes(model, chunks, only_heads_active(layer, {strongest}, H), 0);
    std::vector<size_t> wrong;
    for (size_t b = 0; b < alone.correct.size(); ++b)
        if (alone.correct[b] == 0) wrong.push_back(b);
    ErrorOverlap e;
    e.layer = layer;
    e.strongest = strongest;
    e.sequences = int64_t(alone.correct.size());
    e.strongest_errors = int64_t(wrong.size());
    e.fraction_right.assign(size_t(H), NOT_A_NUMBER);
    if (wrong.empty()) return e;
    for (int h = 0; h < H; ++h) {
        if (h == strongest) continue;
        const FewShotOutcomes other = fewshot_outcomes(model, chunks, only_heads_active(layer, {h}, H), 0);
        double right = 0;
        for (size_t b : wrong) right += other.correct[b];
        e.fraction_right[size_t(h)] = right / double(wrong.size());
    }
    return e;
}

// ---- §8.9 ---------------------------------------------------------------------------------------

const char* preservation_name(Preservation preservation) {
    switch (preservation) {
        case Preservation::PATTERNS: return "patterns";
        case Preservation::VALUES: return "values";
        case Preservation::BOTH: return "both";
    }
    return "?";
}

// What "a first unablated pass" of §5.2/§5.3 is here. The model being measured has only
// `second_active` active in second_layer, so its clean pass is that restricted model with nothing
// ablated in first_layer: the preserve clamps read a pass whose own schedule is the restriction.
// For the §8 model (two layers, second_layer the last) this is the same as the catalogue's plain
// pass: the first layer's patterns and values depend on the embeddings alone, and the second
// layer's patterns and values are computed from the residual stream entering it, which ablating
// second-layer values cannot reach (the restriction zeroes v after it is computed; the preserved
// v of the restricted heads is zeroed again by the restriction that comes last). It differs only
// for layers after second_layer, whose clean patterns and values must see the restriction.
ClampSchedule wiring_clamps(int first_layer, const std::vector<int>& ablated, Preservation preservation,
                            int second_layer, const std::vector<int>& second_active, int n_heads) {
    check(first_layer >= 0 && first_layer < second_layer, "wiring_clamps: first layer ", first_layer,
          " must come before the second layer ", second_layer);
    const ClampSchedule restriction = only_heads_active(second_layer, second_active, n_heads);
    auto preserved = [&](Site site) {
        ClampSchedule p = preserve(site);
        if (!restriction.empty())
            for (Clamp& c : p.clamps) c.value.pass = std::make_shared<ClampSchedule>(restriction);
        return p;
    };
    std::vector<HeadId> heads;
    for (int j : ablated) heads.push_back({first_layer, j});
    std::vector<ClampSchedule> parts;
    if (preservation != Preservation::VALUES) parts.push_back(preserved(Site::PATTERN));
    if (preservation != Preservation::PATTERNS) parts.push_back(preserved(Site::V));
    parts.push_back(ablate_heads(heads));  // after the preservation, which it overrides for these heads
    parts.push_back(restriction);          // last: nothing may overwrite it
    return join(parts);
}

namespace {

WiringEntry wiring_entry(const Transformer& model, const std::vector<FewShotInputs>& chunks, int first_layer,
                         int second_layer, int i, int j, const std::vector<CompositionPair>& pairs) {
    const int H = model.config.n_heads;
    auto run = [&](const std::vector<int>& ablated, Preservation preservation) {
        return scored(model, chunks, wiring_clamps(first_layer, ablated, preservation, second_layer, {i}, H));
    };
    WiringEntry e;
    e.first_head = j;
    e.second_head = i;
    e.removed_patterns_preserved = run({j}, Preservation::PATTERNS);
    e.removed_values_preserved = run({j}, Preservation::VALUES);
    e.kept_patterns_preserved = run(all_but(H, {j}), Preservation::PATTERNS);
    e.kept_values_preserved = run(all_but(H, {j}), Preservation::VALUES);
    const CompositionPair& p = composition_pair(pairs, first_layer, j, second_layer, i);
    e.k_comp_reduced = p.k_comp_reduced;
    e.v_comp_reduced = p.v_comp_reduced;
    e.k_comp = p.k_comp;
    e.v_comp = p.v_comp;
    return e;
}

void check_layer_pair(const Transformer& model, int first_layer, int second_layer, const char* where) {
    check_layer(model, first_layer, where);
    check_layer(model, second_layer, where);
    check(first_layer < second_layer, where, ": first layer ", first_layer, " must come before the second layer ",
          second_layer);
}

}  // namespace

WiringTable wiring_table(const Transformer& model, const std::vector<FewShotInputs>& chunks, int first_layer,
                         int second_layer, int baseline_draws, uint64_t baseline_seed) {
    check_layer_pair(model, first_layer, second_layer, "wiring_table");
    const int H = model.config.n_heads;
    const std::vector<CompositionPair> pairs =
        composition_scores(circuit_weights(model), circuit_weights(model, /*fold_layer_norm=*/false));
    WiringTable t;
    t.first_layer = first_layer;
    t.second_layer = second_layer;
    t.n_heads = H;
    t.baseline = composition_baseline(model.config, baseline_draws, baseline_seed);
    for (int i = 0; i < H; ++i) {
        t.only_second.push_back(scored(model, chunks, only_heads_active(second_layer, {i}, H)));
        for (int j = 0; j < H; ++j)
            t.entries.push_back(wiring_entry(model, chunks, first_layer, second_layer, i, j, pairs));
    }
    return t;
}

WiringSets wiring_sets(const Transformer& model, const std::vector<FewShotInputs>& chunks, int first_layer,
                       int second_layer, const std::vector<int>& pt_heads, const std::vector<int>& second_active) {
    check_layer_pair(model, first_layer, second_layer, "wiring_sets");
    const int H = model.config.n_heads;
    for (int h : pt_heads) check_head(model, h, "wiring_sets (previous-token heads)");
    for (int h : second_active) check_head(model, h, "wiring_sets (second-layer heads)");
    WiringSets s;
    s.first_layer = first_layer;
    s.second_layer = second_layer;
    s.pt_heads = pt_heads;
    s.other_heads = all_but(H, pt_heads);
    s.second_active = second_active.empty() ? all_heads(H) : second_active;
    auto run = [&](const std::vector<int>& ablated, Preservation preservation) {
        return scored(model, chunks,
                      wiring_clamps(first_layer, ablated, preservation, second_layer, s.second_active, H));
    };
    s.baseline = scored(model, chunks, only_heads_active(second_layer, s.second_active, H));
    s.pt_patterns_preserved = run(s.pt_heads, Preservation::PATTERNS);
    s.pt_values_preserved = run(s.pt_heads, Preservation::VALUES);
    s.other_patterns_preserved = run(s.other_heads, Preservation::PATTERNS);
    s.other_values_preserved = run(s.other_heads, Preservation::VALUES);
    s.direct_path = run(all_heads(H), Preservation::BOTH);
    return s;
}

// ---- JSON -----------------------------------------------------------------------------------------

json::Value fewshot_metrics_json(const FewShotMetrics& m) {
    json::Value v = json::Value::object();
    v["loss"] = number_or_null(m.loss);
    v["accuracy"] = number_or_null(m.accuracy);
    v["in_context_accuracy"] = number_or_null(m.in_context_accuracy);
    v["probability"] = number_or_null(m.probability);
    v["in_context_probability"] = number_or_null(m.in_context_probability);
    return v;
}

json::Value RedundancyTable::to_json() const {
    json::Value v = json::Value::object(), rows = json::Value::array();
    v["layer"] = layer;
    v["unablated"] = fewshot_metrics_json(unablated);
    for (const HeadRedundancy& h : heads) {
        json::Value row = json::Value::object();
        row["head"] = h.head;
        row["induction_strength"] = number_or_null(h.induction_strength);
        row["only_active"] = fewshot_metrics_json(h.only_active);
        row["only_removed"] = fewshot_metrics_json(h.only_removed);
        rows.push_back(std::move(row));
    }
    v["heads"] = std::move(rows);
    return v;
}

json::Value AddingHeadsBack::to_json() const {
    json::Value v = json::Value::object(), rows = json::Value::array();
    v["layer"] = layer;
    v["order"] = ints_json(order);
    for (size_t k = 0; k < metrics.size(); ++k) {
        json::Value row = fewshot_metrics_json(metrics[k]);
        row["active_heads"] = int64_t(k + 1);
        rows.push_back(std::move(row));
    }
    v["metrics"] = std::move(rows);
    return v;
}

json::Value ErrorOverlap::to_json() const {
    json::Value v = json::Value::object(), fractions = json::Value::array();
    v["layer"] = layer;
    v["strongest"] = strongest;
    v["sequences"] = sequences;
    v["strongest_errors"] = strongest_errors;
    for (double f : fraction_right) fractions.push_back(number_or_null(f));
    v["fraction_right"] = std::move(fractions);
    return v;
}

json::Value WiringTable::to_json() const {
    json::Value v = json::Value::object(), only = json::Value::array(), rows = json::Value::array();
    v["first_layer"] = first_layer;
    v["second_layer"] = second_layer;
    json::Value b = json::Value::object();
    b["mean"] = number_or_null(baseline.mean);
    b["std"] = number_or_null(baseline.std);
    b["reduced_mean"] = number_or_null(baseline.reduced_mean);
    b["reduced_std"] = number_or_null(baseline.reduced_std);
    b["draws"] = baseline.draws;
    v["composition_baseline"] = std::move(b);
    for (const FewShotMetrics& m : only_second) only.push_back(fewshot_metrics_json(m));
    v["only_second"] = std::move(only);
    for (const WiringEntry& e : entries) {
        const double base = only_second[size_t(e.second_head)].accuracy;
        json::Value row = json::Value::object();
        row["first_head"] = e.first_head;
        row["second_head"] = e.second_head;
        row["removed_patterns_preserved"] = fewshot_metrics_json(e.removed_patterns_preserved);
        row["removed_values_preserved"] = fewshot_metrics_json(e.removed_values_preserved);
        row["removed_patterns_preserved_accuracy_change"] = number_or_null(e.removed_patterns_preserved.accuracy - base);
        row["removed_values_preserved_accuracy_change"] = number_or_null(e.removed_values_preserved.accuracy - base);
        row["kept_patterns_preserved"] = fewshot_metrics_json(e.kept_patterns_preserved);
        row["kept_values_preserved"] = fewshot_metrics_json(e.kept_values_preserved);
        row["k_comp_reduced"] = number_or_null(e.k_comp_reduced);
        row["v_comp_reduced"] = number_or_null(e.v_comp_reduced);
        row["k_comp"] = number_or_null(e.k_comp);
        row["v_comp"] = number_or_null(e.v_comp);
        rows.push_back(std::move(row));
    }
    v["entries"] = std::move(rows);
    return v;
}

json::Value WiringSets::to_json() const {
    json::Value v = json::Value::object();
    v["first_layer"] = first_layer;
    v["second_layer"] = second_layer;
    v["pt_heads"] = ints_json(pt_heads);
    v["other_heads"] = ints_json(other_heads);
    v["second_active"] = ints_json(second_active);
    v["baseline"] = fewshot_metrics_json(baseline);
    v["pt_patterns_preserved"] = fewshot_metrics_json(pt_patterns_preserved);
    v["pt_values_preserved"] = fewshot_metrics_json(pt_values_preserved);
    v["other_patterns_preserved"] = fewshot_metrics_json(other_patterns_preserved);
    v["other_values_preserved"] = fewshot_metrics_json(other_values_preserved);
    v["direct_path"] = fewshot_metrics_json(direct_path);
    v["direct_path_accuracy_change"] = number_or_null(direct_path.accuracy - baseline.accuracy);
    return v;
}

}  // namespace induction
