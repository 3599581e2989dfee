#!/usr/bin/env bash
# The regional-specialisation benchmark (issue 16): the region x NAF-division employment table
# and its location quotients, computed from a generated establishment file (reading and
# parsing the CSV included), by Pôles (`poles specialisation`, the dist build) and by DuckDB
# (from PyPI, in a scratch virtual environment), one after the other on this machine. Prints
# both times, the ratio (Pôles / DuckDB: below 1.0, Pôles is faster) and the peak memory of
# each (`/usr/bin/time -v`), and checks that both tables are equal (same cells, same counts,
# quotients equal to 1e-9 relative).
#
#   scripts/bench-specialisation.sh [--rows N] [--seed S] [--threads T]
#
# The file is generated once (scripts/gen_establishments.py, the workplace's generator, with
# the repository's own department and NAF data) into target/bench-specialisation/.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=30000000
seed=42
threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
dir=target/bench-specialisation
file=$dir/establishments-$rows-$seed.csv
mkdir -p "$dir"
say() { echo "=== $* ($(date +%H:%M:%S))"; }

if ! command -v /usr/bin/time >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

if [ ! -f "$file" ]; then
  say "generating $rows establishments (seed $seed)"
  mkdir -p "$dir/gen-data/geo-france" "$dir/gen-data/naf"
  cp data/geo/departements.json "$dir/gen-data/geo-france/"
  zcat data/naf/naf-rev2-codes.json.gz > "$dir/gen-data/naf/naf-rev2-codes.json"
  python3 scripts/gen_establishments.py --rows "$rows" --seed "$seed" --out "$file.part" \
    --data-dir "$dir/gen-data" --workers "$(nproc)"
  mv "$file.part" "$file"
fi

venv=$dir/venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  say "installing DuckDB from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'duckdb==1.1.3'
fi

say "building Pôles (dist profile)"
cargo build -q --profile dist --bin poles

# Wall time and peak memory of one command, from GNU time's report.
measure() {
  local name=$1; shift
  /usr/bin/time -v "$@" 2> "$dir/$name.time" >/dev/null || { cat "$dir/$name.time" >&2; exit 1; }
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

# The file is read once before, so that neither side pays for the first read from disk.
cat "$file" > /dev/null
say "Pôles ($threads threads)"
measure poles target/dist/poles specialisation "$file" --out "$dir/poles.csv" --threads "$threads"
grep -v -e '^\s' -e 'Command being' "$dir/poles.time" | head -1 >&2 || true
say "DuckDB"
measure duckdb "$venv/bin/python" scripts/bench_specialisation_duckdb.py "$file" "$dir/duckdb.csv"

say "comparing the tables"
python3 - "$dir/poles.csv" "$dir/duckdb.csv" <<'PY'
import csv, sys
def load(p):
    with open(p, newline="") as f:
        return {(r["region"], r["division"]): r for r in csv.DictReader(f)}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), f"cells differ: {len(a)} in Pôles, {len(b)} in DuckDB"
worst = 0.0
for k, x in a.items():
    y = b[k]
    assert x["establishments"] == y["establishments"] and x["employment"] == y["employment"], (k, x, y)
    qx, qy = x["location_quotient"], y["location_quotient"]
    assert (qx == "") == (qy == ""), (k, qx, qy)
    if qx:
        qx, qy = float(qx), float(qy)
        rel = abs(qx - qy) / max(abs(qy), 1e-300)
        worst = max(worst, rel)
        assert rel <= 1e-9, (k, qx, qy)
print(f"equal: {len(a)} cells, counts identical, largest relative difference of a quotient {worst:.2e}")
PY

tp=$(wall "$dir/poles.time"); td=$(wall "$dir/duckdb.time")
mp=$(rss "$dir/poles.time"); md=$(rss "$dir/duckdb.time")
python3 - "$rows" "$tp" "$td" "$mp" "$md" <<'PY'
import sys
rows, tp, td, mp, md = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"rows                 {rows:,}")
print(f"Pôles                {tp:.2f} s   peak {mp / 1024:.0f} MiB")
print(f"DuckDB               {td:.2f} s   peak {md / 1024:.0f} MiB")
print(f"ratio Pôles/DuckDB   {tp / td:.3f} (time)   {mp / md:.3f} (memory)")
PY
