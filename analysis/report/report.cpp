// report.cpp — the HTML report of report.h: reads the metrics files (analysis/metrics_schema.md) and
// lays out a summary against the paper's values (METHODS §9; the final ICL with its intervals, and
// the phase detector's readings of §6: frac_in_window, burn-in, loss bumps, PCA pivot), [O]'s Model
// Analysis Table (one column per model: the snapshot slider of slider.h, PCA §7 with its
// pivot, loss §2.4, ICL heatmap §2.4, derivative §2.5, ICL score §2.6 with [O]'s and the [OURS]
// band-averaged ICL and their 95% intervals, head scores §3, σ(α) of smeared keys §1.6, the
// previous-token K-composition trace §4.5, the ablation attributions §5.4–§5.5 of ablations.json,
// all with the §6 phase-change window and the slider's cursor on every plot over training tokens)
// and per-model details (head table, the top
// induction head's pattern, the tokens that changed across the window, [O]'s Argument 3: the ICL
// left when each head group is ablated, the final snapshot's circuits from circuits.json: OV
// eigenvalues §4.3, composition §4.6, singular values; and the evaluators against the weight-based
// measures over training, §9 target 12, with validation.json's rank correlations).
#include "analysis/report/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numbers>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/report/slider.h"
#include "analysis/report/svg.h"
#include "analysis/report/text.h"
#include "model/io/csv.h"
#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tensor/error.h"

namespace induction {

namespace {

using report_text::fixed;
using report_text::interval_text;
using report_text::note;
using report_text::tokens_text;
using report_text::visible_token;
using svg::escape;

// ---- reading the metrics files ----------------------------------------------------------------

// A JSON number, or NaN for null (the schema's missing value).
double number_or_nan(const json::Value& value) { return value.is_null() ? NAN : value.as_number(); }

// object[key] as a number; NaN when the key is missing or null.
double field(const json::Value& object, const std::string& key) {
    if (!object.is_object() || !object.contains(key)) return NAN;
    return number_or_nan(object.at(key));
}

// file["snapshots"] (snapshots.json, ablations.json); none without the file.
const std::vector<json::Value>& snapshots_of(const std::optional<json::Value>& file) {
    static const std::vector<json::Value> none;
    return file ? file->at("snapshots").as_array() : none;
}

// snapshots[s][key] for every snapshot (NaN where missing).
std::vector<double> series(const std::vector<json::Value>& snapshots, const std::string& key) {
    std::vector<double> out;
    for (const json::Value& s : snapshots) out.push_back(field(s, key));
    return out;
}

std::vector<double> numbers(const json::Value& array) {
    std::vector<double> out;
    for (const json::Value& v : array.as_array()) out.push_back(number_or_nan(v));
    return out;
}

std::optional<json::Value> read_json_if_present(const std::string& path) {
    if (!file_exists(path)) return std::nullopt;
    return json::read_file(path);
}

// phase.json "window".
struct Window {
    double start_tokens = 0, end_tokens = 0, start_step = 0, end_step = 0;
};

// Everything the report reads about one model; absent files stay empty.
struct ModelMetrics {
    std::string name;
    std::string dir;  // DIR/metrics/<name>
    std::optional<json::Value> snapshots, heads, phase, pattern, token_changes, circuits, validation, ablations,
        head_patterns;
    std::optional<csv::Table> loss_by_position, loss_derivative;

    const std::vector<json::Value>& snapshot_list() const { return snapshots_of(snapshots); }
    const std::vector<json::Value>& ablation_list() const { return snapshots_of(ablations); }
    // One value per snapshot of snapshots.json (NaN where missing).
    std::vector<double> series(const std::string& key) const { return induction::series(snapshot_list(), key); }
    std::optional<Window> window() const {
        if (!phase || !phase->contains("window") || phase->at("window").is_null()) return std::nullopt;
        const json::Value& w = phase->at("window");
        return Window{w.at("start_tokens").as_number(), w.at("end_tokens").as_number(),
                      field(w, "start_step"), field(w, "end_step")};
    }
    // Tokens on a log axis when the phase detector used x = ln n (exponentially spaced snapshots).
    bool log_tokens() const {
        return phase && phase->contains("icl") && phase->at("icl").is_object() &&
               phase->at("icl").get<bool>("log_n", false);
    }
    std::string description() const { return snapshots ? snapshots->get("description", "") : ""; }
    std::string verdict() const { return phase ? phase->get("verdict", "") : ""; }
    // phase.json[key] when it is an object (loss_bump, burn_in, pca_pivot, ...), else nullptr.
    const json::Value* phase_object(const std::string& key) const {
        if (!phase || !phase->contains(key) || !phase->at(key).is_object()) return nullptr;
        return &phase->at(key);
    }
};

struct RunMetrics {
    std::string name;
    json::Value eval = json::Value::object();  // run.json "eval"
    std::string reference;                     // run.json "phase_reference" ("" when none)
    std::vector<ModelMetrics> models;          // report column order
    std::optional<json::Value> pca;

    const ModelMetrics* find(const std::string& model) const {
        for (const ModelMetrics& m : models)
            if (m.name == model) return &m;
        return nullptr;
    }
    int icl_lo() const { return eval.get<int>("icl_lo", 50); }
    int icl_hi() const { return eval.get<int>("icl_hi", 500); }
};

RunMetrics read_run(const std::string& run_dir) {
    std::string metrics = run_dir + "/metrics";
    std::string run_path = metrics + "/run.json";
    check(file_exists(run_path), "report: ", run_path,
          " not found (write the metrics first: induction analyze ", run_dir, ")");
    json::Value run_json = json::read_file(run_path);
    RunMetrics run;
    try {
        run.name = run_json.get("name", "");
        if (run_json.contains("eval") && run_json.at("eval").is_object()) run.eval = run_json.at("eval");
        if (run_json.contains("phase_reference") && run_json.at("phase_reference").is_string())
            run.reference = run_json.at("phase_reference").as_string();
        for (const json::Value& name : run_json.at("models").as_array()) {
            ModelMetrics m;
            m.name = name.as_string();
            m.dir = metrics + "/" + m.name;
            run.models.push_back(std::move(m));
        }
    } catch (const Error& e) {
        json::fail_in_file(run_path, e);
    }
    for (ModelMetrics& m : run.models) {
        m.snapshots = read_json_if_present(m.dir + "/snapshots.json");
        m.heads = read_json_if_present(m.dir + "/heads.json");
        m.phase = read_json_if_present(m.dir + "/phase.json");
        m.pattern = read_json_if_present(m.dir + "/induction_pattern.json");
        m.token_changes = read_json_if_present(m.dir + "/token_changes.json");
        m.circuits = read_json_if_present(m.dir + "/circuits.json");
        m.validation = read_json_if_present(m.dir + "/validation.json");
        m.ablations = read_json_if_present(m.dir + "/ablations.json");
        m.head_patterns = read_json_if_present(m.dir + "/head_patterns.json");
        m.loss_by_position = csv::read_file_if_present(m.dir + "/loss_by_position.csv");
        m.loss_derivative = csv::read_file_if_present(m.dir + "/loss_derivative.csv");
    }
    run.pca = read_json_if_present(metrics + "/pca.json");
    return run;
}

// ---- small formatting helpers -----------------------------------------------------------------

// A JSON [lo, hi] interval (null bounds as NaN).
std::pair<double, double> bounds(const json::Value& interval) {
    std::vector<double> lo_hi = numbers(interval);
    check(lo_hi.size() == 2, "an interval is not [lo, hi]");
    return {lo_hi[0], lo_hi[1]};
}

// "0.189 [-0.087, 0.447]": a value with its 95% interval (JSON [lo, hi]); "—" when the value is missing.
std::string with_interval(double value, const json::Value& interval) {
    if (!std::isfinite(value)) return "—";
    auto [lo, hi] = bounds(interval);
    return interval_text(value, lo, hi);
}

// ablations.json's share of the clean ICL amount removed ({"value", "ci"}) as a percentage with its
// interval, "128% (71–183%)"; "—" when null (the clean amount is not positive).
std::string share_text(const json::Value& share) {
    double value = field(share, "value");
    if (!std::isfinite(value)) return "—";
    auto [lo, hi] = bounds(share.at("ci"));
    std::string text = fixed(100 * value, 0) + "%";
    // No interval: some bootstrap resamples have no clean ICL to remove (analysis/attribution.h).
    if (!std::isfinite(lo) || !std::isfinite(hi)) return text + " (unbounded)";
    return text + " (" + fixed(100 * lo, 0) + (lo < 0 ? " to " : "–") + fixed(100 * hi, 0) + "%)";
}

// An HTML id made of [a-z0-9-].
std::string anchor(const std::string& model) {
    std::string id = "model-";
    for (char c : model) id += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
    return id;
}

// ---- figures of the Model Analysis Table ------------------------------------------------------

constexpr int FIGURE_WIDTH = 300;
constexpr int FIGURE_HEIGHT = 210;
const char* MODEL_COLOR = "#1f77b4";
const char* ICL_AMOUNT_COLOR = "#2ca02c";
const char* ICL_BAND_COLOR = "#9467bd";  // [OURS] band-averaged ICL
const char* OTHER_COLOR = "#bbbbbb";
// Layer colours for per-head lines; orange is left out (it marks the window).
const char* LAYER_COLORS[] = {"#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#8c564b",
                              "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string window_text(const Window& w) {
    std::string text = tokens_text(w.start_tokens) + " – " + tokens_text(w.end_tokens) + " tokens";
    if (std::isfinite(w.start_step) && std::isfinite(w.end_step))
        text += " (steps " + fixed(w.start_step, 0) + " – " + fixed(w.end_step, 0) + ")";
    return text;
}

svg::Axis tokens_axis(const ModelMetrics& m) {
    svg::Axis axis;
    axis.label = "training tokens";
    axis.scale = m.log_tokens() ? svg::Scale::LOG : svg::Scale::LINEAR;
    return axis;
}

// The cursor of the model's snapshot slider (analysis/report/slider.h) on a figure whose x axis
// is training tokens, at the final snapshot (where the slider starts); none without a slider.
void add_cursor(svg::Figure& figure, const ModelMetrics& m) {
    if (!has_slider(m.snapshots ? &*m.snapshots : nullptr)) return;
    figure.set(svg::Cursor{anchor(m.name), field(m.snapshot_list().back(), "tokens")});
}

// [O]'s ICL reading, named by its context indices: "[O] L(25)−L(250) per decade".
std::string icl_label(const RunMetrics& run) {
    return "[O] L(" + std::to_string(run.icl_lo()) + ")−L(" + std::to_string(run.icl_hi()) + ") per decade";
}

// The lower and upper bounds of a per-snapshot [lo, hi] (snapshots.json key), NaN where missing;
// both empty when no snapshot has the interval.
std::pair<std::vector<double>, std::vector<double>> interval_series(const ModelMetrics& m, const std::string& key) {
    std::vector<double> lower, upper;
    bool any = false;
    for (const json::Value& s : m.snapshot_list()) {
        bool present = s.contains(key) && !s.at(key).is_null();
        auto [lo, hi] = present ? bounds(s.at(key)) : std::pair<double, double>{NAN, NAN};
        lower.push_back(lo);
        upper.push_back(hi);
        any = any || std::isfinite(lo) || std::isfinite(hi);
    }
    if (!any) return {};
    return {lower, upper};
}

// The model's window as [O]'s orange band and, in the other columns, the reference model's window
// as a faint grey one. Over a heatmap the bands are outlines only, so the colours stay readable.
void add_windows(svg::Figure& figure, const RunMetrics& run, const ModelMetrics& m, bool over_heatmap) {
    const ModelMetrics* reference = run.find(run.reference);
    if (reference && reference != &m) {
        if (std::optional<Window> w = reference->window()) {
            svg::Band band;
            band.start = w->start_tokens;
            band.end = w->end_tokens;
            band.color = "#888888";
            band.opacity = over_heatmap ? 0.0 : 0.12;
            band.edges = over_heatmap;
            band.strip = false;
            band.tooltip = "reference model " + reference->name + ": " + window_text(*w);
            figure.add(band);
        }
    }
    if (std::optional<Window> w = m.window()) {
        svg::Band band;
        band.start = w->start_tokens;
        band.end = w->end_tokens;
        band.opacity = over_heatmap ? 0.0 : 0.22;
        band.tooltip = "phase-change window: " + window_text(*w);
        figure.add(band);
    }
}

// phase.json's PCA pivot (§6.4) as a black dot on the model's trajectory (pca.json "models"[name]).
void add_pca_pivot(svg::Figure& figure, const ModelMetrics& m, const json::Value& trajectory) {
    const json::Value* pivot = m.phase_object("pca_pivot");
    if (!pivot || !pivot->get<bool>("found", false)) return;
    std::vector<double> steps = numbers(trajectory.at("steps")), pc1 = numbers(trajectory.at("pc1")),
                        pc2 = numbers(trajectory.at("pc2"));
    auto at = std::find(steps.begin(), steps.end(), field(*pivot, "step"));
    size_t k = static_cast<size_t>(at - steps.begin());
    if (at == steps.end() || k >= pc1.size() || k >= pc2.size()) return;
    svg::Line dot{{pc1[k]}, {pc2[k]}, "#000000", "pivot, θ = " + fixed(field(*pivot, "angle_degrees"), 0) + "°", 3.2};
    dot.connect = false;
    figure.add(dot);
}

std::string pca_cell(const RunMetrics& run, const ModelMetrics& m) {
    if (!run.pca) return note("no pca.json for this run");
    const json::Value& trajectories = run.pca->at("models");
    if (!trajectories.contains(m.name)) return note("pca.json has no trajectory for " + m.name);
    svg::Figure figure(FIGURE_WIDTH, FIGURE_HEIGHT);
    std::vector<double> ratios = numbers(run.pca->at("explained_variance_ratio"));
    auto pc_label = [&](size_t k) {
        return "PC" + std::to_string(k + 1) + (k < ratios.size() ? " (" + fixed(100 * ratios[k], 1) + "% var.)" : "");
    };
    figure.x.label = pc_label(0);
    figure.y.label = pc_label(1);
    figure.x.margin = figure.y.margin = 0.05;  // room for the end markers
    for (const ModelMetrics& other : run.models) {
        if (&other == &m || !trajectories.contains(other.name)) continue;
        const json::Value& t = trajectories.at(other.name);
        figure.add(svg::Line{numbers(t.at("pc1")), numbers(t.at("pc2")), OTHER_COLOR, "other models", 1.0});
    }
    const json::Value& own = trajectories.at(m.name);
    std::vector<double> pc1 = numbers(own.at("pc1")), pc2 = numbers(own.at("pc2"));
    svg::Line line{pc1, pc2, MODEL_COLOR, m.name, 1.5};
    line.markers = line.mark_ends = true;
    figure.add(line);
    if (std::optional<Window> w = m.window()) {
        // The snapshots inside the window, over the trajectory in the window's orange.
        std::vector<double> tokens = numbers(own.at("tokens"));
        svg::Line inside{pc1, pc2, svg::WINDOW_ORANGE, "in window", 3.0};
        inside.markers = true;
        for (size_t k = 0; k < pc1.size(); ++k)
            if (!(k < tokens.size() && tokens[k] >= w->start_tokens && tokens[k] <= w->end_tokens)) inside.x[k] = NAN;
        figure.add(inside);
    }
    add_pca_pivot(figure, m, own);
    return figure.render();
}

std::string loss_cell(const RunMetrics& run, const ModelMetrics& m) {
    if (!m.snapshots) return note("no snapshots.json for " + m.name);
    svg::Figure figure(FIGURE_WIDTH, FIGURE_HEIGHT);
    figure.x = tokens_axis(m);
    figure.y.label = "eval loss (nats)";
    add_windows(figure, run, m, false);
    for (const ModelMetrics& other : run.models)
        if (&other != &m && other.snapshots)
            figure.add(svg::Line{other.series("tokens"), other.series("loss"), OTHER_COLOR, "other models", 1.0});
    std::vector<double> tokens = m.series("tokens");
    figure.add(svg::Line{tokens, m.series("loss_random_token"), "#9ecae1", "random token/example", 1.2});
    figure.add(svg::Line{tokens, m.series("loss"), MODEL_COLOR, "all tokens", 1.8});
    add_cursor(figure, m);
    return figure.render();
}

// loss_by_position.csv / loss_derivative.csv as a heatmap: x = tokens (one column per snapshot),
// y = context index (log axis), colour = the value.
std::string csv_heatmap_cell(const RunMetrics& run, const ModelMetrics& m, const std::optional<csv::Table>& table,
                             const std::string& file, svg::ColorMap map, const std::string& color_label) {
    if (!table) return note("no " + file + " for " + m.name);
    std::string path = m.dir + "/" + file;
    check(table->header.size() >= 3 && table->header[0] == "step" && table->header[1] == "tokens", path,
          ": expected a header 'step,tokens,<context indices>...'");
    if (table->rows.empty()) return note(file + " has no snapshots");
    svg::Heatmap heatmap;
    heatmap.map = map;
    heatmap.clip_fraction = 0.01;
    heatmap.label = color_label;
    for (const std::vector<double>& row : table->rows) heatmap.x.push_back(row[1]);  // tokens
    for (size_t c = 2; c < table->header.size(); ++c)
        heatmap.y.push_back(csv::parse_number(table->header[c], path, 1));
    size_t nx = heatmap.x.size(), ny = heatmap.y.size();
    heatmap.values.resize(nx * ny);
    for (size_t i = 0; i < nx; ++i)
        for (size_t j = 0; j < ny; ++j) heatmap.values[j * nx + i] = table->rows[i][2 + j];
    svg::Figure figure(FIGURE_WIDTH, FIGURE_HEIGHT);
    figure.x = tokens_axis(m);
    figure.y.label = "context index i";
    figure.y.scale = svg::Scale::LOG;
    figure.set(std::move(heatmap));
    add_windows(figure, run, m, true);
    add_cursor(figure, m);
    return figure.render();
}

// "4.1e5 tokens (5% of the snapshots)": phase.json's burn_in with its source.
std::string burn_in_text(const json::Value& burn_in) {
    std::string source = burn_in.get("source", "");
    return tokens_text(field(burn_in, "tokens")) + " tokens" + (source.empty() ? "" : " (" + source + ")");
}

// phase.json's burn-in (§6.1: the window's peak is searched after it) as a faint grey band.
void add_burn_in(svg::Figure& figure, const ModelMetrics& m) {
    const json::Value* burn_in = m.phase_object("burn_in");
    if (!burn_in || !std::isfinite(field(*burn_in, "tokens"))) return;
    svg::Band band;
    band.start = 0;
    band.end = field(*burn_in, "tokens");
    band.color = "#999999";
    band.opacity = 0.1;
    band.edges = band.strip = false;
    band.tooltip = "burn-in: " + burn_in_text(*burn_in);
    figure.add(band);
}

// "0.412 [0.380, 0.445] (± 0.033)": a final ICL reading with its interval's half-width.
std::string final_icl_reading(const json::Value& final_icl, const std::string& key) {
    double value = field(final_icl, key);
    if (!std::isfinite(value)) return "—";
    auto [lo, hi] = bounds(final_icl.at(key + "_ci"));
    return interval_text(value, lo, hi) + " (± " + fixed((hi - lo) / 2) + ")";
}

// The final snapshot's ICL on its evaluation windows (snapshots.json "final_icl"), both readings
// with their 95% intervals; "" without it (older metrics).
std::string final_icl_text(const RunMetrics& run, const ModelMetrics& m) {
    if (!m.snapshots || !m.snapshots->contains("final_icl") || !m.snapshots->at("final_icl").is_object()) return "";
    const json::Value& final_icl = m.snapshots->at("final_icl");
    return "Final snapshot, all " + fixed(field(final_icl, "examples"), 0) + " evaluation windows, 95% intervals: " +
           icl_label(run) + " " + final_icl_reading(final_icl, "per_decade") + "; [OURS] band-averaged " +
           final_icl_reading(final_icl, "band");
}

// [O]'s ICL per decade and the [OURS] band-averaged ICL, each with its bootstrap 95% interval
// shaded, over the ICL score; the burn-in and the windows behind them, the final ICL below.
std::string icl_score_cell(const RunMetrics& run, const ModelMetrics& m) {
    if (!m.snapshots) return note("no snapshots.json for " + m.name);
    std::string lo = std::to_string(run.icl_lo()), hi = std::to_string(run.icl_hi());
    svg::Figure figure(FIGURE_WIDTH, FIGURE_HEIGHT);
    figure.x = tokens_axis(m);
    figure.y.label = "nats";
    add_burn_in(figure, m);
    add_windows(figure, run, m, false);
    figure.add(svg::HLine{0.0});
    std::vector<double> tokens = m.series("tokens");
    figure.add(svg::Line{tokens, m.series("icl_score"), "#d62728", "score L(" + hi + ")−L(" + lo + ")", 1.2});
    if (run.icl_hi() != 10 * run.icl_lo()) {  // otherwise the amount is the amount per decade
        svg::Line amount{tokens, m.series("icl_amount"), ICL_AMOUNT_COLOR, "amount = −score", 1.0};
        amount.dashed = true;
        figure.add(amount);
    }
    svg::Line per_decade{tokens, m.series("icl_per_decade"), ICL_AMOUNT_COLOR, icl_label(run), 1.8};
    std::tie(per_decade.lower, per_decade.upper) = interval_series(m, "icl_per_decade_ci");
    figure.add(per_decade);
    std::vector<double> band_values = m.series("icl_band");
    if (std::any_of(band_values.begin(), band_values.end(), [](double v) { return std::isfinite(v); })) {
        svg::Line band{tokens, band_values, ICL_BAND_COLOR, "[OURS] band-averaged", 1.4};
        std::tie(band.lower, band.upper) = interval_series(m, "icl_band_ci");
        figure.add(band);
    }
    add_cursor(figure, m);
    std::string final_icl = final_icl_text(run, m);
    return "<figure>" + figure.render() + (final_icl.empty() ? "" : "<figcaption>" + escape(final_icl) + "</figcaption>") +
           "</figure>";
}

// A per-layer, per-head value snapshots[s][key][l][h] as scores[l][h][s], NaN where a snapshot
// lacks the value (a null layer or head included); empty when no snapshot has the key.
using HeadSeries = std::vector<std::vector<std::vector<double>>>;

HeadSeries head_series(const std::vector<json::Value>& snapshots, const std::string& key) {
    HeadSeries scores;
    for (size_t s = 0; s < snapshots.size(); ++s) {
        if (!snapshots[s].contains(key) || snapshots[s].at(key).is_null()) continue;
        const std::vector<json::Value>& layers = snapshots[s].at(key).as_array();
        if (scores.size() < layers.size()) scores.resize(layers.size());
        for (size_t l = 0; l < layers.size(); ++l) {
            if (layers[l].is_null()) continue;
            std::vector<double> heads = numbers(layers[l]);
            if (scores[l].size() < heads.size())
                scores[l].resize(heads.size(), std::vector<double>(snapshots.size(), NAN));
            for (size_t h = 0; h < heads.size(); ++h) scores[l][h][s] = heads[h];
        }
    }
    return scores;
}

// A per-head score of snapshots.json.
HeadSeries head_series(const ModelMetrics& m, const std::string& key) { return head_series(m.snapshot_list(), key); }

// A per-head value of ablations.json (its snapshots' "heads" objects).
HeadSeries ablation_series(const ModelMetrics& m, const std::string& key) {
    std::vector<json::Value> heads;
    for (const json::Value& s : m.ablation_list()) heads.push_back(s.at("heads"));
    return head_series(heads, key);
}

std::string head_name(int layer, int head) { return "L" + std::to_string(layer) + "H" + std::to_string(head); }
// "L1H2" of a JSON object with "layer" and "head".
std::string head_name(const json::Value& head) { return head_name(head.get<int>("layer", 0), head.get<int>("head", 0)); }

const char* layer_color(size_t layer) { return LAYER_COLORS[layer % std::size(LAYER_COLORS)]; }

// A head's final class (heads.json), "" when unknown.
std::string head_class(const ModelMetrics& m, size_t layer, size_t head) {
    if (!m.heads) return "";
    for (const json::Value& h : m.heads->at("heads").as_array())
        if (h.get<int>("layer", -1) == static_cast<int>(layer) && h.get<int>("head", -1) == static_cast<int>(head))
            return h.get("class", "");
    return "";
}

// The line colour of a head class (§5.6); orange is left out (it marks the window).
const char* class_color(const std::string& cls) {
    return cls == "induction"             ? "#d62728"
           : cls == "previous-token"      ? "#1f77b4"
           : cls == "anti-copying prefix" ? "#9467bd"
                                          : "#9a9a9a";
}

// The class colours as coloured words, for explanations.
std::string class_colors_text() {
    std::string text;
    for (const char* cls : {"induction", "previous-token", "anti-copying prefix", "other"})
        text += std::string(text.empty() ? "" : ", ") + "<span style=\"color:" + class_color(cls) + "\">" + cls +
                "</span>";
    return text;
}

// A head's line colour and legend entry.
struct HeadStyle {
    std::string color, label;
};
using HeadStyler = std::function<HeadStyle(size_t layer, size_t head)>;

HeadStyle by_layer(size_t layer, size_t) { return {layer_color(layer), "layer " + std::to_string(layer)}; }

HeadStyler by_final_class(const ModelMetrics& m) {
    return [&m](size_t layer, size_t head) {
        std::string cls = head_class(m, layer, head);
        return HeadStyle{class_color(cls), cls.empty() ? "class unknown" : cls};
    };
}

// Whether a per-head series has a value at every snapshot, or only at the full ones (its lines
// then join the measured points across the others).
enum class Measured { EVERY_SNAPSHOT, FULL_SNAPSHOTS };

// One line per head in layers >= first_layer against the snapshots' training tokens, with the
// windows and the slider's cursor.
svg::Figure head_lines_figure(const RunMetrics& run, const ModelMetrics& m, const std::vector<double>& tokens,
                              const HeadSeries& scores, size_t first_layer, const HeadStyler& style,
                              const std::string& label, Measured measured = Measured::EVERY_SNAPSHOT) {
    svg::Figure figure(FIGURE_WIDTH, FIGURE_HEIGHT);
    figure.x = tokens_axis(m);
    figure.y.label = label;
    add_windows(figure, run, m, false);
    for (size_t l = first_layer; l < scores.size(); ++l)
        for (size_t h = 0; h < scores[l].size(); ++h) {
            HeadStyle s = style(l, h);
            svg::Line line{tokens, scores[l][h], s.color, s.label, 1.1, 0.85};
            line.bridge_gaps = measured == Measured::FULL_SNAPSHOTS;
            figure.add(line);
        }
    add_cursor(figure, m);
    return figure;
}

// A score in [0, 1] of every head, coloured by layer.
std::string head_score_cell(const RunMetrics& run, const ModelMetrics& m, const std::string& key,
                            const std::string& label) {
    if (!m.snapshots) return note("no snapshots.json for " + m.name);
    HeadSeries scores = head_series(m, key);
    if (scores.empty()) return note("snapshots.json has no \"" + key + "\" scores");
    svg::Figure figure = head_lines_figure(run, m, m.series("tokens"), scores, 0, by_layer, label);
    figure.y.min = 0;
    figure.y.max = 1;
    return figure.render();
}

// σ(α) of every head's smeared keys over training (§1.6), coloured by layer; a note for a model
// without smeared keys.
std::string smear_cell(const RunMetrics& run, const ModelMetrics& m) {
    if (m.snapshots && head_series(m, "smear_sigma").empty())
        return note(m.name + " has no smeared keys (snapshots.json \"smear_sigma\" is null)");
    return head_score_cell(run, m, "smear_sigma", "σ(α)");
}

// §4.5's trace of every head above the first layer, coloured by its final class.
std::string kcomp_trace_cell(const RunMetrics& run, const ModelMetrics& m) {
    if (!m.snapshots) return note("no snapshots.json for " + m.name);
    HeadSeries traces = head_series(m, "prev_token_kcomp_trace");
    if (traces.empty()) return note("snapshots.json has no \"prev_token_kcomp_trace\" (older metrics)");
    if (traces.size() < 2)
        return note(m.name + " has one layer: the trace needs previous-token heads in an earlier layer");
    svg::Figure figure = head_lines_figure(run, m, m.series("tokens"), traces, 1, by_final_class(m),
                                           "K-comp trace (logits)", Measured::FULL_SNAPSHOTS);
    figure.add(svg::HLine{0.0});
    return figure.render();
}

// A per-head value of ablations.json (§5.4–§5.5) over training, coloured by final class, with y = 0.
std::string ablation_cell(const RunMetrics& run, const ModelMetrics& m, const std::string& key,
                          const std::string& label) {
    if (!m.ablations) return note("no ablations.json for " + m.name + " (older metrics: rerun induction analyze)");
    HeadSeries values = ablation_series(m, key);
    if (values.empty()) return note("ablations.json has no \"" + key + "\" values");
    svg::Figure figure =
        head_lines_figure(run, m, series(m.ablation_list(), "tokens"), values, 0, by_final_class(m), label);
    figure.add(svg::HLine{0.0});
    return figure.render();
}

// §5.5's attribution of every head, or why there is no before-and-after vector.
std::string before_after_cell(const RunMetrics& run, const ModelMetrics& m) {
    if (m.ablations) {
        const json::Value& window = m.ablations->at("before_after");
        if (!window.get<bool>("found", false))
            return note("no before-and-after vector for " + m.name + ": " + window.get("reason", "no reason given"));
    }
    return ablation_cell(run, m, "before_after", "a(h, s) (nats)");
}

// ---- the page ---------------------------------------------------------------------------------

std::string verdict_chip(const ModelMetrics& m) {
    if (!m.phase) return "<span class=\"verdict none\">no phase.json</span>";
    std::string verdict = m.verdict();
    std::string kind = verdict == "phase change" ? "yes" : "no";
    std::string reason = m.phase->get("reason", "");
    return "<span class=\"verdict " + kind + "\"" + (reason.empty() ? "" : " title=\"" + escape(reason) + "\"") +
           ">" + escape(verdict.empty() ? "no verdict" : verdict) + "</span>";
}

// "before → after" of a phase.json rise window ("icl" or "prefix").
std::string before_after(const ModelMetrics& m, const std::string& key) {
    if (!m.phase || !m.phase->contains(key) || !m.phase->at(key).is_object()) return "—";
    const json::Value& rise = m.phase->at(key);
    double before = field(rise, "y_pre"), after = field(rise, "y_post");
    if (!std::isfinite(before) && !std::isfinite(after)) return "—";
    return fixed(before) + " → " + fixed(after);
}

std::string phase_number(const ModelMetrics& m, const std::string& object, const std::string& key, int digits) {
    if (!m.phase || !m.phase->contains(object) || !m.phase->at(object).is_object()) return "—";
    return fixed(field(m.phase->at(object), key), digits);
}

// phase.json's loss bump (§6.3) found on x = ln n ("loss_bump") or on x = n ("loss_bump_linear").
std::string loss_bump_text(const ModelMetrics& m, const std::string& key) {
    const json::Value* found = m.phase_object(key);
    if (!found) return "—";
    const json::Value& bump = *found;
    if (!bump.get<bool>("found", false)) return "none";
    std::string text = "height " + fixed(field(bump, "height"), 3) + " at " +
                       tokens_text(field(bump, "location_tokens")) + " tokens";
    if (bump.contains("overlaps_window") && bump.at("overlaps_window").is_bool())
        text += bump.at("overlaps_window").as_bool() ? ", in the window" : ", outside the window";
    if (bump.contains("other_regions") && bump.at("other_regions").is_array() && bump.at("other_regions").size() > 0)
        text += "; " + std::to_string(bump.at("other_regions").size()) + " other region(s)";
    return text;
}

std::string schedule_text(const ModelMetrics& m) {
    if (!m.phase || !m.phase->contains("schedule_changes_in_window")) return "—";
    const json::Value& changes = m.phase->at("schedule_changes_in_window");
    if (!changes.is_array() || changes.size() == 0) return "none";
    std::string text;
    for (const json::Value& change : changes.as_array()) text += (text.empty() ? "" : "; ") + change.as_string();
    return text;
}

// phase.json's PCA pivot (§6.4): the snapshot where the trajectory turns most sharply.
std::string pca_pivot_text(const ModelMetrics& m) {
    const json::Value* pivot = m.phase_object("pca_pivot");
    if (!pivot) return "—";
    if (!pivot->get<bool>("found", false)) return "none";
    std::string text = "step " + fixed(field(*pivot, "step"), 0) + " (" + tokens_text(field(*pivot, "tokens")) +
                       " tokens), θ = " + fixed(field(*pivot, "angle_degrees"), 0) + "°";
    if (pivot->contains("in_window") && pivot->at("in_window").is_bool())
        text += pivot->at("in_window").as_bool() ? ", in the window" : ", outside the window";
    return text;
}

// The share of the final ICL amount removed by ablating the induction heads; "—" without them.
std::string induction_share_text(const ModelMetrics& m) {
    if (m.ablation_list().empty()) return "—";
    try {
        const json::Value& groups = m.ablation_list().back().at("groups");
        return groups.contains("induction") ? share_text(groups.at("induction").at("share_removed")) : "—";
    } catch (const Error& e) {
        json::fail_in_file(m.dir + "/ablations.json", e);
    }
}

// The final ICL on all evaluation windows (snapshots.json "final_icl"), both readings, for the summary.
std::string final_icl_cell(const ModelMetrics& m) {
    if (!m.snapshots || !m.snapshots->contains("final_icl") || !m.snapshots->at("final_icl").is_object()) return "—";
    const json::Value& final_icl = m.snapshots->at("final_icl");
    return "[O] " + final_icl_reading(final_icl, "per_decade") + "<br>[OURS] " + final_icl_reading(final_icl, "band") +
           "<br><small>" + fixed(field(final_icl, "examples"), 0) + " windows</small>";
}

std::string summary_table(const RunMetrics& run) {
    std::string lo = std::to_string(run.icl_lo()), hi = std::to_string(run.icl_hi());
    std::string html =
        "<div class=\"scroll\"><table class=\"summary\">\n<thead><tr><th>model</th><th>verdict (§6)</th>"
        "<th>phase-change window</th>"
        "<th>ICL before → after (§6)<br><small>the curve the detector reads (phase.json icl_series): "
        "[OURS] band-averaged ICL per decade, minus the run's 1-layer vanilla control's; nats</small></th>"
        "<th>final ICL per decade [95% interval] (± half-width)<br><small>[O] L(" + lo + ")−L(" + hi + "), [OURS] "
        "band-averaged; final snapshot, its evaluation windows (snapshots.json final_icl)</small></th>"
        "<th>max prefix matching before → after<br><small>heads above the first layer</small></th>"
        "<th>IoU · midpoint lag</th>"
        "<th>ICL removed by ablating the induction heads<br><small>final snapshot, §5.4; 95% interval</small></th>"
        "</tr></thead>\n<tbody>\n";
    for (const ModelMetrics& m : run.models) {
        std::optional<Window> w = m.window();
        std::string lag = m.phase ? tokens_text(field(*m.phase, "midpoint_lag_tokens")) : "—";
        html += "<tr><th><a href=\"#" + anchor(m.name) + "\">" + escape(m.name) + "</a>" +
                (m.description().empty() ? "" : "<br><small>" + escape(m.description()) + "</small>") + "</th>";
        html += "<td>" + verdict_chip(m) + "</td>";
        html += "<td>" + (w ? escape(window_text(*w)) : std::string("none")) + "</td>";
        html += "<td class=\"num\">" + before_after(m, "icl") + "</td>";
        html += "<td class=\"num\">" + final_icl_cell(m) + "</td>";
        html += "<td class=\"num\">" + before_after(m, "prefix") + "</td>";
        html += "<td class=\"num\">" + (m.phase ? fixed(field(*m.phase, "iou"), 2) : std::string("—")) + " · " +
                escape(lag) + "</td>";
        html += "<td class=\"num\">" + induction_share_text(m) + "</td></tr>\n";
    }
    return html +
           "<tr class=\"reference\"><th>paper [O]<br><small>small models, METHODS §9</small></th>"
           "<td>phase change for ≥ 2 layers; <b>none for 1 layer</b></td>"
           "<td>narrow and early: ≈ 1e9 – 3e9 tokens at [O]'s scale</td>"
           "<td class=\"num\">&lt; 0.15 → ≈ 0.4</td>"
           "<td class=\"num\">≈ 0.4</td>"
           "<td>rises abruptly inside the same window</td>"
           "<td>high · ≪ window width</td>"
           "<td>almost all</td></tr>\n"
           "</tbody></table></div>\n";
}

// The phase-change detector's other readings (§6): how much of each rise falls in the window,
// the burn-in before the peak search, the loss bump on both x axes, the PCA pivot.
std::string phase_details_table(const RunMetrics& run) {
    std::string html =
        "<div class=\"scroll\"><table class=\"summary\">\n<thead><tr><th>model</th>"
        "<th>frac_in_window<br><small>ICL / prefix matching (§6.1)</small></th>"
        "<th>burn-in<br><small>peaks searched after it (§6.1)</small></th>"
        "<th>loss bump on ln n<br><small>§6.3</small></th><th>loss bump on n<br><small>§6.3</small></th>"
        "<th>PCA pivot<br><small>§6.4</small></th><th>schedule changes in window</th></tr></thead>\n<tbody>\n";
    for (const ModelMetrics& m : run.models) {
        const json::Value* burn_in = m.phase_object("burn_in");
        html += "<tr><th><a href=\"#" + anchor(m.name) + "\">" + escape(m.name) + "</a></th>";
        html += "<td class=\"num\">" + phase_number(m, "icl", "frac_in_window", 2) + " / " +
                phase_number(m, "prefix", "frac_in_window", 2) + "</td>";
        html += "<td>" + (burn_in ? escape(burn_in_text(*burn_in)) : std::string("—")) + "</td>";
        html += "<td>" + escape(loss_bump_text(m, "loss_bump")) + "</td><td>" +
                escape(loss_bump_text(m, "loss_bump_linear")) + "</td>";
        html += "<td>" + escape(pca_pivot_text(m)) + "</td><td>" + escape(schedule_text(m)) + "</td></tr>\n";
    }
    return html +
           "<tr class=\"reference\"><th>paper [O]</th><td class=\"num\">&gt; 0.75</td><td>—</td>"
           "<td>one region, in the window</td><td>one region, in the window</td><td>in the window</td>"
           "<td>none</td></tr>\n</tbody></table></div>\n";
}

std::string summary_section(const RunMetrics& run) {
    return "<section id=\"summary\">\n<h2>Summary: the phase change per model, next to the paper</h2>\n" +
           summary_table(run) +
           "<p class=\"muted\">Before/after are the smoothed levels at the window start and over the last 20% of "
           "training (METHODS §6.1: y_pre, y_post); they are given for every model, with or without a window. "
           "Hover a verdict for the detector's reason.</p>\n<h3>Phase-change detection (§6)</h3>\n" +
           phase_details_table(run) + "</section>\n";
}

struct Row {
    std::string title;
    std::string explanation;  // HTML
    std::function<std::string(const ModelMetrics&)> cell;
};

std::vector<Row> table_rows(const RunMetrics& run) {
    std::string lo = std::to_string(run.icl_lo()), hi = std::to_string(run.icl_hi());
    return {
        {"Snapshot slider",
         "Move the slider to choose a snapshot of this model: its step, loss and ICL with their 95% intervals, the "
         "attention patterns of its top prefix-matching and previous-token heads (head_patterns.json), and every "
         "head's scores at that snapshot; a black line marks it on each of the model's plots over training below. "
         "Copying (and the ablations) are measured at full snapshots only (every fifth of training and the ICL window's edges); elsewhere they show —.",
         [&run](const ModelMetrics& m) {
             return snapshot_slider({anchor(m.name), m.snapshots ? &*m.snapshots : nullptr,
                                     m.head_patterns ? &*m.head_patterns : nullptr, m.dir + "/head_patterns.json",
                                     icl_label(run)});
         }},
        {"PCA trajectory",
         "Per-token loss vectors of all snapshots, one joint PCA (§7). This model's snapshots in order "
         "(○ first, ● last), window snapshots in orange, other models in grey; the black dot is the pivot (§6.4), "
         "where the trajectory turns most sharply.",
         [&run](const ModelMetrics& m) { return pca_cell(run, m); }},
        {"Loss curve",
         "Evaluation loss against training tokens (§2.4): mean over all tokens, and the random token per "
         "example of [O]. Other models in grey.",
         [&run](const ModelMetrics& m) { return loss_cell(run, m); }},
        {"In-context learning heatmap",
         "Loss L(i) of the token at context index i (log axis) at each snapshot (§2.4). Colour range: 1st to 99th "
         "percentile.",
         [&run](const ModelMetrics& m) {
             return csv_heatmap_cell(run, m, m.loss_by_position, "loss_by_position.csv", svg::ColorMap::VIRIDIS,
                                     "loss (nats)");
         }},
        {"Loss derivative",
         "∂L/∂ln i (§2.5): blue where more context lowers the loss, red where it raises it, white at 0.",
         [&run](const ModelMetrics& m) {
             return csv_heatmap_cell(run, m, m.loss_derivative, "loss_derivative.csv", svg::ColorMap::DIVERGING,
                                     "∂L/∂ln i (nats)");
         }},
        {"ICL score",
         "<b>ICL score = L(" + hi + ") − L(" + lo + ")</b>, [O]'s L(500) − L(50) scaled to this context: "
         "<b>negative = more in-context learning</b>. Green: its negative per decade of context, the <b>ICL amount "
         "= L(" + lo + ") − L(" + hi + ")</b> per decade: positive = more (§2.6; [O]: &lt; 0.15 before, ≈ 0.4 after). "
         "Purple: the <b>[OURS] band-averaged</b> amount, from mean losses over bands of indices around " + lo +
         " and " + hi + " (ablations.json's bands). Shaded: bootstrap 95% intervals over the evaluation windows; "
         "grey at the left: the burn-in (§6.1).",
         [&run](const ModelMetrics& m) { return icl_score_cell(run, m); }},
        {"Prefix matching",
         "Prefix-matching score of every head (§3.2): attention to the token after an earlier copy of the current "
         "token. One line per head, coloured by layer (layers numbered from 0).",
         [&run](const ModelMetrics& m) { return head_score_cell(run, m, "prefix_matching", "prefix matching"); }},
        {"Previous token",
         "Previous-token score of every head (§3.3): attention to the immediately preceding token.",
         [&run](const ModelMetrics& m) { return head_score_cell(run, m, "previous_token", "previous-token score"); }},
        {"Smeared keys σ(α)",
         "Models with smeared keys (§1.6) attend with keys σ(α)·k<sub>j</sub> + (1 − σ(α))·k<sub>j−1</sub>, one α "
         "per head: σ(α) = 1 is no smearing, lower values mix in the previous token's key (the previous-token "
         "information a one-layer induction head needs). One line per head, coloured by layer.",
         [&run](const ModelMetrics& m) { return smear_cell(run, m); }},
        {"Previous-token K-composition trace over training",
         "Trace of the previous-token K-composition term of each head above the first layer (§4.5), in unscaled "
         "logits: the earlier heads' OV circuits weighted by their previous-token scores. One line per head, "
         "coloured by its final class: " + class_colors_text() + ".",
         [&run](const ModelMetrics& m) { return kcomp_trace_cell(run, m); }},
        {"Ablation attribution to ICL",
         "[O]'s Argument 3 (§5.4): ΔICL(h, s) = ablated − clean ICL amount per decade when head h alone is ablated "
         "at snapshot s. <b>Below 0: ablating the head removes ICL</b>; pattern-preserving ablation, METHODS "
         "§5.2/§5.4 ([O]: induction heads below 0 from the phase change on, most other heads slightly above). One "
         "line per head, coloured by its final class: " + class_colors_text() + ".",
         [&run](const ModelMetrics& m) { return ablation_cell(run, m, "delta_icl", "ΔICL per decade (nats)"); }},
        {"Before-and-after attribution",
         "§5.5: a(h, s) = ⟨δ, b⟩ in nats, the change δ of the random-token losses when head h is ablated, projected "
         "on the unit vector b from the clean losses at the window's start to those at its end. Below 0: ablating "
         "the head undoes what changed across the window ([O]: induction heads). Colours as above.",
         [&run](const ModelMetrics& m) { return before_after_cell(run, m); }},
    };
}

std::string analysis_table_section(const RunMetrics& run) {
    std::string html =
        "<section id=\"table\">\n<h2>Model analysis table</h2>\n"
        "<p class=\"key\"><span class=\"swatch\" style=\"background:#f28e2b\"></span> this model's phase-change "
        "window (phase.json, §6; a bar above each plot, shaded or outlined inside it)";
    if (const ModelMetrics* reference = run.find(run.reference); reference && reference->window())
        html += " &nbsp; <span class=\"swatch\" style=\"background:#cccccc\"></span> the reference model's window (" +
                escape(reference->name) + ")";
    html += "</p>\n<div class=\"scroll\"><table class=\"analysis\">\n<thead><tr><th class=\"row\"></th>";
    for (const ModelMetrics& m : run.models) {
        std::optional<Window> w = m.window();
        html += "<th class=\"model\"><a href=\"#" + anchor(m.name) + "\">" + escape(m.name) + "</a> " +
                verdict_chip(m) + (m.description().empty() ? "" : "<br><small>" + escape(m.description()) + "</small>") +
                "<br><small>" + (w ? "window " + escape(window_text(*w)) : std::string("no window")) + "</small></th>";
    }
    html += "</tr></thead>\n<tbody>\n";
    for (const Row& row : table_rows(run)) {
        html += "<tr><th class=\"row\"><b class=\"title\">" + escape(row.title) + "</b><span>" + row.explanation +
                "</span></th>";
        for (const ModelMetrics& m : run.models) {
            try {
                html += "<td>" + row.cell(m) + "</td>";
            } catch (const Error& e) {
                fail("report: ", row.title, " of model '", m.name, "' (", m.dir, "): ", e.what());
            }
        }
        html += "</tr>\n";
    }
    html += "</tbody></table></div>\n</section>\n";
    return html;
}

// A value with a footnote marker when `flag` is set.
std::string flagged(const std::string& text, bool flag, const char* marker, const std::string& tip) {
    return flag ? text + " <span class=\"flag\" title=\"" + escape(tip) + "\">" + marker + "</span>" : text;
}

// The table row class of a head class (§5.6), which colours the row.
std::string class_row(const std::string& cls) {
    return cls == "induction"             ? "cls-induction"
           : cls == "previous-token"      ? "cls-previous"
           : cls == "anti-copying prefix" ? "cls-anti"
                                          : "cls-other";
}

std::string head_table(const ModelMetrics& m) {
    if (!m.heads) return note("no heads.json for " + m.name);
    const std::string disagree = "copying measures disagree: the copying score and eig_copying differ in sign";
    const std::string unstable = "unstable: the class changes when the thresholds move by ±0.1 or when "
                                 "eig_copying stands in for the copying score";
    std::string reading = m.heads->get("copying_ratio", "");
    std::string html =
        "<table class=\"heads\"><thead><tr><th>head</th><th>prefix matching</th><th>copying" +
        (reading.empty() ? std::string()
                         : "<br><small>" + escape(reading) + ", random " +
                               svg::format_number(field(*m.heads, "copying_random_baseline")) + "</small>") +
        "</th><th>eig_copying<br><small>§4.3, random 0</small></th><th>previous token</th><th>class (§5.6)</th>"
        "</tr></thead><tbody>\n";
    bool any_disagreement = false, any_unstable = false;
    for (const json::Value& head : m.heads->at("heads").as_array()) {
        std::string cls = head.get("class", "");
        bool disagreement = head.get<bool>("copying_disagreement", false), is_unstable = head.get<bool>("unstable", false);
        any_disagreement |= disagreement;
        any_unstable |= is_unstable;
        html += "<tr class=\"" + class_row(cls) + "\"><td>" + head_name(head) + "</td><td class=\"num\">" +
                fixed(field(head, "prefix_matching")) + "</td><td class=\"num\">" +
                flagged(fixed(field(head, "copying")), disagreement, "*", disagree) + "</td><td class=\"num\">" +
                fixed(field(head, "eig_copying")) + "</td><td class=\"num\">" + fixed(field(head, "previous_token")) +
                "</td><td>" + flagged(escape(cls), is_unstable, "†", unstable) + "</td></tr>\n";
    }
    html += "</tbody></table>\n";
    if (any_disagreement) html += "<p class=\"muted\"><span class=\"flag\">*</span> " + escape(disagree) + ".</p>\n";
    if (any_unstable) html += "<p class=\"muted\"><span class=\"flag\">†</span> " + escape(unstable) + ".</p>\n";
    return html;
}

std::string pattern_figure(const ModelMetrics& m) {
    if (!m.pattern) return note("no induction_pattern.json for " + m.name + " (no induction head to show)");
    const json::Value& p = m.pattern->at("pattern");
    std::vector<std::string> tokens;
    for (const json::Value& t : m.pattern->at("tokens").as_array()) tokens.push_back(t.as_string());
    size_t T = p.size();
    check(T > 0 && tokens.size() == T, m.dir, "/induction_pattern.json: ", tokens.size(), " tokens for a ", T,
          "-row pattern");
    svg::Heatmap heatmap;
    heatmap.label = "attention weight";
    heatmap.min = 0;
    heatmap.max = 1;
    heatmap.values.resize(T * T);
    for (size_t k = 0; k < T; ++k) {
        heatmap.x.push_back(static_cast<double>(k));
        heatmap.y.push_back(static_cast<double>(k));
        std::vector<double> row = numbers(p[k]);
        check(row.size() == T, m.dir, "/induction_pattern.json: pattern row ", k, " has ", row.size(),
              " values, expected ", T);
        std::copy(row.begin(), row.end(), heatmap.values.begin() + static_cast<std::ptrdiff_t>(k * T));
    }
    svg::Figure figure(600, 560);
    figure.title = head_name(*m.pattern) + " attention, prefix matching " +
                   fixed(field(*m.pattern, "prefix_matching"));
    figure.x.label = "key position (attended to)";
    figure.y.label = "query position";
    figure.y.reversed = true;
    figure.x.rotate_labels = true;
    size_t stride = std::max<size_t>(1, (T + 24) / 25);
    for (size_t k = 0; k < T; k += stride) {
        svg::Tick tick{static_cast<double>(k), std::to_string(k) + " " + visible_token(tokens[k], 8)};
        figure.x.ticks.push_back(tick);
        figure.y.ticks.push_back(tick);
    }
    figure.set(std::move(heatmap));
    return figure.render();
}

// The evaluation tokens coloured by the change of their loss across the window.
std::string token_changes_view(const ModelMetrics& m) {
    if (!m.token_changes) return note("no token_changes.json for " + m.name + " (it needs a phase-change window)");
    const json::Value& changes = *m.token_changes;
    constexpr double FULL_COLOR_NATS = 2.0;
    std::string html = "<p class=\"muted\">Loss of each token at step " + fixed(field(changes, "start_step"), 0) +
                       " (window start) and step " + fixed(field(changes, "end_step"), 0) +
                       " (window end): <span class=\"tok\" style=\"background:rgba(44,160,44,0.6)\">green</span> "
                       "= predicted better, <span class=\"tok\" style=\"background:rgba(214,39,40,0.6)\">red</span> "
                       "= worse; full colour at a change of " + fixed(FULL_COLOR_NATS, 0) +
                       " nats. Hover a token for its numbers.</p>\n";
    for (const json::Value& example : changes.at("examples").as_array()) {
        const std::vector<json::Value>& tokens = example.at("tokens").as_array();
        std::vector<double> before = numbers(example.at("loss_before")), after = numbers(example.at("loss_after"));
        check(before.size() == tokens.size() && after.size() == tokens.size(), m.dir,
              "/token_changes.json: an example has ", tokens.size(), " tokens but ", before.size(), " and ",
              after.size(), " losses");
        html += "<p class=\"tokens\">";
        for (size_t k = 0; k < tokens.size(); ++k) {
            const std::string& text = tokens[k].as_string();
            double delta = after[k] - before[k];
            std::string style, tip;
            if (std::isfinite(delta)) {
                double strength = std::min(1.0, std::abs(delta) / FULL_COLOR_NATS) * 0.85;
                style = std::string(delta < 0 ? "rgba(44,160,44," : "rgba(214,39,40,") + fixed(strength, 2) + ")";
                tip = "loss " + fixed(before[k], 2) + " → " + fixed(after[k], 2) + " nats (change " +
                      (delta > 0 ? "+" : "") + fixed(delta, 2) + ")";
            } else {
                tip = k == 0 ? "first token: nothing predicts it" : "no loss recorded";
            }
            html += "<span class=\"tok\"" + (style.empty() ? "" : " style=\"background:" + style + "\"") +
                    " title=\"" + escape(visible_token(text, 40) + ": " + tip) + "\">" + escape(text) + "</span>";
        }
        html += "</p>\n";
    }
    return html;
}

// ---- [O]'s Argument 3: ablating the head groups (ablations.json), per model -----------------------

// ablations.json's head groups (the final classes, §5.6), in the order shown.
const char* const HEAD_GROUPS[] = {"induction", "previous-token", "other"};

// The head groups that an ablations.json snapshot ablated.
std::vector<std::string> groups_in(const json::Value& snapshot) {
    std::vector<std::string> groups;
    for (const char* group : HEAD_GROUPS)
        if (snapshot.at("groups").contains(group)) groups.push_back(group);
    return groups;
}

// "L1H2, L0H1" of a list of [layer, head].
std::string head_list_text(const json::Value& heads) {
    std::string text;
    for (const json::Value& id : heads.as_array()) {
        check(id.size() == 2, "a head group member is not [layer, head]");
        text += (text.empty() ? "" : ", ") +
                head_name(static_cast<int>(id[0].as_int()), static_cast<int>(id[1].as_int()));
    }
    return text;
}

// ablations.json's "mode" in words, with its METHODS section.
std::string ablation_mode_text(const std::string& mode) {
    return mode == "pattern" ? "pattern-preserving ablation (§5.2)"
           : mode == "value" ? "value-preserving ablation (§5.3)"
           : mode == "full"  ? "full ablation (§5.1)"
                             : "ablation mode \"" + mode + "\"";
}

// Horizontal bars of the ICL amount per decade at one snapshot, clean and with each head group
// ablated, with their 95% intervals as error bars.
std::string icl_bars_figure(const json::Value& snapshot, const std::vector<std::string>& groups) {
    struct Bar {
        std::string label;
        const char* color;
        const json::Value& amounts;  // holds "icl_amount" and "icl_amount_ci"
    };
    std::vector<Bar> bars = {{"clean", ICL_AMOUNT_COLOR, snapshot.at("clean")}};
    for (const std::string& group : groups)
        bars.push_back({group + " ablated", class_color(group), snapshot.at("groups").at(group)});
    double n = static_cast<double>(bars.size());
    svg::Figure figure(480, 64 + 34 * static_cast<int>(bars.size()));
    figure.title = "ICL amount at step " + fixed(field(snapshot, "step"), 0);
    figure.x.label = "ICL amount per decade (nats)";
    figure.x.margin = 0.05;
    figure.y.min = -0.5;
    figure.y.max = n - 0.5;
    figure.y.reversed = true;
    svg::Line zero{{0, 0}, {-0.5, n - 0.5}, "#888888", "", 1.0};
    zero.dashed = true;
    figure.add(zero);
    double x_min = 0, x_max = 0;  // of the bars and whiskers (fmin, fmax: NaN ignored)
    for (size_t k = 0; k < bars.size(); ++k) {
        double y = static_cast<double>(k), value = field(bars[k].amounts, "icl_amount");
        auto [lo, hi] = bounds(bars[k].amounts.at("icl_amount_ci"));
        x_min = std::fmin(x_min, std::fmin(lo, value));
        x_max = std::fmax(x_max, std::fmax(hi, value));
        figure.y.ticks.push_back({y, bars[k].label});
        // The bar's outline from 0 to the amount, then the whisker with its end caps.
        figure.add(svg::Line{{0, value, value, 0, 0}, {y - 0.3, y - 0.3, y + 0.3, y + 0.3, y - 0.3}, bars[k].color,
                             "", 2.0});
        figure.add(svg::Line{{lo, lo, lo, hi, hi, hi}, {y - 0.12, y + 0.12, y, y, y - 0.12, y + 0.12}, "#333333",
                             "95% interval", 1.1});
    }
    // About 5 x ticks: the automatic count follows the figure's width, but the row labels take a third of it.
    if (x_min < x_max)
        for (double tick : svg::linear_ticks(x_min, x_max, 5))
            figure.x.ticks.push_back({tick, svg::format_number(tick)});
    return figure.render();
}

// The effects of ablating each head group at one snapshot, on [O]'s indices and on the bands.
std::string group_effects_table(const json::Value& ablations, const json::Value& snapshot,
                                const std::vector<std::string>& groups) {
    const json::Value& bands = ablations.at("icl_bands");
    auto band_text = [&](const std::string& key) {
        auto [first, last] = bounds(bands.at(key));
        return "[" + fixed(first, 0) + ", " + fixed(last, 0) + "]";
    };
    std::string html =
        "<table class=\"heads\"><thead><tr><th rowspan=\"2\">ablated</th><th rowspan=\"2\">heads</th>"
        "<th colspan=\"3\">[O]'s indices i = " + fixed(field(ablations, "icl_lo"), 0) + " and " +
        fixed(field(ablations, "icl_hi"), 0) + "</th><th colspan=\"3\">[OURS] band-averaged: i in " +
        band_text("lo") + " and " + band_text("hi") + "</th></tr>\n<tr>";
    for (int k = 0; k < 2; ++k) html += "<th>ICL amount [95%]</th><th>ΔICL [95%]</th><th>share removed (95%)</th>";
    const json::Value& clean = snapshot.at("clean");
    html += "</tr></thead><tbody>\n<tr><td>none (clean)</td><td>—</td><td class=\"num\">" +
            with_interval(field(clean, "icl_amount"), clean.at("icl_amount_ci")) +
            "</td><td>—</td><td>—</td><td class=\"num\">" +
            with_interval(field(clean, "icl_amount_band"), clean.at("icl_amount_band_ci")) +
            "</td><td>—</td><td>—</td></tr>\n";
    for (const std::string& group : groups) {
        const json::Value& effect = snapshot.at("groups").at(group);
        html += "<tr class=\"" + class_row(group) + "\"><td>" + escape(group) + "</td><td>" +
                head_list_text(ablations.at("groups").at(group)) + "</td><td class=\"num\">" +
                with_interval(field(effect, "icl_amount"), effect.at("icl_amount_ci")) + "</td><td class=\"num\">" +
                with_interval(field(effect, "delta_icl"), effect.at("delta_icl_ci")) + "</td><td class=\"num\">" +
                share_text(effect.at("share_removed")) + "</td><td class=\"num\">" +
                with_interval(field(effect, "icl_amount_band"), effect.at("icl_amount_band_ci")) +
                "</td><td class=\"num\">" +
                with_interval(field(effect, "delta_icl_band"), effect.at("delta_icl_band_ci")) +
                "</td><td class=\"num\">" + share_text(effect.at("share_removed_band")) + "</td></tr>\n";
    }
    return html + "</tbody></table>\n";
}

// [O]'s Argument 3 at the final snapshot of ablations.json: the ICL left when each head group is ablated.
std::string argument3_view(const ModelMetrics& m) {
    if (!m.ablations) return note("no ablations.json for " + m.name + " (older metrics: rerun induction analyze)");
    if (m.ablation_list().empty()) return note("ablations.json has no snapshots");
    try {
        const json::Value& ablations = *m.ablations;
        const json::Value& last = m.ablation_list().back();
        std::vector<std::string> groups = groups_in(last);
        return "<p class=\"muted\">Each head group of the final classes (§5.6) ablated at once at the final snapshot "
               "(step " + fixed(field(last, "step"), 0) + ", " + tokens_text(field(last, "tokens")) + " tokens): " +
               ablation_mode_text(ablations.get("mode", "")) + " on " + fixed(field(ablations, "examples"), 0) +
               " examples, 95% bootstrap intervals over examples (" +
               fixed(field(ablations, "bootstrap_resamples"), 0) + " resamples). ΔICL = ablated − clean ICL amount "
               "per decade (below 0: ICL removed); share removed = −ΔICL / clean amount (above 100%: the ablated "
               "model's ICL amount is negative). <b>The paper: almost all ICL is removed by ablating the induction "
               "heads</b> ([O], Argument 3; §5.4).</p>\n<div class=\"details\">\n" +
               icl_bars_figure(last, groups) + "<div>" + group_effects_table(ablations, last, groups) +
               "</div>\n</div>\n";
    } catch (const Error& e) {
        json::fail_in_file(m.dir + "/ablations.json", e);
    }
}

// ---- circuits (circuits.json) and evaluator validation (validation.json), per model ---------------

// A head's OV-circuit eigenvalues (§4.3) divided by the largest |λ|, in the unit disk.
std::string eigenvalue_figure(const json::Value& head) {
    std::vector<double> re, im;
    double largest = 0;
    for (const json::Value& eigenvalue : head.at("eigenvalues").as_array()) {
        std::vector<double> z = numbers(eigenvalue);
        check(z.size() == 2, head_name(head), ": an eigenvalue is not [re, im]");
        re.push_back(z[0]);
        im.push_back(z[1]);
        largest = std::max(largest, std::hypot(z[0], z[1]));
    }
    for (size_t k = 0; k < re.size(); ++k) {
        re[k] /= largest;
        im[k] /= largest;
    }
    svg::Figure figure(210, 222);  // a square plot area
    figure.title = head_name(head) + " · eig_copying " + fixed(field(head, "eig_copying"), 2);
    figure.x.label = "Re λ / max |λ|";
    figure.y.label = "Im";
    for (svg::Axis* axis : {&figure.x, &figure.y}) {
        axis->min = -1.1;
        axis->max = 1.1;
        axis->ticks = {{-1, "-1"}, {0, "0"}, {1, "1"}};
    }
    std::vector<double> circle_x, circle_y;
    for (int k = 0; k <= 96; ++k) {
        circle_x.push_back(std::cos(2 * std::numbers::pi * k / 96));
        circle_y.push_back(std::sin(2 * std::numbers::pi * k / 96));
    }
    figure.add(svg::Line{circle_x, circle_y, "#aaaaaa", "", 1.0});
    figure.add(svg::Line{{-1.1, 1.1}, {0, 0}, "#aaaaaa", "", 0.8});
    figure.add(svg::Line{{0, 0}, {-1.1, 1.1}, "#aaaaaa", "", 0.8});
    svg::Line points{re, im, MODEL_COLOR, "", 2.0, 0.8};
    points.connect = false;
    figure.add(points);
    return figure.render();
}

// Heatmaps of K-, Q- and V-composition (§4.6) minus the random baseline, earlier heads (x) by later
// heads (y), on one colour scale centred on 0.
std::string composition_figures(const json::Value& circuits) {
    const std::vector<json::Value>& pairs = circuits.at("pairs").as_array();
    if (pairs.empty()) return note("no pairs of heads in different layers: composition needs two layers");
    using HeadId = std::pair<int, int>;
    auto head_id = [](const json::Value& id) {
        check(id.size() == 2, "a pair's \"from\"/\"to\" is not [layer, head]");
        return HeadId{static_cast<int>(id[0].as_int()), static_cast<int>(id[1].as_int())};
    };
    std::vector<HeadId> earlier, later;
    for (const json::Value& pair : pairs) {
        earlier.push_back(head_id(pair.at("from")));
        later.push_back(head_id(pair.at("to")));
    }
    for (std::vector<HeadId>* heads : {&earlier, &later}) {
        std::sort(heads->begin(), heads->end());
        heads->erase(std::unique(heads->begin(), heads->end()), heads->end());
    }
    auto index = [](const std::vector<HeadId>& heads, HeadId id) {
        return static_cast<size_t>(std::lower_bound(heads.begin(), heads.end(), id) - heads.begin());
    };
    const std::vector<std::string> kinds = {"k_comp", "q_comp", "v_comp"};
    std::vector<std::vector<double>> values(kinds.size(), std::vector<double>(earlier.size() * later.size(), NAN));
    double largest = 0;  // |score - baseline| over all three
    for (const json::Value& pair : pairs) {
        size_t cell = index(later, head_id(pair.at("to"))) * earlier.size() + index(earlier, head_id(pair.at("from")));
        for (size_t k = 0; k < kinds.size(); ++k) {
            values[k][cell] = field(pair, kinds[k]) - field(pair, "baseline_mean");
            if (std::isfinite(values[k][cell])) largest = std::max(largest, std::abs(values[k][cell]));
        }
    }
    auto ticks = [](const std::vector<HeadId>& heads) {
        std::vector<svg::Tick> out;
        for (size_t i = 0; i < heads.size(); ++i)
            out.push_back({static_cast<double>(i), head_name(heads[i].first, heads[i].second)});
        return out;
    };
    std::string html = "<div class=\"multiples\">\n";
    for (size_t k = 0; k < kinds.size(); ++k) {
        svg::Heatmap heatmap;
        heatmap.map = svg::ColorMap::DIVERGING;
        heatmap.label = "score − baseline";
        if (largest > 0) {
            heatmap.min = -largest;
            heatmap.max = largest;
        }
        for (size_t i = 0; i < earlier.size(); ++i) heatmap.x.push_back(static_cast<double>(i));
        for (size_t j = 0; j < later.size(); ++j) heatmap.y.push_back(static_cast<double>(j));
        heatmap.values = values[k];
        // About 16 px per head at least, so that the rotated labels do not overlap.
        svg::Figure figure(std::max(300, 150 + 16 * static_cast<int>(earlier.size())),
                           std::max(300, 110 + 16 * static_cast<int>(later.size())));
        figure.title = std::string(1, static_cast<char>(std::toupper(kinds[k][0]))) + "-composition";
        figure.x.label = "earlier head";
        figure.y.label = "later head";
        figure.x.ticks = ticks(earlier);
        figure.y.ticks = ticks(later);
        figure.x.rotate_labels = true;
        figure.y.reversed = true;
        figure.set(std::move(heatmap));
        html += figure.render();
    }
    const json::Value& baseline = circuits.at("baseline");
    return html + "</div>\n<p class=\"muted\">Composition scores (§4.6" +
           (circuits.get<bool>("fold_layer_norm", false) ? ", layer norm folded" : "") +
           ") minus the mean of random matrices of the same shapes: baseline " + fixed(field(baseline, "mean"), 4) +
           " ± " + fixed(field(baseline, "std"), 4) + " (mean ± std over " + fixed(field(baseline, "draws"), 0) +
           " random pairs). Red: more composition than chance, blue: less; one colour scale for K, Q and V.</p>\n";
}

// A line per head of a descending list of singular values (a circuits.json head key) against
// their index, coloured by layer.
std::string singular_values_figure(const json::Value& circuits, const std::string& key, const std::string& title) {
    svg::Figure figure(FIGURE_WIDTH, FIGURE_HEIGHT);
    figure.title = title;
    figure.x.label = "index";
    figure.y.label = "singular value";
    figure.y.scale = svg::Scale::LOG;
    for (const json::Value& head : circuits.at("heads").as_array()) {
        std::vector<double> values = numbers(head.at(key)), index;
        for (size_t k = 0; k < values.size(); ++k) index.push_back(static_cast<double>(k + 1));
        HeadStyle style = by_layer(static_cast<size_t>(head.get<int>("layer", 0)), 0);
        figure.add(svg::Line{index, values, style.color, style.label, 1.1, 0.85});
    }
    return figure.render();
}

std::string circuits_view(const ModelMetrics& m) {
    if (!m.circuits) return note("no circuits.json for " + m.name);
    try {
        const json::Value& circuits = *m.circuits;
        std::string html = "<p class=\"muted\">Eigenvalues λ of each head's OV circuit W<sub>U</sub> W<sub>OV</sub> "
                           "W<sub>E</sub> (§4.3), divided by the largest |λ|: copying heads have them on the positive "
                           "real side (eig_copying = Σλ / Σ|λ| near 1).</p>\n<div class=\"multiples\">\n";
        for (const json::Value& head : circuits.at("heads").as_array()) html += eigenvalue_figure(head);
        html += "</div>\n" + composition_figures(circuits);
        html += "<div class=\"multiples\">\n" +
                singular_values_figure(circuits, "ov_singular_values", "W_OV singular values") +
                singular_values_figure(circuits, "qk_singular_values", "W_QK singular values") + "</div>\n";
        return html;
    } catch (const Error& e) {
        json::fail_in_file(m.dir + "/circuits.json", e);
    }
}

// "Spearman ρ = 0.84, 95% interval [0.75, 0.90], ..." of a validation.json correlation R.
std::string spearman_text(const json::Value& r) {
    std::string counts = fixed(field(r, "pairs"), 0) + " head-snapshots, " + fixed(field(r, "snapshots"), 0) +
                         " snapshots";
    if (!std::isfinite(field(r, "spearman"))) return "Spearman ρ not available (" + counts + ")";
    return "Spearman ρ = " + fixed(field(r, "spearman"), 2) + ", 95% interval [" + fixed(field(r, "low"), 2) + ", " +
           fixed(field(r, "high"), 2) + "] (" + counts + ")";
}

// One dot per head per snapshot (layers >= first_layer) of one per-head score of snapshots.json
// against another, coloured by layer; captioned with validation.json's correlation r (nullptr: none).
std::string validation_scatter(const ModelMetrics& m, const std::string& x_key, const std::string& y_key,
                               const std::string& x_label, const std::string& y_label, size_t first_layer,
                               const json::Value* r) {
    HeadSeries xs = head_series(m, x_key), ys = head_series(m, y_key);
    svg::Figure figure(FIGURE_WIDTH, FIGURE_WIDTH);
    figure.x.label = x_label;
    figure.y.label = y_label;
    figure.x.margin = 0.04;
    for (size_t l = first_layer; l < std::min(xs.size(), ys.size()); ++l) {
        svg::Line dots{{}, {}, layer_color(l), "layer " + std::to_string(l), 1.8, 0.6};
        dots.connect = false;
        for (size_t h = 0; h < std::min(xs[l].size(), ys[l].size()); ++h) {
            dots.x.insert(dots.x.end(), xs[l][h].begin(), xs[l][h].end());
            dots.y.insert(dots.y.end(), ys[l][h].begin(), ys[l][h].end());
        }
        figure.add(dots);
    }
    return "<figure>" + figure.render() + "<figcaption>" +
           escape(r ? spearman_text(*r) : std::string("no validation.json")) + "</figcaption></figure>\n";
}

// validation.json's correlations of every copying reading with eig_copying, the default marked.
std::string copying_readings_table(const json::Value& validation) {
    std::string reading = validation.get("copying_ratio", "");
    std::string html = "<table class=\"heads\"><thead><tr><th>copying reading</th><th>Spearman ρ with "
                       "eig_copying [95% interval]</th><th>pairs</th></tr></thead><tbody>\n";
    for (const auto& [name, r] : validation.at("copying_vs_eig_copying").members()) {
        bool is_default = name == reading;
        html += "<tr" + std::string(is_default ? " class=\"default\"" : "") + "><td>" + escape(name) +
                (is_default ? " <b>(default)</b>" : "") + "</td><td class=\"num\">" + fixed(field(r, "spearman"), 2) +
                " [" + fixed(field(r, "low"), 2) + ", " + fixed(field(r, "high"), 2) + "]</td><td class=\"num\">" +
                fixed(field(r, "pairs"), 0) + "</td></tr>\n";
    }
    return html + "</tbody></table>\n";
}

// METHODS §9 target #12: the evaluators against the weight-based measures, over heads × snapshots.
std::string validation_view(const ModelMetrics& m) {
    if (m.snapshot_list().size() < 2) return note("the validation plots need at least 2 snapshots");
    const json::Value *copying = nullptr, *prefix = nullptr;  // validation.json's correlations
    std::string table = note("no validation.json for " + m.name);
    if (m.validation) {
        try {
            const json::Value& readings = m.validation->at("copying_vs_eig_copying");
            copying = &readings.at(m.validation->get("copying_ratio", ""));
            prefix = &m.validation->at("prefix_vs_kcomp_trace");
            table = copying_readings_table(*m.validation);
        } catch (const Error& e) {
            json::fail_in_file(m.dir + "/validation.json", e);
        }
    }
    std::string html = "<div class=\"details\">\n" +
                       validation_scatter(m, "copy_eig", "copying", "eig_copying (§4.3)", "copying score (§3.1)", 0,
                                          copying);
    html += head_series(m, "prev_token_kcomp_trace").size() < 2
                ? note("prefix matching against the K-composition trace needs heads above the first layer")
                : validation_scatter(m, "prev_token_kcomp_trace", "prefix_matching", "previous-token K-comp trace "
                                     "(§4.5)", "prefix matching (§3.2)", 1, prefix);
    return html + "<div>" + table + "</div>\n</div>\n";
}

std::string model_section(const ModelMetrics& m) {
    std::string html = "<section class=\"model\" id=\"" + anchor(m.name) + "\">\n<h2>" + escape(m.name) + " " +
                       verdict_chip(m) + "</h2>\n";
    if (!m.description().empty()) html += "<p class=\"muted\">" + escape(m.description()) + "</p>\n";
    try {
        html += "<div class=\"details\">\n<div><h3>Heads at the final snapshot</h3>\n" + head_table(m) +
                "</div>\n<div><h3>Top induction head on repeated random tokens</h3>\n" + pattern_figure(m) +
                "</div>\n</div>\n<h3>Which tokens changed across the window</h3>\n" + token_changes_view(m) +
                "<h3>Argument 3: ablating the head groups (final snapshot, ablations.json)</h3>\n" + argument3_view(m) +
                "<h3>Circuits (final snapshot)</h3>\n" + circuits_view(m) +
                "<h3>Evaluators against the weights over training (METHODS §9, target 12)</h3>\n" + validation_view(m);
    } catch (const Error& e) {
        fail("report: details of model '", m.name, "' (", m.dir, "): ", e.what());
    }
    html += "</section>\n";
    return html;
}

const char* STYLE = R"css(
:root { --ink: #222; --muted: #666; --rule: #dcdcdc; --orange: #f28e2b; }
body { margin: 0; padding: 24px 32px 48px; background: #fafafa; color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
h1 { font-size: 23px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 14px 0 6px; }
a { color: #1f5fa8; text-decoration: none; }
a:hover { text-decoration: underline; }
small, .muted { color: var(--muted); }
nav { margin: 8px 0 0; }
nav a { margin-right: 12px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid var(--rule); padding: 5px 9px; vertical-align: top; text-align: left; }
thead th { background: #f2f2f2; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { overflow-x: auto; }
table.summary tbody th { background: #fff; white-space: nowrap; }
tr.reference td, tr.reference th { background: #fff6ec; }
table.analysis td { padding: 4px; }
table.analysis th.row { position: sticky; left: 0; z-index: 1; width: 200px; min-width: 200px; background: #f7f7f7;
                        font-weight: normal; }
table.analysis th.row b.title { display: block; margin-bottom: 3px; }
table.analysis th.row span { font-size: 12px; color: var(--muted); }
table.analysis th.model { min-width: 292px; }
.verdict { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600;
           vertical-align: middle; }
.verdict.yes { background: #fde3c8; color: #8a4500; }
.verdict.no { background: #e6e6e6; color: #444; }
.verdict.none { background: #fcf3d9; color: #8a6d3b; }
.missing { box-sizing: border-box; width: 300px; min-height: 60px; padding: 10px; font-size: 12px; color: #8a6d3b;
           background: #fcf8e3; border: 1px dashed #e0c98f; border-radius: 4px; }
.key .swatch { display: inline-block; width: 16px; height: 10px; margin-right: 3px; vertical-align: middle; }
svg.figure { display: block; }
.details { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
table.heads td { padding: 3px 9px; }
tr.cls-induction td { background: #fde3c8; }
tr.cls-previous td { background: #dbe9f6; }
tr.cls-anti td { background: #eadcf2; }
.tokens { max-width: 1100px; padding: 10px 12px; background: #fff; border: 1px solid var(--rule); border-radius: 4px;
          white-space: pre-wrap; line-height: 1.8; font: 12.5px/1.8 ui-monospace, SFMono-Regular, Menlo, Consolas,
          monospace; }
.tok { border-radius: 2px; }
.multiples { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: flex-start; }
figure { margin: 0; }
figcaption { max-width: 300px; font-size: 12px; color: var(--muted); }
tr.default td { background: #fff6ec; }
.flag { color: #b04000; font-weight: 600; cursor: help; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
.slider { width: 292px; font-size: 12px; }
.slider input { width: 100%; margin: 2px 0 4px; }
.slider-readout { margin: 0 0 6px; line-height: 1.5; }
.patterns { display: flex; flex-wrap: wrap; gap: 4px 10px; }
.patterns figure { width: min-content; }
.patterns figcaption { font-size: 11px; }
.small { font-size: 11px; margin: 4px 0 6px; }
table.slider-scores { font-size: 11.5px; }
table.slider-scores td, table.slider-scores th { padding: 1px 6px; }
)css";

}  // namespace

std::string render_report(const std::string& run_dir) {
    RunMetrics run = read_run(run_dir);
    std::string title = "induction report — " + (run.name.empty() ? std::string("run") : run.name);
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                       escape(title) + "</title>\n<style>" + STYLE + "</style>\n</head>\n<body>\n<header>\n<h1>" +
                       escape(title) + "</h1>\n<p class=\"muted\">Induction heads and the in-context-learning phase "
                       "change (Olsson et al. 2022, [O]). Evaluation: " +
                       fixed(field(run.eval, "n_examples"), 0) + " examples × " + fixed(field(run.eval, "context"), 0) +
                       " tokens; ICL score indices i_lo = " + std::to_string(run.icl_lo()) + ", i_hi = " +
                       std::to_string(run.icl_hi()) + (run.reference.empty() ? "" : "; reference model for the window: " +
                       escape(run.reference)) + ".</p>\n<nav><a href=\"#summary\">Summary</a><a href=\"#table\">Model "
                       "analysis table</a>";
    for (const ModelMetrics& m : run.models) html += "<a href=\"#" + anchor(m.name) + "\">" + escape(m.name) + "</a>";
    html += "</nav>\n</header>\n";
    if (run.models.empty()) {
        html += note("run.json lists no models");
    } else {
        html += summary_section(run) + analysis_table_section(run);
        for (const ModelMetrics& m : run.models) html += model_section(m);
    }
    bool any_slider = std::any_of(run.models.begin(), run.models.end(),
                                  [](const ModelMetrics& m) { return has_slider(m.snapshots ? &*m.snapshots : nullptr); });
    if (any_slider) html += slider_script();
    html += "<footer>Drawn by <code>induction report</code> from the run's metrics/ files only; self-contained "
            "(inline CSS and SVG; one inline script moves the snapshot sliders, and the page is complete without "
            "it).</footer>\n</body>\n</html>\n";
    return html;
}

void write_report(const std::string& run_dir) {
    write_file_atomic(run_dir + "/report.html", render_report(run_dir));
}

}  // namespace induction
