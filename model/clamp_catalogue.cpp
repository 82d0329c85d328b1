// clamp_catalogue.cpp — the §8.6 catalogue rows as clamp schedules.
#include "model/clamp_catalogue.h"

#include <algorithm>
#include <memory>

namespace induction {

namespace {

Clamp clamp_at(Site site, std::vector<int> layers, ClampValueKind kind, std::string name) {
    Clamp c;
    c.name = std::move(name);
    c.site = site;
    c.layers = std::move(layers);
    c.value.kind = kind;
    return c;
}

std::string head_name(HeadId h) { return std::to_string(h.layer) + ":" + std::to_string(h.head); }

// Pass B of the layer-1 clamp: input_layer's block output ← the shifted embeddings.
ClampSchedule shifted_input_pass(int input_layer, bool docstring_shift) {
    Clamp shifted = clamp_at(Site::RESID_POST, {input_layer}, ClampValueKind::SHIFTED_EMBEDDINGS,
                             "layer-1 clamp pass B: shifted embeddings");
    shifted.value.docstring_shift = docstring_shift;
    return {{shifted}};
}

}  // namespace

ClampSchedule join(const std::vector<ClampSchedule>& parts) {
    ClampSchedule all;
    for (const ClampSchedule& p : parts) all.clamps.insert(all.clamps.end(), p.clamps.begin(), p.clamps.end());
    return all;
}

ClampSchedule previous_token_clamp(HeadId head, double strength, bool label_rows_only) {
    Clamp c = clamp_at(Site::PATTERN, {head.layer}, ClampValueKind::PREVIOUS_TOKEN, "PT clamp " + head_name(head));
    c.heads = {head.head};
    c.value.strength = strength;
    if (label_rows_only) c.positions = {1, 3};
    return {{c}};
}

ClampSchedule induction_clamp(HeadId head, double strength) {
    Clamp c = clamp_at(Site::PATTERN, {head.layer}, ClampValueKind::INDUCTION, "induction clamp " + head_name(head));
    c.heads = {head.head};
    c.positions = {4};  // the query row of the 5-token task
    c.value.strength = strength;
    return {{c}};
}

ClampSchedule perfect_copy_clamp(HeadId head, const ClampSchedule& pass) {
    Clamp c = clamp_at(Site::LOGITS, {}, ClampValueKind::PERFECT_COPY, "perfect copy from " + head_name(head));
    c.value.source_layer = head.layer;
    c.value.source_head = head.head;
    if (!pass.empty()) c.value.pass = std::make_shared<ClampSchedule>(pass);
    return {{c}};
}

ClampSchedule layer1_clamp(int input_layer, bool docstring_shift) {
    Clamp patterns = clamp_at(Site::PATTERN, {input_layer + 1}, ClampValueKind::PASS,
                              "layer-1 clamp: patterns from pass B");
    patterns.value.pass = std::make_shared<ClampSchedule>(shifted_input_pass(input_layer, docstring_shift));
    Clamp values = clamp_at(Site::RESID_POST, {input_layer}, ClampValueKind::EMBEDDINGS,
                            "layer-1 clamp: raw embeddings for the values");
    return {{patterns, values}};
}

ClampSchedule layer1_copy_clamp(HeadId head, int input_layer, bool docstring_shift) {
    return join({layer1_clamp(input_layer, docstring_shift),
                 perfect_copy_clamp(head, shifted_input_pass(input_layer, docstring_shift))});
}

ClampSchedule ablate_heads(const std::vector<HeadId>& heads) {
    ClampSchedule s;
    for (HeadId h : heads) {
        Clamp c = clamp_at(Site::V, {h.layer}, ClampValueKind::ZERO, "ablate " + head_name(h));
        c.heads = {h.head};
        s.clamps.push_back(c);
    }
    return s;
}

ClampSchedule only_heads_active(int layer, const std::vector<int>& keep, int n_heads) {
    std::vector<HeadId> ablated;
    for (int h = 0; h < n_heads; ++h)
        if (std::find(keep.begin(), keep.end(), h) == keep.end()) ablated.push_back({layer, h});
    return ablate_heads(ablated);
}

ClampSchedule preserve(Site site) {
    return {{clamp_at(site, {}, ClampValueKind::PASS, std::string("preserve ") + clamp_site_name(site))}};
}

ClampSchedule pattern_preserving_ablation(const std::vector<HeadId>& heads) {
    return join({preserve(Site::PATTERN), ablate_heads(heads)});
}

ClampSchedule value_preserving_ablation(const std::vector<HeadId>& heads) {
    return join({preserve(Site::V), ablate_heads(heads)});
}

ClampSchedule graft(const std::string& checkpoint, int layer) {
    Clamp c = clamp_at(Site::RESID_POST, {layer}, ClampValueKind::CHECKPOINT, "graft " + checkpoint);
    c.value.checkpoint = checkpoint;
    return {{c}};
}

ClampSchedule during(ClampSchedule schedule, int64_t first, int64_t end, int64_t ramp_steps, double ramp_from) {
    for (Clamp& c : schedule.clamps) {
        c.first_step = first;
        c.end_step = end;
        c.ramp_steps = ramp_steps;
        c.ramp_from = ramp_from;
    }
    return schedule;
}

}  // namespace induction
