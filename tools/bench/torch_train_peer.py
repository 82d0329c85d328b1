#!/usr/bin/python3
"""torch_train_peer.py — the PyTorch peer of `induction bench train`.

Trains the same transformer as model/transformer.cpp (METHODS §1: pre-LN, position-infused
attention with positions added to the query/key inputs, causal softmax, final LN, unembedding
with bias, next-token cross-entropy, AdamW with gradient clipping) for a few steps on random
tokens, written the way a PyTorch user would (nn.Parameter, batched matmuls, torch.optim.AdamW),
and prints {"tokens_per_second": x, "threads": n, "torch": version, "blas_core": name} as JSON. Only timing matters here; the
numerics are checked by the golden test (tests/golden/).

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

from torch_peer_common import blas_core


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
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
    print(json.dumps({"tokens_per_second": args.steps * batch * context / seconds,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "blas_core": blas_core()}))


if __name__ == "__main__":
    main()
