// test_report.cpp — the HTML report on a synthetic metrics directory of two models: "attn-2l" with
// a phase-change window and "attn-1l" with none (and no induction_pattern.json / token_changes.json);
// both with circuits.json, validation.json and ablations.json (attn-1l: no induction heads and no
// before-and-after vector). 12 snapshots, every third one and the last "full" (copying, copy_eig
// and the K-composition trace are null elsewhere; ablations.json holds the full ones only);
// attn-1l has smeared keys (σ(α)), attn-2l the newer fields: final_icl, head_patterns.json (the
// snapshot slider), burn-in, the loss bump on n and the PCA pivot.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <string>

#include "analysis/report/report.h"
#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using testing::TempDir;

constexpr int SNAPSHOTS = 12;
constexpr int CONTEXT = 16;
constexpr int PATTERN_TOKENS = 5;  // head_patterns.json: BOS + 2 tokens, repeated twice

// Full snapshots: every third and the last (0, 3, 6, 9, 11).
bool is_full(int s) { return s % 3 == 0 || s == SNAPSHOTS - 1; }

size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The page without its data: URIs and the sliders' JSON data (base64 may spell anything), in lower case.
std::string visible_lower(std::string text) {
    for (size_t at = text.find("data:"); at != std::string::npos; at = text.find("data:", at))
        text.erase(at, text.find('"', at) - at);
    const std::string data = "data-report=\"slider-data\"";
    for (size_t at = text.find(data); at != std::string::npos; at = text.find(data, at + 1))
        text.erase(at, text.find("</script>", at) - at);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string base64(const std::string& bytes) {
    static const char* ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        uint32_t group = uint32_t(uint8_t(bytes[i])) << 16;
        if (i + 1 < bytes.size()) group |= uint32_t(uint8_t(bytes[i + 1])) << 8;
        if (i + 2 < bytes.size()) group |= uint32_t(uint8_t(bytes[i + 2]));
        out += ALPHABET[(group >> 18) & 63];
        out += ALPHABET[(group >> 12) & 63];
        out += i + 1 < bytes.size() ? ALPHABET[(group >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? ALPHABET[group & 63] : '=';
    }
    return out;
}

json::Value numbers(const std::vector<double>& values) {
    json::Value array = json::Value::array();
    for (double v : values) array.push_back(v);
    return array;
}

// A JSON file in the temporary directory (parent directories made as needed).
void write_json(const TempDir& dir, const std::string& relative, const json::Value& value) {
    dir.write(relative, json::dump(value, 2));
}

// A step from 0 to `height` between snapshots 4 and 6 (the window), or a slow drift without one.
double rise(int s, bool phase_change, double height) {
    return phase_change ? height / (1 + std::exp(-2.0 * (s - 5))) : 0.005 * s;
}

// circuits.json: every head's eigenvalues (the first head's scaled by 4, one of them complex) and
// singular values; K/Q/V composition of every pair of heads in different layers.
json::Value circuits(int n_layers, int n_heads) {
    json::Value heads = json::Value::array(), pairs = json::Value::array();
    for (int l = 0; l < n_layers; ++l)
        for (int h = 0; h < n_heads; ++h) {
            json::Value head = json::Value::object();
            head["layer"] = l;
            head["head"] = h;
            head["eig_copying"] = l == 1 && h == 0 ? 0.99 : 0.2;
            double scale = h == 0 ? 4.0 : 1.0;
            head["eigenvalues"] = json::Value::array({numbers({scale, 0}), numbers({0.5 * scale, 0.5 * scale}),
                                                      numbers({0.5 * scale, -0.5 * scale})});
            head["prev_token_kcomp_trace"] = l > 0 ? json::Value(120.0) : json::Value();
            head["ov_singular_values"] = numbers({3.0, 1.5, 0.2});
            head["qk_singular_values"] = numbers({2.0, 0.5, 0.01});
            heads.push_back(head);
            for (int earlier = 0; earlier < l; ++earlier)
                for (int e = 0; e < n_heads; ++e) {
                    json::Value pair = json::Value::object();
                    pair["from"] = json::Value::array({earlier, e});
                    pair["to"] = json::Value::array({l, h});
                    pair["k_comp"] = h == 0 && e == 1 ? 0.15 : 0.09;
                    pair["q_comp"] = 0.08;
                    pair["v_comp"] = 0.088;
                    pair["baseline_mean"] = 0.0883;
                    pair["baseline_std"] = 0.002;
                    pairs.push_back(pair);
                }
        }
    json::Value baseline = json::Value::object();
    baseline["mean"] = 0.0883;
    baseline["std"] = 0.002;
    baseline["draws"] = 200;
    json::Value file = json::Value::object();
    file["fold_layer_norm"] = true;
    file["baseline"] = baseline;
    file["heads"] = heads;
    file["pairs"] = pairs;
    return file;
}

// validation.json's R; a null rho when there are no pairs (no heads above the first layer).
json::Value correlation(double rho, double low, double high, int pairs) {
    json::Value r = json::Value::object();
    r["spearman"] = pairs > 0 ? json::Value(rho) : json::Value();
    r["low"] = pairs > 0 ? json::Value(low) : json::Value();
    r["high"] = pairs > 0 ? json::Value(high) : json::Value();
    r["pairs"] = pairs;
    r["snapshots"] = SNAPSHOTS;
    return r;
}

json::Value validation(int n_layers) {
    json::Value readings = json::Value::object();
    readings["per-source-signed"] = correlation(0.84, 0.75, 0.9, 2 * n_layers * SNAPSHOTS);
    readings["deviation"] = correlation(0.54, 0.38, 0.72, 2 * n_layers * SNAPSHOTS);
    json::Value file = json::Value::object();
    file["copying_ratio"] = "per-source-signed";
    file["copying_vs_eig_copying"] = readings;
    file["prefix_vs_kcomp_trace"] = correlation(0.67, 0.52, 0.76, 2 * (n_layers - 1) * SNAPSHOTS);
    return file;
}

// ablations.json's {"value", "ci"} share of the clean ICL amount removed; null when that is not positive.
json::Value share_removed(double clean, double share, double half_width) {
    json::Value out = json::Value::object();
    out["value"] = clean > 0 ? json::Value(share) : json::Value();
    out["ci"] = clean > 0 ? numbers({share - half_width, share + half_width})
                          : json::Value::array({json::Value(), json::Value()});
    return out;
}

// ablations.json's effect of one ablation that leaves the ICL amount `ablated` of `clean`.
json::Value group_effect(double clean, double ablated) {
    double share = 1 - ablated / clean;
    json::Value effect = json::Value::object();
    effect["icl_amount"] = ablated;
    effect["icl_amount_ci"] = numbers({ablated - 0.05, ablated + 0.05});
    effect["delta_icl"] = ablated - clean;
    effect["delta_icl_ci"] = numbers({ablated - clean - 0.07, ablated - clean + 0.08});
    effect["icl_amount_band"] = ablated + 0.02;
    effect["icl_amount_band_ci"] = numbers({ablated - 0.01, ablated + 0.05});
    effect["delta_icl_band"] = ablated - clean - 0.01;
    effect["delta_icl_band_ci"] = numbers({ablated - clean - 0.04, ablated - clean + 0.02});
    effect["delta_loss"] = 0.3;
    effect["share_removed"] = share_removed(clean, share, 0.12);
    effect["share_removed_band"] = share_removed(clean, share - 0.02, 0.1);
    return effect;
}

// ablations.json (METHODS §5.4–§5.5) at every full snapshot: ablating the last layer's head 0 (the
// induction head of a model with a phase change) takes away the ICL that rises in the window,
// the other heads a little each. Without a phase change there is no induction group and no window.
json::Value ablations(int n_layers, int n_heads, bool phase_change) {
    json::Value groups = json::Value::object(), induction = json::Value::array(), other = json::Value::array();
    for (int l = 0; l < n_layers; ++l)
        for (int h = 0; h < n_heads; ++h)
            (phase_change && l == n_layers - 1 && h == 0 ? induction : other).push_back(json::Value::array({l, h}));
    if (phase_change) groups["induction"] = induction;
    groups["other"] = other;
    json::Value window = json::Value::object();
    window["found"] = phase_change;
    if (phase_change) {
        window["start_step"] = 40;
        window["end_step"] = 70;
        window["source"] = "the ICL curve's window (METHODS §6.1)";
    } else {
        window["reason"] = "no ICL window: rise 0.04 < 0.1";
    }
    json::Value snapshots = json::Value::array();
    for (int s = 0; s < SNAPSHOTS; ++s) {
        if (!is_full(s)) continue;
        double icl = phase_change ? 0.05 + rise(s, true, 0.4) : -0.02;  // 0.45 at the end with a phase change
        json::Value clean = json::Value::object();
        clean["icl_amount"] = icl;
        clean["icl_amount_ci"] = numbers({icl - 0.05, icl + 0.05});
        clean["icl_amount_band"] = icl + 0.02;
        clean["icl_amount_band_ci"] = numbers({icl - 0.01, icl + 0.05});
        clean["loss_random_token"] = 6.1 - 0.2 * s;
        json::Value heads = json::Value::object();
        for (const std::string key : {"delta_icl", "before_after"}) {
            if (key == "before_after" && !phase_change) continue;  // absent without a window
            json::Value layers = json::Value::array();
            for (int l = 0; l < n_layers; ++l) {
                std::vector<double> values;
                for (int h = 0; h < n_heads; ++h)
                    values.push_back(l == n_layers - 1 && h == 0 ? -rise(s, phase_change, key == "delta_icl" ? 0.4 : 9)
                                                                 : 0.01 * (h + 1));
                layers.push_back(numbers(values));
            }
            heads[key] = layers;
        }
        json::Value effects = json::Value::object();
        if (phase_change) effects["induction"] = group_effect(icl, 0.1 * icl);  // 90% removed
        effects["other"] = group_effect(icl, icl + 0.05);
        json::Value snapshot = json::Value::object();
        snapshot["step"] = 10 * (s + 1);
        snapshot["tokens"] = 1000.0 * (s + 1);
        snapshot["clean"] = clean;
        snapshot["heads"] = heads;
        snapshot["groups"] = effects;
        snapshots.push_back(snapshot);
    }
    json::Value bands = json::Value::object();
    bands["lo"] = numbers({2, 3});
    bands["hi"] = numbers({12, 16});
    json::Value file = json::Value::object();
    file["mode"] = "pattern";
    file["examples"] = 8;
    file["icl_lo"] = 2;
    file["icl_hi"] = 15;
    file["icl_bands"] = bands;
    file["bootstrap_resamples"] = 100;
    file["delta_sign"] = "ablated minus clean ICL amount per decade: negative when the ablation removes ICL";
    file["groups"] = groups;
    file["before_after"] = window;
    file["snapshots"] = snapshots;
    return file;
}

// head_patterns.json's lower-triangle bytes of snapshot s, display head i: cell k holds 10 * (s + i) + k.
std::string pattern_bytes(int s, int i) {
    std::string bytes;
    for (int k = 0; k < PATTERN_TOKENS * (PATTERN_TOKENS + 1) / 2; ++k) bytes += static_cast<char>(10 * (s + i) + k);
    return bytes;
}

// head_patterns.json of attn-2l: two display heads at every snapshot.
json::Value head_patterns() {
    json::Value file = json::Value::object();
    file["example"] = "BOS + 2 random tokens, repeated twice";
    file["tokens"] = json::Value::array({"<|endoftext|>", " A&B", " tok", " A&B", " tok"});
    json::Value induction = json::Value::object(), previous = json::Value::object();
    induction["layer"] = 1;
    induction["head"] = 0;
    induction["why"] = "top prefix matching";
    previous["layer"] = 0;
    previous["head"] = 1;
    previous["why"] = "top previous token";
    file["heads"] = json::Value::array({induction, previous});
    json::Value steps = json::Value::array(), patterns = json::Value::array();
    for (int s = 0; s < SNAPSHOTS; ++s) {
        steps.push_back(10 * (s + 1));
        patterns.push_back(json::Value::array({base64(pattern_bytes(s, 0)), base64(pattern_bytes(s, 1))}));
    }
    file["steps"] = steps;
    file["patterns"] = patterns;
    return file;
}

void write_model(const TempDir& dir, const std::string& name, int n_layers, bool phase_change) {
    const std::string base = "metrics/" + name + "/";
    const int n_heads = 2;
    json::Value snapshots = json::Value::array();
    std::string loss_csv = "step,tokens", derivative_csv = "step,tokens,2,3.5,6,10.5\n";
    for (int i = 2; i <= CONTEXT; ++i) (loss_csv += ',') += std::to_string(i);
    loss_csv += "\n";
    for (int s = 0; s < SNAPSHOTS; ++s) {
        double tokens = 1000.0 * (s + 1), icl = 0.05 + rise(s, phase_change, 0.4);
        json::Value snapshot = json::Value::object();
        snapshot["step"] = 10 * (s + 1);
        snapshot["tokens"] = tokens;
        snapshot["loss"] = 6.0 - 0.2 * s;
        snapshot["loss_random_token"] = s == 3 ? json::Value() : json::Value(6.1 - 0.2 * s);  // a missing value
        snapshot["icl_score"] = -icl;
        snapshot["icl_amount"] = icl;
        snapshot["icl_per_decade"] = icl;
        snapshot["full"] = is_full(s);
        snapshot["icl_per_decade_ci"] = numbers({icl - 0.03, icl + 0.03});
        snapshot["icl_band"] = icl + 0.01;
        snapshot["icl_band_ci"] = numbers({icl - 0.01, icl + 0.03});
        for (const std::string key : {"prefix_matching", "copying", "copy_eig", "previous_token",
                                      "prev_token_kcomp_trace", "smear_sigma"}) {
            bool measured_at_full_only = key == "copying" || key == "copy_eig" || key == "prev_token_kcomp_trace";
            if ((measured_at_full_only && !is_full(s)) || (key == "smear_sigma" && phase_change)) {
                snapshot[key] = json::Value();  // not measured here; attn-2l has no smeared keys
                continue;
            }
            json::Value layers = json::Value::array();
            for (int l = 0; l < n_layers; ++l) {
                json::Value heads = json::Value::array();
                for (int h = 0; h < n_heads; ++h) {
                    double value = 0.1 + (l == n_layers - 1 && h == 0 ? rise(s, phase_change, 0.7) : 0.02 * h);
                    bool defined = key != "prev_token_kcomp_trace" || l > 0;  // null in the first layer
                    if (key == "smear_sigma") value = 0.5 + 0.02 * (s + h);
                    heads.push_back(defined ? json::Value(key == "copy_eig" ? value - 0.05 : value) : json::Value());
                }
                layers.push_back(heads);
            }
            snapshot[key] = layers;
        }
        snapshots.push_back(snapshot);
        std::string row = std::to_string(10 * (s + 1)) + "," + std::to_string(int(tokens));
        loss_csv += row;
        for (int i = 2; i <= CONTEXT; ++i)
            (loss_csv += ',') += std::to_string(6.0 - 0.2 * s - icl * std::log(i));
        loss_csv += "\n";
        derivative_csv += row + ",-0.1,-0.2," + (s == 0 ? std::string("nan") : "-0.3") + ",0.05\n";
    }
    json::Value snapshots_file = json::Value::object();
    snapshots_file["model"] = name;
    snapshots_file["description"] = name + " & friends";
    snapshots_file["n_layers"] = n_layers;
    snapshots_file["n_heads"] = n_heads;
    snapshots_file["context"] = CONTEXT;
    if (phase_change) {  // attn-1l stands for older metrics without it
        json::Value final_icl = json::Value::object();
        final_icl["examples"] = 1000;
        final_icl["per_decade"] = 0.45;
        final_icl["per_decade_ci"] = numbers({0.44, 0.46});
        final_icl["band"] = 0.47;
        final_icl["band_ci"] = numbers({0.455, 0.485});
        snapshots_file["final_icl"] = final_icl;
    }
    snapshots_file["snapshots"] = snapshots;
    write_json(dir, base + "snapshots.json", snapshots_file);
    dir.write(base + "loss_by_position.csv", loss_csv);
    dir.write(base + "loss_derivative.csv", derivative_csv);

    json::Value heads = json::Value::array();
    for (int l = 0; l < n_layers; ++l)
        for (int h = 0; h < n_heads; ++h) {
            json::Value head = json::Value::object();
            head["layer"] = l;
            head["head"] = h;
            head["prefix_matching"] = 0.8;
            head["copying"] = h == 1 ? -0.02 : 0.5;
            head["eig_copying"] = 0.25;
            head["previous_token"] = 0.1;
            head["class"] = l == n_layers - 1 && h == 0 && phase_change ? "induction" : "other";
            head["unstable"] = h == 1;
            head["copying_disagreement"] = h == 1;
            heads.push_back(head);
        }
    json::Value heads_file = json::Value::object();
    heads_file["copying_ratio"] = "per-source-signed";
    heads_file["copying_random_baseline"] = 0.0;
    heads_file["heads"] = heads;
    write_json(dir, base + "heads.json", heads_file);
    write_json(dir, base + "circuits.json", circuits(n_layers, n_heads));
    write_json(dir, base + "validation.json", validation(n_layers));
    write_json(dir, base + "ablations.json", ablations(n_layers, n_heads, phase_change));

    json::Value rise_window = json::Value::object();
    rise_window["found"] = phase_change;
    rise_window["y_pre"] = 0.06;
    rise_window["y_post"] = phase_change ? 0.44 : 0.1;
    rise_window["frac_in_window"] = phase_change ? 0.8 : 0.0;
    rise_window["log_n"] = false;
    json::Value phase = json::Value::object();
    phase["verdict"] = phase_change ? "phase change" : "no phase change";
    phase["reason"] = phase_change ? "" : "rise y_post - y_pre = 0.04 < 0.1";
    if (phase_change) {
        json::Value window = json::Value::object();
        window["start_tokens"] = 4000;
        window["end_tokens"] = 7000;
        window["start_step"] = 40;
        window["end_step"] = 70;
        phase["window"] = window;
    } else {
        phase["window"] = json::Value();
    }
    phase["icl"] = rise_window;
    phase["prefix"] = rise_window;
    phase["midpoint_lag_tokens"] = phase_change ? json::Value(0.0) : json::Value();
    phase["iou"] = phase_change ? json::Value(0.9) : json::Value();
    phase["loss_bump"] = json::Value();
    phase["schedule_changes_in_window"] = json::Value::array();
    if (phase_change) {  // attn-1l stands for older metrics without these
        json::Value burn_in = json::Value::object();
        burn_in["tokens"] = 1000;
        burn_in["source"] = "the first ceil(0.05 x 12) = 1 snapshots";
        phase["burn_in"] = burn_in;
        json::Value bump = json::Value::object();
        bump["found"] = true;
        bump["height"] = 0.021;
        bump["location_tokens"] = 5000;
        bump["overlaps_window"] = true;
        bump["other_regions"] = json::Value::array();
        phase["loss_bump_linear"] = bump;
        json::Value pivot = json::Value::object();
        pivot["found"] = true;
        pivot["step"] = 60;
        pivot["tokens"] = 6000;
        pivot["angle_degrees"] = 40.4;
        pivot["in_window"] = true;
        phase["pca_pivot"] = pivot;
    }
    write_json(dir, base + "phase.json", phase);

    if (!phase_change) return;  // a model without a window has no patterns or token changes here
    write_json(dir, base + "head_patterns.json", head_patterns());
    json::Value pattern = json::Value::object();
    pattern["layer"] = n_layers - 1;
    pattern["head"] = 0;
    pattern["prefix_matching"] = 0.8;
    json::Value tokens = json::Value::array(), rows = json::Value::array();
    const int T = 9;  // BOS + 4 random tokens, repeated twice
    for (int q = 0; q < T; ++q) {
        tokens.push_back(q == 0 ? "<|endoftext|>" : q % 4 == 1 ? " A&B" : " tok");
        std::vector<double> row(T, 0.0);
        row[q >= 5 ? q - 3 : q] = 1.0;  // the induction stripe: attend to the token after the earlier copy
        rows.push_back(numbers(row));
    }
    pattern["tokens"] = tokens;
    pattern["pattern"] = rows;
    write_json(dir, base + "induction_pattern.json", pattern);

    json::Value example = json::Value::object();
    json::Value example_tokens = json::Value::array();
    for (const char* t : {"<|endoftext|>", " Mr", " & ", "\n", " Mr"}) example_tokens.push_back(t);
    example["tokens"] = example_tokens;
    json::Value before = numbers({0, 5.0, 4.0, 2.0, 4.5}), after = numbers({0, 4.0, 4.4, 2.0, 0.5});
    before.as_array()[0] = json::Value();
    after.as_array()[0] = json::Value();
    example["loss_before"] = before;
    example["loss_after"] = after;
    json::Value changes = json::Value::object();
    changes["start_step"] = 40;
    changes["end_step"] = 70;
    changes["examples"] = json::Value::array({example});
    write_json(dir, base + "token_changes.json", changes);
}

void write_run(const TempDir& dir) {
    json::Value run = json::Value::object();
    run["name"] = "synthetic";
    run["models"] = json::Value::array({"attn-1l", "attn-2l"});
    json::Value eval = json::Value::object();
    eval["n_examples"] = 8;
    eval["context"] = CONTEXT;
    eval["icl_lo"] = 2;
    eval["icl_hi"] = 15;
    eval["icl_kind"] = "per_decade";
    run["eval"] = eval;
    run["phase_reference"] = "attn-2l";
    write_json(dir, "metrics/run.json", run);
    write_model(dir, "attn-1l", 1, false);
    write_model(dir, "attn-2l", 2, true);

    json::Value pca = json::Value::object();
    pca["explained_variance_ratio"] = numbers({0.6, 0.2});
    json::Value models = json::Value::object();
    for (const std::string name : {"attn-1l", "attn-2l"}) {
        std::vector<double> steps, tokens, pc1, pc2;
        for (int s = 0; s < SNAPSHOTS; ++s) {
            steps.push_back(10 * (s + 1));
            tokens.push_back(1000 * (s + 1));
            pc1.push_back(s - 6.0);
            pc2.push_back(name == "attn-2l" ? rise(s, true, 3.0) : 0.1 * s);
        }
        json::Value trajectory = json::Value::object();
        trajectory["steps"] = numbers(steps);
        trajectory["tokens"] = numbers(tokens);
        trajectory["pc1"] = numbers(pc1);
        trajectory["pc2"] = numbers(pc2);
        models[name] = trajectory;
    }
    pca["models"] = models;
    write_json(dir, "metrics/pca.json", pca);
}

TEST(Report, DrawsEveryRowForEveryModelWithTheWindowAndNotes) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    // 11 figure rows x 2 models but attn-1l's K-composition trace and before-and-after attribution
    // and attn-2l's σ(α) (notes); the attention pattern of attn-2l; circuits: an eigenvalue plot per
    // head and 2 singular-value plots per model, 3 composition heatmaps for attn-2l; an Argument 3
    // bar chart per model; validation scatters: 1 for attn-1l, 2 for attn-2l.
    EXPECT_EQ(count(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure\""),
              19u + 1u + (2u + 2u) + (4u + 2u + 3u) + 2u + 1u + 2u);
    for (const std::string row : {"Snapshot slider", "PCA trajectory", "Loss curve", "In-context learning heatmap",
                                  "Loss derivative", "ICL score", "Prefix matching", "Previous token",
                                  "Smeared keys σ(α)", "Previous-token K-composition trace over training",
                                  "Ablation attribution to ICL", "Before-and-after attribution"})
        EXPECT_NE(html.find("<b class=\"title\">" + row + "</b>"), std::string::npos) << row;
    EXPECT_NE(html.find("attn-1l has one layer: the trace needs previous-token heads in an earlier layer"),
              std::string::npos);
    // attn-2l's window: an orange band with a strip in its 9 token-axis rows; attn-1l shows the
    // reference model's (attn-2l) window as a grey band without a strip in its 8 drawn ones; attn-2l's
    // burn-in is a grey band in its ICL plot.
    EXPECT_EQ(count(html, "class=\"band-strip\""), 9u);
    EXPECT_EQ(count(html, "class=\"band\""), 9u + 8u + 1u);
    EXPECT_NE(html.find("4000 – 7000 tokens (steps 40 – 70)"), std::string::npos);
    // The summary table, with the paper's reference row.
    EXPECT_NE(html.find("class=\"summary\""), std::string::npos);
    EXPECT_NE(html.find("paper [O]"), std::string::npos);
    EXPECT_NE(html.find("0.060 → 0.440"), std::string::npos);
    // The ICL score is labelled with both signs.
    EXPECT_NE(html.find("ICL score = L(15) − L(2)"), std::string::npos);
    EXPECT_NE(html.find("negative = more in-context learning"), std::string::npos);
    EXPECT_NE(html.find("ICL amount = L(2) − L(15)"), std::string::npos);
    // Missing files become notes.
    EXPECT_NE(html.find("no induction_pattern.json for attn-1l"), std::string::npos);
    EXPECT_NE(html.find("no token_changes.json for attn-1l"), std::string::npos);
    // Escaping: token text and descriptions never appear raw.
    EXPECT_EQ(html.find("<|endoftext|>"), std::string::npos);
    EXPECT_NE(html.find("&lt;|endoftext|&gt;"), std::string::npos);
    EXPECT_NE(html.find("attn-2l &amp; friends"), std::string::npos);
    EXPECT_EQ(html.find(" A&B"), std::string::npos);
    // Token changes: better in green, worse in red, numbers in the tooltip.
    EXPECT_NE(html.find("rgba(44,160,44,0.85)\" title=\"·Mr: loss 4.50 → 0.50 nats (change -4.00)\""),
              std::string::npos);
    EXPECT_NE(html.find("rgba(214,39,40,0.17)"), std::string::npos);
    // No NaN or infinity anywhere a reader (or a browser) could see it.
    std::string visible = visible_lower(html);
    EXPECT_EQ(visible.find("nan"), std::string::npos);
    EXPECT_EQ(visible.find("infinity"), std::string::npos);
}

// The HTML between two markers (exclusive); the rest of the page after `from` when `to` is missing.
std::string between(const std::string& html, const std::string& from, const std::string& to) {
    size_t start = html.find(from);
    EXPECT_NE(start, std::string::npos) << from;
    return html.substr(start, html.find(to, start) - start);
}

TEST(Report, DrawsTheAblationAttributionRowsOverTrainingWithTheirSign) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    std::string table = between(html, "<section id=\"table\">", "</section>");
    EXPECT_NE(table.find("<b>Below 0: ablating the head removes ICL</b>; pattern-preserving ablation, METHODS "
                         "§5.2/§5.4"),
              std::string::npos);
    // ΔICL for both models; the before-and-after attribution for attn-2l, a note with the reason for attn-1l.
    EXPECT_EQ(count(table, ">ΔICL per decade (nats)<"), 2u);
    EXPECT_EQ(count(table, ">a(h, s) (nats)<"), 1u);
    EXPECT_NE(table.find("no before-and-after vector for attn-1l: no ICL window: rise 0.04 &lt; 0.1"),
              std::string::npos);
    // Lines coloured by final class: in both rows, attn-2l's induction head in red and its legend entry.
    std::string rows = between(table, ">Ablation attribution to ICL</b>", "</tbody>");
    EXPECT_EQ(count(rows, "stroke=\"#d62728\" stroke-width=\"1.1\""), 2u * 2u);
    EXPECT_EQ(count(rows, ">induction</text>"), 2u);
}

TEST(Report, ShowsArgument3PerModelAndInTheSummary) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    EXPECT_EQ(count(html, "<h3>Argument 3: ablating the head groups (final snapshot, ablations.json)</h3>"), 2u);
    EXPECT_EQ(count(html, "The paper: almost all ICL is removed by ablating the induction heads"), 2u);
    EXPECT_EQ(count(html, "pattern-preserving ablation (§5.2) on 8 examples"), 2u);
    EXPECT_EQ(count(html, ">ICL amount at step 120<"), 2u);

    std::string panel = between(html, "<section class=\"model\" id=\"model-attn-2l\">", "<h3>Circuits");
    // The bars: clean, then each group present, with a y tick label each.
    for (const std::string bar : {">clean<", ">induction ablated<", ">other ablated<"})
        EXPECT_EQ(count(panel, bar), 1u) << bar;
    EXPECT_EQ(panel.find(">previous-token ablated<"), std::string::npos);
    EXPECT_NE(panel.find(">95% interval<"), std::string::npos);
    // The table: [O]'s indices, then the [OURS] bands; the clean row first.
    EXPECT_NE(panel.find("[O]'s indices i = 2 and 15"), std::string::npos);
    EXPECT_NE(panel.find("[OURS] band-averaged: i in [2, 3] and [12, 16]"), std::string::npos);
    EXPECT_NE(panel.find("<td>none (clean)</td><td>—</td><td class=\"num\">0.450 [0.400, 0.500]</td><td>—</td>"
                         "<td>—</td><td class=\"num\">0.470 [0.440, 0.500]</td>"),
              std::string::npos);
    EXPECT_NE(panel.find("<tr class=\"cls-induction\"><td>induction</td><td>L1H0</td>"
                         "<td class=\"num\">0.045 [-0.005, 0.095]</td><td class=\"num\">-0.405 [-0.475, -0.325]</td>"
                         "<td class=\"num\">90% (78–102%)</td><td class=\"num\">0.065 [0.035, 0.095]</td>"
                         "<td class=\"num\">-0.415 [-0.445, -0.385]</td><td class=\"num\">88% (78–98%)</td></tr>"),
              std::string::npos);
    EXPECT_NE(panel.find("<td>other</td><td>L0H0, L0H1, L1H1</td>"), std::string::npos);
    EXPECT_NE(panel.find("<td class=\"num\">-11% (-23 to 1%)</td>"), std::string::npos);
    // attn-1l's clean amount is negative: no share removed.
    std::string one_layer = between(html, "<section class=\"model\" id=\"model-attn-1l\">", "<h3>Circuits");
    EXPECT_NE(one_layer.find("<td>other</td><td>L0H0, L0H1</td><td class=\"num\">0.030 [-0.020, 0.080]</td>"
                             "<td class=\"num\">0.050 [-0.020, 0.130]</td><td class=\"num\">—</td>"),
              std::string::npos);

    // The summary: attn-2l's share beside the paper's "almost all"; "—" for attn-1l (no induction group).
    std::string summary = between(html, "<section id=\"summary\">", "</section>");
    EXPECT_NE(summary.find("<th>ICL removed by ablating the induction heads"), std::string::npos);
    EXPECT_NE(summary.find("0.90 · 0</td><td class=\"num\">90% (78–102%)</td>"), std::string::npos);
    EXPECT_NE(summary.find("— · —</td><td class=\"num\">—</td>"), std::string::npos);
    EXPECT_NE(summary.find("<td>high · ≪ window width</td><td>almost all</td>"), std::string::npos);

    // A share whose interval is unbounded (resamples with no clean ICL) says so.
    const std::string path = dir / "metrics/attn-2l/ablations.json";
    json::Value ablations = json::read_file(path);
    json::Value& last = ablations["snapshots"].as_array().back();
    last["groups"]["induction"]["share_removed"]["ci"] = json::Value::array({json::Value(), json::Value()});
    json::write_file(path, ablations);
    summary = between(render_report(dir.path), "<section id=\"summary\">", "</section>");
    EXPECT_NE(summary.find("<td class=\"num\">90% (unbounded)</td>"), std::string::npos);
}

TEST(Report, ARunWithoutAblationsJsonRendersNotes) {
    TempDir dir;
    write_run(dir);
    std::filesystem::remove(dir / "metrics/attn-2l/ablations.json");
    std::string html = render_report(dir.path);
    // Both rows and the Argument 3 panel; attn-1l's are still drawn.
    EXPECT_EQ(count(html, "no ablations.json for attn-2l (older metrics: rerun induction analyze)"), 3u);
    EXPECT_EQ(count(html, ">ICL amount at step 120<"), 1u);
    EXPECT_EQ(count(html, ">ΔICL per decade (nats)<"), 1u);
    EXPECT_EQ(html.find("%)</td>"), std::string::npos);  // no share anywhere, the summary's included
    EXPECT_NE(between(html, "<section id=\"summary\">", "</section>").find("0.90 · 0</td><td class=\"num\">—</td>"),
              std::string::npos);
}

TEST(Report, AMalformedAblationsJsonIsAnErrorNamingTheFile) {
    TempDir dir;
    write_run(dir);
    json::Value ablations = json::read_file(dir / "metrics/attn-2l/ablations.json");
    ablations["snapshots"].as_array().back()["groups"]["induction"]["share_removed"]["ci"] = numbers({0.5});
    write_json(dir, "metrics/attn-2l/ablations.json", ablations);
    EXPECT_THROW_MESSAGE(render_report(dir.path), "attn-2l/ablations.json: an interval is not [lo, hi]");
}

TEST(Report, DrawsTheCircuitsOrANoteWhenCircuitsJsonIsMissing) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    EXPECT_EQ(count(html, "<h3>Circuits (final snapshot)</h3>"), 2u);
    // Eigenvalue plots titled with eig_copying; eigenvalues scaled into the unit disk.
    EXPECT_NE(html.find(">L1H0 · eig_copying 0.99<"), std::string::npos);
    EXPECT_NE(html.find(">L0H1 · eig_copying 0.20<"), std::string::npos);
    EXPECT_NE(html.find(">Re λ / max |λ|<"), std::string::npos);
    // Composition heatmaps (attn-2l only) with the baseline in the caption; attn-1l gets a note.
    for (const std::string title : {">K-composition<", ">Q-composition<", ">V-composition<"})
        EXPECT_EQ(count(html, title), 1u) << title;
    EXPECT_NE(html.find("baseline 0.0883 ± 0.0020 (mean ± std over 200 random pairs)"), std::string::npos);
    EXPECT_NE(html.find("composition needs two layers"), std::string::npos);
    EXPECT_EQ(count(html, ">W_OV singular values<"), 2u);
    EXPECT_EQ(count(html, ">W_QK singular values<"), 2u);

    std::filesystem::remove(dir / "metrics/attn-2l/circuits.json");
    html = render_report(dir.path);
    EXPECT_NE(html.find("no circuits.json for attn-2l"), std::string::npos);
    EXPECT_EQ(html.find(">K-composition<"), std::string::npos);
    EXPECT_EQ(html.find(">L1H0 · eig_copying"), std::string::npos);
    EXPECT_EQ(count(html, ">W_OV singular values<"), 1u);  // attn-1l's
}

TEST(Report, DrawsTheValidationScattersWithTheirCorrelations) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    // copying against eig_copying for both models; prefix matching against the trace for attn-2l only.
    EXPECT_EQ(count(html, "Spearman ρ = 0.84, 95% interval [0.75, 0.90]"), 2u);
    EXPECT_EQ(count(html, "Spearman ρ = 0.67, 95% interval [0.52, 0.76] (24 head-snapshots, 12 snapshots)"), 1u);
    EXPECT_NE(html.find("needs heads above the first layer"), std::string::npos);
    EXPECT_EQ(count(html, "per-source-signed <b>(default)</b>"), 2u);
    EXPECT_EQ(count(html, "<td>deviation</td><td class=\"num\">0.54 [0.38, 0.72]</td>"), 2u);
    // Without validation.json the scatters stay (they are drawn from snapshots.json).
    std::filesystem::remove(dir / "metrics/attn-2l/validation.json");
    html = render_report(dir.path);
    EXPECT_NE(html.find("no validation.json for attn-2l"), std::string::npos);
    EXPECT_EQ(count(html, "Spearman ρ = 0.84"), 1u);
    EXPECT_EQ(count(html, "<figcaption>no validation.json</figcaption>"), 2u);
}

TEST(Report, HeadTableShowsEigCopyingAndFlags) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    EXPECT_EQ(count(html, "<th>eig_copying<br><small>§4.3, random 0</small></th>"), 2u);
    EXPECT_EQ(count(html, "<br><small>per-source-signed, random 0</small>"), 2u);
    // Head 1 of each layer (3 heads in all) disagrees and is unstable; one footnote of each per model.
    EXPECT_EQ(count(html, "<span class=\"flag\" title=\"copying measures disagree"), 3u);
    EXPECT_EQ(count(html, "<span class=\"flag\">*</span> copying measures disagree"), 2u);
    EXPECT_EQ(count(html, ">†</span>"), 3u + 2u);
    EXPECT_NE(html.find("-0.020 <span class=\"flag\""), std::string::npos);
}

TEST(Report, WritesTheSameBytesEveryTime) {
    TempDir dir;
    write_run(dir);
    write_report(dir.path);
    std::string first = read_file_bytes(dir / "report.html");
    write_report(dir.path);
    EXPECT_EQ(read_file_bytes(dir / "report.html"), first);
    EXPECT_FALSE(file_exists(dir / "report.html.tmp"));
    EXPECT_EQ(first, render_report(dir.path));
}

TEST(Report, AModelWithoutMetricsRendersNotes) {
    TempDir dir;
    write_run(dir);
    json::Value run = json::read_file(dir / "metrics/run.json");
    run["models"].push_back("mlp-2l");  // listed, but nothing written for it
    write_json(dir, "metrics/run.json", run);
    std::string html = render_report(dir.path);
    EXPECT_NE(html.find("no snapshots.json for mlp-2l"), std::string::npos);
    EXPECT_NE(html.find("no loss_by_position.csv for mlp-2l"), std::string::npos);
    EXPECT_NE(html.find("pca.json has no trajectory for mlp-2l"), std::string::npos);
    EXPECT_NE(html.find("no phase.json"), std::string::npos);
}

TEST(Report, ErrorsNameTheFile) {
    TempDir dir;
    EXPECT_THROW_MESSAGE(render_report(dir.path), "metrics/run.json not found");
    write_run(dir);
    dir.write("metrics/attn-2l/loss_by_position.csv", "step,tokens,2\n10,1000,oops\n");
    EXPECT_THROW_MESSAGE(render_report(dir.path), "loss_by_position.csv: line 2: expected a number, got 'oops'");
}

TEST(Report, AMalformedCircuitsJsonIsAnErrorNamingTheFile) {
    TempDir dir;
    write_run(dir);
    json::Value circuits = json::read_file(dir / "metrics/attn-2l/circuits.json");
    circuits["pairs"] = 3;
    write_json(dir, "metrics/attn-2l/circuits.json", circuits);
    EXPECT_THROW_MESSAGE(render_report(dir.path), "attn-2l/circuits.json: field 'pairs' at line 62, column 12: expected array, got number");
    dir.write("metrics/attn-2l/circuits.json", "{\"heads\": [");
    EXPECT_THROW_MESSAGE(render_report(dir.path), "attn-2l/circuits.json");
}

// The text between `from` (exclusive) and the next `to`.
std::string after(const std::string& html, const std::string& from, const std::string& to) {
    size_t start = html.find(from);
    EXPECT_NE(start, std::string::npos) << from;
    if (start == std::string::npos) return "";
    start += from.size();
    return html.substr(start, html.find(to, start) - start);
}

// A model's slider data: the JSON of its <script type="application/json">, parsed.
json::Value slider_data(const std::string& html, const std::string& key) {
    return json::parse(after(html, "data-report=\"slider-data\" data-slider=\"" + key + "\">", "</script>"));
}

TEST(Report, HasASnapshotSliderPerModelStartingAtTheFinalSnapshot) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    EXPECT_EQ(count(html, "<input type=\"range\" class=\"snapshot-slider\""), 2u);
    EXPECT_NE(html.find("<input type=\"range\" class=\"snapshot-slider\" data-slider=\"model-attn-2l\" min=\"0\" "
                        "max=\"11\" step=\"1\" value=\"11\""),
              std::string::npos);
    // One script, the sliders', after them; each slider's data in its own JSON element.
    EXPECT_EQ(count(html, "<script"), 3u);
    EXPECT_EQ(count(html, "<script data-report=\"slider\">"), 1u);
    EXPECT_GT(html.find("<script data-report=\"slider\">"), html.rfind("class=\"snapshot-slider\""));
    EXPECT_EQ(count(html, "<script type=\"application/json\" data-report=\"slider-data\""), 2u);

    // The panel at the final snapshot: the readout...
    std::string panel = between(html, "<div class=\"slider\" data-slider=\"model-attn-2l\">", "<script");
    EXPECT_NE(panel.find("step <b data-field=\"step\">120</b> · <span data-field=\"tokens\">1.2e4</span> tokens"),
              std::string::npos);
    EXPECT_NE(panel.find("[O] L(2)−L(15) per decade: <span data-field=\"icl\">0.450 [0.420, 0.480]</span>"),
              std::string::npos);
    EXPECT_NE(panel.find("[OURS] band-averaged: <span data-field=\"band\">0.460 [0.440, 0.480]</span>"),
              std::string::npos);
    // ...the display heads' patterns: a cell per lower-triangle entry, opacity = byte / 255...
    EXPECT_EQ(count(panel, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pattern\""), 2u);
    EXPECT_EQ(count(panel, "<rect class=\"w\""), 2u * 15u);
    EXPECT_NE(panel.find("<b>L1H0</b> top prefix matching"), std::string::npos);
    std::string cell = after(panel, "data-pattern=\"1\"", "</rect>");  // head 1, snapshot 11: cell 0 = 120
    EXPECT_NE(cell.find("fill-opacity=\"0.471\"><title>query 0 &lt;|endoftext|&gt; → key 0 &lt;|endoftext|&gt;"),
              std::string::npos);
    EXPECT_NE(panel.find("<title>query 4 ·tok → key 3 ·A&amp;B</title>"), std::string::npos);
    // ...and every head's scores (no σ(α) column without smeared keys).
    EXPECT_EQ(count(panel, "data-score=\"prefix_matching\""), 4u);
    EXPECT_EQ(count(panel, "data-score=\"copying\""), 4u);
    EXPECT_EQ(panel.find("σ(α)"), std::string::npos);
    EXPECT_NE(panel.find("<td>L1H0</td><td class=\"num\" data-score=\"prefix_matching\" data-head=\"2\">0.800</td>"),
              std::string::npos);

    // attn-1l: no head_patterns.json, a σ(α) column.
    std::string one_layer = between(html, "<div class=\"slider\" data-slider=\"model-attn-1l\">", "<script");
    EXPECT_NE(one_layer.find("no head_patterns.json"), std::string::npos);
    EXPECT_EQ(count(one_layer, "data-score=\"smear_sigma\""), 2u);
    EXPECT_NE(one_layer.find("<th>σ(α)</th>"), std::string::npos);
}

TEST(Report, SliderDataHoldsEverySnapshotWithNullsWhereNothingWasMeasured) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    json::Value data = slider_data(html, "model-attn-2l");
    for (const std::string key : {"step", "tokens", "loss", "icl", "icl_ci", "band", "band_ci", "full", "patterns"})
        EXPECT_EQ(data.at(key).size(), size_t(SNAPSHOTS)) << key;
    EXPECT_EQ(data.at("step")[0].as_number(), 10.0);
    EXPECT_EQ(data.at("tokens")[11].as_number(), 12000.0);
    EXPECT_EQ(data.at("icl_ci")[11][0].as_number(), 0.42);
    EXPECT_TRUE(data.at("full")[0].as_bool());
    EXPECT_FALSE(data.at("full")[1].as_bool());
    // Scores per snapshot, flattened l * H + h; copying only at the full snapshots.
    const json::Value& scores = data.at("scores");
    EXPECT_FALSE(scores.contains("smear_sigma"));
    EXPECT_EQ(scores.at("prefix_matching")[1].size(), 4u);
    EXPECT_EQ(scores.at("copying")[0].size(), 4u);
    EXPECT_TRUE(scores.at("copying")[1].is_null());
    EXPECT_TRUE(scores.at("copying")[2].is_null());
    EXPECT_EQ(scores.at("copying")[3][3].as_number(), 0.12);
    // The patterns as head_patterns.json has them (base64).
    EXPECT_EQ(data.at("patterns")[5][1].as_string(), base64(pattern_bytes(5, 1)));
    // attn-1l: σ(α), no patterns.
    json::Value one_layer = slider_data(html, "model-attn-1l");
    EXPECT_FALSE(one_layer.contains("patterns"));
    EXPECT_EQ(one_layer.at("scores").at("smear_sigma")[2][1].as_number(), 0.56);
    // The JSON element's text cannot end the element early.
    json::Value patterns = json::read_file(dir / "metrics/attn-2l/head_patterns.json");
    patterns["example"] = "</script><b>";
    json::write_file(dir / "metrics/attn-2l/head_patterns.json", patterns);
    EXPECT_NO_THROW(slider_data(render_report(dir.path), "model-attn-2l"));
}

TEST(Report, EveryTrainingCurveFigureHasTheSlidersCursor) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    std::string table = between(html, "<section id=\"table\">", "</section>");
    // attn-2l: loss, the two heatmaps, ICL, prefix matching, previous token, K-comp trace, ΔICL, a(h, s);
    // attn-1l: the same but the trace and a(h, s), with σ(α).
    EXPECT_EQ(count(table, "<g class=\"cursor\" data-cursor=\"model-attn-2l\""), 9u);
    EXPECT_EQ(count(table, "<g class=\"cursor\" data-cursor=\"model-attn-1l\""), 8u);
    EXPECT_EQ(count(html, "<g class=\"cursor\""), 9u + 8u);  // none outside the table
    // At the final snapshot (the right end of the linear token axes), visible.
    EXPECT_EQ(count(table, "visibility=\"hidden\""), 0u);
    std::string cursor = after(table, "<g class=\"cursor\" data-cursor=\"model-attn-2l\"", ">");
    EXPECT_NE(cursor.find("data-x-scale=\"linear\" data-x-lo=\"1000\" data-x-hi=\"12000\""), std::string::npos)
        << cursor;
    // A model with a single snapshot has no slider, and its figures no cursor.
    json::Value snapshots = json::read_file(dir / "metrics/attn-1l/snapshots.json");
    snapshots["snapshots"].as_array().resize(1);
    json::write_file(dir / "metrics/attn-1l/snapshots.json", snapshots);
    html = render_report(dir.path);
    EXPECT_EQ(count(html, "data-cursor=\"model-attn-1l\""), 0u);
    EXPECT_NE(html.find("the snapshot slider needs at least 2 snapshots"), std::string::npos);
    EXPECT_EQ(count(html, "class=\"snapshot-slider\""), 1u);
}

TEST(Report, IclPlotsShadeBothReadingsIntervalsAndTablesGiveTheFinalIcl) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    std::string row = between(html, "<b class=\"title\">ICL score</b>", "</tr>");
    EXPECT_EQ(count(row, "<polygon class=\"interval\""), 2u * 2u);  // [O] and [OURS], both models
    // Legend entries.
    EXPECT_EQ(count(row, "\">[O] L(2)−L(15) per decade</text>"), 2u);
    EXPECT_EQ(count(row, "\">[OURS] band-averaged</text>"), 2u);
    EXPECT_EQ(count(row, "\">amount = −score</text>"), 2u);  // 15 is not 10 x 2: the amount is shown too
    // The final ICL on every window: in the ICL cell of the table and in the summary, with half-widths.
    EXPECT_NE(row.find("Final snapshot, all 1000 evaluation windows, 95% intervals: [O] L(2)−L(15) per decade "
                       "0.450 [0.440, 0.460] (± 0.010); [OURS] band-averaged 0.470 [0.455, 0.485] (± 0.015)"),
              std::string::npos);
    std::string summary = between(html, "<section id=\"summary\">", "</section>");
    EXPECT_NE(summary.find("[O] 0.450 [0.440, 0.460] (± 0.010)<br>[OURS] 0.470 [0.455, 0.485] (± 0.015)<br>"
                           "<small>1000 windows</small>"),
              std::string::npos);
    // attn-1l has no final_icl (older metrics): a dash, no caption.
    EXPECT_NE(summary.find("<td class=\"num\">0.060 → 0.100</td><td class=\"num\">—</td>"), std::string::npos);
}

TEST(Report, SeriesMeasuredAtFullSnapshotsOnlyAreJoinedWithoutNan) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    // The K-composition trace (full snapshots only): one polyline per head of layer 1 through its
    // 5 measured points, no lone dots.
    std::string row = between(html, "<b class=\"title\">Previous-token K-composition trace over training</b>", "</tr>");
    std::string plot = between(row, "<svg x=", "</svg>");
    EXPECT_EQ(count(plot, "<polyline"), 2u);
    EXPECT_EQ(count(plot, "<circle"), 0u);
    EXPECT_EQ(count(after(plot, "<polyline", "/>"), ","), 5u);
    std::string visible = visible_lower(html);
    EXPECT_EQ(visible.find("nan"), std::string::npos);
    EXPECT_EQ(visible.find("infinity"), std::string::npos);
}

TEST(Report, ShowsSigmaAlphaAndThePhaseDetectorsReadings) {
    TempDir dir;
    write_run(dir);
    std::string html = render_report(dir.path);
    std::string row = between(html, "<b class=\"title\">Smeared keys σ(α)</b>", "</tr>");
    EXPECT_EQ(count(row, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure\""), 1u);  // attn-1l
    EXPECT_NE(row.find("attn-2l has no smeared keys"), std::string::npos);
    EXPECT_EQ(count(row, ">σ(α)<"), 1u);

    std::string summary = between(html, "<section id=\"summary\">", "</section>");
    EXPECT_NE(summary.find("<h3>Phase-change detection (§6)</h3>"), std::string::npos);
    EXPECT_NE(summary.find("<td class=\"num\">0.80 / 0.80</td><td>1000 tokens (the first ceil(0.05 x 12) = 1 "
                           "snapshots)</td><td>—</td><td>height 0.021 at 5000 tokens, in the window</td>"
                           "<td>step 60 (6000 tokens), θ = 40°, in the window</td>"),
              std::string::npos);
    EXPECT_NE(summary.find("<td class=\"num\">0.00 / 0.00</td><td>—</td><td>—</td><td>—</td><td>—</td>"),
              std::string::npos);
    // The burn-in in attn-2l's ICL plot, the pivot on its PCA trajectory.
    EXPECT_NE(html.find("<title>burn-in: 1000 tokens (the first ceil(0.05 x 12) = 1 snapshots)</title>"),
              std::string::npos);
    std::string pca = between(html, "<b class=\"title\">PCA trajectory</b>", "</tr>");
    EXPECT_EQ(count(pca, ">pivot, θ = 40°<"), 1u);
    EXPECT_EQ(count(pca, "fill=\"#000000\""), 2u);  // the dot and its legend entry
}

TEST(Report, AMalformedHeadPatternsJsonIsAnErrorNamingTheFile) {
    TempDir dir;
    write_run(dir);
    const std::string path = dir / "metrics/attn-2l/head_patterns.json";
    json::Value good = json::read_file(path), file = good;
    file["steps"].as_array()[3] = 35;
    json::write_file(path, file);
    EXPECT_THROW_MESSAGE(render_report(dir.path), "head_patterns.json: \"steps\"[3] = 35 but snapshots.json's "
                                                  "snapshot 3 is step 40");
    file = good;
    file["patterns"].as_array()[2].as_array()[1] = base64("short");
    json::write_file(path, file);
    EXPECT_THROW_MESSAGE(render_report(dir.path), "head_patterns.json: \"patterns\"[2][1] holds 5 bytes, expected 15");
    file = good;
    file["patterns"].as_array()[2].as_array()[1] = "not base64!";
    json::write_file(path, file);
    EXPECT_THROW_MESSAGE(render_report(dir.path), "attn-2l/head_patterns.json: base64 of 11 characters");
}

}  // namespace
}  // namespace induction
