// layer_norm.cpp (reference) — layer normalisation over the last axis (METHODS.md §1.3) and its
// backward: one row at a time, every sum in double, the variance from centred values.
//
// Tensors are contiguous; x is [rows, D] seen flat, gamma and beta [D], mean and rstd [rows].
//   forward:  y = gamma * (x - mean) * rstd + beta,  rstd = 1 / sqrt(var + eps), biased var
//   backward: with xhat = (x - mean) * rstd and gy = g * gamma,
//             dx = rstd * (gy - mean_j(gy) - xhat * mean_j(gy * xhat)),
//             dgamma = sum_rows(g * xhat), dbeta = sum_rows(g).
#include <cmath>
#include <vector>

#include "tensor/kernel_args.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void layer_norm(const OpCall& call) {
    with_args<LayerNormArgs>(call, [&]<class T>(const LayerNormArgs<T>& a) {
        for (int64_t r = 0; r < a.rows; ++r) {
            const T* xr = a.x + r * a.d;
            double mu = 0;
            for (int64_t j = 0; j < a.d; ++j) mu += xr[j];
            mu /= double(a.d);
            double var = 0;
            for (int64_t j = 0; j < a.d; ++j) var += (xr[j] - mu) * (xr[j] - mu);
            var /= double(a.d);
            double rs = 1 / std::sqrt(var + a.eps);
            for (int64_t j = 0; j < a.d; ++j)
                a.y[r * a.d + j] = T(double(a.gamma[j]) * (xr[j] - mu) * rs + double(a.beta[j]));
            a.mean[r] = T(mu);
            a.rstd[r] = T(rs);
        }
    });
}

void layer_norm_backward(const OpCall& call) {
    with_args<LayerNormBackwardArgs>(call, [&]<class T>(const LayerNormBackwardArgs<T>& a) {
        const int64_t d = a.d;
        std::vector<double> dgamma_sum(d, 0.0), dbeta_sum(d, 0.0);
        for (int64_t r = 0; r < a.rows; ++r) {
            const T *x = a.x + r * d, *g = a.g + r * d;
            double mu = a.mean[r], rs = a.rstd[r];
            auto xhat = [&](int64_t j) { return (x[j] - mu) * rs; };
            auto gy = [&](int64_t j) { return double(g[j]) * double(a.gamma[j]); };
            double mean_gy = 0, mean_gy_xhat = 0;
            for (int64_t j = 0; j < d; ++j) {
                mean_gy += gy(j);
                mean_gy_xhat += gy(j) * xhat(j);
                dgamma_sum[j] += g[j] * xhat(j);
                dbeta_sum[j] += g[j];
            }
            mean_gy /= double(d);
            mean_gy_xhat /= double(d);
            for (int64_t j = 0; j < d; ++j)
                a.dx[r * d + j] = T(rs * (gy(j) - mean_gy - xhat(j) * mean_gy_xhat));
        }
        for (int64_t j = 0; j < d; ++j) {
            a.dgamma[j] = T(dgamma_sum[j]);
            a.dbeta[j] = T(dbeta_sum[j]);
        }
    });
}

}  // namespace induction::reference
