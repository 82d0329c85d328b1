// test_trainer.cpp — the training loop on a tiny fake corpus: the loss falls, an interrupted
// run resumes byte for byte whatever moment it stopped at, a resume that disagrees with the run is
// refused without touching anything, a diverging run stops before any bad snapshot, and configs
// reject unknown, mistyped or out-of-range fields.
#include <cmath>
#include <filesystem>
#include <map>

#include "model/checkpoint.h"
#include "model/io/csv.h"
#include "model/io/file_io.h"
#include "model/io/safetensors.h"
#include "tensor/finite.h"
#include "tests/support/testing.h"
#include "train/presets.h"
#include "train/resume_state.h"
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

// The "loss" column (the third) of train_loss.csv.
std::vector<double> loss_column(const std::string& text) {
    std::vector<double> losses;
    for (const std::vector<double>& row : csv::parse(text, "train_loss.csv").rows) losses.push_back(row[2]);
    return losses;
}

// Every file under dir (relative name -> bytes); train.log left out when asked (it records when
// a run was resumed, so it is the one file a resumed run may differ in).
std::map<std::string, std::string> directory_contents(const std::string& dir, bool with_log = true) {
    std::map<std::string, std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::string name = std::filesystem::relative(entry.path(), dir).string();
        if (with_log || name != "train.log") files[name] = read_file_bytes(entry.path().string());
    }
    return files;
}

void expect_same_files(const std::string& a, const std::string& b) {
    auto left = directory_contents(a, false), right = directory_contents(b, false);
    ASSERT_EQ(left.size(), right.size());
    for (const auto& [name, bytes] : left) {
        ASSERT_TRUE(right.count(name)) << name;
        EXPECT_TRUE(bytes == right.at(name)) << name << " differs";
    }
}

TrainOptions resuming(TrainOptions o) {
    o.resume = true;
    return o;
}

// Trains config into dir as if killed before `stop` (resuming when dir holds a run already).
void train_stopping_at(const TrainConfig& config, const std::string& dir, const FakeCorpus& corpus, int64_t stop) {
    TrainOptions options = options_for(dir, corpus);
    options.resume = file_exists(dir + "/snapshots/resume.safetensors");
    options.stop_at_step = stop;
    train(config, options);
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
    EXPECT_THROW_MESSAGE(train(config, options_for(work / "run", corpus)), "already holds a run");
    // The corpus is named by an absolute path, so the run's analysis finds it from any directory.
    const std::string stored = json::read_file(work / "run/config.json").at("corpus_dir").as_string();
    EXPECT_EQ(stored.front(), '/');
    EXPECT_TRUE(file_exists(stored + "/corpus.json")) << stored;
}

TEST(Trainer, ResumeIsByteForByteWhereverTheRunStopped) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    train(config, options_for(work / "straight", corpus));

    // Stopped between the snapshots at 20 and 25, then at step 0 before any snapshot.
    for (int64_t stop : {23, 0}) {
        const std::string dir = work / ("stopped-at-" + std::to_string(stop));
        train_stopping_at(config, dir, corpus, stop);
        EXPECT_EQ(read_resume_state(dir + "/snapshots/resume.safetensors",
                                    make_transformer(config.model, 0).parameters()).step,
                  stop == 23 ? 20 : 0);
        train(config, resuming(options_for(dir, corpus)));
        expect_same_files(work / "straight", dir);
    }

    // Killed after the snapshot at 25 was written but before its resume state: the older state
    // (step 20) is what a resume finds, and the steps after it rerun.
    const std::string dir = work / "lagging";
    train_stopping_at(config, dir, corpus, 23);
    const std::string state_at_20 = read_file_bytes(dir + "/snapshots/resume.safetensors");
    train_stopping_at(config, dir, corpus, 27);
    write_file_atomic(dir + "/snapshots/resume.safetensors", state_at_20);
    train(config, resuming(options_for(dir, corpus)));
    expect_same_files(work / "straight", dir);
}

TEST(Trainer, RefusedResumesChangeNothing) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    const std::string dir = work / "run";
    train_stopping_at(config, dir, corpus, 23);
    const auto before = directory_contents(dir);

    TrainConfig fewer = config;
    fewer.steps = 20;
    EXPECT_THROW_MESSAGE(train(fewer, resuming(options_for(dir, corpus))),
                         "asks for 20 steps, but the run has already reached step 20");
    fewer.steps = 10;
    EXPECT_THROW_MESSAGE(train(fewer, resuming(options_for(dir, corpus))), "already reached step 20");
    TrainConfig wider = config;
    wider.model.d_model = 32;
    EXPECT_THROW_MESSAGE(train(wider, resuming(options_for(dir, corpus))),
                         "config.json: field 'model.d_model' is 16, this command asks 32");
    TrainConfig faster = config;
    faster.schedule.learning_rate = 2e-2;
    EXPECT_THROW_MESSAGE(train(faster, resuming(options_for(dir, corpus))), "field 'learning_rate'");
    EXPECT_EQ(directory_contents(dir), before);

    // A finished run: a resume has nothing to do and writes nothing, final metadata included.
    train(config, resuming(options_for(dir, corpus)));
    const auto finished = directory_contents(dir);
    TrainResult again = train(config, resuming(options_for(dir, corpus)));
    EXPECT_EQ(again.steps, 40);
    EXPECT_EQ(directory_contents(dir), finished);
    EXPECT_NE(load_checkpoint(snapshot_path(dir, 40)).get("train_loss"), "");
}

TEST(Trainer, StaleTemporariesAndPlantedLinksAreHarmless) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    const std::string dir = work / "run";
    train_stopping_at(config, dir, corpus, 7);
    // A kill mid-write leaves a temporary; a link planted at the old fixed temporary name must not
    // be written through.
    work.write("precious", "keep me");
    std::filesystem::create_symlink(work / "precious", dir + "/snapshots/step-000010.safetensors.tmp");
    work.write("run/snapshots/step-000010.safetensors.tmp-Ab12Cd", "half a file");
    train(config, resuming(options_for(dir, corpus)));
    EXPECT_EQ(read_file_bytes(work / "precious"), "keep me");
    EXPECT_FALSE(file_exists(dir + "/snapshots/step-000010.safetensors.tmp-Ab12Cd"));
    EXPECT_NO_THROW(load_checkpoint(snapshot_path(dir, 10)));
}

TEST(Trainer, ANonFiniteLossStopsBeforeAnyUpdate) {
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    TrainOptions options = options_for(work / "run", corpus);
    options.before_step = [](Transformer& model, int64_t step) {
        if (step != 22) return;
        Tensor poisoned = Tensor::full(model.W_E.shape(), NAN);
        model.W_E.set_value(poisoned);
    };
    EXPECT_THROW_MESSAGE(train(config, options), "training diverged at step 22 (loss");
    EXPECT_EQ(list_snapshots(work / "run").back(), 20);
    EXPECT_NE(read_file_bytes(work / "run/train.log").find("the last good snapshot is " +
                                                            snapshot_path(work / "run", 20)),
              std::string::npos);
    // The rows of every step taken are kept.
    EXPECT_EQ(loss_column(read_file_bytes(work / "run/train_loss.csv")).size(), 22u);
}

TEST(Trainer, NonFiniteWeightsAreNeverSnapshotted) {
    // Weights that became Inf after a step whose loss was finite (lr 1e39 once did this) are caught
    // before the next snapshot, which the error names as the last good one.
    FakeCorpus corpus;
    TempDir work;
    TrainConfig config = tiny_config(work / "corpus");
    TrainOptions options = options_for(work / "run", corpus);
    options.before_step = [](Transformer& model, int64_t step) {
        if (step != 25) return;
        Tensor poisoned = model.W_U.value().clone();
        poisoned.data<float>()[3] = INFINITY;
        model.W_U.set_value(poisoned);
    };
    EXPECT_THROW_MESSAGE(train(config, options),
                         "training diverged before step 25 (parameter 'unembed.W_U' is not finite); the last "
                         "good snapshot is " + snapshot_path(work / "run", 20));
    EXPECT_EQ(list_snapshots(work / "run").back(), 20);
    for (int64_t step : list_snapshots(work / "run")) EXPECT_NO_THROW(load_checkpoint(snapshot_path(work / "run", step)));
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

TEST(TrainConfig, EveryFieldIsCheckedAgainstItsRange) {
    const json::Value base = find_preset("attn-1l").config.to_json();
    struct Case {
        const char* field;
        json::Value value;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"beta1", 2.0, "field 'beta1' must be in [0, 1), got 2"},
        {"beta2", 1.0, "field 'beta2' must be in [0, 1), got 1"},
        {"adam_eps", -1.0, "field 'adam_eps' must be in (0, 1], got -1"},
        {"weight_decay", -10.0, "field 'weight_decay' must be in [0, "},
        {"learning_rate", 1e39, "field 'learning_rate' must be in (0, 10], got 1e+39"},
        {"learning_rate", 0.0, "field 'learning_rate' must be in (0, 10], got 0"},
        {"grad_clip", -1.0, "field 'grad_clip' must be in [0, "},
        {"min_lr_fraction", 1.5, "field 'min_lr_fraction' must be in [0, 1]"},
        {"warmup_steps", -3, "field 'warmup_steps' must be in [0, "},
        {"batch_size", 0, "field 'batch_size' must be in [1, "},
        {"snapshot_log_count", 1e9, "field 'snapshot_log_count' must be in [0, "},
        {"corpus_heldout_fraction", 0.7, "field 'corpus_heldout_fraction' must be in (0, 0.5)"},
        {"lr_decay", 3, "field 'lr_decay' must be a string, got 3"},
        {"name", json::Value::array(), "field 'name' must be a string, got []"},
    };
    for (const Case& c : cases) {
        json::Value v = base;
        v[c.field] = c.value;
        EXPECT_THROW_MESSAGE(TrainConfig::from_json(v, "my.json"), std::string("my.json: ") + c.message);
    }
    // Nested fields name the file and the field too (once "json: expected number, got string").
    json::Value model = base;
    model["model"]["d_model"] = "x";
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(model, "my.json"),
                         "my.json (model): field 'd_model' must be an integer of at most");
    json::Value change = base;
    json::Value entry = json::Value::object();
    entry["step"] = "ten";
    entry["weight_decay"] = 0.1;
    change["weight_decay_changes"] = json::Value::array({entry});
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(change, "my.json"),
                         "my.json: field 'weight_decay_changes[].step' must be an integer, got \"ten\"");
    // Text from the file is escaped: a crafted key or value cannot break the one-line message
    // (found by the train_config and model_config fuzzers).
    json::Value crafted = base;
    crafted["a\nb\x1b[31m"] = 1;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(crafted, "my.json"), "unknown field 'a\\x0Ab\\x1B[31m'");
    json::Value act = base;
    act["model"]["act_fn"] = "gelu\n";
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(act, "my.json"), "got \"gelu\\x0A\"");
    // The parameter count implied by sane-looking sizes is bounded before anything is allocated.
    json::Value huge = base;
    huge["model"]["d_vocab"] = 1 << 24;
    huge["model"]["d_model"] = 1 << 15;
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(huge, "my.json"), "parameters, more than the");
}

TEST(ResumeState, ChecksEveryMomentAgainstItsParameter) {
    TempDir work;
    ModelConfig config = tiny_config(work / "corpus").model;
    Transformer model = make_transformer(config, 1);
    std::vector<NamedParameter> parameters = model.parameters();
    std::vector<AdamWParameter> trainable;
    for (const NamedParameter& p : parameters)
        if (p.var->requires_grad()) trainable.push_back({p.var, p.weight_decay});
    AdamW optimizer(trainable, AdamWOptions{});
    write_resume_state(work / "good.safetensors", 0, optimizer, parameters);
    EXPECT_EQ(read_resume_state(work / "good.safetensors", parameters).first_moments.size(), trainable.size());

    // Rewrites the good state with one tensor replaced (or, given an undefined tensor, left out).
    auto crafted = [&](const std::string& name, const Tensor& replacement, const Metadata& metadata) {
        SafetensorsFile good = read_safetensors(work / "good.safetensors");
        std::vector<std::pair<std::string, Tensor>> tensors;
        for (const auto& [n, t] : good.tensors)
            if (n != name) tensors.push_back({n, t});
            else if (replacement.defined()) tensors.push_back({n, replacement});
        write_safetensors(work / "bad.safetensors", tensors, metadata);
        return work / "bad.safetensors";
    };
    const Metadata fine = {{"step", "0"}, {"adam_steps", "0"}};
    // [4] instead of [d_vocab, d_model]: once a heap overflow in AdamW::step.
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("m.embed.W_E", Tensor::zeros({4}), fine), parameters),
                         "bad.safetensors: tensor 'm.embed.W_E' is f32[4], expected f32[300, 16]");
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("v.unembed.W_U", Tensor(), fine), parameters),
                         "tensor 'v.unembed.W_U' is missing");
    Tensor nan_moment = Tensor::zeros({300, 16});
    nan_moment.data<float>()[5] = NAN;
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("m.embed.W_E", nan_moment, fine), parameters),
                         "tensor 'm.embed.W_E' is not finite at flat index 5");
    EXPECT_NO_THROW(read_resume_state(crafted("m.embed.W_E", nan_moment, fine), parameters, true));
    Tensor negative = Tensor::zeros({300, 16});
    negative.data<float>()[0] = -1;
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("v.embed.W_E", negative, fine), parameters),
                         "second moments are never negative");
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("", Tensor(), {{"step", "-1"}, {"adam_steps", "0"}}), parameters),
                         "__metadata__ 'step' must be an integer in [0, 2^53], got \"-1\"");
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("", Tensor(), {{"step", "18446744073709551616"}, {"adam_steps", "0"}}),
                                           parameters),
                         "must be an integer in [0, 2^53]");
    EXPECT_THROW_MESSAGE(read_resume_state(crafted("", Tensor(), {{"step", "0"}}), parameters),
                         "no 'adam_steps' in __metadata__");

    // AdamW itself refuses moments of the wrong shape rather than writing past them.
    optimizer.first_moments()[0] = Tensor::zeros({4});
    for (const AdamWParameter& p : trainable) accumulate_grad(*p.var, Tensor::zeros(p.var->shape()));
    EXPECT_THROW_MESSAGE(optimizer.step(1e-3, 0, Tensor::zeros({}, DType::F64)), "adamw: the moments of parameter 0 are f32[4]");
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
