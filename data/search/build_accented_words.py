#!/usr/bin/env python3
"""Writes accented-words.txt.gz: the distinct words with a letter beyond ASCII found in the
French texts Pôles already ships (the NAF rév. 2 labels, the names of the communes, the
search vocabulary), lower-cased and sorted. The CORDIS import mends a word whose letters the
source lost (U+FFFD) when exactly one known word fits it ("Nucl\ufffdaire" → "Nucléaire").

    python3 data/search/build_accented_words.py
"""
import gzip
import json
import os
import re

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.dirname(here)
texts = []
naf = json.load(gzip.open(os.path.join(data, "naf", "naf-rev2-codes.json.gz"), "rt", encoding="utf-8"))
texts.append(json.dumps(naf, ensure_ascii=False))
communes = json.load(gzip.open(os.path.join(data, "geo", "communes.json.gz"), "rt", encoding="utf-8"))
texts.append(" ".join(c["nom"] for c in communes))
texts.append(open(os.path.join(here, "vocabulary.csv"), encoding="utf-8").read())
words = set()
for t in texts:
    for w in re.findall(r"\w+", t):
        if not w.isascii() and not any(ch.isdigit() for ch in w):
            words.add(w.lower())
out = os.path.join(here, "accented-words.txt.gz")
with gzip.GzipFile(out, "wb", mtime=0) as f:
    f.write(("\n".join(sorted(words)) + "\n").encode("utf-8"))
print(f"{len(words)} words -> {out}")
