// test_lm_bridge.cpp — the language-model bridge (tools/clamp/lm_bridge.h) on a tiny model and a
// fake corpus: both runs trained from the same initialisation, measured at every snapshot, the
// files written; a finished unclamped run reused, and one of another config refused; and the
// evaluators' pattern clamp equal to the one the trainer applies (model/clamp.h).
#include <cmath>
#include <filesystem>

#include "model/checkpoint.h"
#include "model/io/csv.h"
#include "model/io/file_io.h"
#include "tests/support/testing.h"
#include "tools/clamp/lm_bridge.h"
#include "train/trainer.h"

namespace induction::testing {

namespace {

// Text of a few hundred made-up words, enough held-out windows of 128 tokens for the §2.1
// evaluation set and enough distinct tokens for the §3 evaluator examples.
struct WordCorpus {
    TempDir root;
    std::vector<CorpusSource> sources;
    WordCorpus() {
        Rng rng(5);
        const char* syllables[] = {"ka", "lo", "mi", "nu", "pe", "ri", "so", "ta", "ve", "zu", "qua", "dri"};
        std::vector<std::string> words;
        for (int w = 0; w < 300; ++w) {
            std::string word;
            for (int s = 0, n = 1 + rng.next_int(0, 3); s < n; ++s) word += syllables[rng.next_int(0, 12)];
            words.push_back(word);
        }
        for (int doc = 0; doc < 40; ++doc) {
            std::string text;
            for (int i = 0; i < 400; ++i) text += words[size_t(rng.next_int(0, 300))] + (i % 15 ? " " : ".\n");
            root.write("docs/doc" + std::to_string(doc) + ".txt", text);
        }
        sources = {{"docs", "fake-package", "docs/**/*.txt", "test", SourceFormat::TEXT_FILES, {}, 0}};
    }
};

TrainConfig tiny_lm_config(const std::string& corpus_dir) {
    TrainConfig c;
    c.name = "tiny-lm";
    c.model.n_layers = 2;
    c.model.d_model = 16;
    c.model.n_heads = 2;
    c.model.d_head = 8;
    c.model.d_vocab = 300;
    c.model.n_ctx = 128;
    c.batch_size = 2;
    c.context = 128;
    c.steps = 30;
    c.schedule.learning_rate = 1e-2;
    c.schedule.warmup_steps = 2;
    c.snapshot_every = 5;
    c.corpus_dir = corpus_dir;
    return c;
}

LmBridgeOptions tiny_options(const std::string& out, const TrainConfig& config, const WordCorpus& corpus) {
    LmBridgeOptions o;
    o.out_dir = out;
    o.config = config;
    o.quiet = true;
    o.threads = 1;  // a tiny model: one core is fastest, and the test shares the machine
    o.corpus_sources = corpus.sources;
    o.corpus_root = corpus.root.path;
    return o;
}

Tensor random_tokens(int64_t B, int64_t T, int32_t vocab, uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> ids(size_t(B * T));
    for (int32_t& id : ids) id = int32_t(rng.next_int(0, vocab));
    return Tensor::from_ints({B, T}, ids);
}

}  // namespace

TEST(LmBridge, EvaluatorPatternClampIsTheTrainersClamp) {
    ModelConfig config = small_model_config();
    const Transformer model = make_transformer(config, 2);
    const Tensor tokens = random_tokens(3, 16, int32_t(config.d_vocab), 4);
    // Full strength on one head; mid-ramp on given rows of every layer (strength 0.5 at step 5).
    ClampSchedule ramped = during(previous_token_clamp({1, 2}, 0.8), 0, -1, 10, 0.2);
    ramped.clamps[0].layers = {};
    ramped.clamps[0].positions = {3, 7, 8};
    for (const ClampSchedule& schedule : {previous_token_clamp({0, 1}, 1.0), ramped}) {
        NoGrad no_grad;
        Interventions trainer, evaluator = pattern_clamp_interventions(schedule, 5, config.n_layers);
        for (int l = 0; l < config.n_layers; ++l) {
            trainer.capture(Site::PATTERN, l);
            evaluator.capture(Site::PATTERN, l);
        }
        lm_forward(model, tokens, schedule, 5, &trainer);
        forward(model, tokens, &evaluator);
        for (int l = 0; l < config.n_layers; ++l)
            EXPECT_EQ(trainer.captured(Site::PATTERN, l).to_vector(), evaluator.captured(Site::PATTERN, l).to_vector())
                << "layer " << l;
    }
    ClampSchedule zero = previous_token_clamp({0, 0}, 1.0);
    zero.clamps[0].value.kind = ClampValueKind::ZERO;
    EXPECT_THROW_MESSAGE(pattern_clamp_interventions(zero, 0, 2), "previous-token pattern clamps only");
}

TEST(LmBridge, FigureShadesOnlyPhaseChangeWindows) {
    LmBridgeResult r;
    r.preset = "attn-2l";
    for (LmBridgeRun* run : {&r.unclamped, &r.clamped_run}) {
        run->name = run == &r.unclamped ? "unclamped" : "clamped";
        run->tokens_per_step = 100;
        run->induction_head = {1, 0};
        for (int64_t step = 0; step <= 400; step += 100) {
            run->steps.push_back(step);
            HeadTable table(2, 1, double(step) / 1000);
            run->prefix.push_back(table);
            run->prefix_bare.push_back(table);
        }
    }
    r.clamped_run.phase_change = true;  // steps 100-300: a band; the unclamped run's ICL-only window: none
    r.clamped_run.window.found = r.clamped_run.window.both_found = true;
    r.clamped_run.window.window = {10000, 30000};
    r.unclamped.window.found = true;
    r.unclamped.window.window = {0, 10000};
    const std::string figure = lm_bridge_svg(r);
    EXPECT_NE(figure.find("<title>clamped phase-change window</title>"), std::string::npos);
    EXPECT_EQ(figure.find("<title>unclamped phase-change window</title>"), std::string::npos);
    EXPECT_NE(figure.find("clamped L1H0 without its clamp"), std::string::npos);
}

TEST(LmBridge, TrainsMeasuresAndComparesBothRuns) {
    WordCorpus corpus;
    TempDir work;
    const TrainConfig config = tiny_lm_config(work / "corpus");
    const LmBridgeResult r = run_lm_bridge(tiny_options(work / "bridge", config, corpus));

    // Same initialisation; only the clamped run carries the clamp.
    const LoadedCheckpoint a = load_checkpoint(snapshot_path(work / "bridge/unclamped", 0));
    const LoadedCheckpoint b = load_checkpoint(snapshot_path(work / "bridge/clamped", 0));
    EXPECT_EQ(a.model.W_E.value().to_vector(), b.model.W_E.value().to_vector());
    EXPECT_EQ(a.get("clamps"), "");
    EXPECT_EQ(b.get("clamps"), json::dump(previous_token_clamp({0, 0}, 1.0).to_json()));

    const std::vector<int64_t> steps = {0, 5, 10, 15, 20, 25, 30};
    for (const LmBridgeRun* run : {&r.unclamped, &r.clamped_run}) {
        EXPECT_EQ(run->steps, steps) << run->name;
        EXPECT_FALSE(run->reused) << run->name;
        EXPECT_EQ(run->prefix.size(), steps.size());
        EXPECT_EQ(run->induction_head.layer, 1);
        EXPECT_TRUE(std::isfinite(run->final_loss) && std::isfinite(run->final_icl_band)) << run->name;
        for (const HeadTable& t : run->prefix)
            for (double x : t.values) EXPECT_TRUE(x >= 0 && x <= 1) << run->name;
    }
    // The unclamped run has one measurement; the clamped run's bare weights differ from it as run.
    for (size_t k = 0; k < steps.size(); ++k) EXPECT_EQ(r.unclamped.prefix[k].values, r.unclamped.prefix_bare[k].values);
    EXPECT_NE(r.clamped_run.prefix[0].values, r.clamped_run.prefix_bare[0].values);
    EXPECT_TRUE(std::isnan(r.unclamped.final_loss_bare));
    EXPECT_TRUE(std::isfinite(r.clamped_run.final_loss_bare));

    const json::Value v = json::read_file(work / "bridge/lm_bridge.json");
    EXPECT_EQ(v.at("runs").at("clamped").at("snapshots").at("steps").size(), steps.size());
    const csv::Table table = csv::read_file(work / "bridge/lm_bridge.csv");
    EXPECT_EQ(table.rows.size(), steps.size());
    // step, tokens; per run: loss, ICL, prefix of layer 1's 2 heads (twice for the clamped run), 2 PT scores.
    EXPECT_EQ(table.header.size(), 2u + 6 + 8);
    EXPECT_EQ(table.header[12], "clamped_prefix_bare_L1H0");
    const std::string figure = read_file_bytes(work / "bridge/lm_bridge.svg");
    EXPECT_EQ(figure.rfind("<svg", 0), 0u);
    EXPECT_NE(figure.find("clamped L1H"), std::string::npos);
    EXPECT_NE(r.summary().find("strongest induction head"), std::string::npos);

    // Finished runs are reused as they are (a given unclamped run too); a given run of another
    // config is refused by field, before anything is trained.
    LmBridgeOptions reuse = tiny_options(work / "bridge", config, corpus);
    reuse.unclamped_run = work / "given";
    std::filesystem::rename(work / "bridge/unclamped", work / "given");
    const LmBridgeResult again = run_lm_bridge(reuse);
    EXPECT_TRUE(again.unclamped.reused);
    EXPECT_TRUE(again.clamped_run.reused);
    EXPECT_EQ(again.unclamped.prefix.back().values, r.unclamped.prefix.back().values);
    EXPECT_EQ(again.clamped_run.prefix.back().values, r.clamped_run.prefix.back().values);
    reuse.steps = 20;
    EXPECT_THROW_MESSAGE(run_lm_bridge(reuse), "config.json: field 'steps' is 30 where the bridge's tiny-lm run has 20");
}

}  // namespace induction::testing
