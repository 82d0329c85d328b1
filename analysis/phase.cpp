// phase.cpp — phase-change window, logistic fit, loss bump and PCA pivot (METHODS §6).
#include "analysis/phase.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <sstream>
#include <tuple>
#include <utility>

#include "tensor/error.h"

namespace induction {
namespace {

const double LN_9 = std::log(9.0);  // logistic 10% -> 90% is x_mid -/+ ln(9) width

double median(std::vector<double> values) {
    check(!values.empty(), "phase: median of an empty series");
    auto middle = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), middle, values.end());
    if (values.size() % 2 == 1) return *middle;
    return 0.5 * (*middle + *std::max_element(values.begin(), middle));
}

double mean(std::vector<double> values) {
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Applies `reduce` to the window of half-width `half` centred on each point. Near the ends
// the window shrinks symmetrically (half-width min(half, k, N-1-k)), so it stays centred.
template <class Reduce>
std::vector<double> centred_filter(const std::vector<double>& y, int64_t half, Reduce reduce) {
    const int64_t count = static_cast<int64_t>(y.size());
    std::vector<double> out(count);
    for (int64_t k = 0; k < count; ++k) {
        int64_t h = std::min({half, k, count - 1 - k});
        out[k] = reduce(std::vector<double>(y.begin() + (k - h), y.begin() + (k + h + 1)));
    }
    return out;
}

// Central differences dy/dx, one-sided at the two ends.
std::vector<double> slopes(const std::vector<double>& y, const std::vector<double>& x) {
    const int64_t count = static_cast<int64_t>(y.size());
    std::vector<double> g(count);
    for (int64_t k = 0; k < count; ++k) {
        int64_t lo = std::max<int64_t>(k - 1, 0), hi = std::min(k + 1, count - 1);
        g[k] = (y[hi] - y[lo]) / (x[hi] - x[lo]);
    }
    return g;
}

// The last ceil(fraction * N) entries (at least `minimum`, at most N).
std::vector<double> tail(const std::vector<double>& values, double fraction, size_t minimum = 1) {
    size_t count = static_cast<size_t>(std::ceil(fraction * static_cast<double>(values.size())));
    count = std::min(values.size(), std::max(count, minimum));
    return std::vector<double>(values.end() - count, values.end());
}

void check_series(const std::vector<double>& y, const std::vector<double>& n, bool log_n,
                  size_t minimum, const char* op) {
    check(y.size() == n.size(), op, ": ", y.size(), " values but ", n.size(), " token counts");
    check(y.size() >= minimum, op, ": need at least ", minimum, " snapshots, got ", y.size());
    for (size_t k = 0; k < y.size(); ++k) {
        check(std::isfinite(y[k]) && std::isfinite(n[k]), op, ": non-finite entry at snapshot ", k);
        check(k == 0 || n[k] > n[k - 1], op, ": token counts must increase strictly (snapshot ", k, ")");
    }
    check(!log_n || n[0] > 0.0, op, ": x = ln n needs n > 0, got n[0] = ", n[0]);
}

std::vector<double> to_x(const std::vector<double>& n, bool log_n) {
    std::vector<double> x(n);
    if (log_n)
        for (double& v : x) v = std::log(v);
    return x;
}

double to_n(double x, bool log_n) { return log_n ? std::exp(x) : x; }

// Overlap of [a0, a1] and [b0, b1] divided by the length of their union (0 if that is 0).
double interval_iou(double a0, double a1, double b0, double b1) {
    double inter = std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
    double uni = (a1 - a0) + (b1 - b0) - inter;
    return uni > 0.0 ? inter / uni : 0.0;
}

// Maximal runs [first, last] of consecutive indices where flag is true.
std::vector<std::pair<int64_t, int64_t>> runs(const std::vector<char>& flag) {
    std::vector<std::pair<int64_t, int64_t>> out;
    const int64_t count = static_cast<int64_t>(flag.size());
    for (int64_t k = 0; k < count; ++k) {
        if (!flag[k]) continue;
        int64_t last = k;
        while (last + 1 < count && flag[last + 1]) ++last;
        out.emplace_back(k, last);
        k = last;
    }
    return out;
}

// y at xq by linear interpolation of the points (x, y), x increasing, xq inside [x0, x_last].
double interpolate(const std::vector<double>& x, const std::vector<double>& y, double xq) {
    auto upper = std::upper_bound(x.begin(), x.end(), xq);
    if (upper == x.begin()) return y.front();
    if (upper == x.end()) return y.back();
    size_t hi = static_cast<size_t>(upper - x.begin()), lo = hi - 1;
    double t = (xq - x[lo]) / (x[hi] - x[lo]);
    return y[lo] + t * (y[hi] - y[lo]);
}

// ---- logistic fit (Levenberg-Marquardt on four parameters) ------------------------------

double logistic(double x, const double* theta) {  // theta = (y_pre, y_post, x_mid, width)
    return theta[0] + (theta[1] - theta[0]) / (1.0 + std::exp(-(x - theta[2]) / theta[3]));
}

double sum_of_squares(const std::vector<double>& x, const std::vector<double>& y, const double* theta) {
    double sum = 0.0;
    for (size_t i = 0; i < x.size(); ++i) sum += std::pow(logistic(x[i], theta) - y[i], 2);
    return sum;
}

// Fits the logistic to (x, y) from the starting point `initial`. x is standardised inside
// so that the damping treats the four parameters alike whatever the units of n.
LogisticFit fit_logistic(const std::vector<double>& x_raw, const std::vector<double>& y,
                         const double (&initial)[4], bool log_n) {
    const size_t count = x_raw.size();
    double centre = mean(x_raw), spread = 0.0;
    for (double v : x_raw) spread += (v - centre) * (v - centre);
    spread = std::sqrt(spread / static_cast<double>(count));
    std::vector<double> x(count);
    for (size_t i = 0; i < count; ++i) x[i] = (x_raw[i] - centre) / spread;
    double theta[4] = {initial[0], initial[1], (initial[2] - centre) / spread, initial[3] / spread};

    LogisticFit fit;
    double rss = sum_of_squares(x, y, theta), damping = 1e-3;
    while (!fit.converged && fit.iterations < 200) {
        ++fit.iterations;
        Matrix normal(4, 4);  // J^T J
        std::vector<double> gradient(4, 0.0);  // J^T r
        for (size_t i = 0; i < count; ++i) {
            double s = 1.0 / (1.0 + std::exp(-(x[i] - theta[2]) / theta[3]));
            double ds = (theta[1] - theta[0]) * s * (1.0 - s);  // d y / d((x - x_mid) / width)
            double jac[4] = {1.0 - s, s, -ds / theta[3], -ds * (x[i] - theta[2]) / (theta[3] * theta[3])};
            double residual = theta[0] + (theta[1] - theta[0]) * s - y[i];
            for (int a = 0; a < 4; ++a) {
                gradient[a] += jac[a] * residual;
                for (int b = 0; b < 4; ++b) normal(a, b) += jac[a] * jac[b];
            }
        }
        double diagonal_scale = 1e-12 * trace(normal);
        // Raise the damping until a step lowers the residual (or the step vanishes).
        while (true) {
            Matrix damped = normal;
            for (int a = 0; a < 4; ++a) damped(a, a) += damping * (normal(a, a) + diagonal_scale);
            std::vector<double> minus_gradient(4);
            for (int a = 0; a < 4; ++a) minus_gradient[a] = -gradient[a];
            std::vector<double> step = solve(damped, minus_gradient);
            double trial[4];
            for (int a = 0; a < 4; ++a) trial[a] = theta[a] + step[a];
            double trial_rss = trial[3] > 0.0 ? sum_of_squares(x, y, trial) : HUGE_VAL;
            if (trial_rss < rss) {
                fit.converged = rss - trial_rss <= 1e-12 * rss;
                std::copy(trial, trial + 4, theta);
                rss = trial_rss;
                damping = std::max(damping / 10.0, 1e-12);
                break;
            }
            damping *= 10.0;
            if (damping > 1e12) {  // no step improves: a (numerical) minimum
                fit.converged = true;
                break;
            }
        }
    }
    fit.y_pre = theta[0];
    fit.y_post = theta[1];
    fit.x_mid = centre + spread * theta[2];
    fit.width = spread * theta[3];
    fit.n_start = to_n(fit.x_mid - LN_9 * fit.width, log_n);
    fit.n_end = to_n(fit.x_mid + LN_9 * fit.width, log_n);
    fit.rms_residual = std::sqrt(rss / static_cast<double>(count));
    return fit;
}

}  // namespace

std::vector<double> excess_over_control(const std::vector<double>& n, const std::vector<double>& y,
                                        const std::vector<double>& control_n,
                                        const std::vector<double>& control_y) {
    check(n.size() == y.size(), "excess_over_control: ", n.size(), " points but ", y.size(), " values");
    check(!control_n.empty() && control_n.size() == control_y.size(), "excess_over_control: the control has ",
          control_n.size(), " points and ", control_y.size(), " values");
    for (size_t k = 1; k < control_n.size(); ++k)
        check(control_n[k] > control_n[k - 1], "excess_over_control: the control's n must increase strictly");
    // The control's own snapshot noise would pass into the excess: subtract its smoothed curve.
    const std::vector<double> control = centred_filter(centred_filter(control_y, 2, median), 1, mean);
    const double late = median(tail(control, 0.2));  // where the control has levelled off
    std::vector<double> excess;
    for (size_t k = 0; k < n.size(); ++k)
        excess.push_back(y[k] - (n[k] > control_n.back() ? late : interpolate(control_n, control, n[k])));
    return excess;
}

// ---- §6.1 -------------------------------------------------------------------------------

namespace {

// Edges of the step peaking at `peak`: where the slope falls below edge_fraction times the peak's
// slope on either side (the series' ends when it never does).
std::pair<int64_t, int64_t> step_edges(const std::vector<double>& slope, int64_t peak, double edge_fraction) {
    const int64_t count = static_cast<int64_t>(slope.size());
    const double edge = edge_fraction * slope[peak];
    int64_t start = 0, end = count - 1;
    for (int64_t k = peak - 1; k >= 0; --k)
        if (slope[k] < edge) {
            start = k;
            break;
        }
    for (int64_t k = peak + 1; k < count; ++k)
        if (slope[k] < edge) {
            end = k;
            break;
        }
    return std::pair{start, end};
}

// Peak: the highest slope after the burn-in; with several steps, the chosen step's. Sets peak,
// step_peaks and multi_step of w (whose burn_in, smoothed and slope are set).
void choose_peak(RiseWindow& w, const RiseWindowOptions& options) {
    const int64_t count = static_cast<int64_t>(w.slope.size());
    w.peak = std::max_element(w.slope.begin() + w.burn_in, w.slope.end()) - w.slope.begin();
    if (w.slope[w.peak] <= 0.0) return;
    std::vector<char> rising(count, 0);
    for (int64_t k = w.burn_in; k < count; ++k) rising[k] = w.slope[k] >= options.edge_fraction * w.slope[w.peak];
    for (auto [first, last] : runs(rising)) {
        auto run_begin = w.slope.begin() + first, run_end = w.slope.begin() + last + 1;
        const int64_t top = std::max_element(run_begin, run_end) - w.slope.begin();
        if (w.slope[top] > options.step_fraction * w.slope[w.peak]) w.step_peaks.push_back(top);
    }
    w.multi_step = w.step_peaks.size() > 1;
    w.peak = w.step_peaks.front();
    if (options.step_choice != RiseWindowOptions::StepChoice::LARGEST_RISE) return;
    double largest = -std::numeric_limits<double>::infinity();
    for (int64_t peak : w.step_peaks) {
        auto [start, end] = step_edges(w.slope, peak, options.edge_fraction);
        if (w.smoothed[end] - w.smoothed[start] > largest) {
            largest = w.smoothed[end] - w.smoothed[start];
            w.peak = peak;
        }
    }
}

// Levels of the smoothed curve (first, before the window, after training), the share of the
// whole rise inside the window, and the slope's noise level late in training.
void measure_levels(RiseWindow& w, const RiseWindowOptions& options) {
    w.y_first = w.smoothed.front();
    w.y_pre = w.smoothed[w.start];
    w.y_post = median(tail(w.smoothed, options.final_fraction));
    double total_rise = w.y_post - w.y_first;
    w.frac_in_window = total_rise >= options.min_rise ? (w.smoothed[w.end] - w.smoothed[w.start]) / total_rise
                                                     : std::numeric_limits<double>::quiet_NaN();

    std::vector<double> tail_slope = tail(w.slope, options.noise_fraction);
    for (double& g : tail_slope) g = std::abs(g);
    w.slope_noise = median(tail_slope);
}

// Second estimator: a logistic through the post-burn-in snapshots, and how well its window
// (x_mid ± ln 9 width) agrees with the slope window.
void fit_second_estimator(RiseWindow& w, const std::vector<double>& y, const std::vector<double>& x,
                          const RiseWindowOptions& options) {
    std::vector<double> fit_x(x.begin() + w.burn_in, x.end()), fit_y(y.begin() + w.burn_in, y.end());
    double rise = w.y_post - w.y_pre;
    // The logistic's slope at x_mid is rise / (4 width).
    double width = w.peak_slope > 0.0 && rise > 0.0 ? rise / (4.0 * w.peak_slope)
                                                     : (x.back() - x.front()) / 10.0;
    double initial[4] = {w.y_pre, w.y_post, x[w.peak], width};
    w.logistic = fit_logistic(fit_x, fit_y, initial, options.log_n);
    w.window_agreement = interval_iou(x[w.start], x[w.end], w.logistic.x_mid - LN_9 * w.logistic.width,
                                      w.logistic.x_mid + LN_9 * w.logistic.width);
}

// Why there is no phase change ("" when there is one): the "no phase change" rules of §6.1.
std::string no_phase_change_reason(const RiseWindow& w, const RiseWindowOptions& options) {
    const double rise = w.y_post - w.y_pre;
    std::ostringstream reason;
    if (w.peak_slope <= 0.0)
        reason << "the curve never rises after the burn-in (max slope " << w.peak_slope << "); ";
    if (rise < options.min_rise)
        reason << "rise y_post - y_pre = " << rise << " < " << options.min_rise << "; ";
    if (w.peak_slope < options.min_slope_ratio * w.slope_noise)
        reason << "peak slope " << w.peak_slope << " < " << options.min_slope_ratio
               << " x median |slope| of the final " << options.noise_fraction * 100 << "% ("
               << w.slope_noise << "); ";
    std::string text = reason.str();
    if (!text.empty()) text.resize(text.size() - 2);  // drop the last "; "
    return text;
}

}  // namespace

RiseWindow rise_window(const std::vector<double>& y, const std::vector<double>& n,
                       const RiseWindowOptions& options) {
    check_series(y, n, options.log_n, 5, "rise_window");
    check(options.burn_in_fraction >= 0.0 && options.burn_in_fraction < 1.0,
          "rise_window: burn_in_fraction must lie in [0, 1), got ", options.burn_in_fraction);
    const int64_t count = static_cast<int64_t>(y.size());
    const std::vector<double> x = to_x(n, options.log_n);

    RiseWindow w;
    w.log_n = options.log_n;
    w.burn_in = std::max(static_cast<int64_t>(std::ceil(options.burn_in_fraction * count)),
                         static_cast<int64_t>(std::upper_bound(n.begin(), n.end(), options.burn_in_tokens) - n.begin()));
    check(count - w.burn_in >= 4, "rise_window: only ", count - w.burn_in, " snapshots after a burn-in of ",
          w.burn_in, " (the logistic fit needs 4)");
    check(options.median_half_width >= 0 && options.mean_half_width >= 0, "rise_window: smoothing half-widths must be >= 0");
    w.smoothed = centred_filter(centred_filter(y, options.median_half_width, median), options.mean_half_width, mean);
    w.slope = slopes(w.smoothed, x);

    choose_peak(w, options);
    w.peak_slope = w.slope[w.peak];
    std::tie(w.start, w.end) = step_edges(w.slope, w.peak, options.edge_fraction);
    w.n_peak = n[w.peak];
    w.n_start = n[w.start];
    w.n_end = n[w.end];

    measure_levels(w, options);
    fit_second_estimator(w, y, x, options);
    w.reason = no_phase_change_reason(w, options);
    w.found = w.reason.empty();
    return w;
}

// ---- §6.2 -------------------------------------------------------------------------------

CombinedWindow combined_window(const RiseWindow& icl, const RiseWindow& prefix,
                               const std::vector<ScheduleChange>& schedule_changes) {
    check(icl.log_n == prefix.log_n, "combined_window: the two windows were detected on different x scales");
    CombinedWindow c;
    c.found = icl.found || prefix.found;
    c.both_found = icl.found && prefix.found;
    if (!icl.found) c.reason += "no ICL-amount window (" + icl.reason + ")";
    if (!prefix.found) {
        if (!c.reason.empty()) c.reason += "; ";
        c.reason += "no prefix-score window (" + prefix.reason + ")";
    }
    c.n_peak_icl = icl.n_peak;
    c.n_peak_prefix = prefix.n_peak;
    if (c.both_found) {
        c.window = {std::min(icl.n_start, prefix.n_start), std::max(icl.n_end, prefix.n_end)};
        c.lag = prefix.n_peak - icl.n_peak;
        auto x = [&](double v) { return icl.log_n ? std::log(v) : v; };
        c.iou = interval_iou(x(icl.n_start), x(icl.n_end), x(prefix.n_start), x(prefix.n_end));
    } else if (c.found) {
        const RiseWindow& only = icl.found ? icl : prefix;
        c.window = {only.n_start, only.n_end};
    }
    if (c.found)
        for (const ScheduleChange& change : schedule_changes)
            if (change.n >= c.window.start && change.n <= c.window.end) c.changes_inside.push_back(change);
    return c;
}

// ---- §6.3 -------------------------------------------------------------------------------

std::vector<double> convex_minorant(const std::vector<double>& x, const std::vector<double>& y) {
    check(x.size() == y.size() && !x.empty(), "convex_minorant: need equally many x and y, got ", x.size(),
          " and ", y.size());
    const int64_t count = static_cast<int64_t>(x.size());
    // Lower hull, left to right: drop the last vertex while it does not make a left turn.
    std::vector<int64_t> hull;
    for (int64_t k = 0; k < count; ++k) {
        check(k == 0 || x[k] > x[k - 1], "convex_minorant: x must increase strictly (index ", k, ")");
        while (hull.size() >= 2) {
            int64_t o = hull[hull.size() - 2], a = hull.back();
            double cross = (x[a] - x[o]) * (y[k] - y[o]) - (y[a] - y[o]) * (x[k] - x[o]);
            if (cross > 0.0) break;
            hull.pop_back();
        }
        hull.push_back(k);
    }
    std::vector<double> hx, hy;
    for (int64_t k : hull) {
        hx.push_back(x[k]);
        hy.push_back(y[k]);
    }
    std::vector<double> out(count);
    for (int64_t k = 0; k < count; ++k) out[k] = interpolate(hx, hy, x[k]);
    return out;
}

LossBump loss_bump(const std::vector<double>& loss, const std::vector<double>& n, bool log_n,
                   const std::optional<TokenInterval>& window) {
    check(loss.size() == n.size(), "loss_bump: ", loss.size(), " losses but ", n.size(), " token counts");
    LossBump b;
    b.log_n = log_n;
    while (log_n && b.first < static_cast<int64_t>(n.size()) && n[b.first] <= 0.0) ++b.first;
    std::vector<double> y(loss.begin() + b.first, loss.end()), used_n(n.begin() + b.first, n.end());
    check_series(y, used_n, log_n, 3, "loss_bump");
    const int64_t count = static_cast<int64_t>(y.size());
    b.x = to_x(used_n, log_n);
    b.hull = convex_minorant(b.x, y);
    b.excess.resize(count);
    double scale = 0.0;
    for (int64_t k = 0; k < count; ++k) {
        b.excess[k] = std::max(0.0, y[k] - b.hull[k]);  // >= 0 up to rounding in the interpolation
        scale = std::max(scale, std::abs(y[k]));
    }

    // Noise: robust spread of the second differences over the final half; floored at the
    // rounding level so that a noiseless convex curve shows no bump.
    std::vector<double> final_half = tail(y, 0.5, 3);
    std::vector<double> second;
    for (size_t k = 1; k + 1 < final_half.size(); ++k)
        second.push_back(final_half[k + 1] - 2.0 * final_half[k] + final_half[k - 1]);
    double centre = median(second);
    for (double& d : second) d = std::abs(d - centre);
    b.tau = std::max(3.0 * 1.4826 * median(second), 64.0 * std::numeric_limits<double>::epsilon() * scale);

    b.peak = std::max_element(b.excess.begin(), b.excess.end()) - b.excess.begin();
    b.height = b.excess[b.peak];
    b.location = b.x[b.peak];
    b.n_location = used_n[b.peak];
    b.found = b.height > b.tau;
    std::vector<char> above(count);
    for (int64_t k = 0; k < count; ++k) above[k] = b.excess[k] > b.tau;
    for (auto region : runs(above)) {
        if (region.first <= b.peak && b.peak <= region.second) {
            b.region_start = region.first;
            b.region_end = region.second;
        } else {
            b.other_regions.push_back(region);
        }
    }
    if (!b.found) b.region_start = b.region_end = b.peak;
    if (!window) return b;

    b.overlaps_window =
        b.found && used_n[b.region_start] <= window->end && used_n[b.region_end] >= window->start;
    // Mean dLoss/dx over an interval = its secant slope (loss linearly interpolated), over the
    // window and the windows of equal width just before and after, clipped to the data.
    const double x_lo = b.x.front(), x_hi = b.x.back();
    auto x_of = [&](double tokens) {
        return log_n ? (tokens > 0.0 ? std::log(tokens) : x_lo) : tokens;
    };
    auto secant = [&](double a, double z) -> std::optional<double> {
        a = std::clamp(a, x_lo, x_hi), z = std::clamp(z, x_lo, x_hi);
        if (z <= a) return std::nullopt;
        return (interpolate(b.x, y, z) - interpolate(b.x, y, a)) / (z - a);
    };
    double w0 = x_of(window->start), w1 = x_of(window->end), width = w1 - w0;
    b.slope_inside = secant(w0, w1);
    b.slope_before = secant(w0 - width, w0);
    b.slope_after = secant(w1, w1 + width);
    b.steeper_inside = b.slope_inside && (b.slope_before || b.slope_after) &&
                       (!b.slope_before || *b.slope_inside < *b.slope_before) &&
                       (!b.slope_after || *b.slope_inside < *b.slope_after);
    return b;
}

// ---- §6.4 -------------------------------------------------------------------------------

PcaPivot pca_pivot(const Matrix& trajectory, const std::vector<double>& n) {
    check(trajectory.cols == 2, "pca_pivot: expected a [N, 2] trajectory, got [", trajectory.rows, ", ",
          trajectory.cols, "]");
    check(trajectory.rows >= 3, "pca_pivot: need at least 3 snapshots, got ", trajectory.rows);
    check(static_cast<int64_t>(n.size()) == trajectory.rows, "pca_pivot: ", trajectory.rows,
          " snapshots but ", n.size(), " token counts");
    const int64_t count = trajectory.rows;
    // theta_k: angle between the displacements into and out of snapshot k (interior only).
    std::vector<double> interior;
    for (int64_t k = 1; k + 1 < count; ++k) {
        double ax = trajectory(k, 0) - trajectory(k - 1, 0), ay = trajectory(k, 1) - trajectory(k - 1, 1);
        double bx = trajectory(k + 1, 0) - trajectory(k, 0), by = trajectory(k + 1, 1) - trajectory(k, 1);
        interior.push_back(std::atan2(std::abs(ax * by - ay * bx), ax * bx + ay * by));
    }
    std::vector<double> smooth = centred_filter(interior, 1, mean);
    PcaPivot p;
    p.turning_angle.assign(count, 0.0);
    p.smoothed.assign(count, 0.0);
    std::copy(interior.begin(), interior.end(), p.turning_angle.begin() + 1);
    std::copy(smooth.begin(), smooth.end(), p.smoothed.begin() + 1);
    p.pivot = 1 + (std::max_element(smooth.begin(), smooth.end()) - smooth.begin());
    p.n_pivot = n[p.pivot];
    p.angle = p.smoothed[p.pivot];
    return p;
}

}  // namespace induction
