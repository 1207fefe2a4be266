"""Benchmark points: township_of and nearest_places on random and realistic point sets.

    python benchmarks/geography.py [--points 1000000] [--seed 5]

Two sets of the given size: points drawn uniformly over Myanmar's bounding box (almost all
distinct, the worst case: a third fall outside the country), and points drawn around real
village and town locations with ACLED-like repetition (events cluster on a few thousand
places, 4 decimals). Prints load time, time per call and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import impact


def timed(label: str, call):
    started = time.perf_counter()
    result = call()
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    reference = timed("load_reference", impact.load_reference)
    geography = timed("reference.geography (villages, outlines, tree)", lambda: reference.geography)

    n = args.points
    lat, lon = rng.uniform(9.5, 28.6, n), rng.uniform(92.1, 101.2, n)
    found = timed(
        f"township_of, {n:,} uniform random points", lambda: geography.township_of(lat, lon)
    )
    print(f"  inside an outline: {found.notna().mean():.1%}")

    places = geography.points.sample(5_000, random_state=args.seed)
    pick = rng.integers(0, len(places), n)
    near_lat = np.round(places["lat"].to_numpy()[pick] + rng.normal(0, 0.01, n).round(2), 4)
    near_lon = np.round(places["lon"].to_numpy()[pick] + rng.normal(0, 0.01, n).round(2), 4)
    unique = len(np.unique(near_lat + 1j * near_lon))
    timed(
        f"township_of, {n:,} clustered points ({unique:,} distinct)",
        lambda: geography.township_of(near_lat, near_lon),
    )
    near = timed(
        f"nearest_places, {n:,} clustered points",
        lambda: geography.nearest_places(near_lat, near_lon, max_km=10.0),
    )
    print(f"  with a town or village within 10 km: {near['pcode'].notna().mean():.1%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
