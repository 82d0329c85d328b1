// test_parity.cpp — the every-op parity harness on every registered backend, the coverage it
// records, and proof that it can fail: a backend missing a kernel, a case table missing an op, a
// kernel off by a little, one that leaves an element unwritten and one that writes past its end.
#include <algorithm>
#include <thread>

#include "tensor/cpu/parallel.h"
#include "tests/support/testing.h"
#include "tests/tensor/parity.h"

namespace induction::testing {

namespace {

// N for the N-thread runs: at least 3, so chunk boundaries fall at odd places.
int parity_threads() { return std::max(3, cpu::max_threads()); }

std::string lines(const std::vector<std::string>& items, size_t most = 20) {
    std::string text;
    for (size_t i = 0; i < items.size() && i < most; ++i) text += items[i] + "\n";
    if (items.size() > most) text += "... and " + std::to_string(items.size() - most) + " more\n";
    return text;
}

const std::vector<ParityCase>& all_cases() {
    static const std::vector<ParityCase> cases = parity_cases();
    return cases;
}

// The cases whose calls include `op`, or all the others.
std::vector<ParityCase> cases_with(Op op, bool keep) {
    std::vector<ParityCase> selected;
    for (const ParityCase& c : all_cases()) {
        CallRecorder recorder;
        {
            ScopedBackend on_reference(backend_named("reference"));
            c.run();
        }
        bool has = std::any_of(recorder.calls.begin(), recorder.calls.end(),
                               [&](const RecordedCall& r) { return r.call.op == op; });
        if (has == keep) selected.push_back(c);
    }
    return selected;
}

// A copy of the cpu backend whose softmax kernel is replaced.
Backend cpu_with_softmax(Kernel softmax_kernel, const char* name) {
    Backend variant = default_backend(Device::CPU);
    variant.name = name;
    variant.kernels[size_t(Op::SOFTMAX)] = softmax_kernel;
    return variant;
}

void cpu_softmax(const OpCall& call) { kernel_for(default_backend(Device::CPU), Op::SOFTMAX)(call); }

}  // namespace

TEST(Parity, EveryOpOnEveryBackend) {
    for (const Backend* backend : backends()) {
        if (backend->device != Device::CPU) {
            std::printf("[  SKIPPED ] parity on %s: the harness replays on CPU tensors only\n", backend->name);
            continue;
        }
        ParityReport report = run_parity(*backend, all_cases(), parity_threads());
        EXPECT_TRUE(report.failures.empty()) << backend->name << ": " << report.failures.size()
                                             << " failed checks\n" << lines(report.failures);
        EXPECT_TRUE(report.gaps.empty()) << backend->name << ":\n" << lines(report.gaps, 100);
        EXPECT_GT(report.calls_checked, 500) << backend->name;
    }
}

TEST(Parity, CoverageFailsWithoutAKernel) {
    Backend variant = cpu_with_softmax(nullptr, "cpu-without-softmax");
    ParityReport report = run_parity(variant, cases_with(Op::SOFTMAX, true), parity_threads());
    ASSERT_FALSE(report.gaps.empty());
    EXPECT_NE(lines(report.gaps, 100).find("softmax: the cpu-without-softmax backend has no kernel"),
              std::string::npos) << lines(report.gaps, 100);
}

TEST(Parity, CoverageFailsWithoutACase) {
    ParityReport report = run_parity(default_backend(Device::CPU), cases_with(Op::LAYER_NORM, false),
                                     parity_threads());
    std::string gaps = lines(report.gaps, 100);
    EXPECT_NE(gaps.find("layer_norm: no case ran on the cpu backend"), std::string::npos) << gaps;
    EXPECT_NE(gaps.find("layer_norm_backward: no case ran"), std::string::npos) << gaps;
    EXPECT_TRUE(report.failures.empty()) << lines(report.failures);
}

TEST(Parity, CatchesAKernelThatIsSlightlyOff) {
    Backend variant = cpu_with_softmax([](const OpCall& call) {
        cpu_softmax(call);
        Tensor y = call.outputs[0];
        if (y.dtype() == DType::F32) y.data<float>()[0] *= 1.001f;
        else y.data<double>()[0] *= 1 + 1e-9;
    }, "cpu-off-by-a-little");
    ParityReport report = run_parity(variant, cases_with(Op::SOFTMAX, true), parity_threads());
    ASSERT_FALSE(report.failures.empty());
    EXPECT_NE(report.failures[0].find("vs reference"), std::string::npos) << report.failures[0];
}

TEST(Parity, CatchesAnUnwrittenElement) {
    Backend variant = cpu_with_softmax([](const OpCall& call) {
        OpCall shorter = call;  // all rows but the last
        int64_t n = call.inputs[0].size(-1), rows = call.inputs[0].numel() / n;
        shorter.inputs[0] = call.inputs[0].reshape({rows, n}).slice(0, rows - 1);
        shorter.outputs[0] = call.outputs[0].reshape({rows, n}).slice(0, rows - 1);
        shorter.params.causal = false;
        shorter.params.head_windows.clear();
        if (rows > 1) cpu_softmax(shorter);
    }, "cpu-skips-a-row");
    ParityReport report = run_parity(variant, cases_with(Op::SOFTMAX, true), parity_threads());
    ASSERT_FALSE(report.failures.empty());
    EXPECT_NE(report.failures[0].find("nan"), std::string::npos) << report.failures[0];
}

TEST(Parity, CatchesAWritePastTheEnd) {
    Backend variant = cpu_with_softmax([](const OpCall& call) {
        cpu_softmax(call);
        Tensor y = call.outputs[0];
        static_cast<unsigned char*>(y.raw_data())[y.nbytes()] = 0;  // one byte past the output
    }, "cpu-writes-past-the-end");
    ParityReport report = run_parity(variant, cases_with(Op::SOFTMAX, true), parity_threads());
    ASSERT_FALSE(report.failures.empty());
    EXPECT_NE(report.failures[0].find("guard region changed"), std::string::npos) << report.failures[0];
}

TEST(Parity, CatchesThreadDependentResults) {
    Backend variant = cpu_with_softmax([](const OpCall& call) {
        cpu_softmax(call);
        if (cpu::max_threads() > 1) {
            Tensor y = call.outputs[0];
            if (y.dtype() == DType::F32) y.data<float>()[0] += 1e-7f;
            else y.data<double>()[0] += 1e-16;
        }
    }, "cpu-thread-dependent");
    ParityReport report = run_parity(variant, cases_with(Op::SOFTMAX, true), parity_threads());
    ASSERT_FALSE(report.failures.empty());
    EXPECT_NE(lines(report.failures, 1000).find("threads differ"), std::string::npos) << lines(report.failures);
}

TEST(Parity, ABackendCanDeclineCalls) {
    Backend variant = default_backend(Device::CPU);
    variant.name = "cpu-f32-only";
    variant.accepts = [](const OpCall& call) {
        return call.inputs.empty() || call.inputs[0].dtype() != DType::F64;
    };
    Tensor x = Tensor::full({2, 3}, 1.0, DType::F64);
    OpCall call{Op::SOFTMAX, {x}, {Tensor::empty({2, 3}, DType::F64)}, {}};
    EXPECT_FALSE(supports(variant, call));
    ScopedBackend on(variant);
    EXPECT_THROW_MESSAGE(dispatch(call), "softmax: the cpu-f32-only backend does not run this call (f64[2, 3])");
}

TEST(Backends, RegistryNamesReferenceAndCpu) {
    EXPECT_STREQ(backend_named("reference").name, "reference");
    EXPECT_TRUE(backend_named("reference").is_reference);
    EXPECT_STREQ(default_backend(Device::CPU).name, "cpu");
    EXPECT_THROW_MESSAGE(backend_named("tpu"), "no backend named 'tpu' in this build (registered: reference, cpu");
}

}  // namespace induction::testing
