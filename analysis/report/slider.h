// slider.h — the report's snapshot slider, one per model (analysis/report/report.cpp places it).
//
// An <input type="range"> over the model's snapshots (the list of snapshots.json). Moving it shows,
// for the chosen snapshot: its step, tokens, loss and ICL with their 95% intervals; the attention
// patterns of head_patterns.json's display heads (small heatmaps, the query and key tokens in each
// cell's tooltip); every head's prefix-matching, previous-token and copying scores (and σ(α) for
// smeared keys); and it moves the cursor (svg::Cursor) whose key is the slider's on each of the
// model's training-curve figures.
//
// The panel is rendered at the final snapshot, so the page is complete without JavaScript. The
// data for the other snapshots is one compact JSON blob per model in a
// <script type="application/json" data-report="slider-data" data-slider="KEY">, patterns as
// head_patterns.json's base64; one inline script (slider_script) wires every slider of the page.
// Both carry data-report, which is how tests/browser/check_report.py tells the report's own
// scripts from any other.
#pragma once

#include <string>

#include "model/io/json.h"

namespace induction {

struct SliderInput {
    std::string key;                             // the model's anchor: cursors with data-cursor = key move
    const json::Value* snapshots = nullptr;      // snapshots.json
    const json::Value* head_patterns = nullptr;  // head_patterns.json; nullptr when missing
    std::string head_patterns_path;              // for error messages
    std::string icl_label;                       // the [O] ICL reading's name, "[O] L(25)−L(250) per decade"
};

// The slider panel (HTML) of one model; a note instead when it has fewer than 2 snapshots. A
// head_patterns.json that does not match snapshots.json (other steps, a pattern of the wrong
// length, bad base64) is an error naming the file.
std::string snapshot_slider(const SliderInput& input);

// Whether snapshot_slider draws a slider for these snapshots (so the figures get cursors).
bool has_slider(const json::Value* snapshots);

// The page's one script (a <script data-report="slider"> element): put it once after the last
// slider. It logs nothing and needs no network.
std::string slider_script();

}  // namespace induction
