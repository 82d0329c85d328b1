// attribution.h — what an ablation takes away from in-context learning (METHODS §5.4, §5.5).
//
// An attribution reads the per-token losses of an ablated pass at a few columns of the loss
// matrix only: the two ICL indices i_lo, i_hi of §2.6 (and the index bands around them, [OURS]),
// and each example's random column c_e of §2.3. The same columns of the clean pass give the clean
// values, so every difference is paired, example by example, on the same tokens.
//
// Sign convention: delta_icl = ablated − clean ICL *amount* per decade, so a head whose removal
// takes in-context learning away has delta_icl < 0. (METHODS §5.4's ΔICL is written on the
// score L(i_hi) − L(i_lo) = −amount and has the opposite sign.)
//
// Intervals are percentile bootstrap 95% intervals over examples: every estimate resamples the
// same examples with the same BootstrapPlan, so the intervals of clean, ablated and delta are
// comparable.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/icl.h"

namespace induction {

// The columns an attribution reads, for an evaluation set of windows of T tokens.
struct AttributionColumns {
    IclScore indices;  // i_lo, i_hi (1-based)
    IclBands bands;
    Tensor columns;    // i32 [N, P]: the two bands' columns (which hold i_lo and i_hi), then c_e
    int64_t lo = 0, hi = 0;                      // positions of i_lo, i_hi within the P columns
    int64_t lo_band_end = 0, hi_band_end = 0;    // bands: [0, lo_band_end), [lo_band_end, hi_band_end)
    int64_t random = 0;                          // position of c_e (the last)
};
AttributionColumns attribution_columns(const EvalSet& eval);

// Per-example values of a loss matrix read at AttributionColumns ([N, P], any float dtype).
struct ExampleReadings {
    std::vector<double> icl;           // (ℓ[e, i_lo] − ℓ[e, i_hi]) / log10(i_hi / i_lo)
    std::vector<double> icl_band;      // the same on the band means ([OURS])
    std::vector<double> random_token;  // ℓ[e, c_e]: the random-token vector v_s of §2.3
};
ExampleReadings read_examples(const Tensor& losses_at_columns, const AttributionColumns& columns);

// Fixed resamples of N examples (indices drawn with replacement), shared by every estimate.
struct BootstrapPlan {
    int64_t n = 0;
    int resamples = 0;
    std::vector<uint32_t> indices;  // [resamples × n]
};
BootstrapPlan make_bootstrap_plan(int64_t n, int resamples = 1000, uint64_t seed = 1);

struct Estimate {
    double value = 0;       // the mean over examples
    double lo = 0, hi = 0;  // its bootstrap 95% interval
};
Estimate mean_with_interval(const std::vector<double>& per_example, const BootstrapPlan& plan);
// mean(numerator) / mean(denominator), resampled jointly; NaN (value or interval) where a
// denominator mean is not positive.
Estimate ratio_with_interval(const std::vector<double>& numerator, const std::vector<double>& denominator,
                             const BootstrapPlan& plan);
// The paired difference mean(b − a).
Estimate difference_with_interval(const std::vector<double>& a, const std::vector<double>& b,
                                  const BootstrapPlan& plan);

// The effect of one ablation at one snapshot (§5.4).
struct AblationEffect {
    Estimate icl, icl_band;              // ablated ICL amount per decade: [O]'s indices, [OURS] bands
    Estimate delta_icl, delta_icl_band;  // ablated − clean, paired
    Estimate share_removed, share_removed_band;  // −delta / clean amount (NaN unless clean > 0)
    double delta_loss = 0;               // mean_e (v^abl − v): the change of [O]'s Loss(n_s), §2.4
    std::vector<double> delta_random_token;  // δ = v^abl − v, for §5.5
};
AblationEffect ablation_effect(const ExampleReadings& clean, const ExampleReadings& ablated,
                               const BootstrapPlan& plan);

// §5.5: b = (v_end − v_start) / ‖v_end − v_start‖ (empty when the two are equal), and the
// attribution a = ⟨δ, b⟩ in nats with its cosine a / ‖δ‖ (0 when δ = 0).
std::vector<double> before_after_vector(const std::vector<double>& v_start, const std::vector<double>& v_end);
struct BeforeAfterAttribution {
    double projection = 0;
    double cosine = 0;
};
BeforeAfterAttribution before_after_attribution(const std::vector<double>& delta,
                                                const std::vector<double>& before_after);

}  // namespace induction
