// matmul_shape.h — the sizes of a validated MATMUL call, shared by its kernels.
#pragma once

#include "tensor/op.h"

namespace induction {

struct MatmulShape {
    int64_t batch, M, N, K;
    int64_t a_stride, b_stride, c_stride;  // elements between consecutive batch matrices
    int64_t lda, ldb;

    explicit MatmulShape(const OpCall& call) {
        const Tensor &a = call.inputs[0], &b = call.inputs[1], &c = call.outputs[0];
        M = c.shape().back(2);
        N = c.shape().back(1);
        K = call.params.transpose_a ? a.shape().back(2) : a.shape().back(1);
        batch = c.numel() / std::max<int64_t>(M * N, 1);
        lda = a.shape().back(1);
        ldb = b.shape().back(1);
        a_stride = M * K;
        b_stride = b.ndim() == 2 ? 0 : K * N;  // a 2-D b is shared by every batch matrix
        c_stride = M * N;
    }
};

}  // namespace induction
