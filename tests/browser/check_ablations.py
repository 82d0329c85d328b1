#!/usr/bin/env python3
"""check_ablations.py CLI CHECKPOINT ABLATIONS_JSON — `induction ablate` must measure what the run's
analysis wrote for the same snapshot: the same evaluation windows (the run's stored set, its first
curve_examples rows as in the analysis), the same clean ICL and, for every single head, the same ΔICL
(METHODS §5.4) within 1e-6. The analysis scores a few columns, the command every column, so this also
checks the sweep's column picking end to end."""
import json
import os
import subprocess
import sys

cli, checkpoint, ablations_path = sys.argv[1:4]
run = json.load(open(os.path.join(os.path.dirname(os.path.dirname(ablations_path)), "run.json")))
examples = str(run["eval"]["curve_examples"])
out = json.loads(subprocess.run([cli, "ablate", checkpoint, "--examples", examples, "--json"], check=True,
                                capture_output=True, text=True).stdout)
final = json.load(open(ablations_path))["snapshots"][-1]
problems = []


def compare(what, ours, theirs):
    if ours is None or theirs is None or abs(ours - theirs) > 1e-6:
        problems.append(f"{what}: induction ablate says {ours}, {ablations_path} says {theirs}")


compare("clean icl_amount", out["clean"]["icl_amount"], final["clean"]["icl_amount"])
compare("clean icl_amount_band", out["clean"]["icl_amount_band"], final["clean"]["icl_amount_band"])
for ablation in out["ablations"]:
    (layer, head), = ablation["heads"]
    compare(f"delta_icl of L{layer}H{head}", ablation["delta_icl"], final["heads"]["delta_icl"][layer][head])
    compare(f"delta_icl_band of L{layer}H{head}", ablation["delta_icl_band"],
            final["heads"]["delta_icl_band"][layer][head])
if problems:
    print("browser check: FAIL: " + "; ".join(problems[:3]))
    sys.exit(1)
print(f"browser check: induction ablate {checkpoint} matches {ablations_path} "
      f"({len(out['ablations'])} heads)")
