#!/usr/bin/env python3
"""bad_inputs.py CLI — the table-driven bad-input catalogue of the induction CLI (issue 17, item 8).

In a temporary directory it trains a tiny run (1 layer, d_model 32, 30 steps; the built-in corpus is
built there on first use, in a few seconds), derives from it a run stopped part-way, and crafts the
bad files the cases name: configs with bad fields, corrupt checkpoints and resume states, token
files of the wrong size. Then it runs CLI on every case of BAD_INPUTS, from the temporary working
directory, and checks that each
  - exits with a non-zero status, within REFUSAL_SECONDS and MEMORY_LIMIT_BYTES, not by a signal;
  - prints exactly one line on stderr, "induction <command>: <message>", holding every substring
    the case names (the file, and the field or the problem);
  - leaves the working directory as it was: no file changed, appeared, vanished or half-written
    (the names and contents of every file are hashed before and after).
The MUST_SUCCEED cases must exit 0 and change nothing either. It prints one line per failing case
and a summary, and exits 1 when any case fails. Without the corpus packages it says it skipped.
Python 3 standard library only.
"""
import hashlib
import json
import math
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable

REFUSAL_SECONDS = 5   # a bad input is refused at once: no case reads or computes for long
SUCCESS_SECONDS = 60  # the must-succeed cases and the fixture's training
MEMORY_LIMIT_BYTES = 4 << 30  # writable memory: reading /dev/zero without a limit must fail, not swap
SANITIZER_SLOWDOWN = 10  # an ASan build (make SANITIZE=1 test) gets this much more time, no memory limit

# The fixture run: small enough to train in about a second, large enough for `induction heads`
# (its prefix-matching sequences need n_ctx >= 101).
TINY_CONFIG = {
    "name": "tiny",
    "model": {"n_layers": 1, "d_model": 32, "n_heads": 2, "d_head": 16, "d_vocab": 512, "n_ctx": 128,
              "attn_only": True},
    "batch_size": 4, "context": 128, "steps": 30, "warmup_steps": 5, "snapshot_every": 10,
    "snapshot_log_count": 0, "corpus_dir": "data/corpus-512",
}
RUN = "run"          # the fixture run, finished at step 30
PARTIAL = "partial"  # the same with its config's steps raised to 40: a run stopped at step 30 of 40
CHECKPOINT = "run/snapshots/step-000030.safetensors"
TOKENS = "tokens.bin"  # two good rows of 128 tokens
CTX = str(TINY_CONFIG["context"])
ONE_LINE_ERROR = re.compile(r"induction( [a-z]+)*: \S.*\n")


# ---- crafted files -----------------------------------------------------------------------------

def config_json(changes: dict, model_changes: dict = None) -> bytes:
    """The fixture's config with top-level and model fields replaced."""
    config = json.loads(json.dumps(TINY_CONFIG))
    config.update(changes)
    config["model"].update(model_changes or {})
    return json.dumps(config).encode()


def int32_rows(tokens: list) -> bytes:
    return struct.pack(f"<{len(tokens)}i", *tokens)


def read_safetensors(data: bytes):
    """(metadata or None, {name: [dtype, shape, bytes]}) in the file's order."""
    length = struct.unpack_from("<Q", data)[0]
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", None)
    body = data[8 + length:]
    tensors = {name: [info["dtype"], info["shape"], bytearray(body[info["data_offsets"][0]:info["data_offsets"][1]])]
               for name, info in header.items()}
    return metadata, tensors


def write_safetensors(metadata, tensors) -> bytes:
    header, body, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        body += data
        offset += len(data)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def poisoned(name: str, value: float) -> Callable[[bytes], bytes]:
    """A safetensors edit: the first float of tensor `name` set to value (NaN, Inf)."""
    def edit(data: bytes) -> bytes:
        metadata, tensors = read_safetensors(data)
        struct.pack_into("<f", tensors[name][2], 0, value)
        return write_safetensors(metadata, tensors)
    return edit


def reshaped(name: str, shape: list) -> Callable[[bytes], bytes]:
    """A safetensors edit: tensor `name` replaced by zeros of another shape, consistently stored."""
    def edit(data: bytes) -> bytes:
        metadata, tensors = read_safetensors(data)
        tensors[name][1:] = [shape, bytearray(4 * math.prod(shape))]
        return write_safetensors(metadata, tensors)
    return edit


def without(name: str) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        metadata, tensors = read_safetensors(data)
        del tensors[name]
        return write_safetensors(metadata, tensors)
    return edit


def retyped(name: str, dtype: str) -> Callable[[bytes], bytes]:
    """A safetensors edit: tensor `name` claims another dtype over the same bytes."""
    def edit(data: bytes) -> bytes:
        metadata, tensors = read_safetensors(data)
        tensors[name][0] = dtype
        return write_safetensors(metadata, tensors)
    return edit


def with_header_fields(change: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    """A safetensors edit: change(header) edits the parsed JSON header in place (offsets, shapes,
    dtypes, __metadata__); the data stays as it was."""
    def edit(data: bytes) -> bytes:
        length = struct.unpack_from("<Q", data)[0]
        header = json.loads(data[8:8 + length])
        change(header)
        text = json.dumps(header).encode()
        return struct.pack("<Q", len(text)) + text + data[8 + length:]
    return edit


def with_model_config(changes: dict) -> Callable[[bytes], bytes]:
    """A safetensors edit: fields of the model config in the header's __metadata__ replaced."""
    def edit(data: bytes) -> bytes:
        metadata, tensors = read_safetensors(data)
        config = json.loads(metadata["config"])
        config.update(changes)
        metadata["config"] = json.dumps(config)
        return write_safetensors(metadata, tensors)
    return edit


def with_header(header: bytes) -> Callable[[bytes], bytes]:
    """A safetensors edit: the header replaced by raw bytes (length prefix included)."""
    return lambda data: header + data[8 + struct.unpack_from("<Q", data)[0]:]


def truncated(fraction: float) -> Callable[[bytes], bytes]:
    return lambda data: data[:int(len(data) * fraction)]


# ---- the catalogue -----------------------------------------------------------------------------

@dataclass
class Link:
    """A symbolic link to a file of the fixture."""
    target: str


@dataclass
class Case:
    """One command line, run in the working directory (or, `from_elsewhere`, in an empty one). In
    args and expect, {case} is the case's own directory (cases/NAME) and {work} the working
    directory. `files` are made in {case} before anything runs: bytes, a Link, (a path of the
    fixture, an edit of its bytes), or None to remove the file. `copy_run` names a fixture run
    (RUN, PARTIAL) copied to {case}/run first, so that `files` can replace some of its files."""
    name: str
    args: list
    expect: list = field(default_factory=list)
    files: dict = field(default_factory=dict)
    copy_run: str = ""
    from_elsewhere: bool = False


def config_case(name: str, changes: dict, expect_field: str, model_changes: dict = None) -> Case:
    """`train --config` on the fixture's config with fields replaced: refused naming file and field."""
    return Case(name, ["train", "--config", "{case}/config.json", "--out", "{case}/run", "--quiet"],
                ["{case}/config.json", expect_field], {"config.json": config_json(changes, model_changes)})


def checkpoint_case(name: str, command: list, edit, expect: list) -> Case:
    """A command on an edited copy of the fixture's final snapshot, {case}/step-000030.safetensors
    (beside no config or tokenizer: nothing in it is the fixture run's)."""
    return Case(name, [command[0], "{case}/step-000030.safetensors"] + command[1:],
                ["{case}/step-000030.safetensors"] + expect, {"step-000030.safetensors": (CHECKPOINT, edit)})


def resume_case(name: str, file: str, edit, expect: list) -> Case:
    """`train --resume` on a copy of the PARTIAL run with one file edited."""
    return Case(name, ["train", "--resume", "--out", "{case}/run", "--quiet"], ["{case}/run/" + file] + expect,
                {"run/" + file: (PARTIAL + "/" + file, edit)}, copy_run=PARTIAL)


def eval_tokens_case(name: str, data: bytes, expect: list) -> Case:
    return Case(name, ["eval", CHECKPOINT, "--tokens", "{case}/tokens.bin", "--ctx", CTX],
                ["{case}/tokens.bin"] + expect, {"tokens.bin": data})


def clamp_spec_case(name: str, spec: bytes, expect: list) -> Case:
    """`clamp --spec` on a crafted spec file: refused naming the file (and the field)."""
    return Case(name, ["clamp", "--spec", "{case}/spec.json", "--out", "{case}/out", "--quiet"],
                ["{case}/spec.json"] + expect, {"spec.json": spec})


NAN, INF = float("nan"), float("inf")
ROW = list(range(1, int(CTX) + 1))  # one good row

BAD_INPUTS = [
    # The resume path: nothing may be rewritten by a refused resume.
    Case("resume-steps-below-current", ["train", "--resume", "--out", RUN, "--steps", "20", "--quiet"],
         ["steps", "20", "30"]),
    Case("resume-other-preset", ["train", "--resume", "--preset", "attn-2l", "--out", RUN, "--quiet"],
         ["run/config.json", "attn-2l"]),
    Case("resume-other-config", ["train", "--resume", "--config", "{case}/config.json", "--out", RUN, "--quiet"],
         ["run/config.json", "learning_rate"], {"config.json": config_json({"learning_rate": 0.02})}),
    Case("fresh-train-over-run", ["train", "--config", "{case}/config.json", "--out", RUN, "--quiet"],
         ["run", "--resume"], {"config.json": config_json({})}),
    Case("resume-threads-100000", ["train", "--resume", "--out", PARTIAL, "--threads", "100000", "--quiet"],
         ["--threads", "100000"]),
    Case("resume-steps-changed", ["train", "--resume", "--out", PARTIAL, "--steps", "50", "--quiet"],
         ["partial/config.json", "steps"]),
    resume_case("resume-moment-shape-4", "snapshots/resume.safetensors", reshaped("m.embed.W_E", [4]),
                ["m.embed.W_E", "[4]"]),
    resume_case("resume-moment-nan", "snapshots/resume.safetensors", poisoned("v.embed.W_E", NAN), ["v.embed.W_E"]),
    resume_case("resume-moment-inf", "snapshots/resume.safetensors", poisoned("m.unembed.W_U", INF),
                ["m.unembed.W_U"]),
    resume_case("resume-moment-missing", "snapshots/resume.safetensors", without("v.ln_final.b"), ["v.ln_final.b"]),
    resume_case("resume-state-truncated", "snapshots/resume.safetensors", truncated(0.5), []),
    resume_case("resume-last-snapshot-nan", "snapshots/step-000030.safetensors", poisoned("blocks.0.attn.W_Q", NAN),
                ["blocks.0.attn.W_Q"]),
    resume_case("resume-state-step-without-snapshot", "snapshots/resume.safetensors",
                with_header_fields(lambda h: h["__metadata__"].update(step="35", adam_steps="35")), ["35"]),
    Case("resume-state-missing", ["train", "--resume", "--out", "{case}/run", "--quiet"],
         ["{case}/run/snapshots/resume.safetensors"], {"run/snapshots/resume.safetensors": None}, copy_run=PARTIAL),
    resume_case("resume-config-corrupt", "config.json", lambda data: data[:len(data) // 2], []),
    resume_case("resume-config-beta1", "config.json",
                lambda data: json.dumps({**json.loads(data), "beta1": 2}).encode(), ["beta1"]),

    # Training configs: every field validated, one line naming the file and the field.
    config_case("config-d_model-2^32+128", {}, "d_model", {"d_model": 4294967424}),
    config_case("config-steps-1e300", {"steps": 1e300}, "steps"),
    config_case("config-steps-negative", {"steps": -5}, "steps"),
    config_case("config-beta1-2", {"beta1": 2}, "beta1"),
    config_case("config-beta2-1", {"beta2": 1}, "beta2"),
    config_case("config-adam_eps-negative", {"adam_eps": -1}, "adam_eps"),
    config_case("config-weight_decay-negative", {"weight_decay": -10}, "weight_decay"),
    config_case("config-learning_rate-1e39", {"learning_rate": 1e39}, "learning_rate"),
    config_case("config-seed-negative", {"seed": -1}, "seed"),
    config_case("config-data_seed-negative", {"data_seed": -5}, "data_seed"),
    config_case("config-batch_size-0", {"batch_size": 0}, "batch_size"),
    config_case("config-context-over-n_ctx", {"context": 1000}, "context"),
    config_case("config-warmup-over-steps", {"warmup_steps": 31}, "warmup_steps"),
    config_case("config-lr_decay-unknown", {"lr_decay": "linear"}, "lr_decay"),
    config_case("config-n_heads-0", {}, "n_heads", {"n_heads": 0}),
    config_case("config-nested-type-error", {}, "d_model", {"d_model": "x"}),
    config_case("config-nested-bool-type-error", {}, "attn_only", {"attn_only": 1}),
    config_case("config-unknown-key", {"learning_rat": 0.01}, "learning_rat"),
    config_case("config-unknown-model-key", {}, "d_modle", {"d_modle": 32}),
    Case("config-d_vocab-1000-on-corpus-512",
         ["train", "--config", "{case}/config.json", "--out", "{case}/run", "--quiet"],
         ["data/corpus-512", "1000", "512"], {"config.json": config_json({}, {"d_vocab": 1000})}),
    Case("config-not-an-object", ["train", "--config", "{case}/config.json", "--out", "{case}/run", "--quiet"],
         ["{case}/config.json"], {"config.json": b"[1, 2, 3]"}),
    Case("config-truncated-json", ["train", "--config", "{case}/config.json", "--out", "{case}/run", "--quiet"],
         ["{case}/config.json"], {"config.json": config_json({})[:40]}),
    Case("config-missing-file", ["train", "--config", "{case}/absent.json", "--out", "{case}/run", "--quiet"],
         ["{case}/absent.json"]),

    # Devices and endless files where a file is expected: bounded reads.
    Case("config-dev-zero", ["train", "--config", "/dev/zero", "--out", "{case}/run", "--quiet"], ["/dev/zero"]),
    Case("checkpoint-dev-zero-eval", ["eval", "/dev/zero", "--tokens", TOKENS, "--ctx", CTX], ["/dev/zero"]),
    Case("checkpoint-dev-zero-heads", ["heads", "/dev/zero"], ["/dev/zero"]),
    Case("text-dev-zero", ["eval", CHECKPOINT, "--text", "/dev/zero"], ["/dev/zero"]),
    Case("tokens-dev-zero", ["eval", CHECKPOINT, "--tokens", "/dev/zero", "--ctx", CTX], ["/dev/zero"]),

    # Checkpoints: crafted headers and tensors; non-finite weights are refused.
    checkpoint_case("checkpoint-nan-weight-eval", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    poisoned("embed.W_E", NAN), ["embed.W_E"]),
    checkpoint_case("checkpoint-inf-weight-heads", ["heads", "--corpus", "data/corpus-512"],
                    poisoned("unembed.W_U", INF), ["unembed.W_U"]),
    checkpoint_case("checkpoint-truncated", ["eval", "--tokens", TOKENS, "--ctx", CTX], truncated(0.5), []),
    checkpoint_case("checkpoint-empty", ["eval", "--tokens", TOKENS, "--ctx", CTX], lambda data: b"", []),
    checkpoint_case("checkpoint-header-length-2^63", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    with_header(struct.pack("<Q", 1 << 63)), []),
    checkpoint_case("checkpoint-header-not-json", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    with_header(struct.pack("<Q", 8) + b"{not js}"), []),
    checkpoint_case("checkpoint-wrong-shape", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    reshaped("embed.W_E", [512, 31]), ["embed.W_E"]),
    checkpoint_case("checkpoint-missing-tensor", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    without("unembed.W_U"), ["unembed.W_U"]),
    checkpoint_case("checkpoint-dtype-size-mismatch", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    retyped("embed.W_E", "F64"), ["embed.W_E"]),
    checkpoint_case("checkpoint-offsets-beyond-end", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    with_header_fields(lambda h: h["embed.W_E"].update(data_offsets=[0, 1 << 40])), []),
    checkpoint_case("checkpoint-shape-2^64-elements", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    with_header_fields(lambda h: h["embed.W_E"].update(shape=[1 << 32, 1 << 32])), ["embed.W_E"]),
    checkpoint_case("checkpoint-dtype-unknown", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    with_header_fields(lambda h: h["embed.W_E"].update(dtype="Q8")), ["Q8"]),
    Case("checkpoint-is-a-directory", ["eval", "run/snapshots", "--tokens", TOKENS, "--ctx", CTX], ["run/snapshots"]),
    Case("checkpoint-run-config-corrupt", ["heads", "{case}/run/snapshots/step-000030.safetensors"],
         ["{case}/run/config.json"], {"run/config.json": b"{"}, copy_run=RUN),
    checkpoint_case("checkpoint-config-d_model-2^32+128", ["eval", "--tokens", TOKENS, "--ctx", CTX],
                    with_model_config({"d_model": 4294967424}), ["d_model"]),

    # Token files: sizes and values checked against the rows and the vocabulary.
    eval_tokens_case("tokens-not-whole-int32", int32_rows(ROW * 2)[:-1], []),
    eval_tokens_case("tokens-not-whole-rows", int32_rows(ROW + ROW[:64]), [CTX]),
    eval_tokens_case("tokens-empty", b"", []),
    eval_tokens_case("tokens-id-over-vocab", int32_rows(ROW[:-1] + [600]), ["600"]),
    eval_tokens_case("tokens-id-negative", int32_rows([-1] + ROW[1:]), ["-1"]),
    Case("heads-eval-tokens-wrong-size", ["heads", CHECKPOINT, "--eval-tokens", "{case}/tokens.bin"],
         ["{case}/tokens.bin"], {"tokens.bin": int32_rows(ROW[:100])}),
    Case("ablate-tokens-wrong-size", ["ablate", CHECKPOINT, "--tokens", "{case}/tokens.bin", "--ctx", CTX],
         ["{case}/tokens.bin"], {"tokens.bin": int32_rows(ROW[:100])}),
    Case("corpus-heldout-truncated", ["heads", CHECKPOINT, "--corpus", "{case}/corpus"],
         ["{case}/corpus/heldout.tokens"],
         {"corpus/corpus.json": Link("data/corpus-512/corpus.json"),
          "corpus/tokenizer.json": Link("data/corpus-512/tokenizer.json"),
          "corpus/train.tokens": Link("data/corpus-512/train.tokens"),
          "corpus/heldout.tokens": ("data/corpus-512/heldout.tokens", lambda data: data[:-1])}),
    # A mistyped field in a file the tool wrote itself names the file, the field and the place.
    Case("corpus-json-mistyped-field", ["heads", CHECKPOINT, "--corpus", "{case}/corpus"],
         ["{case}/corpus/corpus.json", "field 'vocab_size'", "expected number, got string"],
         {"corpus/corpus.json": ("data/corpus-512/corpus.json",
                                 lambda data: data.replace(b'"vocab_size": 512', b'"vocab_size": "512"', 1)),
          "corpus/tokenizer.json": Link("data/corpus-512/tokenizer.json"),
          "corpus/train.tokens": Link("data/corpus-512/train.tokens"),
          "corpus/heldout.tokens": Link("data/corpus-512/heldout.tokens")}),
    Case("tokenizer-corrupt", ["eval", "{case}/run/snapshots/step-000030.safetensors", "--text", "{case}/text.txt"],
         ["{case}/run/tokenizer.json"],
         {"run/tokenizer.json": (RUN + "/tokenizer.json", lambda data: data[:len(data) // 2]),
          "text.txt": b"In the beginning was the word. " * 40}, copy_run=RUN),

    # Command-line values, checked before any work starts.
    Case("eval-batch-0", ["eval", CHECKPOINT, "--tokens", TOKENS, "--ctx", CTX, "--batch", "0"], ["--batch", "0"]),
    Case("eval-ctx-1", ["eval", CHECKPOINT, "--tokens", TOKENS, "--ctx", "1"], ["--ctx", "1"]),
    Case("eval-ctx-over-n_ctx", ["eval", CHECKPOINT, "--tokens", TOKENS, "--ctx", "1000"], ["--ctx", "1000"]),
    Case("eval-text-missing", ["eval", CHECKPOINT, "--text", "{case}/absent.txt"], ["{case}/absent.txt"]),
    Case("eval-text-shorter-than-a-row", ["eval", CHECKPOINT, "--text", "{case}/short.txt"], ["{case}/short.txt"],
         {"short.txt": b"too short"}),
    Case("eval-tokens-without-ctx", ["eval", CHECKPOINT, "--tokens", TOKENS], ["--ctx"]),
    Case("eval-missing-checkpoint", ["eval", "{case}/absent.safetensors", "--tokens", TOKENS, "--ctx", CTX],
         ["{case}/absent.safetensors"]),
    Case("audit-missing-checkpoint", ["audit", "{case}/absent.safetensors", "--tokens", TOKENS, "--ctx", CTX],
         ["{case}/absent.safetensors"]),
    Case("audit-ctx-0", ["audit", CHECKPOINT, "--tokens", TOKENS, "--ctx", "0"], ["--ctx", "0"]),
    Case("audit-batch-0", ["audit", CHECKPOINT, "--batch", "0"], ["--batch", "0"]),
    Case("audit-tokens-without-ctx", ["audit", CHECKPOINT, "--tokens", TOKENS], ["--ctx"]),
    Case("audit-tokens-wrong-size", ["audit", CHECKPOINT, "--tokens", "{case}/tokens.bin", "--ctx", CTX],
         ["{case}/tokens.bin", CTX], {"tokens.bin": int32_rows(ROW[:100])}),
    # A snapshot beside no run directory has no held-out split to audit on: --tokens is asked for.
    checkpoint_case("audit-no-run-no-tokens", ["audit"], lambda data: data, ["--tokens"]),
    Case("train-steps-not-a-number", ["train", "--config", "{case}/config.json", "--out", "{case}/run",
                                      "--steps", "abc", "--quiet"], ["--steps", "abc"],
         {"config.json": config_json({})}),
    Case("train-steps-0", ["train", "--config", "{case}/config.json", "--out", "{case}/run", "--steps", "0", "--quiet"],
         ["steps", "0"], {"config.json": config_json({})}),
    Case("config-is-a-directory", ["train", "--config", RUN, "--out", "{case}/run", "--quiet"], [RUN]),
    Case("corpus-vocab-0", ["corpus", "--vocab", "0", "--out", "{case}/corpus"], ["vocab", "0"]),
    Case("train-unknown-option", ["train", "--out", "{case}/run", "--lr", "3"], ["--lr"]),
    Case("run-burn-in-5", ["run", "--quick", "--steps", "2", "--out", "{case}/out", "--burn-in", "5", "--quiet"],
         ["--burn-in", "5"]),
    Case("run-seeds-0", ["run", "--quick", "--steps", "2", "--out", "{case}/out", "--seeds", "0", "--quiet"],
         ["--seeds", "0"]),
    Case("ablate-threads-0", ["ablate", CHECKPOINT, "--threads", "0"], ["--threads", "0"]),
    Case("ablate-mode-unknown", ["ablate", CHECKPOINT, "--mode", "sideways"], ["sideways"]),
    Case("ablate-head-out-of-range", ["ablate", CHECKPOINT, "--heads", "3.7"], ["3.7"]),
    Case("heads-copying-ratio-unknown", ["heads", CHECKPOINT, "--copying-ratio", "odd"], ["odd"]),
    Case("circuits-baseline-draws-1", ["circuits", CHECKPOINT, "--baseline-draws", "1"], ["--baseline-draws", "1"]),
    Case("heads-without-checkpoint", ["heads"], ["CHECKPOINT"]),
    Case("analyze-no-models", ["analyze", "{case}/empty"], ["{case}/empty"], {"empty/.keep": b""}),
    Case("unknown-command", ["trian"], ["trian"]),
] + [
    # Clamp specs (METHODS §8): refused before any run directory is made.
    clamp_spec_case(name, spec, expect) for name, spec, expect in [
        ("clamp-spec-truncated", b'{"run": {"seq', []),
        ("clamp-spec-unknown-field", b'{"runs": {}}', ["runs"]),
        ("clamp-spec-unknown-run-field", b'{"run": {"learning_rat": 0.1}}', ["learning_rat"]),
        ("clamp-spec-bad-site", b'{"run": {"clamps": {"clamps": [{"site": "patern", "value": "zero"}]}}}', ["site", "patern"]),
        ("clamp-spec-bad-value", b'{"run": {"clamps": {"clamps": [{"site": "pattern", "value": "perfect"}]}}}',
         ["value", "perfect"]),
        ("clamp-spec-strength-1.5", b'{"run": {"clamps": {"clamps": [{"site": "pattern", "value": "previous_token", '
         b'"strength": 1.5}]}}}', ["strength", "1.5"]),
        ("clamp-spec-head-out-of-range", b'{"run": {"clamps": {"clamps": [{"site": "v", "layer": 1, "head": 8, '
         b'"value": "zero"}]}}}', ["head", "8"]),
        ("clamp-spec-layer-out-of-range", b'{"run": {"clamps": {"clamps": [{"site": "v", "layer": 2, "value": "zero"}]}}}',
         ["layer", "2"]),
        ("clamp-spec-labels-2", b'{"run": {"task": {"labels": 2}}}', ["labels"]),
        ("clamp-spec-learning-rate-negative", b'{"run": {"learning_rate": -1}}', ["learning_rate"]),
    ]
] + [
    Case("clamp-unknown-experiment", ["clamp", "--experiment", "nope", "--out", "{case}/out", "--quiet"], ["nope"]),
    Case("clamp-spec-and-experiment", ["clamp", "--experiment", "toy", "--spec", "x.json", "--out", "{case}/out"],
         ["--spec", "--experiment"]),
    Case("clamp-jobs-0", ["clamp", "--experiment", "toy", "--jobs", "0", "--out", "{case}/out"], ["--jobs", "0"]),
]

MUST_SUCCEED = [
    Case("resume-finished-run", ["train", "--resume", "--out", RUN, "--quiet"]),
    Case("resume-finished-run-same-steps", ["train", "--resume", "--out", RUN, "--steps", "30", "--quiet"]),
    Case("eval-good-tokens", ["eval", CHECKPOINT, "--tokens", TOKENS, "--ctx", CTX]),
    # The numerics audit of the fixture's snapshot passes, on given tokens and on its held-out split.
    Case("audit-good-tokens", ["audit", CHECKPOINT, "--tokens", TOKENS, "--ctx", CTX]),
    Case("audit-heldout-json", ["audit", CHECKPOINT, "--json"]),
    # From another working directory: paths stored in a run resolve the same from anywhere.
    Case("heads-from-elsewhere", ["heads", "{work}/" + CHECKPOINT], from_elsewhere=True),
    # Forensic use: --allow-nonfinite loads the weights a bad case above refuses.
    Case("eval-nan-weight-allowed", ["eval", "{case}/step-000030.safetensors", "--tokens", TOKENS, "--ctx", CTX,
                                     "--allow-nonfinite"],
         files={"step-000030.safetensors": (CHECKPOINT, poisoned("embed.W_E", NAN))}),
]


# ---- running ---------------------------------------------------------------------------------

def tree_digest(root: str) -> dict:
    """{relative path: digest of its contents (or link target)} for every file below root."""
    digests = {}
    for directory, subdirectories, files in os.walk(root):
        for name in files + [d for d in subdirectories if os.path.islink(os.path.join(directory, d))]:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            if os.path.islink(path):
                digests[relative] = "link -> " + os.readlink(path)
                continue
            digest = hashlib.blake2b()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            digests[relative] = digest.hexdigest()
        if not files and not subdirectories:
            digests[os.path.relpath(directory, root) + "/"] = "empty directory"
    return digests


def tree_changes(before: dict, after: dict) -> str:
    """'' when equal, else which files changed, appeared and vanished."""
    changed = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])
    appeared = sorted(after.keys() - before.keys())
    vanished = sorted(before.keys() - after.keys())
    parts = [f"{what} {', '.join(paths[:4])}{' ...' if len(paths) > 4 else ''}"
             for what, paths in (("changed", changed), ("appeared", appeared), ("vanished", vanished)) if paths]
    return "; ".join(parts)


class Cli:
    """The induction binary, run with a time limit and, unless it is an ASan build (which maps
    terabytes for its shadow memory), a limit on its writable memory."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        with open(self.path, "rb") as f:
            self.sanitized = b"libasan" in f.read()

    def run(self, args: list, cwd: str, seconds: float) -> subprocess.CompletedProcess:
        """The finished process; returncode None when it ran out of time."""
        def limit_memory():
            resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
        try:
            return subprocess.run([self.path] + args, cwd=cwd, capture_output=True,
                                  timeout=seconds * (SANITIZER_SLOWDOWN if self.sanitized else 1),
                                  preexec_fn=None if self.sanitized else limit_memory)
        except subprocess.TimeoutExpired as timeout:
            return subprocess.CompletedProcess(timeout.cmd, None, timeout.stdout or b"", timeout.stderr or b"")


def expand(text: str, case: Case, work: str) -> str:
    return text.format(case=f"cases/{case.name}", work=work)


def make_case_files(case: Case, work: str):
    case_dir = os.path.join(work, "cases", case.name)
    os.makedirs(case_dir, exist_ok=True)
    if case.copy_run:
        shutil.copytree(os.path.join(work, case.copy_run), os.path.join(case_dir, "run"))
    for relative, content in case.files.items():
        path = os.path.join(case_dir, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if content is None:
            os.remove(path)
            continue
        if isinstance(content, Link):
            os.symlink(os.path.join(work, content.target), path)
            continue
        if isinstance(content, tuple):
            source, edit = content
            with open(os.path.join(work, source), "rb") as f:
                content = edit(f.read())
        with open(path, "wb") as f:
            f.write(content)


def make_fixture(cli: Cli, work: str, scratch: str) -> str:
    """Trains RUN, derives PARTIAL and makes every case's files in work; '' when that worked, else
    why not. PARTIAL must resume (tried on a copy in scratch), so that the resume cases fail only
    for what they break."""
    with open(os.path.join(work, "tiny.json"), "w") as f:
        json.dump(TINY_CONFIG, f)
    trained = cli.run(["train", "--config", "tiny.json", "--out", RUN, "--quiet"], work, SUCCESS_SECONDS)
    if trained.returncode != 0:
        return "the fixture run did not train: " + shown(trained.stderr)
    shutil.copytree(os.path.join(work, RUN), os.path.join(work, PARTIAL))
    config_path = os.path.join(work, PARTIAL, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    with open(config_path, "w") as f:
        json.dump({**config, "steps": 40}, f)
    shutil.copytree(os.path.join(work, PARTIAL), scratch)
    resumed = cli.run(["train", "--resume", "--out", scratch, "--quiet"], work, SUCCESS_SECONDS)
    if resumed.returncode != 0:
        return "the fixture's partial run does not resume: " + shown(resumed.stderr)
    with open(os.path.join(work, TOKENS), "wb") as f:
        f.write(int32_rows(ROW * 2))
    for case in BAD_INPUTS + MUST_SUCCEED:
        make_case_files(case, work)
    return ""


def problems_of(case: Case, result: subprocess.CompletedProcess, must_succeed: bool, work: str) -> list:
    """What is wrong with the outcome of a case, apart from the files."""
    stderr = result.stderr.decode(errors="replace")
    if result.returncode is None:
        return [f"still running after {SUCCESS_SECONDS if must_succeed else REFUSAL_SECONDS} s (killed)"]
    if result.returncode < 0:
        return [f"killed by signal {-result.returncode}"]
    if must_succeed:
        return [] if result.returncode == 0 else [f"exit status {result.returncode}"]
    problems = []
    if result.returncode == 0:
        problems.append("exit status 0")
    if not ONE_LINE_ERROR.fullmatch(stderr):
        problems.append(f"stderr is {stderr.count(chr(10))} lines, not one 'induction <command>: <message>' line")
    missing = [expand(s, case, work) for s in case.expect if expand(s, case, work) not in stderr]
    if missing and stderr:
        problems.append("message lacks " + ", ".join(repr(s) for s in missing))
    return problems


def shown(stderr: bytes) -> str:
    """The first lines of stderr, for a failure report."""
    lines = stderr.decode(errors="replace").splitlines()
    text = " | ".join(lines[:3]) + (f" | ... ({len(lines)} lines)" if len(lines) > 3 else "")
    return text if len(text) <= 400 else text[:400] + "..."


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bad_inputs.py CLI")
    cli = Cli(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="induction-bad-inputs-") as temp:
        work, pristine, elsewhere = (os.path.join(temp, d) for d in ("work", "pristine", "elsewhere"))
        os.makedirs(work)
        os.makedirs(elsewhere)
        why_not = make_fixture(cli, work, os.path.join(temp, "scratch"))
        if why_not:
            if subprocess.run([cli.path, "corpus", "--check"], capture_output=True).returncode != 0:
                print("bad inputs: SKIPPED: the corpus packages are missing (tools/install_corpus_packages.sh)")
                return 0
            sys.exit("bad inputs: " + why_not)
        shutil.copytree(work, pristine, symlinks=True)
        expected = tree_digest(work)

        failures = 0
        for case, must_succeed in [(c, False) for c in BAD_INPUTS] + [(c, True) for c in MUST_SUCCEED]:
            result = cli.run([expand(a, case, work) for a in case.args], elsewhere if case.from_elsewhere else work,
                             SUCCESS_SECONDS if must_succeed else REFUSAL_SECONDS)
            problems = problems_of(case, result, must_succeed, work)
            changes = tree_changes(expected, tree_digest(work))
            if changes:
                problems.append("files " + changes)
            if os.listdir(elsewhere):
                problems.append(f"wrote into its working directory: {', '.join(os.listdir(elsewhere))}")
            if problems:
                failures += 1
                print(f"FAIL {case.name}: {'; '.join(problems)}; stderr: {shown(result.stderr)}")
            if changes or os.listdir(elsewhere):  # the next case starts from the fixture again
                shutil.rmtree(work)
                shutil.rmtree(elsewhere)
                shutil.copytree(pristine, work, symlinks=True)
                os.makedirs(elsewhere)
        total = len(BAD_INPUTS) + len(MUST_SUCCEED)
        print(f"bad inputs: {total - failures} of {total} cases pass ({len(BAD_INPUTS)} bad inputs, "
              f"{len(MUST_SUCCEED)} that must succeed)")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
