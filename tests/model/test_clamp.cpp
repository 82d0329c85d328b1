// test_clamp.cpp — the clamps of METHODS §8.5–§8.6 (model/clamp.h, model/clamp_catalogue.h) on an
// f64 few-shot model with real task inputs. For every catalogue row: the activations it names
// take exactly the promised values, every other entry of the site and everything upstream keeps
// its bits, and the gradient goes where §8.5 says (constants cut it, values from another pass of
// the same model carry it, stop_gradient cuts those too). Schedules switch clamps on exactly in
// their steps and ramp them linearly; the JSON form round-trips and names the field it rejects.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/clamp_catalogue.h"
#include "model/fewshot_model.h"
#include "tests/support/testing.h"
#include "train/fewshot_task.h"

namespace induction {
namespace {

using testing::close;

constexpr int D = 16, L = 5;
constexpr int64_t B = 8, T = 5, H = 8;

const FewShotTask& task() {
    static const FewShotTask t = [] {
        FewShotTaskConfig c;
        c.feature_dim = D;
        c.labels = L;
        return FewShotTask(c);
    }();
    return t;
}

// An f64 few-shot model at initialisation and a batch of training sequences.
struct Batch {
    FewShotInputs in = task().inputs(task().sample_training(B, 0), 0, B, DType::F64);
    Transformer model = make_fewshot_model(fewshot_model_config(D, L), 5, DType::F64);
};

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

double squared_norm(const Tensor& t) {
    double s = 0;
    if (t.defined())
        for (double x : t.to_vector()) s += x * x;
    return s;
}

bool differs(const Tensor& a, const Tensor& b) { return normalized_mse(a, b) > 1e-10; }

Tensor head_of(const Tensor& x, int64_t h) { return slice(x, 1, h, h + 1); }  // x[:, h] of [B, H, ...]

// Every head of two [B, H, ...] tensors but `except` keeps its bits.
::testing::AssertionResult other_heads_same(const Tensor& a, const Tensor& b, int64_t except) {
    for (int64_t h = 0; h < a.size(1); ++h)
        if (h != except && !same_bits(head_of(a, h), head_of(b, h)))
            return ::testing::AssertionFailure() << "head " << h << " changed";
    return ::testing::AssertionSuccess();
}

// Every site of both layers and the logits.
void capture_everything(Interventions& hooks) {
    for (int l = 0; l < 2; ++l)
        for (Site site : {Site::RESID_PRE, Site::Q, Site::K, Site::V, Site::SCORES, Site::PATTERN, Site::Z,
                          Site::ATTN_OUT, Site::RESID_MID, Site::RESID_POST})
            hooks.capture(site, l);
    hooks.capture(Site::LOGITS);
}

// One clamped pass; `hooks` keeps its captures.
Tensor run(const Batch& s, const ClampSchedule& schedule, Interventions& hooks, int64_t step = 0) {
    return clamped_forward(schedule, step, fewshot_clamped_model(s.model, s.in), hooks).value();
}

// A pass with every site captured.
struct Captured {
    Interventions hooks;
    Tensor logits;
    const Tensor& operator()(Site site, int layer = 0) const { return hooks.captured(site, layer); }
};
std::unique_ptr<Captured> capture_run(const Batch& s, const ClampSchedule& schedule, int64_t step = 0) {
    auto c = std::make_unique<Captured>();
    capture_everything(c->hooks);
    c->logits = run(s, schedule, c->hooks, step);
    return c;
}

// The gradient of the few-shot loss of a clamped pass, for every parameter by name (zeros where
// backpropagation never reached it).
using Gradients = std::map<std::string, Tensor>;
Gradients gradients(Transformer& model, const FewShotInputs& in, const ClampSchedule& schedule, int64_t step = 0) {
    for (const NamedParameter& p : model.parameters()) p.var->zero_grad();
    Interventions hooks;
    backward(fewshot_loss(clamped_forward(schedule, step, fewshot_clamped_model(model, in), hooks), in.targets));
    Gradients g;
    for (const NamedParameter& p : model.parameters())
        g[p.name] = p.var->grad().defined() ? p.var->grad().clone() : Tensor::zeros(p.var->shape(), DType::F64);
    for (const NamedParameter& p : model.parameters()) p.var->zero_grad();
    return g;
}
double norm2(const Gradients& g, const std::string& name) { return squared_norm(g.at(name)); }
double head_norm2(const Gradients& g, const std::string& name, int64_t h) { return squared_norm(g.at(name)[h]); }
std::string attn(int layer, const char* w) { return "blocks." + std::to_string(layer) + ".attn." + w; }

// The previous-token pattern row p of strength s (§8.6), entry j.
double previous_token_entry(int64_t p, int64_t j, double s) {
    if (p == 0) return j == 0 ? 1.0 : 0.0;
    return j == p - 1 ? s : j == p ? 1.0 - s : 0.0;
}

// E' of the layer-1 clamp built from the embeddings E [B, 5, d_model]: [E0, E0, E1, E2, E4] (the
// [SC] code) or [0, E0, 0, E2, E4] (its docstring).
Tensor shifted(const Tensor& E, bool docstring) {
    auto row = [&](int64_t p) { return slice(E, 1, p, p + 1); };
    Tensor zero = Tensor::zeros({E.size(0), 1, E.size(2)}, E.dtype());
    return docstring ? concat({zero, row(0), zero, row(2), row(4)}, 1)
                     : concat({row(0), row(0), row(1), row(2), row(4)}, 1);
}

Tensor embeddings(const Batch& s) {
    return fewshot_embed(s.model, s.in.exemplars, s.in.labels, s.in.is_label).value();
}

// A plain pass whose layer-0 block output is replaced by `resid`, capturing layer 1.
std::unique_ptr<Captured> with_layer0_output(const Batch& s, const Tensor& resid) {
    auto c = std::make_unique<Captured>();
    c->hooks.replace(Site::RESID_POST, 0, Var(resid));
    for (Site site : {Site::Q, Site::K, Site::V, Site::SCORES, Site::PATTERN}) c->hooks.capture(site, 1);
    c->logits = fewshot_forward(s.model, s.in, &c->hooks).value();
    return c;
}

// Perfect-copy logits: [y_1] = scores(4 → 1) and [y_2] = scores(4 → 3) of head h, −1e9 elsewhere.
void expect_perfect_copy(const Batch& s, const Tensor& logits, const Tensor& scores, int64_t h) {
    ASSERT_EQ(logits.shape(), Shape({B, 1, L}));
    for (int64_t b = 0; b < B; ++b) {
        const int64_t y1 = s.in.labels.to_ints()[size_t(b * T + 1)], y2 = s.in.labels.to_ints()[size_t(b * T + 3)];
        ASSERT_NE(y1, y2);
        for (int64_t l = 0; l < L; ++l) {
            const double expected = l == y1 ? scores.at({b, h, 4, 1}) : l == y2 ? scores.at({b, h, 4, 3}) : -1e9;
            EXPECT_NEAR(logits.at({b, 0, l}), expected, 1e-12) << "sequence " << b << ", label " << l;
        }
    }
}

// ---- (1) values and (2) gradients, row by row of the catalogue ------------------------------------

TEST(Clamp, PreviousTokenClampSetsItsHeadsPatternAndNothingElse) {
    Batch s;
    auto base = capture_run(s, {});
    auto clamped = capture_run(s, previous_token_clamp({0, 2}, 0.75));
    const Tensor& A = (*clamped)(Site::PATTERN, 0);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 0; p < T; ++p)
            for (int64_t j = 0; j < T; ++j)
                EXPECT_EQ(A.at({b, 2, p, j}), previous_token_entry(p, j, 0.75)) << b << ": " << p << " → " << j;
    EXPECT_TRUE(other_heads_same(A, (*base)(Site::PATTERN, 0), 2));
    for (Site site : {Site::RESID_PRE, Site::Q, Site::K, Site::V, Site::SCORES})
        EXPECT_TRUE(same_bits((*clamped)(site, 0), (*base)(site, 0))) << hook_name(site, 0) << " is upstream";
    // ... and it does act downstream.
    EXPECT_TRUE(differs(head_of((*clamped)(Site::Z, 0), 2), head_of((*base)(Site::Z, 0), 2)));
    EXPECT_TRUE(other_heads_same((*clamped)(Site::Z, 0), (*base)(Site::Z, 0), 2));
    EXPECT_TRUE(differs((*clamped)(Site::PATTERN, 1), (*base)(Site::PATTERN, 1)));

    // Label rows only: rows 1 and 3 are the previous-token rows, rows 0, 2 and 4 as computed.
    auto rows = capture_run(s, previous_token_clamp({0, 2}, 1.0, /*label_rows_only=*/true));
    const Tensor& R = (*rows)(Site::PATTERN, 0);
    for (int64_t p = 0; p < T; ++p) {
        Tensor row = slice(head_of(R, 2), 2, p, p + 1), base_row = slice(head_of((*base)(Site::PATTERN, 0), 2), 2, p, p + 1);
        if (p % 2 == 0) {
            EXPECT_TRUE(same_bits(row, base_row)) << "row " << p;
            continue;
        }
        for (int64_t b = 0; b < B; ++b)
            for (int64_t j = 0; j < T; ++j) EXPECT_EQ(R.at({b, 2, p, j}), previous_token_entry(p, j, 1.0));
    }
    EXPECT_TRUE(other_heads_same(R, (*base)(Site::PATTERN, 0), 2));
}

TEST(Clamp, PreviousTokenClampCutsTheQueryKeyGradientOfItsHeads) {
    Batch s;
    const Gradients plain = gradients(s.model, s.in, {});
    EXPECT_GT(norm2(plain, attn(0, "W_Q")), 0.0);
    EXPECT_GT(norm2(plain, attn(0, "W_K")), 0.0);
    std::vector<ClampSchedule> every_head, every_head_label_rows;
    for (int h = 0; h < H; ++h) {
        every_head.push_back(previous_token_clamp({0, h}));
        every_head_label_rows.push_back(previous_token_clamp({0, h}, 1.0, true));
    }
    const Gradients g = gradients(s.model, s.in, join(every_head));
    EXPECT_EQ(norm2(g, attn(0, "W_Q")), 0.0);
    EXPECT_EQ(norm2(g, attn(0, "W_K")), 0.0);
    for (const char* w : {"W_V", "W_O"}) EXPECT_GT(norm2(g, attn(0, w)), 0.0) << w;
    EXPECT_GT(norm2(g, attn(1, "W_Q")), 0.0);
    // One head: its slices only.
    const Gradients one = gradients(s.model, s.in, previous_token_clamp({0, 2}));
    for (const char* w : {"W_Q", "W_K"})
        for (int64_t h = 0; h < H; ++h) {
            if (h == 2)
                EXPECT_EQ(head_norm2(one, attn(0, w), h), 0.0) << w;
            else
                EXPECT_GT(head_norm2(one, attn(0, w), h), 0.0) << w << " head " << h;
        }
    // Label rows only: the other rows still reach the output.
    EXPECT_GT(norm2(gradients(s.model, s.in, join(every_head_label_rows)), attn(0, "W_Q")), 0.0);
}

TEST(Clamp, InductionClampSetsTheQueryRowToTheLabelTokens) {
    Batch s;
    const double strength = 0.8;
    auto base = capture_run(s, {});
    auto clamped = capture_run(s, induction_clamp({1, 3}, strength));
    const Tensor& A = (*clamped)(Site::PATTERN, 1);
    const std::vector<int32_t> labels = s.in.labels.to_ints(), targets = s.in.targets.to_ints(),
                               correct = s.in.correct.to_ints();
    for (int64_t b = 0; b < B; ++b) {
        for (int64_t j = 0; j < T; ++j) {
            const double f = labels[size_t(b * T + j)] == targets[size_t(b)] ? strength : 1.0 - strength;
            EXPECT_EQ(A.at({b, 3, 4, j}), j % 2 == 1 ? f : 0.0) << "sequence " << b << ", key " << j;
        }
        // The clamped induction strength is 2s − 1 (the correct label token sits at 2·correct + 1).
        ASSERT_TRUE(correct[size_t(b)] == 0 || correct[size_t(b)] == 1);
        const int64_t right = 2 * correct[size_t(b)] + 1, wrong = 2 * (1 - correct[size_t(b)]) + 1;
        EXPECT_NEAR(A.at({b, 3, 4, right}) - A.at({b, 3, 4, wrong}), 2 * strength - 1, 1e-12);
    }
    EXPECT_TRUE(same_bits(slice(head_of(A, 3), 2, 0, 4), slice(head_of((*base)(Site::PATTERN, 1), 3), 2, 0, 4)))
        << "rows other than the query's";
    EXPECT_TRUE(other_heads_same(A, (*base)(Site::PATTERN, 1), 3));
    for (Site site : {Site::RESID_POST, Site::PATTERN}) EXPECT_TRUE(same_bits((*clamped)(site, 0), (*base)(site, 0)));
    for (Site site : {Site::RESID_PRE, Site::Q, Site::K, Site::V, Site::SCORES})
        EXPECT_TRUE(same_bits((*clamped)(site, 1), (*base)(site, 1))) << hook_name(site, 1);
    EXPECT_TRUE(differs(clamped->logits, base->logits));

    // On every head of layer 1 the query rows are constants: layer 1's W_Q and W_K reach the loss
    // only through them (the readout reads the query row), so they get no gradient.
    std::vector<ClampSchedule> every_head;
    for (int h = 0; h < H; ++h) every_head.push_back(induction_clamp({1, h}));
    const Gradients g = gradients(s.model, s.in, join(every_head));
    EXPECT_EQ(norm2(g, attn(1, "W_Q")), 0.0);
    EXPECT_EQ(norm2(g, attn(1, "W_K")), 0.0);
    EXPECT_GT(norm2(g, attn(1, "W_V")), 0.0);
    EXPECT_GT(norm2(g, attn(0, "W_Q")), 0.0);
    const Gradients plain = gradients(s.model, s.in, {});
    EXPECT_GT(norm2(plain, attn(1, "W_Q")), 0.0);
}

TEST(Clamp, InductionValueIsRefusedOutsideTheQueryRow) {
    // The induction value defines the query row alone; a clamp that would write it elsewhere (no
    // positions, or the 5-token task's row 4 on longer sequences) is an error, not zeroed rows.
    Batch s;
    auto clamp_with = [](const std::string& selection) {
        return ClampSchedule::from_json(json::parse(R"({"clamps": [{"site": "pattern", "layer": 1, "head": 3, )" +
                                                    selection + R"("value": "induction", "strength": 0.8}]})"));
    };
    for (const char* wrong : {"", R"("positions": [3], )", R"("positions": [3, 4], )",
                              R"("mask": [[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,1,0,0,0],[0,1,0,1,0]], )"}) {
        Interventions hooks;
        EXPECT_THROW_MESSAGE(run(s, clamp_with(wrong), hooks),
                             "an induction value is the query row's only; set positions to [4] (T = 5)");
    }
    // An element mask over the query row's label entries is the positions-[4] clamp.
    Interventions by_mask, by_row;
    by_mask.capture(Site::PATTERN, 1);
    by_row.capture(Site::PATTERN, 1);
    run(s, clamp_with(R"("mask": [[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[1,1,1,1,1]], )"), by_mask);
    run(s, induction_clamp({1, 3}, 0.8), by_row);
    EXPECT_TRUE(same_bits(by_mask.captured(Site::PATTERN, 1), by_row.captured(Site::PATTERN, 1)));
}

TEST(Clamp, PerfectCopyLogitsAreTheSourceHeadsScores) {
    Batch s;
    auto base = capture_run(s, {});
    auto clamped = capture_run(s, perfect_copy_clamp({1, 3}));
    expect_perfect_copy(s, clamped->logits, (*base)(Site::SCORES, 1), 3);
    EXPECT_TRUE(same_bits((*clamped)(Site::LOGITS), clamped->logits));
    for (int l = 0; l < 2; ++l)
        for (Site site : {Site::SCORES, Site::PATTERN, Site::V, Site::RESID_POST})
            EXPECT_TRUE(same_bits((*clamped)(site, l), (*base)(site, l))) << hook_name(site, l) << " is upstream";

    // The gradient reaches head 3's QK path and what feeds it, nothing else.
    const Gradients g = gradients(s.model, s.in, perfect_copy_clamp({1, 3}));
    for (const std::string& name : {attn(1, "W_V"), attn(1, "W_O"), std::string("unembed.W_U"),
                                    std::string("unembed.b_U"), std::string("ln_final.w"), std::string("ln_final.b")})
        EXPECT_EQ(norm2(g, name), 0.0) << name;
    for (const char* w : {"W_Q", "W_K"})
        for (int64_t h = 0; h < H; ++h) {
            if (h == 3)
                EXPECT_GT(head_norm2(g, attn(1, w), h), 0.0) << w;
            else
                EXPECT_EQ(head_norm2(g, attn(1, w), h), 0.0) << w << " head " << h;
        }
    for (const char* w : {"W_Q", "W_V", "W_O"}) EXPECT_GT(norm2(g, attn(0, w)), 0.0) << "layer 0 " << w;
    EXPECT_GT(norm2(g, "exemplar_embed.W_x"), 0.0);
}

TEST(Clamp, Layer1ClampFeedsShiftedEmbeddingsToThePatternsAndRawOnesToTheValues) {
    Batch s;
    const Tensor E = embeddings(s);
    auto base = capture_run(s, {});
    std::vector<Tensor> patterns;
    for (bool docstring : {false, true}) {
        SCOPED_TRACE(docstring ? "docstring shift" : "code shift");
        auto clamped = capture_run(s, layer1_clamp(0, docstring));
        EXPECT_TRUE(same_bits((*clamped)(Site::RESID_POST, 0), E)) << "layer 0's output is the embeddings";
        EXPECT_TRUE(same_bits((*clamped)(Site::RESID_PRE, 1), E));
        for (Site site : {Site::PATTERN, Site::V, Site::RESID_MID})
            EXPECT_TRUE(same_bits((*clamped)(site, 0), (*base)(site, 0))) << hook_name(site, 0) << " is upstream";
        // Layer 1's patterns are those of a pass whose layer-0 output is E'; its values see E.
        auto pass_b = with_layer0_output(s, shifted(E, docstring));
        auto raw = with_layer0_output(s, E);
        EXPECT_TRUE(close((*clamped)(Site::PATTERN, 1), (*pass_b)(Site::PATTERN, 1)));
        EXPECT_TRUE(close((*clamped)(Site::V, 1), (*raw)(Site::V, 1)));
        EXPECT_TRUE(differs((*clamped)(Site::PATTERN, 1), (*raw)(Site::PATTERN, 1)));
        EXPECT_TRUE(differs((*clamped)(Site::PATTERN, 1), (*base)(Site::PATTERN, 1)));
        patterns.push_back((*clamped)(Site::PATTERN, 1));
    }
    EXPECT_TRUE(differs(patterns[0], patterns[1])) << "the two shifts give the same patterns";
}

TEST(Clamp, Layer1ClampLeavesLayer0WithoutGradientAndPassBDifferentiable) {
    Batch s;
    const Gradients g = gradients(s.model, s.in, layer1_clamp(0));
    for (const auto& [name, grad] : g)
        if (name.rfind("blocks.0.", 0) == 0) {
            EXPECT_EQ(squared_norm(grad), 0.0) << name;
        }
    for (const std::string& name : {attn(1, "W_Q"), attn(1, "W_K"), attn(1, "W_V"), std::string("exemplar_embed.W_x"),
                                    std::string("embed.W_E")})
        EXPECT_GT(norm2(g, name), 0.0) << name;
    // Pass B's patterns are a differentiable function of layer 1's W_Q and W_K; detached, they are not.
    ClampSchedule detached = layer1_clamp(0);
    ASSERT_EQ(detached.clamps[0].site, Site::PATTERN);
    detached.clamps[0].stop_gradient = true;
    const Gradients d = gradients(s.model, s.in, detached);
    EXPECT_EQ(norm2(d, attn(1, "W_Q")), 0.0);
    EXPECT_EQ(norm2(d, attn(1, "W_K")), 0.0);
    EXPECT_GT(norm2(d, attn(1, "W_V")), 0.0);
}

TEST(Clamp, Layer1CopyClampTakesTheLogitsFromPassB) {
    Batch s;
    const Tensor E = embeddings(s);
    auto pass_b = with_layer0_output(s, shifted(E, false));
    auto clamped = capture_run(s, layer1_copy_clamp({1, 3}));
    expect_perfect_copy(s, clamped->logits, (*pass_b)(Site::SCORES, 1), 3);
    EXPECT_TRUE(close((*clamped)(Site::PATTERN, 1), (*pass_b)(Site::PATTERN, 1)));
    EXPECT_TRUE(same_bits((*clamped)(Site::RESID_POST, 0), E));
    // The scores of the clamped pass itself (layer-0 output E) are not the ones copied.
    EXPECT_TRUE(differs(slice((*clamped)(Site::SCORES, 1), 2, 4, 5), slice((*pass_b)(Site::SCORES, 1), 2, 4, 5)));

    // Only subcircuit B learns: head 3's QK path and the exemplar embeddings it reads (after the
    // shift, keys 1 and 3 and the query hold exemplar embeddings only).
    const Gradients g = gradients(s.model, s.in, layer1_copy_clamp({1, 3}));
    for (const auto& [name, grad] : g) {
        const bool learns = name == attn(1, "W_Q") || name == attn(1, "W_K") || name == "blocks.1.ln1.w" ||
                            name == "blocks.1.ln1.b" || name.rfind("exemplar_embed.", 0) == 0;
        if (learns)
            EXPECT_GT(squared_norm(grad), 0.0) << name;
        else
            EXPECT_EQ(squared_norm(grad), 0.0) << name;
    }
    for (const char* w : {"W_Q", "W_K"})
        for (int64_t h = 0; h < H; ++h)
            if (h != 3) {
                EXPECT_EQ(head_norm2(g, attn(1, w), h), 0.0) << w << " head " << h;
            }
}

TEST(Clamp, AblationZeroesTheValuesOfItsHeadsOnly) {
    Batch s;
    auto base = capture_run(s, {});
    auto ablated = capture_run(s, ablate_heads({{0, 2}, {1, 5}}));
    EXPECT_EQ(squared_norm(head_of((*ablated)(Site::V, 0), 2)), 0.0);
    EXPECT_GT(squared_norm(head_of((*base)(Site::V, 0), 2)), 0.0);
    EXPECT_TRUE(other_heads_same((*ablated)(Site::V, 0), (*base)(Site::V, 0), 2));
    EXPECT_EQ(squared_norm(head_of((*ablated)(Site::Z, 0), 2)), 0.0);
    for (Site site : {Site::RESID_PRE, Site::Q, Site::K, Site::SCORES, Site::PATTERN})
        EXPECT_TRUE(same_bits((*ablated)(site, 0), (*base)(site, 0))) << hook_name(site, 0);
    EXPECT_EQ(squared_norm(head_of((*ablated)(Site::V, 1), 5)), 0.0);
    EXPECT_GT(squared_norm(head_of((*ablated)(Site::V, 1), 4)), 0.0);
    EXPECT_TRUE(differs((*ablated)(Site::PATTERN, 1), (*base)(Site::PATTERN, 1))) << "0:2 feeds layer 1";

    const Gradients g = gradients(s.model, s.in, ablate_heads({{0, 2}, {1, 5}}));
    for (const char* w : {"W_Q", "W_K", "W_V", "W_O"}) {
        EXPECT_EQ(head_norm2(g, attn(0, w), 2), 0.0) << w;
        EXPECT_GT(head_norm2(g, attn(0, w), 1), 0.0) << w;
    }
    EXPECT_EQ(head_norm2(g, attn(1, "W_V"), 5), 0.0);
    EXPECT_EQ(head_norm2(g, attn(1, "W_O"), 5), 0.0);
    EXPECT_GT(head_norm2(g, attn(1, "W_V"), 4), 0.0);

    // Every layer-1 head but 3 ablated.
    auto only = capture_run(s, only_heads_active(1, {3}, int(H)));
    for (int64_t h = 0; h < H; ++h)
        if (h == 3)
            EXPECT_TRUE(same_bits(head_of((*only)(Site::V, 1), h), head_of((*base)(Site::V, 1), h)));
        else
            EXPECT_EQ(squared_norm(head_of((*only)(Site::V, 1), h)), 0.0) << "head " << h;
}

TEST(Clamp, PreservationTakesTheFirstUnablatedPass) {
    Batch s;
    auto base = capture_run(s, {});
    const std::vector<HeadId> heads = {{0, 2}};
    // Pattern-preserving ablation: layer 1 keeps the clean patterns; the values still change.
    auto plain = capture_run(s, ablate_heads(heads));
    auto ppa = capture_run(s, pattern_preserving_ablation(heads));
    EXPECT_TRUE(differs((*plain)(Site::PATTERN, 1), (*base)(Site::PATTERN, 1)));
    for (int l = 0; l < 2; ++l) EXPECT_TRUE(close((*ppa)(Site::PATTERN, l), (*base)(Site::PATTERN, l)));
    EXPECT_EQ(squared_norm(head_of((*ppa)(Site::V, 0), 2)), 0.0);
    EXPECT_TRUE(differs((*ppa)(Site::V, 1), (*base)(Site::V, 1)));
    // Value-preserving ablation: the ablation overrides preservation for 0:2 only; layer 1 keeps
    // the clean values, its patterns change.
    auto vpa = capture_run(s, value_preserving_ablation(heads));
    EXPECT_EQ(squared_norm(head_of((*vpa)(Site::V, 0), 2)), 0.0);
    EXPECT_TRUE(other_heads_same((*vpa)(Site::V, 0), (*base)(Site::V, 0), 2));
    EXPECT_TRUE(close((*vpa)(Site::V, 1), (*base)(Site::V, 1)));
    EXPECT_TRUE(differs((*vpa)(Site::PATTERN, 1), (*base)(Site::PATTERN, 1)));
    // q and k.
    auto pq = capture_run(s, join({preserve(Site::Q), ablate_heads(heads)}));
    EXPECT_TRUE(close((*pq)(Site::Q, 1), (*base)(Site::Q, 1)));
    EXPECT_TRUE(differs((*pq)(Site::K, 1), (*base)(Site::K, 1)));
    auto pk = capture_run(s, join({preserve(Site::K), ablate_heads(heads)}));
    EXPECT_TRUE(close((*pk)(Site::K, 1), (*base)(Site::K, 1)));
    EXPECT_TRUE(differs((*pk)(Site::Q, 1), (*base)(Site::Q, 1)));
    // Without an ablation, preservation changes nothing.
    for (Site site : {Site::PATTERN, Site::V, Site::Q, Site::K})
        EXPECT_TRUE(close(capture_run(s, preserve(site))->logits, base->logits)) << clamp_site_name(site);
}

TEST(Clamp, PreservedActivationsStayDifferentiable) {
    Batch s;
    const Gradients plain = gradients(s.model, s.in, {});
    // The preserved value is the same function of the parameters as the activation it replaces,
    // so the loss, hence its gradient, is the unclamped one: W_Q of layer 0 learns through the
    // preserved pattern.
    for (Site site : {Site::PATTERN, Site::V, Site::Q, Site::K}) {
        const Gradients g = gradients(s.model, s.in, preserve(site));
        for (const auto& [name, grad] : plain)
            EXPECT_TRUE(close(g.at(name), grad, {1e-13, 1e-8})) << clamp_site_name(site) << ": " << name;
    }
    EXPECT_GT(norm2(gradients(s.model, s.in, preserve(Site::PATTERN)), attn(0, "W_Q")), 0.0);
    // With stop_gradient the preserved patterns are constants.
    ClampSchedule detached = preserve(Site::PATTERN);
    detached.clamps[0].stop_gradient = true;
    const Gradients d = gradients(s.model, s.in, detached);
    for (int l = 0; l < 2; ++l) {
        EXPECT_EQ(norm2(d, attn(l, "W_Q")), 0.0) << "layer " << l;
        EXPECT_EQ(norm2(d, attn(l, "W_K")), 0.0) << "layer " << l;
        EXPECT_GT(norm2(d, attn(l, "W_V")), 0.0) << "layer " << l;
    }
}

TEST(Clamp, GraftTakesAnotherModelsBlockOutputAsAConstant) {
    Batch s;
    Transformer other = make_fewshot_model(fewshot_model_config(D, L), 99, DType::F64);
    testing::TempDir dir;
    const std::string path = dir / "other.safetensors";
    save_checkpoint(path, other);
    Interventions theirs;
    theirs.capture(Site::RESID_POST, 0);
    fewshot_forward(other, s.in, &theirs);

    auto base = capture_run(s, {});
    auto grafted = capture_run(s, graft(path, 0));
    EXPECT_TRUE(same_bits((*grafted)(Site::RESID_POST, 0), theirs.captured(Site::RESID_POST, 0)));
    EXPECT_TRUE(same_bits((*grafted)(Site::RESID_PRE, 1), theirs.captured(Site::RESID_POST, 0)));
    EXPECT_TRUE(differs((*grafted)(Site::RESID_POST, 0), (*base)(Site::RESID_POST, 0)));
    for (Site site : {Site::RESID_PRE, Site::PATTERN, Site::V, Site::RESID_MID})
        EXPECT_TRUE(same_bits((*grafted)(site, 0), (*base)(site, 0))) << hook_name(site, 0) << " is upstream";
    EXPECT_TRUE(differs((*grafted)(Site::PATTERN, 1), (*base)(Site::PATTERN, 1)));

    const Gradients g = gradients(s.model, s.in, graft(path, 0));
    for (const auto& [name, grad] : g) {
        const bool upstream = name.rfind("blocks.0.", 0) == 0 || name.rfind("embed.", 0) == 0 ||
                              name.rfind("exemplar_embed.", 0) == 0;
        if (upstream) {
            EXPECT_EQ(squared_norm(grad), 0.0) << name;
        }
    }
    for (const std::string& name : {attn(1, "W_Q"), attn(1, "W_V"), std::string("unembed.W_U")})
        EXPECT_GT(norm2(g, name), 0.0) << name;
}

// ---- (3) schedules ------------------------------------------------------------------------------

// Whether head 2 of layer 0 has the previous-token pattern of strength s in every sequence.
::testing::AssertionResult has_previous_token_pattern(const Tensor& A, double s) {
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 0; p < T; ++p)
            for (int64_t j = 0; j < T; ++j)
                if (std::abs(A.at({b, 2, p, j}) - previous_token_entry(p, j, s)) > 1e-15)
                    return ::testing::AssertionFailure() << "A[" << b << ", 2, " << p << ", " << j << "] = "
                                                         << A.at({b, 2, p, j}) << ", strength " << s;
    return ::testing::AssertionSuccess();
}

TEST(Clamp, ScheduleIsActiveExactlyInItsSteps) {
    Batch s;
    const ClampSchedule schedule = during(previous_token_clamp({0, 2}), 10, 20);
    for (int64_t step = 0; step < 40; ++step)
        EXPECT_EQ(schedule.clamps[0].active_at(step), step >= 10 && step < 20) << "step " << step;
    EXPECT_TRUE(during(previous_token_clamp({0, 2}), 5, -1).clamps[0].active_at(int64_t{1} << 40));
    auto base = capture_run(s, {});
    for (int64_t step : {0, 9, 10, 15, 19, 20, 1000}) {
        auto c = capture_run(s, schedule, step);
        if (step >= 10 && step < 20)
            EXPECT_TRUE(has_previous_token_pattern((*c)(Site::PATTERN, 0), 1.0)) << "step " << step;
        else
            EXPECT_TRUE(same_bits((*c)(Site::PATTERN, 0), (*base)(Site::PATTERN, 0))) << "step " << step;
    }
}

TEST(Clamp, RampRaisesTheStrengthLinearly) {
    Batch s;
    const ClampSchedule ramp = during(previous_token_clamp({0, 2}), 100, -1, /*ramp_steps=*/10, /*ramp_from=*/0.0);
    for (auto [step, strength] : {std::pair<int64_t, double>{100, 0.0}, {103, 0.3}, {105, 0.5}, {110, 1.0}, {500, 1.0}})
        EXPECT_TRUE(has_previous_token_pattern((*capture_run(s, ramp, step))(Site::PATTERN, 0), strength))
            << "step " << step;
    // From 0.5 to the clamp's own strength 0.9 over 4 steps: halfway is 0.7.
    const ClampSchedule partial = during(previous_token_clamp({0, 2}, 0.9), 0, -1, 4, 0.5);
    EXPECT_TRUE(has_previous_token_pattern((*capture_run(s, partial, 2))(Site::PATTERN, 0), 0.7));
    // A value without a strength is mixed in: halfway, the ablated head's values are halved.
    auto base = capture_run(s, {});
    auto half = capture_run(s, during(ablate_heads({{0, 2}}), 0, -1, 10, 0.0), 5);
    EXPECT_TRUE(close(head_of((*half)(Site::V, 0), 2), scale(head_of((*base)(Site::V, 0), 2), 0.5)));
    EXPECT_TRUE(other_heads_same((*half)(Site::V, 0), (*base)(Site::V, 0), 2));
}

TEST(Clamp, RampedStopGradientDetachesOnlyTheOtherPassValue) {
    // Halfway through a ramp, layer 1's pattern is 0.5 · (preserved) + 0.5 · (own). Detaching the
    // preserved half leaves the own half: W_Q of layer 1 gets half the unclamped gradient; not
    // detached, both halves carry it, the whole gradient.
    Batch s;
    const Gradients plain = gradients(s.model, s.in, {});
    ClampSchedule schedule = preserve(Site::PATTERN);
    schedule.clamps[0].layers = {1};
    schedule = during(schedule, 0, -1, 10, 0.0);
    for (bool stop : {false, true}) {
        schedule.clamps[0].stop_gradient = stop;
        const Gradients g = gradients(s.model, s.in, schedule, /*step=*/5);
        for (const char* w : {"W_Q", "W_K"})
            EXPECT_TRUE(close(g.at(attn(1, w)), scale(plain.at(attn(1, w)), stop ? 0.5 : 1.0), {1e-13, 1e-8}))
                << w << (stop ? " detached" : "");
    }
}

// ---- JSON ---------------------------------------------------------------------------------------

std::string round_tripped(const ClampSchedule& s) {
    return json::dump(ClampSchedule::from_json(json::parse(json::dump(s.to_json()))).to_json());
}

TEST(Clamp, EveryCatalogueRowRoundTripsThroughJsonAndRunsTheSame) {
    Batch s;
    Transformer other = make_fewshot_model(fewshot_model_config(D, L), 98, DType::F64);
    testing::TempDir dir;
    save_checkpoint(dir / "other.safetensors", other);
    const std::vector<ClampSchedule> rows = {
        previous_token_clamp({0, 2}, 0.6), previous_token_clamp({0, 1}, 1.0, true), induction_clamp({1, 3}, 0.7),
        perfect_copy_clamp({1, 3}), layer1_clamp(0), layer1_clamp(0, true), layer1_copy_clamp({1, 3}),
        ablate_heads({{0, 2}, {1, 5}}), only_heads_active(1, {3}, int(H)), preserve(Site::PATTERN),
        preserve(Site::V), preserve(Site::Q), preserve(Site::K), pattern_preserving_ablation({{0, 2}}),
        value_preserving_ablation({{0, 2}}), graft(dir / "other.safetensors", 0),
        during(join({layer1_clamp(0), induction_clamp({1, 3})}), 3, 9, 4, 0.25)};
    for (const ClampSchedule& row : rows) {
        const std::string written = json::dump(row.to_json());
        SCOPED_TRACE(written);
        EXPECT_EQ(round_tripped(row), written);
        const ClampSchedule read = ClampSchedule::from_json(json::parse(written));
        EXPECT_NO_THROW(read.validate_for(s.model.config, "row"));
        Interventions a, b;
        EXPECT_TRUE(same_bits(run(s, read, a, 5), run(s, row, b, 5)));
    }
}

TEST(Clamp, ScheduleWithEveryFieldRoundTrips) {
    const std::string text = R"({"clamps": [
        {"name": "pt", "site": "pattern", "layer": [0], "head": [2, 5], "positions": [1, 3],
         "mask": [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]],
         "value": "previous_token", "strength": 0.75, "steps": [10, 20], "ramp": {"steps": 5, "from": 0.25},
         "stop_gradient": true},
        {"name": "const", "site": "resid_post", "layer": "all", "value": "constant", "strength": 1,
         "data": [[0.5, -1], [2, 3]], "steps": [0, null]},
        {"site": "logits", "layer": "all", "value": "perfect_copy", "strength": 1, "source": {"layer": 1, "head": 3},
         "pass": {"clamps": [{"site": "resid_post", "layer": [0], "value": "shifted_embeddings", "strength": 1,
                              "docstring_shift": true, "steps": [0, null]}]},
         "steps": [0, null]},
        {"site": "v", "layer": [1], "value": "pass", "strength": 1, "pass_site": {"site": "v", "layer": 0},
         "steps": [0, null]},
        {"site": "z", "layer": [0, 1], "value": "zero", "strength": 1, "steps": [0, null]},
        {"site": "resid_post", "layer": [0], "value": "checkpoint", "strength": 1, "checkpoint": "other.safetensors",
         "steps": [3, 7]}]})";
    const json::Value parsed = json::parse(text);
    const ClampSchedule s = ClampSchedule::from_json(parsed, "spec.json");
    EXPECT_EQ(json::dump(s.to_json()), json::dump(parsed));
    EXPECT_EQ(round_tripped(s), json::dump(parsed));
    ASSERT_EQ(s.clamps.size(), 6u);
    const Clamp& pt = s.clamps[0];
    EXPECT_EQ(pt.name, "pt");
    EXPECT_EQ(pt.layers, std::vector<int>({0}));
    EXPECT_EQ(pt.heads, std::vector<int>({2, 5}));
    EXPECT_EQ(pt.positions, std::vector<int>({1, 3}));
    EXPECT_EQ(pt.mask_shape, Shape({5, 5}));
    EXPECT_EQ(pt.mask[5], 1.0);
    EXPECT_EQ(pt.value.kind, ClampValueKind::PREVIOUS_TOKEN);
    EXPECT_EQ(pt.value.strength, 0.75);
    EXPECT_EQ(pt.first_step, 10);
    EXPECT_EQ(pt.end_step, 20);
    EXPECT_EQ(pt.ramp_steps, 5);
    EXPECT_EQ(pt.ramp_from, 0.25);
    EXPECT_TRUE(pt.stop_gradient);
    EXPECT_TRUE(s.clamps[1].layers.empty());
    EXPECT_EQ(s.clamps[1].value.data, std::vector<double>({0.5, -1, 2, 3}));
    EXPECT_EQ(s.clamps[1].end_step, -1);
    EXPECT_EQ(s.clamps[2].value.source_layer, 1);
    EXPECT_EQ(s.clamps[2].value.source_head, 3);
    ASSERT_TRUE(s.clamps[2].value.pass);
    EXPECT_TRUE(s.clamps[2].value.pass->clamps.at(0).value.docstring_shift);
    EXPECT_TRUE(s.clamps[3].value.has_pass_site);
    EXPECT_EQ(s.clamps[3].value.pass_site, Site::V);
    EXPECT_EQ(s.clamps[4].layers, std::vector<int>({0, 1}));
    EXPECT_EQ(s.clamps[5].value.checkpoint, "other.safetensors");
}

TEST(Clamp, ConstantValueWithAnElementMaskSetsOnlyTheMaskedEntries) {
    Batch s;
    auto base = capture_run(s, {});
    // Head 4's pattern: the diagonal ← 1 (a constant over one head's [T, T] slice), the rest as computed.
    const ClampSchedule schedule = ClampSchedule::from_json(json::parse(R"({"clamps": [{"site": "pattern", "layer": 1,
        "head": 4, "value": "constant", "data": [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1]], "mask": [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1]]}]})"));
    auto c = capture_run(s, schedule);
    const Tensor &A = (*c)(Site::PATTERN, 1), &A0 = (*base)(Site::PATTERN, 1);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t p = 0; p < T; ++p)
            for (int64_t j = 0; j < T; ++j)
                EXPECT_EQ(A.at({b, 4, p, j}), p == j ? 1.0 : A0.at({b, 4, p, j}));
    EXPECT_TRUE(other_heads_same(A, A0, 4));
}

TEST(Clamp, BadSpecsAreReportedNamingTheField) {
    auto read = [](const std::string& clamp) {
        return ClampSchedule::from_json(json::parse(R"({"clamps": [)" + clamp + "]}"), "spec.json");
    };
    EXPECT_THROW_MESSAGE(read(R"({"site": "pattern", "value": "zero", "colour": 1})"),
                         "spec.json clamps[0]: unknown field 'colour'");
    EXPECT_THROW_MESSAGE(read(R"({"site": "patern", "value": "zero"})"),
                         "spec.json clamps[0]: field 'site' must be one of");
    EXPECT_THROW_MESSAGE(read(R"({"site": "pattern", "value": "zeroes"})"),
                         "spec.json clamps[0]: field 'value' must be one of");
    EXPECT_THROW_MESSAGE(read(R"({"site": "pattern", "value": "previous_token", "strength": 1.5})"),
                         "spec.json clamps[0]: field 'strength' must be in [0, 1], got 1.5");
    EXPECT_THROW_MESSAGE(read(R"({"site": "resid_post", "head": 1, "value": "zero"})"),
                         "spec.json clamps[0]: site 'resid_post' has no heads");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "constant"})"), "field 'data' is given exactly when value is");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "data": [1]})"), "field 'data'");
    EXPECT_THROW_MESSAGE(read(R"({"site": "logits", "value": "perfect_copy"})"), "needs field 'source'");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "steps": [5, 5]})"), "field 'steps'");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "ramp": {"steps": 3, "from": 2}})"), "field 'ramp'");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "layer": -1})"), "field 'layer' must be an integer");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "pass": {"clamps": [{"site": "x", "value": "zero"}]}})"),
                         "spec.json clamps[0] pass clamps[0]: field 'site'");
    EXPECT_THROW_MESSAGE(ClampSchedule::from_json(json::parse(R"({"clamps": [], "extra": 1})"), "spec.json"),
                         "spec.json: unknown field 'extra'");
    // What only the model can say: layers, heads and source heads it does not have.
    const ModelConfig config = fewshot_model_config(D, L);
    EXPECT_NO_THROW(read(R"({"site": "v", "value": "zero", "layer": 1, "head": 7})").validate_for(config, "spec.json"));
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "layer": 2})").validate_for(config, "spec.json"),
                         "spec.json clamps[0]: field 'layer' 2 is not a layer of this model (n_layers = 2)");
    EXPECT_THROW_MESSAGE(read(R"({"site": "v", "value": "zero", "head": 8})").validate_for(config, "spec.json"),
                         "field 'head' 8 is not a head of this model");
    EXPECT_THROW_MESSAGE(read(R"({"site": "logits", "value": "perfect_copy", "source": {"layer": 2, "head": 0}})")
                             .validate_for(config, "spec.json"),
                         "field 'source'");
    EXPECT_THROW_MESSAGE(
        read(R"({"site": "v", "value": "pass", "pass": {"clamps": [{"site": "v", "value": "zero", "layer": 3}]}})")
            .validate_for(config, "spec.json"),
        "spec.json clamps[0] pass clamps[0]: field 'layer' 3");
}

}  // namespace
}  // namespace induction
