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
#include "tensor/dtype_dispatch.h"
#include "tensor/matmul_shape.h"

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
    MatmulShape s(call);
    bool ta = call.params.transpose_a, tb = call.params.transpose_b;
    const MatmulMasks& masks = call.params.masks;
    Tensor c = call.outputs[0];
    with_floating_type(c.dtype(), "matmul", [&](auto zero) {
        using T = decltype(zero);
        const T* a = call.inputs[0].data<T>();
        const T* b = call.inputs[1].data<T>();
        T* out = c.data<T>();
        if (s.b_stride == 0 && !ta && !masks.any()) {
            gemm<T>(false, tb, s.batch * s.M, s.N, s.K, a, s.lda, b, s.ldb, out, s.N, {});
        } else if (s.batch > 1 && (2 * s.M * s.N * s.K < SMALL_GEMM_FLOPS ||
                                   s.batch >= PRODUCTS_PER_THREAD * max_threads())) {
            parallel_for(s.batch, 1, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i)
                    gemm<T>(ta, tb, s.M, s.N, s.K, a + i * s.a_stride, s.lda, b + i * s.b_stride,
                            s.ldb, out + i * s.c_stride, s.N, masks);
            });
        } else {
            for (int64_t i = 0; i < s.batch; ++i)
                gemm<T>(ta, tb, s.M, s.N, s.K, a + i * s.a_stride, s.lda, b + i * s.b_stride, s.ldb,
                        out + i * s.c_stride, s.N, masks);
        }
    });
}

}  // namespace induction::cpu
