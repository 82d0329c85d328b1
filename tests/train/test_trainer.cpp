// test_trainer.cpp — the training loop on a tiny fake corpus: the loss falls, an interrupted
// run resumes bit for bit, a diverging run stops cleanly keeping its snapshots, and configs reject
// unknown or bad fields.
#include <sstream>

#include "model/checkpoint.h"
#include "model/file_io.h"
#include "tests/support/testing.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace induction::testing {

namespace {

// A small corpus of repetitive text with some random words, so there is something to learn.
struct FakeCorpus {
    TempDir root;
    std::vector<CorpusSource> sources;
    FakeCorpus() {
        Rng rng(7);
        const char* words[] = {"alpha", "beta", "gamma", "delta", "the", "cat", "sat", "on", "mat"};
        for (int doc = 0; doc < 40; ++doc) {
            std::string text;
            for (int i = 0; i < 300; ++i) text += std::string(words[rng.next_int(0, 9)]) + (i % 12 ? " " : ".\n");
            root.write("docs/doc" + std::to_string(doc) + ".txt", text);
        }
        sources = {{"docs", "fake-package", "docs/**/*.txt", "test", SourceFormat::TEXT_FILES, {}, 0}};
    }
};

TrainConfig tiny_config(const std::string& corpus_dir) {
    TrainConfig c;
    c.name = "tiny";
    c.model.n_layers = 2;
    c.model.d_model = 16;
    c.model.n_heads = 2;
    c.model.d_head = 8;
    c.model.d_vocab = 300;
    c.model.n_ctx = 32;
    c.model.smear_keys = true;
    c.batch_size = 4;
    c.context = 32;
    c.steps = 40;
    c.schedule.learning_rate = 1e-2;
    c.schedule.warmup_steps = 5;
    c.snapshot_every = 5;
    c.corpus_dir = corpus_dir;
    c.corpus_heldout_fraction = 0.1;
    return c;
}

TrainOptions options_for(const std::string& dir, const FakeCorpus& corpus) {
    TrainOptions o;
    o.out_dir = dir;
    o.quiet = true;
    o.corpus_sources = corpus.sources;
    o.corpus_root = corpus.root.path;
    return o;
}

std::vector<double> all_parameters(const std::string& checkpoint) {
    LoadedCheckpoint loaded = load_checkpoint(checkpoint);
    std::vector<double> values;
    for (const NamedParameter& p : loaded.model.parameters())
        for (double x : p.var->value().to_vector()) values.push_back(x);
    return values;
}

// The "loss" column (the third) of train_loss.csv.
std::vector<double> loss_column(const std::string& csv) {
    std::vector<double> losses;
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
        size_t first = line.find(','), second = line.find(',', first + 1);
        losses.push_back(std::stod(line.substr(second + 1)));
    }
    return losses;
}

}  // namespace

TEST(Trainer, LossFallsAndRunDirectoryIsComplete) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    TrainResult result = train(config, options_for(work / "run", corpus));
    double first_loss = loss_column(read_file_bytes(work / "run/train_loss.csv")).front();
    EXPECT_LT(result.final_loss, first_loss - 1.0) << "first " << first_loss;
    for (const char* file : {"config.json", "tokenizer.json", "train.log", "train_loss.csv"})
        EXPECT_TRUE(file_exists(work / "run/" + file)) << file;
    EXPECT_EQ(list_snapshots(work / "run"), (std::vector<int64_t>{0, 5, 10, 15, 20, 25, 30, 35, 40}));
    LoadedCheckpoint last = load_checkpoint(snapshot_path(work / "run", 40));
    EXPECT_EQ(last.get("tokens_seen"), std::to_string(40 * 4 * 32));
    EXPECT_THROW_MESSAGE(train(config, options_for(work / "run", corpus)), "already holds snapshots");
}

TEST(Trainer, ResumeIsBitForBit) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    train(config, options_for(work / "straight", corpus));

    TrainOptions interrupted = options_for(work / "resumed", corpus);
    interrupted.stop_at_step = 23;  // killed between the snapshots at 20 and 25
    train(config, interrupted);
    EXPECT_EQ(list_snapshots(work / "resumed").back(), 20);
    TrainOptions resume = options_for(work / "resumed", corpus);
    resume.resume = true;
    train(config, resume);

    EXPECT_EQ(all_parameters(snapshot_path(work / "straight", 40)),
              all_parameters(snapshot_path(work / "resumed", 40)));
    EXPECT_EQ(read_file_bytes(work / "straight/train_loss.csv"), read_file_bytes(work / "resumed/train_loss.csv"));
}

TEST(Trainer, DivergenceStopsCleanlyKeepingSnapshots) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    config.schedule.learning_rate = 1e6;
    config.grad_clip = 0;
    config.model.normalization_type = "none";
    EXPECT_THROW_MESSAGE(train(config, options_for(work / "run", corpus)), "training diverged at step");
    std::vector<int64_t> kept = list_snapshots(work / "run");
    ASSERT_FALSE(kept.empty());
    EXPECT_NO_THROW(load_checkpoint(snapshot_path(work / "run", kept.back())));
    EXPECT_NE(read_file_bytes(work / "run/train.log").find("the last good snapshot is"), std::string::npos);
}

TEST(TrainConfig, RejectsUnknownAndBadFields) {
    json::Value v = find_preset("attn-2l").config.to_json();
    v["learning_rat"] = 1.0;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(v, "my.json"), "my.json: unknown field 'learning_rat'");
    json::Value w = find_preset("attn-2l").config.to_json();
    w["context"] = 100000;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(w, "my.json"), "my.json: field 'context' must be in");
    json::Value m = find_preset("attn-2l").config.to_json();
    m["model"]["n_head"] = 3;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(m, "my.json"), "unknown model config field 'n_head'");
}

TEST(TrainConfig, RejectsIntegersThatWouldWrapOrOverflow) {
    json::Value big = find_preset("attn-1l").config.to_json();
    big["model"]["d_model"] = 4294967424.0;  // 2^32 + 128: once trained as d_model 128
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(big, "my.json"), "field 'd_model' must be an integer of at most");
    json::Value steps = find_preset("attn-1l").config.to_json();
    steps["steps"] = 1e300;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(steps, "my.json"), "my.json: field 'steps' must be an integer of at most 2^53");
    json::Value seed = find_preset("attn-1l").config.to_json();
    seed["seed"] = -1;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(seed, "my.json"), "my.json: field 'seed' must be a non-negative integer");
    json::Value fine = find_preset("attn-1l").config.to_json();
    fine["seed"] = 9007199254740992.0;  // 2^53 itself is allowed
    EXPECT_EQ(TrainConfig::from_json(fine, "my.json").seed, 9007199254740992ull);
}

TEST(TrainConfig, RoundTripsEveryPreset) {
    for (const Preset& p : presets()) {
        TrainConfig back = TrainConfig::from_json(p.config.to_json(), p.name);
        EXPECT_EQ(json::dump(back.to_json()), json::dump(p.config.to_json())) << p.name;
    }
}

TEST(Schedule, WarmupConstantCosineAndWeightDecayChanges) {
    Schedule s;
    s.learning_rate = 1.0;
    s.warmup_steps = 10;
    s.total_steps = 110;
    EXPECT_DOUBLE_EQ(s.learning_rate_at(0), 0.1);
    EXPECT_DOUBLE_EQ(s.learning_rate_at(9), 1.0);
    EXPECT_DOUBLE_EQ(s.learning_rate_at(50), 1.0);
    s.decay = "cosine";
    s.min_lr_fraction = 0.1;
    EXPECT_DOUBLE_EQ(s.learning_rate_at(10), 1.0);
    EXPECT_NEAR(s.learning_rate_at(109), 0.1, 1e-12);
    s.weight_decay_changes = {{50, 0.001}};
    EXPECT_EQ(s.weight_decay_at(49), 0.01);
    EXPECT_EQ(s.weight_decay_at(50), 0.001);
    EXPECT_EQ(s.change_points().size(), 3u);
}

}  // namespace induction::testing
