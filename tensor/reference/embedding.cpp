// embedding.cpp (reference) — table lookup and its scatter-add gradient as plain loops.
// Tensors are contiguous: table [V, D] and dtable [V, D] row-major, ids flattened to [N],
// outputs and gradients [N, D]. The gradient accumulates in double.
#include <cmath>
#include <vector>

#include "tensor/kernel_args.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void embedding(const OpCall& call) {
    with_args<EmbeddingArgs>(call, [&]<class T>(const EmbeddingArgs<T>& a) {
        for (int64_t n = 0; n < a.n_ids; ++n)
            for (int64_t c = 0; c < a.d; ++c)
                a.out[n * a.d + c] = id_in_range(a.ids[n], a.vocab) ? a.table[a.ids[n] * a.d + c] : T(NAN);
    });
}

void embedding_backward(const OpCall& call) {
    with_args<EmbeddingBackwardArgs>(call, [&]<class T>(const EmbeddingBackwardArgs<T>& a) {
        std::vector<double> total(static_cast<size_t>(a.vocab * a.d), 0.0);
        for (int64_t n = 0; n < a.n_ids; ++n)
            for (int64_t c = 0; c < a.d && id_in_range(a.ids[n], a.vocab); ++c)
                total[a.ids[n] * a.d + c] += a.g[n * a.d + c];
        for (size_t i = 0; i < total.size(); ++i) a.dtable[i] = static_cast<T>(total[i]);
    });
}

}  // namespace induction::reference
