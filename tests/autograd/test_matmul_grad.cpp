// test_matmul_grad.cpp — f64 gradient checks of MATMUL in every transpose and batching mode.
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, MATMUL);

TEST(MatmulGrad, AllModes) {
    struct Case { Shape a, b; bool ta, tb; };
    std::vector<Case> cases = {
        {{3, 4}, {4, 5}, false, false}, {{4, 3}, {4, 5}, true, false},
        {{3, 4}, {5, 4}, false, true},  {{4, 3}, {5, 4}, true, true},
        {{2, 3, 4}, {2, 4, 5}, false, false}, {{2, 4, 3}, {2, 5, 4}, true, true},
        {{2, 3, 4}, {4, 5}, false, false},    {{2, 3, 4}, {5, 4}, false, true},
        {{2, 4, 3}, {4, 5}, true, false},     {{2, 4, 3}, {5, 4}, true, true},
    };
    for (const Case& c : cases) {
        Tensor a = random_tensor(c.a, DType::F64, 1), b = random_tensor(c.b, DType::F64, 2);
        bool ta = c.ta, tb = c.tb;
        EXPECT_TRUE(gradient_ok(
            [ta, tb](const std::vector<Var>& v) { return matmul(v[0], v[1], ta, tb); }, {a, b}))
            << c.a.str() << (ta ? "ᵀ" : "") << " x " << c.b.str() << (tb ? "ᵀ" : "");
    }
}

// Masked products (tensor/triangle.h): each gradient is a masked product with transposed masks.
TEST(MatmulGrad, TriangularMasks) {
    const Triangle all[] = {Triangle::FULL, Triangle::LOWER, Triangle::UPPER};
    for (Triangle ma : all)
        for (Triangle mb : all)
            for (Triangle mc : all)
                for (bool ta : {false, true})
                    for (bool tb : {false, true}) {
                        Shape sa = ta ? Shape{2, 4, 3} : Shape{2, 3, 4};
                        Shape sb = tb ? Shape{2, 5, 4} : Shape{2, 4, 5};
                        Tensor a = random_tensor(sa, DType::F64, 1), b = random_tensor(sb, DType::F64, 2);
                        const MatmulMasks masks = {ma, mb, mc};
                        EXPECT_TRUE(gradient_ok(
                            [=](const std::vector<Var>& v) { return matmul(v[0], v[1], ta, tb, masks); },
                            {a, b}))
                            << sa.str() << (ta ? "ᵀ" : "") << " x " << sb.str() << (tb ? "ᵀ" : "")
                            << " masks a " << triangle_name(ma) << ", b " << triangle_name(mb)
                            << ", c " << triangle_name(mc);
                    }
}

}  // namespace induction::testing
