// cmd_heads.cpp — `induction heads CHECKPOINT [--json]`: the head evaluator table of one
// snapshot (METHODS §3 prefix matching, copying, previous token; §4.3 copy_eig) and each head's
// class (§5.6).
//
// The inputs come from the run's corpus (config.json beside the snapshots names it; --corpus
// overrides): token counts of the training split for R_ok (§3.0) and, for the previous-token
// score (§3.3), the first 10 evaluation windows — rows of --eval-tokens FILE (raw int32, --ctx
// tokens each) when given, else consecutive --ctx-token windows from the start of the held-out
// split. --ctx defaults to the run's training context. --seed fixes the random examples.
// With --json the output is exactly metrics/<model>/heads.json:
//   {"heads": [{"layer", "head", "prefix_matching", "copying", "previous_token", "class"}]}
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "analysis/evaluators.h"
#include "analysis/losses.h"
#include "model/checkpoint.h"
#include "model/file_io.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "train/corpus.h"
#include "train/tokenizer.h"
#include "train/train_config.h"

namespace induction {

namespace {

// The run directory of a snapshot: DIR/snapshots/step-N.safetensors → DIR.
std::string run_directory_of(const std::string& checkpoint) {
    return std::filesystem::path(checkpoint).parent_path().parent_path().string();
}

// The first `count` windows of T tokens from the start of a token file.
Tensor leading_windows(const TokenFile& tokens, int64_t count, int64_t T) {
    check(tokens.size() >= count * T, tokens.path(), ": ", tokens.size(), " tokens, fewer than ",
          count, " windows of ", T);
    std::vector<int32_t> ids(static_cast<size_t>(count * T));
    tokens.copy(0, count * T, ids.data());
    return Tensor::from_ints({count, T}, ids);
}

std::string score_text(double x) {  // "-" for a head without this score
    if (std::isnan(x)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", x);
    return text;
}

}  // namespace

int run_heads_command(int argc, char** argv) {
    Args args(argc, argv, {"corpus", "eval-tokens", "ctx", "seed", "copying-ratio"}, {"json"});
    check(args.positional().size() == 1, "expected one CHECKPOINT argument");
    const std::string checkpoint = args.positional()[0];
    const std::string ratio_name = args.get("copying-ratio", "deviation");
    check(ratio_name == "deviation" || ratio_name == "raised-share",
          "--copying-ratio must be deviation or raised-share, got '", ratio_name,
          "'");
    LoadedCheckpoint loaded = load_checkpoint(checkpoint);
    const Transformer& model = loaded.model;
    const ModelConfig& config = model.config;

    const std::string run_config = run_directory_of(checkpoint) + "/config.json";
    TrainConfig train_config;
    if (file_exists(run_config))
        train_config = TrainConfig::from_json(json::read_file(run_config), run_config);
    check(args.has("corpus") || file_exists(run_config), "no ", run_config,
          " to name the corpus; give --corpus DIR");
    CorpusInfo corpus = read_corpus_info(args.get("corpus", train_config.corpus_dir));
    check(corpus.vocab_size == config.d_vocab, "corpus ", corpus.dir,
          " has a vocabulary of ", corpus.vocab_size, ", the model ", config.d_vocab);
    const int64_t T =
        args.get_int("ctx", file_exists(run_config) ? train_config.context : config.n_ctx);

    EvaluatorInputOptions options;
    options.seed = uint64_t(args.get_int("seed", 0));
    options.bos_token = Tokenizer::END_OF_TEXT;
    options.filter.special_tokens = {Tokenizer::END_OF_TEXT};
    auto started = std::chrono::steady_clock::now();
    std::vector<int64_t> counts =
        token_counts(TokenFile::open(corpus.train_path(), corpus.token_type, corpus.vocab_size),
                     corpus.vocab_size);
    Tensor windows = args.has("eval-tokens")
                         ? read_token_rows(args.get("eval-tokens"), T, config.d_vocab)
                         : leading_windows(TokenFile::open(corpus.heldout_path(), corpus.token_type,
                                                           corpus.vocab_size),
                                           options.n_examples, T);
    EvaluatorInputs inputs = make_evaluator_inputs(counts, windows, options);
    auto evaluating = std::chrono::steady_clock::now();
    CopyingRatio ratio =
        ratio_name == "deviation" ? CopyingRatio::DEVIATION : CopyingRatio::RAISED_SHARE;
    HeadScores scores = evaluate_heads(model, inputs, ratio);
    auto done = std::chrono::steady_clock::now();
    ClassificationRule rule = classification_rule(config);
    std::vector<HeadClass> classes = classify_heads(scores, rule);

    if (args.flag("json")) {
        std::printf("%s\n", json::dump(heads_json(scores, classes)).c_str());
        return 0;
    }
    std::vector<char> unstable = unstable_heads(scores, rule);
    auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    std::printf("%s: %d layers x %d heads; evaluator inputs %s\n", checkpoint.c_str(),
                config.n_layers, config.n_heads, json::dump(inputs.settings_json()).c_str());
    std::printf("layer head  prefix   copy  copy_top  copy_eig   prev  class\n");
    for (int l = 0; l < config.n_layers; ++l)
        for (int h = 0; h < config.n_heads; ++h) {
            size_t i = size_t(l * config.n_heads + h);
            std::printf("%5d %4d %7s %6s %9s %9s %6s  %s%s\n", l, h,
                        score_text(scores.prefix_matching.at(l, h)).c_str(),
                        score_text(scores.copying.at(l, h)).c_str(),
                        score_text(scores.copying_top.at(l, h)).c_str(),
                        score_text(scores.copy_eig.at(l, h)).c_str(),
                        score_text(scores.previous_token.at(l, h)).c_str(),
                        head_class_name(classes[i]), unstable[i] ? " (unstable)" : "");
        }
    std::printf(
        "copy: 4 rho - 1 with the %s ratio (METHODS §3.1); copy_top: fraction of positions whose "
        "most-attended token is the one the head raises most (chance 0.04); (unstable): the class "
        "changes with thresholds +-0.1 or copy_eig for copy (§5.6); '-': no score (the head "
        "writes nothing W_U reads)\n"
        "inputs %.3f s, evaluators %.3f s\n",
        ratio_name.c_str(), seconds(started, evaluating), seconds(evaluating, done));
    return 0;
}

}  // namespace induction
