#!/usr/bin/env python3
"""A fixed split of the shipped CORDIS extract for measuring partner suggestions.

    scripts/recommend-split.py [--seed 2026] [--out DIR] [--data data/cordis-h2020]

Holds out a tenth of the projects (chosen with the seed). Writes:
  DIR/train/           the extract without the held-out projects and their links, laid out as
                       published (what `poles import cordis` reads); the organisations file keeps
                       those with at least one kept project, their project count recomputed on the
                       kept projects, so that nothing about the held-out projects leaks (an
                       organisation known only from held-out projects would point at the answer)
  DIR/cases.jsonl      one case per held-out consortium of at least 3 partners: all partners but
                       one (`given`), the topic code, call, programme and funding scheme — the input
                       of `poles recommend partners --batch`
  DIR/answers.jsonl    the partner hidden in each case

Deterministic: the same seed and data give the same files, byte for byte.
"""
import argparse
import csv
import gzip
import json
import os
import random
import shutil
import sys


def read_tsv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[0], rows[1:]


def write_tsv(path, header, rows):
    # As read: fields joined by tabs, quotes and all (the files are not quoted CSV).
    with open(path, "w", encoding="utf-8", newline="") as f:
        for row in [header] + rows:
            f.write("\t".join(row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default="target/recommend-split")
    ap.add_argument("--data", default="data/cordis-h2020")
    ap.add_argument("--holdout", type=float, default=0.1)
    a = ap.parse_args()

    ph, projects = read_tsv(os.path.join(a.data, "projects.tsv.gz"))
    oh, orgs = read_tsv(os.path.join(a.data, "organizations.tsv.gz"))
    eh, edges = read_tsv(os.path.join(a.data, "project_org_edges.tsv.gz"))
    col = {name: i for i, name in enumerate(ph)}

    rng = random.Random(a.seed)
    rcns = sorted({p[col["rcn"]].strip() for p in projects}, key=int)
    held = set(rng.sample(rcns, round(len(rcns) * a.holdout)))

    partners = {}
    for rcn, org in edges:
        partners.setdefault(rcn.strip(), []).append(org.strip())

    train = os.path.join(a.out, "train")
    os.makedirs(os.path.join(train, "reference"), exist_ok=True)
    kept_projects = [p for p in projects if p[col["rcn"]].strip() not in held]
    kept_edges = [e for e in edges if e[0].strip() not in held]
    write_tsv(os.path.join(train, "projects.tsv"), ph, kept_projects)
    write_tsv(os.path.join(train, "project_org_edges.tsv"), eh, kept_edges)
    counts = {}
    for _, org in kept_edges:
        counts[org.strip()] = counts.get(org.strip(), 0) + 1
    ocol = {name: i for i, name in enumerate(oh)}
    # Every organisation of the extract has a project; one with none left was in held-out
    # projects only, and keeping it would leave exactly the held-out partners without history.
    orgs = [o for o in orgs if counts.get(o[ocol["new_org_id"]].strip(), 0) > 0]
    for o in orgs:
        n = counts[o[ocol["new_org_id"]].strip()]
        o[ocol["numProj"]] = f" {n}"
        # Contributions would tell the held-out projects' money: left out.
        o[ocol["nproj_with_contrib"]] = ""
        o[ocol["totContribution"]] = ""
    write_tsv(os.path.join(train, "organizations.tsv"), oh, orgs)
    topics = os.path.join(a.data, "cordisref-H2020topics.csv.gz")
    if os.path.exists(topics):
        shutil.copy(topics, os.path.join(train, "reference"))

    cases = answers = 0
    with open(os.path.join(a.out, "cases.jsonl"), "w") as cf, open(
        os.path.join(a.out, "answers.jsonl"), "w"
    ) as af:
        for p in projects:
            rcn = p[col["rcn"]].strip()
            members = sorted(set(partners.get(rcn, [])))
            if rcn not in held or len(members) < 3:
                continue
            hidden = rng.choice(members)
            case = {
                "id": rcn,
                "given": [m for m in members if m != hidden],
                "topics": p[col["topics"]].strip(),
                "call": p[col["call"]].strip(),
                "programme": p[col["programme"]].strip(),
                "fundingScheme": p[col["fundingScheme"]].strip(),
            }
            cf.write(json.dumps(case, sort_keys=True) + "\n")
            af.write(json.dumps({"id": rcn, "hidden": hidden}, sort_keys=True) + "\n")
            cases += 1
            answers += 1
    print(
        f"{len(rcns)} projects, {len(held)} held out, {cases} cases of at least 3 partners; "
        f"training data: {len(kept_projects)} projects, {len(orgs)} organisations, "
        f"{len(kept_edges)} links ({a.out})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
