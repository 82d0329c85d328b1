// parallel.h — splitting a loop over OpenMP threads, deterministically.
//
// parallel_for(n, grain, body) calls body(begin, end) on disjoint chunks covering [0, n). The
// chunking depends only on n and the thread count, so results are reproducible for a given
// thread count. Chunks start at multiples of CHUNK_ALIGN, so a SIMD loop over a chunk puts every
// element in the same vector lane and the same main-loop-or-tail part whatever the thread
// count: elementwise results are then bitwise equal at any thread count (the parity harness
// checks it). Loops shorter than `grain` elements per thread run on the calling thread: for
// small tensors the cost of waking threads exceeds the work.
//
// The grain policy, for every fast CPU kernel (the GEMM sizes its own team; see gemm.cpp): a loop
// over elements passes GRAIN, or HEAVY_GRAIN when each element costs several operations; a loop
// over rows (or blocks, or slices) passes rows_grain(the elements of one row).
#pragma once

#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace induction::cpu {

inline int max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

// Sets the thread count of every later parallel loop (0 or less: leave OpenMP's default).
inline void set_max_threads(int threads) {
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#else
    (void)threads;
#endif
}

constexpr int64_t CHUNK_ALIGN = 16;  // elements: one 64-byte AVX-512 vector of f32

// Elements per thread before threading pays off, for loops that do about one cheap operation per
// element (a copy, an add, a multiply): memory-bound work, where a thread must stream this many
// elements to repay waking it.
constexpr int64_t GRAIN = 1 << 15;
// The same for loops that spend several operations per element (an exp, or three sweeps over a
// row: softmax, cross-entropy, layer norm): each element takes longer, so half as many repay a
// thread.
constexpr int64_t HEAVY_GRAIN = GRAIN / 2;

// The grain of a loop over rows of `row_length` elements each: grain / row_length rows, at least
// one.
constexpr int64_t rows_grain(int64_t row_length, int64_t grain = GRAIN) {
    return std::max<int64_t>(1, grain / std::max<int64_t>(1, row_length));
}

template <class Body>
void parallel_for(int64_t n, int64_t grain, Body&& body) {
    int64_t threads = std::min<int64_t>(max_threads(), n / std::max<int64_t>(grain, 1));
    if (threads <= 1) {
        if (n > 0) body(int64_t{0}, n);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(static_cast<int>(threads))
    {
        int64_t t = omp_get_thread_num();
        auto boundary = [&](int64_t k) {
            return k == threads ? n : (n * k / threads) / CHUNK_ALIGN * CHUNK_ALIGN;
        };
        int64_t begin = boundary(t), end = boundary(t + 1);
        body(begin, end);
    }
#endif
}

}  // namespace induction::cpu
