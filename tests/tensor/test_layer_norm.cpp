// test_layer_norm.cpp — layer norm and its backward: fast vs reference on awkward shapes and on
// inputs with a large mean, hand-computed values, the deterministic column sums of the fast
// backward, and misuse errors.
#include <cmath>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "tensor/ops.h"
#include "tests/support/testing.h"

namespace induction::testing {


namespace {

const std::vector<Shape> SHAPES = [] {
    std::vector<Shape> shapes;
    for (int64_t rows : {1, 7, 33, 257})
        for (int64_t d : {1, 7, 33, 257, 2049}) shapes.push_back(Shape{rows, d});
    shapes.push_back(Shape{2, 3, 33});
    shapes.push_back(Shape{2, 2, 3, 7});
    shapes.push_back(Shape{1031, 128});  // enough rows for several backward chunks
    return shapes;
}();

struct Inputs {
    Tensor x, gamma, beta, g;
};

Inputs inputs_for(const Shape& shape, DType dtype, double offset = 0) {
    int64_t d = shape.back(1);
    return {random_tensor(shape, dtype, 1, offset - 2, offset + 2),
            random_tensor({d}, dtype, 2, 0.5, 1.5), random_tensor({d}, dtype, 3),
            random_tensor(shape, dtype, 4)};
}

}  // namespace

TEST(LayerNorm, FastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64})
        for (const Shape& shape : SHAPES)
            for (double offset : {0.0, 100.0}) {  // 100: |mean| >> std tests the variance formula
                Inputs in = inputs_for(shape, dtype, offset);
                auto forward = [&] { return layer_norm(in.x, in.gamma, in.beta, 1e-5); };
                EXPECT_TRUE(fast_matches_reference([&] { return forward().y; })) << describe(in.x);
                EXPECT_TRUE(fast_matches_reference([&] { return forward().mean; }))
                    << describe(in.x);
                EXPECT_TRUE(fast_matches_reference([&] { return forward().rstd; }))
                    << describe(in.x);
            }
}

TEST(LayerNorm, BackwardFastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64})
        for (const Shape& shape : SHAPES) {
            Inputs in = inputs_for(shape, dtype);
            LayerNormResult r = layer_norm(in.x, in.gamma, in.beta);
            auto backward = [&] {
                return layer_norm_backward(in.x, in.gamma, r.mean, r.rstd, in.g);
            };
            EXPECT_TRUE(fast_matches_reference([&] { return backward().dx; })) << describe(in.x);
            EXPECT_TRUE(fast_matches_reference([&] { return backward().dgamma; }))
                << describe(in.x);
            EXPECT_TRUE(fast_matches_reference([&] { return backward().dbeta; })) << describe(in.x);
        }
}

TEST(LayerNorm, HandComputedValues) {
    // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
    Tensor x = Tensor::from_vector({1, 4}, {1, 2, 3, 4}, DType::F64);
    Tensor gamma = Tensor::from_vector({4}, {1, 2, 0.5, -1}, DType::F64);
    Tensor beta = Tensor::from_vector({4}, {0, 1, 0, 2}, DType::F64);
    for_each_backend([&](const char* backend) {
        LayerNormResult r = layer_norm(x, gamma, beta, 0.0);
        double rstd = 1 / std::sqrt(1.25);
        EXPECT_NEAR(r.mean.item(), 2.5, 1e-15);
        EXPECT_NEAR(r.rstd.item(), rstd, 1e-15);
        std::vector<double> y = r.y.to_vector();
        std::vector<double> expected = {-1.5 * rstd, 2 * -0.5 * rstd + 1, 0.5 * 0.5 * rstd,
                                        -1 * 1.5 * rstd + 2};
        for (int j = 0; j < 4; ++j) EXPECT_NEAR(y[j], expected[j], 1e-15);
        // D = 1: every value is its own mean, so y = beta and rstd = 1/sqrt(eps).
        LayerNormResult one =
            layer_norm(Tensor::from_vector({3, 1}, {5, -2, 7}, DType::F64),
                       Tensor::full({1}, 3, DType::F64), Tensor::full({1}, 0.25, DType::F64), 1e-2);
        EXPECT_EQ(one.y.to_vector(), (std::vector<double>{0.25, 0.25, 0.25}));
        EXPECT_EQ(one.mean.to_vector(), (std::vector<double>{5, -2, 7}));
        EXPECT_NEAR(one.rstd.to_vector()[0], 10, 1e-12) << backend;
    });
}

TEST(LayerNorm, NormalisedRowsHaveZeroMeanUnitVariance) {
    Tensor x = random_tensor({7, 257}, DType::F64, 5, -3, 9);
    std::vector<double> y =
        layer_norm(x, Tensor::full({257}, 1, DType::F64), Tensor::zeros({257}, DType::F64), 0)
            .y.to_vector();
    for (int r = 0; r < 7; ++r) {
        double sum = 0, squares = 0;
        for (int j = 0; j < 257; ++j) {
            sum += y[r * 257 + j];
            squares += y[r * 257 + j] * y[r * 257 + j];
        }
        EXPECT_NEAR(sum / 257, 0, 1e-14);
        EXPECT_NEAR(squares / 257, 1, 1e-13);
    }
}

TEST(LayerNorm, BackwardHandProperties) {
    // dbeta is the column sum of g; each row of dx sums to 0 (xhat is centred).
    Inputs in = inputs_for({33, 7}, DType::F64);
    LayerNormResult r = layer_norm(in.x, in.gamma, in.beta);
    LayerNormGrads grads = layer_norm_backward(in.x, in.gamma, r.mean, r.rstd, in.g);
    std::vector<double> g = in.g.to_vector(), dx = grads.dx.to_vector(),
                        dbeta = grads.dbeta.to_vector();
    for (int j = 0; j < 7; ++j) {
        double column = 0;
        for (int row = 0; row < 33; ++row) column += g[row * 7 + j];
        EXPECT_NEAR(dbeta[j], column, 1e-13);
    }
    for (int row = 0; row < 33; ++row) {
        double sum = 0;
        for (int j = 0; j < 7; ++j) sum += dx[row * 7 + j];
        EXPECT_NEAR(sum, 0, 1e-13);
    }
}

TEST(LayerNorm, BackwardIsDeterministicAcrossThreadCounts) {
    Inputs in = inputs_for({4099, 96}, DType::F32);
    LayerNormResult r = layer_norm(in.x, in.gamma, in.beta);
    auto run = [&] { return layer_norm_backward(in.x, in.gamma, r.mean, r.rstd, in.g); };
    LayerNormGrads first = run(), again = run();
    EXPECT_EQ(first.dgamma.to_vector(), again.dgamma.to_vector());
    EXPECT_EQ(first.dbeta.to_vector(), again.dbeta.to_vector());
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    LayerNormGrads serial = run();
    omp_set_num_threads(std::max(threads, 3));
    LayerNormGrads parallel = run();
    omp_set_num_threads(threads);
    EXPECT_EQ(serial.dgamma.to_vector(), parallel.dgamma.to_vector());
    EXPECT_EQ(serial.dbeta.to_vector(), parallel.dbeta.to_vector());
    EXPECT_EQ(serial.dx.to_vector(), parallel.dx.to_vector());
    EXPECT_EQ(serial.dgamma.to_vector(), first.dgamma.to_vector());
#endif
}

TEST(LayerNorm, MisuseNamesOpAndShapes) {
    Tensor x = Tensor::zeros({2, 4}), gamma = Tensor::zeros({4}), beta = Tensor::zeros({4});
    EXPECT_THROW_MESSAGE(layer_norm(x, Tensor::zeros({5}), beta),
                         "layer_norm: gamma f32[5] for x f32[2, 4] (expected f32[4])");
    EXPECT_THROW_MESSAGE(layer_norm(x, gamma, Tensor::zeros({4}, DType::F64)),
                         "layer_norm: beta f64[4] for x f32[2, 4] (expected f32[4])");
    EXPECT_THROW_MESSAGE(layer_norm(x, Tensor::zeros({1, 4}), beta),
                         "layer_norm: gamma f32[1, 4] for x f32[2, 4] (expected f32[4])");
    EXPECT_THROW_MESSAGE(layer_norm(Tensor::zeros({2, 4}, DType::I32), gamma, beta),
                         "layer_norm: x must be f32 or f64, got i32[2, 4]");
    EXPECT_THROW_MESSAGE(layer_norm(Tensor::scalar(1), gamma, beta),
                         "layer_norm: x f32[] has no last axis to normalise over");
    EXPECT_THROW_MESSAGE(layer_norm(x, gamma, beta, -1),
                         "layer_norm: eps -1 (expected a finite eps >= 0)");
    LayerNormResult r = layer_norm(x, gamma, beta);
    EXPECT_THROW_MESSAGE(layer_norm_backward(x, gamma, Tensor::zeros({3}), r.rstd, x),
                         "layer_norm_backward: mean f32[3] for x f32[2, 4] (expected f32[2])");
    EXPECT_THROW_MESSAGE(layer_norm_backward(x, gamma, r.mean, r.rstd, Tensor::zeros({4, 2})),
                         "layer_norm_backward: g f32[4, 2] for x f32[2, 4] (expected f32[2, 4])");
    EXPECT_THROW_MESSAGE(layer_norm_backward(x, gamma, r.mean, Tensor(), x),
                         "layer_norm_backward: rstd is an undefined tensor");
}

}  // namespace induction::testing
