// tables.cpp — the redundancy (§8.8) and wiring (§8.9) pages: measurements of the main run's
// final model (analysis/fewshot_measures.h) and the single-head and pair training runs.
#include <algorithm>
#include <filesystem>

#include "analysis/fewshot_measures.h"
#include "analysis/report/page.h"
#include "model/checkpoint.h"
#include "tools/clamp/page_parts.h"

namespace induction {

namespace {

// The main run's final model and its task.
struct MainModel {
    Transformer model;
    FewShotTask task;
};

MainModel load_main(const ExperimentOptions& o) {
    const std::string dir = o.out_dir + "/runs/main";
    std::vector<std::string> snapshots;
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/snapshots"))
        if (entry.path().extension() == ".safetensors") snapshots.push_back(entry.path().string());
    check(!snapshots.empty(), dir, "/snapshots: no snapshot of the main run");
    std::sort(snapshots.begin(), snapshots.end());
    const FewShotSpec spec = FewShotSpec::from_json(json::read_file(dir + "/spec.json"), dir + "/spec.json");
    return {load_checkpoint(snapshots.back()).model, FewShotTask(spec.run.task)};
}

std::string metric_text(const FewShotMetrics& m) { return number_text(m.accuracy) + " / " + number_text(m.loss); }

std::vector<std::string> head_row(const HeadRedundancy& r) {
    return {std::to_string(r.head), number_text(r.induction_strength), metric_text(r.only_active),
            metric_text(r.only_removed)};
}

svg::Figure accuracy_vs_strength(const RedundancyTable& t) {
    svg::Figure f(560, 340);
    f.title = "accuracy against final induction strength";
    f.x.label = "induction strength IS(h)";
    f.y.label = "accuracy (exhaustive set)";
    svg::Line only{.color = palette(0), .label = "only h active", .markers = true, .connect = false};
    svg::Line removed{.color = palette(1), .label = "only h removed", .markers = true, .connect = false};
    for (const HeadRedundancy& r : t.heads) {
        only.x.push_back(r.induction_strength), only.y.push_back(r.only_active.accuracy);
        removed.x.push_back(r.induction_strength), removed.y.push_back(r.only_removed.accuracy);
    }
    f.add(only);
    f.add(removed);
    return f;
}

void adding_back_table(Page& page, const AddingHeadsBack& a) {
    std::vector<std::vector<std::string>> rows;
    for (size_t k = 0; k < a.metrics.size(); ++k)
        rows.push_back({std::to_string(k + 1), std::to_string(a.order[k]), metric_text(a.metrics[k])});
    page.table({"heads active", "added head", "accuracy / loss"}, rows);
}

void training_runs_section(Page& page, const KeyHeads& h, const RunResult& none, const std::vector<RunResult>& runs,
                           const std::string& what) {
    std::vector<RunResult> all = {none};
    all.insert(all.end(), runs.begin(), runs.end());
    svg::Figure f(760, 340);
    f.title = what + ": train loss";
    f.x.label = "training sequences";
    f.y.label = "train loss";
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < all.size(); ++i) {
        Series s = eval_series(all[i].result, "train");
        f.add(svg::Line{.x = s.x, .y = s.y, .color = palette(i), .label = all[i].name});
        rows.push_back({all[i].name, number_text(learning_time(all[i].result)), number_text(final_value(s))});
    }
    page.figure(f.render(), what + " (\"none\" = only head " + head_text(h.induction) + ").");
    page.table({"run", "learning time (loss < 0.4 ln 2, sequences)", "final train loss"}, rows);
}

}  // namespace

std::string write_redundancy_page(const ExperimentOptions& o, const KeyHeads& h, const RunResult& none,
                                  const std::vector<RunResult>& singles, const std::vector<RunResult>& pairs) {
    const MainModel main = load_main(o);
    const std::vector<FewShotInputs> chunks = exhaustive_chunks(main.task, 0, 4096);
    const int layer = h.induction.layer;
    const RedundancyTable table = redundancy_table(main.model, chunks, layer);
    const std::vector<int> order = heads_by_strength(h.induction_strength);
    const AddingHeadsBack all_heads = adding_heads_back(main.model, chunks, layer, order);
    const AddingHeadsBack without_strongest =
        adding_heads_back(main.model, chunks, layer, std::vector<int>(order.begin() + 1, order.end()));
    const ErrorOverlap overlap = error_overlap(main.model, chunks, layer, h.induction.head);
    Page page("Additive redundancy of induction heads (METHODS §8.8)");
    page.paragraph("Main run (all heads free), final model, on the exhaustive set (78,400 sequences).");
    std::vector<std::vector<std::string>> rows;
    for (const HeadRedundancy& r : table.heads) rows.push_back(head_row(r));
    page.heading("1. Each layer-2 head alone, and each removed");
    page.table({"head", "IS(h)", "only h active: accuracy / loss", "only h removed: accuracy / loss"}, rows);
    page.figure(accuracy_vs_strength(table).render(), "Unablated accuracy " + number_text(table.unablated.accuracy) + ".");
    page.heading("2. Single-head training runs");
    training_runs_section(page, h, none, singles, "every layer-2 head but one ablated throughout training");
    page.heading("3. Adding heads back in order of final strength");
    adding_back_table(page, all_heads);
    adding_back_table(page, without_strongest);
    page.heading("4. Overlap of errors");
    std::vector<std::vector<std::string>> overlap_rows;
    for (size_t j = 0; j < overlap.fraction_right.size(); ++j)
        overlap_rows.push_back({std::to_string(j), number_text(overlap.fraction_right[j])});
    page.paragraph("Among the " + std::to_string(overlap.strongest_errors) + " sequences head " +
                   head_text(h.induction) + " alone gets wrong, the fraction each other head alone gets right.");
    page.table({"head", "fraction right"}, overlap_rows);
    page.heading("5. Pairs: the strongest head plus one other, trained from scratch");
    training_runs_section(page, h, none, pairs, "two layer-2 heads active throughout training");
    page.write(o.out_dir + "/redundancy.html");
    json::Value data = json::Value::object();
    data["heads"] = table.to_json();
    data["adding_back"] = all_heads.to_json();
    data["adding_back_without_strongest"] = without_strongest.to_json();
    data["error_overlap"] = overlap.to_json();
    json::write_file(o.out_dir + "/redundancy.json", data);
    return "redundancy: unablated accuracy " + number_text(table.unablated.accuracy) + ", strongest alone " +
           number_text(table.heads[size_t(h.induction.head)].only_active.accuracy) + "\n";
}

std::string write_wiring_page(const ExperimentOptions& o, const KeyHeads& h) {
    const MainModel main = load_main(o);
    // 264 passes with preservation: a seeded sample of 9,800 sequences of the exhaustive set.
    const std::vector<FewShotInputs> chunks = exhaustive_chunks(main.task, 9800, 4096);
    const WiringTable table = wiring_table(main.model, chunks, 0, h.induction.layer);
    const WiringSets sets = wiring_sets(main.model, chunks, 0, h.induction.layer, h.pt_heads);
    Page page("Many-to-many wiring (METHODS §8.9)");
    page.paragraph("Main run, final model, 9,800 sequences of the exhaustive set. Cells: accuracy change of layer-2 "
                   "head i alone when layer-1 head j is ablated with patterns preserved (V route removed) / values "
                   "preserved (Q/K route removed); then the accuracy with only j kept in layer 1; then K-/V-comp "
                   "(reduced) with the random baseline " + number_text(table.baseline.reduced_mean) + " ± " +
                   number_text(table.baseline.reduced_std) + ".");
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < table.n_heads; ++i)
        for (int j = 0; j < table.n_heads; ++j) {
            const WiringEntry& e = table.at(i, j);
            const double only = table.only_second[size_t(i)].accuracy;
            rows.push_back({std::to_string(i), std::to_string(j), number_text(only),
                            number_text(e.removed_patterns_preserved.accuracy - only),
                            number_text(e.removed_values_preserved.accuracy - only),
                            number_text(e.kept_patterns_preserved.accuracy), number_text(e.kept_values_preserved.accuracy),
                            number_text(e.k_comp_reduced), number_text(e.v_comp_reduced)});
        }
    page.table({"L2 head i", "L1 head j", "acc (only i)", "(a) Δacc, patterns kept", "(a) Δacc, values kept",
                "(b) only j, patterns kept", "(b) only j, values kept", "(c) K-comp", "(c) V-comp"}, rows);
    page.heading("(d) PT heads vs the rest, (e) the direct path");
    page.table({"ablated in layer 1", "patterns preserved", "values preserved"},
               {{"PT heads", metric_text(sets.pt_patterns_preserved), metric_text(sets.pt_values_preserved)},
                {"other heads", metric_text(sets.other_patterns_preserved), metric_text(sets.other_values_preserved)},
                {"all (both preserved: direct path)", metric_text(sets.direct_path), ""}});
    page.paragraph("Accuracy / loss; nothing ablated: " + metric_text(sets.baseline) + "; all layer-2 heads active.");
    page.write(o.out_dir + "/wiring.html");
    json::Value data = json::Value::object();
    data["table"] = table.to_json();
    data["sets"] = sets.to_json();
    json::write_file(o.out_dir + "/wiring.json", data);
    return "wiring: direct path of layer 1 changes accuracy by " +
           number_text(sets.direct_path.accuracy - sets.baseline.accuracy) + "\n";
}

}  // namespace induction
