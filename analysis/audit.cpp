// audit.cpp — the numerics audit of audit.h: two passes, then one comparison per named tensor.
#include "analysis/audit.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "autograd/functions.h"
#include "tensor/tolerance.h"

namespace induction {

AuditPolicy audit_policy() { return {2e-4, 2e-4, 1e-9}; }

bool AuditReport::ok() const { return first_failure() == nullptr; }

int AuditReport::failures() const {
    int n = 0;
    for (const AuditEntry& e : entries) n += e.within ? 0 : 1;
    return n;
}

const AuditEntry* AuditReport::first_failure() const {
    for (const AuditEntry& e : entries)
        if (!e.within) return &e;
    return nullptr;
}

std::vector<const Backend*> audited_backends() {
    std::vector<const Backend*> audited;
    for (const Backend* b : backends())
        if (!b->is_reference) audited.push_back(b);
    return audited;
}

namespace {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What one pass produced, on the host.
struct Pass {
    NamedTensors activations;  // in the order the forward pass computes them
    NamedTensors gradients;    // in checkpoint order
};

Tensor on_device(const Tensor& t, Device device) { return t.device() == device ? t : t.to(device); }
Tensor on_host(const Tensor& t) { return on_device(t, Device::CPU); }

// A copy of the model whose parameters are fresh leaves of `dtype` on `device` (so that the
// pass's gradients land in the copy, never in the caller's model).
Transformer copy_of(const Transformer& model, DType dtype, Device device) {
    Transformer copy = model;
    for (NamedParameter& p : copy.parameters()) {
        const Var& original = *p.var;
        *p.var = Var(on_device(on_host(original.value()).to(dtype), device), original.requires_grad());
    }
    return copy;
}

// The sites compared, in the order the forward pass reaches them (model/transformer.cpp: v is
// projected before q and k). Scores are left out: hooking them makes the pass compute the
// masked triangle it otherwise skips, and the pattern right after them is compared anyway.
std::vector<std::pair<Site, int>> audited_sites(const ModelConfig& config) {
    std::vector<std::pair<Site, int>> sites;
    for (int l = 0; l < config.n_layers; ++l) {
        for (Site s : {Site::RESID_PRE, Site::V, Site::Q, Site::K, Site::PATTERN, Site::Z, Site::RESULT,
                       Site::ATTN_OUT, Site::RESID_MID})
            sites.push_back({s, l});
        if (!config.attn_only) sites.push_back({Site::MLP_OUT, l});
        sites.push_back({Site::RESID_POST, l});
    }
    sites.push_back({Site::LOGITS, 0});
    return sites;
}

// One training step's forward and backward pass (train/trainer.cpp's train_step, without the
// update) on `backend`, with the model's weights converted to `dtype`.
Pass run_pass(const Transformer& model, const Tensor& tokens, const Backend& backend, DType dtype) {
    ScopedBackend on_backend(backend);
    Transformer copy = copy_of(model, dtype, backend.device);
    const Tensor device_tokens = on_device(tokens, backend.device);
    const std::vector<std::pair<Site, int>> sites = audited_sites(model.config);
    Interventions hooks;
    for (const auto& [site, layer] : sites) hooks.capture(site, layer);
    Var losses = next_token_losses(forward(copy, device_tokens, &hooks), device_tokens);  // [B, T-1]
    Var loss = mean(reshape(losses, {losses.value().numel()}), 0);
    backward(loss);
    Pass pass;
    for (const auto& [site, layer] : sites)
        pass.activations.push_back({hook_name(site, layer), on_host(hooks.captured(site, layer))});
    pass.activations.push_back({"losses", on_host(losses.value())});
    pass.activations.push_back({"loss", on_host(loss.value())});
    for (const NamedParameter& p : copy.parameters())
        if (p.var->requires_grad() && p.var->grad().defined())
            pass.gradients.push_back({p.name, on_host(p.var->grad())});
    return pass;
}

// Fills the error figures of e from the two tensors (same shape).
void measure(AuditEntry& e, const std::vector<double>& a, const std::vector<double>& r) {
    double sum_squares = 0;
    for (double x : r) sum_squares += x * x;
    e.reference_rms = r.empty() ? 0 : std::sqrt(sum_squares / double(r.size()));
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i]) && std::isnan(r[i])) continue;
        if (std::isinf(r[i]) && a[i] == r[i]) continue;
        double error = std::abs(a[i] - r[i]);
        if (std::isnan(error)) error = std::numeric_limits<double>::infinity();
        e.max_abs_error = std::max(e.max_abs_error, error);
        const double scale = std::max(std::abs(r[i]), e.reference_rms);
        e.max_rel_error = std::max(e.max_rel_error, scale > 0 ? error / scale : error);
    }
}

AuditEntry compare_tensor(const std::string& name, AuditKind kind, const Tensor& fast, const Tensor& reference,
                          const AuditPolicy& policy) {
    AuditEntry e;
    e.name = name;
    e.kind = kind;
    e.shape = reference.shape();
    check(fast.shape() == reference.shape(), "audit: ", name, " is ", describe(fast), " on the audited backend, ",
          describe(reference), " on the reference");
    measure(e, fast.to_vector(), reference.to_vector());
    // An all-zero reference must be matched to within atol itself.
    const double scale = e.reference_rms > 0 ? e.reference_rms : 1.0;
    const Comparison elements = compare(fast, reference, Tolerance{policy.atol * scale, policy.rtol});
    e.nmse = normalized_mse(fast, reference);
    if (std::isnan(e.nmse)) e.nmse = std::numeric_limits<double>::infinity();
    if (!elements.ok) {
        e.within = false;
        e.problem = elements.message;
    } else if (!(e.nmse <= policy.max_nmse)) {
        e.within = false;
        char text[96];
        std::snprintf(text, sizeof text, "normalised MSE %.3g above %.3g", e.nmse, policy.max_nmse);
        e.problem = text;
    }
    return e;
}

void compare_all(AuditReport& report, AuditKind kind, const NamedTensors& fast, const NamedTensors& reference) {
    check(fast.size() == reference.size(), "audit: ", fast.size(), " tensors on the audited backend, ",
          reference.size(), " on the reference");
    for (size_t i = 0; i < fast.size(); ++i) {
        check(fast[i].first == reference[i].first, "audit: ", fast[i].first, " against ", reference[i].first);
        report.entries.push_back(
            compare_tensor(fast[i].first, kind, fast[i].second, reference[i].second, report.policy));
    }
}

}  // namespace

std::vector<AuditReport> audit_backends(const Transformer& model, const Tensor& tokens,
                                        const std::vector<const Backend*>& fast) {
    check(tokens.dtype() == DType::I32 && tokens.ndim() == 2 && tokens.size(1) >= 2, "audit: tokens must be ",
          "i32 [sequences, T >= 2], got ", describe(tokens));
    const Backend& reference = backend_named("reference");
    const Pass expected = run_pass(model, tokens, reference, DType::F64);
    std::vector<AuditReport> reports;
    for (const Backend* backend : fast) {
        AuditReport report;
        report.backend = backend->name;
        report.reference = reference.name;
        report.policy = audit_policy();
        report.sequences = tokens.size(0);
        report.tokens_per_sequence = tokens.size(1);
        const Pass measured = run_pass(model, tokens, *backend, DType::F32);
        compare_all(report, AuditKind::ACTIVATION, measured.activations, expected.activations);
        compare_all(report, AuditKind::GRADIENT, measured.gradients, expected.gradients);
        reports.push_back(std::move(report));
    }
    return reports;
}

AuditReport audit_numerics(const Transformer& model, const Tensor& tokens, const Backend& fast) {
    return audit_backends(model, tokens, {&fast}).front();
}

}  // namespace induction
