// peak.cpp — measures the FMA peak (see peak.h): every thread runs ACCUMULATORS independent
// chains acc = acc * x + y, enough to cover the FMA latency on every FMA port, so throughput and
// not latency is what gets timed. Same vector width as the GEMM kernels are built for.
// The loop is 16 FMAs and a branch, about 100 bytes: on a Skylake-derived core whose other
// hyperthread is busy it keeps its FMA rate only when its micro-ops come from the decoded micro-op
// cache, which the JCC erratum denies to a branch on a 32-byte boundary (tools/bench/LOG.md has
// the two rates). The build pads branches off those boundaries (Makefile, JCC_PADDING); without
// it, whether the peak reads low (and every "% peak" high) depended on where the linker put this
// loop.
#include "tools/bench/peak.h"

#include <algorithm>
#include <cstdint>
#include <ctime>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace induction {
namespace {

constexpr int ACCUMULATORS = 16;
constexpr int64_t ITERATIONS = 10'000'000;  // a measurement's burst: ~35 ms at 150 GFLOP/s

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int LANES = 16;
Vec splat(float x) { return _mm512_set1_ps(x); }
Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
float first_lane(Vec v) { return _mm512_cvtss_f32(v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int LANES = 8;
Vec splat(float x) { return _mm256_set1_ps(x); }
Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
float first_lane(Vec v) { return _mm256_cvtss_f32(v); }
#else
using Vec = float;
constexpr int LANES = 1;
Vec splat(float x) { return x; }
Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
float first_lane(Vec v) { return v; }
#endif

// Runs the FMA chains and returns a value that depends on all of them (so none is optimised away).
float fma_chains(float seed, int64_t iterations) {
    Vec acc[ACCUMULATORS];
    for (int a = 0; a < ACCUMULATORS; ++a) acc[a] = splat(seed + float(a));
    const Vec x = splat(0.999999f), y = splat(1e-6f);  // converges, never overflows
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
        for (int a = 0; a < ACCUMULATORS; ++a) acc[a] = fma(acc[a], x, y);
    }
    float sum = 0;
    for (int a = 0; a < ACCUMULATORS; ++a) sum += first_lane(acc[a]);
    return sum;
}

double seconds_now(bool cpu_time) {
    timespec now;
    clock_gettime(cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &now);
    return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

}  // namespace

double fma_burst_gflops(int threads, double flops_per_thread, bool cpu_time) {
#ifndef _OPENMP
    threads = 1;
#endif
    const double flops_per_iteration = 2.0 * LANES * ACCUMULATORS;
    const auto iterations = std::max<int64_t>(1, int64_t(flops_per_thread / flops_per_iteration));
    volatile float sink = 0;
    const double start = seconds_now(cpu_time);
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
        float result = fma_chains(float(omp_get_thread_num()), iterations);
#pragma omp critical
        sink = sink + result;
    }
#else
    sink = sink + fma_chains(0.0f, iterations);
#endif
    double seconds = seconds_now(cpu_time) - start;
    if (cpu_time) seconds /= threads;
    return threads * flops_per_iteration * double(iterations) / seconds * 1e-9;
}

double measure_fma_peak_gflops(int threads, bool cpu_time) {
    const double flops_per_thread = 2.0 * LANES * ACCUMULATORS * double(ITERATIONS);
    double best = 0;
    for (int repeat = 0; repeat < 5; ++repeat)
        best = std::max(best, fma_burst_gflops(threads, flops_per_thread, cpu_time));
    return best;
}

}  // namespace induction
