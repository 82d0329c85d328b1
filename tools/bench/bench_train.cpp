// bench_train.cpp — `induction bench train`: training throughput, ours against PyTorch.
//
// For the default preset and a larger configuration (d_model 256, 8 heads, context 512), at 1 and
// 2 threads, it times our training steps (the trainer's own train_step on random tokens) and runs
// tools/bench/torch_train_peer.py — the same model in PyTorch — with the same config and thread
// count, in the same run. The two alternate REPEATS times, so that a slow moment of a shared
// machine hits both; it prints the median tokens/s of each, the median of the paired ratios with
// their range, and our model FLOP utilisation (MFU) against the FMA peak measured in the same run.
// The peer runs as tools/bench/torch_peer.h says (OpenBLAS at its own kernels, OMP_NUM_THREADS
// set) and needs Debian's python3-torch; without it the PyTorch column says why it is empty.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tensor/rng.h"
#include "tools/bench/peak.h"
#include "tools/bench/torch_peer.h"
#include "tools/commands.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace induction {

namespace {

const char* PEER = "tools/bench/torch_train_peer.py";

// Matmul FLOPs of one token's forward pass; a training step costs about three times that.
double forward_flops_per_token(const TrainConfig& c) {
    const double D = c.model.d_model, H = c.model.n_heads, dh = c.model.d_head, T = double(c.context);
    double per_layer = 2 * D * H * dh * 4       // Q, K, V and O projections
                       + 2 * 2 * T * H * dh;     // scores and pattern × values (full T × T)
    if (!c.model.attn_only) per_layer += 2 * 2 * D * c.model.d_mlp;
    return c.model.n_layers * per_layer + 2 * D * c.model.d_vocab;  // + unembedding
}

double our_tokens_per_second(const TrainConfig& config, int threads, int steps) {
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
    return double(steps * config.tokens_per_step()) / seconds;
}

// The peer's JSON line: {"tokens_per_second", "threads", "torch", "blas_core"}.
json::Value torch_training(const TrainConfig& config, int threads, int steps) {
    const std::string config_path = "/tmp/induction-bench-train-config.json";
    json::write_file(config_path, config.to_json());
    return run_torch_peer(PEER, "--config " + config_path + " --threads " + std::to_string(threads) +
                                    " --steps " + std::to_string(steps),
                          threads);
}

int run_train_bench(const Args& args) {
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
    std::string peer_versions;
    std::printf("%-18s %7s %12s %12s %7s %13s %9s %7s\n", "config", "threads", "ours tok/s",
                "torch tok/s", "ratio", "ratio range", "GFLOP/s", "MFU");
    for (const TrainConfig& config : {small, large}) {
        for (int threads : {1, 2}) {
            double peak = measure_fma_peak_gflops(threads);
            std::vector<double> ours, theirs, ratios;
            for (int r = 0; r < repeats; ++r) {
                ours.push_back(our_tokens_per_second(config, threads, steps));
                if (!why.empty()) continue;
                const json::Value peer = torch_training(config, threads, steps);
                peer_versions = "PyTorch " + peer.at("torch").as_string() + ", OpenBLAS core " +
                                peer.at("blas_core").as_string() + " (OPENBLAS_CORETYPE unset)";
                theirs.push_back(peer.at("tokens_per_second").as_number());
                ratios.push_back(ours.back() / theirs.back());
            }
            const double our_median = median(ours);
            const double gflops = 3 * forward_flops_per_token(config) * our_median / 1e9;
            char peer_text[32] = "-", ratio_text[32] = "-", range_text[32] = "-";
            if (!ratios.empty()) {
                std::snprintf(peer_text, sizeof peer_text, "%.0f", median(theirs));
                std::snprintf(ratio_text, sizeof ratio_text, "%.2fx", median(ratios));
                std::snprintf(range_text, sizeof range_text, "%.2f-%.2f",
                              *std::min_element(ratios.begin(), ratios.end()),
                              *std::max_element(ratios.begin(), ratios.end()));
            }
            std::printf("%-18s %7d %12.0f %12s %7s %13s %9.1f %6.1f%%\n", config.name.c_str(), threads,
                        our_median, peer_text, ratio_text, range_text, gflops, 100 * gflops / peak);
            if (ratios.empty()) std::printf("  (PyTorch: %s)\n", why.c_str());
        }
    }
    if (!peer_versions.empty()) std::printf("peer: %s\n", peer_versions.c_str());
    std::printf("Medians of %d alternating runs of %d steps each; ratio: median of the paired ratios.\n"
                "MFU: model matmul FLOPs (3x forward) per second over the FMA peak measured at that "
                "thread count.\n", repeats, steps);
    return 0;
}

}  // namespace

const Command BENCH_TRAIN_COMMAND = {
    {"bench train", "[options]",
     "Times training steps of the default preset and of a larger model (d_model 256, 8 heads, context 512), "
     "ours against the same model in PyTorch, at 1 and 2 threads.",
     {{"quick", "", "3 steps and one run per configuration instead of 8 steps and 3 alternating runs"}}},
    run_train_bench};

}  // namespace induction
