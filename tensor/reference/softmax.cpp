// softmax.cpp (reference) — softmax with causal / local-window masks (METHODS.md §1.1, §1.5),
// its backward, and cross-entropy with its backward: one row at a time, every sum in double, the
// mask tested element by element exactly as the spec states it.
//
// Tensors are contiguous; a "row" is the last axis. For masks, x is [..., T, T] (softmax with
// head_windows: [B, H, T, T]) and row r is query position i = r % T of head h = (r / T) % H.
#include <cmath>
#include <limits>

#include "tensor/kernel_args.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

namespace {

// Whether query i may attend to key j (METHODS.md §1.5): causal allows j <= i; a local head of
// window w > 0 allows 0 <= i - j < w.
bool allowed(int64_t i, int64_t j, bool causal, int64_t window) {
    if (causal && j > i) return false;
    if (window > 0 && !(i - j >= 0 && i - j < window)) return false;
    return true;
}

// log(sum_j exp(x_j)) of one row, computed stably in double.
template <class T>
double logsumexp(const T* x, int64_t n) {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) m = std::max(m, double(x[j]));
    double s = 0;
    for (int64_t j = 0; j < n; ++j) s += std::exp(double(x[j]) - m);
    return m + std::log(s);
}

}  // namespace

void softmax(const OpCall& call) {
    with_args<SoftmaxArgs>(call, [&]<class T>(const SoftmaxArgs<T>& a) {
        for (int64_t r = 0; r < a.rows; ++r) {
            const T* xr = a.x + r * a.n;
            T* yr = a.y + r * a.n;
            int64_t i = a.query(r), window = a.window(r);
            double m = -std::numeric_limits<double>::infinity();
            for (int64_t j = 0; j < a.n; ++j)
                if (allowed(i, j, a.causal, window)) m = std::max(m, double(xr[j]));
            double s = 0;
            for (int64_t j = 0; j < a.n; ++j)
                if (allowed(i, j, a.causal, window)) s += std::exp(double(xr[j]) - m);
            for (int64_t j = 0; j < a.n; ++j)
                yr[j] = allowed(i, j, a.causal, window) ? T(std::exp(double(xr[j]) - m) / s) : T(0);
        }
    });
}

void softmax_backward(const OpCall& call) {
    with_args<SoftmaxBackwardArgs>(call, [&]<class T>(const SoftmaxBackwardArgs<T>& a) {
        for (int64_t r = 0; r < a.rows; ++r) {
            const T *y = a.y + r * a.n, *g = a.g + r * a.n;
            double dot = 0;  // sum_j g_j y_j
            for (int64_t j = 0; j < a.n; ++j) dot += double(g[j]) * double(y[j]);
            for (int64_t j = 0; j < a.n; ++j)
                a.dx[r * a.n + j] = T(double(y[j]) * (double(g[j]) - dot));
        }
    });
}

void cross_entropy(const OpCall& call) {
    with_args<CrossEntropyArgs>(call, [&]<class T>(const CrossEntropyArgs<T>& a) {
        for (int64_t r = 0; r < a.rows; ++r) {
            const T* xr = a.logits + r * a.vocab;
            int32_t target = a.targets[r];
            a.losses[r] = target == a.ignore_index          ? T(0)
                          : !id_in_range(target, a.vocab) ? T(NAN)
                                                          : T(logsumexp(xr, a.vocab) - double(xr[target]));
        }
    });
}

// The textbook form: recomputes each row's log-sum-exp (the fast kernel reads it off the losses).
void cross_entropy_backward(const OpCall& call) {
    with_args<CrossEntropyBackwardArgs>(call, [&]<class T>(const CrossEntropyBackwardArgs<T>& a) {
        for (int64_t r = 0; r < a.rows; ++r) {
            const T* xr = a.logits + r * a.vocab;
            bool ignored = a.targets[r] == a.ignore_index;
            bool bad = !ignored && !id_in_range(a.targets[r], a.vocab);
            double lse = ignored ? 0 : logsumexp(xr, a.vocab);
            for (int64_t j = 0; j < a.vocab; ++j) {
                double onehot = j == a.targets[r] ? 1 : 0;
                a.dlogits[r * a.vocab + j] = ignored ? T(0)
                                             : bad   ? T(NAN)
                                                     : T(double(a.g[r]) * (std::exp(double(xr[j]) - lse) - onehot));
            }
        }
    });
}

}  // namespace induction::reference
