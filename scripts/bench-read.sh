#!/usr/bin/env bash
# The read path and the import against datasette, on one machine in one run.
#
#   scripts/bench-read.sh [--scale N] [--postgres] [--duration SECONDS] [--connections C]
#
# Sets up what it needs on a fresh Debian machine (wrk and sqlite3 with apt-get; datasette
# and sqlite-utils from PyPI in a scratch virtual environment), builds Pôles with the `dist`
# profile, loads the same CORDIS extract (the shipped one, or one N times larger made by
# scripts/gen-cordis.py) into Pôles and into datasette (organisation names with full-text
# search), then runs each query with `wrk -t2 -cC -dSECONDS` against both and prints req/s,
# p99 and the ratio per query; and the import's rows/s beside `sqlite3 .import` (and, with
# --postgres, beside `psql \copy`). Pôles runs on SQLite, or on PostgreSQL with --postgres
# (POLES_BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/<scratch database>).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scale=1; postgres=0; duration=15; conns=64
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift ;;
    --postgres) postgres=1 ;;
    --duration) duration=$2; shift ;;
    --connections) conns=$2; shift ;;
    *) echo "usage: scripts/bench-read.sh [--scale N] [--postgres] [--duration S] [--connections C]" >&2; exit 64 ;;
  esac
  shift
done

say() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)" >&2; }
need_pkg() {
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "installing $*" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need_pkg wrk wrk
need_pkg sqlite3 sqlite3
[ "$postgres" = 1 ] && need_pkg psql postgresql-client

work=$(mktemp -d /tmp/poles-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

say "datasette and sqlite-utils (PyPI, scratch venv)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q datasette sqlite-utils
ds_version=$("$work/venv/bin/datasette" --version)

say "data at scale $scale"
data=$work/data
if [ "$scale" = 1 ]; then
  mkdir -p "$data/reference"
  for f in projects organizations project_org_edges; do gunzip -c "data/cordis-h2020/$f.tsv.gz" > "$data/$f.tsv"; done
  cp data/cordis-h2020/cordisref-H2020topics.csv.gz "$data/reference/"
else
  python3 scripts/gen-cordis.py --scale "$scale" --out "$data" >&2
fi
rows=$(( $(wc -l < "$data/projects.tsv") + $(wc -l < "$data/organizations.tsv") + $(wc -l < "$data/project_org_edges.tsv") - 3 ))

say "Pôles, dist build"
cargo build -q --profile dist --bin poles
poles=$root/target/dist/poles
export POLES_AUDIT_KEY="bench:$(printf '%064d' 0)"

say "import: sqlite3 .import (no indexes) and poles import cordis"
t0=$(date +%s.%N)
sqlite3 "$work/plain.db" <<EOF
.mode tabs
.import $data/projects.tsv projects
.import $data/organizations.tsv organizations
.import $data/project_org_edges.tsv edges
EOF
t1=$(date +%s.%N)
sqlite_import=$(echo "$t1 - $t0" | bc -l)

if [ "$postgres" = 1 ]; then
  admin=${POLES_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
  dbname=poles_bench_$$
  psql -q "$admin" -c "CREATE DATABASE $dbname" >/dev/null
  url="${admin%/*}/$dbname"
  plain_db=poles_bench_plain_$$
  psql -q "$admin" -c "CREATE DATABASE $plain_db" >/dev/null
  plain_url="${admin%/*}/$plain_db"
  psql -q "$plain_url" -c "CREATE TABLE projects ($(head -1 "$data/projects.tsv" | sed 's/\t/ TEXT, /g') TEXT); CREATE TABLE organizations ($(head -1 "$data/organizations.tsv" | sed 's/\t/ TEXT, /g') TEXT); CREATE TABLE edges ($(head -1 "$data/project_org_edges.tsv" | sed 's/\t/ TEXT, /g') TEXT);" >/dev/null
  t0=$(date +%s.%N)
  for t in projects:projects organizations:organizations edges:project_org_edges; do
    psql -q "$plain_url" -c "\\copy ${t%%:*} FROM '$data/${t##*:}.tsv' WITH (FORMAT text, HEADER true)" >/dev/null
  done
  t1=$(date +%s.%N)
  copy_import=$(echo "$t1 - $t0" | bc -l)
  trap 'cleanup; psql -q "$admin" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1; psql -q "$admin" -c "DROP DATABASE IF EXISTS $plain_db" >/dev/null 2>&1' EXIT
else
  url="sqlite://$work/poles.db"
fi
"$poles" --database-url "$url" migrate >/dev/null
t0=$(date +%s.%N)
"$poles" --database-url "$url" import cordis "$data" > "$work/import.json" 2>/dev/null
t1=$(date +%s.%N)
poles_import=$(echo "$t1 - $t0" | bc -l)

say "datasette database (sqlite-utils, FTS on organisation names)"
su="$work/venv/bin/sqlite-utils"
"$su" insert "$work/cordis.db" organizations "$data/organizations.tsv" --tsv >/dev/null
"$su" insert "$work/cordis.db" projects "$data/projects.tsv" --tsv >/dev/null
"$su" insert "$work/cordis.db" edges "$data/project_org_edges.tsv" --tsv >/dev/null
"$su" enable-fts "$work/cordis.db" organizations name --create-triggers >/dev/null
"$su" create-index "$work/cordis.db" organizations country >/dev/null
"$su" create-index "$work/cordis.db" edges projectRcn >/dev/null
"$su" create-index "$work/cordis.db" organizations new_org_id >/dev/null

port_p=$((20000 + RANDOM % 10000)); port_d=$((port_p + 1)); port_c=$((port_p + 2))
# No search limit here: wrk is one client. A second server computes every answer (no
# answers kept in memory), to show the computation beside the kept answers.
POLES_SEARCH_PER_MINUTE=1000000000 "$poles" --database-url "$url" serve --no-demo --bind "127.0.0.1:$port_p" > "$work/poles.log" 2>&1 &
pids+=($!)
POLES_SEARCH_PER_MINUTE=1000000000 POLES_NO_READ_CACHE=true "$poles" --database-url "$url" serve --no-demo --bind "127.0.0.1:$port_c" > "$work/poles-computed.log" 2>&1 &
pids+=($!)
"$work/venv/bin/datasette" serve "$work/cordis.db" --port "$port_d" --setting default_page_size 20 > "$work/datasette.log" 2>&1 &
pids+=($!)
up=0
for i in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$port_p/api/v1/organisations?limit=1" \
    && curl -sf -o /dev/null "http://127.0.0.1:$port_c/api/v1/organisations?limit=1" \
    && curl -sf -o /dev/null "http://127.0.0.1:$port_d/cordis.json" && { up=1; break; }
  sleep 1
done
if [ "$up" = 0 ]; then
  tail -5 "$work/poles.log" "$work/poles-computed.log" "$work/datasette.log" >&2
  echo "a server did not start" >&2; exit 1
fi

# A project with a consortium of eight (as many have), known to both.
if [ "$postgres" = 1 ]; then
  read -r pid rcn < <(psql -At -F ' ' "$url" -c "SELECT p.id, substr(p.source_key, 8) FROM projects p JOIN project_partners pp ON pp.project_id = p.id GROUP BY p.id, p.source_key HAVING COUNT(*) = 8 ORDER BY p.id LIMIT 1")
else
  read -r pid rcn < <(sqlite3 -separator ' ' "$work/poles.db" "SELECT p.id, substr(p.source_key, 8) FROM projects p JOIN project_partners pp ON pp.project_id = p.id GROUP BY p.id HAVING COUNT(*) = 8 ORDER BY p.id LIMIT 1")
fi
consortium_sql="select o.name, o.shortName, o.country from edges e join organizations o on o.new_org_id = e.new_org_id where e.projectRcn = :rcn order by o.name"
enc_sql=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$consortium_sql")

P="http://127.0.0.1:$port_p"; D="http://127.0.0.1:$port_d"
queries=(
  "French organisations, JSON, 20 rows + total|$P/api/v1/organisations?country=FR&limit=20|$D/cordis/organizations.json?country=FR&_size=20"
  "organisations matching \"energy\", JSON|$P/api/v1/organisations?q=energy&limit=20|$D/cordis/organizations.json?_search=energy&_size=20"
  "a project's consortium, JSON|$P/api/v1/projects/$pid|$D/cordis.json?sql=$enc_sql&rcn=$rcn"
  "French organisations, HTML page|$P/organisations?country=FR&lang=en|$D/cordis/organizations?country=FR"
  "search \"energy\", JSON|$P/api/v1/search?q=energy&limit=20|$D/cordis/organizations.json?_search=energy&_size=20"
)

run_wrk() {
  # prints "REQ_PER_SEC P99_MS"; fails on any answer that is not a success
  wrk -t2 -c"$conns" -d"${duration}s" --latency "$1" 2>/dev/null | awk '
    /Non-2xx/ {print "non-2xx answers from " URL > "/dev/stderr"; bad=1}
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {if (bad) exit 1; printf "%.0f %.1f\n", rps, p99}' URL="$1"
}
one_conn_p99() {
  # p99 of 500 requests one after another, in ms
  python3 - "$1" <<'EOF'
import sys, time, urllib.request
u = sys.argv[1]
ts = []
for _ in range(500):
    t = time.perf_counter(); urllib.request.urlopen(u).read(); ts.append((time.perf_counter() - t) * 1000)
ts.sort(); print(f"{ts[int(len(ts) * 0.99) - 1]:.1f}")
EOF
}

say "queries, wrk -t2 -c$conns -d${duration}s each"
backend=$([ "$postgres" = 1 ] && echo PostgreSQL || echo SQLite)
printf '\nPôles (%s, dist build) against %s, scale %s×, %s rows, wrk -t2 -c%s -d%ss, %s\n\n' \
  "$backend" "$ds_version" "$scale" "$rows" "$conns" "$duration" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '| query | Pôles req/s | Pôles p99 ms | datasette req/s | datasette p99 ms | ratio | Pôles computing every answer: req/s, p99 ms, ratio | Pôles p99 ms, 1 connection (computing) |\n|---|---|---|---|---|---|---|---|\n'
for q in "${queries[@]}"; do
  IFS='|' read -r name pu du <<< "$q"
  cu=${pu/:$port_p/:$port_c}
  curl -sf -o /dev/null "$pu" || { echo "Pôles failed on $pu" >&2; exit 1; }
  curl -sf -o /dev/null "$du" || { echo "datasette failed on $du" >&2; exit 1; }
  read -r prps pp99 < <(run_wrk "$pu")
  read -r crps cp99 < <(run_wrk "$cu")
  read -r drps dp99 < <(run_wrk "$du")
  single=$(one_conn_p99 "$cu")
  ratio=$(echo "scale=1; $prps / ($drps + 0.0001)" | bc -l)
  cratio=$(echo "scale=1; $crps / ($drps + 0.0001)" | bc -l)
  printf '| %s | %s | %s | %s | %s | %s× | %s, %s, %s× | %s |\n' "$name" "$prps" "$pp99" "$drps" "$dp99" "$ratio" "$crps" "$cp99" "$cratio" "$single"
done

printf '\nImport of the three files (%s rows):\n' "$rows"
printf -- '- poles import cordis (%s; parse, check, write, index): %.2f s, %.0f rows/s\n' "$backend" "$poles_import" "$(echo "$rows / $poles_import" | bc -l)"
printf -- '- sqlite3 .mode tabs + .import into tables without indexes: %.2f s, %.0f rows/s\n' "$sqlite_import" "$(echo "$rows / $sqlite_import" | bc -l)"
printf -- '- ratio: %.2f of sqlite3'"'"'s rows/s\n' "$(echo "$sqlite_import / $poles_import" | bc -l)"
if [ "$postgres" = 1 ]; then
  printf -- '- psql \\copy into tables without indexes: %.2f s, %.0f rows/s (ratio %.2f)\n' "$copy_import" "$(echo "$rows / $copy_import" | bc -l)" "$(echo "$copy_import / $poles_import" | bc -l)"
fi
