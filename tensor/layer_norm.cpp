// layer_norm.cpp — validation and dispatch for layer normalisation over the last axis
// (METHODS.md §1.3) and its backward. Kernels: tensor/reference/layer_norm.cpp,
// tensor/cpu/layer_norm.cpp.
#include <cmath>

#include "tensor/ops.h"

namespace induction {

namespace {

void check_operand(const Tensor& t, const Tensor& x, const Shape& expected, const char* op,
                   const char* role) {
    check(t.defined(), op, ": ", role, " is an undefined tensor");
    check(t.dtype() == x.dtype() && t.shape() == expected, op, ": ", role, " ", describe(t),
          " for x ", describe(x), " (expected ", dtype_name(x.dtype()), expected.str(), ")");
}

// x: [..., D] with D = gamma.size; gamma: [D]. Returns the number of rows, numel / D.
int64_t check_x_and_gamma(const Tensor& x, const Tensor& gamma, const char* op) {
    check(x.defined(), op, ": x is an undefined tensor");
    check(is_floating(x.dtype()), op, ": x must be f32 or f64, got ", describe(x));
    check(x.ndim() >= 1 && x.size(-1) >= 1, op, ": x ", describe(x),
          " has no last axis to normalise over (expected [..., D] with D >= 1)");
    int64_t d = x.size(-1);
    check_operand(gamma, x, Shape{d}, op, "gamma");
    return x.numel() / d;
}

}  // namespace

LayerNormResult layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps) {
    int64_t rows = check_x_and_gamma(x, gamma, "layer_norm");
    check_operand(beta, x, gamma.shape(), "layer_norm", "beta");
    check(eps >= 0 && std::isfinite(eps), "layer_norm: eps ", eps,
          " (expected a finite eps >= 0)");
    OpParams params;
    params.eps = eps;
    LayerNormResult r{Tensor::empty(x.shape(), x.dtype(), x.device()),
                      Tensor::empty({rows}, x.dtype(), x.device()),
                      Tensor::empty({rows}, x.dtype(), x.device())};
    dispatch({Op::LAYER_NORM, {x, gamma, beta}, {r.y, r.mean, r.rstd}, params});
    return r;
}

LayerNormGrads layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& g) {
    int64_t rows = check_x_and_gamma(x, gamma, "layer_norm_backward");
    check_operand(mean, x, Shape{rows}, "layer_norm_backward", "mean");
    check_operand(rstd, x, Shape{rows}, "layer_norm_backward", "rstd");
    check_operand(g, x, x.shape(), "layer_norm_backward", "g");
    LayerNormGrads grads{Tensor::empty(x.shape(), x.dtype(), x.device()),
                         Tensor::empty(gamma.shape(), x.dtype(), x.device()),
                         Tensor::empty(gamma.shape(), x.dtype(), x.device())};
    dispatch({Op::LAYER_NORM_BACKWARD, {x, gamma, mean, rstd, g},
              {grads.dx, grads.dgamma, grads.dbeta}, {}});
    return grads;
}

}  // namespace induction
