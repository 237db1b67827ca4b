#!/usr/bin/env python3
"""Builds toxicity.tsv (word, category, severity 1-3) from the three upstream word lists.

Usage: build_lexicon.py SAFETY_DEV_LEXICON_DIR > toxicity.tsv
Surge AI rows keep their category and severity (Mild=1, Strong=2, Severe=3); words only in
LDNOOBW or better-profanity get category `profanity` and severity 2. Entries that are not plain
lower-case words (after removing spaces) are dropped: leetspeak spellings are normalised at
match time instead.
"""
import csv
import re
import sys

SEV = {"Mild": 1, "Strong": 2, "Severe": 3}
PLAIN = re.compile(r"^[a-z][a-z' -]*[a-z]$")


def main(src):
    out = {}
    with open(f"{src}/surge_ai_profanity_en.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            w = row["text"].strip().lower()
            if PLAIN.match(w):
                cat = row["category_1"].strip().replace(" / ", "/").replace(" ", "_")
                out[w] = (cat, SEV.get(row["severity_description"].strip(), 2))
    for name in ("ldnoobw_en.txt", "better_profanity_wordlist.txt"):
        with open(f"{src}/{name}", encoding="utf-8") as f:
            for line in f:
                w = line.strip().lower()
                if PLAIN.match(w) and w not in out:
                    out[w] = ("profanity", 2)
    print("# word\tcategory\tseverity (1 mild, 2 strong, 3 severe); see README.md for sources")
    for w in sorted(out):
        print(f"{w}\t{out[w][0]}\t{out[w][1]}")


if __name__ == "__main__":
    main(sys.argv[1])
