"""Pandera models: the contract of every table `impact` reads or writes.

Stages that add columns inherit from the stage before (`ResolvedEvent(Event)`,
`Impact(ResolvedEvent)`), so a signature annotated with `DataFrame[Impact]` says exactly what
a caller gets. Field descriptions feed the report's data dictionary.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

LEVELS = [
    "state_region",
    "district",
    "township",
    "sub_township",
    "town",
    "ward",
    "village_tract",
    "village",
]
CHANGES = ["captured", "recaptured", "handed over", "contested", "withdrawn"]
MATCH_METHODS = ["pcode", "exact", "alias", "fuzzy"]
REJECT_REASONS = [
    "missing_date",
    "bad_date",
    "missing_place",
    "place_not_found",
    "place_ambiguous",
    "place_unreadable",
    "duplicate_event",
    "bad_value",
]
PCODE = r"^[A-Z]{3}[0-9A-Z]+$"


def _count(description: str, **kwargs: object) -> object:
    return pa.Field(nullable=True, ge=0, description=description, **kwargs)


class Place(pa.DataFrameModel):
    """One administrative unit of a reference data package."""

    pcode: Series[str] = pa.Field(unique=True, str_matches=PCODE, description="P-code")
    name: Series[str] = pa.Field(description="English name as in the P-code release")
    level: Series[str] = pa.Field(isin=LEVELS, description="Administrative level")
    parent_pcode: Series[str] = pa.Field(nullable=True, description="P-code of the parent unit")
    area_pcode: Series[str] = pa.Field(
        nullable=True,
        description="For a town, the unit governed from it (township or sub-township)",
    )
    population: Series[pd.Int64Dtype] = _count("Census population")
    households: Series[pd.Int64Dtype] = _count("Conventional households")
    population_year: Series[pd.Int64Dtype] = _count("Year of the population figure")
    wards: Series[pd.Int64Dtype] = _count("Wards in the P-code release")
    village_tracts: Series[pd.Int64Dtype] = _count("Village tracts in the P-code release")
    schools: Series[pd.Int64Dtype] = _count("Schools, where a public source gives a figure")
    hospitals: Series[pd.Int64Dtype] = _count("Public hospitals")
    hospital_beds: Series[pd.Int64Dtype] = _count("Beds in public hospitals")
    lat: Series[float] = pa.Field(nullable=True, ge=-90, le=90, description="Latitude")
    lon: Series[float] = pa.Field(nullable=True, ge=-180, le=180, description="Longitude")
    source: Series[str] = pa.Field(description="Source of the unit (key into sources.csv)")

    class Config:
        strict = False
        coerce = True


class Event(pa.DataFrameModel):
    """A control-change event read from an input file, before place resolution."""

    event_id: Series[str] = pa.Field(description="Identifier of the event")
    date: Series[pd.Timestamp] = pa.Field(description="Date control changed (ISO)")
    place: Series[str] = pa.Field(
        str_length={"min_value": 1}, description="Place as written in the input"
    )
    township: Series[str] = pa.Field(nullable=True, description="Township hint from the input")
    district: Series[str] = pa.Field(nullable=True, description="District hint from the input")
    region: Series[str] = pa.Field(nullable=True, description="State/region hint from the input")
    change: Series[str] = pa.Field(isin=CHANGES, description="Kind of change, normalised")
    gaining_actor: Series[str] = pa.Field(nullable=True, description="Who took control")
    losing_actor: Series[str] = pa.Field(nullable=True, description="Who lost control")
    source: Series[str] = pa.Field(nullable=True, description="Who reported the event")
    source_file: Series[str] = pa.Field(description="Input file the row came from")
    source_row: Series[int] = pa.Field(ge=1, description="Line of the row in its file")

    class Config:
        strict = False
        coerce = True


class ResolvedEvent(Event):
    """An event with the reference place it names."""

    pcode: Series[str] = pa.Field(str_matches=PCODE, description="P-code of the matched place")
    place_name: Series[str] = pa.Field(description="Name of the matched place")
    level: Series[str] = pa.Field(isin=LEVELS, description="Level of the matched place")
    match_method: Series[str] = pa.Field(isin=MATCH_METHODS, description="How it matched")
    match_score: Series[float] = pa.Field(ge=0, le=100, description="Match score (100 = exact)")
    match_note: Series[str] = pa.Field(nullable=True, description="Runner-up and hints used")


class Impact(ResolvedEvent):
    """One row per used event: the place, its census figures, estimates and services."""

    area_pcode: Series[str] = pa.Field(description="Unit governed from the place")
    population_town_census: Series[pd.Int64Dtype] = _count("Census population of the place")
    population_area_census: Series[pd.Int64Dtype] = _count("Census population of the area")
    population_census: Series[pd.Int64Dtype] = _count("Census population, headline scope")
    census_year: Series[pd.Int64Dtype] = _count("Census year")
    population_low: Series[pd.Int64Dtype] = _count("Projected population, low")
    population_central: Series[pd.Int64Dtype] = _count("Projected population, central")
    population_high: Series[pd.Int64Dtype] = _count("Projected population, high")
    households: Series[pd.Int64Dtype] = _count("Households, headline scope")
    wards: Series[pd.Int64Dtype] = _count("Wards in the headline unit")
    village_tracts: Series[pd.Int64Dtype] = _count("Village tracts in the headline unit")
    schools: Series[pd.Int64Dtype] = _count("Schools in the place")
    hospitals: Series[pd.Int64Dtype] = _count("Public hospitals in the place")
    hospital_beds: Series[pd.Int64Dtype] = _count("Public hospital beds in the place")
    counted: Series[bool] = pa.Field(description="Whether the row counts in totals")
    not_counted_reason: Series[str] = pa.Field(nullable=True, description="Why not counted")

    @pa.dataframe_check(description="low <= central <= high")
    @classmethod
    def ordered_band(cls, df: pd.DataFrame) -> Series[bool]:
        known = df["population_central"].notna()
        ordered = (df["population_low"] <= df["population_central"]) & (
            df["population_central"] <= df["population_high"]
        )
        return ~known | ordered.fillna(False)


SKIP_REASONS = ["outside_period", "not_a_control_change"]


class Rejected(pa.DataFrameModel):
    """An input row that could not be used, and why."""

    source_file: Series[str] = pa.Field(description="Input file")
    source_row: Series[int] = pa.Field(ge=1, description="Line in the input file")
    column: Series[str] = pa.Field(nullable=True, description="Column at fault")
    value: Series[str] = pa.Field(nullable=True, description="Value at fault")
    reason: Series[str] = pa.Field(isin=REJECT_REASONS, description="Reason code")
    message: Series[str] = pa.Field(description="What was expected, in words")

    class Config:
        strict = True
        coerce = True


class Skipped(Rejected):
    """An input row left out by a rule the analyst chose (period, event type), not an error."""

    reason: Series[str] = pa.Field(isin=SKIP_REASONS, description="Rule that left it out")
