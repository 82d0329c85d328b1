// test_reduce_grad.cpp — f64 gradient checks of sum, mean, max and broadcast_to on every axis.
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, SUM);
COVERS(GRADCHECK, MEAN);
COVERS(GRADCHECK, MAX);
COVERS(GRADCHECK, BROADCAST_TO);

using Reduction = Var (*)(const Var&, int, bool);

TEST(ReduceGrad, SumMeanMaxOnEveryAxis) {
    for (Shape shape : {Shape{7}, Shape{3, 4}, Shape{2, 3, 4}, Shape{2, 3, 1, 5}}) {
        // Distinct random values: the max is unique and stays put under the finite differences.
        Tensor x = random_tensor(shape, DType::F64, 1);
        for (int axis = -shape.ndim; axis < shape.ndim; ++axis)
            for (bool keepdim : {false, true})
                for (Reduction op : {Reduction{sum}, Reduction{mean}, Reduction{max}})
                    EXPECT_TRUE(gradient_ok(
                        [=](const std::vector<Var>& v) { return op(v[0], axis, keepdim); }, {x}))
                        << shape.str() << " axis " << axis << " keepdim " << keepdim;
    }
}

TEST(ReduceGrad, MaxGradientGoesToOnePosition) {
    Var x(Tensor::from_vector({4}, {1, 3, 3, 2}, DType::F64), true);
    backward(max(x, 0));
    EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0, 1, 0, 0}));  // the first of the tie
}

TEST(ReduceGrad, BroadcastTo) {
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{3}, {2, 3}}, {{2, 1, 3}, {2, 4, 3}}, {{1}, {5}}, {{}, {2, 2}}, {{4, 1}, {2, 3, 4, 5}},
    };
    for (auto [from, to] : cases) {
        Tensor x = random_tensor(from, DType::F64, 2);
        EXPECT_TRUE(gradient_ok(
            [to](const std::vector<Var>& v) { return broadcast_to(v[0], to); }, {x}))
            << from.str() << " to " << to.str();
    }
}

}  // namespace induction::testing
