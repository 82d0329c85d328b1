// analysis_inputs.h — the fixed inputs of a run's analysis (the evaluation windows of METHODS
// §2.1 and the evaluator examples of §3), built one way for `induction analyze` and for the
// one-snapshot commands (`heads`, `circuits`), so that they report the same numbers for the same
// snapshot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "analysis/analyze.h"
#include "model/config.h"
#include "tools/args.h"
#include "train/corpus.h"

namespace induction {

struct AnalysisInputOptions {
    int64_t examples = 0;  // evaluation-set windows; 0: every window of the held-out split
                           // (METHODS §2.1 uses 10,000 of 512 tokens)
    uint64_t seed = 1;       // the evaluation set and the evaluator examples
};

// The evaluation set (windows of `context` tokens from the held-out split, or `stored` when given)
// and the evaluator inputs (R_ok from the training split's counts); token_text is left empty.
AnalysisSetup make_analysis_setup(const CorpusInfo& corpus, int64_t context,
                                  const AnalysisInputOptions& options, const EvalSet* stored = nullptr);

// The evaluation set stored in a run (METHODS §2.1: "save the token ids; never regenerate them"):
//   DIR/metrics/eval_tokens.bin  raw little-endian int32, N rows of T tokens (`induction eval --tokens`);
//   DIR/metrics/eval_set.json    {"n_examples", "requested_examples", "context", "seed", "tokens_file",
//                                 "random_columns": [c_e]}
//                                (c_e 0-based loss-matrix columns: context index i_e = c_e + 2).
// stored_eval_set returns the stored set when there is one made with these options (checking that
// the token file matches its description), and nothing otherwise.
void write_eval_set(const std::string& metrics_dir, const EvalSet& eval, const AnalysisInputOptions& options);
std::optional<EvalSet> stored_eval_set(const std::string& metrics_dir, const AnalysisInputOptions& options,
                                       int64_t context, int64_t vocab_size);
// The stored set whatever options made it (`induction ablate --eval DIR`); errors name the file.
EvalSet read_eval_set(const std::string& metrics_dir, int64_t vocab_size);

// DIR/metrics of the run holding `checkpoint` (DIR/<model>/snapshots/step-N.safetensors).
std::string run_metrics_dir_of(const std::string& checkpoint);

// The options that the analysis of the run holding `checkpoint` used (the run is the directory
// above DIR/<model>/snapshots/; its metrics/run.json records them), or the defaults when that
// run has not been analyzed.
AnalysisInputOptions analysis_input_options_of(const std::string& checkpoint);

// The evaluator inputs for one snapshot, as its run's analysis built them. The corpus is the one
// the run's config.json (DIR/<model>/config.json) names, the context its training context, and
// the examples and seed those of DIR/metrics/run.json. Options of the calling command override:
// snapshot_input_options(): --corpus DIR, --ctx T, --examples N, --seed S, and --eval-tokens FILE
// (raw little-endian int32 rows of T tokens) for the previous-token windows.
const std::vector<Option>& snapshot_input_options();
EvaluatorInputs snapshot_evaluator_inputs(const std::string& checkpoint, const ModelConfig& config,
                                          const Args& args);

}  // namespace induction
