// attribution.cpp — ICL readings at a few columns, bootstrap intervals, ΔICL and the
// before-and-after attribution (METHODS §5.4, §5.5).
#include "analysis/attribution.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "tensor/rng.h"

namespace induction {

AttributionColumns attribution_columns(const EvalSet& eval) {
    const int64_t N = eval.tokens.size(0), T = eval.tokens.size(1);
    check(int64_t(eval.random_column.size()) == N, "attribution_columns: ", eval.random_column.size(),
          " random columns for ", N, " examples");
    AttributionColumns c;
    c.indices = icl_score(std::vector<double>(size_t(T - 1), 0.0));
    c.bands = icl_bands(T);
    std::vector<int32_t> shared;  // loss-matrix column of context index i is i − 2
    for (int64_t i = c.bands.lo_first; i <= c.bands.lo_last; ++i) shared.push_back(int32_t(i - 2));
    c.lo_band_end = int64_t(shared.size());
    for (int64_t i = c.bands.hi_first; i <= c.bands.hi_last; ++i) shared.push_back(int32_t(i - 2));
    c.hi_band_end = int64_t(shared.size());
    c.lo = c.indices.i_lo - c.bands.lo_first;
    c.hi = c.lo_band_end + (c.indices.i_hi - c.bands.hi_first);
    c.random = c.hi_band_end;
    const int64_t P = c.hi_band_end + 1;
    std::vector<int32_t> all;
    for (int64_t e = 0; e < N; ++e) {
        all.insert(all.end(), shared.begin(), shared.end());
        all.push_back(int32_t(eval.random_column[size_t(e)]));
    }
    c.columns = Tensor::from_ints({N, P}, all);
    return c;
}

ExampleReadings read_examples(const Tensor& losses_at_columns, const AttributionColumns& c) {
    const int64_t N = c.columns.size(0), P = c.columns.size(1);
    check(losses_at_columns.ndim() == 2 && losses_at_columns.size(0) == N && losses_at_columns.size(1) == P,
          "read_examples: expected losses [", N, ", ", P, "] at the attribution columns, got ",
          describe(losses_at_columns));
    const std::vector<double> l = losses_at_columns.to_vector();
    const double decades = std::log10(double(c.indices.i_hi) / double(c.indices.i_lo));
    auto band_mean = [](const double* row, int64_t begin, int64_t end) {
        double total = 0;
        for (int64_t k = begin; k < end; ++k) total += row[k];
        return total / double(end - begin);
    };
    ExampleReadings r;
    for (int64_t e = 0; e < N; ++e) {
        const double* row = l.data() + e * P;
        r.icl.push_back((row[c.lo] - row[c.hi]) / decades);
        r.icl_band.push_back((band_mean(row, 0, c.lo_band_end) - band_mean(row, c.lo_band_end, c.hi_band_end)) /
                             c.bands.log10_ratio);
        r.random_token.push_back(row[c.random]);
    }
    return r;
}

BootstrapPlan make_bootstrap_plan(int64_t n, int resamples, uint64_t seed) {
    check(n >= 1 && resamples >= 1, "bootstrap: need at least one example and one resample");
    BootstrapPlan plan{n, resamples, {}};
    Tensor draws = Rng(seed).randint({int64_t(resamples), n}, 0, int32_t(n));
    for (int32_t i : draws.to_ints()) plan.indices.push_back(uint32_t(i));
    return plan;
}

namespace {

double mean_of(const std::vector<double>& x, const uint32_t* pick, int64_t n) {
    double total = 0;
    for (int64_t k = 0; k < n; ++k) total += x[pick ? pick[k] : size_t(k)];
    return total / double(n);
}

// The percentile 95% interval of statistic(resample) over the plan's resamples; NaN when any
// resample's statistic is not finite.
template <typename Statistic>
void bootstrap_interval(const BootstrapPlan& plan, Statistic statistic, Estimate& e) {
    std::vector<double> values(size_t(plan.resamples));
    for (int r = 0; r < plan.resamples; ++r) {
        values[size_t(r)] = statistic(plan.indices.data() + size_t(r) * size_t(plan.n));
        if (!std::isfinite(values[size_t(r)])) {
            e.lo = e.hi = std::nan("");
            return;
        }
    }
    std::sort(values.begin(), values.end());
    auto quantile = [&](double q) {  // linear interpolation between order statistics
        double at = q * double(values.size() - 1);
        size_t below = size_t(at);
        size_t above = std::min(below + 1, values.size() - 1);
        return values[below] + (at - double(below)) * (values[above] - values[below]);
    };
    e.lo = quantile(0.025);
    e.hi = quantile(0.975);
}

void check_plan(const std::vector<double>& x, const BootstrapPlan& plan) {
    check(int64_t(x.size()) == plan.n, "bootstrap: ", x.size(), " values for a plan of ", plan.n);
}

}  // namespace

Estimate mean_with_interval(const std::vector<double>& x, const BootstrapPlan& plan) {
    check_plan(x, plan);
    Estimate e;
    e.value = mean_of(x, nullptr, plan.n);
    bootstrap_interval(plan, [&](const uint32_t* pick) { return mean_of(x, pick, plan.n); }, e);
    return e;
}

Estimate ratio_with_interval(const std::vector<double>& numerator, const std::vector<double>& denominator,
                             const BootstrapPlan& plan) {
    check_plan(numerator, plan);
    check_plan(denominator, plan);
    auto ratio = [&](const uint32_t* pick) {
        double d = mean_of(denominator, pick, plan.n);
        return d > 0 ? mean_of(numerator, pick, plan.n) / d : std::nan("");
    };
    Estimate e;
    e.value = ratio(nullptr);
    if (std::isfinite(e.value)) bootstrap_interval(plan, ratio, e);
    else e.lo = e.hi = std::nan("");
    return e;
}

Estimate difference_with_interval(const std::vector<double>& a, const std::vector<double>& b,
                                  const BootstrapPlan& plan) {
    check(a.size() == b.size(), "bootstrap: paired samples of ", a.size(), " and ", b.size());
    std::vector<double> difference(a.size());
    for (size_t i = 0; i < a.size(); ++i) difference[i] = b[i] - a[i];
    return mean_with_interval(difference, plan);
}

AblationEffect ablation_effect(const ExampleReadings& clean, const ExampleReadings& ablated,
                               const BootstrapPlan& plan) {
    AblationEffect effect;
    effect.icl = mean_with_interval(ablated.icl, plan);
    effect.icl_band = mean_with_interval(ablated.icl_band, plan);
    effect.delta_icl = difference_with_interval(clean.icl, ablated.icl, plan);
    effect.delta_icl_band = difference_with_interval(clean.icl_band, ablated.icl_band, plan);
    auto removed = [](const std::vector<double>& before, const std::vector<double>& after) {
        std::vector<double> lost(before.size());
        for (size_t e = 0; e < before.size(); ++e) lost[e] = before[e] - after[e];
        return lost;
    };
    effect.share_removed = ratio_with_interval(removed(clean.icl, ablated.icl), clean.icl, plan);
    effect.share_removed_band = ratio_with_interval(removed(clean.icl_band, ablated.icl_band), clean.icl_band, plan);
    for (size_t e = 0; e < clean.random_token.size(); ++e) {
        effect.delta_random_token.push_back(ablated.random_token[e] - clean.random_token[e]);
        effect.delta_loss += effect.delta_random_token.back();
    }
    effect.delta_loss /= double(std::max<size_t>(1, clean.random_token.size()));
    return effect;
}

std::vector<double> before_after_vector(const std::vector<double>& v_start, const std::vector<double>& v_end) {
    check(v_start.size() == v_end.size(), "before_after_vector: vectors of ", v_start.size(), " and ",
          v_end.size());
    std::vector<double> b(v_start.size());
    double norm = 0;
    for (size_t e = 0; e < b.size(); ++e) {
        b[e] = v_end[e] - v_start[e];
        norm += b[e] * b[e];
    }
    if (norm == 0) return {};
    norm = std::sqrt(norm);
    for (double& x : b) x /= norm;
    return b;
}

BeforeAfterAttribution before_after_attribution(const std::vector<double>& delta,
                                                const std::vector<double>& before_after) {
    check(delta.size() == before_after.size(), "before_after_attribution: δ has ", delta.size(),
          " entries, b ", before_after.size());
    BeforeAfterAttribution a;
    double norm = 0;
    for (size_t e = 0; e < delta.size(); ++e) {
        a.projection += delta[e] * before_after[e];
        norm += delta[e] * delta[e];
    }
    a.cosine = norm > 0 ? a.projection / std::sqrt(norm) : 0.0;
    return a;
}

}  // namespace induction
