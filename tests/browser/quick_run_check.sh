#!/usr/bin/env bash
# quick_run_check.sh CLI OUT_DIR — the browser check of the main job (part of `make test`): runs
# `induction run --quick --out OUT_DIR` on the built-in corpus, checks that `induction heads` and
# `induction circuits` print for each final snapshot what the run's metrics hold, that
# eig_copying matches numpy (check_circuits.py) and `induction ablate` the run's ablations
# (check_ablations.py), then opens OUT_DIR/report.html in headless
# Chromium through check_report.sh, which fails on a console error, a page without plots, or a
# snapshot slider whose view and cursors do not change when it is moved.
#
# Needs Chromium and the corpus packages (.ci/run installs both). When either is missing it says
# so on one line and exits 0: a skipped check, never a silent one. Set REQUIRE_BROWSER_CHECK=1 to
# make a skip a failure.
set -euo pipefail
cli=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)

skip() {
    echo "browser check: SKIPPED: $1"
    [ "${REQUIRE_BROWSER_CHECK:-0}" = 1 ] && exit 1
    exit 0
}
browser_found=""
for candidate in ${CHROMIUM:-} chromium chromium-browser google-chrome; do
    command -v "$candidate" > /dev/null && browser_found=$candidate && break
done
[ -n "$browser_found" ] || skip "no Chromium on PATH (apt-get install -y chromium)"
for package in bible-kjv python3.11-doc jargon-text; do
    dpkg -s "$package" > /dev/null 2>&1 || skip "corpus package $package missing (tools/install_corpus_packages.sh)"
done

rm -rf "$out"
echo "browser check: induction run --quick --out $out"
start=$SECONDS
if ! "$cli" run --quick --out "$out" > "$out.log" 2>&1; then
    echo "browser check: FAIL: induction run --quick failed; the last lines of $out.log:"
    tail -5 "$out.log"
    exit 1
fi
echo "browser check: the quick run took $((SECONDS - start)) s"
# The one-snapshot commands must report what the run's analysis wrote for the same snapshot, and
# eig_copying must match an independent numpy computation (check_circuits.py).
for model_dir in "$out"/*/snapshots; do
    model=$(basename "$(dirname "$model_dir")")
    final=$(ls "$model_dir"/step-*.safetensors | tail -n 1)
    for command in heads circuits; do
        "$cli" "$command" "$final" --json > "$out/$model-$command.json"
        if ! python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
                "$out/$model-$command.json" "$out/metrics/$model/$command.json"; then
            echo "browser check: FAIL: induction $command $final --json differs from $out/metrics/$model/$command.json"
            exit 1
        fi
    done
    "$here/check_circuits.py" "$cli" "$final"
    "$here/check_ablations.py" "$cli" "$final" "$out/metrics/$model/ablations.json"
done
echo "browser check: induction heads/circuits/ablate --json equal the run's metrics for every final snapshot"
echo "browser check: opening $out/report.html"
"$here/check_report.sh" "$out/report.html" --screenshot "$out/screenshot.png"
