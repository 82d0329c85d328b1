// backend.cpp — the backend registry and dispatch().
//
// With INDUCTION_PROFILE=1 in the environment, dispatch() times every op call and the process
// prints a table of calls and seconds per op when it exits: where a training step's time goes.
#include "tensor/backend.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>


namespace induction {

// ---- the registry: one line per backend built in ------------------------------------------------
namespace reference { extern const Backend BACKEND; }  // tensor/reference/backend.cpp
namespace cpu { extern const Backend BACKEND; }        // tensor/cpu/backend.cpp

const std::vector<const Backend*>& backends() {
    static const std::vector<const Backend*> registered = {
        &reference::BACKEND,
        &cpu::BACKEND,
    };
    return registered;
}

Kernel kernel_for(const Backend& backend, Op op) {
    return op < Op::OP_COUNT ? backend.kernels[static_cast<size_t>(op)] : nullptr;
}

bool supports(const Backend& backend, const OpCall& call) {
    return kernel_for(backend, call.op) != nullptr && (!backend.accepts || backend.accepts(call));
}

const Backend& backend_named(const std::string& name) {
    std::string known;
    for (const Backend* b : backends()) {
        if (name == b->name) return *b;
        known += (known.empty() ? "" : ", ") + std::string(b->name);
    }
    fail("no backend named '", name, "' in this build (registered: ", known, ")");
}

const Backend& default_backend(Device device) {
    for (const Backend* b : backends())
        if (b->device == device && !b->is_reference) return *b;
    fail("no ", device_name(device), " backend in this build");
}

// ---- dispatch ------------------------------------------------------------------------------------
namespace {

thread_local const Backend* chosen_backend = nullptr;  // ScopedBackend's choice on this thread
thread_local CallRecorder* recorder = nullptr;

struct OpProfile {
    bool enabled = std::getenv("INDUCTION_PROFILE") != nullptr;
    std::array<int64_t, size_t(Op::OP_COUNT)> calls{};
    std::array<double, size_t(Op::OP_COUNT)> seconds{};
    std::array<double, size_t(Op::OP_COUNT)> elements{};  // output elements written

    ~OpProfile() {
        if (!enabled) return;
        double total = 0;
        for (double s : seconds) total += s;
        std::fprintf(stderr, "\n%-24s %10s %10s %7s %12s\n", "op", "calls", "seconds", "share", "Melem/s");
        for (size_t i = 0; i < calls.size(); ++i)
            if (calls[i] > 0)
                std::fprintf(stderr, "%-24s %10lld %10.3f %6.1f%% %12.1f\n", op_name(Op(i)),
                             (long long)calls[i], seconds[i], 100 * seconds[i] / total,
                             elements[i] / seconds[i] / 1e6);
        std::fprintf(stderr, "%-24s %10s %10.3f\n", "total", "", total);
    }

    void record(const OpCall& call, std::chrono::steady_clock::time_point start) {
        size_t i = size_t(call.op);
        calls[i] += 1;
        seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (const Tensor& out : call.outputs) elements[i] += double(out.numel());
    }
};

OpProfile& profile() {
    static OpProfile instance;
    return instance;
}

const Backend& backend_for(const OpCall& call) {
    Device device = call.outputs.empty() ? Device::CPU : call.outputs[0].device();
    for (const Tensor& t : call.inputs)
        check(t.device() == device, op_name(call.op), ": tensors on different devices (",
              describe(t), " vs ", device_name(device), ")");
    if (chosen_backend && chosen_backend->device == device) return *chosen_backend;
    return default_backend(device);
}

}  // namespace

ScopedBackend::ScopedBackend(const Backend& backend) : previous_(chosen_backend) {
    chosen_backend = &backend;
}
ScopedBackend::~ScopedBackend() { chosen_backend = previous_; }

CallRecorder::CallRecorder() {
    check(recorder == nullptr, "CallRecorder: recorders do not nest");
    recorder = this;
}
CallRecorder::~CallRecorder() { recorder = nullptr; }

void dispatch(const OpCall& call) {
    const Backend& backend = backend_for(call);
    Kernel kernel = kernel_for(backend, call.op);
    check(kernel != nullptr, op_name(call.op), ": the ", backend.name, " backend has no kernel for it");
    if (backend.accepts && !backend.accepts(call))
        fail(op_name(call.op), ": the ", backend.name, " backend does not run this call (",
             call.inputs.empty() ? "no inputs" : describe(call.inputs[0]).str(), ")");
    OpProfile& p = profile();
    auto start = p.enabled ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    {
        KernelAccess access;  // the kernel may read its tensors' memory, wherever it lives
        kernel(call);
    }
    if (p.enabled) p.record(call, start);
    if (recorder) recorder->calls.push_back({call, &backend});
}

}  // namespace induction
