#!/usr/bin/env bash
# Partner suggestions measured on real consortia: recall@10 and @50 of the ranking model and
# of the three baselines, on one fixed split of the shipped CORDIS extract, and the
# suggestion's latency.
#
#   scripts/eval-recommend.sh [--seed N]
#
# 1. scripts/recommend-split.py holds out a tenth of the projects (seeded) and writes the
#    training extract, the cases (all partners of a held-out consortium of >= 3 but one) and
#    the hidden partners;
# 2. a fresh SQLite database gets the training extract only (`poles import cordis`): the
#    held-out projects cannot be looked up;
# 3. `poles recommend train` learns the model on that database's own consortia;
# 4. `poles recommend partners --batch` answers every case with each method (k = 50);
# 5. recall@k = share of the cases whose hidden partner is among the first k;
# 6. latency: a server on the whole shipped extract answers every case through
#    POST /api/v1/recommendations/partners, one request at a time (the first, which reads
#    the graph, not counted): p50 and p95.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=2026
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift ;;
    *) echo "usage: scripts/eval-recommend.sh [--seed N]" >&2; exit 64 ;;
  esac
  shift
done
work=$(mktemp -d /tmp/poles-eval.XXXXXX)
trap 'rm -rf "$work"' EXIT
export POLES_AUDIT_KEY="eval:$(printf '%064d' 0)"

[ -n "${POLES_EVAL_NO_BUILD:-}" ] || cargo build -q --profile dist --bin poles
poles=target/dist/poles
python3 scripts/recommend-split.py --seed "$seed" --out "$work/split"
url="sqlite://$work/train.db"
"$poles" --database-url "$url" import cordis "$work/split/train" > /dev/null 2>&1
"$poles" --database-url "$url" recommend train --seed "$seed" --out "$work/model.json"
for method in model walk copartners popularity; do
  start=$(date +%s.%N)
  "$poles" --database-url "$url" recommend partners --batch "$work/split/cases.jsonl" --k 50 \
    --method "$method" --model "$work/model.json" > "$work/$method.jsonl" 2> "$work/$method.err"
  end=$(date +%s.%N)
  echo "$method $(python3 -c "print($end - $start)")" >> "$work/times"
done
full="sqlite://$work/full.db"
"$poles" --database-url "$full" import cordis data/cordis-h2020 > /dev/null 2>&1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
POLES_SEARCH_PER_MINUTE=1000000000 "$poles" --database-url "$full" serve --no-demo --bind "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/regions").read()
        break
    except OSError:
        time.sleep(0.2)
PY
python3 - "$work" "$port" <<'PY'
import json, sys, time, urllib.request
work, port = sys.argv[1], sys.argv[2]
import sqlite3
ids = dict(sqlite3.connect(f"{work}/full.db").execute(
    "SELECT cordis_id, id FROM organisations WHERE cordis_id IS NOT NULL"))
times = []
for n, line in enumerate(open(f"{work}/split/cases.jsonl")):
    c = json.loads(line)
    body = json.dumps({"partners": [int(ids[g]) for g in c["given"] if g in ids], "topic": c["topics"],
                       "call": c["call"], "programme": c["programme"], "funding_scheme": c["fundingScheme"],
                       "limit": 50}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/recommendations/partners", data=body,
                                 headers={"content-type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
        r.read()
    if n > 0:
        times.append((time.perf_counter() - t) * 1000)
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
with open(f"{work}/latency", "w") as f:
    f.write(f"{len(times)} {pick(0.5):.1f} {pick(0.95):.1f} {times[-1]:.1f}")
PY
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
hidden = {}
for line in open(f"{work}/split/answers.jsonl"):
    a = json.loads(line)
    hidden[a["id"]] = a["hidden"]
times = dict(l.split() for l in open(f"{work}/times"))
print(f"{len(hidden)} held-out consortia of at least 3 partners, one partner hidden in each\n")
print("| method | recall@10 | recall@50 | batch time, s |")
print("|---|---|---|---|")
for method in ["model", "walk", "copartners", "popularity"]:
    ranks = {}
    for line in open(f"{work}/{method}.jsonl"):
        r = json.loads(line)
        ranks[r["id"]] = r["ranked"]
    at = lambda k: sum(1 for i, h in hidden.items() if h in ranks.get(i, [])[:k]) / len(hidden)
    print(f"| {method} | {at(10):.3f} | {at(50):.3f} | {float(times[method]):.2f} |")
n, p50, p95, worst = open(f"{work}/latency").read().split()
print(f"\nPOST /api/v1/recommendations/partners on the whole shipped extract, one connection, {n} cases "
      f"(k = 50): p50 {p50} ms, p95 {p95} ms, slowest {worst} ms")
PY
