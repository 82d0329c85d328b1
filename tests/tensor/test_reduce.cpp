// test_reduce.cpp — reductions, max_backward, broadcast_to and sum_to_shape: fast vs reference on
// awkward shapes along every axis, values against hand computations, and misuse errors.
#include "tensor/ops.h"
#include "tests/support/testing.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace induction::testing {


// Awkward sizes, every rank, and large enough cases to run both kernel layouts on several threads.
const std::vector<Shape> REDUCE_SHAPES = {
    {1},         {7},          {33},        {257},          {7, 33},     {33, 7},
    {257, 33},   {1, 257},     {3, 7, 33},  {2, 3, 7, 33},  {2, 1, 33, 5}, {4096, 64},
    {64, 4096},  {2049, 300},  {8, 257, 33},
};

Shape kept_shape(const Shape& shape, int axis) {
    Shape kept = shape;
    kept[shape.axis(axis, "test")] = 1;
    return kept;
}

TEST(Reduce, FastMatchesReferenceOnEveryAxis) {
    for (DType dtype : {DType::F32, DType::F64})
        for (const Shape& shape : REDUCE_SHAPES) {
            Tensor x = random_tensor(shape, dtype, 1);
            for (int axis = -shape.ndim; axis < shape.ndim; ++axis)
                for (bool keepdim : {false, true})
                    for (auto op : {sum, mean, max})
                        EXPECT_TRUE(fast_matches_reference([&] { return op(x, axis, keepdim); }))
                            << shape.str() << " axis " << axis << " keepdim " << keepdim;
        }
}

TEST(Reduce, MaxBackwardFastMatchesReference) {
    for (DType dtype : {DType::F32, DType::F64})
        for (const Shape& shape : REDUCE_SHAPES) {
            // Small integers make ties, so both tiers must agree on the first argmax.
            Tensor x = random_tensor(shape, DType::I32, 2, 0, 4).to(dtype);
            for (int axis = -shape.ndim; axis < shape.ndim; ++axis) {
                Tensor y = max(x, axis, true);
                Tensor g = random_tensor(y.shape(), dtype, 3);
                EXPECT_TRUE(fast_matches_reference([&] { return max_backward(x, y, g, axis); }))
                    << shape.str() << " axis " << axis;
            }
        }
}

TEST(Reduce, BroadcastToFastMatchesReference) {
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{1}, {257}},          {{33}, {7, 33}},          {{7, 1}, {7, 33}},
        {{2, 1, 33}, {2, 7, 33}}, {{1, 7, 1}, {3, 7, 33}}, {{3, 1, 1, 5}, {3, 4, 7, 5}},
        {{}, {3, 4}},          {{257, 1}, {257, 300}},   {{7, 33}, {7, 33}},
        {{64}, {4096, 64}},    {{1, 1}, {1, 1}},
    };
    for (DType dtype : {DType::F32, DType::F64})
        for (auto [from, to] : cases) {
            Tensor x = random_tensor(from, dtype, 4);
            EXPECT_TRUE(fast_matches_reference([&] { return broadcast_to(x, to); }))
                << from.str() << " to " << to.str();
        }
}

TEST(Reduce, SumToShapeFastMatchesReference) {
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{257, 33}, {33}},        {{4096, 64}, {64}},     {{8, 257, 33}, {33}},
        {{8, 257, 33}, {8, 1, 1}}, {{2, 3, 7, 33}, {3, 1, 33}}, {{7, 33}, {7, 1}},
        {{7, 33}, {}},            {{2, 3, 7, 33}, {1, 1}},
    };
    for (DType dtype : {DType::F32, DType::F64})
        for (auto [from, to] : cases) {
            Tensor g = random_tensor(from, dtype, 5);
            EXPECT_TRUE(fast_matches_reference([&] { return sum_to_shape(g, to); }))
                << from.str() << " to " << to.str();
            EXPECT_EQ(sum_to_shape(g, to).shape(), to);
        }
}

TEST(Reduce, HandComputedValues) {
    Tensor x = Tensor::from_vector({2, 3}, {1, 5, 3, 4, 2, 6});
    EXPECT_EQ(sum(x, 0).to_vector(), (std::vector<double>{5, 7, 9}));
    EXPECT_EQ(sum(x, -1).to_vector(), (std::vector<double>{9, 12}));
    EXPECT_EQ(mean(x, 1).to_vector(), (std::vector<double>{3, 4}));
    EXPECT_EQ(max(x, 0).to_vector(), (std::vector<double>{4, 5, 6}));
    EXPECT_EQ(max(x, 1).to_vector(), (std::vector<double>{5, 6}));
    EXPECT_EQ(sum(x, 1).shape(), Shape({2}));
    EXPECT_EQ(sum(x, 1, true).shape(), Shape({2, 1}));
    EXPECT_EQ(max(x, 0, true).shape(), Shape({1, 3}));
    EXPECT_EQ(sum(Tensor::from_vector({1}, {4}), 0).shape(), Shape({}));

    // x[a, b, c] = 12a + 4b + c, so the sum over b is 36a + 3c + 12.
    std::vector<double> values(24);
    for (int i = 0; i < 24; ++i) values[i] = i;
    Tensor cube = Tensor::from_vector({2, 3, 4}, values, DType::F64);
    EXPECT_EQ(sum(cube, 1).to_vector(), (std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57}));
    EXPECT_EQ(mean(cube, 0).to_vector()[5], 11);  // (5 + 17) / 2
    EXPECT_EQ(max(cube, -1).to_vector(), (std::vector<double>{3, 7, 11, 15, 19, 23}));
}

TEST(Reduce, MaxBackwardGoesToTheFirstArgmax) {
    Tensor x = Tensor::from_vector({2, 3}, {3, 1, 3, 2, 2, 0});
    Tensor y = max(x, 1, true);
    Tensor g = Tensor::from_vector({2, 1}, {10, 20});
    EXPECT_EQ(max_backward(x, y, g, 1).to_vector(), (std::vector<double>{10, 0, 0, 20, 0, 0}));
    Tensor column = Tensor::from_vector({2, 2}, {1, 4, 1, 2});
    Tensor gc = Tensor::from_vector({1, 2}, {5, 6});
    EXPECT_EQ(max_backward(column, max(column, 0, true), gc, -2).to_vector(),
              (std::vector<double>{5, 6, 0, 0}));
}

TEST(Reduce, BroadcastToValues) {
    Tensor column = Tensor::from_vector({2, 1}, {1, 2});
    EXPECT_EQ(broadcast_to(column, {2, 3}).to_vector(), (std::vector<double>{1, 1, 1, 2, 2, 2}));
    Tensor row = Tensor::from_vector({3}, {1, 2, 3});
    EXPECT_EQ(broadcast_to(row, {2, 3}).to_vector(), (std::vector<double>{1, 2, 3, 1, 2, 3}));
    EXPECT_EQ(broadcast_to(Tensor::scalar(7), {2, 2}).to_vector(),
              (std::vector<double>{7, 7, 7, 7}));
}

TEST(Reduce, SumToShapeValues) {
    Tensor g = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(sum_to_shape(g, {3}).to_vector(), (std::vector<double>{5, 7, 9}));
    EXPECT_EQ(sum_to_shape(g, {1, 3}).to_vector(), (std::vector<double>{5, 7, 9}));
    EXPECT_EQ(sum_to_shape(g, {2, 1}).to_vector(), (std::vector<double>{6, 15}));
    EXPECT_EQ(sum_to_shape(g, {}).item(), 21);
    EXPECT_TRUE(sum_to_shape(g, {2, 3}).shares_storage_with(g));  // nothing to sum: g itself

    // g[a, b, c] = 12a + 4b + c summed over a and c: 60 + 32b.
    std::vector<double> values(24);
    for (int i = 0; i < 24; ++i) values[i] = i;
    Tensor cube = Tensor::from_vector({2, 3, 4}, values);
    EXPECT_EQ(sum_to_shape(cube, {3, 1}).to_vector(), (std::vector<double>{60, 92, 124}));
}

#ifdef _OPENMP
// Each output is summed in a fixed order by one thread, so the thread count cannot change a bit.
TEST(Reduce, ResultsDoNotDependOnThreadCount) {
    Tensor g = random_tensor({3001, 70}, DType::F32, 6);
    Tensor rows = random_tensor({70, 3001}, DType::F32, 7);
    Tensor many_threads_columns = sum_to_shape(g, {70});
    Tensor many_threads_rows = sum(rows, -1);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    std::vector<double> one_thread_columns = sum_to_shape(g, {70}).to_vector();
    std::vector<double> one_thread_rows = sum(rows, -1).to_vector();
    omp_set_num_threads(threads);
    EXPECT_EQ(many_threads_columns.to_vector(), one_thread_columns);
    EXPECT_EQ(many_threads_rows.to_vector(), one_thread_rows);
}
#endif

TEST(Reduce, MisuseNamesOpAndShapes) {
    Tensor x = Tensor::zeros({2, 3});
    EXPECT_THROW_MESSAGE(sum(x, 2), "sum: axis 2 out of range for shape [2, 3]");
    EXPECT_THROW_MESSAGE(mean(x, -3), "mean: axis -3 out of range for shape [2, 3]");
    EXPECT_THROW_MESSAGE(sum(Tensor::scalar(1), 0), "sum: axis 0 out of range for shape []");
    EXPECT_THROW_MESSAGE(max(Tensor::zeros({2}, DType::I32), 0),
                         "max: x must be f32 or f64, got i32[2]");
    EXPECT_THROW_MESSAGE(max(Tensor::zeros({2, 0}), 1), "max: axis 1 of f32[2, 0] is empty");
    EXPECT_THROW_MESSAGE(broadcast_to(x, {4, 3}), "broadcast_to: cannot broadcast f32[2, 3] to "
                         "[4, 3] (axis 0 of [2, 3] has size 2, expected 4 or 1)");
    EXPECT_THROW_MESSAGE(broadcast_to(x, {3}), "broadcast_to: cannot broadcast f32[2, 3] to [3] "
                         "([2, 3] has more than 1 dimensions)");
    EXPECT_THROW_MESSAGE(sum_to_shape(x, {4}), "sum_to_shape: cannot sum f32[2, 3] to [4], which "
                         "does not broadcast to it (axis 0 of [4] has size 4, expected 3 or 1)");
    EXPECT_THROW_MESSAGE(max_backward(x, Tensor::zeros({2, 1}), Tensor::zeros({1, 3}), 1),
                         "max_backward: x f32[2, 3], y f32[2, 1], g f32[1, 3] (expected y and g "
                         "of x's dtype and shape [2, 1])");
    Tensor y64 = Tensor::zeros({1, 3}, DType::F64);
    EXPECT_THROW_MESSAGE(max_backward(x, y64, Tensor::zeros({1, 3}), 0),
                         "max_backward: x f32[2, 3], y f64[1, 3]");
}

}  // namespace induction::testing
