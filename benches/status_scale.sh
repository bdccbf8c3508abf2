#!/usr/bin/env bash
# How `git agents status` scales with the number of agents, with nothing remembered (the
# dashboard cache removed before every run) and remembered.
#
#   benches/status_scale.sh               1,000, 10,000 and 100,000 agents, 5 runs each
#   SIZES="10000" RUNS=3 benches/status_scale.sh
#
# Goal: uncached status ≤ 1 s at 10,000 agents and ≤ 10 s at 100,000 (linear).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"1000 10000 100000"}
RUNS=${RUNS:-5}
cd "$ROOT"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/git-agents"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

echo "| agents | plan bytes | init s | status uncached s (median of $RUNS) | status cached s |"
echo "|---|---|---|---|---|"
for n in $SIZES; do
  repo="$WORK/repo-$n"
  git init -q "$repo"
  git -C "$repo" commit -q --allow-empty -m init
  plan="$WORK/plan-$n.toml"
  {
    echo 'worktrees_dir = "worktrees"'
    for ((i = 0; i < n; i++)); do
      echo "[[agents]]"
      echo "name = \"agent-$i\""
      if ((i > 0)); then echo "depends_on = [\"agent-$((i - 1))\"]"; fi
      echo "tasks = [\"First part (2h)\", \"Second part (30 min)\"]"
    done
  } >"$plan"
  init=$(seconds "$BIN" -C "$repo" init --plan "$plan")
  uncached=$(for ((r = 0; r < RUNS; r++)); do
    rm -rf "$repo/.git/agents/cache"
    seconds "$BIN" -C "$repo" status
  done | median)
  "$BIN" -C "$repo" status >/dev/null
  cached=$(for ((r = 0; r < RUNS; r++)); do seconds "$BIN" -C "$repo" status; done | median)
  echo "| $n | $(wc -c <"$plan") | $init | $uncached | $cached |"
done
