// test_trainer_clamps.cpp — language-model training with a clamp schedule (TrainConfig::clamps,
// METHODS §8.5): a previous-token clamp on layer 0 head 0 cuts exactly that head's slice of the
// layer's shared W_Q/W_K off the gradient, a clamped run stores and resumes its schedule, and an
// empty schedule trains exactly the plain run.
#include <cmath>
#include <filesystem>

#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/clamp_catalogue.h"
#include "model/io/file_io.h"
#include "tests/support/testing.h"
#include "train/adamw.h"
#include "train/presets.h"
#include "train/trainer.h"

namespace induction::testing {

namespace {

// Repetitive text of random words, so that there is something to learn.
struct WordCorpus {
    TempDir root;
    std::vector<CorpusSource> sources;
    WordCorpus() {
        Rng rng(11);
        const char* words[] = {"alpha", "beta", "gamma", "delta", "the", "cat", "sat", "on", "mat"};
        for (int doc = 0; doc < 30; ++doc) {
            std::string text;
            for (int i = 0; i < 300; ++i) text += std::string(words[rng.next_int(0, 9)]) + (i % 12 ? " " : ".\n");
            root.write("docs/doc" + std::to_string(doc) + ".txt", text);
        }
        sources = {{"docs", "fake-package", "docs/**/*.txt", "test", SourceFormat::TEXT_FILES, {}, 0}};
    }
};

// Two layers of three heads, no smeared keys; no weight decay, so a parameter without a gradient
// stays exactly where it was.
TrainConfig clamp_config(const std::string& corpus_dir) {
    TrainConfig c;
    c.name = "tiny-clamped";
    c.model.n_layers = 2;
    c.model.d_model = 24;
    c.model.n_heads = 3;
    c.model.d_head = 8;
    c.model.d_vocab = 300;
    c.model.n_ctx = 32;
    c.batch_size = 4;
    c.context = 32;
    c.steps = 12;
    c.schedule.learning_rate = 1e-2;
    c.schedule.warmup_steps = 2;
    c.schedule.weight_decay = 0;
    c.snapshot_every = 4;
    c.corpus_dir = corpus_dir;
    return c;
}

TrainOptions options_for(const std::string& dir, const WordCorpus& corpus) {
    TrainOptions o;
    o.out_dir = dir;
    o.quiet = true;
    o.threads = 1;  // a tiny model: one core is fastest
    o.corpus_sources = corpus.sources;
    o.corpus_root = corpus.root.path;
    return o;
}

// Head h's slice [d_model, d_head] of a [n_heads, d_model, d_head] tensor.
std::vector<double> head_slice(const Tensor& t, int h) { return t.slice(h, h + 1).to_vector(); }

bool all_zero(const std::vector<double>& values) {
    for (double x : values)
        if (x != 0) return false;
    return true;
}

Tensor random_tokens(int64_t B, int64_t T, int32_t vocab, uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> ids(size_t(B * T));
    for (int32_t& id : ids) id = int32_t(rng.next_int(0, vocab));
    return Tensor::from_ints({B, T}, ids);
}

std::string file_text(const std::string& path) { return read_file_bytes(path); }

}  // namespace

TEST(TrainerClamps, PreviousTokenClampZeroesOnlyItsHeadsSliceOfTheQueryAndKeyGradients) {
    TempDir work;
    const TrainConfig config = clamp_config(work / "corpus");
    Transformer model = make_transformer(config.model, 3);
    const Tensor tokens = random_tokens(4, 32, 300, 5);
    Interventions capture;
    capture.capture(Site::PATTERN, 0);
    Var logits = lm_forward(model, tokens, previous_token_clamp({0, 0}, 1.0), 0, &capture);
    backward(mean(reshape(next_token_losses(logits, tokens), {4 * 31}), 0));

    // The clamped head attends to the previous token exactly (to itself at position 0).
    const std::vector<double> pattern = capture.captured(Site::PATTERN, 0).slice(0, 1).to_vector();  // [1, H, T, T]
    for (int64_t p = 0; p < 32; ++p)
        for (int64_t q = 0; q < 32; ++q) EXPECT_EQ(pattern[size_t(p * 32 + q)], q == std::max<int64_t>(p - 1, 0) ? 1.0 : 0.0);

    const AttentionParams& layer0 = model.blocks[0].attn;
    for (const Var* w : {&layer0.W_Q, &layer0.W_K}) {
        EXPECT_TRUE(all_zero(head_slice(w->grad(), 0)));
        for (int h : {1, 2}) EXPECT_FALSE(all_zero(head_slice(w->grad(), h))) << "head " << h;
    }
    // Its values and output still learn, and so does every head of layer 1.
    EXPECT_FALSE(all_zero(head_slice(layer0.W_V.grad(), 0)));
    EXPECT_FALSE(all_zero(head_slice(layer0.W_O.grad(), 0)));
    EXPECT_FALSE(all_zero(head_slice(model.blocks[1].attn.W_Q.grad(), 0)));
}

TEST(TrainerClamps, AnEmptyScheduleIsThePlainTrainingStep) {
    TempDir work;
    const TrainConfig config = clamp_config(work / "corpus");
    ASSERT_TRUE(config.clamps.empty());
    EXPECT_FALSE(config.to_json().contains("clamps"));  // a plain run's config.json is as it was
    const Tensor batch = random_tokens(4, 32, 300, 9);
    // The trainer's step, and the plain step written out by hand, from the same weights.
    Transformer stepped = make_transformer(config.model, 4), plain = make_transformer(config.model, 4);
    auto trainable_of = [](Transformer& model) {
        std::vector<AdamWParameter> trainable;
        for (const NamedParameter& p : model.parameters())
            if (p.var->requires_grad()) trainable.push_back({p.var, p.weight_decay});
        return trainable;
    };
    std::vector<AdamWParameter> stepped_trainable = trainable_of(stepped), plain_trainable = trainable_of(plain);
    AdamW stepped_adam(stepped_trainable, config.adam), plain_adam(plain_trainable, config.adam);
    const StepResult r = train_step(stepped, stepped_adam, stepped_trainable, batch, config, 0);
    Var losses = next_token_losses(forward(plain, batch), batch);
    Var loss = mean(reshape(losses, {losses.value().numel()}), 0);
    backward(loss);
    Tensor norm = global_grad_norm(plain_trainable);
    plain_adam.step(config.schedule.learning_rate_at(0), config.schedule.weight_decay_at(0), norm, config.grad_clip);
    EXPECT_EQ(r.loss, loss.value().item());
    EXPECT_EQ(r.grad_norm, norm.item());
    std::vector<NamedParameter> a = stepped.parameters(), b = plain.parameters();
    for (size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(a[i].var->value().to_vector(), b[i].var->value().to_vector()) << a[i].name;
}

TEST(TrainerClamps, AClampedRunKeepsItsHeadFrozenStoresItsScheduleAndResumes) {
    WordCorpus corpus;
    TempDir work;
    TrainConfig config = clamp_config(work / "corpus");
    config.clamps = previous_token_clamp({0, 0}, 1.0);
    const std::string straight = work / "straight";
    train(config, options_for(straight, corpus));

    // No gradient, no weight decay: head 0's query and key weights never move; the others do.
    const Transformer first = load_checkpoint(snapshot_path(straight, 0)).model;
    const LoadedCheckpoint last = load_checkpoint(snapshot_path(straight, 12));
    for (auto w : {&AttentionParams::W_Q, &AttentionParams::W_K}) {
        const Tensor& before = (first.blocks[0].attn.*w).value();
        const Tensor& after = (last.model.blocks[0].attn.*w).value();
        EXPECT_EQ(head_slice(before, 0), head_slice(after, 0));
        EXPECT_NE(head_slice(before, 1), head_slice(after, 1));
    }
    // The schedule is in config.json, in every snapshot and in train.log.
    const TrainConfig stored = TrainConfig::from_json(json::read_file(straight + "/config.json"));
    EXPECT_EQ(json::dump(stored.clamps.to_json()), json::dump(config.clamps.to_json()));
    EXPECT_EQ(last.get("clamps"), json::dump(config.clamps.to_json()));
    EXPECT_NE(file_text(straight + "/train.log").find("clamps, on every forward pass"), std::string::npos);

    // Stopped and resumed: the same files; a resume without the clamps is refused.
    const std::string resumed = work / "resumed";
    TrainOptions stopping = options_for(resumed, corpus);
    stopping.stop_at_step = 6;
    train(config, stopping);
    TrainConfig unclamped = config;
    unclamped.clamps = {};
    TrainOptions resume = options_for(resumed, corpus);
    resume.resume = true;
    EXPECT_THROW_MESSAGE(train(unclamped, resume), "field 'clamps'");
    train(config, resume);
    for (const char* file : {"config.json", "train_loss.csv", "snapshots/step-000012.safetensors",
                             "snapshots/resume.safetensors"})
        EXPECT_TRUE(file_text(straight + "/" + file) == file_text(resumed + "/" + file)) << file;
}

TEST(TrainerClamps, ClampsThatAreNeverActiveTrainThePlainRun) {
    WordCorpus corpus;
    TempDir work;
    const TrainConfig plain = clamp_config(work / "corpus");
    TrainConfig later = plain;
    later.clamps = during(previous_token_clamp({0, 1}, 1.0), 1000, -1);  // after the run's last step
    train(plain, options_for(work / "plain", corpus));
    train(later, options_for(work / "later", corpus));
    EXPECT_EQ(file_text(work / "plain/train_loss.csv"), file_text(work / "later/train_loss.csv"));
    Transformer a = load_checkpoint(snapshot_path(work / "plain", 12)).model;
    Transformer b = load_checkpoint(snapshot_path(work / "later", 12)).model;
    std::vector<NamedParameter> pa = a.parameters(), pb = b.parameters();
    for (size_t i = 0; i < pa.size(); ++i)
        EXPECT_EQ(pa[i].var->value().to_vector(), pb[i].var->value().to_vector()) << pa[i].name;
}

TEST(TrainConfig, ClampsRoundTripAndAreCheckedAgainstTheModel) {
    TrainConfig config = find_preset("attn-2l").config;
    config.clamps = previous_token_clamp({0, 0}, 1.0);
    const json::Value v = config.to_json();
    ASSERT_TRUE(v.contains("clamps"));
    EXPECT_EQ(json::dump(TrainConfig::from_json(v, "c.json").to_json()), json::dump(v));

    json::Value bad_head = v;
    bad_head["clamps"] = previous_token_clamp({0, 4}, 1.0).to_json();  // attn-2l has heads 0-3
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(bad_head, "c.json"),
                         "c.json (clamps) clamps[0]: field 'head' 4 is not a head of this model");
    json::Value bad_layer = v;
    bad_layer["clamps"] = previous_token_clamp({2, 0}, 1.0).to_json();
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(bad_layer, "c.json"), "field 'layer' 2 is not a layer");
    json::Value labels = v;
    labels["clamps"] = induction_clamp({1, 0}, 1.0).to_json();
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(labels, "c.json"),
                         "value 'induction' reads the few-shot task's labels; a language model has none");
    json::Value typo = v;
    typo["clamps"] = json::Value::array();
    EXPECT_THROW_MESSAGE(TrainConfig::from_json(typo, "c.json"), "a clamp schedule must be an object");
}

}  // namespace induction::testing
