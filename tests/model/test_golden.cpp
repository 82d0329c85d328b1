// test_golden.cpp — the end-to-end check against an independent implementation: logits, mean
// next-token loss and every parameter gradient of small models of each architecture (METHODS
// §1.1–1.6) must match PyTorch's, as exported once by tests/golden/make_golden.py into
// tests/golden/golden.safetensors (see that script for the file's layout).
//
// Tolerance, per element: |ours − torch| <= rtol·|torch| + rtol·max|torch|, the max taken over
// the whole tensor being compared (an atol scaled to the tensor, so that entries near zero, e.g.
// gradients that nearly cancel, are judged against the tensor's magnitude). The reference is
// computed in f64 from f32 weights; our f32 forward/backward must agree to rtol = 1e-4, our f64
// one (fast and reference kernels) to rtol = 1e-12. Measured: f32 within 2e-6, f64 within 3e-15.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "autograd/functions.h"
#include "model/io/safetensors.h"
#include "model/transformer.h"
#include "tests/golden/golden_file.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using testing::golden;
using testing::golden_path;
using testing::metadata;

std::vector<std::string> variants() {
    std::vector<std::string> names;
    std::stringstream list(metadata("variants"));
    for (std::string name; std::getline(list, name, ',');) names.push_back(name);
    return names;
}

double max_abs(const Tensor& t) {
    double m = 0;
    for (double x : t.to_vector()) m = std::max(m, std::abs(x));
    return m;
}

::testing::AssertionResult matches(const Tensor& ours, const Tensor& torch, double rtol) {
    return testing::close(ours, torch, Tolerance{rtol * max_abs(torch), rtol});
}

// Builds the variant's model in dtype with the golden weights, runs forward and backward, and
// compares logits, loss and every gradient with PyTorch's.
void check_variant(const std::string& variant, DType dtype, double rtol) {
    SCOPED_TRACE(variant);
    const SafetensorsFile& file = golden();
    const std::string prefix = variant + "/";
    ModelConfig config = ModelConfig::from_json(json::parse(metadata(variant)), golden_path() + " " + variant);
    Transformer model = make_transformer(config, 0, dtype);

    // Every golden weight is a parameter of ours with the same TransformerLens name, and back.
    std::set<std::string> golden_weights;
    for (const auto& [name, tensor] : file.tensors) {
        std::string rest = name.substr(0, prefix.size()) == prefix ? name.substr(prefix.size()) : "";
        if (!rest.empty() && rest != "tokens" && rest != "logits" && rest != "loss" && rest.rfind("grad/", 0) != 0)
            golden_weights.insert(rest);
    }
    std::set<std::string> ours;
    for (const NamedParameter& p : model.parameters()) {
        ours.insert(p.name);
        ASSERT_TRUE(file.contains(prefix + p.name)) << p.name;
        const Tensor& weight = file.get(prefix + p.name);
        ASSERT_EQ(weight.shape(), p.var->shape()) << p.name;
        if (p.name == "pos_embed.W_pos" && config.fixed_positions) {  // ours, independently computed
            EXPECT_TRUE(testing::close(p.var->value(), weight, {1e-6, 1e-6}));
        }
        p.var->set_value(weight.to(dtype));
    }
    EXPECT_EQ(ours, golden_weights);

    const Tensor& tokens = file.get(prefix + "tokens");
    Var logits = forward(model, tokens);
    Var losses = next_token_losses(logits, tokens);
    Var loss = mean(reshape(losses, {losses.value().numel()}), 0);
    backward(loss);

    EXPECT_TRUE(matches(logits.value(), file.get(prefix + "logits"), rtol)) << "logits";
    EXPECT_NEAR(loss.value().item(), file.get(prefix + "loss").item(), rtol * file.get(prefix + "loss").item());
    for (const NamedParameter& p : model.parameters()) {
        bool has_golden_grad = file.contains(prefix + "grad/" + p.name);
        EXPECT_EQ(p.var->requires_grad(), has_golden_grad) << p.name;
        if (!has_golden_grad) continue;
        ASSERT_TRUE(p.var->grad().defined()) << "no gradient reached " << p.name;
        EXPECT_TRUE(matches(p.var->grad(), file.get(prefix + "grad/" + p.name), rtol)) << "gradient of " << p.name;
    }
}

TEST(Golden, CoversEveryArchitectureSwitch) {
    std::set<std::string> seen;
    for (const std::string& variant : variants()) {
        ModelConfig c = ModelConfig::from_json(json::parse(metadata(variant)));
        seen.insert(std::to_string(c.n_layers) + " layers");
        seen.insert(c.attn_only ? "attn-only" : "MLP " + c.act_fn);
        seen.insert(c.normalization_type);
        seen.insert(c.positional_embedding_type);
        if (c.smear_keys) seen.insert("smeared");
        if (!c.windows_of_layer(0).empty()) seen.insert("local");
        if (c.fixed_positions) seen.insert("fixed positions");
    }
    EXPECT_EQ(seen, (std::set<std::string>{"1 layers", "2 layers", "attn-only", "MLP gelu", "MLP relu", "LN", "none",
                                           "shortformer", "standard", "smeared", "local", "fixed positions"}));
}

TEST(Golden, MatchesPyTorchInFloat32) {
    for (const std::string& variant : variants()) check_variant(variant, DType::F32, 1e-4);
}

TEST(Golden, MatchesPyTorchInFloat64) {
    for (const std::string& variant : variants()) check_variant(variant, DType::F64, 1e-12);
}

TEST(Golden, MatchesPyTorchInFloat64WithReferenceKernels) {
    ScopedBackend on_reference(backend_named("reference"));
    for (const std::string& variant : variants()) check_variant(variant, DType::F64, 1e-12);
}

}  // namespace
}  // namespace induction
