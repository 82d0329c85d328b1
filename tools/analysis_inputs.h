// analysis_inputs.h — the fixed inputs of a run's analysis (the evaluation windows of METHODS
// §2.1 and the evaluator examples of §3), built one way for `induction analyze` and for the
// one-snapshot commands (`heads`, `circuits`), so that they report the same numbers for the same
// snapshot.
#pragma once

#include <cstdint>
#include <string>

#include "analysis/analyze.h"
#include "model/config.h"
#include "tools/args.h"
#include "train/corpus.h"

namespace induction {

struct AnalysisInputOptions {
    int64_t examples = 512;  // evaluation-set windows (METHODS §2.1 uses 10,000 of 512 tokens)
    uint64_t seed = 1;       // the evaluation set and the evaluator examples
};

// The evaluation set (windows of `context` tokens from the held-out split) and the evaluator
// inputs (R_ok from the training split's counts); token_text is left empty.
AnalysisSetup make_analysis_setup(const CorpusInfo& corpus, int64_t context,
                                  const AnalysisInputOptions& options);

// The options that the analysis of the run holding `checkpoint` used (the run is the directory
// above DIR/<model>/snapshots/; its metrics/run.json records them), or the defaults when that
// run has not been analyzed.
AnalysisInputOptions analysis_input_options_of(const std::string& checkpoint);

// The evaluator inputs for one snapshot, as its run's analysis built them. The corpus is the one
// the run's config.json (DIR/<model>/config.json) names, the context its training context, and
// the examples and seed those of DIR/metrics/run.json. Options of the calling command override:
// --corpus DIR, --ctx T, --examples N, --seed S, and --eval-tokens FILE (raw little-endian int32
// rows of T tokens) for the previous-token windows.
inline const std::set<std::string> SNAPSHOT_INPUT_OPTIONS = {"corpus", "ctx", "examples", "seed",
                                                             "eval-tokens"};
EvaluatorInputs snapshot_evaluator_inputs(const std::string& checkpoint, const ModelConfig& config,
                                          const Args& args);

}  // namespace induction
