#!/usr/bin/python3
"""torch_train_peer.py — the PyTorch peer of `induction bench train`.

Trains the same transformer as model/transformer.cpp (METHODS §1: pre-LN, position-infused
attention with positions added to the query/key inputs, causal softmax, final LN, unembedding
with bias, next-token cross-entropy, AdamW with gradient clipping) for a few steps on random
tokens, written the way a PyTorch user would (nn.Parameter, batched matmuls, torch.optim.AdamW),
and prints {"tokens_per_second": x, "threads": n, "torch": version, "blas_core": name,
"blas_config": text, "flush_denormal": bool} as JSON. It runs with subnormal floats flushed to zero
(torch.set_flush_denormal) when the CPU allows, as a PyTorch user tuning for speed would. Only timing matters here; the numerics are checked by the golden test
(tests/golden/).

With --profile it then runs --profile-steps more steps under torch.autograd.profiler and adds
"profile": {"attention_matmul_ms", "masked_softmax_ms", "ops_ms"}: per step, forward and backward,
the time of the two places where this CPU build of PyTorch is known to be slow, the attention's
batched matmuls (q @ k^T and pattern @ v: aten::matmul, which loops over aten::bmm's matrices, and
their BmmBackward0) and the masked softmax (~mask, masked_fill, softmax, and their backward
nodes), and of all ops (the optimizer's included; not the Python between them). Only events at the
top of the profiler's tree count (ops the model calls, nodes the autograd engine runs, the
optimizer's step), so no time is counted twice. `induction bench train` prints them beside ours.

    /usr/bin/python3 tools/bench/torch_train_peer.py --config CONFIG.json --threads 2 --steps 10
CONFIG.json is one of our training configs (`induction presets --json` prints them).
"""

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_peer_common import blas_config, blas_core


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, dh, v = c["d_model"], c["n_heads"], c["d_head"], c["d_vocab"]
        self.c = c
        self.W_E = nn.Parameter(torch.randn(v, d) * 0.02)
        self.W_pos = nn.Parameter(torch.randn(c["n_ctx"], d) * 0.02, requires_grad=not c["fixed_positions"])
        self.blocks = nn.ModuleList()
        for _ in range(c["n_layers"]):
            block = nn.Module()
            block.ln1 = nn.LayerNorm(d)
            block.W_QK = nn.Linear(d, 2 * h * dh, bias=False)
            block.W_V = nn.Linear(d, h * dh, bias=False)
            block.W_O = nn.Linear(h * dh, d, bias=False)
            if not c["attn_only"]:
                block.ln2 = nn.LayerNorm(d)
                block.mlp = nn.Sequential(nn.Linear(d, c["d_mlp"]), nn.GELU(), nn.Linear(c["d_mlp"], d))
            if c["smear_keys"]:
                block.smear_alpha = nn.Parameter(torch.zeros(h))
            self.blocks.append(block)
        self.ln_final = nn.LayerNorm(d)
        self.unembed = nn.Linear(d, v)

    def forward(self, tokens):
        c = self.c
        b, t = tokens.shape
        h, dh = c["n_heads"], c["d_head"]
        positions = self.W_pos[:t]
        x = self.W_E[tokens]
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        for block in self.blocks:
            u = block.ln1(x)
            q, k = block.W_QK(u + positions).view(b, t, 2, h, dh).permute(2, 0, 3, 1, 4)
            v = block.W_V(u).view(b, t, h, dh).transpose(1, 2)
            if c["smear_keys"]:
                mix = torch.sigmoid(block.smear_alpha).view(1, h, 1, 1)
                k = torch.cat([k[:, :, :1], mix * k[:, :, 1:] + (1 - mix) * k[:, :, :-1]], dim=2)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
            pattern = scores.masked_fill(~mask, float("-inf")).softmax(-1)
            x = x + block.W_O((pattern @ v).transpose(1, 2).reshape(b, t, h * dh))
            if not c["attn_only"]:
                x = x + block.mlp(block.ln2(x))
        return self.unembed(self.ln_final(x))


def op_group(event):
    """The breakdown group of a top-level profiler event, or None."""
    name = event.name
    # The model's only matmuls of its own are the attention's (nn.Linear's sit under aten::linear).
    if name == "aten::matmul" or name.endswith(": BmmBackward0"):
        return "attention_matmul_ms"
    if name in ("aten::bitwise_not", "aten::masked_fill", "aten::softmax") or \
            name.endswith((": MaskedFillBackward0", ": SoftmaxBackward0")):
        return "masked_softmax_ms"
    return None


def profile(step, steps):
    """Milliseconds per step in each op group (see the module's comment)."""
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            step()
    ms = {"attention_matmul_ms": 0.0, "masked_softmax_ms": 0.0, "ops_ms": 0.0}
    for event in prof.function_events:
        if event.cpu_parent is not None:
            continue
        ms["ops_ms"] += event.cpu_time_total / 1000 / steps  # microseconds
        group = op_group(event)
        if group is not None:
            ms[group] += event.cpu_time_total / 1000 / steps
    return ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--profile", action="store_true", help="add the per-op-group breakdown")
    parser.add_argument("--profile-steps", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # At its best: subnormal floats (which the attention's softmax starts to produce after a few
    # steps of this model) slowed the peer's step from about 1.0 s to 1.8 s by step 12 (d256-h8-ctx512,
    # 1 thread, mostly in its batched matmuls); flushed to zero, it stays at 1.0 s. Ours stays flat.
    flush_denormal = torch.set_flush_denormal(True)
    torch.manual_seed(0)
    config = json.load(open(args.config))
    c = config["model"]
    model = Transformer(c)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 and p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config["weight_decay"]},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=config["learning_rate"], betas=(config["beta1"], config["beta2"]))
    batch, context = config["batch_size"], config["context"]

    def step():
        tokens = torch.randint(0, c["d_vocab"], (batch, context))
        logits = model(tokens)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, c["d_vocab"]), tokens[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config["grad_clip"])
        optimizer.step()

    for _ in range(2):  # warm-up: allocator, thread pool
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    result = {"tokens_per_second": args.steps * batch * context / seconds, "threads": torch.get_num_threads(),
              "torch": torch.__version__, "blas_core": blas_core(), "blas_config": blas_config(),
              "flush_denormal": flush_denormal}
    if args.profile:
        result["profile"] = profile(step, args.profile_steps)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
