// cmd_report.cpp — `induction report DIR...`: writes DIR/report.html for each run directory, drawn
// from the metrics files in DIR/metrics/ (written by `induction analyze`).
#include <cstdio>

#include "analysis/report/report.h"
#include "tensor/error.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace induction {

namespace {

int run_report_command(const Args& args) {
    check(!args.positional().empty(), "expected one or more run directories (DIR...)");
    for (const std::string& run_dir : args.positional()) {
        write_report(run_dir);
        std::printf("wrote %s/report.html\n", run_dir.c_str());
    }
    return 0;
}

}  // namespace

const Command REPORT_COMMAND = {
    {"report", "DIR...",
     "Writes DIR/report.html for each run directory from its DIR/metrics (written by `induction analyze`).", {}},
    run_report_command};

}  // namespace induction
