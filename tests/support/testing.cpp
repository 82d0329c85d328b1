// testing.cpp — shared test helpers.
#include "tests/support/testing.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace induction::testing {

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed, double low, double high) {
    Rng rng(seed);
    if (dtype == DType::I32) return rng.randint(shape, int32_t(low), int32_t(high));
    return rng.uniform(shape, low, high, dtype);
}

::testing::AssertionResult close(const Tensor& actual, const Tensor& reference, Tolerance tolerance) {
    Comparison c = compare(actual, reference, tolerance);
    if (c.ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << c.message;
}

::testing::AssertionResult close(const Tensor& actual, const Tensor& reference) {
    return close(actual, reference, tolerance_for(reference.dtype()));
}

::testing::AssertionResult fast_matches_reference(const std::function<Tensor()>& compute,
                                                  std::optional<Tolerance> tolerance) {
    Tensor reference;
    {
        ScopedBackend on_reference(backend_named("reference"));
        reference = compute();
    }
    Tensor fast = compute();
    return close(fast, reference, tolerance.value_or(tolerance_for(reference.dtype())));
}

::testing::AssertionResult gradient_ok(const DifferentiableFunction& f,
                                       const std::vector<Tensor>& inputs,
                                       const GradcheckOptions& options) {
    GradcheckResult r = gradcheck(f, inputs, options);
    if (r.ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "max |error| " << r.max_abs_error << ": " << r.report;
}

ModelConfig small_model_config() {
    ModelConfig c;
    c.n_layers = 2;
    c.d_model = 16;
    c.n_heads = 4;
    c.d_head = 4;
    c.d_mlp = 32;
    c.d_vocab = 23;
    c.n_ctx = 16;
    return c;
}

TempDir::TempDir() {
    std::string name = (std::filesystem::temp_directory_path() / "induction-test-XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) throw Error("TempDir: mkdtemp failed for " + name);
    path = name;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
}

void TempDir::write(const std::string& relative, const std::string& bytes) const {
    std::filesystem::create_directories(std::filesystem::path(*this / relative).parent_path());
    std::ofstream(*this / relative, std::ios::binary) << bytes;
}

std::string induction_cli() {
    if (const char* env = std::getenv("INDUCTION_CLI")) return env;
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    const std::filesystem::path beside = self.parent_path().parent_path() / "induction";
    return !error && std::filesystem::exists(beside) ? beside.string() : "";
}

ShellResult run_shell(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw Error("run_shell: popen failed for " + command);
    ShellResult result{-1, ""};
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
    return result;
}

namespace {
std::set<std::pair<Check, Op>>& registry() {
    static std::set<std::pair<Check, Op>> covered;
    return covered;
}
}  // namespace

bool register_coverage(Check check, Op op) {
    registry().insert({check, op});
    return true;
}

bool is_covered(Check check, Op op) { return registry().count({check, op}) > 0; }

}  // namespace induction::testing
