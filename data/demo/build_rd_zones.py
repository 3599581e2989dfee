"""Builds data/demo/rd_zones.csv: an ILLUSTRATIVE R&D zone per leading pôle.

The decrees that set each pôle's R&D zone (lists of communes) are not in the shipped
sources. These lists take the pôle's home city (from the press kit and programme-rules.md
§1) and a few neighbouring communes, so that the zone lookup and the simulator can be
tried; they are marked illustrative everywhere they appear.
"""
import csv, gzip, json, pathlib

HERE = pathlib.Path(__file__).parent
ZONES = {
    "minalogic": [("Grenoble", "38"), ("Meylan", "38"), ("Crolles", "38"), ("Saint-Martin-d'Hères", "38"), ("Montbonnot-Saint-Martin", "38")],
    "solutions-communicantes-securisees": [("Valbonne", "06"), ("Sophia Antipolis", "06"), ("Biot", "06"), ("Rousset", "13"), ("Marseille", "13")],
    "systematic-paris-region": [("Saclay", "91"), ("Palaiseau", "91"), ("Orsay", "91"), ("Gif-sur-Yvette", "91"), ("Massy", "91")],
    "cap-digital": [("Paris", "75"), ("Saint-Denis", "93"), ("Montreuil", "93"), ("Issy-les-Moulineaux", "92")],
    "images-et-reseaux": [("Rennes", "35"), ("Cesson-Sévigné", "35"), ("Lannion", "22"), ("Brest", "29")],
    "aerospace-valley": [("Toulouse", "31"), ("Blagnac", "31"), ("Colomiers", "31"), ("Bordeaux", "33"), ("Mérignac", "33")],
    "i-trans": [("Valenciennes", "59"), ("Lille", "59"), ("Villeneuve-d'Ascq", "59"), ("Douai", "59")],
    "moveo": [("Guyancourt", "78"), ("Vélizy-Villacoublay", "78"), ("Rouen", "76"), ("Le Havre", "76")],
    "pole-mer-bretagne": [("Brest", "29"), ("Lorient", "56"), ("Plouzané", "29")],
    "pole-mer-paca": [("Toulon", "83"), ("La Seyne-sur-Mer", "83"), ("Ollioules", "83")],
    "medicen-paris-region": [("Paris", "75"), ("Villejuif", "94"), ("Évry-Courcouronnes", "91")],
    "lyonbiopole": [("Lyon", "69"), ("Marcy-l'Étoile", "69"), ("Villeurbanne", "69")],
    "alsace-biovalley": [("Strasbourg", "67"), ("Illkirch-Graffenstaden", "67"), ("Mulhouse", "68")],
    "industries-agro-ressources": [("Reims", "51"), ("Compiègne", "60"), ("Amiens", "80")],
    "vegepolys": [("Angers", "49"), ("Beaucouzé", "49"), ("Saumur", "49")],
    "axelera": [("Lyon", "69"), ("Solaize", "69"), ("Saint-Fons", "69"), ("Feyzin", "69")],
    "cancer-bio-sante": [("Toulouse", "31"), ("Labège", "31")],
    "photonique": [("Marseille", "13"), ("Aix-en-Provence", "13")],
}
SOURCE = "illustrative: the pôle's home city and neighbours, not the decree's list (not in the shipped sources)"

communes = json.load(gzip.open(HERE.parent / "geo" / "communes.json.gz"))
by_name = {}
for c in communes:
    if c.get("type") == "commune-actuelle":
        by_name.setdefault((c["nom"], c["departement"]), c["code"])
rows = []
for slug, names in ZONES.items():
    for name, dep in names:
        code = by_name.get((name, dep))
        if code is None:
            print(f"skipped {name} ({dep}): not a current commune")
            continue
        rows.append((slug, code, name))
with open(HERE / "rd_zones.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["cluster", "commune", "name", "illustrative", "source"])
    for slug, code, name in rows:
        w.writerow([slug, code, name, 1, SOURCE])
print(len(rows), "rows")
