#!/usr/bin/env bash
# Clean release build times of two commits, interleaved on this machine (A, B, A, B, …) so
# that both see the same load: each commit is checked out into its own worktree with its
# own target directory. Prints each run and the medians.
#   scripts/bench-build-compare.sh BEFORE AFTER [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
before=$1 after=$2 runs=${3:-3}
dir=$(mktemp -d /tmp/poles-bench.XXXXXX)
trap 'git worktree remove --force "$dir/a" >/dev/null 2>&1 || true; git worktree remove --force "$dir/b" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
git worktree add -q --detach "$dir/a" "$before"
git worktree add -q --detach "$dir/b" "$after"
# Fetch every dependency first, so that no run includes a download.
(cd "$dir/a" && cargo fetch -q) && (cd "$dir/b" && cargo fetch -q)
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
: > "$dir/a.times"; : > "$dir/b.times"
for k in $(seq 1 "$runs"); do
  for w in a b; do
    (cd "$dir/$w" && cargo clean --release -q)
    t=$(cd "$dir/$w" && secs cargo build --release -q)
    echo "$t" >> "$dir/$w.times"
    printf 'run %s %s: %.1f s\n' "$k" "$([ $w = a ] && echo "$before" || echo "$after")" "$t"
  done
done
median() { sort -n "$1" | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
printf 'median clean release build: %s %.1f s, %s %.1f s\n' "$before" "$(median "$dir/a.times")" "$after" "$(median "$dir/b.times")"
