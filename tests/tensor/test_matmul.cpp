// test_matmul.cpp — MATMUL: fast vs reference for every transpose and batching mode, values, misuse.
#include "tensor/ops.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(PARITY, MATMUL);

namespace {

// a's and b's stored shapes for op(a): [batch.., M, K], op(b): [K, N].
Shape stored(std::vector<int64_t> batch, int64_t rows, int64_t cols, bool transposed) {
    batch.push_back(transposed ? cols : rows);
    batch.push_back(transposed ? rows : cols);
    return Shape(batch);
}

}  // namespace

TEST(Matmul, FastMatchesReferenceAllModes) {
    struct Case { std::vector<int64_t> batch_a, batch_b; int64_t M, K, N; };
    std::vector<Case> cases = {
        {{}, {}, 1, 1, 1},        {{}, {}, 7, 33, 257},   {{}, {}, 257, 7, 33},
        {{3}, {3}, 33, 7, 17},    {{2, 3}, {2, 3}, 7, 9, 5}, {{4}, {}, 33, 17, 7},
        {{2, 5}, {}, 7, 33, 1},   {{}, {}, 130, 300, 70},
    };
    for (DType dtype : {DType::F32, DType::F64})
        for (const Case& c : cases)
            for (bool ta : {false, true})
                for (bool tb : {false, true}) {
                    Tensor a = random_tensor(stored(c.batch_a, c.M, c.K, ta), dtype, 1);
                    Tensor b = random_tensor(stored(c.batch_b, c.K, c.N, tb), dtype, 2);
                    Tolerance tol = tolerance_for(dtype);
                    tol.atol *= c.K;  // sums of K products
                    EXPECT_TRUE(fast_matches_reference([&] { return matmul(a, b, ta, tb); }, tol))
                        << describe(a) << (ta ? "ᵀ" : "") << " x " << describe(b) << (tb ? "ᵀ" : "");
                }
}

TEST(Matmul, Values) {
    Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    Tensor b = Tensor::from_vector({3, 2}, {7, 8, 9, 10, 11, 12});
    EXPECT_EQ(matmul(a, b).to_vector(), (std::vector<double>{58, 64, 139, 154}));
    EXPECT_EQ(matmul(a, a, false, true).to_vector(), (std::vector<double>{14, 32, 32, 77}));
    EXPECT_EQ(matmul(a, a, true, false).shape(), Shape({3, 3}));
    EXPECT_EQ(matmul(a, a, true, false).at({2, 2}), 45);
}

TEST(Matmul, Misuse) {
    Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
    EXPECT_THROW_MESSAGE(matmul(a, b), "matmul: inner dimensions differ: f32[2, 3] x f32[4, 5] (3 vs 4)");
    EXPECT_THROW_MESSAGE(matmul(Tensor::zeros({3}), b), "matmul: operands need at least 2 dims");
    EXPECT_THROW_MESSAGE(matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 4})),
                         "matmul: batch dims differ");
    EXPECT_THROW_MESSAGE(matmul(a, Tensor::zeros({3, 2}, DType::F64)), "matmul: operands must share");
}

}  // namespace induction::testing
