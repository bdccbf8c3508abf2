#!/usr/bin/env bash
# git-agents measured side by side with the git operations it wraps, in one run.
#
#   benches/run.sh            the full run (about 10 minutes on 2 cores)
#   FILES=20000 ROUNDS=3 ... benches/run.sh     smaller
#   ONLY=status,spawn benches/run.sh               some sections: status spawn cas growth conflicts stress
#
# Prints one table of ratios, then the details. Everything runs in a scratch directory
# with its own HOME and no system git config, against the release build.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILES=${FILES:-50000}          # files in the spawn benchmark's repository
ROUNDS=${ROUNDS:-5}            # spawns and worktree adds, interleaved
STATUS_RUNS=${STATUS_RUNS:-200} # status and rev-parse runs, interleaved
HISTORY=${HISTORY:-10000}      # state commits behind the status benchmark
CAS_UPDATES=${CAS_UPDATES:-320} # updates per process writer-count row
STRESS_OPS=${STRESS_OPS:-200}  # operations per writer in the 16-writer stress run
CONFLICT_RUNS=${CONFLICT_RUNS:-20} # conflicts runs and merge-tree loops, interleaved
ONLY=${ONLY:-status,spawn,cas,growth,conflicts,stress}

cd "$ROOT"
cargo build --release --quiet
cargo bench --bench cas --no-run --quiet 2>/dev/null
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
CAS=$(ls -t "$TARGET"/release/deps/cas-* | grep -v '\.d$' | head -1)

export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1 LC_ALL=C
export PATH="$BIN:$PATH"
mkdir -p "$HOME"
git config --global user.name Bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main
git config --global advice.detachedHead false

# Whether section $1 is to run.
want() { [[ ",$ONLY," == *",$1,"* ]]; }

ROWS=()
PROCESS_ROWS=()
GROWTH_ROWS=()
STRESS="not run"
row() { ROWS+=("$1"); }
say() { printf '%s\n' "$*" >&2; }

# Milliseconds since an EPOCHREALTIME reading.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }

new_repo() {
    git init -q "$1"
    git -C "$1" commit -q --allow-empty -m initial
}

agents_plan() { # COUNT TASKS DEPENDENCY_STRIDE
    local i t
    for ((i = 0; i < $1; i++)); do
        printf '[[agents]]\nname = "a%d"\nbranch = "agents/a%d"\ntasks = [' "$i" "$i"
        for ((t = 1; t <= $2; t++)); do printf '"Task %d (%dh)", ' "$t" "$t"; done
        printf ']\n'
        if (($3 > 0 && i >= $3)); then printf 'depends_on = ["a%d"]\n' $((i - $3)); fi
        printf '\n'
    done
}

# --- status: 100 agents, 1,000 tasks, a long state history, against git rev-parse HEAD
if want status; then
    say "status: building 100 agents, 1,000 tasks and $HISTORY state commits"
    S="$WORK/status"
    new_repo "$S"
    agents_plan 100 10 10 > "$WORK/status.toml"
    (cd "$S" && git agents init --quiet --plan "$WORK/status.toml" && git agents spawn --quiet --force $(seq -f 'a%g' 0 99))
    "$CAS" history "$S" "$HISTORY" 2> /dev/null
    "$CAS" notes "$S"
    COMMITS=$(git -C "$S" rev-list --count refs/agents/state)
    sleep 2
    : > "$WORK/t-status"; : > "$WORK/t-status-direct"; : > "$WORK/t-revparse"
    for ((i = 0; i < 10; i++)); do (cd "$S" && git agents status > /dev/null && git rev-parse HEAD > /dev/null); done
    for ((i = 0; i < STATUS_RUNS; i++)); do
        t=$EPOCHREALTIME; (cd "$S" && git agents status > /dev/null); since "$t" >> "$WORK/t-status"; echo >> "$WORK/t-status"
        t=$EPOCHREALTIME; (cd "$S" && git-agents status > /dev/null); since "$t" >> "$WORK/t-status-direct"; echo >> "$WORK/t-status-direct"
        t=$EPOCHREALTIME; (cd "$S" && git rev-parse HEAD > /dev/null); since "$t" >> "$WORK/t-revparse"; echo >> "$WORK/t-revparse"
    done
    : > "$WORK/t-status-cold"; : > "$WORK/t-status-changed"; : > "$WORK/t-version"; : > "$WORK/t-version-git"
    for ((i = 0; i < STATUS_RUNS / 4; i++)); do
        t=$EPOCHREALTIME; (cd "$S" && git-agents --version > /dev/null); since "$t" >> "$WORK/t-version"; echo >> "$WORK/t-version"
        t=$EPOCHREALTIME; (cd "$S" && git agents --version > /dev/null); since "$t" >> "$WORK/t-version-git"; echo >> "$WORK/t-version-git"
    done
    for ((i = 0; i < STATUS_RUNS / 4; i++)); do
        # as after any change: the dashboard is computed again, documents from their cache
        rm -f "$S/.git/agents/cache/status.json"
        t=$EPOCHREALTIME; (cd "$S" && git-agents status > /dev/null); since "$t" >> "$WORK/t-status-changed"; echo >> "$WORK/t-status-changed"
        # nothing remembered at all: every document decoded
        rm -f "$S/.git/agents/cache/status.json" "$S/.git/agents/cache/state.json"
        t=$EPOCHREALTIME; (cd "$S" && git-agents status > /dev/null); since "$t" >> "$WORK/t-status-cold"; echo >> "$WORK/t-status-cold"
    done
    ST=$(median < "$WORK/t-status"); SD=$(median < "$WORK/t-status-direct"); RP=$(median < "$WORK/t-revparse")
    SC=$(median < "$WORK/t-status-cold"); SCH=$(median < "$WORK/t-status-changed")
    SV=$(median < "$WORK/t-version"); SVG=$(median < "$WORK/t-version-git")
    row "| \`git-agents status\` (100 agents, 1,000 tasks, $COMMITS-commit history) vs \`git rev-parse HEAD\` | $SD ms | $RP ms | $(ratio "$SD" "$RP") | ≤ 2× |"
    row "| the same typed as \`git agents status\` (git starts first, then runs git-agents) | $ST ms | $RP ms | $(ratio "$ST" "$RP") | |"
    row "| \`git-agents status\` after a change (dashboard computed again, documents from their cache) | $SCH ms | $RP ms | $(ratio "$SCH" "$RP") | |"
    row "| \`git-agents status\` with nothing remembered (every document decoded) | $SC ms | $RP ms | $(ratio "$SC" "$RP") | |"
    row "| \`git-agents --version\` (starting the binary and parsing arguments, nothing read) | $SV ms | $RP ms | $(ratio "$SV" "$RP") | |"
    row "| \`git agents --version\` through git's dispatch (git's start-up and the hand-over alone) | $SVG ms | $RP ms | $(ratio "$SVG" "$RP") | |"
    if command -v hyperfine > /dev/null; then
        # without a shell between the clock and the command; hyperfine's mean
        (cd "$S" && hyperfine -N -w 50 -r "$STATUS_RUNS" --export-json "$WORK/hf.json" \
            "git-agents status" "git rev-parse HEAD" > /dev/null 2>&1)
        read -r HS HR < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % (x["mean"]*1000) for x in r))' "$WORK/hf.json")
        row "| \`git-agents status\` vs \`git rev-parse HEAD\`, timed by \`hyperfine -N\` (no shell in between) | $HS ms | $HR ms | $(ratio "$HS" "$HR") | |"
    fi
fi

# --- spawn against git worktree add on a large repository
if want spawn; then
    say "spawn: building a repository of $FILES files"
    L="$WORK/large"
    new_repo "$L"
    (cd "$L" && awk -v n="$FILES" 'BEGIN {
        for (i = 0; i < n; i++) {
            d = sprintf("d%03d", int(i / 100)); if (i % 100 == 0) system("mkdir -p " d)
            f = sprintf("%s/f%03d.txt", d, i % 100); print "line of file " i > f; close(f)
        } }' && git add -A && git commit -q -m "$FILES files")
    agents_plan "$ROUNDS" 1 0 > "$WORK/large.toml"
    (cd "$L" && git agents init --quiet --plan "$WORK/large.toml")
    : > "$WORK/t-spawn"; : > "$WORK/t-wt"; : > "$WORK/t-wtp"
    spawn_once() { t=$EPOCHREALTIME; (cd "$L" && git agents spawn --quiet "a$1"); since "$t" >> "$WORK/t-spawn"; echo >> "$WORK/t-spawn"; }
    add_once() { t=$EPOCHREALTIME; (cd "$L" && git worktree add -q -b "plain/g$1" "$L/plain/g$1" main); since "$t" >> "$WORK/t-wt"; echo >> "$WORK/t-wt"; }
    add_parallel_once() { t=$EPOCHREALTIME; (cd "$L" && git -c checkout.workers=0 worktree add -q -b "par/g$1" "$L/par/g$1" main); since "$t" >> "$WORK/t-wtp"; echo >> "$WORK/t-wtp"; }
    for ((i = 0; i < ROUNDS; i++)); do
        # the three in a different order each round
        case $((i % 3)) in
            0) order="spawn_once add_once add_parallel_once" ;;
            1) order="add_once add_parallel_once spawn_once" ;;
            *) order="add_parallel_once spawn_once add_once" ;;
        esac
        for step in $order; do sync; sleep 1; $step "$i"; done
        git -C "$L" worktree remove --force "$L/worktrees/a$i"
        git -C "$L" worktree remove --force "$L/plain/g$i"
        git -C "$L" worktree remove --force "$L/par/g$i"
    done
    SP=$(median < "$WORK/t-spawn"); WT=$(median < "$WORK/t-wt"); WP=$(median < "$WORK/t-wtp")
    row "| \`git agents spawn\` vs \`git worktree add -b\` ($FILES files, median of $ROUNDS) | $SP ms | $WT ms | $(ratio "$SP" "$WT") | ≤ 1.0× |"
    row "| \`git agents spawn\` vs \`git -c checkout.workers=0 worktree add -b\` (git's parallel checkout, which spawn turns on) | $SP ms | $WP ms | $(ratio "$SP" "$WP") | |"
fi

# --- compare-and-swap throughput: git agents update from N shells, the git plumbing loop,
# and N threads in one process
if want cas; then
    plumbing_writer() { # DIR WRITER COUNT
        local dir=$1 w=$2 n=$3 i old blob tree new
        for ((i = 0; i < n; i++)); do
            while :; do
                old=$(git -C "$dir" rev-parse refs/bench/plumbing)
                blob=$(echo "w$w u$i" | git -C "$dir" hash-object -w --stdin)
                tree=$({ git -C "$dir" ls-tree "$old"; printf '100644 blob %s\tw%s-u%s\n' "$blob" "$w" "$i"; } | git -C "$dir" mktree)
                new=$(git -C "$dir" commit-tree "$tree" -p "$old" -m "w$w u$i")
                git -C "$dir" update-ref refs/bench/plumbing "$new" "$old" 2> /dev/null && break
            done
        done
    }
    agents_writer() { # DIR WRITER COUNT
        local dir=$1 w=$2 n=$3 i
        for ((i = 0; i < n; i++)); do
            (cd "$dir" && git agents update --quiet --agent "a$((w % 8))" --note "w$w u$i") || echo "failed w$w u$i" >&2
        done
    }
        for n in 1 2 8 16; do
        each=$((CAS_UPDATES / n))
        say "compare-and-swap: $n writers × $each updates"
        C="$WORK/cas-$n"
        new_repo "$C"
        agents_plan 8 2 0 > "$WORK/cas.toml"
        (cd "$C" && git agents init --quiet --plan "$WORK/cas.toml")
        t=$EPOCHREALTIME
        for ((w = 0; w < n; w++)); do agents_writer "$C" "$w" "$each" & done
        wait
        AMS=$(since "$t")
        FOUND=0
        for ((a = 0; a < 8; a++)); do
            c=$(git -C "$C" show "refs/agents/state:agents/a$a.json" | grep -c '"text":' || true)
            FOUND=$((FOUND + c))
        done
        ALOST=$((n * each - FOUND))
        ACOMMITS=$(($(git -C "$C" rev-list --count refs/agents/state) - 1))

        git -C "$C" update-ref refs/bench/plumbing "$(git -C "$C" commit-tree "$(git -C "$C" mktree < /dev/null)" -m start)"
        t=$EPOCHREALTIME
        for ((w = 0; w < n; w++)); do plumbing_writer "$C" "$w" "$each" & done
        wait
        PMS=$(since "$t")
        PFOUND=$(git -C "$C" ls-tree refs/bench/plumbing | wc -l)
        PLOST=$((n * each - PFOUND))
        ARATE=$(awk -v c=$((n * each)) -v ms="$AMS" 'BEGIN { printf "%.0f", c / ms * 1000 }')
        PRATE=$(awk -v c=$((n * each)) -v ms="$PMS" 'BEGIN { printf "%.0f", c / ms * 1000 }')
        PROCESS_ROWS+=("| $n | $((n * each)) | $ARATE/s | $ALOST | $ACOMMITS | $PRATE/s | $PLOST | $(ratio "$ARATE" "$PRATE") |")
        if ((n == 8)); then
            row "| \`git agents update\` from 8 shells vs the git plumbing loop (updates/s; lost: $ALOST vs $PLOST) | $ARATE/s | $PRATE/s | $(ratio "$ARATE" "$PRATE") | ≥ 5×, 0 lost |"
        fi
    done
    say "compare-and-swap: threads in one process"
    "$CAS" threads 1,2,8,16 800 > "$WORK/threads.md"
    T8=$(awk -F'|' '$2 + 0 == 8 { gsub(/ /, "", $5); print $5 }' "$WORK/threads.md")
    T8LOST=$(awk -F'|' '$2 + 0 == 8 { gsub(/ /, "", $6); print $6 }' "$WORK/threads.md")
    row "| \`state::update\` from 8 threads in one process (updates/s; lost: $T8LOST) | $T8/s | | | ≥ 500/s, 0 lost |"
fi

# --- repository growth per 1,000 updates, with and without automatic maintenance
if want growth; then
    growth() { # DIR → "loose-count loose-KiB packs pack-KiB"
        git -C "$1" count-objects -v | awk '/^count:/ {c=$2} /^size:/ {s=$2} /^packs:/ {p=$2} /^size-pack:/ {sp=$2} END { print c, s, p, sp }'
    }
    for mode in off on; do
        say "growth: 3,000 note updates, automatic maintenance $mode"
        G="$WORK/growth-$mode"
        new_repo "$G"
        agents_plan 8 2 0 > "$WORK/growth.toml"
        (cd "$G" && git agents init --quiet --plan "$WORK/growth.toml")
        [[ $mode == off ]] && git -C "$G" config maintenance.auto false
        for k in 1 2 3; do
            "$CAS" burst "$G" 1000
            while [[ -e "$G/.git/gc.pid" || -e "$G/.git/objects/maintenance.lock" ]]; do sleep 0.2; done
            read -r lc lk pc pk <<< "$(growth "$G")"
            GROWTH_ROWS+=("| $mode | $((k * 1000)) | $lc | $lk KiB | $pc | $pk KiB | $(du -sk "$G/.git" | cut -f1) KiB |")
        done
        if [[ $mode == off ]]; then
            git -C "$G" -c gc.autoDetach=false gc --auto --quiet
            read -r lc lk pc pk <<< "$(growth "$G")"
            GROWTH_ROWS+=("| off, then \`git gc --auto\` | 3000 | $lc | $lk KiB | $pc | $pk KiB | $(du -sk "$G/.git" | cut -f1) KiB |")
        fi
    done
fi

# --- conflicts over 8 branches against the bare git merge-tree calls it makes (same pairs)
if want conflicts; then
    say "conflicts: 8 branches, every pair and each against main"
    C="$WORK/conflicts"
    new_repo "$C"
    for ((d = 0; d < 20; d++)); do
        mkdir -p "$C/src/d$d"
        for ((f = 0; f < 100; f++)); do printf 'line %d\n' $(seq 1 20) > "$C/src/d$d/f$f.txt"; done
    done
    git -C "$C" add . && git -C "$C" commit -qm "2,000 files"
    agents_plan 8 1 0 > "$WORK/conflicts.toml"
    (cd "$C" && git agents init --quiet --plan "$WORK/conflicts.toml" && git agents spawn --quiet --force $(seq -f 'a%g' 0 7))
    for ((i = 0; i < 8; i++)); do
        W="$C/worktrees/a$i"
        [ -d "$W" ] || W=$(git -C "$C" worktree list --porcelain | awk -v b="refs/heads/agents/a$i" '/^worktree / { p = substr($0, 10) } $0 == "branch " b { print p }')
        for ((f = 0; f < 10; f++)); do echo "a$i" >> "$W/src/d$i/f$f.txt"; done
        echo "a$i" >> "$W/src/d$(((i + 1) % 8))/f0.txt"
        git -C "$W" commit -qam "a$i: work"
    done
    TIPS=(main $(for ((i = 0; i < 8; i++)); do git -C "$C" rev-parse "agents/a$i"; done))
    merge_tree_loop() {
        local i j
        for ((i = 1; i <= 8; i++)); do
            for ((j = i + 1; j <= 8; j++)); do
                git -C "$C" merge-tree --write-tree --name-only --no-messages -z "${TIPS[i]}" "${TIPS[j]}" > /dev/null || true
            done
            git -C "$C" merge-tree --write-tree --name-only --no-messages -z "${TIPS[i]}" "${TIPS[0]}" > /dev/null || true
        done
    }
    : > "$WORK/t-conflicts"; : > "$WORK/t-merge-tree"
    for ((i = 0; i < 3; i++)); do (cd "$C" && git agents conflicts > /dev/null || true); merge_tree_loop; done
    for ((i = 0; i < CONFLICT_RUNS; i++)); do
        t=$EPOCHREALTIME; (cd "$C" && git agents conflicts > /dev/null || true); since "$t" >> "$WORK/t-conflicts"; echo >> "$WORK/t-conflicts"
        t=$EPOCHREALTIME; merge_tree_loop; since "$t" >> "$WORK/t-merge-tree"; echo >> "$WORK/t-merge-tree"
    done
    CF=$(median < "$WORK/t-conflicts"); MT=$(median < "$WORK/t-merge-tree")
    row "| \`git agents conflicts\` (8 branches, 36 pairs) vs the 36 bare \`git merge-tree --write-tree\` calls | $CF ms | $MT ms | $(ratio "$CF" "$MT") | ≤ 1.2× |"
fi

# --- the 16-writer stress test at full length
if want stress; then
    say "stress: 16 writers × $STRESS_OPS operations"
    STRESS=$(STRESS_OPS=$STRESS_OPS cargo test --release --quiet --test stress many_writers -- --nocapture 2>&1 | grep -E 'writers ×|test result' | tr '\n' ' ')
fi

echo
echo "## $(date -u +%Y-%m-%d) on $(nproc) × $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(git --version)"
echo
echo "| measured | git-agents | git | ratio | goal |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Compare-and-swap from N shells (\`git agents update --note\`) and the plumbing loop (hash-object, mktree, commit-tree, update-ref NEW OLD):"
echo
echo "| writers | updates | git agents | lost | state commits | plumbing | lost | ratio |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${PROCESS_ROWS[@]}"
echo
echo "In one process (\`state::update\` from N threads):"
echo
[[ -f "$WORK/threads.md" ]] && cat "$WORK/threads.md"
echo
echo "Repository growth, one note per update (each update writes a new document):"
echo
echo "| maintenance | updates | loose objects | loose size | packs | pack size | .git |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${GROWTH_ROWS[@]}"
echo
echo "Stress: $STRESS"
