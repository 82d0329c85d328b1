// bench_gemm.cpp — `induction bench gemm`: our sgemm (tensor/cpu/gemm.h) against OpenBLAS and the
// naive reference, at square sizes and at the skinny shapes of training, at 1 and 2 threads.
//
// Google Benchmark times each (kernel, shape, threads) with wall-clock time in 8 short
// repetitions, run in random interleaved order, and the best repetition is kept: the machine is
// shared, and the best is the least disturbed. The printed table gives GFLOP/s (2 M N K flops
// per product), ours / OpenBLAS, and ours as a percentage of the FMA peak measured in the same
// run at the same thread count (tools/bench/peak.h).
//
//   induction bench gemm [--json] [--quick] [--cpu-time] [--benchmark_filter=...]
//     --json      print only {"peak_gflops": p, "results": [{"m", "n", "k", "threads",
//                 "ours_gflops", "openblas_gflops"}]}; p is the single-thread peak,
//                 openblas_gflops is null when OpenBLAS is absent
//     --quick     one short repetition per benchmark (a smoke run, not a measurement)
//     --cpu-time  time by process CPU time / threads instead of the wall clock, peak included:
//                 on a busy machine this leaves out the time other processes held the cores
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tensor/cpu/gemm.h"
#include "tensor/reference/gemm.h"
#include "tools/bench/openblas.h"
#include "tools/bench/peak.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace induction {
namespace {

// C[M,N] = op(A)[M,K] B[K,N]; transpose_a means A is stored [K,M] (as in a weight gradient).
struct GemmShape {
    int64_t M, N, K;
    bool transpose_a;
};

const GemmShape SHAPES[] = {
    {128, 128, 128, false},   {256, 256, 256, false},   {512, 512, 512, false},
    {1024, 1024, 1024, false}, {2048, 2048, 2048, false},
    // training: activations [8192 tokens, d] times weights, and a weight gradient X^T dY
    {8192, 384, 128, false},  {8192, 128, 384, false},  {128, 128, 8192, true},
    {4096, 128, 128, false},  {4096, 512, 128, false},
};
constexpr int64_t NAIVE_MAX_SIZE = 256;  // the reference runs only where it takes milliseconds

enum class Kernel { OURS, OPENBLAS, NAIVE };
const char* kernel_name(Kernel kernel) {
    switch (kernel) {
        case Kernel::OURS: return "ours";
        case Kernel::OPENBLAS: return "openblas";
        case Kernel::NAIVE: return "naive";
    }
    return "?";
}

// "8192x128 * 128x384", or "(8192x128)^T * 8192x128" when A is stored transposed.
std::string shape_label(const GemmShape& s) {
    char text[64];
    if (s.transpose_a)
        std::snprintf(text, sizeof text, "(%lldx%lld)^T * %lldx%lld", (long long)s.K,
                      (long long)s.M, (long long)s.K, (long long)s.N);
    else
        std::snprintf(text, sizeof text, "%lldx%lld * %lldx%lld", (long long)s.M, (long long)s.K,
                      (long long)s.K, (long long)s.N);
    return text;
}

std::string benchmark_name(Kernel kernel, const GemmShape& s, int threads) {
    return std::string(kernel_name(kernel)) + "/" + shape_label(s) + "/threads:" +
           std::to_string(threads);
}

void set_threads(int threads) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    openblas_set_threads(threads);
}

void time_gemm(benchmark::State& state, Kernel kernel, GemmShape s, int threads) {
    set_threads(threads);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> A(s.M * s.K), B(s.K * s.N), C(s.M * s.N);
    for (float& x : A) x = uniform(rng);
    for (float& x : B) x = uniform(rng);
    const int64_t lda = s.transpose_a ? s.M : s.K;
    state.counters["threads"] = threads;  // BestTimeCollector divides CPU time by it
    for (auto _ : state) {
        switch (kernel) {
            case Kernel::OURS:
                cpu::sgemm(s.transpose_a, false, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), s.N,
                           0.0f, C.data(), s.N);
                break;
            case Kernel::OPENBLAS:
                openblas_sgemm(s.transpose_a, false, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(),
                               s.N, 0.0f, C.data(), s.N);
                break;
            case Kernel::NAIVE:
                gemm_reference<float>(s.transpose_a, false, s.M, s.N, s.K, 1.0f, A.data(), lda,
                                      B.data(), s.N, 0.0f, C.data(), s.N);
                break;
        }
        benchmark::ClobberMemory();
    }
}

// Keeps the best (shortest) time per iteration of every benchmark, printing nothing: wall time,
// or with cpu_time the process CPU time divided by the benchmark's threads.
class BestTimeCollector : public benchmark::BenchmarkReporter {
public:
    explicit BestTimeCollector(bool cpu_time) : cpu_time(cpu_time) {}
    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.run_type != Run::RT_Iteration || run.error_occurred || run.iterations == 0)
                continue;
            const double seconds = (cpu_time ? run.cpu_accumulated_time / run.counters.at("threads")
                                             : run.real_accumulated_time) /
                                   double(run.iterations);
            auto [it, fresh] = best_seconds.emplace(run.run_name.function_name, seconds);
            if (!fresh) it->second = std::min(it->second, seconds);
        }
    }
    // GFLOP/s of the named benchmark, or a negative number when it did not run.
    double gflops(const std::string& name, const GemmShape& s) const {
        auto it = best_seconds.find(name);
        return it == best_seconds.end() ? -1.0 : 2.0 * s.M * s.N * s.K / it->second * 1e-9;
    }

private:
    bool cpu_time;
    std::map<std::string, double> best_seconds;
};

std::string format_number(double value, const char* format) {
    if (value < 0) return "-";
    char text[32];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

// Other processes on the machine (a shared one) take cores away from the timed kernels.
void print_load_average(const char* when) {
    double load[1];
    if (getloadavg(load, 1) == 1)
        std::printf("load average %s the run: %.1f (other processes disturb timings)\n", when,
                    load[0]);
}

}  // namespace

int run_gemm_bench(int argc, char** argv) {
    bool json = false, quick = false, cpu_time = false;
    // What Google Benchmark gets to parse. Repetitions run in random interleaved order, so a
    // burst of load from other processes spreads over all kernels instead of hitting one.
    std::string interleave = "--benchmark_enable_random_interleaving=true";
    std::vector<char*> args = {argv[0], interleave.data()};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--json") json = true;
        else if (arg == "--quick") quick = true;
        else if (arg == "--cpu-time") cpu_time = true;
        else args.push_back(argv[i]);
    }
    int benchmark_argc = int(args.size());
    benchmark::Initialize(&benchmark_argc, args.data());
    if (benchmark::ReportUnrecognizedArguments(benchmark_argc, args.data())) {
        std::fprintf(stderr, "usage: induction bench gemm [--json] [--quick] [--cpu-time] "
                             "[--benchmark_...]\n");
        return 2;
    }

    const int default_threads = cpu::gemm_threads();  // restored at the end
    std::vector<int> thread_counts = {1};
    if (default_threads > 1) thread_counts.push_back(2);
    const bool have_openblas = openblas_available();

    benchmark::ClearRegisteredBenchmarks();
    for (const GemmShape& s : SHAPES) {
        for (int threads : thread_counts) {
            std::vector<Kernel> kernels = {Kernel::OURS};
            if (have_openblas) kernels.push_back(Kernel::OPENBLAS);
            if (threads == 1 && std::max({s.M, s.N, s.K}) <= NAIVE_MAX_SIZE)
                kernels.push_back(Kernel::NAIVE);
            for (Kernel kernel : kernels) {
                auto* b = benchmark::RegisterBenchmark(benchmark_name(kernel, s, threads).c_str(),
                                                       time_gemm, kernel, s, threads);
                b->MinTime(quick ? 0.02 : 0.05)->Repetitions(quick ? 1 : 8);
                if (cpu_time) b->MeasureProcessCPUTime();
                else b->UseRealTime();
            }
        }
    }

    // The peak is measured before and after the GEMMs and the better kept: the GEMM times are
    // best-of-repetitions too, so both sides are the machine at its least disturbed.
    std::map<int, double> peak;  // threads -> GFLOP/s
    for (int threads : thread_counts) peak[threads] = measure_fma_peak_gflops(threads, cpu_time);
    if (!json) {
        std::printf("OpenBLAS: %s\n", openblas_description().c_str());
        print_load_average("before");
        std::fflush(stdout);
    }
    BestTimeCollector collector(cpu_time);
    benchmark::RunSpecifiedBenchmarks(&collector);
    set_threads(default_threads);
    for (int threads : thread_counts)
        peak[threads] = std::max(peak[threads], measure_fma_peak_gflops(threads, cpu_time));

    if (json) {
        std::printf("{\"peak_gflops\": %.2f, \"results\": [", peak[1]);
        const char* separator = "";
        for (const GemmShape& s : SHAPES)
            for (int threads : thread_counts) {
                double ours = collector.gflops(benchmark_name(Kernel::OURS, s, threads), s);
                double blas = collector.gflops(benchmark_name(Kernel::OPENBLAS, s, threads), s);
                if (ours < 0) continue;  // filtered out
                std::printf("%s{\"m\": %lld, \"n\": %lld, \"k\": %lld, \"threads\": %d, "
                            "\"ours_gflops\": %.2f, \"openblas_gflops\": %s}",
                            separator, (long long)s.M, (long long)s.N, (long long)s.K, threads,
                            ours, blas < 0 ? "null" : format_number(blas, "%.2f").c_str());
                separator = ", ";
            }
        std::printf("]}\n");
        return 0;
    }

    print_load_average("after");
    std::printf("timed by %s\n", cpu_time ? "process CPU time / threads" : "the wall clock");
    for (auto [threads, gflops] : peak)
        std::printf("measured FMA peak, %d thread%s: %.1f GFLOP/s\n", threads,
                    threads > 1 ? "s" : "", gflops);
    std::printf("\n%-26s %7s %12s %12s %10s %8s %12s\n", "C = op(A) * B", "threads", "ours GF/s",
                "OpenBLAS", "ours/BLAS", "% peak", "naive GF/s");
    for (const GemmShape& s : SHAPES)
        for (int threads : thread_counts) {
            double ours = collector.gflops(benchmark_name(Kernel::OURS, s, threads), s);
            double blas = collector.gflops(benchmark_name(Kernel::OPENBLAS, s, threads), s);
            double naive = collector.gflops(benchmark_name(Kernel::NAIVE, s, threads), s);
            if (ours < 0) continue;
            std::printf("%-26s %7d %12s %12s %10s %8s %12s\n", shape_label(s).c_str(), threads,
                        format_number(ours, "%.1f").c_str(), format_number(blas, "%.1f").c_str(),
                        format_number(blas > 0 ? ours / blas : -1, "%.2f").c_str(),
                        format_number(100 * ours / peak[threads], "%.0f%%").c_str(),
                        format_number(naive, "%.2f").c_str());
        }
    return 0;
}

}  // namespace induction

#ifdef BENCH_GEMM_MAIN
int main(int argc, char** argv) { return induction::run_gemm_bench(argc, argv); }
#endif
