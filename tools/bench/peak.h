// peak.h — the machine's measured single-precision FMA peak, the 100% line of GEMM benchmarks.
#pragma once

namespace induction {

// GFLOP/s (an FMA counts as 2 flops) of `threads` threads each running independent chains of
// vector FMAs — AVX-512 when compiled for it, else AVX2+FMA, else scalar — best of a few runs.
// Timed by the wall clock, or with cpu_time by the process's CPU time divided by `threads`
// (which leaves out the time other processes had the cores).
double measure_fma_peak_gflops(int threads, bool cpu_time = false);

// One burst of the same chains, `flops_per_thread` flops on each thread: short enough to time
// beside each repetition of another kernel, so that both see the machine in the same state.
double fma_burst_gflops(int threads, double flops_per_thread, bool cpu_time = false);

}  // namespace induction
