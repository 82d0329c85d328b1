// text.cpp — the text helpers of text.h.
#include "analysis/report/text.h"

#include <cmath>
#include <cstdio>

#include "analysis/report/svg.h"

namespace induction::report_text {

std::string fixed(double x, int digits) {
    if (!std::isfinite(x)) return "—";
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
    std::string s = buffer;
    if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0.000"
    return s;
}

std::string tokens_text(double n) { return std::isfinite(n) ? svg::format_number(n) : "—"; }

std::string interval_text(double value, double lo, double hi, int digits) {
    if (!std::isfinite(value)) return "—";
    return fixed(value, digits) + " [" + fixed(lo, digits) + ", " + fixed(hi, digits) + "]";
}

std::string note(const std::string& text) { return "<div class=\"missing\">" + svg::escape(text) + "</div>"; }

std::string visible_token(const std::string& token, size_t max_chars) {
    std::string out;
    size_t chars = 0;
    for (char c : token) {
        bool starts_character = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (starts_character && chars == max_chars) return out + "…";
        chars += starts_character;
        if (c == ' ') out += "·";
        else if (c == '\n') out += "↵";
        else if (c == '\t') out += "→";
        else out += c;
    }
    return out;
}

}  // namespace induction::report_text
