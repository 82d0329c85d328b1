// test_matmul.cpp — MATMUL: fast vs reference for every transpose and batching mode, values, misuse.
#include "tensor/ops.h"
#include "tests/support/testing.h"

namespace induction::testing {


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

// Every combination of triangular masks on op(A), op(B) and C, square and not, with tiles that
// straddle the diagonal, a K over one packed slice (384 floats) and an N over one column block
// (480), where later column blocks reuse the packed A.
TEST(Matmul, MaskedFastMatchesReference) {
    struct Case { std::vector<int64_t> batch; int64_t M, K, N; };
    const std::vector<Case> cases = {
        {{3}, 33, 33, 33}, {{2}, 45, 30, 70}, {{}, 20, 400, 40}, {{}, 40, 50, 600}};
    const Triangle all[] = {Triangle::FULL, Triangle::LOWER, Triangle::UPPER};
    for (const Case& c : cases)
        for (Triangle ma : all)
            for (Triangle mb : all)
                for (Triangle mc : all)
                    for (bool ta : {false, true})
                        for (bool tb : {false, true}) {
                            Tensor a = random_tensor(stored(c.batch, c.M, c.K, ta), DType::F32, 1);
                            Tensor b = random_tensor(stored(c.batch, c.K, c.N, tb), DType::F32, 2);
                            Tolerance tol = tolerance_for(DType::F32);
                            tol.atol *= c.K;
                            const MatmulMasks masks = {ma, mb, mc};
                            EXPECT_TRUE(fast_matches_reference(
                                [&] { return matmul(a, b, ta, tb, masks); }, tol))
                                << describe(a) << (ta ? "ᵀ" : "") << " x " << describe(b)
                                << (tb ? "ᵀ" : "") << " masks a " << triangle_name(ma) << ", b "
                                << triangle_name(mb) << ", c " << triangle_name(mc);
                        }
}

// What causal attention relies on: a masked product equals the full product of explicitly
// zeroed operands, bit for bit (skipped terms are exact zeros), and a masked result is the full
// result with zeros above the diagonal; in f64 too.
TEST(Matmul, MaskedEqualsZeroedBitwise) {
    for (DType dtype : {DType::F32, DType::F64}) {
        const int64_t T = 70, d = 19;
        Tensor pattern = random_tensor({5, T, T}, dtype, 3), v = random_tensor({5, T, d}, dtype, 4);
        std::vector<double> values = pattern.to_vector();
        for (size_t n = 0; n < values.size(); ++n)
            if (int64_t(n % T) > int64_t(n / T) % T) values[n] = 0;  // j > i
        Tensor lower = Tensor::from_vector(pattern.shape(), values, dtype);
        EXPECT_EQ(matmul(pattern, v, false, false, {.a = Triangle::LOWER}).to_vector(),
                  matmul(lower, v).to_vector());
        EXPECT_EQ(matmul(pattern, v, true, false, {.a = Triangle::UPPER}).to_vector(),
                  matmul(lower, v, true, false).to_vector());  // (tril P)ᵀ = triu(Pᵀ)
        Tensor q = random_tensor({5, T, d}, dtype, 5), k = random_tensor({5, T, d}, dtype, 6);
        std::vector<double> full = matmul(q, k, false, true).to_vector();
        std::vector<double> masked = matmul(q, k, false, true, {.c = Triangle::LOWER}).to_vector();
        for (size_t n = 0; n < full.size(); ++n) {
            const int64_t i = int64_t(n / T) % T, j = int64_t(n % T);
            EXPECT_EQ(masked[n], j <= i ? full[n] : 0.0) << "entry " << n;
        }
    }
}

TEST(Matmul, Values) {
    Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    Tensor b = Tensor::from_vector({3, 2}, {7, 8, 9, 10, 11, 12});
    EXPECT_EQ(matmul(a, b).to_vector(), (std::vector<double>{58, 64, 139, 154}));
    EXPECT_EQ(matmul(a, a, false, true).to_vector(), (std::vector<double>{14, 32, 32, 77}));
    EXPECT_EQ(matmul(a, a, true, false).shape(), Shape({3, 3}));
    EXPECT_EQ(matmul(a, a, true, false).at({2, 2}), 45);
    // tril(ones) x ones counts the kept entries of each row; a LOWER result keeps j <= i.
    Tensor ones = Tensor::from_vector({3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1});
    EXPECT_EQ(matmul(ones, ones, false, false, {.a = Triangle::LOWER}).to_vector(),
              (std::vector<double>{1, 1, 1, 2, 2, 2, 3, 3, 3}));
    EXPECT_EQ(matmul(ones, ones, false, false, {.c = Triangle::LOWER}).to_vector(),
              (std::vector<double>{3, 0, 0, 3, 3, 0, 3, 3, 3}));
    EXPECT_EQ(matmul(ones, ones, false, false, {.b = Triangle::UPPER}).to_vector(),
              (std::vector<double>{1, 2, 3, 1, 2, 3, 1, 2, 3}));
}

TEST(Matmul, Misuse) {
    Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
    EXPECT_THROW_MESSAGE(matmul(a, b), "matmul: inner dimensions differ: f32[2, 3] x f32[4, 5] (3 vs 4)");
    EXPECT_THROW_MESSAGE(matmul(Tensor::zeros({3}), b), "matmul: operands need at least 2 dims");
    EXPECT_THROW_MESSAGE(matmul(Tensor::zeros({2, 2, 3}), Tensor::zeros({3, 3, 4})),
                         "matmul: batch dims differ");
    EXPECT_THROW_MESSAGE(matmul(a, Tensor::zeros({3, 2}, DType::F64)), "matmul: operands must share");
    EXPECT_THROW_MESSAGE(matmul(Tensor::zeros({2, 3, 3}), Tensor::zeros({3, 3}), false, false,
                                {.a = Triangle::LOWER}),
                         "matmul: triangular masks need b batched like a, got f32[2, 3, 3] x f32[3, 3]");
}

}  // namespace induction::testing
