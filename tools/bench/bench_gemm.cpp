// bench_gemm.cpp — `induction bench gemm`: our sgemm (tensor/cpu/gemm.h) against OpenBLAS and the
// naive reference, at square sizes and at the skinny shapes of training, at 1 and 2 threads.
//
// The machine is shared, so timings are taken in a way that other processes disturb little:
//  - each Google Benchmark iteration runs ours and then OpenBLAS on the same operands, so the two
//    see the same load; the table's ratio is the median over repetitions of these paired ratios;
//  - repetitions are short (8 of 50 ms) and run in random interleaved order, and a kernel's
//    GFLOP/s is its best repetition, the least disturbed one;
//  - the FMA peak (tools/bench/peak.h) is measured before and after, and the better printed; a
//    short burst of the same peak loop also runs in every iteration, right after the products,
//    and "% peak" divides each iteration's GFLOP/s by that burst's: a burst of load slows both,
//    so the fraction is that of the machine as it was. On a core whose other hyperthread is busy
//    (another guest of a shared VM), the peak loop itself slows for seconds at a time, and in the
//    slow stretches the GEMM loses more, so the fraction drops. The micro-kernel alone drops about
//    as far, even with every operand in L1: per 28 FMAs it needs 22 loads and 43 micro-ops where
//    the peak loop needs no loads and 31, and neither fewer loads (more broadcasts) nor fewer
//    micro-ops (more FMAs reading memory) helps (tools/bench/LOG.md has the figures). GF/s over
//    the printed peak is the figure for a core of one's own.
// GFLOP/s counts 2 M N K flops per product; "% peak" is the median over repetitions of the mean
// over its iterations of that paired fraction, at the same thread count.
// A line above the table times the micro-kernel alone in the same way (time_micro_kernel): the
// share of the peak that the GEMM's instruction mix reaches with no packing and no cache misses
// beyond L2, so that the table's "% peak" can be read as the kernel's share times the blocking's.
//
// Options: BENCH_GEMM_COMMAND at the end of this file (`induction bench gemm --help`).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tensor/cpu/gemm.h"
#include "tensor/host_allocator.h"
#include "tensor/reference/gemm.h"
#include "tools/bench/openblas.h"
#include "tools/bench/peak.h"
#include "tools/commands.h"

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
    {128, 128, 128, false},    {256, 256, 256, false}, {512, 512, 512, false},
    {1024, 1024, 1024, false}, {2048, 2048, 2048, false},
    // training: activations [8192 tokens, d] times weights, and a weight gradient X^T dY
    {8192, 384, 128, false},   {8192, 128, 384, false}, {128, 128, 8192, true},
    {4096, 128, 128, false},   {4096, 512, 128, false},
};
constexpr int64_t NAIVE_MAX_SIZE = 256;  // the reference runs only where it takes milliseconds

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

// "ours" benchmarks time ours (and OpenBLAS, when loaded, beside it); "naive" the reference.
std::string benchmark_name(const char* kind, const GemmShape& s, int threads) {
    return std::string(kind) + "/" + shape_label(s) + "/threads:" + std::to_string(threads);
}

void set_threads(int threads) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    openblas_set_threads(threads);
}

// Seconds on the wall clock, or of CPU time spent by the whole process.
double seconds_now(bool cpu_time) {
    timespec now;
    clock_gettime(cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &now);
    return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

// `count` floats in tensor storage (host_allocate: 64-byte aligned), where the model's operands
// live. A std::vector's large blocks start 16 bytes past a page boundary instead, so every row of a
// 32-float tile spans three cache lines rather than two, which measurably slows ours
// (tools/bench/LOG.md).
struct HostFloats {
    explicit HostFloats(int64_t count)
        : count(count), data(static_cast<float*>(host_allocate(count * sizeof(float)))) {}
    ~HostFloats() { host_release(data, count * sizeof(float)); }
    HostFloats(const HostFloats&) = delete;
    HostFloats& operator=(const HostFloats&) = delete;
    int64_t count;
    float* data;
};

// A and B uniform in [-1, 1), C zero.
struct Operands {
    explicit Operands(const GemmShape& s)
        : A(s.M * s.K), B(s.K * s.N), C(s.M * s.N), lda(s.transpose_a ? s.M : s.K) {
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        for (int64_t i = 0; i < A.count; ++i) A.data[i] = uniform(rng);
        for (int64_t i = 0; i < B.count; ++i) B.data[i] = uniform(rng);
        std::fill_n(C.data, C.count, 0.0f);
    }
    HostFloats A, B, C;
    int64_t lda;
};

// A peak burst's flops per thread: as many as the product's share, at most ~2 ms of work.
constexpr double PEAK_BURST_MAX_FLOPS = 3e8;

// Times C = op(A) B with our sgemm (the iteration time) and, when `with_openblas`, OpenBLAS on the
// same operands right after (the "openblas_seconds" counter); or, when `naive`, the reference.
// Each iteration of ours then runs a peak burst; the counters "ours_of_peak" and
// "openblas_of_peak" sum, over iterations, each product's GFLOP/s over the burst's.
void time_gemm(benchmark::State& state, GemmShape s, int threads, bool naive, bool with_openblas,
               bool cpu_time) {
    set_threads(threads);
    Operands x(s);
    const double per_thread = cpu_time ? 1.0 / threads : 1.0;
    const double flops = 2.0 * s.M * s.N * s.K;
    const double burst_flops = std::min(flops / threads, PEAK_BURST_MAX_FLOPS);
    double openblas_seconds = 0, ours_of_peak = 0, openblas_of_peak = 0;
    for (auto _ : state) {
        double start = seconds_now(cpu_time);
        if (naive)
            gemm_reference<float>(s.transpose_a, false, s.M, s.N, s.K, 1.0f, x.A.data, x.lda,
                                  x.B.data, s.N, 0.0f, x.C.data, s.N);
        else
            cpu::sgemm(s.transpose_a, false, s.M, s.N, s.K, 1.0f, x.A.data, x.lda, x.B.data,
                       s.N, 0.0f, x.C.data, s.N);
        double middle = seconds_now(cpu_time);
        const double seconds = (middle - start) * per_thread;
        state.SetIterationTime(seconds);
        if (naive) continue;
        double blas_seconds = 0;
        if (with_openblas) {
            openblas_sgemm(s.transpose_a, false, s.M, s.N, s.K, 1.0f, x.A.data, x.lda,
                           x.B.data, s.N, 0.0f, x.C.data, s.N);
            blas_seconds = (seconds_now(cpu_time) - middle) * per_thread;
            openblas_seconds += blas_seconds;
        }
        const double peak_gflops = fma_burst_gflops(threads, burst_flops, cpu_time);
        ours_of_peak += flops / seconds * 1e-9 / peak_gflops;
        if (with_openblas) openblas_of_peak += flops / blas_seconds * 1e-9 / peak_gflops;
    }
    state.counters["openblas_seconds"] = openblas_seconds;
    state.counters["ours_of_peak"] = ours_of_peak;
    state.counters["openblas_of_peak"] = openblas_of_peak;
}

// The micro-kernel alone: the GEMM's ceiling on this core. What sgemm does at 1024^3 for each
// row tile of C, with nothing around it: one A micro-panel, which stays in L1 (a fixed one, not
// packed), against one packed B block [depth x block_cols], streamed from L2, into C rows of
// MICRO_KERNEL_C_ROW floats. Its GEMM shape for counting flops: M = the rows of C it covers,
// N = block_cols, K = depth. Counters as in time_gemm, without OpenBLAS.
constexpr int64_t MICRO_KERNEL_C_ROW = 1024;  // C's rows and row length, as in the 1024^3 product

GemmShape micro_kernel_shape() {
    const cpu::MicroTile tile = cpu::sgemm_micro_tile();
    return {MICRO_KERNEL_C_ROW / tile.rows * tile.rows, tile.block_cols, tile.depth, false};
}

void time_micro_kernel(benchmark::State& state, bool cpu_time) {
    set_threads(1);
    const cpu::MicroTile tile = cpu::sgemm_micro_tile();
    const GemmShape s = micro_kernel_shape();
    const int64_t panels = tile.block_cols / tile.cols, ldc = MICRO_KERNEL_C_ROW;
    HostFloats a_panel(tile.rows * tile.depth), b_block(tile.depth * tile.block_cols),
        C(s.M * ldc);
    std::fill_n(a_panel.data, a_panel.count, 0.5f);
    std::fill_n(b_block.data, b_block.count, 0.25f);
    std::fill_n(C.data, C.count, 0.0f);
    const double flops = 2.0 * s.M * s.N * s.K;
    double ours_of_peak = 0;
    for (auto _ : state) {
        const double start = seconds_now(cpu_time);
        for (int64_t i = 0; i < s.M; i += tile.rows)
            cpu::sgemm_micro_kernel_sweep(tile.depth, a_panel.data, b_block.data, panels,
                                          C.data + i * ldc, ldc);
        const double seconds = seconds_now(cpu_time) - start;
        state.SetIterationTime(seconds);
        const double burst_flops = std::min(flops, PEAK_BURST_MAX_FLOPS);
        ours_of_peak += flops / seconds * 1e-9 / fma_burst_gflops(1, burst_flops, cpu_time);
    }
    state.counters["openblas_seconds"] = 0;
    state.counters["ours_of_peak"] = ours_of_peak;
    state.counters["openblas_of_peak"] = 0;
}

// Collects, per benchmark, the seconds per iteration of every repetition (ours, and OpenBLAS
// beside it when it ran), printing nothing.
class RepetitionCollector : public benchmark::BenchmarkReporter {
public:
    struct Repetition {
        double seconds, openblas_seconds;  // openblas_seconds is 0 when it did not run
        double ours_of_peak, openblas_of_peak;  // mean paired fractions of the peak (0: none)
    };

    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.run_type != Run::RT_Iteration || run.error_occurred || run.iterations == 0)
                continue;
            const double iterations = double(run.iterations);
            repetitions[run.run_name.function_name].push_back(
                {run.real_accumulated_time / iterations,
                 run.counters.at("openblas_seconds") / iterations,
                 run.counters.at("ours_of_peak") / iterations,
                 run.counters.at("openblas_of_peak") / iterations});
        }
    }

    // Best GFLOP/s of ours and of OpenBLAS, and the medians of their paired ratios to each
    // other and to the peak; negative where the benchmark (or OpenBLAS in it) did not run.
    struct Summary {
        double gflops = -1, openblas_gflops = -1, ratio = -1;
        double of_peak = -1, openblas_of_peak = -1;
    };
    Summary summary(const std::string& name, const GemmShape& s) const {
        Summary result;
        auto it = repetitions.find(name);
        if (it == repetitions.end()) return result;
        const double flops = 2.0 * s.M * s.N * s.K;
        std::vector<double> ratios, of_peak, openblas_of_peak;
        for (const Repetition& r : it->second) {
            result.gflops = std::max(result.gflops, flops / r.seconds * 1e-9);
            if (r.ours_of_peak > 0) of_peak.push_back(r.ours_of_peak);
            if (r.openblas_seconds <= 0) continue;
            result.openblas_gflops =
                std::max(result.openblas_gflops, flops / r.openblas_seconds * 1e-9);
            ratios.push_back(r.openblas_seconds / r.seconds);
            openblas_of_peak.push_back(r.openblas_of_peak);
        }
        result.ratio = median(ratios);
        result.of_peak = median(of_peak);
        result.openblas_of_peak = median(openblas_of_peak);
        return result;
    }

private:
    static double median(std::vector<double> values) {  // -1 when empty
        if (values.empty()) return -1;
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
    }

    std::map<std::string, std::vector<Repetition>> repetitions;
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

// What Google Benchmark gets to parse. Repetitions run in random interleaved order, so a burst of
// load from other processes spreads over all kernels instead of hitting one.
std::vector<std::string> benchmark_words(const Args& args) {
    std::vector<std::string> words = {"induction", "--benchmark_enable_random_interleaving=true"};
    if (args.has("filter")) words.push_back("--benchmark_filter=" + args.get("filter"));
    return words;
}

const char* const MICRO_KERNEL_NAME = "kernel/alone/threads:1";

// Ours (with OpenBLAS in the same iterations) and the naive reference at every shape and thread
// count, and, for the table, the micro-kernel alone.
void register_gemm_benchmarks(const std::vector<int>& thread_counts, bool have_openblas, bool quick,
                              bool cpu_time, bool micro_kernel) {
    benchmark::ClearRegisteredBenchmarks();
    for (const GemmShape& s : SHAPES)
        for (int threads : thread_counts)
            for (bool naive : {false, true}) {
                if (naive && (threads > 1 || std::max({s.M, s.N, s.K}) > NAIVE_MAX_SIZE)) continue;
                benchmark::RegisterBenchmark(
                    benchmark_name(naive ? "naive" : "ours", s, threads).c_str(), time_gemm, s,
                    threads, naive, have_openblas && !naive, cpu_time)
                    ->UseManualTime()
                    ->MinTime(quick ? 0.02 : 0.05)
                    ->Repetitions(quick ? 1 : 8);
            }
    if (micro_kernel)
        benchmark::RegisterBenchmark(MICRO_KERNEL_NAME, time_micro_kernel, cpu_time)
            ->UseManualTime()
            ->MinTime(quick ? 0.02 : 0.05)
            ->Repetitions(quick ? 1 : 8);
}

// --json: the single-thread peak and ours against OpenBLAS per shape and thread count.
void print_json(const RepetitionCollector& collector, const std::map<int, double>& peak,
                const std::vector<int>& thread_counts) {
    std::printf("{\"peak_gflops\": %.2f, \"results\": [", peak.at(1));
    const char* separator = "";
    for (const GemmShape& s : SHAPES)
        for (int threads : thread_counts) {
            auto ours = collector.summary(benchmark_name("ours", s, threads), s);
            if (ours.gflops < 0) continue;  // filtered out
            std::printf("%s{\"m\": %lld, \"n\": %lld, \"k\": %lld, \"threads\": %d, "
                        "\"ours_gflops\": %.2f, \"openblas_gflops\": %s}",
                        separator, (long long)s.M, (long long)s.N, (long long)s.K, threads,
                        ours.gflops,
                        ours.openblas_gflops < 0
                            ? "null"
                            : format_number(ours.openblas_gflops, "%.2f").c_str());
            separator = ", ";
        }
    std::printf("]}\n");
}

// The table: the peaks, the micro-kernel alone, then ours, OpenBLAS and naive per shape.
void print_table(const RepetitionCollector& collector, const std::map<int, double>& peak,
                 const std::vector<int>& thread_counts, bool cpu_time) {
    print_load_average("after");
    std::printf("timed by %s\n", cpu_time ? "process CPU time / threads" : "the wall clock");
    for (auto [threads, gflops] : peak)
        std::printf("measured FMA peak, %d thread%s: %.1f GFLOP/s\n", threads,
                    threads > 1 ? "s" : "", gflops);
    const auto kernel = collector.summary(MICRO_KERNEL_NAME, micro_kernel_shape());
    if (kernel.gflops >= 0) {
        const cpu::MicroTile tile = cpu::sgemm_micro_tile();
        std::printf("micro-kernel alone, 1 thread (%lldx%lld tile, A in L1, B block %lldx%lld "
                    "in L2): %.1f GFLOP/s, %.0f%% of peak\n",
                    (long long)tile.rows, (long long)tile.cols, (long long)tile.depth,
                    (long long)tile.block_cols, kernel.gflops, 100 * kernel.of_peak);
    }
    std::printf("\n%-26s %7s %10s %10s %10s %8s %10s %11s\n", "C = op(A) * B", "threads",
                "ours GF/s", "OpenBLAS", "ours/BLAS", "% peak", "BLAS %peak", "naive GF/s");
    for (const GemmShape& s : SHAPES)
        for (int threads : thread_counts) {
            auto ours = collector.summary(benchmark_name("ours", s, threads), s);
            auto naive = collector.summary(benchmark_name("naive", s, threads), s);
            if (ours.gflops < 0) continue;
            std::printf("%-26s %7d %10s %10s %10s %8s %10s %11s\n", shape_label(s).c_str(),
                        threads, format_number(ours.gflops, "%.1f").c_str(),
                        format_number(ours.openblas_gflops, "%.1f").c_str(),
                        format_number(ours.ratio, "%.2f").c_str(),
                        format_number(100 * ours.of_peak, "%.0f%%").c_str(),
                        format_number(100 * ours.openblas_of_peak, "%.0f%%").c_str(),
                        format_number(naive.gflops, "%.2f").c_str());
        }
    std::printf("(GF/s: best repetition; ours/BLAS and %% peak: medians of paired ratios, the peak\n"
                " from a burst of the peak loop right after the products in each iteration)\n");
}

int run_gemm_bench(const Args& args) {
    choose_peer_core(args);  // before anything loads OpenBLAS (tools/bench/openblas.h)
    const bool json = args.flag("json"), quick = args.flag("quick"), cpu_time = args.flag("cpu-time");
    std::vector<std::string> words = benchmark_words(args);  // outlives Initialize, which keeps argv[0]
    std::vector<char*> benchmark_argv;
    for (std::string& word : words) benchmark_argv.push_back(word.data());
    int benchmark_argc = int(benchmark_argv.size());
    benchmark::Initialize(&benchmark_argc, benchmark_argv.data());

    const int default_threads = cpu::gemm_threads();  // restored at the end
    std::vector<int> thread_counts = {1};
    if (default_threads > 1) thread_counts.push_back(2);
    const bool have_openblas = openblas_available();
    register_gemm_benchmarks(thread_counts, have_openblas, quick, cpu_time, /*micro_kernel=*/!json);

    std::map<int, double> peak;  // threads -> GFLOP/s
    for (int threads : thread_counts) peak[threads] = measure_fma_peak_gflops(threads, cpu_time);
    if (!json) {
        std::printf("OpenBLAS: %s\n", openblas_description().c_str());
        if (have_openblas) std::printf("%s\n", peer_core_line(openblas_core(), true).c_str());
        print_load_average("before");
        std::fflush(stdout);
    }
    RepetitionCollector collector;
    benchmark::RunSpecifiedBenchmarks(&collector);
    set_threads(default_threads);
    for (int threads : thread_counts)
        peak[threads] = std::max(peak[threads], measure_fma_peak_gflops(threads, cpu_time));

    if (json)
        print_json(collector, peak, thread_counts);
    else
        print_table(collector, peak, thread_counts, cpu_time);
    return 0;
}

}  // namespace

const Command BENCH_GEMM_COMMAND = {
    {"bench gemm", "[options]",
     "Times our SGEMM against OpenBLAS and the naive reference at square and training shapes, at 1 and 2 "
     "threads, with the measured FMA peak.",
     {{"json", "",
       "print only {\"peak_gflops\": p, \"results\": [{\"m\", \"n\", \"k\", \"threads\", \"ours_gflops\", "
       "\"openblas_gflops\"}]}; p is the single-thread peak, openblas_gflops null without OpenBLAS"},
      {"quick", "", "one short repetition per benchmark (a smoke run, not a measurement)"},
      {"cpu-time", "",
       "time by process CPU time / threads instead of the wall clock, peak included: on a busy machine this "
       "leaves out the time other processes held the cores"},
      {"filter", "REGEX", "only the benchmarks whose names match (Google Benchmark's --benchmark_filter)"},
      peer_core_option()}},
    run_gemm_bench};

}  // namespace induction
