// tolerance.cpp — element-wise and whole-tensor comparisons.
#include "tensor/tolerance.h"

#include <cmath>
#include <sstream>

namespace induction {

Comparison compare(const Tensor& actual, const Tensor& reference, Tolerance tolerance) {
    Comparison result;
    if (actual.shape() != reference.shape()) {
        result.ok = false;
        result.message = "shapes differ: " + describe(actual).str() + " vs reference " + describe(reference).str();
        return result;
    }
    std::vector<double> a = actual.to_vector(), r = reference.to_vector();
    double worst_excess = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        double error = std::abs(a[i] - r[i]);
        bool both_nan = std::isnan(a[i]) && std::isnan(r[i]);
        bool same_infinity = std::isinf(r[i]) && a[i] == r[i];
        if (both_nan || same_infinity) continue;
        if (std::isnan(error)) error = INFINITY;
        result.max_abs_error = std::max(result.max_abs_error, error);
        double excess = error - (tolerance.atol + tolerance.rtol * std::abs(r[i]));
        if (excess > 0 && (result.ok || excess > worst_excess)) {
            result.ok = false;
            worst_excess = excess;
            result.worst_index = static_cast<int64_t>(i);
        }
    }
    if (!result.ok) {
        std::ostringstream message;
        message.precision(9);
        size_t i = static_cast<size_t>(result.worst_index);
        message << "element " << i << " of " << describe(actual) << ": " << a[i] << " vs reference "
                << r[i] << " (|diff| " << std::abs(a[i] - r[i]) << " > " << tolerance.atol << " + "
                << tolerance.rtol << "*|ref|)";
        result.message = message.str();
    }
    return result;
}

double normalized_mse(const Tensor& actual, const Tensor& reference) {
    check(actual.shape() == reference.shape(), "normalized_mse: ", describe(actual), " vs ",
          describe(reference));
    std::vector<double> a = actual.to_vector(), r = reference.to_vector();
    double error = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        error += (a[i] - r[i]) * (a[i] - r[i]);
        norm += r[i] * r[i];
    }
    return norm > 0 ? error / norm : error;
}

}  // namespace induction
