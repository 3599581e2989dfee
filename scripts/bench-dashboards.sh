#!/usr/bin/env bash
# The specialisation dashboards at national scale (issue 16): a generated establishment file
# (30 million rows by default, the benchmark's format, made once as bench-specialisation.sh
# makes it) imported into a fresh database with `poles import establishments` — the time of
# reading and writing the rows and of tallying them printed apart, with the peak memory —,
# then the pages and operations that read the stored results timed on one connection
# (sequential requests over one kept-alive HTTP connection, the read cache off so that each
# answer is computed): p50, p95 and the slowest, against the 300 ms target.
#
#   scripts/bench-dashboards.sh [--rows N] [--seed S] [--database-url URL] [--requests K]
#
# Without --database-url, a new SQLite database in target/bench-dashboards/. With a
# PostgreSQL URL, that database must be new (it is migrated and given the demo first).
set -euo pipefail
cd "$(dirname "$0")/.."

rows=30000000
seed=42
url=""
requests=100
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --database-url) url=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
say() { echo "=== $* ($(date +%H:%M:%S))"; }
gen=target/bench-specialisation
file=$gen/establishments-$rows-$seed.csv
dir=target/bench-dashboards
mkdir -p "$dir" "$gen"

if ! [ -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
if [ ! -f "$file" ]; then
  say "generating $rows establishments (seed $seed)"
  mkdir -p "$gen/gen-data/geo-france" "$gen/gen-data/naf"
  cp data/geo/departements.json "$gen/gen-data/geo-france/"
  zcat data/naf/naf-rev2-codes.json.gz > "$gen/gen-data/naf/naf-rev2-codes.json"
  python3 scripts/gen_establishments.py --rows "$rows" --seed "$seed" --out "$file.part" \
    --data-dir "$gen/gen-data" --workers "$(nproc)"
  mv "$file.part" "$file"
fi

say "building Pôles (dist profile)"
cargo build -q --profile dist --bin poles
poles=target/dist/poles

if [ -z "$url" ]; then
  rm -f "$dir"/bench.db*
  url="sqlite://$PWD/$dir/bench.db"
fi
port=18090
serve() {
  POLES_DATABASE_URL="$url" "$poles" serve --no-read-cache --bind 127.0.0.1:$port >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
    sleep 1
  done
  cat "$dir/serve.log" >&2
  exit 1
}
say "a new database with the demo (first start)"
serve
kill "$pid"; wait "$pid" 2>/dev/null || true

say "importing $rows establishments"
POLES_DATABASE_URL="$url" /usr/bin/time -v "$poles" import establishments "$file" --source national \
  --title-en "France, generated at national scale (fictional)" \
  --title-fr "France, générée à l'échelle nationale (fictive)" \
  >"$dir/import.json" 2>"$dir/import.time"
python3 - "$dir/import.json" "$dir/import.time" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
print(f"imported {r['imported']:,} of {r['lines']:,} lines ({r['rejected']} refused)")
print(f"reading and writing  {r['write_seconds']:.1f} s ({r['imported'] / r['write_seconds']:,.0f} rows/s)")
print(f"tallying (stored)    {r['tally_seconds']:.1f} s")
print(f"whole command        {wall}   peak {rss / 1024:.0f} MiB")
PY

say "the dashboards on one connection ($requests requests each)"
serve
python3 - "$port" "$requests" <<'PY'
import http.client, json, statistics, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
def get(path):
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status, body[:300])
    return body
sectors = [s["code"] for s in json.loads(get("/api/v1/specialisation?dataset=national"))["sectors"]]
divisions = [s["code"] for s in json.loads(get("/api/v1/specialisation?dataset=national&grouping=division"))["sectors"]]
cases = {
    "sector table (JSON)": lambda k: f"/api/v1/specialisation?dataset=national&sector={sectors[k % len(sectors)]}",
    "division table by department (JSON)": lambda k: f"/api/v1/specialisation?dataset=national&level=department&grouping=division&sector={divisions[k % len(divisions)]}",
    "sector map page (HTML)": lambda k: f"/specialisation?dataset=national&sector={sectors[k % len(sectors)]}&lang=en",
    "ten regions side by side (JSON)": lambda k: "/api/v1/specialisation/compare?dataset=national&grouping=division&regions=11,24,27,28,32,44,52,53,75,76",
    "a pôle's territory (JSON)": lambda k: ["/api/v1/clusters/aerospace-valley/territory", "/api/v1/clusters/minalogic/territory", "/api/v1/clusters/lyonbiopole/territory", "/api/v1/clusters/cap-digital/territory"][k % 4],
    "a pôle's page (HTML)": lambda k: ["/clusters/aerospace-valley?lang=fr", "/clusters/minalogic?lang=en"][k % 2],
    "funding dashboards (HTML)": lambda k: "/dashboards?lang=en",
}
worst = 0.0
for name, path in cases.items():
    get(path(0))
    ms = []
    for k in range(n):
        t = time.perf_counter()
        get(path(k))
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    p95 = ms[int(0.95 * (len(ms) - 1))]
    worst = max(worst, p95)
    print(f"{name:38} p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms")
print(f"largest p95 {worst:.1f} ms against the 300 ms target: {'met' if worst < 300 else 'NOT met'}")
PY
kill "$pid"; wait "$pid" 2>/dev/null || true
