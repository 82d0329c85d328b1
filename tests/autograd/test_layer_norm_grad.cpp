// test_layer_norm_grad.cpp — f64 gradient checks of layer norm with respect to x, gamma and beta.
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, LAYER_NORM);

TEST(LayerNormGrad, AllThreeInputs) {
    for (Shape shape : {Shape{4, 6}, Shape{2, 3, 5}, Shape{3, 1}}) {
        int64_t d = shape.back(1);
        Tensor x = random_tensor(shape, DType::F64, 1, -2, 2);
        Tensor gamma = random_tensor({d}, DType::F64, 2, 0.5, 1.5);
        Tensor beta = random_tensor({d}, DType::F64, 3);
        EXPECT_TRUE(gradient_ok(
            [](const std::vector<Var>& v) { return layer_norm(v[0], v[1], v[2], 1e-5); },
            {x, gamma, beta}))
            << shape.str();
    }
}

TEST(LayerNormGrad, LargeEps) {
    // eps comparable to the variance: the eps term must enter rstd, and so the gradient.
    Tensor x = random_tensor({3, 4}, DType::F64, 4, -0.5, 0.5);
    Tensor gamma = random_tensor({4}, DType::F64, 5, 0.5, 1.5);
    Tensor beta = random_tensor({4}, DType::F64, 6);
    EXPECT_TRUE(
        gradient_ok([](const std::vector<Var>& v) { return layer_norm(v[0], v[1], v[2], 0.1); },
                    {x, gamma, beta}));
}

}  // namespace induction::testing
