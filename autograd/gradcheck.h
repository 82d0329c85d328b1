// gradcheck.h — checks a differentiable function's gradients against central finite differences.
//
// The inputs are f64 tensors (i32 inputs pass through as constants). With a fixed random weight
// tensor w the scalar L = sum(w ⊙ f(x)) is backpropagated, and each analytical dL/dx_i is
// compared with (L(x_i + eps) - L(x_i - eps)) / (2 eps). Random w checks every output element's
// gradient at once, including ones that a plain sum would cancel (softmax rows sum to 1).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/var.h"

namespace induction {

struct GradcheckOptions {
    double eps = 1e-6;
    double atol = 1e-7;
    double rtol = 1e-5;
    uint64_t seed = 1234;  // for the weights w
};

struct GradcheckResult {
    bool ok = true;
    double max_abs_error = 0;
    std::string report;  // the first failing entries: input, index, analytical, numerical
};

using DifferentiableFunction = std::function<Var(const std::vector<Var>&)>;

GradcheckResult gradcheck(const DifferentiableFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace induction
