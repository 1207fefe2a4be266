"""Pandera models: the contract of every table `impact` reads or writes.

Stages that add columns inherit from the stage before (`ResolvedEvent(Event)`,
`Impact(ResolvedEvent)`), so a model says exactly what a caller gets. Each field's description,
unit and HXL hashtag also make the data dictionary shipped with every report.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

# The project's vocabulary, declared once; every module imports it from here.

# Admin levels in the order a name is preferred when several levels share it (a town over the
# township of the same name, which is over its village tract).
LEVELS = """
    town township sub_township village_tract ward village district state_region
""".split()
SCOPES = ("area", "town")
CHANGES = ["captured", "recaptured", "handed over", "contested", "withdrawn"]
# Changes that move control to the gaining actor; a contested claim does not.
MOVES_CONTROL = frozenset({"captured", "recaptured", "handed over", "withdrawn"})
# Words analysts write for each change ("|"-separated), matched after case and punctuation
# are folded.
CHANGE_WORDS = {
    change: words.split("|")
    for change, words in {
        "captured": "captured|capture|seized|seize|taken|took|took control|took full control|"
        "overran|overrun|fell|occupied|control|liberated|taken over|overtaken",
        "recaptured": "recaptured|recapture|retaken|retook|regained|regain|taken back|recovered",
        "handed over": "handed over|handed back|handover|hand over|transferred|ceded|"
        "handed back under a ceasefire deal|returned",
        "contested": "contested|claimed|disputed|claim|claimed captured",
        "withdrawn": "withdrawn|withdrew|abandoned|evacuated|retreated",
    }.items()
}
MATCH_METHODS = ["pcode", "exact", "alias", "fuzzy"]


class RejectReason(StrEnum):
    """Why an input row could not be used (the `reason` of rejected.csv)."""

    MISSING_DATE = "missing_date"
    BAD_DATE = "bad_date"
    MISSING_PLACE = "missing_place"
    PLACE_NOT_FOUND = "place_not_found"
    PLACE_AMBIGUOUS = "place_ambiguous"
    PLACE_UNREADABLE = "place_unreadable"
    DUPLICATE_EVENT = "duplicate_event"
    BAD_VALUE = "bad_value"


class SkipReason(StrEnum):
    """Which rule chosen by the analyst left a row out (the `reason` of skipped.csv)."""

    OUTSIDE_PERIOD = "outside_period"
    NOT_A_CONTROL_CHANGE = "not_a_control_change"


PCODE = r"^[A-Z]{3}[0-9A-Z]+$"


def _field(description: str, *, unit: str = "", hxl: str = "", **checks: Any) -> Any:
    return pa.Field(description=description, metadata={"unit": unit, "hxl": hxl}, **checks)


def _text(description: str, hxl: str = "", **checks: Any) -> Any:
    return _field(description, hxl=hxl, nullable=True, **checks)


def _count(description: str, unit: str = "people", hxl: str = "") -> Any:
    return _field(description, unit=unit, hxl=hxl, nullable=True, ge=0)


def _date(description: str, hxl: str = "") -> Any:
    return _field(description, unit="date (ISO)", hxl=hxl, nullable=True)


class Place(pa.DataFrameModel):
    """One administrative unit of a reference data package."""

    pcode: Series[str] = _field("P-code", unique=True, str_matches=PCODE)
    name: Series[str] = _field("English name as in the P-code release")
    level: Series[str] = _field("Administrative level", isin=LEVELS)
    parent_pcode: Series[str] = _text("P-code of the parent unit")
    area_pcode: Series[str] = _text("For a town, the unit governed from it")
    population: Series[pd.Int64Dtype] = _count("Census population")
    households: Series[pd.Int64Dtype] = _count("Conventional households", "households")
    population_year: Series[pd.Int64Dtype] = _count("Year of the population figure", "year")
    wards: Series[pd.Int64Dtype] = _count("Wards in the P-code release", "wards")
    village_tracts: Series[pd.Int64Dtype] = _count("Village tracts in the release", "units")
    schools: Series[pd.Int64Dtype] = _count("Schools, where a source gives a figure", "schools")
    hospitals: Series[pd.Int64Dtype] = _count("Public hospitals", "hospitals")
    hospital_beds: Series[pd.Int64Dtype] = _count("Beds in public hospitals", "beds")
    lat: Series[float] = _field("Latitude", unit="degrees", nullable=True, ge=-90, le=90)
    lon: Series[float] = _field("Longitude", unit="degrees", nullable=True, ge=-180, le=180)
    source: Series[str] = _field("Source of the unit (key into sources.csv)")

    class Config:
        strict = False
        coerce = True


class Event(pa.DataFrameModel):
    """A control-change event read from an input file, before place resolution."""

    event_id: Series[str] = _field("Identifier of the event", hxl="#event+id")
    date: Series[pd.Timestamp] = _field("Day control changed", unit="date (ISO)", hxl="#date")
    date_text: Series[str] = _text("Date as written in the input")
    date_precision: Series[str] = _text("day, range, week, month or year")
    date_start: Series[pd.Timestamp] = _date("Earliest possible date", "#date+start")
    date_end: Series[pd.Timestamp] = _date("Latest possible date", "#date+end")
    date_flag: Series[str] = _text("'in the future' or 'before the 2014 census'")
    place: Series[str] = _field(
        "Place as written in the input", hxl="#loc+name+input", str_length={"min_value": 1}
    )
    township: Series[str] = _text("Township hint from the input")
    district: Series[str] = _text("District hint from the input")
    region: Series[str] = _text("State/region hint from the input")
    change: Series[str] = _field("Kind of change, normalised", hxl="#event+type", isin=CHANGES)
    change_text: Series[str] = _text("Change as written in the input")
    gaining_actor: Series[str] = _text("Who took control", "#org+name+gaining")
    losing_actor: Series[str] = _text("Who lost control", "#org+name+losing")
    source: Series[str] = _text("Who reported the event", "#meta+source")
    confidence: Series[str] = _text("Confidence given in the input")
    notes: Series[str] = _text("Notes from the input")
    event_scope: Series[str] = _text(
        "Scope written in the input row, kept as given (the "
        "headline scope is chosen per run with --scope)"
    )
    source_file: Series[str] = _field("Input file the row came from")
    source_row: Series[int] = _field("Row of the record in its file (header = 1)", ge=1)

    class Config:
        strict = False
        coerce = True


class ResolvedEvent(Event):
    """An event with the reference place it names."""

    pcode: Series[str] = _field("P-code of the matched place", hxl="#loc+code", str_matches=PCODE)
    place_name: Series[str] = _field("Name of the matched place", hxl="#loc+name")
    level: Series[str] = _field("Level of the matched place", isin=LEVELS)
    state_region_pcode: Series[str] = _text("State/region P-code", "#adm1+code")
    state_region_name: Series[str] = _text("State/region name", "#adm1+name")
    district_pcode: Series[str] = _text("District P-code", "#adm2+code")
    district_name: Series[str] = _text("District name", "#adm2+name")
    township_pcode: Series[str] = _text("Township P-code", "#adm3+code")
    township_name: Series[str] = _text("Township name", "#adm3+name")
    match_method: Series[str] = _field("pcode, exact, alias or fuzzy", isin=MATCH_METHODS)
    match_score: Series[float] = _field(
        "Spelling similarity, 100 = identical", unit="0-100", ge=0, le=100
    )
    match_note: Series[str] = _text("Hints used, fuzzy spelling and runner-up")
    place_qualifier: Series[str] = _text("Qualifier removed from the place text")


class ProjectedPeople(pa.DataFrameModel):
    """The projected range, shared by the per-event table and the summary."""

    population_low: Series[pd.Int64Dtype] = _count(
        "People living there, low", hxl="#affected+total+min"
    )
    population_central: Series[pd.Int64Dtype] = _count(
        "People living there, central", hxl="#affected+total"
    )
    population_high: Series[pd.Int64Dtype] = _count(
        "People living there, high", hxl="#affected+total+max"
    )


class Impact(ProjectedPeople, ResolvedEvent):
    """One row per used event: the place, its census figures, estimates and services.

    The fields are declared in the order `impacts.csv` writes them (inherited fields first);
    columns passed through from the input follow them.
    """

    scope: Series[str] = _field("Headline population: area or town", isin=list(SCOPES))
    area_pcode: Series[str] = _field("Unit governed from the place")
    area_name: Series[str] = _text("Name of that unit")
    area_level: Series[str] = _text("Level of that unit")
    headline_pcode: Series[str] = _field(
        "The unit of the row: every figure below describes it (area, or town with --scope town)"
    )
    headline_name: Series[str] = _text("Name of the unit of the row")
    headline_level: Series[str] = _text("Level of the unit of the row")
    population_town_census: Series[pd.Int64Dtype] = _count("2014 census, the place named")
    population_area_census: Series[pd.Int64Dtype] = _count("2014 census, the area governed")
    population_census: Series[pd.Int64Dtype] = _count(
        "2014 census, headline unit", hxl="#population+census"
    )
    population_method: Series[str] = _text(
        "How the unit's population was obtained: census (census_wards, census_residual, ...) "
        "or estimated_ward_share (an estimate, not a census figure)"
    )
    population_band_pct: Series[float] = _field(
        "Validated +/- band of an estimated population", unit="percent", nullable=True, ge=0
    )
    census_year: Series[pd.Int64Dtype] = _count("Year of the census figure", "year")
    census_coverage: Series[str] = _text("enumerated or partly_not_enumerated in 2014")
    population_source: Series[str] = _text("Source key of the census figure")
    not_enumerated_share: Series[float] = _field(
        "People not enumerated in 2014 as a share of those enumerated (raises high)",
        unit="share",
        nullable=True,
        ge=0,
    )
    coverage_basis: Series[str] = _text(
        "Level of that share's evidence: state_only, northern_rakhine_spread, enumerated"
    )
    context_pcode: Series[str] = _text("Enclosing township when the unit has no figure")
    context_population: Series[pd.Int64Dtype] = _count("Census population of that township")
    years_since_census: Series[float] = _field(
        "Years from 29 Mar 2014 to the event", unit="years", nullable=True
    )
    band_note: Series[str] = _text("Why the range is wider than usual")
    population_male: Series[pd.Int64Dtype] = _count(
        "Men and boys at the event date (central; women + men = central)", hxl="#affected+m"
    )
    population_female: Series[pd.Int64Dtype] = _count(
        "Women and girls at the event date (central)", hxl="#affected+f"
    )
    population_0_14: Series[pd.Int64Dtype] = _count(
        "Aged 0-14 at the event date (central)", hxl="#affected+children"
    )
    population_15_64: Series[pd.Int64Dtype] = _count(
        "Aged 15-64 at the event date (central)", hxl="#affected+adults"
    )
    population_65_plus: Series[pd.Int64Dtype] = _count(
        "Aged 65+ at the event date (central)", hxl="#affected+elderly"
    )
    population_disability: Series[pd.Int64Dtype] = _count(
        "Persons with a disability at the event date (central)", hxl="#affected+disabled"
    )
    households: Series[pd.Int64Dtype] = _count(
        "Households at the event date (central)", "households", hxl="#affected+hh"
    )
    population_male_2014: Series[pd.Int64Dtype] = _count("Men and boys (2014)")
    population_female_2014: Series[pd.Int64Dtype] = _count("Women and girls (2014)")
    population_0_14_2014: Series[pd.Int64Dtype] = _count("Aged 0-14 (2014)")
    population_15_64_2014: Series[pd.Int64Dtype] = _count("Aged 15-64 (2014)")
    population_65_plus_2014: Series[pd.Int64Dtype] = _count("Aged 65+ (2014)")
    population_disability_2014: Series[pd.Int64Dtype] = _count("Persons with a disability (2014)")
    households_2014: Series[pd.Int64Dtype] = _count("Households (2014)", "households")
    breakdown_method: Series[str] = _text("Census figures, or township shares applied")
    wards: Series[pd.Int64Dtype] = _count("Wards in the unit of the row", "wards")
    village_tracts: Series[pd.Int64Dtype] = _count("Village tracts in the unit of the row", "units")
    area_km2: Series[float] = _field(
        "Area of the unit (township outlines; empty for towns without a sourced figure)",
        unit="km2",
        nullable=True,
        ge=0,
    )
    area_source: Series[str] = _text("Source key of the area")
    density_per_km2: Series[float] = _field(
        "2014 census people per km2 of the unit", unit="people per km2", nullable=True, ge=0
    )
    schools: Series[pd.Int64Dtype] = _count(
        "Schools in the unit, where a public source gives a figure",
        "schools",
        hxl="#capacity+schools",
    )
    schools_source: Series[str] = _text("Source key of the schools figure")
    hospitals: Series[pd.Int64Dtype] = _count(
        "Public hospitals in the unit", "hospitals", hxl="#capacity+hospitals"
    )
    hospital_beds: Series[pd.Int64Dtype] = _count(
        "Public hospital beds in the unit", "beds", hxl="#capacity+beds"
    )
    hospitals_source: Series[str] = _text("Source key of the hospital figures")
    doctors: Series[pd.Int64Dtype] = _count("Government doctors (townships only)", "doctors")
    nurses: Series[pd.Int64Dtype] = _count("Government nurses (townships only)", "nurses")
    health_assistants: Series[pd.Int64Dtype] = _count(
        "Government health assistants (townships only)", "health assistants"
    )
    health_workers: Series[pd.Int64Dtype] = _count(
        "Doctors, nurses, health assistants (townships only)", "health workers"
    )
    health_workers_source: Series[str] = _text("Source key of the health workers figure")
    beds_per_10000: Series[float] = _field(
        "Beds per 10,000 people of the unit (2014 census)", unit="beds per 10,000", nullable=True
    )
    beds_benchmark_per_10000: Series[float] = _field(
        "Humanitarian benchmark (assumptions)", unit="beds per 10,000"
    )
    beds_below_benchmark: Series[pd.BooleanDtype] = _field(
        "Beds below the benchmark", nullable=True
    )
    services_note: Series[str] = _text("Service figures not available for this kind of unit")
    counted: Series[bool] = _field("Whether the row counts in totals", hxl="#meta+counted")
    not_counted_reason: Series[str] = _text("Why the row does not count")

    @pa.dataframe_check(description="rows in date order (then event_id)")
    @classmethod
    def in_date_order(cls, df: pd.DataFrame) -> bool:
        order = df[["date", "event_id"]].sort_values(["date", "event_id"], kind="stable")
        return bool(order.index.equals(df.index))

    @pa.dataframe_check(description="low <= central <= high")
    @classmethod
    def ordered_band(cls, df: pd.DataFrame) -> Series[bool]:
        known = df["population_central"].notna()
        ordered = (df["population_low"] <= df["population_central"]) & (
            df["population_central"] <= df["population_high"]
        )
        return ~known | ordered.fillna(False)


class Rejected(pa.DataFrameModel):
    """An input row that could not be used, and why."""

    source_file: Series[str] = _field("Input file")
    source_row: Series[int] = _field("Row of the record in its file (header = 1)", ge=1)
    column: Series[str] = _text("Column at fault")
    value: Series[str] = _text("Value at fault")
    reason: Series[str] = _field("Reason code", isin=[r.value for r in RejectReason])
    message: Series[str] = _field("What was expected, in words")

    class Config:
        strict = True
        coerce = True


class Skipped(Rejected):
    """An input row left out by a rule the analyst chose (period, event type), not an error."""

    reason: Series[str] = _field("Rule that left it out", isin=[r.value for r in SkipReason])


class Summary(ProjectedPeople):
    """Totals of counted rows by period, actor and region, with the plain sum beside them."""

    group_by: Series[str] = _field("total, month, gaining_actor or state_region_name")
    group: Series[str] = _field("The month, actor or region", hxl="#meta+group")
    events: Series[pd.Int64Dtype] = _count("Events in the group", "events")
    events_counted: Series[pd.Int64Dtype] = _count("Events that count", "events")
    places_counted: Series[pd.Int64Dtype] = _count("Places counted once", "places")
    population_census: Series[pd.Int64Dtype] = _count(
        "2014 census, counted places", hxl="#population+census"
    )
    households: Series[pd.Int64Dtype] = _count(
        "Households at the event dates (central)", "households", hxl="#affected+hh"
    )
    population_central_all_rows: Series[pd.Int64Dtype] = _count(
        "Plain sum over every row, for transparency"
    )
    population_unknown_events: Series[pd.Int64Dtype] = _count(
        "Counted events whose place has no census figure", "events"
    )

    class Config:
        strict = False
        coerce = True


class Timeline(pa.DataFrameModel):
    """Who holds each place after each event."""

    date: Series[pd.Timestamp] = _field("Date of the event", unit="date (ISO)", hxl="#date")
    event_id: Series[str] = _field("Event", hxl="#event+id")
    pcode: Series[str] = _field("P-code of the headline unit", hxl="#loc+code")
    place_name: Series[str] = _field("Its name", hxl="#loc+name")
    change: Series[str] = _field("Kind of change", isin=CHANGES)
    holder_before: Series[str] = _field("Holder before the event", hxl="#org+name+before")
    holder_after: Series[str] = _field("Holder after the event", hxl="#org+name+after")
    control_moved: Series[bool] = _field("Whether control changed hands")
    flag: Series[str] = _text("Contested claim or inconsistent actors")

    class Config:
        coerce = True


class Control(pa.DataFrameModel):
    """People in the report's places by holder, after each date."""

    date: Series[pd.Timestamp] = _field("Date", unit="date (ISO)", hxl="#date")
    holder: Series[str] = _field("Actor holding the places", hxl="#org+name")
    places: Series[int] = _field("Places held", unit="places", ge=0)
    population_central: Series[pd.Int64Dtype] = _count("People there, central", hxl="#population")

    class Config:
        coerce = True


def in_model_order(frame: pd.DataFrame, model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """The model's columns in their declared order, then any others (passed through)."""
    declared = [c for c in model.to_schema().columns if c in frame.columns]
    return frame[[*declared, *(c for c in frame.columns if c not in declared)]]


TABLES: dict[str, type[pa.DataFrameModel]] = {
    "impacts": Impact,
    "summary": Summary,
    "timeline": Timeline,
    "control": Control,
    "rejected": Rejected,
    "skipped": Skipped,
}


def data_dictionary() -> pd.DataFrame:
    """Every column of every output table: description, unit and HXL hashtag."""
    rows = []
    for table, model in TABLES.items():
        for name, column in model.to_schema().columns.items():
            meta = column.metadata or {}
            rows.append(
                {
                    "table": f"{table}.csv",
                    "column": name,
                    "description": column.description,
                    "unit": meta.get("unit", ""),
                    "hxl": meta.get("hxl", ""),
                }
            )
    return pd.DataFrame(rows)


def hxl_tags(table: str, columns: pd.Index) -> list[str]:
    """The HXL hashtag row for a table's columns (empty where a column has no tag)."""
    model = TABLES.get(table)
    schema = model.to_schema().columns if model else {}
    return [(schema[c].metadata or {}).get("hxl", "") if c in schema else "" for c in columns]
