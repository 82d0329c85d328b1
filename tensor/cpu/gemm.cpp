// gemm.cpp — the fast CPU GEMM (the algorithm is explained in gemm.h).
//
// Layout of this file: the SIMD vocabulary and tile sizes per instruction set, the packing
// routines, the micro-kernel, and the blocked, threaded driver shared by sgemm and dgemm.
#include "tensor/cpu/gemm.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "tensor/cpu/parallel.h"
#include "tensor/reference/gemm.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace induction::cpu {
namespace {

// ---- SIMD vocabulary -----------------------------------------------------------------------
// Simd<T>::V is a vector of WIDTH elements of T with the six operations the kernel needs. The
// primary template is the portable one-lane version; each instruction set specializes it.
template <class T>
struct Simd {
    using V = T;
    static constexpr int WIDTH = 1;
    static V zero() { return T(0); }
    static V load(const T* p) { return *p; }
    static void store(T* p, V v) { *p = v; }
    static V broadcast(T x) { return x; }
    static V mul(V a, V b) { return a * b; }
    static V fma(V a, V b, V c) { return a * b + c; }
};

// Tile and block sizes. MR rows x (VECTORS * WIDTH) columns of C live in registers; the A
// micro-panel (MR x KC) should sit in L1 and the B block (KC x NC) in L2.
#if defined(__AVX512F__)
template <>
struct Simd<float> {
    using V = __m512;
    static constexpr int WIDTH = 16;
    static V zero() { return _mm512_setzero_ps(); }
    static V load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static V broadcast(float x) { return _mm512_set1_ps(x); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};
template <>
struct Simd<double> {
    using V = __m512d;
    static constexpr int WIDTH = 8;
    static V zero() { return _mm512_setzero_pd(); }
    static V load(const double* p) { return _mm512_loadu_pd(p); }
    static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
    static V broadcast(double x) { return _mm512_set1_pd(x); }
    static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
};
constexpr int MR = 14;       // 14 x 2 accumulators = 28 of 32 zmm registers
constexpr int VECTORS = 2;   // NR = 32 floats or 16 doubles
#ifndef KCB
#define KCB 1536
#endif
constexpr int64_t KC_BYTES = KCB;  // KC = 384 floats: A micro-panel 14 x 384 x 4 B = 21 KiB
#ifndef NCV
#define NCV 480
#endif
constexpr int64_t NC = NCV;  // B block 384 x 480 x 4 B = 720 KiB of the 1 MiB L2
#elif defined(__AVX2__) && defined(__FMA__)
template <>
struct Simd<float> {
    using V = __m256;
    static constexpr int WIDTH = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static V broadcast(float x) { return _mm256_set1_ps(x); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};
template <>
struct Simd<double> {
    using V = __m256d;
    static constexpr int WIDTH = 4;
    static V zero() { return _mm256_setzero_pd(); }
    static V load(const double* p) { return _mm256_loadu_pd(p); }
    static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
    static V broadcast(double x) { return _mm256_set1_pd(x); }
    static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
};
constexpr int MR = 6;        // 6 x 2 accumulators = 12 of 16 ymm registers
constexpr int VECTORS = 2;   // NR = 16 floats or 8 doubles
constexpr int64_t KC_BYTES = 1024;  // A micro-panel 6 KiB
constexpr int64_t NC = 192;  // B block 256 x 192 x 4 B = 192 KiB of a 256 KiB L2
#else
constexpr int MR = 4;        // portable: a 4 x 4 tile of scalars the compiler may vectorize
constexpr int VECTORS = 4;
constexpr int64_t KC_BYTES = 1024;
constexpr int64_t NC = 256;
#endif

template <class T>
constexpr int64_t NR = VECTORS * Simd<T>::WIDTH;  // columns of a micro-tile
template <class T>
constexpr int64_t KC = KC_BYTES / int64_t(sizeof(T));  // depth of a packed block

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Splits [0, n) into equal blocks of at most `limit`, rounded up to a multiple of `unit`:
// N = 512 becomes 256 + 256 rather than 480 + 32, so no block is a sliver.
int64_t block_step(int64_t n, int64_t limit, int64_t unit) {
    int64_t blocks = ceil_div(n, limit);
    return ceil_div(ceil_div(n, blocks), unit) * unit;
}

// ---- packing -------------------------------------------------------------------------------
// An A micro-panel holds `rows` (<= MR) rows of op(A) over kc values of k. Its layout follows the
// source so that packing is a plain copy either way:
//   ROW_PANEL  (A stored [M,K]):  panel[r * KC + k]  — each row of A copied as it lies;
//   K_PANEL    (A stored [K,M]):  panel[k * MR + r]  — each row of A^T storage copied as it lies.
// The kernel is instantiated for each layout; both give the same sums in the same order.
enum class PanelLayout { ROW_PANEL, K_PANEL };

template <class T, PanelLayout LAYOUT>
constexpr int64_t panel_row_stride = LAYOUT == PanelLayout::ROW_PANEL ? KC<T> : 1;
template <class T, PanelLayout LAYOUT>
constexpr int64_t panel_k_stride = LAYOUT == PanelLayout::ROW_PANEL ? 1 : MR;

// dst[0:n] <- src[0:n]. A full tile's run (n == FULL) is copied with a compile-time length,
// which the compiler turns into a few vector moves instead of a call to memmove.
template <int64_t FULL, class T>
void copy_run(const T* __restrict src, int64_t n, T* __restrict dst) {
    if (n != FULL) return void(std::copy_n(src, n, dst));
#pragma GCC unroll 64
    for (int64_t j = 0; j < FULL; ++j) dst[j] = src[j];
}

// panel <- op(A)[i0 : i0+rows, p0 : p0+kc]
template <class T>
void pack_a(bool transpose_a, const T* A, int64_t lda, int64_t i0, int64_t rows, int64_t p0,
            int64_t kc, T* panel) {
    if (!transpose_a) {
        for (int64_t r = 0; r < rows; ++r)
            std::copy_n(A + (i0 + r) * lda + p0, kc, panel + r * KC<T>);
    } else {
        for (int64_t k = 0; k < kc; ++k) copy_run<MR>(A + (p0 + k) * lda + i0, rows, panel + k * MR);
    }
}

// panel[k * NR + j] <- op(B)[p0 + k, j0 + j], zero for j >= cols: one NR-wide column panel.
template <class T>
void pack_b(bool transpose_b, const T* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
            int64_t cols, T* panel) {
    for (int64_t k = 0; k < kc; ++k, panel += NR<T>) {
        if (!transpose_b) {
            copy_run<NR<T>>(B + (p0 + k) * ldb + j0, cols, panel);
        } else {
            const T* column = B + j0 * ldb + p0 + k;  // B stored [N, K]
            for (int64_t j = 0; j < cols; ++j) panel[j] = column[j * ldb];
        }
        std::fill(panel + cols, panel + NR<T>, T(0));
    }
}

// ---- micro-kernel --------------------------------------------------------------------------
// c[ROWS x NR] = alpha * (a-panel x b-panel) + beta * c, over kc steps of k.
//   a: an A micro-panel in LAYOUT;  b: [kc][NR], one packed B panel;  c: row stride ldc.
// beta == 0 does not read c.
template <class T, int ROWS, PanelLayout LAYOUT>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T alpha, T beta,
                  T* __restrict c, int64_t ldc) {
    using S = Simd<T>;
    using V = typename S::V;
    constexpr int64_t row_stride = panel_row_stride<T, LAYOUT>;
    constexpr int64_t k_stride = panel_k_stride<T, LAYOUT>;
    V acc[ROWS][VECTORS];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) acc[r][v] = S::zero();

#ifdef PF_C
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < int(NR<T> * sizeof(T) / 64); ++v) __builtin_prefetch(c + r * ldc + v * 64 / sizeof(T), 1);
#endif
#ifdef UNROLL_K
#pragma GCC unroll 4
#endif
    for (int64_t k = 0; k < kc; ++k, a += k_stride, b += NR<T>) {
#ifdef PF_B
#pragma GCC unroll 4
        for (int v = 0; v < int(NR<T> * sizeof(T) / 64); ++v) __builtin_prefetch(b + PF_B * NR<T> + v * 64 / sizeof(T));
#endif
        V b_row[VECTORS];
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) b_row[v] = S::load(b + v * S::WIDTH);
#pragma GCC unroll 16
        for (int r = 0; r < ROWS; ++r) {
            V a_rk = S::broadcast(a[r * row_stride]);
#pragma GCC unroll 4
            for (int v = 0; v < VECTORS; ++v) acc[r][v] = S::fma(a_rk, b_row[v], acc[r][v]);
        }
    }

    V alpha_v = S::broadcast(alpha), beta_v = S::broadcast(beta);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) {
            T* cp = c + r * ldc + v * S::WIDTH;
            V old = beta == T(0) ? S::zero() : S::mul(beta_v, S::load(cp));
            S::store(cp, S::fma(alpha_v, acc[r][v], old));
        }
}

// kernel_table<T, LAYOUT>()[rows - 1] is the micro-kernel for a tile of `rows` rows.
template <class T>
using MicroKernel = void (*)(int64_t, const T*, const T*, T, T, T*, int64_t);

template <class T, PanelLayout LAYOUT, int... ROWS_MINUS_1>
constexpr std::array<MicroKernel<T>, MR> make_kernel_table(
    std::integer_sequence<int, ROWS_MINUS_1...>) {
    return {&micro_kernel<T, ROWS_MINUS_1 + 1, LAYOUT>...};
}

template <class T, PanelLayout LAYOUT>
constexpr std::array<MicroKernel<T>, MR> kernel_table =
    make_kernel_table<T, LAYOUT>(std::make_integer_sequence<int, MR>{});

// ---- threads -------------------------------------------------------------------------------
template <class Body>
void run_team(int threads, Body&& body) {
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        body(omp_get_thread_num());
        return;
    }
#endif
    body(0);
}

void team_barrier(int threads) {
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp barrier
    }
#endif
}

// The part of an M x nc column block one thread computes: rows [row_begin, row_end) and columns
// [col_begin, col_end), both on tile boundaries.
struct ThreadTiles {
    int64_t row_begin, row_end, col_begin, col_end;
};

// Arranges `threads` as a grid (row groups x column groups) over the tiles of an M x nc block,
// choosing the grid whose busiest thread computes the fewest elements, then returns thread t's
// share. Depends only on the sizes and the thread count.
ThreadTiles thread_tiles(int64_t M, int64_t nc, int64_t nr, int threads, int t) {
    int64_t row_tiles = ceil_div(M, MR), col_tiles = ceil_div(nc, nr);
    int best_row_groups = 1;
    int64_t best_cost = INT64_MAX;
    for (int row_groups = threads; row_groups >= 1; --row_groups) {
        if (threads % row_groups != 0) continue;
        int col_groups = threads / row_groups;
        int64_t rows = std::min(ceil_div(row_tiles, row_groups) * MR, M);
        int64_t cols = std::min(ceil_div(col_tiles, col_groups) * nr, nc);
        if (rows * cols < best_cost) best_cost = rows * cols, best_row_groups = row_groups;
    }
    int col_groups = threads / best_row_groups;
    int64_t row_group = t / col_groups, col_group = t % col_groups;
    auto split = [](int64_t tiles, int64_t parts, int64_t part) { return tiles * part / parts; };
    return {std::min(split(row_tiles, best_row_groups, row_group) * MR, M),
            std::min(split(row_tiles, best_row_groups, row_group + 1) * MR, M),
            std::min(split(col_tiles, col_groups, col_group) * nr, nc),
            std::min(split(col_tiles, col_groups, col_group + 1) * nr, nc)};
}

// Below this many multiply-adds, waking a second thread costs more than it saves.
constexpr int64_t PARALLEL_MIN_MACS = int64_t(1) << 18;

int threads_for(int64_t M, int64_t N, int64_t K) {
    return M * N * K < PARALLEL_MIN_MACS ? 1 : max_threads();
}

// A 64-byte-aligned scratch array owned by the calling thread, grown on demand and kept for
// later calls (allocating and faulting in 720 KiB per call would dominate small products).
template <class T>
T* thread_scratch(int64_t count) {
    thread_local std::vector<T> storage;
    constexpr int64_t align = 64 / sizeof(T);
    if (int64_t(storage.size()) < count + align) storage.resize(count + align);
    auto address = reinterpret_cast<uintptr_t>(storage.data());
    return reinterpret_cast<T*>((address + 63) & ~uintptr_t(63));
}

// C[M,N] *= beta (beta == 0 writes zeros without reading): the whole product when K == 0 or
// alpha == 0.
template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
            T& c = C[i * ldc + j];
            c = beta == T(0) ? T(0) : beta * c;
        }
}

// ---- the blocked driver ----------------------------------------------------------------------
template <class T>
void gemm_blocked(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, T alpha,
                  const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);

    constexpr int64_t nr = NR<T>;
    const int64_t nc_step = block_step(N, NC, nr);
    const int64_t kc_step = block_step(K, KC<T>, 1);
    const auto& kernels = transpose_a ? kernel_table<T, PanelLayout::K_PANEL>
                                      : kernel_table<T, PanelLayout::ROW_PANEL>;
    const int threads = threads_for(M, N, K);
    T* b_block = thread_scratch<T>(kc_step * ceil_div(nc_step, nr) * nr);  // shared by the team

    run_team(threads, [&](int t) {
        alignas(64) T a_panel[MR * KC<T>];  // this thread's A micro-panel
        alignas(64) T c_edge[MR * nr] = {};  // scratch tile for the columns past N

        for (int64_t jc = 0; jc < N; jc += nc_step) {
            const int64_t nc = std::min(nc_step, N - jc);
            const int64_t b_panels = ceil_div(nc, nr);
            const ThreadTiles mine = thread_tiles(M, nc, nr, threads, t);

            for (int64_t pc = 0; pc < K; pc += kc_step) {
                const int64_t kc = std::min(kc_step, K - pc);
                const T beta_here = pc == 0 ? beta : T(1);  // later K slices accumulate

                for (int64_t p = t; p < b_panels; p += threads)
                    pack_b(transpose_b, B, ldb, pc, kc, jc + p * nr, std::min(nr, nc - p * nr),
                           b_block + p * nr * kc);
                team_barrier(threads);

                for (int64_t i = mine.row_begin; i < mine.row_end; i += MR) {
                    const int64_t rows = std::min<int64_t>(MR, M - i);
                    const MicroKernel<T> kernel = kernels[rows - 1];
                    pack_a(transpose_a, A, lda, i, rows, pc, kc, a_panel);
                    for (int64_t j = mine.col_begin; j < mine.col_end; j += nr) {
                        const T* b_panel = b_block + (j / nr) * nr * kc;
                        T* c = C + i * ldc + jc + j;
                        const int64_t cols = std::min(nr, nc - j);
                        if (cols == nr) {
                            kernel(kc, a_panel, b_panel, alpha, beta_here, c, ldc);
                            continue;
                        }
                        if (beta_here != T(0))  // edge: go through c_edge
                            for (int64_t r = 0; r < rows; ++r)
                                std::copy_n(c + r * ldc, cols, c_edge + r * nr);
                        kernel(kc, a_panel, b_panel, alpha, beta_here, c_edge, nr);
                        for (int64_t r = 0; r < rows; ++r)
                            std::copy_n(c_edge + r * nr, cols, c + r * ldc);
                    }
                }
                team_barrier(threads);  // the B block is repacked next
            }
        }
    });
}

}  // namespace

void sgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc) {
    check_gemm_arguments("sgemm", transpose_a, transpose_b, M, N, K, A, lda, B, ldb, C, ldc);
    gemm_blocked(transpose_a, transpose_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, double alpha,
           const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
           int64_t ldc) {
    check_gemm_arguments("dgemm", transpose_a, transpose_b, M, N, K, A, lda, B, ldb, C, ldc);
    gemm_blocked(transpose_a, transpose_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int gemm_threads() { return max_threads(); }

}  // namespace induction::cpu
