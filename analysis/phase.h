// phase.h — automatic phase-change window, loss bump and PCA pivot (METHODS §6).
//
// Inputs are plain series over snapshots: a value per snapshot and the number of elapsed
// training tokens n at that snapshot (strictly increasing). Every function returns all the
// numbers it used, so the result can be written out as data and plotted without recomputing.
// No number in a result is NaN (JSON cannot hold it): quantities that may not exist are
// std::optional or come with a flag.
//
// Where §6 leaves room, this is how it is read [OURS]:
// - smoothing windows shrink symmetrically at the ends (half-width min(h, k, N-1-k)), so the
//   first and last points keep their values; slopes are one-sided at the two ends;
// - burn-in = ceil(burn_in_fraction * N) snapshots, or those up to burn_in_tokens if more;
// - "several local maxima above 0.5 g*" counts separate steps: maximal runs of snapshots whose
//   slope stays at or above phi g* and somewhere exceeds 0.5 g*, so that two steps are two only
//   when their windows do not overlap (noise that dips a long rise's slope below 0.5 g* does not
//   split it); k* is the highest slope of the chosen run;
// - an edge that never drops below phi g* is the first / last snapshot;
// - frac_in_window is NaN (no meaning) when the curve ends less than min_rise above its first
//   point: a ratio over a near-zero total rise is noise (it read 5.5 on a flat control);
// - loss bump: tau is floored at the rounding level of the losses; the windows before and
//   after the phase-change window are clipped to the data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/linalg.h"

namespace induction {

// Default "no phase change" thresholds of METHODS §6.1 step 7, in nats / score units.
inline constexpr double ICL_AMOUNT_MIN_RISE = 0.10;
inline constexpr double PREFIX_SCORE_MIN_RISE = 0.15;

struct RiseWindowOptions {
    bool log_n = false;              // x = ln n (exponentially spaced snapshots); else x = n
    double burn_in_fraction = 0.05;  // peaks are searched after the first ceil(f * N) snapshots
    double burn_in_tokens = -1;      // ... and after every snapshot with n <= this (for log-spaced
                                     // early snapshots, where a share of snapshots is a share of nothing)
    double edge_fraction = 0.2;      // phi: the window ends where the slope drops below phi g*
    double step_fraction = 0.5;      // slope peaks above this fraction of g* count as steps
    // Which step is the window when there are several: METHODS takes the earliest; LARGEST_RISE
    // ([OURS]) the one whose window raises the smoothed curve most, so that an early small step
    // (a 2-layer model's ICL gains ~0.06 nats when its previous-token head forms, before the
    // induction head adds ~0.13) does not stand for the phase change.
    enum class StepChoice { EARLIEST, LARGEST_RISE } step_choice = StepChoice::EARLIEST;
    double final_fraction = 0.2;     // y_post = median of the smoothed curve over this tail
    double noise_fraction = 0.5;     // the slope noise is measured over this tail
    double min_rise = ICL_AMOUNT_MIN_RISE;  // y_post - y_pre below this: no phase change
    double min_slope_ratio = 3.0;    // g* below this times the slope noise: no phase change
    // Smoothing: a running median over 2 median_half_width + 1 snapshots, then a running mean over
    // 2 mean_half_width + 1 (METHODS: 5 and 3).
    int64_t median_half_width = 2;
    int64_t mean_half_width = 1;
};

// Least-squares fit of y(x) = y_pre + (y_post - y_pre) / (1 + exp(-(x - x_mid) / width)).
struct LogisticFit {
    bool converged = false;
    int iterations = 0;
    double y_pre = 0.0, y_post = 0.0;
    double x_mid = 0.0, width = 0.0;  // in x units (n or ln n)
    double n_start = 0.0, n_end = 0.0;  // the 10-90% window x_mid -/+ ln(9) width, in tokens
    double rms_residual = 0.0;
};

// METHODS §6.1. Indices refer to the input snapshots; n_* are the same points in tokens.
struct RiseWindow {
    bool found = false;  // false: "no phase change", see `reason`
    std::string reason;  // why not found (empty when found)
    bool log_n = false;
    int64_t burn_in = 0;                // snapshots skipped by the peak search (logged)
    std::vector<double> smoothed;       // [N] 3-point mean of the running median of 5
    std::vector<double> slope;          // [N] g_k, central differences in x
    int64_t peak = 0, start = 0, end = 0;  // k*, window edges
    double n_peak = 0.0, n_start = 0.0, n_end = 0.0;
    double peak_slope = 0.0;            // g_{k*}
    std::vector<int64_t> step_peaks;    // the peak of every step (see the header comment)
    bool multi_step = false;            // more than one step; k* is the chosen step's peak
    double y_first = 0.0, y_pre = 0.0, y_post = 0.0;  // smoothed[0], smoothed[start], tail median
    double frac_in_window = 0.0;        // (smoothed[end] - smoothed[start]) / (y_post - y_first)
    double slope_noise = 0.0;           // median |g| over the final noise_fraction of snapshots
    LogisticFit logistic;               // second estimator, fitted after the burn-in
    double window_agreement = 0.0;      // IoU (in x) of the slope window and the logistic one
};

// y: [N] values (ICL amount or max prefix score), n: [N] tokens, strictly increasing.
RiseWindow rise_window(const std::vector<double>& y, const std::vector<double>& n,
                       const RiseWindowOptions& options = {});

// The series a rise window reads when a control model is given ([OURS]): y minus the control's
// smoothed value (§6.1's smoother) at the same n, linearly interpolated between the control's
// snapshots; before its first snapshot its first value, beyond its last the median of its final
// 20% of snapshots (where the control has levelled off). For ICL with the 1-layer vanilla model as the control, the early
// unigram/bigram transient, which raises every model's ICL alike, cancels; the induction rise
// does not. control_n strictly increasing, at least one point.
std::vector<double> excess_over_control(const std::vector<double>& n, const std::vector<double>& y,
                                        const std::vector<double>& control_n,
                                        const std::vector<double>& control_y);

// A token interval [start, end].
struct TokenInterval {
    double start = 0.0, end = 0.0;
};

// A scheduled hyperparameter change (warm-up end, weight-decay change, LR decay, ...).
struct ScheduleChange {
    std::string name;
    double n = 0.0;
};

// METHODS §6.2: the phase-change window from the ICL-amount and prefix-score windows.
struct CombinedWindow {
    bool found = false;          // at least one of the two windows was found
    bool both_found = false;     // the statistics below need both
    std::string reason;          // which window is missing, if any
    TokenInterval window;        // union of the found windows
    double n_peak_icl = 0.0, n_peak_prefix = 0.0;  // n(k*) of each
    double lag = 0.0;            // n_peak_prefix - n_peak_icl, tokens
    double iou = 0.0;            // overlap of the two windows, in x (n or ln n, as detected)
    std::vector<ScheduleChange> changes_inside;  // schedule changes that fall inside `window`
};

CombinedWindow combined_window(const RiseWindow& icl, const RiseWindow& prefix,
                               const std::vector<ScheduleChange>& schedule_changes = {});

// METHODS §6.3: excess of the loss curve over its greatest convex minorant.
struct LossBump {
    bool log_n = true;
    int64_t first = 0;           // index of the first snapshot used (n > 0 when log_n)
    std::vector<double> x;       // [M] ln n or n of the snapshots used
    std::vector<double> hull;    // [M] greatest convex minorant H(x_k)
    std::vector<double> excess;  // [M] E_k = Loss_k - H(x_k) >= 0
    double tau = 0.0;            // noise level 3 * 1.4826 * MAD of second differences
    bool found = false;          // max E > tau
    int64_t peak = 0;            // argmax E (index into x)
    int64_t region_start = 0, region_end = 0;  // the run of E > tau containing the peak
    double height = 0.0;         // max E
    double location = 0.0;       // x at the peak
    double n_location = 0.0;     // the same in tokens
    std::vector<std::pair<int64_t, int64_t>> other_regions;  // other runs of E > tau
    // Against the phase-change window (only when one was given):
    bool overlaps_window = false;
    std::optional<double> slope_before, slope_inside, slope_after;  // mean dLoss/dx
    bool steeper_inside = false;  // slope_inside below both neighbours that exist
};

// loss: [N] evaluation loss per snapshot, n: [N] tokens, strictly increasing.
LossBump loss_bump(const std::vector<double>& loss, const std::vector<double>& n, bool log_n,
                   const std::optional<TokenInterval>& window = std::nullopt);

// Greatest convex minorant of points (x_k, y_k), x strictly increasing, at every x_k: the lower
// convex hull (Andrew's monotone chain) evaluated by linear interpolation.
std::vector<double> convex_minorant(const std::vector<double>& x, const std::vector<double>& y);

// METHODS §6.4: where the PCA trajectory turns most sharply.
struct PcaPivot {
    std::vector<double> turning_angle;  // [N] theta_k in [0, pi] (0 at both ends)
    std::vector<double> smoothed;       // [N] 3-point mean of theta
    int64_t pivot = 0;                  // argmax of smoothed
    double n_pivot = 0.0;
    double angle = 0.0;                 // smoothed[pivot]
};

// trajectory: [N, 2] scores (z_1, z_2) of one model's snapshots in order; n: [N] tokens.
PcaPivot pca_pivot(const Matrix& trajectory, const std::vector<double>& n);

}  // namespace induction
