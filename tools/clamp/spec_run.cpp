// spec_run.cpp — a few-shot run with its progress probes (METHODS §8.4, §8.7), from a spec.
#include "tools/clamp/spec_run.h"

#include <algorithm>
#include <set>

#include "analysis/circuits.h"
#include "analysis/fewshot_measures.h"
#include "model/io/file_io.h"
#include "tensor/rng.h"

namespace induction {

namespace {

// `count` rows of a sequence set drawn without replacement by a fixed-seed shuffle, in set order.
// (A stride would not do: the exhaustive set is ordered by class pair, label order and which pair
// is the query, so every 8th row is always the same query position and label orders.)
FewShotSequences sampled_rows(const FewShotSequences& all, int64_t count) {
    std::vector<int64_t> order(size_t(all.count));
    for (int64_t i = 0; i < all.count; ++i) order[size_t(i)] = i;
    Rng rng(/*seed=*/0);
    for (int64_t i = 0; i < count; ++i) std::swap(order[size_t(i)], order[size_t(rng.next_int(i, all.count))]);
    order.resize(size_t(count));
    std::sort(order.begin(), order.end());
    FewShotSequences out;
    out.context_pairs = all.context_pairs;
    const int64_t per_row = all.context_pairs + 1;
    for (int64_t i : order) {
        auto copy = [&](auto& to, const auto& from, int64_t width) {
            if (!from.empty()) to.insert(to.end(), from.begin() + i * width, from.begin() + (i + 1) * width);
        };
        copy(out.exemplar_class, all.exemplar_class, per_row);
        copy(out.exemplar_index, all.exemplar_index, per_row);
        copy(out.context_label, all.context_label, all.context_pairs);
        copy(out.query_label, all.query_label, 1);
        copy(out.correct, all.correct, 1);
        copy(out.noise_key, all.noise_key, 1);
        ++out.count;
    }
    return out;
}

json::Value numbers(const std::vector<double>& values) {
    json::Value a = json::Value::array();
    for (double v : values) a.push_back(v);
    return a;
}

// K- and V-composition (reduced, §4.6) of every first-layer head into every last-layer head:
// [to_head][from_head].
void composition_matrices(const Transformer& model, json::Value& k_comp, json::Value& v_comp) {
    const int H = model.config.n_heads, last = model.config.n_layers - 1;
    const size_t n = static_cast<size_t>(H);
    std::vector<std::vector<double>> k(n, std::vector<double>(n)), v = k;
    for (const CompositionPair& p : composition_scores(circuit_weights(model, true), circuit_weights(model, false)))
        if (p.from_layer == 0 && p.to_layer == last) {
            k[size_t(p.to_head)][size_t(p.from_head)] = p.k_comp_reduced;
            v[size_t(p.to_head)][size_t(p.from_head)] = p.v_comp_reduced;
        }
    k_comp = json::Value::array();
    v_comp = json::Value::array();
    for (int h = 0; h < H; ++h) {
        k_comp.push_back(numbers(k[size_t(h)]));
        v_comp.push_back(numbers(v[size_t(h)]));
    }
}

json::Value probe_row(const FewShotSpec& spec, const FewShotEvaluation& e, const Transformer& model,
                      const std::vector<FewShotInputs>& chunks) {
    json::Value row = json::Value::object();
    row["step"] = e.step;
    row["sequences"] = e.sequences;
    const int last = model.config.n_layers - 1;
    row["induction_strength"] = numbers(induction_strengths(model, chunks, last, spec.run.clamps, e.step));
    row["previous_token"] = numbers(previous_token_attention(model, chunks, 0, spec.run.clamps, e.step));
    composition_matrices(model, row["k_comp"], row["v_comp"]);
    for (const ProbeClamp& probe : spec.probes)
        row[probe.name] = fewshot_metrics_json(fewshot_metrics(fewshot_outcomes(model, chunks, probe.clamps, e.step)));
    return row;
}

json::Value evaluation_row(const FewShotEvaluation& e) {
    json::Value row = json::Value::object();
    row["step"] = e.step;
    row["sequences"] = e.sequences;
    row["train_loss"] = std::isfinite(e.train_loss) ? json::Value(e.train_loss) : json::Value();
    for (const auto& [split, metrics] : e.splits) row[split_name(split)] = fewshot_metrics_json(metrics);
    return row;
}

}  // namespace

std::vector<FewShotInputs> exhaustive_chunks(const FewShotTask& task, int64_t count, int64_t chunk) {
    const FewShotSequences all = task.exhaustive();
    const FewShotSequences rows = count > 0 && count < all.count ? sampled_rows(all, count) : all;
    std::vector<FewShotInputs> chunks;
    for (int64_t begin = 0; begin < rows.count; begin += chunk)
        chunks.push_back(task.inputs(rows, begin, std::min(rows.count, begin + chunk)));
    return chunks;
}

json::Value FewShotSpec::to_json() const {
    json::Value v = json::Value::object();
    v["run"] = run.to_json();
    v["probe_sequences"] = probe_sequences;
    v["final_sequences"] = final_sequences;
    v["probes"] = json::Value::array();
    for (const ProbeClamp& p : probes) {
        json::Value probe = json::Value::object();
        probe["name"] = p.name;
        probe["clamps"] = p.clamps.to_json();
        v["probes"].push_back(probe);
    }
    return v;
}

FewShotSpec FewShotSpec::from_json(const json::Value& v, const std::string& source) {
    check(v.is_object(), source, ": a clamp spec must be a JSON object {\"run\": {...}, ...}");
    static const std::set<std::string> known = {"run", "probe_sequences", "final_sequences", "probes"};
    for (const auto& [key, _] : v.members())
        check(known.count(key) > 0, source, ": unknown field '", json::printable_line(key),
              "' (expected run, probe_sequences, final_sequences, probes)");
    FewShotSpec spec;
    spec.run = FewShotRunConfig::from_json(v.contains("run") ? v.at("run") : json::Value::object(), source + " run");
    spec.probe_sequences = v.get("probe_sequences", spec.probe_sequences);
    spec.final_sequences = v.get("final_sequences", spec.final_sequences);
    for (auto [field, value] : {std::pair{"probe_sequences", spec.probe_sequences}, {"final_sequences", spec.final_sequences}})
        check(value >= 0 && value <= 1000000, source, ": field '", field, "' must be in [0, 1000000], got ", value);
    static const std::set<std::string> reserved = {"step", "sequences", "induction_strength", "previous_token",
                                                   "k_comp", "v_comp"};
    if (v.contains("probes")) {
        check(v.at("probes").is_array(), source, ": field 'probes' must be an array");
        for (const json::Value& p : v.at("probes").as_array()) {
            check(p.is_object() && p.contains("name") && p.contains("clamps"), source,
                  ": each probe needs 'name' and 'clamps'");
            ProbeClamp probe{p.get("name", ""), ClampSchedule::from_json(p.at("clamps"), source + " probe")};
            check(!probe.name.empty() && !reserved.count(probe.name), source, ": probe name '",
                  json::printable_line(probe.name), "' is empty or reserved");
            probe.clamps.validate_for(spec.run.model, source + " probe '" + probe.name + "'");
            spec.probes.push_back(probe);
        }
    }
    return spec;
}

json::Value run_spec(const FewShotSpec& spec, const std::string& out_dir, bool quiet) {
    make_directories(out_dir);
    json::write_file(out_dir + "/spec.json", spec.to_json());
    const FewShotTask task(spec.run.task);
    const bool probing = spec.probe_sequences > 0 && spec.run.task.sampling == "icl";
    const std::vector<FewShotInputs> chunks = probing ? exhaustive_chunks(task, spec.probe_sequences)
                                                      : std::vector<FewShotInputs>{};
    json::Value result = json::Value::object();
    result["evaluations"] = json::Value::array();
    result["probes"] = json::Value::array();
    FewShotTrainOptions options;
    options.out_dir = out_dir;
    options.quiet = quiet;
    options.probe = [&](const FewShotEvaluation& e, const Transformer& model) {
        result["evaluations"].push_back(evaluation_row(e));
        if (probing) result["probes"].push_back(probe_row(spec, e, model, chunks));
    };
    FewShotRun run = train_fewshot(spec.run, options);
    if (spec.run.task.sampling == "icl") {
        const std::vector<FewShotInputs> all = exhaustive_chunks(task, spec.final_sequences, 4096);
        const int64_t end = spec.run.steps();
        json::Value final = json::Value::object();
        final["induction_strength"] =
            numbers(induction_strengths(run.model, all, run.model.config.n_layers - 1, spec.run.clamps, end));
        final["previous_token"] = numbers(previous_token_attention(run.model, all, 0, spec.run.clamps, end));
        final["exhaustive"] = fewshot_metrics_json(fewshot_metrics(fewshot_outcomes(run.model, all, spec.run.clamps, end)));
        result["final"] = final;
    }
    result["seconds"] = run.seconds;
    result["steps_per_second"] = run.steps_per_second;
    json::write_file(out_dir + "/result.json", result);
    return result;
}

}  // namespace induction
