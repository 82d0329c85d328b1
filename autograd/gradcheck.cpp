// gradcheck.cpp — analytical vs central-difference gradients in f64.
#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "tensor/rng.h"

namespace induction {

namespace {

double weighted_sum(const Tensor& y, const Tensor& w) {
    std::vector<double> yv = y.to_vector(), wv = w.to_vector();
    double total = 0;
    for (size_t i = 0; i < yv.size(); ++i) total += yv[i] * wv[i];
    return total;
}

}  // namespace

GradcheckResult gradcheck(const DifferentiableFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
    std::vector<Var> vars;
    for (const Tensor& x : inputs) {
        check(x.dtype() != DType::F32, "gradcheck: inputs must be f64 (or i32 constants), got ",
              describe(x));
        vars.emplace_back(x.clone(), x.dtype() == DType::F64);
    }
    Var y = f(vars);
    check(y.dtype() == DType::F64, "gradcheck: f must return f64, got ", describe(y.value()));
    Rng rng(options.seed);
    Tensor w = rng.normal(y.shape(), 0, 1, DType::F64);
    backward(y, w);

    GradcheckResult result;
    std::ostringstream report;
    int failures = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
        if (inputs[k].dtype() != DType::F64) continue;
        const Tensor& grad = vars[k].grad();
        std::vector<double> analytical =
            grad.defined() ? grad.to_vector() : std::vector<double>(inputs[k].numel(), 0.0);
        for (int64_t i = 0; i < inputs[k].numel(); ++i) {
            auto loss_at = [&](double delta) {
                NoGrad no_grad;
                std::vector<Var> shifted;
                for (size_t j = 0; j < inputs.size(); ++j) {
                    Tensor value = inputs[j].clone();
                    if (j == k) value.data<double>()[i] += delta;
                    shifted.emplace_back(value);
                }
                return weighted_sum(f(shifted).value(), w);
            };
            double numerical = (loss_at(options.eps) - loss_at(-options.eps)) / (2 * options.eps);
            double error = std::abs(analytical[i] - numerical);
            result.max_abs_error = std::max(result.max_abs_error, error);
            if (error > options.atol + options.rtol * std::abs(numerical)) {
                result.ok = false;
                if (failures++ < 5)
                    report << "input " << k << " element " << i << ": analytical " << analytical[i]
                           << ", numerical " << numerical << "; ";
            }
        }
    }
    result.report = report.str();
    return result;
}

}  // namespace induction
