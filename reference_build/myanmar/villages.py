"""Villages: the MIMU village list below village tracts, with names and coordinates.

The list comes from the `mm-geo-coder` 0.2.1 package data (MIMU P-codes). A village belongs
to a village tract, so its township comes from that village tract in the package's places;
a village whose village tract is not a place (MIMU retired about a hundred village tracts)
cannot be placed and is reported, not kept with a dangling parent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impact.reference import VILLAGE_COLUMNS

VILLAGE_FILE = Path("villages") / "mimu_villages.csv"
VILLAGE_SOURCE = "mimu_villages"
DECIMALS = 5
# Myanmar's extent with a margin: a point outside it is a data error, kept as unknown.
LAT_RANGE = (9.0, 29.5)
LON_RANGE = (92.0, 101.5)


def read_villages(sources: Path) -> pd.DataFrame:
    """The MIMU village list with tidy names and plausible coordinates (else NA)."""
    raw = pd.read_csv(sources / VILLAGE_FILE, dtype="string", encoding="utf-8")
    lat = pd.to_numeric(raw["latitude"], errors="coerce")
    lon = pd.to_numeric(raw["longitude"], errors="coerce")
    inside = lat.between(*LAT_RANGE) & lon.between(*LON_RANGE)
    return pd.DataFrame(
        {
            "village_pcode": raw["village_pcode"].str.strip(),
            "name": _tidy(raw["village_eng"]),
            "name_mm": _tidy(raw["village_mmr"]),
            "village_tract_pcode": raw["village_tract_pcode"].str.strip(),
            "lat": lat.where(inside).round(DECIMALS),
            "lon": lon.where(inside).round(DECIMALS),
        }
    )


def _tidy(names: pd.Series) -> pd.Series:
    return names.str.replace(r"\s+", " ", regex=True).str.strip().replace("", pd.NA)


def build_villages(sources: Path, places: pd.DataFrame) -> pd.DataFrame:
    """The villages table of the package, sorted by village P-code.

    Args:
        sources: the folder of public sources (holding `villages/mimu_villages.csv`).
        places: the package's places (columns `pcode`, `level`, `township_pcode`).

    Returns:
        One row per village whose village tract is in `places`; see `villages_without_tract`
        for the others.
    """
    villages = read_villages(sources)
    tracts = _village_tracts(places)
    villages = villages.merge(tracts, on="village_tract_pcode", how="inner", validate="m:1")
    villages["source"] = VILLAGE_SOURCE
    return _sorted(villages[VILLAGE_COLUMNS])


def villages_without_tract(sources: Path, places: pd.DataFrame) -> pd.DataFrame:
    """Villages left out of the package because their village tract is not a place."""
    villages = read_villages(sources)
    missing = ~villages["village_tract_pcode"].isin(_village_tracts(places)["village_tract_pcode"])
    out = villages.loc[missing, ["village_pcode", "name", "village_tract_pcode"]].copy()
    out["reason"] = "village tract not in places (retired or unknown P-code)"
    return _sorted(out)


def _village_tracts(places: pd.DataFrame) -> pd.DataFrame:
    tracts = places.loc[places["level"] == "village_tract", ["pcode", "township_pcode"]]
    return tracts.rename(columns={"pcode": "village_tract_pcode"}).drop_duplicates(
        "village_tract_pcode"
    )


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values("village_pcode", kind="stable").reset_index(drop=True)
