// op.cpp — the op name table, kernel-tier selection and device dispatch.
//
// With INDUCTION_PROFILE=1 in the environment, dispatch() times every op call and the process
// prints a table of calls and seconds per op when it exits: where a training step's time goes.
#include "tensor/op.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace induction {

namespace {

constexpr OpInfo OP_TABLE[] = {
    {"add", true},     {"sub", true},     {"mul", true},      {"div", true},
    {"neg", true},     {"exp", true},     {"log", true},      {"sqrt", true},
    {"relu", true},    {"gelu", true},    {"sigmoid", true},  {"scale", true},
    {"unary_backward", false},            {"where", true},
    {"sum", true},     {"mean", true},    {"max", true},      {"max_backward", false},
    {"broadcast_to", true},
    {"matmul", true},
    {"softmax", true}, {"softmax_backward", false},
    {"cross_entropy", true}, {"cross_entropy_backward", false},
    {"layer_norm", true},    {"layer_norm_backward", false},
    {"embedding", true},     {"embedding_backward", false},
    {"shift", true},   {"shift_backward", false},
    {"slice", true},   {"slice_backward", false},
    {"concat", true},  {"permute", true},
};
static_assert(sizeof(OP_TABLE) / sizeof(OP_TABLE[0]) == static_cast<size_t>(Op::OP_COUNT),
              "every Op needs exactly one row in OP_TABLE, in enum order");

thread_local KernelTier current_tier = KernelTier::FAST;

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
};

OpProfile& profile() {
    static OpProfile instance;
    return instance;
}

}  // namespace

const OpInfo& op_info(Op op) {
    check(op < Op::OP_COUNT, "op_info: invalid op ", static_cast<int>(op));
    return OP_TABLE[static_cast<int>(op)];
}

KernelTier kernel_tier() { return current_tier; }

ScopedKernelTier::ScopedKernelTier(KernelTier tier) : previous_(current_tier) { current_tier = tier; }
ScopedKernelTier::~ScopedKernelTier() { current_tier = previous_; }

void dispatch(const OpCall& call) {
    Device device = call.outputs.empty() ? Device::CPU : call.outputs[0].device();
    for (const Tensor& t : call.inputs)
        check(t.device() == device, op_name(call.op), ": tensors on different devices (",
              describe(t), " vs ", device_name(device), ")");
    check(device == Device::CPU, op_name(call.op), ": no ", device_name(device),
          " backend in this build");
    auto run = [&] {
        if (current_tier == KernelTier::REFERENCE)
            reference::run(call);
        else
            cpu::run(call);
    };
    OpProfile& p = profile();
    if (!p.enabled) return run();
    auto start = std::chrono::steady_clock::now();
    run();
    size_t i = size_t(call.op);
    p.calls[i] += 1;
    p.seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const Tensor& out : call.outputs) p.elements[i] += double(out.numel());
}

}  // namespace induction
