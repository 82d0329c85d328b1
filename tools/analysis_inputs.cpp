// analysis_inputs.cpp — the fixed inputs of a run's analysis (analysis_inputs.h).
#include "tools/analysis_inputs.h"

#include <filesystem>

#include "analysis/losses.h"
#include "model/io/file_io.h"
#include "model/io/json.h"
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
                                  const AnalysisInputOptions& options, const EvalSet* stored) {
    AnalysisSetup setup;
    if (stored) {
        setup.eval = *stored;
    } else {
        TokenFile heldout = TokenFile::open(corpus.heldout_path(), corpus.token_type, corpus.vocab_size);
        std::vector<int32_t> heldout_tokens(size_t(heldout.size()));
        heldout.copy(0, heldout.size(), heldout_tokens.data());
        setup.eval = make_eval_set(heldout_tokens, options.examples, context, options.seed);
    }
    setup.evaluators = make_evaluator_inputs(training_token_counts(corpus), setup.eval.tokens,
                                             evaluator_options(options.seed));
    return setup;
}

void write_eval_set(const std::string& metrics_dir, const EvalSet& eval, const AnalysisInputOptions& options) {
    const Tensor& tokens = eval.tokens;
    write_file_atomic(metrics_dir + "/eval_tokens.bin",
                      std::string_view(static_cast<const char*>(tokens.raw_data()), tokens.nbytes()));
    json::Value v = json::Value::object();
    v["n_examples"] = tokens.size(0);
    v["requested_examples"] = options.examples;  // 0: every window of the held-out split
    v["context"] = tokens.size(1);
    v["seed"] = int64_t(options.seed);
    v["tokens_file"] = "eval_tokens.bin";
    json::Value columns = json::Value::array();
    for (int64_t c : eval.random_column) columns.push_back(c);
    v["random_columns"] = columns;
    json::write_file(metrics_dir + "/eval_set.json", v);
}

EvalSet read_eval_set(const std::string& metrics_dir, int64_t vocab_size) {
    const std::string path = metrics_dir + "/eval_set.json";
    json::Value v = json::read_file(path);
    const int64_t N = v.at("n_examples").as_int(), T = v.at("context").as_int();
    EvalSet eval;
    eval.tokens = read_token_rows(metrics_dir + "/" + v.at("tokens_file").as_string(), T, vocab_size);
    check(eval.tokens.size(0) == N, path, ": n_examples is ", N, " but ", v.at("tokens_file").as_string(),
          " holds ", eval.tokens.size(0), " rows of ", T);
    for (const json::Value& c : v.at("random_columns").as_array()) {
        eval.random_column.push_back(c.as_int());
        check(eval.random_column.back() >= 0 && eval.random_column.back() < T - 1, path,
              ": random_columns holds ", eval.random_column.back(), ", expected a column in [0, ", T - 1, ")");
    }
    check(int64_t(eval.random_column.size()) == N, path, ": random_columns has ", eval.random_column.size(),
          " entries, expected n_examples = ", N);
    return eval;
}

std::optional<EvalSet> stored_eval_set(const std::string& metrics_dir, const AnalysisInputOptions& options,
                                       int64_t context, int64_t vocab_size) {
    const std::string path = metrics_dir + "/eval_set.json";
    if (!file_exists(path)) return std::nullopt;
    json::Value v = json::read_file(path);
    if (v.get<int64_t>("requested_examples", v.get<int64_t>("n_examples", -1)) != options.examples ||
        v.get<int64_t>("context", -1) != context ||
        v.get<int64_t>("seed", -1) != int64_t(options.seed))
        return std::nullopt;
    return read_eval_set(metrics_dir, vocab_size);
}

std::string run_metrics_dir_of(const std::string& checkpoint) {
    namespace fs = std::filesystem;
    return (fs::path(checkpoint).parent_path().parent_path().parent_path() / "metrics").string();
}

AnalysisInputOptions analysis_input_options_of(const std::string& checkpoint) {
    const std::string run_json = run_metrics_dir_of(checkpoint) + "/run.json";
    AnalysisInputOptions options;
    if (!file_exists(run_json)) return options;
    json::Value run = json::read_file(run_json);
    if (!run.contains("eval")) return options;
    const json::Value& eval = run.at("eval");
    options.examples = eval.get<int64_t>("n_examples", options.examples);
    options.seed = uint64_t(eval.get<int64_t>("seed", int64_t(options.seed)));
    return options;
}

const std::vector<Option>& snapshot_input_options() {
    static const std::vector<Option> options = {
        {"corpus", "DIR", "the corpus of the evaluator inputs (default: the one the run's config.json names)"},
        {"ctx", "T", "tokens per window (default: the run's training context)"},
        {"examples", "N",
         "evaluation-set windows (default: as the run's analysis, in its metrics/run.json, else every "
         "held-out window)"},
        {"seed", "S", "seed of the evaluation set and evaluator examples (default: as the run's analysis, else 1)"},
        {"eval-tokens", "FILE",
         "previous-token windows: raw little-endian int32 rows of T tokens (default: as the run's analysis "
         "draws them)"}};
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
