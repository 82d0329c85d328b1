// test_pca.cpp — PCA of loss vectors (METHODS §7) against a direct covariance PCA.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/pca.h"
#include "tensor/error.h"

namespace induction {
namespace {

// Rows of `models` models x `snapshots` snapshots, E = width: a common offset plus a large
// component along d1 and a smaller one along d2 (orthonormal), both following ln n, plus noise.
std::vector<LossVectorRow> planted_rows(int models, int snapshots, int64_t width, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    auto gaussian = [&] {
        std::vector<double> v(width);
        for (double& x : v) x = normal(rng);
        return v;
    };
    auto dot = [&](const std::vector<double>& a, const std::vector<double>& b) {
        double s = 0.0;
        for (int64_t e = 0; e < width; ++e) s += a[e] * b[e];
        return s;
    };
    std::vector<double> offset = gaussian(), d1 = gaussian(), d2 = gaussian();
    for (double& v : d1) v /= std::sqrt(dot(d1, d1));
    double overlap = dot(d1, d2);
    for (int64_t e = 0; e < width; ++e) d2[e] -= overlap * d1[e];
    for (double& v : d2) v /= std::sqrt(dot(d2, d2));

    std::vector<LossVectorRow> rows;
    for (int m = 0; m < models; ++m)
        for (int s = 0; s < snapshots; ++s) {
            LossVectorRow row{m, 1e6 * std::pow(2.0, s), std::vector<float>(width)};
            double t = s / (snapshots - 1.0);
            double a = -8.0 * t * (1.0 + 0.3 * m);         // loss falls with training
            double b = 2.0 * std::sin(3.0 * t) - 0.5 * m;  // a slower, curved component
            for (int64_t e = 0; e < width; ++e)
                row.loss[e] = static_cast<float>(3.0 + offset[e] + a * d1[e] + b * d2[e] + 0.01 * normal(rng));
            rows.push_back(std::move(row));
        }
    return rows;
}

double dot_rows(const Matrix& a, int64_t i, const Matrix& b, int64_t j) {
    double s = 0.0;
    for (int64_t e = 0; e < a.cols; ++e) s += a(i, e) * b(j, e);
    return s;
}

TEST(Pca, MatchesDirectCovariancePca) {
    std::vector<LossVectorRow> rows = planted_rows(3, 12, 50, 1);
    Pca p = pca(rows);
    ASSERT_EQ(p.basis.directions.rows, 2);
    ASSERT_EQ(p.scores.rows, 36);
    EXPECT_EQ(p.rows_in_fit, 36);

    // Direct route: eigenvectors of the E x E matrix X_c^T X_c.
    Matrix centred(36, 50);
    for (int64_t r = 0; r < 36; ++r)
        for (int64_t e = 0; e < 50; ++e) centred(r, e) = rows[r].loss[e] - p.basis.mean[e];
    Matrix covariance = multiply(transpose(centred), centred);
    SymmetricEigen direct = symmetric_eigen(covariance);
    double total = trace(covariance);
    for (int64_t k = 0; k < 2; ++k) {
        EXPECT_NEAR(p.variance[k], direct.values[k], 1e-9 * direct.values[0]);
        EXPECT_NEAR(p.explained_variance_ratio[k], direct.values[k] / total, 1e-9);
        double overlap = 0.0, length = 0.0;
        for (int64_t e = 0; e < 50; ++e) {
            overlap += p.basis.directions(k, e) * direct.vectors(e, k);
            length += p.basis.directions(k, e) * p.basis.directions(k, e);
        }
        EXPECT_NEAR(std::abs(overlap), 1.0, 1e-9) << "component " << k;
        EXPECT_NEAR(length, 1.0, 1e-9);
        for (int64_t r = 0; r < 36; ++r) {  // scores are projections of the centred rows
            double z = 0.0;
            for (int64_t e = 0; e < 50; ++e) z += centred(r, e) * p.basis.directions(k, e);
            EXPECT_NEAR(p.scores(r, k), z, 1e-9);
        }
    }
    EXPECT_NEAR(dot_rows(p.basis.directions, 0, p.basis.directions, 1), 0.0, 1e-9);
    EXPECT_GT(p.explained_variance_ratio[0], p.explained_variance_ratio[1]);
    EXPECT_GT(p.explained_variance_ratio[0] + p.explained_variance_ratio[1], 0.99);  // planted rank 2
}

TEST(Pca, SignConvention) {
    std::vector<LossVectorRow> rows = planted_rows(2, 10, 30, 2);
    // Negating every loss (and so every centred row) must not change the scores: the
    // convention, not the solver, fixes the signs, and it flips the directions instead.
    std::vector<LossVectorRow> negated = rows;
    for (LossVectorRow& row : negated)
        for (float& v : row.loss) v = -v;
    for (const auto& data : {rows, negated}) {
        Pca p = pca(data);
        EXPECT_GT(p.scores(9, 0), 0.0);  // final snapshot of the first model (rows 0..9)
        double mean_log = 0.0, covariance = 0.0;
        for (int r = 0; r < 10; ++r) mean_log += std::log(data[r].tokens) / 10;
        for (int r = 0; r < 10; ++r) covariance += p.scores(r, 1) * (std::log(data[r].tokens) - mean_log);
        EXPECT_GT(covariance, 0.0);
    }
    Pca a = pca(rows), b = pca(negated);
    for (int64_t r = 0; r < a.scores.rows; ++r)
        for (int64_t k = 0; k < 2; ++k) EXPECT_NEAR(a.scores(r, k), b.scores(r, k), 1e-6);
    EXPECT_NEAR(dot_rows(a.basis.directions, 0, b.basis.directions, 0), -1.0, 1e-9);
    EXPECT_NEAR(dot_rows(a.basis.directions, 1, b.basis.directions, 1), -1.0, 1e-9);
}

TEST(Pca, EarlySnapshotsExcludedFromTheFitAreStillProjected) {
    std::vector<LossVectorRow> rows = planted_rows(2, 10, 30, 3);
    PcaOptions options;
    options.min_tokens = 4e6;  // drops snapshots 0 and 1 (n = 1e6, 2e6) of each model
    Pca p = pca(rows, options);
    EXPECT_EQ(p.rows_in_fit, 16);
    EXPECT_FALSE(p.in_fit[0]);
    EXPECT_TRUE(p.in_fit[2]);
    for (int64_t e = 0; e < 30; ++e) {
        double mean = 0.0;
        for (const LossVectorRow& row : rows)
            if (row.tokens >= 4e6) mean += row.loss[e] / 16.0;
        EXPECT_NEAR(p.basis.mean[e], mean, 1e-6);
    }
    Matrix again = project(p.basis, rows);
    for (int64_t r = 0; r < again.rows; ++r)
        for (int64_t k = 0; k < 2; ++k) EXPECT_EQ(again(r, k), p.scores(r, k));
    EXPECT_NE(p.scores(0, 0), 0.0);
}

TEST(Pca, ProjectNewModelOntoFixedBasis) {
    std::vector<LossVectorRow> rows = planted_rows(2, 8, 20, 4);
    Pca p = pca(rows, {.components = 3});
    EXPECT_EQ(p.scores.cols, 3);
    LossVectorRow at_mean{7, 1e9, std::vector<float>(20)};
    LossVectorRow along_w1 = at_mean;
    for (int64_t e = 0; e < 20; ++e) {
        at_mean.loss[e] = static_cast<float>(p.basis.mean[e]);
        along_w1.loss[e] = static_cast<float>(p.basis.mean[e] + 2.5 * p.basis.directions(0, e));
    }
    Matrix z = project(p.basis, {at_mean, along_w1});
    for (int64_t k = 0; k < 3; ++k) EXPECT_NEAR(z(0, k), 0.0, 1e-5);
    EXPECT_NEAR(z(1, 0), 2.5, 1e-5);
    EXPECT_NEAR(z(1, 1), 0.0, 1e-5);
}

TEST(Pca, RejectsBadInput) {
    std::vector<LossVectorRow> rows = planted_rows(1, 5, 10, 5);
    EXPECT_THROW(pca({}), Error);
    EXPECT_THROW(pca(rows, {.components = 5}), Error);  // 5 rows: at most 4 components
    EXPECT_THROW(pca(rows, {.components = 2, .min_tokens = 1e9}), Error);
    std::vector<LossVectorRow> ragged = rows;
    ragged[3].loss.pop_back();
    EXPECT_THROW(pca(ragged), Error);
    std::vector<LossVectorRow> same(4, rows[0]);  // no variance at all
    EXPECT_THROW(pca(same), Error);
    EXPECT_THROW(project(pca(rows).basis, {LossVectorRow{0, 1.0, std::vector<float>(3)}}), Error);
}

}  // namespace
}  // namespace induction
