// embedding.cpp (reference) — table lookup and its scatter-add gradient as plain loops.
// Tensors are contiguous: table [V, D] and dtable [V, D] row-major, ids flattened to [N],
// outputs and gradients [N, D]. The gradient accumulates in double.
#include <vector>

#include "tensor/dtype_dispatch.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void embedding(const OpCall& call) {
    const Tensor &table = call.inputs[0], &ids = call.inputs[1];
    Tensor out = call.outputs[0];
    int64_t d = table.size(1);
    with_floating_type(table.dtype(), "embedding", [&](auto zero) {
        using T = decltype(zero);
        const T* pt = table.data<T>();
        const int32_t* pid = ids.data<int32_t>();
        T* po = out.data<T>();
        for (int64_t n = 0; n < ids.numel(); ++n)
            for (int64_t c = 0; c < d; ++c) po[n * d + c] = pt[pid[n] * d + c];
    });
}

void embedding_backward(const OpCall& call) {
    const Tensor &ids = call.inputs[0], &g = call.inputs[1];
    Tensor dtable = call.outputs[0];
    int64_t d = dtable.size(1);
    with_floating_type(g.dtype(), "embedding_backward", [&](auto zero) {
        using T = decltype(zero);
        const int32_t* pid = ids.data<int32_t>();
        const T* pg = g.data<T>();
        std::vector<double> total(static_cast<size_t>(dtable.numel()), 0.0);
        for (int64_t n = 0; n < ids.numel(); ++n)
            for (int64_t c = 0; c < d; ++c) total[pid[n] * d + c] += pg[n * d + c];
        T* pdt = dtable.data<T>();
        for (int64_t i = 0; i < dtable.numel(); ++i) pdt[i] = static_cast<T>(total[i]);
    });
}

}  // namespace induction::reference
