#!/usr/bin/env bash
# Build times on this machine: a clean release build, then incremental release rebuilds after
# touching a page template (crates/poles-web/templates/cluster.html) and after changing one of
# the store's registry queries, median of 3 runs each. Prints seconds.
#   scripts/bench-build.sh [--no-clean]
set -euo pipefail
cd "$(dirname "$0")/.."
tpl=crates/poles-web/templates/cluster.html
store=crates/poles-store/src/registry.rs
query='ORDER BY position"'
median() { sort -n | sed -n 2p; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
restore() { git checkout -q -- "$tpl" "$store"; }
trap restore EXIT
grep -q "$query" "$store" || { echo "the registry query to change is gone: update this script" >&2; exit 1; }
if [ "${1:-}" != "--no-clean" ]; then
  for k in 1 2 3; do
    cargo clean --release -q
    secs cargo build --release -q
  done | median | xargs printf 'clean release build: %.1f s (median of 3)\n'
else
  cargo build --release -q
fi
for k in 1 2 3; do
  echo "<!-- touched $k -->" >> "$tpl"
  secs cargo build --release -q
done | median | xargs printf 'after touching templates/cluster.html: %.1f s (median of 3)\n'
restore
for k in 1 2 3; do
  # A real change of a query (one more space in its SQL), not only a comment.
  sed -i "s/$query/ $query/" "$store"
  secs cargo build --release -q
done | median | xargs printf 'after changing a registry query: %.1f s (median of 3)\n'
