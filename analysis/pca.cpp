// pca.cpp — PCA of per-token loss vectors by the Gram trick (METHODS §7).
#include "analysis/pca.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace induction {
namespace {

// Flips w_k and the k-th score column together.
void flip_component(Pca& p, int64_t k) {
    double* w = p.basis.directions.row(k);
    for (int64_t e = 0; e < p.basis.directions.cols; ++e) w[e] = -w[e];
    for (int64_t r = 0; r < p.scores.rows; ++r) p.scores(r, k) = -p.scores(r, k);
}

// METHODS §7.5, applied to the rows of the first model.
void apply_sign_convention(Pca& p, const std::vector<LossVectorRow>& rows) {
    const int first_model = rows.front().model;
    int64_t final_row = 0;
    double mean_log_n = 0.0;
    int64_t positive_n = 0;
    for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r) {
        if (rows[r].model != first_model) continue;
        if (rows[r].tokens > rows[final_row].tokens) final_row = r;
        if (rows[r].tokens > 0.0) {
            mean_log_n += std::log(rows[r].tokens);
            ++positive_n;
        }
    }
    mean_log_n /= std::max<int64_t>(positive_n, 1);
    if (p.scores(final_row, 0) < 0.0) flip_component(p, 0);
    for (int64_t k = 1; k < p.scores.cols; ++k) {
        double covariance = 0.0;  // its sign is that of the correlation with ln n
        for (int64_t r = 0; r < static_cast<int64_t>(rows.size()); ++r)
            if (rows[r].model == first_model && rows[r].tokens > 0.0)
                covariance += p.scores(r, k) * (std::log(rows[r].tokens) - mean_log_n);
        if (covariance < 0.0) flip_component(p, k);
    }
}

}  // namespace

Pca pca(const std::vector<LossVectorRow>& rows, const PcaOptions& options) {
    check(!rows.empty(), "pca: no rows");
    const int64_t k = options.components;
    const int64_t width = static_cast<int64_t>(rows.front().loss.size());  // E
    check(k >= 1, "pca: components must be >= 1, got ", k);
    Pca p;
    p.in_fit.resize(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
        check(static_cast<int64_t>(rows[r].loss.size()) == width, "pca: row ", r, " has ",
              rows[r].loss.size(), " losses, expected ", width);
        p.in_fit[r] = rows[r].tokens >= options.min_tokens;
        p.rows_in_fit += p.in_fit[r];
    }
    check(p.rows_in_fit > k, "pca: ", p.rows_in_fit, " rows in the fit (n >= ", options.min_tokens,
          "), need more than components = ", k);

    // X_c: [rows_in_fit, E], the fitted rows minus their column mean.
    p.basis.mean.assign(width, 0.0);
    for (size_t r = 0; r < rows.size(); ++r)
        if (p.in_fit[r])
            for (int64_t e = 0; e < width; ++e) p.basis.mean[e] += rows[r].loss[e];
    for (double& m : p.basis.mean) m /= static_cast<double>(p.rows_in_fit);
    Matrix centred(p.rows_in_fit, width);
    for (size_t r = 0, i = 0; r < rows.size(); ++r) {
        if (!p.in_fit[r]) continue;
        for (int64_t e = 0; e < width; ++e) {
            double v = rows[r].loss[e];
            check(std::isfinite(v), "pca: non-finite loss in row ", r, " column ", e);
            centred(i, e) = v - p.basis.mean[e];
        }
        ++i;
    }

    // G = X_c X_c^T = U diag(sigma^2) U^T; w_k = X_c^T u_k / sigma_k.
    Matrix g = gram(centred);
    SymmetricEigen eig = symmetric_eigen(g, k);
    const double total = trace(g);
    p.basis.directions = Matrix(k, width);
    for (int64_t c = 0; c < k; ++c) {
        double variance = eig.values[c];
        check(variance > 1e-12 * total, "pca: component ", c + 1, " has no variance (sigma^2 = ", variance,
              ", total ", total, ")");
        p.variance.push_back(variance);
        p.explained_variance_ratio.push_back(variance / total);
        double* w = p.basis.directions.row(c);
        const double sigma = std::sqrt(variance);
        for (int64_t i = 0; i < p.rows_in_fit; ++i) {
            const double weight = eig.vectors(i, c) / sigma;
            const double* x = centred.row(i);
            for (int64_t e = 0; e < width; ++e) w[e] += weight * x[e];
        }
    }
    p.scores = project(p.basis, rows);  // for fitted rows this is z = sigma_k u_k[row]
    apply_sign_convention(p, rows);
    return p;
}

Matrix project(const PcaBasis& basis, const std::vector<LossVectorRow>& rows) {
    const int64_t width = static_cast<int64_t>(basis.mean.size());
    check(basis.directions.cols == width, "project: basis directions have ", basis.directions.cols,
          " columns but the mean has ", width);
    Matrix scores(static_cast<int64_t>(rows.size()), basis.directions.rows);
    for (size_t r = 0; r < rows.size(); ++r) {
        check(static_cast<int64_t>(rows[r].loss.size()) == width, "project: row ", r, " has ",
              rows[r].loss.size(), " losses, expected ", width);
        for (int64_t c = 0; c < basis.directions.rows; ++c) {
            const double* w = basis.directions.row(c);
            double z = 0.0;
            for (int64_t e = 0; e < width; ++e) z += (rows[r].loss[e] - basis.mean[e]) * w[e];
            scores(r, c) = z;
        }
    }
    return scores;
}

}  // namespace induction
