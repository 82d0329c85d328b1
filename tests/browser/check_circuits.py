#!/usr/bin/python3
"""check_circuits.py CLI CHECKPOINT — an independent check of `induction circuits` (METHODS §4.3).

Reads the safetensors checkpoint itself (8-byte header length, JSON header, raw little-endian data),
folds LayerNorm into the weights as METHODS §1.3 says (W_V^eff = W_V diag(γ_l) C, W_U^eff =
W_U diag(γ_f) C), builds each head's full V × V OV circuit W_U^eff W_O W_V^eff W_E with numpy and
takes all its eigenvalues with numpy.linalg.eigvals: eig_copying = Σλ / Σ|λ|. Compares with the
`eig_copying` of `CLI circuits CHECKPOINT --json` and fails beyond 1e-3. Written from METHODS, not
from our code; run by quick_run_check.sh on the quick run's final snapshots. Needs python3-numpy
(prints SKIPPED without it).
"""
import json
import struct
import subprocess
import sys

try:
    import numpy as np
except ImportError:
    print("circuits check: SKIPPED: no numpy (apt-get install -y python3-numpy)")
    sys.exit(0)

DTYPES = {"F32": np.float32, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


def fold(gamma):  # diag(γ) C
    d = gamma.shape[0]
    return np.diag(gamma.astype(np.float64)) @ (np.eye(d) - np.ones((d, d)) / d)


def main(cli, checkpoint):
    w, _ = read_safetensors(checkpoint)
    ours = json.loads(subprocess.check_output([cli, "circuits", checkpoint, "--json"]))
    layer_norm = "ln_final.w" in w
    W_E = w["embed.W_E"].astype(np.float64).T  # [d_model, V], column convention
    W_U = w["unembed.W_U"].astype(np.float64).T  # [V, d_model]
    if layer_norm:
        W_U = W_U @ fold(w["ln_final.w"])
    worst = 0.0
    for head in ours["heads"]:
        l, h = head["layer"], head["head"]
        W_V = w[f"blocks.{l}.attn.W_V"][h].astype(np.float64).T  # [d_head, d_model]
        if layer_norm:
            W_V = W_V @ fold(w[f"blocks.{l}.ln1.w"])
        W_O = w[f"blocks.{l}.attn.W_O"][h].astype(np.float64).T  # [d_model, d_head]
        eigenvalues = np.linalg.eigvals(W_U @ W_O @ W_V @ W_E)
        reference = eigenvalues.real.sum() / np.abs(eigenvalues).sum()
        error = abs(head["eig_copying"] - reference)
        worst = max(worst, error)
        if error > 1e-3:
            print(f"circuits check: FAIL: {checkpoint} L{l}H{h}: eig_copying {head['eig_copying']:.6f}, "
                  f"numpy {reference:.6f}")
            return 1
    print(f"circuits check: {checkpoint}: eig_copying of {len(ours['heads'])} heads within "
          f"{worst:.1e} of numpy's full-vocabulary eigenvalues")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
