// svg.h — a small SVG plotting library for the HTML report (analysis/report/report.cpp).
//
// A Figure is one plot: an x and a y axis (linear or log, with "nice" ticks) and layers drawn in
// this order: an optional heatmap with its colour bar, shaded vertical bands (the phase-change
// window), horizontal reference lines, the lines' shaded intervals (confidence bands), line series
// (polylines, with markers for trajectories, or markers alone for scatter plots), an optional
// cursor (a vertical marker a page script can move), then the axes, the title and a legend under
// the plot.
//
// render() returns one standalone <svg> element: no ids, no scripts, no external references, so
// any number of figures can sit inline in one HTML page that works offline. The cursor carries
// its figure's x mapping as data attributes (see Cursor), the only hook a page script needs. A heatmap is drawn
// as a raster image (a palette PNG in a data: URI, as plotting libraries do for large images):
// one pixel per cell when the cells are evenly spaced on the axis (the browser stretches it,
// pixelated), otherwise one pixel per plot pixel, so its size never exceeds the plot's.
//
// Guarantees: all text is XML-escaped; no NaN or infinity reaches the output (a non-finite
// point splits a line or is bridged, a non-finite interval bound splits the shading, a
// non-finite heatmap cell is transparent, non-positive values are skipped on a log axis); the
// same figure always renders to the same bytes.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace induction::svg {

// [O]'s colour for the phase-change window.
inline constexpr const char* WINDOW_ORANGE = "#f28e2b";

// Text made safe for XML/HTML content and attribute values: & < > " ' as entities, and control
// characters other than tab/newline/CR (illegal in XML) as their visible Unicode symbols (␀..␟).
std::string escape(std::string_view text);

// A short label for a number: "0", "0.25", "-3", "1200", "1.5e9"; at most 4 significant digits,
// no exponent "+" or leading zeros. Non-finite values give "n/a" (never "nan").
std::string format_number(double value);

enum class Scale { LINEAR, LOG };

// "Nice" tick values (steps of 1, 2 or 5 times a power of ten) inside [lo, hi]: the step whose
// number of ticks is closest to target_count. lo < hi.
std::vector<double> linear_ticks(double lo, double hi, int target_count = 5);
// Log-axis ticks inside [lo, hi] (0 < lo < hi): 1, 2, 5 per decade over at most three decades,
// otherwise the powers of ten (thinned so that at most about 8 remain).
std::vector<double> log_ticks(double lo, double hi);

struct Tick {
    double value = 0.0;
    std::string label;
};

struct Axis {
    std::string label;
    Scale scale = Scale::LINEAR;
    double min = NAN, max = NAN;  // fixed limits; NaN: fitted to the data
    bool reversed = false;        // y axis only: min at the top (matrix rows)
    std::vector<Tick> ticks;      // custom ticks (e.g. token labels); empty: automatic
    bool rotate_labels = false;   // x axis only: tick labels at -60 degrees, for long labels
    double margin = 0.0;          // linear axis fitted to lines: this fraction of the data range
                                  // is added at both ends (a heatmap's cells fill the axis exactly)
};

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
};
std::string hex(Rgb color);  // "#rrggbb"

enum class ColorMap {
    VIRIDIS,    // sequential, dark purple (low) to yellow (high)
    DIVERGING,  // blue (low) - near white (middle) - red (high)
};
// The map's colour at t in [0, 1] (clamped).
Rgb color_at(ColorMap map, double t);

struct Line {
    std::vector<double> x, y;  // [N] each
    std::string color = "#1f77b4";
    std::string label;         // legend entry; empty: none
    double width = 1.5;
    double opacity = 1.0;
    bool dashed = false;
    bool markers = false;      // a dot at every point
    bool connect = true;       // false: dots only, no polyline (a scatter plot)
    bool mark_ends = false;    // a ring at the first point and a big dot at the last (trajectories)
    bool bridge_gaps = false;  // join the usable points across unusable ones (a series measured at
                               // only some x) instead of splitting the line there
    std::vector<double> lower = {}, upper = {};  // an interval around y, [N] each or both empty: shaded
                                                 // in the line's colour under it (e.g. a 95% interval)
    double interval_opacity = 0.18;
};

// A shaded vertical band over [start, end] on the x axis, clipped to the plot.
struct Band {
    double start = 0.0, end = 0.0;
    std::string color = WINDOW_ORANGE;
    double opacity = 0.22;  // fill opacity; 0: edges only (over heatmaps)
    bool edges = true;      // dashed lines at start and end
    bool strip = true;      // a solid bar just above the plot area, marking the band
    std::string tooltip;    // <title> text; empty: none
};

// A horizontal reference line (e.g. y = 0).
struct HLine {
    double y = 0.0;
    std::string color = "#888888";
    bool dashed = true;
};

// Cells centred at (x[i], y[j]) with value values[j * nx + i]; centres strictly increasing.
// Cell edges lie halfway between neighbouring centres in axis coordinates (log10 on a log
// axis); the outer edges mirror the nearest inner ones. A non-finite value leaves its cell empty.
struct Heatmap {
    std::vector<double> x, y;    // [nx], [ny] cell centres
    std::vector<double> values;  // [ny * nx], row j holds the cells at y[j]
    ColorMap map = ColorMap::VIRIDIS;
    double min = NAN, max = NAN;  // colour range; NaN: from the data, see clip_fraction
    double clip_fraction = 0.0;   // automatic range from the clip_fraction and 1 - clip_fraction
                                  // quantiles of the values (DIVERGING: +- that quantile of |v|)
    std::string label;            // colour bar label
};

// A vertical marker line across the plot at x (e.g. the snapshot a page control selects) that a page
// script can move. It is drawn as
//   <g class="cursor" data-cursor="KEY" data-x-scale="linear|log" data-x-lo="LO" data-x-hi="HI"
//      data-x-px="W" transform="translate(P 0)">
// inside the plot area: a script moves it to x by setting P = (c(x) - c(LO)) / (c(HI) - c(LO)) * W
// with c = log10 on a log axis and the identity otherwise (LO, HI: the x axis' data range, written
// exactly; W: the plot width in px), and hides it (visibility="hidden") where P is outside [0, W],
// as render() does for a start x the axis cannot show (NaN included).
struct Cursor {
    std::string key;  // the data-cursor value: which page control moves it
    double x = NAN;   // where it starts
};

class Figure {
public:
    // width, height: the plot's size in px including axes and title, not the legend (which
    // adds its own rows below).
    // The y axis gets a 4% margin, the x axis none, until changed.
    Figure(int width, int height) : width_(width), height_(height) { y.margin = 0.04; }

    Axis x, y;
    std::string title;

    void add(Line line) { lines_.push_back(std::move(line)); }
    void add(Band band) { bands_.push_back(std::move(band)); }
    void add(HLine line) { hlines_.push_back(std::move(line)); }
    void set(Heatmap heatmap);  // at most one per figure; checks the shapes
    void set(Cursor cursor) { cursor_ = std::move(cursor); }  // at most one per figure

    std::string render() const;

private:
    int width_, height_;
    std::vector<Line> lines_;
    std::vector<Band> bands_;
    std::vector<HLine> hlines_;
    std::vector<Heatmap> heatmap_;  // zero or one
    std::optional<Cursor> cursor_;
};

}  // namespace induction::svg
