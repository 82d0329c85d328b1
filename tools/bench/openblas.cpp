// openblas.cpp — finds OpenBLAS with dlopen, at the chosen core, and calls it through cblas_sgemm
// (see openblas.h).
#include "tools/bench/openblas.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "tensor/error.h"

namespace induction {
namespace {

// ---- the peer's core -----------------------------------------------------------------------------

const char* const CORETYPE = "OPENBLAS_CORETYPE";

enum class CoreMode { BEST, AS_SET, NAMED };

struct PeerCore {
    CoreMode mode = CoreMode::BEST;
    std::string name;  // NAMED: the core to set
};

PeerCore& peer_core() {
    static PeerCore core;
    return core;
}

// The environment's OPENBLAS_CORETYPE, if set (an empty value counts: OpenBLAS 0.3.21 then runs
// the last core it knows, not the one it detects).
std::optional<std::string> environment_core() {
    const char* value = std::getenv(CORETYPE);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

// The widest vector extension of this CPU that OpenBLAS has kernels for, in words.
std::string cpu_vector_isa() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "AVX-512";
    if (__builtin_cpu_supports("avx2")) return "AVX2";
    return "no AVX2";
#else
    return "not x86";
#endif
}

// Whether OpenBLAS's kernels for `core` use AVX-512 (OpenBLAS 0.3.21's x86 cores).
bool avx512_core(const std::string& core);

bool same_core(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool avx512_core(const std::string& core) {
    for (const char* name : {"SkylakeX", "Cooperlake", "SapphireRapids"})
        if (same_core(core, name)) return true;
    return false;
}

// While alive, OPENBLAS_CORETYPE is what the peer should see; the destructor restores it.
class PeerCoreEnvironment {
public:
    PeerCoreEnvironment() {
        if (const char* value = std::getenv(CORETYPE)) saved_ = value;
        const PeerCore& core = peer_core();
        if (core.mode == CoreMode::BEST) unsetenv(CORETYPE);
        if (core.mode == CoreMode::NAMED) setenv(CORETYPE, core.name.c_str(), 1);
    }
    ~PeerCoreEnvironment() {
        if (saved_) setenv(CORETYPE, saved_->c_str(), 1);
        else unsetenv(CORETYPE);
    }
    PeerCoreEnvironment(const PeerCoreEnvironment&) = delete;
    PeerCoreEnvironment& operator=(const PeerCoreEnvironment&) = delete;

private:
    std::optional<std::string> saved_;
};

// ---- the library ----------------------------------------------------------------------------------

// The CBLAS enums' values (cblas.h), declared here so no OpenBLAS header is needed.
constexpr int CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112;

using CblasSgemm = void (*)(int layout, int transpose_a, int transpose_b, int M, int N, int K,
                            float alpha, const float* A, int lda, const float* B, int ldb,
                            float beta, float* C, int ldc);
using SetThreads = void (*)(int);
using GetString = char* (*)();

struct OpenBlas {
    std::string path;
    CblasSgemm sgemm = nullptr;
    SetThreads set_threads = nullptr;
    GetString get_config = nullptr;
    GetString get_corename = nullptr;
    bool loaded_before = false;  // already in the process: its core was chosen before ours
};

// The OpenMP build first (Debian keeps it beside the pthread build; Fedora calls it
// libopenblaso), then whichever build the system's default soname points to.
const char* const LIBRARY_CANDIDATES[] = {
    "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
    "libopenblaso.so.0",
    "libopenblas.so.0",
};

OpenBlas load() {
    // OpenBLAS reads OPENBLAS_CORETYPE in its constructor, which runs inside dlopen.
    PeerCoreEnvironment environment;
    for (const char* path : LIBRARY_CANDIDATES) {
        const bool loaded_before = dlopen(path, RTLD_NOW | RTLD_NOLOAD) != nullptr;
        void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) continue;
        OpenBlas lib;
        lib.path = path;
        lib.loaded_before = loaded_before;
        lib.sgemm = reinterpret_cast<CblasSgemm>(dlsym(handle, "cblas_sgemm"));
        lib.set_threads = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"));
        lib.get_config = reinterpret_cast<GetString>(dlsym(handle, "openblas_get_config"));
        lib.get_corename = reinterpret_cast<GetString>(dlsym(handle, "openblas_get_corename"));
        if (lib.sgemm != nullptr && lib.set_threads != nullptr) return lib;
        dlclose(handle);
    }
    return {};
}

const OpenBlas& openblas() {
    static const OpenBlas lib = load();
    return lib;
}

}  // namespace

const Option& peer_core_option() {
    static const Option option{
        "peer-core", "best|as-set|NAME",
        "the OpenBLAS core of the peers (OpenBLAS in this process, PyTorch's OpenBLAS): best = the one "
        "OpenBLAS picks for this CPU, with OPENBLAS_CORETYPE unset for the peers (a machine may set it to an "
        "older core such as Haswell, which holds OpenBLAS to AVX2 on an AVX-512 CPU); as-set = keep the "
        "environment's OPENBLAS_CORETYPE; NAME = run that core (SkylakeX, Cooperlake, Haswell, ...). The "
        "line 'OpenBLAS peer: core ...' says which core ran and why",
        "best"};
    return option;
}

void choose_peer_core(const Args& args) {
    const std::string value = args.get(peer_core_option().name);
    PeerCore& core = peer_core();
    if (value == "best") {
        core = {CoreMode::BEST, ""};
    } else if (value == "as-set") {
        core = {CoreMode::AS_SET, ""};
    } else {
        const bool name_like = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
        check(name_like, "--peer-core: expected best, as-set or a core name such as SkylakeX, got '", value, "'");
        core = {CoreMode::NAMED, value};
    }
}

std::string peer_core_env_command() {
    const PeerCore& core = peer_core();
    switch (core.mode) {
        case CoreMode::BEST: return std::string("env -u ") + CORETYPE;
        case CoreMode::AS_SET: return "env";
        case CoreMode::NAMED: return std::string("env ") + CORETYPE + "=" + core.name;
    }
    return "env";
}

std::string peer_core_line(const std::string& core, bool in_process) {
    const PeerCore& chosen = peer_core();
    const std::optional<std::string> environment = environment_core();
    const std::string own_choice = "OpenBLAS's choice for this CPU (" + cpu_vector_isa() + ")";
    std::string why;
    if (chosen.mode == CoreMode::NAMED) {
        why = std::string(CORETYPE) + "=" + chosen.name + " by --peer-core";
        if (environment) why += ", in place of the environment's " + *environment;
        if (!same_core(core, chosen.name))
            why += "; OpenBLAS did not take " + chosen.name + " (a core this build lacks, or one this CPU cannot run)";
    } else if (!environment) {
        why = own_choice + "; " + CORETYPE + " not set";
    } else if (chosen.mode == CoreMode::AS_SET) {
        why = std::string(CORETYPE) + "=" + *environment + " from the environment, kept by --peer-core as-set; " +
              "--peer-core best gives " + own_choice;
    } else {
        why = own_choice + "; " + CORETYPE + "=" + *environment +
              " was set in the environment, unset for the peer: --peer-core as-set keeps it";
    }
    if (cpu_vector_isa() == "AVX-512" && !avx512_core(core) && core != "unknown")
        why += "; this CPU has AVX-512 and " + core + " does not use it: try --peer-core SkylakeX";
    if (in_process && openblas().loaded_before)
        why += "; OpenBLAS was loaded before the benchmark could choose its core";
    return "OpenBLAS peer: core " + core + " (" + why + ")";
}

bool openblas_available() { return openblas().sgemm != nullptr; }

std::string openblas_description() {
    const OpenBlas& lib = openblas();
    if (lib.sgemm == nullptr) return "absent";
    return lib.path + (lib.get_config ? std::string(" (") + lib.get_config() + ")" : "");
}

std::string openblas_core() {
    const OpenBlas& lib = openblas();
    if (lib.sgemm == nullptr) return "absent";
    return lib.get_corename ? lib.get_corename() : "unknown";
}

void openblas_sgemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float beta, float* C, int64_t ldc) {
    check(openblas_available(), "openblas_sgemm: OpenBLAS is not loaded (libopenblas.so.0 absent)");
    openblas().sgemm(CBLAS_ROW_MAJOR, transpose_a ? CBLAS_TRANS : CBLAS_NO_TRANS,
                     transpose_b ? CBLAS_TRANS : CBLAS_NO_TRANS, int(M), int(N), int(K), alpha, A,
                     int(lda), B, int(ldb), beta, C, int(ldc));
}

void openblas_set_threads(int threads) {
    if (openblas_available()) openblas().set_threads(threads);
}

}  // namespace induction
