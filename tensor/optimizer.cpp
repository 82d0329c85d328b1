// optimizer.cpp — validation and dispatch for the optimizer step's ops: the global gradient norm
// and the fused AdamW update (train/adamw.h uses them). Kernels: tensor/reference/optimizer.cpp,
// tensor/cpu/optimizer.cpp.
#include <cmath>

#include "tensor/ops.h"

namespace induction {

Tensor global_norm(const std::vector<Tensor>& tensors) {
    check(!tensors.empty(), "global_norm: no tensors (expected at least one)");
    for (const Tensor& t : tensors) {
        check(t.defined() && is_floating(t.dtype()), "global_norm: expected f32 or f64 tensors, got ",
              describe(t));
        check(t.device() == tensors[0].device(), "global_norm: tensors on different devices (",
              describe(t), " vs ", describe(tensors[0]), ")");
    }
    Tensor norm = Tensor::empty({}, DType::F64, tensors[0].device());
    dispatch({Op::GLOBAL_NORM, tensors, {norm}, {}});
    return norm;
}

AdamWUpdate adamw_update(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                         const Tensor& grad_norm, const AdamWStep& step) {
    check(param.defined() && is_floating(param.dtype()), "adamw: the parameter must be f32 or f64, got ",
          describe(param));
    const char* roles[] = {"gradient", "first moment", "second moment"};
    const Tensor* others[] = {&grad, &m, &v};
    for (int k = 0; k < 3; ++k)
        check(others[k]->defined() && others[k]->shape() == param.shape() &&
                  others[k]->dtype() == param.dtype(),
              "adamw: the ", roles[k], " is ", describe(*others[k]),
              ", expected the parameter's ", describe(param));
    check(grad_norm.defined() && grad_norm.dtype() == DType::F64 && grad_norm.numel() == 1,
          "adamw: grad_norm must be an f64 scalar, got ",
          describe(grad_norm));
    check(step.step >= 1 && step.beta1 >= 0 && step.beta1 < 1 && step.beta2 >= 0 && step.beta2 < 1 &&
              step.eps > 0 && step.learning_rate >= 0 && step.weight_decay >= 0 && step.max_grad_norm > 0,
          "adamw: step ", step.step, ", betas ", step.beta1, " and ", step.beta2, ", eps ", step.eps,
          ", learning rate ", step.learning_rate, ", weight decay ", step.weight_decay,
          ", max_grad_norm ", step.max_grad_norm,
          " (expected step >= 1, betas in [0, 1), eps > 0, rates >= 0, max_grad_norm > 0)");
    AdamWUpdate out{Tensor::empty(param.shape(), param.dtype(), param.device()),
                    Tensor::empty(param.shape(), param.dtype(), param.device()),
                    Tensor::empty(param.shape(), param.dtype(), param.device())};
    OpParams params;
    params.adamw = step;
    dispatch({Op::ADAMW, {param, grad, m, v, grad_norm.reshape({})}, {out.param, out.m, out.v}, params});
    return out;
}

}  // namespace induction
