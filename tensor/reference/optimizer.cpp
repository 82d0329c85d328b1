// optimizer.cpp (reference) — the global norm and the AdamW update as plain loops.
#include <cmath>

#include "tensor/adamw_math.h"
#include "tensor/dtype_dispatch.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void global_norm(const OpCall& call) {
    double squares = 0;
    for (const Tensor& t : call.inputs)
        with_floating_type(t.dtype(), "global_norm", [&](auto zero) {
            using T = decltype(zero);
            const T* x = t.data<T>();
            for (int64_t i = 0; i < t.numel(); ++i) squares += double(x[i]) * double(x[i]);
        });
    Tensor norm = call.outputs[0];
    norm.data<double>()[0] = std::sqrt(squares);
}

void adamw(const OpCall& call) {
    with_adamw_call(call, [](const auto& s, const auto& p) {
        for (int64_t j = 0; j < p.n; ++j)
            s.apply(p.theta[j], p.g[j], p.m[j], p.v[j], p.theta_out[j], p.m_out[j], p.v_out[j]);
    });
}

}  // namespace induction::reference
