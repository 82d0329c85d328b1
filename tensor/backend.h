// backend.h — the backend table: one Backend value per backend, and dispatch() over them.
//
// A Backend names a device, a kernel per op (tensor/op.h) and, through `accepts`, which calls of
// those ops it can run (dtypes, parameters: a GPU backend may refuse f64 or head windows, as
// ggml's supports_op does). The registry (tensor/backend.cpp) lists every backend built in:
// reference and cpu today; a new backend is a new folder under tensor/ and one line there.
//
// dispatch() runs a call on the fast backend of its tensors' device. A test or an auditor asks
// for another backend by name and runs ops on it with ScopedBackend:
//     ScopedBackend on_reference(backend_named("reference"));
// dispatch() can hand every call it runs, with the backend that ran it, to a CallRecorder: how
// the parity harness captures a case's calls, replays them and records its coverage.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/op.h"
#include "tensor/scope_guard.h"

namespace induction {

using Kernel = void (*)(const OpCall& call);
using KernelTable = std::array<Kernel, static_cast<size_t>(Op::OP_COUNT)>;  // nullptr: no kernel

struct Backend {
    const char* name;      // "reference", "cpu", "cuda"
    Device device;         // where the tensors it runs on live
    bool is_reference;     // the plain-loop tier every other backend is tested against
    KernelTable kernels;   // kernels[int(op)]
    // Which calls of an op with a kernel it runs (dtypes, parameters); nullptr: all of them.
    bool (*accepts)(const OpCall& call) = nullptr;
};

Kernel kernel_for(const Backend& backend, Op op);
bool supports(const Backend& backend, const OpCall& call);

// Every backend of this build, in registration order (the reference backend first).
const std::vector<const Backend*>& backends();
// The registered backend of that name; an error lists the registered names.
const Backend& backend_named(const std::string& name);
// The backend dispatch() uses for a device: its fast (non-reference) backend.
const Backend& default_backend(Device device);

// While alive, ops on this thread whose tensors are on `backend.device` run on `backend`.
class ScopedBackend : ScopeGuard {
public:
    explicit ScopedBackend(const Backend& backend);
    ~ScopedBackend();

private:
    const Backend* previous_;
};

// Runs a call on the backend of its tensors' device (all must agree). Throws when that backend
// has no kernel for the op or does not accept the call.
void dispatch(const OpCall& call);

// While alive, every call dispatched on this thread is appended to `calls` after it ran (its
// outputs then hold the results), with the backend that ran it. Recorders do not nest.
struct RecordedCall {
    OpCall call;
    const Backend* backend;
};
class CallRecorder : ScopeGuard {
public:
    CallRecorder();
    ~CallRecorder();

    std::vector<RecordedCall> calls;
};

}  // namespace induction
