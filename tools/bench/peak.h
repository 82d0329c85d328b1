// peak.h — the machine's measured single-precision FMA peak, the 100% line of GEMM benchmarks.
#pragma once

namespace induction {

// GFLOP/s (an FMA counts as 2 flops) of `threads` threads each running independent chains of
// vector FMAs — AVX-512 when compiled for it, else AVX2+FMA, else scalar — best of a few runs.
double measure_fma_peak_gflops(int threads);

}  // namespace induction
