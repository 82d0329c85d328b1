// layout.cpp (autograd) — reshape, shift, slice, concat and permute with their gradients, each
// rule below its forward. Every gradient moves g back to where its elements came from.
#include "autograd/functions.h"

namespace induction {

Var reshape(const Var& x, const Shape& shape) {
    return make_result(x.value().reshape(shape), {x}, [x](const Tensor& g) {
        accumulate_grad(x, g.reshape(x.shape()));
    });
}

Var shift(const Var& x, int axis, bool replicate_first) {
    return make_result(shift(x.value(), axis, replicate_first), {x},
                       [x, axis, replicate_first](const Tensor& g) {
        accumulate_grad(x, shift_backward(g, axis, replicate_first));
    });
}

Var slice(const Var& x, int axis, int64_t begin, int64_t end) {
    return make_result(slice(x.value(), axis, begin, end), {x}, [x, axis, begin](const Tensor& g) {
        accumulate_grad(x, slice_backward(g, x.shape(), axis, begin));
    });
}

// Each part's gradient is its own stretch of g along the axis.
Var concat(const std::vector<Var>& parts, int axis) {
    std::vector<Tensor> values;
    for (const Var& part : parts) values.push_back(part.value());
    return make_result(concat(values, axis), parts, [parts, axis](const Tensor& g) {
        int64_t begin = 0;
        for (const Var& part : parts) {
            int64_t end = begin + part.size(axis);
            if (part.requires_grad()) accumulate_grad(part, slice(g, axis, begin, end));
            begin = end;
        }
    });
}

// The gradient undoes the permutation: input axis perm[k] receives output axis k.
Var permute(const Var& x, const std::vector<int>& perm) {
    return make_result(permute(x.value(), perm), {x}, [x, perm](const Tensor& g) {
        std::vector<int> inverse(perm.size());
        for (size_t k = 0; k < perm.size(); ++k) inverse[perm[k]] = static_cast<int>(k);
        accumulate_grad(x, permute(g, inverse));
    });
}

}  // namespace induction
