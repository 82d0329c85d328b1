// step_profile.cpp — a clock around every kernel of the CPU backend (step_profile.h).
#include "tools/bench/step_profile.h"

#include <chrono>
#include <utility>

#include "tensor/error.h"

namespace induction {
namespace {

const Backend* wrapped = nullptr;    // the backend whose kernels the clocks wrap
OpGroupSeconds* totals = nullptr;    // the live TimedOps' sums

void record(const OpCall& call, double seconds) {
    totals->all_ops += seconds;
    if (call.op == Op::MATMUL && call.inputs.size() >= 2 && call.inputs[0].ndim() == 4 && call.inputs[1].ndim() == 4)
        totals->attention_matmul += seconds;
    if (call.op == Op::SOFTMAX || call.op == Op::SOFTMAX_BACKWARD) totals->masked_softmax += seconds;
}

template <size_t I>
void timed_kernel(const OpCall& call) {
    const auto start = std::chrono::steady_clock::now();
    wrapped->kernels[I](call);
    record(call, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

template <size_t... I>
KernelTable timed_kernels(std::index_sequence<I...>) {
    return {{(wrapped->kernels[I] ? &timed_kernel<I> : nullptr)...}};
}

// The CPU backend with every kernel timed; `totals` must be set before it runs anything.
Backend timed_cpu_backend(OpGroupSeconds& seconds) {
    check(totals == nullptr, "TimedOps: one at a time");
    wrapped = &default_backend(Device::CPU);
    totals = &seconds;
    Backend timed = *wrapped;
    timed.name = "cpu (timed)";
    timed.kernels = timed_kernels(std::make_index_sequence<static_cast<size_t>(Op::OP_COUNT)>());
    return timed;
}

}  // namespace

TimedOps::TimedOps() : backend_(timed_cpu_backend(seconds_)), scope_(backend_) {}

TimedOps::~TimedOps() { totals = nullptr; }

}  // namespace induction
