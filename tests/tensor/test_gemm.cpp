// test_gemm.cpp — the fast CPU GEMM (tensor/cpu/gemm.h) against the reference GEMM
// (tensor/reference/gemm.h): awkward shapes, every transpose combination, alpha/beta, padded
// leading dimensions, float and double; plus thread-count determinism and argument checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "tensor/cpu/gemm.h"
#include "tensor/error.h"
#include "tensor/reference/gemm.h"
#include "tensor/tolerance.h"

namespace induction {
namespace {

void fast_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    cpu::sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void fast_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
               int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
    cpu::dgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
std::vector<T> random_values(int64_t count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    std::vector<T> values(count);
    for (T& v : values) v = T(uniform(rng));
    return values;
}

struct Shape {
    int64_t M, N, K;
};

std::string describe(const Shape& s, bool ta, bool tb, double alpha, double beta, int64_t pad) {
    return "M=" + std::to_string(s.M) + " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K) +
           (ta ? " A^T" : " A") + (tb ? " B^T" : " B") + " alpha=" + std::to_string(alpha) +
           " beta=" + std::to_string(beta) + " pad=" + std::to_string(pad);
}

// One product computed both ways. Inputs are uniform in [-1, 1]; C starts random, or NaN when
// beta == 0 (it must not be read). Tolerance: the project's policy for the dtype
// (tensor/tolerance.h), its absolute part scaled by K, the number of rounded additions per element.
template <class T>
void expect_matches_reference(const Shape& s, bool ta, bool tb, T alpha, T beta, int64_t pad) {
    const int64_t lda = (ta ? s.M : s.K) + pad, ldb = (tb ? s.K : s.N) + pad, ldc = s.N + pad;
    const std::vector<T> A = random_values<T>((ta ? s.K : s.M) * lda, 1);
    const std::vector<T> B = random_values<T>((tb ? s.N : s.K) * ldb, 2);
    std::vector<T> C_ref = random_values<T>(s.M * ldc, 3);
    if (beta == T(0)) C_ref.assign(C_ref.size(), std::numeric_limits<T>::quiet_NaN());
    std::vector<T> C_fast = C_ref;

    gemm_reference<T>(ta, tb, s.M, s.N, s.K, alpha, A.data(), lda, B.data(), ldb, beta,
                      C_ref.data(), ldc);
    fast_gemm(ta, tb, s.M, s.N, s.K, alpha, A.data(), lda, B.data(), ldb, beta, C_fast.data(),
              ldc);

    const Tolerance policy = tolerance_for(DTypeOf<T>::value);
    const double atol = policy.atol * double(std::max<int64_t>(s.K, 1)), rtol = policy.rtol;
    int64_t mismatches = 0;
    for (int64_t i = 0; i < s.M; ++i) {
        for (int64_t j = 0; j < ldc; ++j) {
            const T ref = C_ref[i * ldc + j], fast = C_fast[i * ldc + j];
            if (j >= s.N) {  // padding columns must be left alone (both are NaN or the same value)
                ASSERT_TRUE(std::isnan(ref) ? std::isnan(fast) : fast == ref)
                    << describe(s, ta, tb, alpha, beta, pad) << ": wrote padding at " << i << ","
                    << j;
                continue;
            }
            const bool close =
                std::abs(double(fast) - double(ref)) <= atol + rtol * std::abs(double(ref));
            if (!close && mismatches++ < 3)
                ADD_FAILURE() << describe(s, ta, tb, alpha, beta, pad) << ": C[" << i << "," << j
                              << "] fast=" << fast << " reference=" << ref;
        }
    }
    EXPECT_EQ(mismatches, 0) << describe(s, ta, tb, alpha, beta, pad);
}

// Every transpose combination, each with three (alpha, beta, leading-dimension padding) cases.
template <class T>
void expect_shape_matches_everywhere(const Shape& s) {
    struct Case {
        T alpha, beta;
        int64_t pad;
    };
    const Case cases[] = {{1, 0, 0}, {T(0.5), T(-1.5), 5}, {-2, 1, 3}};
    for (bool ta : {false, true})
        for (bool tb : {false, true})
            for (const Case& c : cases) expect_matches_reference<T>(s, ta, tb, c.alpha, c.beta, c.pad);
}

// Edges of every kind: 1, primes, around the 14-row and 32-column tiles, K = 1, and sizes that
// span several K slices (K > 384), column blocks (N > 480) and A blocks (M > 2730).
const Shape AWKWARD_SHAPES[] = {
    {1, 1, 1},    {1, 7, 33},    {7, 1, 33},     {7, 33, 1},    {33, 7, 257},   {13, 31, 17},
    {14, 32, 16}, {15, 33, 47},  {28, 64, 5},    {29, 65, 100}, {257, 1, 7},    {1, 257, 64},
    {47, 97, 1},  {300, 500, 70}, {17, 600, 400},  {30, 129, 900}, {2800, 520, 20},
};

class GemmShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(GemmShapes, FloatMatchesReference) { expect_shape_matches_everywhere<float>(GetParam()); }
TEST_P(GemmShapes, DoubleMatchesReference) { expect_shape_matches_everywhere<double>(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Awkward, GemmShapes, ::testing::ValuesIn(AWKWARD_SHAPES),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                             return std::to_string(info.param.M) + "x" +
                                    std::to_string(info.param.N) + "x" +
                                    std::to_string(info.param.K);
                         });

// K == 0 and alpha == 0 leave beta * C (zeros, even over NaN, when beta == 0); empty M or N
// touch nothing.
TEST(Gemm, DegenerateProductsScaleC) {
    const std::vector<float> A(12, 1.0f), B(12, 1.0f);
    for (float beta : {0.0f, 2.0f}) {
        std::vector<float> C(12, beta == 0 ? std::nanf("") : 3.0f);
        cpu::sgemm(false, false, 3, 4, 0, 1.0f, A.data(), 0, B.data(), 4, beta, C.data(), 4);
        for (float c : C) EXPECT_EQ(c, beta == 0 ? 0.0f : beta * 3.0f);
        C.assign(12, beta == 0 ? std::nanf("") : 3.0f);
        cpu::sgemm(false, false, 3, 4, 3, 0.0f, A.data(), 3, B.data(), 4, beta, C.data(), 4);
        for (float c : C) EXPECT_EQ(c, beta == 0 ? 0.0f : beta * 3.0f);
    }
    std::vector<float> C(12, 7.0f);
    cpu::sgemm(false, false, 0, 4, 3, 1.0f, A.data(), 3, B.data(), 4, 0.0f, C.data(), 4);
    cpu::sgemm(false, false, 3, 0, 3, 1.0f, A.data(), 3, B.data(), 0, 0.0f, C.data(), 0);
    for (float c : C) EXPECT_EQ(c, 7.0f);
}

// No reduction crosses threads and the blocking depends only on the sizes, so any thread count
// gives the same bits (gemm.h promises this).
TEST(Gemm, BitwiseEqualAcrossThreadCounts) {
#ifndef _OPENMP
    GTEST_SKIP() << "built without OpenMP";
#else
    const int saved = omp_get_max_threads();
    for (Shape s : {Shape{300, 500, 70}, Shape{130, 200, 1000}, Shape{1000, 40, 64},
                    Shape{2900, 40, 50}}) {
        for (bool ta : {false, true}) {
            const std::vector<float> A = random_values<float>(s.M * s.K, 4);
            const std::vector<float> B = random_values<float>(s.K * s.N, 5);
            const std::vector<float> C0 = random_values<float>(s.M * s.N, 6);
            std::vector<float> single = C0;
            omp_set_num_threads(1);
            cpu::sgemm(ta, false, s.M, s.N, s.K, 0.5f, A.data(), ta ? s.M : s.K, B.data(), s.N,
                       0.25f, single.data(), s.N);
            for (int threads : {2, 3, 4}) {
                std::vector<float> many = C0;
                omp_set_num_threads(threads);
                cpu::sgemm(ta, false, s.M, s.N, s.K, 0.5f, A.data(), ta ? s.M : s.K, B.data(),
                           s.N, 0.25f, many.data(), s.N);
                EXPECT_EQ(many, single) << s.M << "x" << s.N << "x" << s.K << " with " << threads
                                        << " threads";
            }
        }
    }
    omp_set_num_threads(saved);
#endif
}

// Callers may run GEMMs from their own parallel loops (e.g. one attention head per thread): a
// GEMM inside a parallel region must still compute all of C.
TEST(Gemm, SameResultInsideAParallelRegion) {
#ifndef _OPENMP
    GTEST_SKIP() << "built without OpenMP";
#else
    const Shape s{300, 500, 70};
    const std::vector<float> A = random_values<float>(s.M * s.K, 7);
    const std::vector<float> B = random_values<float>(s.K * s.N, 8);
    std::vector<float> expected(s.M * s.N);
    cpu::sgemm(false, false, s.M, s.N, s.K, 1.0f, A.data(), s.K, B.data(), s.N, 0.0f,
               expected.data(), s.N);
    std::vector<std::vector<float>> results(4, std::vector<float>(s.M * s.N, 0.0f));
#pragma omp parallel for num_threads(2)
    for (int i = 0; i < 4; ++i)
        cpu::sgemm(false, false, s.M, s.N, s.K, 1.0f, A.data(), s.K, B.data(), s.N, 0.0f,
                   results[i].data(), s.N);
    for (const std::vector<float>& result : results) EXPECT_EQ(result, expected);
#endif
}

TEST(Gemm, RejectsBadArguments) {
    std::vector<float> X(64, 1.0f);
    const float* A = X.data();
    float* C = X.data();
    EXPECT_THROW(cpu::sgemm(false, false, -1, 2, 2, 1, A, 2, A, 2, 0, C, 2), Error);
    EXPECT_THROW(cpu::sgemm(false, false, 2, 2, 3, 1, A, 2, A, 2, 0, C, 2), Error);  // lda < K
    EXPECT_THROW(cpu::sgemm(true, false, 4, 2, 3, 1, A, 3, A, 2, 0, C, 2), Error);   // lda < M
    EXPECT_THROW(cpu::sgemm(false, true, 2, 2, 3, 1, A, 3, A, 2, 0, C, 2), Error);   // ldb < K
    EXPECT_THROW(cpu::sgemm(false, false, 2, 3, 2, 1, A, 2, A, 3, 0, C, 2), Error);  // ldc < N
    EXPECT_THROW(cpu::sgemm(false, false, 2, 2, 2, 1, nullptr, 2, A, 2, 0, C, 2), Error);
    std::vector<double> D(16, 1.0);
    EXPECT_THROW(cpu::dgemm(false, false, 2, 2, 2, 1, D.data(), 1, D.data(), 2, 0, D.data(), 2),
                 Error);
    EXPECT_THROW(gemm_reference<double>(false, false, 2, -2, 2, 1, D.data(), 2, D.data(), 2, 0,
                                        D.data(), 2),
                 Error);
}

// The micro-kernel alone (what `induction bench gemm` times as the GEMM's ceiling) adds
// A-panel x B-panel to C for each packed B panel: checked against the reference GEMM on the
// unpacked operands, with C starting non-zero, and its argument checks.
TEST(Gemm, MicroKernelSweepAddsEachPanelProduct) {
    const cpu::MicroTile tile = cpu::sgemm_micro_tile();
    const int64_t depth = std::min<int64_t>(tile.depth, 37), panels = 3;
    const int64_t N = panels * tile.cols, ldc = N + 5;
    const std::vector<float> a_panel = random_values<float>(tile.rows * tile.depth, 1);
    const std::vector<float> b_block = random_values<float>(panels * depth * tile.cols, 2);
    // The same operands unpacked: A [rows, depth] and B [depth, N].
    std::vector<float> A(tile.rows * depth), B(depth * N);
    for (int64_t r = 0; r < tile.rows; ++r)
        for (int64_t k = 0; k < depth; ++k) A[r * depth + k] = a_panel[r * tile.depth + k];
    for (int64_t p = 0; p < panels; ++p)
        for (int64_t k = 0; k < depth; ++k)
            for (int64_t j = 0; j < tile.cols; ++j)
                B[k * N + p * tile.cols + j] = b_block[(p * depth + k) * tile.cols + j];
    std::vector<float> C_ref = random_values<float>(tile.rows * ldc, 3), C_sweep = C_ref;
    gemm_reference<float>(false, false, tile.rows, N, depth, 1.0f, A.data(), depth, B.data(), N,
                          1.0f, C_ref.data(), ldc);
    cpu::sgemm_micro_kernel_sweep(depth, a_panel.data(), b_block.data(), panels, C_sweep.data(),
                                  ldc);
    const double atol = tolerance_for(DType::F32).atol * double(depth);
    for (int64_t i = 0; i < tile.rows; ++i)
        for (int64_t j = 0; j < ldc; ++j)
            ASSERT_NEAR(C_sweep[i * ldc + j], C_ref[i * ldc + j],
                        atol + tolerance_for(DType::F32).rtol * std::abs(C_ref[i * ldc + j]))
                << "C[" << i << "," << j << "]";

    EXPECT_THROW(cpu::sgemm_micro_kernel_sweep(tile.depth + 1, a_panel.data(), b_block.data(), 1,
                                               C_sweep.data(), ldc),
                 Error);
    EXPECT_THROW(cpu::sgemm_micro_kernel_sweep(depth, a_panel.data(), b_block.data(), panels,
                                               C_sweep.data(), N - 1),
                 Error);
}

}  // namespace
}  // namespace induction
