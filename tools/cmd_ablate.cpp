// cmd_ablate.cpp — `induction ablate CHECKPOINT [--mode pattern|full|value] [--heads SETS]
// [--tokens FILE --ctx T | --eval DIR] [--examples N] [--json]`: take heads out of one snapshot and measure what
// in-context learning and loss they carry (METHODS §5.1–§5.4; analysis/ablation.h).
//
// Tokens: --tokens (raw little-endian int32 rows of T tokens, as for `induction eval`), or the
// evaluation set stored in a run by `induction analyze` (--eval DIR, by default the run holding
// the checkpoint): all its windows by default, or the first N with --examples N (the analysis
// ablates every snapshot on the run's first curve_examples windows, so --examples 128 gives the
// numbers of metrics/<model>/ablations.json).
// --heads lists head sets separated by ';', each "L.H,L.H,..." ablated together; by default every
// single head in turn. ICL is the per-decade amount of §2.6 on these windows, with a bootstrap
// 95% interval over windows, and [OURS] its band-averaged variant (analysis/attribution.h);
// delta_icl = ablated − clean (negative: the heads carry ICL); delta_mean_loss over every token.
#include <cstdio>
#include <sstream>

#include "analysis/ablation.h"
#include "analysis/attribution_metrics.h"
#include "analysis/losses.h"
#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tensor/ops.h"
#include "tensor/rng.h"
#include "tools/analysis_inputs.h"
#include "tools/args.h"
#include "tools/commands.h"
#include "tools/format.h"

namespace induction {

namespace {

// The evaluation windows: --tokens FILE --ctx T, or a run's stored set (--eval DIR, or the run
// above DIR/<model>/snapshots/ that holds the checkpoint).
EvalSet evaluation_windows(const Args& args, const std::string& checkpoint, const ModelConfig& config) {
    check(!(args.has("tokens") && args.has("eval")), "give --tokens FILE --ctx T or --eval DIR, not both");
    if (args.has("tokens")) {
        check(args.has("ctx"), "--tokens needs --ctx T (the length of each row)");
        const int64_t T = args.get_int("ctx", 0);
        check(T >= 2 && T <= config.n_ctx, "--ctx must be in [2, n_ctx = ", config.n_ctx, "], got ", T);
        EvalSet eval;
        eval.tokens = read_token_rows(args.get("tokens"), T, config.d_vocab);
        Rng rng(1);  // random-token columns (§2.3) are not reported here, but the readings need them
        for (int64_t e = 0; e < eval.tokens.size(0); ++e) eval.random_column.push_back(rng.next_int(0, T - 1));
        return eval;
    }
    std::string metrics;
    if (args.has("eval")) {
        const std::string dir = args.get("eval");
        metrics = file_exists(dir + "/eval_set.json") ? dir : dir + "/metrics";
    } else {
        metrics = run_metrics_dir_of(checkpoint);
    }
    check(file_exists(metrics + "/eval_set.json"), "no evaluation set at ", metrics,
          "/eval_set.json: give --tokens FILE --ctx T, or --eval DIR for a run analyzed by `induction analyze`");
    EvalSet eval = read_eval_set(metrics, config.d_vocab);
    check(eval.tokens.size(1) <= config.n_ctx, metrics, "/eval_set.json: context ", eval.tokens.size(1),
          " exceeds the model's n_ctx = ", config.n_ctx);
    return eval;
}

std::vector<HeadSet> head_sets(const Args& args, const ModelConfig& config) {
    if (!args.has("heads")) return single_heads(config);
    std::vector<HeadSet> sets;
    std::stringstream list(args.get("heads"));
    std::string text;
    while (std::getline(list, text, ';')) sets.push_back(parse_head_set(text, config));
    check(!sets.empty(), "--heads: expected L.H,L.H,... with sets separated by ';'");
    return sets;
}

double mean_of(const Tensor& losses) { return mean(losses.reshape({losses.numel()}), 0).item(); }

std::string with_interval(const Estimate& e) {
    return number_text(e.value, "%+.3f") + " [" + number_text(e.lo, "%+.3f") + ", " + number_text(e.hi, "%+.3f") + "]";
}

int run_ablate_command(const Args& args) {
    check(args.positional().size() == 1, "expected one CHECKPOINT argument");
    cpu::set_max_threads(args.threads());
    const std::string checkpoint = args.positional()[0];
    const AblationMode mode = ablation_mode_from_name(args.get("mode"));
    const int64_t batch = args.get_int("batch");
    check(batch >= 1, "--batch must be at least 1, got ", batch);
    LoadedCheckpoint loaded = load_checkpoint(checkpoint, args.flag("allow-nonfinite"));
    const ModelConfig& config = loaded.model.config;
    const std::vector<HeadSet> sets = head_sets(args, config);
    const int64_t examples = args.get_int("examples");  // 0: every window
    check(examples >= 0, "--examples must be at least 0 (0: every window), got ", examples);
    const EvalSet all = evaluation_windows(args, checkpoint, config);
    const EvalSet eval = examples > 0 ? leading_rows(all, examples) : all;
    const AttributionColumns columns = attribution_columns(eval);  // checks the context is long enough
    const int64_t N = eval.tokens.size(0), T = eval.tokens.size(1);

    AblationSweep sweep = ablation_sweep(loaded.model, eval.tokens, every_column(N, T), sets, mode, batch);
    const BootstrapPlan plan = make_bootstrap_plan(N);
    const ExampleReadings clean = read_examples(pick_columns(sweep.clean, columns.columns), columns);
    const Estimate clean_icl = mean_with_interval(clean.icl, plan);
    const Estimate clean_band = mean_with_interval(clean.icl_band, plan);
    const double clean_loss = mean_of(sweep.clean);

    json::Value out = json::Value::object();
    out["checkpoint"] = checkpoint;
    out["mode"] = ablation_mode_name(mode);
    out["examples"] = N;
    out["context"] = T;
    out["icl_lo"] = columns.indices.i_lo;
    out["icl_hi"] = columns.indices.i_hi;
    json::Value clean_json = json::Value::object();
    clean_json["icl_amount"] = clean_icl.value;
    clean_json["icl_amount_ci"] = interval(clean_icl);
    clean_json["icl_amount_band"] = clean_band.value;
    clean_json["icl_amount_band_ci"] = interval(clean_band);
    clean_json["mean_loss"] = clean_loss;
    out["clean"] = clean_json;
    json::Value ablations = json::Value::array();
    std::vector<AblationEffect> effects;
    std::vector<double> delta_mean_loss;
    for (size_t s = 0; s < sets.size(); ++s) {
        effects.push_back(
            ablation_effect(clean, read_examples(pick_columns(sweep.ablated[s], columns.columns), columns), plan));
        delta_mean_loss.push_back(mean_of(sweep.ablated[s]) - clean_loss);
        json::Value a = effect_json(effects.back());
        a["heads"] = head_set_json(sets[s]);
        a["mode"] = ablation_mode_name(mode);
        a["delta_mean_loss"] = delta_mean_loss.back();
        ablations.push_back(a);
    }
    out["ablations"] = ablations;
    if (args.flag("json")) {
        std::printf("%s\n", json::dump(out).c_str());
        return 0;
    }
    std::printf("%s: %s ablation (METHODS §5) on %lld windows of %lld tokens\n", checkpoint.c_str(),
                ablation_mode_name(mode), (long long)N, (long long)T);
    std::printf("clean: ICL %s nats/decade (L(%lld) − L(%lld)), band-averaged %s [OURS]; mean loss %.4f\n\n",
                with_interval(clean_icl).c_str(), (long long)columns.indices.i_lo,
                (long long)columns.indices.i_hi, with_interval(clean_band).c_str(), clean_loss);
    std::printf("%-14s %9s  %-28s %-28s %10s\n", "heads", "ICL", "ΔICL [95% CI]", "ΔICL band [95% CI]",
                "Δ mean loss");
    for (size_t s = 0; s < sets.size(); ++s)
        std::printf("%-14s %9s  %-28s %-28s %+10.4f\n", head_set_name(sets[s]).c_str(),
                    number_text(effects[s].icl.value, "%.3f").c_str(), with_interval(effects[s].delta_icl).c_str(),
                    with_interval(effects[s].delta_icl_band).c_str(), delta_mean_loss[s]);
    std::printf("\nΔICL = ablated − clean ICL amount per decade: negative when the heads carry in-context "
                "learning ([O]: almost all of it sits in the induction heads)\n");
    return 0;
}

}  // namespace

const Command ABLATE_COMMAND = {
    {"ablate", "CHECKPOINT [options]",
     "Ablates heads of one snapshot (every single head in turn by default) and measures the in-context "
     "learning and loss they carry.",
     {{"mode", "pattern|full|value",
       "pattern: the heads' outputs zeroed, every attention pattern kept as in the clean run (§5.2); full: the "
       "heads' outputs zeroed, everything downstream recomputed (§5.1); value: the heads' values zeroed, every "
       "other head's values kept (§5.3)",
       "pattern"},
      {"heads", "L.H,L.H,...[;L.H,...]",
       "head sets separated by ';', each ablated together (default: every single head in turn)"},
      {"tokens", "FILE", "evaluation rows: raw little-endian int32, rows of T tokens (needs --ctx)"},
      {"ctx", "T", "tokens per row of --tokens, 2 to the model's n_ctx"},
      {"eval", "DIR",
       "the evaluation set stored by `induction analyze` in DIR or DIR/metrics (default: that of the run holding "
       "the checkpoint)"},
      {"examples", "N", "the first N windows only; 0: every window (`--examples 128` gives the analysis's numbers)",
       "0"},
      {"batch", "N", "windows per forward pass, at least 1", "16"},
      threads_option(),
      {"json", "", "print the clean and ablated readings as JSON"},
      allow_nonfinite_option()}},
    run_ablate_command};

}  // namespace induction
