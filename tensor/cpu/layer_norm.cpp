// layer_norm.cpp (fast CPU) — layer normalisation over the last axis (METHODS.md §1.3) and its
// backward. Formulas as in tensor/reference/layer_norm.cpp.
//
// Tensors are contiguous; x is [rows, D] seen flat, gamma and beta [D], mean and rstd [rows].
// Forward: rows are independent and split over OpenMP threads (parallel_for). Each row is read
// from memory once; the mean (summed in double), the centred variance (robust when |mean| >> std,
// unlike E[x²] - E[x]²) and the output are three OMP_SIMD sweeps over a row that stays in L1
// (D = 128..768 here).
// Backward: dgamma and dbeta are column sums over all rows. To keep them deterministic, and
// independent of the thread count, rows are cut into at most MAX_CHUNKS fixed chunks (the cut
// depends only on the row count); each chunk sums its rows into its own partial [2, D] buffer
// while also writing its rows' dx, and the partials are then added in chunk order.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/cpu/fast_math.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/kernel_args.h"

namespace induction::cpu {

namespace {

constexpr int64_t MAX_CHUNKS = 256;  // backward: partial-sum buffers, at most [256, 2, D]
constexpr int64_t MIN_CHUNK_ROWS = 16;

template <class T>
WIDE_SIMD void layer_norm_row(const T* x, const T* gamma, const T* beta, T* y, int64_t d, T eps,
                              T& mean, T& rstd) {
    double sum = 0;  // in double: an f32 sum of D values near a large mean loses the mean's digits
    OMP_SIMD(reduction(+ : sum))
    for (int64_t j = 0; j < d; ++j) sum += x[j];
    T mu = T(sum / double(d));
    T squares = 0;
    OMP_SIMD(reduction(+ : squares))
    for (int64_t j = 0; j < d; ++j) squares += (x[j] - mu) * (x[j] - mu);
    T rs = T(1) / std::sqrt(squares / T(d) + eps);
    OMP_SIMD()
    for (int64_t j = 0; j < d; ++j) y[j] = (x[j] - mu) * rs * gamma[j] + beta[j];
    mean = mu;
    rstd = rs;
}

// One row of the backward: writes dx and adds g * xhat and g into the chunk's partial sums.
template <class T>
WIDE_SIMD void layer_norm_backward_row(const T* x, const T* gamma, const T* g, T mu, T rs,
                                       int64_t d, T* dx, T* dgamma_partial, T* dbeta_partial) {
    T sum_gy = 0, sum_gy_xhat = 0;
    OMP_SIMD(reduction(+ : sum_gy, sum_gy_xhat))
    for (int64_t j = 0; j < d; ++j) {
        T xhat = (x[j] - mu) * rs;
        T gy = g[j] * gamma[j];
        sum_gy += gy;
        sum_gy_xhat += gy * xhat;
        dgamma_partial[j] += g[j] * xhat;
        dbeta_partial[j] += g[j];
    }
    T mean_gy = sum_gy / T(d), mean_gy_xhat = sum_gy_xhat / T(d);
    OMP_SIMD()
    for (int64_t j = 0; j < d; ++j) {
        T xhat = (x[j] - mu) * rs;
        dx[j] = rs * (g[j] * gamma[j] - mean_gy - xhat * mean_gy_xhat);
    }
}

}  // namespace

void layer_norm(const OpCall& call) {
    with_args<LayerNormArgs>(call, [&]<class T>(const LayerNormArgs<T>& a) {
        const int64_t d = a.d;
        parallel_for(a.rows, rows_grain(d, HEAVY_GRAIN), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                layer_norm_row(a.x + r * d, a.gamma, a.beta, a.y + r * d, d, T(a.eps), a.mean[r],
                               a.rstd[r]);
        });
    });
}

void layer_norm_backward(const OpCall& call) {
    with_args<LayerNormBackwardArgs>(call, [&]<class T>(const LayerNormBackwardArgs<T>& a) {
        const int64_t d = a.d, rows = a.rows;
        const int64_t chunk_rows = std::max(MIN_CHUNK_ROWS, (rows + MAX_CHUNKS - 1) / MAX_CHUNKS);
        const int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
        // partial: [chunks, 2, D] — per chunk, the dgamma then the dbeta partial sums.
        std::vector<T> partial(chunks * 2 * d, T(0));
        const int64_t chunk_grain = rows_grain(chunk_rows * d, HEAVY_GRAIN);
        parallel_for(chunks, chunk_grain, [&](int64_t chunk_begin, int64_t chunk_end) {
            for (int64_t c = chunk_begin; c < chunk_end; ++c) {
                T* dgamma_partial = partial.data() + c * 2 * d;
                for (int64_t r = c * chunk_rows; r < std::min(rows, (c + 1) * chunk_rows); ++r)
                    layer_norm_backward_row(a.x + r * d, a.gamma, a.g + r * d, a.mean[r], a.rstd[r],
                                            d, a.dx + r * d, dgamma_partial, dgamma_partial + d);
            }
        });
        parallel_for(d, rows_grain(chunks, HEAVY_GRAIN), [&](int64_t begin, int64_t end) {
            std::fill(a.dgamma + begin, a.dgamma + end, T(0));
            std::fill(a.dbeta + begin, a.dbeta + end, T(0));
            for (int64_t c = 0; c < chunks; ++c) {
                const T* dgamma_partial = partial.data() + c * 2 * d;
                const T* dbeta_partial = dgamma_partial + d;
                OMP_SIMD()
                for (int64_t j = begin; j < end; ++j) {
                    a.dgamma[j] += dgamma_partial[j];
                    a.dbeta[j] += dbeta_partial[j];
                }
            }
        });
    });
}

}  // namespace induction::cpu
