// adamw.cpp — the fused AdamW update and gradient-norm clipping.
#include "train/adamw.h"

#include <cmath>

#include "tensor/cpu/parallel.h"
#include "tensor/dtype_dispatch.h"
#include "tensor/ops.h"

namespace induction {

AdamW::AdamW(std::vector<AdamWParameter> parameters, AdamWOptions options)
    : parameters_(std::move(parameters)), options_(options) {
    for (const AdamWParameter& p : parameters_) {
        m_.push_back(Tensor::zeros(p.var->shape(), p.var->dtype()));
        v_.push_back(Tensor::zeros(p.var->shape(), p.var->dtype()));
    }
}

void AdamW::step(double learning_rate, double weight_decay) {
    ++step_;
    const double bias1 = 1 - std::pow(options_.beta1, double(step_));
    const double bias2 = 1 - std::pow(options_.beta2, double(step_));
    for (size_t i = 0; i < parameters_.size(); ++i) {
        Var& var = *parameters_[i].var;
        const Tensor& grad = var.grad();
        if (!grad.defined()) continue;
        // Updates write into a fresh tensor: values are never mutated in place, so a value some
        // earlier graph saved stays valid.
        check(m_[i].shape() == var.shape() && v_[i].shape() == var.shape() &&
                  m_[i].dtype() == var.value().dtype() && v_[i].dtype() == var.value().dtype(),
              "adamw: the moments of parameter ", i, " are ", describe(m_[i]), " and ", describe(v_[i]),
              ", expected the parameter's ", describe(var.value()));
        Tensor updated = var.value().clone();
        double decay = parameters_[i].weight_decay ? weight_decay : 0.0;
        with_floating_type(updated.dtype(), "adamw", [&](auto zero) {
            using T = decltype(zero);
            T* theta = updated.data<T>();
            T* m = m_[i].data<T>();
            T* v = v_[i].data<T>();
            const T* g = grad.data<T>();
            const T b1 = T(options_.beta1), b2 = T(options_.beta2), eps = T(options_.eps);
            const T step_size = T(learning_rate / bias1), inv_bias2 = T(1.0 / bias2);
            const T shrink = T(1.0 - learning_rate * decay);
            cpu::parallel_for(updated.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
                for (int64_t j = begin; j < end; ++j) {
                    m[j] = b1 * m[j] + (T(1) - b1) * g[j];
                    v[j] = b2 * v[j] + (T(1) - b2) * g[j] * g[j];
                    T denominator = std::sqrt(v[j] * inv_bias2) + eps;
                    theta[j] = shrink * theta[j] - step_size * m[j] / denominator;
                }
            });
        });
        var.set_value(updated);
    }
}

double clip_grad_norm(const std::vector<AdamWParameter>& parameters, double max_norm) {
    double squared = 0;
    for (const AdamWParameter& p : parameters) {
        const Tensor& g = p.var->grad();
        if (!g.defined()) continue;
        with_floating_type(g.dtype(), "clip_grad_norm", [&](auto zero) {
            using T = decltype(zero);
            const T* values = g.data<T>();
            for (int64_t i = 0; i < g.numel(); ++i) squared += double(values[i]) * double(values[i]);
        });
    }
    double norm = std::sqrt(squared);
    if (norm > max_norm && std::isfinite(norm)) {
        double factor = max_norm / (norm + 1e-6);
        for (const AdamWParameter& p : parameters)
            if (p.var->grad().defined()) {
                Tensor scaled = scale(p.var->grad(), factor);
                p.var->zero_grad();
                accumulate_grad(*p.var, scaled);
            }
    }
    return norm;
}

}  // namespace induction
