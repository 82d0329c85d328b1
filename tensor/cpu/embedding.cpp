// embedding.cpp (fast CPU) — table lookup and its scatter-add gradient.
//
// Tensors are contiguous: table [V, D] and dtable [V, D] row-major, ids flattened to [N],
// outputs and gradients [N, D]. The lookup copies rows, threads splitting the ids. The gradient
// is deterministic without atomics: threads split the D columns into blocks of whole cache
// lines; each thread scans all N ids in order and adds its columns of g's rows into its columns
// of dtable. Every element is summed in id order by one thread — the same order whatever the
// thread count — and frequent ids (low BPE ids) cannot overload one thread as they would if
// threads split the vocabulary.
#include <algorithm>

#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/dtype_dispatch.h"

namespace induction::cpu {

namespace {

constexpr int64_t GRAIN = 1 << 15;    // elements per thread before threading pays off
constexpr int64_t COLUMN_BLOCK = 16;  // columns per block: one 64-byte line of f32

}  // namespace

void embedding(const OpCall& call) {
    const Tensor &table = call.inputs[0], &ids = call.inputs[1];
    Tensor out = call.outputs[0];
    int64_t d = table.size(1);
    with_floating_type(table.dtype(), "embedding", [&](auto zero) {
        using T = decltype(zero);
        const T* pt = table.data<T>();
        const int32_t* pid = ids.data<int32_t>();
        T* po = out.data<T>();
        parallel_for(ids.numel(), std::max<int64_t>(1, GRAIN / std::max<int64_t>(d, 1)),
                     [&](int64_t begin, int64_t end) {
            for (int64_t n = begin; n < end; ++n) {
                const T* row = pt + pid[n] * d;
                std::copy(row, row + d, po + n * d);
            }
        });
    });
}

void embedding_backward(const OpCall& call) {
    const Tensor &ids = call.inputs[0], &g = call.inputs[1];
    Tensor dtable = call.outputs[0];
    int64_t vocab = dtable.size(0), d = dtable.size(1), n_ids = ids.numel();
    int64_t blocks = (d + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
    int64_t work_per_block = (n_ids + vocab) * COLUMN_BLOCK;  // g reads plus dtable writes
    with_floating_type(g.dtype(), "embedding_backward", [&](auto zero) {
        using T = decltype(zero);
        const int32_t* pid = ids.data<int32_t>();
        const T* pg = g.data<T>();
        T* pdt = dtable.data<T>();
        parallel_for(blocks, std::max<int64_t>(1, GRAIN / std::max<int64_t>(work_per_block, 1)),
                     [&](int64_t begin, int64_t end) {
            int64_t c0 = begin * COLUMN_BLOCK, width = std::min(end * COLUMN_BLOCK, d) - c0;
            for (int64_t v = 0; v < vocab; ++v) std::fill_n(pdt + v * d + c0, width, T(0));
            for (int64_t n = 0; n < n_ids; ++n) {
                T* row = pdt + pid[n] * d + c0;
                const T* gr = pg + n * d + c0;
                for (int64_t c = 0; c < width; ++c) row[c] += gr[c];
            }
        });
    });
}

}  // namespace induction::cpu
