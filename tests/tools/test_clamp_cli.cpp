// test_clamp_cli.cpp — `induction clamp` end to end (METHODS §8): a run from a spec file writes
// its run directory and result with the clamps stored; experiments write their pages; a job
// that finished is not rerun. Runs the CLI ($INDUCTION_CLI, else build/induction).
#include <gtest/gtest.h>

#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tests/support/testing.h"

namespace induction::testing {

namespace {

// A short run: 640 sequences of batch 32, evaluated 4 times, the PT clamp on head 0:2.
const char* TINY_SPEC = R"({"run": {"sequences": 640, "eval_every": 160, "snapshots": 2, "learning_rate": 1e-3,
  "clamps": {"clamps": [{"site": "pattern", "layer": 0, "head": 2, "value": "previous_token"}]}},
  "probe_sequences": 200, "final_sequences": 400,
  "probes": [{"name": "match", "clamps": {"clamps": [{"site": "pattern", "layer": 1, "head": 3, "value": "induction",
              "positions": [4], "strength": 0.75}]}}]})";

}  // namespace

TEST(ClampCli, SpecRunWritesItsRunDirectory) {
    const std::string cli = induction_cli();
    if (cli.empty()) GTEST_SKIP() << "no induction CLI found (set INDUCTION_CLI)";
    TempDir dir;
    dir.write("spec.json", TINY_SPEC);
    const ShellResult r = run_shell("'" + cli + "' clamp --spec '" + (dir / "spec.json") + "' --out '" + (dir / "run") +
                                    "' --quiet --threads 1 2>&1");
    ASSERT_EQ(r.status, 0) << r.output;
    for (const char* file : {"config.json", "clamps.json", "spec.json", "eval.csv", "result.json",
                             "snapshots/step-0000000.safetensors", "snapshots/step-0000020.safetensors"})
        EXPECT_TRUE(file_exists(dir / ("run/" + std::string(file)))) << file;
    const json::Value result = json::read_file(dir / "run/result.json");
    ASSERT_EQ(result.at("evaluations").size(), 5u);  // steps 0, 5, 10, 15, 20
    ASSERT_EQ(result.at("probes").size(), 5u);
    const json::Value& probe = result.at("probes")[4];
    // The run's own clamp holds head 0:2 at previous-token attention 1; the probe's match clamp
    // of strength 0.75 gives head 1:3 an induction strength of 2s − 1 = 0.5 at evaluation time.
    EXPECT_NEAR(probe.at("previous_token")[2].as_number(), 1.0, 1e-6);
    EXPECT_LT(probe.at("previous_token")[1].as_number(), 0.99);
    EXPECT_EQ(probe.at("induction_strength").size(), 8u);
    EXPECT_TRUE(probe.at("match").contains("loss"));
    const json::Value clamps = json::read_file(dir / "run/clamps.json");
    EXPECT_EQ(clamps.at("clamps")[0].at("value").as_string(), "previous_token");
    EXPECT_EQ(result.at("final").at("previous_token").size(), 8u);
}

TEST(ClampCli, ToyExperimentWritesItsPage) {
    const std::string cli = induction_cli();
    if (cli.empty()) GTEST_SKIP() << "no induction CLI found (set INDUCTION_CLI)";
    TempDir dir;
    const ShellResult r = run_shell("'" + cli + "' clamp --experiment toy --out '" + (dir / "out") + "' --quiet 2>&1");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("toy model plateau"), std::string::npos) << r.output;
    const std::string page = read_file_bytes(dir / "out/toy.html");
    EXPECT_NE(page.find("<svg"), std::string::npos);
    EXPECT_NE(read_file_bytes(dir / "out/index.html").find("toy.html"), std::string::npos);
    const json::Value toy = json::read_file(dir / "out/toy.json");
    EXPECT_GT(toy.at("none").as_number(), toy.at("c").as_number());  // the unclamped run plateaus longest
}

}  // namespace induction::testing
