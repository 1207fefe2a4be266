"""Build the villages table and the outlines of the Myanmar reference package.

Run `python -m reference_build.build_geo /work/shared/reference_sources`: it reads the
package's `places.csv` (written by `reference_build.myanmar`), writes `villages.csv`,
`townships.geojson` and `states_regions.geojson` beside it, and prints what it left out.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from impact.geography import Geography, load_geography
from reference_build.geography import build_outlines
from reference_build.villages import build_villages, villages_without_tract


def write_geo_tables(sources: Path, out: Path) -> list[str]:
    """Write the geography files into the package folder `out`; the lines of a build report."""
    places = pd.read_csv(out / "places.csv", dtype="string", encoding="utf-8")
    places[["lat", "lon"]] = places[["lat", "lon"]].astype(float)
    villages = build_villages(sources, places)
    villages.to_csv(out / "villages.csv", index=False, lineterminator="\n")
    outlines = build_outlines(sources)
    for name, text in outlines.items():
        (out / name).write_text(text, encoding="utf-8")
    left_out = villages_without_tract(sources, places)
    geography = load_geography(out, places, villages)
    return [
        f"villages: {len(villages):,} kept, {villages['lat'].notna().sum():,} with coordinates",
        *_left_out_lines(left_out),
        *_outside_lines(villages, geography),
        *_outline_lines(geography),
        *(f"{name}: {(out / name).stat().st_size / 1e6:.2f} MB" for name in outlines),
        f"villages.csv: {(out / 'villages.csv').stat().st_size / 1e6:.2f} MB",
    ]


def _left_out_lines(left_out: pd.DataFrame) -> list[str]:
    per_tract = left_out.groupby("village_tract_pcode").size()
    return [
        f"villages left out, village tract not in places: {len(left_out):,} "
        f"in {len(per_tract)} village tracts",
        *(f"  {pcode}: {count} villages" for pcode, count in per_tract.items()),
    ]


def _outside_lines(villages: pd.DataFrame, geography: Geography) -> list[str]:
    located = villages.dropna(subset=["lat", "lon"])
    drawn = located[located["township_pcode"].isin(geography.outlines["pcode"])]
    placed = geography.township_of(drawn["lat"], drawn["lon"])
    outside = placed.isna().sum()
    elsewhere = (placed.notna() & (placed != drawn["township_pcode"])).sum()
    return [
        f"villages with coordinates in outlined townships: {len(drawn):,}; point in another "
        f"township's outline: {elsewhere:,}; outside every outline: {outside:,}"
    ]


def _outline_lines(geography: Geography) -> list[str]:
    missing = geography.townships_without_outline
    return [
        f"township outlines: {len(geography.outlines)}; townships without an outline "
        f"(created after 2014): {len(missing)}",
        *(
            f"  {row.pcode} {row.name}: area within "
            f"{'unknown (no located place)' if pd.isna(row.within_outline) else row.within_outline}"
            for row in missing.itertuples()
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, help="folder holding the public source files")
    parser.add_argument("--out", type=Path, default=Path("reference_data/myanmar"))
    args = parser.parse_args(argv)
    if not (args.out / "places.csv").exists():
        parser.error(f"{args.out} has no places.csv; run `python -m reference_build.myanmar` first")
    started = time.perf_counter()
    lines = write_geo_tables(args.sources, args.out)
    print("\n".join(lines))
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
