// linalg.h — small dense linear algebra on host doubles: the eigen- and singular-value solvers
// that the circuit measures and the PCA need.
//
// - symmetric_eigen: Householder tridiagonalisation + implicit-shift QR (Wilkinson shift), and
//   inverse iteration when only the top few eigenvectors are wanted. O(n^3); used on the PCA
//   Gram matrix, n up to a few thousand (METHODS §7.4).
// - eigenvalues: balancing, Hessenberg reduction and the Francis double-shift QR iteration, for
//   real non-symmetric d_head × d_head matrices (METHODS §4.3).
// - singular_values: one-sided Jacobi, for nuclear norms of small matrices (METHODS §4.5).
// - solve / determinant: LU with partial pivoting, for small systems (e.g. the 4-parameter
//   logistic fit of METHODS §6.1).
// Everything is plain host code on row-major `Matrix` values; no tensors, no autograd.
#pragma once

#include <complex>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace induction {

// A dense row-major matrix of doubles: element (r, c) is data[r * cols + c].
struct Matrix {
    int64_t rows = 0, cols = 0;
    std::vector<double> data;  // [rows * cols], row-major

    Matrix() = default;
    Matrix(int64_t rows, int64_t cols, double fill = 0.0);
    // Matrix::from_rows({{1, 2}, {3, 4}}); every row must have the same length.
    static Matrix from_rows(std::initializer_list<std::initializer_list<double>> values);
    static Matrix identity(int64_t n);

    // Unchecked element access.
    double& operator()(int64_t r, int64_t c) { return data[r * cols + c]; }
    double operator()(int64_t r, int64_t c) const { return data[r * cols + c]; }
    double* row(int64_t r) { return data.data() + r * cols; }
    const double* row(int64_t r) const { return data.data() + r * cols; }
};

Matrix multiply(const Matrix& a, const Matrix& b);  // [m, k] x [k, n] -> [m, n]
Matrix transpose(const Matrix& a);
Matrix gram(const Matrix& a);  // a a^T: [m, k] -> [m, m], symmetric (rows of a dotted pairwise)
double trace(const Matrix& a);  // square matrices only
double frobenius_norm(const Matrix& a);

// Solution x of a x = b for square, non-singular a (LU with partial pivoting).
std::vector<double> solve(const Matrix& a, const std::vector<double>& b);
double determinant(const Matrix& a);

// Eigen-decomposition a = V diag(values) V^T of a symmetric matrix.
struct SymmetricEigen {
    std::vector<double> values;  // [n], all eigenvalues, descending
    Matrix vectors;              // [n, k]; column j is the unit eigenvector of values[j]
};
// `a` must be square and symmetric up to rounding (it is symmetrised before use).
// top_k < 0: all n eigenvectors (QR rotations accumulated, ~10 n^3 flops).
// top_k >= 0: only the eigenvectors of the top_k largest eigenvalues, by inverse iteration
// (~4/3 n^3 flops, the tridiagonalisation; meant for a few vectors, e.g. the PCA of §7.4).
SymmetricEigen symmetric_eigen(const Matrix& a, int64_t top_k = -1);

// All eigenvalues of a real square matrix, complex pairs included (conjugates adjacent),
// sorted by descending real part, then descending imaginary part.
std::vector<std::complex<double>> eigenvalues(const Matrix& a);

// Singular values of an [m, n] matrix, min(m, n) of them, descending.
std::vector<double> singular_values(const Matrix& a);

}  // namespace induction
