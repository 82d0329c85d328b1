// analysis_inputs.cpp — the fixed inputs of a run's analysis (analysis_inputs.h).
#include "tools/analysis_inputs.h"

#include <filesystem>

#include "model/file_io.h"
#include "model/json.h"
#include "analysis/losses.h"
#include "train/tokenizer.h"
#include "train/train_config.h"

namespace induction {

namespace {

EvaluatorInputOptions evaluator_options(uint64_t seed) {
    EvaluatorInputOptions options;
    options.seed = seed;
    options.bos_token = Tokenizer::END_OF_TEXT;
    options.filter.special_tokens = {Tokenizer::END_OF_TEXT};
    return options;
}

std::vector<int64_t> training_token_counts(const CorpusInfo& corpus) {
    return token_counts(TokenFile::open(corpus.train_path(), corpus.token_type, corpus.vocab_size),
                        corpus.vocab_size);
}

}  // namespace

AnalysisSetup make_analysis_setup(const CorpusInfo& corpus, int64_t context,
                                  const AnalysisInputOptions& options) {
    TokenFile heldout = TokenFile::open(corpus.heldout_path(), corpus.token_type, corpus.vocab_size);
    std::vector<int32_t> heldout_tokens(size_t(heldout.size()));
    heldout.copy(0, heldout.size(), heldout_tokens.data());
    AnalysisSetup setup;
    setup.eval = make_eval_set(heldout_tokens, options.examples, context, options.seed);
    setup.evaluators = make_evaluator_inputs(training_token_counts(corpus), setup.eval.tokens,
                                             evaluator_options(options.seed));
    return setup;
}

AnalysisInputOptions analysis_input_options_of(const std::string& checkpoint) {
    namespace fs = std::filesystem;
    // DIR/<model>/snapshots/step-N.safetensors → DIR/metrics/run.json
    const std::string run_json =
        (fs::path(checkpoint).parent_path().parent_path().parent_path() / "metrics" / "run.json").string();
    AnalysisInputOptions options;
    if (!file_exists(run_json)) return options;
    json::Value run = json::read_file(run_json);
    if (!run.contains("eval")) return options;
    const json::Value& eval = run.at("eval");
    options.examples = eval.get<int64_t>("n_examples", options.examples);
    options.seed = uint64_t(eval.get<int64_t>("seed", int64_t(options.seed)));
    return options;
}

EvaluatorInputs snapshot_evaluator_inputs(const std::string& checkpoint, const ModelConfig& config,
                                          const Args& args) {
    namespace fs = std::filesystem;
    const std::string run_config =
        (fs::path(checkpoint).parent_path().parent_path() / "config.json").string();
    const bool have_config = file_exists(run_config);
    check(args.has("corpus") || have_config, "no ", run_config,
          " beside the snapshots to name the corpus; give --corpus DIR");
    TrainConfig train_config;
    if (have_config) train_config = TrainConfig::from_json(json::read_file(run_config), run_config);
    CorpusInfo corpus = read_corpus_info(args.get("corpus", train_config.corpus_dir));
    check(corpus.vocab_size == config.d_vocab, "corpus ", corpus.dir, " has a vocabulary of ",
          corpus.vocab_size, ", the model ", config.d_vocab);
    const int64_t T = args.get_int("ctx", have_config ? train_config.context : config.n_ctx);
    AnalysisInputOptions options = analysis_input_options_of(checkpoint);
    options.examples = args.get_int("examples", options.examples);
    options.seed = uint64_t(args.get_int("seed", int64_t(options.seed)));
    if (!args.has("eval-tokens")) return make_analysis_setup(corpus, T, options).evaluators;
    Tensor windows = read_token_rows(args.get("eval-tokens"), T, config.d_vocab);
    return make_evaluator_inputs(training_token_counts(corpus), windows,
                                 evaluator_options(options.seed));
}

}  // namespace induction
