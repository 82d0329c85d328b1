// analyze.cpp — per-snapshot measurements, phase detection and the metrics files of one model.
#include "analysis/analyze.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "analysis/attribution_metrics.h"
#include "analysis/circuits.h"
#include "analysis/losses.h"
#include "analysis/validation.h"
#include "autograd/var.h"
#include "model/checkpoint.h"
#include "model/file_io.h"
#include "model/safetensors.h"

namespace induction {

namespace {

struct SnapshotMeasurements {
    int64_t step = 0, tokens = 0;
    LossSummary losses;
    IclScore icl;
    LossDerivative derivative;
    HeadScores heads;
    KCompositionTrace kcomp;  // §4.5, weighted by this snapshot's previous-token scores
    SnapshotAttribution attribution;  // §5.4
    std::vector<std::vector<float>> example_losses;  // the first few examples' rows, for token changes
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

json::Value to_json(const RiseWindow& w) {
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
    v["y_first"] = w.y_first;
    v["y_pre"] = w.y_pre;
    v["y_post"] = w.y_post;
    v["frac_in_window"] = w.frac_in_window;
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

// The head that looks most like an induction head at the final snapshot: the highest prefix
// score among heads allowed to be induction heads (layer >= 2 unless smeared, §5.6).
std::pair<int, int> top_prefix_head(const HeadScores& heads, bool smeared) {
    const HeadTable& prefix = heads.prefix_matching;
    std::pair<int, int> best{-1, -1};
    double best_score = -1;
    for (int l = smeared ? 0 : 1; l < prefix.n_layers; ++l)
        for (int h = 0; h < prefix.n_heads; ++h)
            if (prefix.at(l, h) > best_score) {
                best_score = prefix.at(l, h);
                best = {l, h};
            }
    return best;
}

double max_prefix(const HeadScores& heads, bool smeared) {
    auto [l, h] = top_prefix_head(heads, smeared);
    return l < 0 ? 0.0 : heads.prefix_matching.at(l, h);
}

// One head's attention pattern [T, T] on a single sequence (tokens: i32 [1, T]).
Tensor attention_pattern(const Transformer& model, const Tensor& tokens, int layer, int head) {
    NoGrad no_grad;
    Interventions capture;
    capture.capture(Site::PATTERN, layer);
    forward(model, tokens, &capture);
    return capture.captured(Site::PATTERN, layer)[0][head];  // [B, H, T, T] → [T, T]
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

json::Value snapshots_json(const ModelToAnalyze& model, const std::vector<SnapshotMeasurements>& all,
                           const ModelConfig& config, int64_t context) {
    json::Value v = json::Value::object();
    v["model"] = model.name;
    v["description"] = model.description;
    v["config"] = model.config;
    v["n_layers"] = config.n_layers;
    v["n_heads"] = config.n_heads;
    v["context"] = context;
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
        e["prefix_matching"] = to_json(s.heads.prefix_matching);
        e["copying"] = to_json(s.heads.copying);
        json::Value variants = json::Value::object();  // every reading of §3.1 (evaluators.h)
        for (CopyingRatio r : ALL_COPYING_RATIOS)
            variants[copying_ratio_name(r)] = to_json(s.heads.copying_by_ratio[size_t(r)]);
        e["copying_variants"] = variants;
        e["copying_top"] = to_json(s.heads.copying_top);  // rank-based variant (analysis/evaluators.h)
        e["copy_eig"] = to_json(s.heads.copy_eig);        // §4.3, from the weights
        e["previous_token"] = to_json(s.heads.previous_token);
        e["prev_token_kcomp_trace"] = to_json(s.kcomp.trace);  // §4.5
        e["prev_token_kcomp_trace_normalised"] = to_json(s.kcomp.normalised);
        list.push_back(e);
    }
    v["snapshots"] = list;
    return v;
}

// Target #12 of METHODS §9 over every head × snapshot (analysis/validation.h): each copying
// reading against eig_copying, and prefix matching against the §4.5 trace (layers >= 2 only).
json::Value validation_json(const std::vector<SnapshotMeasurements>& all) {
    std::vector<HeadTable> eig, prefix, trace, normalised, top;
    for (const SnapshotMeasurements& s : all) {
        eig.push_back(s.heads.copy_eig);
        prefix.push_back(s.heads.prefix_matching);
        trace.push_back(s.kcomp.trace);
        normalised.push_back(s.kcomp.normalised);
        top.push_back(s.heads.copying_top);
    }
    json::Value copying = json::Value::object();
    for (CopyingRatio r : ALL_COPYING_RATIOS) {
        std::vector<HeadTable> scores;
        for (const SnapshotMeasurements& s : all) scores.push_back(s.heads.copying_by_ratio[size_t(r)]);
        copying[copying_ratio_name(r)] = to_json(snapshot_rank_correlation(scores, eig));
    }
    copying["copying-top"] = to_json(snapshot_rank_correlation(top, eig));
    json::Value v = json::Value::object();
    v["copying_ratio"] = copying_ratio_name(all.back().heads.ratio);
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
                                       "of ../eval_tokens.bin at its random column (../eval_set.json)"}});
}

// What every snapshot's ablations share (§5.4): the mode, the head groups of the final classes
// and the loss-matrix columns the attributions read. The window of §5.5 is filled in later.
AttributionSettings attribution_settings(const ModelConfig& config, const std::vector<HeadClass>& classes,
                                         const AnalysisSetup& setup) {
    AttributionSettings settings;
    settings.mode = setup.ablation_mode;
    settings.n_layers = config.n_layers;
    settings.n_heads = config.n_heads;
    settings.groups = head_groups(classes, config.n_layers, config.n_heads);
    settings.columns = attribution_columns(setup.eval);
    settings.bootstrap_resamples = setup.bootstrap_resamples;
    return settings;
}

}  // namespace

ModelAnalysis analyze_model(const ModelToAnalyze& model, const AnalysisSetup& setup,
                            const std::string& metrics_dir,
                            const std::function<void(int64_t, int64_t)>& progress) {
    check(!model.snapshots.empty(), model.name, ": no snapshots to analyze");
    const std::string dir = metrics_dir + "/" + model.name;
    make_directories(dir);
    const int64_t examples = std::min<int64_t>(setup.token_change_examples, setup.eval.tokens.size(0));
    // The final snapshot's classes (§5.6) decide which heads are ablated together at every snapshot.
    LoadedCheckpoint final_model = load_checkpoint(model.snapshots.back().path);
    const ModelConfig config = final_model.model.config;
    const HeadScores final_heads = evaluate_heads(final_model.model, setup.evaluators);
    const ClassificationRule rule = classification_rule(config);
    const std::vector<HeadClass> classes = classify_heads(final_heads, rule);
    AttributionSettings attribution = attribution_settings(config, classes, setup);
    std::vector<HeadSet> ablated_sets = single_heads(config);
    const size_t n_single = ablated_sets.size();
    for (const HeadGroup& g : attribution.groups) ablated_sets.push_back(g.heads);
    const BootstrapPlan plan =
        make_bootstrap_plan(setup.eval.tokens.size(0), setup.bootstrap_resamples, setup.bootstrap_seed);

    std::vector<SnapshotMeasurements> all;
    ModelAnalysis analysis;
    for (const SnapshotRef& ref : model.snapshots) {
        const bool last_snapshot = &ref == &model.snapshots.back();
        LoadedCheckpoint loaded = last_snapshot ? final_model : load_checkpoint(ref.path);
        SnapshotMeasurements s;
        s.step = ref.step;
        s.tokens = ref.tokens;
        // One clean pass gives the per-token losses and serves every ablation (analysis/ablation.h).
        AblationSweep sweep = ablation_sweep(loaded.model, setup.eval.tokens, attribution.columns.columns,
                                             ablated_sets, setup.ablation_mode, setup.batch_size);
        Tensor losses = sweep.clean.to(DType::F32);
        s.attribution = attribute_snapshot(sweep, attribution.columns, n_single, plan);
        s.attribution.step = ref.step;
        s.attribution.tokens = ref.tokens;
        s.losses = summarize_losses(losses, setup.eval);
        s.icl = icl_score(s.losses.by_position);
        s.derivative = loss_derivative(s.losses.by_position);
        s.heads = last_snapshot ? final_heads : evaluate_heads(loaded.model, setup.evaluators);
        s.kcomp = previous_token_kcomp_trace(circuit_weights(loaded.model), s.heads.previous_token);
        for (int64_t e = 0; e < examples; ++e) {
            const float* row = losses.data<float>() + e * losses.size(1);
            s.example_losses.emplace_back(row, row + losses.size(1));
        }
        analysis.pca_rows.push_back({0, double(ref.tokens), s.losses.random_token_vector});
        analysis.steps.push_back(ref.step);
        all.push_back(std::move(s));
        if (progress) progress(int64_t(all.size()), int64_t(model.snapshots.size()));
    }
    write_random_token_losses(all, dir + "/loss_vectors.safetensors");
    const int64_t context = setup.eval.tokens.size(1);
    json::write_file(dir + "/snapshots.json", snapshots_json(model, all, config, context));
    write_csv_tables(all, dir);

    // The final snapshot's head table and classification (§5.6).
    const SnapshotMeasurements& last = all.back();
    json::write_file(dir + "/heads.json", heads_json(last.heads, classes, rule));
    json::write_file(dir + "/validation.json", validation_json(all));

    // The final snapshot read from its weights (§4).
    json::write_file(dir + "/circuits.json",
                     circuits_json(analyze_circuits(final_model.model, last.heads.previous_token,
                                                    setup.eval.tokens.size(1))));

    // Phase change (§6): ICL per decade, max prefix-matching score, and the loss bump.
    std::vector<double> n, icl, prefix, loss;
    for (const SnapshotMeasurements& s : all) {
        n.push_back(double(s.tokens));
        icl.push_back(s.icl.per_decade);
        prefix.push_back(max_prefix(s.heads, model.smeared));
        loss.push_back(s.losses.mean);
    }
    json::Value phase = json::Value::object();
    phase["window"] = json::Value();
    if (all.size() >= 5) {
        RiseWindowOptions icl_options;
        icl_options.burn_in_fraction = setup.burn_in_fraction;
        RiseWindow icl_window = rise_window(icl, n, icl_options);
        RiseWindowOptions prefix_options = icl_options;
        prefix_options.min_rise = PREFIX_SCORE_MIN_RISE;
        RiseWindow prefix_window = rise_window(prefix, n, prefix_options);
        CombinedWindow combined = combined_window(icl_window, prefix_window, model.schedule_changes);
        analysis.phase_change = icl_window.found && prefix_window.found;
        phase["verdict"] = analysis.phase_change ? "phase change" : "no phase change";
        phase["reason"] = analysis.phase_change ? "" : (!icl_window.found ? "ICL: " + icl_window.reason
                                                                         : "prefix matching: " + prefix_window.reason);
        phase["icl"] = to_json(icl_window);
        if (icl_window.found) {
            attribution.window_start = icl_window.start;
            attribution.window_end = icl_window.end;
        } else {
            attribution.no_window_reason = "no ICL window: " + icl_window.reason;
        }
        phase["prefix"] = to_json(prefix_window);
        phase["midpoint_lag_tokens"] = combined.both_found ? json::Value(combined.lag) : json::Value();
        phase["iou"] = combined.both_found ? json::Value(combined.iou) : json::Value();
        std::optional<TokenInterval> window;
        if (combined.found) {
            window = combined.window;
            auto step_at = [&](double tokens) {
                size_t k = size_t(std::lower_bound(n.begin(), n.end(), tokens) - n.begin());
                return all[std::min(k, all.size() - 1)].step;
            };
            json::Value w = json::Value::object();
            w["start_tokens"] = combined.window.start;
            w["end_tokens"] = combined.window.end;
            w["start_step"] = step_at(combined.window.start);
            w["end_step"] = step_at(combined.window.end);
            phase["window"] = w;
        }
        json::Value changes = json::Value::array();
        for (const ScheduleChange& c : combined.changes_inside) changes.push_back(c.name);
        phase["schedule_changes_in_window"] = changes;
        // Loss bump on x = ln n: the step-0 snapshot (n = 0) is left out.
        std::vector<double> bump_n(n.begin() + 1, n.end()), bump_loss(loss.begin() + 1, loss.end());
        LossBump bump = loss_bump(bump_loss, bump_n, /*log_n=*/true, window);
        phase["loss_bump"] = to_json(bump, bump_n);
    } else {
        phase["verdict"] = "no phase change";
        phase["reason"] = "fewer than 5 snapshots";
        attribution.no_window_reason = "fewer than 5 snapshots";
    }
    json::write_file(dir + "/phase.json", phase);
    std::vector<SnapshotAttribution> attributions;
    for (const SnapshotMeasurements& s : all) attributions.push_back(s.attribution);
    json::write_file(dir + "/ablations.json", ablations_json(attribution, attributions));

    // The top induction head's pattern on a repeated random sequence (§3.2 layout).
    auto [layer, head] = top_prefix_head(last.heads, model.smeared);
    if (layer >= 0) {
        Tensor tokens = setup.evaluators.prefix.slice(0, 1);  // [1, 101]
        Tensor pattern = attention_pattern(final_model.model, tokens, layer, head);  // [T, T]
        json::Value v = json::Value::object();
        v["layer"] = layer;
        v["head"] = head;
        v["prefix_matching"] = last.heads.prefix_matching.at(layer, head);
        json::Value texts = json::Value::array();
        for (int32_t id : tokens.to_ints()) texts.push_back(setup.token_text[size_t(id)]);
        v["tokens"] = texts;
        const int64_t T = pattern.size(0);
        std::vector<double> p = pattern.to_vector();
        json::Value rows = json::Value::array();
        for (int64_t i = 0; i < T; ++i)
            rows.push_back(to_json(std::vector<double>(p.begin() + i * T, p.begin() + (i + 1) * T)));
        v["pattern"] = rows;
        json::write_file(dir + "/induction_pattern.json", v);
    }

    // Which tokens got better across the window ([O] "which tokens" figure).
    if (!phase["window"].is_null()) {
        int64_t start_step = phase["window"]["start_step"].as_int();
        int64_t end_step = phase["window"]["end_step"].as_int();
        auto at_step = [&](int64_t step) -> const SnapshotMeasurements& {
            for (const SnapshotMeasurements& s : all)
                if (s.step == step) return s;
            return all.back();
        };
        const SnapshotMeasurements &before = at_step(start_step), &after = at_step(end_step);
        json::Value v = json::Value::object();
        v["start_step"] = start_step;
        v["end_step"] = end_step;
        json::Value list = json::Value::array();
        for (int64_t e = 0; e < examples; ++e) {
            json::Value example = json::Value::object();
            json::Value texts = json::Value::array(), loss_before = json::Value::array(),
                        loss_after = json::Value::array();
            std::vector<int32_t> ids = setup.eval.tokens[e].to_ints();
            for (size_t k = 0; k < ids.size(); ++k) {
                texts.push_back(setup.token_text[size_t(ids[k])]);
                loss_before.push_back(k == 0 ? json::Value() : json::Value(double(before.example_losses[size_t(e)][k - 1])));
                loss_after.push_back(k == 0 ? json::Value() : json::Value(double(after.example_losses[size_t(e)][k - 1])));
            }
            example["tokens"] = texts;
            example["loss_before"] = loss_before;
            example["loss_after"] = loss_after;
            list.push_back(example);
        }
        v["examples"] = list;
        json::write_file(dir + "/token_changes.json", v);
    }
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
    }
    v["models"] = models;
    json::write_file(metrics_dir + "/pca.json", v);
}

}  // namespace induction
