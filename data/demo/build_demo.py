#!/usr/bin/env python3
"""Build data/demo/programme.json from the pôles CSV and the hand-curated overlay.

Inputs (same folder):
  poles_2005_2007.csv  copy of the 63-row list of pôles labelled 2005-2007 (see NOTES.md upstream)
  overlay.json         hand-curated facts from the Invest in France Agency press kit (2007),
                       programme-rules.md and NOTES.md
Output:
  programme.json

Rules: nothing is guessed. A field no source gives stays null (or an empty list).
Descriptions are generated only from the CSV theme, regions and label tier/date, plus the
press-kit "leading" flag. Stdlib only; run with `python3 build_demo.py`.
"""
import csv
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "poles_2005_2007.csv"
OVERLAY_PATH = HERE / "overlay.json"
OUT_PATH = HERE / "programme.json"

# The 22 metropolitan regions of 2007 (before the 2015 merger), plus La Réunion.
REGIONS_2007 = {
    "Alsace", "Aquitaine", "Auvergne", "Basse-Normandie", "Bourgogne", "Bretagne", "Centre",
    "Champagne-Ardenne", "Corse", "Franche-Comté", "Haute-Normandie", "Île-de-France",
    "Languedoc-Roussillon", "Limousin", "Lorraine", "Midi-Pyrénées", "Nord-Pas-de-Calais",
    "Pays de la Loire", "Picardie", "Poitou-Charentes", "Provence-Alpes-Côte d'Azur", "Rhône-Alpes",
    "La Réunion",
}
TIERS = {"mondial", "vocation_mondiale", "national"}
DELABEL_DATE = "2010-05-11"  # programme-rules §1: 11 May 2010, 6 pôles lost their label
RULES_1 = "programme-rules.md §1"

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]
TIER_EN = {"mondial": "a world-class pôle (mondial)",
           "vocation_mondiale": "a pôle with an international vocation (à vocation mondiale)",
           "national": "a national pôle"}
TIER_FR = {"mondial": "pôle mondial", "vocation_mondiale": "pôle à vocation mondiale",
           "national": "pôle national"}
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def date_en(iso):
    y, m, d = iso.split("-")
    return f"{int(d)} {MONTHS_EN[int(m) - 1]} {y}"


def date_fr(iso):
    y, m, d = iso.split("-")
    day = "1er" if int(d) == 1 else str(int(d))
    return f"{day} {MONTHS_FR[int(m) - 1]} {y}"


def join_en(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def join_fr(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def describe(name, regions, theme_fr, specialty_en, tier, date, delabelled, leading):
    # Sentence 1: where and what.
    if regions == ["La Réunion"]:
        where_en, where_fr = " in La Réunion, an overseas region", " implanté à La Réunion"
    elif len(regions) == 1:
        where_en, where_fr = f" in the {regions[0]} region", f" implanté dans la région {regions[0]}"
    elif regions:
        where_en = f" in the {join_en(regions)} regions"
        where_fr = f" implanté dans les régions {join_fr(regions)}"
    else:
        where_en = where_fr = ""
    sep = "," if regions else ""
    what_en = f"{sep} whose theme is “{specialty_en}”" if specialty_en else ""
    what_fr = f"{sep} dont la thématique est « {theme_fr} »" if theme_fr else ""
    s1_en = f"{name} is a French competitiveness cluster (pôle de compétitivité){where_en}{what_en}."
    s1_fr = f"{name} est un pôle de compétitivité{where_fr}{what_fr}."

    # Sentence 2: label, de-labelling, press-kit status.
    parts_en, parts_fr = [], []
    if tier and date:
        parts_en.append(f"It was labelled {TIER_EN[tier]} on {date_en(date)}")
        parts_fr.append(f"Il a été labellisé {TIER_FR[tier]} le {date_fr(date)}")
    elif date:
        parts_en.append(f"It was labelled on {date_en(date)}")
        parts_fr.append(f"Il a été labellisé le {date_fr(date)}")
    elif tier:
        parts_en.append(f"It was labelled {TIER_EN[tier]} (date not documented)")
        parts_fr.append(f"Il a été labellisé {TIER_FR[tier]} (date non documentée)")
    else:
        parts_en.append("Its labelling date is not documented in the sources")
        parts_fr.append("Sa date de labellisation n'est pas documentée dans les sources")
    if delabelled:
        parts_en.append(f"lost its label on {date_en(DELABEL_DATE)}")
        parts_fr.append(f"a perdu son label le {date_fr(DELABEL_DATE)}")
    if leading:
        parts_en.append("is one of the 16 leading clusters named in the Invest in France Agency's 2007 press kit")
        parts_fr.append("figure parmi les 16 pôles phares cités dans le dossier de presse 2007 de l'Agence "
                        "française pour les investissements internationaux")
    if parts_en[0].startswith("It "):
        # One subject: "It was labelled ..., lost its label ... and is one of ..."
        s2_en, s2_fr = join_en(parts_en) + ".", join_fr(parts_fr) + "."
    elif len(parts_en) == 1:
        s2_en, s2_fr = parts_en[0] + ".", parts_fr[0] + "."
    else:
        # "Its labelling date is not documented" cannot take a following verb: add a subject.
        s2_en = parts_en[0] + "; it " + join_en(parts_en[1:]) + "."
        s2_fr = parts_fr[0] + " ; il " + join_fr(parts_fr[1:]) + "."
    return s1_en + " " + s2_en, s1_fr + " " + s2_fr


def split_sources(s):
    return [u.strip() for u in s.split(" ; ") if u.strip()]


def build():
    overlay = json.loads(OVERLAY_PATH.read_text(encoding="utf-8"))
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))

    curated = overlay["clusters"]
    theme_en = overlay["theme_en"]
    errors = []
    clusters = []
    for row in rows:
        key = row["name"]
        if key not in curated:
            errors.append(f"CSV row {key!r} has no entry in overlay.json 'clusters'")
            continue
        o = curated[key]
        regions = [r.strip() for r in row["region_2007"].split(";") if r.strip()]
        theme_fr = row["theme"].strip() or None
        if theme_fr and theme_fr not in theme_en:
            errors.append(f"theme {theme_fr!r} has no English rendering in overlay.json 'theme_en'")
        specialty_en = o["specialty_en"] if o["leading"] else (theme_en.get(theme_fr) if theme_fr else None)
        tier = row["tier_2005"].strip() or None
        if tier is not None and tier not in TIERS:
            errors.append(f"{key}: unknown tier {tier!r}")
        date = row["labelled"].strip() or None
        delabelled = row["delabelled_2010"].strip() == "yes"
        source_field = row["source_url"].strip()

        label_notes = []
        if o.get("label_note"):
            label_notes.append(o["label_note"])
        if date is None:
            label_notes.append("No labelling date found; included because a source from before May 2010 calls "
                               "it a pôle (NOTES.md).")
        labels = [{
            "tier": tier, "decision_date": date, "status": "labelled", "valid_from": date,
            "valid_until": None, "legal_act": None,
            "note": " ".join(label_notes) or None, "source": source_field,
        }]
        if delabelled:
            labels.append({
                "tier": None, "decision_date": DELABEL_DATE, "status": "delabelled", "valid_from": DELABEL_DATE,
                "valid_until": None, "legal_act": None,
                "note": "One of the 6 pôles that lost their label on 11 May 2010 (programme-rules §1).",
                "source": source_field + " ; " + RULES_1,
            })

        sectors = o["sectors"]
        if o["leading"]:
            basis = "press_kit"
        else:
            basis = "theme" if sectors else None
        desc_en, desc_fr = describe(o["name"], regions, theme_fr, specialty_en, tier, date, delabelled,
                                    o["leading"])
        clusters.append({
            "slug": o["slug"],
            "name": o["name"],
            "official_name": (row["official_name"].strip() or None) or o.get("official_name"),
            "aliases": o["aliases"],
            "regions_2007": regions,
            "sectors": sectors,
            "sector_basis": basis,
            "theme_fr": theme_fr,
            "specialty_en": specialty_en,
            "leading": o["leading"],
            "description_en": o.get("description_en") or desc_en,
            "description_fr": o.get("description_fr") or desc_fr,
            "website": None,
            "labels": labels,
            "sources": split_sources(source_field) + o.get("extra_sources", []),
            "note": o.get("note"),
        })
    unused = set(curated) - {r["name"] for r in rows}
    for k in sorted(unused):
        errors.append(f"overlay.json 'clusters' entry {k!r} matches no CSV row")

    clusters.extend(overlay["extra_clusters"])

    programme = {
        "sectors": overlay["sectors"],
        "clusters": clusters,
        "organisations": overlay["organisations"],
        "memberships": overlay["memberships"],
        "foreign_clusters": overlay["foreign_clusters"],
        "partnerships": overlay["partnerships"],
        "figures": overlay["figures"],
        "events": overlay["events"],
        "news": overlay["news"],
        "surveys": overlay["surveys"],
        "label_criteria": overlay["label_criteria"],
        "success_factors": overlay["success_factors"],
        "benefits": overlay["benefits"],
    }
    errors += validate(programme, len(rows))
    return programme, errors


def validate(p, csv_rows):
    errs = []
    sector_codes = [s["code"] for s in p["sectors"]]
    if len(set(sector_codes)) != len(sector_codes):
        errs.append("duplicate sector codes")
    pk = [s["code"] for s in p["sectors"] if s["press_kit"]]
    if sorted(pk) != sorted(["ict", "transport", "health", "agro", "chemicals"]):
        errs.append(f"press-kit sectors are {pk}")
    if len(sector_codes) - len(pk) > 6:
        errs.append("more than 6 extra sectors")

    slugs = [c["slug"] for c in p["clusters"]]
    dup = {s for s in slugs if slugs.count(s) > 1}
    if dup:
        errs.append(f"duplicate cluster slugs: {sorted(dup)}")
    cluster_keys = [
        "slug", "name", "official_name", "aliases", "regions_2007", "sectors", "sector_basis", "theme_fr",
        "specialty_en", "leading", "description_en", "description_fr", "website", "labels", "sources", "note"]
    for c in p["clusters"]:
        if list(c) != cluster_keys:
            errs.append(f"{c.get('slug')}: keys {list(c)}")
        if not SLUG_RE.match(c["slug"]):
            errs.append(f"bad slug {c['slug']!r}")
        if not c["sources"]:
            errs.append(f"{c['slug']}: no source")
        for r in c["regions_2007"]:
            if r not in REGIONS_2007:
                errs.append(f"{c['slug']}: unknown region {r!r}")
        for s in c["sectors"]:
            if s not in sector_codes:
                errs.append(f"{c['slug']}: unknown sector {s!r}")
        if c["sector_basis"] not in ("press_kit", "theme", None):
            errs.append(f"{c['slug']}: bad sector_basis")
        for lab in c["labels"]:
            if lab["tier"] not in TIERS | {None} or lab["status"] not in ("labelled", "delabelled"):
                errs.append(f"{c['slug']}: bad label {lab}")
    if sum(c["leading"] for c in p["clusters"]) != 16:
        errs.append(f"{sum(c['leading'] for c in p['clusters'])} leading clusters, expected 16")

    org_keys = [o["key"] for o in p["organisations"]]
    if len(set(org_keys)) != len(org_keys):
        errs.append("duplicate organisation keys")
    foreign = [f["slug"] for f in p["foreign_clusters"]]
    if len(set(foreign)) != len(foreign):
        errs.append("duplicate foreign cluster slugs")
    slugset, orgset, foreignset = set(slugs), set(org_keys), set(foreign)
    for m in p["memberships"]:
        if m["cluster"] not in slugset:
            errs.append(f"membership: unknown cluster {m['cluster']}")
        if m["organisation"] not in orgset:
            errs.append(f"membership: unknown organisation {m['organisation']}")
        if m["role"] not in ("member", "partner", "founding_member"):
            errs.append(f"membership: bad role {m['role']}")

    def ref_ok(r):
        return r[len("foreign:"):] in foreignset if r.startswith("foreign:") else r in slugset
    for pa in p["partnerships"]:
        for side in ("a", "b"):
            if not ref_ok(pa[side]):
                errs.append(f"partnership: unknown {side} {pa[side]}")
    for n in p["news"]:
        if n["cluster"] is not None and n["cluster"] not in slugset:
            errs.append(f"news: unknown cluster {n['cluster']}")
    for fg in p["figures"]:
        if fg["currency"] not in ("USD", "EUR") or fg["certainty"] not in ("K", "C", "U") \
                or fg["per"] not in ("year", "period"):
            errs.append(f"figure {fg['key']}: bad enum")
    if len(p["clusters"]) < csv_rows:
        errs.append("fewer clusters than CSV rows")
    return errs


def main():
    programme, errors = build()
    if errors:
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        sys.exit(1)
    OUT_PATH.write_text(json.dumps(programme, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    cl = programme["clusters"]
    print(f"wrote {OUT_PATH}")
    for k in programme:
        print(f"  {k}: {len(programme[k])}")
    print(f"  clusters from CSV: {sum(1 for c in cl if c['sources'] and c['sources'][0].startswith('http'))}, "
          f"leading: {sum(c['leading'] for c in cl)}, "
          f"delabelled 2010: {sum(any(l['status'] == 'delabelled' for l in c['labels']) for c in cl)}")


if __name__ == "__main__":
    main()
