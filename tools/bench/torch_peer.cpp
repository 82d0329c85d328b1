// torch_peer.cpp — one way to run every benchmark's PyTorch peer (torch_peer.h).
#include "tools/bench/torch_peer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "model/io/file_io.h"
#include "tools/bench/openblas.h"

namespace induction {

namespace {
const char* PYTHON = "/usr/bin/python3";
}  // namespace

std::string torch_peer_unavailable(const std::string& script) {
    if (std::system((std::string(PYTHON) + " -c 'import torch' >/dev/null 2>&1").c_str()) != 0)
        return "python3-torch not installed (apt-get install python3-torch libopenblas0-openmp)";
    if (!file_exists(script)) return script + " not found (run from the repository root)";
    return "";
}

json::Value run_torch_peer(const std::string& script, const std::string& arguments, int threads) {
    const std::string command = peer_core_env_command() + " OMP_NUM_THREADS=" + std::to_string(threads) + " " +
                                PYTHON + " " + script + " " + arguments;
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    char buffer[256];
    while (pipe && fgets(buffer, sizeof buffer, pipe)) output += buffer;
    check(pipe && pclose(pipe) == 0, "the PyTorch peer failed: ", command);
    return json::parse(output);
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace induction
