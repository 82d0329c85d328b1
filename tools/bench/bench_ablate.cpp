// bench_ablate.cpp — `induction bench ablate`: the single-head pattern-preserving sweep (METHODS
// §5.2), ours against the two-pass definition written in PyTorch.
//
// The workload is what `induction analyze` does at each snapshot: every head ablated in turn,
// with every layer's attention pattern frozen to the clean run's, over the first 512 windows of
// 256 tokens of a run's stored evaluation set (the benchmark's fixed size), in batches of 16. It times
//   (a) ours, as the analysis runs it: ablation_sweep read at the attribution columns;
//   (b) ours, at every column: the whole per-token loss matrix of every head, as (c) gives;
//   (c) tools/bench/torch_ablate_peer.py --clean-per-head: the naive method the definition reads
//       as, two passes per head: a clean forward pass (clean losses, patterns kept), then a whole
//       second forward pass with frozen patterns, full logits and cross-entropy;
//   (d) the same peer with one clean pass per batch shared by every head (the first of our tricks,
//       done in PyTorch), so the table also shows what the rest of ours is worth.
// Before timing, the peer's losses of every head on the first 32 windows are checked against
// ours (ablated_losses), read back from a temporary file. Then the four alternate REPEATS times,
// so that a slow moment of a shared machine hits each; the table gives the median seconds and the
// median of the paired ratios peer / ours with their range. No time includes loading, and both
// sides run warm: the check runs ours first, and the peer sweeps one batch before its clock starts.
// The peer runs at the same thread count, set up as tools/bench/torch_peer.h says (the line
// above the table names the OpenBLAS kernels it used).
// The peer needs Debian's python3-torch; without it the PyTorch columns say why they are empty.
//
// Options: BENCH_ABLATE_COMMAND at the end of this file (`induction bench ablate --help`).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/ablation.h"
#include "analysis/attribution.h"
#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tools/analysis_inputs.h"
#include "tools/args.h"
#include "tools/bench/openblas.h"
#include "tools/bench/torch_peer.h"
#include "tools/commands.h"

namespace induction {

namespace {

const char* PEER = "tools/bench/torch_ablate_peer.py";
const char* TOKENS_FILE = "/tmp/induction-bench-ablate-tokens.bin";
const char* LOSSES_FILE = "/tmp/induction-bench-ablate-losses.bin";
constexpr int64_t BATCH = 16;         // the analysis's batch (AnalysisSetup::batch_size)
constexpr int64_t WINDOWS = 512;      // the first rows of the stored evaluation set
constexpr int64_t CHECKED_ROWS = 32;  // windows whose losses the peer and ours must agree on
constexpr double TOLERANCE = 1e-4;    // nats, per token

// The last snapshot of a model's run: step-N.safetensors names are zero-padded, so the greatest
// name is the latest step.
std::string last_snapshot(const std::string& dir) {
    std::string last;
    if (std::filesystem::is_directory(dir))
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const std::string name = entry.path().filename().string();
            if (name.starts_with("step-") && name.ends_with(".safetensors") && name > last) last = name;
        }
    check(!last.empty(), "no step-*.safetensors in ", dir, ": run `make run` first");
    return dir + "/" + last;
}

template <class Work>
double seconds_of(Work&& work) {
    auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs the peer's sweep over the first `rows` windows of TOKENS_FILE (0: all) and returns its
// JSON line: {"seconds", "torch", "threads", "blas_core"}.
json::Value run_peer(const std::string& checkpoint, int64_t context, int threads, int64_t rows,
                     bool clean_per_head, const std::string& losses_file = "") {
    std::string arguments = "--checkpoint '" + checkpoint + "' --tokens " + TOKENS_FILE + " --ctx " +
                            std::to_string(context) + " --threads " + std::to_string(threads) + " --rows " +
                            std::to_string(rows);
    if (clean_per_head) arguments += " --clean-per-head";
    if (!losses_file.empty()) arguments += " --losses " + losses_file;
    return run_torch_peer(PEER, arguments, threads);
}

// The largest |peer − ours| over every head's per-token losses on the first CHECKED_ROWS windows.
double peer_difference(const Transformer& model, const std::string& checkpoint, const Tensor& tokens,
                       int threads) {
    const int64_t rows = std::min(CHECKED_ROWS, tokens.size(0)), width = tokens.size(1) - 1;
    run_peer(checkpoint, tokens.size(1), threads, rows, false, LOSSES_FILE);
    const std::string bytes = read_file_bytes(LOSSES_FILE);
    std::remove(LOSSES_FILE);
    const std::vector<HeadSet> sets = single_heads(model.config);
    check(bytes.size() == sets.size() * size_t(rows * width) * sizeof(float), LOSSES_FILE, " holds ",
          bytes.size(), " bytes, expected float32 [", sets.size(), ", ", rows, ", ", width, "]");
    const float* theirs = reinterpret_cast<const float*>(bytes.data());
    double largest = 0;
    for (const HeadSet& heads : sets) {
        const Tensor ours =
            ablated_losses(model, tokens.slice(0, rows), heads, AblationMode::PATTERN_PRESERVING, BATCH);
        for (float x : ours.to_vector()) largest = std::max(largest, std::fabs(double(*theirs++) - x));
    }
    return largest;
}

// Before timing: writes the evaluation windows to TOKENS_FILE for the peer and checks that the
// peer's per-token ablated losses equal ours.
void check_peer_agrees(const Transformer& model, const std::string& checkpoint, const Tensor& tokens, int threads) {
    write_file_atomic(TOKENS_FILE, std::string_view(static_cast<const char*>(tokens.raw_data()), tokens.nbytes()));
    const double difference = peer_difference(model, checkpoint, tokens, threads);
    std::printf("check: PyTorch's per-token ablated losses = ours (ablated_losses) for every head on "
                "%lld windows: max |difference| %.2e nats\n",
                (long long)std::min(CHECKED_ROWS, tokens.size(0)), difference);
    check(difference <= TOLERANCE, "the PyTorch peer and ours differ by ", difference, " > ", TOLERANCE, " nats");
}

// The timings of every repeat: seconds[k] per repeat for k = (a), (b), (c), (d), and for ours
// ratios[k][peer], the peer's seconds over ours in the same repeat.
struct SweepTimings {
    std::vector<double> seconds[4], ratios[2][2];
    std::string torch_version, blas_core;  // as the peer reported them
};

// ours(columns) times one of our sweeps; without a peer (peer_missing) only ours run.
template <class Ours>
SweepTimings time_sweeps(Ours&& ours, const Tensor& scored, const Tensor& all, const std::string& checkpoint,
                         int64_t T, int threads, int repeats, bool peer_missing) {
    SweepTimings t;
    for (int r = 0; r < repeats; ++r) {
        t.seconds[0].push_back(ours(scored));
        t.seconds[1].push_back(ours(all));
        if (peer_missing) continue;
        for (int peer = 0; peer < 2; ++peer) {
            const json::Value result = run_peer(checkpoint, T, threads, 0, /*clean_per_head=*/peer == 0);
            t.torch_version = result.at("torch").as_string();
            t.blas_core = result.at("blas_core").as_string();
            t.seconds[2 + peer].push_back(result.at("seconds").as_number());
            for (int k = 0; k < 2; ++k) t.ratios[k][peer].push_back(t.seconds[2 + peer].back() / t.seconds[k].back());
        }
    }
    return t;
}

// The table: median seconds of (a)-(d), and ours against each peer; why: why the peer is missing.
void print_ablate_table(const SweepTimings& t, const std::string names[4], const std::string& why, int threads,
                        int repeats) {
    if (why.empty()) {
        std::printf("peer: PyTorch %s, %d threads\n", t.torch_version.c_str(), threads);
        if (t.blas_core != "not OpenBLAS") std::printf("%s\n", peer_core_line(t.blas_core, false).c_str());
    }
    std::printf("\n%-58s %8s %18s %18s\n", "sweep (all heads, every window)", "seconds", "(c)/this [range]",
                "(d)/this [range]");
    auto ratio_text = [](const std::vector<double>& r) -> std::string {
        if (r.empty()) return "-";
        char text[48];
        std::snprintf(text, sizeof text, "%.1fx [%.1f-%.1f]", median(r), *std::min_element(r.begin(), r.end()),
                      *std::max_element(r.begin(), r.end()));
        return text;
    };
    for (int k = 0; k < 4; ++k) {
        if (k >= 2 && !why.empty()) {
            std::printf("%s: %s\n", names[k].c_str(), why.c_str());
            continue;
        }
        std::printf("%-58s %8.2f %18s %18s\n", names[k].c_str(), median(t.seconds[k]),
                    k < 2 ? ratio_text(t.ratios[k][0]).c_str() : "", k < 2 ? ratio_text(t.ratios[k][1]).c_str() : "");
    }
    std::printf("Medians of %d alternating runs; ratios: medians of the paired per-run ratios, with their range.\n",
                repeats);
}

int run_ablate_bench(const Args& args) {
    choose_peer_core(args);
    const std::string run = args.get("run");
    const std::string checkpoint = args.has("checkpoint") ? args.get("checkpoint")
                                                          : last_snapshot(run + "/attn-2l/snapshots");
    const int repeats = int(args.get_int("repeats"));
    const int threads = args.has("threads") ? args.threads() : cpu::max_threads();
    check(repeats >= 1 && threads >= 1, "--repeats and --threads must be at least 1");
    cpu::set_max_threads(threads);
    const std::string metrics = run + "/metrics";
    check(file_exists(metrics + "/eval_set.json"), "no evaluation set in ", metrics,
          ": run `make run` first");

    const LoadedCheckpoint loaded = load_checkpoint(checkpoint);
    const Transformer& model = loaded.model;
    const EvalSet eval = leading_rows(read_eval_set(metrics, model.config.d_vocab), WINDOWS);
    const int64_t N = eval.tokens.size(0), T = eval.tokens.size(1);
    const std::vector<HeadSet> sets = single_heads(model.config);
    const Tensor scored = attribution_columns(eval).columns, all = every_column(N, T);
    auto ours = [&](const Tensor& columns) {
        return seconds_of([&] {
            ablation_sweep(model, eval.tokens, columns, sets, AblationMode::PATTERN_PRESERVING, BATCH);
        });
    };
    std::printf("%s: %d layers x %d heads, each ablated in turn with patterns frozen; %lld windows of "
                "%lld tokens (%s), batch %lld, %d threads\n",
                checkpoint.c_str(), model.config.n_layers, model.config.n_heads, (long long)N,
                (long long)T, metrics.c_str(), (long long)BATCH, threads);

    const std::string why = torch_peer_unavailable(PEER);
    if (why.empty()) check_peer_agrees(model, checkpoint, eval.tokens, threads);
    const SweepTimings timings = time_sweeps(ours, scored, all, checkpoint, T, threads, repeats, !why.empty());
    std::remove(TOKENS_FILE);

    const std::string names[4] = {
        "(a) ours, attribution columns (" + std::to_string(scored.size(1)) + " per window)",
        "(b) ours, every column (" + std::to_string(T - 1) + " per window)",
        "(c) PyTorch two-pass: clean + ablated pass per head",
        "(d) PyTorch, one clean pass per batch for all heads"};
    print_ablate_table(timings, names, why, threads, repeats);
    return 0;
}

}  // namespace

const Command BENCH_ABLATE_COMMAND = {
    {"bench ablate", "[options]",
     "Times the single-head pattern-preserving ablation sweep of a snapshot, ours against the two-pass "
     "definition in PyTorch.",
     {{"run", "DIR", "the run whose DIR/metrics holds the evaluation set", "runs/default"},
      {"checkpoint", "FILE", "the snapshot (default: the last DIR/attn-2l/snapshots/step-*.safetensors)"},
      {"repeats", "N", "alternating runs of ours and the peer, at least 1", "3"},
      threads_option(), peer_core_option()}},
    run_ablate_bench};

}  // namespace induction
