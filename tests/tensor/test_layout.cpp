// test_layout.cpp — shift, slice, concat and permute (and their backward kernels): fast vs
// reference on awkward shapes along every axis and for every permutation, values against hand
// computations, i32 tensors, and misuse errors.
#include <algorithm>
#include <numeric>

#include "tensor/ops.h"
#include "tests/support/testing.h"

namespace induction::testing {


const std::vector<Shape> LAYOUT_SHAPES = {
    {1}, {7}, {257}, {7, 33}, {33, 1}, {3, 7, 33}, {2, 3, 7, 33}, {2, 1, 5, 3}, {4, 64, 8, 16},
};

// Forward layout ops move elements of any dtype.
const DType ALL_DTYPES[] = {DType::F32, DType::F64, DType::I32};

Tensor random_any(const Shape& shape, DType dtype, uint64_t seed) {
    return dtype == DType::I32 ? random_tensor(shape, dtype, seed, -1000, 1000)
                               : random_tensor(shape, dtype, seed);
}

TEST(Layout, ShiftFastMatchesReference) {
    for (DType dtype : ALL_DTYPES)
        for (const Shape& shape : LAYOUT_SHAPES) {
            Tensor x = random_any(shape, dtype, 1);
            for (int axis = -shape.ndim; axis < shape.ndim; ++axis)
                for (bool replicate : {true, false}) {
                    EXPECT_TRUE(fast_matches_reference([&] { return shift(x, axis, replicate); }))
                        << shape.str() << " axis " << axis;
                    if (dtype == DType::I32) continue;  // gradients are floating
                    EXPECT_TRUE(fast_matches_reference(
                        [&] { return shift_backward(x, axis, replicate); }))
                        << shape.str() << " axis " << axis;
                }
        }
}

TEST(Layout, SliceFastMatchesReference) {
    for (DType dtype : ALL_DTYPES)
        for (const Shape& shape : LAYOUT_SHAPES) {
            Tensor x = random_any(shape, dtype, 2);
            for (int axis = -shape.ndim; axis < shape.ndim; ++axis) {
                int64_t n = x.size(axis);
                const std::vector<std::pair<int64_t, int64_t>> ranges = {
                    {0, n}, {n / 2, n}, {0, 0}, {n - 1, n}, {std::min<int64_t>(1, n), n - n / 3}};
                for (auto [begin, end] : ranges) {
                    EXPECT_TRUE(fast_matches_reference([&] { return slice(x, axis, begin, end); }))
                        << shape.str() << " axis " << axis << " [" << begin << ", " << end << ")";
                    if (dtype == DType::I32) continue;
                    Tensor g = slice(x, axis, begin, end);
                    EXPECT_TRUE(fast_matches_reference(
                        [&] { return slice_backward(g, shape, axis, begin); }))
                        << shape.str() << " axis " << axis << " begin " << begin;
                }
            }
        }
}

TEST(Layout, ConcatFastMatchesReference) {
    for (DType dtype : ALL_DTYPES)
        for (const Shape& shape : LAYOUT_SHAPES)
            for (int axis = -shape.ndim; axis < shape.ndim; ++axis) {
                std::vector<Tensor> parts;
                int normalised = shape.axis(axis, "test");
                for (int64_t size : {int64_t{1}, shape[normalised], int64_t{2}, int64_t{0}}) {
                    Shape part_shape = shape;
                    part_shape[normalised] = size;
                    parts.push_back(random_any(part_shape, dtype, 3 + parts.size()));
                }
                EXPECT_TRUE(fast_matches_reference([&] { return concat(parts, axis); }))
                    << shape.str() << " axis " << axis;
                EXPECT_TRUE(fast_matches_reference([&] { return concat({parts[1]}, axis); }));
            }
}

TEST(Layout, PermuteFastMatchesReferenceForEveryPermutation) {
    for (DType dtype : ALL_DTYPES)
        for (const Shape& shape : LAYOUT_SHAPES) {
            Tensor x = random_any(shape, dtype, 4);
            std::vector<int> perm(shape.ndim);
            std::iota(perm.begin(), perm.end(), 0);
            do {
                EXPECT_TRUE(fast_matches_reference([&] { return permute(x, perm); }))
                    << shape.str();
            } while (std::next_permutation(perm.begin(), perm.end()));
        }
}

TEST(Layout, ShiftValues) {
    Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(shift(x, 1).to_vector(), (std::vector<double>{1, 1, 2, 4, 4, 5}));
    EXPECT_EQ(shift(x, -1, false).to_vector(), (std::vector<double>{0, 1, 2, 0, 4, 5}));
    EXPECT_EQ(shift(x, 0).to_vector(), (std::vector<double>{1, 2, 3, 1, 2, 3}));
    EXPECT_EQ(shift(x, 0, false).to_vector(), (std::vector<double>{0, 0, 0, 1, 2, 3}));
    // y = [x0, x0, x1] → dx = [g0 + g1, g2, 0]; without replication y = [0, x0, x1] → [g1, g2, 0].
    Tensor g = Tensor::from_vector({3}, {1, 2, 3}, DType::F64);
    EXPECT_EQ(shift_backward(g, 0).to_vector(), (std::vector<double>{3, 3, 0}));
    EXPECT_EQ(shift_backward(g, 0, false).to_vector(), (std::vector<double>{2, 3, 0}));
    EXPECT_EQ(shift_backward(Tensor::from_vector({1}, {5}), 0).to_vector(),
              (std::vector<double>{5}));
}

TEST(Layout, SliceAndConcatValues) {
    Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(slice(x, 1, 1, 3).to_vector(), (std::vector<double>{2, 3, 5, 6}));
    EXPECT_EQ(slice(x, 0, 1, 2).to_vector(), (std::vector<double>{4, 5, 6}));
    EXPECT_EQ(slice(x, -1, 2, 2).shape(), Shape({2, 0}));
    Tensor g = Tensor::from_vector({2, 2}, {7, 8, 9, 10});
    EXPECT_EQ(slice_backward(g, {2, 4}, 1, 1).to_vector(),
              (std::vector<double>{0, 7, 8, 0, 0, 9, 10, 0}));
    EXPECT_EQ(slice_backward(g, {3, 2}, 0, 1).to_vector(),
              (std::vector<double>{0, 0, 7, 8, 9, 10}));

    Tensor a = Tensor::from_vector({1, 2}, {1, 2}), b = Tensor::from_vector({2, 2}, {3, 4, 5, 6});
    EXPECT_EQ(concat({a, b}, 0).to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    Tensor c = Tensor::from_vector({2, 1}, {0, 9});
    EXPECT_EQ(concat({c, b}, -1).to_vector(), (std::vector<double>{0, 3, 4, 9, 5, 6}));
    EXPECT_EQ(concat({c, b}, -1).shape(), Shape({2, 3}));
}

TEST(Layout, PermuteValues) {
    Tensor x = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(permute(x, {1, 0}).to_vector(), (std::vector<double>{1, 4, 2, 5, 3, 6}));
    std::vector<double> values(24);
    std::iota(values.begin(), values.end(), 0.0);
    Tensor cube = Tensor::from_vector({2, 3, 4}, values);
    Tensor y = permute(cube, {2, 0, 1});  // y[c, a, b] = x[a, b, c]
    ASSERT_EQ(y.shape(), Shape({4, 2, 3}));
    for (int64_t a = 0; a < 2; ++a)
        for (int64_t b = 0; b < 3; ++b)
            for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(y.at({c, a, b}), cube.at({a, b, c}));
    // The attention head split: [B, T, H, d] → [B, H, T, d] and back is the identity.
    Tensor heads = random_tensor({2, 5, 3, 4}, DType::F32, 5);
    Tensor split = permute(heads, {0, 2, 1, 3});
    EXPECT_EQ(split.at({1, 2, 4, 3}), heads.at({1, 4, 2, 3}));
    EXPECT_EQ(permute(split, {0, 2, 1, 3}).to_vector(), heads.to_vector());
}

TEST(Layout, TokenTensors) {
    Tensor tokens = Tensor::from_ints({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
    EXPECT_EQ(slice(tokens, 1, 1, 4).to_ints(), (std::vector<int32_t>{2, 3, 4, 6, 7, 8}));
    EXPECT_EQ(shift(tokens, 1, false).to_ints(), (std::vector<int32_t>{0, 1, 2, 3, 0, 5, 6, 7}));
    EXPECT_EQ(permute(tokens, {1, 0}).to_ints(), (std::vector<int32_t>{1, 5, 2, 6, 3, 7, 4, 8}));
    EXPECT_EQ(concat({tokens, tokens}, 0).dtype(), DType::I32);
}

TEST(Layout, MisuseNamesOpAndShapes) {
    Tensor x = Tensor::zeros({3, 7});
    EXPECT_THROW_MESSAGE(shift(x, 2), "shift: axis 2 out of range for shape [3, 7]");
    EXPECT_THROW_MESSAGE(shift_backward(Tensor::zeros({3}, DType::I32), 0),
                         "shift_backward: g must be f32 or f64, got i32[3]");
    EXPECT_THROW_MESSAGE(slice(x, 1, 2, 9), "slice: [2, 9) out of range for axis 1 of f32[3, 7] "
                         "(expected 0 <= begin <= end <= 7)");
    EXPECT_THROW_MESSAGE(slice(x, 0, 2, 1), "slice: [2, 1) out of range for axis 0");
    EXPECT_THROW_MESSAGE(slice(x, -1, -1, 3), "slice: [-1, 3) out of range");
    EXPECT_THROW_MESSAGE(slice(x, -3, 0, 1), "slice: axis -3 out of range for shape [3, 7]");
    EXPECT_THROW_MESSAGE(slice_backward(Tensor::zeros({3, 4}), {3, 7}, 1, 4),
                         "slice_backward: g f32[3, 4] at offset 4 on axis 1 does not fit in "
                         "[3, 7]");
    EXPECT_THROW_MESSAGE(slice_backward(Tensor::zeros({2, 4}), {3, 7}, 1, 0),
                         "slice_backward: g f32[2, 4] at offset 0 on axis 1 does not fit in "
                         "[3, 7]");
    EXPECT_THROW_MESSAGE(concat({x, Tensor::zeros({2, 6})}, 0), "concat: f32[2, 6] does not match "
                         "f32[3, 7] (expected the same dtype and sizes on every axis but 0)");
    EXPECT_THROW_MESSAGE(concat({x, Tensor::zeros({3, 2}, DType::F64)}, 1),
                         "concat: f64[3, 2] does not match f32[3, 7]");
    EXPECT_THROW_MESSAGE(concat({x, Tensor::zeros({3, 7, 1})}, 1),
                         "concat: f32[3, 7, 1] does not match");
    EXPECT_THROW_MESSAGE(concat({}, 0), "concat: no tensors to concatenate");
    EXPECT_THROW_MESSAGE(permute(x, {0, 0}), "permute: [0, 0] is not a permutation of the 2 axes "
                         "of f32[3, 7] (expected each of 0..1 once)");
    EXPECT_THROW_MESSAGE(permute(x, {0, 1, 2}), "permute: [0, 1, 2] is not a permutation");
    EXPECT_THROW_MESSAGE(permute(x, {1, -1}), "permute: [1, -1] is not a permutation");
}

}  // namespace induction::testing
