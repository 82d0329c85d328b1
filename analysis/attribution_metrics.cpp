// attribution_metrics.cpp — ablations.json: ΔICL, Δ loss and the before-and-after attribution of
// every head and head group over training.
#include "analysis/attribution_metrics.h"

#include <cmath>

namespace induction {

namespace {

json::Value number_or_null(double x) { return std::isfinite(x) ? json::Value(x) : json::Value(); }

}  // namespace

json::Value interval(const Estimate& e) {
    json::Value v = json::Value::array();
    v.push_back(number_or_null(e.lo));
    v.push_back(number_or_null(e.hi));
    return v;
}

json::Value head_set_json(const HeadSet& heads) {
    json::Value list = json::Value::array();
    for (const HeadRef& h : heads) {
        json::Value pair = json::Value::array();
        pair.push_back(h.layer);
        pair.push_back(h.head);
        list.push_back(pair);
    }
    return list;
}

namespace {

// [[value per head] per layer] of one field of the single-head effects.
template <typename Field>
json::Value head_table(const std::vector<AblationEffect>& effects, int n_layers, int n_heads, Field field) {
    json::Value table = json::Value::array();
    for (int l = 0; l < n_layers; ++l) {
        json::Value row = json::Value::array();
        for (int h = 0; h < n_heads; ++h) row.push_back(number_or_null(field(effects[size_t(l * n_heads + h)])));
        table.push_back(row);
    }
    return table;
}

}  // namespace

json::Value effect_json(const AblationEffect& effect) {
    json::Value v = json::Value::object();
    v["icl_amount"] = number_or_null(effect.icl.value);
    v["icl_amount_ci"] = interval(effect.icl);
    v["delta_icl"] = number_or_null(effect.delta_icl.value);
    v["delta_icl_ci"] = interval(effect.delta_icl);
    v["icl_amount_band"] = number_or_null(effect.icl_band.value);
    v["icl_amount_band_ci"] = interval(effect.icl_band);
    v["delta_icl_band"] = number_or_null(effect.delta_icl_band.value);
    v["delta_icl_band_ci"] = interval(effect.delta_icl_band);
    auto share = [](const Estimate& e) {  // the share of the clean ICL amount removed, jointly resampled
        json::Value s = json::Value::object();
        s["value"] = number_or_null(e.value);
        s["ci"] = interval(e);
        return s;
    };
    v["share_removed"] = share(effect.share_removed);
    v["share_removed_band"] = share(effect.share_removed_band);
    return v;
}

std::vector<HeadGroup> head_groups(const std::vector<HeadClass>& classes, int n_layers, int n_heads) {
    check(classes.size() == size_t(n_layers * n_heads), "head_groups: ", classes.size(), " classes for ",
          n_layers * n_heads, " heads");
    HeadGroup induction{"induction", {}}, previous{"previous-token", {}}, other{"other", {}};
    for (int l = 0; l < n_layers; ++l)
        for (int h = 0; h < n_heads; ++h) {
            HeadClass c = classes[size_t(l * n_heads + h)];
            HeadGroup& group = c == HeadClass::INDUCTION ? induction : c == HeadClass::PREVIOUS_TOKEN ? previous : other;
            group.heads.push_back({l, h});
        }
    std::vector<HeadGroup> groups;
    for (HeadGroup* g : {&induction, &previous, &other})
        if (!g->heads.empty()) groups.push_back(*g);
    return groups;
}

SnapshotAttribution attribute_snapshot(const AblationSweep& sweep, const AttributionColumns& columns,
                                       size_t n_single_heads, const BootstrapPlan& plan) {
    ExampleReadings clean = read_examples(pick_columns(sweep.clean, columns.columns), columns);
    SnapshotAttribution a;
    a.icl = mean_with_interval(clean.icl, plan);
    a.icl_band = mean_with_interval(clean.icl_band, plan);
    for (double x : clean.random_token) a.loss_random_token += x;
    a.loss_random_token /= double(clean.random_token.size());
    a.random_token = clean.random_token;
    for (size_t s = 0; s < sweep.ablated.size(); ++s)
        (s < n_single_heads ? a.heads : a.groups)
            .push_back(ablation_effect(clean, read_examples(sweep.ablated[s], columns), plan));
    return a;
}

json::Value ablations_json(const AttributionSettings& settings, const std::vector<SnapshotAttribution>& snapshots) {
    const AttributionColumns& c = settings.columns;
    json::Value v = json::Value::object();
    v["mode"] = ablation_mode_name(settings.mode);
    v["examples"] = c.columns.size(0);
    v["icl_lo"] = c.indices.i_lo;
    v["icl_hi"] = c.indices.i_hi;
    json::Value bands = json::Value::object();
    bands["lo"] = json::Value::array({json::Value(c.bands.lo_first), json::Value(c.bands.lo_last)});
    bands["hi"] = json::Value::array({json::Value(c.bands.hi_first), json::Value(c.bands.hi_last)});
    v["icl_bands"] = bands;
    v["bootstrap_resamples"] = settings.bootstrap_resamples;
    v["delta_sign"] = "ablated minus clean ICL amount per decade: negative when the ablation removes ICL";
    json::Value groups = json::Value::object();
    for (const HeadGroup& g : settings.groups) groups[g.name] = head_set_json(g.heads);
    v["groups"] = groups;

    // §5.5: the before-and-after vector of the clean random-token losses across the window.
    std::vector<double> b;
    json::Value before_after = json::Value::object();
    if (settings.window_start >= 0) {
        const SnapshotAttribution &start = snapshots[size_t(settings.window_start)],
                                  &end = snapshots[size_t(settings.window_end)];
        b = before_after_vector(start.random_token, end.random_token);
        before_after["start_step"] = start.step;
        before_after["end_step"] = end.step;
        before_after["source"] = "the ICL curve's window (METHODS §6.1)";
    }
    before_after["found"] = !b.empty();
    if (b.empty())
        before_after["reason"] = settings.window_start < 0 ? settings.no_window_reason
                                                          : "the window's start and end losses are equal";
    v["before_after"] = before_after;

    const int L = settings.n_layers, H = settings.n_heads;
    json::Value list = json::Value::array();
    for (const SnapshotAttribution& s : snapshots) {
        check(s.heads.size() == size_t(L * H) && s.groups.size() == settings.groups.size(),
              "ablations_json: snapshot ", s.step, " has ", s.heads.size(), " head and ", s.groups.size(),
              " group effects");
        json::Value e = json::Value::object();
        e["step"] = s.step;
        e["tokens"] = s.tokens;
        json::Value clean = json::Value::object();
        clean["icl_amount"] = number_or_null(s.icl.value);
        clean["icl_amount_ci"] = interval(s.icl);
        clean["icl_amount_band"] = number_or_null(s.icl_band.value);
        clean["icl_amount_band_ci"] = interval(s.icl_band);
        clean["loss_random_token"] = number_or_null(s.loss_random_token);
        e["clean"] = clean;
        json::Value heads = json::Value::object();
        heads["delta_icl"] = head_table(s.heads, L, H, [](const AblationEffect& a) { return a.delta_icl.value; });
        heads["delta_icl_lo"] = head_table(s.heads, L, H, [](const AblationEffect& a) { return a.delta_icl.lo; });
        heads["delta_icl_hi"] = head_table(s.heads, L, H, [](const AblationEffect& a) { return a.delta_icl.hi; });
        heads["delta_icl_band"] =
            head_table(s.heads, L, H, [](const AblationEffect& a) { return a.delta_icl_band.value; });
        heads["delta_loss"] = head_table(s.heads, L, H, [](const AblationEffect& a) { return a.delta_loss; });
        if (!b.empty()) {
            heads["before_after"] = head_table(s.heads, L, H, [&](const AblationEffect& a) {
                return before_after_attribution(a.delta_random_token, b).projection;
            });
            heads["before_after_cosine"] = head_table(s.heads, L, H, [&](const AblationEffect& a) {
                return before_after_attribution(a.delta_random_token, b).cosine;
            });
        }
        e["heads"] = heads;
        json::Value group_effects = json::Value::object();
        for (size_t g = 0; g < settings.groups.size(); ++g) {
            json::Value ge = effect_json(s.groups[g]);
            ge["delta_loss"] = number_or_null(s.groups[g].delta_loss);
            if (!b.empty()) ge["before_after"] = before_after_attribution(s.groups[g].delta_random_token, b).projection;
            group_effects[settings.groups[g].name] = ge;
        }
        e["groups"] = group_effects;
        list.push_back(e);
    }
    v["snapshots"] = list;
    return v;
}

}  // namespace induction
