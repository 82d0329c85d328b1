// bench_command.cpp — `induction bench [gemm|train|ablate]`: the benchmark entry point. Without a
// name it runs gemm and train; ablate needs a trained run (`make run`) and is asked for by name.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/commands.h"

namespace induction {

int run_bench_command(int argc, char** argv) {
    std::string which = argc >= 2 ? argv[1] : "all";
    if (which == "gemm") return run_gemm_bench(argc - 1, argv + 1);
    if (which == "train") return run_train_bench(argc - 1, argv + 1);
    if (which == "ablate") return run_ablate_bench(argc - 1, argv + 1);
    if (which == "all") {
        int status = run_gemm_bench(1, argv);
        return status != 0 ? status : run_train_bench(1, argv);
    }
    std::fprintf(stderr, "induction bench: unknown benchmark '%s' (expected: gemm, train, ablate)\n", which.c_str());
    return 2;
}

}  // namespace induction
