// test_layout_grad.cpp — f64 gradient checks of reshape, shift, slice, concat and permute.
#include <algorithm>
#include <numeric>

#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, SHIFT);
COVERS(GRADCHECK, SLICE);
COVERS(GRADCHECK, CONCAT);
COVERS(GRADCHECK, PERMUTE);

TEST(LayoutGrad, Reshape) {
    Tensor x = random_tensor({2, 3, 4}, DType::F64, 1);
    EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return reshape(v[0], {6, 4}); }, {x}));
    // Through a reshape into an op that mixes elements, so a mis-shaped gradient would show.
    EXPECT_TRUE(gradient_ok(
        [](const std::vector<Var>& v) { return shift(reshape(v[0], {4, 6}), 0); }, {x}));
}

TEST(LayoutGrad, ShiftOnEveryAxis) {
    Tensor x = random_tensor({3, 4, 5}, DType::F64, 2);
    for (int axis = -3; axis < 3; ++axis)
        for (bool replicate : {true, false})
            EXPECT_TRUE(gradient_ok(
                [=](const std::vector<Var>& v) { return shift(v[0], axis, replicate); }, {x}))
                << "axis " << axis << " replicate " << replicate;
    Tensor single = random_tensor({1, 3}, DType::F64, 3);
    EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return shift(v[0], 0); }, {single}));
}

TEST(LayoutGrad, SliceOnEveryAxis) {
    Tensor x = random_tensor({3, 4, 5}, DType::F64, 4);
    for (int axis = -3; axis < 3; ++axis)
        EXPECT_TRUE(gradient_ok(
            [=](const std::vector<Var>& v) { return slice(v[0], axis, 1, 3); }, {x}))
            << "axis " << axis;
}

TEST(LayoutGrad, ConcatOnEveryAxis) {
    for (int axis = -3; axis < 3; ++axis) {
        std::vector<Tensor> parts;
        for (int64_t size : {1, 3, 2}) {
            Shape shape{2, 3, 4};
            shape[shape.axis(axis, "test")] = size;
            parts.push_back(random_tensor(shape, DType::F64, 5 + parts.size()));
        }
        EXPECT_TRUE(gradient_ok([=](const std::vector<Var>& v) { return concat(v, axis); }, parts))
            << "axis " << axis;
    }
}

TEST(LayoutGrad, ConcatWithAConstantPart) {
    Var constant(Tensor::zeros({1, 3}, DType::F64));
    Var x(random_tensor({2, 3}, DType::F64, 8), true);
    backward(concat({constant, x}, 0), Tensor::full({3, 3}, 1.0, DType::F64));
    EXPECT_FALSE(constant.grad().defined());
    EXPECT_EQ(x.grad().to_vector(), std::vector<double>(6, 1.0));
}

TEST(LayoutGrad, PermuteEveryPermutation) {
    Tensor x = random_tensor({2, 3, 1, 4}, DType::F64, 9);
    std::vector<int> perm{0, 1, 2, 3};
    do {
        EXPECT_TRUE(gradient_ok(
            [perm](const std::vector<Var>& v) { return permute(v[0], perm); }, {x}));
    } while (std::next_permutation(perm.begin(), perm.end()));
    Tensor m = random_tensor({3, 5}, DType::F64, 10);
    EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return permute(v[0], {1, 0}); }, {m}));
}

}  // namespace induction::testing
