// bench_clamp.cpp — `induction bench clamp`: training steps/s of the few-shot model (METHODS §8.3),
// ours against the same model in PyTorch, unclamped and under the layer-1 clamp.
//
// The workload is one optimiser step of `induction clamp`'s few-shot runs (train/fewshot_trainer.h):
// the §8.3 model (2 attention-only layers of 8 heads, d_model 64, RoPE, 5 tokens), a batch of 32
// sequences of the §8.2 task, the query's cross-entropy, backward, Adam (lr 1e-5, betas 0.9 and
// 0.999, no decay, no clipping). The batches are sampled ahead of time (a pool of at most 512,
// cycled, as the peer does), so no time includes data generation. It times
//   (a) ours, unclamped: the trainer's step with an empty clamp schedule;
//   (b) ours, under the layer-1 clamp (model/clamp_catalogue.h layer1_clamp()): two passes per
//       step (pass B with layer 0's output replaced by the shifted embeddings, whose layer-1
//       patterns the main pass C takes), and no gradient into layer 0;
//   (c) tools/bench/fewshot_peer.py: (a) in plain PyTorch, same batch, same threads, its own
//       warm-up before its clock starts (its batches have the task's shapes but random values).
// The three alternate --repeats times, so that a slow moment of a shared machine hits each; the
// table gives the median steps/s of each and the median of the paired ratios ours / PyTorch with
// their range. The peer has no clamp, so (b) has no PyTorch column. The peer runs as
// tools/bench/torch_peer.h says (OpenBLAS at the core --peer-core chose, OMP_NUM_THREADS set,
// subnormals flushed to zero), and a line names that core. It needs Debian's python3-torch;
// without it (or with --no-peer) the PyTorch column says why it is empty.
//
// Options: BENCH_CLAMP_COMMAND at the end of this file (`induction bench clamp --help`).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/clamp_catalogue.h"
#include "model/fewshot_model.h"
#include "tensor/cpu/parallel.h"
#include "tools/bench/openblas.h"
#include "tools/bench/torch_peer.h"
#include "tools/commands.h"
#include "train/adamw.h"
#include "train/fewshot_task.h"

namespace induction {

namespace {

const char* PEER = "tools/bench/fewshot_peer.py";
constexpr int64_t POOL = 512;      // distinct batches sampled ahead of time, cycled (the peer's pool)
constexpr uint64_t INIT_SEED = 5;  // the few-shot runs' init seed (FewShotRunConfig)
constexpr double LEARNING_RATE = 1e-5;

// One timed run of one side: optimiser steps per second (warm-up excluded) and the last step's loss.
struct Timing {
    double steps_per_second = 0, final_loss = NAN;
};

// `count` training batches of `batch` sequences (streams 0, 1, ...), as model inputs.
std::vector<FewShotInputs> sample_batches(const FewShotTask& task, int64_t count, int64_t batch) {
    std::vector<FewShotInputs> batches;
    for (int64_t i = 0; i < count; ++i)
        batches.push_back(task.inputs(task.sample_training(batch, uint64_t(i)), 0, batch));
    return batches;
}

// Our training step of a fresh model, as train_fewshot takes it, `warmup` untimed steps then
// `steps` timed ones over the pooled batches.
Timing our_training(const ModelConfig& config, const ClampSchedule& clamps, const std::vector<FewShotInputs>& batches,
                    int64_t steps, int64_t warmup) {
    Transformer model = make_fewshot_model(config, INIT_SEED);
    std::vector<AdamWParameter> parameters;
    for (NamedParameter& p : model.parameters()) parameters.push_back({p.var, false});
    AdamW adam(parameters, {0.9, 0.999, 1e-8});
    auto step = [&](int64_t i) {
        const FewShotInputs& inputs = batches[size_t(i) % batches.size()];
        Interventions interventions;
        Var logits = clamped_forward(clamps, i, fewshot_clamped_model(model, inputs), interventions);
        Var loss = fewshot_loss(logits, inputs.targets);
        for (AdamWParameter& p : parameters) p.var->zero_grad();
        backward(loss);
        adam.step(LEARNING_RATE, 0.0, global_grad_norm(parameters));
        return loss;
    };
    for (int64_t i = 0; i < warmup; ++i) step(i);  // allocator cache, thread pool
    const auto start = std::chrono::steady_clock::now();
    Var loss;
    for (int64_t i = 0; i < steps; ++i) loss = step(warmup + i);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return {double(steps) / seconds, loss.value().item()};
}

// The peer's JSON line: {"steps_per_second", "final_loss", "torch", "blas_core", "blas_config",
// "flush_denormal", ...} (tools/bench/fewshot_peer.py).
json::Value torch_training(int64_t steps, int64_t warmup, int64_t batch, int threads) {
    return run_torch_peer(PEER,
                          "--steps " + std::to_string(steps) + " --warmup " + std::to_string(warmup) + " --batch " +
                              std::to_string(batch) + " --threads " + std::to_string(threads) + " --seed " +
                              std::to_string(INIT_SEED),
                          threads);
}

std::string format(const char* format, double value) {
    char text[48];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

// Every repeat of the three: ours unclamped, ours clamped, and the peer (empty without it), with
// the peer's description as it reported it.
struct Timings {
    std::vector<Timing> unclamped, clamped, peer;
    std::string torch_version, blas_core, blas_config;
    bool flush_denormal = false;
};

double median_of(const std::vector<Timing>& side, double Timing::*field) {
    std::vector<double> values;
    for (const Timing& t : side) values.push_back(t.*field);
    return values.empty() ? NAN : median(values);
}

// One table row: median steps/s of ours and of the peer, with the paired ratios' median and range.
void print_row(const char* name, const std::vector<Timing>& ours, const std::vector<Timing>& theirs) {
    std::string peer_text = "-", ratio_text = "-", range_text = "-";
    if (!theirs.empty()) {
        std::vector<double> ratios;
        for (size_t r = 0; r < ours.size(); ++r)
            ratios.push_back(ours[r].steps_per_second / theirs[r].steps_per_second);
        peer_text = format("%.0f", median_of(theirs, &Timing::steps_per_second));
        ratio_text = format("%.2fx", median(ratios));
        range_text = format("%.2f", *std::min_element(ratios.begin(), ratios.end())) + "-" +
                     format("%.2f", *std::max_element(ratios.begin(), ratios.end()));
    }
    std::printf("%-30s %13.0f %16s %13s %13s\n", name, median_of(ours, &Timing::steps_per_second),
                peer_text.c_str(), ratio_text.c_str(), range_text.c_str());
}

void print_clamp_table(const Timings& t, const std::string& why, int repeats, int64_t steps, int64_t warmup) {
    std::printf("%-30s %13s %16s %13s %13s\n", "training step", "ours steps/s", "PyTorch steps/s",
                "ours/PyTorch", "ratio range");
    print_row("few-shot step (unclamped)", t.unclamped, t.peer);
    if (!why.empty()) std::printf("  (PyTorch: %s)\n", why.c_str());
    print_row("few-shot step (layer-1 clamp)", t.clamped, {});
    std::printf("Medians of %d alternating runs of %lld timed steps each (after %lld warm-up steps); ratio: "
                "median of the paired ratios.\n",
                repeats, (long long)steps, (long long)warmup);
    std::printf("The layer-1 clamp's step (two passes) takes %.2fx the unclamped step's time (ours); the peer has no "
                "clamp.\n",
                median_of(t.unclamped, &Timing::steps_per_second) / median_of(t.clamped, &Timing::steps_per_second));
    std::printf("last step's loss: ours %.4f unclamped, %.4f layer-1 clamp",
                median_of(t.unclamped, &Timing::final_loss), median_of(t.clamped, &Timing::final_loss));
    if (!t.peer.empty()) std::printf(", PyTorch %.4f", median_of(t.peer, &Timing::final_loss));
    std::printf("\n  (a sanity check, not a comparison: ln 5 = %.4f is chance; the peer's batches are random)\n",
                std::log(5.0));
    if (t.peer.empty()) return;
    std::printf("peer: PyTorch %s%s, BLAS: %s\n", t.torch_version.c_str(),
                t.flush_denormal ? " with subnormals flushed to zero (torch.set_flush_denormal)" : "",
                t.blas_config.c_str());
    if (t.blas_core != "not OpenBLAS") std::printf("%s\n", peer_core_line(t.blas_core, false).c_str());
}

void print_load_average(const char* when) {
    double load[1];
    if (getloadavg(load, 1) == 1)
        std::printf("load average %s the run: %.1f (other processes disturb timings)\n", when, load[0]);
}

int run_clamp_bench(const Args& args) {
    choose_peer_core(args);
    const int64_t steps = args.get_int("steps"), warmup = args.get_int("warmup"), batch = args.get_int("batch");
    const int repeats = int(args.get_int("repeats"));
    const int threads = args.has("threads") ? args.threads() : 1;
    check(steps >= 1 && warmup >= 0 && batch >= 1 && repeats >= 1,
          "--steps, --batch and --repeats must be at least 1, --warmup at least 0");
    cpu::set_max_threads(threads);
    const FewShotTask task{FewShotTaskConfig{}};
    const ModelConfig config = fewshot_model_config(task.config().feature_dim, task.config().labels);
    const ClampSchedule clamp = layer1_clamp();
    clamp.validate_for(config, "the layer-1 clamp");
    const std::vector<FewShotInputs> batches = sample_batches(task, std::min(POOL, warmup + steps), batch);
    const std::string why = args.flag("no-peer") ? "not run (--no-peer)" : torch_peer_unavailable(PEER);

    print_load_average("before");
    std::printf("few-shot model (METHODS 8.3): %d layers x %d heads, d_model %d, %lld tokens; batch %lld, Adam lr "
                "%.0e; %d thread%s%s\n\n",
                config.n_layers, config.n_heads, config.d_model, (long long)config.n_ctx, (long long)batch,
                LEARNING_RATE, threads, threads > 1 ? "s" : "", why.empty() ? ", ours and the peer" : "");
    Timings t;
    for (int r = 0; r < repeats; ++r) {
        t.unclamped.push_back(our_training(config, {}, batches, steps, warmup));
        t.clamped.push_back(our_training(config, clamp, batches, steps, warmup));
        if (!why.empty()) continue;
        const json::Value peer = torch_training(steps, warmup, batch, threads);
        t.peer.push_back({peer.at("steps_per_second").as_number(), peer.at("final_loss").as_number()});
        t.torch_version = peer.at("torch").as_string();
        t.blas_core = peer.at("blas_core").as_string();
        t.blas_config = peer.at("blas_config").as_string();
        t.flush_denormal = peer.at("flush_denormal").as_bool();
    }
    print_clamp_table(t, why, repeats, steps, warmup);
    print_load_average("after");
    return 0;
}

}  // namespace

const Command BENCH_CLAMP_COMMAND = {
    {"bench clamp", "[options]",
     "Times training steps of the few-shot model (METHODS 8.3), unclamped and under the layer-1 clamp, ours "
     "against the same model in PyTorch at the same batch and threads.",
     {{"steps", "N", "timed optimiser steps per run and side", "2000"},
      {"warmup", "N", "untimed steps before each run's clock starts", "20"},
      {"batch", "N", "sequences per step", "32"},
      {"threads", "T",
       "CPU threads for ours and the peer, 1 to " + std::to_string(Args::MAX_THREADS) +
           " (default 1: the few-shot runs of `induction clamp` use one core each)"},
      {"repeats", "N", "alternating runs of ours (unclamped, clamped) and the peer, at least 1", "3"},
      {"no-peer", "", "time ours only, without the PyTorch peer"},
      peer_core_option()}},
    run_clamp_bench};

}  // namespace induction
