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

#include "tensor/dtype_dispatch.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void layer_norm(const OpCall& call) {
    const Tensor &x = call.inputs[0], &gamma = call.inputs[1], &beta = call.inputs[2];
    Tensor y = call.outputs[0], mean = call.outputs[1], rstd = call.outputs[2];
    int64_t d = x.size(-1), rows = x.numel() / d;
    with_floating_type(x.dtype(), "layer_norm", [&](auto zero) {
        using T = decltype(zero);
        const T *px = x.data<T>(), *pgamma = gamma.data<T>(), *pbeta = beta.data<T>();
        T *py = y.data<T>(), *pmean = mean.data<T>(), *prstd = rstd.data<T>();
        for (int64_t r = 0; r < rows; ++r) {
            const T* xr = px + r * d;
            double mu = 0;
            for (int64_t j = 0; j < d; ++j) mu += xr[j];
            mu /= double(d);
            double var = 0;
            for (int64_t j = 0; j < d; ++j) var += (xr[j] - mu) * (xr[j] - mu);
            var /= double(d);
            double rs = 1 / std::sqrt(var + call.params.eps);
            for (int64_t j = 0; j < d; ++j)
                py[r * d + j] = T(double(pgamma[j]) * (xr[j] - mu) * rs + double(pbeta[j]));
            pmean[r] = T(mu);
            prstd[r] = T(rs);
        }
    });
}

void layer_norm_backward(const OpCall& call) {
    const Tensor &x = call.inputs[0], &gamma = call.inputs[1], &mean = call.inputs[2],
                 &rstd = call.inputs[3], &g = call.inputs[4];
    Tensor dx = call.outputs[0], dgamma = call.outputs[1], dbeta = call.outputs[2];
    int64_t d = x.size(-1), rows = x.numel() / d;
    with_floating_type(x.dtype(), "layer_norm_backward", [&](auto zero) {
        using T = decltype(zero);
        const T *px = x.data<T>(), *pgamma = gamma.data<T>(), *pmean = mean.data<T>(),
                *prstd = rstd.data<T>(), *pg = g.data<T>();
        T* pdx = dx.data<T>();
        std::vector<double> dgamma_sum(d, 0.0), dbeta_sum(d, 0.0);
        for (int64_t r = 0; r < rows; ++r) {
            double mu = pmean[r], rs = prstd[r];
            auto xhat = [&](int64_t j) { return (px[r * d + j] - mu) * rs; };
            auto gy = [&](int64_t j) { return double(pg[r * d + j]) * double(pgamma[j]); };
            double mean_gy = 0, mean_gy_xhat = 0;
            for (int64_t j = 0; j < d; ++j) {
                mean_gy += gy(j);
                mean_gy_xhat += gy(j) * xhat(j);
                dgamma_sum[j] += pg[r * d + j] * xhat(j);
                dbeta_sum[j] += pg[r * d + j];
            }
            mean_gy /= double(d);
            mean_gy_xhat /= double(d);
            for (int64_t j = 0; j < d; ++j)
                pdx[r * d + j] = T(rs * (gy(j) - mean_gy - xhat(j) * mean_gy_xhat));
        }
        T *pdgamma = dgamma.data<T>(), *pdbeta = dbeta.data<T>();
        for (int64_t j = 0; j < d; ++j) {
            pdgamma[j] = T(dgamma_sum[j]);
            pdbeta[j] = T(dbeta_sum[j]);
        }
    });
}

}  // namespace induction::reference
