#!/usr/bin/env bash
# What one local-forge merge costs on a large repository, beside `git merge --no-ff` of
# an equal branch: FILES tracked files, each merged branch changing 10 of them, the
# merged result tested with `true`.
#
#   benches/merge_scale.sh                  20,000 files, 5 merges of each kind
#   FILES=5000 RUNS=3 benches/merge_scale.sh
#
# Goal: a merge costs at most 3x `git merge --no-ff`. The first merge makes the kept
# checkout merged results are tested in (a full checkout, once); the median is of them all.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-20000}
RUNS=${RUNS:-5}
cd "$ROOT"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/git-agents"
WORK=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "keeping $WORK" || trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

repo="$WORK/repo"
git init -q "$repo"
for ((d = 0; d < FILES / 100; d++)); do
  mkdir -p "$repo/src/d$d"
  for ((f = 0; f < 100; f++)); do echo "file $d/$f" >"$repo/src/d$d/f$f.txt"; done
done
git -C "$repo" add -A
git -C "$repo" commit -q -m "$FILES files"
git clone -q "$repo" "$WORK/plain"

plan="$WORK/plan.toml"
{
  echo 'worktrees_dir = "../worktrees"'
  for ((i = 0; i < RUNS; i++)); do
    echo "[[agents]]"
    echo "name = \"a$i\""
    echo "tasks = [\"Change ten files (1h)\"]"
  done
} >"$plan"
"$BIN" -C "$repo" init --plan "$plan" >/dev/null
git -C "$repo" config agents.testCommand true
git -C "$repo" config agents.requireTests false
git -C "$repo" config agents.requireTasksDone false
git -C "$repo" config agents.reviewThreshold 0
git -C "$repo" config agents.approvals 0

change() { # DIR RUN: change ten files of one directory and commit
  for ((f = 0; f < 10; f++)); do echo "run $2" >>"$1/src/d$2/f$f.txt"; done
  git -C "$1" commit -q -am "change ten files ($2)"
}

agents_times=()
git_times=()
for ((i = 0; i < RUNS; i++)); do
  "$BIN" -C "$repo" spawn "a$i" >/dev/null
  change "$WORK/worktrees/a$i" "$i"
  "$BIN" -C "$repo" pr "a$i" >/dev/null
  sync # the spawn's checkout is written out before the clock starts
  agents_times+=("$(seconds "$BIN" -C "$repo" merge "a$i")")
  git -C "$WORK/plain" switch -q -c "plain$i" main
  change "$WORK/plain" "$i"
  git -C "$WORK/plain" switch -q main
  sync
  git_times+=("$(seconds git -C "$WORK/plain" merge -q --no-ff -m "merge plain$i" "plain$i")")
done
a=$(printf '%s\n' "${agents_times[@]}" | median)
g=$(printf '%s\n' "${git_times[@]}" | median)
echo "| files | git agents merge s (median of $RUNS) | git merge --no-ff s | ratio |"
echo "|---|---|---|---|"
echo "| $FILES | $a | $g | $(echo "scale=1; $a / $g" | bc) |"
