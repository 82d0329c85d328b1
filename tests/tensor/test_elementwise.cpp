// test_elementwise.cpp — elementwise ops: fast vs reference on awkward shapes, broadcasting,
// values against hand computations, and misuse errors.
#include <cmath>
#include <limits>

#include "tensor/cpu/fast_math.h"
#include "tensor/ops.h"
#include "tests/support/testing.h"

namespace induction::testing {


const std::vector<std::pair<Shape, Shape>> BROADCAST_CASES = {
    {{257}, {257}},        {{7, 33}, {7, 33}},    {{7, 33}, {33}},       {{7, 33}, {7, 1}},
    {{2, 7, 33}, {7, 33}}, {{2, 1, 33}, {1, 7, 1}}, {{1}, {3, 257}},     {{3, 257}, {1}},
    {{2, 3, 7, 33}, {3, 1, 33}}, {{33}, {7, 33}}, {{5, 1}, {5, 1}}, {{40000}, {40000}},
    {{300, 257}, {257}},
    // one value per contiguous block: a per-head gate, a middle run of dims, a 1 inside the run
    {{1, 3, 1, 1}, {2, 3, 7, 33}}, {{2, 3, 7, 33}, {3, 7, 1}}, {{3, 1, 7, 2}, {3, 1, 7, 1}}, {{4, 3, 1, 7}, {3, 1, 1}},
    {{2, 3, 7, 33}, {2, 1, 1, 1}},
};

TEST(Elementwise, BinaryFastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64})
        for (auto [sa, sb] : BROADCAST_CASES) {
            Tensor a = random_tensor(sa, dtype, 1), b = random_tensor(sb, dtype, 2, 0.5, 2);
            for (auto op : {add, sub, mul, div})
                EXPECT_TRUE(fast_matches_reference([&] { return op(a, b); }))
                    << sa.str() << " with " << sb.str();
        }
}

TEST(Elementwise, BroadcastValues) {
    Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    Tensor b = Tensor::from_vector({3}, {10, 20, 30});
    Tensor c = Tensor::from_vector({2, 1}, {100, 200});
    EXPECT_EQ(add(a, b).to_vector(), (std::vector<double>{11, 22, 33, 14, 25, 36}));
    EXPECT_EQ(sub(c, a).to_vector(), (std::vector<double>{99, 98, 97, 196, 195, 194}));
    EXPECT_EQ(add(b, c).shape(), Shape({2, 3}));
}

TEST(Elementwise, UnaryFastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64})
        for (Shape shape : {Shape{1}, Shape{7}, Shape{33, 7}, Shape{257, 33}, Shape{2, 3, 5, 7}}) {
            Tensor x = random_tensor(shape, dtype, 3, -3, 3);
            Tensor positive = random_tensor(shape, dtype, 4, 0.1, 3);
            for (auto op : {neg, exp, relu, gelu, sigmoid})
                EXPECT_TRUE(fast_matches_reference([&] { return op(x); })) << shape.str();
            for (auto op : {log, sqrt})
                EXPECT_TRUE(fast_matches_reference([&] { return op(positive); })) << shape.str();
            EXPECT_TRUE(fast_matches_reference([&] { return scale(x, -2.5, 0.75); }));
        }
}

TEST(Elementwise, UnaryValues) {
    Tensor x = Tensor::from_vector({4}, {-1, 0, 0.5, 2}, DType::F64);
    std::vector<double> g = gelu(x).to_vector(), s = sigmoid(x).to_vector();
    for (int i = 0; i < 4; ++i) {
        double v = x.to_vector()[i];
        EXPECT_NEAR(g[i], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-15);
        EXPECT_NEAR(s[i], 1 / (1 + std::exp(-v)), 1e-15);
    }
    EXPECT_EQ(relu(x).to_vector(), (std::vector<double>{0, 0, 0.5, 2}));
    EXPECT_EQ(scale(x, 2, 1).to_vector(), (std::vector<double>{-1, 1, 2, 5}));
}

TEST(Elementwise, UnaryBackwardFastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64}) {
        Tensor x = random_tensor({33, 7}, dtype, 5, 0.1, 3), g = random_tensor({33, 7}, dtype, 6);
        for (Op op : {Op::NEG, Op::EXP, Op::LOG, Op::SQRT, Op::RELU, Op::GELU, Op::SIGMOID}) {
            Tensor y;
            switch (op) {
                case Op::NEG: y = neg(x); break;
                case Op::EXP: y = exp(x); break;
                case Op::LOG: y = log(x); break;
                case Op::SQRT: y = sqrt(x); break;
                case Op::RELU: y = relu(x); break;
                case Op::GELU: y = gelu(x); break;
                default: y = sigmoid(x); break;
            }
            EXPECT_TRUE(fast_matches_reference([&] { return unary_backward(op, x, y, g); }))
                << op_name(op);
        }
    }
}

// GELU's fast f32 kernels call fast_erf and fast_exp: forward and backward agree with the
// reference (std::erf, std::exp) across both tails, where the existing cases above stay in [-3, 3].
TEST(Elementwise, GeluFastMatchesReferenceOverWideRange) {
    std::vector<double> values;
    for (int k = -24000; k <= 24000; ++k) values.push_back(k * 5e-4);  // [-12, 12]
    const Shape shape{int64_t(values.size())};
    for (DType dtype : {DType::F32, DType::F64}) {
        Tensor x = Tensor::from_vector(shape, values, dtype);
        Tensor g = random_tensor(shape, dtype, 7, -2, 2);
        Tensor y = gelu(x);
        EXPECT_TRUE(fast_matches_reference([&] { return gelu(x); })) << dtype_name(dtype);
        EXPECT_TRUE(fast_matches_reference([&] { return unary_backward(Op::GELU, x, y, g); }))
            << dtype_name(dtype);
    }
}

// fast_erf (tensor/cpu/fast_math.h) against std::erf in double. Checked once over every float:
// max absolute error 6.6e-8 with FMA, 7.9e-8 without; 1.1 ulp of the result at most.
TEST(Elementwise, FastErfMatchesStdErf) {
    using cpu::fast_erf;
    using limits = std::numeric_limits<float>;
    double worst = 0;
    float worst_x = 0;
    auto check = [&](float x) {
        double error = std::abs(double(fast_erf(x)) - std::erf(double(x)));
        if (!(error <= worst)) worst = error, worst_x = x;  // a NaN result becomes the worst
    };
    for (int k = -100000; k <= 100000; ++k) check(float(k) * 1e-4f);  // [-10, 10]
    for (float edge : {1.0f, 4.0f}) {  // every float near the branch point and the clamp
        float below = edge, above = edge;
        for (int k = 0; k < 20000; ++k) {
            for (float x : {below, above}) check(x), check(-x);
            below = std::nextafter(below, 0.0f);
            above = std::nextafter(above, limits::infinity());
        }
    }
    for (float x : {0.0f, -0.0f, limits::denorm_min(), -limits::denorm_min(), 1e-40f, limits::min(),
                    -limits::min(), 1e-20f, 1e-8f, 3.92f, 30.0f, -30.0f, limits::max(), -limits::max(),
                    limits::infinity(), -limits::infinity()})
        check(x);
    EXPECT_LE(worst, 1e-7) << "at x = " << worst_x;
    // Near 0 the error is relative: at most 1.1 ulp, about 1.3e-7.
    double worst_relative = 0;
    for (float x = limits::min(); x < 0.5f; x *= 1.01f) {
        double exact = std::erf(double(x));
        worst_relative = std::max(worst_relative, std::abs(double(fast_erf(x)) - exact) / exact);
    }
    EXPECT_LE(worst_relative, 2e-7);
    EXPECT_EQ(fast_erf(limits::infinity()), 1.0f);
    EXPECT_EQ(fast_erf(-limits::infinity()), -1.0f);
    EXPECT_EQ(fast_erf(0.0f), 0.0f);
    EXPECT_TRUE(std::signbit(fast_erf(-0.0f)));
    EXPECT_TRUE(std::isnan(fast_erf(limits::quiet_NaN())));
    EXPECT_TRUE(std::isnan(fast_erf(-limits::quiet_NaN())));
}

TEST(Elementwise, WhereFastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64}) {
        Tensor cond = random_tensor({7, 257}, DType::I32, 7, 0, 2);
        Tensor a = random_tensor({7, 257}, dtype, 8), b = random_tensor({7, 257}, dtype, 9);
        EXPECT_TRUE(fast_matches_reference([&] { return where(cond, a, b); }));
        std::vector<double> y = where(cond, a, b).to_vector(), av = a.to_vector(), bv = b.to_vector();
        std::vector<int32_t> c = cond.to_ints();
        for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], c[i] ? av[i] : bv[i]);
    }
}

TEST(Elementwise, MisuseNamesOpAndShapes) {
    Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4}), d = Tensor::zeros({2, 3}, DType::F64);
    EXPECT_THROW_MESSAGE(add(a, b), "add: shapes [2, 3] and [4] do not broadcast");
    EXPECT_THROW_MESSAGE(mul(a, d), "mul: dtypes differ: f32[2, 3] and f64[2, 3]");
    EXPECT_THROW_MESSAGE(exp(Tensor::zeros({2}, DType::I32)), "exp: x must be f32 or f64");
    EXPECT_THROW_MESSAGE(where(a, a, a), "where: cond must be i32");
    EXPECT_THROW_MESSAGE(unary_backward(Op::MATMUL, a, a, a), "unary_backward: expected one of");
}

}  // namespace induction::testing
