// gemm.h — the fast CPU GEMM: sgemm (float, the one that matters for speed) and dgemm (double).
//
// Same contract as gemm_reference (tensor/reference/gemm.h): row-major,
//   C[M,N] = alpha * op(A) op(B) + beta * C,
// op(A) = A [M,K] or A^T with A stored [K,M]; op(B) = B [K,N] or B^T with B stored [N,K];
// leading dimensions may exceed the row length; beta == 0 never reads C.
//
// How it works (the BLIS / GotoBLAS recipe; sizes are for AVX-512 floats, see gemm.cpp):
//
//   for ic in M, step MC (2730):          a block of rows of A and C
//     for pc in K, step KC (384):         a slice of the shared dimension
//       for jc in N, step NC (480):       a block of columns of B and C
//         pack B[pc:pc+KC, jc:jc+NC]      -> "B block": NR-wide column panels, each stored
//                                            k-major [KC][NR]; 720 KiB, stays in L2
//         for ir in MC, step MR (14):     one micro-panel of A rows
//           if jc is the first block:
//             pack A[ir:ir+MR, pc:pc+KC]  -> an "A micro-panel" [MR x KC], 21 KiB, in the
//                                            "A block" (up to 4 MiB, in L3): later column
//                                            blocks reuse it
//           for jr in NC, step NR (32):   every B panel of the block, streamed from L2
//             micro-kernel: C[ir:ir+MR, jc+jr:jc+jr+NR] (+)= alpha * A-panel x B-panel
//
// Packing copies each operand once per block into exactly the order the micro-kernel reads it,
// so the kernel sees unit-stride, cache-resident data whatever the transposes and leading
// dimensions were: transposition is handled by the packing routines only. A is packed once per
// K slice, B once per K slice and row block. While the micro-kernels use one A micro-panel, they
// fetch the next toward L2 (its source in A, or its packed copy), a share per micro-kernel and
// one cache line per step of k, so that the fetches overlap arithmetic instead of queueing.
//
// The micro-kernel keeps an MR x NR tile of C in registers (14 rows x 2 zmm = 28 of the 32
// AVX-512 registers). For each k it loads one row of the B panel (2 vectors of 16) and, for each
// of the 14 rows, broadcasts A[r][k] and issues 2 fused multiply-adds: 28 FMAs, enough
// independent accumulators to cover the FMA latency on both FMA ports. For 6 of the rows the FMAs
// read and broadcast A[r][k] themselves, which saves the core's front end 6 of ~49 instructions
// per k for 6 more loads (tools/bench/LOG.md has the measurement). It prefetches the B panel 8 rows
// ahead and the C tile at its start, and writes C = alpha * tile + beta * C once at the end.
// Rows past M use the kernel instantiated for fewer rows; columns past N are computed into a
// scratch tile and copied out.
// ISA variants: AVX-512 (14 x 32 floats, 14 x 16 doubles), AVX2+FMA (6 x 16 floats), portable
// scalar (4 x 4, for PORTABLE=1 builds).
//
// Threads: OpenMP, gemm_threads() of them for products of at least 2^18 multiply-adds. C is cut
// into one rectangle per thread (rows or columns, whichever split leaves the busiest thread the
// least compute plus packing) and each thread runs the loops above on its rectangle with its
// own buffers: no barriers, no shared state.
// Determinism: every element of C is summed over k in the same order, in the same K slices
// (their size depends on K alone), whichever rectangle and tile it falls in. Results are
// therefore bitwise identical for any thread count, and run to run.
//
// Triangular masks (tensor/triangle.h) skip work: a micro-tile of C outside masks.c is written as
// zeros without a product, and each micro-tile's k loop runs only over the k that masks.a and
// masks.b leave for its rows and columns. Masked entries inside a tile's k range (near the
// diagonal) are zeroed in the packed panels, so they add exact zeros; a tile's sum is the same
// as without the skipping, for any thread count.
#pragma once

#include <cstdint>

#include "tensor/triangle.h"

namespace induction::cpu {

void sgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, MatmulMasks masks = {});

void dgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, double alpha,
           const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
           int64_t ldc, MatmulMasks masks = {});

// Threads a large GEMM uses: omp_get_max_threads(), or 1 when called from inside an OpenMP
// parallel region (or without OpenMP).
int gemm_threads();

// ---- the micro-kernel alone, for benchmarks -------------------------------------------------
// The float GEMM's register tile on this build: `rows` (MR) x `cols` (NR) of C per micro-kernel
// call, `depth`, the K slice (KC) that an A micro-panel is packed for, and `block_cols`, the
// columns of a B block (NC, at most).
struct MicroTile {
    int64_t rows, cols, depth, block_cols;
};
MicroTile sgemm_micro_tile();

// The GEMM's innermost loop for one A micro-panel, with no packing and no loops around it:
// C[:, p*cols : (p+1)*cols] += A-panel x B-panel p, for each of `panels` packed B panels.
//   a_panel: tile.rows rows of `depth` values of k, row r starting at a_panel + r * tile.depth;
//   b_block: `panels` panels one after another, each [depth][tile.cols];
//   c:       tile.rows rows of panels * tile.cols values, row stride ldc.
// 0 <= depth <= tile.depth. `induction bench gemm` times it: the ceiling of the whole GEMM.
void sgemm_micro_kernel_sweep(int64_t depth, const float* a_panel, const float* b_block,
                              int64_t panels, float* c, int64_t ldc);

}  // namespace induction::cpu
