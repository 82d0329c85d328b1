// elementwise.cpp (autograd) — elementwise ops and their gradients, each rule below its forward.
#include "autograd/functions.h"

namespace induction {

// Binary ops broadcast, so each gradient is summed back to its operand's shape.
Var add(const Var& a, const Var& b) {
    return make_result(add(a.value(), b.value()), {a, b}, [a, b](const Tensor& g) {
        accumulate_grad(a, sum_to_shape(g, a.shape()));
        accumulate_grad(b, sum_to_shape(g, b.shape()));
    });
}

Var sub(const Var& a, const Var& b) {
    return make_result(sub(a.value(), b.value()), {a, b}, [a, b](const Tensor& g) {
        accumulate_grad(a, sum_to_shape(g, a.shape()));
        if (b.requires_grad()) accumulate_grad(b, sum_to_shape(neg(g), b.shape()));
    });
}

Var mul(const Var& a, const Var& b) {
    return make_result(mul(a.value(), b.value()), {a, b}, [a, b](const Tensor& g) {
        if (a.requires_grad()) accumulate_grad(a, sum_to_shape(mul(g, b.value()), a.shape()));
        if (b.requires_grad()) accumulate_grad(b, sum_to_shape(mul(g, a.value()), b.shape()));
    });
}

Var div(const Var& a, const Var& b) {
    Tensor y = div(a.value(), b.value());
    return make_result(y, {a, b}, [a, b, y](const Tensor& g) {
        Tensor g_over_b = div(g, b.value());  // d(a/b)/da = 1/b
        if (a.requires_grad()) accumulate_grad(a, sum_to_shape(g_over_b, a.shape()));
        // d(a/b)/db = -a/b² = -y/b
        if (b.requires_grad()) accumulate_grad(b, sum_to_shape(neg(mul(g_over_b, y)), b.shape()));
    });
}

namespace {

// Unary ops share one rule: dx = g * f'(x), computed by the UNARY_BACKWARD kernel.
Var unary(Op op, Tensor (*forward)(const Tensor&), const Var& x) {
    Tensor y = forward(x.value());
    return make_result(y, {x}, [op, x, y](const Tensor& g) {
        accumulate_grad(x, unary_backward(op, x.value(), y, g));
    });
}

}  // namespace

Var neg(const Var& x) { return unary(Op::NEG, neg, x); }
Var exp(const Var& x) { return unary(Op::EXP, exp, x); }
Var log(const Var& x) { return unary(Op::LOG, log, x); }
Var sqrt(const Var& x) { return unary(Op::SQRT, sqrt, x); }
Var relu(const Var& x) { return unary(Op::RELU, relu, x); }
Var gelu(const Var& x) { return unary(Op::GELU, gelu, x); }
Var sigmoid(const Var& x) { return unary(Op::SIGMOID, sigmoid, x); }

Var scale(const Var& x, double alpha, double beta) {
    return make_result(scale(x.value(), alpha, beta), {x}, [x, alpha](const Tensor& g) {
        accumulate_grad(x, scale(g, alpha));
    });
}

Var where(const Tensor& cond, const Var& a, const Var& b) {
    return make_result(where(cond, a.value(), b.value()), {a, b}, [cond, a, b](const Tensor& g) {
        Tensor zero = Tensor::zeros(g.shape(), g.dtype(), g.device());
        if (a.requires_grad()) accumulate_grad(a, where(cond, g, zero));
        if (b.requires_grad()) accumulate_grad(b, where(cond, zero, g));
    });
}

}  // namespace induction
