#!/bin/bash
# One device call's check of the problem-93 solution, run from the repo root on the GPU box. Steps (STEPS, in
# this order):
#   build  removes the stale build locks of the tools' extensions (torch <= 2.13 waits on a killed build's lock
#          forever; run.py's compile stage clears its own build directory under its lock) and builds every
#          extension the later steps load, with the flags they load it with;
#   eq     compares the solution bitwise with REF_FILE (an earlier solution file under its own extension name);
#   tests  runs the solution's GPU tests;
#   rows   runs run.py on the issue's four configs (ROWS, default "tf32 bf16 exact v0") into $OUT/res.tgz;
#   gap    runs tools/sync_gap_93.py.
# Each step but `build` is cut at STEP_S seconds (default 300); a build is never cut, since a killed build leaves
# its lock. The summary goes to $OUT/summary.txt as the steps end, the logs to $OUT/check.tgz after every step (a
# call brings back only a few files). Leave CT93_VERBOSE unset: it changes the flags.
# The device's .git can name an older commit than the tree it gets: for `rows`, copy this checkout's .git before
# the call, here (`cp -r .git gitcopy`: untracked, so it travels with the tree; a copy made on the device is the
# stale one), point GIT_DIR=$PWD/gitcopy and GIT_WORK_TREE=$PWD at it there, and set EXPECT_COMMIT to the short hash
# the rows must name: `rows` refuses to run under any other.
# Usage: STEPS="build eq tests rows gap" [EXPECT_COMMIT=abc1234] bash tools/device_check_93.sh [REF_FILE]
set -u
STEPS=${STEPS:-build eq tests rows}
REF=${1:-}
SOL=solutions/level2/93_ConvTranspose2d_Add_Min_GELU_Multiply/fused_implicit_gemm.py
STEP_S=${STEP_S:-300}
ROWS=${ROWS:-tf32 bf16 exact v0}
LOGS=/tmp/device_check
rm -rf "$LOGS" /tmp/device_res
mkdir -p "$LOGS"
T0=$(date +%s)
# Refreshing check.tgz with each line lets a call cut off by the device's time limit still bring back the logs of the
# steps it finished and of the one it was in (run.py prints a line per stage into its log).
say() {
  echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$OUT/summary.txt"
  tar czf "$OUT/check.tgz" -C "$(dirname "$LOGS")" "$(basename "$LOGS")"
}
has() { [[ " $STEPS " == *" $1 "* ]]; }
prebuild() { (cd tools && python3 -c "import sys; from bench_fused_93 import load; load(sys.argv[1], 'pre')._load_ext()" "../$1"); }

COMMIT=$(python3 -c 'from harness.record import git_commit; from pathlib import Path; print(git_commit(Path(".")))')
say "commit: $COMMIT"
if has build; then
  find ~/.cache/torch_extensions -name lock -delete 2>/dev/null
  prebuild "$SOL" > "$LOGS/build_solution.txt" 2>&1 &
  [ -n "$REF" ] && { prebuild "$REF" > "$LOGS/build_ref.txt" 2>&1 & }
  has rows && { python3 run.py eval fused_implicit_gemm --config small --no-compile-baseline \
                  --results-dir /tmp/check_junk --quiet > "$LOGS/build_runpy.txt" 2>&1 & }
  wait
  say "built"
fi
if has eq && [ -n "$REF" ]; then
  (cd tools && timeout "$STEP_S" python3 eq_check_93.py "../$REF" "../$SOL") > "$LOGS/eq.txt" 2>&1
  say "eq (exit $?): $(tail -1 "$LOGS/eq.txt")"
fi
if has tests; then
  HARNESS_TEST_FAILURE_LOG="$LOGS/test_failures.txt" timeout "$STEP_S" python3 -m pytest -q tests/test_solution93_gpu.py \
    > "$LOGS/tests.txt" 2>&1
  say "tests (exit $?): $(tail -1 "$LOGS/tests.txt")"
fi
if has rows && [ -n "${EXPECT_COMMIT:-}" ] && [ "$COMMIT" != "$EXPECT_COMMIT" ]; then
  say "rows skipped: the tree is $COMMIT, not EXPECT_COMMIT $EXPECT_COMMIT"
elif has rows; then
  declare -A ROW_SPEC=([tf32]="--config kernelbench-v0.1" [bf16]="--config kernelbench-v0.1 --dtype bf16"
                       [exact]="--config kernelbench-v0.1 --dtype fp32-exact" [v0]="--config kernelbench-v0")
  for row in $ROWS; do
    spec=${ROW_SPEC[$row]:-}
    [ -n "$spec" ] || { say "unknown row '$row' (tf32, bf16, exact, v0)"; continue; }
    log="$LOGS/runpy_${spec//[ -]/_}.txt"
    timeout "$STEP_S" python3 run.py eval fused_implicit_gemm --no-compile-baseline --results-dir /tmp/device_res $spec > "$log" 2>&1
    say "run.py $spec: $(grep '│ fused' "$log" | tr -s ' ' | cut -c1-160)"
    tar czf "$OUT/res.tgz" -C /tmp device_res
  done
fi
if has gap; then
  (cd tools && timeout "$STEP_S" python3 sync_gap_93.py "../$SOL") > "$LOGS/gap.txt" 2>&1
  say "gap (exit $?)"; cat "$LOGS/gap.txt"
fi
