"""Per-event estimates: who lives in the place that changed control, and what services it has.

Two populations per event (DESIGN.md §5): `town`, the place named, and `area`, the unit
governed from it (its township or sub-township). The headline uses one of them (`scope`). The
census figure is projected to the event date with low/central/high growth; the band widens for
the coverage margin, a fuzzy place match, a date known only to the month or year, and units the
2014 census did not fully enumerate. "Affected" means living where control changed; it is not
a count of displaced people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from impact.assumptions import assumption_values
from impact.reference import Reference
from impact.schemas import SCOPES, ResolvedEvent

BREAKDOWNS = [
    "population_male",
    "population_female",
    "population_0_14",
    "population_15_64",
    "population_65_plus",
    "population_disability",
    "households",
]


def estimate(
    resolved: DataFrame[ResolvedEvent],
    reference: Reference,
    assumptions: pd.DataFrame,
    scope: str = "area",
) -> pd.DataFrame:
    """Census figures, projected ranges, breakdowns and services for each resolved event.

    Args:
        resolved: events with a `pcode` (from `resolve_places`); optional `date_start` and
            `date_end` bound an imprecise date.
        reference: the reference data package.
        assumptions: the table from `load_assumptions`.
        scope: "area" (default) or "town": which population is the headline.

    Returns the rows of `resolved` with the estimate columns of `Impact` (all but the
    counting columns, which `rollup.mark_counted` adds).
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    values = assumption_values(assumptions)
    pcodes = resolved["pcode"].unique()
    units = place_figures(pcodes, reference.places, scope, float(values["beds_benchmark"]))
    out = resolved.join(units, on="pcode")
    headline = units["headline_pcode"].reindex(out["pcode"]).to_numpy()
    not_enumerated = reference.places["not_enumerated_share"].reindex(headline).to_numpy(float)
    return _project(out, not_enumerated, values, reference.census_date)


def place_figures(
    pcodes: np.ndarray, places: pd.DataFrame, scope: str, beds_benchmark: float
) -> pd.DataFrame:
    """Everything an event takes from its place, worked out once per place (indexed by P-code):
    the town and area, census figures, breakdowns, services."""
    place = places.loc[pcodes].reset_index(drop=True)
    out = pd.DataFrame({"pcode": place["pcode"], "scope": scope})
    out["area_pcode"] = place["area_pcode"].fillna(place["pcode"])
    area = places.loc[out["area_pcode"]].reset_index(drop=True)
    out["area_name"] = area["name"]
    out["area_level"] = area["level"]
    out["population_town_census"] = place["population"]
    out["population_area_census"] = area["population"]
    headline = area if scope == "area" else place
    out["headline_pcode"] = headline["pcode"]
    out["population_census"] = headline["population"]
    out["census_year"] = headline["population_year"]
    out["population_source"] = headline["population_source"]
    out["census_coverage"] = headline["census_coverage"]
    township = place["township_pcode"]
    out = _context(out, township, places)
    out = _breakdowns(out, headline, township.fillna(place["pcode"]), places)
    out["wards"] = headline["wards"]
    is_town = (headline["level"] == "town").to_numpy()
    out["village_tracts"] = pd.array(
        np.where(is_town, 0, headline["village_tracts"].astype(float)), dtype="Int64"
    )
    return _services(out, place, beds_benchmark).set_index("pcode")


def _context(out: pd.DataFrame, township: pd.Series, places: pd.DataFrame) -> pd.DataFrame:
    """Where the headline unit has no census figure, name the enclosing township's."""
    missing = out["population_census"].isna()
    township = township.where(missing)
    out["context_pcode"] = township
    out["context_population"] = township.map(places["population"]).astype("Int64")
    return out


def _project(
    out: pd.DataFrame, not_enumerated: np.ndarray, values: dict, census_date: pd.Timestamp
) -> pd.DataFrame:
    """low/central/high at the event date (low at the earliest, high at the latest possible)."""
    start = out["date_start"] if "date_start" in out else out["date"]
    end = out["date_end"] if "date_end" in out else out["date"]

    def years(dates: pd.Series) -> pd.Series:
        return (pd.to_datetime(dates).fillna(out["date"]) - census_date).dt.days / 365.25

    out["years_since_census"] = years(out["date"]).round(2)
    fuzzy = (out["match_method"] == "fuzzy").to_numpy() * float(values["fuzzy_match_margin"])
    margin = float(values["coverage_margin"]) + fuzzy
    base = out["population_census"].astype("float").to_numpy()
    unenumerated = np.nan_to_num(not_enumerated, nan=0.0)
    low = base * (1 + float(values["growth_low"])) ** years(start) * (1 - margin)
    central = base * (1 + float(values["growth_central"])) ** years(out["date"])
    high = (
        base * (1 + float(values["growth_high"])) ** years(end) * (1 + margin) * (1 + unenumerated)
    )
    out["population_low"] = pd.array(np.floor(low), dtype="Int64")
    out["population_central"] = pd.array(np.round(central), dtype="Int64")
    out["population_high"] = pd.array(np.ceil(high), dtype="Int64")
    out["band_note"] = _band_note(fuzzy > 0, unenumerated, start, end)
    return out


def _band_note(
    fuzzy: np.ndarray, unenumerated: np.ndarray, start: pd.Series, end: pd.Series
) -> pd.Series:
    """Why a row's range is wider than the coverage margin alone, in words."""
    share = pd.Series(unenumerated, index=start.index)
    parts = pd.DataFrame(
        {
            "fuzzy": np.where(fuzzy, "widened: fuzzy place match", ""),
            "unenumerated": (
                "high raised "
                + (share * 100).round().astype(int).astype(str)
                + "%: state partly not enumerated in 2014"
            ).where(share > 0, ""),
            "window": np.where(
                pd.to_datetime(start).ne(pd.to_datetime(end)) & start.notna() & end.notna(),
                "low at the earliest, high at the latest possible date",
                "",
            ),
        },
        index=start.index,
    )
    return _join_parts(parts)


def _join_parts(parts: pd.DataFrame) -> pd.Series:
    """Join the non-empty strings of each row with '; ' (NA when all are empty).

    Works per unique combination, so a million rows cost a handful of joins.
    """
    text = parts.astype(str)
    keys = text.iloc[:, 0].str.cat([text[c] for c in text.columns[1:]], sep="\x1f")
    unique = pd.Series(keys.unique())
    joined = unique.map(lambda key: "; ".join(p for p in key.split("\x1f") if p))
    result = keys.map(dict(zip(unique, joined, strict=True)))
    return result.where(result != "", pd.NA).astype("string")


def _breakdowns(
    out: pd.DataFrame, headline: pd.DataFrame, township_pcode: pd.Series, places: pd.DataFrame
) -> pd.DataFrame:
    """Census breakdowns of the headline unit, or its township's shares applied to it."""
    township = places.loc[township_pcode].reset_index(drop=True)
    base = out["population_census"].astype("float").to_numpy()
    derived = {}
    for column in BREAKDOWNS:
        own = headline[column].astype("float").to_numpy()
        share = (township[column] / township["population"]).astype("float").to_numpy()
        use_share = np.isnan(own) & ~np.isnan(share * base)
        out[column] = pd.array(np.round(np.where(use_share, base * share, own)), dtype="Int64")
        derived[column] = np.where(use_share, column.replace("population_", ""), "")
    names = _join_parts(pd.DataFrame(derived, index=out.index)).str.replace("; ", ", ")
    method = ("township shares applied: " + names).fillna("census figures of the unit")
    out["breakdown_method"] = method.where(out["population_census"].notna(), pd.NA)
    return out


def _services(out: pd.DataFrame, place: pd.DataFrame, benchmark: float) -> pd.DataFrame:
    """Services of the place named, and beds per 10,000 of its people against a benchmark."""
    for column in ("schools", "hospitals", "hospital_beds", "health_workers"):
        out[column] = place[column].to_numpy()
    for column in ("schools_source", "hospitals_source", "health_workers_source"):
        out[column] = place[column].to_numpy()
    people = out["population_town_census"].astype("float")
    beds = out["hospital_beds"].astype("float")
    out["beds_per_10000"] = (beds / people * 10_000).round(1)
    out["beds_benchmark_per_10000"] = benchmark
    out["beds_below_benchmark"] = (
        (out["beds_per_10000"] < benchmark).where(out["beds_per_10000"].notna()).astype("boolean")
    )
    return out
