// hand_built.cpp — hand-set weights of the induction circuit and of the copying toy model.
#include "analysis/hand_built.h"

#include <algorithm>
#include <cmath>

namespace induction {

namespace {

// A host buffer for one parameter tensor, filled entry by entry, then installed in the model.
struct Weights {
    Shape shape;
    std::vector<double> values;

    explicit Weights(const Shape& s) : shape(s), values(static_cast<size_t>(s.numel()), 0.0) {}
    // Entry [i, j] of a 2-D parameter, or [head, i, j] of a 3-D one.
    double& operator()(int64_t i, int64_t j) { return values[size_t(i * shape[1] + j)]; }
    double& operator()(int64_t head, int64_t i, int64_t j) {
        return values[size_t((head * shape[1] + i) * shape[2] + j)];
    }
    void install(Var& parameter) const { parameter.set_value(Tensor::from_vector(shape, values)); }
};

ModelConfig attention_only_config(int n_layers, int d_model, int n_heads, int d_head, int d_vocab,
                                  int n_ctx) {
    ModelConfig c;
    c.n_layers = n_layers;
    c.d_model = d_model;
    c.n_heads = n_heads;
    c.d_head = d_head;
    c.d_vocab = d_vocab;
    c.n_ctx = n_ctx;
    c.attn_only = true;
    c.normalization_type = "none";
    c.positional_embedding_type = "shortformer";
    return c;
}

}  // namespace

Transformer make_induction_model(const InductionModelOptions& options) {
    const int V = options.d_vocab, n_ctx = options.n_ctx, H = options.n_heads;
    check(V >= 2 && n_ctx >= 2 && H >= 1, "make_induction_model: need d_vocab >= 2, n_ctx >= 2 ",
          "and n_heads >= 1, got ", V, ", ", n_ctx, ", ", H);
    const int TOKEN = 0, PREVIOUS = V, POSITION = 2 * V;
    const int D = 2 * V + n_ctx;
    const int dh = std::max(n_ctx, V + 1);  // positions (layer 0) or tokens + a sink (layer 1)
    const int SINK = V;                     // the induction head's extra query/key dimension
    // Scores are q·k / sqrt(d_head); queries carry the margin times sqrt(d_head).
    const double margin = options.attention_gap * std::sqrt(double(dh));

    Transformer model = make_transformer(attention_only_config(2, D, H, dh, V, n_ctx), 0);
    Weights W_E({V, D}), W_pos({n_ctx, D}), W_U({D, V});
    for (int t = 0; t < V; ++t) {
        W_E(t, TOKEN + t) = 1;
        W_U(TOKEN + t, t) = 1;
    }
    for (int p = 0; p < n_ctx; ++p) W_pos(p, POSITION + p) = 1;
    W_E.install(model.W_E);
    W_pos.install(model.W_pos);
    W_U.install(model.W_U);
    model.b_U.set_value(Tensor::zeros({V}));

    const int w = HAND_BUILT_WORKING_HEAD;
    for (int layer = 0; layer < 2; ++layer) {
        Weights W_Q({H, D, dh}), W_K({H, D, dh}), W_V({H, D, dh}), W_O({H, dh, D});
        for (int t = 0; t < V; ++t) W_V(w, TOKEN + t, t) = 1;  // both heads read the current token
        if (layer == HAND_BUILT_PREVIOUS_TOKEN_LAYER) {
            // score(p, j) = margin·[j = p − 1]; output: t_j one-hot into PREVIOUS.
            for (int p = 1; p < n_ctx; ++p) W_Q(w, POSITION + p, p - 1) = margin;
            for (int j = 0; j < n_ctx; ++j) W_K(w, POSITION + j, j) = 1;
            for (int t = 0; t < V; ++t) W_O(w, t, PREVIOUS + t) = 1;
        } else {
            // score(p, j) = 2 margin·[t_p = previous token at j] + margin·[j = 0];
            // output: copy_strength · t_j one-hot into TOKEN.
            for (int t = 0; t < V; ++t) {
                W_Q(w, TOKEN + t, t) = 2 * margin;
                W_K(w, PREVIOUS + t, t) = 1;
                W_O(w, t, TOKEN + t) = options.copy_strength;
            }
            for (int p = 0; p < n_ctx; ++p) W_Q(w, POSITION + p, SINK) = margin;
            W_K(w, POSITION + 0, SINK) = 1;
        }
        AttentionParams& attn = model.blocks[size_t(layer)].attn;
        W_Q.install(attn.W_Q);
        W_K.install(attn.W_K);
        W_V.install(attn.W_V);
        W_O.install(attn.W_O);
    }
    return model;
}

Transformer make_copying_model(const Tensor& ov, int d_vocab, int n_ctx) {
    check(ov.ndim() == 2 && ov.size(0) == ov.size(1), "make_copying_model: ov must be a square ",
          "[d_model, d_model] matrix, got ", describe(ov));
    const int D = int(ov.size(0)), V = d_vocab;
    check(V >= 1 && V <= D, "make_copying_model: need 1 <= d_vocab <= d_model = ", D, ", got ", V);
    Transformer model = make_transformer(attention_only_config(1, D, 1, D, V, n_ctx), 0);
    Weights W_E({V, D}), W_U({D, V}), W_V({1, D, D}), W_O({1, D, D});
    for (int t = 0; t < V; ++t) {
        W_E(t, t) = 1;
        W_U(t, t) = 1;
    }
    // W_OV = W_O W_V with W_V = I; stored W_O is the transpose of the column-convention W_O.
    std::vector<double> m = ov.to_vector();
    for (int i = 0; i < D; ++i) {
        W_V(0, i, i) = 1;
        for (int j = 0; j < D; ++j) W_O(0, j, i) = m[size_t(i * D + j)];
    }
    W_E.install(model.W_E);
    W_U.install(model.W_U);
    W_V.install(model.blocks[0].attn.W_V);
    W_O.install(model.blocks[0].attn.W_O);
    model.blocks[0].attn.W_Q.set_value(Tensor::zeros({1, D, D}));
    model.blocks[0].attn.W_K.set_value(Tensor::zeros({1, D, D}));
    model.W_pos.set_value(Tensor::zeros({n_ctx, D}));
    model.b_U.set_value(Tensor::zeros({V}));
    return model;
}

}  // namespace induction
