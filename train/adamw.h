// adamw.h — AdamW (Loshchilov & Hutter): Adam with decoupled weight decay.
//
// For each parameter θ with gradient g, at step t (1-based), learning rate η, decay λ:
//   m ← β1 m + (1 − β1) g            v ← β2 v + (1 − β2) g²
//   m̂ = m / (1 − β1^t)               v̂ = v / (1 − β2^t)
//   θ ← θ − η (m̂ / (sqrt(v̂) + ε) + λ θ)      (λ only for parameters marked for decay)
// The moments are kept in the parameter's dtype. Each parameter's update is one ADAMW op
// (tensor/ops.h), which also clips the gradient by the global norm: g ← g · max / (‖g‖ + 1e-6)
// when ‖g‖ > max, and skips the update when ‖g‖ is not finite.
#pragma once

#include <cmath>
#include <vector>

#include "autograd/var.h"

namespace induction {

struct AdamWOptions {
    double beta1 = 0.9, beta2 = 0.99, eps = 1e-8;
};

struct AdamWParameter {
    Var* var;
    bool weight_decay;
};

class AdamW {
public:
    AdamW(std::vector<AdamWParameter> parameters, AdamWOptions options);

    // One update with the parameters' current gradients (parameters without one are skipped).
    // grad_norm: global_grad_norm() of those gradients (f64 []), on their device.
    void step(double learning_rate, double weight_decay, const Tensor& grad_norm,
              double max_grad_norm = INFINITY);
    int64_t steps_taken() const { return step_; }

    // The optimizer state, for exact resume: m and v per parameter, and the step count.
    std::vector<Tensor>& first_moments() { return m_; }
    std::vector<Tensor>& second_moments() { return v_; }
    void set_steps_taken(int64_t steps) { step_ = steps; }

private:
    std::vector<AdamWParameter> parameters_;
    AdamWOptions options_;
    std::vector<Tensor> m_, v_;
    int64_t step_ = 0;
};

// The joint L2 norm of all parameters' gradients: f64 [] on their device (0 when none has one).
Tensor global_grad_norm(const std::vector<AdamWParameter>& parameters);

}  // namespace induction
