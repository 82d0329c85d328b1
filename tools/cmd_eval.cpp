// cmd_eval.cpp — `induction eval CHECKPOINT (--tokens FILE --ctx T | --text FILE) [--json]`.
//
// Scores every row of tokens on predicting tokens 1..T-1 from their prefixes (no token is
// added), and prints the mean loss, or with --json the loss by position.
#include <cstdio>
#include <filesystem>

#include "analysis/losses.h"
#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "tensor/ops.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "train/tokenizer.h"

namespace induction {

namespace {

// The run directory's tokenizer: a snapshot lives in DIR/snapshots/, the tokenizer in DIR/.
std::string tokenizer_beside(const std::string& checkpoint) {
    std::filesystem::path snapshots = std::filesystem::path(checkpoint).parent_path();
    for (const std::filesystem::path& dir : {snapshots.parent_path(), snapshots}) {
        std::string candidate = (dir / "tokenizer.json").string();
        if (file_exists(candidate)) return candidate;
    }
    fail(checkpoint, ": no tokenizer.json in its run directory (needed for --text)");
}

int run_eval_command(const Args& args) {
    check(args.positional().size() == 1, "expected one CHECKPOINT argument");
    check(args.has("tokens") != args.has("text"), "give exactly one of --tokens or --text");
    const int64_t batch = args.get_int("batch");
    check(batch >= 1, "option --batch must be at least 1, got ", batch);
    const std::string checkpoint = args.positional()[0];
    LoadedCheckpoint loaded = load_checkpoint(checkpoint, args.flag("allow-nonfinite"));
    const ModelConfig& config = loaded.model.config;
    int64_t T = args.get_int("ctx", args.has("tokens") ? -1 : config.n_ctx);
    check(T >= 2 && T <= config.n_ctx, "--ctx must be in [2, n_ctx = ", config.n_ctx,
          "], got ", T);
    Tensor tokens;
    if (args.has("tokens")) {
        tokens = read_token_rows(args.get("tokens"), T, config.d_vocab);
    } else {
        Tokenizer tokenizer = Tokenizer::load(tokenizer_beside(checkpoint));
        std::vector<int32_t> ids = tokenizer.encode(read_file_bytes(args.get("text")));
        int64_t rows = int64_t(ids.size()) / T;
        check(rows >= 1, args.get("text"), ": ", ids.size(), " tokens, fewer than one row of ", T);
        ids.resize(size_t(rows * T));
        tokens = Tensor::from_ints({rows, T}, ids);
    }
    Tensor losses = per_token_losses(loaded.model, tokens, batch);
    Tensor by_position = mean(losses, 0);  // [T-1]
    double mean_loss = mean(losses.reshape({losses.numel()}), 0).item();
    if (!args.flag("json")) {
        std::printf("mean loss %.6f nats over %lld sequences of %lld tokens\n", mean_loss,
                    (long long)tokens.size(0), (long long)T);
        return 0;
    }
    json::Value out = json::Value::object();
    out["mean_loss"] = mean_loss;
    json::Value positions = json::Value::array();
    for (double x : by_position.to_vector()) positions.push_back(x);
    out["loss_by_position"] = positions;
    out["n_sequences"] = tokens.size(0);
    std::printf("%s\n", json::dump(out).c_str());
    return 0;
}

}  // namespace

const Command EVAL_COMMAND = {
    {"eval",
     "CHECKPOINT (--tokens FILE --ctx T | --text FILE) [options]",
     "Scores a snapshot on predicting every token of each row from its prefix, and prints the mean loss "
     "(or, with --json, the loss by position).",
     {{"tokens", "FILE", "rows of T tokens, raw little-endian int32 (needs --ctx)"},
      {"text", "FILE",
       "a text file, encoded with the tokenizer.json of the snapshot's run and cut into rows of T tokens"},
      {"ctx", "T", "tokens per row, 2 to the model's n_ctx (default with --text: n_ctx)"},
      {"batch", "N", "rows per forward pass, at least 1", "16"},
      {"json", "", "print {mean_loss, loss_by_position, n_sequences} as JSON"},
      allow_nonfinite_option()}},
    run_eval_command};

}  // namespace induction
