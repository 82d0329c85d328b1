// trainer.cpp — the training loop, and the run directory it keeps resumable at every moment.
#include "train/trainer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/io/csv.h"
#include "model/io/file_io.h"
#include "tensor/cpu/parallel.h"
#include "tensor/finite.h"
#include "train/batches.h"
#include "train/corpus.h"
#include "train/progress.h"
#include "train/resume_state.h"

namespace induction {

namespace {

const char* const LOSS_CSV_HEADER = "step,tokens,loss,grad_norm,lr,weight_decay\n";

std::string resume_path(const std::string& run_dir) { return run_dir + "/snapshots/resume.safetensors"; }
std::string config_path(const std::string& run_dir) { return run_dir + "/config.json"; }
std::string loss_csv_path(const std::string& run_dir) { return run_dir + "/train_loss.csv"; }

std::string format(const char* pattern, double value) {
    char text[64];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

// Appends a line to train.log (and echoes it unless quiet).
class RunLog {
public:
    RunLog(const std::string& path, bool quiet) : file_(path), quiet_(quiet) {}
    void line(const std::string& text) {
        file_.append(text + "\n");
        if (!quiet_) std::fprintf(stderr, "%s\n", text.c_str());
    }

private:
    AppendFile file_;
    bool quiet_;
};

// The first field where two JSON configs differ ("model.d_model"), or "" when they are equal.
std::string first_difference(const json::Value& a, const json::Value& b, const std::string& prefix = "") {
    if (a.is_object() && b.is_object()) {
        for (const auto& [key, value] : a.members()) {
            if (!b.contains(key)) return prefix + key;
            std::string inner = first_difference(value, b.at(key), prefix + key + ".");
            if (!inner.empty()) return inner;
        }
        for (const auto& [key, value] : b.members())
            if (!a.contains(key)) return prefix + key;
        return "";
    }
    if (json::dump(a) == json::dump(b)) return "";
    return prefix.empty() ? std::string("(the whole config)") : prefix.substr(0, prefix.size() - 1);
}

const json::Value& field_of(const json::Value& config, const std::string& dotted) {
    const json::Value* v = &config;
    size_t begin = 0;
    while (true) {
        size_t dot = dotted.find('.', begin);
        const std::string key = dotted.substr(begin, dot - begin);
        if (!v->is_object() || !v->contains(key)) {
            static const json::Value absent;
            return absent;
        }
        v = &v->at(key);
        if (dot == std::string::npos) return *v;
        begin = dot + 1;
    }
}

// A run's config is fixed once it has started: a resume that asks for anything else is refused.
void check_same_config(const TrainConfig& stored, const TrainConfig& asked, const std::string& run_dir,
                       int64_t reached_step) {
    const json::Value a = stored.to_json(), b = asked.to_json();
    const std::string field = first_difference(a, b);
    if (field.empty()) return;
    check(!(field == "steps" && asked.steps <= reached_step), config_path(run_dir), ": this command asks for ",
          asked.steps, " steps, but the run has already reached step ", reached_step, "; nothing was changed");
    fail(config_path(run_dir), ": field '", field, "' is ", json::dump(field_of(a, field)), ", this command asks ",
         json::dump(field_of(b, field)), "; a run's config cannot change once it has started (train into a new "
         "--out instead); nothing was changed");
}

// The rows of train_loss.csv for steps [0, keep_below), as text and as losses: what a resume
// keeps. A row cut short by a kill, or rows past keep_below, are dropped (the steps rerun).
struct LossRows {
    std::string text = LOSS_CSV_HEADER;
    std::vector<double> losses;
    bool whole_file = true;  // the file held nothing else (no rows past keep_below, no cut row)
};

LossRows loss_rows_before(const std::string& path, int64_t keep_below) {
    LossRows rows;
    if (keep_below == 0 && !file_exists(path)) return rows;
    const std::string bytes = read_file_bytes(path);
    check(bytes.rfind(LOSS_CSV_HEADER, 0) == 0, path, ": expected the header \"step,tokens,loss,...\"");
    size_t begin = std::string(LOSS_CSV_HEADER).size();
    for (int64_t step = 0; step < keep_below; ++step) {
        const size_t end = bytes.find('\n', begin);
        check(end != std::string::npos, path, ": holds the losses of steps [0, ", step, ") but the resume state "
              "is at step ", keep_below, "; expected a row for every step before it");
        const std::string line = bytes.substr(begin, end - begin);
        const std::vector<std::string> cells = csv::split_line(line);  // step, tokens, loss, ...
        int64_t row_step = -1;
        std::from_chars(cells[0].data(), cells[0].data() + cells[0].size(), row_step);
        check(row_step == step && cells.size() >= 4, path, ": row ", step + 2, " is \"", line, "\", expected step ",
              step);
        rows.losses.push_back(std::strtod(cells[2].c_str(), nullptr));
        rows.text += line + "\n";
        begin = end + 1;
    }
    rows.whole_file = begin == bytes.size();
    return rows;
}

// Refuses to snapshot weights that are no longer finite (the step before diverged).
void check_finite_parameters(const std::vector<NamedParameter>& parameters, int64_t step,
                             const std::string& run_dir, RunLog& log) {
    for (const NamedParameter& p : parameters) {
        if (first_nonfinite_index(p.var->value()) < 0) continue;
        const std::vector<int64_t> kept = list_snapshots(run_dir);
        const std::string last = kept.empty() ? std::string("(none)") : snapshot_path(run_dir, kept.back());
        log.line("training stopped: parameter '" + p.name + "' became non-finite before step " +
                 std::to_string(step) + "; the last good snapshot is " + last);
        fail("training diverged before step ", step, " (parameter '", p.name,
             "' is not finite); the last good snapshot is ", last);
    }
}

}  // namespace

ClampedModel lm_clamped_model(const Transformer& model, const Tensor& tokens) {
    ClampedModel m;
    m.model = &model;
    m.embed = [&model, tokens] { return embed(model, tokens); };
    m.readout = [&model](const Var& residual) { return unembed(model, residual); };
    m.other_model = [tokens](const std::string& checkpoint, Site site, int layer) {
        return checkpoint_activation(checkpoint, site, layer, [&](const Transformer& other, Interventions& capture) {
            forward(other, tokens, &capture);
        });
    };
    return m;
}

Var lm_forward(const Transformer& model, const Tensor& tokens, const ClampSchedule& clamps, int64_t step,
               Interventions* interventions) {
    if (clamps.empty()) return forward(model, tokens, interventions);
    Interventions none;
    return clamped_forward(clamps, step, lm_clamped_model(model, tokens), interventions ? *interventions : none);
}

StepTensors train_step_on_device(Transformer& model, AdamW& optimizer,
                                 const std::vector<AdamWParameter>& trainable, const Tensor& batch,
                                 const TrainConfig& config, int64_t step) {
    Var losses = next_token_losses(lm_forward(model, batch, config.clamps, step), batch);  // [B, T-1]
    Var loss = mean(reshape(losses, {losses.value().numel()}), 0);
    backward(loss);  // a non-finite loss gives a non-finite norm, and AdamW then updates nothing
    Tensor grad_norm = global_grad_norm(trainable);
    optimizer.step(config.schedule.learning_rate_at(step), config.schedule.weight_decay_at(step), grad_norm,
                   config.grad_clip > 0 ? config.grad_clip : INFINITY);
    for (const AdamWParameter& p : trainable) p.var->zero_grad();
    return {loss.value(), grad_norm};
}

StepResult train_step(Transformer& model, AdamW& optimizer, const std::vector<AdamWParameter>& trainable,
                      const Tensor& batch, const TrainConfig& config, int64_t step) {
    StepTensors on_device = train_step_on_device(model, optimizer, trainable, batch, config, step);
    return {on_device.loss.item(), on_device.grad_norm.item()};
}

std::string snapshot_path(const std::string& run_dir, int64_t step) {
    char name[64];
    std::snprintf(name, sizeof name, "/snapshots/step-%06lld.safetensors", (long long)step);
    return run_dir + name;
}

std::vector<int64_t> list_snapshots(const std::string& run_dir) {
    std::vector<int64_t> steps;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(run_dir + "/snapshots", error)) {
        std::string name = entry.path().filename().string();
        if (name.size() != 23 || name.rfind("step-", 0) != 0 || name.compare(11, 12, ".safetensors") != 0) continue;
        const std::string digits = name.substr(5, 6);
        if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            steps.push_back(std::stoll(digits));
    }
    std::sort(steps.begin(), steps.end());
    return steps;
}

namespace {

// ---- the sections of train() --------------------------------------------------------------------

// The config as the run stores it: the schedule's length is the run's, and the corpus directory is
// absolute, so a run's analysis finds its corpus from any working directory.
TrainConfig run_config(const TrainConfig& given) {
    TrainConfig config = given;
    config.schedule.total_steps = config.steps;
    config.corpus_dir = std::filesystem::absolute(config.corpus_dir).lexically_normal().string();
    config.validate(json::printable_line(config.name));
    return config;
}

// What the run directory holds, read before anything is written: the resume state of a run to
// continue, or nothing for a new run (a directory holding a run without --resume is refused).
std::optional<ResumeState> read_resume_point(const std::string& dir, const TrainConfig& config, bool resume) {
    const std::vector<int64_t> existing_snapshots = list_snapshots(dir);
    const bool has_resume_state = file_exists(resume_path(dir));
    check(resume || (existing_snapshots.empty() && !has_resume_state), dir,
          ": already holds a run (use --resume to continue it, or choose another --out)");
    check(has_resume_state || existing_snapshots.empty(), dir, ": has snapshots but no resume state (",
          resume_path(dir), "); it cannot be continued");
    if (!has_resume_state) return std::nullopt;
    TrainConfig stored = TrainConfig::from_json(json::read_file(config_path(dir)), config_path(dir));
    stored.corpus_dir = std::filesystem::absolute(stored.corpus_dir).lexically_normal().string();
    ResumeState state = read_resume_state(resume_path(dir), make_transformer(stored.model, stored.seed).parameters());
    check_same_config(stored, config, dir, state.step);
    return state;
}

// Puts the weights of the resume step's snapshot and the optimizer state back; returns the step.
int64_t restore_resume_point(const ResumeState& state, const TrainConfig& config, const std::string& dir,
                             std::vector<NamedParameter>& parameters, AdamW& optimizer) {
    check(state.step <= config.steps && state.adam_steps == state.step, resume_path(dir), ": step ",
          state.step, " with ", state.adam_steps, " optimizer steps does not belong to a run of ",
          config.steps, " steps");
    check(state.step == 0 || file_exists(snapshot_path(dir, state.step)), resume_path(dir), ": step ",
          state.step, " names the snapshot ", snapshot_path(dir, state.step), ", which does not exist");
    if (state.step > 0) {
        LoadedCheckpoint snapshot = load_checkpoint(snapshot_path(dir, state.step));
        check(json::dump(snapshot.model.config.to_json()) == json::dump(config.model.to_json()),
              snapshot_path(dir, state.step), ": model config differs from ", config_path(dir));
        std::vector<NamedParameter> loaded = snapshot.model.parameters();
        for (size_t i = 0; i < parameters.size(); ++i) parameters[i].var->set_value(loaded[i].var->value());
    }
    optimizer.first_moments() = state.first_moments;
    optimizer.second_moments() = state.second_moments;
    optimizer.set_steps_taken(state.adam_steps);
    return state.step;
}

// A resume of a finished run has nothing to do and writes nothing.
TrainResult already_finished(const std::string& dir, int64_t steps, bool quiet) {
    if (!quiet)
        std::fprintf(stderr, "%s: already finished (%lld steps); nothing to do\n", dir.c_str(), (long long)steps);
    TrainResult done;
    done.steps = steps;
    done.final_snapshot = snapshot_path(dir, steps);
    return done;
}

// The corpus is built once and shared by every run that names the same directory (a corpus built
// with other options is refused, before the run directory is touched).
CorpusOptions corpus_options(const TrainConfig& config, const TrainOptions& options) {
    CorpusOptions corpus_options;
    corpus_options.out_dir = config.corpus_dir;
    corpus_options.vocab_size = config.model.d_vocab;
    corpus_options.seed = config.corpus_seed;
    corpus_options.heldout_fraction = config.corpus_heldout_fraction;
    corpus_options.sources = options.corpus_sources;
    corpus_options.root = options.corpus_root;
    return corpus_options;
}

// A new run's fixed files, then a resume state for step 0 before the first snapshot, so that a
// kill at any later moment leaves a directory `--resume` continues.
void write_new_run_files(const std::string& dir, const TrainConfig& config, const CorpusInfo& corpus,
                         AdamW& optimizer, const std::vector<NamedParameter>& parameters) {
    write_file_atomic(dir + "/tokenizer.json", read_file_bytes(corpus.tokenizer_path()));
    json::write_file(config_path(dir), config.to_json());
    write_file_atomic(loss_csv_path(dir), LOSS_CSV_HEADER);
    write_resume_state(resume_path(dir), 0, optimizer, parameters);
}

void log_new_run(RunLog& log, const TrainConfig& config, int64_t parameter_count, const WindowSampler& sampler,
                 int64_t corpus_tokens, size_t snapshots) {
    log.line("training " + config.name + ": " + std::to_string(parameter_count) + " parameters, " +
             std::to_string(config.steps) + " steps of " + std::to_string(config.tokens_per_step()) + " tokens (" +
             format("%.2f", sampler.epochs_after(config.steps, config.batch_size)) + " epochs of " +
             std::to_string(corpus_tokens) + " tokens), " + std::to_string(snapshots) + " snapshots");
    for (const Schedule::ChangePoint& change : config.schedule.change_points())
        log.line("schedule: step " + std::to_string(change.step) + ": " + change.what);
    if (!config.clamps.empty()) log.line("clamps, on every forward pass: " + json::dump(config.clamps.to_json()));
}

// A resumed run keeps the loss rows before its resume step; rows past it (written before a kill)
// are dropped, and those steps rerun. Returns the kept losses.
std::vector<double> keep_loss_rows_before(const std::string& dir, int64_t start) {
    LossRows kept_rows = loss_rows_before(loss_csv_path(dir), start);
    if (!kept_rows.whole_file) write_file_atomic(loss_csv_path(dir), kept_rows.text);
    return kept_rows.losses;
}

// train_loss.csv while training: a step's row waits in memory and is appended before every
// snapshot and when the run stops. The losses are kept as the file holds them (6 decimals), so a
// resumed run's snapshot metadata equals the uninterrupted run's bit for bit.
class LossLog {
public:
    LossLog(const std::string& path, std::vector<double> kept_losses)
        : file_(path), losses_(std::move(kept_losses)) {}

    void add(int64_t step, int64_t tokens, const StepResult& r, double lr, double wd) {
        const std::string loss_text = format("%.6f", r.loss);
        losses_.push_back(std::strtod(loss_text.c_str(), nullptr));
        unwritten_rows_ += std::to_string(step) + ',' + std::to_string(tokens) + ',' + loss_text + ',' +
                           format("%.6g", r.grad_norm) + ',' + format("%.6g", lr) + ',' + format("%.6g", wd) + '\n';
    }
    void append_rows() {
        file_.append(unwritten_rows_);
        unwritten_rows_.clear();
    }
    bool empty() const { return losses_.empty(); }
    // The mean of the last tenth of the losses (at least one); NaN before the first step.
    double recent_loss() const {
        size_t n = std::max<size_t>(1, losses_.size() / 10);
        if (losses_.empty()) return NAN;
        double total = 0;
        for (size_t i = losses_.size() - n; i < losses_.size(); ++i) total += losses_[i];
        return total / double(n);
    }

private:
    AppendFile file_;
    std::string unwritten_rows_;
    std::vector<double> losses_;
};

// What the training loop works on; every part is owned by train().
struct RunParts {
    const TrainConfig& config;
    const std::string& dir;
    Transformer& model;
    std::vector<NamedParameter>& parameters;
    std::vector<AdamWParameter>& trainable;
    AdamW& optimizer;
    RunLog& log;
    LossLog& losses;
};

// Rows first, then the weights, then the resume state that points at them: a kill between any two
// leaves an older resume state whose steps simply rerun.
void save_snapshot(RunParts& run, int64_t step) {
    check_finite_parameters(run.parameters, step, run.dir, run.log);
    run.losses.append_rows();
    Metadata metadata = {{"step", std::to_string(step)},
                         {"tokens_seen", std::to_string(step * run.config.tokens_per_step())}};
    if (!run.losses.empty()) metadata.push_back({"train_loss", format("%.6f", run.losses.recent_loss())});
    if (!run.config.clamps.empty()) metadata.push_back({"clamps", json::dump(run.config.clamps.to_json())});
    save_checkpoint(snapshot_path(run.dir, step), run.model, metadata);
    write_resume_state(resume_path(run.dir), step, run.optimizer, run.parameters);
}

// A step whose loss or gradient norm is not finite updates nothing: the rows so far are kept, the
// log says why, and training stops with the last good snapshot named.
[[noreturn]] void stop_diverged(RunParts& run, int64_t step, const StepResult& r) {
    run.losses.append_rows();
    const std::vector<int64_t> kept = list_snapshots(run.dir);
    const std::string last = kept.empty() ? std::string("(none)") : snapshot_path(run.dir, kept.back());
    const std::string what = std::isfinite(r.loss) ? "gradient norm" : "loss";
    const double value = std::isfinite(r.loss) ? r.grad_norm : r.loss;
    run.log.line("training stopped: the " + what + " became " + format("%g", value) + " at step " +
                 std::to_string(step) + "; nothing was updated; the last good snapshot is " + last);
    fail("training diverged at step ", step, " (", what, " ", value, "); the last good snapshot is ", last);
}

// The final snapshot, and the run's last words on the progress line and in train.log.
TrainResult finish_run(RunParts& run, Progress& progress, TrainResult result) {
    save_snapshot(run, run.config.steps);
    result.steps = run.config.steps;
    result.final_loss = run.losses.recent_loss();
    result.final_snapshot = snapshot_path(run.dir, run.config.steps);
    progress.finish("loss " + format("%.3f", result.final_loss) + ", " +
                    format("%.1f", result.tokens_per_second / 1000) + "k tok/s");
    run.log.line("finished " + std::to_string(run.config.steps) + " steps: loss " +
                 format("%.4f", result.final_loss) + ", " + format("%.0f", result.tokens_per_second) +
                 " tokens/s; final snapshot " + result.final_snapshot);
    return result;
}

// The training loop from step `start`: a snapshot on every step of the schedule, one optimizer
// step per batch, a row of train_loss.csv per step.
TrainResult run_steps(RunParts& run, WindowSampler& sampler, int64_t start, const TrainOptions& options) {
    const TrainConfig& config = run.config;
    const std::vector<int64_t> snapshot_steps = config.snapshot_steps();
    const int64_t tokens_per_step = config.tokens_per_step();
    Progress progress(config.name, config.steps, options.quiet);
    TrainResult result;
    for (int64_t step = start; step < config.steps; ++step) {
        if (step == options.stop_at_step) {
            run.losses.append_rows();
            run.log.line("stopped at step " + std::to_string(step) + " as asked (resumable)");
            result.steps = step;
            return result;
        }
        if (options.before_step) options.before_step(run.model, step);
        const bool is_snapshot = std::binary_search(snapshot_steps.begin(), snapshot_steps.end(), step);
        if (is_snapshot && (step > start || start == 0)) save_snapshot(run, step);
        const StepResult r = train_step(run.model, run.optimizer, run.trainable,
                                        sampler.batch(step, config.batch_size), config, step);
        if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) stop_diverged(run, step, r);
        run.losses.add(step, (step + 1) * tokens_per_step, r, config.schedule.learning_rate_at(step),
                       config.schedule.weight_decay_at(step));
        double seconds = progress.elapsed_seconds();
        double rate = seconds > 0 ? double((step + 1 - start) * tokens_per_step) / seconds : 0;
        progress.update(step + 1, "loss " + format("%.3f", run.losses.recent_loss()) + "  " +
                                      format("%.1f", rate / 1000) + "k tok/s");
        result.tokens_per_second = rate;
    }
    return finish_run(run, progress, result);
}

}  // namespace

TrainResult train(const TrainConfig& given, const TrainOptions& options) {
    const TrainConfig config = run_config(given);
    const std::string& dir = options.out_dir;
    check(!dir.empty(), "train: no output directory given");
    cpu::set_max_threads(options.threads);

    const std::optional<ResumeState> resume = read_resume_point(dir, config, options.resume);
    Transformer model = make_transformer(config.model, config.seed);
    std::vector<NamedParameter> parameters = model.parameters();
    std::vector<AdamWParameter> trainable;
    for (const NamedParameter& p : parameters)
        if (p.var->requires_grad()) trainable.push_back({p.var, p.weight_decay});
    AdamW optimizer(trainable, config.adam);
    int64_t start = 0;
    if (resume) {
        start = restore_resume_point(*resume, config, dir, parameters, optimizer);
        if (start == config.steps) return already_finished(dir, start, options.quiet);
    }

    const CorpusInfo corpus = build_corpus(corpus_options(config, options));
    TokenFile train_tokens = TokenFile::open(corpus.train_path(), corpus.token_type, corpus.vocab_size);
    WindowSampler sampler(train_tokens, config.context, config.data_seed);

    // ---- From here on the run directory is written ------------------------------------------
    make_directories(dir + "/snapshots");
    remove_stale_temporaries(dir);
    remove_stale_temporaries(dir + "/snapshots");
    RunLog log(dir + "/train.log", options.quiet);
    std::vector<double> kept_losses;
    if (!resume) {
        write_new_run_files(dir, config, corpus, optimizer, parameters);
        log_new_run(log, config, model.parameter_count(), sampler, train_tokens.size(), config.snapshot_steps().size());
    } else {
        kept_losses = keep_loss_rows_before(dir, start);
        log.line("resumed at step " + std::to_string(start) + " from " +
                 (start > 0 ? snapshot_path(dir, start) : std::string("the initial weights")));
    }
    LossLog losses(loss_csv_path(dir), std::move(kept_losses));
    RunParts run{config, dir, model, parameters, trainable, optimizer, log, losses};
    return run_steps(run, sampler, start, options);
}

}  // namespace induction
