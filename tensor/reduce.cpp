// reduce.cpp — validation and dispatch for reductions along one axis (sum, mean, max), the max
// gradient, broadcast_to, and the composite sum_to_shape that every broadcasting op's gradient
// uses. Kernels: tensor/reference/reduce.cpp, tensor/cpu/reduce.cpp.
#include <string>

#include "tensor/ops.h"

namespace induction {

namespace {

void check_floating(const Tensor& x, const char* op, const char* role) {
    check(x.defined(), op, ": ", role, " is an undefined tensor");
    if (!is_floating(x.dtype())) fail(op, ": ", role, " must be f32 or f64, got ", describe(x));
}

// x's shape with `axis` (already normalised) set to 1, or removed when !keepdim.
Shape reduced_shape(const Shape& shape, int axis, bool keepdim) {
    std::vector<int64_t> dims = shape.to_vector();
    if (keepdim)
        dims[axis] = 1;
    else
        dims.erase(dims.begin() + axis);
    return Shape(dims);
}

Tensor reduce_op(Op op, const Tensor& x, int axis, bool keepdim) {
    const char* name = op_name(op);
    check_floating(x, name, "x");
    OpParams params;
    params.axis = x.shape().axis(axis, name);
    params.keepdim = keepdim;
    if (op == Op::MAX && x.shape()[params.axis] == 0)
        fail(name, ": axis ", axis, " of ", describe(x),
             " is empty (expected at least one element to take the max of)");
    Shape out_shape = reduced_shape(x.shape(), params.axis, keepdim);
    Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
    dispatch({op, {x}, {out}, params});
    return out;
}

// Why `from` does not broadcast to `to` (aligned at the innermost axis, each axis of `from`
// equal to the one of `to` or 1, no more axes than `to`), or "" when it does.
std::string broadcast_problem(const Shape& from, const Shape& to) {
    if (from.ndim > to.ndim)
        return from.str() + " has more than " + std::to_string(to.ndim) + " dimensions";
    for (int k = 0; k < from.ndim; ++k) {
        int64_t f = from.back(from.ndim - k), t = to.back(from.ndim - k);
        if (f != t && f != 1)
            return "axis " + std::to_string(k) + " of " + from.str() + " has size " +
                   std::to_string(f) + ", expected " + std::to_string(t) + " or 1";
    }
    return "";
}

}  // namespace

Tensor sum(const Tensor& x, int axis, bool keepdim) { return reduce_op(Op::SUM, x, axis, keepdim); }
Tensor mean(const Tensor& x, int axis, bool keepdim) {
    return reduce_op(Op::MEAN, x, axis, keepdim);
}
Tensor max(const Tensor& x, int axis, bool keepdim) { return reduce_op(Op::MAX, x, axis, keepdim); }

Tensor max_backward(const Tensor& x, const Tensor& y, const Tensor& g, int axis) {
    for (const Tensor* t : {&x, &y, &g}) check_floating(*t, "max_backward", "operand");
    OpParams params;
    params.axis = x.shape().axis(axis, "max_backward");
    Shape kept = reduced_shape(x.shape(), params.axis, true);
    if (y.shape() != kept || g.shape() != kept || y.dtype() != x.dtype() || g.dtype() != x.dtype())
        fail("max_backward: x ", describe(x), ", y ", describe(y), ", g ", describe(g),
             " (expected y and g of x's dtype and shape ", kept.str(), ")");
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch({Op::MAX_BACKWARD, {x, y, g}, {dx}, params});
    return dx;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
    check_floating(x, "broadcast_to", "x");
    std::string problem = broadcast_problem(x.shape(), shape);
    if (!problem.empty())
        fail("broadcast_to: cannot broadcast ", describe(x), " to ", shape.str(), " (", problem,
             ")");
    Tensor out = Tensor::empty(shape, x.dtype(), x.device());
    dispatch({Op::BROADCAST_TO, {x}, {out}, {}});
    return out;
}

// Sums over the axes that were broadcast. Neighbouring axes that are both summed (or both kept)
// are merged first, so the common [N, D] -> [D] and [B, T, D] -> [D] are one SUM over axis 0 of
// an [N, D] view, and [B, T, D] -> [B, 1, 1] is one SUM over axis 1 of a [B, T*D] view.
Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
    check_floating(g, "sum_to_shape", "g");
    std::string problem = broadcast_problem(shape, g.shape());
    if (!problem.empty())
        fail("sum_to_shape: cannot sum ", describe(g), " to ", shape.str(),
             ", which does not broadcast to it (", problem, ")");
    if (g.shape() == shape) return g;
    int lead = g.ndim() - shape.ndim;
    std::vector<int64_t> merged;
    std::vector<bool> summed;
    for (int k = 0; k < g.ndim(); ++k) {
        int64_t target = k < lead ? 1 : shape[k - lead];
        bool is_summed = target != g.shape()[k];
        if (!merged.empty() && summed.back() == is_summed)
            merged.back() *= g.shape()[k];
        else {
            merged.push_back(g.shape()[k]);
            summed.push_back(is_summed);
        }
    }
    Tensor result = g.reshape(Shape(merged));
    for (int k = 0; k < static_cast<int>(merged.size()); ++k)
        if (summed[k]) result = sum(result, k, true);
    return result.reshape(shape);
}

}  // namespace induction
