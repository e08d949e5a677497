#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time over its committed seeds:
#   run_fuzzer.sh FUZZER SECONDS WORKDIR [-dict=FILE] SEED_DIR...
# New inputs go to WORKDIR/corpus (kept between runs, never the source tree);
# a crash, leak, UB or timeout is saved under WORKDIR/crashes and fails the
# test: make it a regression input (tests/fuzz/regressions/NAME/) with a fix.
set -uo pipefail
fuzzer=$1 seconds=$2 work=$3
shift 3
name=$(basename "$fuzzer")
mkdir -p "$work/corpus" "$work/crashes"
rm -f "$work/crashes"/*
# -close_fd_mask=3: the programs' own stdout/stderr (usage texts, logs) are
# closed; libFuzzer's report and the sanitizers' still print.
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$work/crashes/" \
  "$work/corpus" "$@" > "$work/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
cov=$(grep -Eo 'cov: [0-9]+' "$work/log" | tail -n 1)
if [ "$rc" -ne 0 ]; then
  tail -n 80 "$work/log"
  echo "$name: failed (exit $rc) after ${runs:-?} executions; input(s) in $work/crashes:"
  ls -l "$work/crashes"
  echo "reproduce: $fuzzer <input>; then add it to tests/fuzz/regressions/${name#fuzz_}/"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$name: ${runs:-?} executions in ${seconds} s (${rate:-?}/s), ${cov:-cov: ?} edges," \
  "$(ls "$work/corpus" | wc -l) inputs found so far in $work/corpus"
echo "1 passed, 0 failed"
