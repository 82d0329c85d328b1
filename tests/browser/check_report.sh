#!/usr/bin/env bash
# check_report.sh REPORT.html [--min-svgs N] [--screenshot OUT.png]
#
# Opens an `induction report` page in headless Chromium and fails (exit 1, one line saying why)
# when the page logs a console message, has a script other than its own (the snapshot sliders')
# or fewer than N <svg> elements (default 7: one column of the Model Analysis Table), embeds an
# invalid PNG, or renders blank (a 1600x3000 screenshot of one colour or with no coloured pixels).
# It also MOVES every snapshot slider: a copy of the page with slider_interaction.js injected
# sets each slider to another snapshot and dispatches the 'input' event a drag sends, and the
# check fails when a slider's view (readout, score table, attention patterns) or the cursors on
# its model's figures do not change, or when a model with metrics/<model>/head_patterns.json has
# no slider. The screenshot is taken of that copy, after the sliders moved. Exit 2: bad usage or
# no Chromium. The judging is done by check_report.py beside this script (Python standard
# library only).
#
# Chromium: $CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH
# (Debian: apt-get install -y chromium). It runs without network, sandbox or GPU, in a fresh profile.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
report="" min_svgs=7 keep_screenshot=""
while [ $# -gt 0 ]; do
    case "$1" in
        --min-svgs) min_svgs=$2; shift 2 ;;
        --screenshot) keep_screenshot=$2; shift 2 ;;
        -*) echo "check_report: unknown option $1" >&2; exit 2 ;;
        *) report=$1; shift ;;
    esac
done
if [ -z "$report" ] || [ ! -f "$report" ]; then
    echo "check_report: usage: check_report.sh REPORT.html [--min-svgs N] [--screenshot OUT.png] (got '${report}')" >&2
    exit 2
fi

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for candidate in chromium chromium-browser google-chrome; do
        if command -v "$candidate" > /dev/null; then browser=$candidate; break; fi
    done
fi
if [ -z "$browser" ]; then
    echo "check_report: FAIL: no Chromium found (apt-get install -y chromium, or set CHROMIUM)"
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"

# run_browser PROFILE ARGS...: one headless run in a fresh profile, killed after two minutes.
run_browser() {
    local profile=$1
    shift
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-quic \
        --user-data-dir="$work/$profile" "$@"
}

# The page's scripts get virtual time to run (they finish long before it is spent).
if ! run_browser profile-dom --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "$url" \
        > "$work/dom.html" 2> "$work/console.log"; then
    echo "check_report: FAIL: $report: Chromium could not load the page: $(grep -v dbus "$work/console.log" | tail -1)"
    exit 1
fi
# The interaction test: a copy beside the original's temporary files, so it needs no file access.
python3 "$here/check_report.py" --interaction-page "$report" "$work/interaction.html"
interaction_url="file://$work/interaction.html"
if ! run_browser profile-interaction --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom \
        "$interaction_url" > "$work/interaction-dom.html" 2> "$work/interaction-console.log"; then
    echo "check_report: FAIL: $report: Chromium could not load the interaction page:" \
        "$(grep -v dbus "$work/interaction-console.log" | tail -1)"
    exit 1
fi
if ! run_browser profile-shot --hide-scrollbars --window-size=1600,3000 --virtual-time-budget=5000 \
        --screenshot="$work/shot.png" "$interaction_url" > "$work/shot.log" 2>&1 || [ ! -s "$work/shot.png" ]; then
    echo "check_report: FAIL: $report: Chromium took no screenshot: $(grep -v dbus "$work/shot.log" | tail -1)"
    exit 1
fi
if [ -n "$keep_screenshot" ]; then cp "$work/shot.png" "$keep_screenshot"; fi

python3 "$here/check_report.py" --report "$report" --dom "$work/dom.html" \
    --console "$work/console.log" "$work/interaction-console.log" --interaction-dom "$work/interaction-dom.html" \
    --screenshot "$work/shot.png" --min-svgs "$min_svgs"
