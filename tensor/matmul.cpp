// matmul.cpp — validation and dispatch for MATMUL. Kernels: tensor/{reference,cpu}/matmul.cpp.
#include "tensor/ops.h"

namespace induction {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
              MatmulMasks masks) {
    check(a.defined() && b.defined(), "matmul: undefined operand");
    check(is_floating(a.dtype()) && a.dtype() == b.dtype(), "matmul: operands must share a float ",
          "dtype, got ", describe(a), " and ", describe(b));
    check(a.ndim() >= 2 && b.ndim() >= 2, "matmul: operands need at least 2 dims, got ",
          describe(a), " and ", describe(b));
    bool shared_b = b.ndim() == 2;
    check(shared_b || a.ndim() == b.ndim(), "matmul: ", describe(a), " x ", describe(b),
          " (expected b 2-D, or the same number of dims as a)");
    if (!shared_b)
        for (int axis = 0; axis < a.ndim() - 2; ++axis)
            check(a.shape()[axis] == b.shape()[axis], "matmul: batch dims differ: ", describe(a),
                  " x ", describe(b));
    int64_t M = transpose_a ? a.shape().back(1) : a.shape().back(2);
    int64_t K = transpose_a ? a.shape().back(2) : a.shape().back(1);
    int64_t K_b = transpose_b ? b.shape().back(1) : b.shape().back(2);
    int64_t N = transpose_b ? b.shape().back(2) : b.shape().back(1);
    check(K == K_b, "matmul: inner dimensions differ: ", describe(a), (transpose_a ? "ᵀ" : ""),
          " x ", describe(b), (transpose_b ? "ᵀ" : ""), " (", K, " vs ", K_b, ")");
    check(!masks.any() || !shared_b || a.ndim() == 2, "matmul: triangular masks need b batched ",
          "like a, got ", describe(a), " x ", describe(b), " (a 2-D b is shared by the batch)");
    std::vector<int64_t> dims = a.shape().to_vector();
    dims[dims.size() - 2] = M;
    dims[dims.size() - 1] = N;
    OpParams params;
    params.transpose_a = transpose_a;
    params.transpose_b = transpose_b;
    params.masks = masks;
    Tensor out = Tensor::empty(Shape(dims), a.dtype(), a.device());
    dispatch({Op::MATMUL, {a, b}, {out}, params});
    return out;
}

}  // namespace induction
