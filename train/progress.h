// progress.h — progress reporting for long work: a live line on a terminal, plain periodic
// lines in CI logs (when stderr is not a terminal), nothing at all when quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace induction {

class Progress {
public:
    // total: the number of units (steps); unit_name: "step".
    Progress(std::string label, int64_t total, bool quiet = false);
    // Reports that `done` units are finished; `detail` is appended ("loss 3.21  14.2k tok/s").
    void update(int64_t done, const std::string& detail);
    void finish(const std::string& summary);

    double elapsed_seconds() const;
    static std::string format_duration(double seconds);  // "2m05s"

private:
    std::string label_;
    int64_t total_;
    bool quiet_, terminal_;
    std::chrono::steady_clock::time_point start_, last_print_;
    int64_t last_reported_ = -1;
};

}  // namespace induction
