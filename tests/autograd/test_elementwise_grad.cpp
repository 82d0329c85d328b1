// test_elementwise_grad.cpp — f64 gradient checks of the elementwise ops, with broadcasting.
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, ADD);
COVERS(GRADCHECK, SUB);
COVERS(GRADCHECK, MUL);
COVERS(GRADCHECK, DIV);
COVERS(GRADCHECK, NEG);
COVERS(GRADCHECK, EXP);
COVERS(GRADCHECK, LOG);
COVERS(GRADCHECK, SQRT);
COVERS(GRADCHECK, RELU);
COVERS(GRADCHECK, GELU);
COVERS(GRADCHECK, SIGMOID);
COVERS(GRADCHECK, SCALE);
COVERS(GRADCHECK, WHERE);

TEST(ElementwiseGrad, BinaryWithBroadcasting) {
    for (auto [sa, sb] : std::vector<std::pair<Shape, Shape>>{
             {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 3, 4}, {3, 1}}, {{1}, {2, 5}}}) {
        Tensor a = random_tensor(sa, DType::F64, 1), b = random_tensor(sb, DType::F64, 2, 0.5, 2);
        EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return add(v[0], v[1]); }, {a, b}));
        EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return sub(v[0], v[1]); }, {a, b}));
        EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return mul(v[0], v[1]); }, {a, b}));
        EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return div(v[0], v[1]); }, {a, b}));
    }
}

TEST(ElementwiseGrad, Unary) {
    Tensor x = random_tensor({5, 7}, DType::F64, 3, -2, 2);
    Tensor positive = random_tensor({5, 7}, DType::F64, 4, 0.2, 2);
    using F = Var (*)(const Var&);
    for (F f : {static_cast<F>(neg), static_cast<F>(exp), static_cast<F>(gelu),
                static_cast<F>(sigmoid), static_cast<F>(relu)})
        EXPECT_TRUE(gradient_ok([f](const std::vector<Var>& v) { return f(v[0]); }, {x}));
    for (F f : {static_cast<F>(log), static_cast<F>(sqrt)})
        EXPECT_TRUE(gradient_ok([f](const std::vector<Var>& v) { return f(v[0]); }, {positive}));
    EXPECT_TRUE(gradient_ok([](const std::vector<Var>& v) { return scale(v[0], -1.5, 2); }, {x}));
}

TEST(ElementwiseGrad, Where) {
    Tensor cond = random_tensor({4, 6}, DType::I32, 5, 0, 2);
    Tensor a = random_tensor({4, 6}, DType::F64, 6), b = random_tensor({4, 6}, DType::F64, 7);
    EXPECT_TRUE(gradient_ok(
        [cond](const std::vector<Var>& v) { return where(cond, v[0], v[1]); }, {a, b}));
}

TEST(ElementwiseGrad, DetectsAWrongRule) {
    // A deliberately wrong backward rule must fail the check: gradcheck is not vacuous.
    auto wrong = [](const std::vector<Var>& v) {
        Var x = v[0];
        return make_result(exp(x.value()), {x}, [x](const Tensor& g) { accumulate_grad(x, g); });
    };
    EXPECT_FALSE(gradcheck(wrong, {random_tensor({3}, DType::F64, 8)}).ok);
}

}  // namespace induction::testing
