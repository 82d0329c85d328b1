// format.h — numbers in the CLI's text tables.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace induction {

// printf-formatted, or "-" for a missing (NaN) value.
inline std::string number_text(double x, const char* format = "%.3f") {
    if (std::isnan(x)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, format, x);
    return text;
}

}  // namespace induction
