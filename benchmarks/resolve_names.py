"""Benchmark place resolution: N distinct misspelled names against the full gazetteer.

    python benchmarks/resolve_names.py [--names 10000] [--seed 7]

Names are drawn from the real Myanmar reference data (towns, townships, village tracts, wards)
and misspelt the way event lists misspell them: romanisation swaps (hp/ph, ky/gy, aw/o …),
dropped or doubled letters, spaces removed or added, "Town"/"Township" added, qualifiers such as
"(reported)" or "outskirts of". Half the names carry their township as a hint. Prints the time,
peak memory and how the names were resolved (right place, other place, ambiguous, not found).
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import pandas as pd

import impact
from impact.resolve import resolve_places

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
    "near {}",
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


def make_names(reference, n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    places = reference.places[
        reference.places["level"].isin(["town", "township", "village_tract", "ward"])
    ]
    rows, seen = [], set()
    pool = places.sample(n * 3, random_state=seed, replace=True)
    for place in pool.itertuples():
        name = misspell(place.name, rng)
        hint = place.township_pcode if rng.random() < 0.5 else None
        township = None if hint is None else reference.places.at[hint, "name"]
        if (name, township) in seen:
            continue
        seen.add((name, township))
        rows.append(
            {
                "place": name,
                "township": township,
                "district": None,
                "region": None,
                "truth": place.pcode,
            }
        )
        if len(rows) == n:
            break
    frame = pd.DataFrame(rows)
    frame["event_id"] = [f"b{i}" for i in range(len(frame))]
    frame["source_file"] = "benchmark"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    reference = impact.load_reference()
    names = make_names(reference, args.names, args.seed)
    started = time.perf_counter()
    _ = reference.gazetteer  # build the index before timing resolution
    built = time.perf_counter()
    result = resolve_places(names, reference)
    done = time.perf_counter()
    resolved = result.resolved.set_index("event_id")["pcode"]
    truth = names.set_index("event_id")["truth"].reindex(resolved.index)
    # A town found for its township (or the reverse) is the documented preference, not an error.
    area = resolved.map(reference.places["area_pcode"])
    seat = truth.map(reference.places["area_pcode"])
    right = ((resolved == truth) | (area == truth) | (seat == resolved)).sum()
    reasons = result.rejected["reason"].value_counts()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"names: {len(names):,} distinct (seed {args.seed}), half with a township hint")
    print(
        f"gazetteer build: {built - started:.2f} s; resolution: {done - built:.2f} s "
        f"({len(names) / (done - built):,.0f} names/s); peak memory {peak_mb:,.0f} MB"
    )
    print(
        f"right place (or its seat town / area): {right:,} ({right / len(names):.1%}); "
        f"other place: "
        f"{len(resolved) - right:,} ({(len(resolved) - right) / len(names):.1%}); "
        f"ambiguous: {reasons.get('place_ambiguous', 0):,}; "
        f"not found: {reasons.get('place_not_found', 0):,}"
    )
    methods = result.resolved["match_method"].value_counts().to_dict()
    print(f"methods: {methods}")


if __name__ == "__main__":
    main()
