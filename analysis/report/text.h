// text.h — text helpers shared by the report's files (analysis/report/report.cpp and
// analysis/report/slider.cpp): numbers, intervals and tokens as they appear on the page, and the
// note shown where a figure cannot be drawn. The slider's script (slider.cpp) formats
// numbers the same way, so that a moved slider shows what the page would have printed.
#pragma once

#include <cstddef>
#include <string>

namespace induction::report_text {

// x with `digits` decimals ("-0.000" written as "0.000"); "—" when missing (not finite).
std::string fixed(double x, int digits = 3);

// A count of training tokens as svg::format_number writes it ("4.096e5"); "—" when missing.
std::string tokens_text(double n);

// "0.189 [-0.087, 0.447]": a value with its interval, each with fixed(·, digits); "—" when the
// value is missing (a missing bound is "—" inside the brackets).
std::string interval_text(double value, double lo, double hi, int digits = 3);

// A note (HTML) shown where a figure or table cannot be drawn.
std::string note(const std::string& text);

// A token made visible in a label: spaces as "·", newlines as "↵", tabs as "→"; longer than
// max_chars characters, it is cut and ends in "…".
std::string visible_token(const std::string& token, size_t max_chars);

}  // namespace induction::report_text
