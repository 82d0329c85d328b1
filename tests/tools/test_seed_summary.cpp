// test_seed_summary.cpp — the summary of `induction run --seeds N` (tools/seed_summary.h) on fake
// per-seed metrics: verdict counts, mean / sample sd / range, the final-ICL fallback, the files it
// writes; and the CLI's one-line error for a bad --seeds value before anything is trained.
#include <cmath>

#include "model/io/file_io.h"
#include "tests/support/testing.h"
#include "tools/seed_summary.h"

namespace induction::testing {

namespace {

// phase.json as analysis writes it; window < 0 for none.
std::string phase_json(bool phase_change, double start_step, double end_step, double frac) {
    std::string window = start_step < 0
                             ? "null"
                             : "{\"start_tokens\": " + std::to_string(start_step * 4096) +
                                   ", \"end_tokens\": " + std::to_string(end_step * 4096) +
                                   ", \"start_step\": " + std::to_string(start_step) +
                                   ", \"end_step\": " + std::to_string(end_step) + "}";
    return std::string("{\"verdict\": \"") + (phase_change ? "phase change" : "no phase change") +
           "\", \"reason\": \"test\", \"window\": " + window +
           ", \"icl\": {\"found\": true, \"frac_in_window\": " + std::to_string(frac) + "}}";
}

// snapshots.json with two snapshots; final_icl only when final >= 0 is given.
std::string snapshots_json(int seed, double last_icl, double final = -1) {
    std::string s = "{\"model\": \"m\", \"config\": {\"seed\": " + std::to_string(seed - 1) +
                    ", \"data_seed\": " + std::to_string(seed - 1) + "}, ";
    if (final >= 0)
        s += "\"final_icl\": {\"examples\": 100, \"per_decade\": " + std::to_string(final) +
             ", \"per_decade_ci\": [" + std::to_string(final - 0.01) + ", " + std::to_string(final + 0.01) +
             "], \"band\": 0.5, \"band_ci\": [0.4, 0.6]}, ";
    return s + "\"snapshots\": [{\"step\": 0, \"icl_per_decade\": 0.0}, {\"step\": 100, \"icl_per_decade\": " +
           std::to_string(last_icl) + "}]}";
}

// Three seeds of two models: "steady" finds a phase change every time (windows 100-300, 200-400,
// 300-500), "mixed" in seeds 1 and 3 only.
void write_fake_run(const TempDir& dir, bool with_final_icl) {
    const double steady_icl[] = {0.6, 0.7, 0.8};
    for (int k = 1; k <= 3; ++k) {
        const std::string seed = "seed-" + std::to_string(k) + "/metrics/";
        dir.write(seed + "steady/phase.json", phase_json(true, 100.0 * k, 100.0 * k + 200, 0.9 + 0.05 * (k - 2)));
        dir.write(seed + "steady/snapshots.json",
                  snapshots_json(k, steady_icl[k - 1] - 0.1, with_final_icl ? steady_icl[k - 1] : -1));
        const bool found = k != 2;
        dir.write(seed + "mixed/phase.json", phase_json(found, found ? 50 : -1, found ? 150 + 10 * k : -1, found ? 1 : 0));
        dir.write(seed + "mixed/snapshots.json", snapshots_json(k, 0.2, with_final_icl ? 0.3 : -1));
    }
}

}  // namespace

TEST(SeedSummary, StatGivesMeanSampleSdAndRange) {
    SeedStat s = seed_stat({1, 2, 3, 4});
    EXPECT_EQ(s.n, 4);
    EXPECT_DOUBLE_EQ(s.mean, 2.5);
    EXPECT_DOUBLE_EQ(s.sd, std::sqrt(5.0 / 3.0));  // sample sd: sum of squares / (n - 1)
    EXPECT_EQ(s.min, 1);
    EXPECT_EQ(s.max, 4);
    SeedStat one = seed_stat({7});
    EXPECT_EQ(one.mean, 7);
    EXPECT_TRUE(std::isnan(one.sd));
    EXPECT_TRUE(std::isnan(seed_stat({}).mean));
}

TEST(SeedSummary, CountsVerdictsAndSummarisesWindows) {
    TempDir dir;
    write_fake_run(dir, true);
    SeedSummary summary = summarize_seeds(dir.path, 3, {"steady", "mixed"});
    ASSERT_EQ(summary.models.size(), 2u);
    EXPECT_TRUE(summary.icl_from_final_icl);

    const SeedModelSummary& steady = summary.models[0];
    EXPECT_EQ(steady.model, "steady");
    EXPECT_EQ(steady.phase_changes, 3);
    EXPECT_EQ(steady.start_step.n, 3);
    EXPECT_DOUBLE_EQ(steady.start_step.mean, 200);
    EXPECT_DOUBLE_EQ(steady.start_step.sd, 100);
    EXPECT_DOUBLE_EQ(steady.end_step.mean, 400);
    EXPECT_DOUBLE_EQ(steady.end_step.min, 300);
    EXPECT_DOUBLE_EQ(steady.end_step.max, 500);
    EXPECT_DOUBLE_EQ(steady.start_tokens.mean, 200 * 4096);
    EXPECT_NEAR(steady.frac_in_window.mean, 0.9, 1e-12);
    EXPECT_NEAR(steady.frac_in_window.sd, 0.05, 1e-12);
    EXPECT_NEAR(steady.final_icl.mean, 0.7, 1e-12);  // final_icl, not the last snapshot (0.6)
    EXPECT_NEAR(steady.final_icl.sd, 0.1, 1e-12);
    EXPECT_EQ(steady.final_icl_band.n, 3);  // the band-averaged [OURS] final ICL, 0.5 in every run
    EXPECT_NEAR(steady.final_icl_band.mean, 0.5, 1e-12);
    EXPECT_EQ(steady.runs[1].init_seed, 1);
    EXPECT_EQ(steady.runs[1].data_seed, 1);
    EXPECT_NEAR(steady.runs[0].final_icl_lo, 0.59, 1e-12);

    const SeedModelSummary& mixed = summary.models[1];
    EXPECT_EQ(mixed.phase_changes, 2);
    EXPECT_FALSE(mixed.runs[1].has_window);
    EXPECT_EQ(mixed.end_step.n, 2);  // only the seeds that found a window
    EXPECT_DOUBLE_EQ(mixed.end_step.mean, 170);
    EXPECT_NEAR(mixed.end_step.sd, std::sqrt(200.0), 1e-9);
    EXPECT_EQ(mixed.start_step.sd, 0);

    std::string md = seed_summary_markdown(summary);
    EXPECT_NE(md.find("| steady | ✓ ✓ ✓ | 3/3 phase change | 200 ± 100 [100–300] | 400 ± 100 [300–500] |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("| mixed | ✓ ✗ ✓ | 2/3 phase change | 50 ± 0 [50–50] (n=2) | 170 ± 14 [160–180] (n=2) |"),
              std::string::npos) << md;
    EXPECT_NE(md.find("final ICL per decade (final_icl)"), std::string::npos) << md;
    EXPECT_NE(md.find("0.700 ± 0.100 [0.600–0.800]"), std::string::npos) << md;
}

TEST(SeedSummary, FallsBackToLastSnapshotIclWhenAnyRunLacksFinalIcl) {
    TempDir dir;
    write_fake_run(dir, true);
    dir.write("seed-2/metrics/mixed/snapshots.json", snapshots_json(2, 0.2));  // no final_icl here
    SeedSummary summary = summarize_seeds(dir.path, 3, {"steady", "mixed"});
    EXPECT_FALSE(summary.icl_from_final_icl);
    EXPECT_NEAR(summary.models[0].final_icl.mean, 0.6, 1e-12);  // last snapshots: 0.5, 0.6, 0.7
    EXPECT_NEAR(summary.models[1].final_icl.mean, 0.2, 1e-12);
    EXPECT_NE(seed_summary_markdown(summary).find("last snapshot's icl_per_decade"), std::string::npos);
}

TEST(SeedSummary, WritesJsonAndMarkdown) {
    TempDir dir;
    write_fake_run(dir, false);
    SeedSummary summary = summarize_seeds(dir.path, 3, {"steady", "mixed"});
    std::string md = write_seed_summary(dir.path, summary);
    EXPECT_EQ(read_file_bytes(dir / "seeds.md"), md);
    json::Value v = json::read_file(dir / "seeds.json");
    EXPECT_EQ(v.at("seeds").as_int(), 3);
    EXPECT_EQ(v.at("final_icl_source").as_string(), "snapshots[-1].icl_per_decade");
    const json::Value& mixed = v.at("models")[1];
    EXPECT_EQ(mixed.at("model").as_string(), "mixed");
    EXPECT_EQ(mixed.at("phase_changes").as_int(), 2);
    EXPECT_TRUE(mixed.at("runs")[1].at("window").is_null());
    EXPECT_EQ(mixed.at("runs")[1].at("verdict").as_string(), "no phase change");
    EXPECT_DOUBLE_EQ(mixed.at("window").at("end_step").at("mean").as_number(), 170);
    EXPECT_TRUE(v.at("models")[0].at("runs")[0].at("final_icl").is_null());
}

TEST(SeedSummary, MissingSeedNamesTheFile) {
    TempDir dir;
    write_fake_run(dir, true);
    EXPECT_THROW_MESSAGE(summarize_seeds(dir.path, 4, {"steady"}), "seed-4/metrics/steady/phase.json");
}

// `induction run --seeds X` with a bad X: exit status 1, one line naming the option, nothing
// trained. The CLI is $INDUCTION_CLI (make test, ctest), else build/induction beside build/tests/.
TEST(SeedSummary, CliRejectsBadSeedsBeforeTraining) {
    const std::string cli = induction_cli();
    if (cli.empty()) GTEST_SKIP() << "no induction CLI found (set INDUCTION_CLI)";
    TempDir dir;
    const std::pair<const char*, const char*> cases[] = {
        {"0", "option --seeds must lie in [1, 100], got 0"},
        {"101", "option --seeds must lie in [1, 100], got 101"},
        {"two", "option --seeds expects an integer, got 'two'"},
    };
    for (const auto& [value, message] : cases) {
        const std::string out = dir / "run";
        const ShellResult result = run_shell("'" + cli + "' run --quick --quiet --steps 1 --out '" + out +
                                             "' --seeds " + value + " 2>&1");
        EXPECT_EQ(result.status, 1) << result.output;
        EXPECT_EQ(result.output, std::string("induction run: ") + message + "\n");
        EXPECT_FALSE(file_exists(out)) << "--seeds " << value << " made the run directory";
    }
}

}  // namespace induction::testing
