// parallel.h — splitting a loop over OpenMP threads, deterministically.
//
// parallel_for(n, grain, body) calls body(begin, end) on disjoint chunks covering [0, n). The
// chunking depends only on n and the thread count, so results are reproducible for a given
// thread count. Chunks start at multiples of CHUNK_ALIGN, so a SIMD loop over a chunk puts every
// element in the same vector lane and the same main-loop-or-tail part whatever the thread
// count: elementwise results are then bitwise equal at any thread count (the parity harness
// checks it). Loops shorter than `grain` elements per thread run on the calling thread: for
// small tensors the cost of waking threads exceeds the work.
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
