// test_softmax_grad.cpp — f64 gradient checks of softmax (plain, causal, local windows) and of the
// cross-entropy loss (with ignored targets).
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, SOFTMAX);
COVERS(GRADCHECK, CROSS_ENTROPY);

TEST(SoftmaxGrad, Plain) {
    for (Shape shape : {Shape{3, 5}, Shape{2, 3, 4}, Shape{4, 1}}) {
        Tensor x = random_tensor(shape, DType::F64, 1, -2, 2);
        EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return softmax(v[0]); }, {x}))
            << shape.str();
    }
}

TEST(SoftmaxGrad, Causal) {
    Tensor x = random_tensor({2, 4, 4}, DType::F64, 2, -2, 2);
    EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return softmax(v[0], true); }, {x}));
}

TEST(SoftmaxGrad, LocalWindows) {
    Tensor x = random_tensor({2, 3, 5, 5}, DType::F64, 3, -2, 2);
    for (bool causal : {true, false})
        EXPECT_TRUE(gradient_ok(
            [causal](const std::vector<Var>& v) {
                return softmax(v[0], causal, {0, 1, 3});
            },
            {x}))
            << "causal " << causal;
}

TEST(CrossEntropyGrad, WithIgnoredTargets) {
    Tensor logits = random_tensor({5, 7}, DType::F64, 4, -2, 2);
    Tensor targets = Tensor::from_ints({5}, {3, -1, 0, 6, 2});
    EXPECT_TRUE(gradient_ok(
        [targets](const std::vector<Var>& v) { return cross_entropy(v[0], targets); }, {logits}));
    // ignore_index may be a real class: targets equal to it pass no gradient.
    Tensor with_class_ignored = Tensor::from_ints({5}, {4, 4, 0, 6, 2});
    EXPECT_TRUE(gradient_ok(
        [with_class_ignored](const std::vector<Var>& v) {
            return cross_entropy(v[0], with_class_ignored, 4);
        },
        {logits}));
}

TEST(CrossEntropyGrad, AfterSoftmaxInput) {
    // The loss composed with another op: gradients flow through cross_entropy into softmax.
    Tensor x = random_tensor({3, 4}, DType::F64, 5, -2, 2);
    Tensor targets = Tensor::from_ints({3}, {1, 3, -1});
    EXPECT_TRUE(gradient_ok(
        [targets](const std::vector<Var>& v) { return cross_entropy(softmax(v[0]), targets); },
        {x}));
}

}  // namespace induction::testing
