// progress.cpp — terminal vs log progress lines.
#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace induction {

Progress::Progress(std::string label, int64_t total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), terminal_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

double Progress::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::format_duration(double seconds) {
    char text[32];
    int s = int(seconds + 0.5);
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%dh%02dm", s / 3600, s / 60 % 60);
    else
        std::snprintf(text, sizeof text, "%dm%02ds", s / 60, s % 60);
    return text;
}

void Progress::update(int64_t done, const std::string& detail) {
    if (quiet_) return;
    auto now = std::chrono::steady_clock::now();
    double since_print = std::chrono::duration<double>(now - last_print_).count();
    // A terminal gets a live line a few times a second; a log gets a line every ~10% or 30 s.
    bool due = terminal_ ? since_print > 0.25
                         : (done - last_reported_) * 10 >= total_ || since_print > 30 || done == total_;
    if (!due) return;
    last_print_ = now;
    last_reported_ = done;
    double elapsed = elapsed_seconds();
    double eta = done > 0 ? elapsed * double(total_ - done) / double(done) : 0;
    std::fprintf(stderr, "%s%s %lld/%lld  %s  elapsed %s  ETA %s%s", terminal_ ? "\r\033[K" : "",
                 label_.c_str(), (long long)done, (long long)total_, detail.c_str(),
                 format_duration(elapsed).c_str(), format_duration(eta).c_str(),
                 terminal_ ? "" : "\n");
    std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
    if (quiet_) return;
    std::fprintf(stderr, "%s%s: %s (%s)\n", terminal_ ? "\r\033[K" : "", label_.c_str(),
                 summary.c_str(), format_duration(elapsed_seconds()).c_str());
}

}  // namespace induction
