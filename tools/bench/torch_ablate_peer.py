#!/usr/bin/python3
"""torch_ablate_peer.py — the PyTorch peer of `induction bench ablate`.

The single-head pattern-preserving sweep of METHODS §5.2 written the way its definition reads
(analysis/ablation.h, ablated_losses_two_pass): for each batch of 16 windows, a clean forward pass
that keeps every layer's attention pattern and gives the clean losses, then a whole second forward
pass with those patterns and the head's z zeroed, full logits and per-token cross-entropy. With
--clean-per-head the clean pass is repeated for every head (the naive method: two passes per
head); without, one clean pass per batch serves every head. The model is
an independent implementation of model/transformer.cpp's forward pass (pre-LN, position-infused
attention with positions added to the query/key inputs only, optional smeared keys, no attention
biases, final LN, unembedding with bias), read from our safetensors checkpoint by a small reader
of its own. The second pass skips the queries, keys and softmax whose result it would replace,
as any hand-written frozen-pattern pass would.

Prints {"seconds": s, "torch": version, "threads": n, "blas_core": name}: the sweep's time
(loading excluded, after a one-batch warm-up), the thread count torch used, and the core OpenBLAS
chose.

    /usr/bin/python3 tools/bench/torch_ablate_peer.py --checkpoint FILE --tokens FILE --ctx T \
        [--threads N] [--rows N] [--losses OUT]
--tokens: raw little-endian int32 rows of T tokens; --rows: sweep only the first N windows;
--losses: also write the ablated losses as raw float32 [n_layers * n_heads, rows, T - 1], the
heads in layer-major order (the check `induction bench ablate` runs before timing).
"""

import argparse
import json
import math
import struct
import time

import torch
import torch.nn.functional as F

from torch_peer_common import blas_core

BATCH = 16


def read_safetensors(path):
    """The tensors of a safetensors file by name, and its __metadata__."""
    data = open(path, "rb").read()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_size])
    metadata = header.pop("__metadata__", {})
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    tensors = {}
    for name, entry in header.items():
        begin, end = (8 + header_size + offset for offset in entry["data_offsets"])
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[entry["dtype"]])
        tensors[name] = flat.view(entry["shape"]).float()
    return tensors, metadata


class Model:
    def __init__(self, path):
        w, metadata = read_safetensors(path)
        self.c = c = json.loads(metadata["config"])
        if not c["attn_only"] or c["local_windows"]:
            raise SystemExit(f"{path}: the peer implements attention-only models with dense heads")
        d, h, dh = c["d_model"], c["n_heads"], c["d_head"]
        # All heads of a layer project in one product: W [H, d_model, d_head] → [d_model, H * d_head].
        fuse = lambda W: W.permute(1, 0, 2).reshape(d, h * dh)
        self.layers = [{"W_Q": fuse(w[f"blocks.{l}.attn.W_Q"]), "W_K": fuse(w[f"blocks.{l}.attn.W_K"]),
                        "W_V": fuse(w[f"blocks.{l}.attn.W_V"]),
                        "W_O": w[f"blocks.{l}.attn.W_O"].reshape(h * dh, d),
                        "smear_alpha": w.get(f"blocks.{l}.attn.smear_alpha"),
                        "ln1": (w.get(f"blocks.{l}.ln1.w"), w.get(f"blocks.{l}.ln1.b"))}
                       for l in range(c["n_layers"])]
        self.W_E, self.W_pos = w["embed.W_E"], w["pos_embed.W_pos"]
        self.W_U, self.b_U = w["unembed.W_U"], w["unembed.b_U"]
        self.ln_final = (w.get("ln_final.w"), w.get("ln_final.b"))

    def layer_norm(self, x, weights):
        if self.c["normalization_type"] != "LN":
            return x
        return F.layer_norm(x, x.shape[-1:], *weights, eps=1e-5)

    def heads(self, x):
        """[B, T, H * d_head] → [B, H, T, d_head]"""
        b, t, _ = x.shape
        return x.view(b, t, self.c["n_heads"], self.c["d_head"]).transpose(1, 2)

    def pattern(self, layer, qk_input):
        """The causal attention pattern [B, H, T, T] from a layer's query/key input."""
        q, k = self.heads(qk_input @ layer["W_Q"]), self.heads(qk_input @ layer["W_K"])
        if self.c["smear_keys"]:
            mix = torch.sigmoid(layer["smear_alpha"]).view(1, -1, 1, 1)
            k = torch.cat([k[:, :, :1], mix * k[:, :, 1:] + (1 - mix) * k[:, :, :-1]], dim=2)
        t = qk_input.shape[1]
        scores = (q / math.sqrt(self.c["d_head"])) @ k.transpose(-1, -2)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        return scores.masked_fill(~causal, float("-inf")).softmax(-1)

    def final_stream(self, tokens, frozen=None, ablated=None):
        """The residual stream leaving the last layer, [B, T, d_model], and the patterns used:
        computed, or the `frozen` ones; head `ablated` = (layer, head) has its z zeroed."""
        b, t = tokens.shape
        positions = self.W_pos[:t]
        shortformer = self.c["positional_embedding_type"] == "shortformer"
        x = self.W_E[tokens] if shortformer else self.W_E[tokens] + positions
        patterns = []
        for l, layer in enumerate(self.layers):
            u = self.layer_norm(x, layer["ln1"])
            pattern = frozen[l] if frozen else self.pattern(layer, u + positions if shortformer else u)
            z = pattern @ self.heads(u @ layer["W_V"])  # [B, H, T, d_head]
            if ablated is not None and ablated[0] == l:
                z[:, ablated[1]] = 0
            x = x + z.transpose(1, 2).reshape(b, t, -1) @ layer["W_O"]
            patterns.append(pattern)
        return x, patterns

    def unembed(self, x):
        return self.layer_norm(x, self.ln_final) @ self.W_U + self.b_U


def per_token_losses(logits, tokens):
    """[B, T - 1]: the loss of predicting tokens[:, p + 1] at position p."""
    b, t, v = logits.shape
    return F.cross_entropy(logits[:, :-1].reshape(-1, v), tokens[:, 1:].reshape(-1),
                           reduction="none").view(b, t - 1)


def sweep(model, tokens, losses, clean_losses, clean_per_head):
    """Fills losses [n_layers * n_heads, N, T - 1] (each head ablated in turn, patterns frozen)
    and clean_losses [N, T - 1] (what every delta is measured against). clean_per_head: the
    naive method, a clean and an ablated pass per head; otherwise one clean pass per batch."""
    heads = [(l, h) for l in range(model.c["n_layers"]) for h in range(model.c["n_heads"])]
    for begin in range(0, tokens.shape[0], BATCH):
        rows = tokens[begin : begin + BATCH]

        def clean_pass():  # run 1: the clean losses and the patterns to freeze
            stream, patterns = model.final_stream(rows)
            clean_losses[begin : begin + BATCH] = per_token_losses(model.unembed(stream), rows)
            return patterns

        clean = None if clean_per_head else clean_pass()
        for i, head in enumerate(heads):
            stream, _ = model.final_stream(rows, frozen=clean_pass() if clean_per_head else clean, ablated=head)
            losses[i, begin : begin + BATCH] = per_token_losses(model.unembed(stream), rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--ctx", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--losses")
    parser.add_argument("--clean-per-head", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = Model(args.checkpoint)
    tokens = torch.frombuffer(bytearray(open(args.tokens, "rb").read()), dtype=torch.int32)
    tokens = tokens.view(-1, args.ctx).long()
    if args.rows > 0:
        tokens = tokens[: args.rows]
    n_sets = model.c["n_layers"] * model.c["n_heads"]
    losses = torch.empty(n_sets, tokens.shape[0], args.ctx - 1)
    clean_losses = torch.empty(tokens.shape[0], args.ctx - 1)
    with torch.no_grad():
        # warm-up: allocator, thread pool
        sweep(model, tokens[:BATCH], losses[:, :BATCH], clean_losses[:BATCH], args.clean_per_head)
        start = time.perf_counter()
        sweep(model, tokens, losses, clean_losses, args.clean_per_head)
        seconds = time.perf_counter() - start
    if args.losses:
        losses.numpy().tofile(args.losses)
    print(json.dumps({"seconds": seconds, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "blas_core": blas_core()}))


if __name__ == "__main__":
    main()
