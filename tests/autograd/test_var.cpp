// test_var.cpp — the backward pass itself: accumulation, reuse of a value, NoGrad, errors.
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

TEST(Var, DiamondGraphAccumulatesBothPaths) {
    // y = x*x + x*3 → dy/dx = 2x + 3
    Var x(Tensor::from_vector({3}, {1, 2, 3}, DType::F64), true);
    Var y = add(mul(x, x), scale(x, 3));
    backward(y, Tensor::full({3}, 1.0, DType::F64));
    EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{5, 7, 9}));
}

TEST(Var, GradientsAccumulateAcrossBackwardCallsUntilZeroed) {
    Var x(Tensor::from_vector({1}, {2}, DType::F64), true);
    backward(mul(x, x));
    backward(mul(x, x));
    EXPECT_EQ(x.grad().item(), 8);
    x.zero_grad();
    EXPECT_FALSE(x.grad().defined());
}

TEST(Var, NoGradRecordsNothing) {
    Var x(Tensor::from_vector({1}, {2}), true);
    NoGrad no_grad;
    Var y = mul(x, x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_THROW_MESSAGE(backward(y), "backward: the root does not require a gradient");
}

TEST(Var, ConstantsGetNoGradient) {
    Var x(Tensor::from_vector({2}, {1, 2}, DType::F64), true);
    Var c(Tensor::from_vector({2}, {5, 7}, DType::F64));
    backward(mul(x, c), Tensor::full({2}, 1.0, DType::F64));
    EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{5, 7}));
    EXPECT_FALSE(c.grad().defined());
}

TEST(Var, SecondBackwardThroughFreedGraphIsAnError) {
    Var x(Tensor::from_vector({1}, {2}), true);
    Var y = exp(x);
    backward(y);
    EXPECT_THROW_MESSAGE(backward(y), "already backpropagated");
}

TEST(Var, NonScalarRootNeedsSeed) {
    Var x(Tensor::from_vector({2}, {1, 2}), true);
    EXPECT_THROW_MESSAGE(backward(exp(x)), "backward: the root must hold one element");
}

}  // namespace induction::testing
