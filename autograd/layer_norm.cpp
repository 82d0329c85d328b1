// layer_norm.cpp (autograd) — layer normalisation (METHODS.md §1.3) with gradients for x, gamma
// and beta from the one fused LAYER_NORM_BACKWARD kernel, which reuses the forward's mean and rstd.
#include "autograd/functions.h"

namespace induction {

Var layer_norm(const Var& x, const Var& gamma, const Var& beta, double eps) {
    LayerNormResult r = layer_norm(x.value(), gamma.value(), beta.value(), eps);
    Tensor mean = r.mean, rstd = r.rstd;
    return make_result(r.y, {x, gamma, beta}, [x, gamma, beta, mean, rstd](const Tensor& g) {
        LayerNormGrads grads = layer_norm_backward(x.value(), gamma.value(), mean, rstd, g);
        accumulate_grad(x, grads.dx);
        accumulate_grad(gamma, grads.dgamma);
        accumulate_grad(beta, grads.dbeta);
    });
}

}  // namespace induction
