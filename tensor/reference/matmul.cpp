// matmul.cpp (reference) — one reference GEMM per batch matrix.
#include "tensor/dtype_dispatch.h"
#include "tensor/matmul_shape.h"
#include "tensor/reference/gemm.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void matmul(const OpCall& call) {
    MatmulShape s(call);
    Tensor c = call.outputs[0];
    with_floating_type(c.dtype(), "matmul", [&](auto zero) {
        using T = decltype(zero);
        const T* a = call.inputs[0].data<T>();
        const T* b = call.inputs[1].data<T>();
        T* out = c.data<T>();
        for (int64_t i = 0; i < s.batch; ++i)
            gemm_reference<T>(call.params.transpose_a, call.params.transpose_b, s.M, s.N, s.K, T(1),
                              a + i * s.a_stride, s.lda, b + i * s.b_stride, s.ldb, T(0),
                              out + i * s.c_stride, s.N, call.params.masks);
    });
}

}  // namespace induction::reference
