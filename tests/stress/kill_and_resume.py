#!/usr/bin/env python3
"""kill_and_resume.py — `make stress`: SIGKILL a training run at random moments, resume it each
time, and check that nothing is ever lost.

    tests/stress/kill_and_resume.py CLI [--kills N] [--seed S] [--keep DIR]

Trains a small configuration (attn-1l, 80 steps, a snapshot every 5 steps) once without
interruption as the reference. Then trials: each starts a fresh run directory and kills it again
and again until it finishes, resuming after every kill with `induction train --resume`. Kills
alternate between two kinds:
  - inside a file write: INDUCTION_KILL_IN_WRITE=K makes the K-th write of the process write half
    its bytes and SIGKILL itself (model/io/file_io.h); a trial's first start dies in write 1-4 (the
    files that create a run), later ones in write 1, 2, ..., 8 in turn, and with 20 kills or more the test fails
    unless every kind of write was hit (tokenizer, config, loss table, resume state, log, snapshot);
  - at a random moment: SIGKILL after a random delay.
After every kill, every snapshot on disk must load and evaluate (`induction eval`). When a trial's
run finishes, every file of its directory but train.log must equal the reference byte for byte
(train.log records the resumes). Trials repeat until N kills have happened. Exit status 0 only when
every check passed; one line per kill, and a summary.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

STEPS = 80


# The kinds of file a run writes; `--kills 20` or more must have killed inside each.
EVERY_WRITE_KIND = ["config.json", "resume.safetensors", "snapshot", "tokenizer.json", "train.log", "train_loss.csv"]


def write_kind(path):
    """'snapshot', or the file's name without the temporary suffix of an atomic write."""
    name = os.path.basename(path).split(".tmp-")[0]
    return "snapshot" if name.startswith("step-") else name


def run_files(run_dir):
    """Every file under run_dir but train.log: relative name -> sha256."""
    files = {}
    for root, _, names in os.walk(run_dir):
        for name in names:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, run_dir)
            if relative != "train.log":
                with open(path, "rb") as f:
                    files[relative] = hashlib.sha256(f.read()).hexdigest()
    return files


def snapshots(run_dir):
    folder = os.path.join(run_dir, "snapshots")
    if not os.path.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder) if n.startswith("step-") and n.endswith(".safetensors"))


def finished(run_dir):
    return ("step-%06d.safetensors" % STEPS) in snapshots(run_dir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cli", help="path to build/induction")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs to deliver in all (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill schedule (default 1)")
    parser.add_argument("--keep", help="work in this directory and keep it (default: a temporary one)")
    options = parser.parse_args()
    cli = os.path.abspath(options.cli)
    rng = random.Random(options.seed)
    work = options.keep or tempfile.mkdtemp(prefix="induction-stress-")
    os.makedirs(work, exist_ok=True)

    # The configuration: attn-1l on the built-in corpus (shared with `make run`), shortened.
    presets = json.loads(subprocess.check_output([cli, "presets", "--json"]))
    config = next(p for p in presets if p["name"] == "attn-1l")
    del config["description"]
    config.update(steps=STEPS, snapshot_every=5, snapshot_log_count=6, warmup_steps=10)
    config["corpus_dir"] = os.path.abspath(config["corpus_dir"])
    config_path = os.path.join(work, "stress.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    with open(os.path.join(work, "sample.txt"), "w") as f:
        f.write("The quick brown fox jumps over the lazy dog. " * 40)

    def train_command(run_dir, resume):
        return [cli, "train", "--config", config_path, "--out", run_dir, "--quiet"] + (["--resume"] if resume else [])

    reference = os.path.join(work, "reference")
    shutil.rmtree(reference, ignore_errors=True)
    started = time.monotonic()
    subprocess.run(train_command(reference, False), check=True)
    duration = time.monotonic() - started
    expected = run_files(reference)
    print("stress: reference run of %d steps took %.1f s, %d files" % (STEPS, duration, len(expected)))

    failures = []
    kills = trials = 0
    kinds_hit = set()
    later_writes = rng.randint(0, 7)  # cycles the write a later start dies in through 1..8

    def check_snapshots_load(run_dir, label):
        for name in snapshots(run_dir):
            result = subprocess.run([cli, "eval", os.path.join(run_dir, "snapshots", name), "--text",
                                     os.path.join(work, "sample.txt"), "--ctx", "32"],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                failures.append("%s: %s does not load: %s" % (label, name, result.stderr.strip()))

    while kills < options.kills:
        trials += 1
        run_dir = os.path.join(work, "trial-%d" % trials)
        shutil.rmtree(run_dir, ignore_errors=True)
        resumes = 0
        while not finished(run_dir):
            environment = dict(os.environ)
            # A trial's first start dies in one of the writes that create a run (tokenizer, config,
            # loss table, step-0 resume state); later starts alternate between the two kinds.
            fresh = not os.path.isdir(run_dir)
            in_write = kills < options.kills and (fresh or kills % 2 == 0)
            if in_write:
                later_writes += 0 if fresh else 1
                environment["INDUCTION_KILL_IN_WRITE"] = str((trials - 1) % 4 + 1 if fresh else later_writes % 8 + 1)
            process = subprocess.Popen(train_command(run_dir, os.path.isdir(run_dir)), env=environment,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if not in_write and kills < options.kills:
                try:
                    process.wait(timeout=rng.uniform(0.05, max(0.1, duration * 0.5)))
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
            _, errors = process.communicate()
            resumes += 1
            label = "trial %d, start %d" % (trials, resumes)
            if process.returncode == -signal.SIGKILL:
                kills += 1
                how = "at a random moment"
                marker = "INDUCTION_KILL_IN_WRITE: killed inside the write of "
                if in_write and marker in errors:
                    kind = write_kind(errors.split(marker)[1].split("\n")[0])
                    kinds_hit.add(kind)
                    how = "inside the write of " + kind
                print("stress: kill %d (%s, %s): %d snapshots on disk" % (kills, label, how, len(snapshots(run_dir))))
                check_snapshots_load(run_dir, label)
            elif process.returncode != 0:
                failures.append("%s: train exited %d: %s" % (label, process.returncode, errors.strip()))
                break
            if resumes > 200:
                failures.append("%s: the run never finished" % label)
                break
        if finished(run_dir):
            got = run_files(run_dir)
            differing = sorted(n for n in set(got) | set(expected) if got.get(n) != expected.get(n))
            if differing:
                failures.append("trial %d: files differ from the uninterrupted run: %s" % (trials, ", ".join(differing)))
            else:
                print("stress: trial %d finished after %d starts: %d files byte-identical to the uninterrupted run"
                      % (trials, resumes, len(got)))

    print("stress: killed inside writes of: " + ", ".join(sorted(kinds_hit)))
    if options.kills >= 20:
        missed = sorted(set(EVERY_WRITE_KIND) - kinds_hit)
        if missed:
            failures.append("no kill landed inside a write of: " + ", ".join(missed))
    for failure in failures:
        print("stress: FAIL: " + failure)
    print("stress: %d kills over %d trials, %s" % (kills, trials, "all checks passed" if not failures else
                                                     "%d failures" % len(failures)))
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
