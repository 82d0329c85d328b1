// openblas.cpp — finds OpenBLAS with dlopen and calls it through cblas_sgemm (see openblas.h).
#include "tools/bench/openblas.h"

#include <dlfcn.h>

#include "tensor/error.h"

namespace induction {
namespace {

// The CBLAS enums' values (cblas.h), declared here so no OpenBLAS header is needed.
constexpr int CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112;

using CblasSgemm = void (*)(int layout, int transpose_a, int transpose_b, int M, int N, int K,
                            float alpha, const float* A, int lda, const float* B, int ldb,
                            float beta, float* C, int ldc);
using SetThreads = void (*)(int);
using GetConfig = char* (*)();

struct OpenBlas {
    std::string path;
    CblasSgemm sgemm = nullptr;
    SetThreads set_threads = nullptr;
    GetConfig get_config = nullptr;
};

// The OpenMP build first (Debian keeps it beside the pthread build; Fedora calls it
// libopenblaso), then whichever build the system's default soname points to.
const char* const LIBRARY_CANDIDATES[] = {
    "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
    "libopenblaso.so.0",
    "libopenblas.so.0",
};

OpenBlas load() {
    for (const char* path : LIBRARY_CANDIDATES) {
        void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) continue;
        OpenBlas lib;
        lib.path = path;
        lib.sgemm = reinterpret_cast<CblasSgemm>(dlsym(handle, "cblas_sgemm"));
        lib.set_threads = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"));
        lib.get_config = reinterpret_cast<GetConfig>(dlsym(handle, "openblas_get_config"));
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

bool openblas_available() { return openblas().sgemm != nullptr; }

std::string openblas_description() {
    const OpenBlas& lib = openblas();
    if (lib.sgemm == nullptr) return "absent";
    return lib.path + (lib.get_config ? std::string(" (") + lib.get_config() + ")" : "");
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
