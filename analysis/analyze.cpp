// analyze.cpp — per-snapshot measurements, phase detection and the metrics files of one model.
#include "analysis/analyze.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "analysis/attribution_metrics.h"
#include "analysis/circuits.h"
#include "analysis/losses.h"
#include "analysis/report/svg.h"
#include "analysis/validation.h"
#include "autograd/var.h"
#include "model/checkpoint.h"
#include "model/io/base64.h"
#include "model/io/file_io.h"
#include "model/io/safetensors.h"

namespace induction {

namespace {

// What is measured at every snapshot, on the run's curve windows (the first rows of the
// evaluation set), and what only a full snapshot adds (every fifth of training and the window
// edges, chosen after the phase window is known, so that §5.5's window edges are among them).
struct SnapshotMeasurements {
    int64_t step = 0, tokens = 0;
    LossSummary losses;       // on the curve windows
    IclScore icl;
    Estimate icl_per_decade, icl_band;  // bootstrap 95% intervals over the curve windows
    LossDerivative derivative;
    HeadTable prefix_matching, previous_token;  // §3.2, §3.3
    HeadTable smear_sigma;                      // σ(α) (§1.6); no layers without smeared keys
    std::vector<std::string> patterns;          // base64 lower triangles of the display heads
    std::vector<std::vector<float>> example_losses;  // the first few examples' rows, for token changes
    // Full snapshots only:
    std::optional<HeadScores> heads;
    std::optional<KCompositionTrace> kcomp;  // §4.5, weighted by this snapshot's previous-token scores
    std::optional<SnapshotAttribution> attribution;  // §5.4
};

json::Value number_or_null(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }

json::Value to_json(const std::vector<double>& values) {
    json::Value a = json::Value::array();
    for (double x : values) a.push_back(number_or_null(x));
    return a;
}

// [[head values] per layer]
json::Value to_json(const HeadTable& table) {
    json::Value a = json::Value::array();
    for (int l = 0; l < table.n_layers; ++l) {
        json::Value row = json::Value::array();
        for (int h = 0; h < table.n_heads; ++h) row.push_back(number_or_null(table.at(l, h)));
        a.push_back(row);
    }
    return a;
}

// n: [N] the tokens of the snapshots the window was found on.
json::Value to_json(const RiseWindow& w, const std::vector<double>& n) {
    json::Value v = json::Value::object();
    v["found"] = w.found;
    v["reason"] = w.reason;
    v["burn_in"] = w.burn_in;
    v["peak"] = w.peak;
    v["start"] = w.start;
    v["end"] = w.end;
    v["n_peak"] = w.n_peak;
    v["n_start"] = w.n_start;
    v["n_end"] = w.n_end;
    v["peak_slope"] = w.peak_slope;
    v["multi_step"] = w.multi_step;
    json::Value steps = json::Value::array();  // the peak of every step, in tokens
    for (int64_t k : w.step_peaks) steps.push_back(n[size_t(k)]);
    v["step_peaks_tokens"] = steps;
    v["y_first"] = w.y_first;
    v["y_pre"] = w.y_pre;
    v["y_post"] = w.y_post;
    v["frac_in_window"] = number_or_null(w.frac_in_window);
    v["slope_noise"] = w.slope_noise;
    json::Value fit = json::Value::object();
    fit["converged"] = w.logistic.converged;
    fit["y_pre"] = w.logistic.y_pre;
    fit["y_post"] = w.logistic.y_post;
    fit["n_start"] = w.logistic.n_start;
    fit["n_end"] = w.logistic.n_end;
    fit["rms_residual"] = w.logistic.rms_residual;
    v["logistic"] = fit;
    v["window_agreement"] = w.window_agreement;
    return v;
}

json::Value to_json(const LossBump& b, const std::vector<double>& n) {
    json::Value v = json::Value::object();
    v["found"] = b.found;
    v["height"] = b.height;
    v["tau"] = b.tau;
    v["location_tokens"] = b.n_location;
    v["region_start_tokens"] = n[size_t(b.first + b.region_start)];
    v["region_end_tokens"] = n[size_t(b.first + b.region_end)];
    v["overlaps_window"] = b.overlaps_window;
    v["other_regions"] = int64_t(b.other_regions.size());
    v["steeper_inside"] = b.steeper_inside;
    return v;
}

// The heads allowed to be induction heads: layers >= 2 (0-based >= 1) unless smeared (§5.6).
int first_induction_layer(const HeadTable& table, bool smeared) {
    return smeared || table.n_layers == 1 ? 0 : 1;
}

double max_prefix(const HeadTable& prefix, bool smeared) {
    if (!smeared && prefix.n_layers < 2) return 0.0;
    double best = 0.0;
    for (int l = first_induction_layer(prefix, smeared); l < prefix.n_layers; ++l)
        for (int h = 0; h < prefix.n_heads; ++h) best = std::max(best, prefix.at(l, h));
    return best;
}

// The `count` heads with the highest scores among layers >= first_layer, best first.
std::vector<std::pair<int, int>> top_heads(const HeadTable& table, int first_layer, size_t count) {
    std::vector<std::pair<int, int>> heads;
    for (int l = first_layer; l < table.n_layers; ++l)
        for (int h = 0; h < table.n_heads; ++h) heads.emplace_back(l, h);
    std::stable_sort(heads.begin(), heads.end(), [&](const auto& x, const auto& y) {
        return table.at(x.first, x.second) > table.at(y.first, y.second);
    });
    heads.resize(std::min(count, heads.size()));
    return heads;
}

// The heads whose patterns the report's snapshot slider shows: the final snapshot's two best
// prefix-matching heads (among those allowed to be induction heads) and its two best
// previous-token heads.
struct DisplayHead {
    int layer = 0, head = 0;
    std::string why;
};
std::vector<DisplayHead> display_heads(const HeadScores& final_heads, bool smeared) {
    std::vector<DisplayHead> heads;
    auto add = [&](const std::vector<std::pair<int, int>>& list, const std::string& why) {
        for (auto [l, h] : list)
            if (std::none_of(heads.begin(), heads.end(), [&](const DisplayHead& d) { return d.layer == l && d.head == h; }))
                heads.push_back({l, h, why});
    };
    const HeadTable& prefix = final_heads.prefix_matching;
    add(top_heads(prefix, first_induction_layer(prefix, smeared), 2), "top prefix matching");
    add(top_heads(final_heads.previous_token, 0, 2), "top previous token");
    return heads;
}

// The slider's example: BOS, then the first 12 tokens of the first prefix-matching example
// (distinct random tokens, §3.2), twice. i32 [1, 25].
Tensor display_example(const EvaluatorInputs& inputs) {
    constexpr int64_t N_TOKENS = 12;
    std::vector<int32_t> row = inputs.prefix.slice(0, 1).to_ints();
    std::vector<int32_t> tokens = {row[0]};
    for (int repeat = 0; repeat < 2; ++repeat) tokens.insert(tokens.end(), row.begin() + 1, row.begin() + 1 + N_TOKENS);
    return Tensor::from_ints({1, int64_t(tokens.size())}, tokens);
}

// Every attention pattern of the model on one sequence: per layer [H, T, T] (tokens: i32 [1, T]).
std::vector<Tensor> attention_patterns(const Transformer& model, const Tensor& tokens) {
    NoGrad no_grad;
    Interventions capture;
    for (int l = 0; l < model.config.n_layers; ++l) capture.capture(Site::PATTERN, l);
    forward(model, tokens, &capture);
    std::vector<Tensor> patterns;
    for (int l = 0; l < model.config.n_layers; ++l) patterns.push_back(capture.captured(Site::PATTERN, l)[0]);
    return patterns;
}

// A pattern [T, T] as base64 of its lower triangle, one byte per weight (round(255 p)).
std::string quantised_lower_triangle(const Tensor& pattern) {
    const int64_t T = pattern.size(0);
    const std::vector<double> p = pattern.to_vector();
    std::string bytes;
    for (int64_t q = 0; q < T; ++q)
        for (int64_t k = 0; k <= q; ++k)
            bytes += char(uint8_t(std::lround(std::clamp(p[size_t(q * T + k)], 0.0, 1.0) * 255.0)));
    return base64_encode(bytes);
}

// σ(α) of every head (§1.6): how much of each key is the previous token's.
HeadTable smear_sigma(const Transformer& model) {
    if (!model.config.smear_keys) return {};
    HeadTable table(model.config.n_layers, model.config.n_heads);
    for (int l = 0; l < model.config.n_layers; ++l) {
        std::vector<double> alpha = model.blocks[size_t(l)].attn.smear_alpha.value().to_vector();
        for (int h = 0; h < model.config.n_heads; ++h) table.at(l, h) = 1.0 / (1.0 + std::exp(-alpha[size_t(h)]));
    }
    return table;
}

json::Value interval_or_null(const Estimate& e) {
    json::Value v = json::Value::array();
    v.push_back(number_or_null(e.lo));
    v.push_back(number_or_null(e.hi));
    return v;
}

// ICL per decade on both readings with their bootstrap intervals over the windows of `losses`.
struct IclEstimates {
    Estimate per_decade, band;
};
IclEstimates icl_estimates(const Tensor& losses, const EvalSet& eval, const BootstrapPlan& plan) {
    const AttributionColumns columns = attribution_columns(eval);
    const ExampleReadings readings = read_examples(pick_columns(losses, columns.columns), columns);
    return {mean_with_interval(readings.icl, plan), mean_with_interval(readings.icl_band, plan)};
}

std::string csv_row(int64_t step, int64_t tokens, const std::vector<double>& values) {
    std::ostringstream row;
    row.precision(6);
    row << step << ',' << tokens;
    for (double x : values) row << ',' << x;
    row << '\n';
    return row.str();
}

void write_csv_tables(const std::vector<SnapshotMeasurements>& all, const std::string& dir) {
    const int64_t T = int64_t(all.front().losses.by_position.size()) + 1;
    std::string by_position = "step,tokens";
    for (int64_t i = 2; i <= T; ++i) {
        by_position += ',';
        by_position += std::to_string(i);
    }
    by_position += "\n";
    std::ostringstream derivative_header;
    derivative_header.precision(6);
    derivative_header << "step,tokens";
    for (double c : all.front().derivative.centers) derivative_header << ',' << c;
    std::string derivative = derivative_header.str() + "\n";
    for (const SnapshotMeasurements& s : all) {
        by_position += csv_row(s.step, s.tokens, s.losses.by_position);
        derivative += csv_row(s.step, s.tokens, s.derivative.values);
    }
    write_file_atomic(dir + "/loss_by_position.csv", by_position);
    write_file_atomic(dir + "/loss_derivative.csv", derivative);
}

json::Value full_snapshot_fields(json::Value e, const SnapshotMeasurements& s) {
    const bool full = s.heads.has_value();
    e["full"] = full;
    json::Value variants = json::Value::object();  // every reading of §3.1 (evaluators.h)
    if (full)
        for (CopyingRatio r : ALL_COPYING_RATIOS)
            variants[copying_ratio_name(r)] = to_json(s.heads->copying_by_ratio[size_t(r)]);
    e["copying"] = full ? to_json(s.heads->copying) : json::Value();
    e["copying_variants"] = full ? variants : json::Value();
    e["copying_top"] = full ? to_json(s.heads->copying_top) : json::Value();  // rank-based (evaluators.h)
    e["copy_eig"] = full ? to_json(s.heads->copy_eig) : json::Value();        // §4.3, from the weights
    e["prev_token_kcomp_trace"] = full ? to_json(s.kcomp->trace) : json::Value();  // §4.5
    e["prev_token_kcomp_trace_normalised"] = full ? to_json(s.kcomp->normalised) : json::Value();
    return e;
}

json::Value snapshots_json(const ModelToAnalyze& model, const std::vector<SnapshotMeasurements>& all,
                           const ModelConfig& config, int64_t context, int64_t curve_examples,
                           const json::Value& final_icl) {
    json::Value v = json::Value::object();
    v["model"] = model.name;
    v["description"] = model.description;
    v["config"] = model.config;
    v["n_layers"] = config.n_layers;
    v["n_heads"] = config.n_heads;
    v["context"] = context;
    v["curve_examples"] = curve_examples;
    v["final_icl"] = final_icl;
    json::Value list = json::Value::array();
    for (const SnapshotMeasurements& s : all) {
        json::Value e = json::Value::object();
        e["step"] = s.step;
        e["tokens"] = s.tokens;
        e["loss"] = number_or_null(s.losses.mean);
        e["loss_random_token"] = number_or_null(s.losses.random_token_mean);
        e["icl_score"] = number_or_null(s.icl.score);
        e["icl_amount"] = number_or_null(s.icl.amount);
        e["icl_per_decade"] = number_or_null(s.icl.per_decade);
        e["icl_per_decade_ci"] = interval_or_null(s.icl_per_decade);
        e["icl_band"] = number_or_null(s.icl_band.value);
        e["icl_band_ci"] = interval_or_null(s.icl_band);
        e["prefix_matching"] = to_json(s.prefix_matching);
        e["previous_token"] = to_json(s.previous_token);
        e["smear_sigma"] = s.smear_sigma.n_layers > 0 ? to_json(s.smear_sigma) : json::Value();
        list.push_back(full_snapshot_fields(std::move(e), s));
    }
    v["snapshots"] = list;
    return v;
}

// Target #12 of METHODS §9 over every head × full snapshot (analysis/validation.h): each copying
// reading against eig_copying, and prefix matching against the §4.5 trace (layers >= 2 only).
json::Value validation_json(const std::vector<const SnapshotMeasurements*>& full) {
    std::vector<HeadTable> eig, prefix, trace, normalised, top;
    for (const SnapshotMeasurements* s : full) {
        eig.push_back(s->heads->copy_eig);
        prefix.push_back(s->prefix_matching);
        trace.push_back(s->kcomp->trace);
        normalised.push_back(s->kcomp->normalised);
        top.push_back(s->heads->copying_top);
    }
    json::Value copying = json::Value::object();
    for (CopyingRatio r : ALL_COPYING_RATIOS) {
        std::vector<HeadTable> scores;
        for (const SnapshotMeasurements* s : full) scores.push_back(s->heads->copying_by_ratio[size_t(r)]);
        copying[copying_ratio_name(r)] = to_json(snapshot_rank_correlation(scores, eig));
    }
    copying["copying-top"] = to_json(snapshot_rank_correlation(top, eig));
    json::Value v = json::Value::object();
    v["copying_ratio"] = copying_ratio_name(full.back()->heads->ratio);
    v["copying_vs_eig_copying"] = copying;
    v["prefix_vs_kcomp_trace"] = to_json(snapshot_rank_correlation(prefix, trace, 1));
    v["prefix_vs_kcomp_trace_normalised"] = to_json(snapshot_rank_correlation(prefix, normalised, 1));
    return v;
}

// The random-token vectors v_s of §2.3 (the inputs of §5.5 and §7), one row per snapshot, so a
// later command can measure against exactly these losses.
void write_random_token_losses(const std::vector<SnapshotMeasurements>& all, const std::string& path) {
    const int64_t S = int64_t(all.size()), N = int64_t(all.front().losses.random_token_vector.size());
    std::vector<double> vectors;
    std::vector<int32_t> steps;
    for (const SnapshotMeasurements& s : all) {
        vectors.insert(vectors.end(), s.losses.random_token_vector.begin(), s.losses.random_token_vector.end());
        steps.push_back(int32_t(s.step));
    }
    write_safetensors(path, {{"random_token_losses", Tensor::from_vector({S, N}, vectors, DType::F32)},
                             {"steps", Tensor::from_ints({S}, steps)}},
                      {{"description", "v_s of METHODS §2.3: row s is snapshot steps[s]; column e is example e "
                                       "of ../eval_tokens.bin at its random column (../eval_set.json); the "
                                       "curve windows only (snapshots.json curve_examples)"}});
}

void write_head_patterns(const std::vector<SnapshotMeasurements>& all, const std::vector<DisplayHead>& heads,
                         const Tensor& example, const AnalysisSetup& setup, const std::string& path) {
    json::Value v = json::Value::object();
    v["example"] = "BOS + 12 random tokens, repeated twice";
    json::Value texts = json::Value::array();
    for (int32_t id : example.to_ints()) texts.push_back(setup.token_text[size_t(id)]);
    v["tokens"] = texts;
    json::Value list = json::Value::array();
    for (const DisplayHead& d : heads) {
        json::Value h = json::Value::object();
        h["layer"] = d.layer;
        h["head"] = d.head;
        h["why"] = d.why;
        list.push_back(h);
    }
    v["heads"] = list;
    json::Value steps = json::Value::array(), patterns = json::Value::array();
    for (const SnapshotMeasurements& s : all) {
        steps.push_back(s.step);
        json::Value row = json::Value::array();
        for (const std::string& p : s.patterns) row.push_back(p);
        patterns.push_back(row);
    }
    v["steps"] = steps;
    v["patterns"] = patterns;
    json::write_file(path, v);
}

// What every snapshot's ablations share (§5.4): the mode, the head groups of the final classes
// and the loss-matrix columns the attributions read. The window of §5.5 is filled in later.
AttributionSettings attribution_settings(const ModelConfig& config, const std::vector<HeadClass>& classes,
                                         const EvalSet& eval, const AnalysisSetup& setup) {
    AttributionSettings settings;
    settings.mode = setup.ablation_mode;
    settings.n_layers = config.n_layers;
    settings.n_heads = config.n_heads;
    settings.groups = head_groups(classes, config.n_layers, config.n_heads);
    settings.columns = attribution_columns(eval);
    settings.bootstrap_resamples = setup.bootstrap_resamples;
    return settings;
}

// Everything a model's snapshots share while they are measured.
struct ModelContext {
    const AnalysisSetup& setup;
    EvalSet curve;                       // the curve windows
    BootstrapPlan curve_plan;
    std::vector<DisplayHead> display;
    Tensor display_example;              // i32 [1, 25]
    int64_t token_change_examples = 0;
};

// The measurements of every snapshot (the curve tier).
SnapshotMeasurements measure_snapshot(const Transformer& model, const SnapshotRef& ref, const ModelContext& c) {
    SnapshotMeasurements s;
    s.step = ref.step;
    s.tokens = ref.tokens;
    const Tensor losses = per_token_losses(model, c.curve.tokens, c.setup.batch_size).to(DType::F32);
    s.losses = summarize_losses(losses, c.curve);
    s.icl = icl_score(s.losses.by_position);
    IclEstimates icl = icl_estimates(losses, c.curve, c.curve_plan);
    s.icl_per_decade = icl.per_decade;
    s.icl_band = icl.band;
    s.derivative = loss_derivative(s.losses.by_position);
    s.prefix_matching = prefix_matching_score(model, c.setup.evaluators.prefix);
    s.previous_token = previous_token_score(model, c.setup.evaluators.previous_token);
    s.smear_sigma = smear_sigma(model);
    const std::vector<Tensor> patterns = attention_patterns(model, c.display_example);
    for (const DisplayHead& d : c.display)
        s.patterns.push_back(quantised_lower_triangle(patterns[size_t(d.layer)][d.head]));
    for (int64_t e = 0; e < c.token_change_examples; ++e) {
        const float* row = losses.data<float>() + e * losses.size(1);
        s.example_losses.emplace_back(row, row + losses.size(1));
    }
    return s;
}

// The full tier: every copying reading, eig_copying (in heads, evaluate_heads' result), the §4.5
// trace and the ablation of every head and head group (§5.4) on the curve windows.
void measure_full_snapshot(const Transformer& model, HeadScores heads, SnapshotMeasurements& s,
                           const ModelContext& c, const AttributionSettings& attribution,
                           const std::vector<HeadSet>& ablated_sets, size_t n_single) {
    s.heads = std::move(heads);
    s.kcomp = previous_token_kcomp_trace(circuit_weights(model), s.heads->previous_token);
    AblationSweep sweep = ablation_sweep(model, c.curve.tokens, attribution.columns.columns, ablated_sets,
                                         c.setup.ablation_mode, c.setup.batch_size);
    s.attribution = attribute_snapshot(sweep, attribution.columns, n_single, c.curve_plan);
    s.attribution->step = s.step;
    s.attribution->tokens = s.tokens;
}

// The full snapshots: the one nearest to each 1/divisions of training (the first and last included)
// and the edges of the phase-change window (§5.5 needs them), ascending and distinct.
std::vector<size_t> full_snapshot_indices(const std::vector<SnapshotMeasurements>& all, int divisions,
                                          const std::vector<size_t>& also) {
    std::vector<size_t> chosen(also);
    const double last = double(all.back().step);
    for (int k = 0; k <= divisions; ++k) {
        const double target = last * k / divisions;
        size_t best = 0;
        for (size_t i = 0; i < all.size(); ++i)
            if (std::abs(double(all[i].step) - target) < std::abs(double(all[best].step) - target)) best = i;
        chosen.push_back(best);
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    return chosen;
}

// §6: the ICL and prefix-matching windows, the combined window, and the loss bumps on ln n and n.
// The ICL curve §6.1 reads is the band-averaged score [OURS], not [O]'s single-index one: on the
// 128 curve windows its per-snapshot interval is about ±0.13 nats against ±0.43, and with ~115
// snapshots the single-index curve's noise makes slopes (and so windows) jump between neighbours.
struct PhaseResult {
    json::Value json;
    bool phase_change = false;
    double burn_in_tokens = 0;
    std::optional<TokenInterval> window;
    std::optional<RiseWindow> icl_window;
};
// The per-snapshot series §6 reads: tokens, band ICL [OURS], the best prefix-matching score among
// the heads allowed to be induction heads, and the mean loss.
struct PhaseSeries {
    std::vector<double> n, icl, prefix, loss;
};
PhaseSeries phase_series(const ModelToAnalyze& model, const std::vector<SnapshotMeasurements>& all) {
    PhaseSeries series;
    for (const SnapshotMeasurements& s : all) {
        series.n.push_back(double(s.tokens));
        series.icl.push_back(s.icl_band.value);
        series.prefix.push_back(max_prefix(s.prefix_matching, model.smeared));
        series.loss.push_back(s.losses.mean);
    }
    return series;
}

// Burn-in ([OURS], in tokens): the first burn_in_fraction of the model's training tokens or the
// learning-rate warm-up, whichever ends later. While the learning rate ramps up every quantity
// moves fast; in a 400-step model the warm-up is 12.5% of training, more than the 5%.
struct BurnIn {
    double tokens = 0;
    std::string source;  // which of the two it is, in words
};
BurnIn burn_in_for(const ModelToAnalyze& model, const AnalysisSetup& setup, double total_tokens) {
    const double share = setup.burn_in_fraction * total_tokens;
    BurnIn burn_in;
    burn_in.tokens = std::max(share, model.warmup_tokens);
    burn_in.source = share >= model.warmup_tokens
                         ? "the first " + svg::format_number(100 * setup.burn_in_fraction) +
                               "% of the model's training tokens"
                         : std::string("the learning-rate warm-up (longer than ") +
                               svg::format_number(100 * setup.burn_in_fraction) + "% of training)";
    return burn_in;
}

json::Value to_json(const BurnIn& burn_in) {
    json::Value v = json::Value::object();
    v["tokens"] = burn_in.tokens;
    v["source"] = burn_in.source;
    return v;
}

// §6.1's options for the ICL curve. It is measured on the curve windows only and moves more from
// snapshot to snapshot than prefix matching: smoothed over a median of 9 and a mean of 5 snapshots
// ([OURS]; with METHODS' 5 and 3 its noise split the vanilla 2-layer model's slow rise into short
// steps, none of them 0.10 nats).
RiseWindowOptions icl_window_options(double burn_in_tokens) {
    RiseWindowOptions options;
    options.step_choice = RiseWindowOptions::StepChoice::LARGEST_RISE;
    options.burn_in_fraction = 0;
    options.burn_in_tokens = burn_in_tokens;
    options.median_half_width = 4;
    options.mean_half_width = 2;
    return options;
}

// §6.1's options for the prefix-matching curve: the ICL curve's burn-in, METHODS' smoothing.
RiseWindowOptions prefix_window_options(const RiseWindowOptions& icl_options) {
    RiseWindowOptions options = icl_options;
    options.min_rise = PREFIX_SCORE_MIN_RISE;
    options.median_half_width = RiseWindowOptions{}.median_half_width;
    options.mean_half_width = RiseWindowOptions{}.mean_half_width;
    return options;
}

// phase.json "window": the combined window in tokens, and the steps of the snapshots at its edges.
json::Value window_json(const TokenInterval& window, const std::vector<double>& n,
                        const std::vector<SnapshotMeasurements>& all) {
    auto step_at = [&](double tokens) {
        size_t k = size_t(std::lower_bound(n.begin(), n.end(), tokens) - n.begin());
        return all[std::min(k, all.size() - 1)].step;
    };
    json::Value w = json::Value::object();
    w["start_tokens"] = window.start;
    w["end_tokens"] = window.end;
    w["start_step"] = step_at(window.start);
    w["end_step"] = step_at(window.end);
    return w;
}

PhaseResult detect_phase(const ModelToAnalyze& model, const std::vector<SnapshotMeasurements>& all,
                         const AnalysisSetup& setup) {
    const PhaseSeries series = phase_series(model, all);
    const std::vector<double>& n = series.n;
    PhaseResult result;
    json::Value& phase = result.json;
    phase = json::Value::object();
    phase["window"] = json::Value();
    if (all.size() < 5) {
        phase["verdict"] = "no phase change";
        phase["reason"] = "fewer than 5 snapshots";
        return result;
    }
    const bool use_control = model.control && model.control->name != model.name;
    const std::vector<double> a =
        use_control ? excess_over_control(n, series.icl, model.control->tokens, model.control->icl) : series.icl;
    phase["icl_series"] = use_control ? "band ICL minus " + model.control->name + "'s at equal tokens"
                                      : std::string("band ICL");
    const BurnIn burn_in = burn_in_for(model, setup, n.back());
    result.burn_in_tokens = burn_in.tokens;
    phase["burn_in"] = to_json(burn_in);
    const RiseWindowOptions icl_options = icl_window_options(result.burn_in_tokens);
    RiseWindow icl_window = rise_window(a, n, icl_options);
    RiseWindow prefix_window = rise_window(series.prefix, n, prefix_window_options(icl_options));
    CombinedWindow combined = combined_window(icl_window, prefix_window, model.schedule_changes);
    result.phase_change = icl_window.found && prefix_window.found;
    phase["verdict"] = result.phase_change ? "phase change" : "no phase change";
    phase["reason"] = result.phase_change ? "" : (!icl_window.found ? "ICL: " + icl_window.reason
                                                                    : "prefix matching: " + prefix_window.reason);
    phase["icl"] = to_json(icl_window, n);
    phase["prefix"] = to_json(prefix_window, n);
    phase["midpoint_lag_tokens"] = combined.both_found ? json::Value(combined.lag) : json::Value();
    phase["iou"] = combined.both_found ? json::Value(combined.iou) : json::Value();
    if (icl_window.found) result.icl_window = icl_window;
    if (result.phase_change) {  // a window is shaded only where §6 finds a phase change
        result.window = combined.window;
        phase["window"] = window_json(combined.window, n, all);
    }
    json::Value changes = json::Value::array();
    for (const ScheduleChange& c : combined.changes_inside) changes.push_back(c.name);
    phase["schedule_changes_in_window"] = changes;
    // Loss bump on x = ln n (the step-0 snapshot, n = 0, is left out) and on x = n.
    std::vector<double> bump_n(n.begin() + 1, n.end()), bump_loss(series.loss.begin() + 1, series.loss.end());
    phase["loss_bump"] = to_json(loss_bump(bump_loss, bump_n, /*log_n=*/true, result.window), bump_n);
    phase["loss_bump_linear"] = to_json(loss_bump(series.loss, n, /*log_n=*/false, result.window), n);
    return result;
}

// The final snapshot's top induction candidate's pattern on one §3.2 example (BOS + 25 tokens × 4).
void write_induction_pattern(const Transformer& model, const HeadScores& heads, bool smeared,
                             const AnalysisSetup& setup, const std::string& path) {
    const HeadTable& prefix = heads.prefix_matching;
    if (!smeared && prefix.n_layers < 2) return;
    auto [layer, head] = top_heads(prefix, first_induction_layer(prefix, smeared), 1).front();
    Tensor tokens = setup.evaluators.prefix.slice(0, 1);  // [1, 101]
    Tensor pattern = attention_patterns(model, tokens)[size_t(layer)][head];  // [T, T]
    json::Value v = json::Value::object();
    v["layer"] = layer;
    v["head"] = head;
    v["prefix_matching"] = prefix.at(layer, head);
    json::Value texts = json::Value::array();
    for (int32_t id : tokens.to_ints()) texts.push_back(setup.token_text[size_t(id)]);
    v["tokens"] = texts;
    const int64_t T = pattern.size(0);
    std::vector<double> p = pattern.to_vector();
    json::Value rows = json::Value::array();
    for (int64_t i = 0; i < T; ++i) rows.push_back(to_json(std::vector<double>(p.begin() + i * T, p.begin() + (i + 1) * T)));
    v["pattern"] = rows;
    json::write_file(path, v);
}

// [O]'s "which tokens got better" figure: a few evaluation examples' losses at the window edges.
json::Value token_changes_json(const SnapshotMeasurements& before, const SnapshotMeasurements& after,
                               const EvalSet& eval, const std::vector<std::string>& token_text) {
    json::Value v = json::Value::object();
    v["start_step"] = before.step;
    v["end_step"] = after.step;
    json::Value list = json::Value::array();
    for (size_t e = 0; e < before.example_losses.size(); ++e) {
        json::Value example = json::Value::object();
        json::Value texts = json::Value::array(), loss_before = json::Value::array(), loss_after = json::Value::array();
        std::vector<int32_t> ids = eval.tokens[int64_t(e)].to_ints();
        for (size_t k = 0; k < ids.size(); ++k) {
            texts.push_back(token_text[size_t(ids[k])]);
            loss_before.push_back(k == 0 ? json::Value() : json::Value(double(before.example_losses[e][k - 1])));
            loss_after.push_back(k == 0 ? json::Value() : json::Value(double(after.example_losses[e][k - 1])));
        }
        example["tokens"] = texts;
        example["loss_before"] = loss_before;
        example["loss_after"] = loss_after;
        list.push_back(example);
    }
    v["examples"] = list;
    return v;
}

// The headline figure: the final snapshot's ICL on the first final_examples evaluation windows.
json::Value final_icl_json(const Transformer& model, const AnalysisSetup& setup) {
    const EvalSet eval = leading_rows(setup.eval, setup.final_examples);
    const Tensor losses = per_token_losses(model, eval.tokens, setup.batch_size).to(DType::F32);
    const BootstrapPlan plan =
        make_bootstrap_plan(eval.tokens.size(0), setup.bootstrap_resamples, setup.bootstrap_seed);
    IclEstimates icl = icl_estimates(losses, eval, plan);
    json::Value v = json::Value::object();
    v["examples"] = eval.tokens.size(0);
    v["per_decade"] = number_or_null(icl.per_decade.value);
    v["per_decade_ci"] = interval_or_null(icl.per_decade);
    v["band"] = number_or_null(icl.band.value);
    v["band_ci"] = interval_or_null(icl.band);
    return v;
}

// §6.4: where one model's PCA trajectory turns most sharply, after the burn-in, added to its
// phase.json. "found" needs a turn of at least 3 times the median smoothed turning angle.
void add_pca_pivot(const std::string& phase_path, const ModelAnalysis& analysis, const json::Value& pc1,
                   const json::Value& pc2) {
    const size_t N = analysis.steps.size();
    json::Value pivot = json::Value::object();
    pivot["found"] = false;
    const double burn_in = analysis.burn_in_tokens;
    const size_t first = size_t(std::upper_bound(analysis.icl_tokens.begin(), analysis.icl_tokens.end(), burn_in) -
                                analysis.icl_tokens.begin());
    if (N >= first + 5) {
        Matrix trajectory(int64_t(N - first), 2);
        for (size_t k = first; k < N; ++k) {
            trajectory(int64_t(k - first), 0) = pc1.as_array()[k].as_number();
            trajectory(int64_t(k - first), 1) = pc2.as_array()[k].as_number();
        }
        std::vector<double> n(analysis.icl_tokens.begin() + ptrdiff_t(first), analysis.icl_tokens.end());
        PcaPivot p = pca_pivot(trajectory, n);
        std::vector<double> angles = p.smoothed;
        std::nth_element(angles.begin(), angles.begin() + ptrdiff_t(angles.size() / 2), angles.end());
        const double median = angles[angles.size() / 2];
        pivot["found"] = p.angle >= 3 * median && p.angle > 0;
        pivot["step"] = analysis.steps[first + size_t(p.pivot)];
        pivot["tokens"] = p.n_pivot;
        pivot["angle_degrees"] = p.angle * 180 / M_PI;
        pivot["median_angle_degrees"] = median * 180 / M_PI;
        pivot["in_window"] = analysis.window ? json::Value(p.n_pivot >= analysis.window->start &&
                                                           p.n_pivot <= analysis.window->end)
                                             : json::Value();
    }
    json::Value phase = json::read_file(phase_path);
    phase["pca_pivot"] = pivot;
    json::write_file(phase_path, phase);
}

// ---- the sections of analyze_model() ------------------------------------------------------------

// The final snapshot, loaded once: its classes (§5.6) decide which heads are ablated together, and
// its top heads which patterns the report shows.
struct FinalSnapshot {
    FinalSnapshot(const ModelToAnalyze& model, const AnalysisSetup& setup)
        : checkpoint(load_checkpoint(model.snapshots.back().path)),
          heads(evaluate_heads(checkpoint.model, setup.evaluators)),
          rule(classification_rule(checkpoint.model.config)),
          classes(classify_heads(heads, rule)) {}

    LoadedCheckpoint checkpoint;
    const HeadScores heads;
    const ClassificationRule rule;
    const std::vector<HeadClass> classes;
};

// What every full snapshot ablates (§5.4): each single head, then each head group of the final
// classes; the first n_single sets are the single heads.
struct AblationPlan {
    AttributionSettings attribution;
    std::vector<HeadSet> sets;
    size_t n_single = 0;
};
AblationPlan ablation_plan(const ModelConfig& config, const std::vector<HeadClass>& classes, const EvalSet& curve,
                           const AnalysisSetup& setup) {
    AblationPlan plan;
    plan.attribution = attribution_settings(config, classes, curve, setup);
    plan.sets = single_heads(config);
    plan.n_single = plan.sets.size();
    for (const HeadGroup& g : plan.attribution.groups) plan.sets.push_back(g.heads);
    return plan;
}

// The curve tier on every snapshot, in training order; also the per-snapshot series of analysis.
std::vector<SnapshotMeasurements> measure_snapshots(const ModelToAnalyze& model, const FinalSnapshot& final,
                                                    const ModelContext& c, ModelAnalysis& analysis,
                                                    const std::function<void(int64_t, int64_t)>& progress) {
    std::vector<SnapshotMeasurements> all;
    for (const SnapshotRef& ref : model.snapshots) {
        const bool last_snapshot = &ref == &model.snapshots.back();
        all.push_back(
            measure_snapshot(last_snapshot ? final.checkpoint.model : load_checkpoint(ref.path).model, ref, c));
        analysis.pca_rows.push_back({0, double(ref.tokens), all.back().losses.random_token_vector});
        analysis.steps.push_back(ref.step);
        analysis.icl_tokens.push_back(double(ref.tokens));
        analysis.icl.push_back(all.back().icl_band.value);
        if (progress) progress(int64_t(all.size()), int64_t(model.snapshots.size()));
    }
    return all;
}

// The full tier's results, one per full snapshot in training order.
struct FullTier {
    std::vector<SnapshotAttribution> attributions;
    std::vector<const SnapshotMeasurements*> measurements;
};

// The full tier on the full snapshots, the ICL window's edges among them; marks those edges in
// plan.attribution (§5.5).
FullTier measure_full_tier(const ModelToAnalyze& model, std::vector<SnapshotMeasurements>& all,
                           const FinalSnapshot& final, const ModelContext& c, const PhaseResult& phase,
                           AblationPlan& plan) {
    std::vector<size_t> edges;
    if (phase.icl_window) edges = {size_t(phase.icl_window->start), size_t(phase.icl_window->end)};
    const std::vector<size_t> full = full_snapshot_indices(all, c.setup.full_snapshot_divisions, edges);
    FullTier tier;
    AttributionSettings& attribution = plan.attribution;
    for (size_t i : full) {
        const bool last_snapshot = i + 1 == all.size();
        if (last_snapshot) {  // its head scores are final.heads already
            measure_full_snapshot(final.checkpoint.model, final.heads, all[i], c, attribution, plan.sets,
                                  plan.n_single);
        } else {
            const Transformer snapshot = load_checkpoint(model.snapshots[i].path).model;
            measure_full_snapshot(snapshot, evaluate_heads(snapshot, c.setup.evaluators), all[i], c, attribution,
                                  plan.sets, plan.n_single);
        }
        tier.attributions.push_back(*all[i].attribution);
        tier.measurements.push_back(&all[i]);
        if (phase.icl_window && int64_t(i) == phase.icl_window->start)
            attribution.window_start = int64_t(tier.attributions.size() - 1);
        if (phase.icl_window && int64_t(i) == phase.icl_window->end)
            attribution.window_end = int64_t(tier.attributions.size() - 1);
    }
    return tier;
}

// The snapshot of the given step (the last one when there is none).
const SnapshotMeasurements& snapshot_at_step(const std::vector<SnapshotMeasurements>& all, int64_t step) {
    for (const SnapshotMeasurements& s : all)
        if (s.step == step) return s;
    return all.back();
}

// The model's metrics files after loss_vectors.safetensors (analysis/metrics_schema.md), in this order.
void write_metrics_files(const std::string& dir, const ModelToAnalyze& model,
                         const std::vector<SnapshotMeasurements>& all, const FinalSnapshot& final,
                         const ModelContext& c, const AblationPlan& plan, const FullTier& tier,
                         const PhaseResult& phase, const json::Value& final_icl) {
    const AnalysisSetup& setup = c.setup;
    const Transformer& final_model = final.checkpoint.model;
    json::write_file(dir + "/snapshots.json", snapshots_json(model, all, final_model.config, setup.eval.tokens.size(1),
                                                             c.curve.tokens.size(0), final_icl));
    write_csv_tables(all, dir);
    write_head_patterns(all, c.display, c.display_example, setup, dir + "/head_patterns.json");
    json::write_file(dir + "/heads.json", heads_json(*all.back().heads, final.classes, final.rule));
    json::write_file(dir + "/validation.json", validation_json(tier.measurements));
    json::write_file(dir + "/circuits.json",
                     circuits_json(analyze_circuits(final_model, all.back().heads->previous_token,
                                                    setup.eval.tokens.size(1))));
    json::write_file(dir + "/phase.json", phase.json);
    json::write_file(dir + "/ablations.json", ablations_json(plan.attribution, tier.attributions));
    write_induction_pattern(final_model, final.heads, model.smeared, setup, dir + "/induction_pattern.json");
    if (phase.window) {
        const json::Value& window = phase.json.at("window");
        json::write_file(dir + "/token_changes.json",
                         token_changes_json(snapshot_at_step(all, window.at("start_step").as_int()),
                                            snapshot_at_step(all, window.at("end_step").as_int()), c.curve,
                                            setup.token_text));
    }
}

}  // namespace

ModelAnalysis analyze_model(const ModelToAnalyze& model, const AnalysisSetup& setup,
                            const std::string& metrics_dir,
                            const std::function<void(int64_t, int64_t)>& progress) {
    check(!model.snapshots.empty(), model.name, ": no snapshots to analyze");
    const std::string dir = metrics_dir + "/" + model.name;
    make_directories(dir);
    const FinalSnapshot final(model, setup);
    ModelContext c{setup, leading_rows(setup.eval, setup.curve_examples), {},
                   display_heads(final.heads, model.smeared), display_example(setup.evaluators),
                   std::min<int64_t>(setup.token_change_examples, setup.curve_examples)};
    c.curve_plan = make_bootstrap_plan(c.curve.tokens.size(0), setup.bootstrap_resamples, setup.bootstrap_seed);
    AblationPlan plan = ablation_plan(final.checkpoint.model.config, final.classes, c.curve, setup);

    ModelAnalysis analysis;
    auto stage_start = std::chrono::steady_clock::now();
    auto stage_seconds = [&stage_start] {
        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - stage_start).count();
        stage_start = now;
        return seconds;
    };
    std::vector<SnapshotMeasurements> all = measure_snapshots(model, final, c, analysis, progress);
    analysis.seconds.snapshots = stage_seconds();
    const PhaseResult phase = detect_phase(model, all, setup);
    analysis.phase_change = phase.phase_change;
    analysis.burn_in_tokens = phase.burn_in_tokens;
    analysis.window = phase.window;
    const FullTier tier = measure_full_tier(model, all, final, c, phase, plan);
    analysis.seconds.full = stage_seconds();
    if (!phase.icl_window) plan.attribution.no_window_reason = "no ICL window: " + phase.json.at("reason").as_string();

    write_random_token_losses(all, dir + "/loss_vectors.safetensors");
    const json::Value final_icl = final_icl_json(final.checkpoint.model, setup);
    analysis.seconds.final_icl = stage_seconds();
    write_metrics_files(dir, model, all, final, c, plan, tier, phase, final_icl);
    return analysis;
}

void write_pca(const std::vector<std::string>& names, const std::vector<ModelAnalysis>& analyses,
               const std::string& metrics_dir) {
    std::vector<LossVectorRow> rows;
    for (size_t m = 0; m < analyses.size(); ++m)
        for (LossVectorRow row : analyses[m].pca_rows) {
            row.model = int(m);
            rows.push_back(std::move(row));
        }
    Pca result = pca(rows);
    json::Value v = json::Value::object();
    v["explained_variance_ratio"] = to_json(result.explained_variance_ratio);
    json::Value models = json::Value::object();
    size_t r = 0;
    for (size_t m = 0; m < analyses.size(); ++m) {
        json::Value entry = json::Value::object();
        json::Value steps = json::Value::array(), tokens = json::Value::array(), pc1 = json::Value::array(),
                    pc2 = json::Value::array();
        for (size_t s = 0; s < analyses[m].pca_rows.size(); ++s, ++r) {
            steps.push_back(analyses[m].steps[s]);
            tokens.push_back(analyses[m].pca_rows[s].tokens);
            pc1.push_back(result.scores(int64_t(r), 0));
            pc2.push_back(result.scores(int64_t(r), 1));
        }
        entry["steps"] = steps;
        entry["tokens"] = tokens;
        entry["pc1"] = pc1;
        entry["pc2"] = pc2;
        models[names[m]] = entry;
        add_pca_pivot(metrics_dir + "/" + names[m] + "/phase.json", analyses[m], pc1, pc2);
    }
    v["models"] = models;
    json::write_file(metrics_dir + "/pca.json", v);
}

}  // namespace induction
