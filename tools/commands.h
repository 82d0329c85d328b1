// commands.h — the subcommands of the `induction` CLI, one function each (tools/cmd_*.cpp).
//
// Each takes the arguments after its name (argv[0] is the command name) and returns the process
// exit status. Errors are thrown as induction::Error and printed by main as one line.
#pragma once

namespace induction {

int run_train_command(int argc, char** argv);    // tools/cmd_train.cpp
int run_presets_command(int argc, char** argv);  // tools/cmd_train.cpp
int run_corpus_command(int argc, char** argv);   // tools/cmd_train.cpp
int run_eval_command(int argc, char** argv);     // tools/cmd_eval.cpp
int run_heads_command(int argc, char** argv);    // tools/cmd_heads.cpp
int run_circuits_command(int argc, char** argv); // tools/cmd_circuits.cpp
int run_ablate_command(int argc, char** argv);   // tools/cmd_ablate.cpp
int run_report_command(int argc, char** argv);   // tools/cmd_report.cpp
int run_run_command(int argc, char** argv);      // tools/cmd_run.cpp
int run_analyze_command(int argc, char** argv);  // tools/cmd_run.cpp
int run_bench_command(int argc, char** argv);  // tools/bench/bench_command.cpp
int run_gemm_bench(int argc, char** argv);     // tools/bench/bench_gemm.cpp
int run_train_bench(int argc, char** argv);    // tools/bench/bench_train.cpp
int run_ablate_bench(int argc, char** argv);   // tools/bench/bench_ablate.cpp

}  // namespace induction
