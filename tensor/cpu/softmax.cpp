// softmax.cpp (fast CPU) — softmax with causal / local-window masks (METHODS.md §1.1, §1.5),
// its backward, and fused cross-entropy with its backward.
//
// Tensors are contiguous; a "row" is the last axis, rows are independent and split over OpenMP
// threads in fixed contiguous ranges (parallel_for), so results do not depend on the thread count.
// For masks, x is [..., T, T] (with head_windows [B, H, T, T]); row r is query position
// i = r % T of head h = (r / T) % H, and its allowed keys form one range [lo, hi) (hi = i + 1 when
// causal or local, lo = i - w + 1 for a window w): only that range is read, the rest of the row is
// written as exact zeros.
//
// Each row takes three sweeps over its allowed range — max, exp(x - max) stored and summed, scale
// by 1 / sum — reading the input once from memory (the row is in L1 for the later sweeps; rows
// here are 128..8192 wide). The loops are OMP_SIMD reductions over fast_exp (fast_math.h), so
// they vectorise (WIDE_SIMD: 512-bit on AVX-512); exp is evaluated once per element.
// Cross-entropy takes two sweeps (max, sum of exps) and stores nothing; its backward three.
#include <algorithm>
#include <cmath>

#include "tensor/cpu/fast_math.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/kernel_args.h"

namespace induction::cpu {

namespace {

template <class T>
WIDE_SIMD T row_max(const T* x, int64_t n) {
    T m = x[0];
    OMP_SIMD(reduction(max : m))
    for (int64_t j = 1; j < n; ++j) m = x[j] > m ? x[j] : m;
    return m;
}

// y[j] = exp(x[j] - shift) for j in [0, n); returns their sum.
template <class T>
WIDE_SIMD T exp_shifted(const T* x, T shift, T* y, int64_t n) {
    T s = 0;
    OMP_SIMD(reduction(+ : s))
    for (int64_t j = 0; j < n; ++j) {
        T e = fast_exp(x[j] - shift);
        y[j] = e;
        s += e;
    }
    return s;
}

// sum_j exp(x[j] - shift) without storing the terms.
template <class T>
WIDE_SIMD T sum_exp_shifted(const T* x, T shift, int64_t n) {
    T s = 0;
    OMP_SIMD(reduction(+ : s))
    for (int64_t j = 0; j < n; ++j) s += fast_exp(x[j] - shift);
    return s;
}

template <class T>
WIDE_SIMD void scale_row(T* y, T factor, int64_t n) {
    OMP_SIMD()
    for (int64_t j = 0; j < n; ++j) y[j] *= factor;
}

// Softmax of x[lo, hi) into y[lo, hi); y outside the range is 0.
template <class T>
WIDE_SIMD void softmax_row(const T* x, T* y, int64_t n, int64_t lo, int64_t hi) {
    T m = row_max(x + lo, hi - lo);
    T s = exp_shifted(x + lo, m, y + lo, hi - lo);
    scale_row(y + lo, T(1) / s, hi - lo);
    std::fill(y, y + lo, T(0));
    std::fill(y + hi, y + n, T(0));
}

// dx = y * (g - sum(g * y)). Masked entries have y = 0, so their dx is 0 too.
template <class T>
WIDE_SIMD void softmax_backward_row(const T* y, const T* g, T* dx, int64_t n) {
    T dot = 0;
    OMP_SIMD(reduction(+ : dot))
    for (int64_t j = 0; j < n; ++j) dot += g[j] * y[j];
    OMP_SIMD()
    for (int64_t j = 0; j < n; ++j) dx[j] = y[j] * (g[j] - dot);
}

// -log softmax(x)[target] = log(sum exp(x - max)) + (max - x[target]): two sweeps, nothing stored.
template <class T>
WIDE_SIMD T cross_entropy_row(const T* x, int64_t vocab, int32_t target) {
    T m = row_max(x, vocab);
    return std::log(sum_exp_shifted(x, m, vocab)) + (m - x[target]);
}

// dx = g * (softmax(x) - onehot(target)) in one sweep, reading the row's log-sum-exp off its
// loss: lse = loss + x[target], so softmax(x)_j = exp((x_j - x[target]) - loss). Grouped this way
// the exponent of a likely token is small and exact where lse itself would round (|x| ~ 1000).
template <class T>
WIDE_SIMD void cross_entropy_backward_row(const T* x, int64_t vocab, int32_t target, T loss, T g,
                                          T* dx) {
    const T x_target = x[target];
    OMP_SIMD()
    for (int64_t j = 0; j < vocab; ++j) dx[j] = g * fast_exp((x[j] - x_target) - loss);
    dx[target] -= g;
}

}  // namespace

void softmax(const OpCall& call) {
    with_args<SoftmaxArgs>(call, [&]<class T>(const SoftmaxArgs<T>& a) {
        parallel_for(a.rows, rows_grain(a.n, HEAVY_GRAIN), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                int64_t i = a.query(r), window = a.window(r);
                int64_t hi = a.causal || window > 0 ? i + 1 : a.n;
                int64_t lo = window > 0 ? std::max<int64_t>(0, i - window + 1) : 0;
                softmax_row(a.x + r * a.n, a.y + r * a.n, a.n, lo, hi);
            }
        });
    });
}

void softmax_backward(const OpCall& call) {
    with_args<SoftmaxBackwardArgs>(call, [&]<class T>(const SoftmaxBackwardArgs<T>& a) {
        parallel_for(a.rows, rows_grain(a.n, HEAVY_GRAIN), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                softmax_backward_row(a.y + r * a.n, a.g + r * a.n, a.dx + r * a.n, a.n);
        });
    });
}

void cross_entropy(const OpCall& call) {
    with_args<CrossEntropyArgs>(call, [&]<class T>(const CrossEntropyArgs<T>& a) {
        parallel_for(a.rows, rows_grain(a.vocab, HEAVY_GRAIN), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                const T* xr = a.logits + r * a.vocab;
                a.losses[r] = a.targets[r] == a.ignore_index          ? T(0)
                              : !id_in_range(a.targets[r], a.vocab) ? T(NAN)
                                                                    : cross_entropy_row(xr, a.vocab, a.targets[r]);
            }
        });
    });
}

// Ignored rows get a zero gradient, rows with a target outside [0, V) a NaN one.
void cross_entropy_backward(const OpCall& call) {
    with_args<CrossEntropyBackwardArgs>(call, [&]<class T>(const CrossEntropyBackwardArgs<T>& a) {
        parallel_for(a.rows, rows_grain(a.vocab, HEAVY_GRAIN), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                T* dr = a.dlogits + r * a.vocab;
                if (a.targets[r] == a.ignore_index)
                    std::fill(dr, dr + a.vocab, T(0));
                else if (!id_in_range(a.targets[r], a.vocab))
                    std::fill(dr, dr + a.vocab, T(NAN));
                else
                    cross_entropy_backward_row(a.logits + r * a.vocab, a.vocab, a.targets[r],
                                               a.losses[r], a.g[r], dr);
            }
        });
    });
}

}  // namespace induction::cpu
