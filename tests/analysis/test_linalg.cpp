// test_linalg.cpp — the dense solvers of analysis/linalg.h against matrices with known spectra.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "analysis/linalg.h"
#include "tensor/error.h"

namespace induction {
namespace {

using Complex = std::complex<double>;

Matrix random_matrix(int64_t rows, int64_t cols, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    Matrix m(rows, cols);
    for (double& x : m.data) x = normal(rng);
    return m;
}

// A random orthogonal matrix: modified Gram-Schmidt on the columns of a Gaussian matrix.
Matrix random_orthogonal(int64_t n, uint64_t seed) {
    Matrix q = random_matrix(n, n, seed);
    for (int64_t k = 0; k < n; ++k) {
        for (int64_t j = 0; j < k; ++j) {
            double proj = 0.0;
            for (int64_t r = 0; r < n; ++r) proj += q(r, j) * q(r, k);
            for (int64_t r = 0; r < n; ++r) q(r, k) -= proj * q(r, j);
        }
        double norm = 0.0;
        for (int64_t r = 0; r < n; ++r) norm += q(r, k) * q(r, k);
        for (int64_t r = 0; r < n; ++r) q(r, k) /= std::sqrt(norm);
    }
    return q;
}

Matrix diagonal(const std::vector<double>& values) {
    Matrix d(static_cast<int64_t>(values.size()), static_cast<int64_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) d(i, i) = values[i];
    return d;
}

double max_abs_difference(const Matrix& a, const Matrix& b) {
    double worst = 0.0;
    for (size_t i = 0; i < a.data.size(); ++i) worst = std::max(worst, std::abs(a.data[i] - b.data[i]));
    return worst;
}

// Every expected eigenvalue is matched to a distinct computed one within `tol`.
void expect_same_spectrum(std::vector<Complex> got, std::vector<Complex> expected, double tol) {
    ASSERT_EQ(got.size(), expected.size());
    for (Complex e : expected) {
        auto best = std::min_element(got.begin(), got.end(),
                                     [&](Complex x, Complex y) { return std::abs(x - e) < std::abs(y - e); });
        EXPECT_LE(std::abs(*best - e), tol) << "expected eigenvalue " << e << ", closest " << *best;
        got.erase(best);
    }
}

// ---- Matrix helpers ---------------------------------------------------------------------

TEST(Linalg, MatrixHelpers) {
    Matrix a = Matrix::from_rows({{1, 2, 3}, {4, 5, 6}});
    Matrix b = Matrix::from_rows({{1, 0}, {0, 1}, {2, -1}});
    Matrix ab = multiply(a, b);
    EXPECT_EQ(max_abs_difference(ab, Matrix::from_rows({{7, -1}, {16, -1}})), 0.0);
    Matrix at = transpose(a);
    EXPECT_EQ(at.rows, 3);
    EXPECT_EQ(at(2, 1), 6.0);
    EXPECT_EQ(trace(ab), 6.0);
    EXPECT_DOUBLE_EQ(frobenius_norm(a), std::sqrt(91.0));
    EXPECT_EQ(max_abs_difference(multiply(Matrix::identity(2), a), a), 0.0);
    EXPECT_THROW(multiply(a, a), Error);
    EXPECT_THROW(trace(a), Error);
    EXPECT_THROW(Matrix::from_rows({{1, 2}, {3}}), Error);
}

TEST(Linalg, GramEqualsProductWithTranspose) {
    Matrix a = random_matrix(75, 1100, 1);  // more rows than a tile, more columns than a chunk
    Matrix g = gram(a);
    EXPECT_LE(max_abs_difference(g, multiply(a, transpose(a))), 1e-10);
    for (int64_t i = 0; i < g.rows; ++i)
        for (int64_t j = 0; j < g.cols; ++j) EXPECT_EQ(g(i, j), g(j, i));
}

TEST(Linalg, SolveAndDeterminant) {
    Matrix a = Matrix::from_rows({{0, 2, 1}, {1, 1, 1}, {2, 1, 0}});  // needs a pivot swap
    std::vector<double> x = solve(a, {5, 4, 4});                       // solution (1, 2, 1)
    EXPECT_NEAR(x[0], 1.0, 1e-14);
    EXPECT_NEAR(x[1], 2.0, 1e-14);
    EXPECT_NEAR(x[2], 1.0, 1e-14);
    EXPECT_NEAR(determinant(a), 3.0, 1e-14);
    EXPECT_DOUBLE_EQ(determinant(Matrix::from_rows({{0, 1}, {1, 0}})), -1.0);
    Matrix singular = Matrix::from_rows({{1, 2}, {2, 4}});
    EXPECT_EQ(determinant(singular), 0.0);
    EXPECT_THROW(solve(singular, {1, 1}), Error);

    Matrix r = random_matrix(30, 30, 2);
    std::vector<double> truth(30);
    for (int i = 0; i < 30; ++i) truth[i] = i - 14.5;
    std::vector<double> rhs(30, 0.0);
    for (int i = 0; i < 30; ++i)
        for (int j = 0; j < 30; ++j) rhs[i] += r(i, j) * truth[j];
    std::vector<double> got = solve(r, rhs);
    for (int i = 0; i < 30; ++i) EXPECT_NEAR(got[i], truth[i], 1e-10);
}

// ---- symmetric_eigen --------------------------------------------------------------------

TEST(SymmetricEigen, DiagonalMatrixSortsDescending) {
    SymmetricEigen e = symmetric_eigen(diagonal({1.0, -3.0, 7.0, 0.5}));
    EXPECT_EQ(e.values, (std::vector<double>{7.0, 1.0, 0.5, -3.0}));
    EXPECT_NEAR(std::abs(e.vectors(2, 0)), 1.0, 1e-15);  // 7 sits at index 2
    EXPECT_NEAR(std::abs(e.vectors(1, 3)), 1.0, 1e-15);  // -3 sits at index 1
}

TEST(SymmetricEigen, SmallSizes) {
    EXPECT_TRUE(symmetric_eigen(Matrix(0, 0)).values.empty());
    EXPECT_EQ(symmetric_eigen(Matrix::from_rows({{-2}})).values, (std::vector<double>{-2.0}));
    SymmetricEigen e = symmetric_eigen(Matrix::from_rows({{2, 1}, {1, 2}}));
    EXPECT_NEAR(e.values[0], 3.0, 1e-15);
    EXPECT_NEAR(e.values[1], 1.0, 1e-15);
    EXPECT_NEAR(std::abs(e.vectors(0, 0)), std::sqrt(0.5), 1e-15);
    EXPECT_NEAR(e.vectors(0, 1) * e.vectors(1, 1), -0.5, 1e-15);  // (1, -1) / sqrt(2)
}

TEST(SymmetricEigen, RecoversPlantedEigenvectors) {
    const int64_t n = 60;
    Matrix q = random_orthogonal(n, 3);
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) values[i] = 10.0 - 0.37 * i;  // distinct, both signs
    Matrix a = multiply(multiply(q, diagonal(values)), transpose(q));
    SymmetricEigen e = symmetric_eigen(a);
    for (int64_t k = 0; k < n; ++k) {
        EXPECT_NEAR(e.values[k], values[k], 1e-12);
        double overlap = 0.0;  // |<v_k, q_k>| must be 1
        for (int64_t r = 0; r < n; ++r) overlap += e.vectors(r, k) * q(r, k);
        EXPECT_NEAR(std::abs(overlap), 1.0, 1e-10) << "eigenvector " << k;
    }
}

TEST(SymmetricEigen, RepeatedEigenvaluesGiveOrthonormalBasis) {
    const int64_t n = 40;
    Matrix q = random_orthogonal(n, 4);
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) values[i] = i < 10 ? 5.0 : (i < 30 ? 0.0 : -2.0);
    Matrix a = multiply(multiply(q, diagonal(values)), transpose(q));
    SymmetricEigen e = symmetric_eigen(a);
    for (int64_t k = 0; k < n; ++k) EXPECT_NEAR(e.values[k], values[k], 1e-12);
    EXPECT_LE(max_abs_difference(multiply(transpose(e.vectors), e.vectors), Matrix::identity(n)), 1e-12);
    Matrix rebuilt = multiply(multiply(e.vectors, diagonal(e.values)), transpose(e.vectors));
    EXPECT_LE(max_abs_difference(rebuilt, a), 1e-12);
}

TEST(SymmetricEigen, RandomGramMatrix) {
    Matrix x = random_matrix(150, 40, 5);  // rank 40: 110 zero eigenvalues
    Matrix g = gram(x);
    SymmetricEigen e = symmetric_eigen(g);
    double scale = e.values[0];
    Matrix gv = multiply(g, e.vectors);
    for (int64_t k = 0; k < g.rows; ++k)
        for (int64_t r = 0; r < g.rows; ++r)
            ASSERT_NEAR(gv(r, k), e.values[k] * e.vectors(r, k), 1e-11 * scale);
    for (int64_t k = 40; k < g.rows; ++k) EXPECT_NEAR(e.values[k], 0.0, 1e-11 * scale);
    double sum = 0.0;
    for (double v : e.values) sum += v;
    EXPECT_NEAR(sum, trace(g), 1e-10 * trace(g));
}

// A column set V [n, k] and values lambda with ||A v_j - lambda_j v_j|| small and V^T V = I.
void expect_eigenpairs(const Matrix& a, const std::vector<double>& values, const Matrix& v, double tol) {
    Matrix av = multiply(a, v);
    for (int64_t j = 0; j < v.cols; ++j)
        for (int64_t r = 0; r < v.rows; ++r) ASSERT_NEAR(av(r, j), values[j] * v(r, j), tol) << "pair " << j;
    EXPECT_LE(max_abs_difference(multiply(transpose(v), v), Matrix::identity(v.cols)), 1e-12);
}

TEST(SymmetricEigen, TopKMatchesFullDecomposition) {
    const int64_t n = 80;
    Matrix q = random_orthogonal(n, 11);
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) values[i] = 3.0 * std::exp(-0.1 * i) - 0.5;
    Matrix a = multiply(multiply(q, diagonal(values)), transpose(q));
    SymmetricEigen full = symmetric_eigen(a);
    SymmetricEigen top = symmetric_eigen(a, 5);
    ASSERT_EQ(top.vectors.rows, n);
    ASSERT_EQ(top.vectors.cols, 5);
    EXPECT_EQ(top.values, full.values);  // all eigenvalues either way
    for (int64_t k = 0; k < 5; ++k) {
        double overlap = 0.0;
        for (int64_t r = 0; r < n; ++r) overlap += top.vectors(r, k) * full.vectors(r, k);
        EXPECT_NEAR(std::abs(overlap), 1.0, 1e-10) << "eigenvector " << k;
    }
    expect_eigenpairs(a, top.values, top.vectors, 1e-12);
    EXPECT_EQ(symmetric_eigen(a, 0).vectors.cols, 0);
    EXPECT_THROW(symmetric_eigen(a, n + 1), Error);
}

TEST(SymmetricEigen, TopKInsideARepeatedEigenvalue) {
    const int64_t n = 40;
    Matrix q = random_orthogonal(n, 12);
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) values[i] = i < 6 ? 2.0 : 1.0 / (i + 1);  // 2 six times
    Matrix a = multiply(multiply(q, diagonal(values)), transpose(q));
    SymmetricEigen top = symmetric_eigen(a, 8);
    expect_eigenpairs(a, top.values, top.vectors, 1e-12);
}

TEST(SymmetricEigen, TopKOfARankDeficientGram) {
    Matrix g = gram(random_matrix(120, 30, 13));
    SymmetricEigen top = symmetric_eigen(g, 31);  // the 31st eigenvalue is 0
    expect_eigenpairs(g, top.values, top.vectors, 1e-11 * top.values[0]);
    SymmetricEigen zero = symmetric_eigen(Matrix(6, 6), 3);
    expect_eigenpairs(Matrix(6, 6), zero.values, zero.vectors, 0.0);
}

TEST(SymmetricEigen, RejectsNonSymmetricInput) {
    EXPECT_THROW(symmetric_eigen(Matrix::from_rows({{1, 2}, {0, 1}})), Error);
    EXPECT_THROW(symmetric_eigen(Matrix(2, 3)), Error);
}

// ---- eigenvalues (non-symmetric) --------------------------------------------------------

TEST(Eigenvalues, TriangularMatrixHasItsDiagonal) {
    Matrix a = Matrix::from_rows({{3, 1, 4, 1}, {0, -5, 9, 2}, {0, 0, 6, 5}, {0, 0, 0, 0.5}});
    std::vector<Complex> got = eigenvalues(a);
    std::vector<Complex> expected = {6.0, 3.0, 0.5, -5.0};  // sorted by descending real part
    ASSERT_EQ(got.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(std::abs(got[i] - expected[i]), 0.0, 1e-13);
}

TEST(Eigenvalues, RotationGivesConjugatePair) {
    double theta = 0.7;
    Matrix r = Matrix::from_rows({{std::cos(theta), -std::sin(theta)}, {std::sin(theta), std::cos(theta)}});
    std::vector<Complex> got = eigenvalues(r);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_NEAR(std::abs(got[0] - std::polar(1.0, theta)), 0.0, 1e-15);  // positive imaginary part first
    EXPECT_NEAR(std::abs(got[1] - std::polar(1.0, -theta)), 0.0, 1e-15);

    // A 3D rotation about a random axis: e^{±iθ} and 1, seen through a similarity.
    Matrix q = random_orthogonal(3, 6);
    Matrix r3 = Matrix::from_rows(
        {{std::cos(theta), -std::sin(theta), 0}, {std::sin(theta), std::cos(theta), 0}, {0, 0, 1}});
    expect_same_spectrum(eigenvalues(multiply(multiply(q, r3), transpose(q))),
                         {std::polar(1.0, theta), std::polar(1.0, -theta), 1.0}, 1e-13);
}

TEST(Eigenvalues, CyclicPermutationNeedsExceptionalShifts) {
    // The cyclic shift on 6 elements: eigenvalues are the 6th roots of unity. Standard Francis
    // shifts stall on it; this checks the exceptional shifts.
    const int n = 6;
    Matrix p(n, n);
    for (int i = 0; i < n; ++i) p((i + 1) % n, i) = 1.0;
    std::vector<Complex> roots;
    for (int k = 0; k < n; ++k) roots.push_back(std::polar(1.0, 2.0 * std::numbers::pi * k / n));
    expect_same_spectrum(eigenvalues(p), roots, 1e-12);
}

TEST(Eigenvalues, CompanionMatrixHasThePolynomialRoots) {
    std::vector<Complex> roots = {1.0, 2.0, -3.0, 0.5, {1.0, 2.0}, {1.0, -2.0}, {-0.25, 0.75},
                                  {-0.25, -0.75}};
    // Coefficients of prod (x - r): c[0] x^n + c[1] x^{n-1} + ... (real, since roots come in pairs).
    std::vector<Complex> c = {1.0};
    for (Complex r : roots) {
        c.push_back(0.0);
        for (size_t i = c.size() - 1; i >= 1; --i) c[i] -= r * c[i - 1];
    }
    const int64_t n = static_cast<int64_t>(roots.size());
    Matrix companion(n, n);  // first row -c[1..n], ones on the subdiagonal
    for (int64_t j = 0; j < n; ++j) companion(0, j) = -c[j + 1].real();
    for (int64_t i = 1; i < n; ++i) companion(i, i - 1) = 1.0;
    expect_same_spectrum(eigenvalues(companion), roots, 1e-9);
}

TEST(Eigenvalues, DefectiveJordanBlock) {
    // A Jordan block of size 4 hidden by a similarity: eigenvalue 2 with multiplicity 4. A
    // perturbation of size eps moves such eigenvalues by about eps^(1/4), hence the tolerance.
    Matrix j = Matrix::from_rows({{2, 1, 0, 0}, {0, 2, 1, 0}, {0, 0, 2, 1}, {0, 0, 0, 2}});
    Matrix q = random_orthogonal(4, 7);
    std::vector<Complex> got = eigenvalues(multiply(multiply(q, j), transpose(q)));
    expect_same_spectrum(got, {2.0, 2.0, 2.0, 2.0}, 1e-3);
    Complex sum = 0.0;
    for (Complex z : got) sum += z;
    EXPECT_NEAR(sum.real(), 8.0, 1e-12);
}

TEST(Eigenvalues, BadlyScaledSimilarity) {
    // S D S^-1 with S = diag(1e-6 .. 1e6) times a random matrix: balancing undoes the scaling.
    const int64_t n = 5;
    Matrix d = Matrix::from_rows(
        {{1, 2, 0, 0, 0}, {-2, 1, 0, 0, 0}, {0, 0, 3, 0, 0}, {0, 0, 0, -4, 0}, {0, 0, 0, 0, 0.1}});
    Matrix q = random_orthogonal(n, 8);
    Matrix a = multiply(multiply(q, d), transpose(q));
    for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < n; ++c) a(r, c) *= std::pow(1e3, static_cast<double>(r - c));
    expect_same_spectrum(eigenvalues(a), {{1.0, 2.0}, {1.0, -2.0}, 3.0, -4.0, 0.1}, 1e-9);
}

TEST(Eigenvalues, RandomMatricesMatchTraceAndDeterminant) {
    for (int64_t n : {1, 2, 3, 7, 16, 64}) {
        Matrix a = random_matrix(n, n, 100 + n);
        std::vector<Complex> got = eigenvalues(a);
        ASSERT_EQ(static_cast<int64_t>(got.size()), n);
        Complex sum = 0.0, product = 1.0;
        for (Complex z : got) {
            sum += z;
            product *= z;
        }
        double det = determinant(a);
        EXPECT_NEAR(sum.real(), trace(a), 1e-11 * n) << "n = " << n;
        EXPECT_NEAR(sum.imag(), 0.0, 1e-11 * n);
        EXPECT_NEAR(product.real(), det, 1e-9 * std::abs(det)) << "n = " << n;
        EXPECT_NEAR(product.imag(), 0.0, 1e-9 * std::abs(det));
        for (size_t i = 0; i < got.size(); ++i) {  // complex eigenvalues come in adjacent conjugate pairs
            if (got[i].imag() > 0.0) {
                EXPECT_EQ(got[i + 1], std::conj(got[i]));
            }
        }
    }
}

TEST(Eigenvalues, ZeroMatrixAndErrors) {
    std::vector<Complex> got = eigenvalues(Matrix(5, 5));
    ASSERT_EQ(got.size(), 5u);
    for (Complex z : got) EXPECT_EQ(z, Complex(0.0));
    EXPECT_TRUE(eigenvalues(Matrix(0, 0)).empty());
    EXPECT_THROW(eigenvalues(Matrix(2, 3)), Error);
    EXPECT_THROW(eigenvalues(Matrix::from_rows({{1, NAN}, {0, 1}})), Error);
}

// ---- singular_values --------------------------------------------------------------------

TEST(SingularValues, PlantedSpectrumTallAndWide) {
    for (auto [m, n] : {std::pair<int64_t, int64_t>{12, 5}, {5, 12}, {9, 9}}) {
        int64_t k = std::min(m, n);
        std::vector<double> sigma(k);
        for (int64_t i = 0; i < k; ++i) sigma[i] = i == k - 1 ? 0.0 : 10.0 / (i + 1);  // one zero
        Matrix s(m, n);
        for (int64_t i = 0; i < k; ++i) s(i, i) = sigma[i];
        Matrix a = multiply(multiply(random_orthogonal(m, 9 + m), s), random_orthogonal(n, 19 + n));
        std::vector<double> got = singular_values(a);
        ASSERT_EQ(static_cast<int64_t>(got.size()), k);
        for (int64_t i = 0; i < k; ++i) EXPECT_NEAR(got[i], sigma[i], 1e-12) << m << "x" << n << " #" << i;
    }
}

TEST(SingularValues, SquaresAreEigenvaluesOfTheGram) {
    Matrix a = random_matrix(20, 8, 10);
    std::vector<double> sigma = singular_values(a);
    SymmetricEigen e = symmetric_eigen(multiply(transpose(a), a));
    double frobenius_sq = 0.0;
    for (int64_t i = 0; i < 8; ++i) {
        EXPECT_NEAR(sigma[i] * sigma[i], e.values[i], 1e-10 * e.values[0]);
        frobenius_sq += sigma[i] * sigma[i];
    }
    EXPECT_NEAR(frobenius_sq, std::pow(frobenius_norm(a), 2), 1e-10 * frobenius_sq);
    EXPECT_EQ(singular_values(Matrix(3, 2)), (std::vector<double>{0.0, 0.0}));
}

}  // namespace
}  // namespace induction
