// report.h — the HTML report of a run: [O]'s Model Analysis Table and per-model details.
//
// Drawn only from the metrics files of DIR/metrics/ (analysis/metrics_schema.md); nothing is
// recomputed here. The page is self-contained: inline CSS and inline SVG figures (analysis/report/svg.h),
// no network. Its one inline script moves the snapshot sliders (analysis/report/slider.h); the
// page is complete without it (each slider shows the final snapshot). A metrics file that is
// missing renders as a note where its figure would be; a file that exists but cannot be read is
// an error naming the file.
#pragma once

#include <string>

namespace induction {

// The report page for the run directory DIR (reads DIR/metrics/**). Deterministic: the same
// metrics files give the same bytes, wherever DIR is.
std::string render_report(const std::string& run_dir);

// Writes render_report(run_dir) to DIR/report.html atomically.
void write_report(const std::string& run_dir);

}  // namespace induction
