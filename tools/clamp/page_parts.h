// page_parts.h — small pieces the clamp pages share: colours, number formatting, head names,
// per-head curves over training.
#pragma once

#include <string>

#include "analysis/report/svg.h"
#include "tools/clamp/pages.h"

namespace induction {

std::string palette(size_t i);               // a distinct colour per line
std::string head_text(HeadId h);             // "1:3" (layer:head, 0-indexed)
std::string number_text(double v);           // 3 significant digits, "-" for NaN
json::Value json_number(double v);           // null for NaN
double final_value(const Series& s);         // the last y (NaN when empty)
std::string clamped_run_meaning(const std::string& run);  // "A (steps 1, 2)" for "layer1", ...
// "Sequences are as trained, at learning rate 3e-05 (3 × the paper's): × 3 for the paper's."
std::string sequences_note(const ExperimentOptions& o);
// One line per head of probes[i][key][head] over training.
svg::Figure head_curves(const std::string& title, const json::Value& result, const std::string& key);
// K-composition from each first-layer head into the induction head over training.
svg::Figure kcomp_figure(const json::Value& result, const KeyHeads& h);

}  // namespace induction
