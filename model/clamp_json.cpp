// clamp_json.cpp — the JSON form of clamp schedules (model/clamp.h): reading with one-line
// errors naming the field, writing so that a run directory stores exactly what was applied.
//
//   {"clamps": [{"name": "...", "site": "pattern", "layer": 0 | [0, 1] | "all", "head": 2 | [..],
//                "positions": [1, 3], "mask": [[..]], "value": "previous_token", "strength": 1,
//                "data": [[..]], "source": {"layer": 1, "head": 3},
//                "pass": {"clamps": [..]}, "pass_site": {"site": "pattern", "layer": 1},
//                "docstring_shift": false, "checkpoint": "path.safetensors",
//                "steps": [first, end], "ramp": {"steps": 500, "from": 0}, "stop_gradient": false}]}
#include <set>

#include "model/clamp.h"

namespace induction {

namespace {

struct SiteName {
    Site site;
    const char* name;
};
constexpr SiteName SITE_NAMES[] = {
    {Site::RESID_PRE, "resid_pre"}, {Site::Q, "q"},          {Site::K, "k"},
    {Site::V, "v"},                 {Site::SCORES, "scores"}, {Site::PATTERN, "pattern"},
    {Site::Z, "z"},                 {Site::ATTN_OUT, "attn_out"}, {Site::RESID_MID, "resid_mid"},
    {Site::MLP_OUT, "mlp_out"},     {Site::RESID_POST, "resid_post"}, {Site::LOGITS, "logits"},
};

struct ValueName {
    ClampValueKind kind;
    const char* name;
};
constexpr ValueName VALUE_NAMES[] = {
    {ClampValueKind::ZERO, "zero"},
    {ClampValueKind::CONSTANT, "constant"},
    {ClampValueKind::PREVIOUS_TOKEN, "previous_token"},
    {ClampValueKind::INDUCTION, "induction"},
    {ClampValueKind::PERFECT_COPY, "perfect_copy"},
    {ClampValueKind::PASS, "pass"},
    {ClampValueKind::EMBEDDINGS, "embeddings"},
    {ClampValueKind::SHIFTED_EMBEDDINGS, "shifted_embeddings"},
    {ClampValueKind::CHECKPOINT, "checkpoint"},
};

Site site_named(const std::string& name, const std::string& where) {
    for (const SiteName& s : SITE_NAMES)
        if (name == s.name) return s.site;
    fail(where, ": field 'site' must be one of resid_pre, q, k, v, scores, pattern, z, attn_out, resid_mid, ",
         "mlp_out, resid_post, logits; got \"", json::printable_line(name), "\"");
}

ClampValueKind value_named(const std::string& name, const std::string& where) {
    for (const ValueName& v : VALUE_NAMES)
        if (name == v.name) return v.kind;
    fail(where, ": field 'value' must be one of zero, constant, previous_token, induction, perfect_copy, pass, ",
         "embeddings, shifted_embeddings, checkpoint; got \"", json::printable_line(name), "\"");
}

// An int, a list of ints, or (when allowed) "all" → the list (empty = all).
std::vector<int> int_list(const json::Value& v, const std::string& where, const char* field, int limit) {
    std::vector<int> out;
    if (v.is_string() && v.as_string() == "all") return out;
    std::vector<json::Value> items = v.is_array() ? v.as_array() : std::vector<json::Value>{v};
    for (const json::Value& x : items) {
        check(x.is_number() && x.as_number() == double(int64_t(x.as_number())) && x.as_number() >= 0 &&
                  x.as_number() < limit,
              where, ": field '", field, "' must be an integer in [0, ", limit, "), a list of them or \"all\"; got ",
              json::dump(x));
        out.push_back(int(x.as_number()));
    }
    return out;
}

// A nested array of numbers → its values (row-major) and shape.
void read_array(const json::Value& v, const std::string& where, const char* field, std::vector<double>& values,
                Shape& shape) {
    std::vector<int64_t> dims;
    for (const json::Value* level = &v; level->is_array(); level = &(*level)[0]) {
        check(level->size() > 0 && dims.size() < 4, where, ": field '", field, "' must be a non-empty array of at most 4 dimensions");
        dims.push_back(int64_t(level->size()));
    }
    check(!dims.empty(), where, ": field '", field, "' must be an array of numbers");
    shape = Shape(dims);
    std::function<void(const json::Value&, size_t)> walk = [&](const json::Value& x, size_t depth) {
        if (depth == dims.size()) {
            check(x.is_number(), where, ": field '", field, "' must hold numbers, got ", json::dump(x));
            values.push_back(x.as_number());
            return;
        }
        check(x.is_array() && int64_t(x.size()) == dims[depth], where, ": field '", field,
              "' is ragged: expected ", dims[depth], " entries at depth ", depth);
        for (const json::Value& item : x.as_array()) walk(item, depth + 1);
    };
    walk(v, 0);
}

json::Value write_array(const std::vector<double>& values, const Shape& shape, int axis = 0, size_t* at = nullptr) {
    size_t start = 0;
    if (!at) at = &start;
    json::Value out = json::Value::array();
    for (int64_t i = 0; i < shape[axis]; ++i)
        out.push_back(axis + 1 == shape.ndim ? json::Value(values[(*at)++]) : write_array(values, shape, axis + 1, at));
    return out;
}

void read_value_fields(const json::Value& v, const std::string& where, Clamp& c) {
    ClampValue& value = c.value;
    value.kind = value_named(v.get("value", ""), where);
    value.strength = v.get("strength", 1.0);
    check(value.strength >= 0 && value.strength <= 1, where, ": field 'strength' must be in [0, 1], got ", value.strength);
    if (v.contains("data")) read_array(v.at("data"), where, "data", value.data, value.data_shape);
    check((value.kind == ClampValueKind::CONSTANT) == v.contains("data"), where,
          ": field 'data' is given exactly when value is \"constant\"");
    if (value.kind == ClampValueKind::PERFECT_COPY) {
        check(v.contains("source") && v.at("source").is_object(), where,
              ": value \"perfect_copy\" needs field 'source': {\"layer\": L, \"head\": H}");
        value.source_layer = v.at("source").get("layer", -1);
        value.source_head = v.at("source").get("head", -1);
        check(value.source_layer >= 0 && value.source_head >= 0, where, ": field 'source' needs layer and head >= 0");
    }
    if (v.contains("pass"))
        value.pass = std::make_shared<ClampSchedule>(ClampSchedule::from_json(v.at("pass"), where + " pass"));
    if (v.contains("pass_site")) {
        value.has_pass_site = true;
        value.pass_site = site_named(v.at("pass_site").get("site", ""), where + " pass_site");
        value.pass_layer = v.at("pass_site").get("layer", 0);
        check(value.pass_layer >= 0 && value.pass_layer < ModelConfig::MAX_LAYERS, where,
              ": field 'pass_site' needs a layer in [0, ", ModelConfig::MAX_LAYERS, ")");
    }
    value.docstring_shift = v.get("docstring_shift", false);
    value.checkpoint = v.get("checkpoint", "");
    check((value.kind == ClampValueKind::CHECKPOINT) == !value.checkpoint.empty(), where,
          ": field 'checkpoint' is given exactly when value is \"checkpoint\"");
}

Clamp read_clamp(const json::Value& v, const std::string& where) {
    static const std::set<std::string> known = {
        "name", "site", "layer", "head", "positions", "mask", "value", "strength", "data", "source", "pass",
        "pass_site", "docstring_shift", "checkpoint", "steps", "ramp", "stop_gradient"};
    check(v.is_object(), where, ": a clamp must be a JSON object");
    for (const auto& [key, _] : v.members())
        check(known.count(key) > 0, where, ": unknown field '", json::printable_line(key), "'");
    Clamp c;
    c.name = v.get("name", "");
    c.site = site_named(v.get("site", ""), where);
    if (v.contains("layer")) c.layers = int_list(v.at("layer"), where, "layer", ModelConfig::MAX_LAYERS);
    if (v.contains("head")) c.heads = int_list(v.at("head"), where, "head", ModelConfig::MAX_HEADS);
    check(c.heads.empty() || site_has_heads(c.site), where, ": site '", clamp_site_name(c.site), "' has no heads");
    if (v.contains("positions")) c.positions = int_list(v.at("positions"), where, "positions", ModelConfig::MAX_CONTEXT);
    if (v.contains("mask")) read_array(v.at("mask"), where, "mask", c.mask, c.mask_shape);
    read_value_fields(v, where, c);
    if (v.contains("steps")) {
        const json::Value& s = v.at("steps");
        check(s.is_array() && s.size() == 2 && s[0].is_number() && (s[1].is_number() || s[1].is_null()), where,
              ": field 'steps' must be [first, end] (end null for no end)");
        c.first_step = s[0].as_int();
        c.end_step = s[1].is_null() ? -1 : s[1].as_int();
        check(c.first_step >= 0 && (c.end_step < 0 || c.end_step > c.first_step), where,
              ": field 'steps' must have 0 <= first < end");
    }
    if (v.contains("ramp")) {
        c.ramp_steps = v.at("ramp").get("steps", int64_t{0});
        c.ramp_from = v.at("ramp").get("from", 0.0);
        check(c.ramp_steps >= 0 && c.ramp_from >= 0 && c.ramp_from <= 1, where,
              ": field 'ramp' needs steps >= 0 and from in [0, 1]");
    }
    c.stop_gradient = v.get("stop_gradient", false);
    return c;
}

json::Value write_clamp(const Clamp& c) {
    json::Value v = json::Value::object();
    auto list = [](const std::vector<int>& xs) {
        json::Value a = json::Value::array();
        for (int x : xs) a.push_back(x);
        return a;
    };
    if (!c.name.empty()) v["name"] = c.name;
    v["site"] = clamp_site_name(c.site);
    v["layer"] = c.layers.empty() ? json::Value("all") : list(c.layers);
    if (!c.heads.empty()) v["head"] = list(c.heads);
    if (!c.positions.empty()) v["positions"] = list(c.positions);
    if (!c.mask.empty()) v["mask"] = write_array(c.mask, c.mask_shape);
    v["value"] = clamp_value_name(c.value.kind);
    v["strength"] = c.value.strength;
    if (!c.value.data.empty()) v["data"] = write_array(c.value.data, c.value.data_shape);
    if (c.value.kind == ClampValueKind::PERFECT_COPY) {
        v["source"] = json::Value::object();
        v["source"]["layer"] = c.value.source_layer;
        v["source"]["head"] = c.value.source_head;
    }
    if (c.value.pass) v["pass"] = c.value.pass->to_json();
    if (c.value.has_pass_site) {
        v["pass_site"] = json::Value::object();
        v["pass_site"]["site"] = clamp_site_name(c.value.pass_site);
        v["pass_site"]["layer"] = c.value.pass_layer;
    }
    if (c.value.docstring_shift) v["docstring_shift"] = true;
    if (!c.value.checkpoint.empty()) v["checkpoint"] = c.value.checkpoint;
    v["steps"] = json::Value::array({json::Value(c.first_step), c.end_step < 0 ? json::Value() : json::Value(c.end_step)});
    if (c.ramp_steps > 0) {
        v["ramp"] = json::Value::object();
        v["ramp"]["steps"] = c.ramp_steps;
        v["ramp"]["from"] = c.ramp_from;
    }
    if (c.stop_gradient) v["stop_gradient"] = true;
    return v;
}

}  // namespace

const char* clamp_site_name(Site site) {
    for (const SiteName& s : SITE_NAMES)
        if (s.site == site) return s.name;
    return "result";
}

const char* clamp_value_name(ClampValueKind kind) {
    for (const ValueName& v : VALUE_NAMES)
        if (v.kind == kind) return v.name;
    return "?";
}

json::Value ClampSchedule::to_json() const {
    json::Value v = json::Value::object();
    v["clamps"] = json::Value::array();
    for (const Clamp& c : clamps) v["clamps"].push_back(write_clamp(c));
    return v;
}

ClampSchedule ClampSchedule::from_json(const json::Value& v, const std::string& source) {
    check(v.is_object() && v.contains("clamps") && v.at("clamps").is_array(), source,
          ": a clamp schedule must be an object {\"clamps\": [...]}");
    for (const auto& [key, _] : v.members())
        check(key == "clamps", source, ": unknown field '", json::printable_line(key), "' (expected only 'clamps')");
    ClampSchedule schedule;
    size_t i = 0;
    for (const json::Value& c : v.at("clamps").as_array())
        schedule.clamps.push_back(read_clamp(c, source + " clamps[" + std::to_string(i++) + "]"));
    return schedule;
}

void ClampSchedule::validate_for(const ModelConfig& config, const std::string& source) const {
    for (size_t i = 0; i < clamps.size(); ++i) {
        const Clamp& c = clamps[i];
        const std::string where = source + " clamps[" + std::to_string(i) + "]";
        for (int l : c.layers)
            check(l < config.n_layers, where, ": field 'layer' ", l, " is not a layer of this model (n_layers = ",
                  config.n_layers, ")");
        for (int h : c.heads)
            check(h < config.n_heads, where, ": field 'head' ", h, " is not a head of this model (n_heads = ",
                  config.n_heads, ")");
        for (int p : c.positions)
            check(p < config.n_ctx, where, ": field 'positions' ", p, " is past n_ctx = ", config.n_ctx);
        if (c.value.kind == ClampValueKind::PERFECT_COPY)
            check(c.value.source_layer < config.n_layers && c.value.source_head < config.n_heads, where,
                  ": field 'source' names no head of this model");
        if (c.value.has_pass_site)
            check(c.value.pass_site == Site::LOGITS || c.value.pass_layer < config.n_layers, where,
                  ": field 'pass_site' layer ", c.value.pass_layer, " is not a layer of this model");
        if (c.value.pass) c.value.pass->validate_for(config, where + " pass");
    }
}

}  // namespace induction
