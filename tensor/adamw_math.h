// adamw_math.h — the per-element AdamW update both backends' ADAMW kernels apply, so the
// formula is written once (train/adamw.h states it).
#pragma once

#include <cmath>
#include <cstring>

#include "tensor/dtype_dispatch.h"
#include "tensor/op.h"

namespace induction {

// Scalars of one step, in the element type T: computed once per call from AdamWStep and the
// global gradient norm.
template <class T>
struct AdamWScalars {
    bool update;     // false when the gradient norm is not finite: leave everything unchanged
    T grad_scale;    // gradient clipping factor (1: no clipping)
    bool clipped;
    T beta1, beta2, eps, step_size, inv_bias2, shrink;

    AdamWScalars(const AdamWStep& s, double grad_norm)
        : update(std::isfinite(grad_norm)),
          grad_scale(T(s.max_grad_norm / (grad_norm + 1e-6))),
          clipped(std::isfinite(grad_norm) && grad_norm > s.max_grad_norm),
          beta1(T(s.beta1)), beta2(T(s.beta2)), eps(T(s.eps)),
          step_size(T(s.learning_rate / (1 - std::pow(s.beta1, double(s.step))))),
          inv_bias2(T(1.0 / (1 - std::pow(s.beta2, double(s.step))))),
          shrink(T(1.0 - s.learning_rate * s.weight_decay)) {}

    // θ, m, v of one element after the step, from g (before clipping).
    void apply(T theta, T g, T m, T v, T& theta_out, T& m_out, T& v_out) const {
        if (clipped) g = grad_scale * g;
        m_out = beta1 * m + (T(1) - beta1) * g;
        v_out = beta2 * v + (T(1) - beta2) * g * g;
        T denominator = std::sqrt(v_out * inv_bias2) + eps;
        theta_out = shrink * theta - step_size * m_out / denominator;
    }
};

template <class T>
struct AdamWPointers {
    const T *theta, *g, *m, *v;
    T *theta_out, *m_out, *v_out;
    int64_t n;
};

// Unpacks an ADAMW call (inputs param, grad, m, v, grad_norm; outputs param, m, v) and calls
// body(scalars, pointers) — unless the gradient norm is not finite, when the outputs are copies
// of the inputs.
template <class Body>
void with_adamw_call(const OpCall& call, Body&& body) {
    const std::vector<Tensor>& in = call.inputs;
    std::vector<Tensor> out = call.outputs;  // handles: the kernel writes through them
    double grad_norm = in[4].data<double>()[0];
    with_floating_type(in[0].dtype(), "adamw", [&](auto zero) {
        using T = decltype(zero);
        AdamWScalars<T> scalars(call.params.adamw, grad_norm);
        if (!scalars.update) {
            for (int k = 0; k < 3; ++k)
                std::memcpy(out[k].raw_data(), in[k == 0 ? 0 : k + 1].raw_data(), out[k].nbytes());
            return;
        }
        body(scalars, AdamWPointers<T>{in[0].data<T>(), in[1].data<T>(), in[2].data<T>(), in[3].data<T>(),
                                       out[0].data<T>(), out[1].data<T>(), out[2].data<T>(), in[0].numel()});
    });
}

}  // namespace induction
