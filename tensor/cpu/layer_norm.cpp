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
#include "tensor/dtype_dispatch.h"

namespace induction::cpu {

namespace {

constexpr int64_t GRAIN = 1 << 14;   // elements per thread before threading pays off
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
    const Tensor &x = call.inputs[0], &gamma = call.inputs[1], &beta = call.inputs[2];
    Tensor y = call.outputs[0], mean = call.outputs[1], rstd = call.outputs[2];
    int64_t d = x.size(-1), rows = x.numel() / d;
    with_floating_type(x.dtype(), "layer_norm", [&](auto zero) {
        using T = decltype(zero);
        const T *px = x.data<T>(), *pgamma = gamma.data<T>(), *pbeta = beta.data<T>();
        T *py = y.data<T>(), *pmean = mean.data<T>(), *prstd = rstd.data<T>();
        T eps = T(call.params.eps);
        parallel_for(rows, std::max<int64_t>(1, GRAIN / d), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r)
                layer_norm_row(px + r * d, pgamma, pbeta, py + r * d, d, eps, pmean[r], prstd[r]);
        });
    });
}

void layer_norm_backward(const OpCall& call) {
    const Tensor &x = call.inputs[0], &gamma = call.inputs[1], &mean = call.inputs[2],
                 &rstd = call.inputs[3], &g = call.inputs[4];
    Tensor dx = call.outputs[0], dgamma = call.outputs[1], dbeta = call.outputs[2];
    int64_t d = x.size(-1), rows = x.numel() / d;
    int64_t chunk_rows = std::max(MIN_CHUNK_ROWS, (rows + MAX_CHUNKS - 1) / MAX_CHUNKS);
    int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
    with_floating_type(x.dtype(), "layer_norm_backward", [&](auto zero) {
        using T = decltype(zero);
        const T *px = x.data<T>(), *pgamma = gamma.data<T>(), *pmean = mean.data<T>(),
                *prstd = rstd.data<T>(), *pg = g.data<T>();
        T *pdx = dx.data<T>(), *pdgamma = dgamma.data<T>(), *pdbeta = dbeta.data<T>();
        // partial: [chunks, 2, D] — per chunk, the dgamma then the dbeta partial sums.
        std::vector<T> partial(chunks * 2 * d, T(0));
        int64_t chunk_grain = std::max<int64_t>(1, GRAIN / (chunk_rows * d));
        parallel_for(chunks, chunk_grain, [&](int64_t chunk_begin, int64_t chunk_end) {
            for (int64_t c = chunk_begin; c < chunk_end; ++c) {
                T* dgamma_partial = partial.data() + c * 2 * d;
                for (int64_t r = c * chunk_rows; r < std::min(rows, (c + 1) * chunk_rows); ++r)
                    layer_norm_backward_row(px + r * d, pgamma, pg + r * d, pmean[r], prstd[r], d,
                                            pdx + r * d, dgamma_partial, dgamma_partial + d);
            }
        });
        int64_t column_grain = std::max<int64_t>(1, GRAIN / std::max<int64_t>(chunks, 1));
        parallel_for(d, column_grain, [&](int64_t begin, int64_t end) {
            std::fill(pdgamma + begin, pdgamma + end, T(0));
            std::fill(pdbeta + begin, pdbeta + end, T(0));
            for (int64_t c = 0; c < chunks; ++c) {
                const T* dgamma_partial = partial.data() + c * 2 * d;
                const T* dbeta_partial = dgamma_partial + d;
                OMP_SIMD()
                for (int64_t j = begin; j < end; ++j) {
                    pdgamma[j] += dgamma_partial[j];
                    pdbeta[j] += dbeta_partial[j];
                }
            }
        });
    });
}

}  // namespace induction::cpu
