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
#include "tensor/error.h"
#include "tensor/reference/gemm.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace induction::cpu {
namespace {

// ---- SIMD vocabulary -----------------------------------------------------------------------
// Simd<T>::V is a vector of WIDTH elements of T with the seven operations the kernel needs. The
// primary template is the portable one-lane version; each instruction set specializes it.
// fma_broadcast(a, b, c) = broadcast(*a) * b + c; AVX-512 does it in one instruction, the FMA
// reading *a from memory and broadcasting it on the way ({1toN}), where the others take two.
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
    static V fma_broadcast(const T* a, V b, V c) { return *a * b + c; }
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
    static V fma_broadcast(const float* a, V b, V c) {
        asm("vfmadd231ps %[a]%{1to16%}, %[b], %[c]" : [c] "+v"(c) : [b] "v"(b), [a] "m"(*a));
        return c;
    }
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
    static V fma_broadcast(const double* a, V b, V c) {
        asm("vfmadd231pd %[a]%{1to8%}, %[b], %[c]" : [c] "+v"(c) : [b] "v"(b), [a] "m"(*a));
        return c;
    }
};
constexpr int MR = 14;       // 14 x 2 accumulators = 28 of 32 zmm registers
constexpr int VECTORS = 2;   // NR = 32 floats or 16 doubles
constexpr int64_t KC_BYTES = 1536;  // KC = 384 floats: A micro-panel 14 x 384 x 4 B = 21 KiB
constexpr int64_t NC = 480;  // B block 384 x 480 x 4 B = 720 KiB of the 1 MiB L2
constexpr int FOLDED_ROWS = 6;  // rows whose FMAs broadcast A themselves (see micro_kernel)
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
    static V fma_broadcast(const float* a, V b, V c) { return fma(broadcast(*a), b, c); }
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
    static V fma_broadcast(const double* a, V b, V c) { return fma(broadcast(*a), b, c); }
};
constexpr int MR = 6;        // 6 x 2 accumulators = 12 of 16 ymm registers
constexpr int VECTORS = 2;   // NR = 16 floats or 8 doubles
constexpr int64_t KC_BYTES = 1024;  // A micro-panel 6 KiB
constexpr int64_t NC = 192;  // B block 256 x 192 x 4 B = 192 KiB of a 256 KiB L2
constexpr int FOLDED_ROWS = 0;  // AVX2 has no FMA that broadcasts from memory
#else
constexpr int MR = 4;        // portable: a 4 x 4 tile of scalars the compiler may vectorize
constexpr int VECTORS = 4;
constexpr int64_t KC_BYTES = 1024;
constexpr int64_t NC = 256;
constexpr int FOLDED_ROWS = 0;
#endif

template <class T>
constexpr int64_t NR = VECTORS * Simd<T>::WIDTH;  // columns of a micro-tile
template <class T>
constexpr int64_t KC = KC_BYTES / int64_t(sizeof(T));  // depth of a packed block
// Rows of the A block: packed micro-panels of MC rows x KC, 4 MiB, kept in L3 and reused by
// every column block.
constexpr int64_t MC = (int64_t(4) << 20) / (KC_BYTES * MR) * MR;
constexpr int64_t B_PREFETCH_STEPS = 8;  // ~1 KiB ahead in the B panel

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

// A hint to bring `address` into L2. The empty asm statement marks the function as having an
// effect: without it GCC proves a function that only prefetches "const" and deletes its calls.
inline void prefetch_to_l2(const void* address) {
    __builtin_prefetch(address, 0, 2);
    asm volatile("" : : "r"(address));
}

// The B block <- op(B)[p0 : p0+kc, j0 : j0+nc]: a row of NR-wide column panels, panel p at
// b_block + p * NR * kc holding [kc][NR], zero past column nc.
template <class T>
void pack_b(bool transpose_b, const T* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
            int64_t nc, T* b_block) {
    constexpr int64_t nr = NR<T>;
    if (!transpose_b) {  // B stored [K, N]: read each row of the block once, left to right
        constexpr int64_t ROWS_AHEAD = 4;  // rows fetched ahead, so several are in flight
        for (int64_t k = 0; k < kc; ++k) {
            const T* row = B + (p0 + k) * ldb + j0;
            if (k + ROWS_AHEAD < kc)
                for (int64_t j = 0; j < nc; j += 64 / int64_t(sizeof(T)))
                    prefetch_to_l2(row + ROWS_AHEAD * ldb + j);
            for (int64_t j = 0; j < nc; j += nr)
                copy_run<nr>(row + j, std::min(nr, nc - j), b_block + j * kc + k * nr);
        }
    } else {  // B stored [N, K]: each column is contiguous; transpose strips so writes stay in L1
        constexpr int64_t K_STRIP = 16;  // k values per strip
        for (int64_t j = 0; j < nc; j += nr) {
            T* panel = b_block + j * kc;
            for (int64_t k0 = 0; k0 < kc; k0 += K_STRIP) {
                const int64_t k1 = std::min(kc, k0 + K_STRIP);
                for (int64_t c = 0; c < std::min(nr, nc - j); ++c) {
                    const T* column = B + (j0 + j + c) * ldb + p0;
                    for (int64_t k = k0; k < k1; ++k) panel[k * nr + c] = column[k];
                }
            }
        }
    }
    const int64_t last = (nc - 1) / nr * nr, cols = nc - last;  // the last panel's columns
    for (int64_t k = 0; cols < nr && k < kc; ++k)  // zero its missing ones
        std::fill(b_block + last * kc + k * nr + cols, b_block + last * kc + (k + 1) * nr, T(0));
}

// ---- micro-kernel --------------------------------------------------------------------------
// Memory that a later micro-kernel will read, for this one to fetch toward L2 as it computes:
// `runs` runs of `run_lines` cache lines, `stride` bytes apart from `first` on (the rows of the
// next A micro-panel, in A itself or packed).
struct Ahead {
    const char* first = nullptr;
    int64_t runs = 0, run_lines = 0, stride = 0;

    // Part `part` of `parts`, split by runs: each of the micro-kernels that use an A micro-panel
    // fetches its share of the next one.
    Ahead part(int64_t part, int64_t parts) const {
        const int64_t begin = runs * part / parts, end = runs * (part + 1) / parts;
        return {first + begin * stride, end - begin, run_lines, stride};
    }
};

// c[ROWS x NR] = alpha * (a-panel x b-panel) + beta * c, over kc steps of k.
//   a: an A micro-panel in LAYOUT;  b: [kc][NR], one packed B panel;  c: row stride ldc.
// beta == 0 does not read c. The kernel also fetches `ahead` toward L2 while it computes.
//
// Why FOLDED_ROWS: with AVX-512, a step of k is 28 FMAs, which take 14 cycles on the two FMA
// ports, plus 2 B loads, 14 broadcasts, 2 prefetches and 3 loop instructions: 49 instructions
// (micro-ops) in 14 cycles, close to the 4 per cycle the core can issue. Folding a row's
// broadcast into its two FMAs saves one micro-op and costs one load (the core does 2 per
// cycle): a few folded rows relieve the front end, many make the kernel load-bound (all 14: 32
// loads in 14 cycles). Six measured fastest (tools/bench/LOG.md). The sums are the same either
// way.
template <class T, int ROWS, PanelLayout LAYOUT>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T alpha, T beta,
                  T* __restrict c, int64_t ldc, Ahead ahead) {
    using S = Simd<T>;
    using V = typename S::V;
    constexpr int64_t row_stride = panel_row_stride<T, LAYOUT>;
    constexpr int64_t k_stride = panel_k_stride<T, LAYOUT>;
    V acc[ROWS][VECTORS];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) acc[r][v] = S::zero();

    // The C tile is needed only at the end: start fetching it now. The B panel streams from L2;
    // fetch it B_PREFETCH_STEPS rows of k ahead, which the hardware prefetcher alone does not.
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int64_t byte = 0; byte < NR<T> * int64_t(sizeof(T)); byte += 64)
            __builtin_prefetch(reinterpret_cast<const char*>(c + r * ldc) + byte, 1);
    auto step = [&]() __attribute__((always_inline)) {  // one k: a rank-1 update of the tile
#pragma GCC unroll 4
        for (int64_t byte = 0; byte < NR<T> * int64_t(sizeof(T)); byte += 64)
            __builtin_prefetch(reinterpret_cast<const char*>(b + B_PREFETCH_STEPS * NR<T>) + byte);
        V b_row[VECTORS];
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) b_row[v] = S::load(b + v * S::WIDTH);
#pragma GCC unroll 16
        for (int r = 0; r < ROWS; ++r) {
            const T* a_rk = a + r * row_stride;
            if (r < FOLDED_ROWS) {  // each FMA broadcasts a_rk itself
#pragma GCC unroll 4
                for (int v = 0; v < VECTORS; ++v)
                    acc[r][v] = S::fma_broadcast(a_rk, b_row[v], acc[r][v]);
            } else {  // one broadcast serves the row's FMAs
                const V a_broadcast = S::broadcast(*a_rk);
#pragma GCC unroll 4
                for (int v = 0; v < VECTORS; ++v)
                    acc[r][v] = S::fma(a_broadcast, b_row[v], acc[r][v]);
            }
        }
        a += k_stride, b += NR<T>;
    };
    // The first steps also fetch the `ahead` lines, one per step, so that the fetches overlap
    // arithmetic instead of queueing together.
    int64_t k = 0;
    for (int64_t run = 0; run < ahead.runs; ++run)
        for (int64_t line = 0; line < ahead.run_lines; ++line) {
            prefetch_to_l2(ahead.first + run * ahead.stride + 64 * line);
            if (k < kc) step(), ++k;
        }
    for (; k < kc; ++k) step();

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
using MicroKernel = void (*)(int64_t, const T*, const T*, T, T, T*, int64_t, Ahead);

template <class T, PanelLayout LAYOUT, int... ROWS_MINUS_1>
constexpr std::array<MicroKernel<T>, MR> make_kernel_table(
    std::integer_sequence<int, ROWS_MINUS_1...>) {
    return {&micro_kernel<T, ROWS_MINUS_1 + 1, LAYOUT>...};
}

template <class T, PanelLayout LAYOUT>
constexpr std::array<MicroKernel<T>, MR> kernel_table =
    make_kernel_table<T, LAYOUT>(std::make_integer_sequence<int, MR>{});

// ---- triangular masks ----------------------------------------------------------------------
// Positions are global: row i and column j of the whole C, whichever thread's rectangle holds them.

// A micro-tile of C, rows [i, i + rows) and columns [j, j + cols).
struct Tile {
    int64_t i, rows, j, cols;
};

// No entry of the tile is kept by mask c: the tile is all zeros.
bool tile_masked_out(Triangle c, const Tile& t) {
    if (c == Triangle::LOWER) return t.j > t.i + t.rows - 1;
    if (c == Triangle::UPPER) return t.j + t.cols - 1 < t.i;
    return false;
}

// Every entry of the tile is kept by mask c.
bool tile_fully_kept(Triangle c, const Tile& t) {
    if (c == Triangle::LOWER) return t.j + t.cols - 1 <= t.i;
    if (c == Triangle::UPPER) return t.j >= t.i + t.rows - 1;
    return true;
}

// The k of op(A)'s rows [i, i + rows) that mask a keeps, [begin, end) within [0, K): op(A)[r, k]
// is kept for k <= r (LOWER) or k >= r (UPPER).
std::pair<int64_t, int64_t> a_k_range(Triangle a, int64_t i, int64_t rows, int64_t K) {
    if (a == Triangle::LOWER) return {0, std::min(K, i + rows)};
    if (a == Triangle::UPPER) return {std::min(K, i), K};
    return {0, K};
}

// The k that can contribute to the tile, [begin, end) within [0, K): those mask a keeps for its
// rows, narrowed by mask b, which keeps op(B)[k, c] for c <= k (LOWER) or c >= k (UPPER).
std::pair<int64_t, int64_t> tile_k_range(const MatmulMasks& m, const Tile& t, int64_t K) {
    auto [begin, end] = a_k_range(m.a, t.i, t.rows, K);
    if (m.b == Triangle::LOWER) begin = std::max(begin, t.j);
    if (m.b == Triangle::UPPER) end = std::min(end, t.j + t.cols);
    return {begin, std::max(begin, end)};
}

// The entries a mask drops from one row or column near the diagonal, as [begin, end) clipped to
// [lo, hi): those after the last kept index up to the end of the band, or those from the start
// of the band up to the first kept index.
std::pair<int64_t, int64_t> dropped_after(int64_t last_kept, int64_t band_end, int64_t lo, int64_t hi) {
    return {std::clamp(last_kept + 1, lo, hi), std::clamp(band_end, lo, hi)};
}
std::pair<int64_t, int64_t> dropped_before(int64_t band_begin, int64_t first_kept, int64_t lo, int64_t hi) {
    return {std::clamp(band_begin, lo, hi), std::clamp(first_kept, lo, hi)};
}

// Zeroes the entries of a packed A micro-panel (rows [i, i + rows), k in [p0, p0 + kc)) that mask
// a drops inside the panel's k range: only the diagonal band k in [i, i + rows) holds any.
template <class T>
void zero_masked_a(Triangle a, bool transpose_a, int64_t i, int64_t rows, int64_t p0, int64_t kc,
                   T* panel) {
    const int64_t row_stride = transpose_a ? 1 : KC<T>, k_stride = transpose_a ? MR : 1;
    for (int64_t r = 0; r < rows; ++r) {
        auto [begin, end] = a == Triangle::LOWER ? dropped_after(i + r, i + rows, p0, p0 + kc)
                                                 : dropped_before(i, i + r, p0, p0 + kc);
        for (int64_t k = begin; k < end; ++k) panel[r * row_stride + (k - p0) * k_stride] = T(0);
    }
}

// Zeroes the entries of a packed B block (columns [j0, j0 + nc), k in [p0, p0 + kc)) that mask b
// drops: in each NR-wide panel, only k within the panel's own columns.
template <class T>
void zero_masked_b(Triangle b, int64_t j0, int64_t nc, int64_t p0, int64_t kc, T* b_block) {
    constexpr int64_t nr = NR<T>;
    for (int64_t j = 0; j < nc; j += nr) {
        T* panel = b_block + j * kc;
        const int64_t first = j0 + j, cols = std::min(nr, nc - j);
        for (int64_t c = 0; c < cols; ++c) {
            auto [begin, end] = b == Triangle::LOWER
                                    ? dropped_before(first, first + c, p0, p0 + kc)
                                    : dropped_after(first + c, first + cols, p0, p0 + kc);
            for (int64_t k = begin; k < end; ++k) panel[(k - p0) * nr + c] = T(0);
        }
    }
}

// Writes 0 to the entries of the tile (stored at c with row stride ldc) that mask c drops: in row
// i + r, the columns after i + r (LOWER) or before it (UPPER).
template <class T>
void zero_masked_c(Triangle mask, const Tile& t, T* c, int64_t ldc) {
    for (int64_t r = 0; r < t.rows; ++r) {
        auto [begin, end] = mask == Triangle::LOWER
                                ? dropped_after(t.i + r, t.j + t.cols, t.j, t.j + t.cols)
                                : dropped_before(t.j, t.i + r, t.j, t.j + t.cols);
        std::fill(c + r * ldc + (begin - t.j), c + r * ldc + (end - t.j), T(0));
    }
}

// ---- one thread's GEMM ------------------------------------------------------------------------
// A GEMM's operands (gemm.h): C = alpha * op(A) op(B) + beta * C for the M x N matrix C at C,
// which starts at row row0 and column col0 of the whole product (where the masks apply).
template <class T>
struct Operands {
    bool transpose_a, transpose_b;
    int64_t M, N, K;
    T alpha;
    const T* A;
    int64_t lda;
    const T* B;
    int64_t ldb;
    T beta;
    T* C;
    int64_t ldc;
    MatmulMasks masks;
    int64_t row0 = 0, col0 = 0;

    // The same product on rows [i0, i1) and columns [j0, j1) of C.
    Operands part(int64_t i0, int64_t i1, int64_t j0, int64_t j1) const {
        Operands p = *this;
        p.M = i1 - i0;
        p.N = j1 - j0;
        p.A = transpose_a ? A + i0 : A + i0 * lda;  // op(A)[i0:i1, :]
        p.B = transpose_b ? B + j0 * ldb : B + j0;  // op(B)[:, j0:j1]
        p.C = C + i0 * ldc + j0;
        p.row0 = row0 + i0;
        p.col0 = col0 + j0;
        return p;
    }
};

// The packed copies of A and B a thread keeps between calls.
enum class Scratch { A_BLOCK, B_BLOCK };

// A 64-byte-aligned scratch array owned by the calling thread, grown on demand and kept for
// later calls (allocating and faulting in megabytes per call would dominate small products).
template <class T, Scratch WHICH>
T* thread_scratch(int64_t count) {
    thread_local std::vector<T> storage;
    constexpr int64_t align = 64 / sizeof(T);
    if (int64_t(storage.size()) < count + align) storage.resize(count + align);
    auto address = reinterpret_cast<uintptr_t>(storage.data());
    return reinterpret_cast<T*>((address + 63) & ~uintptr_t(63));
}

// A thread's working memory during one GEMM.
template <class T>
struct Buffers {
    T* a_block;  // the packed A micro-panels of a row block
    T* b_block;  // the packed B panels of a column block
    alignas(64) T c_edge[MR * NR<T>] = {};  // a micro-tile of C whose columns run past N
};

// Where the loops of gemm.h stand: rows [ic, ic + mc) of C (a row block), the K slice
// [pc, pc + kc), columns [jc, jc + nc) of C (a column block).
struct Block {
    int64_t ic, mc, pc, kc, jc, nc;
};

// One A micro-panel of a block: rows [i, i + rows) of C, packed at `packed`, and the
// micro-kernel for that many rows.
template <class T>
struct MicroPanel {
    int64_t i, rows;
    const T* packed;
    MicroKernel<T> kernel;
};

// Elements between consecutive k in an A micro-panel (panel_k_stride of its layout).
constexpr int64_t a_k_stride(bool transpose_a) { return transpose_a ? MR : 1; }

// The micro-kernel for an A micro-panel of `rows` rows, in the layout that transpose_a packs.
template <class T>
MicroKernel<T> micro_kernel_for(bool transpose_a, int64_t rows) {
    return transpose_a ? kernel_table<T, PanelLayout::K_PANEL>[rows - 1]
                       : kernel_table<T, PanelLayout::ROW_PANEL>[rows - 1];
}

// What the A micro-panel of rows [i, i + rows), k in [pc, pc + kc), will read: its source in A
// (before it is packed, packed == nullptr) or its packed copy at `packed`.
template <class T>
Ahead upcoming_panel(const Operands<T>& g, int64_t i, int64_t rows, int64_t pc, int64_t kc,
                     const T* packed) {
    constexpr int64_t line = 64, size = sizeof(T);
    auto lines = [](int64_t elements) {  // + 1: a run need not start on a line
        return ceil_div(elements * size, line) + 1;
    };
    if (packed == nullptr && !g.transpose_a)  // rows of A
        return Ahead{reinterpret_cast<const char*>(g.A + i * g.lda + pc), rows, lines(kc),
                     g.lda * size};
    if (packed == nullptr)  // rows of A^T: one per k
        return Ahead{reinterpret_cast<const char*>(g.A + pc * g.lda + i), kc, lines(rows),
                     g.lda * size};
    const char* first = reinterpret_cast<const char*>(packed);
    if (!g.transpose_a)  // ROW_PANEL: a run per row
        return Ahead{first, rows, ceil_div(kc * size, line), KC<T> * size};
    return Ahead{first, ceil_div(kc * MR * size, line), 1, line};  // K_PANEL: contiguous
}

// Packs rows [i, i + rows) of op(A) over the block's K slice into a_panel: only the k that mask a
// keeps for these rows (all of them when FULL), the dropped ones inside that range zeroed.
template <class T>
void pack_a_panel(const Operands<T>& g, const Block& b, int64_t i, int64_t rows, T* a_panel) {
    auto [a_begin, a_end] = a_k_range(g.masks.a, g.row0 + i, rows, g.K);
    a_begin = std::clamp(a_begin, b.pc, b.pc + b.kc);
    a_end = std::clamp(a_end, a_begin, b.pc + b.kc);
    pack_a(g.transpose_a, g.A, g.lda, i, rows, a_begin, a_end - a_begin,
           a_panel + (a_begin - b.pc) * a_k_stride(g.transpose_a));
    if (g.masks.a != Triangle::FULL)
        zero_masked_a(g.masks.a, g.transpose_a, g.row0 + i, rows, b.pc, b.kc, a_panel);
}

// The micro-tile of C at the A micro-panel's rows and B panel p of the block: zeros when mask c
// drops all of it; otherwise the micro-kernel over the k its masks leave in the K slice, through
// c_edge when its columns run past N.
template <class T>
void multiply_tile(const Operands<T>& g, const Block& b, const MicroPanel<T>& panel, int64_t p,
                   Buffers<T>& buffers, Ahead ahead) {
    constexpr int64_t nr = NR<T>;
    const int64_t rows = panel.rows;
    const T beta = b.pc == 0 ? g.beta : T(1);  // later K slices accumulate
    T* c = g.C + panel.i * g.ldc + b.jc + p * nr;
    const int64_t cols = std::min(nr, b.nc - p * nr);
    const Tile tile = {g.row0 + panel.i, rows, g.col0 + b.jc + p * nr, cols};
    if (tile_masked_out(g.masks.c, tile)) {
        if (b.pc == 0)
            for (int64_t r = 0; r < rows; ++r) std::fill_n(c + r * g.ldc, cols, T(0));
        return;
    }
    auto [k_begin, k_end] = tile_k_range(g.masks, tile, g.K);
    k_begin = std::clamp(k_begin, b.pc, b.pc + b.kc);
    k_end = std::clamp(k_end, k_begin, b.pc + b.kc);
    const T* a_start = panel.packed + (k_begin - b.pc) * a_k_stride(g.transpose_a);
    const T* b_start = buffers.b_block + p * nr * b.kc + (k_begin - b.pc) * nr;
    if (cols == nr) {
        panel.kernel(k_end - k_begin, a_start, b_start, g.alpha, beta, c, g.ldc, ahead);
    } else {
        T* c_edge = buffers.c_edge;
        if (beta != T(0))
            for (int64_t r = 0; r < rows; ++r) std::copy_n(c + r * g.ldc, cols, c_edge + r * nr);
        panel.kernel(k_end - k_begin, a_start, b_start, g.alpha, beta, c_edge, nr, ahead);
        for (int64_t r = 0; r < rows; ++r) std::copy_n(c_edge + r * nr, cols, c + r * g.ldc);
    }
    if (!tile_fully_kept(g.masks.c, tile)) zero_masked_c(g.masks.c, tile, c, g.ldc);
}

// Every micro-tile of a block: each A micro-panel of the row block times every panel of the
// packed B block. The first column block (jc == 0) packs the micro-panels; later ones reuse them.
// While it works on one micro-panel, the kernel fetches the next: its source in A in the first
// column block, which packs it, and its packed copy in later ones.
template <class T>
void multiply_block(const Operands<T>& g, const Block& b, Buffers<T>& buffers) {
    constexpr int64_t panel_size = MR * KC<T>;
    const int64_t b_panels = ceil_div(b.nc, NR<T>);
    for (int64_t i = b.ic; i < b.ic + b.mc; i += MR) {
        const int64_t rows = std::min<int64_t>(MR, b.ic + b.mc - i);
        T* a_panel = buffers.a_block + (i - b.ic) / MR * panel_size;
        if (b.jc == 0) pack_a_panel(g, b, i, rows, a_panel);
        const int64_t next_rows = std::min<int64_t>(MR, b.ic + b.mc - (i + MR));
        const Ahead next = next_rows <= 0 ? Ahead{}
                           : upcoming_panel(g, i + MR, next_rows, b.pc, b.kc,
                                            b.jc == 0 ? nullptr : a_panel + panel_size);
        const MicroPanel<T> panel = {i, rows, a_panel, micro_kernel_for<T>(g.transpose_a, rows)};
        for (int64_t p = 0; p < b_panels; ++p)
            multiply_tile(g, b, panel, p, buffers, next.part(p, b_panels));
    }
}

// The blocked algorithm of gemm.h on the calling thread, for M, N, K > 0 and alpha != 0.
template <class T>
void gemm_one_thread(const Operands<T>& g) {
    constexpr int64_t nr = NR<T>;
    const int64_t nc_step = block_step(g.N, NC, nr);
    const int64_t kc_step = block_step(g.K, KC<T>, 1);  // a function of K alone: see gemm.h
    const int64_t mc_step = block_step(g.M, MC, MR);
    Buffers<T> buffers;
    buffers.b_block = thread_scratch<T, Scratch::B_BLOCK>(kc_step * ceil_div(nc_step, nr) * nr);
    buffers.a_block = thread_scratch<T, Scratch::A_BLOCK>(ceil_div(mc_step, MR) * MR * KC<T>);
    for (int64_t ic = 0; ic < g.M; ic += mc_step)
        for (int64_t pc = 0; pc < g.K; pc += kc_step)
            for (int64_t jc = 0; jc < g.N; jc += nc_step) {
                const Block b = {ic, std::min(mc_step, g.M - ic), pc, std::min(kc_step, g.K - pc),
                                 jc, std::min(nc_step, g.N - jc)};
                pack_b(g.transpose_b, g.B, g.ldb, b.pc, b.kc, b.jc, b.nc, buffers.b_block);
                if (g.masks.b != Triangle::FULL)
                    zero_masked_b(g.masks.b, g.col0 + b.jc, b.nc, b.pc, b.kc, buffers.b_block);
                multiply_block(g, b, buffers);
            }
}

// ---- threads -------------------------------------------------------------------------------
// Threads split C into a grid of rectangles, each an independent GEMM with its own packing: no
// shared buffers, no barriers, so a thread that the OS preempts delays only its own rectangle.
// The price is that B (for a split of the rows) or A (columns) is packed by more than one
// thread; the grid is chosen to keep that small.
struct ThreadGrid {
    int row_groups, col_groups;
};

// The grid whose busiest thread has the least work: multiply-adds per k for its rectangle plus
// PACK_WEIGHT per element it packs per k (A once per column block, B once).
constexpr int64_t PACK_WEIGHT = 16;  // packing an element costs about as much as 16 FMAs

ThreadGrid choose_grid(int64_t M, int64_t N, int64_t nr, int threads) {
    ThreadGrid best = {threads, 1};
    int64_t best_cost = INT64_MAX;
    for (int row_groups = threads; row_groups >= 1; --row_groups) {
        if (threads % row_groups != 0) continue;
        const int col_groups = threads / row_groups;
        const int64_t rows = ceil_div(M, row_groups);
        const int64_t cols = std::min(N, ceil_div(ceil_div(N, col_groups), nr) * nr);
        const int64_t cost = rows * cols + PACK_WEIGHT * (rows * ceil_div(cols, NC) + cols);
        if (cost < best_cost) best_cost = cost, best = {row_groups, col_groups};
    }
    return best;
}

// Runs body(t, team_size) on a team of up to `threads` threads. The team may be smaller than
// asked (OMP_DYNAMIC, a thread limit), so the body splits its work by the actual size.
template <class Body>
void run_team(int threads, Body&& body) {
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        body(omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    body(0, 1);
}

// Below this many multiply-adds, waking a second thread costs more than it saves.
constexpr int64_t PARALLEL_MIN_MACS = int64_t(1) << 18;

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

// Products this small cost more to pack than to compute (attention over a few tokens: [T, d_head]
// x [d_head, T] per head, thousands per step of a tiny model): they run as plain loops.
constexpr int64_t SMALL_PRODUCT_MACS = 2048;

// C = alpha op(A) op(B) + beta C entry by entry, each a sum over k ascending of the k the masks
// keep for that entry (a LOWER keeps k <= i, UPPER k >= i; b LOWER keeps k >= j, UPPER k <= j).
// Four entries of a row are summed side by side, so that their sums do not wait on one another;
// each keeps its own order, so the result does not depend on the grouping.
template <class T>
void gemm_small(const Operands<T>& g) {
    const int64_t a_row = g.transpose_a ? 1 : g.lda, a_k = g.transpose_a ? g.lda : 1;
    const int64_t b_k = g.transpose_b ? 1 : g.ldb, b_col = g.transpose_b ? g.ldb : 1;
    auto k_range = [&](int64_t i, int64_t j) {
        int64_t begin = g.masks.a == Triangle::UPPER ? i : 0;
        int64_t end = g.masks.a == Triangle::LOWER ? std::min(g.K, i + 1) : g.K;
        if (g.masks.b == Triangle::LOWER) begin = std::max(begin, j);
        if (g.masks.b == Triangle::UPPER) end = std::min(end, j + 1);
        return std::pair{begin, std::max(begin, end)};
    };
    auto store = [&](int64_t i, int64_t j, T sum) {
        T& c = g.C[i * g.ldc + j];
        c = !kept(g.masks.c, i, j) ? T(0) : g.alpha * sum + (g.beta == T(0) ? T(0) : g.beta * c);
    };
    for (int64_t i = 0; i < g.M; ++i) {
        const T* a = g.A + i * a_row;
        int64_t j = 0;
        for (; j + 4 <= g.N && g.masks.b == Triangle::FULL; j += 4) {  // one k range for all four
            const auto [begin, end] = k_range(i, j);
            const T* b = g.B + j * b_col;
            T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int64_t k = begin; k < end; ++k) {
                const T x = a[k * a_k];
                const T* row = b + k * b_k;
                s0 += x * row[0], s1 += x * row[b_col], s2 += x * row[2 * b_col], s3 += x * row[3 * b_col];
            }
            store(i, j, s0), store(i, j + 1, s1), store(i, j + 2, s2), store(i, j + 3, s3);
        }
        for (; j < g.N; ++j) {
            const auto [begin, end] = k_range(i, j);
            const T* b = g.B + j * b_col;
            T sum = 0;
            for (int64_t k = begin; k < end; ++k) sum += a[k * a_k] * b[k * b_k];
            store(i, j, sum);
        }
    }
}

// Checks the arguments (an error names `op`), then computes the product: tiny ones as plain
// loops, small ones on one thread, otherwise on gemm_threads(), one rectangle of C each.
template <class T>
void gemm_threaded(const char* op, const Operands<T>& g) {
    check_gemm_arguments(op, g.transpose_a, g.transpose_b, g.M, g.N, g.K, g.A, g.lda, g.B, g.ldb,
                         g.C, g.ldc);
    if (g.M == 0 || g.N == 0) return;
    if (g.K == 0 || g.alpha == T(0)) {
        scale_c(g.M, g.N, g.beta, g.C, g.ldc);
        if (g.masks.c != Triangle::FULL)
            zero_masked_c(g.masks.c, Tile{0, g.M, 0, g.N}, g.C, g.ldc);
        return;
    }
    if (g.M * g.N * g.K <= SMALL_PRODUCT_MACS) return gemm_small(g);
    const int threads = g.M * g.N * g.K < PARALLEL_MIN_MACS ? 1 : gemm_threads();
    run_team(threads, [&](int t, int team_size) {
        // This thread's rectangle: rows split evenly, columns on NR-wide panel boundaries.
        const ThreadGrid grid = choose_grid(g.M, g.N, NR<T>, team_size);
        const int64_t row_group = t / grid.col_groups, col_group = t % grid.col_groups;
        const int64_t i0 = g.M * row_group / grid.row_groups;
        const int64_t i1 = g.M * (row_group + 1) / grid.row_groups;
        const int64_t col_panels = ceil_div(g.N, NR<T>);
        const int64_t j0 = std::min(g.N, col_panels * col_group / grid.col_groups * NR<T>);
        const int64_t j1 = std::min(g.N, col_panels * (col_group + 1) / grid.col_groups * NR<T>);
        if (i0 == i1 || j0 == j1) return;
        gemm_one_thread(g.part(i0, i1, j0, j1));
    });
}

}  // namespace

void sgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, MatmulMasks masks) {
    gemm_threaded("sgemm", Operands<float>{transpose_a, transpose_b, M, N, K, alpha, A, lda, B,
                                           ldb, beta, C, ldc, masks});
}

void dgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, double alpha,
           const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
           int64_t ldc, MatmulMasks masks) {
    gemm_threaded("dgemm", Operands<double>{transpose_a, transpose_b, M, N, K, alpha, A, lda, B,
                                            ldb, beta, C, ldc, masks});
}

int gemm_threads() {
#ifdef _OPENMP
    if (omp_in_parallel()) return 1;  // called from a parallel region: run on the caller
#endif
    return max_threads();
}

MicroTile sgemm_micro_tile() { return {MR, NR<float>, KC<float>, NC}; }

void sgemm_micro_kernel_sweep(int64_t depth, const float* a_panel, const float* b_block,
                              int64_t panels, float* c, int64_t ldc) {
    check(depth >= 0 && depth <= KC<float>, "sgemm_micro_kernel_sweep: depth=", depth,
          " (expected 0 <= depth <= ", KC<float>, ")");
    check(panels >= 0 && ldc >= panels * NR<float>, "sgemm_micro_kernel_sweep: ldc=", ldc,
          " for ", panels, " panels (expected ldc >= ", panels * NR<float>, ")");
    const MicroKernel<float> kernel = kernel_table<float, PanelLayout::ROW_PANEL>[MR - 1];
    for (int64_t p = 0; p < panels; ++p)
        kernel(depth, a_panel, b_block + p * NR<float> * depth, 1.0f, 1.0f, c + p * NR<float>,
               ldc, Ahead{});
}

}  // namespace induction::cpu
