"""Services of a row's unit, and the ratios over that unit's own people.

Every figure describes the headline unit of the row (DESIGN: one unit per row): a township's
hospitals for a township, a town's for a town, the sum of its members for a sub-township.
Health workers are published per township only; hospitals and beds per town and township.
A figure the sources do not give for the unit stays empty and `services_note` says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HEALTH_WORKER_PARTS = ("doctors", "nurses", "health_assistants")
SERVICE_COUNTS = ("hospitals", "hospital_beds", *HEALTH_WORKER_PARTS, "health_workers", "schools")
SERVICE_SOURCES = ("schools_source", "hospitals_source", "health_workers_source")
WITH_HEALTH_WORKERS = frozenset({"township", "district", "state_region"})
WITHOUT_HOSPITALS = frozenset({"ward", "village_tract", "village"})


def township_areas(path: Path) -> pd.DataFrame:
    """`area_km2` and its source per township P-code, from the package's township outlines."""
    if not path.exists():
        return pd.DataFrame(columns=["area_km2", "area_source"])
    features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    rows = [
        {
            "pcode": f["properties"].get("pcode"),
            "area_km2": f["properties"].get("area_km2"),
            "area_source": f["properties"].get("source"),
        }
        for f in features
    ]
    return pd.DataFrame(rows).dropna(subset=["pcode"]).drop_duplicates("pcode").set_index("pcode")


def unit_services(
    unit: pd.DataFrame, population: pd.Series, areas: pd.DataFrame, benchmark: float
) -> pd.DataFrame:
    """Hospitals, beds, health workers, schools, area and the ratios of each unit.

    Args:
        unit: the headline unit's `places` row for each output row (member sums already
            filled in for sub-townships).
        population: the unit's census population (same index), the denominator of ratios.
        areas: `township_areas` of the package.
        benchmark: beds per 10,000 people to compare with.
    """
    out = pd.DataFrame(index=unit.index)
    level = unit["level"].astype(str)
    for column in SERVICE_COUNTS:
        values = unit[column] if column in unit else pd.Series(pd.NA, index=unit.index)
        out[column] = pd.array(values.astype("Float64").round(), dtype="Int64")
    parts = out[list(HEALTH_WORKER_PARTS)]
    out["health_workers"] = out["health_workers"].fillna(parts.sum(axis=1, skipna=False))
    below_township = ~level.isin(WITH_HEALTH_WORKERS).to_numpy()
    out.loc[below_township, [*HEALTH_WORKER_PARTS, "health_workers"]] = pd.NA
    for column in SERVICE_SOURCES:
        out[column] = unit[column].astype("string") if column in unit else pd.NA
    out.loc[below_township, "health_workers_source"] = pd.NA
    out = _area(out, unit, level, areas)
    people = population.astype("Float64")
    out["density_per_km2"] = (people / out["area_km2"]).round(1)
    out["beds_per_10000"] = (out["hospital_beds"].astype("Float64") / people * 10_000).round(1)
    out["beds_benchmark_per_10000"] = benchmark
    below = out["beds_per_10000"] < benchmark
    out["beds_below_benchmark"] = below.where(out["beds_per_10000"].notna()).astype("boolean")
    out["services_note"] = _services_note(level, unit)
    return out


def _area(
    out: pd.DataFrame, unit: pd.DataFrame, level: pd.Series, areas: pd.DataFrame
) -> pd.DataFrame:
    """Township outlines give a township's area; a sourced figure in the package gives any
    other unit's; nothing is guessed for the rest."""
    is_township = (level == "township").to_numpy()
    outline = areas.reindex(unit["pcode"].where(is_township))
    own = unit["area_km2"].astype("Float64") if "area_km2" in unit else np.nan
    own_source = unit["area_source"] if "area_source" in unit else pd.Series(pd.NA, unit.index)
    area = np.where(is_township, outline["area_km2"].astype(float), pd.Series(own, unit.index))
    out["area_km2"] = pd.array(area, dtype="Float64").round(1)
    source = np.where(is_township, outline["area_source"], own_source.astype(object))
    out["area_source"] = pd.Series(source, index=unit.index, dtype="string")
    out.loc[out["area_km2"].isna(), "area_source"] = pd.NA
    return out


def _services_note(level: pd.Series, unit: pd.DataFrame) -> pd.Series:
    """Which service figures the sources do not give at this unit's level, in words."""
    notes = pd.Series("", index=unit.index, dtype="string")
    no_hospitals = level.isin(WITHOUT_HOSPITALS)
    notes[no_hospitals] = "hospitals and beds: not available below town; "
    notes[~level.isin(WITH_HEALTH_WORKERS)] += "health workers: not available below township; "
    if "schools_note" in unit:
        notes += unit["schools_note"].fillna("").astype("string")
    notes = notes.str.rstrip("; ")
    return notes.where(notes != "", pd.NA)
