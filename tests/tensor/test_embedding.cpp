// test_embedding.cpp — the table lookup and its scatter-add gradient: fast vs reference on awkward
// shapes with repeated ids, values against hand computations, determinism, and misuse errors.
#include <cmath>

#include "tensor/ops.h"
#include "tests/support/testing.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace induction::testing {


struct EmbeddingCase {
    int64_t vocab, d;
    Shape ids;
};

// Small vocabularies repeat ids (the scatter-add must sum them); the last cases are big enough
// to run the kernels on several threads.
const std::vector<EmbeddingCase> EMBEDDING_CASES = {
    {1, 1, {1}},      {7, 7, {7}},          {257, 33, {3, 33}},  {7, 257, {2, 3, 7}},
    {33, 1, {257}},   {1, 33, {2, 7}},      {257, 1, {7, 1, 3}}, {1000, 256, {8, 128}},
    {50, 512, {4, 256}},
};

TEST(Embedding, FastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64})
        for (const EmbeddingCase& c : EMBEDDING_CASES) {
            Tensor table = random_tensor({c.vocab, c.d}, dtype, 1);
            Tensor ids = random_tensor(c.ids, DType::I32, 2, 0, static_cast<double>(c.vocab));
            std::vector<int64_t> g_dims = c.ids.to_vector();
            g_dims.push_back(c.d);
            Tensor g = random_tensor(Shape(g_dims), dtype, 3);
            EXPECT_TRUE(fast_matches_reference([&] { return embedding(table, ids); }))
                << "V " << c.vocab << " D " << c.d << " ids " << c.ids.str();
            EXPECT_TRUE(fast_matches_reference([&] { return embedding_backward(ids, g, c.vocab); }))
                << "V " << c.vocab << " D " << c.d << " ids " << c.ids.str();
        }
}

TEST(Embedding, HandComputedValues) {
    Tensor table = Tensor::from_vector({3, 2}, {1, 2, 3, 4, 5, 6});
    Tensor ids = Tensor::from_ints({2, 2}, {2, 0, 2, 1});
    Tensor y = embedding(table, ids);
    EXPECT_EQ(y.shape(), Shape({2, 2, 2}));
    EXPECT_EQ(y.to_vector(), (std::vector<double>{5, 6, 1, 2, 5, 6, 3, 4}));
    Tensor g = Tensor::from_vector({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    // Row 2 appears twice: it receives g's rows 0 and 2 summed.
    EXPECT_EQ(embedding_backward(ids, g, 3).to_vector(), (std::vector<double>{3, 4, 7, 8, 6, 8}));
    // A vocabulary larger than the ids used: untouched rows are zero.
    EXPECT_EQ(embedding_backward(Tensor::from_ints({1}, {0}), Tensor::from_vector({1, 1}, {4}), 3)
                  .to_vector(),
              (std::vector<double>{4, 0, 0}));
    EXPECT_EQ(embedding(table, Tensor::from_ints({}, {1})).shape(), Shape({2}));  // one scalar id
}

#ifdef _OPENMP
// Each dtable element is summed in id order by one thread: the thread count cannot change a bit.
TEST(Embedding, BackwardDoesNotDependOnThreadCount) {
    Tensor ids = random_tensor({16, 128}, DType::I32, 4, 0, 20);  // many repeats
    Tensor g = random_tensor({16, 128, 96}, DType::F32, 5);
    std::vector<double> many_threads = embedding_backward(ids, g, 20).to_vector();
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    std::vector<double> one_thread = embedding_backward(ids, g, 20).to_vector();
    omp_set_num_threads(threads);
    EXPECT_EQ(many_threads, one_thread);
}
#endif

// Ids are checked where they enter (token files, evaluation rows), not read on every call: an id
// outside [0, V) gives a NaN row and contributes no gradient, on every backend, never reading
// outside the table.
TEST(Embedding, IdsOutsideTheTableGiveNaNRowsAndNoGradient) {
    for_each_backend([](const char* backend) {
        Tensor table = Tensor::from_vector({3, 2}, {1, 2, 3, 4, 5, 6});
        std::vector<double> out = embedding(table, Tensor::from_ints({2, 2}, {0, 5, -1, 2})).to_vector();
        EXPECT_EQ(out[0], 1) << backend;
        EXPECT_TRUE(std::isnan(out[2]) && std::isnan(out[3]) && std::isnan(out[4]) && std::isnan(out[5])) << backend;
        EXPECT_EQ(out[6], 5) << backend;
        std::vector<double> dtable =
            embedding_backward(Tensor::from_ints({3}, {1, 7, 1}), Tensor::full({3, 2}, 1.0), 3).to_vector();
        EXPECT_EQ(dtable, (std::vector<double>{0, 0, 2, 2, 0, 0})) << backend;
    });
}

TEST(Embedding, MisuseNamesOpAndShapes) {
    Tensor table = Tensor::zeros({3, 2});
    EXPECT_THROW_MESSAGE(embedding(table, Tensor::zeros({2})),
                         "embedding: ids must be i32, got f32[2]");
    EXPECT_THROW_MESSAGE(embedding(Tensor::zeros({3}), Tensor::from_ints({1}, {0})),
                         "embedding: table must be an f32 or f64 matrix [V, D], got f32[3]");
    EXPECT_THROW_MESSAGE(embedding(Tensor::zeros({3, 2}, DType::I32), Tensor::from_ints({1}, {0})),
                         "embedding: table must be an f32 or f64 matrix [V, D], got i32[3, 2]");
    EXPECT_THROW_MESSAGE(embedding(table, Tensor::zeros({1, 1, 1, 1}, DType::I32)),
                         "embedding: ids i32[1, 1, 1, 1] have too many dimensions");
    Tensor ids = Tensor::from_ints({2}, {0, 1});
    EXPECT_THROW_MESSAGE(embedding_backward(ids, Tensor::zeros({3, 2}), 3),
                         "embedding_backward: g f32[3, 2] does not match ids i32[2] (expected ids' "
                         "shape plus one last axis)");
    EXPECT_THROW_MESSAGE(embedding_backward(ids, Tensor::zeros({2, 2}, DType::I32), 3),
                         "embedding_backward: g must be f32 or f64, got i32[2, 2]");
}

}  // namespace induction::testing
