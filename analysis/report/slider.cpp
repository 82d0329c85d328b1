// slider.cpp — the snapshot slider of slider.h: the panel rendered at the final
// snapshot, the per-model JSON blob the script reads, and the script itself.
//
// The contract between the three (and tests/browser/check_report.py): a panel
// <div class="slider" data-slider="KEY"> holds the <input class="snapshot-slider" data-slider="KEY">,
// elements with data-field="step|tokens|loss|icl|band|full" (the readout), <svg class="pattern"
// data-pattern="i"> with one <rect class="w"> per lower-triangle cell in head_patterns.json's
// order, and <td data-score="SCORE" data-head="l*H+h">. The blob holds, per snapshot s:
//   {"step": [..], "tokens": [..], "loss": [..], "icl": [..], "icl_ci": [[lo, hi] | null, ..],
//    "band": [..], "band_ci": [..], "full": [true, false, ..],
//    "scores": {"prefix_matching": [[..L*H..] | null, ..], "previous_token": .., "copying": ..,
//               "smear_sigma": .. (smeared keys only)},
//    "patterns": [["<base64>", ..one per display head] ..]}   // with head_patterns.json only
// numbers rounded to 4 decimals, null where missing.
#include "analysis/report/slider.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/report/svg.h"
#include "analysis/report/text.h"
#include "model/io/base64.h"
#include "tensor/error.h"

namespace induction {

namespace {

using report_text::fixed;
using report_text::interval_text;
using report_text::note;
using report_text::tokens_text;
using report_text::visible_token;
using svg::escape;

// The per-head scores of the table, in column order, with their headings.
struct ScoreColumn {
    const char* key;
    const char* heading;
};
constexpr ScoreColumn SCORE_COLUMNS[] = {{"prefix_matching", "prefix matching"},
                                         {"previous_token", "previous token"},
                                         {"copying", "copying"},
                                         {"smear_sigma", "σ(α)"}};

// The pattern cells' colour at weight 1 (the cell's fill-opacity is the weight).
const char* PATTERN_COLOR = "#3f007d";

// ---- reading snapshots.json and head_patterns.json ----------------------------------------------

// object[key] as a number; NaN when missing or null.
double number_at(const json::Value& object, const std::string& key) {
    if (!object.contains(key) || object.at(key).is_null()) return NAN;
    return object.at(key).as_number();
}

// object[key] as [lo, hi]; NaN bounds when missing or null.
std::pair<double, double> interval_at(const json::Value& object, const std::string& key) {
    if (!object.contains(key) || object.at(key).is_null()) return {NAN, NAN};
    const json::Value& interval = object.at(key);
    check(interval.size() == 2, "\"", key, "\" is not [lo, hi]");
    auto bound = [](const json::Value& v) { return v.is_null() ? NAN : v.as_number(); };
    return {bound(interval[0]), bound(interval[1])};
}

// A number for the blob as it is (steps, tokens), null when missing.
json::Value exact(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }

// A number for the blob: rounded to 4 decimals (the page shows 3), null when missing.
json::Value rounded(double x) {
    if (!std::isfinite(x)) return json::Value();
    return std::round(x * 1e4) / 1e4;
}

// snapshot[key][l][h] for all L x H heads, flattened (l * H + h); null when the snapshot lacks
// the score (a non-full snapshot's copying, a model without smeared keys).
json::Value flat_scores(const json::Value& snapshot, const std::string& key, size_t layers, size_t heads) {
    if (!snapshot.contains(key) || snapshot.at(key).is_null()) return json::Value();
    const json::Value& by_layer = snapshot.at(key);
    json::Value out = json::Value::array();
    for (size_t l = 0; l < layers; ++l)
        for (size_t h = 0; h < heads; ++h) {
            bool present = l < by_layer.size() && !by_layer[l].is_null() && h < by_layer[l].size();
            out.push_back(present && !by_layer[l][h].is_null() ? rounded(by_layer[l][h].as_number()) : json::Value());
        }
    return out;
}

// Whether any snapshot has the score (σ(α) only with smeared keys).
bool any_has(const std::vector<json::Value>& snapshots, const std::string& key) {
    return std::any_of(snapshots.begin(), snapshots.end(),
                       [&](const json::Value& s) { return s.contains(key) && !s.at(key).is_null(); });
}

// "L1H2".
std::string head_name(int layer, int head) {
    std::string name = "L";
    name += std::to_string(layer);
    name += 'H';
    name += std::to_string(head);
    return name;
}

// head_patterns.json, checked against snapshots.json: the display heads, the token labels, and
// the final snapshot's decoded patterns (the one the page shows first).
struct DisplayPatterns {
    std::string example;
    std::vector<std::string> labels;  // visible token texts, [T]
    std::vector<std::string> heads;   // "L1H2", one per display head
    std::vector<std::string> why;     // why each head is shown
    std::vector<std::string> final;   // the final snapshot's bytes per head, T(T+1)/2 each
};

DisplayPatterns read_patterns(const json::Value& file, const std::vector<json::Value>& snapshots) {
    DisplayPatterns out;
    out.example = file.get("example", "");
    for (const json::Value& token : file.at("tokens").as_array())
        out.labels.push_back(visible_token(token.as_string(), 16));
    for (const json::Value& head : file.at("heads").as_array()) {
        out.heads.push_back(head_name(head.get<int>("layer", 0), head.get<int>("head", 0)));
        out.why.push_back(head.get("why", ""));
    }
    const json::Value& steps = file.at("steps");
    check(steps.size() == snapshots.size(), "\"steps\" has ", steps.size(), " entries, snapshots.json ",
          snapshots.size(), " snapshots");
    for (size_t s = 0; s < snapshots.size(); ++s)
        check(steps[s].as_number() == number_at(snapshots[s], "step"), "\"steps\"[", s, "] = ", steps[s].as_number(),
              " but snapshots.json's snapshot ", s, " is step ", number_at(snapshots[s], "step"));
    size_t T = out.labels.size(), cells = T * (T + 1) / 2;
    const json::Value& patterns = file.at("patterns");
    check(patterns.size() == snapshots.size(), "\"patterns\" has ", patterns.size(), " entries for ",
          snapshots.size(), " snapshots");
    for (size_t s = 0; s < patterns.size(); ++s) {
        check(patterns[s].size() == out.heads.size(), "\"patterns\"[", s, "] has ", patterns[s].size(),
              " patterns for ", out.heads.size(), " heads");
        for (size_t i = 0; i < out.heads.size(); ++i) {
            std::string bytes = base64_decode(patterns[s][i].as_string());
            check(bytes.size() == cells, "\"patterns\"[", s, "][", i, "] holds ", bytes.size(), " bytes, expected ",
                  cells, " (the lower triangle of ", T, " tokens)");
            if (s + 1 == patterns.size()) out.final.push_back(std::move(bytes));
        }
    }
    return out;
}

// ---- the blob -----------------------------------------------------------------------------------

json::Value interval_json(const json::Value& snapshot, const std::string& key) {
    auto [lo, hi] = interval_at(snapshot, key);
    if (!std::isfinite(lo) && !std::isfinite(hi)) return json::Value();
    return json::Value::array({rounded(lo), rounded(hi)});
}

json::Value slider_blob(const std::vector<json::Value>& snapshots, const std::vector<const char*>& scores,
                        size_t layers, size_t heads, const json::Value* head_patterns) {
    json::Value blob = json::Value::object();
    for (const char* key : {"step", "tokens", "loss", "icl", "icl_ci", "band", "band_ci", "full"})
        blob[key] = json::Value::array();
    json::Value by_score = json::Value::object();
    for (const char* key : scores) by_score[key] = json::Value::array();
    for (const json::Value& s : snapshots) {
        blob["step"].push_back(exact(number_at(s, "step")));
        blob["tokens"].push_back(exact(number_at(s, "tokens")));
        blob["loss"].push_back(rounded(number_at(s, "loss")));
        blob["icl"].push_back(rounded(number_at(s, "icl_per_decade")));
        blob["icl_ci"].push_back(interval_json(s, "icl_per_decade_ci"));
        blob["band"].push_back(rounded(number_at(s, "icl_band")));
        blob["band_ci"].push_back(interval_json(s, "icl_band_ci"));
        blob["full"].push_back(s.get<bool>("full", true));
        for (const char* key : scores) by_score[key].push_back(flat_scores(s, key, layers, heads));
    }
    blob["scores"] = by_score;
    if (head_patterns) blob["patterns"] = head_patterns->at("patterns");
    return blob;
}

// The blob as the text of a <script type="application/json">: "<" escaped (JSON allows \u003c in
// strings, the only place it can occur), so that no "</script>" can end the element early.
std::string script_json(const json::Value& blob) {
    std::string text = json::dump(blob), out;
    out.reserve(text.size());
    for (char c : text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
    return out;
}

// ---- the panel at the final snapshot --------------------------------------------------------------

// Step, tokens, loss and the two ICL readings with their intervals.
std::string readout(const json::Value& snapshot, const std::string& icl_label) {
    auto [icl_lo, icl_hi] = interval_at(snapshot, "icl_per_decade_ci");
    auto [band_lo, band_hi] = interval_at(snapshot, "icl_band_ci");
    const char* full_text = "full snapshot: copying and ablations measured here";
    const char* partial_text = "copying and ablations not measured at this snapshot (not a full snapshot)";
    return "<p class=\"slider-readout\">step <b data-field=\"step\">" + fixed(number_at(snapshot, "step"), 0) +
           "</b> · <span data-field=\"tokens\">" + tokens_text(number_at(snapshot, "tokens")) +
           "</span> tokens · loss <span data-field=\"loss\">" + fixed(number_at(snapshot, "loss")) +
           "</span> nats<br>" + escape(icl_label) + ": <span data-field=\"icl\">" +
           interval_text(number_at(snapshot, "icl_per_decade"), icl_lo, icl_hi) +
           "</span><br>[OURS] band-averaged: <span data-field=\"band\">" +
           interval_text(number_at(snapshot, "icl_band"), band_lo, band_hi) +
           "</span><br><small data-field=\"full\" data-yes=\"" + full_text + "\" data-no=\"" + partial_text + "\">" +
           (snapshot.get<bool>("full", true) ? full_text : partial_text) + "</small></p>\n";
}

// One display head's pattern: a <rect class="w"> per lower-triangle cell, in head_patterns.json's
// order, whose fill-opacity is the weight (byte / 255); its tooltip names the query and key tokens.
std::string pattern_svg(size_t index, const std::vector<std::string>& labels, const std::string& bytes) {
    int T = static_cast<int>(labels.size());
    int cell = std::clamp(132 / std::max(T, 1), 2, 8);
    int side = T * cell + 2;
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pattern\" data-pattern=\"" +
                      std::to_string(index) + "\" width=\"" + std::to_string(side) + "\" height=\"" +
                      std::to_string(side) + "\" shape-rendering=\"crispEdges\">\n<rect x=\"0.5\" y=\"0.5\" width=\"" +
                      std::to_string(side - 1) + "\" height=\"" + std::to_string(side - 1) +
                      "\" fill=\"#ffffff\" stroke=\"#bbbbbb\"/>\n<g fill=\"" + PATTERN_COLOR + "\">\n";
    size_t k = 0;
    for (int q = 0; q < T; ++q)
        for (int key = 0; key <= q; ++key, ++k) {
            double weight = static_cast<unsigned char>(bytes[k]) / 255.0;
            out += "<rect class=\"w\" x=\"" + std::to_string(1 + key * cell) + "\" y=\"" + std::to_string(1 + q * cell) +
                   "\" width=\"" + std::to_string(cell) + "\" height=\"" + std::to_string(cell) + "\" fill-opacity=\"" +
                   fixed(weight, 3) + "\"><title>query " + std::to_string(q) + " " + escape(labels[q]) + " → key " +
                   std::to_string(key) + " " + escape(labels[key]) + "</title></rect>\n";
        }
    return out + "</g>\n</svg>\n";
}

std::string patterns_view(const DisplayPatterns& patterns) {
    if (patterns.heads.empty()) return note("head_patterns.json lists no display heads");
    std::string html = "<div class=\"patterns\">\n";
    for (size_t i = 0; i < patterns.heads.size(); ++i)
        html += "<figure><figcaption><b>" + patterns.heads[i] + "</b> " + escape(patterns.why[i]) + "</figcaption>\n" +
                pattern_svg(i, patterns.labels, patterns.final[i]) + "</figure>\n";
    return html + "</div>\n<p class=\"muted small\">Attention of each query (row) to the keys (columns) on " +
           escape(patterns.example.empty() ? std::string("a repeated random-token sequence") : patterns.example) +
           "; dark = weight 1. Hover a cell for its tokens.</p>\n";
}

// Every head's scores at the snapshot, one column per score in `scores`.
std::string score_table(const json::Value& snapshot, const std::vector<const char*>& scores, size_t layers,
                        size_t heads) {
    std::string html = "<table class=\"heads slider-scores\"><thead><tr><th>head</th>";
    for (const char* key : scores)
        for (const ScoreColumn& column : SCORE_COLUMNS)
            if (std::string_view(column.key) == key) html += std::string("<th>") + column.heading + "</th>";
    html += "</tr></thead><tbody>\n";
    std::vector<json::Value> values;
    for (const char* key : scores) values.push_back(flat_scores(snapshot, key, layers, heads));
    for (size_t l = 0; l < layers; ++l)
        for (size_t h = 0; h < heads; ++h) {
            size_t index = l * heads + h;
            html += "<tr><td>" + head_name(static_cast<int>(l), static_cast<int>(h)) + "</td>";
            for (size_t c = 0; c < scores.size(); ++c) {
                double value = values[c].is_null() || values[c][index].is_null() ? NAN : values[c][index].as_number();
                html += std::string("<td class=\"num\" data-score=\"") + scores[c] + "\" data-head=\"" +
                        std::to_string(index) + "\">" + fixed(value) + "</td>";
            }
            html += "</tr>\n";
        }
    return html + "</tbody></table>\n";
}

}  // namespace

bool has_slider(const json::Value* snapshots) { return snapshots && snapshots->at("snapshots").size() >= 2; }

std::string snapshot_slider(const SliderInput& input) {
    if (!has_slider(input.snapshots)) return note("the snapshot slider needs at least 2 snapshots");
    const std::vector<json::Value>& snapshots = input.snapshots->at("snapshots").as_array();
    const json::Value& final = snapshots.back();
    size_t layers = static_cast<size_t>(input.snapshots->get<int>("n_layers", 1));
    size_t heads = static_cast<size_t>(input.snapshots->get<int>("n_heads", 1));
    std::vector<const char*> scores;
    for (const ScoreColumn& column : SCORE_COLUMNS)
        if (any_has(snapshots, column.key)) scores.push_back(column.key);

    std::string patterns = note("no head_patterns.json: no attention patterns to show (older metrics: rerun "
                                "induction analyze)");
    if (input.head_patterns) {
        try {
            patterns = patterns_view(read_patterns(*input.head_patterns, snapshots));
        } catch (const Error& e) {
            json::fail_in_file(input.head_patterns_path, e);
        }
    }
    std::string key = escape(input.key);
    return "<div class=\"slider\" data-slider=\"" + key + "\">\n<input type=\"range\" class=\"snapshot-slider\" "
           "data-slider=\"" + key + "\" min=\"0\" max=\"" + std::to_string(snapshots.size() - 1) + "\" step=\"1\" "
           "value=\"" + std::to_string(snapshots.size() - 1) + "\" autocomplete=\"off\" aria-label=\"snapshot\">\n" +
           readout(final, input.icl_label) + patterns + score_table(final, scores, layers, heads) +
           "<script type=\"application/json\" data-report=\"slider-data\" data-slider=\"" + key + "\">" +
           script_json(slider_blob(snapshots, scores, layers, heads, input.head_patterns)) + "</script>\n</div>\n";
}

// The script mirrors report_text::fixed (fixed), svg::format_number (short) and the cursor
// placement of svg::Cursor (place).
std::string slider_script() {
    return R"js(<script data-report="slider">
(function () {
  'use strict';
  var DASH = '\u2014';
  function fixed(x, digits) {
    if (typeof x !== 'number' || !isFinite(x)) return DASH;
    var s = x.toFixed(digits);
    return /^-[0.]*$/.test(s) ? s.slice(1) : s;
  }
  function short(x) {
    if (typeof x !== 'number' || !isFinite(x)) return DASH;
    if (x === 0) return '0';
    var s = x.toPrecision(4), e = s.indexOf('e');
    var mantissa = e < 0 ? s : s.slice(0, e);
    if (mantissa.indexOf('.') >= 0) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
    return e < 0 ? mantissa : mantissa + 'e' + Number(s.slice(e + 1));
  }
  function interval(x, ci) {
    if (typeof x !== 'number') return DASH;
    return fixed(x, 3) + ' [' + fixed(ci && ci[0], 3) + ', ' + fixed(ci && ci[1], 3) + ']';
  }
  function bytes(base64) {
    var text = atob(base64), out = new Uint8Array(text.length);
    for (var k = 0; k < text.length; k++) out[k] = text.charCodeAt(k);
    return out;
  }
  function place(cursor, x) {
    var d = cursor.dataset, log = d.xScale === 'log', width = Number(d.xPx);
    var c = function (v) { return log ? Math.log10(v) : v; };
    var p = (c(x) - c(Number(d.xLo))) / (c(Number(d.xHi)) - c(Number(d.xLo))) * width;
    var visible = typeof x === 'number' && p >= 0 && p <= width;
    cursor.setAttribute('transform', 'translate(' + (visible ? String(Number(p.toFixed(1))) : '0') + ' 0)');
    if (visible) cursor.removeAttribute('visibility'); else cursor.setAttribute('visibility', 'hidden');
  }
  function show(panel, data, s) {
    var text = {step: fixed(data.step[s], 0), tokens: short(data.tokens[s]), loss: fixed(data.loss[s], 3),
                icl: interval(data.icl[s], data.icl_ci[s]), band: interval(data.band[s], data.band_ci[s])};
    panel.querySelectorAll('[data-field]').forEach(function (field) {
      var name = field.dataset.field;
      field.textContent = name === 'full' ? (data.full[s] ? field.dataset.yes : field.dataset.no) : text[name];
    });
    panel.querySelectorAll('svg.pattern').forEach(function (svg) {
      var weights = bytes(data.patterns[s][Number(svg.dataset.pattern)]);
      var cells = svg.querySelectorAll('rect.w');
      for (var k = 0; k < cells.length; k++) cells[k].setAttribute('fill-opacity', fixed(weights[k] / 255, 3));
    });
    panel.querySelectorAll('td[data-score]').forEach(function (cell) {
      var values = data.scores[cell.dataset.score][s];
      cell.textContent = values ? fixed(values[Number(cell.dataset.head)], 3) : DASH;
    });
    document.querySelectorAll('g.cursor[data-cursor="' + panel.dataset.slider + '"]').forEach(function (cursor) {
      place(cursor, data.tokens[s]);
    });
  }
  document.querySelectorAll('div.slider[data-slider]').forEach(function (panel) {
    var slider = panel.querySelector('input.snapshot-slider');
    var blob = panel.querySelector('script[data-report="slider-data"]');
    var data = JSON.parse(blob.textContent);
    slider.addEventListener('input', function () {
      var s = Number(slider.value);
      slider.setAttribute('aria-valuetext', 'step ' + data.step[s]);
      show(panel, data, s);
    });
  });
})();
</script>
)js";
}

}  // namespace induction
