// commands.h — the subcommands of the `induction` CLI, one Command each (tools/cmd_*.cpp,
// tools/bench/*).
//
// A Command is its Usage — name, synopsis, summary and options, declared once — and the function
// that runs it. main (tools/induction.cpp) prints `induction <command> --help` from the Usage and
// parses the arguments after the command's name with its options, so a command only ever sees
// options it declared. The function returns the process exit status; errors are thrown as
// induction::Error and printed by main as one line.
#pragma once

#include "tools/args.h"

namespace induction {

struct Command {
    Usage usage;
    int (*run)(const Args& args);
};

extern const Command RUN_COMMAND;           // tools/cmd_run.cpp
extern const Command ANALYZE_COMMAND;       // tools/cmd_run.cpp
extern const Command REPORT_COMMAND;        // tools/cmd_report.cpp
extern const Command HEADS_COMMAND;         // tools/cmd_heads.cpp
extern const Command CIRCUITS_COMMAND;      // tools/cmd_circuits.cpp
extern const Command ABLATE_COMMAND;        // tools/cmd_ablate.cpp
extern const Command TRAIN_COMMAND;         // tools/cmd_train.cpp
extern const Command EVAL_COMMAND;          // tools/cmd_eval.cpp
extern const Command AUDIT_COMMAND;         // tools/cmd_audit.cpp
extern const Command CLAMP_COMMAND;         // tools/cmd_clamp.cpp
extern const Command PRESETS_COMMAND;       // tools/cmd_train.cpp
extern const Command CORPUS_COMMAND;        // tools/cmd_train.cpp
extern const Command BENCH_COMMAND;         // tools/bench/bench_command.cpp
extern const Command BENCH_GEMM_COMMAND;    // tools/bench/bench_gemm.cpp
extern const Command BENCH_TRAIN_COMMAND;   // tools/bench/bench_train.cpp
extern const Command BENCH_ABLATE_COMMAND;  // tools/bench/bench_ablate.cpp
extern const Command BENCH_CLAMP_COMMAND;   // tools/bench/bench_clamp.cpp

}  // namespace induction
