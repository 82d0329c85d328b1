// openblas.h — OpenBLAS as a benchmark-only peer, loaded at run time with dlopen, and the core that
// every OpenBLAS-backed peer (this one, and PyTorch's through tools/bench/torch_peer.h) runs at.
//
// Nothing links against OpenBLAS: when the library is missing, openblas_available() is false
// and benchmarks print "OpenBLAS: absent". The OpenMP build of OpenBLAS is preferred so that its
// threads are the same OpenMP threads our kernels use.
//
// The peer's core. A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels once, when the library
// loads: the core named by OPENBLAS_CORETYPE when that is set, else the one it detects for the CPU.
// A machine may set the variable to an older core (Haswell: AVX2 only, two thirds of OpenBLAS's
// speed on an AVX-512 core or less), and a benchmark would then compare us with a handicapped peer. So by
// default (`--peer-core best`) the variable is unset while this process dlopens OpenBLAS and in
// the environment of every PyTorch peer, and OpenBLAS runs the core it chooses for this CPU;
// `--peer-core as-set` keeps the environment's value and `--peer-core NAME` sets one (SkylakeX,
// Haswell, ...). The process's own environment is left as it was. Every benchmark with such a peer
// prints peer_core_line(): the core that ran and why.
#pragma once

#include <cstdint>
#include <string>

#include "tools/args.h"

namespace induction {

// --peer-core best|as-set|NAME (default best), for every benchmark with an OpenBLAS-backed peer.
const Option& peer_core_option();

// Takes --peer-core from `args` (fails on a malformed value). Call it before the first use of
// OpenBLAS in this process and before any peer runs; without a call, the peers run at `best`.
void choose_peer_core(const Args& args);

// The `env` command a peer process runs under so that OpenBLAS sees the chosen OPENBLAS_CORETYPE:
// "env -u OPENBLAS_CORETYPE", "env OPENBLAS_CORETYPE=NAME" or "env".
std::string peer_core_env_command();

// "OpenBLAS peer: core Cooperlake (OpenBLAS's choice for this CPU (AVX-512); OPENBLAS_CORETYPE=
// Haswell was set in the environment, unset for the peer: --peer-core as-set keeps it)", for a peer
// that reported `core` (openblas_get_corename). `in_process`: the peer is the OpenBLAS of this
// process, which may have been loaded before choose_peer_core could set its core.
std::string peer_core_line(const std::string& core, bool in_process);

bool openblas_available();

// The loaded library and OpenBLAS's own configuration string (openblas_get_config), or "absent".
std::string openblas_description();

// The core the loaded OpenBLAS runs (openblas_get_corename): "Cooperlake", "Haswell"; "unknown" when
// the library lacks the function, "absent" without OpenBLAS.
std::string openblas_core();

// Same contract as cpu::sgemm (row-major, via cblas_sgemm). Requires openblas_available().
void openblas_sgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float beta, float* C, int64_t ldc);

// Threads OpenBLAS uses from now on (no-op when absent).
void openblas_set_threads(int threads);

}  // namespace induction
