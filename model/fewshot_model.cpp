// fewshot_model.cpp — the §8.3 few-shot model: its config, initialisation, input map and readout.
#include "model/fewshot_model.h"

#include <cmath>


#include "autograd/functions.h"
#include "tensor/rng.h"

namespace induction {

namespace {

// N(0, σ²) truncated to ±2σ, by rejection; with `lecun`, σ is corrected so the truncated
// distribution keeps variance stddev² (as JAX's variance-scaling "truncated_normal" does).
Tensor truncated_normal(Rng& rng, const Shape& shape, double stddev, bool lecun, DType dtype) {
    const double sigma = lecun ? stddev / 0.87962566103423978 : stddev;
    std::vector<double> values(size_t(shape.numel()));
    for (double& v : values) {
        double z;
        do {  // Box–Muller, one of the pair
            double u1 = rng.next_uniform(), u2 = rng.next_uniform();
            z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
        } while (std::abs(z) > 2.0);
        v = sigma * z;
    }
    return Tensor::from_vector(shape, values, dtype);
}

}  // namespace

ModelConfig fewshot_model_config(int feature_dim, int labels, int n_ctx) {
    ModelConfig c;
    c.n_layers = 2;
    c.n_heads = 8;
    c.d_model = 64;
    c.d_head = 8;
    c.attn_only = true;
    c.normalization_type = "LN";
    c.positional_embedding_type = "rotary";
    c.d_vocab = labels;
    c.n_ctx = n_ctx;
    c.d_exemplar = feature_dim;
    c.validate("few-shot model config");
    return c;
}

Transformer make_fewshot_model(const ModelConfig& config, uint64_t init_seed, DType dtype) {
    check(config.d_exemplar > 0, "make_fewshot_model: the config has no exemplar input (d_exemplar = 0)");
    Transformer m = make_transformer(config, init_seed, dtype);
    Rng rng(init_seed, /*offset=*/1);  // a stream apart from make_transformer's
    auto lecun = [&](Var& w, int64_t fan_in) {
        w.set_value(truncated_normal(rng, w.shape(), 1.0 / std::sqrt(double(fan_in)), true, dtype));
    };
    const int64_t D = config.d_model;
    lecun(m.W_x, config.d_exemplar);
    m.W_E.set_value(truncated_normal(rng, m.W_E.shape(), 0.02, false, dtype));
    for (BlockParams& b : m.blocks) {
        lecun(b.attn.W_Q, D);
        lecun(b.attn.W_K, D);
        lecun(b.attn.W_V, D);
        lecun(b.attn.W_O, int64_t(config.n_heads) * config.d_head);
    }
    lecun(m.W_U, D);
    return m;
}

Var fewshot_embed(const Transformer& model, const Tensor& exemplars, const Tensor& labels, const Tensor& is_label) {
    const ModelConfig& c = model.config;
    check(exemplars.ndim() == 3 && exemplars.size(2) == c.d_exemplar, "few-shot forward: exemplars must be [B, T, ",
          c.d_exemplar, "], got ", describe(exemplars));
    const Shape tokens({exemplars.size(0), exemplars.size(1)});
    check(labels.dtype() == DType::I32 && labels.shape() == tokens, "few-shot forward: labels must be i32 ",
          tokens.str(), ", got ", describe(labels));
    check(is_label.shape() == Shape({tokens[0], tokens[1], 1}), "few-shot forward: is_label must be [B, T, 1], got ",
          describe(is_label));
    check(tokens[1] >= 1 && tokens[1] <= c.n_ctx, "few-shot forward: ", tokens[1], " tokens, the model takes 1..",
          c.n_ctx);
    Var exemplar_rows = add(matmul(Var(exemplars), model.W_x), model.b_x);  // [B, T, d_model]
    Var label_rows = embedding(model.W_E, labels);                          // [B, T, d_model]
    Var label_weight(is_label), exemplar_weight(scale(Var(is_label), -1.0, 1.0).value());
    return add(mul(label_rows, label_weight), mul(exemplar_rows, exemplar_weight));
}

Var fewshot_readout(const Transformer& model, const Var& residual) {
    const int64_t T = residual.size(1);
    return unembed(model, slice(residual, 1, T - 1, T));  // [B, 1, L]
}

Var fewshot_forward(const Transformer& model, const FewShotInputs& inputs, Interventions* interventions) {
    Var residual = run_blocks(model, fewshot_embed(model, inputs.exemplars, inputs.labels, inputs.is_label), 0,
                              interventions);
    Var logits = fewshot_readout(model, residual);
    return interventions ? interventions->apply(Site::LOGITS, 0, logits) : logits;
}

}  // namespace induction

namespace induction {

Var fewshot_loss(const Var& logits, const Tensor& targets) {
    const int64_t B = logits.size(0), L = logits.size(2);
    check(logits.shape() == Shape({B, 1, L}) && targets.shape() == Shape({B}), "fewshot_loss: logits ",
          describe(logits.value()), " and targets ", describe(targets), ", expected [B, 1, L] and [B]");
    return mean(cross_entropy(reshape(logits, {B, L}), targets), 0);
}

FewShotOutcomes fewshot_outcomes(const Tensor& logits, const FewShotInputs& inputs) {
    const int64_t B = logits.size(0), L = logits.size(2);
    check(logits.shape() == Shape({B, 1, L}) && inputs.in_context.shape() == Shape({B, L}) &&
              inputs.targets.shape() == Shape({B}),
          "fewshot_outcomes: logits ", describe(logits), ", targets ", describe(inputs.targets), " and in_context ",
          describe(inputs.in_context), " do not fit [B, 1, L], [B] and [B, L]");
    std::vector<double> z = logits.to_vector(), y = inputs.targets.to_vector(), present = inputs.in_context.to_vector();
    FewShotOutcomes out;
    for (int64_t b = 0; b < B; ++b) {
        const double* row = z.data() + b * L;
        const double* in_context = present.data() + b * L;
        const int64_t target = int64_t(y[size_t(b)]);
        // Softmax over all labels, and over the labels in the context (the others masked to −∞).
        double top = -INFINITY, top_in_context = -INFINITY, sum = 0, sum_in_context = 0;
        int64_t argmax = -1, argmax_in_context = -1;
        for (int64_t l = 0; l < L; ++l) {
            if (row[l] > top) top = row[l], argmax = l;
            if (in_context[l] != 0 && row[l] > top_in_context) top_in_context = row[l], argmax_in_context = l;
        }
        for (int64_t l = 0; l < L; ++l) {
            sum += std::exp(row[l] - top);
            if (in_context[l] != 0) sum_in_context += std::exp(row[l] - top_in_context);
        }
        out.loss.push_back(std::log(sum) + top - row[target]);
        out.probability.push_back(std::exp(row[target] - top) / sum);
        out.correct.push_back(argmax == target);
        out.in_context_correct.push_back(argmax_in_context == target);
        out.in_context_probability.push_back(in_context[target] != 0 ? std::exp(row[target] - top_in_context) / sum_in_context : 0.0);
    }
    return out;
}

FewShotMetrics fewshot_metrics(const Tensor& logits, const FewShotInputs& inputs) {
    return fewshot_metrics(fewshot_outcomes(logits, inputs));
}

ClampedModel fewshot_clamped_model(const Transformer& model, const FewShotInputs& inputs) {
    ClampedModel m;
    m.model = &model;
    m.embed = [&model, inputs] { return fewshot_embed(model, inputs.exemplars, inputs.labels, inputs.is_label); };
    m.readout = [&model](const Var& residual) { return fewshot_readout(model, residual); };
    m.labels = inputs.labels;
    m.targets = inputs.targets;
    m.other_model = [inputs](const std::string& checkpoint, Site site, int layer) {
        return checkpoint_activation(checkpoint, site, layer, [&](const Transformer& other, Interventions& capture) {
            fewshot_forward(other, inputs, &capture);
        });
    };
    return m;
}

FewShotOutcomes fewshot_outcomes(const Transformer& model, const std::vector<FewShotInputs>& chunks,
                                 const ClampSchedule& clamps, int64_t step, const ChunkProbe& probe) {
    NoGrad no_grad;
    FewShotOutcomes all;
    for (const FewShotInputs& inputs : chunks) {
        Interventions interventions;
        if (probe.before) probe.before(interventions);
        Var logits = clamped_forward(clamps, step, fewshot_clamped_model(model, inputs), interventions);
        if (probe.after) probe.after(interventions, inputs);
        FewShotOutcomes o = fewshot_outcomes(logits.value(), inputs);
        for (auto [to, from] : {std::pair{&all.loss, &o.loss}, {&all.probability, &o.probability},
                                {&all.in_context_probability, &o.in_context_probability}, {&all.correct, &o.correct},
                                {&all.in_context_correct, &o.in_context_correct}})
            to->insert(to->end(), from->begin(), from->end());
    }
    return all;
}

FewShotMetrics fewshot_metrics(const FewShotOutcomes& o) {
    FewShotMetrics m;
    const double n = double(o.loss.size());
    for (size_t b = 0; b < o.loss.size(); ++b) {
        m.loss += o.loss[b] / n;
        m.probability += o.probability[b] / n;
        m.accuracy += o.correct[b] / n;
        m.in_context_accuracy += o.in_context_correct[b] / n;
        m.in_context_probability += o.in_context_probability[b] / n;
    }
    return m;
}

}  // namespace induction
