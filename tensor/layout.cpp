// layout.cpp — validation and dispatch for ops that move elements without computing: shift by one
// (smeared keys), slice and concat along any axis, permute. The forward ops accept every dtype
// (f32, f64, i32: token tensors too); the backward ops take floating gradients.
// Kernels: tensor/reference/layout.cpp, tensor/cpu/layout.cpp.
#include <algorithm>

#include "tensor/ops.h"

namespace induction {

namespace {

void check_defined(const Tensor& x, const char* op, const char* role) {
    check(x.defined(), op, ": ", role, " is an undefined tensor");
}

void check_floating(const Tensor& g, const char* op) {
    check_defined(g, op, "g");
    if (!is_floating(g.dtype())) fail(op, ": g must be f32 or f64, got ", describe(g));
}

Tensor shift_op(Op op, const Tensor& x, int axis, bool replicate_first) {
    OpParams params;
    params.axis = x.shape().axis(axis, op_name(op));
    params.replicate_first = replicate_first;
    Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch({op, {x}, {out}, params});
    return out;
}

}  // namespace

Tensor shift(const Tensor& x, int axis, bool replicate_first) {
    check_defined(x, "shift", "x");
    return shift_op(Op::SHIFT, x, axis, replicate_first);
}

Tensor shift_backward(const Tensor& g, int axis, bool replicate_first) {
    check_floating(g, "shift_backward");
    return shift_op(Op::SHIFT_BACKWARD, g, axis, replicate_first);
}

Tensor slice(const Tensor& x, int axis, int64_t begin, int64_t end) {
    check_defined(x, "slice", "x");
    OpParams params;
    params.axis = x.shape().axis(axis, "slice");
    int64_t size = x.shape()[params.axis];
    if (begin < 0 || begin > end || end > size)
        fail("slice: [", begin, ", ", end, ") out of range for axis ", axis, " of ", describe(x),
             " (expected 0 <= begin <= end <= ", size, ")");
    params.begin = begin;
    params.end = end;
    Shape out_shape = x.shape();
    out_shape[params.axis] = end - begin;
    Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
    dispatch({Op::SLICE, {x}, {out}, params});
    return out;
}

Tensor slice_backward(const Tensor& g, const Shape& shape, int axis, int64_t begin) {
    check_floating(g, "slice_backward");
    OpParams params;
    params.axis = shape.axis(axis, "slice_backward");
    Shape expected = shape;
    expected[params.axis] = g.ndim() == shape.ndim ? g.shape()[params.axis] : 0;
    params.begin = begin;
    params.end = begin + expected[params.axis];
    if (g.shape() != expected || begin < 0 || params.end > shape[params.axis])
        fail("slice_backward: g ", describe(g), " at offset ", begin, " on axis ", axis,
             " does not fit in ", shape.str(), " (expected g to match it except on that axis)");
    Tensor dx = Tensor::empty(shape, g.dtype(), g.device());
    dispatch({Op::SLICE_BACKWARD, {g}, {dx}, params});
    return dx;
}

Tensor concat(const std::vector<Tensor>& parts, int axis) {
    check(!parts.empty(), "concat: no tensors to concatenate");
    for (const Tensor& part : parts) check_defined(part, "concat", "a part");
    const Tensor& first = parts[0];
    OpParams params;
    params.axis = first.shape().axis(axis, "concat");
    Shape out_shape = first.shape();
    out_shape[params.axis] = 0;
    for (const Tensor& part : parts) {
        Shape rest = part.shape();
        if (rest.ndim == first.ndim()) rest[params.axis] = first.shape()[params.axis];
        if (rest != first.shape() || part.dtype() != first.dtype())
            fail("concat: ", describe(part), " does not match ", describe(first),
                 " (expected the same dtype and sizes on every axis but ", axis, ")");
        out_shape[params.axis] += part.shape()[params.axis];
    }
    Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
    dispatch({Op::CONCAT, parts, {out}, params});
    return out;
}

Tensor permute(const Tensor& x, const std::vector<int>& perm) {
    check_defined(x, "permute", "x");
    std::vector<int> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    bool is_permutation = static_cast<int>(perm.size()) == x.ndim();
    for (int k = 0; is_permutation && k < x.ndim(); ++k) is_permutation = sorted[k] == k;
    if (!is_permutation) {
        std::string listed;
        for (int p : perm) listed += (listed.empty() ? "" : ", ") + std::to_string(p);
        fail("permute: [", listed, "] is not a permutation of the ", x.ndim(), " axes of ",
             describe(x), " (expected each of 0..", x.ndim() - 1, " once)");
    }
    OpParams params;
    Shape out_shape = x.shape();
    for (int k = 0; k < x.ndim(); ++k) {
        params.perm[k] = perm[k];
        out_shape[k] = x.shape()[perm[k]];
    }
    Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
    dispatch({Op::PERMUTE, {x}, {out}, params});
    return out;
}

}  // namespace induction
