// bench_command.cpp — `induction bench`: runs the gemm and train benchmarks with their default
// options. Each benchmark is also a command of its own (`induction bench gemm|train|ablate|clamp`);
// ablate needs a trained run (`make run`), and it and clamp are asked for by name.
#include "tensor/error.h"
#include "tools/commands.h"

namespace induction {

namespace {

int run_every_bench(const Args& args) {
    if (!args.positional().empty())
        fail("unknown benchmark '", args.positional()[0], "' (expected: gemm, train, ablate, clamp)");
    for (const Command* bench : {&BENCH_GEMM_COMMAND, &BENCH_TRAIN_COMMAND})
        if (int status = bench->run(Args({}, bench->usage.options)); status != 0) return status;
    return 0;
}

}  // namespace

const Command BENCH_COMMAND = {
    {"bench", "[gemm|train|ablate|clamp]",
     "Benchmarks our kernels, training, the ablation sweep and the few-shot clamp step against peers; "
     "without a name, gemm then train.",
     {}},
    run_every_bench};

}  // namespace induction
