// bench_train.cpp — `induction bench train`: training throughput, ours against PyTorch.
//
// For the default preset and a larger configuration (d_model 256, 8 heads, context 512), at 1 and
// 2 threads, it times our training steps (the trainer's own train_step on random tokens) and runs
// tools/bench/torch_train_peer.py — the same model in PyTorch — with the same config and thread
// count, in the same run. The two alternate REPEATS times, so that a slow moment of a shared
// machine hits both; it prints the median tokens/s of each, the median of the paired ratios with
// their range, and our model FLOP utilisation (MFU) against the FMA peak measured in the same run.
// The peer runs as tools/bench/torch_peer.h says (OpenBLAS at the core --peer-core chose, by
// default OpenBLAS's own choice for this CPU; OMP_NUM_THREADS set; subnormals flushed to zero, as
// the peer's comment explains), and a line names that core.
// It needs Debian's python3-torch; without it the PyTorch columns say why they are empty.
//
// A second table names the places where this PyTorch build is known to be weak and measures them:
// after its timed steps each side runs PROFILED_STEPS more steps with its op groups timed (ours: a
// clock around every kernel, tools/bench/step_profile.h; PyTorch: torch.autograd.profiler, see the
// peer) and reports per step the attention's batched matmuls and the masked softmax, forward and
// backward, all other ops, and the whole step (from the timed, unprofiled steps: it also holds the
// time between ops, the autograd tape's and for PyTorch the Python interpreter's).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tensor/rng.h"
#include "tools/bench/openblas.h"
#include "tools/bench/peak.h"
#include "tools/bench/step_profile.h"
#include "tools/bench/torch_peer.h"
#include "tools/commands.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace induction {

namespace {

const char* PEER = "tools/bench/torch_train_peer.py";
constexpr int PROFILED_STEPS = 2;  // after the timed steps, per run and side: the per-op breakdown

// Matmul FLOPs of one token's forward pass; a training step costs about three times that.
double forward_flops_per_token(const TrainConfig& c) {
    const double D = c.model.d_model, H = c.model.n_heads, dh = c.model.d_head, T = double(c.context);
    double per_layer = 2 * D * H * dh * 4       // Q, K, V and O projections
                       + 2 * 2 * T * H * dh;     // scores and pattern × values (full T × T)
    if (!c.model.attn_only) per_layer += 2 * 2 * D * c.model.d_mlp;
    return c.model.n_layers * per_layer + 2 * D * c.model.d_vocab;  // + unembedding
}

// One side's measurement: throughput of the timed steps, and the op groups of one profiled step.
struct Measurement {
    double tokens_per_second = 0;
    // Per profiled step: the two weak spots and every kernel or op (framework overhead excluded).
    double attention_matmul_ms = -1, masked_softmax_ms = -1, ops_ms = -1;
};

Measurement our_training(const TrainConfig& config, int threads, int steps) {
    cpu::set_max_threads(threads);
    Transformer model = make_transformer(config.model, 0);
    std::vector<AdamWParameter> trainable;
    for (const NamedParameter& p : model.parameters())
        if (p.var->requires_grad()) trainable.push_back({p.var, p.weight_decay});
    AdamW optimizer(trainable, config.adam);
    Rng rng(1);
    auto run = [&](int64_t step) {
        train_step(model, optimizer, trainable, rng.randint({config.batch_size, config.context}, 0, config.model.d_vocab),
                   config, step);
    };
    for (int step = 0; step < 2; ++step) run(step);  // warm-up: allocator cache, thread pool
    auto start = std::chrono::steady_clock::now();
    for (int step = 0; step < steps; ++step) run(2 + step);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Measurement result;
    result.tokens_per_second = double(steps * config.tokens_per_step()) / seconds;
    TimedOps timed;
    for (int step = 0; step < PROFILED_STEPS; ++step) run(2 + steps + step);
    result.attention_matmul_ms = 1e3 * timed.seconds().attention_matmul / PROFILED_STEPS;
    result.masked_softmax_ms = 1e3 * timed.seconds().masked_softmax / PROFILED_STEPS;
    result.ops_ms = 1e3 * timed.seconds().all_ops / PROFILED_STEPS;
    return result;
}

// Runs the peer; its JSON line is {"tokens_per_second", "threads", "torch", "blas_core",
// "blas_config", "flush_denormal", "profile": {"attention_matmul_ms", "masked_softmax_ms", "ops_ms"}}.
json::Value torch_training(const TrainConfig& config, int threads, int steps) {
    const std::string config_path = "/tmp/induction-bench-train-config.json";
    json::write_file(config_path, config.to_json());
    return run_torch_peer(PEER, "--config " + config_path + " --threads " + std::to_string(threads) +
                                    " --steps " + std::to_string(steps) + " --profile --profile-steps " +
                                    std::to_string(PROFILED_STEPS),
                          threads);
}

Measurement torch_measurement(const json::Value& peer) {
    Measurement result;
    result.tokens_per_second = peer.at("tokens_per_second").as_number();
    const json::Value& profile = peer.at("profile");
    result.attention_matmul_ms = profile.at("attention_matmul_ms").as_number();
    result.masked_softmax_ms = profile.at("masked_softmax_ms").as_number();
    result.ops_ms = profile.at("ops_ms").as_number();
    return result;
}

std::string format(const char* format, double value) {
    char text[48];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

// One configuration at one thread count: every repetition of both sides.
struct Row {
    std::string config;
    int threads = 0;
    double tokens_per_step = 0;
    std::vector<Measurement> ours, theirs;  // theirs is empty without the peer

    double our_median(double Measurement::*field) const { return side_median(ours, field); }
    double their_median(double Measurement::*field) const { return side_median(theirs, field); }
    // Per-step milliseconds of the whole step, from the median throughput.
    double our_step_ms() const { return 1e3 * tokens_per_step / our_median(&Measurement::tokens_per_second); }
    double their_step_ms() const { return 1e3 * tokens_per_step / their_median(&Measurement::tokens_per_second); }

private:
    static double side_median(const std::vector<Measurement>& side, double Measurement::*field) {
        std::vector<double> values;
        for (const Measurement& m : side) values.push_back(m.*field);
        return values.empty() ? -1 : median(values);
    }
};

// The per-step breakdown: for each row, the two weak spots, the rest and the whole step, ours and
// PyTorch's with their ratio; then a sentence naming the weak spots at the heaviest row.
void print_breakdown(const std::vector<Row>& rows) {
    std::printf("\nPer training step, forward + backward, ms (PyTorch's weak spots on this CPU build):\n");
    std::printf("%-18s %7s  %-28s %10s %10s %11s\n", "config", "threads", "part of the step", "ours ms",
                "torch ms", "torch/ours");
    for (const Row& row : rows) {
        const double our_step = row.our_step_ms(), their_step = row.their_step_ms();
        const double our_attention = row.our_median(&Measurement::attention_matmul_ms);
        const double their_attention = row.their_median(&Measurement::attention_matmul_ms);
        const double our_softmax = row.our_median(&Measurement::masked_softmax_ms);
        const double their_softmax = row.their_median(&Measurement::masked_softmax_ms);
        const double our_ops = row.our_median(&Measurement::ops_ms), their_ops = row.their_median(&Measurement::ops_ms);
        const struct {
            const char* name;
            double ours, theirs;
        } parts[] = {
            {"attention batched matmuls", our_attention, their_attention},
            {"masked softmax", our_softmax, their_softmax},
            {"all other ops", our_ops - our_attention - our_softmax, their_ops - their_attention - their_softmax},
            {"whole step (timed steps)", our_step, their_step},
        };
        bool first = true;
        for (const auto& part : parts) {
            const bool have_theirs = !row.theirs.empty();
            std::printf("%-18s %7s  %-28s %10.2f %10s %11s\n", first ? row.config.c_str() : "",
                        first ? std::to_string(row.threads).c_str() : "", part.name, part.ours,
                        have_theirs ? format("%.2f", part.theirs).c_str() : "-",
                        have_theirs && part.ours > 0 ? format("%.2fx", part.theirs / part.ours).c_str() : "-");
            first = false;
        }
    }
    // The weak spots named at the row where they weigh most in PyTorch's step.
    const Row* heaviest = nullptr;
    double heaviest_share = -1;
    for (const Row& row : rows) {
        if (row.theirs.empty()) continue;
        const double share = (row.their_median(&Measurement::attention_matmul_ms) +
                              row.their_median(&Measurement::masked_softmax_ms)) /
                             row.their_median(&Measurement::ops_ms);
        if (share > heaviest_share) heaviest = &row, heaviest_share = share;
    }
    if (heaviest == nullptr) return;
    auto spot = [&](double Measurement::*field) {
        const double theirs = heaviest->their_median(field), ours = heaviest->our_median(field);
        return format("%.1fx ours", theirs / ours) + ", " +
               format("%.0f%%", 100 * theirs / heaviest->their_median(&Measurement::ops_ms)) + " of its op time";
    };
    std::printf("PyTorch's weak spots measured (%s, %d thread%s): its batched matmul (q @ k^T and pattern @ v, "
                "torch.bmm looping over matrices: %s) and its masked softmax (masked_fill + softmax: %s).\n",
                heaviest->config.c_str(), heaviest->threads, heaviest->threads > 1 ? "s" : "",
                spot(&Measurement::attention_matmul_ms).c_str(), spot(&Measurement::masked_softmax_ms).c_str());
}

// Other processes on the machine (a shared one) take cores away: a load near the core count
// leaves the 2-thread rows, and the weak-spot sentence drawn from them, meaningless.
void print_load_average(const char* when) {
    double load[1];
    if (getloadavg(load, 1) == 1)
        std::printf("load average %s the run: %.1f (other processes disturb timings)\n", when, load[0]);
}

int run_train_bench(const Args& args) {
    choose_peer_core(args);
    const bool quick = args.flag("quick");
    TrainConfig small = find_preset(default_preset_name()).config;
    TrainConfig large = small;
    large.name = "d256-h8-ctx512";
    large.model.d_model = 256;
    large.model.n_heads = 8;
    large.model.d_mlp = 1024;
    large.model.n_ctx = 512;
    large.context = 512;
    large.batch_size = 8;
    const int steps = quick ? 3 : 8, repeats = quick ? 1 : 3;
    const std::string why = torch_peer_unavailable(PEER);
    std::string torch_version, blas_core, blas_config;
    bool flush_denormal = false;
    std::vector<Row> rows;
    print_load_average("before");
    std::printf("%-18s %7s %12s %12s %7s %13s %9s %7s\n", "config", "threads", "ours tok/s",
                "torch tok/s", "ratio", "ratio range", "GFLOP/s", "MFU");
    for (const TrainConfig& config : {small, large}) {
        for (int threads : {1, 2}) {
            double peak = measure_fma_peak_gflops(threads);
            Row row{config.name, threads, double(config.tokens_per_step()), {}, {}};
            std::vector<double> ratios;
            for (int r = 0; r < repeats; ++r) {
                row.ours.push_back(our_training(config, threads, steps));
                if (!why.empty()) continue;
                const json::Value peer = torch_training(config, threads, steps);
                torch_version = peer.at("torch").as_string();
                blas_core = peer.at("blas_core").as_string();
                blas_config = peer.at("blas_config").as_string();
                flush_denormal = peer.at("flush_denormal").as_bool();
                row.theirs.push_back(torch_measurement(peer));
                ratios.push_back(row.ours.back().tokens_per_second / row.theirs.back().tokens_per_second);
            }
            const double our_median = row.our_median(&Measurement::tokens_per_second);
            const double gflops = 3 * forward_flops_per_token(config) * our_median / 1e9;
            std::string peer_text = "-", ratio_text = "-", range_text = "-";
            if (!ratios.empty()) {
                peer_text = format("%.0f", row.their_median(&Measurement::tokens_per_second));
                ratio_text = format("%.2fx", median(ratios));
                range_text = format("%.2f", *std::min_element(ratios.begin(), ratios.end())) + "-" +
                             format("%.2f", *std::max_element(ratios.begin(), ratios.end()));
            }
            std::printf("%-18s %7d %12.0f %12s %7s %13s %9.1f %6.1f%%\n", config.name.c_str(), threads,
                        our_median, peer_text.c_str(), ratio_text.c_str(), range_text.c_str(), gflops,
                        100 * gflops / peak);
            if (ratios.empty()) std::printf("  (PyTorch: %s)\n", why.c_str());
            std::fflush(stdout);
            rows.push_back(std::move(row));
        }
    }
    std::printf("Medians of %d alternating runs of %d steps each; ratio: median of the paired ratios.\n"
                "MFU: model matmul FLOPs (3x forward) per second over the FMA peak measured at that "
                "thread count.\n", repeats, steps);
    if (!torch_version.empty()) {
        std::printf("peer: PyTorch %s%s, BLAS: %s\n", torch_version.c_str(),
                    flush_denormal ? " with subnormals flushed to zero (torch.set_flush_denormal)" : "",
                    blas_config.c_str());
        if (blas_core != "not OpenBLAS") std::printf("%s\n", peer_core_line(blas_core, false).c_str());
    }
    print_breakdown(rows);
    std::printf("(ms: medians over the runs. The ops are timed in %d extra steps per run, ours with a clock around "
                "each kernel,\n PyTorch's with torch.autograd.profiler; the whole step, from the timed steps, also "
                "holds what runs between ops)\n",
                PROFILED_STEPS);
    print_load_average("after");
    return 0;
}

}  // namespace

const Command BENCH_TRAIN_COMMAND = {
    {"bench train", "[options]",
     "Times training steps of the default preset and of a larger model (d_model 256, 8 heads, context 512), "
     "ours against the same model in PyTorch, at 1 and 2 threads, and the attention's batched matmuls and "
     "masked softmax of a step on each side.",
     {{"quick", "", "3 steps and one run per configuration instead of 8 steps and 3 alternating runs"},
      peer_core_option()}},
    run_train_bench};

}  // namespace induction
