// openblas.h — OpenBLAS as a benchmark-only peer, loaded at run time with dlopen.
//
// Nothing links against OpenBLAS: when the library is missing, openblas_available() is false
// and benchmarks print "OpenBLAS: absent". The OpenMP build of OpenBLAS is preferred so that its
// threads are the same OpenMP threads our kernels use.
#pragma once

#include <cstdint>
#include <string>

namespace induction {

bool openblas_available();

// The loaded library and OpenBLAS's own configuration string, or "absent".
std::string openblas_description();

// Same contract as cpu::sgemm (row-major, via cblas_sgemm). Requires openblas_available().
void openblas_sgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float beta, float* C, int64_t ldc);

// Threads OpenBLAS uses from now on (no-op when absent).
void openblas_set_threads(int threads);

}  // namespace induction
