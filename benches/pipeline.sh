#!/usr/bin/env bash
# How long `run` makes a fleet wait on its own pipeline.
#
#   benches/pipeline.sh          both scenarios, RUNS=3 each
#
# 1. The example plan with scripted agents working 0.05 s per planned hour, a 0.5 s test
#    command and a 0.3 s review: the run's makespan against the critical chain
#    (backend-agent → testing-agent, each link paying its work, one review and one test
#    of the merged result): 5.75 s. Goal ≤ 1.2×.
# 2. Eight independent agents ready at once, a 1 s test: how long `run` takes to merge
#    them all. Goal ≤ 3 test durations.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
cd "$ROOT"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1 LC_ALL=C PATH="$BIN:$PATH"
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }

# An agent: work 0.05 s per planned hour, commit, mark every task done.
cat >"$WORK/agent.sh" <<'AGENT'
#!/bin/sh
brief=$(git agents brief --json)
hours=$(printf '%s\n' "$brief" | sed -n 's/^  "hours_total": *\([0-9.]*\),*$/\1/p')
tasks=$(printf '%s\n' "$brief" | grep -c '"number":')
sleep "$(echo "$hours * 0.05" | bc)"
echo done >"$GIT_AGENTS_AGENT.txt"
git add . && git commit -qm "$GIT_AGENTS_AGENT work"
n=1
while [ "$n" -le "$tasks" ]; do git agents task done "$n" >/dev/null; n=$((n + 1)); done
AGENT
chmod +x "$WORK/agent.sh"

makespans=()
for ((r = 0; r < RUNS; r++)); do
  repo="$WORK/example-$r"
  git init -q "$repo"
  git -C "$repo" commit -q --allow-empty -m init
  (cd "$repo" && git agents init --example -q)
  git -C "$repo" config agents.testCommand "sleep 0.5"
  git -C "$repo" config agents.reviewCommand "sleep 0.3; echo 'Score: 10/10'"
  git -C "$repo" config agents.approvals 0
  makespans+=("$(seconds git -C "$repo" agents run --exec "$WORK/agent.sh")")
  merged=$(git -C "$repo" agents status --json | grep -c '"status": "merged"' || true)
  [ "$merged" = 8 ] || echo "warning: run $r merged $merged of 8" >&2
done
m=$(printf '%s\n' "${makespans[@]}" | median)

drains=()
for ((r = 0; r < RUNS; r++)); do
  repo="$WORK/eight-$r"
  git init -q "$repo"
  git -C "$repo" commit -q --allow-empty -m init
  for i in 0 1 2 3 4 5 6 7; do printf '[[agents]]\nname = "a%d"\ntasks = ["Work (1h)"]\n\n' "$i"; done >"$WORK/eight.toml"
  (cd "$repo" && git agents init -q --plan "$WORK/eight.toml")
  git -C "$repo" config agents.approvals 0
  git -C "$repo" config agents.requireTasksDone false
  git -C "$repo" config agents.reviewThreshold 0
  for i in 0 1 2 3 4 5 6 7; do
    git -C "$repo" agents spawn -q "a$i"
    wt="$repo/worktrees/a$i"
    echo "a$i" >"$wt/a$i.txt"
    git -C "$wt" add . && git -C "$wt" commit -qm "a$i"
    (cd "$wt" && git agents test -q -- true)
    git -C "$repo" agents pr -q "a$i"
  done
  git -C "$repo" config agents.testCommand "sleep 1"
  drains+=("$(seconds git -C "$repo" agents run --exec true)")
  merged=$(git -C "$repo" agents status --json | grep -c '"status": "merged"' || true)
  [ "$merged" = 8 ] || echo "warning: drain $r merged $merged of 8" >&2
done
d=$(printf '%s\n' "${drains[@]}" | median)

echo "| scenario | measured s (median of $RUNS) | bound s | ratio | goal |"
echo "|---|---|---|---|---|"
echo "| example plan, 0.05 s/h, test 0.5 s, review 0.3 s | $m | 5.75 | $(echo "scale=2; $m / 5.75" | bc)× | ≤ 1.2× |"
echo "| 8 agents ready at once, 1 s test | $d | 1 (one test) | $(echo "scale=2; $d / 1" | bc) tests | ≤ 3 tests |"
