// validation.h — do the activation evaluators agree with the weight measures? METHODS §9 target
// #12 ([O]'s appendix): over every head × snapshot of a run, the copying evaluator (§3.1)
// against the eigenvalue copying score (§4.3), and prefix matching (§3.2) against the
// previous-token K-composition trace (§4.5), as Spearman rank correlations with a bootstrap
// interval over snapshots.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/evaluators.h"
#include "model/io/json.h"

namespace induction {

// Spearman's rank correlation of paired samples (ties get their average rank); pairs where
// either value is NaN are left out. NaN with fewer than 3 pairs or a constant side.
double rank_correlation(const std::vector<double>& x, const std::vector<double>& y);

struct RankCorrelation {
    double rho = 0;                  // over all usable (head, snapshot) pairs
    double low = 0, high = 0;        // 95% bootstrap interval, resampling whole snapshots
    int64_t pairs = 0;               // usable pairs
    int64_t snapshots = 0;
};

// x[s], y[s]: one table per snapshot (same heads); `use(l)` selects the layers that count (the
// §4.5 trace exists only above the first layer). Deterministic in `seed`.
RankCorrelation snapshot_rank_correlation(const std::vector<HeadTable>& x,
                                          const std::vector<HeadTable>& y, int first_layer = 0,
                                          int resamples = 1000, uint64_t seed = 0);

json::Value to_json(const RankCorrelation& r);

}  // namespace induction
