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
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.safetensors")
    write_safetensors(path, tensors, metadata)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
