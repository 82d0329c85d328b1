// matmul.cpp (fast CPU) — MATMUL on our GEMM (tensor/cpu/gemm.h).
//
// A shared 2-D b with an untransposed a is one big GEMM: the batch folds into M ([B*M, K] x
// [K, N]), the shape of every linear layer in the model. Otherwise each batch matrix is its own
// GEMM. When there are enough of them to go round (attention: [B*H] of [T, d] x [d, T]), or they
// are small, whole products are shared out among the threads and each runs on one thread; a few
// large ones run one after another with the GEMM's own threads. Triangular masks (causal
// attention) go to the GEMM, which skips the blocks they zero.
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/kernel_args.h"

namespace induction::cpu {

namespace {

template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
          int64_t ldb, T* C, int64_t ldc, const MatmulMasks& masks) {
    if constexpr (std::is_same_v<T, float>)
        sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, masks);
    else
        dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc, masks);
}

constexpr int64_t SMALL_GEMM_FLOPS = 1 << 22;  // below this a GEMM runs on one thread
constexpr int64_t PRODUCTS_PER_THREAD = 4;     // whole products per thread that balance well

}  // namespace

void matmul(const OpCall& call) {
    with_args<MatmulArgs>(call, [&]<class T>(const MatmulArgs<T>& m) {
        auto product = [&](int64_t i) {  // batch matrix i on its own
            gemm<T>(m.transpose_a, m.transpose_b, m.M, m.N, m.K, m.a_matrix(i), m.lda,
                    m.b_matrix(i), m.ldb, m.c_matrix(i), m.N, m.masks);
        };
        if (m.b_stride == 0 && !m.transpose_a && !m.masks.any()) {
            gemm<T>(false, m.transpose_b, m.batch * m.M, m.N, m.K, m.a, m.lda, m.b, m.ldb, m.c, m.N,
                    {});
        } else if (m.batch > 1 && (2 * m.M * m.N * m.K < SMALL_GEMM_FLOPS ||
                                   m.batch >= PRODUCTS_PER_THREAD * max_threads())) {
            parallel_for(m.batch, 1, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i) product(i);
            });
        } else {
            for (int64_t i = 0; i < m.batch; ++i) product(i);
        }
    });
}

}  // namespace induction::cpu
