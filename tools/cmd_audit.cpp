// cmd_audit.cpp — `induction audit CHECKPOINT [--tokens FILE --ctx T] [--json]`.
//
// Audits the numerics of every registered fast backend (cpu; cuda once built in) on one snapshot:
// one forward and backward pass in f32 against the reference backend in f64 (analysis/audit.h,
// which states the policy and how it was chosen). Prints a table per backend (or, with --json,
// the same as JSON) and exits 1, with a one-line summary on stderr, when any tensor of any
// backend is outside the policy.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "analysis/audit.h"
#include "analysis/losses.h"
#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tensor/cpu/parallel.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "train/corpus.h"
#include "train/token_file.h"
#include "train/train_config.h"

namespace induction {

namespace {

// DIR/config.json of the run holding `checkpoint` (DIR/snapshots/step-N.safetensors).
std::string run_config_of(const std::string& checkpoint) {
    namespace fs = std::filesystem;
    return (fs::path(checkpoint).parent_path().parent_path() / "config.json").string();
}

// The first `rows` windows of T tokens of the held-out split of the corpus that the run holding
// `checkpoint` (DIR/snapshots/step-N.safetensors beside DIR/config.json) was trained on.
Tensor heldout_windows(const std::string& checkpoint, int64_t T, int64_t rows, int64_t vocab_size) {
    const std::string run_config = run_config_of(checkpoint);
    check(file_exists(run_config), checkpoint, ": no ", run_config, " of a run (DIR/snapshots/ beside ",
          "DIR/config.json) naming a corpus to take held-out tokens from; give --tokens FILE --ctx T");
    const TrainConfig train = TrainConfig::from_json(json::read_file(run_config), run_config);
    const CorpusInfo corpus = read_corpus_info(train.corpus_dir);
    check(corpus.vocab_size == vocab_size, "corpus ", corpus.dir, " has a vocabulary of ", corpus.vocab_size,
          ", the model ", vocab_size);
    TokenFile heldout = TokenFile::open(corpus.heldout_path(), corpus.token_type, corpus.vocab_size);
    rows = std::min(rows, heldout.size() / T);
    check(rows >= 1, corpus.heldout_path(), ": ", heldout.size(), " tokens, fewer than one window of ", T);
    std::vector<int32_t> ids(size_t(rows * T));
    heldout.copy(0, rows * T, ids.data());
    return Tensor::from_ints({rows, T}, ids);
}

// The context of the run holding `checkpoint`, else the model's n_ctx.
int64_t run_context(const std::string& checkpoint, int64_t n_ctx) {
    const std::string run_config = run_config_of(checkpoint);
    if (!file_exists(run_config)) return n_ctx;
    return TrainConfig::from_json(json::read_file(run_config), run_config).context;
}

// The rows audited: the first `batch` rows of --tokens, else of the run's held-out split.
Tensor audit_tokens(const Args& args, const std::string& checkpoint, const ModelConfig& config, int64_t batch) {
    const int64_t T = args.get_int("ctx", args.has("tokens") ? -1 : run_context(checkpoint, config.n_ctx));
    check(T >= 2 && T <= config.n_ctx, "--ctx must be in [2, n_ctx = ", config.n_ctx, "], got ", T);
    if (!args.has("tokens")) return heldout_windows(checkpoint, T, batch, config.d_vocab);
    Tensor rows = read_token_rows(args.get("tokens"), T, config.d_vocab);
    return rows.size(0) > batch ? rows.slice(0, batch).clone() : rows;
}

void print_entries(const AuditReport& report, AuditKind kind, const char* title, int name_width) {
    std::printf("\n%-*s %-18s %9s %9s %9s  %s\n", name_width, title, "shape", "max abs", "max rel", "nmse",
                "policy");
    for (const AuditEntry& e : report.entries) {
        if (e.kind != kind) continue;
        std::printf("%-*s %-18s %9s %9s %9s  %s\n", name_width, e.name.c_str(), e.shape.str().c_str(),
                    number_text(e.max_abs_error, "%.2e").c_str(), number_text(e.max_rel_error, "%.2e").c_str(),
                    number_text(e.nmse, "%.2e").c_str(), e.within ? "ok" : "OUTSIDE");
        if (!e.within) std::printf("%-*s   %s\n", name_width, "", e.problem.c_str());
    }
}

void print_report(const AuditReport& report) {
    const AuditPolicy& p = report.policy;
    std::printf("audit of the %s backend (f32) against the %s backend (f64): one forward and backward pass "
                "over %lld sequences of %lld tokens\n",
                report.backend.c_str(), report.reference.c_str(), (long long)report.sequences,
                (long long)report.tokens_per_sequence);
    std::printf("policy: every element |fast - ref| <= %g*rms(ref) + %g*|ref|, and nmse <= %g; "
                "max rel = max |fast - ref| / max(|ref|, rms(ref))\n", p.atol, p.rtol, p.max_nmse);
    int width = 24;
    for (const AuditEntry& e : report.entries) width = std::max(width, int(e.name.size()));
    print_entries(report, AuditKind::ACTIVATION, "activation", width);
    print_entries(report, AuditKind::GRADIENT, "parameter gradient", width);
    const int failures = report.failures();
    const std::string count = std::to_string(report.entries.size());
    const std::string verdict = failures == 0 ? "all " + count + " tensors within policy"
                                              : std::to_string(failures) + " of " + count + " tensors OUTSIDE policy";
    std::printf("\n%s: %s\n", report.backend.c_str(), verdict.c_str());
}

// A number for JSON: null where it is not finite (JSON has no NaN or infinity).
json::Value finite_or_null(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }

json::Value report_json(const AuditReport& report) {
    json::Value out = json::Value::object();
    out["backend"] = report.backend;
    out["reference"] = report.reference;
    out["sequences"] = report.sequences;
    out["tokens_per_sequence"] = report.tokens_per_sequence;
    json::Value policy = json::Value::object();
    policy["atol_times_rms"] = report.policy.atol;
    policy["rtol"] = report.policy.rtol;
    policy["max_nmse"] = report.policy.max_nmse;
    out["policy"] = policy;
    out["ok"] = report.ok();
    for (AuditKind kind : {AuditKind::ACTIVATION, AuditKind::GRADIENT}) {
        json::Value list = json::Value::array();
        for (const AuditEntry& e : report.entries) {
            if (e.kind != kind) continue;
            json::Value v = json::Value::object();
            v["name"] = e.name;
            json::Value shape = json::Value::array();
            for (int64_t d : e.shape.to_vector()) shape.push_back(d);
            v["shape"] = shape;
            v["reference_rms"] = finite_or_null(e.reference_rms);
            v["max_abs_error"] = finite_or_null(e.max_abs_error);
            v["max_rel_error"] = finite_or_null(e.max_rel_error);
            v["nmse"] = finite_or_null(e.nmse);
            v["within_policy"] = e.within;
            if (!e.within) v["problem"] = e.problem;
            list.push_back(v);
        }
        out[kind == AuditKind::ACTIVATION ? "activations" : "gradients"] = list;
    }
    return out;
}

int run_audit_command(const Args& args) {
    check(args.positional().size() == 1, "expected one CHECKPOINT argument");
    const int64_t batch = args.get_int("batch");
    check(batch >= 1, "option --batch must be at least 1, got ", batch);
    check(!args.has("tokens") || args.has("ctx"), "--tokens needs --ctx T (tokens per row)");
    cpu::set_max_threads(args.threads());
    const std::string checkpoint = args.positional()[0];
    const LoadedCheckpoint loaded = load_checkpoint(checkpoint, args.flag("allow-nonfinite"));
    const Tensor tokens = audit_tokens(args, checkpoint, loaded.model.config, batch);
    const std::vector<AuditReport> reports = audit_backends(loaded.model, tokens, audited_backends());
    json::Value all = json::Value::array();
    for (size_t i = 0; i < reports.size(); ++i) {
        if (args.flag("json")) all.push_back(report_json(reports[i]));
        else print_report(reports[i]), std::printf(i + 1 < reports.size() ? "\n" : "");
    }
    if (args.flag("json")) std::printf("%s\n", json::dump(all).c_str());
    std::fflush(stdout);
    for (const AuditReport& r : reports)
        if (const AuditEntry* first = r.first_failure())
            fail(r.backend, " backend: ", r.failures(), " of ", r.entries.size(),
                 " tensors outside the f32-vs-f64 policy, first ", first->name, " (", first->problem, ")");
    return 0;
}

}  // namespace

const Command AUDIT_COMMAND = {
    {"audit",
     "CHECKPOINT [--tokens FILE --ctx T] [options]",
     "Audits the numerics of every fast backend on a snapshot: one forward and backward pass in f32 against "
     "the reference backend in f64, per activation and parameter gradient; exits 1 if any is outside the "
     "tolerance policy.",
     {{"tokens", "FILE", "rows of T tokens, raw little-endian int32 (needs --ctx; default: windows of the "
                         "held-out split of the corpus named by the run's config.json)"},
      {"ctx", "T", "tokens per row, 2 to the model's n_ctx (default without --tokens: the run's training context)"},
      {"batch", "B", "rows audited in the one pass (the first B rows of --tokens or of the held-out split)", "4"},
      {"json", "", "print the reports as JSON: per backend, its policy and every tensor's errors"},
      threads_option(),
      allow_nonfinite_option()}},
    run_audit_command};

}  // namespace induction
