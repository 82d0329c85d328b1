// checkpoint.cpp — Transformer ⇄ safetensors.
#include "model/checkpoint.h"

#include <set>

#include "model/io/safetensors.h"
#include "tensor/finite.h"

namespace induction {

namespace {

// The attention biases TransformerLens expects; ours are structurally zero (METHODS §1.1).
std::vector<std::pair<std::string, Shape>> zero_attention_biases(const ModelConfig& c) {
    std::vector<std::pair<std::string, Shape>> biases;
    for (int l = 0; l < c.n_layers; ++l) {
        std::string prefix = "blocks." + std::to_string(l) + ".attn.";
        for (const char* name : {"b_Q", "b_K", "b_V"})
            biases.push_back({prefix + name, Shape({c.n_heads, c.d_head})});
        biases.push_back({prefix + "b_O", Shape({c.d_model})});
    }
    return biases;
}

}  // namespace

void save_checkpoint(const std::string& path, Transformer& model, const Metadata& metadata) {
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const NamedParameter& p : model.parameters()) tensors.push_back({p.name, p.var->value()});
    DType dtype = model.W_E.dtype();
    for (const auto& [name, shape] : zero_attention_biases(model.config))
        tensors.push_back({name, Tensor::zeros(shape, dtype)});
    Metadata all = metadata;
    all.push_back({"config", json::dump(model.config.to_json())});
    write_safetensors(path, tensors, all);
}

std::string LoadedCheckpoint::get(const std::string& key, const std::string& fallback) const {
    for (const auto& [k, v] : metadata)
        if (k == key) return v;
    return fallback;
}

LoadedCheckpoint load_checkpoint(const std::string& path, bool allow_nonfinite) {
    SafetensorsFile file = read_safetensors(path);
    LoadedCheckpoint loaded;
    std::string config_text;
    for (const auto& [key, value] : file.metadata) {
        if (key == "config")
            config_text = value;
        else
            loaded.metadata.push_back({key, value});
    }
    check(!config_text.empty(), path, ": no model config in the header's __metadata__ (key 'config')");
    json::Value config_json;
    try {
        config_json = json::parse(config_text);
    } catch (const Error& e) {
        fail(path, ": __metadata__ 'config' is not valid JSON: ", e.what());
    }
    ModelConfig config = ModelConfig::from_json(config_json, path + " (config)");
    check(!file.tensors.empty(), path, ": holds no tensors");
    DType dtype = file.tensors.front().second.dtype();
    check(is_floating(dtype), path, ": parameters must be F32 or F64, got ", dtype_name(dtype));

    loaded.model = make_transformer(config, 0, dtype);
    std::set<std::string> expected;
    for (const NamedParameter& p : loaded.model.parameters()) {
        expected.insert(p.name);
        check(file.contains(p.name), path, ": tensor '", p.name, "' is missing");
        const Tensor& t = file.get(p.name);
        check(t.dtype() == dtype && t.shape() == p.var->shape(), path, ": tensor '", p.name, "' is ",
              describe(t), ", expected ", dtype_name(dtype), p.var->shape().str(), " for this config");
        const int64_t bad = allow_nonfinite ? -1 : first_nonfinite_index(t);
        if (bad >= 0)
            fail(path, ": tensor '", p.name, "' holds ", t.reshape({t.numel()}).to_vector()[size_t(bad)],
                 " at flat index ", bad, "; weights must be finite (--allow-nonfinite to load it anyway)");
        p.var->set_value(t);
    }
    for (const auto& [name, shape] : zero_attention_biases(config)) {
        expected.insert(name);
        if (!file.contains(name)) continue;  // optional: only TransformerLens needs them
        const Tensor& t = file.get(name);
        check(t.dtype() == dtype && t.shape() == shape, path, ": tensor '", name, "' is ", describe(t),
              ", expected ", dtype_name(dtype), shape.str());
        for (double x : t.to_vector())
            check(x == 0, path, ": tensor '", name, "' is nonzero; attention biases are not supported");
    }
    for (const auto& [name, t] : file.tensors)
        check(expected.count(name) > 0, path, ": unexpected tensor '", name, "' for this config");
    return loaded;
}

}  // namespace induction
