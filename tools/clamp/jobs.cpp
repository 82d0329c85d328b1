// jobs.cpp — a small process pool for few-shot runs (posix_spawn of this binary).
#include "tools/clamp/jobs.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "model/io/file_io.h"
#include "train/progress.h"

extern char** environ;

namespace induction {

namespace {

bool already_done(const Job& job) {
    if (!job.command.empty()) return file_exists(job.done_file);
    if (!file_exists(job.out_dir + "/result.json") || !file_exists(job.out_dir + "/spec.json")) return false;
    return json::dump(json::read_file(job.out_dir + "/spec.json")) == json::dump(job.spec.to_json());
}

std::string this_binary() {
    char path[4096];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    check(n > 0, "clamp: cannot find this binary (/proc/self/exe) to run the jobs");
    path[n] = '\0';
    return path;
}

// Starts one job; its stdout and stderr go to DIR/run.log.
pid_t spawn_job(const std::string& binary, const Job& job) {
    make_directories(job.out_dir);
    const std::string spec_path = job.out_dir + "/job_spec.json";
    if (job.command.empty()) json::write_file(spec_path, job.spec.to_json());
    const std::string log = job.out_dir + "/run.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> words = {binary, "clamp", "--spec", spec_path, "--out", job.out_dir, "--quiet",
                                      "--threads", "1"};
    if (!job.command.empty()) {
        words = job.command;
        words.insert(words.begin(), binary);
    }
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    check(error == 0, "clamp: could not start job '", job.name, "' (posix_spawn error ", error, ")");
    return pid;
}

}  // namespace

BackgroundJobs start_in_background(const std::vector<Job>& jobs) {
    const std::string binary = this_binary();
    BackgroundJobs background{jobs, {}};
    for (const Job& job : jobs) background.pids.push_back(already_done(job) ? 0 : spawn_job(binary, job));
    return background;
}

void wait_for(BackgroundJobs& background) {
    for (size_t i = 0; i < background.jobs.size(); ++i) {
        if (background.pids[i] == 0) continue;
        int status = 0;
        check(waitpid(background.pids[i], &status, 0) == background.pids[i], "clamp: waiting for a job failed");
        background.pids[i] = 0;
        const Job& job = background.jobs[i];
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clamp: job '", job.name, "' failed; see ",
              job.out_dir, "/run.log");
    }
}

std::vector<json::Value> run_jobs(const std::vector<Job>& jobs, int parallel, bool quiet) {
    const std::string binary = this_binary();
    std::map<pid_t, size_t> running;
    size_t next = 0, finished = 0;
    Progress progress("clamp runs", int64_t(jobs.size()), quiet);
    // Polls this pool's own children only: background jobs are left to wait_for().
    auto wait_one = [&] {
        for (;;) {
            for (auto [pid, index] : running) {
                int status = 0;
                const pid_t done = waitpid(pid, &status, WNOHANG);
                check(done >= 0, "clamp: waiting for job '", jobs[index].name, "' failed");
                if (done == 0) continue;
                running.erase(pid);
                check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clamp: job '", jobs[index].name,
                      "' failed; see ", jobs[index].out_dir, "/run.log");
                progress.update(int64_t(++finished), jobs[index].name);
                return;
            }
            usleep(20000);
        }
    };
    for (; next < jobs.size(); ++next) {
        if (already_done(jobs[next])) {
            progress.update(int64_t(++finished), jobs[next].name + " (done before)");
            continue;
        }
        while (int(running.size()) >= std::max(1, parallel)) wait_one();
        running[spawn_job(binary, jobs[next])] = next;
    }
    while (!running.empty()) wait_one();
    progress.finish(std::to_string(jobs.size()) + " runs");
    std::vector<json::Value> results;
    for (const Job& job : jobs)
        results.push_back(job.command.empty() ? json::read_file(job.out_dir + "/result.json") : json::Value());
    return results;
}

}  // namespace induction
