// trainer.cpp — the training loop.
#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/functions.h"
#include "model/checkpoint.h"
#include "model/file_io.h"
#include "model/safetensors.h"
#include "tensor/cpu/parallel.h"
#include "train/batches.h"
#include "train/corpus.h"
#include "train/progress.h"

namespace induction {

namespace {

std::string resume_path(const std::string& run_dir) { return run_dir + "/snapshots/resume.safetensors"; }

// Appends a line to train.log (and echoes it unless quiet).
class RunLog {
public:
    RunLog(const std::string& path, bool quiet) : out_(path, std::ios::app), quiet_(quiet) {
        check(out_.good(), path, ": cannot open for appending");
    }
    void line(const std::string& text) {
        out_ << text << '\n';
        out_.flush();
        if (!quiet_) std::fprintf(stderr, "%s\n", text.c_str());
    }

private:
    std::ofstream out_;
    bool quiet_;
};

std::string format(const char* pattern, double value) {
    char text[64];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

// train_loss.csv rows for steps before `keep_below` (used when resuming over a killed run).
std::string csv_rows_before(const std::string& path, int64_t keep_below) {
    std::string kept = "step,tokens,loss,grad_norm,lr,weight_decay\n";
    if (!file_exists(path)) return kept;
    std::istringstream lines(read_file_bytes(path));
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line))
        if (!line.empty() && std::stoll(line.substr(0, line.find(','))) < keep_below) kept += line + "\n";
    return kept;
}

void save_snapshot(const std::string& run_dir, Transformer& model, AdamW& optimizer,
                   const std::vector<NamedParameter>& parameters, int64_t step, int64_t tokens,
                   double recent_loss) {
    Metadata metadata = {{"step", std::to_string(step)}, {"tokens_seen", std::to_string(tokens)}};
    if (std::isfinite(recent_loss)) metadata.push_back({"train_loss", format("%.6f", recent_loss)});
    save_checkpoint(snapshot_path(run_dir, step), model, metadata);
    std::vector<std::pair<std::string, Tensor>> state;
    size_t k = 0;
    for (const NamedParameter& p : parameters) {
        if (!p.var->requires_grad()) continue;
        state.push_back({"m." + p.name, optimizer.first_moments()[k]});
        state.push_back({"v." + p.name, optimizer.second_moments()[k]});
        ++k;
    }
    write_safetensors(resume_path(run_dir), state,
                      {{"step", std::to_string(step)},
                       {"adam_steps", std::to_string(optimizer.steps_taken())}});
}

}  // namespace

StepResult train_step(Transformer& model, AdamW& optimizer, const std::vector<AdamWParameter>& trainable,
                      const Tensor& batch, const TrainConfig& config, int64_t step) {
    Var losses = next_token_losses(forward(model, batch), batch);  // [B, T-1]
    Var loss = mean(reshape(losses, {losses.value().numel()}), 0);
    StepResult result;
    result.loss = loss.value().item();
    if (!std::isfinite(result.loss)) return result;
    backward(loss);
    result.grad_norm = config.grad_clip > 0 ? clip_grad_norm(trainable, config.grad_clip) : 0.0;
    optimizer.step(config.schedule.learning_rate_at(step), config.schedule.weight_decay_at(step));
    for (const AdamWParameter& p : trainable) p.var->zero_grad();
    return result;
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
        if (name.size() == 23 && name.rfind("step-", 0) == 0 && name.substr(11) == ".safetensors")
            steps.push_back(std::stoll(name.substr(5, 6)));
    }
    std::sort(steps.begin(), steps.end());
    return steps;
}

TrainResult train(const TrainConfig& given, const TrainOptions& options) {
    TrainConfig config = given;
    config.schedule.total_steps = config.steps;
    config.validate(config.name);
    const std::string& dir = options.out_dir;
    check(!dir.empty(), "train: no output directory given");
    cpu::set_max_threads(options.threads);
    make_directories(dir + "/snapshots");
    bool has_snapshots = !list_snapshots(dir).empty();
    check(options.resume || !has_snapshots, dir, ": already holds snapshots of a run (use --resume to "
          "continue it, or choose another --out)");
    RunLog log(dir + "/train.log", options.quiet);

    // Data: the corpus is built once and shared by every run that names the same directory.
    CorpusOptions corpus_options;
    corpus_options.out_dir = config.corpus_dir;
    corpus_options.vocab_size = config.model.d_vocab;
    corpus_options.seed = config.corpus_seed;
    corpus_options.heldout_fraction = config.corpus_heldout_fraction;
    corpus_options.sources = options.corpus_sources;
    corpus_options.root = options.corpus_root;
    CorpusInfo corpus = build_corpus(corpus_options);
    write_file_atomic(dir + "/tokenizer.json", read_file_bytes(corpus.tokenizer_path()));
    json::write_file(dir + "/config.json", config.to_json());
    TokenFile train_tokens = TokenFile::open(corpus.train_path(), corpus.token_type, corpus.vocab_size);
    WindowSampler sampler(train_tokens, config.context, config.data_seed);

    Transformer model = make_transformer(config.model, config.seed);
    std::vector<NamedParameter> parameters = model.parameters();
    std::vector<AdamWParameter> trainable;
    for (const NamedParameter& p : parameters)
        if (p.var->requires_grad()) trainable.push_back({p.var, p.weight_decay});
    AdamW optimizer(trainable, config.adam);

    int64_t start = 0;
    if (options.resume && file_exists(resume_path(dir))) {
        SafetensorsFile state = read_safetensors(resume_path(dir));
        int64_t step = -1;
        for (const auto& [key, value] : state.metadata)
            if (key == "step") step = std::stoll(value);
        check(step >= 0, resume_path(dir), ": no 'step' in __metadata__");
        LoadedCheckpoint snapshot = load_checkpoint(snapshot_path(dir, step));
        check(json::dump(snapshot.model.config.to_json()) == json::dump(config.model.to_json()),
              snapshot_path(dir, step), ": model config differs from ", dir, "/config.json");
        std::vector<NamedParameter> loaded = snapshot.model.parameters();
        size_t k = 0;
        for (size_t i = 0; i < parameters.size(); ++i) {
            parameters[i].var->set_value(loaded[i].var->value());
            if (!parameters[i].var->requires_grad()) continue;
            optimizer.first_moments()[k] = state.get("m." + parameters[i].name).clone();
            optimizer.second_moments()[k] = state.get("v." + parameters[i].name).clone();
            ++k;
        }
        optimizer.set_steps_taken(step);
        start = step;
        log.line("resumed at step " + std::to_string(step) + " from " + snapshot_path(dir, step));
    } else {
        check(!has_snapshots, dir, ": has snapshots but no resume state (", resume_path(dir), ")");
    }

    std::vector<int64_t> snapshot_steps = config.snapshot_steps();
    if (start == 0) {
        log.line("training " + config.name + ": " + std::to_string(model.parameter_count()) +
                 " parameters, " + std::to_string(config.steps) + " steps of " +
                 std::to_string(config.tokens_per_step()) + " tokens (" +
                 format("%.2f", sampler.epochs_after(config.steps, config.batch_size)) +
                 " epochs of " + std::to_string(train_tokens.size()) + " tokens), " +
                 std::to_string(snapshot_steps.size()) + " snapshots");
        for (const Schedule::ChangePoint& change : config.schedule.change_points())
            log.line("schedule: step " + std::to_string(change.step) + ": " + change.what);
    }
    std::string csv = csv_rows_before(dir + "/train_loss.csv", start);
    std::ofstream loss_csv(dir + "/train_loss.csv.tmp");
    loss_csv << csv;
    auto close_loss_csv = [&]() {
        loss_csv.close();
        std::rename((dir + "/train_loss.csv.tmp").c_str(), (dir + "/train_loss.csv").c_str());
    };

    Progress progress(config.name, config.steps, options.quiet);
    std::vector<double> losses;
    auto recent_loss = [&]() -> double {
        size_t n = std::max<size_t>(1, losses.size() / 10);
        if (losses.empty()) return NAN;
        double total = 0;
        for (size_t i = losses.size() - n; i < losses.size(); ++i) total += losses[i];
        return total / double(n);
    };
    auto is_snapshot = [&](int64_t step) {
        return std::binary_search(snapshot_steps.begin(), snapshot_steps.end(), step);
    };
    TrainResult result;
    const int64_t tokens_per_step = config.tokens_per_step();
    for (int64_t step = start; step < config.steps; ++step) {
        if (step == options.stop_at_step) {
            close_loss_csv();
            log.line("stopped at step " + std::to_string(step) + " as asked (resumable)");
            result.steps = step;
            return result;
        }
        if (is_snapshot(step) && !(options.resume && step == start && start > 0))
            save_snapshot(dir, model, optimizer, parameters, step, step * tokens_per_step, recent_loss());
        StepResult r = train_step(model, optimizer, trainable, sampler.batch(step, config.batch_size), config, step);
        const double loss_value = r.loss, grad_norm = r.grad_norm;
        if (!std::isfinite(loss_value)) {
            std::vector<int64_t> kept = list_snapshots(dir);
            log.line("training stopped: the loss became " + format("%g", loss_value) + " at step " +
                     std::to_string(step) + "; the last good snapshot is " +
                     (kept.empty() ? std::string("(none)") : snapshot_path(dir, kept.back())));
            close_loss_csv();
            fail("training diverged at step ", step, " (loss ", loss_value, "); see ", dir, "/train.log");
        }
        const double lr = config.schedule.learning_rate_at(step), wd = config.schedule.weight_decay_at(step);
        losses.push_back(loss_value);
        loss_csv << step << ',' << (step + 1) * tokens_per_step << ',' << format("%.6f", loss_value)
                 << ',' << format("%.6g", grad_norm) << ',' << format("%.6g", lr) << ','
                 << format("%.6g", wd) << '\n';
        double seconds = progress.elapsed_seconds();
        double rate = seconds > 0 ? double((step + 1 - start) * tokens_per_step) / seconds : 0;
        progress.update(step + 1, "loss " + format("%.3f", recent_loss()) + "  " +
                                      format("%.1f", rate / 1000) + "k tok/s");
        result.tokens_per_second = rate;
    }
    save_snapshot(dir, model, optimizer, parameters, config.steps, config.steps * tokens_per_step,
                  recent_loss());
    close_loss_csv();
    result.steps = config.steps;
    result.final_loss = recent_loss();
    result.final_snapshot = snapshot_path(dir, config.steps);
    progress.finish("loss " + format("%.3f", result.final_loss) + ", " +
                    format("%.1f", result.tokens_per_second / 1000) + "k tok/s");
    log.line("finished " + std::to_string(config.steps) + " steps: loss " +
             format("%.4f", result.final_loss) + ", " + format("%.0f", result.tokens_per_second) +
             " tokens/s; final snapshot " + result.final_snapshot);
    return result;
}

}  // namespace induction
