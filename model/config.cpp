// config.cpp — ModelConfig validation and JSON round trip.
#include "model/config.h"

#include <cmath>
#include <limits>
#include <set>

#include "tensor/error.h"

namespace induction {

std::vector<int32_t> ModelConfig::windows_of_layer(int layer) const {
    if (local_windows.empty()) return {};
    std::vector<int32_t> windows(local_windows.begin() + layer * n_heads,
                                 local_windows.begin() + (layer + 1) * n_heads);
    for (int32_t w : windows)
        if (w > 0) return windows;
    return {};
}

void ModelConfig::validate(const std::string& source) const {
    auto size = [&](const char* field, int value, int max) {
        check(value > 0 && value <= max, source, ": field '", field, "' must be an integer in [1, ", max,
              "], got ", value);
    };
    size("n_layers", n_layers, MAX_LAYERS);
    size("d_model", d_model, MAX_WIDTH);
    size("n_heads", n_heads, MAX_HEADS);
    size("d_head", d_head, MAX_WIDTH);
    size("d_vocab", d_vocab, MAX_VOCAB);
    size("n_ctx", n_ctx, MAX_CONTEXT);
    if (!attn_only) size("d_mlp", d_mlp, MAX_WIDTH * 4);
    check(d_exemplar >= 0 && d_exemplar <= MAX_WIDTH, source, ": field 'd_exemplar' must be in [0, ", MAX_WIDTH,
          "], got ", d_exemplar);
    // Each dimension may be sane and the product absurd: bound the parameter count before any
    // allocation (a crafted checkpoint header must not ask for terabytes).
    const double per_layer = 4.0 * d_model * n_heads * d_head + (attn_only ? 0.0 : 2.0 * d_model * d_mlp);
    const double parameters = 2.0 * d_vocab * d_model + double(n_ctx) * d_model + n_layers * per_layer +
                              double(d_exemplar + 1) * d_model;
    check(parameters <= MAX_PARAMETERS, source, ": the config asks for about ", parameters,
          " parameters, more than the ", MAX_PARAMETERS, " this framework trains");
    check(normalization_type == "LN" || normalization_type == "none", source,
          ": field 'normalization_type' must be \"LN\" or \"none\", got \"", json::printable_line(normalization_type), "\"");
    check(positional_embedding_type == "shortformer" || positional_embedding_type == "standard" ||
              positional_embedding_type == "rotary",
          source, ": field 'positional_embedding_type' must be \"shortformer\", \"standard\" or \"rotary\", got \"",
          json::printable_line(positional_embedding_type), "\"");
    check(act_fn == "gelu" || act_fn == "relu", source,
          ": field 'act_fn' must be \"gelu\" or \"relu\", got \"", json::printable_line(act_fn), "\"");
    check(local_windows.empty() || local_windows.size() == size_t(n_layers * n_heads), source,
          ": field 'local_windows' must have n_layers * n_heads = ", n_layers * n_heads,
          " entries, got ", local_windows.size());
    for (int w : local_windows)
        check(w >= 0 && w <= n_ctx, source, ": field 'local_windows' entries must be in [0, n_ctx = ", n_ctx,
              "] (0 = dense), got ", w);
    check(init_range > 0 && init_range <= 100, source, ": field 'init_range' must be in (0, 100], got ", init_range);
    check(embed_init_range > 0 && embed_init_range <= 100, source,
          ": field 'embed_init_range' must be in (0, 100], got ", embed_init_range);
    check(std::isfinite(smear_alpha_init) && std::abs(smear_alpha_init) <= 100, source,
          ": field 'smear_alpha_init' must be in [-100, 100], got ", smear_alpha_init);
}

json::Value ModelConfig::to_json() const {
    json::Value v = json::Value::object();
    v["n_layers"] = n_layers;
    v["d_model"] = d_model;
    v["n_heads"] = n_heads;
    v["d_head"] = d_head;
    v["d_mlp"] = d_mlp;
    v["d_vocab"] = d_vocab;
    v["n_ctx"] = n_ctx;
    v["attn_only"] = attn_only;
    v["normalization_type"] = normalization_type;
    v["positional_embedding_type"] = positional_embedding_type;
    v["act_fn"] = act_fn;
    v["smear_keys"] = smear_keys;
    v["smear_alpha_init"] = smear_alpha_init;
    json::Value windows = json::Value::array();
    for (int w : local_windows) windows.push_back(w);
    v["local_windows"] = windows;
    v["fixed_positions"] = fixed_positions;
    v["init_range"] = init_range;
    v["embed_init_range"] = embed_init_range;
    v["scale_output_init"] = scale_output_init;
    if (d_exemplar > 0) v["d_exemplar"] = d_exemplar;  // few-shot models only; LM configs read as before
    return v;
}

ModelConfig ModelConfig::from_json(const json::Value& v, const std::string& source) {
    check(v.is_object(), source, ": a model config must be a JSON object");
    ModelConfig c;
    static const std::set<std::string> known = {
        "n_layers", "d_model", "n_heads", "d_head", "d_mlp", "d_vocab", "n_ctx", "attn_only",
        "normalization_type", "positional_embedding_type", "act_fn", "smear_keys",
        "smear_alpha_init", "local_windows", "fixed_positions", "init_range", "embed_init_range",
        "scale_output_init", "d_exemplar"};
    for (const auto& [key, value] : v.members())
        check(known.count(key) > 0, source, ": unknown model config field '", json::printable_line(key), "'");
    auto integer = [&](const char* key, int& field) {
        if (!v.contains(key)) return;
        const json::Value& x = v.at(key);
        // Checked before any conversion: 4294967424 once wrapped to 128.
        check(x.is_number() && std::trunc(x.as_number()) == x.as_number() &&
                  std::abs(x.as_number()) <= double(std::numeric_limits<int>::max()),
              source, ": field '", key, "' must be an integer of at most ", std::numeric_limits<int>::max(),
              " in magnitude, got ", json::dump(x));
        field = int(x.as_int());
    };
    auto boolean = [&](const char* key, bool& field) {
        if (!v.contains(key)) return;
        check(v.at(key).is_bool(), source, ": field '", key, "' must be true or false, got ", json::dump(v.at(key)));
        field = v.at(key).as_bool();
    };
    auto text = [&](const char* key, std::string& field) {
        if (!v.contains(key)) return;
        check(v.at(key).is_string(), source, ": field '", key, "' must be a string, got ", json::dump(v.at(key)));
        field = v.at(key).as_string();
    };
    auto number = [&](const char* key, double& field) {
        if (!v.contains(key)) return;
        check(v.at(key).is_number(), source, ": field '", key, "' must be a number, got ", json::dump(v.at(key)));
        field = v.at(key).as_number();
    };
    integer("n_layers", c.n_layers);
    integer("d_model", c.d_model);
    integer("n_heads", c.n_heads);
    integer("d_head", c.d_head);
    integer("d_mlp", c.d_mlp);
    integer("d_vocab", c.d_vocab);
    integer("n_ctx", c.n_ctx);
    boolean("attn_only", c.attn_only);
    text("normalization_type", c.normalization_type);
    text("positional_embedding_type", c.positional_embedding_type);
    text("act_fn", c.act_fn);
    boolean("smear_keys", c.smear_keys);
    number("smear_alpha_init", c.smear_alpha_init);
    if (v.contains("local_windows")) {
        check(v.at("local_windows").is_array(), source, ": field 'local_windows' must be an array");
        for (const json::Value& w : v.at("local_windows").as_array()) {
            check(w.is_number() && std::trunc(w.as_number()) == w.as_number() &&
                      std::abs(w.as_number()) <= double(std::numeric_limits<int>::max()),
                  source, ": field 'local_windows' must hold integers, got ", json::dump(w));
            c.local_windows.push_back(int(w.as_number()));
        }
    }
    boolean("fixed_positions", c.fixed_positions);
    number("init_range", c.init_range);
    number("embed_init_range", c.embed_init_range);
    boolean("scale_output_init", c.scale_output_init);
    integer("d_exemplar", c.d_exemplar);
    c.validate(source);
    return c;
}

}  // namespace induction
