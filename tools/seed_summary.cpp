// seed_summary.cpp — reading the per-seed metrics, their statistics, and seeds.json / seeds.md.
#include "tools/seed_summary.h"

#include <algorithm>
#include <cmath>

#include "model/io/file_io.h"
#include "tensor/error.h"
#include "tools/format.h"

namespace induction {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// A number member, or NaN when it is missing or null.
double number_or_nan(const json::Value& object, const std::string& key) {
    if (!object.is_object() || !object.contains(key)) return NaN;
    const json::Value& v = object.at(key);
    return v.is_null() ? NaN : v.as_number();
}

std::string seed_dir(const std::string& dir, int k) { return dir + "/seed-" + std::to_string(k); }

SeedModelRun read_run(const std::string& dir, int k, const std::string& model) {
    const std::string metrics = seed_dir(dir, k) + "/metrics/" + model;
    SeedModelRun run;
    run.k = k;

    const std::string phase_path = metrics + "/phase.json";
    json::Value phase = json::read_file(phase_path);
    try {
        run.verdict = phase.at("verdict").as_string();
        const json::Value& window = phase.contains("window") ? phase.at("window") : json::Value();
        if (!window.is_null()) {
            run.has_window = true;
            run.start_step = window.at("start_step").as_number();
            run.end_step = window.at("end_step").as_number();
            run.start_tokens = window.at("start_tokens").as_number();
            run.end_tokens = window.at("end_tokens").as_number();
        }
        if (phase.contains("icl")) run.frac_in_window = number_or_nan(phase.at("icl"), "frac_in_window");
    } catch (const Error& e) {
        json::fail_in_file(phase_path, e);
    }

    const std::string snapshots_path = metrics + "/snapshots.json";
    json::Value snapshots = json::read_file(snapshots_path);
    try {
        if (snapshots.contains("config")) {
            const json::Value& config = snapshots.at("config");
            run.init_seed = config.get<int64_t>("seed", -1);
            run.data_seed = config.get<int64_t>("data_seed", -1);
        }
        if (snapshots.contains("final_icl") && !snapshots.at("final_icl").is_null()) {
            const json::Value& final_icl = snapshots.at("final_icl");
            run.has_final_icl = true;
            run.final_icl = final_icl.at("per_decade").as_number();
            if (final_icl.contains("per_decade_ci") && final_icl.at("per_decade_ci").is_array() &&
                final_icl.at("per_decade_ci").size() == 2) {
                const json::Value& ci = final_icl.at("per_decade_ci");
                run.final_icl_lo = ci[0].is_null() ? NaN : ci[0].as_number();
                run.final_icl_hi = ci[1].is_null() ? NaN : ci[1].as_number();
            }
            run.final_icl_band = number_or_nan(final_icl, "band");
        }
        const json::Value& list = snapshots.at("snapshots");
        if (list.size() > 0) run.last_snapshot_icl = number_or_nan(list[list.size() - 1], "icl_per_decade");
    } catch (const Error& e) {
        json::fail_in_file(snapshots_path, e);
    }
    return run;
}

json::Value number_or_null(double x) { return std::isnan(x) ? json::Value() : json::Value(x); }

json::Value stat_json(const SeedStat& s) {
    json::Value v = json::Value::object();
    v["n"] = s.n;
    v["mean"] = number_or_null(s.mean);
    v["sd"] = number_or_null(s.sd);
    v["min"] = number_or_null(s.min);
    v["max"] = number_or_null(s.max);
    return v;
}

// "mean ± sd [min–max]", "x" for one value, "-" for none; " (n=k)" when fewer than all seeds.
std::string stat_text(const SeedStat& s, int seeds, const char* format) {
    if (s.n == 0) return "-";
    std::string text = number_text(s.mean, format);
    if (s.n >= 2)
        text += " ± " + number_text(s.sd, format) + " [" + number_text(s.min, format) + "–" +
                number_text(s.max, format) + "]";
    if (s.n < seeds) text += " (n=" + std::to_string(s.n) + ")";
    return text;
}

}  // namespace

SeedStat seed_stat(const std::vector<double>& values) {
    SeedStat s;
    s.n = int(values.size());
    if (values.empty()) return s;
    double sum = 0;
    for (double x : values) sum += x;
    s.mean = sum / double(values.size());
    s.min = *std::min_element(values.begin(), values.end());
    s.max = *std::max_element(values.begin(), values.end());
    if (values.size() >= 2) {
        double squares = 0;
        for (double x : values) squares += (x - s.mean) * (x - s.mean);
        s.sd = std::sqrt(squares / double(values.size() - 1));
    }
    return s;
}

SeedSummary summarize_seeds(const std::string& dir, int seeds, const std::vector<std::string>& models) {
    check(seeds >= 1, "summarize_seeds: seeds must be at least 1, got ", seeds);
    SeedSummary summary;
    summary.seeds = seeds;
    for (const std::string& model : models) {
        SeedModelSummary m;
        m.model = model;
        for (int k = 1; k <= seeds; ++k) {
            m.runs.push_back(read_run(dir, k, model));
            if (!m.runs.back().has_final_icl) summary.icl_from_final_icl = false;
        }
        summary.models.push_back(std::move(m));
    }
    for (SeedModelSummary& m : summary.models) {
        std::vector<double> start_step, end_step, start_tokens, end_tokens, frac, icl, band;
        for (const SeedModelRun& run : m.runs) {
            if (run.phase_change()) ++m.phase_changes;
            if (run.has_window) {
                start_step.push_back(run.start_step);
                end_step.push_back(run.end_step);
                start_tokens.push_back(run.start_tokens);
                end_tokens.push_back(run.end_tokens);
            }
            if (!std::isnan(run.frac_in_window)) frac.push_back(run.frac_in_window);
            double x = summary.icl_from_final_icl ? run.final_icl : run.last_snapshot_icl;
            if (!std::isnan(x)) icl.push_back(x);
            if (!std::isnan(run.final_icl_band)) band.push_back(run.final_icl_band);
        }
        m.start_step = seed_stat(start_step);
        m.end_step = seed_stat(end_step);
        m.start_tokens = seed_stat(start_tokens);
        m.end_tokens = seed_stat(end_tokens);
        m.frac_in_window = seed_stat(frac);
        m.final_icl = seed_stat(icl);
        m.final_icl_band = seed_stat(band);
    }
    return summary;
}

json::Value seed_summary_json(const SeedSummary& summary) {
    json::Value root = json::Value::object();
    root["seeds"] = summary.seeds;
    root["seed_rule"] = "seed-K: TrainConfig seed = preset seed + K-1, data_seed = preset data_seed + K-1";
    root["final_icl_source"] = summary.icl_from_final_icl ? "final_icl.per_decade" : "snapshots[-1].icl_per_decade";
    json::Value models = json::Value::array();
    for (const SeedModelSummary& m : summary.models) {
        json::Value model = json::Value::object();
        model["model"] = m.model;
        model["phase_changes"] = m.phase_changes;
        model["runs_total"] = int(m.runs.size());
        json::Value runs = json::Value::array();
        for (const SeedModelRun& r : m.runs) {
            json::Value run = json::Value::object();
            run["seed"] = r.k;
            run["dir"] = "seed-" + std::to_string(r.k);
            run["init_seed"] = r.init_seed >= 0 ? json::Value(r.init_seed) : json::Value();
            run["data_seed"] = r.data_seed >= 0 ? json::Value(r.data_seed) : json::Value();
            run["verdict"] = r.verdict;
            if (r.has_window) {
                json::Value window = json::Value::object();
                window["start_step"] = r.start_step;
                window["end_step"] = r.end_step;
                window["start_tokens"] = r.start_tokens;
                window["end_tokens"] = r.end_tokens;
                run["window"] = window;
            } else {
                run["window"] = json::Value();
            }
            run["frac_in_window"] = number_or_null(r.frac_in_window);
            if (r.has_final_icl) {
                json::Value final_icl = json::Value::object();
                final_icl["per_decade"] = number_or_null(r.final_icl);
                final_icl["per_decade_ci"] = json::Value::array({number_or_null(r.final_icl_lo),
                                                                  number_or_null(r.final_icl_hi)});
                final_icl["band"] = number_or_null(r.final_icl_band);
                run["final_icl"] = final_icl;
            } else {
                run["final_icl"] = json::Value();
            }
            run["last_snapshot_icl_per_decade"] = number_or_null(r.last_snapshot_icl);
            runs.push_back(run);
        }
        model["runs"] = runs;
        json::Value window = json::Value::object();
        window["start_step"] = stat_json(m.start_step);
        window["end_step"] = stat_json(m.end_step);
        window["start_tokens"] = stat_json(m.start_tokens);
        window["end_tokens"] = stat_json(m.end_tokens);
        model["window"] = window;
        model["frac_in_window"] = stat_json(m.frac_in_window);
        model["final_icl"] = stat_json(m.final_icl);
        model["final_icl_band"] = stat_json(m.final_icl_band);
        models.push_back(model);
    }
    root["models"] = models;
    return root;
}

std::string seed_summary_markdown(const SeedSummary& summary) {
    const int n = summary.seeds;
    std::string md = "# Seeds: the family trained " + std::to_string(n) + " time" + (n == 1 ? "" : "s") +
                     " (seed-1 ... seed-" + std::to_string(n) + ")\n\n";
    md += "seed-K trains with init seed and data seed = the preset's + K-1 (seed-1 is the default run). "
          "Verdicts in seed order: ✓ phase change, ✗ none. Values: mean ± sample sd [min–max]; the window "
          "over the seeds that found one (n=k when not all).\n\n";
    const std::string icl_header = summary.icl_from_final_icl
                                       ? "final ICL per decade (final_icl)"
                                       : "final ICL per decade (last snapshot's icl_per_decade; no final_icl)";
    md += "| model | verdict by seed | phase change | window start step | window end step | frac_in_window | " +
          icl_header + " | final ICL, band-averaged [OURS] |\n";
    md += "|---|---|---|---|---|---|---|---|\n";
    for (const SeedModelSummary& m : summary.models) {
        std::string verdicts;
        for (const SeedModelRun& r : m.runs) {
            if (!verdicts.empty()) verdicts += " ";
            verdicts += r.phase_change() ? "✓" : r.verdict == "no phase change" ? "✗" : "?";
        }
        md += "| " + m.model + " | " + verdicts + " | " + std::to_string(m.phase_changes) + "/" +
              std::to_string(m.runs.size()) + " phase change | " + stat_text(m.start_step, n, "%.0f") + " | " +
              stat_text(m.end_step, n, "%.0f") + " | " + stat_text(m.frac_in_window, n, "%.2f") + " | " +
              stat_text(m.final_icl, n, "%.3f") + " | " + stat_text(m.final_icl_band, n, "%.3f") + " |\n";
    }
    return md;
}

std::string write_seed_summary(const std::string& dir, const SeedSummary& summary) {
    json::write_file(dir + "/seeds.json", seed_summary_json(summary));
    std::string md = seed_summary_markdown(summary);
    write_file_atomic(dir + "/seeds.md", md);
    return md;
}

}  // namespace induction
