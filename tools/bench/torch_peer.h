// torch_peer.h — running a benchmark's PyTorch peer script (tools/bench/torch_*_peer.py) at its
// best, the same way for every benchmark: Debian's /usr/bin/python3 with python3-torch, with
// OPENBLAS_CORETYPE as --peer-core chose (tools/bench/openblas.h; by default unset, so that
// OpenBLAS runs the core it picks for this CPU rather than an older one the machine may set) and
// OMP_NUM_THREADS equal to the thread count (Debian's PyTorch 1.13 on OpenMP OpenBLAS ran 3x slower
// at 2 threads without it). Each peer prints one JSON line, which includes "blas_core"
// (tools/bench/torch_peer_common.py); peer_core_line() of openblas.h words it.
#pragma once

#include <string>
#include <vector>

#include "model/io/json.h"

namespace induction {

// Why the peer script cannot run here (no python3-torch, not run from the repository root), or "".
std::string torch_peer_unavailable(const std::string& script);

// Runs `script arguments` with `threads` threads and returns its JSON line; throws naming the
// command when it fails.
json::Value run_torch_peer(const std::string& script, const std::string& arguments, int threads);

double median(std::vector<double> values);

}  // namespace induction
