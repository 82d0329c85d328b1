// evaluators.cpp — head activation evaluators (METHODS §3) and head classification (§5.6).
#include "analysis/evaluators.h"

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "analysis/circuits.h"
#include "analysis/linalg.h"
#include "autograd/functions.h"
#include "tensor/rng.h"

namespace induction {

namespace {

constexpr double NOT_A_SCORE = std::numeric_limits<double>::quiet_NaN();

// The copying and prefix examples draw from separate counter streams of one seed, so changing
// how many of one kind are drawn never changes the other (stream k starts at block k * 2^32).
constexpr uint64_t STREAM_STRIDE = uint64_t{1} << 32;
enum Stream : uint64_t { COPYING_STREAM = 0, PREFIX_STREAM = 1 };

// n distinct tokens drawn uniformly from `allowed` (a partial Fisher-Yates shuffle).
std::vector<int32_t> distinct_tokens(std::vector<int32_t> allowed, int64_t n, Rng& rng) {
    for (int64_t i = 0; i < n; ++i)
        std::swap(allowed[size_t(i)], allowed[size_t(rng.next_int(i, int64_t(allowed.size())))]);
    return {allowed.begin(), allowed.begin() + n};
}

void check_tokens(const char* evaluator, const Transformer& model, const Tensor& tokens,
                  int64_t min_length) {
    check(tokens.dtype() == DType::I32 && tokens.ndim() == 2 && tokens.size(0) >= 1, evaluator,
          ": tokens must be i32 [examples, T], got ", describe(tokens));
    check(tokens.size(1) >= min_length, evaluator, ": sequences of ", tokens.size(1),
          " tokens, expected at least ", min_length);
    check(tokens.size(1) <= model.config.n_ctx, evaluator, ": sequences of ", tokens.size(1),
          " tokens exceed the model's n_ctx = ", model.config.n_ctx);
}

// Runs the model forward-only on tokens, with `interventions` in force, capturing `sites` at
// every layer; returns the interventions holding the captures.
Interventions run_capturing(const Transformer& model, const Tensor& tokens,
                            Interventions interventions, std::initializer_list<Site> sites) {
    for (int l = 0; l < model.config.n_layers; ++l)
        for (Site site : sites) interventions.capture(site, l);
    NoGrad no_grad;
    forward(model, tokens.to(model.W_E.value().device()), &interventions);
    return interventions;
}

// Applies score(pattern, n, h) → value of example n, head h to every layer's captured pattern
// [N, H, T, T] and averages over the N examples.
template <class ScoreOfExample>
HeadTable mean_over_examples(const Transformer& model, const Interventions& captures, int64_t N,
                             const ScoreOfExample& score) {
    HeadTable table(model.config.n_layers, model.config.n_heads);
    for (int l = 0; l < model.config.n_layers; ++l) {
        std::vector<double> pattern = captures.captured(Site::PATTERN, l).to_vector();
        for (int h = 0; h < model.config.n_heads; ++h) {
            double total = 0;
            for (int64_t n = 0; n < N; ++n) total += score(pattern, n, h);
            table.at(l, h) = total / double(N);
        }
    }
    return table;
}

// One destination p of one head on one copying example (§3.1): the head's direct logit effect
// on the sample's distinct tokens S, where it attends, and what it would write attending to
// each source alone.
struct Destination {
    std::vector<double> delta;  // [|S|] Δ_p[v] = (W_U^eff r^h_p)[v], v ∈ S
    std::vector<std::pair<double, int64_t>> attended;  // (A_pj, index of t_j in S) for j <= p
    // [T][|S|]: Δ^(j)[v] = (W_U^eff W_O^h v^h_j)[v], the direct effect of attending to j alone
    const std::vector<std::vector<double>>* source_delta = nullptr;
};

// The share of the centred raise of `delta` that goes to the tokens in `weighted_slots`
// (weight, index in S): num = Σ weight · ReLU(dev[slot]) with dev = delta − mean(delta) (dev
// itself when !rectify), over Σ|dev|, or over num + Σ ReLU(dev) with raised_denominator. In
// [0, 0.5] ([−0.5, 0.5] unrectified) when the weights sum to at most 1; NaN when the
// denominator is zero.
double share_of_raise(const std::vector<double>& delta,
                      const std::vector<std::pair<double, int64_t>>& weighted_slots, bool rectify,
                      bool raised_denominator) {
    double mean = std::accumulate(delta.begin(), delta.end(), 0.0) / double(delta.size());
    double absolute = 0, raised = 0;
    for (double x : delta) {
        absolute += std::abs(x - mean);
        raised += std::max(x - mean, 0.0);
    }
    double num = 0;
    for (auto [weight, s] : weighted_slots) {
        double dev = delta[size_t(s)] - mean;
        num += weight * (rectify ? std::max(dev, 0.0) : dev);
    }
    double den = raised_denominator ? num + raised : absolute;
    return den > 0 ? num / den : NOT_A_SCORE;
}

// ρ_p of §3.1 in the chosen reading; NaN when it is undefined (the position is skipped).
double copying_ratio(const Destination& d, CopyingRatio ratio) {
    if (ratio == CopyingRatio::DEVIATION || ratio == CopyingRatio::RAISED_SHARE)
        return share_of_raise(d.delta, d.attended, true, ratio == CopyingRatio::RAISED_SHARE);
    // Σ_j A_pj ρ_j over the sources whose ρ_j is defined, renormalised by their attention.
    const bool rectify = ratio == CopyingRatio::PER_SOURCE;
    double weighted = 0, weight = 0;
    for (size_t j = 0; j < d.attended.size(); ++j) {
        auto [attention, s] = d.attended[j];
        double rho_j = share_of_raise((*d.source_delta)[j], {{1.0, s}}, rectify, false);
        if (std::isnan(rho_j)) continue;
        weighted += attention * rho_j;
        weight += attention;
    }
    return weight > 0 ? weighted / weight : NOT_A_SCORE;
}

// One forward pass on the copying examples (tokens [N, T]); each of `scores` (destination →
// value) for every head, example and destination, averaged over each example's destinations and
// then over the examples. A NaN value skips the destination; a head with every destination
// skipped gets NaN. One table per score.
using DestinationScore = std::function<double(const Destination&)>;
std::vector<HeadTable> mean_over_destinations(const Transformer& model, const Tensor& tokens,
                                              Interventions interventions,
                                              const std::vector<DestinationScore>& scores) {
    const int64_t N = tokens.size(0), T = tokens.size(1), H = model.config.n_heads;
    const int64_t D = model.config.d_model, dh = model.config.d_head, K = int64_t(scores.size());
    const int L = model.config.n_layers;
    Interventions captures = run_capturing(model, tokens, std::move(interventions),
                                           {Site::PATTERN, Site::V, Site::RESULT});
    CircuitWeights weights = circuit_weights(model);  // W_U^eff [V, D], W_O^h [D, dh]
    std::vector<int32_t> t = tokens.to_ints();

    // Per score and head: the sum of the example means over the examples that have one, and how
    // many do.
    std::vector<double> sum(static_cast<size_t>(K * L * H), 0.0);
    std::vector<int64_t> count(static_cast<size_t>(K * L * H), 0);
    for (int64_t n = 0; n < N; ++n) {
        // S: the sample's distinct tokens; slot[p] is the index of t_p in S. U_S: [|S|, D].
        std::map<int32_t, int64_t> slot_of_token;
        std::vector<int64_t> slot(static_cast<size_t>(T));
        for (int64_t p = 0; p < T; ++p)
            slot[size_t(p)] =
                slot_of_token.emplace(t[size_t(n * T + p)], int64_t(slot_of_token.size()))
                    .first->second;
        const int64_t S = int64_t(slot_of_token.size());
        Matrix U_S(S, D);
        for (auto [token, s] : slot_of_token)
            std::copy(weights.W_U.row(token), weights.W_U.row(token) + D, U_S.row(s));

        for (int l = 0; l < L; ++l) {
            std::vector<double> A =
                captures.captured(Site::PATTERN, l)[n].to_vector();                     // [H, T, T]
            std::vector<double> v = captures.captured(Site::V, l)[n].to_vector();       // [H, T, dh]
            std::vector<double> r = captures.captured(Site::RESULT, l)[n].to_vector();  // [T, H, D]
            for (int64_t h = 0; h < H; ++h) {
                // Δ^(j) = (U_S W_O^h) v^h_j for every source j: [T][|S|]
                Matrix reads = multiply(U_S, weights.head(l, int(h)).W_O);  // [|S|, dh]
                std::vector<std::vector<double>> source_delta(static_cast<size_t>(T));
                for (int64_t j = 0; j < T; ++j) {
                    const double* v_j = v.data() + (h * T + j) * dh;
                    for (int64_t s = 0; s < S; ++s)
                        source_delta[size_t(j)].push_back(
                            std::inner_product(v_j, v_j + dh, reads.row(s), 0.0));
                }
                std::vector<double> example_sum(size_t(K), 0.0);
                std::vector<int64_t> destinations(size_t(K), 0);
                Destination d{std::vector<double>(static_cast<size_t>(S)), {}, &source_delta};
                for (int64_t p = 0; p < T; ++p) {
                    const double* r_p = r.data() + (p * H + h) * D;  // r^h_p: [D]
                    for (int64_t s = 0; s < S; ++s)
                        d.delta[size_t(s)] = std::inner_product(r_p, r_p + D, U_S.row(s), 0.0);
                    d.attended.clear();
                    for (int64_t j = 0; j <= p; ++j)
                        d.attended.push_back({A[size_t((h * T + p) * T + j)], slot[size_t(j)]});
                    for (int64_t k = 0; k < K; ++k) {
                        double x = scores[size_t(k)](d);
                        if (std::isnan(x)) continue;
                        example_sum[size_t(k)] += x;
                        ++destinations[size_t(k)];
                    }
                }
                for (int64_t k = 0; k < K; ++k) {
                    if (destinations[size_t(k)] == 0) continue;
                    size_t i = size_t((k * L + l) * H + h);
                    sum[i] += example_sum[size_t(k)] / double(destinations[size_t(k)]);
                    ++count[i];
                }
            }
        }
    }
    std::vector<HeadTable> tables(size_t(K), HeadTable(L, int(H)));
    for (int64_t k = 0; k < K; ++k)
        for (int64_t i = 0; i < L * H; ++i) {
            size_t at = size_t(k * L * H + i);
            tables[size_t(k)].values[size_t(i)] = count[at] > 0 ? sum[at] / double(count[at]) : NOT_A_SCORE;
        }
    return tables;
}

// copy_top of one destination (see copying_top_score in evaluators.h).
double copying_top(const Destination& d) {
    auto [lowest, highest] = std::minmax_element(d.delta.begin(), d.delta.end());
    if (*lowest == *highest) return NOT_A_SCORE;  // raises no sample token above another
    auto most_attended = std::max_element(d.attended.begin(), d.attended.end(),
                                          [](auto a, auto b) { return a.first < b.first; });
    return most_attended->second == highest - d.delta.begin() ? 1.0 : 0.0;
}

DestinationScore copying_score_of(CopyingRatio ratio) {
    // [0, 0.5] → [−1, 1], or [−0.5, 0.5] → [−1, 1] for the signed reading
    if (ratio == CopyingRatio::PER_SOURCE_SIGNED)
        return [](const Destination& d) { return 2.0 * copying_ratio(d, CopyingRatio::PER_SOURCE_SIGNED); };
    return [ratio](const Destination& d) { return 4.0 * copying_ratio(d, ratio) - 1.0; };
}

HeadClass classify_head(double prefix, double copy, double previous, int layer,
                        const ClassificationRule& rule) {
    bool prefix_matching = prefix >= rule.prefix_threshold;
    if (prefix_matching && copy > rule.copy_threshold && (layer >= 1 || !rule.require_later_layer))
        return HeadClass::INDUCTION;
    if (prefix_matching && copy <= rule.copy_threshold) return HeadClass::ANTI_COPYING_PREFIX;
    if (previous >= rule.previous_threshold) return HeadClass::PREVIOUS_TOKEN;
    return HeadClass::OTHER;
}

}  // namespace

// ---- evaluation inputs --------------------------------------------------------------------------

std::vector<int32_t> allowed_tokens(const std::vector<int64_t>& counts, const TokenFilter& filter) {
    const int64_t V = int64_t(counts.size());
    check(V > 0, "allowed_tokens: no token counts");
    check(0 <= filter.common_fraction && filter.common_fraction < filter.rare_fraction &&
              filter.rare_fraction <= 1,
          "allowed_tokens: need 0 <= common_fraction < rare_fraction <= 1, got ",
          filter.common_fraction, " and ", filter.rare_fraction);
    for (int32_t special : filter.special_tokens)
        check(special >= 0 && special < V, "allowed_tokens: special token ", special,
              " outside the vocabulary [0, ", V, ")");
    // Rank 1 is the most frequent token; equal counts rank by id so the order is deterministic.
    std::vector<int32_t> by_frequency(static_cast<size_t>(V));
    std::iota(by_frequency.begin(), by_frequency.end(), 0);
    std::stable_sort(by_frequency.begin(), by_frequency.end(),
                     [&](int32_t a, int32_t b) { return counts[size_t(a)] > counts[size_t(b)]; });
    const int64_t lowest_rank = int64_t(std::ceil(filter.common_fraction * double(V))) + 1;
    const int64_t highest_rank = int64_t(std::floor(filter.rare_fraction * double(V)));
    std::vector<int32_t> allowed;
    for (int64_t rank = lowest_rank; rank <= highest_rank; ++rank) {
        int32_t token = by_frequency[size_t(rank - 1)];
        bool special = std::find(filter.special_tokens.begin(), filter.special_tokens.end(),
                                 token) != filter.special_tokens.end();
        bool unseen = filter.exclude_unseen && counts[size_t(token)] == 0;
        if (!special && !unseen) allowed.push_back(token);
    }
    std::sort(allowed.begin(), allowed.end());
    return allowed;
}

json::Value EvaluatorInputs::settings_json() const {
    json::Value v = json::Value::object();
    v["seed"] = options.seed;
    v["n_examples"] = options.n_examples;
    v["n_tokens"] = options.n_tokens;
    v["n_repeats"] = options.n_repeats;
    v["bos_token"] = options.bos_token;
    v["common_fraction"] = options.filter.common_fraction;
    v["rare_fraction"] = options.filter.rare_fraction;
    json::Value special = json::Value::array();
    for (int32_t t : options.filter.special_tokens) special.push_back(t);
    v["special_tokens"] = special;
    v["exclude_unseen"] = options.filter.exclude_unseen;
    v["allowed_count"] = allowed_count;
    v["previous_token_context"] = previous_token.size(1);
    return v;
}

EvaluatorInputs make_evaluator_inputs(const std::vector<int64_t>& token_counts,
                                      const Tensor& eval_windows,
                                      const EvaluatorInputOptions& options) {
    const int64_t N = options.n_examples, n = options.n_tokens, V = int64_t(token_counts.size());
    check(N >= 1 && n >= 1 && options.n_repeats >= 2,
          "make_evaluator_inputs: need n_examples >= 1, n_tokens >= 1 and n_repeats >= 2, got ", N,
          ", ", n, ", ", options.n_repeats);
    check(options.bos_token >= 0 && options.bos_token < V, "make_evaluator_inputs: bos_token ",
          options.bos_token, " outside the vocabulary [0, ", V, ")");
    check(eval_windows.dtype() == DType::I32 && eval_windows.ndim() == 2 &&
              eval_windows.size(0) >= N && eval_windows.size(1) >= 2,
          "make_evaluator_inputs: eval_windows must be i32 [>= ", N, " windows, T >= 2], got ",
          describe(eval_windows));
    std::vector<int32_t> allowed = allowed_tokens(token_counts, options.filter);
    check(int64_t(allowed.size()) >= n, "make_evaluator_inputs: only ", allowed.size(),
          " allowed tokens (R_ok of METHODS §3.0), need ", n, " distinct ones per example");

    Rng copying_rng(options.seed, COPYING_STREAM * STREAM_STRIDE);
    Rng prefix_rng(options.seed, PREFIX_STREAM * STREAM_STRIDE);
    const int64_t T_prefix = 1 + n * options.n_repeats;
    std::vector<int32_t> copying, prefix;
    for (int64_t e = 0; e < N; ++e) {
        std::vector<int32_t> sample = distinct_tokens(allowed, n, copying_rng);
        copying.insert(copying.end(), sample.begin(), sample.end());
        std::vector<int32_t> repeated = distinct_tokens(allowed, n, prefix_rng);
        prefix.push_back(options.bos_token);
        for (int64_t r = 0; r < options.n_repeats; ++r)
            prefix.insert(prefix.end(), repeated.begin(), repeated.end());
    }
    EvaluatorInputs inputs;
    inputs.copying = Tensor::from_ints({N, n}, copying);
    inputs.prefix = Tensor::from_ints({N, T_prefix}, prefix);
    inputs.previous_token = eval_windows.slice(0, N).to(Device::CPU);
    inputs.options = options;
    inputs.allowed_count = int64_t(allowed.size());
    return inputs;
}

// ---- per-head scores ----------------------------------------------------------------------------

HeadTable::HeadTable(int layers, int heads, double fill)
    : n_layers(layers), n_heads(heads), values(size_t(layers * heads), fill) {}

HeadTable prefix_matching_score(const Transformer& model, const Tensor& tokens,
                                Interventions interventions) {
    check_tokens("prefix_matching_score", model, tokens, 3);
    const int64_t N = tokens.size(0), T = tokens.size(1), H = model.config.n_heads;
    // targets[n][p] = Tgt(p) = {q : 2 <= q < p, t[q-1] == t[p]} (§3.2)
    std::vector<int32_t> t = tokens.to_ints();
    std::vector<std::vector<std::vector<int64_t>>> targets(static_cast<size_t>(N));
    for (int64_t n = 0; n < N; ++n) {
        const int32_t* row = t.data() + n * T;
        targets[size_t(n)].resize(size_t(T));
        int64_t destinations = 0;
        for (int64_t p = 0; p < T; ++p) {
            for (int64_t q = 2; q < p; ++q)
                if (row[q - 1] == row[p]) targets[size_t(n)][size_t(p)].push_back(q);
            destinations += !targets[size_t(n)][size_t(p)].empty();
        }
        check(destinations > 0, "prefix_matching_score: example ", n,
              " repeats no token, so no position has an induction target");
    }
    Interventions captures =
        run_capturing(model, tokens, std::move(interventions), {Site::PATTERN});
    return mean_over_examples(
        model, captures, N, [&](const std::vector<double>& A, int64_t n, int h) {
            const double* rows = A.data() + (n * H + h) * T * T;  // A[n, h]: [T, T]
            double total = 0;
            int64_t destinations = 0;
            for (int64_t p = 0; p < T; ++p) {
                const std::vector<int64_t>& targets_of_p = targets[size_t(n)][size_t(p)];
                if (targets_of_p.empty()) continue;
                for (int64_t q : targets_of_p)
                    total += rows[p * T + q];  // s_p: summed over targets
                ++destinations;
            }
            return total / double(destinations);
        });
}

HeadTable previous_token_score(const Transformer& model, const Tensor& tokens,
                               Interventions interventions) {
    check_tokens("previous_token_score", model, tokens, 2);
    const int64_t N = tokens.size(0), T = tokens.size(1), H = model.config.n_heads;
    Interventions captures =
        run_capturing(model, tokens, std::move(interventions), {Site::PATTERN});
    return mean_over_examples(model, captures, N,
                              [&](const std::vector<double>& A, int64_t n, int h) {
                                  const double* rows = A.data() + (n * H + h) * T * T;
                                  double total = 0;
                                  for (int64_t p = 1; p < T; ++p)
                                      total += rows[p * T + p - 1];  // A[p, p-1]
                                  return total / double(T - 1);
                              });
}

HeadTable copying_score(const Transformer& model, const Tensor& tokens, CopyingRatio ratio,
                        Interventions interventions) {
    check_tokens("copying_score", model, tokens, 2);
    return mean_over_destinations(model, tokens, std::move(interventions),
                                  {copying_score_of(ratio)})[0];
}

HeadTable copying_top_score(const Transformer& model, const Tensor& tokens,
                            Interventions interventions) {
    check_tokens("copying_top_score", model, tokens, 2);
    return mean_over_destinations(model, tokens, std::move(interventions), {copying_top})[0];
}

HeadScores evaluate_heads(const Transformer& model, const EvaluatorInputs& inputs,
                          CopyingRatio ratio) {
    check_tokens("evaluate_heads", model, inputs.copying, 2);
    std::vector<DestinationScore> copying_scores = {copying_top};
    for (CopyingRatio r : ALL_COPYING_RATIOS) copying_scores.push_back(copying_score_of(r));
    std::vector<HeadTable> copying = mean_over_destinations(model, inputs.copying, {}, copying_scores);
    HeadScores scores;
    scores.prefix_matching = prefix_matching_score(model, inputs.prefix);
    scores.copying_top = copying[0];
    for (size_t r = 0; r < ALL_COPYING_RATIOS.size(); ++r)
        scores.copying_by_ratio[r] = copying[r + 1];
    scores.copying = scores.copying_by_ratio[size_t(ratio)];
    scores.ratio = ratio;
    scores.copying_random_baseline = copying_random_baseline(ratio, inputs.copying.size(1));
    scores.previous_token = previous_token_score(model, inputs.previous_token);
    scores.copy_eig = copy_eig(model);
    return scores;
}

const char* copying_ratio_name(CopyingRatio ratio) {
    switch (ratio) {
        case CopyingRatio::PER_SOURCE_SIGNED: return "per-source-signed";
        case CopyingRatio::PER_SOURCE: return "per-source";
        case CopyingRatio::DEVIATION: return "deviation";
        case CopyingRatio::RAISED_SHARE: return "raised-share";
    }
    return "?";
}

CopyingRatio copying_ratio_from_name(const std::string& name) {
    std::string known;
    for (CopyingRatio r : ALL_COPYING_RATIOS) {
        if (name == copying_ratio_name(r)) return r;
        known += std::string(known.empty() ? "" : ", ") + copying_ratio_name(r);
    }
    fail("unknown copying ratio '", name, "' (expected one of: ", known, ")");
}

// ---- classification -----------------------------------------------------------------------------

const char* head_class_name(HeadClass head_class) {
    switch (head_class) {
        case HeadClass::INDUCTION: return "induction";
        case HeadClass::ANTI_COPYING_PREFIX: return "anti-copying prefix";
        case HeadClass::PREVIOUS_TOKEN: return "previous-token";
        case HeadClass::OTHER: return "other";
    }
    return "?";
}

ClassificationRule classification_rule(const ModelConfig& config) {
    ClassificationRule rule;
    rule.require_later_layer = !config.smear_keys;
    return rule;
}

std::vector<HeadClass> classify_heads(const HeadScores& scores, const ClassificationRule& rule) {
    const HeadTable& copy = rule.use_copy_eig ? scores.copy_eig : scores.copying;
    const int L = scores.prefix_matching.n_layers, H = scores.prefix_matching.n_heads;
    for (const HeadTable* table : {&copy, &scores.previous_token})
        check(table->n_layers == L && table->n_heads == H, "classify_heads: score tables of ", L,
              "x", H, " and ", table->n_layers, "x", table->n_heads, " heads differ");
    std::vector<HeadClass> classes;
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h)
            classes.push_back(classify_head(scores.prefix_matching.at(l, h), copy.at(l, h),
                                            scores.previous_token.at(l, h), l, rule));
    return classes;
}

std::vector<char> unstable_heads(const HeadScores& scores, const ClassificationRule& rule) {
    std::vector<HeadClass> base = classify_heads(scores, rule);
    std::vector<ClassificationRule> variants;
    for (double shift : {-0.1, 0.1}) {
        ClassificationRule prefix = rule, previous = rule;
        prefix.prefix_threshold += shift;
        previous.previous_threshold += shift;
        variants.push_back(prefix);
        variants.push_back(previous);
    }
    ClassificationRule other_copy = rule;
    other_copy.use_copy_eig = !rule.use_copy_eig;
    variants.push_back(other_copy);
    std::vector<char> unstable(base.size(), 0);
    for (const ClassificationRule& variant : variants) {
        std::vector<HeadClass> shifted = classify_heads(scores, variant);
        for (size_t i = 0; i < base.size(); ++i) unstable[i] |= shifted[i] != base[i];
    }
    return unstable;
}

std::vector<char> copying_measures_disagree(const HeadScores& scores, const ClassificationRule& rule) {
    std::vector<char> disagree;
    for (size_t i = 0; i < scores.copying.values.size(); ++i) {
        double copy = scores.copying.values[i], eig = scores.copy_eig.values[i];
        disagree.push_back(std::isfinite(copy) && std::isfinite(eig) &&
                           (copy > rule.copy_threshold) != (eig > 0));
    }
    return disagree;
}

json::Value heads_json(const HeadScores& scores, const std::vector<HeadClass>& classes,
                       const ClassificationRule& rule) {
    const int L = scores.prefix_matching.n_layers, H = scores.prefix_matching.n_heads;
    check(classes.size() == size_t(L * H), "heads_json: ", classes.size(), " classes for ", L * H,
          " heads");
    std::vector<char> unstable = unstable_heads(scores, rule);
    std::vector<char> disagree = copying_measures_disagree(scores, rule);
    auto number = [](double x) { return std::isnan(x) ? json::Value() : json::Value(x); };
    json::Value heads = json::Value::array();
    for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
            size_t i = size_t(l * H + h);
            json::Value head = json::Value::object();
            head["layer"] = l;
            head["head"] = h;
            head["prefix_matching"] = number(scores.prefix_matching.at(l, h));
            head["copying"] = number(scores.copying.at(l, h));
            head["copying_top"] = number(scores.copying_top.at(l, h));
            head["eig_copying"] = number(scores.copy_eig.at(l, h));
            head["previous_token"] = number(scores.previous_token.at(l, h));
            head["class"] = head_class_name(classes[i]);
            head["unstable"] = bool(unstable[i]);
            head["copying_disagreement"] = bool(disagree[i]);
            heads.push_back(head);
        }
    json::Value out = json::Value::object();
    out["copying_ratio"] = copying_ratio_name(scores.ratio);
    out["copying_random_baseline"] = scores.copying_random_baseline;
    out["heads"] = heads;
    return out;
}

}  // namespace induction
