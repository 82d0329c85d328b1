// elementwise.cpp — validation and dispatch for elementwise ops (binary with broadcasting,
// unary, unary backward, where). Kernels: tensor/reference/elementwise.cpp, tensor/cpu/elementwise.cpp.
#include <algorithm>

#include "tensor/ops.h"
#include "tensor/unary_math.h"

namespace induction {

namespace {

void check_floating(const Tensor& x, const char* op, const char* role) {
    check(x.defined(), op, ": ", role, " is an undefined tensor");
    check(is_floating(x.dtype()), op, ": ", role, " must be f32 or f64, got ", describe(x));
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
    check(a.dtype() == b.dtype(), op, ": dtypes differ: ", describe(a), " and ", describe(b),
          " (expected the same dtype)");
}

Tensor binary_op(Op op, const Tensor& a, const Tensor& b) {
    const char* name = op_name(op);
    check_floating(a, name, "a");
    check_floating(b, name, "b");
    check_same_dtype(a, b, name);
    Shape out_shape = broadcast_shape(a.shape(), b.shape(), name);
    Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
    dispatch({op, {a, b}, {out}, {}});
    return out;
}

Tensor unary_op(Op op, const Tensor& x, OpParams params = {}) {
    check_floating(x, op_name(op), "x");
    Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch({op, {x}, {out}, params});
    return out;
}

}  // namespace

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
    int ndim = std::max(a.ndim, b.ndim);
    std::vector<int64_t> dims(ndim);
    for (int k = 0; k < ndim; ++k) {
        int64_t da = k < ndim - a.ndim ? 1 : a[k - (ndim - a.ndim)];
        int64_t db = k < ndim - b.ndim ? 1 : b[k - (ndim - b.ndim)];
        check(da == db || da == 1 || db == 1, op, ": shapes ", a.str(), " and ", b.str(),
              " do not broadcast (axis ", k, ": ", da, " vs ", db, ")");
        dims[k] = da == 1 ? db : da;
    }
    return Shape(dims);
}

Tensor add(const Tensor& a, const Tensor& b) { return binary_op(Op::ADD, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary_op(Op::SUB, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary_op(Op::MUL, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary_op(Op::DIV, a, b); }

Tensor neg(const Tensor& x) { return unary_op(Op::NEG, x); }
Tensor exp(const Tensor& x) { return unary_op(Op::EXP, x); }
Tensor log(const Tensor& x) { return unary_op(Op::LOG, x); }
Tensor sqrt(const Tensor& x) { return unary_op(Op::SQRT, x); }
Tensor relu(const Tensor& x) { return unary_op(Op::RELU, x); }
Tensor gelu(const Tensor& x) { return unary_op(Op::GELU, x); }
Tensor sigmoid(const Tensor& x) { return unary_op(Op::SIGMOID, x); }

Tensor scale(const Tensor& x, double alpha, double beta) {
    OpParams params;
    params.alpha = alpha;
    params.beta = beta;
    return unary_op(Op::SCALE, x, params);
}

Tensor unary_backward(Op forward_op, const Tensor& x, const Tensor& y, const Tensor& g) {
    check(is_unary(forward_op) && forward_op != Op::SCALE, "unary_backward: expected one of neg, exp, "
          "log, sqrt, relu, gelu, sigmoid, got ", op_name(forward_op), " (scale's gradient is scale(g, alpha))");
    for (const Tensor* t : {&x, &y, &g}) {
        check_floating(*t, "unary_backward", "operand");
        check(t->shape() == x.shape() && t->dtype() == x.dtype(), "unary_backward: x ",
              describe(x), ", y ", describe(y), ", g ", describe(g), " (expected identical)");
    }
    OpParams params;
    params.forward_op = forward_op;
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch({Op::UNARY_BACKWARD, {x, y, g}, {dx}, params});
    return dx;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    if (!cond.defined() || cond.dtype() != DType::I32)
        fail("where: cond must be i32, got ", cond.defined() ? describe(cond).str() : "undefined");
    check_floating(a, "where", "a");
    check_same_dtype(a, b, "where");
    check(cond.shape() == a.shape() && a.shape() == b.shape(), "where: shapes ", cond.shape().str(),
          ", ", a.shape().str(), ", ", b.shape().str(), " (expected cond, a and b to be identical)");
    Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
    dispatch({Op::WHERE, {cond, a, b}, {out}, {}});
    return out;
}

}  // namespace induction
