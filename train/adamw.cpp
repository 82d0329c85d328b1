// adamw.cpp — AdamW over a model's parameters, one ADAMW op per parameter (tensor/ops.h), with
// gradient clipping by the global norm (the GLOBAL_NORM op) fused into the update: nothing here
// reads a tensor on the host, so a step leaves device memory where it is.
#include "train/adamw.h"

#include "tensor/ops.h"

namespace induction {

AdamW::AdamW(std::vector<AdamWParameter> parameters, AdamWOptions options)
    : parameters_(std::move(parameters)), options_(options) {
    for (const AdamWParameter& p : parameters_) {
        m_.push_back(Tensor::zeros(p.var->shape(), p.var->dtype(), p.var->value().device()));
        v_.push_back(Tensor::zeros(p.var->shape(), p.var->dtype(), p.var->value().device()));
    }
}

void AdamW::step(double learning_rate, double weight_decay, const Tensor& grad_norm, double max_grad_norm) {
    ++step_;
    for (size_t i = 0; i < parameters_.size(); ++i) {
        Var& var = *parameters_[i].var;
        if (!var.grad().defined()) continue;
        AdamWStep s{learning_rate, options_.beta1, options_.beta2, options_.eps,
                    parameters_[i].weight_decay ? weight_decay : 0.0, step_, max_grad_norm};
        check(m_[i].shape() == var.shape() && v_[i].shape() == var.shape() &&
                  m_[i].dtype() == var.value().dtype() && v_[i].dtype() == var.value().dtype(),
              "adamw: the moments of parameter ", i, " are ", describe(m_[i]), " and ", describe(v_[i]),
              ", expected the parameter's ", describe(var.value()));
        // The update writes fresh tensors: values are never mutated in place, so a value some
        // earlier graph saved stays valid.
        AdamWUpdate updated = adamw_update(var.value(), var.grad(), m_[i], v_[i], grad_norm, s);
        var.set_value(updated.param);
        m_[i] = updated.m;
        v_[i] = updated.v;
    }
}

Tensor global_grad_norm(const std::vector<AdamWParameter>& parameters) {
    std::vector<Tensor> grads;
    for (const AdamWParameter& p : parameters)
        if (p.var->grad().defined()) grads.push_back(p.var->grad());
    return grads.empty() ? Tensor::zeros({}, DType::F64) : global_norm(grads);
}

}  // namespace induction
