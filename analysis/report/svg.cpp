// svg.cpp — the SVG plotting library of svg.h: text and number formatting, ticks, colour maps,
// the palette-PNG raster behind heatmaps (encoded by png.h), and Figure::render.
#include "analysis/report/svg.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <optional>
#include <tuple>
#include <utility>

#include "analysis/report/png.h"
#include "model/io/base64.h"
#include "tensor/error.h"

namespace induction::svg {

// ---- text -------------------------------------------------------------------------------------

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                    // U+2400 + c, the "control pictures" block: UTF-8 E2 90 80+c.
                    out += "\xE2\x90";
                    out += static_cast<char>(0x80 + c);
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string format_number(double value) {
    if (!std::isfinite(value)) return "n/a";
    if (value == 0) return "0";  // also -0
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", value);
    std::string s = buffer;
    size_t e = s.find('e');
    if (e == std::string::npos) return s;
    // "1.500e+09" is not produced by %g (it trims zeros); tidy the exponent: "e+09" -> "e9".
    std::string mantissa = s.substr(0, e);
    std::string exponent = s.substr(e + 1);
    bool negative = exponent[0] == '-';
    size_t digits = exponent.find_first_not_of("+-0");
    return mantissa + "e" + (negative ? "-" : "") + exponent.substr(digits);
}

namespace {

// Characters of UTF-8 text (code points), for estimating its rendered width.
size_t char_count(std::string_view text) {
    size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

constexpr double FONT_SIZE = 11.0;
constexpr double CHAR_WIDTH = 6.2;  // average advance of an 11 px sans-serif character

double text_width(std::string_view text) { return CHAR_WIDTH * static_cast<double>(char_count(text)); }

// A pixel coordinate as compact text: one decimal, "12" rather than "12.0".
std::string px(double value) {
    value = std::clamp(value, -1e6, 1e6);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    std::string s = buffer;
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    if (s == "-0") s = "0";
    return s;
}

// A number written exactly (the shortest text that reads back to the same double), for data a
// script reads; finite values only.
std::string exact_number(double value) {
    char buffer[32];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    check(error == std::errc() && std::isfinite(value), "svg: cannot write ", value, " exactly");
    return std::string(buffer, end);
}

}  // namespace

// ---- ticks ------------------------------------------------------------------------------------

std::vector<double> linear_ticks(double lo, double hi, int target_count) {
    check(std::isfinite(lo) && std::isfinite(hi) && lo < hi && target_count >= 1,
          "linear_ticks: expected finite lo < hi and target_count >= 1, got [", lo, ", ", hi, "], ",
          target_count);
    // Of the steps 1, 2, 5 and 10 times the power of ten below (hi - lo) / target_count, the one
    // whose number of ticks is closest to target_count (ties: the larger step).
    double power = std::pow(10.0, std::floor(std::log10((hi - lo) / target_count)));
    auto tick_count = [&](double step) { return std::floor(hi / step) - std::ceil(lo / step) + 1; };
    double step = 0;
    for (double multiple : {10.0, 5.0, 2.0, 1.0}) {
        double candidate = multiple * power;
        if (step == 0 || std::abs(tick_count(candidate) - target_count) < std::abs(tick_count(step) - target_count))
            step = candidate;
    }
    std::vector<double> ticks;
    double tolerance = step * 1e-9;
    for (double k = std::ceil((lo - tolerance) / step); k * step <= hi + tolerance; k += 1) {
        double tick = k * step;
        ticks.push_back(std::abs(tick) < tolerance ? 0.0 : tick);
    }
    return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
    check(std::isfinite(lo) && std::isfinite(hi) && 0 < lo && lo < hi,
          "log_ticks: expected finite 0 < lo < hi, got [", lo, ", ", hi, "]");
    double tolerance = 1e-9;
    int first = static_cast<int>(std::floor(std::log10(lo)));
    int last = static_cast<int>(std::ceil(std::log10(hi)));
    bool fine = std::log10(hi / lo) <= 3.0;
    int stride = std::max(1, (last - first + 7) / 8);  // at most about 8 powers of ten
    std::vector<double> ticks;
    for (int exponent = first; exponent <= last; ++exponent) {
        double power = std::pow(10.0, exponent);
        for (double multiple : {1.0, 2.0, 5.0}) {
            if (multiple != 1.0 && !fine) continue;
            if (multiple == 1.0 && !fine && (exponent - first) % stride != 0) continue;
            double tick = multiple * power;
            if (tick >= lo * (1 - tolerance) && tick <= hi * (1 + tolerance)) ticks.push_back(tick);
        }
    }
    return ticks;
}

// ---- colours ----------------------------------------------------------------------------------

std::string hex(Rgb color) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", color.r, color.g, color.b);
    return buffer;
}

Rgb color_at(ColorMap map, double t) {
    // Evenly spaced anchors, interpolated linearly in RGB.
    static const std::array<Rgb, 9> VIRIDIS_ANCHORS = {{{0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b},
                                                        {0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e},
                                                        {0x21, 0x90, 0x8c}, {0x27, 0xad, 0x81},
                                                        {0x5d, 0xc8, 0x63}, {0xaa, 0xdc, 0x32},
                                                        {0xfd, 0xe7, 0x25}}};
    static const std::array<Rgb, 5> DIVERGING_ANCHORS = {{{0x21, 0x66, 0xac}, {0x67, 0xa9, 0xcf},
                                                          {0xf7, 0xf7, 0xf7}, {0xef, 0x8a, 0x62},
                                                          {0xb2, 0x18, 0x2b}}};
    const Rgb* anchors = map == ColorMap::VIRIDIS ? VIRIDIS_ANCHORS.data() : DIVERGING_ANCHORS.data();
    size_t n = map == ColorMap::VIRIDIS ? VIRIDIS_ANCHORS.size() : DIVERGING_ANCHORS.size();
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    double position = t * static_cast<double>(n - 1);
    size_t k = std::min(static_cast<size_t>(position), n - 2);
    double f = position - static_cast<double>(k);
    auto mix = [f](uint8_t a, uint8_t b) {
        return static_cast<uint8_t>(std::lround(a + f * (static_cast<double>(b) - a)));
    };
    return {mix(anchors[k].r, anchors[k + 1].r), mix(anchors[k].g, anchors[k + 1].g),
            mix(anchors[k].b, anchors[k + 1].b)};
}

// ---- palette PNG in a data: URI ---------------------------------------------------------------

namespace {

constexpr int PALETTE_LEVELS = 255;  // colour indices 1..255; index 0 is transparent

// pixels: [height * width] palette indices, 0 = transparent, 1..255 = the colour map from low
// to high. Returns a "data:image/png;base64,..." URI.
std::string palette_png_uri(int width, int height, const std::vector<uint8_t>& pixels, ColorMap map) {
    std::string palette(3, '\0');  // index 0: black, made transparent by the PNG's tRNS chunk
    for (int k = 0; k < PALETTE_LEVELS; ++k) {
        Rgb c = color_at(map, static_cast<double>(k) / (PALETTE_LEVELS - 1));
        palette += {static_cast<char>(c.r), static_cast<char>(c.g), static_cast<char>(c.b)};
    }
    return "data:image/png;base64," + base64_encode(png::palette_image(width, height, pixels, palette));
}

uint8_t palette_index(double value, double lo, double hi) {
    if (!std::isfinite(value)) return 0;
    double t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
    return static_cast<uint8_t>(1 + std::lround(std::clamp(t, 0.0, 1.0) * (PALETTE_LEVELS - 1)));
}

// ---- axes -------------------------------------------------------------------------------------

// Maps data values along one axis to pixels: [lo, hi] (data units) onto [px_lo, px_hi].
struct AxisMap {
    Scale scale = Scale::LINEAR;
    double lo = 0, hi = 1;
    double px_lo = 0, px_hi = 1;

    bool usable(double v) const { return std::isfinite(v) && (scale == Scale::LINEAR || v > 0); }
    // Axis coordinates: the value itself, or log10 of it on a log axis.
    double coordinate(double v) const { return scale == Scale::LOG ? std::log10(v) : v; }
    double from_coordinate(double c) const { return scale == Scale::LOG ? std::pow(10.0, c) : c; }
    double coordinate_to_px(double c) const {
        double c0 = coordinate(lo), c1 = coordinate(hi);
        return px_lo + (c - c0) / (c1 - c0) * (px_hi - px_lo);
    }
    double px_to_coordinate(double p) const {
        double c0 = coordinate(lo), c1 = coordinate(hi);
        return c0 + (p - px_lo) / (px_hi - px_lo) * (c1 - c0);
    }
    double to_px(double v) const { return coordinate_to_px(coordinate(v)); }
};

// Cell edges, in axis coordinates, around strictly increasing centres (in axis coordinates).
std::vector<double> cell_edges(const std::vector<double>& centres) {
    size_t n = centres.size();
    std::vector<double> edges(n + 1);
    if (n == 1) {
        edges = {centres[0] - 0.5, centres[0] + 0.5};
        return edges;
    }
    for (size_t k = 1; k < n; ++k) edges[k] = 0.5 * (centres[k - 1] + centres[k]);
    edges[0] = centres[0] - (edges[1] - centres[0]);
    edges[n] = centres[n - 1] + (centres[n - 1] - edges[n - 1]);
    return edges;
}

// The heatmap's usable cells along one axis: indices of the centres the axis can show, and the
// edges of those cells in axis coordinates.
struct CellAxis {
    std::vector<size_t> index;
    std::vector<double> edges;
};

CellAxis cell_axis(const std::vector<double>& centres, const AxisMap& axis) {
    CellAxis cells;
    std::vector<double> coordinates;
    for (size_t k = 0; k < centres.size(); ++k) {
        if (!axis.usable(centres[k])) continue;
        cells.index.push_back(k);
        coordinates.push_back(axis.coordinate(centres[k]));
    }
    if (!coordinates.empty()) cells.edges = cell_edges(coordinates);
    return cells;
}

// The cell whose [edge_k, edge_k+1) holds coordinate c, or -1.
int64_t find_cell(const std::vector<double>& edges, double c) {
    if (edges.empty() || c < edges.front() || c >= edges.back()) return -1;
    auto it = std::upper_bound(edges.begin(), edges.end(), c);
    return static_cast<int64_t>(it - edges.begin()) - 1;
}

// How a heatmap's raster image samples one axis: raster pixel k (left to right, top to bottom)
// shows cell cells[k] (-1: none), and the image covers plot pixels [offset, offset + extent).
struct RasterAxis {
    std::vector<int64_t> cells;
    double offset = 0.0, extent = 0.0;
};

// Cells of equal width in axis coordinates get one raster pixel each, which the browser stretches
// over the cells' extent; otherwise (or when there are more cells than pixels) every plot pixel
// samples the cell under its centre.
RasterAxis raster_axis(const CellAxis& cells, const AxisMap& axis, int plot_pixels) {
    const std::vector<double>& edges = cells.edges;
    size_t n = edges.size() - 1;
    double width = edges[1] - edges[0];
    bool uniform = true;
    for (size_t k = 1; k < n; ++k) uniform = uniform && std::abs(edges[k + 1] - edges[k] - width) <= 1e-6 * width;
    RasterAxis raster;
    if (uniform && n <= static_cast<size_t>(plot_pixels)) {
        double a = axis.coordinate_to_px(edges.front()), b = axis.coordinate_to_px(edges.back());
        for (size_t k = 0; k < n; ++k) raster.cells.push_back(static_cast<int64_t>(a < b ? k : n - 1 - k));
        raster.offset = std::min(a, b);
        raster.extent = std::abs(b - a);
        return raster;
    }
    for (int k = 0; k < plot_pixels; ++k) raster.cells.push_back(find_cell(edges, axis.px_to_coordinate(k + 0.5)));
    raster.extent = plot_pixels;
    return raster;
}

double quantile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    double position = q * static_cast<double>(values.size() - 1);
    size_t k = static_cast<size_t>(position);
    if (k + 1 >= values.size()) return values.back();
    return values[k] + (position - static_cast<double>(k)) * (values[k + 1] - values[k]);
}

// Data range [lo, hi] of an axis from the values it must show, honouring fixed limits.
void fit_range(AxisMap& axis, const Axis& spec, const std::vector<double>& values, double padding) {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : values) {
        if (!axis.usable(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (lo > hi) {  // nothing to show
        lo = axis.scale == Scale::LOG ? 1.0 : 0.0;
        hi = axis.scale == Scale::LOG ? 10.0 : 1.0;
    } else if (lo == hi) {
        if (axis.scale == Scale::LOG) {
            lo /= 2;
            hi *= 2;
        } else {
            double half = lo == 0 ? 0.5 : 0.05 * std::abs(lo);
            lo -= half;
            hi += half;
        }
    } else if (axis.scale == Scale::LINEAR) {
        double pad = padding * (hi - lo);
        lo -= pad;
        hi += pad;
    }
    if (axis.usable(spec.min)) lo = spec.min;
    if (axis.usable(spec.max)) hi = spec.max;
    check(lo < hi, "svg::Figure: axis '", spec.label, "' has an empty range [", lo, ", ", hi, "]");
    axis.lo = lo;
    axis.hi = hi;
}

std::vector<Tick> axis_ticks(const Axis& spec, const AxisMap& axis, int target_count) {
    std::vector<Tick> ticks;
    double lo = std::min(axis.lo, axis.hi), hi = std::max(axis.lo, axis.hi);
    if (!spec.ticks.empty()) {
        for (const Tick& tick : spec.ticks)
            if (tick.value >= lo && tick.value <= hi) ticks.push_back(tick);
        return ticks;
    }
    std::vector<double> values =
        spec.scale == Scale::LOG ? log_ticks(lo, hi) : linear_ticks(lo, hi, target_count);
    for (double v : values) ticks.push_back({v, format_number(v)});
    return ticks;
}

// SVG elements: coordinates first, then further attributes (already escaped).
std::string line_element(double x1, double y1, double x2, double y2, const std::string& attributes) {
    return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" " +
           attributes + "/>";
}

std::string rect_element(double x, double y, double width, double height, const std::string& attributes) {
    return "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
           "\" " + attributes + "/>";
}

std::string text_element(double x, double y, const std::string& text, const std::string& attributes = "") {
    return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"" + (attributes.empty() ? "" : " " + attributes) + ">" +
           escape(text) + "</text>";
}

struct LegendEntry {
    const Line* line;
    double x, y;  // top-left corner, in figure pixels
};

// Where everything goes. Figure pixels: (0, 0) is the figure's top-left corner; the plot area
// starts at (left, top). Plot pixels: (0, 0) is the plot area's top-left corner.
struct Layout {
    AxisMap xmap, ymap;  // data to plot pixels
    AxisMap cmap;        // heatmap colour range (lo, hi), when there is a heatmap
    std::vector<Tick> xticks, yticks, cticks;
    double left = 0, top = 0;
    int plot_width = 0, plot_height = 0;
    std::vector<LegendEntry> legend;
    double total_height = 0;
};

// The heatmap's colour range: the fixed limits, else quantiles of the values (DIVERGING: a range
// symmetric about 0).
AxisMap color_range(const Heatmap& heatmap) {
    double lo = 0, hi = 1;
    std::vector<double> finite;
    for (double v : heatmap.values)
        if (std::isfinite(v)) finite.push_back(heatmap.map == ColorMap::DIVERGING ? std::abs(v) : v);
    if (!finite.empty()) {
        hi = quantile(finite, 1 - heatmap.clip_fraction);
        lo = heatmap.map == ColorMap::DIVERGING ? -hi : quantile(finite, heatmap.clip_fraction);
    }
    if (std::isfinite(heatmap.min)) lo = heatmap.min;
    if (std::isfinite(heatmap.max)) hi = heatmap.max;
    if (!(lo < hi)) {
        double half = lo == 0 ? 1.0 : 0.05 * std::abs(lo);
        lo -= half;
        hi += half;
    }
    return AxisMap{Scale::LINEAR, lo, hi};
}

// Legend entries (one per distinct label and colour) in rows of at most `width` px under the
// figure's `height`; returns the figure's height including them.
double place_legend(const std::vector<Line>& lines, double left, int width, int height,
                    std::vector<LegendEntry>& legend) {
    double x = left, y = height + 2;
    for (const Line& line : lines) {
        if (line.label.empty()) continue;
        bool seen = std::any_of(legend.begin(), legend.end(), [&](const LegendEntry& e) {
            return e.line->label == line.label && e.line->color == line.color;
        });
        if (seen) continue;
        double entry_width = 24 + text_width(line.label) + 12;
        if (x + entry_width > width - 4 && x > left) {
            x = left;
            y += 16;
        }
        legend.push_back({&line, x, y});
        x += entry_width;
    }
    return legend.empty() ? height : y + 16;
}

// Light grid lines at the ticks (plot pixels).
std::string draw_grid(const Layout& layout) {
    std::string out;
    for (const Tick& t : layout.xticks) {
        double x = layout.xmap.to_px(t.value);
        out += line_element(x, 0, x, layout.plot_height, "stroke=\"#eeeeee\"") + "\n";
    }
    for (const Tick& t : layout.yticks) {
        double y = layout.ymap.to_px(t.value);
        out += line_element(0, y, layout.plot_width, y, "stroke=\"#eeeeee\"") + "\n";
    }
    return out;
}

// The heatmap as a palette PNG (plot pixels).
std::string draw_heatmap(const Heatmap& heatmap, const CellAxis& xcells, const CellAxis& ycells,
                         const Layout& layout) {
    if (xcells.index.empty() || ycells.index.empty()) return "";
    RasterAxis columns = raster_axis(xcells, layout.xmap, layout.plot_width);
    RasterAxis rows = raster_axis(ycells, layout.ymap, layout.plot_height);
    size_t width = columns.cells.size(), height = rows.cells.size(), nx = heatmap.x.size();
    std::vector<uint8_t> pixels(width * height, 0);  // [height, width] palette indices
    for (size_t r = 0; r < height; ++r) {
        if (rows.cells[r] < 0) continue;
        size_t j = ycells.index[static_cast<size_t>(rows.cells[r])];
        for (size_t c = 0; c < width; ++c) {
            if (columns.cells[c] < 0) continue;
            size_t i = xcells.index[static_cast<size_t>(columns.cells[c])];
            pixels[r * width + c] = palette_index(heatmap.values[j * nx + i], layout.cmap.lo, layout.cmap.hi);
        }
    }
    return "<image class=\"heatmap\" x=\"" + px(columns.offset) + "\" y=\"" + px(rows.offset) + "\" width=\"" +
           px(columns.extent) + "\" height=\"" + px(rows.extent) +
           "\" preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\" " +
           "href=\"" + palette_png_uri(static_cast<int>(width), static_cast<int>(height), pixels, heatmap.map) +
           "\"/>\n";
}

// A band's [a, b] in plot pixels, clipped to the plot; nullopt when it lies outside.
std::optional<std::pair<double, double>> band_span(const Band& band, const Layout& layout) {
    double a = layout.xmap.usable(band.start) ? layout.xmap.to_px(band.start) : 0.0;
    double b = layout.xmap.usable(band.end) ? layout.xmap.to_px(band.end) : 0.0;
    if (b < a) std::swap(a, b);
    if (b < 0 || a > layout.plot_width) return std::nullopt;
    return std::pair{std::max(a, 0.0), std::min(b, static_cast<double>(layout.plot_width))};
}

// The band's fill and edges (plot pixels).
std::string draw_band(const Band& band, const Layout& layout) {
    auto span = band_span(band, layout);
    if (!span) return "";
    auto [a, b] = *span;
    std::string out = "<g class=\"band\">";
    if (!band.tooltip.empty()) out += "<title>" + escape(band.tooltip) + "</title>";
    out += rect_element(a, 0, std::max(b - a, 1.0), layout.plot_height,
                        "fill=\"" + escape(band.color) + "\" fill-opacity=\"" + format_number(band.opacity) + "\"");
    if (band.edges)
        for (double edge : {a, b})
            out += line_element(edge, 0, edge, layout.plot_height,
                                "stroke=\"" + escape(band.color) + "\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"");
    return out + "</g>\n";
}

// The band's strip, just above the plot area so that it never hides a heatmap (figure pixels).
std::string draw_band_strip(const Band& band, const Layout& layout) {
    auto span = band_span(band, layout);
    if (!band.strip || !span) return "";
    auto [a, b] = *span;
    return rect_element(layout.left + a, layout.top - 5, std::max(b - a, 2.0), 4,
                        "class=\"band-strip\" fill=\"" + escape(band.color) + "\"") + "\n";
}

std::string draw_hline(const HLine& hline, const Layout& layout) {
    if (!layout.ymap.usable(hline.y)) return "";
    double y = layout.ymap.to_px(hline.y);
    return line_element(0, y, layout.plot_width, y,
                        "stroke=\"" + escape(hline.color) + "\"" + (hline.dashed ? " stroke-dasharray=\"3 3\"" : "")) +
           "\n";
}

std::string line_style(const Line& line) {
    std::string style = "fill=\"none\" stroke=\"" + escape(line.color) + "\" stroke-width=\"" + px(line.width) +
                        "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
    if (line.opacity < 1) style += " stroke-opacity=\"" + format_number(line.opacity) + "\"";
    if (line.dashed) style += " stroke-dasharray=\"5 3\"";
    return style;
}

std::string circle_element(double cx, double cy, double r, const std::string& attributes) {
    return "<circle cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"" + px(r) + "\" " + attributes + "/>\n";
}

// Runs of the indices k where x[k] and every ys[j][k] are usable on the axes: a new run starts
// after an unusable point, unless `bridge` (then all usable points form one run).
std::vector<std::vector<size_t>> usable_runs(const std::vector<double>& x,
                                             const std::vector<const std::vector<double>*>& ys, bool bridge,
                                             const Layout& layout) {
    std::vector<std::vector<size_t>> runs(1);
    for (size_t k = 0; k < x.size(); ++k) {
        bool usable = layout.xmap.usable(x[k]);
        for (const std::vector<double>* y : ys) usable = usable && layout.ymap.usable((*y)[k]);
        if (usable) {
            runs.back().push_back(k);
        } else if (!bridge && !runs.back().empty()) {
            runs.emplace_back();
        }
    }
    if (runs.back().empty()) runs.pop_back();
    return runs;
}

// The line's interval (plot pixels): a polygon between the upper and the lower bound over each
// run of usable points, a vertical stroke at a lone point.
std::string draw_interval(const Line& line, const Layout& layout) {
    if (line.lower.empty()) return "";
    std::string fill = "fill=\"" + escape(line.color) + "\" fill-opacity=\"" + format_number(line.interval_opacity) +
                       "\"";
    std::string out;
    for (const std::vector<size_t>& run : usable_runs(line.x, {&line.lower, &line.upper}, line.bridge_gaps, layout)) {
        auto point = [&](size_t k, const std::vector<double>& y) {
            return px(layout.xmap.to_px(line.x[k])) + "," + px(layout.ymap.to_px(y[k]));
        };
        if (run.size() == 1) {
            double x = layout.xmap.to_px(line.x[run[0]]);
            out += line_element(x, layout.ymap.to_px(line.upper[run[0]]), x, layout.ymap.to_px(line.lower[run[0]]),
                                "class=\"interval\" stroke=\"" + escape(line.color) + "\" stroke-opacity=\"" +
                                    format_number(std::min(1.0, 2 * line.interval_opacity)) + "\" stroke-width=\"3\"") +
                   "\n";
            continue;
        }
        out += "<polygon class=\"interval\" " + fill + " points=\"";
        for (size_t k : run) out += point(k, line.upper) + " ";
        for (auto k = run.rbegin(); k != run.rend(); ++k) out += point(*k, line.lower) + (k + 1 == run.rend() ? "" : " ");
        out += "\"/>\n";
    }
    return out;
}

// A line series (plot pixels): polylines through its usable points, split where a point is
// unusable (unless bridge_gaps); a lone point, `markers` or `connect == false` gives dots (the
// latter without lines).
std::string draw_line(const Line& line, const Layout& layout) {
    std::vector<std::vector<std::pair<double, double>>> runs;
    for (const std::vector<size_t>& indices : usable_runs(line.x, {&line.y}, line.bridge_gaps, layout)) {
        runs.emplace_back();
        for (size_t k : indices) runs.back().push_back({layout.xmap.to_px(line.x[k]), layout.ymap.to_px(line.y[k])});
    }
    std::string out;
    std::string dot = "fill=\"" + escape(line.color) + "\"" +
                      (line.opacity < 1 ? " fill-opacity=\"" + format_number(line.opacity) + "\"" : "");
    for (const auto& run : runs) {
        if (line.connect && run.size() >= 2) {
            out += "<polyline " + line_style(line) + " points=\"";
            for (size_t k = 0; k < run.size(); ++k) {
                if (k > 0) out += ' ';
                out += px(run[k].first) + "," + px(run[k].second);
            }
            out += "\"/>\n";
        }
        if (line.markers || !line.connect || run.size() == 1)
            for (const auto& [cx, cy] : run) out += circle_element(cx, cy, std::max(1.6, line.width), dot);
    }
    if (line.mark_ends && !runs.empty()) {
        auto [x_first, y_first] = runs.front().front();
        auto [x_last, y_last] = runs.back().back();
        out += circle_element(x_first, y_first, 4,
                              "fill=\"#ffffff\" stroke=\"" + escape(line.color) + "\" stroke-width=\"1.5\"");
        out += circle_element(x_last, y_last, 4.5, "fill=\"" + escape(line.color) + "\"");
    }
    return out;
}

// Frame, ticks, tick labels and axis labels (figure pixels).
std::string draw_axes(const Axis& x, const Axis& y, const Layout& layout, int height) {
    const std::string tick_stroke = "stroke=\"#999999\"";
    double left = layout.left, top = layout.top, axis_y = top + layout.plot_height;
    std::string out = rect_element(left, top, layout.plot_width, layout.plot_height, "fill=\"none\" " + tick_stroke) + "\n";
    for (const Tick& t : layout.xticks) {
        double tx = left + layout.xmap.to_px(t.value);
        out += line_element(tx, axis_y, tx, axis_y + 4, tick_stroke);
        if (x.rotate_labels)
            out += text_element(tx, axis_y + 8, t.label,
                                "text-anchor=\"end\" dy=\".32em\" transform=\"rotate(-60 " + px(tx) + " " +
                                    px(axis_y + 8) + ")\"");
        else
            out += text_element(tx, axis_y + 15, t.label, "text-anchor=\"middle\"");
        out += "\n";
    }
    for (const Tick& t : layout.yticks) {
        double ty = top + layout.ymap.to_px(t.value);
        out += line_element(left - 4, ty, left, ty, tick_stroke) +
               text_element(left - 6, ty, t.label, "text-anchor=\"end\" dy=\".32em\"") + "\n";
    }
    if (!x.label.empty())
        out += text_element(left + layout.plot_width / 2.0, height - 4, x.label,
                            "text-anchor=\"middle\" fill=\"#555555\"") + "\n";
    if (!y.label.empty())
        out += "<text transform=\"translate(12 " + px(top + layout.plot_height / 2.0) +
               ") rotate(-90)\" text-anchor=\"middle\" fill=\"#555555\">" + escape(y.label) + "</text>\n";
    return out;
}

// The colour map as a 1-pixel-wide image stretched beside the plot, with ticks (figure pixels).
std::string draw_colorbar(const Heatmap& heatmap, const Layout& layout, int width) {
    double bar_x = layout.left + layout.plot_width + 12, top = layout.top;
    std::vector<uint8_t> ramp(PALETTE_LEVELS);  // top to bottom: high to low
    for (int k = 0; k < PALETTE_LEVELS; ++k) ramp[k] = static_cast<uint8_t>(PALETTE_LEVELS - k);
    std::string out = "<image x=\"" + px(bar_x) + "\" y=\"" + px(top) + "\" width=\"12\" height=\"" +
                      px(layout.plot_height) + "\" preserveAspectRatio=\"none\" href=\"" +
                      palette_png_uri(1, PALETTE_LEVELS, ramp, heatmap.map) + "\"/>\n";
    out += rect_element(bar_x, top, 12, layout.plot_height, "fill=\"none\" stroke=\"#999999\"") + "\n";
    AxisMap bar{Scale::LINEAR, layout.cmap.lo, layout.cmap.hi, top + layout.plot_height, top};
    for (const Tick& t : layout.cticks) {
        double ty = bar.to_px(t.value);
        out += line_element(bar_x + 12, ty, bar_x + 15, ty, "stroke=\"#999999\"") +
               text_element(bar_x + 17, ty, t.label, "dy=\".32em\"") + "\n";
    }
    if (!heatmap.label.empty())
        out += "<text transform=\"translate(" + px(width - 6) + " " + px(top + layout.plot_height / 2.0) +
               ") rotate(90)\" text-anchor=\"middle\" fill=\"#555555\">" + escape(heatmap.label) + "</text>\n";
    return out;
}

// The cursor (plot pixels): a dark line with a light halo, readable over lines and heatmaps, in
// a group that carries the x mapping (see Cursor in svg.h).
std::string draw_cursor(const Cursor& cursor, const Layout& layout) {
    const AxisMap& x = layout.xmap;
    double position = x.usable(cursor.x) ? x.to_px(cursor.x) : NAN;
    bool visible = position >= 0 && position <= layout.plot_width;
    std::string out = "<g class=\"cursor\" data-cursor=\"" + escape(cursor.key) + "\" data-x-scale=\"" +
                      (x.scale == Scale::LOG ? "log" : "linear") + "\" data-x-lo=\"" + exact_number(x.lo) +
                      "\" data-x-hi=\"" + exact_number(x.hi) + "\" data-x-px=\"" + std::to_string(layout.plot_width) +
                      "\" transform=\"translate(" + px(visible ? position : 0) + " 0)\"" +
                      (visible ? "" : " visibility=\"hidden\"") + ">";
    out += line_element(0, 0, 0, layout.plot_height, "stroke=\"#ffffff\" stroke-opacity=\"0.85\" stroke-width=\"3.5\"");
    out += line_element(0, 0, 0, layout.plot_height, "stroke=\"#222222\" stroke-width=\"1.3\"");
    return out + "</g>\n";
}

std::string draw_legend(const Layout& layout) {
    std::string out;
    for (const LegendEntry& entry : layout.legend) {
        const Line& line = *entry.line;
        double y = entry.y + 8;
        if (!line.lower.empty())
            out += rect_element(entry.x, y - 5, 18, 10, "fill=\"" + escape(line.color) + "\" fill-opacity=\"" +
                                                            format_number(line.interval_opacity) + "\"");
        if (line.connect) out += line_element(entry.x, y, entry.x + 18, y, line_style(line));
        if (line.markers || line.mark_ends || !line.connect)
            out += circle_element(entry.x + 9, y, 2.5, "fill=\"" + escape(line.color) + "\"");
        out += text_element(entry.x + 24, y, line.label, "dy=\".32em\"") + "\n";
    }
    return out;
}

// Render step 1, data ranges: fits the x and y maps to what the lines, reference lines and heatmap
// cells need, and the colour range to the heatmap's values. Returns the heatmap's cell axes.
std::pair<CellAxis, CellAxis> fit_data_ranges(Layout& layout, const Axis& x, const Axis& y,
                                              const std::vector<Line>& lines, const std::vector<HLine>& hlines,
                                              const Heatmap* heatmap) {
    layout.xmap.scale = x.scale;
    layout.ymap.scale = y.scale;
    std::vector<double> xs, ys;
    for (const Line& line : lines) {
        check(line.x.size() == line.y.size(), "svg::Figure: line '", line.label, "' has ", line.x.size(),
              " x values but ", line.y.size(), " y values");
        check(line.lower.size() == line.upper.size() && (line.lower.empty() || line.lower.size() == line.x.size()),
              "svg::Figure: line '", line.label, "' has an interval of ", line.lower.size(), " lower and ",
              line.upper.size(), " upper bounds for ", line.x.size(), " points");
        for (size_t k = 0; k < line.x.size(); ++k) {
            if (!layout.xmap.usable(line.x[k])) continue;
            for (const std::vector<double>* y : {&line.y, &line.lower, &line.upper}) {
                if (y->empty() || !layout.ymap.usable((*y)[k])) continue;
                xs.push_back(line.x[k]);
                ys.push_back((*y)[k]);
            }
        }
    }
    for (const HLine& h : hlines) ys.push_back(h.y);
    CellAxis xcells, ycells;
    if (heatmap) {
        xcells = cell_axis(heatmap->x, layout.xmap);
        ycells = cell_axis(heatmap->y, layout.ymap);
        for (auto [cells, map, values] : {std::tuple{&xcells, &layout.xmap, &xs}, std::tuple{&ycells, &layout.ymap, &ys}}) {
            if (cells->edges.empty()) continue;
            values->push_back(map->from_coordinate(cells->edges.front()));
            values->push_back(map->from_coordinate(cells->edges.back()));
        }
        layout.cmap = color_range(*heatmap);
    }
    fit_range(layout.xmap, x, xs, heatmap ? 0.0 : x.margin);
    fit_range(layout.ymap, y, ys, heatmap ? 0.0 : y.margin);
    return {std::move(xcells), std::move(ycells)};
}

// Render step 2: ticks, then margins wide enough for their labels, then the plot area (width x
// height px with axes and title) and the legend under it.
void place_plot_area(Layout& layout, const Axis& x, const Axis& y, const std::string& title,
                     const std::vector<Line>& lines, const Heatmap* heatmap, int width, int height) {
    layout.yticks = axis_ticks(y, layout.ymap, 5);
    layout.xticks = axis_ticks(x, layout.xmap, std::max(2, (width - 60) / 40));
    if (heatmap) layout.cticks = axis_ticks(Axis{}, layout.cmap, 4);
    auto widest = [](const std::vector<Tick>& ticks) {
        double widest = 0;
        for (const Tick& t : ticks) widest = std::max(widest, text_width(t.label));
        return widest;
    };
    layout.left = std::round((y.label.empty() ? 6 : 20) + widest(layout.yticks) + 8);
    double xtick_height = x.rotate_labels ? 8 + 0.87 * widest(layout.xticks) : 18;
    double bottom = std::round(6 + xtick_height + (x.label.empty() ? 0 : 14));
    layout.top = title.empty() ? 10 : 26;
    double right = heatmap ? std::round(30 + widest(layout.cticks) + (heatmap->label.empty() ? 4 : 18)) : 12;
    layout.plot_width = static_cast<int>(width - layout.left - right);
    layout.plot_height = static_cast<int>(height - layout.top - bottom);
    check(layout.plot_width >= 20 && layout.plot_height >= 20, "svg::Figure: ", width, "x", height,
          " px leaves no room for the plot area (", layout.plot_width, "x", layout.plot_height, ")");
    layout.xmap.px_lo = 0;
    layout.xmap.px_hi = layout.plot_width;
    layout.ymap.px_lo = y.reversed ? 0 : layout.plot_height;
    layout.ymap.px_hi = y.reversed ? layout.plot_height : 0;
    layout.total_height = place_legend(lines, layout.left, width, height, layout.legend);
}

}  // namespace

// ---- Figure -----------------------------------------------------------------------------------

void Figure::set(Heatmap heatmap) {
    check(heatmap_.empty(), "svg::Figure::set: a figure holds at most one heatmap");
    check(!heatmap.x.empty() && !heatmap.y.empty() &&
              heatmap.values.size() == heatmap.x.size() * heatmap.y.size(),
          "svg::Figure::set: heatmap values must be [ny * nx] = [", heatmap.y.size(), " * ",
          heatmap.x.size(), "], got ", heatmap.values.size());
    for (const std::vector<double>* centres : {&heatmap.x, &heatmap.y})
        for (size_t k = 1; k < centres->size(); ++k)
            check((*centres)[k] > (*centres)[k - 1],
                  "svg::Figure::set: heatmap cell centres must be strictly increasing");
    check(heatmap.clip_fraction >= 0 && heatmap.clip_fraction < 0.5,
          "svg::Figure::set: clip_fraction must be in [0, 0.5), got ", heatmap.clip_fraction);
    heatmap_.push_back(std::move(heatmap));
}

std::string Figure::render() const {
    const Heatmap* heatmap = heatmap_.empty() ? nullptr : &heatmap_[0];
    Layout layout;
    const auto [xcells, ycells] = fit_data_ranges(layout, x, y, lines_, hlines_, heatmap);
    place_plot_area(layout, x, y, title, lines_, heatmap, width_, height_);

    // 3. Drawing, back to front. The plot area is a nested <svg>, which clips what is drawn in it.
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure\" width=\"" + px(width_) +
                      "\" height=\"" + px(layout.total_height) + "\" viewBox=\"0 0 " + px(width_) + " " +
                      px(layout.total_height) + "\" font-family=\"system-ui, -apple-system, 'Segoe UI', " +
                      "Helvetica, Arial, sans-serif\" font-size=\"" + px(FONT_SIZE) + "\" fill=\"#333333\">\n";
    if (!title.empty()) out += text_element(layout.left, 14, title, "font-weight=\"600\"") + "\n";
    out += rect_element(layout.left, layout.top, layout.plot_width, layout.plot_height, "fill=\"#ffffff\"") + "\n";
    out += "<svg x=\"" + px(layout.left) + "\" y=\"" + px(layout.top) + "\" width=\"" + px(layout.plot_width) +
           "\" height=\"" + px(layout.plot_height) + "\" overflow=\"hidden\">\n";
    out += draw_grid(layout);
    if (heatmap) out += draw_heatmap(*heatmap, xcells, ycells, layout);
    for (const Band& band : bands_) out += draw_band(band, layout);
    for (const HLine& hline : hlines_) out += draw_hline(hline, layout);
    for (const Line& line : lines_) out += draw_interval(line, layout);
    for (const Line& line : lines_) out += draw_line(line, layout);
    if (cursor_) out += draw_cursor(*cursor_, layout);
    out += "</svg>\n";
    for (const Band& band : bands_) out += draw_band_strip(band, layout);
    out += draw_axes(x, y, layout, height_);
    if (heatmap) out += draw_colorbar(*heatmap, layout, width_);
    out += draw_legend(layout);
    return out + "</svg>\n";
}

}  // namespace induction::svg
