#!/usr/bin/python3
"""fewshot_peer.py — the PyTorch peer of the few-shot training benchmark (METHODS §8.3).

Trains the few-shot classification model of Singh et al. 2024 (model/fewshot_model.h) the way a
researcher would write it in plain PyTorch, and times its training steps:

- input: exemplars f32 [B, 5, D=64] (Gaussian at the exemplar positions 0, 2, 4, zeros at the
  label positions 1, 3), labels i64 [B, 5] (a label at the odd positions), is_label [B, 5, 1],
  and the query's target label [B];
- token embedding x = is_label ? W_y[label] : W_x e + b_x (W_x LeCun-normal, b_x zero, W_y
  truncated normal σ = 0.02);
- 2 pre-LN attention-only blocks, 8 heads of d_head 8, no q/k/v/o biases, RoPE on q and k after
  the projections (base 10000, interleaved pairs: pair (2i, 2i+1) at position p turns by
  θ = p / 10000^(2i/d_head)), causal softmax with scale 1/sqrt(d_head), residual;
- final LayerNorm (eps 1e-5), output Linear(64, L=5) with bias at the query (last) position only,
  cross-entropy on the query only;
- Adam(lr 1e-5, betas (0.9, 0.999), eps 1e-8), batch 32.

The attention is written out by hand (projections, RoPE, q @ k^T, masked softmax, pattern @ v),
not nn.MultiheadAttention. The batches are drawn up front (a pool of at most 512, cycled) so data
generation is not timed. With --models M, M independent copies (init seeds seed, seed+1, ...) are
trained one after another on the same batches, each with its own warm-up.

Prints one JSON line {"steps_per_second", "seconds", "steps", "models", "threads", "batch",
"torch", "core", "blas_core", "blas_config", "flush_denormal", "final_loss"}: steps_per_second is
models * steps / seconds (optimizer steps of any copy per second, warm-up excluded); "core" and
"blas_core" both hold the core OpenBLAS chose (tools/bench/torch_peer_common.py; "blas_core" is
the key every peer reports, "core" the one the few-shot benchmark reads); final_loss is the last
step's query loss of the last copy. Like the other peers it runs with subnormal floats flushed to
zero (torch.set_flush_denormal) when the CPU allows.

    /usr/bin/python3 tools/bench/fewshot_peer.py [--steps 2000] [--warmup 20] [--batch 32] \
        [--threads 1] [--models 1] [--seed 0]
"""

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_peer_common import blas_config, blas_core

N_CTX = 5       # two (exemplar, label) pairs and the query
FEATURES = 64   # D
LABELS = 5      # L
D_MODEL = 64
N_LAYERS = 2
N_HEADS = 8
D_HEAD = 8
ROPE_BASE = 10000.0
POOL = 512      # distinct batches drawn up front


def lecun_normal_(weight):
    """Truncated normal at ±2σ with variance 1/fan_in after truncation (jax's lecun_normal)."""
    std = 1.0 / math.sqrt(weight.shape[1]) / 0.87962566103423978
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


def rope_tables(n_ctx, d_head):
    """cos and sin of θ = p / base^(2i/d_head), [n_ctx, d_head / 2]."""
    inv_freq = ROPE_BASE ** (-torch.arange(0, d_head, 2, dtype=torch.float32) / d_head)
    angles = torch.arange(n_ctx, dtype=torch.float32)[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Turns the interleaved pairs (x[2i], x[2i+1]) of x [B, H, T, d_head] by the position's angle."""
    pairs = x.unflatten(-1, (-1, 2))
    a, b = pairs[..., 0], pairs[..., 1]
    return torch.stack((a * cos - b * sin, b * cos + a * sin), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.W_Q = nn.Linear(D_MODEL, N_HEADS * D_HEAD, bias=False)
        self.W_K = nn.Linear(D_MODEL, N_HEADS * D_HEAD, bias=False)
        self.W_V = nn.Linear(D_MODEL, N_HEADS * D_HEAD, bias=False)
        self.W_O = nn.Linear(N_HEADS * D_HEAD, D_MODEL, bias=False)
        for linear in (self.W_Q, self.W_K, self.W_V, self.W_O):
            lecun_normal_(linear.weight)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        u = self.ln(x)
        q = self.W_Q(u).view(b, t, N_HEADS, D_HEAD).transpose(1, 2)
        k = self.W_K(u).view(b, t, N_HEADS, D_HEAD).transpose(1, 2)
        v = self.W_V(u).view(b, t, N_HEADS, D_HEAD).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(D_HEAD)
        pattern = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        z = (pattern @ v).transpose(1, 2).reshape(b, t, N_HEADS * D_HEAD)
        return x + self.W_O(z)


class FewShotModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.W_x = nn.Linear(FEATURES, D_MODEL)
        lecun_normal_(self.W_x.weight)
        nn.init.zeros_(self.W_x.bias)
        self.W_y = nn.Parameter(torch.empty(LABELS, D_MODEL))
        nn.init.trunc_normal_(self.W_y, std=0.02, a=-0.04, b=0.04)
        self.blocks = nn.ModuleList(Block() for _ in range(N_LAYERS))
        self.ln_final = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.unembed = nn.Linear(D_MODEL, LABELS)
        lecun_normal_(self.unembed.weight)
        nn.init.zeros_(self.unembed.bias)
        cos, sin = rope_tables(N_CTX, D_HEAD)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        self.register_buffer("mask", torch.ones(N_CTX, N_CTX, dtype=torch.bool).tril())

    def forward(self, exemplars, labels, is_label):
        x = torch.where(is_label, self.W_y[labels], self.W_x(exemplars))
        for block in self.blocks:
            x = block(x, self.cos, self.sin, self.mask)
        return self.unembed(self.ln_final(x[:, -1]))  # the query's logits [B, L]


def make_batches(count, batch, generator):
    """`count` batches (exemplars, labels, is_label, targets) of the §8.3 sequence layout."""
    is_label = (torch.arange(N_CTX) % 2 == 1).view(1, N_CTX, 1).expand(batch, N_CTX, 1)
    batches = []
    for _ in range(count):
        exemplars = torch.randn(batch, N_CTX, FEATURES, generator=generator).masked_fill(is_label, 0.0)
        labels = torch.randint(0, LABELS, (batch, N_CTX), generator=generator).masked_fill(~is_label[..., 0], 0)
        targets = torch.randint(0, LABELS, (batch,), generator=generator)
        batches.append((exemplars, labels, is_label, targets))
    return batches


def train(model, batches, steps, warmup):
    """Runs warmup untimed steps then `steps` timed ones; returns (seconds, last loss)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), eps=1e-8)

    def step(i):
        exemplars, labels, is_label, targets = batches[i % len(batches)]
        loss = F.cross_entropy(model(exemplars, labels, is_label), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    for i in range(warmup):  # allocator, thread pool
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        loss = step(warmup + i)
    seconds = time.perf_counter() - start
    return seconds, (loss.item() if steps > 0 else float("nan"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", type=int, default=1, help="independent copies, trained one after another")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.batch < 1 or args.threads < 1 or args.models < 1:
        parser.error("--steps, --batch, --threads and --models must be >= 1, --warmup >= 0")
    torch.set_num_threads(args.threads)
    flush_denormal = torch.set_flush_denormal(True)
    generator = torch.Generator().manual_seed(args.seed)
    batches = make_batches(min(POOL, args.warmup + args.steps), args.batch, generator)
    seconds, final_loss = 0.0, float("nan")
    for m in range(args.models):
        torch.manual_seed(args.seed + m)
        model_seconds, final_loss = train(FewShotModel(), batches, args.steps, args.warmup)
        seconds += model_seconds
    core = blas_core()
    print(json.dumps({"steps_per_second": args.models * args.steps / seconds, "seconds": seconds,
                      "steps": args.steps, "models": args.models, "threads": torch.get_num_threads(),
                      "batch": args.batch, "torch": torch.__version__, "core": core, "blas_core": core,
                      "blas_config": blas_config(), "flush_denormal": flush_denormal,
                      "final_loss": final_loss}))


if __name__ == "__main__":
    main()
