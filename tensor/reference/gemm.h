// gemm.h — the reference GEMM: plain loops, obviously right, the yardstick for every fast GEMM.
//
// Row-major throughout. C[M,N] = alpha * op(A) op(B) + beta * C, where
//   op(A): [M, K] — A is stored [M, K] (lda >= K), or [K, M] (lda >= M) when transpose_a;
//   op(B): [K, N] — B is stored [K, N] (ldb >= N), or [N, K] (ldb >= K) when transpose_b;
//   C:     [M, N] with row stride ldc >= N.
// beta == 0 overwrites C without reading it (C may hold NaN). Sums accumulate in double.
// masks (tensor/triangle.h): entries of op(A), op(B) outside their mask count as 0 and are not
// read; entries of C outside its mask are written as 0.
#pragma once

#include <cstdint>

#include "tensor/triangle.h"

namespace induction {

template <class T>
void gemm_reference(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                    MatmulMasks masks = {});

// Throws induction::Error naming `op` for negative sizes, a leading dimension smaller than the
// row it strides over, or a null pointer to a non-empty matrix. Every GEMM calls it first.
void check_gemm_arguments(const char* op, bool transpose_a, bool transpose_b, int64_t M, int64_t N,
                          int64_t K, const void* A, int64_t lda, const void* B, int64_t ldb,
                          const void* C, int64_t ldc);

}  // namespace induction
