"""Per-event estimates: who lives in the place that changed control, and what services it has.

Two populations per event (DESIGN.md §5): `town`, the place named, and `area`, the unit
governed from it (its township or sub-township). The headline uses one of them (`scope`). The
census figure is projected to the event date with low/central/high growth and a coverage margin
from the assumptions table. "Affected" means living where control changed; it is not a count of
displaced people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.assumptions import assumption_values
from impact.reference import Reference

SCOPES = ("area", "town")
SERVICE_COLUMNS = ("schools", "hospitals", "hospital_beds")


def estimate(
    resolved: pd.DataFrame, reference: Reference, assumptions: pd.DataFrame, scope: str = "area"
) -> pd.DataFrame:
    """Census figures, projected ranges, households and services for each resolved event.

    Args:
        resolved: events with a `pcode` (from `resolve_places`).
        reference: the reference data package.
        assumptions: the table from `load_assumptions`.
        scope: "area" (default) or "town": which population is the headline.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    values = assumption_values(assumptions)
    places = reference.places
    out = resolved.copy()
    place = places.loc[out["pcode"]].reset_index(drop=True)
    out["scope"] = scope
    out["area_pcode"] = place["area_pcode"].fillna(place["pcode"]).to_numpy()
    area = places.loc[out["area_pcode"]].reset_index(drop=True)
    out["area_name"] = area["name"].to_numpy()
    out["area_level"] = area["level"].to_numpy()
    out["population_town_census"] = place["population"].to_numpy()
    out["population_area_census"] = area["population"].to_numpy()
    headline = area if scope == "area" else place
    out["headline_pcode"] = headline["pcode"].to_numpy()
    out["population_census"] = headline["population"].to_numpy()
    out["census_year"] = headline["population_year"].to_numpy()
    out["population_source"] = headline["population_source"].to_numpy()
    out = _context(out, places)
    out = _project(out, values)
    out = _households(out, headline, places)
    out["wards"] = headline["wards"].to_numpy()
    out["village_tracts"] = np.where(
        headline["level"] == "town", 0, headline["village_tracts"].astype("float")
    )
    out["village_tracts"] = pd.array(out["village_tracts"], dtype="Int64")
    for column in SERVICE_COLUMNS:
        out[column] = place[column].to_numpy()
    out["schools_source"] = place["schools_source"].to_numpy()
    out["hospitals_source"] = place["hospitals_source"].to_numpy()
    return out


def _context(out: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Where the headline unit has no census figure, name the enclosing township's."""
    missing = out["population_census"].isna()
    township = out["township_pcode"].where(missing)
    out["context_pcode"] = township
    out["context_population"] = township.map(places["population"]).astype("Int64")
    return out


def _project(out: pd.DataFrame, values: dict) -> pd.DataFrame:
    census_date = pd.Timestamp(values["census_date"])
    years = (out["date"] - census_date).dt.days / 365.25
    out["years_since_census"] = years.round(2)
    base = out["population_census"].astype("float")
    margin = float(values["coverage_margin"])
    low = base * (1 + float(values["growth_low"])) ** years * (1 - margin)
    central = base * (1 + float(values["growth_central"])) ** years
    high = base * (1 + float(values["growth_high"])) ** years * (1 + margin)
    out["population_low"] = pd.array(np.floor(low), dtype="Int64")
    out["population_central"] = pd.array(np.round(central), dtype="Int64")
    out["population_high"] = pd.array(np.ceil(high), dtype="Int64")
    return out


def _households(out: pd.DataFrame, headline: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Census households where the unit has them; else the township's people per household."""
    own = headline["households"].to_numpy()
    township = places.loc[out["township_pcode"].fillna(out["pcode"])]
    size = (township["population"] / township["households"]).to_numpy(dtype="float")
    derived = np.round(out["population_census"].astype("float").to_numpy() / size)
    has_own = pd.notna(own)
    out["households"] = pd.array(np.where(has_own, own, derived), dtype="Int64")
    out["households_method"] = np.where(
        has_own,
        "census",
        np.where(np.isnan(derived), None, "census population / township mean household size"),
    )
    return out
