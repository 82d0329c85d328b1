// induction.cpp — main() of the `induction` command line: dispatches to a subcommand.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "tensor/error.h"
#include "tools/commands.h"

namespace {

struct Command {
    const char* name;
    int (*run)(int argc, char** argv);
    const char* help;
};

const Command COMMANDS[] = {
    {"run", induction::run_run_command,
     "run [--quick] [--out DIR] [--threads N] [--seeds N]   the main job: train the family, analyze, report; "
     "--seeds N (1-100): train it N times into DIR/seed-K/ (seeds + K-1), summary in DIR/seeds.md"},
    {"analyze", induction::run_analyze_command,
     "analyze DIR [--examples N]   measure every snapshot of a run, write DIR/metrics and the report"},
    {"report", induction::run_report_command, "report DIR...   write DIR/report.html from DIR/metrics"},
    {"heads", induction::run_heads_command,
     "heads CHECKPOINT [--json] [--copying-ratio per-source-signed|per-source|deviation|raised-share]   the head evaluator table"},
    {"circuits", induction::run_circuits_command,
     "circuits CHECKPOINT [--json] [--baseline-draws N]   QK/OV circuits, eigenvalues, composition scores"},
    {"ablate", induction::run_ablate_command,
     "ablate CHECKPOINT [--mode pattern|full|value] [--heads L.H,L.H,...[;L.H,...]] [--tokens FILE --ctx T | --eval DIR] [--examples N] [--json]   "
     "ablate heads (every single head in turn by default) and measure the ICL and loss they carry"},
    {"train", induction::run_train_command,
     "train --preset NAME|--config FILE --out DIR [--steps N] [--resume] [--threads N]"},
    {"eval", induction::run_eval_command,
     "eval CHECKPOINT (--tokens FILE --ctx T | --text FILE) [--json]   loss by position"},
    {"presets", induction::run_presets_command, "presets [--json]   the named model configurations"},
    {"corpus", induction::run_corpus_command, "corpus [--out DIR] [--vocab N] [--check]   build the built-in corpus"},
    {"bench", induction::run_bench_command, "bench [gemm|train|ablate]   benchmarks: our kernels, training and the ablation sweep against peers"},
};

void usage() {
    std::printf("usage: induction <command> [arguments]\n\ncommands:\n");
    for (const Command& c : COMMANDS) std::printf("  %s\n", c.help);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help")) {
        usage();
        return argc < 2 ? 2 : 0;
    }
    for (const Command& c : COMMANDS) {
        if (std::strcmp(argv[1], c.name) != 0) continue;
        for (int i = 2; i < argc; ++i)
            if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
                std::printf("usage: induction %s\n", c.help);
                return 0;
            }
        try {
            return c.run(argc - 1, argv + 1);
        } catch (const induction::Error& e) {
            std::fprintf(stderr, "induction %s: %s\n", c.name, e.what());
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "induction %s: unexpected error: %s\n", c.name, e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "induction: unknown command '%s'\n", argv[1]);
    usage();
    return 2;
}
