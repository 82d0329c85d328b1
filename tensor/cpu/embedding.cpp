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
#include <cmath>

#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/kernel_args.h"

namespace induction::cpu {

namespace {

constexpr int64_t COLUMN_BLOCK = 16;  // columns per block: one 64-byte line of f32

}  // namespace

void embedding(const OpCall& call) {
    with_args<EmbeddingArgs>(call, [&]<class T>(const EmbeddingArgs<T>& a) {
        parallel_for(a.n_ids, rows_grain(a.d), [&](int64_t begin, int64_t end) {
            for (int64_t n = begin; n < end; ++n) {
                if (!id_in_range(a.ids[n], a.vocab)) {
                    std::fill_n(a.out + n * a.d, a.d, T(NAN));
                    continue;
                }
                const T* row = a.table + a.ids[n] * a.d;
                std::copy(row, row + a.d, a.out + n * a.d);
            }
        });
    });
}

void embedding_backward(const OpCall& call) {
    with_args<EmbeddingBackwardArgs>(call, [&]<class T>(const EmbeddingBackwardArgs<T>& a) {
        const int64_t d = a.d;
        const int64_t blocks = (d + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        // A block's work: reading its columns of g, writing its columns of dtable.
        const int64_t work_per_block = (a.n_ids + a.vocab) * COLUMN_BLOCK;
        parallel_for(blocks, rows_grain(work_per_block), [&](int64_t begin, int64_t end) {
            int64_t c0 = begin * COLUMN_BLOCK, width = std::min(end * COLUMN_BLOCK, d) - c0;
            for (int64_t v = 0; v < a.vocab; ++v) std::fill_n(a.dtable + v * d + c0, width, T(0));
            for (int64_t n = 0; n < a.n_ids; ++n) {
                if (!id_in_range(a.ids[n], a.vocab)) continue;
                T* row = a.dtable + a.ids[n] * d + c0;
                const T* gr = a.g + n * d + c0;
                for (int64_t c = 0; c < width; ++c) row[c] += gr[c];
            }
        });
    });
}

}  // namespace induction::cpu
