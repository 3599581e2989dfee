#!/usr/bin/env python3
"""One-off curation of the phase V research table into the shipped `phase5.csv`.

    python3 data/programme/curate_phase5.py research/poles_phase5_v2.csv research/renamings.csv \
        [research/websites_v3.csv]

The research table (compiled by hand from public pages: the ministry's list as reprinted by
the press of 27-28 March 2023, regional trade press, the pôles' own pages) gives each phase V
pôle's status, regions, head office, website, published size and sources. This script adds
the registry slug (an existing 2005-2007 record when the pôle is the same or renamed, a new
one otherwise), the qualifier of approximate counts ("about", "more than") read from the
sources' wording, and writes the successions (renamings and mergers) whose both ends are in
the registry. Unknown stays empty; nothing is guessed here.
"""
import csv, re, sys, unicodedata
from pathlib import Path

here = Path(__file__).parent

# Phase V name → registry slug. Existing slugs are 2005-2007 records (same pôle, or renamed:
# see RENAMED); the others are new records.
SLUGS = {
    "Aerospace Valley": "aerospace-valley",
    "Agri Sud-Ouest Innovation": "agri-sud-ouest-innovation",
    "ALPHA-RLH": "alpha-rlh",
    "Aquimer": "aquimer",
    "Atlanpole Biotherapies": "atlanpole-biotherapies",
    "Axelera": "axelera",
    "Bioeconomy For Change (B4C)": "industries-agro-ressources",
    "BioValley France": "alsace-biovalley",
    "Cap Digital": "cap-digital",
    "Capénergies": "capenergies",
    "CARA": "lyon-urban-truck-bus",
    "CIMES": "cimes",
    "Clubster NSL": "clubster-nsl",
    "Cosmetic Valley": "cosmetic-valley",
    "EMC2": "emc2",
    "Eurobiomed": "eurobiomed",
    "Finance Innovation": "finance-innovation",
    "Hippolia": "filiere-equine",
    "iD4CAR (ID4Mobility)": "automobile-haut-de-gamme",
    "Images & Réseaux": "images-et-reseaux",
    "Innov'Alliance": "innov-alliance",
    "i-Trans": "i-trans",
    "Lyonbiopôle Auvergne-Rhône-Alpes": "lyonbiopole",
    "Medicen Paris Region": "medicen-paris-region",
    "Minalogic": "minalogic",
    "NextMove": "moveo",
    "Nuclear Valley": "nuclear-valley",
    "Optitec": "optitec",
    "PMT (Pôle des Microtechniques)": "pole-des-microtechniques",
    "Pôle Avenia": "avenia",
    "Pôle européen de la céramique": "ceramique",
    "Pôle Mer Bretagne Atlantique": "pole-mer-bretagne",
    "Pôle Mer Méditerranée": "pole-mer-paca",
    "Pôle Véhicule du Futur": "vehicule-du-futur",
    "Polymeris": "polymeris",
    "Qualitropic": "qualitropic",
    "S2E2": "s2e2",
    "Safe Cluster": "safe-cluster",
    "SCS (Solutions Communicantes Sécurisées)": "solutions-communicantes-securisees",
    "Systematic Paris-Region": "systematic-paris-region",
    "TES": "tes",
    "Techtera": "techtera",
    "Tenerrdis": "tenerrdis",
    "Valorial": "valorial",
    "Vegepolys Valley": "vegepolys-valley",
    "Vitagora": "vitagora",
    "Xylofutur": "xylofutur",
    "Derbi": "derbi",
    "Materalia": "materalia",
    "ASTech Paris Région": "astech",
    "Fibres-Energivie": "fibres-energivie",
    "EuraMaterials": "euramaterials",
    "Team²": "team2",
    "ENTER": "enter",
    "Infr@2050 (Infra2050)": "infra2050",
}

# The name a record takes today, where the research row's name carries a gloss.
NAMES = {
    "Bioeconomy For Change (B4C)": "Bioeconomy For Change (B4C)",
    "iD4CAR (ID4Mobility)": "ID4Mobility",
    "PMT (Pôle des Microtechniques)": "PMT Bourgogne-Franche-Comté",
    "SCS (Solutions Communicantes Sécurisées)": "SCS – Solutions Communicantes Sécurisées",
    "Infr@2050 (Infra2050)": "Infr@2050",
}

# Approximate counts, from the sources' wording ("près de", "environ", "quelque" → about;
# "plus de", "N+" → more than).
MEMBERS_Q = {
    "Axelera": "about", "Bioeconomy For Change (B4C)": "about", "Cap Digital": "about",
    "CIMES": "more_than", "Images & Réseaux": "about", "Innov'Alliance": "more_than",
    "Medicen Paris Region": "more_than", "Minalogic": "more_than", "Nuclear Valley": "about",
    "Pôle Avenia": "more_than", "Qualitropic": "about", "Systematic Paris-Region": "more_than",
    "Fibres-Energivie": "more_than",
}
PROJECTS_Q = {
    "Aquimer": "about", "Capénergies": "more_than", "EMC2": "more_than",
    "i-Trans": "more_than", "NextMove": "more_than", "Safe Cluster": "more_than",
    "SCS (Solutions Communicantes Sécurisées)": "about", "Vegepolys Valley": "more_than",
}

# Successions between registry records (2005-2007 name → today's record). A rename keeps the
# record (RENAMED: the slug above is the old record); a merger links the absorbed record to
# the one that absorbed it.
OLD_SLUGS = {
    "Pôle Mer PACA": "pole-mer-paca", "Image Multimédia Vie Numérique (IMVN)": None,
    "Advancity": "advancity", "PICOM": "picom",
    "Industries et Agro-Ressources (IAR)": "industries-agro-ressources",
    "Alsace BioValley": "alsace-biovalley", "Lyon Urban Truck & Bus (LUTB)": "lyon-urban-truck-bus",
    "ViaMéca": "viameca", "Nutrition Santé Longévité (NSL)": "nutrition-sante-longevite",
    "Cancer-Bio-Santé": "cancer-bio-sante", "Filière équine": "filiere-equine",
    "Pôle européen d'innovation fruits et légumes (PEIFL)": "peifl", "Mov'eo": "moveo",
    "Optitec": "optitec", "Pôle des microtechniques": "pole-des-microtechniques",
    "Plastipolis": "plastipolis", "Elastopôle": "elastopole", "Pégase": "pegase",
    "Végépolys": "vegepolys", "Céréales Vallée": "cereales-vallee", "MIPI": "mipi",
    "Fibres Grand Est": "fibres-grand-est", "UP-TEX": "up-tex", "MAUD (Matikem)": "maud",
    "Elopsys": "elopsys", "Q@limed": "qalimed", "Imaginove": "imaginove",
    "Automobile haut de gamme": "automobile-haut-de-gamme",
}
NEW_SLUGS = {
    "Pôle Mer Méditerranée": "pole-mer-paca", "Cap Digital": "cap-digital",
    "Bioeconomy For Change (B4C)": "industries-agro-ressources",
    "BioValley France": "alsace-biovalley", "CARA": "lyon-urban-truck-bus", "CIMES": "cimes",
    "Clubster NSL": "clubster-nsl", "Eurobiomed": "eurobiomed", "Hippolia": "filiere-equine",
    "Terralia (later Innov'Alliance)": "innov-alliance", "NextMove": "moveo",
    "SCS (Solutions Communicantes Sécurisées)": "solutions-communicantes-securisees",
    "PMT Bourgogne-Franche-Comté": "pole-des-microtechniques", "Polymeris": "polymeris",
    "Safe Cluster": "safe-cluster", "Vegepolys Valley": "vegepolys-valley",
    "Materalia": "materalia", "Fibres-Energivie": "fibres-energivie",
    "EuraMaterials": "euramaterials", "ALPHA-RLH": "alpha-rlh",
    "Agri Sud-Ouest Innovation": "agri-sud-ouest-innovation", "Minalogic": "minalogic",
    "iD4CAR": "automobile-haut-de-gamme",
}

# Sectors of the records that phase V brings (the 2005-2007 records keep theirs), classified
# from the theme the research gives, as the earlier pôles' sectors were (basis "theme").
SECTORS = {
    "agri-sud-ouest-innovation": "agro", "alpha-rlh": "ict", "capenergies": "energy",
    "cimes": "manufacturing", "clubster-nsl": "health;agro", "eurobiomed": "health",
    "innov-alliance": "agro;consumer", "nuclear-valley": "energy", "avenia": "energy",
    "polymeris": "materials", "safe-cluster": "transport", "vegepolys-valley": "agro",
    "derbi": "energy;environment", "materalia": "materials", "fibres-energivie": "materials;environment",
    "euramaterials": "materials;chemicals", "team2": "environment", "enter": "ict",
    "infra2050": "environment;transport",
}

COLUMNS = [
    "slug", "sectors", "name", "status_2023", "regions", "head_office_insee", "head_office_city",
    "website", "website_source_url", "contact", "contact_source_url", "theme_fr", "theme_en",
    "members", "members_qualifier", "members_as_of", "members_source_title",
    "members_source_publisher", "members_source_url", "projects_labelled",
    "projects_qualifier", "listing_source_title", "listing_source_publisher",
    "listing_source_date", "listing_source_url", "research_note",
]


# Names of the later website research that differ from the table's.
WEBSITE_NAMES = {"PMT Pôle des Microtechniques": "PMT (Pôle des Microtechniques)"}


def main(table, renamings, websites=None):
    rows = list(csv.DictReader(open(table, encoding="utf-8")))
    assert len(rows) == 55, len(rows)
    # A later pass found more websites, each on a cited page: they fill empty cells only.
    if websites:
        found = {WEBSITE_NAMES.get(w["name"], w["name"]): w
                 for w in csv.DictReader(open(websites, encoding="utf-8"))}
        for r in rows:
            w = found.pop(r["name"], None)
            if w and not r["website"].strip():
                r["website"], r["website_source_url"] = w["website"], w["source_url"]
        assert not found, f"websites of unknown pôles: {list(found)}"
    out = []
    for r in rows:
        n = r["name"]
        # A project count that comes with a members count of a source is still its own figure;
        # it is kept only where the research says "labelled".
        out.append({
            "slug": SLUGS[n],
            "sectors": SECTORS.get(SLUGS[n], ""),
            "name": NAMES.get(n, n),
            "status_2023": r["status_2023"],
            "regions": r["regions"],
            "head_office_insee": r["head_office_insee"],
            "head_office_city": r["head_office_city"],
            "website": r["website"],
            "website_source_url": r["website_source_url"],
            "contact": r["contact"],
            "contact_source_url": r["contact_source_url"],
            "theme_fr": r["sector_fr"],
            "theme_en": r["sector_en"],
            "members": r["members"].strip(),
            "members_qualifier": MEMBERS_Q.get(n, "") if r["members"].strip() else "",
            "members_as_of": r["members_as_of"],
            "members_source_title": r["members_source_title"],
            "members_source_publisher": r["members_source_publisher"],
            "members_source_url": r["members_source_url"],
            "projects_labelled": r["projects_labelled"].strip(),
            "projects_qualifier": PROJECTS_Q.get(n, "") if r["projects_labelled"].strip() else "",
            "listing_source_title": r["source_title"],
            "listing_source_publisher": r["source_publisher"],
            "listing_source_date": r["source_date"],
            "listing_source_url": r["source_url"],
            "research_note": r["notes"],
        })
    with open(here / "phase5.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    succ = []
    for r in csv.DictReader(open(renamings, encoding="utf-8")):
        old, new = OLD_SLUGS.get(r["old_name"]), NEW_SLUGS.get(r["new_name"])
        if not old or not new or old == new:
            continue
        succ.append({
            "from_slug": old, "to_slug": new, "kind": r["kind"], "date": r["date"],
            "source_title": r["source_title"], "source_url": r["source_url"],
        })
    with open(here / "successions.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, ["from_slug", "to_slug", "kind", "date", "source_title", "source_url"], lineterminator="\n")
        w.writeheader()
        w.writerows(succ)
    print(f"{len(out)} pôles, {len(succ)} successions between registry records")


if __name__ == "__main__":
    main(*sys.argv[1:4])
