// fewshot_measures.h — progress and circuit measures of the few-shot model of METHODS §8:
// the induction strength of §8.4, the [OURS] previous-token attention of §8.4/§8.7, the additive
// redundancy of induction heads (§8.8 items 1, 3, 4) and the wiring of previous-token heads into
// induction heads (§8.9), with the §4.6 composition scores of analysis/circuits.h.
//
// Every function runs forward only (no tape) over chunks of inputs the caller builds (the §8.4
// exhaustive set or a subset of it, in chunks that fit in memory), and every ablation is a clamp
// schedule of model/clamp_catalogue.h scored by fewshot_outcomes() (model/fewshot_model.h). A
// head is ablated by zeroing its v (§8.6), which removes its output: the model has no b_O.
// Heads are 0-indexed: "layer 1" of the paper is layer 0, "layer 2" is layer 1.
//
// Cost: one table row is one pass over the chunks (two with preservation, whose clean pass is
// rerun per row); wiring_table() is n_heads · (1 + 4 · n_heads) rows, 264 for 8 heads.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/circuits.h"
#include "model/clamp.h"
#include "model/clamp_catalogue.h"
#include "model/fewshot_model.h"
#include "model/io/json.h"

namespace induction {

// ---- §8.4 / §8.7 attention measures ---------------------------------------------------------------

// §8.4 IS(h) of every head of `layer` (callers use the last layer): the mean over sequences of
// A^h(query → label token 2·correct + 1) − A^h(query → the other label token), the query being
// the last position, in [−1, 1]. Needs the 2-pair layout (T = 5); sequences whose correct is not
// 0 or 1 are skipped. The patterns are those of the pass with `clamps` active at `step` (an
// induction clamp of strength s on h gives IS(h) = 2s − 1).
std::vector<double> induction_strengths(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                                        int layer, const ClampSchedule& clamps = {}, int64_t step = 0);

// [OURS] previous-token attention of every head of `layer`: the mean of A^h(p → p − 1) over the
// label positions p (the odd positions before the query: 1 and 3 of the main task) and the
// sequences. A previous-token clamp of strength s on h gives s.
std::vector<double> previous_token_attention(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                                             int layer = 0, const ClampSchedule& clamps = {}, int64_t step = 0);

// Heads by decreasing strength (ties: lower index first), e.g. the §8.8 order [3,1,2,7,5,0,4,6].
std::vector<int> heads_by_strength(const std::vector<double>& strengths);

// ---- §8.8 additive redundancy -------------------------------------------------------------------

struct HeadRedundancy {
    int head = 0;
    double induction_strength = 0;  // §8.4 IS(h) of the unablated model
    FewShotMetrics only_active;     // every other head of the layer ablated
    FewShotMetrics only_removed;    // h ablated, the rest of the layer active
};

// §8.8 item 1 for every head of `layer`.
struct RedundancyTable {
    int layer = 0;
    FewShotMetrics unablated;
    std::vector<HeadRedundancy> heads;  // by head
    json::Value to_json() const;
};
RedundancyTable redundancy_table(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer);

// §8.8 item 3: metrics[k − 1] with the first k heads of `order` active in `layer` and its other
// heads ablated, k = 1..order.size() (an order of every head ends at the unablated model; the
// second sequence of §8.8 is an order that leaves out the strongest head).
struct AddingHeadsBack {
    int layer = 0;
    std::vector<int> order;
    std::vector<FewShotMetrics> metrics;
    json::Value to_json() const;
};
AddingHeadsBack adding_heads_back(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer,
                                  const std::vector<int>& order);

// §8.8 item 4: among the sequences that `strongest` alone (the only active head of `layer`) gets
// wrong — argmax over all L labels ≠ y_q, the `accuracy` of §8.2 — the fraction that each other
// head alone gets right. NaN for `strongest` itself, and for every head when it makes no error.
struct ErrorOverlap {
    int layer = 0, strongest = 0;
    int64_t sequences = 0, strongest_errors = 0;
    std::vector<double> fraction_right;  // by head
    json::Value to_json() const;
};
ErrorOverlap error_overlap(const Transformer& model, const std::vector<FewShotInputs>& chunks, int layer,
                           int strongest);

// ---- §8.9 wiring ----------------------------------------------------------------------------------

// What an ablation of first-layer heads keeps of their influence on later heads (§5.2, §5.3):
// their effect on later patterns (Q/K route kept, V route and direct path removed), on later
// values (V route kept, Q/K route and direct path removed), or both (only the direct path removed).
enum class Preservation { PATTERNS, VALUES, BOTH };
const char* preservation_name(Preservation preservation);  // "patterns", "values", "both"

// The clamps of one §8.9 condition: in second_layer only the heads `second_active` active (the
// model being measured; list them all for the whole layer), and the first-layer heads `ablated`
// removed with `preservation`. The preserved patterns and values come from a clean pass of that
// same model — second_layer restricted, nothing ablated in first_layer — and the restriction also
// comes last, so preservation cannot revive a second-layer head it ablates. (The trap this
// avoids: the catalogue's preserve(Site::V) reads a plain pass and covers every layer, so a
// restriction put before it would be overwritten by the plain pass's non-zero v.)
ClampSchedule wiring_clamps(int first_layer, const std::vector<int>& ablated, Preservation preservation,
                            int second_layer, const std::vector<int>& second_active, int n_heads);

// One (second-layer head i, first-layer head j) cell of §8.9, with only i active in second_layer.
struct WiringEntry {
    int first_head = 0, second_head = 0;       // j, i
    FewShotMetrics removed_patterns_preserved;  // (a) j ablated, patterns preserved: j's V route removed
    FewShotMetrics removed_values_preserved;    // (a) j ablated, values preserved: j's Q/K route removed
    FewShotMetrics kept_patterns_preserved;     // (b) every first-layer head but j ablated, patterns preserved
    FewShotMetrics kept_values_preserved;       // (b) the same, values preserved
    double k_comp_reduced = 0, v_comp_reduced = 0;  // (c) §4.6 comp_reduced [SC], raw weights
    double k_comp = 0, v_comp = 0;                  // (c) §4.6 comp_full, LN-folded (RoPE left out)
};

struct WiringTable {
    int first_layer = 0, second_layer = 0, n_heads = 0;
    std::vector<FewShotMetrics> only_second;  // by i: only i active in second_layer, first layer intact
    std::vector<WiringEntry> entries;         // i-major: entries[i · n_heads + j]
    CompositionBaseline baseline;             // random weights of the same shapes (§4.6)
    const WiringEntry& at(int i, int j) const { return entries[size_t(i * n_heads + j)]; }
    // Each entry with its metrics and the accuracy changes of (a) against only_second[i].
    json::Value to_json() const;
};
// §8.9 (a)–(c) for every second-layer head i and first-layer head j (first_layer < second_layer).
// The reduced composition scores read the raw per-head W_K, W_V and W_O only, so RoPE, which
// rotates q and k by orthogonal maps, and the absent W_pos change nothing in them; comp_full folds
// the LayerNorm gains in and takes q and k unrotated.
WiringTable wiring_table(const Transformer& model, const std::vector<FewShotInputs>& chunks, int first_layer,
                         int second_layer, int baseline_draws = 200, uint64_t baseline_seed = 0);

// §8.9 (d) and (e): the first-layer set of previous-token heads `pt_heads` vs the rest of the
// layer, each ablated with pattern or value preservation, and every first-layer head ablated
// with patterns and values preserved (the direct path of the first layer alone removed).
// Second layer: the heads `second_active` active in every row; by default (empty) every head,
// i.e. the model as trained — [SC]'s table is of the trained model, and an empty set of second-
// layer heads would make no sense. Pass {strongest} for the "only the strongest IH" setting.
struct WiringSets {
    int first_layer = 0, second_layer = 0;
    std::vector<int> pt_heads, other_heads;  // first layer
    std::vector<int> second_active;          // second layer, spelled out
    FewShotMetrics baseline;                 // nothing ablated in the first layer
    FewShotMetrics pt_patterns_preserved, pt_values_preserved;        // (d)
    FewShotMetrics other_patterns_preserved, other_values_preserved;  // (d)
    FewShotMetrics direct_path;              // (e) every first-layer head ablated, both preserved
    // With direct_path_accuracy_change = direct_path.accuracy − baseline.accuracy.
    json::Value to_json() const;
};
WiringSets wiring_sets(const Transformer& model, const std::vector<FewShotInputs>& chunks, int first_layer,
                       int second_layer, const std::vector<int>& pt_heads,
                       const std::vector<int>& second_active = {});

// The §8.2 metrics as {"loss", "accuracy", "in_context_accuracy", "probability",
// "in_context_probability"} (NaN as null).
json::Value fewshot_metrics_json(const FewShotMetrics& metrics);

}  // namespace induction
