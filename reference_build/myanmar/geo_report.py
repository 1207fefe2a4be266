"""What the build says about the geography files: villages left out, points outside their
township's outline, townships drawn by no 2014 outline, file sizes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impact.geography import TOWNSHIP_OUTLINES, Geography, load_geography, read_outlines
from reference_build.myanmar.villages import villages_without_tract

GEO_FILES = ("villages.csv", "townships.geojson", "states_regions.geojson")


def geo_lines(sources: Path, out: Path, places: pd.DataFrame, villages: pd.DataFrame) -> list[str]:
    """Build-report lines for the geography files already written into the package `out`."""
    geography = load_geography(read_outlines(out / TOWNSHIP_OUTLINES), places, villages)
    return [
        f"villages: {len(villages):,} kept, {villages['lat'].notna().sum():,} with coordinates",
        *_left_out_lines(villages_without_tract(sources, places)),
        *_outside_lines(villages, geography),
        *_outline_lines(geography),
        *(f"{name}: {(out / name).stat().st_size / 1e6:.2f} MB" for name in GEO_FILES),
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
