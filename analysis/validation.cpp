// validation.cpp — rank correlations of evaluators against weight measures (validation.h).
#include "analysis/validation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor/rng.h"

namespace induction {

namespace {

// Ranks 1..n of x, ties sharing their average rank.
std::vector<double> ranks(const std::vector<double>& x) {
    std::vector<size_t> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
    std::vector<double> rank(x.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
        for (size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * double(i + j) + 1.0;
        i = j + 1;
    }
    return rank;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    const double n = double(x.size());
    double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
    double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : NAN;
}

// The usable (x, y) pairs of the chosen snapshots' tables, from first_layer up.
void collect(const std::vector<HeadTable>& x, const std::vector<HeadTable>& y,
             const std::vector<size_t>& snapshots, int first_layer, std::vector<double>& xs,
             std::vector<double>& ys) {
    xs.clear();
    ys.clear();
    for (size_t s : snapshots)
        for (int l = first_layer; l < x[s].n_layers; ++l)
            for (int h = 0; h < x[s].n_heads; ++h) {
                double a = x[s].at(l, h), b = y[s].at(l, h);
                if (std::isnan(a) || std::isnan(b)) continue;
                xs.push_back(a);
                ys.push_back(b);
            }
}

double quantile(std::vector<double> values, double q) {  // linear interpolation
    std::sort(values.begin(), values.end());
    double at = q * double(values.size() - 1);
    size_t i = size_t(at);
    if (i + 1 >= values.size()) return values.back();
    return values[i] + (at - double(i)) * (values[i + 1] - values[i]);
}

}  // namespace

double rank_correlation(const std::vector<double>& x, const std::vector<double>& y) {
    check(x.size() == y.size(), "rank_correlation: ", x.size(), " and ", y.size(), " values");
    std::vector<double> xs, ys;
    for (size_t i = 0; i < x.size(); ++i)
        if (!std::isnan(x[i]) && !std::isnan(y[i])) {
            xs.push_back(x[i]);
            ys.push_back(y[i]);
        }
    if (xs.size() < 3) return NAN;
    return pearson(ranks(xs), ranks(ys));
}

RankCorrelation snapshot_rank_correlation(const std::vector<HeadTable>& x,
                                          const std::vector<HeadTable>& y, int first_layer,
                                          int resamples, uint64_t seed) {
    check(x.size() == y.size(), "snapshot_rank_correlation: ", x.size(), " and ", y.size(),
          " snapshots");
    RankCorrelation out;
    out.snapshots = int64_t(x.size());
    std::vector<size_t> all(x.size());
    std::iota(all.begin(), all.end(), 0);
    std::vector<double> xs, ys;
    collect(x, y, all, first_layer, xs, ys);
    out.pairs = int64_t(xs.size());
    out.rho = rank_correlation(xs, ys);
    out.low = out.high = NAN;
    if (std::isnan(out.rho) || x.size() < 2) return out;
    Rng rng(seed);
    std::vector<double> rhos;
    std::vector<size_t> sample(x.size());
    for (int r = 0; r < resamples; ++r) {
        for (size_t& s : sample) s = size_t(rng.next_int(0, int64_t(x.size())));
        collect(x, y, sample, first_layer, xs, ys);
        double rho = rank_correlation(xs, ys);
        if (!std::isnan(rho)) rhos.push_back(rho);
    }
    if (rhos.size() >= 2) {
        out.low = quantile(rhos, 0.025);
        out.high = quantile(rhos, 0.975);
    }
    return out;
}

json::Value to_json(const RankCorrelation& r) {
    auto number = [](double x) { return std::isnan(x) ? json::Value() : json::Value(x); };
    json::Value v = json::Value::object();
    v["spearman"] = number(r.rho);
    v["low"] = number(r.low);
    v["high"] = number(r.high);
    v["pairs"] = r.pairs;
    v["snapshots"] = r.snapshots;
    return v;
}

}  // namespace induction
