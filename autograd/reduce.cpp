// reduce.cpp (autograd) — reductions and broadcast_to with their gradients, each rule below its
// forward. A reduction's gradient broadcasts g back over the reduced axis; broadcast_to's sums
// g back over the repeated axes.
#include "autograd/functions.h"

namespace induction {

namespace {

// g of a reduction, viewed with the reduced axis kept at size 1 (a free reshape).
Tensor with_kept_axis(const Tensor& g, const Shape& x_shape, int axis) {
    Shape kept = x_shape;
    kept[x_shape.axis(axis, "reduce gradient")] = 1;
    return g.reshape(kept);
}

}  // namespace

Var sum(const Var& x, int axis, bool keepdim) {
    return make_result(sum(x.value(), axis, keepdim), {x}, [x, axis](const Tensor& g) {
        accumulate_grad(x, broadcast_to(with_kept_axis(g, x.shape(), axis), x.shape()));
    });
}

Var mean(const Var& x, int axis, bool keepdim) {
    return make_result(mean(x.value(), axis, keepdim), {x}, [x, axis](const Tensor& g) {
        Tensor g_over_n = scale(with_kept_axis(g, x.shape(), axis), 1.0 / x.size(axis));
        accumulate_grad(x, broadcast_to(g_over_n, x.shape()));
    });
}

// The gradient goes to the first position attaining the max (MAX_BACKWARD).
Var max(const Var& x, int axis, bool keepdim) {
    Tensor y = max(x.value(), axis, true);  // kept for MAX_BACKWARD
    std::vector<int64_t> out_dims = y.shape().to_vector();
    if (!keepdim) out_dims.erase(out_dims.begin() + x.shape().axis(axis, "max"));
    return make_result(y.reshape(Shape(out_dims)), {x}, [x, y, axis](const Tensor& g) {
        accumulate_grad(x, max_backward(x.value(), y, g.reshape(y.shape()), axis));
    });
}

Var broadcast_to(const Var& x, const Shape& shape) {
    return make_result(broadcast_to(x.value(), shape), {x}, [x](const Tensor& g) {
        accumulate_grad(x, sum_to_shape(g, x.shape()));
    });
}

}  // namespace induction
