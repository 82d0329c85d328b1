// testing.h — shared helpers for the test suites: random tensors, closeness assertions, and the
// coverage registry that lets a test prove every op in the op table is tested.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "model/config.h"
#include "tensor/backend.h"
#include "tensor/rng.h"
#include "tensor/tolerance.h"

namespace induction::testing {

// A tensor of uniform values in [low, high), reproducible from the seed.
Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, double low = -1, double high = 1);

// EXPECT_TRUE(close(actual, reference)) — prints the worst element on failure.
::testing::AssertionResult close(const Tensor& actual, const Tensor& reference,
                                 Tolerance tolerance);
::testing::AssertionResult close(const Tensor& actual, const Tensor& reference);

// Runs body(backend name) once on every registered backend of the CPU (reference first).
template <class F>
void for_each_backend(F&& body) {
    for (const Backend* backend : backends())
        if (backend->device == Device::CPU) {
            ScopedBackend scope(*backend);
            body(backend->name);
        }
}

// Runs `compute` once with the reference kernels and once with the fast kernels and compares.
::testing::AssertionResult fast_matches_reference(const std::function<Tensor()>& compute,
                                                  std::optional<Tolerance> tolerance = {});

// EXPECT_TRUE(gradient_ok(f, inputs)) — gradcheck with its report on failure.
::testing::AssertionResult gradient_ok(const DifferentiableFunction& f,
                                       const std::vector<Tensor>& inputs,
                                       const GradcheckOptions& options = {});

// EXPECT_THROW_MESSAGE(statement, "substring"): throws induction::Error containing substring.
#define EXPECT_THROW_MESSAGE(statement, substring)                                       \
    do {                                                                                 \
        try {                                                                            \
            statement;                                                                   \
            ADD_FAILURE() << "expected an induction::Error containing \"" << (substring) \
                          << "\"";                                                       \
        } catch (const ::induction::Error& error) {                                     \
            EXPECT_NE(std::string(error.what()).find(substring), std::string::npos)      \
                << "message: " << error.what();                                          \
        }                                                                                \
    } while (0)

// A small model config for tests: 2 layers, d_model 16, 4 heads of 4, d_mlp 32, vocab 23, n_ctx 16.
ModelConfig small_model_config();

// A fresh directory under the system temp directory, removed when the object goes away.
struct TempDir {
    std::string path;
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string operator/(const std::string& relative) const { return path + "/" + relative; }
    void write(const std::string& relative, const std::string& bytes) const;  // makes parent dirs
};

// The induction CLI for tests that run it: $INDUCTION_CLI (make test, ctest), else build/induction
// beside build/tests/; "" when there is none (such tests skip).
std::string induction_cli();

// Runs `command` with /bin/sh: its exit status (-1 when it did not exit normally) and its stdout
// (stderr too where the command redirects it, "2>&1").
struct ShellResult {
    int status;
    std::string output;
};
ShellResult run_shell(const std::string& command);

// Coverage: each parity test and gradient check declares which op it covers.
enum class Check { GRADCHECK };
bool register_coverage(Check check, Op op);
bool is_covered(Check check, Op op);

#define INDUCTION_JOIN2(a, b) a##b
#define INDUCTION_JOIN(a, b) INDUCTION_JOIN2(a, b)
#define COVERS(check, op)                                      \
    static const bool INDUCTION_JOIN(covers_, __LINE__) =      \
        ::induction::testing::register_coverage(::induction::testing::Check::check, ::induction::Op::op)

}  // namespace induction::testing
