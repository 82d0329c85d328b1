// test_checkpoint.cpp — Transformer ⇄ safetensors (model/checkpoint.h): exact round trips for
// every architecture, the zero attention biases TransformerLens expects, and every corruption
// rejected with one line naming the file, the tensor and the problem.
#include <gtest/gtest.h>

#include <cmath>

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <functional>

#include "model/checkpoint.h"
#include "model/io/file_io.h"
#include "model/io/safetensors.h"
#include "tests/support/testing.h"

namespace induction {
namespace {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

Transformer random_model(const ModelConfig& config, DType dtype = DType::F32) {
    Transformer model = make_transformer(config, 1, dtype);
    uint64_t seed = 10;
    for (const NamedParameter& p : model.parameters())
        p.var->set_value(testing::random_tensor(p.var->shape(), dtype, seed++));
    return model;
}

bool same_bits(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

class Checkpoint : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "induction_ckpt_XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        directory_ = pattern;
        saved_ = path("model.safetensors");
        Transformer model = random_model(testing::small_model_config());
        save_checkpoint(saved_, model, {{"step", "300"}});
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::string path(const std::string& name) const { return directory_ + "/" + name; }

    // A copy of the saved checkpoint with its tensors and metadata edited.
    std::string edited(const std::string& name,
                       const std::function<void(NamedTensors&, Metadata&)>& edit) {
        SafetensorsFile file = read_safetensors(saved_);
        Metadata metadata = file.metadata;
        edit(file.tensors, metadata);
        write_safetensors(path(name), file.tensors, metadata);
        return path(name);
    }
    std::string with_tensor(const std::string& name, const std::string& tensor, Tensor value) {
        return edited(name, [&](NamedTensors& tensors, Metadata&) {
            for (auto& [n, t] : tensors)
                if (n == tensor) return void(t = value);
            tensors.push_back({tensor, value});
        });
    }
    std::string with_config(const std::string& name, const std::function<void(json::Value&)>& edit) {
        return edited(name, [&](NamedTensors&, Metadata& metadata) {
            for (auto& [key, value] : metadata)
                if (key == "config") {
                    json::Value config = json::parse(value);
                    edit(config);
                    value = json::dump(config);
                }
        });
    }

    // Loading must throw one line naming the file and containing every phrase.
    void expect_rejected(const std::string& file, const std::vector<std::string>& phrases) {
        try {
            load_checkpoint(file);
            ADD_FAILURE() << "load_checkpoint accepted " << file << "; expected " << phrases[0];
        } catch (const Error& e) {
            std::string message = e.what();
            EXPECT_NE(message.find(file), std::string::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
            for (const std::string& phrase : phrases)
                EXPECT_NE(message.find(phrase), std::string::npos) << "expected \"" << phrase << "\" in: " << message;
        }
    }

    std::string directory_, saved_;
};

TEST_F(Checkpoint, RoundTripsEveryArchitectureExactly) {
    std::vector<std::pair<std::string, ModelConfig>> variants;
    auto add = [&](std::string name, auto change) {
        ModelConfig c = testing::small_model_config();
        change(c);
        variants.push_back({std::move(name), c});
    };
    add("attn-only", [](ModelConfig&) {});
    add("smeared", [](ModelConfig& c) { c.smear_keys = true; c.smear_alpha_init = 1.5; });
    add("MLP relu", [](ModelConfig& c) { c.attn_only = false; c.act_fn = "relu"; });
    add("no LN, standard", [](ModelConfig& c) { c.normalization_type = "none"; c.positional_embedding_type = "standard"; });
    add("local, fixed positions", [](ModelConfig& c) {
        c.local_windows = {1, 0, 2, 0, 0, 3, 0, 4};
        c.fixed_positions = true;
        c.init_range = 0.05;
        c.embed_init_range = 1.0;
        c.scale_output_init = true;
    });
    add("everything", [](ModelConfig& c) {
        c.attn_only = false;
        c.smear_keys = true;
        c.n_layers = 3;
        c.local_windows = std::vector<int>(12, 2);
    });
    const Metadata metadata = {{"step", "1200"}, {"tokens_seen", "4915200"}, {"note", "{\"json\": [1, 2]}"}};
    for (DType dtype : {DType::F32, DType::F64})
        for (const auto& [name, config] : variants) {
            SCOPED_TRACE(name + (dtype == DType::F64 ? " f64" : " f32"));
            Transformer model = random_model(config, dtype);
            std::string file = path("roundtrip.safetensors");
            save_checkpoint(file, model, metadata);
            LoadedCheckpoint loaded = load_checkpoint(file);
            EXPECT_EQ(json::dump(loaded.model.config.to_json()), json::dump(config.to_json()));
            EXPECT_EQ(loaded.metadata, metadata);
            EXPECT_EQ(loaded.get("step"), "1200");
            EXPECT_EQ(loaded.get("absent", "fallback"), "fallback");
            std::vector<NamedParameter> original = model.parameters(), restored = loaded.model.parameters();
            ASSERT_EQ(restored.size(), original.size());
            for (size_t i = 0; i < original.size(); ++i) {
                EXPECT_EQ(restored[i].name, original[i].name);
                EXPECT_TRUE(same_bits(restored[i].var->value(), original[i].var->value())) << original[i].name;
                EXPECT_EQ(restored[i].var->requires_grad(), original[i].var->requires_grad()) << original[i].name;
            }
            Tensor tokens = testing::random_tensor({2, 7}, DType::I32, 3, 0, config.d_vocab);
            EXPECT_TRUE(same_bits(forward(loaded.model, tokens).value(), forward(model, tokens).value()));
        }
}

TEST_F(Checkpoint, WritesZeroAttentionBiasesAndTheConfigForTransformerLens) {
    SafetensorsFile file = read_safetensors(saved_);
    for (int l = 0; l < 2; ++l) {
        std::string prefix = "blocks." + std::to_string(l) + ".attn.";
        for (const char* name : {"b_Q", "b_K", "b_V"}) {
            const Tensor& b = file.get(prefix + name);
            EXPECT_EQ(b.shape(), Shape({4, 4})) << prefix + name;
            EXPECT_EQ(b.dtype(), DType::F32);
            EXPECT_EQ(b.to_vector(), std::vector<double>(16, 0.0)) << prefix + name;
        }
        EXPECT_EQ(file.get(prefix + "b_O").shape(), Shape({16}));
        EXPECT_EQ(file.get(prefix + "b_O").to_vector(), std::vector<double>(16, 0.0));
    }
    std::string config;
    for (const auto& [key, value] : file.metadata)
        if (key == "config") config = value;
    EXPECT_EQ(ModelConfig::from_json(json::parse(config)).to_json().at("d_vocab").as_int(), 23);

    // The biases are optional on reading (only TransformerLens needs them).
    std::string without = edited("no_biases.safetensors", [](NamedTensors& tensors, Metadata&) {
        std::erase_if(tensors, [](const auto& t) { return t.first.find(".attn.b_") != std::string::npos; });
    });
    EXPECT_EQ(load_checkpoint(without).model.blocks.size(), 2u);
}

TEST_F(Checkpoint, RejectsMissingWrongAndUnexpectedTensors) {
    expect_rejected(edited("missing.safetensors", [](NamedTensors& tensors, Metadata&) {
                        std::erase_if(tensors, [](const auto& t) { return t.first == "blocks.1.attn.W_V"; });
                    }),
                    {"tensor 'blocks.1.attn.W_V' is missing"});
    expect_rejected(with_tensor("shape.safetensors", "unembed.W_U", Tensor::zeros({16, 24})),
                    {"tensor 'unembed.W_U' is f32[16, 24], expected f32[16, 23] for this config"});
    expect_rejected(with_tensor("dtype.safetensors", "blocks.0.attn.W_O", Tensor::zeros({4, 4, 16}, DType::F64)),
                    {"tensor 'blocks.0.attn.W_O' is f64[4, 4, 16], expected f32[4, 4, 16]"});
    expect_rejected(with_tensor("ints.safetensors", "embed.W_E", Tensor::from_ints({23, 16}, std::vector<int32_t>(368))),
                    {"must be F32 or F64, got i32"});
    expect_rejected(with_tensor("extra.safetensors", "blocks.0.attn.W_X", Tensor::zeros({4})),
                    {"unexpected tensor 'blocks.0.attn.W_X' for this config"});
    expect_rejected(with_tensor("layer.safetensors", "blocks.2.attn.W_Q", Tensor::zeros({4, 16, 4})),
                    {"unexpected tensor 'blocks.2.attn.W_Q'"});
}

TEST_F(Checkpoint, RefusesNonFiniteWeightsUnlessAllowed) {
    Tensor inf_unembed = Tensor::zeros({16, 23});
    inf_unembed.data<float>()[17] = INFINITY;
    const std::string path = with_tensor("inf.safetensors", "unembed.W_U", inf_unembed);
    expect_rejected(path, {"tensor 'unembed.W_U' holds inf at flat index 17; weights must be finite "
                           "(--allow-nonfinite to load it anyway)"});
    Tensor nan_embed = Tensor::zeros({23, 16});
    nan_embed.data<float>()[0] = NAN;
    expect_rejected(with_tensor("nan.safetensors", "embed.W_E", nan_embed), {"tensor 'embed.W_E' holds nan"});
    // Forensic use: a diverged run's weights load as they are.
    EXPECT_TRUE(std::isinf(load_checkpoint(path, true).model.W_U.value().to_vector()[17]));
}

TEST_F(Checkpoint, RejectsAttentionBiasesThatAreNotZeroOrMisshapen) {
    Tensor bias = Tensor::zeros({4, 4});
    bias.data<float>()[5] = 0.5f;
    expect_rejected(with_tensor("bias.safetensors", "blocks.1.attn.b_K", bias),
                    {"tensor 'blocks.1.attn.b_K' is nonzero; attention biases are not supported"});
    expect_rejected(with_tensor("bias_shape.safetensors", "blocks.0.attn.b_O", Tensor::zeros({17})),
                    {"tensor 'blocks.0.attn.b_O' is f32[17], expected f32[16]"});
    expect_rejected(with_tensor("bias_dtype.safetensors", "blocks.0.attn.b_Q", Tensor::zeros({4, 4}, DType::F64)),
                    {"tensor 'blocks.0.attn.b_Q' is f64[4, 4], expected f32[4, 4]"});
}

TEST_F(Checkpoint, RejectsMissingOrInvalidConfigs) {
    expect_rejected(edited("no_config.safetensors",
                           [](NamedTensors&, Metadata& metadata) {
                               std::erase_if(metadata, [](const auto& m) { return m.first == "config"; });
                           }),
                    {"no model config in the header's __metadata__ (key 'config')"});
    expect_rejected(edited("bad_json.safetensors",
                           [](NamedTensors&, Metadata& metadata) {
                               for (auto& [key, value] : metadata)
                                   if (key == "config") value = "{\"n_layers\": 2,";
                           }),
                    {"__metadata__ 'config' is not valid JSON"});
    expect_rejected(with_config("unknown.safetensors", [](json::Value& c) { c["n_layer"] = 2; }),
                    {"(config): unknown model config field 'n_layer'"});
    expect_rejected(with_config("negative.safetensors", [](json::Value& c) { c["d_model"] = -16; }),
                    {"(config): field 'd_model' must be an integer in [1, 65536], got -16"});
    expect_rejected(with_config("norm.safetensors", [](json::Value& c) { c["normalization_type"] = "RMS"; }),
                    {"(config): field 'normalization_type' must be \"LN\" or \"none\", got \"RMS\""});
    expect_rejected(with_config("kind.safetensors", [](json::Value& c) { c["attn_only"] = "yes"; }),
                    {"(config): field 'attn_only' must be true or false"});
    // A valid config that disagrees with the tensors.
    expect_rejected(with_config("fewer_layers.safetensors", [](json::Value& c) { c["n_layers"] = 1; }),
                    {"unexpected tensor 'blocks.1."});
    expect_rejected(with_config("mlp.safetensors", [](json::Value& c) { c["attn_only"] = false; }),
                    {"tensor 'blocks.0.ln2.w' is missing"});
}

TEST_F(Checkpoint, RejectsTruncatedAndEmptyFiles) {
    std::string bytes = read_file_bytes(saved_);
    for (size_t length : {size_t(0), size_t(5), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
        std::string cut = path("cut-" + std::to_string(length) + ".safetensors");
        write_file_atomic(cut, std::string_view(bytes).substr(0, length));
        expect_rejected(cut, {"safetensors: '" + cut + "'"});
    }
    expect_rejected(edited("empty.safetensors", [](NamedTensors& tensors, Metadata&) { tensors.clear(); }),
                    {"holds no tensors"});
    expect_rejected(path("absent.safetensors"), {"No such file or directory"});
}

}  // namespace
}  // namespace induction
