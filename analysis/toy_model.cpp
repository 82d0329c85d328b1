// toy_model.cpp — the rank-1 three-factor toy model (METHODS §8.7 "Toy model"); see toy_model.h.
#include "analysis/toy_model.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "tensor/rng.h"

namespace induction {

namespace {

double dot(const std::vector<double>& x, const std::vector<double>& y) {
    double sum = 0.0;
    for (size_t i = 0; i < x.size(); ++i) sum += x[i] * y[i];
    return sum;
}

// out = alpha x − beta y.
std::vector<double> combine(double alpha, const std::vector<double>& x, double beta,
                            const std::vector<double>& y) {
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = alpha * x[i] - beta * y[i];
    return out;
}

void check_options(const ToyModelOptions& options) {
    check(options.dim >= 1, "toy model: dim ", options.dim, " (expected >= 1)");
    check(options.iterations >= 0, "toy model: iterations ", options.iterations,
          " (expected >= 0)");
    check(std::isfinite(options.learning_rate) && options.learning_rate > 0,
          "toy model: learning_rate ", options.learning_rate, " (expected finite and > 0)");
    check(std::isfinite(options.init_scale) && options.init_scale >= 0, "toy model: init_scale ",
          options.init_scale, " (expected finite and >= 0)");
}

void check_factors(const ToyFactors& target, const ToyFactors& learned, const char* op) {
    const size_t n = target.a.size();
    check(n > 0 && target.b.size() == n && target.c.size() == n && learned.a.size() == n &&
              learned.b.size() == n && learned.c.size() == n,
          op, ": a, b, c and their targets must share one nonzero length (a* has ", n, ")");
}

// Rows of a [3, n] draw as (a, b, c), each times `scale`.
ToyFactors split_rows(const std::vector<double>& rows, int n, double scale) {
    auto row = [&](int r) {
        std::vector<double> v(rows.begin() + r * n, rows.begin() + (r + 1) * n);
        for (double& x : v) x *= scale;
        return v;
    };
    return {row(0), row(1), row(2)};
}

void rescale_to_norm(std::vector<double>& v, double norm) {
    const double current = std::sqrt(dot(v, v));
    if (current > 0) for (double& x : v) x *= norm / current;
}

double one_minus_cos2(const std::vector<double>& x, const std::vector<double>& y) {
    const double xx = dot(x, x), yy = dot(y, y);
    if (xx == 0 || yy == 0) return 1.0;  // no direction yet: no progress
    const double xy = dot(x, y);
    return std::max(0.0, 1.0 - xy * xy / (xx * yy));  // rounding can dip below 0 at cos² = 1
}

// The loss with b, c set to ± their targets. The four sign choices (±b*, ±c*) give only two
// tensors, ±a⊗b*⊗c*, so this is min(L(a, b*, c*), L(a, −b*, c*)): we take the sign that gives the
// lower loss (it is sign(a·a*)), since the model is indifferent to which pair of factors carries a
// sign and only a's progress should be measured.
double loss_bc_at_target(const ToyFactors& target, const std::vector<double>& a) {
    std::vector<double> minus_b = target.b;
    for (double& x : minus_b) x = -x;
    return std::min(toy_loss(target, {a, target.b, target.c}),
                    toy_loss(target, {a, minus_b, target.c}));
}

void record(ToyTrace& trace, const ToyFactors& target, const ToyFactors& x) {
    trace.loss.push_back(toy_loss(target, x));
    trace.one_minus_cos2_a.push_back(one_minus_cos2(x.a, target.a));
    trace.loss_bc_at_target.push_back(loss_bc_at_target(target, x.a));
}

}  // namespace

const char* toy_clamp_name(ToyClamp clamp) {
    switch (clamp) {
        case ToyClamp::NONE: return "none";
        case ToyClamp::C: return "c";
        case ToyClamp::BC: return "b,c";
    }
    return "?";
}

ToyProblem make_toy_problem(const ToyModelOptions& options) {
    check_options(options);
    const int n = options.dim;
    Rng rng(options.seed);
    ToyProblem problem;
    problem.target = split_rows(rng.normal({3, n}, 0.0, 1.0, DType::F64).to_vector(), n, 1.0);
    for (auto* v : {&problem.target.a, &problem.target.b, &problem.target.c})
        rescale_to_norm(*v, std::sqrt(double(n)));
    // Drawn at unit scale and scaled after, so the initial directions do not depend on init_scale.
    problem.init = split_rows(rng.normal({3, n}, 0.0, 1.0, DType::F64).to_vector(), n,
                              options.init_scale);
    return problem;
}

double toy_loss(const ToyFactors& target, const ToyFactors& learned) {
    check_factors(target, learned, "toy_loss");
    const size_t n = target.a.size();
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
            const double target_ij = target.a[i] * target.b[j];
            const double learned_ij = learned.a[i] * learned.b[j];
            for (size_t k = 0; k < n; ++k) {
                const double r = target_ij * target.c[k] - learned_ij * learned.c[k];
                sum += r * r;
            }
        }
    }
    return 0.5 * sum / (double(n) * double(n) * double(n));
}

ToyFactors toy_loss_gradient(const ToyFactors& target, const ToyFactors& learned) {
    check_factors(target, learned, "toy_loss_gradient");
    const double n3 = std::pow(double(target.a.size()), 3);
    const double aa = dot(learned.a, learned.a), bb = dot(learned.b, learned.b),
                 cc = dot(learned.c, learned.c);
    const double a_overlap = dot(learned.a, target.a), b_overlap = dot(learned.b, target.b),
                 c_overlap = dot(learned.c, target.c);
    // ∂L/∂a_i = −(1/n³) Σ_jk (T*_ijk − a_i b_j c_k) b_j c_k, and cyclically.
    return {combine(bb * cc / n3, learned.a, b_overlap * c_overlap / n3, target.a),
            combine(aa * cc / n3, learned.b, a_overlap * c_overlap / n3, target.b),
            combine(aa * bb / n3, learned.c, a_overlap * b_overlap / n3, target.c)};
}

ToyTrace train_toy_model(ToyClamp clamp, const ToyModelOptions& options) {
    const ToyProblem problem = make_toy_problem(options);
    const ToyFactors& target = problem.target;
    ToyFactors x = problem.init;
    const bool b_free = clamp == ToyClamp::NONE || clamp == ToyClamp::C;
    const bool c_free = clamp == ToyClamp::NONE;
    if (!b_free) x.b = target.b;
    if (!c_free) x.c = target.c;

    ToyTrace trace;
    trace.clamp = clamp;
    record(trace, target, x);
    const double lr = options.learning_rate;
    for (int t = 0; t < options.iterations; ++t) {
        const ToyFactors grad = toy_loss_gradient(target, x);  // all three from the same point
        x.a = combine(1.0, x.a, lr, grad.a);
        if (b_free) x.b = combine(1.0, x.b, lr, grad.b);
        if (c_free) x.c = combine(1.0, x.c, lr, grad.c);
        record(trace, target, x);
    }
    trace.learned = x;
    return trace;
}

int64_t toy_plateau_length(const std::vector<double>& loss, double fraction) {
    check(fraction > 0 && fraction <= 1, "toy_plateau_length: fraction ", fraction,
          " (expected in (0, 1])");
    if (loss.empty()) return -1;
    for (size_t t = 0; t < loss.size(); ++t)
        if (loss[t] < fraction * loss[0]) return int64_t(t);
    return -1;
}

}  // namespace induction
