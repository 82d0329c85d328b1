// cmd_train.cpp — `induction train`, `induction presets` and `induction corpus`.
#include <cstdio>
#include <iostream>

#include "model/io/file_io.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "train/corpus.h"
#include "train/presets.h"
#include "train/tokenizer.h"
#include "train/trainer.h"

namespace induction {

namespace {

int run_train_command(const Args& args) {
    check(!(args.has("preset") && args.has("config")), "give --preset or --config, not both");
    check(args.has("out"), "--out DIR is required");
    std::string out = args.get("out");
    TrainConfig config;
    if (args.has("config")) {
        config = TrainConfig::from_json(json::read_file(args.get("config")), args.get("config"));
    } else if (args.flag("resume") && !args.has("preset") && file_exists(out + "/config.json")) {
        config = TrainConfig::from_json(json::read_file(out + "/config.json"), out + "/config.json");
    } else {
        config = find_preset(args.get("preset", default_preset_name())).config;
    }
    if (args.has("steps")) config.steps = args.get_int("steps", config.steps);
    // Checked against the model (layers, heads) when train() validates the config.
    if (args.has("clamps"))
        config.clamps = ClampSchedule::from_json(json::read_file(args.get("clamps")), args.get("clamps"));
    TrainOptions options;
    options.out_dir = out;
    options.resume = args.flag("resume");
    options.threads = args.threads();
    options.quiet = args.flag("quiet");
    train(config, options);
    return 0;
}

int run_presets_command(const Args& args) {
    if (args.flag("json")) {
        json::Value list = json::Value::array();
        for (const Preset& p : presets()) {
            json::Value entry = p.config.to_json();
            entry["description"] = p.description;
            list.push_back(entry);
        }
        std::printf("%s\n", json::dump(list, 2).c_str());
        return 0;
    }
    std::printf("%-16s %6s %6s %5s %6s %6s %7s  %s\n", "preset", "layers", "d_mod", "heads", "ctx",
                "batch", "steps", "description");
    for (const Preset& p : presets()) {
        const TrainConfig& c = p.config;
        std::printf("%-16s %6d %6d %5d %6lld %6lld %7lld  %s%s\n", p.name.c_str(), c.model.n_layers,
                    c.model.d_model, c.model.n_heads, (long long)c.context, (long long)c.batch_size,
                    (long long)c.steps, p.description.c_str(),
                    p.name == default_preset_name() ? " [default]" : "");
    }
    return 0;
}

int run_corpus_command(const Args& args) {
    if (args.flag("check")) {  // what is installed, without building anything
        LoadedCorpus corpus = load_documents(builtin_sources());
        std::printf("%s", describe_sources(corpus).c_str());
        require_sources(corpus);
        return 0;
    }
    CorpusOptions options;
    const int64_t vocab = args.get_int("vocab", find_preset(default_preset_name()).config.model.d_vocab);
    check(vocab >= Tokenizer::FIRST_MERGE && vocab <= ModelConfig::MAX_VOCAB, "--vocab must be in [",
          Tokenizer::FIRST_MERGE, ", ", ModelConfig::MAX_VOCAB, "], got ", vocab);
    // Each vocabulary has its own directory: a corpus is never rebuilt under the runs using it.
    options.out_dir = args.get("out", "data/corpus-" + std::to_string(vocab));
    options.vocab_size = int(vocab);
    options.seed = uint64_t(args.get_int("seed"));
    options.log = &std::cerr;
    CorpusInfo info = build_corpus(options);
    std::printf("corpus %s: %s, vocabulary %d, %lld training tokens, %lld held-out tokens (%s)\n",
                info.dir.c_str(), info.rebuilt ? "built" : "cached", info.vocab_size,
                (long long)info.train_tokens, (long long)info.heldout_tokens,
                token_type_name(info.token_type));
    return 0;
}

}  // namespace

const Command TRAIN_COMMAND = {
    {"train", "--out DIR [--preset NAME | --config FILE] [options]",
     "Trains a model into the run directory DIR: config.json, tokenizer.json, snapshots/, train_loss.csv and "
     "train.log; the corpus is built on first use.",
     {{"out", "DIR", "the run directory (required)"},
      {"preset", "NAME", std::string("a named configuration, listed by `induction presets` (default: ") +
                             default_preset_name() + ", or with --resume the run's config.json)"},
      {"config", "FILE",
       "a training configuration in JSON (a run's config.json, or the output of `induction presets --json`)"},
      {"steps", "N", "train to step N (default: the configuration's steps)"},
      {"clamps", "FILE",
       "a clamp schedule in JSON ({\"clamps\": [...]}, model/clamp.h), active on every forward pass of training "
       "and stored in config.json (default: the configuration's, none for a preset)"},
      {"resume", "", "continue the run in DIR from its last resume state"},
      threads_option(),
      {"quiet", "", "no progress line on stderr"}}},
    run_train_command};

const Command PRESETS_COMMAND = {
    {"presets", "[options]", "Lists the named model configurations.",
     {{"json", "", "print every preset's full training configuration as JSON"}}},
    run_presets_command};

const Command CORPUS_COMMAND = {
    {"corpus", "[options]",
     "Builds the built-in corpus (documents from installed Debian packages) and its BPE tokenizer, or reuses "
     "the one already built in DIR.",
     {{"out", "DIR", "the corpus directory (default: data/corpus-VOCAB, the presets' directory for their vocabulary)"},
      {"vocab", "N",
       "the tokenizer's vocabulary size (default: " +
           std::to_string(find_preset(default_preset_name()).config.model.d_vocab) + ")"},
      {"seed", "S", "the seed of the document shuffle that makes the held-out split", "1"},
      {"check", "", "list the corpus sources and whether they are installed, building nothing"}}},
    run_corpus_command};

}  // namespace induction
