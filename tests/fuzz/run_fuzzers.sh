#!/usr/bin/env bash
# run_fuzzers.sh SECONDS TARGET... — runs each libFuzzer target binary for SECONDS, one after the
# other, and prints one table of executions; exits 1 when any target crashed (`make fuzz`).
#
# Each target starts from its committed seeds (tests/fuzz/corpus/<target>/, only read) and a
# working corpus beside its binary (../corpus/<target>/, which keeps what earlier runs found).
# A crash, a sanitizer report, an input slower than 10 s, or a single allocation above 512 MB
# fails the target; its input is saved as ../crashes/<target>-* and its log's tail is printed.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=$1
shift
# The targets hand each input to the readers as a scratch file: in memory rather than on disk,
# the file readers run about 25 times as many executions per second.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
failed=0
rows=()
for binary in "$@"; do
  name=$(basename "$binary")
  fuzz_dir=$(dirname "$(dirname "$binary")")
  mkdir -p "$fuzz_dir/corpus/$name" "$fuzz_dir/crashes" "$fuzz_dir/logs"
  log="$fuzz_dir/logs/$name.log"
  echo "fuzzing $name for ${seconds}s (log: $log)"
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -print_final_stats=1 -artifact_prefix="$fuzz_dir/crashes/$name-" \
    "$fuzz_dir/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
  status=$?
  stat() { awk -v key="stat::$1:" '$1 == key { print $2 }' "$log"; }
  result=ok
  if [ $status -ne 0 ]; then
    result="CRASH (exit $status)"
    failed=1
    tail -n 40 "$log"
  fi
  rows+=("$(printf '%-14s %12s %14s %10s  %s' "$name" "$(stat average_exec_per_sec)" \
    "$(stat number_of_executed_units)" "$(stat new_units_added)" "$result")")
done

echo
printf '%-14s %12s %14s %10s  %s\n' target "execs/s" "total execs" "new units" result
printf '%s\n' "${rows[@]}"
exit $failed
