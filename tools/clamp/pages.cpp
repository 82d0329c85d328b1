// pages.cpp — the clamped-runs, progress, sweep, timing and toy pages (tools/clamp/pages.h);
// the redundancy and wiring pages, which measure the main run's model, are in tables.cpp.
#include "tools/clamp/pages.h"

#include <cmath>
#include <cstdio>

#include "analysis/phase.h"
#include "analysis/report/page.h"
#include "analysis/report/svg.h"
#include "analysis/toy_model.h"
#include "tools/clamp/page_parts.h"

namespace induction {

namespace {

const double LN2 = std::log(2.0);

svg::Figure loss_figure(const std::string& title, const std::vector<RunResult>& runs, const std::string& split) {
    svg::Figure f(760, 360);
    f.title = title;
    f.x.label = "training sequences";
    f.y.label = split + " loss (nats)";
    f.add(svg::HLine{LN2, "#888888", true});  // ln 2: chance between the two context labels
    for (size_t i = 0; i < runs.size(); ++i) {
        Series s = eval_series(runs[i].result, split);
        f.add(svg::Line{.x = s.x, .y = s.y, .color = palette(i), .label = runs[i].name});
    }
    return f;
}

}  // namespace

std::string write_clamped_page(const ExperimentOptions& o, const KeyHeads& h, const std::vector<RunResult>& runs) {
    Page page("Clamped training runs (METHODS §8.7)");
    page.paragraph("Heads from the main run: induction head " + head_text(h.induction) + ", previous-token head " +
                   head_text(h.previous_token) + ". Runs other than copy and layer1-copy ablate every other layer-2 "
                   "head throughout training. The dashed line is ln 2, chance between the two labels in the context. " +
                   sequences_note(o));
    page.figure(loss_figure("train loss of the clamped runs", runs, "train").render(),
                "Loss on the train evaluator (1,000 fixed sequences) against training sequences.");
    std::vector<std::vector<std::string>> rows;
    json::Value data = json::Value::array();
    for (const RunResult& r : runs) {
        const double plateau = plateau_length(r.result), learned = learning_time(r.result);
        rows.push_back({r.name, clamped_run_meaning(r.name), number_text(plateau), number_text(learned),
                        number_text(final_value(eval_series(r.result, "train")))});
        json::Value row = json::Value::object();
        row["run"] = r.name;
        row["plateau_sequences"] = json_number(plateau);
        row["learning_time_sequences"] = json_number(learned);
        row["final_train_loss"] = json_number(final_value(eval_series(r.result, "train")));
        data.push_back(row);
    }
    page.table({"run", "clamped (subcircuits)", "plateau (sequences)", "loss < 0.4 ln 2 at", "final train loss"}, rows);
    page.paragraph("Plateau [OURS]: the sequences spent with train loss within ±10% of ln 2.");
    page.write(o.out_dir + "/clamped.html");
    json::write_file(o.out_dir + "/clamped.json", data);
    std::string summary = "clamped runs:\n";
    for (const auto& row : rows) summary += "  " + row[0] + ": plateau " + row[2] + ", learned at " + row[3] + "\n";
    return summary;
}

std::string write_progress_page(const ExperimentOptions& o, const KeyHeads& h, const RunResult& main,
                                const std::vector<RunResult>& clamped) {
    const RunResult& none = clamped.front();
    Page page("Progress measures (METHODS §8.7, §8.4)");
    page.paragraph("On the checkpoints of the run with only induction head " + head_text(h.induction) +
                   " active (\"none\"): the loss on a fixed subset of the exhaustive set with the PT clamp (i) or "
                   "the match clamp (ii) applied at evaluation time only, beside the train loss of the runs trained "
                   "with those clamps.");
    svg::Figure f(760, 360);
    f.title = "evaluation-time clamps on the unclamped run";
    f.x.label = "training sequences";
    f.y.label = "loss (nats)";
    f.add(svg::HLine{LN2, "#888888", true});
    auto add = [&](Series s, size_t color, const std::string& label, bool dashed) {
        f.add(svg::Line{.x = s.x, .y = s.y, .color = palette(color), .label = label, .dashed = dashed});
    };
    add(eval_series(none.result, "train"), 0, "none: train loss", false);
    add(probe_metric(none.result, "pt_clamp", "loss"), 1, "(i) none + PT clamp at evaluation", true);
    add(probe_metric(none.result, "match_clamp", "loss"), 2, "(ii) none + match clamp at evaluation", true);
    for (const RunResult& r : clamped)
        if (r.name == "pt" || r.name == "match") add(eval_series(r.result, "train"), r.name == "pt" ? 1 : 2, r.name + " (trained clamped)", false);
    page.figure(f.render(), "Progress of the composite of steps 2-5 (i) and of the copy subcircuit C (ii).");
    page.figure(head_curves("previous-token attention of layer-1 heads (none run)", none.result, "previous_token").render(),
                "[OURS] progress of subcircuit A: mean attention from label tokens to the preceding exemplar.");
    page.figure(kcomp_figure(none.result, h).render(),
                "[OURS] K-composition (reduced, §4.6) from each layer-1 head into the induction head.");
    page.figure(head_curves("induction strength of layer-2 heads (none run)", none.result, "induction_strength").render(),
                "Progress of subcircuit B: induction strength (§8.4) of the active head.");
    page.figure(head_curves("induction strength of every layer-2 head (main run, all heads free)", main.result,
                            "induction_strength").render(),
                "Induction strength over training of each layer-2 head of the main run.");
    page.write(o.out_dir + "/progress.html");
    std::string summary = "main run final induction strengths:";
    for (double s : h.induction_strength) summary += " " + number_text(s);
    return summary + "\n";
}

std::string write_sweep_page(const ExperimentOptions& o, const KeyHeads& h, const std::vector<RunResult>& runs) {
    Page page("Clamped-strength sweep (METHODS §8.7)");
    page.paragraph("Induction clamp of strength s on head " + head_text(h.induction) +
                   ", other heads free; colour = clamped induction strength 2s - 1 (blue -1, red +1).");
    const std::vector<double> strengths = sweep_strengths();
    for (const char* split : {"train", "test_relabel", "test_classes"}) {
        svg::Figure f(760, 340);
        f.title = std::string(split) + " loss by clamped strength";
        f.x.label = "training sequences";
        f.y.label = std::string(split) + " loss";
        f.add(svg::HLine{LN2, "#888888", true});
        for (size_t i = 0; i < runs.size(); ++i) {
            Series s = eval_series(runs[i].result, split);
            f.add(svg::Line{.x = s.x, .y = s.y, .color = svg::hex(svg::color_at(svg::ColorMap::DIVERGING, strengths[i])),
                            .label = "2s-1 = " + number_text(2 * strengths[i] - 1)});
        }
        page.figure(f.render(), std::string("Evaluator ") + split + ".");
    }
    page.write(o.out_dir + "/sweep.html");
    return "sweep: " + std::to_string(runs.size()) + " strengths\n";
}

std::string write_timing_page(const ExperimentOptions& o, const KeyHeads& h, const std::vector<RunResult>& runs) {
    Page page("Data-dependent phase-change timing (METHODS §8.10)");
    page.paragraph("Conditions: normal (only induction head " + head_text(h.induction) +
                   " active); B = subcircuit B evolving (layer-1 + copy clamps); C = match clamp; B,C = layer-1 clamp. "
                   "Phase-change time: the first evaluation with train loss < 0.4 ln 2, and the §6.1 window on -loss. " +
                   sequences_note(o));
    std::vector<std::vector<std::string>> rows;
    json::Value data = json::Value::array();
    for (const RunResult& r : runs) {
        Series s = eval_series(r.result, "train");
        std::vector<double> negative(s.y.size());
        for (size_t i = 0; i < s.y.size(); ++i) negative[i] = -s.y[i];
        std::vector<double> x = s.x;
        if (!x.empty()) x[0] = std::max(x[0], 1.0);
        const RiseWindow w = rise_window(negative, x);
        rows.push_back({r.name, number_text(learning_time(r.result)), w.found ? number_text(w.n_start) : "-",
                        w.found ? number_text(w.n_end) : "-", number_text(final_value(s))});
        json::Value row = json::Value::object();
        row["run"] = r.name;
        row["learning_time_sequences"] = json_number(learning_time(r.result));
        row["window_start"] = w.found ? json::Value(w.n_start) : json::Value();
        row["window_end"] = w.found ? json::Value(w.n_end) : json::Value();
        data.push_back(row);
    }
    page.table({"run", "loss < 0.4 ln 2 at", "window start", "window end", "final train loss"}, rows);
    std::vector<RunResult> normal;
    for (const RunResult& r : runs)
        if (r.name.size() > 7 && r.name.substr(r.name.size() - 7) == "-normal") normal.push_back(r);
    page.figure(loss_figure("train loss, normal training, by (K, L)", normal, "train").render(),
                "Only the induction head active; K classes, L labels.");
    page.write(o.out_dir + "/timing.html");
    json::write_file(o.out_dir + "/timing.json", data);
    std::string summary = "timing (loss < 0.4 ln 2 at):\n";
    for (const auto& row : rows) summary += "  " + row[0] + ": " + row[1] + "\n";
    return summary;
}

std::string write_toy_page(const ExperimentOptions& o) {
    Page page("Rank-1 three-factor toy model (METHODS §8.7)");
    page.paragraph("Loss 1/2 mean((T* - a x b x c)^2), gradient descent at lr 1 for 1,000 iterations, seed 1: "
                   "unclamped, c clamped to c*, b and c clamped.");
    svg::Figure loss(760, 340), progress(760, 340);
    loss.title = "loss";
    progress.title = "1 - cos^2(a, a*)";
    std::string summary = "toy model plateau (loss < half its start) at:";
    json::Value data = json::Value::object();
    size_t color = 0;
    for (ToyClamp clamp : {ToyClamp::NONE, ToyClamp::C, ToyClamp::BC}) {
        const ToyTrace t = train_toy_model(clamp);
        std::vector<double> x(t.loss.size());
        for (size_t i = 0; i < x.size(); ++i) x[i] = double(i);
        loss.add(svg::Line{.x = x, .y = t.loss, .color = palette(color), .label = toy_clamp_name(clamp)});
        progress.add(svg::Line{.x = x, .y = t.one_minus_cos2_a, .color = palette(color++), .label = toy_clamp_name(clamp)});
        summary += std::string(" ") + toy_clamp_name(clamp) + " " + std::to_string(toy_plateau_length(t.loss));
        data[toy_clamp_name(clamp)] = json_number(double(toy_plateau_length(t.loss)));
    }
    loss.x.label = progress.x.label = "iteration";
    page.figure(loss.render(), "The unclamped run plateaus, then drops abruptly; clamped runs learn smoothly.");
    page.figure(progress.render(), "Progress of a alone.");
    page.write(o.out_dir + "/toy.html");
    json::write_file(o.out_dir + "/toy.json", data);
    return summary + "\n";
}

void write_index_page(const ExperimentOptions& o, const std::vector<std::pair<std::string, std::string>>& pages) {
    Page page("induction clamp — experiments (Singh et al. 2024)");
    for (const auto& [file, title] : pages) page.link(file, title);
    page.write(o.out_dir + "/index.html");
}

}  // namespace induction
