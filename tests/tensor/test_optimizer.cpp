// test_optimizer.cpp — the GLOBAL_NORM and ADAMW ops: hand-computed values and misuse. (Parity
// with the reference backend: the harness, tests/tensor/parity_cases.cpp; against PyTorch over
// three training steps: tests/train/test_golden_steps.cpp.)
#include <cmath>

#include "tensor/ops.h"
#include "tests/support/testing.h"

namespace induction::testing {

TEST(GlobalNorm, HandComputed) {
    for_each_backend([](const char* backend) {
        Tensor a = Tensor::from_vector({2}, {3, 4}), b = Tensor::from_vector({1}, {12}, DType::F64);
        Tensor norm = global_norm({a, b});
        EXPECT_EQ(norm.dtype(), DType::F64);
        EXPECT_DOUBLE_EQ(norm.item(), 13.0) << backend;  // sqrt(9 + 16 + 144)
    });
}

TEST(AdamWOp, OneStepByHand) {
    for_each_backend([](const char* backend) {
        // Step 1: m = (1-β1) g, v = (1-β2) g², m̂ = g, v̂ = g²: θ ← (1 − ηλ)θ − η g / (|g| + ε).
        Tensor param = Tensor::from_vector({2}, {1.0, -2.0}, DType::F64);
        Tensor grad = Tensor::from_vector({2}, {0.5, -4.0}, DType::F64);
        Tensor zero = Tensor::zeros({2}, DType::F64);
        AdamWStep step{0.1, 0.9, 0.99, 1e-8, 0.5, 1, INFINITY};
        AdamWUpdate u = adamw_update(param, grad, zero, zero, Tensor::full({}, 4.03, DType::F64), step);
        std::vector<double> theta = u.param.to_vector();
        EXPECT_NEAR(theta[0], 0.95 * 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-12) << backend;
        EXPECT_NEAR(theta[1], 0.95 * -2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-12) << backend;
        EXPECT_NEAR(u.m.to_vector()[1], 0.1 * -4.0, 1e-15);
        EXPECT_NEAR(u.v.to_vector()[1], 0.01 * 16.0, 1e-15);
        // Clipping to norm 1 scales g by 1 / (4.03 + 1e-6) first: the moments see the scaled g.
        step.max_grad_norm = 1.0;
        u = adamw_update(param, grad, zero, zero, Tensor::full({}, 4.03, DType::F64), step);
        EXPECT_NEAR(u.m.to_vector()[1], 0.1 * -4.0 / (4.03 + 1e-6), 1e-15) << backend;
        // A non-finite norm leaves everything as it was.
        u = adamw_update(param, grad, zero, zero, Tensor::full({}, NAN, DType::F64), step);
        EXPECT_EQ(u.param.to_vector(), param.to_vector());
        EXPECT_EQ(u.m.to_vector(), zero.to_vector());
    });
}

TEST(AdamWOp, RefusesMismatchedInputs) {
    Tensor p = Tensor::zeros({3}), norm = Tensor::zeros({}, DType::F64);
    EXPECT_THROW_MESSAGE(adamw_update(p, Tensor::zeros({4}), p, p, norm, {}),
                         "adamw: the gradient is f32[4], expected the parameter's f32[3]");
    EXPECT_THROW_MESSAGE(adamw_update(p, p, p, Tensor::zeros({3}, DType::F64), norm, {}),
                         "adamw: the second moment is f64[3]");
    EXPECT_THROW_MESSAGE(adamw_update(p, p, p, p, Tensor::zeros({}), {}), "adamw: grad_norm must be an f64 scalar");
    EXPECT_THROW_MESSAGE(adamw_update(p, p, p, p, norm, AdamWStep{1e-3, 1.0}), "expected step >= 1, betas in [0, 1)");
    EXPECT_THROW_MESSAGE(global_norm({}), "global_norm: no tensors");
    EXPECT_THROW_MESSAGE(global_norm({Tensor::zeros({2}, DType::I32)}), "global_norm: expected f32 or f64 tensors");
}

}  // namespace induction::testing
