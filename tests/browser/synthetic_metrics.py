#!/usr/bin/env python3
"""synthetic_metrics.py DIR — writes a made-up but realistic DIR/metrics/ (analysis/metrics_schema.md).

Six models, 110 dense snapshots (step 0, log-spaced early steps, then every 30 steps) of which
about 1 in 10 is "full", context 256: a 1-layer model without a phase change and five models
whose ICL amount (with bootstrap intervals, [O]'s and the [OURS] band-averaged one), induction-head
scores, K-composition traces (full snapshots only) and PCA trajectory turn inside a window; two
with smeared keys (σ(α) per head). With the final snapshot's circuits (circuits.json), the
evaluators' correlations with the weight-based measures (validation.json), the head ablations at
the full snapshots (ablations.json) and the display heads' attention patterns at every snapshot
(head_patterns.json, for the report's snapshot slider). attn-3l's tokens axis is logarithmic.
Used to try the report and its browser check without a training run (`induction report DIR`,
then tests/browser/check_report.sh DIR/report.html). Deterministic: a fixed seed, Python stdlib
only.
"""
import base64
import json
import math
import os
import random
import sys

CONTEXT = 256
LOG_STEPS = sorted({round(1.6 ** k) for k in range(1, 8)})  # 2 .. 27
STEPS = [0] + LOG_STEPS + [30 * k for k in range(1, 101)]
FULL_EVERY = 10  # every 10th snapshot is full, and the final one
FULL = [k % FULL_EVERY == 0 or k == len(STEPS) - 1 for k in range(len(STEPS))]
TOKENS_PER_STEP = 32 * CONTEXT
MODELS = [  # name, layers, window centre (steps) or None, smeared keys
    ("attn-1l", 1, None, False),
    ("attn-2l", 2, 750, False),
    ("attn-3l", 3, 600, False),
    ("mlp-2l", 2, 900, False),
    ("attn-1l-smear", 1, 500, True),
    ("attn-2l-smear", 2, 450, True),
]
CURVE_EXAMPLES = 256
FINAL_EXAMPLES = 1246
PATTERN_REPEAT = 12  # head_patterns.json: BOS + 12 random tokens, repeated twice
WORDS = [" the", " of", " and", " to", " in", " a", " was", " he", " for", " on", " it", " with", " as",
         " his", " at", " by", " &", " <b>", " A", " quiet", " river", " stone", " lamp", " north", "\n"]


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def write(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if isinstance(value, str):
            f.write(value)
        else:
            json.dump(value, f, indent=1)


def loss_by_position(rng, base, amount):
    """L(i) for i = 2..T: a short-context fall plus amount * log10(i/8) of ICL beyond i = 8."""
    return [base + 1.2 / math.sqrt(i) - amount * max(0.0, math.log10(i / 8)) + rng.gauss(0, 0.01)
            for i in range(2, CONTEXT + 1)]


def derivative(losses):
    """METHODS §2.5: log-binned central differences of L against ln i; returns (centres, values)."""
    bins = {}
    for i, loss in zip(range(2, CONTEXT + 1), losses):
        bins.setdefault(math.floor(4 * math.log2(i)), []).append((math.log(i), loss))
    keys = sorted(bins)
    xs = [sum(x for x, _ in bins[k]) / len(bins[k]) for k in keys]
    ls = [sum(v for _, v in bins[k]) / len(bins[k]) for k in keys]
    out = []
    for k in range(len(keys)):
        a, b = max(k - 1, 0), min(k + 1, len(keys) - 1)
        out.append((ls[b] - ls[a]) / (xs[b] - xs[a]))
    return [math.exp(x) for x in xs], out


D_HEAD = 32
COPYING_READINGS = ["per-source-signed", "per-source", "deviation", "raised-share"]  # the first is the default


def eigenvalues(rng, copying):
    """D_HEAD eigenvalues [re, im] of an OV circuit: conjugate pairs of falling size, on the positive
    real side with probability (1 + copying) / 2. Returns them and eig_copying = sum(re) / sum(|z|)."""
    out = []
    for k in range(D_HEAD // 2):
        size = 40 * math.exp(-k / 6) * rng.uniform(0.6, 1.2)
        angle = abs(rng.gauss(0, 0.25)) + (0 if rng.random() < (1 + copying) / 2 else math.pi - 0.5)
        re, im = size * math.cos(angle), size * math.sin(angle)
        out += [[round(re, 4), round(im, 4)], [round(re, 4), round(-im, 4)]]
    return out, sum(z[0] for z in out) / sum(math.hypot(*z) for z in out)


def ranks(values):
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    k = 0
    while k < len(order):
        end = k
        while end + 1 < len(order) and values[order[end + 1]] == values[order[k]]:
            end += 1
        for j in range(k, end + 1):
            out[order[j]] = (k + end) / 2
        k = end + 1
    return out


def correlation(xs, ys, snapshots):
    """validation.json's R: Spearman's rho of paired per-head values, with a Fisher-z 95% interval
    (the real file bootstraps over snapshots)."""
    pairs = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
    if len(pairs) < 4:
        return {"spearman": None, "low": None, "high": None, "pairs": len(pairs), "snapshots": snapshots}
    rx, ry = ranks([p[0] for p in pairs]), ranks([p[1] for p in pairs])
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    rho = cov / math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    z, half = math.atanh(max(-0.999, min(0.999, rho))), 1.96 * 1.03 / math.sqrt(len(pairs) - 3)
    return {"spearman": round(rho, 4), "low": round(math.tanh(z - half), 4), "high": round(math.tanh(z + half), 4),
            "pairs": len(pairs), "snapshots": snapshots}


def flat(snapshots, key, first_layer=0):
    """Every head's value of a per-layer, per-head snapshot score, over the snapshots that have it."""
    return [v for s in snapshots if s[key] is not None for layer in s[key][first_layer:] for v in layer]


def circuits(rng, layers, heads, final, eig, induction, previous):
    """circuits.json of the final snapshot (METHODS §4)."""
    head_rows, pairs = [], []
    for l in range(layers):
        for h in range(heads):
            sizes = sorted((rng.uniform(0.8, 1.2) * (3 + 2 * l) * math.exp(-k / 14) for k in range(D_HEAD)), reverse=True)
            qk = sorted((rng.uniform(0.8, 1.2) * 3 * math.exp(-k / (9 if (l, h) in induction else 5))
                         for k in range(D_HEAD)), reverse=True)
            trace = final["prev_token_kcomp_trace"][l][h]
            head_rows.append({
                "layer": l, "head": h, "eig_copying": round(eig[l][h][1], 4), "eigenvalues": eig[l][h][0],
                "prev_token_kcomp_trace": trace, "prev_token_kcomp_trace_normalised":
                    final["prev_token_kcomp_trace_normalised"][l][h],
                "positional_previous_token": round(0.8 if (l, h) in previous else rng.uniform(0.0, 0.2), 4),
                "ov_singular_values": [round(v, 4) for v in sizes], "qk_singular_values": [round(v, 4) for v in qk]})
    for l1 in range(layers):
        for h1 in range(heads):
            for l2 in range(l1 + 1, layers):
                for h2 in range(heads):
                    lift = 0.05 if (l1, h1) in previous and (l2, h2) in induction else 0.0
                    comp = {kind: round(0.0625 + rng.gauss(0, 0.004) + (lift if kind == "k_comp" else 0), 5)
                            for kind in ("k_comp", "q_comp", "v_comp")}
                    reduced = {kind + "_reduced": round(v + rng.gauss(0, 0.002), 5) for kind, v in comp.items()}
                    pairs.append(dict({"from": [l1, h1], "to": [l2, h2], "baseline_mean": 0.0625,
                                       "baseline_std": 0.0021}, **comp, **reduced))
    return {"fold_layer_norm": True,
            "baseline": {"mean": 0.0625, "std": 0.0021, "reduced_mean": 0.0626, "reduced_std": 0.0019, "draws": 200,
                         "seed": 0},
            "heads": head_rows, "pairs": pairs}


def interval(value, half):
    return [round(value - half, 5), round(value + half, 5)]


def effect(clean, ablated, clean_band, ablated_band):
    """ablations.json's effect of one ablation (METHODS §5.4): amounts, deltas and shares removed."""
    def share(c, a, half):
        value = (c - a) / c if c > 0 else None
        return {"value": round(value, 4) if c > 0 else None, "ci": interval(value, half) if c > 0 else [None, None]}
    return {"icl_amount": round(ablated, 5), "icl_amount_ci": interval(ablated, 0.06),
            "delta_icl": round(ablated - clean, 5), "delta_icl_ci": interval(ablated - clean, 0.04),
            "icl_amount_band": round(ablated_band, 5), "icl_amount_band_ci": interval(ablated_band, 0.03),
            "delta_icl_band": round(ablated_band - clean_band, 5),
            "delta_icl_band_ci": interval(ablated_band - clean_band, 0.02), "delta_loss": round(clean - ablated, 5),
            "share_removed": share(clean, ablated, 0.2), "share_removed_band": share(clean_band, ablated_band, 0.1)}


def ablations(rng, layers, heads, centre, classes):
    """ablations.json (METHODS §5.4-§5.5): every 4th snapshot and those in the window. Ablating the
    induction heads removes almost all ICL after the window, the other heads add a little."""
    window = (centre - 150, centre + 150) if centre else None
    groups = {g: [[l, h] for l in range(layers) for h in range(heads) if classes[l][h] == g]
              for g in ("induction", "previous-token", "other")}
    groups = {g: members for g, members in groups.items() if members}
    removes = {"induction": 0.92, "previous-token": 0.25, "other": -0.1}  # share of the rise removed
    snapshots = []
    for step, full in zip(STEPS, FULL):
        if not full:
            continue
        rise = sigmoid((step - centre) / 60) if centre else 0.0
        clean = (0.08 + 0.35 * rise) if centre else 0.05 + 0.04 * step / STEPS[-1]
        clean_band = clean * 1.1

        def per_head(scale):
            return [[round((-scale * rise * (0.4 if classes[l][h] == "induction" else 0.03) +
                            (0.01 if classes[l][h] == "other" else 0.0)) + rng.gauss(0, 0.006), 5)
                     for h in range(heads)] for l in range(layers)]

        delta = per_head(0.35)
        head_effects = {"delta_icl": delta,
                        "delta_icl_lo": [[round(d - 0.03, 5) for d in row] for row in delta],
                        "delta_icl_hi": [[round(d + 0.03, 5) for d in row] for row in delta],
                        "delta_icl_band": [[round(1.1 * d, 5) for d in row] for row in delta],
                        "delta_loss": [[round(-2 * d, 5) for d in row] for row in delta]}
        if window:
            head_effects["before_after"] = per_head(12.0)
            head_effects["before_after_cosine"] = [[round(max(-1.0, a / 12), 4) for a in row]
                                                   for row in head_effects["before_after"]]
        group_effects = {}
        for g in groups:
            removed = removes[g] * (clean - 0.02) if g != "other" else -0.03
            group_effects[g] = effect(clean, clean - removed, clean_band, clean_band - 1.05 * removed)
            if window:
                group_effects[g]["before_after"] = round(-14 * removes[g] * rise, 4)
        snapshots.append({"step": step, "tokens": step * TOKENS_PER_STEP,
                          "clean": {"icl_amount": round(clean, 5), "icl_amount_ci": interval(clean, 0.05),
                                    "icl_amount_band": round(clean_band, 5),
                                    "icl_amount_band_ci": interval(clean_band, 0.02), "loss_random_token": 4.1},
                          "heads": head_effects, "groups": group_effects})
    return {"mode": "pattern", "examples": 400, "icl_lo": 25, "icl_hi": 250,
            "icl_bands": {"lo": [20, 31], "hi": [200, 256]}, "bootstrap_resamples": 1000,
            "delta_sign": "ablated minus clean ICL amount per decade: negative when the ablation removes ICL",
            "groups": groups,
            "before_after": {"found": True, "start_step": window[0], "end_step": window[1],
                             "source": "the ICL curve's window (METHODS §6.1)"} if window else
                            {"found": False, "reason": "no ICL window: rise y_post - y_pre = 0.03 < 0.1"},
            "snapshots": snapshots}


def attention_row(q, kind, strength):
    """One query's attention over keys 0..q of head_patterns.json's sequence (BOS + PATTERN_REPEAT
    tokens, twice): an induction head attends to the token after the earlier copy, a previous-token
    head to q - 1, each with the given strength; the rest goes to BOS and evenly over the keys."""
    row = [0.0] * (q + 1)
    target = q - PATTERN_REPEAT + 1 if kind == "induction" and q > PATTERN_REPEAT else q - 1 if kind == "previous" else None
    focused = strength if target is not None and target >= 0 else 0.0
    if focused:
        row[target] += focused
    row[0] += 0.5 * (1 - focused)
    for k in range(q + 1):
        row[k] += 0.5 * (1 - focused) / (q + 1)
    return row


def head_patterns(rng, prefix, previous_token, strengths):
    """head_patterns.json: the final snapshot's top 2 prefix-matching and top 2 previous-token heads,
    their lower-triangle patterns at every snapshot as base64 bytes (byte = round(255 w))."""
    final_prefix, final_previous = prefix[-1], previous_token[-1]
    all_heads = [(l, h) for l in range(len(final_prefix)) for h in range(len(final_prefix[0]))]
    top_prefix = sorted(all_heads, key=lambda lh: -final_prefix[lh[0]][lh[1]])[:2]
    top_previous = [lh for lh in sorted(all_heads, key=lambda lh: -final_previous[lh[0]][lh[1]])
                    if lh not in top_prefix][:2]
    shown = [(lh, "induction", "top prefix matching") for lh in top_prefix] + \
            [(lh, "previous", "top previous token") for lh in top_previous]
    words = [rng.choice(WORDS) for _ in range(PATTERN_REPEAT)]
    tokens = ["<|endoftext|>"] + words * 2
    patterns = []
    for s in range(len(STEPS)):
        per_head = []
        for (l, h), kind, _ in shown:
            strength = strengths(s, l, h, kind)
            cells = [min(255, round(255 * w)) for q in range(len(tokens)) for w in attention_row(q, kind, strength)]
            per_head.append(base64.b64encode(bytes(cells)).decode("ascii"))
        patterns.append(per_head)
    return {"example": f"BOS + {PATTERN_REPEAT} random tokens, repeated twice", "tokens": tokens,
            "heads": [{"layer": l, "head": h, "why": why} for (l, h), _, why in shown],
            "steps": STEPS, "patterns": patterns}


def model_metrics(root, name, layers, centre, smear, rng):
    heads = 8
    # Which heads become induction / previous-token heads (last layer / first layer).
    induction = {(layers - 1, h): 0.55 + 0.1 * h for h in (1, 4, 6)} if centre else {}
    previous = {(0, h): 0.5 + 0.1 * h for h in (2, 3)} if centre else {}
    # Each head's OV eigenvalues at the end of training: induction heads copy.
    eig = [[eigenvalues(rng, 0.95 if (l, h) in induction else rng.uniform(-0.6, 0.6)) for h in range(heads)]
           for l in range(layers)]
    snapshots, loss_rows, derivative_rows, centres = [], [], [], None
    for step, full in zip(STEPS, FULL):
        tokens = step * TOKENS_PER_STEP
        rise = sigmoid((step - centre) / 60) if centre else 0.0
        amount = (0.08 + 0.35 * rise) if centre else 0.05 + 0.04 * step / STEPS[-1]
        base = 3.4 + 0.1 * (3 - layers) + 3.2 * math.exp(-step / 250) - (0.12 * rise if centre else 0)
        losses = loss_by_position(rng, base, amount)
        centres, d = derivative(losses)
        loss_rows.append([step, tokens] + losses)
        derivative_rows.append([step, tokens] + d)

        def score(table, l, h, low):
            top = table.get((l, h))
            lead = 100 if table is previous else 0
            level = top * sigmoid((step - centre + lead) / 60) if top else 0
            return round(max(0.0, low + level + rng.gauss(0, 0.01)), 4)

        def copying_scores(l, h):
            e = eig[l][h][1] * (0.3 + 0.7 * sigmoid((step - 600) / 150))
            c = max(-1.0, min(1.0, 0.35 * e + rng.gauss(0, 0.03)))
            return round(e, 4), c

        def trace(l, h, scale):
            return round(scale * score(induction, l, h, 0.0) + rng.gauss(0, 0.03 * scale), 4) if l > 0 else None

        def sigma(l, h):
            target = 0.2 if (l, h) in induction or (l, h) in previous else 0.75
            mix = sigmoid((step - (centre or 600)) / 80)
            return round(0.5 + (target - 0.5) * mix + rng.gauss(0, 0.01), 4)

        def measured_at_full(value):
            return value if full else None

        copy = [[copying_scores(l, h) for h in range(heads)] for l in range(layers)]
        per_decade = losses[23] - losses[248]
        noise = 0.025 + 0.02 * rng.random()  # the bootstrap interval's half-width over the curve windows
        band = per_decade * 1.04 + rng.gauss(0, 0.005)
        snapshots.append({
            "step": step, "tokens": tokens, "full": full,
            "icl_per_decade_ci": interval(per_decade, noise), "icl_band": round(band, 5),
            "icl_band_ci": interval(band, 0.6 * noise),
            "smear_sigma": [[sigma(l, h) for h in range(heads)] for l in range(layers)] if smear else None,
            "loss": round(sum(losses) / len(losses), 5),
            "loss_random_token": round(sum(losses) / len(losses) + rng.gauss(0, 0.03), 5),
            "icl_score": round(losses[248] - losses[23], 5),  # L(250) - L(25); losses[k] is i = k + 2
            "icl_amount": round(losses[23] - losses[248], 5),
            "icl_per_decade": round(losses[23] - losses[248], 5),
            "prefix_matching": [[score(induction, l, h, 0.04 + 0.01 * h) for h in range(heads)] for l in range(layers)],
            "copying": measured_at_full([[round(c, 4) for _, c in row] for row in copy]),
            "copying_variants": measured_at_full(
                {reading: [[round(max(-1.0, min(1.0, c * (1 - 0.15 * k) + rng.gauss(0, 0.02 * k))), 4)
                            for _, c in row] for row in copy]
                 for k, reading in enumerate(COPYING_READINGS)}),
            "copying_top": measured_at_full([[round(max(0.0, 0.1 + 0.6 * c + rng.gauss(0, 0.03)), 4) for _, c in row]
                                             for row in copy]),
            "copy_eig": measured_at_full([[e for e, _ in row] for row in copy]),
            "previous_token": [[score(previous, l, h, 0.05 + 0.01 * h) for h in range(heads)] for l in range(layers)],
            "prev_token_kcomp_trace": measured_at_full([[trace(l, h, 2.5e4) for h in range(heads)]
                                                        for l in range(layers)]),
            "prev_token_kcomp_trace_normalised": measured_at_full([[trace(l, h, 0.4) for h in range(heads)]
                                                                   for l in range(layers)]),
        })
    description = (f"{layers}-layer {'attention-only' if name.startswith('attn') else 'with MLPs'}, 8 heads, "
                   f"d_model 256{', smeared keys' if smear else ''}")
    base = os.path.join(root, name)
    last = snapshots[-1]
    final_icl = {"examples": FINAL_EXAMPLES, "per_decade": last["icl_per_decade"],
                 "per_decade_ci": interval(last["icl_per_decade"], 0.012), "band": last["icl_band"],
                 "band_ci": interval(last["icl_band"], 0.008)}
    write(os.path.join(base, "snapshots.json"), {
        "model": name, "description": description, "config": {}, "n_layers": layers, "n_heads": heads,
        "context": CONTEXT, "curve_examples": CURVE_EXAMPLES, "final_icl": final_icl, "snapshots": snapshots})

    def pattern_strength(s, l, h, kind):
        step = STEPS[s]
        if not centre:
            return 0.15 * step / STEPS[-1]
        lead = 100 if kind == "previous" else 0
        return 0.85 * sigmoid((step - centre + lead) / 60)

    write(os.path.join(base, "head_patterns.json"),
          head_patterns(rng, [s["prefix_matching"] for s in snapshots], [s["previous_token"] for s in snapshots],
                        pattern_strength))
    header = "step,tokens," + ",".join(str(i) for i in range(2, CONTEXT + 1))
    write(os.path.join(base, "loss_by_position.csv"),
          header + "\n" + "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in loss_rows))
    write(os.path.join(base, "loss_derivative.csv"),
          "step,tokens," + ",".join(f"{c:.6g}" for c in centres) + "\n" +
          "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in derivative_rows))

    final = snapshots[-1]
    head_rows = []
    for l in range(layers):
        for h in range(heads):
            p, c, q = final["prefix_matching"][l][h], final["copying"][l][h], final["previous_token"][l][h]
            e = final["copy_eig"][l][h]
            cls = "induction" if p > 0.4 and c > 0 else "previous-token" if q > 0.4 else "other"
            head_rows.append({"layer": l, "head": h, "prefix_matching": p, "copying": c,
                              "copying_top": final["copying_top"][l][h], "eig_copying": e, "previous_token": q,
                              "class": cls, "unstable": abs(p - 0.4) < 0.1 or abs(q - 0.4) < 0.1 or (c > 0) != (e > 0),
                              "copying_disagreement": (c > 0) != (e > 0)})
    write(os.path.join(base, "heads.json"), {"copying_ratio": COPYING_READINGS[0], "copying_random_baseline": 0.0,
                                             "heads": head_rows})
    write(os.path.join(base, "circuits.json"), circuits(rng, layers, heads, final, eig, induction, previous))
    classes = [[row["class"] for row in head_rows[l * heads:(l + 1) * heads]] for l in range(layers)]
    write(os.path.join(base, "ablations.json"), ablations(rng, layers, heads, centre, classes))
    full = [s for s in snapshots if s["full"]]  # the copying scores and traces exist there only
    eigs = flat(full, "copy_eig")
    readings = {reading: correlation(flat([s["copying_variants"] for s in full], reading), eigs, len(full))
                for reading in COPYING_READINGS}
    readings["copying-top"] = correlation(flat(full, "copying_top"), eigs, len(full))
    write(os.path.join(base, "validation.json"), {
        "copying_ratio": COPYING_READINGS[0], "copying_vs_eig_copying": readings,
        "prefix_vs_kcomp_trace": correlation(flat(full, "prefix_matching", 1), flat(full, "prev_token_kcomp_trace", 1),
                                             len(full)),
        "prefix_vs_kcomp_trace_normalised": correlation(flat(full, "prefix_matching", 1),
                                                        flat(full, "prev_token_kcomp_trace_normalised", 1),
                                                        len(full))})

    burn_in = math.ceil(0.05 * len(STEPS))
    pivot = min(STEPS, key=lambda step: abs(step - (centre or 150)))
    window = None
    if centre:
        s0, s1 = centre - 150, centre + 150
        window = {"start_tokens": s0 * TOKENS_PER_STEP, "end_tokens": s1 * TOKENS_PER_STEP,
                  "start_step": s0, "end_step": s1}
    rise_fields = {"found": bool(centre), "reason": "" if centre else "rise y_post - y_pre = 0.03 < 0.1",
                   "log_n": name == "attn-3l", "y_pre": 0.09 if centre else 0.06, "y_post": 0.43 if centre else 0.09,
                   "frac_in_window": 0.86 if centre else 0.0, "multi_step": False}
    write(os.path.join(base, "phase.json"), {
        "verdict": "phase change" if centre else "no phase change",
        "reason": "" if centre else "ICL: rise y_post - y_pre = 0.03 < 0.1; prefix: no heads above layer 1",
        "window": window, "icl": rise_fields,
        "prefix": dict(rise_fields, y_pre=0.12 if centre else None, y_post=0.81 if centre else None),
        "midpoint_lag_tokens": 12 * TOKENS_PER_STEP if centre else None, "iou": 0.82 if centre else None,
        "burn_in": {"tokens": STEPS[burn_in] * TOKENS_PER_STEP,
                    "source": f"the first ceil(0.05 x {len(STEPS)}) = {burn_in} snapshots (burn_in_fraction)"},
        "loss_bump": {"found": bool(centre), "height": 0.031, "location_tokens": (centre or 0) * TOKENS_PER_STEP,
                      "overlaps_window": True, "other_regions": [], "steeper_inside": True} if centre else None,
        "loss_bump_linear": {"found": bool(centre), "height": 0.024,
                             "location_tokens": ((centre or 0) + 30) * TOKENS_PER_STEP, "overlaps_window": True,
                             "other_regions": [[0, 60 * TOKENS_PER_STEP]], "steeper_inside": True} if centre else
                            {"found": False},
        "pca_pivot": {"found": True, "step": pivot, "tokens": pivot * TOKENS_PER_STEP,
                      "angle_degrees": 47.5 if centre else 18.2,
                      "in_window": (window["start_step"] <= pivot <= window["end_step"]) if window else None},
        "schedule_changes_in_window": []})
    if not centre:
        return
    random_tokens = [rng.choice(WORDS) for _ in range(25)]
    tokens = ["<|endoftext|>"] + random_tokens * 4
    T = len(tokens)
    pattern = []
    for q in range(T):
        row = [0.0] * T
        if q > 25:
            row[q - 24] = 0.78
            for k in range(q + 1):
                row[k] += 0.22 / (q + 1)
        else:
            row[0] = 0.6
            for k in range(q + 1):
                row[k] += 0.4 / (q + 1)
        pattern.append([round(v, 5) for v in row])
    top = max(induction, key=induction.get)
    write(os.path.join(base, "induction_pattern.json"), {
        "layer": top[0], "head": top[1], "prefix_matching": final["prefix_matching"][top[0]][top[1]],
        "tokens": tokens, "pattern": pattern})
    text = (" The lamp keeper, Orla Venn, walked north along the quiet river. At the stone bridge"
            " Orla Venn stopped & read the <note>: \"the lamp is lit\". Later, Orla Venn said the lamp"
            " keeper's work was done.\n").split(" ")
    pieces = ["<|endoftext|>"] + [" " + w for w in text if w]
    examples = []
    for e in range(2):
        before, after = [None], [None]
        for k in range(1, len(pieces)):
            repeated = pieces[k] in pieces[:k] and pieces[k - 1] in pieces[:k - 1]
            b = round(rng.uniform(2.0, 7.0), 3)
            a = round(max(0.05, b - (rng.uniform(2, 5) if repeated else rng.uniform(-0.4, 0.6))), 3)
            before.append(b)
            after.append(a)
        examples.append({"tokens": pieces, "loss_before": before, "loss_after": after})
    write(os.path.join(base, "token_changes.json"),
          {"start_step": window["start_step"], "end_step": window["end_step"], "examples": examples})


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: synthetic_metrics.py DIR")
    root = os.path.join(sys.argv[1], "metrics")
    rng = random.Random(2022)
    write(os.path.join(root, "run.json"), {
        "name": "synthetic", "models": [m[0] for m in MODELS],
        "eval": {"n_examples": 400, "context": CONTEXT, "icl_lo": 25, "icl_hi": 250, "icl_kind": "per_decade",
                 "curve_examples": CURVE_EXAMPLES, "burn_in_fraction": 0.05},
        "phase_reference": "attn-2l"})
    trajectories = {}
    for name, layers, centre, smear in MODELS:
        model_metrics(root, name, layers, centre, smear, rng)
        pc1, pc2 = [], []
        for step in STEPS:
            turn = sigmoid((step - centre) / 60) if centre else 0.0
            pc1.append(round(-4 + 6 * (1 - math.exp(-step / 300)) + 0.3 * layers * turn, 4))
            pc2.append(round(-1 + 0.5 * step / STEPS[-1] + (1.8 * turn if centre else 0.2 * layers), 4))
        trajectories[name] = {"steps": STEPS, "tokens": [s * TOKENS_PER_STEP for s in STEPS], "pc1": pc1, "pc2": pc2}
    write(os.path.join(root, "pca.json"), {"explained_variance_ratio": [0.71, 0.12], "models": trajectories})


if __name__ == "__main__":
    main()
