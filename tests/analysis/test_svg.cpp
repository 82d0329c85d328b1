// test_svg.cpp — the SVG plotting library (analysis/report/svg.h): ticks, number labels, escaping,
// NaN-free output, bands, and heatmaps (decoding the embedded PNG of png.h back to its cells).
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "analysis/report/svg.h"
#include "tests/support/testing.h"

namespace induction::svg {
namespace {

// ---- helpers: read back what render() wrote ---------------------------------------------------

size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The value of attribute `name` in the first element of `text` that starts with `element`.
std::string attribute(const std::string& text, const std::string& element, const std::string& name) {
    size_t at = text.find(element);
    if (at == std::string::npos) return "";
    size_t end = text.find('>', at);
    size_t key = text.find(" " + name + "=\"", at);
    if (key == std::string::npos || key > end) return "";
    size_t value = key + name.size() + 3;
    return text.substr(value, text.find('"', value) - value);
}

// The text with every data: URI removed (base64 may spell anything).
std::string without_data_uris(std::string text) {
    for (size_t at = text.find("data:"); at != std::string::npos; at = text.find("data:", at)) {
        size_t end = text.find('"', at);
        text.erase(at, end - at);
    }
    return text;
}

// True when a number-like "nan" or "inf" appears (as a whole word, any case).
bool has_non_finite_word(const std::string& text) {
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const std::string word : {"nan", "inf"}) {
        for (size_t at = lower.find(word); at != std::string::npos; at = lower.find(word, at + 1)) {
            bool left = at == 0 || !std::isalpha(static_cast<unsigned char>(lower[at - 1]));
            size_t after = at + word.size();
            bool right = after >= lower.size() || !std::isalpha(static_cast<unsigned char>(lower[after]));
            if (left && right) return true;
        }
    }
    return false;
}

std::string base64_decode(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        return c == '+' ? 62 : 63;
    };
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        buffer = (buffer << 6) | static_cast<uint32_t>(value(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

uint32_t big_endian(const std::string& bytes, size_t at) {
    return (uint32_t(uint8_t(bytes[at])) << 24) | (uint32_t(uint8_t(bytes[at + 1])) << 16) |
           (uint32_t(uint8_t(bytes[at + 2])) << 8) | uint32_t(uint8_t(bytes[at + 3]));
}

// A decoded palette PNG of stored (uncompressed) deflate blocks, as analysis/report/png.cpp writes them.
struct Image {
    uint32_t width = 0, height = 0;
    std::vector<uint8_t> pixels;  // [height * width] palette indices
    uint8_t at(uint32_t column, uint32_t row) const { return pixels[row * width + column]; }
};

Image decode_png(const std::string& uri) {
    const std::string prefix = "data:image/png;base64,";
    EXPECT_EQ(uri.rfind(prefix, 0), 0u);
    std::string png = base64_decode(uri.substr(prefix.size()));
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n"));
    Image image;
    std::string zlib;
    for (size_t at = 8; at + 8 <= png.size();) {
        uint32_t length = big_endian(png, at);
        std::string type = png.substr(at + 4, 4), data = png.substr(at + 8, length);
        if (type == "IHDR") {
            image.width = big_endian(data, 0);
            image.height = big_endian(data, 4);
        }
        if (type == "IDAT") zlib += data;
        at += 12 + length;
    }
    std::string raw;
    for (size_t at = 2; at + 5 <= zlib.size();) {  // skip the 2-byte zlib header
        bool final_block = zlib[at] & 1;
        EXPECT_EQ(zlib[at] & 6, 0) << "expected stored deflate blocks";
        size_t length = uint8_t(zlib[at + 1]) | (uint8_t(zlib[at + 2]) << 8);
        raw += zlib.substr(at + 5, length);
        at += 5 + length;
        if (final_block) break;
    }
    EXPECT_EQ(raw.size(), size_t(image.height) * (image.width + 1));
    for (uint32_t row = 0; row < image.height; ++row) {
        EXPECT_EQ(raw[row * (image.width + 1)], 0) << "filter byte";
        for (uint32_t column = 0; column < image.width; ++column)
            image.pixels.push_back(uint8_t(raw[row * (image.width + 1) + 1 + column]));
    }
    return image;
}

// Lengths of the runs of equal values along a sequence.
std::vector<size_t> runs(const std::vector<uint8_t>& values) {
    std::vector<size_t> out;
    for (size_t k = 0; k < values.size(); ++k) {
        if (k == 0 || values[k] != values[k - 1]) out.push_back(0);
        ++out.back();
    }
    return out;
}

// ---- ticks and labels -------------------------------------------------------------------------

TEST(SvgTicks, LinearTicksAreNiceStepsInsideTheRange) {
    std::vector<double> ticks = linear_ticks(0, 1);
    ASSERT_EQ(ticks.size(), 6u);
    for (size_t k = 0; k < ticks.size(); ++k) EXPECT_NEAR(ticks[k], 0.2 * double(k), 1e-12);
    ticks = linear_ticks(-0.37, 2.1, 5);
    ASSERT_EQ(ticks.size(), 5u);
    for (size_t k = 0; k < ticks.size(); ++k) EXPECT_NEAR(ticks[k], 0.5 * double(k), 1e-12);
    ticks = linear_ticks(0, 3.1e9, 5);
    EXPECT_EQ(ticks.front(), 0.0);
    EXPECT_NEAR(ticks[1], 1e9, 1e-3);  // 3.1e9 / 5 rounds up to a step of 1e9
    EXPECT_LE(ticks.back(), 3.1e9);
    // A symmetric colour range: 0.2 apart (5 ticks), not 0.5 apart (only 0 inside).
    ticks = linear_ticks(-0.45, 0.45, 4);
    ASSERT_EQ(ticks.size(), 5u);
    EXPECT_NEAR(ticks.front(), -0.4, 1e-12);
    EXPECT_NEAR(ticks.back(), 0.4, 1e-12);
    EXPECT_THROW(linear_ticks(1, 1), Error);
}

TEST(SvgTicks, LogTicksUseOneTwoFiveOverFewDecadesAndPowersOtherwise) {
    EXPECT_EQ(log_ticks(2, 255), (std::vector<double>{2, 5, 10, 20, 50, 100, 200}));
    EXPECT_EQ(log_ticks(1, 1e6), (std::vector<double>{1, 10, 100, 1e3, 1e4, 1e5, 1e6}));
    std::vector<double> wide = log_ticks(1, 1e20);
    EXPECT_LE(wide.size(), 11u);
    EXPECT_EQ(wide.front(), 1.0);
    EXPECT_THROW(log_ticks(0, 10), Error);
}

TEST(SvgText, NumbersAreShortAndNeverNan) {
    EXPECT_EQ(format_number(0.25), "0.25");
    EXPECT_EQ(format_number(-3), "-3");
    EXPECT_EQ(format_number(1.5e9), "1.5e9");
    EXPECT_EQ(format_number(409600), "4.096e5");
    EXPECT_EQ(format_number(1e-5), "1e-5");
    EXPECT_EQ(format_number(-0.0), "0");
    EXPECT_EQ(format_number(NAN), "n/a");
    EXPECT_EQ(format_number(-INFINITY), "n/a");
}

TEST(SvgText, EscapesMarkupAndControlCharacters) {
    EXPECT_EQ(escape("<|endoftext|> & \"a\" 'b'"), "&lt;|endoftext|&gt; &amp; &quot;a&quot; &#39;b&#39;");
    EXPECT_EQ(escape("tab\tnew\nline"), "tab\tnew\nline");
    EXPECT_EQ(escape(std::string("\x01", 1)), "\xE2\x90\x81");  // U+2401
    EXPECT_EQ(escape("caf\xC3\xA9"), "caf\xC3\xA9");            // UTF-8 passes through
}

TEST(SvgColor, MapsRunFromEndToEnd) {
    EXPECT_EQ(hex(color_at(ColorMap::VIRIDIS, 0)), "#440154");
    EXPECT_EQ(hex(color_at(ColorMap::VIRIDIS, 1)), "#fde725");
    EXPECT_EQ(hex(color_at(ColorMap::VIRIDIS, 7)), "#fde725");  // clamped
    EXPECT_EQ(hex(color_at(ColorMap::DIVERGING, 0.5)), "#f7f7f7");
    Rgb low = color_at(ColorMap::DIVERGING, 0), high = color_at(ColorMap::DIVERGING, 1);
    EXPECT_GT(low.b, low.r);    // blue
    EXPECT_GT(high.r, high.b);  // red
}

// ---- figures ----------------------------------------------------------------------------------

TEST(SvgFigure, EscapesTextAndWritesNoNonFiniteNumbers) {
    Figure figure(300, 200);
    figure.title = "head <|endoftext|> & co";
    figure.x.label = "tokens";
    figure.y.label = "loss";
    figure.add(Line{{0, 1, 2, 3, 4, 5}, {1, NAN, 3, INFINITY, 2, 1}, "#1f77b4", "a < b"});
    figure.add(HLine{0.0});
    std::string out = figure.render();
    EXPECT_EQ(out.rfind("<svg ", 0), 0u);
    EXPECT_NE(out.find("head &lt;|endoftext|&gt; &amp; co"), std::string::npos);
    EXPECT_NE(out.find("a &lt; b"), std::string::npos);
    EXPECT_EQ(out.find("<|endoftext|>"), std::string::npos);
    EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
    // Points 0, 2, 4, 5 survive: a lone dot (0), a lone dot (2), then a polyline (4-5).
    EXPECT_EQ(count(out, "<polyline"), 1u);
    EXPECT_GE(count(out, "<circle"), 2u);
    EXPECT_EQ(count(out, "<svg"), count(out, "</svg>"));
}

TEST(SvgFigure, UnconnectedLineIsAScatterOfDots) {
    Figure figure(300, 200);
    Line scatter{{0, 1, NAN, 3, 4}, {4, 2, 1, 3, 0}, "#2ca02c", "heads"};
    scatter.connect = false;
    figure.add(scatter);
    std::string out = figure.render();
    EXPECT_EQ(count(out, "<polyline"), 0u);
    EXPECT_EQ(count(out, "stroke=\"#2ca02c\""), 0u);  // no line in the plot or the legend
    EXPECT_EQ(count(out, "<circle"), 4u + 1u);  // the four usable points, and the legend's dot
    EXPECT_EQ(count(out, "fill=\"#2ca02c\""), 5u);
    EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
}

TEST(SvgFigure, AxesGetTicksAndLabelsOnLinearAndLogScales) {
    Figure figure(320, 220);
    figure.x.label = "training tokens";
    figure.y.label = "context index";
    figure.y.scale = Scale::LOG;
    figure.add(Line{{0, 1e9, 2e9}, {2, 50, 500}, "#1f77b4", ""});
    figure.add(Line{{0, 1e9}, {-1, 0}, "#1f77b4", ""});  // nothing usable on a log axis: skipped, no error
    std::string out = figure.render();
    for (const std::string label : {">0<", ">1e9<", ">2e9<", ">10<", ">100<", ">training tokens<", ">context index<"})
        EXPECT_NE(out.find(label), std::string::npos) << label;
    EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
}

TEST(SvgFigure, BandsAreShadedClippedAndStripped) {
    Figure figure(300, 200);
    figure.add(Line{{0, 10}, {0, 1}, "#1f77b4", ""});
    Band band;
    band.start = 3;
    band.end = 5;
    band.tooltip = "window <3-5>";
    figure.add(band);
    Band outside;
    outside.start = 20;
    outside.end = 30;
    figure.add(outside);
    std::string out = figure.render();
    EXPECT_EQ(count(out, "class=\"band\""), 1u);
    EXPECT_EQ(count(out, "class=\"band-strip\""), 1u);
    EXPECT_NE(out.find("<title>window &lt;3-5&gt;</title>"), std::string::npos);
    EXPECT_NE(out.find(std::string("fill=\"") + WINDOW_ORANGE), std::string::npos);
}

TEST(SvgFigure, LegendListsEachLabelOnce) {
    Figure figure(300, 200);
    figure.add(Line{{0, 1}, {0, 1}, "#111111", "layer 0"});
    figure.add(Line{{0, 1}, {1, 0}, "#111111", "layer 0"});
    figure.add(Line{{0, 1}, {0.5, 0.5}, "#222222", "layer 1"});
    std::string out = figure.render();
    EXPECT_EQ(count(out, ">layer 0<"), 1u);
    EXPECT_EQ(count(out, ">layer 1<"), 1u);
    EXPECT_GT(std::stod(attribute(out, "<svg ", "height")), 200.0);  // legend rows below the plot
}

TEST(SvgFigure, IntervalsAreShadedUnderTheLineAndSplitWhereABoundIsMissing) {
    auto lines = [](Figure& figure, bool interval) {
        Line line{{0, 1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6}, "#2ca02c", "[O] per decade"};
        if (interval) {
            line.lower = {0.5, 1.5, NAN, 3.5, 4.5, 5.5};  // the bound at x = 2 is missing: two polygons
            line.upper = {1.5, 2.5, 3.5, 4.5, 5.5, 9.0};  // the y range reaches the upper bound 9
        }
        figure.add(line);
        figure.add(Line{{0, 1}, {1, 2}, "#1f77b4", "no interval"});
    };
    Figure figure(300, 200), plain(300, 200);
    lines(figure, true);
    lines(plain, false);
    std::string out = figure.render();
    EXPECT_EQ(count(out, "<polygon class=\"interval\""), 2u);
    EXPECT_NE(out.find("fill=\"#2ca02c\" fill-opacity=\"0.18\""), std::string::npos);
    EXPECT_EQ(count(out, "<polyline"), 2u);  // the line itself is not split by a missing bound
    EXPECT_NE(out.find(">8<"), std::string::npos);  // a y tick above the line's own range (up to 6)
    EXPECT_EQ(plain.render().find(">8<"), std::string::npos);
    // The first polygon: the upper bounds left to right, then the lower ones back (4 points).
    EXPECT_EQ(count(attribute(out, "<polygon", "points"), ","), 4u);
    // The legend shows a swatch of the shading behind the line with an interval only.
    EXPECT_EQ(count(out, "<rect"), count(plain.render(), "<rect") + 1u);
    EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
    // A lone point's interval is a stroke.
    Figure lone(300, 200);
    Line single{{0, 1, 2}, {1, 2, 3}, "#2ca02c", ""};
    single.lower = {0.5, NAN, 2.5};
    single.upper = {1.5, NAN, 3.5};
    lone.add(single);
    std::string lone_out = lone.render();
    EXPECT_EQ(count(lone_out, "<polygon"), 0u);
    EXPECT_EQ(count(lone_out, "class=\"interval\""), 2u);
    Line mismatched{{0, 1}, {1, 2}, "#2ca02c", "bad"};
    mismatched.lower = {0};
    mismatched.upper = {1};
    Figure bad(300, 200);
    bad.add(mismatched);
    EXPECT_THROW_MESSAGE(bad.render(), "has an interval of 1 lower and 1 upper bounds for 2 points");
}

TEST(SvgFigure, BridgedLineJoinsItsPointsAcrossMissingValues) {
    // A score measured at every third point only: split, it would be lone dots.
    std::vector<double> x, y;
    for (int k = 0; k < 9; ++k) {
        x.push_back(k);
        y.push_back(k % 3 == 0 ? k : NAN);
    }
    Figure split(300, 200), bridged(300, 200);
    split.add(Line{x, y, "#1f77b4", ""});
    Line joined{x, y, "#1f77b4", ""};
    joined.bridge_gaps = true;
    bridged.add(joined);
    EXPECT_EQ(count(split.render(), "<polyline"), 0u);
    EXPECT_EQ(count(split.render(), "<circle"), 3u);
    std::string out = bridged.render();
    EXPECT_EQ(count(out, "<polyline"), 1u);
    EXPECT_EQ(count(attribute(out, "<polyline", "points"), ","), 3u);
    EXPECT_EQ(count(out, "<circle"), 0u);
}

// The number in "translate(P 0)" of a cursor.
double cursor_position(const std::string& out) {
    std::string transform = attribute(out, "<g class=\"cursor\"", "transform");
    EXPECT_EQ(transform.rfind("translate(", 0), 0u) << transform;
    return std::stod(transform.substr(10));
}

TEST(SvgFigure, CursorCarriesTheXMappingAndStartsAtItsX) {
    for (Scale scale : {Scale::LINEAR, Scale::LOG}) {
        Figure figure(300, 200);
        figure.x.scale = scale;
        figure.add(Line{{1000, 1e6}, {0, 1}, "#1f77b4", ""});
        figure.set(Cursor{"model-a&b", scale == Scale::LOG ? 31622.776601683792 : 500500.0});  // the middle
        std::string out = figure.render();
        const std::string g = "<g class=\"cursor\"";
        EXPECT_EQ(count(out, g), 1u);
        EXPECT_EQ(attribute(out, g, "data-cursor"), "model-a&amp;b");
        EXPECT_EQ(attribute(out, g, "data-x-scale"), scale == Scale::LOG ? "log" : "linear");
        EXPECT_EQ(std::stod(attribute(out, g, "data-x-lo")), 1000.0);  // exactly, not to 4 digits
        EXPECT_EQ(std::stod(attribute(out, g, "data-x-hi")), 1e6);
        double width = std::stod(attribute(out, g, "data-x-px"));
        EXPECT_EQ(attribute(out, g, "data-x-px"), attribute(out, "<svg x=", "width"));  // the plot area's width
        EXPECT_NEAR(cursor_position(out), width / 2, 0.06);
        EXPECT_EQ(attribute(out, g, "visibility"), "");
        EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
    }
    // A start the axis cannot show: hidden, at 0 (and no NaN written).
    for (double x : {double(NAN), -5.0, 2e6}) {
        Figure figure(300, 200);
        figure.x.scale = Scale::LOG;
        figure.add(Line{{1000, 1e6}, {0, 1}, "#1f77b4", ""});
        figure.set(Cursor{"k", x});
        std::string out = figure.render();
        EXPECT_EQ(attribute(out, "<g class=\"cursor\"", "visibility"), "hidden") << x;
        EXPECT_EQ(cursor_position(out), 0.0);
        EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
    }
    Figure none(300, 200);
    none.add(Line{{0, 1}, {0, 1}, "#1f77b4", ""});
    EXPECT_EQ(none.render().find("cursor"), std::string::npos);
}

TEST(SvgFigure, EvenlySpacedHeatmapHasOnePixelPerCell) {
    // 3 columns x 2 rows; row 0 (bottom) holds 0, 1, 2 and row 1 holds 3, 4 and a missing cell.
    Heatmap heatmap;
    heatmap.x = {10, 20, 30};
    heatmap.y = {1, 2};
    heatmap.values = {0, 1, 2, 3, 4, NAN};
    heatmap.label = "loss";
    Figure figure(300, 200);
    figure.set(heatmap);
    std::string out = figure.render();
    EXPECT_EQ(count(out, "class=\"heatmap\""), 1u);
    Image image = decode_png(attribute(out, "<image class=\"heatmap\"", "href"));
    ASSERT_EQ(image.width, 3u);
    ASSERT_EQ(image.height, 2u);
    // The image is stretched over the whole plot area, the cells' extent.
    EXPECT_EQ(attribute(out, "<image class=\"heatmap\"", "x"), "0");
    EXPECT_EQ(attribute(out, "<image class=\"heatmap\"", "width"), attribute(out, "<svg x=", "width"));
    EXPECT_EQ(attribute(out, "<image class=\"heatmap\"", "height"), attribute(out, "<svg x=", "height"));
    // Bottom image row = y[0]: lowest value -> first colour (1); highest -> last (255); NaN -> 0.
    EXPECT_EQ(image.at(0, 1), 1);
    EXPECT_LT(image.at(0, 1), image.at(1, 1));
    EXPECT_LT(image.at(1, 1), image.at(2, 1));
    EXPECT_LT(image.at(2, 1), image.at(0, 0));
    EXPECT_EQ(image.at(1, 0), 255);
    EXPECT_EQ(image.at(2, 0), 0);
    EXPECT_NE(out.find("image-rendering:pixelated"), std::string::npos);
    EXPECT_NE(out.find(">loss<"), std::string::npos);  // the colour bar label
    EXPECT_FALSE(has_non_finite_word(without_data_uris(out)));
    EXPECT_EQ(out, figure.render());  // deterministic
}

TEST(SvgFigure, UnevenHeatmapIsSampledPerPlotPixel) {
    // Rows at 1, 2 and 10 on a log axis are unevenly spaced; decades 1-10 on the log axis.
    Heatmap heatmap;
    heatmap.x = {0, 1};
    heatmap.y = {1, 2, 10};
    heatmap.values = {0, 0, 1, 1, 2, 2};
    Figure figure(240, 200);
    figure.y.scale = Scale::LOG;
    figure.set(heatmap);
    std::string out = figure.render();
    Image image = decode_png(attribute(out, "<image class=\"heatmap\"", "href"));
    EXPECT_EQ(image.width, 2u);  // the x cells are even
    EXPECT_EQ(std::to_string(image.height), attribute(out, "<svg x=", "height"));
    std::vector<uint8_t> column;
    for (uint32_t r = 0; r < image.height; ++r) column.push_back(image.at(0, r));
    std::vector<size_t> heights = runs(column);  // top to bottom: y = 10, 2, 1
    ASSERT_EQ(heights.size(), 3u);
    EXPECT_EQ(column.front(), 255);
    EXPECT_EQ(column.back(), 1);
    // Cell edges halfway in log10: 1 spans [10^-0.15, 10^0.15], 2 spans [10^0.15, 10^0.65],
    // 10 spans [10^0.65, 10^1.35]: heights in the ratio 0.3 : 0.5 : 0.7.
    double total = double(image.height);
    EXPECT_NEAR(heights[0] / total, 0.7 / 1.5, 0.02);
    EXPECT_NEAR(heights[1] / total, 0.5 / 1.5, 0.02);
    EXPECT_NEAR(heights[2] / total, 0.3 / 1.5, 0.02);
}

TEST(SvgFigure, ReversedAxisPutsTheFirstHeatmapRowOnTop) {
    Heatmap heatmap;
    heatmap.x = {0, 1};
    heatmap.y = {0, 1, 2};
    heatmap.values = {0, 0, 1, 1, 2, 2};
    Figure figure(240, 200);
    figure.y.reversed = true;
    figure.set(heatmap);
    Image image = decode_png(attribute(figure.render(), "<image class=\"heatmap\"", "href"));
    ASSERT_EQ(image.height, 3u);
    EXPECT_EQ(image.at(0, 0), 1);
    EXPECT_EQ(image.at(0, 2), 255);
}

TEST(SvgFigure, RejectsMalformedHeatmaps) {
    Figure figure(300, 200);
    Heatmap wrong_size;
    wrong_size.x = {1, 2};
    wrong_size.y = {1};
    wrong_size.values = {1, 2, 3};
    EXPECT_THROW_MESSAGE(figure.set(wrong_size), "heatmap values must be");
    Heatmap unsorted;
    unsorted.x = {2, 1};
    unsorted.y = {1};
    unsorted.values = {1, 2};
    EXPECT_THROW_MESSAGE(figure.set(unsorted), "strictly increasing");
}

}  // namespace
}  // namespace induction::svg
