// icl.cpp — evaluation set, loss summaries, ICL score and the loss derivative.
#include "analysis/icl.h"

#include <cmath>
#include <numeric>

#include "tensor/error.h"
#include "tensor/rng.h"

namespace induction {

EvalSet make_eval_set(const std::vector<int32_t>& heldout, int64_t n_examples, int64_t context,
                      uint64_t seed) {
    const int64_t available = int64_t(heldout.size());
    check(context >= 2, "eval set: need windows of at least 2 tokens");
    if (n_examples == 0) n_examples = available / context;
    check(n_examples >= 1, "eval set: need at least one window of ", context, " tokens, but the held-out split has only ",
          available, " tokens");
    check(n_examples * context <= available, "eval set: ", n_examples, " windows of ", context,
          " tokens need ", n_examples * context, " held-out tokens, but there are only ", available);
    // Window e starts at order[e] * stride; the seeded order makes every leading block of rows a
    // random sample of the split (the analysis measures every snapshot on the first rows).
    std::vector<int64_t> order(static_cast<size_t>(n_examples));
    std::iota(order.begin(), order.end(), 0);
    Rng rng(seed);
    for (int64_t e = n_examples - 1; e > 0; --e) std::swap(order[size_t(e)], order[size_t(rng.next_int(0, e + 1))]);
    EvalSet set;
    set.tokens = Tensor::empty({n_examples, context}, DType::I32);
    int32_t* rows = set.tokens.data<int32_t>();
    const int64_t stride = available / n_examples;  // >= context: windows never overlap
    for (int64_t e = 0; e < n_examples; ++e) {
        auto first = heldout.begin() + order[size_t(e)] * stride;
        std::copy(first, first + context, rows + e * context);
    }
    for (int64_t e = 0; e < n_examples; ++e) set.random_column.push_back(rng.next_int(0, context - 1));
    return set;
}

EvalSet leading_rows(const EvalSet& eval, int64_t n) {
    check(n >= 1, "leading_rows: need at least one row, got ", n);
    n = std::min(n, eval.tokens.size(0));
    return {eval.tokens.slice(0, n), std::vector<int64_t>(eval.random_column.begin(), eval.random_column.begin() + n)};
}

LossSummary summarize_losses(const Tensor& losses, const EvalSet& eval) {
    check(losses.dtype() == DType::F32 && losses.ndim() == 2 &&
              losses.size(0) == int64_t(eval.random_column.size()),
          "summarize_losses: expected f32 [N, T-1] losses for ", eval.random_column.size(),
          " examples, got ", describe(losses));
    const int64_t N = losses.size(0), P = losses.size(1);
    const float* l = losses.data<float>();
    LossSummary s;
    s.by_position.assign(size_t(P), 0.0);
    double total = 0;
    for (int64_t e = 0; e < N; ++e)
        for (int64_t p = 0; p < P; ++p) {
            s.by_position[size_t(p)] += l[e * P + p];
            total += l[e * P + p];
        }
    for (double& x : s.by_position) x /= double(N);
    s.mean = total / double(N * P);
    double random_total = 0;
    for (int64_t e = 0; e < N; ++e) {
        float v = l[e * P + eval.random_column[size_t(e)]];
        s.random_token_vector.push_back(v);
        random_total += v;
    }
    s.random_token_mean = random_total / double(N);
    return s;
}

IclScore icl_score(const std::vector<double>& by_position) {
    const int64_t T = int64_t(by_position.size()) + 1;
    IclScore s;
    s.i_lo = int64_t(std::floor(50.0 * double(T) / 512.0 + 0.5));  // round half up
    s.i_hi = int64_t(std::floor(500.0 * double(T) / 512.0 + 0.5));
    check(s.i_lo >= 8, "icl_score: context ", T, " is too short (i_lo = ", s.i_lo,
          " < 8; METHODS §2.6 needs T of about 80 or more)");
    auto L = [&](int64_t i) { return by_position[size_t(i - 2)]; };
    s.score = L(s.i_hi) - L(s.i_lo);
    s.amount = -s.score;
    s.per_decade = s.amount / std::log10(double(s.i_hi) / double(s.i_lo));
    return s;
}

IclBands icl_bands(int64_t T) {
    const IclScore indices = icl_score(std::vector<double>(size_t(T - 1), 0.0));
    IclBands b;
    b.lo_first = int64_t(std::ceil(0.8 * double(indices.i_lo)));
    b.lo_last = int64_t(std::floor(1.25 * double(indices.i_lo)));
    b.hi_first = int64_t(std::ceil(0.8 * double(indices.i_hi)));
    b.hi_last = std::min(T, int64_t(std::floor(1.25 * double(indices.i_hi))));
    auto centre_log = [](int64_t first, int64_t last) {
        double total = 0;
        for (int64_t i = first; i <= last; ++i) total += std::log(double(i));
        return total / double(last - first + 1);
    };
    b.log10_ratio = (centre_log(b.hi_first, b.hi_last) - centre_log(b.lo_first, b.lo_last)) / std::log(10.0);
    return b;
}

LossDerivative loss_derivative(const std::vector<double>& by_position) {
    const int64_t T = int64_t(by_position.size()) + 1;
    std::vector<double> mean_loss, mean_log_i;
    for (int k = 4;; ++k) {
        double low = std::pow(2.0, k / 4.0), high = std::pow(2.0, (k + 1) / 4.0);
        if (low > double(T)) break;
        double loss = 0, log_i = 0;
        int count = 0;
        for (int64_t i = std::max<int64_t>(2, int64_t(std::ceil(low))); i <= T && double(i) < high; ++i) {
            loss += by_position[size_t(i - 2)];
            log_i += std::log(double(i));
            ++count;
        }
        if (count == 0) continue;  // empty bins are dropped
        mean_loss.push_back(loss / count);
        mean_log_i.push_back(log_i / count);
    }
    LossDerivative d;
    const size_t bins = mean_loss.size();
    check(bins >= 2, "loss_derivative: context ", T, " gives fewer than two bins");
    for (size_t k = 0; k < bins; ++k) {
        size_t before = k == 0 ? 0 : k - 1, after = k + 1 == bins ? k : k + 1;  // one-sided at the ends
        d.centers.push_back(std::exp(mean_log_i[k]));
        d.values.push_back((mean_loss[after] - mean_loss[before]) / (mean_log_i[after] - mean_log_i[before]));
    }
    return d;
}

}  // namespace induction
