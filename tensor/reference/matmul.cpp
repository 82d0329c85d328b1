// matmul.cpp (reference) — one reference GEMM per batch matrix.
#include "tensor/kernel_args.h"
#include "tensor/reference/gemm.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void matmul(const OpCall& call) {
    with_args<MatmulArgs>(call, [&]<class T>(const MatmulArgs<T>& m) {
        for (int64_t i = 0; i < m.batch; ++i)
            gemm_reference<T>(m.transpose_a, m.transpose_b, m.M, m.N, m.K, T(1), m.a_matrix(i),
                              m.lda, m.b_matrix(i), m.ldb, T(0), m.c_matrix(i), m.N, m.masks);
    });
}

}  // namespace induction::reference
