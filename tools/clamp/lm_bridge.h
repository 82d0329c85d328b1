// lm_bridge.h — Singh et al.'s clamps on a language model (a bridge between [O] and [S] that
// neither ran): a preset (attn-2l) trained twice from the same seeds and data order, once plain
// and once with one layer-0 head's attention pattern clamped to a perfect previous-token pattern
// from step 0 (METHODS §8.5–§8.6, TrainConfig::clamps), and when each run's induction head forms.
//
// Both runs are measured at every snapshot on the inputs `induction analyze` uses (the §2.1
// evaluation set of the corpus, its first curve_examples windows, and the §3 evaluator examples):
// mean loss and band ICL [OURS], prefix matching (§3.2) and previous-token scores (§3.3) of every
// head. A clamped run is measured as it trained, with its clamps active (§8.5: "in training and in
// evaluation alike"), and again on its bare weights: the clamped head's W_Q/W_K never learned to
// attend to the previous token, so without the clamp the induction circuit built on it is cut.
// Previous-token scores are of the bare weights (the clamp only changes the clamped head's, to 1).
// Over training (§6, with `induction analyze`'s options but no control model): the rise window of
// the best prefix score among heads of layers >= 1, that of band ICL, their combined phase-change
// window; and the step at which the strongest induction head (the final snapshot's best prefix
// score of layers >= 1) first scores above 0.3 (the §5.6 induction threshold).
//
// Writes OUT/lm_bridge.json (everything below), OUT/lm_bridge.csv (per snapshot step: each run's
// loss, band ICL, prefix matching of every head of layers >= 1, previous-token score of every
// layer-0 head) and OUT/lm_bridge.svg (the strongest induction head's prefix matching against
// step for both runs, each run's phase-change window shaded). The runs are OUT/unclamped/ (unless
// an existing one is reused) and OUT/clamped/; finished runs are not trained again, interrupted
// ones are resumed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/evaluators.h"
#include "analysis/phase.h"
#include "model/clamp_catalogue.h"
#include "model/io/json.h"
#include "train/corpus.h"
#include "train/train_config.h"

namespace induction {

struct LmBridgeOptions {
    std::string out_dir;
    std::string preset = "attn-2l";
    int64_t steps = -1;       // -1: the preset's
    HeadId clamped{0, 0};     // the head whose pattern is clamped (layer 0 in [O]'s numbering is 1)
    // An existing unclamped run of the same preset and steps to reuse (e.g. runs/default/attn-2l
    // of `make run`); its config must equal the preset's. Trained into it when empty or absent:
    // OUT/unclamped when empty.
    std::string unclamped_run;
    bool quiet = false;
    int threads = 0;  // 0: OpenMP's default
    // Tests: a training config instead of the preset's, and the corpus it is built from.
    std::optional<TrainConfig> config;
    std::vector<CorpusSource> corpus_sources = builtin_sources();
    std::string corpus_root = "/";
    int64_t curve_examples = 128;   // windows every snapshot is measured on (the analysis's)
    int64_t final_examples = 2048;  // windows the final snapshot's loss and ICL are measured on
};

// One run, measured at every snapshot.
struct LmBridgeRun {
    std::string name;     // "unclamped" | "clamped"
    std::string run_dir;
    bool reused = false;  // finished before run_lm_bridge started (not trained by it)
    ClampSchedule clamps;
    int64_t tokens_per_step = 0;
    // Per snapshot, ascending. With the run's clamps active unless "bare".
    std::vector<int64_t> steps;
    std::vector<double> tokens, loss, icl_band;
    std::vector<HeadTable> prefix, prefix_bare;  // §3.2; prefix_bare == prefix without clamps
    std::vector<HeadTable> previous_token;       // §3.3, bare weights
    // Over training.
    HeadId induction_head;            // the final snapshot's best prefix score among layers >= 1
    double final_prefix = 0, final_prefix_bare = 0;  // that head's, at the final snapshot
    std::optional<int64_t> prefix_above_step;        // first snapshot step it scores > threshold
    std::optional<int64_t> prefix_bare_above_step;   // the same on the bare weights
    HeadId previous_token_head;       // the final snapshot's best previous-token score in layer 0 (bare)
    double final_previous_token = 0;
    double burn_in_tokens = 0;        // §6.1's (the analysis's: 5% of training or the warm-up)
    RiseWindow prefix_window, icl_window;  // §6.1 on max prefix (layers >= 1) and band ICL
    CombinedWindow window;                 // §6.2; phase_change needs both windows, as in the analysis
    bool phase_change = false;
    // The final snapshot on final_examples windows (clamps active, and bare for a clamped run).
    double final_train_loss = NAN;    // the snapshot's recorded training loss
    double final_loss = NAN, final_icl_score = NAN, final_icl_per_decade = NAN, final_icl_band = NAN;
    double final_loss_bare = NAN, final_icl_band_bare = NAN;

    // Tokens → step on this run's schedule.
    double step_of(double tokens) const { return tokens / double(tokens_per_step); }
    json::Value to_json() const;
};

struct LmBridgeResult {
    std::string preset;
    int64_t steps = 0;
    HeadId clamped;
    double threshold = 0.3;  // prefix matching that counts as an induction head (§5.6)
    LmBridgeRun unclamped, clamped_run;
    std::string json_path, csv_path, svg_path;

    json::Value to_json() const;
    std::string summary() const;  // a few lines: the two runs side by side
};

LmBridgeResult run_lm_bridge(const LmBridgeOptions& options);

// The figure of lm_bridge.svg: each run's strongest induction head's prefix matching (as trained,
// and the clamped run's bare weights dashed) against step, the 0.3 threshold, and each run's
// phase-change window shaded in its colour where §6 finds one.
std::string lm_bridge_svg(const LmBridgeResult& result);

// The clamps of a schedule active at `step` as interventions of a plain forward pass, for the
// evaluators (analysis/evaluators.h), which run their own. Only pattern clamps of previous-token
// values (what the bridge applies) are supported; anything else is an error. A clamp naming no
// layers applies to each of the model's n_layers.
Interventions pattern_clamp_interventions(const ClampSchedule& schedule, int64_t step, int n_layers);

}  // namespace induction
