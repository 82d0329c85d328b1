// triangle.h — triangular masks on the operands and the result of a matrix product.
//
// Causal attention multiplies triangular matrices: the scores q kᵀ are only needed on and below
// the diagonal, and the pattern A that multiplies v is zero above it. A mask says which entries
// of a matrix (per batch matrix, row r, column c) take part; the others count as exact zeros and
// are never read, so a GEMM can skip the blocks they fill — about half of every attention product.
//   FULL:  every entry;   LOWER: c <= r;   UPPER: c >= r.
// MatmulMasks applies them as C = mask_c(mask_a(op(A)) · mask_b(op(B))): masked entries of C are
// written as 0. The transpose of a LOWER matrix is UPPER, which is all the gradient rules need
// (autograd/matmul.cpp).
#pragma once

#include <cstdint>

namespace induction {

enum class Triangle : uint8_t { FULL, LOWER, UPPER };

inline Triangle transposed(Triangle t) {
    return t == Triangle::LOWER ? Triangle::UPPER : t == Triangle::UPPER ? Triangle::LOWER : t;
}

// Whether entry (row, col) of a matrix with this mask takes part.
inline bool kept(Triangle t, int64_t row, int64_t col) {
    return t == Triangle::FULL || (t == Triangle::LOWER ? col <= row : col >= row);
}

inline const char* triangle_name(Triangle t) {
    return t == Triangle::FULL ? "full" : t == Triangle::LOWER ? "lower" : "upper";
}

struct MatmulMasks {
    Triangle a = Triangle::FULL, b = Triangle::FULL, c = Triangle::FULL;
    bool any() const { return a != Triangle::FULL || b != Triangle::FULL || c != Triangle::FULL; }
};

}  // namespace induction
