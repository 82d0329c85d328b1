#!/usr/bin/python3
"""make_golden.py — the golden reference for tests/model/test_golden.cpp (METHODS §1.1–1.6).

An independent PyTorch implementation of the transformer of model/transformer.cpp, written from
METHODS §1 rather than from our code: pre-LN (or none), position-infused attention (positions added
to the query/key inputs after the LayerNorm, never to the residual stream or the values) or
standard learned positions, smeared keys, causal + local attention, exact-erf GELU MLPs, final LN,
unembedding with bias and the mean next-token cross-entropy.

For each architecture variant it draws random float32 weights (LayerNorm gains/biases and smear α
random too), random tokens, and computes in float64 the logits, the mean loss and the gradient of
the loss with respect to every trainable parameter. Everything goes into
tests/golden/golden.safetensors (written by hand: no safetensors package needed):

    __metadata__["variants"]   comma-separated variant names
    __metadata__[<variant>]    the ModelConfig JSON of the variant
    <variant>/<TL name>        F32 weight, e.g. "mlp2/blocks.1.attn.W_Q"
    <variant>/tokens           I32 [batch, T]
    <variant>/logits           F64 [batch, T, d_vocab]
    <variant>/loss             F64 [] mean over batch * (T - 1) next-token losses
    <variant>/grad/<TL name>   F64 d(loss)/d(parameter), for trainable parameters only

Three optimizer steps (tests/train/test_golden_steps.cpp, as llm.c's test_gpt2 does): for the
variants of STEP_VARIANTS, starting from the variant's weights above, three training steps in
float64 exactly as train_step (train/trainer.cpp) takes them, each on its own random batch:
mean next-token loss, backward, clipping by the global L2 norm of all trainable gradients (when
norm > max_norm every gradient is scaled by max_norm / (norm + 1e-6)), then AdamW with the
scheduled learning rate (linear warm-up from 0 over warmup_steps: lr·(step+1)/warmup_steps) and
weight decay (a base value, changed at given steps). Weight decay goes to the matrices only
(parameters with >= 2 dimensions: W_E, W_pos, W_Q/K/V/O, W_in, W_out, W_U); biases, LayerNorm
gains and biases and smear α do not decay; a fixed (sinusoidal) W_pos is not trained at all.

AdamW is torch.optim.AdamW (foreach=False). Its update, per parameter and step t (1-based), is
    θ ← θ·(1 − lr·λ);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
    θ ← θ − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + ε)
and ours (train/adamw.h) is θ ← θ − lr (m̂ / (sqrt(v̂) + ε) + λ θ) with the pre-update θ, m̂ =
m/(1−β1^t), v̂ = v/(1−β2^t). They are the same map: the shrink multiplies the pre-update θ and the
Adam step does not depend on θ, so (1 − lr·λ)θ − lr·m̂/(sqrt(v̂)+ε) = θ − lr(m̂/(sqrt(v̂)+ε) + λθ);
sqrt(v)/sqrt(1−β2^t) = sqrt(v̂), with ε added after the square root in both. The script checks
this on every run: a hand-written update from the formula above, fed the same gradients, must
agree with torch's to 1e-15 (relative), or it stops. torch's m and v ("exp_avg", "exp_avg_sq")
are the raw moments, as ours are.

    __metadata__["steps"]                JSON: {"variants": [...], "steps": 3, "train": {schedule,
                                         AdamW and clipping settings}, "decay": {variant: [names
                                         of the parameters that decay]}}
    steps/learning_rate, steps/weight_decay   F64 [3] the scheduled values used at steps 0, 1, 2
    steps/<variant>/batch/<s>            I32 [batch, T] the tokens of step s
    steps/<variant>/loss, /grad_norm     F64 [3] per step (grad_norm: the norm before clipping)
    steps/<variant>/param/<TL name>      F64 every parameter after the 3 steps (frozen ones too)
    steps/<variant>/m/<TL name>, /v/...  F64 AdamW moments after the 3 steps, trainable parameters,
                                         for the variants of MOMENT_VARIANTS only (file size)
The step tensors come after all of the tensors above and use their own random generator, so
adding them changed none of the bytes of the forward/backward tensors.

The file is committed; CI never needs torch. Regenerate by hand with Debian's PyTorch:
    /usr/bin/python3 tests/golden/make_golden.py
"""

import json
import math
import os
import struct

import torch

D_MODEL, N_HEADS, D_HEAD, D_MLP, D_VOCAB, N_CTX = 16, 4, 4, 64, 29, 12
BATCH, T = 3, 9

# name → the config fields that differ from an attention-only, pre-LN, shortformer 1-layer model.
VARIANTS = {
    "attn1": {},
    "attn2": {"n_layers": 2},
    "attn2_noln": {"n_layers": 2, "normalization_type": "none"},
    "attn2_standard": {"n_layers": 2, "positional_embedding_type": "standard"},
    "smear1": {"smear_keys": True},
    "smear2_noln_standard": {"n_layers": 2, "smear_keys": True, "normalization_type": "none",
                             "positional_embedding_type": "standard"},
    "local2": {"n_layers": 2, "local_windows": [1, 2, 0, 4, 3, 0, 1, 6]},
    "mlp1": {"attn_only": False},
    "mlp2_noln": {"n_layers": 2, "attn_only": False, "normalization_type": "none"},
    "mlp1_relu_fixedpos": {"attn_only": False, "act_fn": "relu", "fixed_positions": True},
    "mlp2_everything": {"n_layers": 2, "attn_only": False, "smear_keys": True,
                        "positional_embedding_type": "standard", "local_windows": [0, 3, 1, 0, 2, 0, 0, 5]},
}

# Three optimizer steps: which variants, with which settings (a TrainConfig the test builds from
# the metadata; the AdamW β and ε are the trainer's defaults). max_norm is chosen between the
# gradient norms so that every variant has clipped steps and there are unclipped ones too.
STEP_VARIANTS = ["attn2", "mlp2_everything", "mlp1_relu_fixedpos"]
MOMENT_VARIANTS = ["attn2"]
STEPS = 3
TRAIN = {"learning_rate": 1e-2, "warmup_steps": 3, "weight_decay": 0.1, "weight_decay_changes": [[2, 0.05]],
         "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "grad_clip": 1.9}


def make_config(overrides):
    config = {
        "n_layers": 1, "d_model": D_MODEL, "n_heads": N_HEADS, "d_head": D_HEAD, "d_mlp": D_MLP,
        "d_vocab": D_VOCAB, "n_ctx": N_CTX, "attn_only": True, "normalization_type": "LN",
        "positional_embedding_type": "shortformer", "act_fn": "gelu", "smear_keys": False,
        "local_windows": [], "fixed_positions": False,
    }
    config.update(overrides)
    return config


def sinusoidal(n_ctx, d):
    """METHODS §1.4: P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(p / 10000^(2i/d))."""
    table = torch.zeros(n_ctx, d, dtype=torch.float64)
    for p in range(n_ctx):
        for i in range(0, d, 2):
            angle = p / 10000 ** (i / d)
            table[p, i] = math.sin(angle)
            if i + 1 < d:
                table[p, i + 1] = math.cos(angle)
    return table


def random_weights(config, generator):
    """TransformerLens-named float32 weights, scaled so attention patterns are far from uniform."""
    def normal(*shape, std=1.0, mean=0.0):
        return (mean + std * torch.randn(*shape, generator=generator)).float()

    d, h, dh, v = config["d_model"], config["n_heads"], config["d_head"], config["d_vocab"]
    ln = config["normalization_type"] == "LN"
    w = {"embed.W_E": normal(v, d)}
    w["pos_embed.W_pos"] = (sinusoidal(config["n_ctx"], d).float() if config["fixed_positions"]
                            else normal(config["n_ctx"], d, std=0.7))
    for layer in range(config["n_layers"]):
        b = f"blocks.{layer}."
        if ln:
            w[b + "ln1.w"] = normal(d, std=0.3, mean=1.0)
            w[b + "ln1.b"] = normal(d, std=0.2)
        for name in ("W_Q", "W_K", "W_V"):
            w[b + "attn." + name] = normal(h, d, dh, std=1.5 / math.sqrt(d))
        w[b + "attn.W_O"] = normal(h, dh, d, std=1.0 / math.sqrt(h * dh))
        if config["smear_keys"]:
            w[b + "attn.smear_alpha"] = normal(h, std=1.5)
        if not config["attn_only"]:
            if ln:
                w[b + "ln2.w"] = normal(d, std=0.3, mean=1.0)
                w[b + "ln2.b"] = normal(d, std=0.2)
            w[b + "mlp.W_in"] = normal(d, config["d_mlp"], std=1.0 / math.sqrt(d))
            w[b + "mlp.b_in"] = normal(config["d_mlp"], std=0.3)
            w[b + "mlp.W_out"] = normal(config["d_mlp"], d, std=1.0 / math.sqrt(config["d_mlp"]))
            w[b + "mlp.b_out"] = normal(d, std=0.2)
    if ln:
        w["ln_final.w"] = normal(d, std=0.3, mean=1.0)
        w["ln_final.b"] = normal(d, std=0.2)
    w["unembed.W_U"] = normal(d, v, std=1.0 / math.sqrt(d))
    w["unembed.b_U"] = normal(v, std=0.3)
    return w


def layer_norm(x, gain, bias):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased, as in METHODS §1.3
    return gain * (x - mean) / torch.sqrt(var + 1e-5) + bias


def attention_mask(t, window):
    """allowed[i, j] = 0 <= i - j < window (window 0: no limit), METHODS §1.5."""
    allowed = torch.zeros(t, t, dtype=torch.bool)
    for i in range(t):
        for j in range(t):
            allowed[i, j] = 0 <= i - j and (window == 0 or i - j < window)
    return allowed


def forward(config, w, tokens):
    """tokens: [B, T] → logits [B, T, V]; w: float64 leaves."""
    ln = config["normalization_type"] == "LN"
    pia = config["positional_embedding_type"] == "shortformer"
    h, dh = config["n_heads"], config["d_head"]
    t = tokens.shape[1]
    positions = w["pos_embed.W_pos"][:t]  # [T, d]
    x = w["embed.W_E"][tokens]  # [B, T, d]
    if not pia:
        x = x + positions
    for layer in range(config["n_layers"]):
        b = f"blocks.{layer}."
        u = layer_norm(x, w[b + "ln1.w"], w[b + "ln1.b"]) if ln else x
        qk_in = u + positions if pia else u
        q = torch.einsum("btd,hde->bhte", qk_in, w[b + "attn.W_Q"])
        k = torch.einsum("btd,hde->bhte", qk_in, w[b + "attn.W_K"])
        v = torch.einsum("btd,hde->bhte", u, w[b + "attn.W_V"])
        if config["smear_keys"]:
            mix = torch.sigmoid(w[b + "attn.smear_alpha"]).view(1, h, 1, 1)
            smeared = mix * k[:, :, 1:] + (1 - mix) * k[:, :, :-1]
            k = torch.cat([k[:, :, :1], smeared], dim=2)  # k̃_0 = k_0
        scores = torch.einsum("bhie,bhje->bhij", q, k) / math.sqrt(dh)
        windows = config["local_windows"][layer * h:(layer + 1) * h] or [0] * h
        allowed = torch.stack([attention_mask(t, wh) for wh in windows])  # [H, T, T]
        scores = scores.masked_fill(~allowed, float("-inf"))
        pattern = torch.softmax(scores, dim=-1)
        z = torch.einsum("bhij,bhje->bhie", pattern, v)
        x = x + torch.einsum("bhte,hed->btd", z, w[b + "attn.W_O"])
        if not config["attn_only"]:
            u2 = layer_norm(x, w[b + "ln2.w"], w[b + "ln2.b"]) if ln else x
            pre = u2 @ w[b + "mlp.W_in"] + w[b + "mlp.b_in"]
            if config["act_fn"] == "gelu":
                act = 0.5 * pre * (1 + torch.erf(pre / math.sqrt(2)))
            else:
                act = torch.clamp(pre, min=0)
            x = x + act @ w[b + "mlp.W_out"] + w[b + "mlp.b_out"]
    if ln:
        x = layer_norm(x, w["ln_final.w"], w["ln_final.b"])
    return x @ w["unembed.W_U"] + w["unembed.b_U"]


def mean_next_token_loss(logits, tokens):
    """Position p predicts token p + 1; mean over batch * (T - 1)."""
    log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
    targets = tokens[:, 1:]
    return -log_probs.gather(-1, targets.unsqueeze(-1)).mean()


def learning_rate_at(step):
    """Linear warm-up from 0 over warmup_steps, then constant (METHODS §1.7)."""
    peak, warmup = TRAIN["learning_rate"], TRAIN["warmup_steps"]
    return peak * (step + 1) / warmup if step < warmup else peak


def weight_decay_at(step):
    value = TRAIN["weight_decay"]
    for start, new_value in TRAIN["weight_decay_changes"]:
        if step >= start:
            value = new_value
    return value


def clip_gradients(params, max_norm):
    """Global L2 norm of all gradients; above max_norm every gradient is scaled by max_norm / (norm + 1e-6).
    (torch.nn.utils.clip_grad_norm_ scales by min(1, that factor), which differs only for norms within
    1e-6 below max_norm; written out here to follow train/adamw.h's rule exactly.) Returns the norm before."""
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    if norm > max_norm:
        for p in params:
            p.grad.mul_(max_norm / (norm + 1e-6))
    return norm


def hand_adamw(state, params, decays, lr, weight_decay, t):
    """The update as train/adamw.h states it, to check torch's AdamW against: returns nothing, updates state."""
    b1, b2, eps = TRAIN["beta1"], TRAIN["beta2"], TRAIN["eps"]
    for p, decay in zip(params, decays):
        theta, m, v = state[p]
        g = p.grad
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - lr * (m_hat / (torch.sqrt(v_hat) + eps) + (weight_decay if decay else 0.0) * theta)
        state[p] = (theta, m, v)


def train_three_steps(variant, index, config, weights, trainable):
    """STEPS training steps from the golden weights: (tensors, names of the decayed parameters, clipped per step)."""
    generator = torch.Generator().manual_seed(2000 + index)
    params = {name: w.double().requires_grad_(trainable[name]) for name, w in weights.items()}
    trained = [name for name in params if trainable[name]]
    decays = [params[name].dim() >= 2 for name in trained]
    groups = [{"params": [params[n] for n, d in zip(trained, decays) if d], "decay": True},
              {"params": [params[n] for n, d in zip(trained, decays) if not d], "decay": False}]
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], lr=learning_rate_at(0),
                                  betas=(TRAIN["beta1"], TRAIN["beta2"]), eps=TRAIN["eps"], weight_decay=0.0,
                                  amsgrad=False, maximize=False, foreach=False)
    trained_params = [params[n] for n in trained]
    hand = {p: (p.detach().clone(), torch.zeros_like(p), torch.zeros_like(p)) for p in trained_params}
    tensors, losses, norms, clipped = [], [], [], []
    for step in range(STEPS):
        tokens = torch.randint(0, D_VOCAB, (BATCH, T), generator=generator, dtype=torch.int64)
        for p in trained_params:
            p.grad = None
        loss = mean_next_token_loss(forward(config, params, tokens), tokens)
        loss.backward()
        norm = clip_gradients(trained_params, TRAIN["grad_clip"])
        lr, weight_decay = learning_rate_at(step), weight_decay_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
            group["weight_decay"] = weight_decay if group["decay"] else 0.0
        optimizer.step()
        hand_adamw(hand, trained_params, decays, lr, weight_decay, step + 1)
        for p in trained_params:
            state = optimizer.state[p]
            for a, b in zip(hand[p], (p.detach(), state["exp_avg"], state["exp_avg_sq"])):
                difference = float((a - b).abs().max())
                assert difference <= 1e-15 * float(b.abs().max()), f"{variant}: torch's AdamW differs by {difference}"
        tensors.append((f"steps/{variant}/batch/{step}", tokens.int()))
        losses.append(loss.item())
        norms.append(norm)
        clipped.append(norm > TRAIN["grad_clip"])
    # The clipping threshold must not sit within 1% of a norm, so f32 cannot take the other branch.
    assert all(abs(n / TRAIN["grad_clip"] - 1) > 0.01 for n in norms), f"{variant}: norms {norms} too close to the clip"
    assert any(clipped), f"{variant}: no step clipped (norms {norms})"
    tensors.append((f"steps/{variant}/loss", torch.tensor(losses, dtype=torch.float64)))
    tensors.append((f"steps/{variant}/grad_norm", torch.tensor(norms, dtype=torch.float64)))
    tensors += [(f"steps/{variant}/param/{name}", p.detach()) for name, p in params.items()]
    if variant in MOMENT_VARIANTS:
        tensors += [(f"steps/{variant}/m/{n}", optimizer.state[params[n]]["exp_avg"]) for n in trained]
        tensors += [(f"steps/{variant}/v/{n}", optimizer.state[params[n]]["exp_avg_sq"]) for n in trained]
    print(f"{variant:22s} 3 steps: loss {' '.join(f'{x:.6f}' for x in losses)}, "
          f"grad norm {' '.join(f'{x:.4f}' + ('*' if c else '') for x, c in zip(norms, clipped))} (*: clipped)")
    return tensors, [n for n, d in zip(trained, decays) if d], clipped


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, tensor); little-endian, header padded with spaces to 8 bytes."""
    kinds = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int32: ("I32", "<i4")}
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, tensor in tensors:
        dtype, layout = kinds[tensor.dtype]
        blob = tensor.contiguous().numpy().astype(layout).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    tensors, metadata = [], {"variants": ",".join(VARIANTS)}
    step_tensors, decayed, clipped = [], {}, []
    for index, (variant, overrides) in enumerate(VARIANTS.items()):
        config = make_config(overrides)
        generator = torch.Generator().manual_seed(1000 + index)
        weights = random_weights(config, generator)
        tokens = torch.randint(0, D_VOCAB, (BATCH, T), generator=generator, dtype=torch.int64)
        trainable = {name: not (config["fixed_positions"] and name == "pos_embed.W_pos") for name in weights}
        leaves = {name: w.double().requires_grad_(trainable[name]) for name, w in weights.items()}
        logits = forward(config, leaves, tokens)
        loss = mean_next_token_loss(logits, tokens)
        loss.backward()

        metadata[variant] = json.dumps(config)
        tensors += [(f"{variant}/{name}", w) for name, w in weights.items()]
        tensors.append((f"{variant}/tokens", tokens.int()))
        tensors.append((f"{variant}/logits", logits.detach()))
        tensors.append((f"{variant}/loss", loss.detach()))
        tensors += [(f"{variant}/grad/{name}", leaf.grad) for name, leaf in leaves.items() if trainable[name]]
        print(f"{variant:22s} loss {loss.item():.6f}")
        if variant in STEP_VARIANTS:
            more, decayed[variant], more_clipped = train_three_steps(variant, index, config, weights, trainable)
            step_tensors += more
            clipped += more_clipped
    assert not all(clipped), "every step clipped: the unclipped branch is not covered"
    metadata["steps"] = json.dumps({"variants": STEP_VARIANTS, "steps": STEPS, "train": TRAIN, "decay": decayed})
    for name, schedule in (("learning_rate", learning_rate_at), ("weight_decay", weight_decay_at)):
        tensors.append((f"steps/{name}", torch.tensor([schedule(s) for s in range(STEPS)], dtype=torch.float64)))
    tensors += step_tensors
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.safetensors")
    write_safetensors(path, tensors, metadata)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
