// gemm.cpp — the reference GEMM (see gemm.h): one dot product per element of C, in double.
#include "tensor/reference/gemm.h"

#include "tensor/error.h"

namespace induction {

void check_gemm_arguments(const char* op, bool transpose_a, bool transpose_b, int64_t M, int64_t N,
                          int64_t K, const void* A, int64_t lda, const void* B, int64_t ldb,
                          const void* C, int64_t ldc) {
    check(M >= 0 && N >= 0 && K >= 0, op, ": negative size M=", M, " N=", N, " K=", K,
          " (expected M, N, K >= 0)");
    int64_t a_row = transpose_a ? M : K;  // A is stored [K, M] or [M, K]
    int64_t b_row = transpose_b ? K : N;  // B is stored [N, K] or [K, N]
    check(lda >= a_row, op, ": lda=", lda, " is shorter than a row of A", transpose_a ? "^T" : "",
          " (expected lda >= ", a_row, ")");
    check(ldb >= b_row, op, ": ldb=", ldb, " is shorter than a row of B", transpose_b ? "^T" : "",
          " (expected ldb >= ", b_row, ")");
    check(ldc >= N, op, ": ldc=", ldc, " is shorter than a row of C (expected ldc >= ", N, ")");
    check(A != nullptr || M * K == 0, op, ": A is null for a ", M, "x", K, " operand");
    check(B != nullptr || K * N == 0, op, ": B is null for a ", K, "x", N, " operand");
    check(C != nullptr || M * N == 0, op, ": C is null for a ", M, "x", N, " result");
}

template <class T>
void gemm_reference(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, T alpha,
                    const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc,
                    MatmulMasks masks) {
    check_gemm_arguments("gemm_reference", transpose_a, transpose_b, M, N, K, A, lda, B, ldb, C,
                         ldc);
    for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = 0; j < N; ++j) {
            T& c = C[i * ldc + j];
            if (!kept(masks.c, i, j)) {
                c = T(0);
                continue;
            }
            double sum = 0;
            for (int64_t k = 0; k < K; ++k) {
                if (!kept(masks.a, i, k) || !kept(masks.b, k, j)) continue;
                double a = transpose_a ? A[k * lda + i] : A[i * lda + k];
                double b = transpose_b ? B[j * ldb + k] : B[k * ldb + j];
                sum += a * b;
            }
            double scaled = double(alpha) * sum;
            c = T(beta == T(0) ? scaled : scaled + double(beta) * double(c));
        }
    }
}

template void gemm_reference<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*,
                                    int64_t, const float*, int64_t, float, float*, int64_t,
                                    MatmulMasks);
template void gemm_reference<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                     int64_t, const double*, int64_t, double, double*, int64_t,
                                     MatmulMasks);

}  // namespace induction
