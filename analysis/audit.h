// audit.h — auditing a backend's numerics on a whole model: one training step's forward and
// backward pass (next-token loss, as train/trainer.cpp computes it) on the audited backend in f32,
// against the reference backend (tensor/reference/, plain loops) in f64 on the same weights and
// tokens. Every named activation (the residual stream, q/k/v, attention patterns, head outputs
// z and result, attention and MLP outputs, logits, per-token losses, the loss) and every
// parameter gradient (checkpoint names: blocks.0.attn.W_Q ...) is compared under one policy.
// `induction audit` (tools/cmd_audit.cpp) prints the result.
//
// The policy (f32 against f64, after a whole network). With rms = sqrt(mean(ref²)) of the
// reference tensor, a tensor is within policy when
//   every element:  |fast − ref| <= atol·rms + rtol·|ref|   (tensor/tolerance.h's compare(), with
//                                                             its atol scaled by the tensor's rms)
//   and the whole:  normalised MSE = Σ(fast − ref)² / Σref² <= max_nmse.
// The atol term is relative to the tensor's size because through a whole network the rounding
// error of an element is set by the magnitudes that were summed into it, not by the element
// itself: a gradient entry that cancels to near zero keeps the rounding of its large terms. The
// report's "max rel" is the same ratio, |fast − ref| / max(|ref|, rms): 1e-6 means six digits.
//
// How the thresholds were chosen (audit_policy(): atol = rtol = 2e-4, max_nmse = 1e-9). The cpu
// backend, which the parity harness checks op by op, was audited on snapshots of the default run
// (attn-2l, 5,000 steps: steps 0-5,000, 4 to 32 windows of 256 held-out tokens, 1 and 2
// threads), of mlp-2l (400 steps) and on random small models. The worst it gave was max rel
// 4.5e-5 on an activation (blocks.1.attn.hook_result of the final snapshot), 3.5e-5 on a
// gradient (embed.W_E) and a normalised MSE of 3.7e-11 (a LayerNorm bias's gradient); both grow
// slowly with training (step 0: 5.6e-6 and 3e-13). A max rel below min(atol, rtol) always passes
// the element test, so the policy leaves a margin of 4x on the elements and 25x on the MSE. An
// error of a relative 1e-3 in a single element of a kernel's output (the perturbed kernels of
// tests/analysis/test_audit.cpp, which perturb the largest element: |ref| >= rms) is 2.5x over
// the element bound where it first shows up, which allows it atol + rtol = 4e-4 at most; a
// kernel rounding all its outputs to 12 significant bits stays inside the element bound (2^-13 =
// 1.2e-4) but fails on the MSE (~5e-9). Tighter thresholds would leave too little room for
// better-trained or larger models; looser ones would let a 1e-3 error in one element through.
#pragma once

#include <string>
#include <vector>

#include "model/transformer.h"
#include "tensor/backend.h"

namespace induction {

struct AuditPolicy {
    double atol;      // × the reference tensor's rms
    double rtol;      // × |ref| of the element
    double max_nmse;  // normalised mean squared error of the whole tensor
};
// The policy for an f32 backend audited against the f64 reference (thresholds above).
AuditPolicy audit_policy();

enum class AuditKind { ACTIVATION, GRADIENT };

struct AuditEntry {
    std::string name;  // hook name ("blocks.0.attn.hook_pattern", "logits", "loss") or parameter name
    AuditKind kind = AuditKind::ACTIVATION;
    Shape shape;
    double reference_rms = 0;
    double max_abs_error = 0;  // max |fast − ref| (∞ where the fast value is not finite)
    double max_rel_error = 0;  // max |fast − ref| / max(|ref|, rms)
    double nmse = 0;           // Σ(fast − ref)² / Σref²
    bool within = true;        // both tests of the policy hold
    std::string problem;       // empty when within: the worst element, or the MSE over its bound
};

struct AuditReport {
    std::string backend;    // the audited backend's name ("cpu")
    std::string reference;  // "reference"
    AuditPolicy policy{};
    int64_t sequences = 0, tokens_per_sequence = 0;
    std::vector<AuditEntry> entries;  // activations in the order the forward pass computes them,
                                      // then gradients in checkpoint order

    bool ok() const;
    int failures() const;
    const AuditEntry* first_failure() const;  // the earliest entry outside the policy, or null
};

// Audits `fast` on one forward and backward pass over tokens (i32 [B, T], 2 <= T <= n_ctx).
// The model is not changed: each pass runs on its own copy of the weights.
AuditReport audit_numerics(const Transformer& model, const Tensor& tokens, const Backend& fast);

// Audits each backend of `fast` the same way, with one reference pass for all of them.
std::vector<AuditReport> audit_backends(const Transformer& model, const Tensor& tokens,
                                        const std::vector<const Backend*>& fast);

// Every registered backend but the reference ones (cpu today, cuda once it is built in).
std::vector<const Backend*> audited_backends();

}  // namespace induction
