// optimizer.cpp (fast CPU) — the global norm and the AdamW update.
//
// The norm's sum of squares is split into fixed blocks of NORM_BLOCK elements whose partial sums
// (in double) are added in block order, so the result does not depend on the thread count;
// threads split the blocks. The AdamW update is one elementwise pass, threads split it.
#include <cmath>
#include <vector>

#include "tensor/adamw_math.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/dtype_dispatch.h"

namespace induction::cpu {

namespace {

constexpr int64_t NORM_BLOCK = 1 << 12;
constexpr int64_t ADAMW_GRAIN = 1 << 14;  // elements per thread: the update is ~10 flops each

template <class T>
double sum_of_squares(const T* x, int64_t n) {
    int64_t blocks = (n + NORM_BLOCK - 1) / NORM_BLOCK;
    std::vector<double> partial(size_t(blocks), 0.0);
    parallel_for(blocks, 8, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
            double s = 0;
            for (int64_t i = b * NORM_BLOCK; i < std::min(n, (b + 1) * NORM_BLOCK); ++i)
                s += double(x[i]) * double(x[i]);
            partial[size_t(b)] = s;
        }
    });
    double total = 0;
    for (double s : partial) total += s;
    return total;
}

}  // namespace

void global_norm(const OpCall& call) {
    double squares = 0;
    for (const Tensor& t : call.inputs)
        squares += with_floating_type(t.dtype(), "global_norm", [&](auto zero) {
            using T = decltype(zero);
            return sum_of_squares(t.data<T>(), t.numel());
        });
    Tensor norm = call.outputs[0];
    norm.data<double>()[0] = std::sqrt(squares);
}

void adamw(const OpCall& call) {
    with_adamw_call(call, [](const auto& s, const auto& p) {
        parallel_for(p.n, ADAMW_GRAIN, [&](int64_t begin, int64_t end) {
            for (int64_t j = begin; j < end; ++j)
                s.apply(p.theta[j], p.g[j], p.m[j], p.v[j], p.theta_out[j], p.m_out[j], p.v_out[j]);
        });
    });
}

}  // namespace induction::cpu
