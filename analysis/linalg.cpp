// linalg.cpp — dense matrix helpers and the eigen/singular-value solvers of linalg.h.
//
// The algorithms are the textbook ones (Golub & Van Loan, "Matrix Computations"):
//   symmetric:     Householder tridiagonalisation (§8.3.1), implicit symmetric QR steps with a
//                  Wilkinson shift (§8.3.3); all eigenvectors by accumulating the rotations on
//                  Q^T, or a few by inverse iteration on the tridiagonal (§8.2.2) mapped back by Q.
//   non-symmetric: Parlett–Reinsch balancing, Householder Hessenberg reduction (§7.4.3),
//                  Francis double-shift QR with deflation and exceptional shifts (§7.5).
//   singular:      one-sided (Hestenes) Jacobi rotations on the columns (§8.6.3).
#include "analysis/linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "tensor/cpu/fast_math.h"
#include "tensor/cpu/parallel.h"
#include "tensor/error.h"

namespace induction {
namespace {

constexpr double EPS = std::numeric_limits<double>::epsilon();

void check_square(const Matrix& a, const char* op) {
    check(a.rows == a.cols, op, ": expected a square matrix, got [", a.rows, ", ", a.cols, "]");
}

void check_finite(const Matrix& a, const char* op) {
    for (double x : a.data) check(std::isfinite(x), op, ": matrix has a non-finite entry (", x, ")");
}

double dot(const double* x, const double* y, int64_t n) {
    double sum = 0.0;
OMP_SIMD(reduction(+ : sum))
    for (int64_t i = 0; i < n; ++i) sum += x[i] * y[i];
    return sum;
}

// y += alpha * x
void axpy(double alpha, const double* x, double* y, int64_t n) {
OMP_SIMD()
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

// (x, y) <- (c x + s y, -s x + c y), elementwise over two rows.
void rotate(double* x, double* y, int64_t n, double c, double s) {
OMP_SIMD()
    for (int64_t i = 0; i < n; ++i) {
        double xi = x[i], yi = y[i];
        x[i] = c * xi + s * yi;
        y[i] = -s * xi + c * yi;
    }
}

// A Householder reflector P = I - beta v v^T with P x = alpha e_1 (beta = 0: P = I).
struct Reflector {
    double beta = 0.0;
    double alpha = 0.0;
};

// Overwrites x [len] with the reflector's vector v and returns beta and alpha.
// alpha takes the sign opposite to x[0] so that v = x - alpha e_1 suffers no cancellation.
Reflector make_reflector(double* x, int64_t len) {
    double norm = std::sqrt(dot(x, x, len));
    if (norm == 0.0) return {};
    Reflector p;
    p.alpha = x[0] > 0.0 ? -norm : norm;
    p.beta = 1.0 / (norm * (norm + std::abs(x[0])));  // = 2 / (v^T v)
    x[0] -= p.alpha;
    return p;
}

// h[r0 .. r0+len, c0 .. c1) <- P h[...]: the reflector applied to `len` consecutive rows.
void reflect_rows(Matrix& h, int64_t r0, const double* v, int64_t len, double beta, int64_t c0,
                  int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
        double s = 0.0;
        for (int64_t i = 0; i < len; ++i) s += v[i] * h(r0 + i, c);
        s *= beta;
        for (int64_t i = 0; i < len; ++i) h(r0 + i, c) -= s * v[i];
    }
}

// h[r0 .. r1, c0 .. c0+len) <- h[...] P: the reflector applied to `len` consecutive columns.
void reflect_cols(Matrix& h, int64_t c0, const double* v, int64_t len, double beta, int64_t r0,
                  int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
        double* row = h.row(r) + c0;
        double s = beta * dot(row, v, len);
        axpy(-s, v, row, len);
    }
}

// ---- symmetric eigenproblem -------------------------------------------------------------

// a = Q T Q^T with T tridiagonal and Q = P_0 P_1 ... P_{n-3}, P_k = I - beta_k v_k v_k^T acting
// on indices k+1..n-1.
struct Tridiagonal {
    std::vector<double> d;     // [n] diagonal of T
    std::vector<double> e;     // [n-1] off-diagonal of T
    Matrix reflectors;         // [n, n]: row k right of the diagonal holds v_k
    std::vector<double> beta;  // [n]
};

// Householder tridiagonalisation of a symmetric matrix (consumed). Only the lower triangle is
// read and updated, which halves the memory traffic; the free upper triangle stores the v_k.
Tridiagonal tridiagonalise(Matrix w) {
    const int64_t n = w.rows;
    Tridiagonal t;
    t.d.resize(n);
    t.e.resize(std::max<int64_t>(n - 1, 0));
    t.beta.resize(n);
    std::vector<double> q(n);
    for (int64_t k = 0; k + 2 < n; ++k) {
        const int64_t m = n - k - 1;  // size of the trailing block B = w[k+1.., k+1..]
        double* v = w.row(k) + k + 1;
        for (int64_t i = 0; i < m; ++i) v[i] = w(k + 1 + i, k);  // column k below the diagonal
        Reflector p = make_reflector(v, m);
        t.e[k] = p.alpha;
        t.beta[k] = p.beta;
        if (p.beta == 0.0) continue;
        // q = beta B v from the lower triangle: row r of it is B[r, 0..r], which contributes
        // to q[r] by a dot product and to q[0..r-1] as column r of the upper triangle.
        std::fill(q.begin(), q.begin() + m, 0.0);
        for (int64_t r = 0; r < m; ++r) {
            const double* row = w.row(k + 1 + r) + k + 1;
            q[r] += dot(row, v, r) + row[r] * v[r];
            axpy(v[r], row, q.data(), r);
        }
        // P B P = B - v q^T - q v^T once q = beta B v - (beta/2)(v^T beta B v) v.
        for (int64_t r = 0; r < m; ++r) q[r] *= p.beta;
        axpy(-0.5 * p.beta * dot(q.data(), v, m), v, q.data(), m);
        cpu::parallel_for(m, 64, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                double* row = w.row(k + 1 + r) + k + 1;
                axpy(-v[r], q.data(), row, r + 1);
                axpy(-q[r], v, row, r + 1);
            }
        });
    }
    for (int64_t k = 0; k < n; ++k) t.d[k] = w(k, k);
    if (n >= 2) t.e[n - 2] = w(n - 1, n - 2);
    t.reflectors = std::move(w);
    return t;
}

// Q^T, whose rows are the basis vectors in which the input of tridiagonalise() is T.
Matrix transposed_q(const Tridiagonal& t) {
    const int64_t n = static_cast<int64_t>(t.d.size());
    // Q = P_0 (P_1 (... P_{n-3})), accumulated from the right so that each partial product is
    // the identity outside its trailing block.
    Matrix q = Matrix::identity(n);
    std::vector<double> s(n);
    for (int64_t k = n - 3; k >= 0; --k) {
        if (t.beta[k] == 0.0) continue;
        const int64_t m = n - k - 1;
        const double* v = t.reflectors.row(k) + k + 1;
        std::fill(s.begin(), s.begin() + m, 0.0);  // s = v^T B, B = q[k+1.., k+1..]
        for (int64_t r = 0; r < m; ++r) axpy(v[r], q.row(k + 1 + r) + k + 1, s.data(), m);
        for (int64_t r = 0; r < m; ++r) axpy(-t.beta[k] * v[r], s.data(), q.row(k + 1 + r) + k + 1, m);
    }
    return transpose(q);
}

// y <- Q y: a vector in T's coordinates mapped back to the original ones.
void multiply_by_q(const Tridiagonal& t, double* y) {
    const int64_t n = static_cast<int64_t>(t.d.size());
    for (int64_t k = n - 3; k >= 0; --k) {
        if (t.beta[k] == 0.0) continue;
        const int64_t m = n - k - 1;
        const double* v = t.reflectors.row(k) + k + 1;
        axpy(-t.beta[k] * dot(v, y + k + 1, m), v, y + k + 1, m);
    }
}

// Diagonalises the symmetric tridiagonal (d, e) by implicit QR steps with Wilkinson shifts.
// When `basis` is given, every rotation of rows (k, k+1) of T is also applied to its rows k,
// k+1, so if T = basis A basis^T on entry, then diag(d) = basis A basis^T on return.
void tridiagonal_qr(std::vector<double>& d, std::vector<double>& e, Matrix* basis) {
    const int64_t n = static_cast<int64_t>(d.size());
    int64_t hi = n - 1;
    int iterations = 0;
    while (hi > 0) {
        int64_t lo = hi;  // [lo, hi] becomes the trailing unreduced block
        while (lo > 0 && std::abs(e[lo - 1]) > EPS * (std::abs(d[lo - 1]) + std::abs(d[lo]))) --lo;
        if (lo > 0) e[lo - 1] = 0.0;
        if (lo == hi) {  // d[hi] has converged
            --hi;
            iterations = 0;
            continue;
        }
        check(++iterations <= 100, "symmetric_eigen: QR iteration did not converge for index ", hi);

        // Wilkinson shift: the eigenvalue of the trailing 2x2 block closer to d[hi].
        double delta = 0.5 * (d[hi - 1] - d[hi]);
        double off = e[hi - 1];
        double mu = d[hi] - off * (off / (delta + std::copysign(std::hypot(delta, off), delta)));

        // Chase the bulge created by the first rotation down the block.
        double x = d[lo] - mu, z = e[lo];
        for (int64_t k = lo; k < hi; ++k) {
            double r = std::hypot(x, z);
            double c = r == 0.0 ? 1.0 : x / r, s = r == 0.0 ? 0.0 : z / r;
            if (k > lo) e[k - 1] = r;
            double a = d[k], b = e[k], cc = d[k + 1];
            d[k] = c * c * a + 2.0 * c * s * b + s * s * cc;
            d[k + 1] = s * s * a - 2.0 * c * s * b + c * c * cc;
            e[k] = c * s * (cc - a) + (c * c - s * s) * b;
            if (k + 1 < hi) {
                z = s * e[k + 1];  // the new bulge at (k+2, k)
                e[k + 1] *= c;
                x = e[k];
            }
            if (basis) rotate(basis->row(k), basis->row(k + 1), basis->cols, c, s);
        }
    }
}

// Unit eigenvectors of the symmetric tridiagonal (d, e), in T's coordinates, for the given
// eigenvalues (descending, accurate to rounding), by inverse iteration: x <- (T - lambda)^-1 x
// with T - lambda factored by Gaussian elimination with partial pivoting. A vector is kept
// orthogonal to those already found for eigenvalues within 1e-3 ||T|| of its own, which
// inverse iteration alone would reproduce.
std::vector<std::vector<double>> tridiagonal_eigenvectors(const std::vector<double>& d,
                                                          const std::vector<double>& e,
                                                          const std::vector<double>& lambdas) {
    const int64_t n = static_cast<int64_t>(d.size());
    double norm = 0.0;  // infinity norm of T
    for (int64_t i = 0; i < n; ++i)
        norm = std::max(norm, std::abs(d[i]) + (i > 0 ? std::abs(e[i - 1]) : 0.0) +
                                  (i + 1 < n ? std::abs(e[i]) : 0.0));
    const double tiny = norm > 0.0 ? EPS * norm : 1.0;  // stands in for zero pivots

    std::vector<std::vector<double>> vectors;
    std::vector<double> u0(n), u1(n), u2(n), multiplier(n);  // U's three diagonals, L's multipliers
    std::vector<char> swapped(n);
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    for (size_t j = 0; j < lambdas.size(); ++j) {
        const double lambda = lambdas[j];
        // Factor P (T - lambda) = L U. Row i of U has entries u0, u1, u2 in columns i, i+1, i+2
        // (u2 is fill-in from row swaps). The pending row i, not yet a pivot row, has
        // entries (p, q) in columns i, i+1 and zeros elsewhere.
        double p = d[0] - lambda, q = n > 1 ? e[0] : 0.0;
        for (int64_t i = 0; i + 1 < n; ++i) {
            double sub = e[i], diag = d[i + 1] - lambda, super = i + 2 < n ? e[i + 1] : 0.0;
            swapped[i] = std::abs(sub) > std::abs(p);
            if (swapped[i]) {  // row i+1 becomes the pivot row
                multiplier[i] = p / sub;
                u0[i] = sub, u1[i] = diag, u2[i] = super;
                p = q - multiplier[i] * diag, q = -multiplier[i] * super;
            } else {
                multiplier[i] = p == 0.0 ? 0.0 : sub / p;
                u0[i] = p, u1[i] = q, u2[i] = 0.0;
                p = diag - multiplier[i] * q, q = super;
            }
            if (u0[i] == 0.0) u0[i] = tiny;
        }
        u0[n - 1] = p == 0.0 ? tiny : p;

        std::vector<double> x(n);
        for (double& xi : x) xi = uniform(rng);
        for (int iteration = 0; iteration < 4; ++iteration) {
            for (int64_t i = 0; i + 1 < n; ++i) {  // x <- L^-1 P x
                if (swapped[i]) std::swap(x[i], x[i + 1]);
                x[i + 1] -= multiplier[i] * x[i];
            }
            for (int64_t i = n - 1; i >= 0; --i) {  // x <- U^-1 x
                double sum = x[i];
                if (i + 1 < n) sum -= u1[i] * x[i + 1];
                if (i + 2 < n) sum -= u2[i] * x[i + 2];
                x[i] = sum / u0[i];
            }
            for (size_t c = 0; c < j; ++c)  // Gram-Schmidt against the cluster found so far
                if (lambdas[c] - lambda <= 1e-3 * norm)
                    axpy(-dot(vectors[c].data(), x.data(), n), vectors[c].data(), x.data(), n);
            double length = std::sqrt(dot(x.data(), x.data(), n));
            check(std::isfinite(length) && length > 0.0,
                  "symmetric_eigen: inverse iteration failed for eigenvalue ", lambda);
            for (double& xi : x) xi /= length;
        }
        vectors.push_back(std::move(x));
    }
    return vectors;
}

// ---- non-symmetric eigenvalues ----------------------------------------------------------

// Parlett–Reinsch balancing: a diagonal similarity D^-1 h D (D a power of two per index, so
// exact) that makes each row and column of the off-diagonal part similar in size. It leaves
// the eigenvalues unchanged and makes the QR iteration more accurate on badly scaled input.
void balance(Matrix& h) {
    const int64_t n = h.rows;
    for (int sweep = 0; sweep < 100; ++sweep) {
        bool changed = false;
        for (int64_t i = 0; i < n; ++i) {
            double col = 0.0, row = 0.0;
            for (int64_t j = 0; j < n; ++j) {
                if (j == i) continue;
                col += std::abs(h(j, i));
                row += std::abs(h(i, j));
            }
            if (col == 0.0 || row == 0.0) continue;
            // Scaling column i by f and row i by 1/f gives col f + row / f, least at f = sqrt(row / col).
            double f = std::exp2(std::round(0.5 * std::log2(row / col)));
            if (col * f + row / f >= 0.95 * (col + row)) continue;
            for (int64_t j = 0; j < n; ++j) {
                h(i, j) /= f;
                h(j, i) *= f;
            }
            changed = true;
        }
        if (!changed) return;
    }
}

// Householder reduction of h to upper Hessenberg form (similarity, in place).
void reduce_to_hessenberg(Matrix& h) {
    const int64_t n = h.rows;
    std::vector<double> v(n);
    for (int64_t k = 0; k + 2 < n; ++k) {
        const int64_t m = n - k - 1;
        for (int64_t i = 0; i < m; ++i) v[i] = h(k + 1 + i, k);
        Reflector p = make_reflector(v.data(), m);
        if (p.beta == 0.0) continue;
        reflect_rows(h, k + 1, v.data(), m, p.beta, k, n);
        reflect_cols(h, k + 1, v.data(), m, p.beta, 0, n);
        h(k + 1, k) = p.alpha;
        for (int64_t i = 2; i <= m; ++i) h(k + i, k) = 0.0;
    }
}

// The two eigenvalues of [[a, b], [c, d]], computed without cancellation.
void push_eigenvalues_2x2(double a, double b, double c, double d,
                          std::vector<std::complex<double>>& out) {
    double p = 0.5 * (a - d);
    double disc = p * p + b * c;
    if (disc >= 0.0) {
        double z = p + std::copysign(std::sqrt(disc), p);
        out.emplace_back(d + z, 0.0);
        out.emplace_back(z == 0.0 ? d : d - (b / z) * c, 0.0);
    } else {
        double mean = 0.5 * (a + d), im = std::sqrt(-disc);
        out.emplace_back(mean, im);
        out.emplace_back(mean, -im);
    }
}

// One Francis double-shift QR step on the unreduced Hessenberg block h[lo..hi, lo..hi]
// (hi - lo >= 2). The shifts are the roots of x^2 - s x + t. Only the block is transformed:
// enough for eigenvalues, which is all we compute.
void francis_step(Matrix& h, int64_t lo, int64_t hi, double s, double t) {
    // First column of (H - shift1)(H - shift2), which is real.
    double x = h(lo, lo) * h(lo, lo) + h(lo, lo + 1) * h(lo + 1, lo) - s * h(lo, lo) + t;
    double y = h(lo + 1, lo) * (h(lo, lo) + h(lo + 1, lo + 1) - s);
    double z = h(lo + 1, lo) * h(lo + 2, lo + 1);
    for (int64_t q = lo; q + 2 <= hi; ++q) {
        double v[3] = {x, y, z};
        Reflector p = make_reflector(v, 3);
        if (p.beta != 0.0) {
            reflect_rows(h, q, v, 3, p.beta, std::max(lo, q - 1), hi + 1);
            reflect_cols(h, q, v, 3, p.beta, lo, std::min(q + 3, hi) + 1);
            if (q > lo) {  // the bulge column is now alpha e_1
                h(q, q - 1) = p.alpha;
                h(q + 1, q - 1) = h(q + 2, q - 1) = 0.0;
            }
        }
        x = h(q + 1, q);
        y = h(q + 2, q);
        if (q + 3 <= hi) z = h(q + 3, q);
    }
    double v[2] = {x, y};
    Reflector p = make_reflector(v, 2);
    if (p.beta == 0.0) return;
    reflect_rows(h, hi - 1, v, 2, p.beta, hi - 2, hi + 1);
    reflect_cols(h, hi - 1, v, 2, p.beta, lo, hi + 1);
    h(hi - 1, hi - 2) = p.alpha;
    h(hi, hi - 2) = 0.0;
}

// Eigenvalues of an upper Hessenberg matrix (destroyed), deflating 1x1 and 2x2 blocks from
// the bottom as their subdiagonal entries become negligible.
std::vector<std::complex<double>> hessenberg_eigenvalues(Matrix& h) {
    const int64_t n = h.rows;
    double norm = 0.0;
    for (double x : h.data) norm = std::max(norm, std::abs(x));
    std::vector<std::complex<double>> out;
    out.reserve(n);
    int64_t hi = n - 1;
    int iterations = 0;
    while (hi >= 0) {
        int64_t lo = hi;  // [lo, hi] becomes the trailing unreduced block
        while (lo > 0) {
            double scale = std::abs(h(lo - 1, lo - 1)) + std::abs(h(lo, lo));
            if (std::abs(h(lo, lo - 1)) <= EPS * (scale == 0.0 ? norm : scale)) break;
            --lo;
        }
        if (lo > 0) h(lo, lo - 1) = 0.0;
        if (lo >= hi - 1) {  // a 1x1 or 2x2 block has split off
            if (lo == hi) {
                out.emplace_back(h(hi, hi), 0.0);
            } else {
                push_eigenvalues_2x2(h(lo, lo), h(lo, hi), h(hi, lo), h(hi, hi), out);
            }
            hi = lo - 1;
            iterations = 0;
            continue;
        }
        ++iterations;
        check(iterations <= 100, "eigenvalues: QR iteration did not converge for index ", hi);
        double s, t;  // sum and product of the two shifts
        if (iterations % 10 == 0) {
            // Exceptional shift, to break cycles of the standard one (e.g. on permutation
            // matrices): the eigenvalues of [[a, -0.4375 g], [g, a]], a = h(hi,hi) + 0.75 g.
            double g = std::abs(h(hi, hi - 1)) + std::abs(h(hi - 1, hi - 2));
            double a = h(hi, hi) + 0.75 * g;
            s = 2.0 * a;
            t = a * a + 0.4375 * g * g;
        } else {  // the eigenvalues of the trailing 2x2 block
            s = h(hi - 1, hi - 1) + h(hi, hi);
            t = h(hi - 1, hi - 1) * h(hi, hi) - h(hi - 1, hi) * h(hi, hi - 1);
        }
        francis_step(h, lo, hi, s, t);
    }
    return out;
}

// ---- LU ---------------------------------------------------------------------------------

// In-place LU factorisation with partial pivoting: P a = L U, L unit lower triangular (below
// the diagonal of `lu`), U upper triangular (on and above it).
struct Lu {
    Matrix lu;
    std::vector<int64_t> pivot;  // row k of P a is row pivot[k] of a (after the swaps)
    int sign = 1;                // determinant of P
    bool singular = false;       // a zero pivot was met
};

Lu lu_decompose(const Matrix& a, const char* op) {
    check_square(a, op);
    check_finite(a, op);
    Lu f{a, std::vector<int64_t>(a.rows), 1, false};
    const int64_t n = a.rows;
    std::iota(f.pivot.begin(), f.pivot.end(), 0);
    Matrix& m = f.lu;
    for (int64_t k = 0; k < n; ++k) {
        int64_t best = k;
        for (int64_t r = k + 1; r < n; ++r)
            if (std::abs(m(r, k)) > std::abs(m(best, k))) best = r;
        if (m(best, k) == 0.0) {
            f.singular = true;
            continue;
        }
        if (best != k) {
            std::swap_ranges(m.row(k), m.row(k) + n, m.row(best));
            std::swap(f.pivot[k], f.pivot[best]);
            f.sign = -f.sign;
        }
        for (int64_t r = k + 1; r < n; ++r) {
            double factor = m(r, k) / m(k, k);
            m(r, k) = factor;
            axpy(-factor, m.row(k) + k + 1, m.row(r) + k + 1, n - k - 1);
        }
    }
    return f;
}

}  // namespace

// ---- Matrix and helpers -----------------------------------------------------------------

Matrix::Matrix(int64_t rows, int64_t cols, double fill) : rows(rows), cols(cols) {
    check(rows >= 0 && cols >= 0, "Matrix: negative shape [", rows, ", ", cols, "]");
    data.assign(static_cast<size_t>(rows * cols), fill);
}

Matrix Matrix::from_rows(std::initializer_list<std::initializer_list<double>> values) {
    int64_t rows = static_cast<int64_t>(values.size());
    int64_t cols = rows == 0 ? 0 : static_cast<int64_t>(values.begin()->size());
    Matrix m(rows, cols);
    int64_t r = 0;
    for (const auto& row : values) {
        check(static_cast<int64_t>(row.size()) == cols, "Matrix::from_rows: row ", r, " has ",
              row.size(), " entries, expected ", cols);
        std::copy(row.begin(), row.end(), m.row(r++));
    }
    return m;
}

Matrix Matrix::identity(int64_t n) {
    Matrix m(n, n);
    for (int64_t i = 0; i < n; ++i) m(i, i) = 1.0;
    return m;
}

Matrix multiply(const Matrix& a, const Matrix& b) {
    check(a.cols == b.rows, "multiply: inner dimensions differ: a [", a.rows, ", ", a.cols,
          "] x b [", b.rows, ", ", b.cols, "] (expected a.cols == b.rows)");
    Matrix c(a.rows, b.cols);
    int64_t row_cost = std::max<int64_t>(a.cols * b.cols, 1);
    cpu::parallel_for(a.rows, std::max<int64_t>(1, (1 << 16) / row_cost), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            for (int64_t k = 0; k < a.cols; ++k) axpy(a(i, k), b.row(k), c.row(i), b.cols);
    });
    return c;
}

Matrix transpose(const Matrix& a) {
    Matrix t(a.cols, a.rows);
    for (int64_t r = 0; r < a.rows; ++r)
        for (int64_t c = 0; c < a.cols; ++c) t(c, r) = a(r, c);
    return t;
}

Matrix gram(const Matrix& a) {
    // Tiles of TILE x TILE entries of the lower triangle, each accumulated over column chunks
    // of CHUNK so that the 2 * TILE row pieces it reads stay in cache.
    constexpr int64_t TILE = 32, CHUNK = 512;
    const int64_t m = a.rows, tiles = (m + TILE - 1) / TILE;
    std::vector<std::pair<int64_t, int64_t>> pairs;  // (row tile, column tile <= row tile)
    for (int64_t ti = 0; ti < tiles; ++ti)
        for (int64_t tj = 0; tj <= ti; ++tj) pairs.emplace_back(ti, tj);
    Matrix g(m, m);
    int64_t grain = std::max<int64_t>(1, (1 << 18) / std::max<int64_t>(TILE * TILE * a.cols, 1));
    cpu::parallel_for(static_cast<int64_t>(pairs.size()), grain, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
            int64_t i0 = pairs[p].first * TILE, i1 = std::min(i0 + TILE, m);
            int64_t j0 = pairs[p].second * TILE, j1 = std::min(j0 + TILE, m);
            for (int64_t c0 = 0; c0 < a.cols; c0 += CHUNK) {
                int64_t len = std::min(CHUNK, a.cols - c0);
                for (int64_t i = i0; i < i1; ++i) {
                    const double* x = a.row(i) + c0;
                    int64_t j = j0, j_end = std::min(j1, i + 1);
                    for (; j + 4 <= j_end; j += 4) {  // four dot products share the loads of x
                        const double* y0 = a.row(j) + c0;
                        const double *y1 = y0 + a.cols, *y2 = y1 + a.cols, *y3 = y2 + a.cols;
                        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
OMP_SIMD(reduction(+ : s0, s1, s2, s3))
                        for (int64_t c = 0; c < len; ++c) {
                            s0 += x[c] * y0[c];
                            s1 += x[c] * y1[c];
                            s2 += x[c] * y2[c];
                            s3 += x[c] * y3[c];
                        }
                        g(i, j) += s0, g(i, j + 1) += s1, g(i, j + 2) += s2, g(i, j + 3) += s3;
                    }
                    for (; j < j_end; ++j) g(i, j) += dot(x, a.row(j) + c0, len);
                }
            }
        }
    });
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < i; ++j) g(j, i) = g(i, j);
    return g;
}

double trace(const Matrix& a) {
    check_square(a, "trace");
    double sum = 0.0;
    for (int64_t i = 0; i < a.rows; ++i) sum += a(i, i);
    return sum;
}

double frobenius_norm(const Matrix& a) {
    return std::sqrt(dot(a.data.data(), a.data.data(), static_cast<int64_t>(a.data.size())));
}

std::vector<double> solve(const Matrix& a, const std::vector<double>& b) {
    check(static_cast<int64_t>(b.size()) == a.rows, "solve: right-hand side has ", b.size(),
          " entries, expected ", a.rows);
    Lu f = lu_decompose(a, "solve");
    check(!f.singular, "solve: matrix [", a.rows, ", ", a.cols, "] is singular");
    const int64_t n = a.rows;
    std::vector<double> x(n);
    for (int64_t k = 0; k < n; ++k) x[k] = b[f.pivot[k]];
    for (int64_t k = 0; k < n; ++k)  // L y = P b
        x[k] -= dot(f.lu.row(k), x.data(), k);
    for (int64_t k = n - 1; k >= 0; --k)  // U x = y
        x[k] = (x[k] - dot(f.lu.row(k) + k + 1, x.data() + k + 1, n - k - 1)) / f.lu(k, k);
    return x;
}

double determinant(const Matrix& a) {
    Lu f = lu_decompose(a, "determinant");
    if (f.singular) return 0.0;
    double det = f.sign;
    for (int64_t k = 0; k < a.rows; ++k) det *= f.lu(k, k);
    return det;
}

// ---- solvers ----------------------------------------------------------------------------

SymmetricEigen symmetric_eigen(const Matrix& a, int64_t top_k) {
    check_square(a, "symmetric_eigen");
    check_finite(a, "symmetric_eigen");
    const int64_t n = a.rows;
    check(top_k <= n, "symmetric_eigen: top_k = ", top_k, " exceeds the size ", n);
    double largest = 0.0, asymmetry = 0.0;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
            largest = std::max(largest, std::abs(a(i, j)));
            asymmetry = std::max(asymmetry, std::abs(a(i, j) - a(j, i)));
        }
    check(asymmetry <= 1e-8 * largest, "symmetric_eigen: matrix is not symmetric (max |a_ij - a_ji| = ",
          asymmetry, ", max |a_ij| = ", largest, ")");
    Matrix w(n, n);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) w(i, j) = 0.5 * (a(i, j) + a(j, i));

    Tridiagonal t = tridiagonalise(std::move(w));
    std::vector<double> d = t.d, e = t.e;
    Matrix basis;
    if (top_k < 0) basis = transposed_q(t);
    tridiagonal_qr(d, e, top_k < 0 ? &basis : nullptr);

    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return d[i] > d[j]; });
    SymmetricEigen out;
    for (int64_t k : order) out.values.push_back(d[k]);
    if (top_k < 0) {
        out.vectors = Matrix(n, n);
        for (int64_t k = 0; k < n; ++k)
            for (int64_t r = 0; r < n; ++r) out.vectors(r, k) = basis(order[k], r);
    } else {
        std::vector<double> wanted(out.values.begin(), out.values.begin() + top_k);
        std::vector<std::vector<double>> y = tridiagonal_eigenvectors(t.d, t.e, wanted);
        out.vectors = Matrix(n, top_k);
        for (int64_t k = 0; k < top_k; ++k) {
            multiply_by_q(t, y[k].data());
            for (int64_t r = 0; r < n; ++r) out.vectors(r, k) = y[k][r];
        }
    }
    return out;
}

std::vector<std::complex<double>> eigenvalues(const Matrix& a) {
    check_square(a, "eigenvalues");
    check_finite(a, "eigenvalues");
    Matrix h = a;
    balance(h);
    reduce_to_hessenberg(h);
    std::vector<std::complex<double>> out = hessenberg_eigenvalues(h);
    std::sort(out.begin(), out.end(), [](std::complex<double> x, std::complex<double> y) {
        return x.real() != y.real() ? x.real() > y.real() : x.imag() > y.imag();
    });
    return out;
}

std::vector<double> singular_values(const Matrix& a) {
    check_finite(a, "singular_values");
    // Orthogonalise the min(m, n) rows of `v` (the columns of a when a is tall) by plane
    // rotations; the singular values are then the lengths of those rows.
    Matrix v = a.rows >= a.cols ? transpose(a) : a;
    const int64_t count = v.rows, len = v.cols;
    bool converged = false;
    for (int sweep = 0; sweep < 100 && !converged; ++sweep) {
        converged = true;
        for (int64_t i = 0; i < count; ++i)
            for (int64_t j = i + 1; j < count; ++j) {
                double* x = v.row(i);
                double* y = v.row(j);
                double xx = dot(x, x, len), yy = dot(y, y, len), xy = dot(x, y, len);
                if (std::abs(xy) <= 8.0 * EPS * std::sqrt(xx * yy)) continue;
                converged = false;
                // The rotation angle that makes x and y orthogonal (the smaller of two roots).
                double zeta = (yy - xx) / (2.0 * xy);
                double t = std::copysign(1.0, zeta) / (std::abs(zeta) + std::hypot(1.0, zeta));
                double c = 1.0 / std::hypot(1.0, t);
                rotate(x, y, len, c, -c * t);
            }
    }
    check(converged, "singular_values: Jacobi sweeps did not converge for a [", a.rows, ", ", a.cols,
          "] matrix");
    std::vector<double> out(count);
    for (int64_t i = 0; i < count; ++i) out[i] = std::sqrt(dot(v.row(i), v.row(i), len));
    std::sort(out.begin(), out.end(), std::greater<>());
    return out;
}

}  // namespace induction
