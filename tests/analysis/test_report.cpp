// test_report.cpp — the HTML report on a synthetic metrics directory of two models: "attn-2l" with
// a phase-change window and "attn-1l" with none (and no induction_pattern.json / token_changes.json).
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <string>

#include "analysis/report.h"
#include "model/file_io.h"
#include "model/json.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using testing::TempDir;

constexpr int SNAPSHOTS = 12;
constexpr int CONTEXT = 16;

size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The page without its data: URIs (base64 may spell anything), in lower case.
std::string visible_lower(std::string text) {
    for (size_t at = text.find("data:"); at != std::string::npos; at = text.find("data:", at))
        text.erase(at, text.find('"', at) - at);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
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

void write_model(const TempDir& dir, const std::string& name, int n_layers, bool phase_change) {
    const std::string base = "metrics/" + name + "/";
    const int n_heads = 2;
    json::Value snapshots = json::Value::array();
    std::string loss_csv = "step,tokens", derivative_csv = "step,tokens,2,3.5,6,10.5\n";
    for (int i = 2; i <= CONTEXT; ++i) loss_csv += "," + std::to_string(i);
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
        for (const std::string key : {"prefix_matching", "copying", "previous_token"}) {
            json::Value layers = json::Value::array();
            for (int l = 0; l < n_layers; ++l) {
                json::Value heads = json::Value::array();
                for (int h = 0; h < n_heads; ++h)
                    heads.push_back(0.1 + (l == n_layers - 1 && h == 0 ? rise(s, phase_change, 0.7) : 0.02 * h));
                layers.push_back(heads);
            }
            snapshot[key] = layers;
        }
        snapshots.push_back(snapshot);
        std::string row = std::to_string(10 * (s + 1)) + "," + std::to_string(int(tokens));
        loss_csv += row;
        for (int i = 2; i <= CONTEXT; ++i) loss_csv += "," + std::to_string(6.0 - 0.2 * s - icl * std::log(i));
        loss_csv += "\n";
        derivative_csv += row + ",-0.1,-0.2," + (s == 0 ? std::string("nan") : "-0.3") + ",0.05\n";
    }
    json::Value snapshots_file = json::Value::object();
    snapshots_file["model"] = name;
    snapshots_file["description"] = name + " & friends";
    snapshots_file["n_layers"] = n_layers;
    snapshots_file["n_heads"] = n_heads;
    snapshots_file["context"] = CONTEXT;
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
            head["copying"] = 0.5;
            head["previous_token"] = 0.1;
            head["class"] = l == n_layers - 1 && h == 0 && phase_change ? "induction" : "other";
            heads.push_back(head);
        }
    json::Value heads_file = json::Value::object();
    heads_file["heads"] = heads;
    write_json(dir, base + "heads.json", heads_file);

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
    write_json(dir, base + "phase.json", phase);

    if (!phase_change) return;  // a model without a window has no pattern or token changes here
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
    // 7 table rows x 2 models, plus the attention pattern of attn-2l.
    EXPECT_EQ(count(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure\""), 15u);
    for (const std::string row : {"PCA trajectory", "Loss curve", "In-context learning heatmap", "Loss derivative",
                                  "ICL score", "Prefix matching", "Previous token"})
        EXPECT_NE(html.find("<b class=\"title\">" + row + "</b>"), std::string::npos) << row;
    // attn-2l's window: an orange band with a strip in its 6 token-axis rows; attn-1l shows the
    // reference model's (attn-2l) window as a grey band without a strip in the same rows.
    EXPECT_EQ(count(html, "class=\"band-strip\""), 6u);
    EXPECT_EQ(count(html, "class=\"band\""), 12u);
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

}  // namespace
}  // namespace induction
