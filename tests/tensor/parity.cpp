// parity.cpp — the parity harness's runner: record on the reference backend, replay on the
// backend under test into poisoned, guarded outputs, compare.
#include "tests/tensor/parity.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "tensor/cpu/parallel.h"

namespace induction::testing {

namespace {

constexpr unsigned char GUARD_BYTE = 0xA5;
constexpr size_t GUARD_BYTES = 64;  // one cache line each side, so outputs stay 64-byte aligned

// An output of the given shape and dtype inside a buffer [guard | output | guard]; the guards
// hold GUARD_BYTE, the output holds NaN (floats) or INT32_MIN.
struct GuardedOutput {
    Tensor buffer, view;

    GuardedOutput(const Tensor& like) {
        size_t element = dtype_size(like.dtype()), guard = GUARD_BYTES / element;
        int64_t n = like.numel();
        buffer = Tensor::empty({n + 2 * int64_t(guard)}, like.dtype());
        std::memset(buffer.raw_data(), GUARD_BYTE, buffer.nbytes());
        view = buffer.slice(int64_t(guard), int64_t(guard) + n).reshape(like.shape());
        view.fill(is_floating(like.dtype()) ? std::numeric_limits<double>::quiet_NaN()
                                             : double(std::numeric_limits<int32_t>::min()));
    }

    bool guards_intact() const {
        const auto* bytes = static_cast<const unsigned char*>(buffer.raw_data());
        size_t total = buffer.nbytes();
        for (size_t i = 0; i < GUARD_BYTES; ++i)
            if (bytes[i] != GUARD_BYTE || bytes[total - 1 - i] != GUARD_BYTE) return false;
        return true;
    }
};

bool bitwise_equal(const Tensor& a, const Tensor& b) {
    return a.nbytes() == b.nbytes() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

struct Replay {
    std::vector<GuardedOutput> outputs;
    const Backend* ran_on = nullptr;  // the backend dispatch() chose, as its recorder saw it
};

// Runs `call` on `backend` at `threads` threads into fresh guarded outputs.
Replay replay(const Backend& backend, const OpCall& call, int threads) {
    Replay result;
    OpCall replayed = call;
    for (size_t k = 0; k < call.outputs.size(); ++k) {
        result.outputs.emplace_back(call.outputs[k]);
        replayed.outputs[k] = result.outputs.back().view;
    }
    int previous_threads = cpu::max_threads();
    cpu::set_max_threads(threads);
    {
        ScopedBackend on(backend);
        CallRecorder recorder;
        dispatch(replayed);
        result.ran_on = recorder.calls.at(0).backend;
    }
    cpu::set_max_threads(previous_threads);
    return result;
}

// Checks one recorded call on `backend`; appends what failed to `failures`. Returns whether
// `backend` itself ran it.
bool check_call(const Backend& backend, const ParityCase& c, const OpCall& call, int threads,
                std::vector<std::string>& failures) {
    std::string where = c.name + ": " + op_name(call.op) + " on " + backend.name;
    Replay first = replay(backend, call, 1), second = replay(backend, call, threads);
    const std::vector<GuardedOutput>& one = first.outputs;
    const std::vector<GuardedOutput>& many = second.outputs;
    for (size_t k = 0; k < call.outputs.size(); ++k) {
        std::string output = where + ", output " + std::to_string(k);
        if (!one[k].guards_intact() || !many[k].guards_intact())
            failures.push_back(output + ": wrote outside its output (guard region changed)");
        if (!bitwise_equal(one[k].view, many[k].view))
            failures.push_back(output + ": 1 and " + std::to_string(threads) + " threads differ");
        const Tensor& reference = call.outputs[k];
        Tolerance tolerance = backend.is_reference || !is_floating(reference.dtype())
                                  ? Tolerance{0, 0}
                                  : c.tolerance.value_or(tolerance_for(reference.dtype()));
        Comparison result = compare(many[k].view, reference, tolerance);
        if (!result.ok) failures.push_back(output + ": " + result.message);
    }
    return first.ran_on == &backend && second.ran_on == &backend;
}

}  // namespace

ParityReport run_parity(const Backend& backend, const std::vector<ParityCase>& cases, int threads) {
    ParityReport report;
    std::array<int64_t, size_t(Op::OP_COUNT)> ran{};  // calls `backend` ran, per op
    const Backend& reference = backend_named("reference");
    for (const ParityCase& c : cases) {
        std::vector<RecordedCall> calls;
        {
            ScopedBackend on_reference(reference);
            CallRecorder recorder;
            c.run();
            calls = std::move(recorder.calls);
        }
        for (const RecordedCall& r : calls) {
            if (!supports(backend, r.call)) continue;  // declined calls do not count as covered
            if (check_call(backend, c, r.call, threads, report.failures)) ran[size_t(r.call.op)] += 1;
            report.calls_checked += 1;
        }
    }
    for (size_t i = 0; i < ran.size(); ++i) {
        std::string op = op_name(Op(i));
        if (!kernel_for(backend, Op(i)))
            report.gaps.push_back(op + ": the " + backend.name + " backend has no kernel");
        else if (ran[i] == 0)
            report.gaps.push_back(op + ": no case ran on the " + backend.name + " backend");
    }
    return report;
}

}  // namespace induction::testing
