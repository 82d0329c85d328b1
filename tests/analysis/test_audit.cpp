// test_audit.cpp — the numerics audit (analysis/audit.h) and `induction audit`.
//
// A correct backend passes on a small random model; copies of the cpu backend with one kernel
// made wrong — one output element off by a relative 1e-3, or every element rounded to 12
// mantissa bits — fail, and the report names the tensor where the error first shows up.
#include <cmath>
#include <cstring>

#include "analysis/audit.h"
#include "model/checkpoint.h"
#include "model/io/json.h"
#include "tests/support/testing.h"

namespace induction::testing {

namespace {

constexpr double PERTURBATION = 1e-3;  // relative, on one element

// tokens i32 [B, T] in [0, vocab), reproducible from the seed.
Tensor random_tokens(int64_t B, int64_t T, int64_t vocab, uint64_t seed) {
    std::vector<double> u = random_tensor({B, T}, DType::F64, seed, 0, double(vocab)).to_vector();
    std::vector<int32_t> ids(u.size());
    for (size_t i = 0; i < u.size(); ++i) ids[i] = std::min<int32_t>(int32_t(u[i]), int32_t(vocab - 1));
    return Tensor::from_ints({B, T}, ids);
}

// With MLPs and smeared keys, so that every kind of parameter has a gradient to audit.
Transformer small_model() {
    ModelConfig config = small_model_config();
    config.attn_only = false;
    config.smear_keys = true;
    return make_transformer(config, 7);
}
Tensor small_tokens() { return random_tokens(3, small_model_config().n_ctx, small_model_config().d_vocab, 11); }

// Multiplies the largest-magnitude element of an f32 output by 1 + PERTURBATION.
void perturb_largest(const Tensor& output) {
    Tensor out = output;  // shares the storage
    float* x = out.data<float>();
    int64_t largest = 0;
    for (int64_t i = 1; i < out.numel(); ++i)
        if (std::abs(x[i]) > std::abs(x[largest])) largest = i;
    x[largest] *= float(1 + PERTURBATION);
}

// Rounds every element of an f32 output to 12 significant bits (relative error <= 2^-13).
void round_to_12_bits(const Tensor& output) {
    Tensor out = output;
    float* x = out.data<float>();
    for (int64_t i = 0; i < out.numel(); ++i) {
        int exponent = 0;
        const double mantissa = std::frexp(double(x[i]), &exponent);  // in [0.5, 1)
        x[i] = float(std::ldexp(std::round(mantissa * 4096.0) / 4096.0, exponent));
    }
}

// The cpu backend with the kernel of one op replaced.
Backend cpu_with(Op op, Kernel kernel, const char* name) {
    Backend backend = default_backend(Device::CPU);
    backend.name = name;
    backend.kernels[size_t(op)] = kernel;
    return backend;
}

const AuditEntry& entry_named(const AuditReport& report, const std::string& name) {
    for (const AuditEntry& e : report.entries)
        if (e.name == name) return e;
    throw std::runtime_error("no audit entry " + name);
}

}  // namespace

TEST(Audit, EveryFastBackendPassesOnASmallModel) {
    Transformer model = small_model();
    const std::vector<AuditReport> reports = audit_backends(model, small_tokens(), audited_backends());
    ASSERT_FALSE(reports.empty());
    for (const AuditReport& report : reports) {
        EXPECT_TRUE(report.ok()) << report.backend << ": " << report.first_failure()->name << ": "
                                 << report.first_failure()->problem;
        EXPECT_EQ(report.reference, "reference");
        for (const AuditEntry& e : report.entries) {
            EXPECT_LT(e.max_rel_error, report.policy.rtol) << e.name;
            EXPECT_LE(e.nmse, report.policy.max_nmse) << e.name;
        }
    }
    // Activations in forward order, then one gradient per trainable parameter, in checkpoint order.
    const AuditReport& cpu = reports.front();
    EXPECT_EQ(cpu.backend, "cpu");
    EXPECT_EQ(cpu.entries.front().name, "blocks.0.hook_resid_pre");
    EXPECT_EQ(entry_named(cpu, "blocks.1.attn.hook_pattern").shape, Shape({3, 4, 16, 16}));
    EXPECT_EQ(entry_named(cpu, "blocks.1.hook_mlp_out").kind, AuditKind::ACTIVATION);
    EXPECT_EQ(entry_named(cpu, "loss").shape, Shape({}));
    EXPECT_EQ(entry_named(cpu, "blocks.0.attn.W_Q").kind, AuditKind::GRADIENT);
    int gradients = 0;
    for (const AuditEntry& e : cpu.entries) gradients += e.kind == AuditKind::GRADIENT;
    EXPECT_EQ(gradients, int(model.parameters().size()));
    // The caller's model is left as it was: the passes ran on copies.
    for (const NamedParameter& p : model.parameters()) EXPECT_FALSE(p.var->grad().defined()) << p.name;
}

TEST(Audit, APerturbedSoftmaxFailsAtTheFirstPattern) {
    const Backend perturbed = cpu_with(Op::SOFTMAX, [](const OpCall& call) {
        kernel_for(default_backend(Device::CPU), Op::SOFTMAX)(call);
        perturb_largest(call.outputs[0]);
    }, "cpu-perturbed-softmax");
    const AuditReport report = audit_numerics(small_model(), small_tokens(), perturbed);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.backend, "cpu-perturbed-softmax");
    EXPECT_EQ(report.first_failure()->name, "blocks.0.attn.hook_pattern");
    EXPECT_NE(report.first_failure()->problem.find("element"), std::string::npos) << report.first_failure()->problem;
    // Everything computed before the attention pattern is untouched.
    EXPECT_TRUE(entry_named(report, "blocks.0.attn.hook_k").within);
    EXPECT_NEAR(entry_named(report, "blocks.0.attn.hook_pattern").max_rel_error, PERTURBATION, 2e-4);
}

TEST(Audit, APerturbedMatmulFailsAtTheFirstProduct) {
    const Backend perturbed = cpu_with(Op::MATMUL, [](const OpCall& call) {
        kernel_for(default_backend(Device::CPU), Op::MATMUL)(call);
        perturb_largest(call.outputs[0]);
    }, "cpu-perturbed-matmul");
    const AuditReport report = audit_numerics(small_model(), small_tokens(), perturbed);
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(entry_named(report, "blocks.0.hook_resid_pre").within);
    EXPECT_EQ(report.first_failure()->name, "blocks.0.attn.hook_v");  // u W_V: the forward pass's first GEMM
}

TEST(Audit, APerturbedBackwardKernelFailsAtItsGradient) {
    const Backend perturbed = cpu_with(Op::EMBEDDING_BACKWARD, [](const OpCall& call) {
        kernel_for(default_backend(Device::CPU), Op::EMBEDDING_BACKWARD)(call);
        perturb_largest(call.outputs[0]);
    }, "cpu-perturbed-embedding-backward");
    const AuditReport report = audit_numerics(small_model(), small_tokens(), perturbed);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.failures(), 1);
    EXPECT_EQ(report.first_failure()->name, "embed.W_E");
    EXPECT_EQ(report.first_failure()->kind, AuditKind::GRADIENT);
}

TEST(Audit, BulkPrecisionLossFailsOnTheNormalisedMse) {
    // 12-bit rounding keeps every element within the element test (2^-13 < rtol) but not the MSE.
    const Backend coarse = cpu_with(Op::SOFTMAX, [](const OpCall& call) {
        kernel_for(default_backend(Device::CPU), Op::SOFTMAX)(call);
        round_to_12_bits(call.outputs[0]);
    }, "cpu-12-bit-softmax");
    const AuditReport report = audit_numerics(small_model(), small_tokens(), coarse);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.first_failure()->name, "blocks.0.attn.hook_pattern");
    EXPECT_NE(report.first_failure()->problem.find("normalised MSE"), std::string::npos)
        << report.first_failure()->problem;
}

TEST(Audit, RejectsTokensThatAreNotRows) {
    EXPECT_THROW_MESSAGE(audit_numerics(small_model(), Tensor::from_ints({4}, {1, 2, 3, 4}),
                                        default_backend(Device::CPU)),
                         "tokens");
}

TEST(AuditCommand, PassesOnACheckpointAndPrintsJson) {
    const std::string cli = induction_cli();
    if (cli.empty()) GTEST_SKIP() << "no induction CLI found (set INDUCTION_CLI)";
    TempDir dir;
    Transformer model = small_model();
    save_checkpoint(dir / "step-000000.safetensors", model);
    const Tensor tokens = small_tokens();
    dir.write("tokens.bin", std::string(static_cast<const char*>(tokens.raw_data()), tokens.nbytes()));
    const std::string command = "'" + cli + "' audit '" + (dir / "step-000000.safetensors") + "' --tokens '" +
                                (dir / "tokens.bin") + "' --ctx 16";
    const ShellResult table = run_shell(command + " 2>&1");
    EXPECT_EQ(table.status, 0) << table.output;
    EXPECT_NE(table.output.find("blocks.1.attn.hook_pattern"), std::string::npos) << table.output;
    EXPECT_NE(table.output.find("cpu: all "), std::string::npos) << table.output;

    const ShellResult json_out = run_shell(command + " --json --batch 2");
    ASSERT_EQ(json_out.status, 0) << json_out.output;
    const json::Value reports = json::parse(json_out.output);
    ASSERT_EQ(reports.as_array().size(), audited_backends().size());
    const json::Value& cpu = reports.as_array()[0];
    EXPECT_EQ(cpu.at("backend").as_string(), "cpu");
    EXPECT_TRUE(cpu.at("ok").as_bool());
    EXPECT_EQ(cpu.at("sequences").as_int(), 2);
    EXPECT_EQ(cpu.at("gradients").as_array().size(), model.parameters().size());

    // Beside no run directory, and without --tokens, there is nothing to audit on.
    const ShellResult refused = run_shell("'" + cli + "' audit '" + (dir / "step-000000.safetensors") + "' 2>&1");
    EXPECT_EQ(refused.status, 1) << refused.output;
    EXPECT_NE(refused.output.find("--tokens"), std::string::npos) << refused.output;
}

}  // namespace induction::testing
