// tolerance.h — the one tolerance policy: |a - b| <= atol + rtol * |ref| per element, per dtype,
// and normalised mean squared error for whole tensors.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace induction {

struct Tolerance {
    double atol;
    double rtol;
};

// Defaults for comparing a kernel with its reference: f32 kernels reorder sums, f64 barely.
inline Tolerance tolerance_for(DType dtype) {
    return dtype == DType::F64 ? Tolerance{1e-12, 1e-10} : Tolerance{1e-5, 1e-4};
}

struct Comparison {
    bool ok = true;
    double max_abs_error = 0;
    int64_t worst_index = -1;  // flat index of the worst violation (or largest error)
    std::string message;       // empty when ok
};

// Element-wise comparison of actual against a reference of the same shape.
Comparison compare(const Tensor& actual, const Tensor& reference, Tolerance tolerance);

// sum((a - r)^2) / sum(r^2); 0 for identical tensors.
double normalized_mse(const Tensor& actual, const Tensor& reference);

}  // namespace induction
