#!/usr/bin/env python3
"""A CORDIS-shaped extract N times the shipped one, for the read and import benchmarks.

    scripts/gen-cordis.py --scale 10 --out DIR [--seed 2026]

Deterministic: the same seed and scale give the same files. Each copy k of the shipped
extract keeps its shape (how many partners a project has, how many projects an organisation
is in, which countries, programmes, topics and calls, how costs spread) and gets new names
made the way real ones are: words of other real names of the same country recombined, legal
forms kept, acronyms varied. Copy 0 is the shipped extract itself. Writes projects.tsv,
organizations.tsv, project_org_edges.tsv (plain TSV, as CORDIS publishes them) and copies the
topics reference table.
"""
import argparse
import gzip
import random
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "data" / "cordis-h2020"


def read(name):
    with gzip.open(HERE / f"{name}.tsv.gz", "rt", encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    header = lines[0].split("\t")
    rows = [l.split("\t") for l in lines[1:] if l]
    return header, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = Path(a.out)
    (out / "reference").mkdir(parents=True, exist_ok=True)

    oh, orgs = read("organizations")
    ph, projects = read("projects")
    eh, edges = read("project_org_edges")
    i_name, i_short, i_norm, i_country = (oh.index(c) for c in ("name", "shortName", "name_normal", "country"))
    i_rcn, i_ref, i_acr = (ph.index(c) for c in ("rcn", "reference", "acronym"))

    # Words of the real names per country, to make new names that read like theirs.
    words = {}
    for r in orgs:
        for w in r[i_name].split():
            if len(w) > 2 and w.isalpha():
                words.setdefault(r[i_country], []).append(w)
    all_words = [w for ws in words.values() for w in ws]
    max_rcn = max(int(r[i_rcn]) for r in projects)

    def new_name(name, country):
        parts = name.split()
        pool = words.get(country) or all_words
        # Replace one or two words, keeping a legal form at the end where there is one.
        for _ in range(1 if len(parts) < 3 else 2):
            k = rng.randrange(max(1, len(parts) - 1)) if len(parts) > 1 else 0
            parts[k] = rng.choice(pool)
        return " ".join(parts)

    with open(out / "organizations.tsv", "w", encoding="utf-8") as fo, \
         open(out / "projects.tsv", "w", encoding="utf-8") as fp, \
         open(out / "project_org_edges.tsv", "w", encoding="utf-8") as fe:
        fo.write("\t".join(oh) + "\n")
        fp.write("\t".join(ph) + "\n")
        fe.write("\t".join(eh) + "\n")
        for k in range(a.scale):
            for r in orgs:
                r = list(r)
                if k:
                    r[0] = f"{r[0]}k{k}"
                    r[i_name] = new_name(r[i_name], r[i_country])
                    if r[i_short]:
                        r[i_short] = new_name(r[i_short], r[i_country])
                    r[i_norm] = f"{r[i_country]}-{r[i_name].lower().replace(' ', '-')}"
                fo.write("\t".join(r) + "\n")
            for r in projects:
                r = list(r)
                if k:
                    r[i_rcn] = str(int(r[i_rcn]) + k * (max_rcn + 1))
                    r[i_ref] = f"{r[i_ref]}{k:02d}"
                    r[i_acr] = f"{r[i_acr]}-{rng.randrange(2, 99)}" if rng.random() < 0.7 else f"{rng.choice(all_words).upper()[:8]}{k}"
                fp.write("\t".join(r) + "\n")
            for r in edges:
                rcn, org = r[0], r[1]
                if k:
                    rcn = str(int(rcn) + k * (max_rcn + 1))
                    org = f"{org}k{k}"
                fe.write(f"{rcn}\t{org}\n")
    shutil.copy(HERE / "cordisref-H2020topics.csv.gz", out / "reference" / "cordisref-H2020topics.csv.gz")
    print(f"scale {a.scale}: {len(orgs) * a.scale} organisations, {len(projects) * a.scale} projects, "
          f"{len(edges) * a.scale} links in {out}")


if __name__ == "__main__":
    main()
