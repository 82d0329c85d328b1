// pca.h — PCA of per-token loss vectors across snapshots and models (METHODS §7).
//
// Rows are snapshots (of one or several models), columns the E fixed (example, token) picks of
// METHODS §2.3. The columns are centred, not scaled; the top principal directions come from
// the Gram matrix X_c X_c^T (rows << E), and the signs follow the convention of §7.5 so that
// runs are comparable. A basis (mean + directions) can be reused to project other models.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/linalg.h"

namespace induction {

// One row of the joint matrix: the per-token loss vector of one snapshot of one model.
struct LossVectorRow {
    int model = 0;            // model id; the first row's model is "the first model" of §7.5
    double tokens = 0.0;      // n, elapsed training tokens at the snapshot
    std::vector<float> loss;  // [E] v_{m,s}
};

struct PcaOptions {
    int64_t components = 2;   // k
    double min_tokens = 0.0;  // rows with n < min_tokens stay out of the fit (§7.7); they are
                              // still projected, so every row gets scores
};

// The fixed basis (mu, w_1 .. w_k) of §7.7.
struct PcaBasis {
    std::vector<double> mean;  // [E] column mean of the fitted rows
    Matrix directions;         // [k, E] unit principal directions w_k, one per row
};

struct Pca {
    PcaBasis basis;
    std::vector<double> variance;                  // [k] sigma_k^2, eigenvalues of X_c X_c^T
    std::vector<double> explained_variance_ratio;  // [k] sigma_k^2 / sum of all sigma^2
    Matrix scores;                                 // [rows, k] z = (v - mu) . w_k
    std::vector<char> in_fit;                      // [rows] 1 if the row was in the fit
    int64_t rows_in_fit = 0;
};

// Sign convention (§7.5): PC1's score of the first model's final snapshot (largest n) is
// positive; PC2 (and any later component) correlates positively with ln n within the first
// model.
Pca pca(const std::vector<LossVectorRow>& rows, const PcaOptions& options = {});

// Scores [rows, k] of other rows on a fixed basis: (v - mu) . w_k.
Matrix project(const PcaBasis& basis, const std::vector<LossVectorRow>& rows);

}  // namespace induction
