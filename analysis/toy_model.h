// toy_model.h — the rank-1 three-factor toy model of Singh et al. 2024 (METHODS §8.7 "Toy model").
//
// Three vectors a, b, c ∈ R^n (n = 20) learn a target tensor T* = a*⊗b*⊗c* under the loss
//
//     L(a, b, c) = ½ · mean_ijk (T*_ijk − a_i b_j c_k)²       (mean over the n³ entries)
//
// by plain gradient descent (lr = 1, 1000 iterations, seed 1). It is the paper's picture of a
// phase change: the product of three smoothly learned factors ("subcircuits") sits on a plateau
// while all three are small and then drops suddenly; clamping some factors to their targets
// removes the multiplicative interaction and with it the plateau. Conditions: no clamp; c clamped
// to c*; b and c clamped.
//
// The gradient is closed-form (no autograd, the problem is tiny):
//     ∂L/∂a = (a |b|²|c|² − a* (b·b*)(c·c*)) / n³, and likewise for b and c.
// The loss itself is summed over the n³ entries directly, so that the test comparing the gradient
// with finite differences of the loss checks the closed form against an independent computation.
//
// Initialisation [OURS] (METHODS does not give one; see make_toy_problem):
// - targets: entries drawn N(0, 1), then each vector rescaled to norm √n exactly, so every target
//   has RMS entry 1, T* has RMS entry 1 and the initial loss is ≈ ½ whatever the draw. With this
//   scale the a-only problem (b, c clamped) contracts at rate |b*|²|c*|²/n³ = 1/n per step and
//   lr = 1 is stable (the largest Hessian eigenvalue at the optimum is 3/n). Targets of norm 1
//   (entries N(0, 1/n)) would slow every rate by n² under the mean over n³ entries: nothing
//   would move in 1000 steps;
// - learned vectors: entries N(0, init_scale²) with init_scale = 0.3, about 3× smaller than the
//   targets' entries (their components along the targets start near 0.3 against √n ≈ 4.5).
//   Starting small is what makes the unclamped run wait on a plateau: the component of a along
//   a* grows at a rate ∝ (b·b*)(c·c*), itself small while b and c are, so the time spent on the
//   plateau scales as 1 / init_scale. 0.3 puts seed 1's drop past the middle of the 1000 steps
//   (the loss first halves at step 608) with time left to converge; at 0.1 the plateau outlasts
//   the run. Over seeds 1-8 the plateau lasts ~380-850 steps, and a seed whose three initial
//   overlaps multiply to a negative number (seed 3) must first flip a sign and does not leave
//   the plateau within 1000 steps. Clamped factors start at their targets.
// Targets are drawn first and the learned vectors second, from one Rng(seed), so the three
// conditions of one seed share targets and initial vectors.
#pragma once

#include <cstdint>
#include <vector>

namespace induction {

enum class ToyClamp { NONE, C, BC };
const char* toy_clamp_name(ToyClamp clamp);  // "none", "c", "b,c"

struct ToyModelOptions {
    int dim = 20;                // n: the length of a, b and c
    int iterations = 1000;       // gradient-descent steps
    double learning_rate = 1.0;
    uint64_t seed = 1;
    double init_scale = 0.3;     // standard deviation of the learned vectors' initial entries
};

// Three vectors of length n: targets (a*, b*, c*), learned factors (a, b, c) or their gradients.
struct ToyFactors {
    std::vector<double> a, b, c;
};

struct ToyProblem {
    ToyFactors target;  // a*, b*, c*
    ToyFactors init;    // the learned vectors before the first step (no clamp applied)
};

// Entry t of each series is measured after t steps, t = 0 .. iterations (iterations + 1 values).
struct ToyTrace {
    ToyClamp clamp = ToyClamp::NONE;
    std::vector<double> loss;               // L(a, b, c)
    std::vector<double> one_minus_cos2_a;   // 1 − cos²(a, a*): the progress of a alone
    // min over ± of L(a, ±b*, c*) (toy_model.cpp, loss_bc_at_target). When b and c learn it ends
    // small but not 0: the loss fixes the factors only up to (λa*, μb*, c*/(λμ)), and a ends at
    // λa* with λ near, not at, 1.
    std::vector<double> loss_bc_at_target;
    ToyFactors learned;                     // (a, b, c) after the last step
};

// Draws the targets and the initial vectors of `options` (see the header comment).
ToyProblem make_toy_problem(const ToyModelOptions& options);

// L(a, b, c), summed over the n³ entries of T* − a⊗b⊗c.
double toy_loss(const ToyFactors& target, const ToyFactors& learned);

// (∂L/∂a, ∂L/∂b, ∂L/∂c) in closed form.
ToyFactors toy_loss_gradient(const ToyFactors& target, const ToyFactors& learned);

// Trains (a, b, c) from make_toy_problem(options) with the clamped factors fixed to their targets.
ToyTrace train_toy_model(ToyClamp clamp, const ToyModelOptions& options = {});

// Iteration at which the loss first falls below `fraction` of its initial value (or -1): the
// plateau length.
int64_t toy_plateau_length(const std::vector<double>& loss, double fraction = 0.5);

}  // namespace induction
