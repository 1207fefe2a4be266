"""Benchmark place resolution on a realistic mix of event rows against the full reference.

    python benchmarks/resolve_names.py [--rows 10000] [--seed 7]

Rows are drawn from the real Myanmar reference data and written the way event sheets write
them: towns, townships, village tracts and villages; misspelt by romanisation swaps, dropped or
doubled letters and spacing; half with a township hint; a quarter with coordinates (the place's
own point moved by up to ~500 m, as ACLED's are); some with a note in brackets, a facility
"near" the place, or no usable name at all but a point. Prints the package load time,
resolution time, and how rows were resolved: right unit, wrong unit (silently), ambiguous,
not found.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import pandas as pd

import impact
from impact.resolve import resolve_places
from impact.schemas import Event

SWAPS = [
    ("hp", "ph"),
    ("ph", "hp"),
    ("ky", "gy"),
    ("gy", "ky"),
    ("aw", "o"),
    ("ay", "e"),
    ("ar", "a"),
    ("oo", "u"),
    ("ou", "au"),
    ("th", "ht"),
    ("kh", "hk"),
]
QUALIFIERS = [
    "{} (reported)",
    "outskirts of {}",
    "{} outskirts",
    "{} Town",
    "{} Township",
]


def misspell(name: str, rng: random.Random) -> str:
    """One realistic misspelling of `name`."""
    text = name.replace(" Town", "").replace(" Ward", "")
    for _ in range(rng.choice([1, 1, 2])):
        kind = rng.random()
        if kind < 0.45:
            pairs = [(a, b) for a, b in SWAPS if a in text.lower()]
            if pairs:
                a, b = rng.choice(pairs)
                i = text.lower().index(a)
                text = text[:i] + b + text[i + len(a) :]
                continue
        if kind < 0.65 and " " in text:
            text = text.replace(" ", "", 1)
        elif kind < 0.8 and len(text) > 6:
            i = rng.randrange(1, len(text) - 1)
            text = text[:i] + text[i + 1 :]
        elif len(text) > 3:
            i = rng.randrange(1, len(text) - 1)
            text = text[:i] + text[i] + text[i:]
    if rng.random() < 0.15:
        text = rng.choice(QUALIFIERS).format(text)
    return text


NOTES = ["{} (reported)", "{} (town centre)", "{} airport, {}", "IB-12 HQ, {}"]


def make_rows(reference, n: int, seed: int) -> pd.DataFrame:
    """`n` event rows with the unit each should resolve to (`truth`) and how it was written."""
    rng = random.Random(seed)
    places = reference.places
    located = places[places["level"].isin(["town", "township", "village_tract"])]
    villages = reference.villages.dropna(subset=["lat", "lon"])
    villages = villages[villages["village_tract_pcode"].isin(places.index)]
    rows = []
    for index in range(n):
        kind = rng.choices(
            ["town", "township", "village_tract", "village", "point"], weights=[40, 15, 20, 20, 5]
        )[0]
        if kind == "village":
            village = villages.iloc[rng.randrange(len(villages))]
            row = _village_row(village, rng)
        elif kind == "point":
            town = _random(located[located["level"] == "town"].dropna(subset=["lat"]), rng)
            row = {
                "place": rng.choice(["unknown", "-", "n/a"]),
                "truth": town.name,
                "township": None,
                **_point(town["lat"], town["lon"], rng, 0.001),
            }
        else:
            place = _random(located[located["level"] == kind], rng)
            row = _place_row(place, reference, rng)
        row.update(kind=kind, event_id=f"b{index}")
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["district"] = None
    frame["region"] = None
    frame["date"] = pd.Timestamp("2024-01-15")
    frame["change"] = "captured"
    frame["source_file"] = "benchmark"
    frame["source_row"] = range(2, len(frame) + 2)
    for column in Event.to_schema().columns:
        if column not in frame:
            frame[column] = pd.NA
    return frame


def _random(frame: pd.DataFrame, rng: random.Random) -> pd.Series:
    return frame.iloc[rng.randrange(len(frame))]


def _point(lat: float, lon: float, rng: random.Random, spread: float = 0.005) -> dict:
    return {
        "latitude": lat + rng.uniform(-spread, spread),
        "longitude": lon + rng.uniform(-spread, spread),
    }


def _place_row(place: pd.Series, reference, rng: random.Random) -> dict:
    name = misspell(place["name"], rng) if rng.random() < 0.5 else place["name"]
    truth = place.name
    if place["level"] == "town" and rng.random() < 0.15:
        name = rng.choice(NOTES).format(name, name)
    elif place["level"] == "town" and rng.random() < 0.05:
        name = f"army base near {name}"
        truth = place["area_pcode"] if pd.notna(place["area_pcode"]) else place["township_pcode"]
    hint = place["township_pcode"] if rng.random() < 0.5 else None
    row = {
        "place": name,
        "truth": truth,
        "township": None if hint is None else reference.places.at[hint, "name"],
    }
    if rng.random() < 0.25 and pd.notna(place["lat"]):
        row.update(_point(place["lat"], place["lon"], rng))
    return row


def _village_row(village: pd.Series, rng: random.Random) -> dict:
    row = {"place": village["name"], "truth": village["village_tract_pcode"], "township": None}
    if rng.random() < 0.5:
        row.update(_point(village["lat"], village["lon"], rng, 0.002))
    else:
        row["township"] = village["township_pcode"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    reference = impact.load_reference()
    loaded = time.perf_counter()
    rows = make_rows(reference, args.rows, args.seed)
    begin = time.perf_counter()
    result = resolve_places(rows, reference)
    done = time.perf_counter()
    again = time.perf_counter()
    resolve_places(rows, reference)
    warm = time.perf_counter() - again
    resolved = result.resolved.set_index("event_id")["pcode"]
    truth = rows.set_index("event_id")["truth"]
    places = reference.places
    got = resolved.reindex(truth.index)
    # A town found for its township (or the reverse) is the documented preference.
    right = (
        (got == truth)
        | (got.map(places["area_pcode"]) == truth)
        | (truth.map(places["area_pcode"]) == got)
    )
    matched = got.notna()
    reasons = result.rejected["reason"].value_counts()
    kinds = rows.set_index("event_id")["kind"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(rows)
    print(f"rows: {n:,} (seed {args.seed}), unique keys: {len(result.audit):,}")
    print(
        f"package load: {loaded - started:.2f} s; resolution (first, builds the name index, "
        f"villages and outlines): {done - begin:.1f} s; again: {warm:.1f} s; "
        f"peak memory {peak_mb:,.0f} MB"
    )
    wrong = matched & ~right
    print(
        f"right unit: {right.sum():,} ({right.sum() / n:.1%}); wrong unit: {wrong.sum():,} "
        f"({wrong.sum() / n:.1%}); ambiguous: {reasons.get('place_ambiguous', 0):,}; "
        f"not found: {reasons.get('place_not_found', 0):,}"
    )
    table = pd.DataFrame({"kind": kinds, "right": right, "wrong": wrong, "rejected": ~matched})
    print(table.groupby("kind").agg(["sum"]).droplevel(1, axis=1).to_string())
    confidence = result.resolved.loc[result.resolved["event_id"].isin(wrong[wrong].index)]
    print("confidence of wrong rows:", confidence["match_confidence"].value_counts().to_dict())
    print("methods:", result.resolved["match_method"].value_counts().to_dict())


if __name__ == "__main__":
    main()
