// axis_view.h — a contiguous tensor seen as [outer, n, inner] around one axis, the indexing that
// every along-an-axis kernel (reductions, slices, shifts, concatenation) uses.
#pragma once

#include <cstdint>

#include "tensor/shape.h"

namespace induction {

struct AxisView {
    int64_t outer = 1, n = 1, inner = 1;

    AxisView(const Shape& shape, int axis) {
        for (int k = 0; k < axis; ++k) outer *= shape[k];
        n = shape[axis];
        for (int k = axis + 1; k < shape.ndim; ++k) inner *= shape[k];
    }
    // Flat index of element (o, t, i).
    int64_t at(int64_t o, int64_t t, int64_t i) const { return (o * n + t) * inner + i; }
};

}  // namespace induction
