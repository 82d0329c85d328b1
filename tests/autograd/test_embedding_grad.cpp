// test_embedding_grad.cpp — f64 gradient check of the embedding lookup, with repeated ids.
#include "autograd/functions.h"
#include "tests/support/testing.h"

namespace induction::testing {

COVERS(GRADCHECK, EMBEDDING);

TEST(EmbeddingGrad, RepeatedIds) {
    Tensor table = random_tensor({7, 5}, DType::F64, 1);
    for (Tensor ids : {Tensor::from_ints({2, 6}, {0, 3, 3, 6, 1, 3, 6, 6, 0, 2, 3, 5}),
                       Tensor::from_ints({4}, {4, 4, 4, 4}), Tensor::from_ints({1, 1, 2}, {6, 0})})
        EXPECT_TRUE(gradient_ok([ids](const std::vector<Var>& v) { return embedding(v[0], ids); },
                                {table}))
            << describe(ids);
}

}  // namespace induction::testing
