// lm_bridge.cpp — a clamped and an unclamped language-model run, trained, measured at every
// snapshot and compared (lm_bridge.h).
#include "tools/clamp/lm_bridge.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "analysis/ablation.h"
#include "analysis/attribution.h"
#include "analysis/losses.h"
#include "analysis/report/svg.h"
#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tools/analysis_inputs.h"
#include "tools/format.h"
#include "train/presets.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace induction {

namespace {

// ---- the runs -----------------------------------------------------------------------------------

TrainConfig bridge_config(const LmBridgeOptions& o) {
    TrainConfig c = o.config ? *o.config : find_preset(o.preset).config;
    if (o.steps != -1) {
        c.steps = o.steps;
        c.schedule.total_steps = c.steps;
    }
    c.validate(json::printable_line(c.name));
    check(c.model.n_layers >= 2 && !c.model.smear_keys, c.name,
          ": the bridge needs a model of two or more layers without smeared keys (its induction heads sit "
          "in layers >= 1)");
    return c;
}

json::Value field_value(const json::Value& config, const std::string& field) {
    const size_t dot = field.find('.');
    const json::Value& outer = config.contains(field.substr(0, dot)) ? config.at(field.substr(0, dot)) : json::Value();
    if (dot == std::string::npos) return outer;
    const std::string inner = field.substr(dot + 1);
    return outer.is_object() && outer.contains(inner) ? outer.at(inner) : json::Value();
}

// The first field ("steps", "model.d_model") where two configs differ, or "" when they are equal.
std::string differing_field(const json::Value& a, const json::Value& b) {
    std::vector<std::string> fields;
    for (const json::Value* config : {&a, &b})
        for (const auto& [key, value] : config->members()) {
            if (key != "model" || !value.is_object()) fields.push_back(key);
            else
                for (const auto& [inner, _] : value.members()) fields.push_back("model." + inner);
        }
    for (const std::string& field : fields)
        if (json::dump(field_value(a, field)) != json::dump(field_value(b, field))) return field;
    return "";
}

// A finished run given to be reused must be the run the bridge would train.
void check_reusable(const std::string& dir, TrainConfig expected) {
    const std::string path = dir + "/config.json";
    check(file_exists(path), dir, ": holds snapshots but no config.json; it cannot be reused");
    const TrainConfig stored = TrainConfig::from_json(json::read_file(path), path);
    expected.corpus_dir = std::filesystem::absolute(expected.corpus_dir).lexically_normal().string();
    const json::Value a = stored.to_json(), b = expected.to_json();
    const std::string field = differing_field(a, b);
    check(field.empty(), path, ": field '", field, "' is ", json::dump(field_value(a, field)), " where the bridge's ",
          expected.name, " run has ", json::dump(field_value(b, field)),
          "; give an unclamped run of the same preset and steps, or none (it is then trained)");
}

// Trains config into dir, resuming an interrupted run; a finished run is left as it is (train()
// checks that its config is this one). True when the run was finished already.
bool ensure_trained(const TrainConfig& config, const std::string& dir, const LmBridgeOptions& o) {
    const bool finished = file_exists(snapshot_path(dir, config.steps));
    TrainOptions t;
    t.out_dir = dir;
    t.resume = file_exists(dir + "/snapshots/resume.safetensors");
    t.threads = o.threads;
    t.quiet = o.quiet;
    t.corpus_sources = o.corpus_sources;
    t.corpus_root = o.corpus_root;
    train(config, t);
    return finished;
}

LmBridgeRun prepare_run(const std::string& name, const std::string& dir, const TrainConfig& config,
                        const LmBridgeOptions& o, bool check_reuse) {
    if (check_reuse && file_exists(snapshot_path(dir, config.steps))) check_reusable(dir, config);
    LmBridgeRun run;
    run.name = name;
    run.run_dir = dir;
    run.clamps = config.clamps;
    run.tokens_per_step = config.tokens_per_step();
    run.reused = ensure_trained(config, dir, o);
    return run;
}

// ---- measuring ----------------------------------------------------------------------------------

// A pattern x: [B, H, T, T] with previous-token clamp c of strength s applied, as model/clamp.cpp
// applies it: where(mask of c's heads and rows, the §8.6 pattern, x).
Var previous_token_clamped(const Clamp& c, double s, const Var& x) {
    const int64_t H = x.size(1), T = x.size(2);
    std::vector<double> pattern(size_t(T * T), 0.0), mask(size_t(H * T * T), 0.0);
    pattern[0] = 1.0;
    for (int64_t p = 1; p < T; ++p) {
        pattern[size_t(p * T + p - 1)] = s;
        pattern[size_t(p * T + p)] = 1.0 - s;
    }
    for (int64_t h = 0; h < H; ++h) {
        if (!c.heads.empty() && std::count(c.heads.begin(), c.heads.end(), int(h)) == 0) continue;
        for (int64_t p = 0; p < T; ++p)
            if (c.positions.empty() || std::count(c.positions.begin(), c.positions.end(), int(p)))
                std::fill_n(mask.begin() + (h * T + p) * T, T, 1.0);
    }
    const Tensor value = broadcast_to(Tensor::from_vector({1, 1, T, T}, pattern, x.dtype()), x.shape());
    const Tensor where_mask = broadcast_to(Tensor::from_vector({1, H, T, T}, mask, x.dtype()), x.shape());
    return where(where_mask.to(DType::I32), Var(value), x);
}

// Per-token losses [N, T-1] (f32) of tokens with the clamps active at `step`.
Tensor token_losses(const Transformer& model, const Tensor& tokens, const ClampSchedule& clamps, int64_t step,
                    int64_t batch_size) {
    if (clamps.empty()) return per_token_losses(model, tokens, batch_size);
    const int64_t N = tokens.size(0), T = tokens.size(1);
    Tensor losses = Tensor::empty({N, T - 1}, DType::F32);
    NoGrad no_grad;
    for (int64_t begin = 0; begin < N; begin += batch_size) {
        const int64_t end = std::min(N, begin + batch_size);
        const Tensor rows = tokens.slice(begin, end);
        const Tensor batch = next_token_losses(lm_forward(model, rows, clamps, step), rows).value().to(DType::F32);
        std::memcpy(losses.slice(begin, end).raw_data(), batch.raw_data(), batch.nbytes());
    }
    return losses;
}

// Band ICL [OURS] of a loss matrix over its windows: the mean of the per-window readings.
double band_icl(const Tensor& losses, const AttributionColumns& columns) {
    const std::vector<double> band = read_examples(pick_columns(losses, columns.columns), columns).icl_band;
    double total = 0;
    for (double x : band) total += x;
    return total / double(band.size());
}

// What every snapshot is measured on: the analysis's curve windows and evaluator examples.
struct BridgeInputs {
    const AnalysisSetup& setup;
    EvalSet curve;
    AttributionColumns columns;
};

void measure_snapshot(LmBridgeRun& run, const Transformer& model, int64_t step, const BridgeInputs& in) {
    const Tensor losses = token_losses(model, in.curve.tokens, run.clamps, step, in.setup.batch_size);
    run.loss.push_back(summarize_losses(losses, in.curve).mean);
    run.icl_band.push_back(band_icl(losses, in.columns));
    const Tensor& prefix = in.setup.evaluators.prefix;
    run.prefix_bare.push_back(prefix_matching_score(model, prefix));
    run.prefix.push_back(run.clamps.empty() ? run.prefix_bare.back()
                                            : prefix_matching_score(model, prefix,
                                                                    pattern_clamp_interventions(run.clamps, step,
                                                                                                model.config.n_layers)));
    run.previous_token.push_back(previous_token_score(model, in.setup.evaluators.previous_token));
}

// The final snapshot on the first `examples` windows: loss and ICL with the clamps, and bare.
void measure_final(LmBridgeRun& run, const Transformer& model, int64_t step, const AnalysisSetup& setup,
                   int64_t examples) {
    const EvalSet eval = leading_rows(setup.eval, examples);
    const AttributionColumns columns = attribution_columns(eval);
    const Tensor losses = token_losses(model, eval.tokens, run.clamps, step, setup.batch_size);
    const LossSummary summary = summarize_losses(losses, eval);
    const IclScore icl = icl_score(summary.by_position);
    run.final_loss = summary.mean;
    run.final_icl_score = icl.score;
    run.final_icl_per_decade = icl.per_decade;
    run.final_icl_band = band_icl(losses, columns);
    if (run.clamps.empty()) return;
    const Tensor bare = per_token_losses(model, eval.tokens, setup.batch_size);
    run.final_loss_bare = summarize_losses(bare, eval).mean;
    run.final_icl_band_bare = band_icl(bare, columns);
}

void measure_run(LmBridgeRun& run, const AnalysisSetup& setup, const LmBridgeOptions& o) {
    const EvalSet curve = leading_rows(setup.eval, o.curve_examples);
    const BridgeInputs in{setup, curve, attribution_columns(curve)};
    const std::vector<int64_t> steps = list_snapshots(run.run_dir);
    check(!steps.empty(), run.run_dir, ": no snapshots to measure");
    Progress progress("lm-bridge: measure " + run.name, int64_t(steps.size()), o.quiet);
    for (int64_t step : steps) {
        const LoadedCheckpoint snapshot = load_checkpoint(snapshot_path(run.run_dir, step));
        run.steps.push_back(step);
        run.tokens.push_back(double(step * run.tokens_per_step));
        measure_snapshot(run, snapshot.model, step, in);
        if (step == steps.back()) {
            const std::string loss = snapshot.get("train_loss");
            if (!loss.empty()) run.final_train_loss = std::strtod(loss.c_str(), nullptr);
            measure_final(run, snapshot.model, step, setup, o.final_examples);
        }
        progress.update(int64_t(run.steps.size()), "snapshots");
    }
    progress.finish(std::to_string(steps.size()) + " snapshots");
}

// ---- over training ------------------------------------------------------------------------------

double best_prefix(const HeadTable& prefix) {
    double best = 0;
    for (int l = 1; l < prefix.n_layers; ++l)
        for (int h = 0; h < prefix.n_heads; ++h) best = std::max(best, prefix.at(l, h));
    return best;
}

// The best head of the table within layers [first, last].
HeadId best_head(const HeadTable& table, int first, int last) {
    HeadId best{first, 0};
    for (int l = first; l <= last; ++l)
        for (int h = 0; h < table.n_heads; ++h)
            if (table.at(l, h) > table.at(best.layer, best.head)) best = {l, h};
    return best;
}

std::optional<int64_t> first_step_above(const std::vector<HeadTable>& series, HeadId head, double threshold,
                                        const std::vector<int64_t>& steps) {
    for (size_t k = 0; k < series.size(); ++k)
        if (series[k].at(head.layer, head.head) > threshold) return steps[k];
    return std::nullopt;
}

void find_heads(LmBridgeRun& run, double threshold) {
    const HeadTable& last = run.prefix.back();
    run.induction_head = best_head(last, 1, last.n_layers - 1);
    run.final_prefix = last.at(run.induction_head.layer, run.induction_head.head);
    run.final_prefix_bare = run.prefix_bare.back().at(run.induction_head.layer, run.induction_head.head);
    run.prefix_above_step = first_step_above(run.prefix, run.induction_head, threshold, run.steps);
    run.prefix_bare_above_step = first_step_above(run.prefix_bare, run.induction_head, threshold, run.steps);
    run.previous_token_head = best_head(run.previous_token.back(), 0, 0);
    run.final_previous_token = run.previous_token.back().at(0, run.previous_token_head.head);
}

// §6 as `induction analyze` reads it (analysis/analyze.cpp), without a control model: the burn-in
// is 5% of training or the warm-up, whichever is longer; band ICL is smoothed over a median of 9
// and a mean of 5 snapshots and its largest step is the window; prefix matching keeps §6.1's 5 and 3.
void detect_phase(LmBridgeRun& run, const TrainConfig& config) {
    const std::vector<double>& n = run.tokens;
    run.burn_in_tokens = std::max(0.05 * n.back(), double(config.schedule.warmup_steps * run.tokens_per_step));
    if (n.size() < 5) {
        run.window.reason = run.icl_window.reason = run.prefix_window.reason = "fewer than 5 snapshots";
        return;
    }
    RiseWindowOptions icl_options;
    icl_options.step_choice = RiseWindowOptions::StepChoice::LARGEST_RISE;
    icl_options.burn_in_fraction = 0;
    icl_options.burn_in_tokens = run.burn_in_tokens;
    icl_options.median_half_width = 4;
    icl_options.mean_half_width = 2;
    RiseWindowOptions prefix_options = icl_options;
    prefix_options.min_rise = PREFIX_SCORE_MIN_RISE;
    prefix_options.median_half_width = RiseWindowOptions{}.median_half_width;
    prefix_options.mean_half_width = RiseWindowOptions{}.mean_half_width;
    std::vector<double> prefix;
    for (const HeadTable& table : run.prefix) prefix.push_back(best_prefix(table));
    std::vector<ScheduleChange> changes;
    for (const Schedule::ChangePoint& change : config.schedule.change_points())
        changes.push_back({change.what + " at step " + std::to_string(change.step),
                           double(change.step * run.tokens_per_step)});
    run.icl_window = rise_window(run.icl_band, n, icl_options);
    run.prefix_window = rise_window(prefix, n, prefix_options);
    run.window = combined_window(run.icl_window, run.prefix_window, changes);
    run.phase_change = run.icl_window.found && run.prefix_window.found;
}

// ---- JSON ---------------------------------------------------------------------------------------

json::Value number_or_null(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }
json::Value step_or_null(const std::optional<int64_t>& step) { return step ? json::Value(*step) : json::Value(); }

std::string head_text(HeadId head) { return "L" + std::to_string(head.layer) + "H" + std::to_string(head.head); }

json::Value head_json(HeadId head) {
    json::Value v = json::Value::object();
    v["layer"] = head.layer;
    v["head"] = head.head;
    return v;
}

// [[head values] per layer] per snapshot
json::Value tables_json(const std::vector<HeadTable>& tables) {
    json::Value all = json::Value::array();
    for (const HeadTable& t : tables) {
        json::Value layers = json::Value::array();
        for (int l = 0; l < t.n_layers; ++l) {
            json::Value row = json::Value::array();
            for (int h = 0; h < t.n_heads; ++h) row.push_back(number_or_null(t.at(l, h)));
            layers.push_back(row);
        }
        all.push_back(layers);
    }
    return all;
}

template <class T>
json::Value list_json(const std::vector<T>& values) {
    json::Value a = json::Value::array();
    for (T x : values) a.push_back(number_or_null(double(x)));
    return a;
}

json::Value window_json(const RiseWindow& w, const LmBridgeRun& run) {
    json::Value v = json::Value::object();
    v["found"] = w.found;
    v["reason"] = w.reason;
    if (!w.smoothed.empty()) {
        v["start_step"] = run.step_of(w.n_start);
        v["peak_step"] = run.step_of(w.n_peak);  // the steepest rise: the midpoint of the rise
        v["end_step"] = run.step_of(w.n_end);
        v["y_pre"] = w.y_pre;
        v["y_post"] = w.y_post;
        v["frac_in_window"] = number_or_null(w.frac_in_window);
        v["multi_step"] = w.multi_step;
        json::Value fit = json::Value::object();
        fit["converged"] = w.logistic.converged;
        fit["mid_step"] = number_or_null(run.step_of(w.logistic.x_mid));
        fit["start_step"] = number_or_null(run.step_of(w.logistic.n_start));
        fit["end_step"] = number_or_null(run.step_of(w.logistic.n_end));
        v["logistic"] = fit;
    }
    return v;
}

json::Value combined_json(const LmBridgeRun& run) {
    const CombinedWindow& w = run.window;
    json::Value v = json::Value::object();
    v["found"] = w.found;
    v["both_found"] = w.both_found;
    v["reason"] = w.reason;
    v["start_step"] = w.found ? json::Value(run.step_of(w.window.start)) : json::Value();
    v["end_step"] = w.found ? json::Value(run.step_of(w.window.end)) : json::Value();
    v["lag_steps"] = w.both_found ? json::Value(run.step_of(w.lag)) : json::Value();
    v["iou"] = w.both_found ? json::Value(w.iou) : json::Value();
    json::Value changes = json::Value::array();
    for (const ScheduleChange& c : w.changes_inside) changes.push_back(c.name);
    v["schedule_changes_inside"] = changes;
    return v;
}

json::Value final_json(const LmBridgeRun& run) {
    json::Value v = json::Value::object();
    v["train_loss"] = number_or_null(run.final_train_loss);
    v["loss"] = number_or_null(run.final_loss);
    v["icl_score"] = number_or_null(run.final_icl_score);
    v["icl_per_decade"] = number_or_null(run.final_icl_per_decade);
    v["icl_band"] = number_or_null(run.final_icl_band);
    v["loss_bare"] = number_or_null(run.final_loss_bare);
    v["icl_band_bare"] = number_or_null(run.final_icl_band_bare);
    return v;
}

json::Value snapshots_json(const LmBridgeRun& run) {
    json::Value v = json::Value::object();
    v["steps"] = list_json(run.steps);
    v["tokens"] = list_json(run.tokens);
    v["loss"] = list_json(run.loss);
    v["icl_band"] = list_json(run.icl_band);
    v["prefix_matching"] = tables_json(run.prefix);
    v["prefix_matching_bare"] = tables_json(run.prefix_bare);
    v["previous_token_bare"] = tables_json(run.previous_token);
    return v;
}

// ---- CSV and figure -----------------------------------------------------------------------------

// One run's columns of lm_bridge.csv: header cells, and the cells of snapshot k.
std::vector<std::string> csv_header(const LmBridgeRun& run) {
    std::vector<std::string> header = {run.name + "_loss", run.name + "_icl_band"};
    const HeadTable& t = run.prefix.front();
    const bool bare = !run.clamps.empty();
    for (const char* kind : {"prefix", "prefix_bare"}) {
        if (std::string(kind) == "prefix_bare" && !bare) continue;
        for (int l = 1; l < t.n_layers; ++l)
            for (int h = 0; h < t.n_heads; ++h)
                header.push_back(run.name + "_" + kind + "_L" + std::to_string(l) + "H" + std::to_string(h));
    }
    for (int h = 0; h < t.n_heads; ++h) header.push_back(run.name + "_previous_token_L0H" + std::to_string(h));
    return header;
}

std::vector<double> csv_cells(const LmBridgeRun& run, size_t k) {
    std::vector<double> cells = {run.loss[k], run.icl_band[k]};
    const bool bare = !run.clamps.empty();
    for (const std::vector<HeadTable>* series : {&run.prefix, &run.prefix_bare}) {
        if (series == &run.prefix_bare && !bare) continue;
        const HeadTable& t = (*series)[k];
        for (int l = 1; l < t.n_layers; ++l)
            for (int h = 0; h < t.n_heads; ++h) cells.push_back(t.at(l, h));
    }
    for (int h = 0; h < run.previous_token[k].n_heads; ++h) cells.push_back(run.previous_token[k].at(0, h));
    return cells;
}

std::string bridge_csv(const LmBridgeRun& a, const LmBridgeRun& b) {
    const std::vector<std::string> header_a = csv_header(a), header_b = csv_header(b);
    std::map<int64_t, std::pair<double, std::vector<std::string>>> rows;  // step → tokens, cells ("": none)
    for (const LmBridgeRun* run : {&a, &b})
        for (size_t k = 0; k < run->steps.size(); ++k) {
            auto& [tokens, cells] = rows[run->steps[k]];
            tokens = run->tokens[k];
            cells.resize(header_a.size() + header_b.size());
            const std::vector<double> values = csv_cells(*run, k);
            for (size_t i = 0; i < values.size(); ++i) {
                std::ostringstream cell;
                cell.precision(6);
                if (std::isfinite(values[i])) cell << values[i];
                cells[(run == &a ? 0 : header_a.size()) + i] = cell.str();
            }
        }
    std::string out = "step,tokens";
    for (const std::vector<std::string>* header : {&header_a, &header_b})
        for (const std::string& name : *header) out += "," + name;
    out += "\n";
    for (const auto& [step, row] : rows) {
        out += std::to_string(step) + "," + std::to_string(int64_t(row.first));
        for (const std::string& cell : row.second) out += "," + cell;
        out += "\n";
    }
    return out;
}

void add_run(svg::Figure& figure, const LmBridgeRun& run, const std::string& color, bool bare) {
    std::vector<double> x, y;
    const std::vector<HeadTable>& series = bare ? run.prefix_bare : run.prefix;
    for (size_t k = 0; k < run.steps.size(); ++k) {
        x.push_back(double(run.steps[k]));
        y.push_back(series[k].at(run.induction_head.layer, run.induction_head.head));
    }
    svg::Line line;
    line.x = x;
    line.y = y;
    line.color = color;
    line.label = run.name + " " + head_text(run.induction_head) + (bare ? " without its clamp" : "");
    line.dashed = bare;
    line.width = bare ? 1.2 : 1.8;
    figure.add(line);
    if (bare || !run.phase_change) return;  // shaded only where §6 finds a phase change, as in the report
    svg::Band band;
    band.start = run.step_of(run.window.window.start);
    band.end = run.step_of(run.window.window.end);
    band.color = color;
    band.opacity = 0.15;
    band.tooltip = run.name + " phase-change window";
    figure.add(band);
}

// ---- summary ------------------------------------------------------------------------------------

std::string step_text(const std::optional<int64_t>& step) { return step ? std::to_string(*step) : "never"; }
std::string peak_text(const LmBridgeRun& run) {
    return run.prefix_window.found ? number_text(run.step_of(run.prefix_window.n_peak), "%.0f") : "none";
}
std::string window_text(const LmBridgeRun& run) {
    if (!run.phase_change) return run.icl_window.found ? "none (ICL only)" : "none";
    return number_text(run.step_of(run.window.window.start), "%.0f") + "-" +
           number_text(run.step_of(run.window.window.end), "%.0f");
}

}  // namespace

// ---- public -------------------------------------------------------------------------------------

Interventions pattern_clamp_interventions(const ClampSchedule& schedule, int64_t step, int n_layers) {
    Interventions interventions;
    for (size_t i = 0; i < schedule.clamps.size(); ++i) {
        const Clamp& c = schedule.clamps[i];
        if (!c.active_at(step)) continue;
        check(c.site == Site::PATTERN && c.value.kind == ClampValueKind::PREVIOUS_TOKEN && c.mask.empty(),
              "clamps[", i, "]: the bridge measures with previous-token pattern clamps only (without an element "
              "mask), got a '", clamp_value_name(c.value.kind), "' value at site '", clamp_site_name(c.site), "'");
        const double progress =
            c.ramp_steps > 0 ? std::clamp(double(step - c.first_step) / double(c.ramp_steps), 0.0, 1.0) : 1.0;
        const double strength = c.ramp_from + (c.value.strength - c.ramp_from) * progress;
        std::vector<int> layers = c.layers;
        if (layers.empty())
            for (int l = 0; l < n_layers; ++l) layers.push_back(l);
        for (int layer : layers)
            interventions.transform(Site::PATTERN, layer,
                                    [c, strength](const Var& x) { return previous_token_clamped(c, strength, x); });
    }
    return interventions;
}

std::string lm_bridge_svg(const LmBridgeResult& r) {
    svg::Figure figure(760, 400);
    figure.title = r.preset + ": strongest induction head, " + head_text(r.clamped) +
                   " clamped to previous-token attention or not";
    figure.x.label = "training step";
    figure.y.label = "prefix matching (§3.2)";
    figure.y.min = 0;
    figure.y.max = 1;
    add_run(figure, r.unclamped, "#4e79a7", false);
    add_run(figure, r.clamped_run, "#e15759", false);
    add_run(figure, r.clamped_run, "#e15759", true);
    figure.add(svg::HLine{r.threshold});
    return figure.render();
}

json::Value LmBridgeRun::to_json() const {
    json::Value v = json::Value::object();
    v["name"] = name;
    v["run_dir"] = run_dir;
    v["reused"] = reused;
    v["clamps"] = clamps.to_json();
    v["tokens_per_step"] = tokens_per_step;
    v["induction_head"] = head_json(induction_head);
    v["final_prefix"] = number_or_null(final_prefix);
    v["final_prefix_bare"] = number_or_null(final_prefix_bare);
    v["prefix_above_threshold_step"] = step_or_null(prefix_above_step);
    v["prefix_bare_above_threshold_step"] = step_or_null(prefix_bare_above_step);
    v["previous_token_head"] = head_json(previous_token_head);
    v["final_previous_token"] = number_or_null(final_previous_token);
    v["burn_in_steps"] = step_of(burn_in_tokens);
    v["phase_change"] = phase_change;
    v["prefix_window"] = window_json(prefix_window, *this);
    v["icl_window"] = window_json(icl_window, *this);
    v["window"] = combined_json(*this);
    v["final"] = final_json(*this);
    v["snapshots"] = snapshots_json(*this);
    return v;
}

json::Value LmBridgeResult::to_json() const {
    json::Value v = json::Value::object();
    v["preset"] = preset;
    v["steps"] = steps;
    v["clamped_head"] = head_json(clamped);
    v["clamp"] = "previous-token attention pattern, strength 1, every step from 0 (METHODS §8.6)";
    v["threshold"] = threshold;
    v["measured"] = "as trained (clamps active); '_bare': the weights alone, without the clamps; previous-token "
                    "scores on the bare weights; windows of §6 without a control model";
    auto delta = [](const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
        return a && b ? json::Value(*b - *a) : json::Value();
    };
    json::Value comparison = json::Value::object();
    comparison["prefix_above_threshold_step_delta"] = delta(unclamped.prefix_above_step, clamped_run.prefix_above_step);
    comparison["prefix_rise_peak_step_delta"] =
        unclamped.prefix_window.found && clamped_run.prefix_window.found
            ? json::Value(clamped_run.step_of(clamped_run.prefix_window.n_peak) -
                          unclamped.step_of(unclamped.prefix_window.n_peak))
            : json::Value();
    v["comparison"] = comparison;  // clamped minus unclamped, in steps (negative: the clamped run is earlier)
    json::Value runs = json::Value::object();
    runs["unclamped"] = unclamped.to_json();
    runs["clamped"] = clamped_run.to_json();
    v["runs"] = runs;
    json::Value files = json::Value::object();
    files["json"] = json_path;
    files["csv"] = csv_path;
    files["svg"] = svg_path;
    v["files"] = files;
    return v;
}

std::string LmBridgeResult::summary() const {
    const LmBridgeRun& a = unclamped;
    const LmBridgeRun& b = clamped_run;
    char line[256];
    std::string text = "lm-bridge " + preset + " (" + std::to_string(steps) + " steps): " + head_text(clamped) +
                       " clamped to previous-token attention from step 0\n";
    auto row = [&](const char* what, const std::string& x, const std::string& y) {
        std::snprintf(line, sizeof line, "  %-34s %14s %14s\n", what, x.c_str(), y.c_str());
        text += line;
    };
    row("", "unclamped", "clamped");
    row("strongest induction head", head_text(a.induction_head), head_text(b.induction_head));
    row(("prefix > " + number_text(threshold, "%.1f") + " from step").c_str(), step_text(a.prefix_above_step),
        step_text(b.prefix_above_step));
    row("prefix rise: steepest at step", peak_text(a), peak_text(b));
    row("phase-change window (steps)", window_text(a), window_text(b));
    row("final prefix matching", number_text(a.final_prefix), number_text(b.final_prefix));
    row("  without the clamp", "", number_text(b.final_prefix_bare));
    auto previous_token = [](const LmBridgeRun& run) {
        return head_text(run.previous_token_head) + " " + number_text(run.final_previous_token, "%.2f");
    };
    row("best layer-0 previous-token head", previous_token(a), previous_token(b));
    row("final loss (held-out)", number_text(a.final_loss), number_text(b.final_loss));
    row("  without the clamp", "", number_text(b.final_loss_bare));
    row("final ICL (band, nats/decade)", number_text(a.final_icl_band), number_text(b.final_icl_band));
    row("  without the clamp", "", number_text(b.final_icl_band_bare));
    text += "  data: " + json_path + ", " + csv_path + ", " + svg_path + "\n";
    return text;
}

LmBridgeResult run_lm_bridge(const LmBridgeOptions& o) {
    check(!o.out_dir.empty(), "lm-bridge: no output directory given");
    const TrainConfig plain = bridge_config(o);
    TrainConfig clamped = plain;
    clamped.clamps = previous_token_clamp(o.clamped, 1.0);
    clamped.validate(json::printable_line(plain.name) + " with the bridge's clamp");  // before any training
    make_directories(o.out_dir);
    LmBridgeResult r;
    r.preset = plain.name;
    r.steps = plain.steps;
    r.clamped = o.clamped;
    r.threshold = ClassificationRule{}.prefix_threshold;
    const std::string unclamped_dir = o.unclamped_run.empty() ? o.out_dir + "/unclamped" : o.unclamped_run;
    r.unclamped = prepare_run("unclamped", unclamped_dir, plain, o, !o.unclamped_run.empty());
    r.clamped_run = prepare_run("clamped", o.out_dir + "/clamped", clamped, o, false);

    cpu::set_max_threads(o.threads);
    const std::string config_path = unclamped_dir + "/config.json";
    const TrainConfig stored = TrainConfig::from_json(json::read_file(config_path), config_path);
    const AnalysisSetup setup = make_analysis_setup(read_corpus_info(stored.corpus_dir), plain.context, {});
    for (LmBridgeRun* run : {&r.unclamped, &r.clamped_run}) {
        measure_run(*run, setup, o);
        find_heads(*run, r.threshold);
        detect_phase(*run, run == &r.unclamped ? plain : clamped);
    }
    r.json_path = o.out_dir + "/lm_bridge.json";
    r.csv_path = o.out_dir + "/lm_bridge.csv";
    r.svg_path = o.out_dir + "/lm_bridge.svg";
    write_file_atomic(r.csv_path, bridge_csv(r.unclamped, r.clamped_run));
    write_file_atomic(r.svg_path, lm_bridge_svg(r));
    json::write_file(r.json_path, r.to_json());
    return r;
}

}  // namespace induction
