// page_parts.cpp — shared pieces of the clamp pages, and reading series out of result.json.
#include "tools/clamp/page_parts.h"

#include <cmath>
#include <cstdio>

namespace induction {

Series eval_series(const json::Value& result, const std::string& split, const std::string& metric) {
    Series s;
    for (const json::Value& e : result.at("evaluations").as_array()) {
        s.x.push_back(e.at("sequences").as_number());
        s.y.push_back(e.at(split).at(metric).as_number());
    }
    return s;
}

Series probe_series(const json::Value& result, const std::string& key, int index) {
    Series s;
    for (const json::Value& p : result.at("probes").as_array()) {
        s.x.push_back(p.at("sequences").as_number());
        s.y.push_back(p.at(key)[size_t(index)].as_number());
    }
    return s;
}

Series probe_metric(const json::Value& result, const std::string& probe, const std::string& metric) {
    Series s;
    for (const json::Value& p : result.at("probes").as_array()) {
        s.x.push_back(p.at("sequences").as_number());
        s.y.push_back(p.at(probe).at(metric).as_number());
    }
    return s;
}

double learning_time(const json::Value& result) {
    const Series s = eval_series(result, "train");
    for (size_t i = 0; i < s.y.size(); ++i)
        if (s.y[i] < 0.4 * std::log(2.0)) return s.x[i];
    return NAN;
}

double plateau_length(const json::Value& result) {
    const Series s = eval_series(result, "train");
    if (s.x.size() < 2) return NAN;
    int64_t on_plateau = 0;
    for (double y : s.y) on_plateau += std::fabs(y - std::log(2.0)) <= 0.1 * std::log(2.0);
    return double(on_plateau) * (s.x[1] - s.x[0]);
}

std::string sequences_note(const ExperimentOptions& o) {
    if (o.lr_factor == 1.0) return "Sequences as trained, at the paper's learning rate 1e-5.";
    return "Sequences as trained, at " + number_text(o.lr_factor) + " × the paper's learning rate (--lr-factor): × " +
           number_text(o.lr_factor) + " for the paper's sequences at 1e-5.";
}

std::string palette(size_t i) {
    static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
    return colors[i % (sizeof colors / sizeof colors[0])];
}

std::string head_text(HeadId h) { return std::to_string(h.layer) + ":" + std::to_string(h.head); }

std::string number_text(double v) {
    if (std::isnan(v)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, std::fabs(v) >= 1000 ? "%.0f" : "%.3g", v);
    return text;
}

json::Value json_number(double v) { return std::isfinite(v) ? json::Value(v) : json::Value(); }

double final_value(const Series& s) { return s.y.empty() ? NAN : s.y.back(); }

std::string clamped_run_meaning(const std::string& run) {
    if (run == "none") return "nothing (A, B, C free)";
    if (run == "pt") return "step 1";
    if (run == "layer1") return "A: steps 1, 2";
    if (run == "match") return "A, B: steps 1, 2, 3qk, 4";
    if (run == "copy") return "C: steps 3v, 5";
    if (run == "layer1-copy") return "A, C: only B learns";
    return "";
}

svg::Figure head_curves(const std::string& title, const json::Value& result, const std::string& key) {
    svg::Figure f(760, 340);
    f.title = title;
    f.x.label = "training sequences";
    f.y.label = key;
    const json::Value& probes = result.at("probes");
    const size_t heads = probes.size() > 0 ? probes[0].at(key).size() : 0;
    for (size_t h = 0; h < heads; ++h) {
        Series s = probe_series(result, key, int(h));
        f.add(svg::Line{.x = s.x, .y = s.y, .color = palette(h), .label = "head " + std::to_string(h)});
    }
    return f;
}

svg::Figure kcomp_figure(const json::Value& result, const KeyHeads& h) {
    svg::Figure f(760, 340);
    f.title = "K-composition into induction head " + head_text(h.induction);
    f.x.label = "training sequences";
    f.y.label = "K-comp (reduced)";
    const json::Value& probes = result.at("probes");
    const size_t heads = probes.size() > 0 ? probes[0].at("k_comp").size() : 0;
    for (size_t j = 0; j < heads; ++j) {
        Series s;
        for (const json::Value& p : probes.as_array()) {
            s.x.push_back(p.at("sequences").as_number());
            s.y.push_back(p.at("k_comp")[size_t(h.induction.head)][j].as_number());
        }
        f.add(svg::Line{.x = s.x, .y = s.y, .color = palette(j), .label = "from 0:" + std::to_string(j)});
    }
    return f;
}

}  // namespace induction
