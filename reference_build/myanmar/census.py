"""The 2014 census tables: township figures, and ward/VT rows placed in their township."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.sources import Sources
from reference_build.myanmar.spelling import squash

CENSUS_YEAR = 2014
CENSUS_DATE = "2014-03-29"
TOWNSHIP_SOURCE = "mimu_census_township"
WARD_VT_SOURCE = "census_ward_vt"
CENSUS_FIGURES = {
    "pop_t": "population",
    "pop_m": "population_male",
    "pop_f": "population_female",
    "pop_u": "urban_population",
    "pop_r": "rural_population",
    "hh_t": "households",
    "pop_0_14": "population_0_14",
    "pop_15_64": "population_15_64",
    "pop_65ab": "population_65_plus",
    "popdisab_anydiab_t": "population_disability",
}


def township_census(src: Sources) -> pd.DataFrame:
    """Township figures from the MIMU census workbook, keyed by township P-code."""
    figures = src.census[["pcode_ts", *CENSUS_FIGURES]].rename(
        columns={"pcode_ts": "pcode", **CENSUS_FIGURES}
    )
    for column in CENSUS_FIGURES.values():
        figures[column] = pd.to_numeric(figures[column]).round().astype("Int64")
    figures["population_source"] = TOWNSHIP_SOURCE
    return figures


def census_unit_rows(
    src: Sources, townships: pd.DataFrame, towns: pd.DataFrame, report: BuildReport
) -> pd.DataFrame:
    """Ward/VT census rows, de-duplicated, each with the P-code of its township."""
    rows = src.ward_vt_census.copy()
    rows["kind"] = np.where(rows["Ward/VillageTract"].str.endswith("(W)"), "ward", "village_tract")
    for column in ("total_population", "male_population", "female_population"):
        rows[column] = pd.to_numeric(rows[column]).astype("Int64")
    rows["lat"] = pd.to_numeric(rows["Latitude"])
    rows["lon"] = pd.to_numeric(rows["Longitude"])
    rows["township_key"] = squash(rows["Township"])
    rows["row_id"] = np.arange(len(rows))
    named = townships.assign(township_key=squash(townships["name"]))
    candidates = (
        rows[["Township", "township_key"]]
        .drop_duplicates()
        .merge(named[["township_key", "pcode"]], on="township_key", how="left")
    )
    rows = rows.merge(candidates, on=["Township", "township_key"], how="left")
    rows = _settle_township_by_distance(rows, towns, report)
    before = len(rows)
    rows = rows.drop_duplicates(["township_pcode", "Ward/VillageTract", "total_population"])
    report.say(
        f"Ward/VT census rows: {before:,} after township matching, "
        f"{len(rows):,} once join duplicates are dropped."
    )
    return rows


def _settle_township_by_distance(
    rows: pd.DataFrame, towns: pd.DataFrame, report: BuildReport
) -> pd.DataFrame:
    """Two townships share a name (Minhla, Htantabin): take the one whose towns are nearest."""
    rows = rows.rename(columns={"pcode": "township_pcode"})
    town_points = towns.dropna(subset=["lat"]).groupby("parent_pcode")[["lat", "lon"]].mean()
    rows["distance"] = np.hypot(
        rows["lat"] - rows["township_pcode"].map(town_points["lat"]),
        rows["lon"] - rows["township_pcode"].map(town_points["lon"]),
    )
    shared = rows["row_id"].duplicated(keep=False)
    nearest = rows[shared].sort_values(["row_id", "distance"]).drop_duplicates("row_id")
    report.say(
        f"{nearest['row_id'].nunique()} ward/VT rows named a township that two states "
        "share; each was given the township whose towns lie nearest its coordinates."
    )
    return (
        pd.concat([rows[~shared], nearest])
        .sort_values("row_id")
        .drop(columns=["distance", "row_id"])
    )
