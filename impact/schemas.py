"""Pandera models: the contract of every table `impact` reads or writes.

Stages that add columns inherit from the stage before (`ResolvedEvent(Event)`,
`Impact(ResolvedEvent)`), so a model says exactly what a caller gets. Each field's description,
unit and HXL hashtag also make the data dictionary shipped with every report.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera import dtypes
from pandera.engines import pandas_engine
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
# Words analysts write for each change ("|"-separated), matched as whole words after case is
# folded; a space also matches a hyphen or underscore. `changes.parse_changes` reads them.
CHANGE_WORDS = {
    change: words.split("|")
    for change, words in {
        "captured": "captured|capture|captures|capturing|seized|seize|seizes|seizing|seizure|"
        "taken|take|takes|taking|took|took control|taken control|took over|taken over|"
        "take over|takeover|took full control|taken full control|took complete control|"
        "full control|complete control|total control|effective control|overran|overrun|"
        "overruns|overrunning|fell|fell to|falls|fall of|"
        "occupied|occupy|occupies|control|controls|controlled|in control|liberated|liberate|"
        "liberation|overtaken|overtook|stormed|conquered|won|secured|held|holds|gained|"
        "gained control|lost|lost control|surrendered|fell into the hands of|changed hands|"
        "changes hands|change of hands|switched hands|change of control|control changed",
        "recaptured": "recaptured|recapture|recaptures|re captured|retaken|retake|retook|"
        "re taken|re took|regained|regain|regains|re gained|taken back|took back|won back|"
        "recovered|recover|reclaimed|back under control|re entered|reentered|re entry|"
        "moved back into|back in control",
        "handed over": "handed over|handed back|handover|hand over|handing over|hands over|"
        "transferred|transfer|ceded|cede|returned|given back|handed|"
        "handed back under a ceasefire deal",
        "contested": "contested|disputed|claimed|claim|claims|claimed captured|mixed control|"
        "mixed|shared control",
        "withdrawn": "withdrawn|withdrew|withdraw|withdraws|withdrawal|abandoned|abandon|"
        "evacuated|retreated|retreat|retreated from|pulled out|pulled out of|pulled back|fled",
    }.items()
}
# Words for a claim, which decide the change (contested) only when no other change word is
# present: "claimed" alone is a contested claim, "claimed captured" a capture that is claimed.
CLAIM_WORDS = frozenset({"claimed", "claim", "claims"})
# How sure the source is that the change happened, and words that say so ("|"-separated).
# A row without any of these words is confirmed; the counting rule for the others is in
# assumptions.toml (count_claimed, count_partial, count_brief).
CERTAINTIES = ["confirmed", "claimed", "partial", "brief"]
CERTAINTY_WORDS = {
    certainty: words.split("|")
    for certainty, words in {
        "claimed": "claimed|claim|claims|claiming|reportedly|reported|reports|unverified|"
        "unconfirmed|not confirmed|not verified|not independently verified|"
        "could not be verified|cannot be verified|allegedly|alleged|denied|denies|deny|"
        "disputed|rumoured|rumored|rumour|rumor|said to|unclear|to be confirmed|tbc|"
        "yet to be confirmed|pending confirmation|awaiting confirmation",
        "partial": "partial|partially|partly|part of|parts of|most of|half of|some wards|"
        "some areas|in part|outskirts",
        "brief": "briefly|brief|temporarily|temporary|for a day|for hours|for a few days|"
        "for several days|raid|raided",
        "confirmed": "confirmed|verified|officially|independently confirmed",
    }.items()
}
# Columns the stages add that no model declares (the resolver's audit, ACLED's actor rule).
WORKING_COLUMNS = frozenset({"outcome", "candidates", "runner_up", "actor_rule"})
MATCH_METHODS = ["pcode", "exact", "alias", "fuzzy", "coordinates"]
MATCH_CONFIDENCES = ["high", "medium", "low"]
# Flags a match can carry (";"-separated in `match_flags`).
MATCH_FLAGS = ["near_place", "location_conflict", "several_places", "town_elsewhere"]


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
    """Which rule left a row out (the `reason` of skipped.csv): one the analyst chose (the
    period, ACLED's event types), or a row that is not an event (a total, a heading)."""

    OUTSIDE_PERIOD = "outside_period"
    NOT_A_CONTROL_CHANGE = "not_a_control_change"
    NOT_AN_EVENT = "not_an_event"


PCODE = r"^[A-Z]{3}[0-9A-Z]+$"


@pandas_engine.Engine.register_dtype
@dtypes.immutable(init=True)
class Text(pandas_engine.STRING):
    """pandas' string dtype, the type of every text column, checked once per column.

    pandera's own string type answers its dtype check element by element even when the
    column's dtype already matches, and then builds an empty table of failure cases for each
    of the ~130 text columns of a run: a fifth of a small run's validation time.
    """

    def check(self, pandera_dtype: dtypes.DataType, data_container: Any = None) -> Any:
        if data_container is not None and isinstance(pandera_dtype, pandas_engine.STRING):
            return pandera_dtype.type == self.type
        if isinstance(pandera_dtype, pandas_engine.Category):
            return is_text_categories(pandera_dtype.type)
        return super().check(pandera_dtype, data_container)

    def coerce(self, data_container: Any) -> Any:
        if is_text_categories(getattr(data_container, "dtype", None)):
            return data_container
        return super().coerce(data_container)


def is_text_categories(kind: object) -> bool:
    """A categorical dtype of text: how the per-event tables hold text that repeats (see
    `impact.per_value.repeated_as_categories`); it passes for text everywhere."""
    if not isinstance(kind, pd.CategoricalDtype):
        return False
    return isinstance(kind.categories.dtype, pd.StringDtype) or not len(kind.categories)


def _field(description: str, *, unit: str = "", hxl: str = "", **checks: Any) -> Any:
    return pa.Field(description=description, metadata={"unit": unit, "hxl": hxl}, **checks)


def _text(description: str, hxl: str = "", **checks: Any) -> Any:
    return _field(description, hxl=hxl, nullable=True, **checks)


def _count(description: str, unit: str = "people", hxl: str = "") -> Any:
    return _field(description, unit=unit, hxl=hxl, nullable=True, ge=0)


def _date(description: str, hxl: str = "") -> Any:
    return _field(description, unit="date (ISO)", hxl=hxl, nullable=True)


class Place(pa.DataFrameModel):
    """One administrative unit of a reference data package.

    A unit is its P-code and level: a sub-township is keyed by its seat town's P-code with
    level `sub_township`, so no P-code is made up for it (`load_reference` refuses any other
    repeated P-code).
    """

    pcode: Series[Text] = _field("P-code", str_matches=PCODE)
    name: Series[Text] = _field("English name as in the P-code release")
    level: Series[Text] = _field("Administrative level", isin=LEVELS)
    parent_pcode: Series[Text] = _text("P-code of the parent unit")
    area_pcode: Series[Text] = _text("For a town, the unit governed from it")
    area_level: Series[Text] | None = _text(
        "For a town, the level of the unit governed from it (township, sub_township)",
        isin=LEVELS,
    )
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
    source: Series[Text] = _field("Source of the unit (key into sources.csv)")

    class Config:
        strict = False
        coerce = True


class Event(pa.DataFrameModel):
    """A control-change event read from an input file, before place resolution."""

    event_id: Series[Text] = _field("Identifier of the event", hxl="#event+id")
    date: Series[pd.Timestamp] = _field("Day control changed", unit="date (ISO)", hxl="#date")
    date_text: Series[Text] = _text("Date as written in the input")
    date_precision: Series[Text] = _text("day, range, week, month or year")
    date_start: Series[pd.Timestamp] = _date("Earliest possible date", "#date+start")
    date_end: Series[pd.Timestamp] = _date("Latest possible date", "#date+end")
    date_flag: Series[Text] = _text("'in the future' or 'before the 2014 census'")
    place: Series[Text] = _text(
        "Place as written in the input (empty where a point alone places the event)",
        hxl="#loc+name+input",
        str_length={"min_value": 1},
    )
    township: Series[Text] = _text("Township hint from the input")
    district: Series[Text] = _text("District hint from the input")
    region: Series[Text] = _text("State/region hint from the input")
    change: Series[Text] = _field("Kind of change, normalised", hxl="#event+type", isin=CHANGES)
    change_text: Series[Text] = _text("Change as written in the input")
    change_qualifier: Series[Text] = _text("Change text other than the change words")
    change_certainty: Series[Text] = _text(
        "confirmed, claimed, partial or brief (from the change text and confidence; "
        "empty is taken as confirmed)",
        isin=CERTAINTIES,
    )
    gaining_actor: Series[Text] = _text(
        "Who took control (canonical name from the actors table)", "#org+name+gaining"
    )
    losing_actor: Series[Text] = _text(
        "Who lost control (canonical name from the actors table)", "#org+name+losing"
    )
    source: Series[Text] = _text("Who reported the event", "#meta+source")
    confidence: Series[Text] = _text("Confidence given in the input")
    notes: Series[Text] = _text("Notes from the input")
    event_scope: Series[Text] = _text(
        "Scope written in the input row, kept as given (the "
        "headline scope is chosen per run with --scope)"
    )
    alt_names: Series[Text] = _text("Other spellings of the place, ';' or '/' separated")
    latitude: Series[Text] = _text("Latitude as written in the input (lat, y)")
    longitude: Series[Text] = _text("Longitude as written in the input (lon, lng, x)")
    source_file: Series[Text] = _field("Input file the row came from")
    source_row: Series[int] = _field("Row of the record in its file (header = 1)", ge=1)

    class Config:
        strict = False
        coerce = True


class ResolvedEvent(Event):
    """An event with the reference place it names."""

    pcode: Series[Text] = _field("P-code of the matched place", hxl="#loc+code", str_matches=PCODE)
    place_name: Series[Text] = _field("Name of the matched place", hxl="#loc+name")
    level: Series[Text] = _field("Level of the matched place", isin=LEVELS)
    state_region_pcode: Series[Text] = _text("State/region P-code", "#adm1+code")
    state_region_name: Series[Text] = _text("State/region name", "#adm1+name")
    district_pcode: Series[Text] = _text("District P-code", "#adm2+code")
    district_name: Series[Text] = _text("District name", "#adm2+name")
    township_pcode: Series[Text] = _text("Township P-code", "#adm3+code")
    township_name: Series[Text] = _text("Township name", "#adm3+name")
    match_method: Series[Text] = _field(
        "pcode, exact, alias, fuzzy or coordinates", isin=MATCH_METHODS
    )
    match_score: Series[float] = _field(
        "Spelling similarity, 100 = identical (empty for coordinates)",
        unit="0-100",
        ge=0,
        le=100,
        nullable=True,
    )
    match_confidence: Series[Text] = _field(
        "high, medium or low (rule in README: How place names are matched)",
        isin=MATCH_CONFIDENCES,
    )
    match_flags: Series[Text] = _text(
        "near_place, location_conflict, several_places, town_elsewhere (';'-separated)"
    )
    match_note: Series[Text] = _text("Hints used, fuzzy spelling, runner-up, point checks")
    place_qualifier: Series[Text] = _text("Notes removed from the place text")
    matched_name: Series[Text] = _text("Spelling that matched (the name or an alt_names entry)")
    village_pcode: Series[Text] = _text("MIMU village code when a village was named")
    village_name: Series[Text] = _text("Village named (figures are its village tract's)")
    village_lat: Series[float] = _field(
        "Village latitude", unit="degrees", nullable=True, ge=-90, le=90
    )
    village_lon: Series[float] = _field(
        "Village longitude", unit="degrees", nullable=True, ge=-180, le=180
    )
    point_lat: Series[float] = _field(
        "Latitude given in the input", unit="degrees", nullable=True, ge=-90, le=90
    )
    point_lon: Series[float] = _field(
        "Longitude given in the input", unit="degrees", nullable=True, ge=-180, le=180
    )
    point_township_pcode: Series[Text] = _text("Township whose outline holds the input point")


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


class EventActors(pa.DataFrameModel):
    """The actors of an event as written, and their canonical names and sides."""

    gaining_actor_text: Series[Text] = _text("Gaining actor as written in the input")
    losing_actor_text: Series[Text] = _text("Losing actor as written in the input")
    gaining_side: Series[Text] = _field(
        "Side of the gaining actor: military, resistance, non_aligned or unknown",
        hxl="#org+type+gaining",
    )
    losing_side: Series[Text] = _field(
        "Side of the losing actor: military, resistance, non_aligned or unknown",
        hxl="#org+type+losing",
    )
    gaining_actor_type: Series[Text] = _text("Type of the gaining actor (actors table)")
    gaining_allies: Series[Text] = _text("Allies named beside the gaining actor, canonical")


class Impact(ProjectedPeople, EventActors, ResolvedEvent):
    """One row per used event: the place, its census figures, estimates and services.

    The fields are declared in the order `impacts.csv` writes them (inherited fields first);
    columns passed through from the input follow them.
    """

    scope: Series[Text] = _field("Headline population: area or town", isin=list(SCOPES))
    area_pcode: Series[Text] = _field("Unit governed from the place")
    area_name: Series[Text] = _text("Name of that unit")
    area_level: Series[Text] | None = _text("Level of that unit")
    headline_pcode: Series[Text] = _field(
        "The unit of the row: every figure below describes it (area, or town with --scope town)"
    )
    headline_name: Series[Text] = _text("Name of the unit of the row")
    headline_level: Series[Text] = _text("Level of the unit of the row")
    population_town_census: Series[pd.Int64Dtype] = _count("2014 census, the place named")
    population_area_census: Series[pd.Int64Dtype] = _count("2014 census, the area governed")
    population_census: Series[pd.Int64Dtype] = _count(
        "2014 census, headline unit", hxl="#population+census"
    )
    population_method: Series[Text] = _text(
        "How the unit's population was obtained: census (census_wards, census_residual, "
        "census_city_townships, census_host_village_tract, ...) or estimated_* "
        "(estimated_ward_share, estimated_new_town: an estimate, not a census figure)"
    )
    population_band_pct: Series[float] = _field(
        "Validated +/- band of an estimated population", unit="percent", nullable=True, ge=0
    )
    census_year: Series[pd.Int64Dtype] = _count("Year of the census figure", "year")
    census_coverage: Series[Text] = _text("enumerated or partly_not_enumerated in 2014")
    population_source: Series[Text] = _text("Source key of the census figure")
    not_enumerated_share: Series[float] = _field(
        "People not enumerated in 2014 as a share of those enumerated (raises high)",
        unit="share",
        nullable=True,
        ge=0,
    )
    coverage_basis: Series[Text] = _text(
        "Level of that share's evidence: state_only, northern_rakhine_spread, enumerated"
    )
    context_pcode: Series[Text] = _text("Enclosing township when the unit has no figure")
    context_population: Series[pd.Int64Dtype] = _count("Census population of that township")
    years_since_census: Series[float] = _field(
        "Years from 29 Mar 2014 to the event", unit="years", nullable=True
    )
    band_note: Series[Text] = _text("Why the range is wider than usual")
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
    breakdown_method: Series[Text] = _text("Census figures, or township shares applied")
    wards: Series[pd.Int64Dtype] = _count("Wards in the unit of the row", "wards")
    village_tracts: Series[pd.Int64Dtype] = _count("Village tracts in the unit of the row", "units")
    area_km2: Series[float] = _field(
        "Area of the unit (township outlines; empty for towns without a sourced figure)",
        unit="km2",
        nullable=True,
        ge=0,
    )
    area_source: Series[Text] = _text("Source key of the area")
    density_per_km2: Series[float] = _field(
        "2014 census people per km2 of the unit", unit="people per km2", nullable=True, ge=0
    )
    schools: Series[pd.Int64Dtype] = _count(
        "Schools in the unit, where a public source gives a figure",
        "schools",
        hxl="#capacity+schools",
    )
    schools_source: Series[Text] = _text("Source key of the schools figure")
    hospitals: Series[pd.Int64Dtype] = _count(
        "Public hospitals in the unit", "hospitals", hxl="#capacity+hospitals"
    )
    hospital_beds: Series[pd.Int64Dtype] = _count(
        "Public hospital beds in the unit", "beds", hxl="#capacity+beds"
    )
    hospitals_source: Series[Text] = _text("Source key of the hospital figures")
    doctors: Series[pd.Int64Dtype] = _count("Government doctors (townships only)", "doctors")
    nurses: Series[pd.Int64Dtype] = _count("Government nurses (townships only)", "nurses")
    health_assistants: Series[pd.Int64Dtype] = _count(
        "Government health assistants (townships only)", "health assistants"
    )
    health_workers: Series[pd.Int64Dtype] = _count(
        "Doctors, nurses, health assistants (townships only)", "health workers"
    )
    health_workers_source: Series[Text] = _text("Source key of the health workers figure")
    beds_per_10000: Series[float] = _field(
        "Beds per 10,000 people of the unit (2014 census)", unit="beds per 10,000", nullable=True
    )
    beds_benchmark_per_10000: Series[float] = _field(
        "Humanitarian benchmark (assumptions)", unit="beds per 10,000"
    )
    beds_below_benchmark: Series[pd.BooleanDtype] = _field(
        "Beds below the benchmark", nullable=True
    )
    services_note: Series[Text] = _text("Service figures not available for this kind of unit")
    counted: Series[bool] = _field("Whether the row counts in totals", hxl="#meta+counted")
    not_counted_reason: Series[Text] = _text("Why the row does not count")
    # Added when the report is written (impact.geo_outputs.located_impacts), not by `run`.
    lat: Series[float] | None = _field(
        "Latitude of the matched place's own point (towns, villages; empty for larger units)",
        unit="degrees (WGS 84)",
        hxl="#geo+lat",
        nullable=True,
        required=False,
    )
    lon: Series[float] | None = _field(
        "Longitude of the matched place's own point (towns, villages; empty for larger units)",
        unit="degrees (WGS 84)",
        hxl="#geo+lon",
        nullable=True,
        required=False,
    )
    town_pcode: Series[Text] | None = _field(
        "Town P-code (the place or the town holding it)",
        hxl="#adm4+code+town",
        nullable=True,
        required=False,
    )
    town_name: Series[Text] | None = _field(
        "Town name", hxl="#adm4+name+town", nullable=True, required=False
    )
    village_tract_pcode: Series[Text] | None = _field(
        "Village tract P-code", hxl="#adm4+code+vt", nullable=True, required=False
    )
    village_tract_name: Series[Text] | None = _field(
        "Village tract name", hxl="#adm4+name+vt", nullable=True, required=False
    )

    @pa.dataframe_check(description="rows in date order (then event_id)")
    @classmethod
    def in_date_order(cls, df: pd.DataFrame) -> bool:
        return in_date_order(df)

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

    source_file: Series[Text] = _field("Input file")
    source_row: Series[int] = _field("Row of the record in its file (header = 1)", ge=1)
    column: Series[Text] = _text("Column at fault")
    value: Series[Text] = _text("Value at fault")
    reason: Series[Text] = _field("Reason code", isin=[r.value for r in RejectReason])
    message: Series[Text] = _field("What was expected, in words")

    class Config:
        strict = True
        coerce = True


class Skipped(Rejected):
    """An input row left out by a rule (period, event type, not an event), not an error."""

    reason: Series[Text] = _field("Rule that left it out", isin=[r.value for r in SkipReason])


class Summary(ProjectedPeople):
    """One row: the period's counted-once totals, and the places that changed hands in it."""

    period_start: Series[pd.Timestamp] = _field("First day of the period", unit="date (ISO)")
    period_end: Series[pd.Timestamp] = _field("Last day of the period", unit="date (ISO)")
    events: Series[pd.Int64Dtype] = _count("Events in the period", "events")
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
    places_changed_hands: Series[pd.Int64Dtype] = _count(
        "Places whose holder changed in the period (each once)", "places"
    )
    population_low_changed_hands: Series[pd.Int64Dtype] = _count(
        "People in those places, low (one figure per place, as in control.csv)"
    )
    population_central_changed_hands: Series[pd.Int64Dtype] = _count(
        "People in those places, central"
    )
    population_high_changed_hands: Series[pd.Int64Dtype] = _count("People in those places, high")
    places_changed_without_figure: Series[pd.Int64Dtype] = _count(
        "Of those places, how many add no people (no census figure, or inside another place "
        "of the sheet that carries its people)",
        "places",
    )

    class Config:
        strict = False
        coerce = True


class Timeline(pa.DataFrameModel):
    """Who holds each place after each event, for every event up to the period end (events
    before the period set the holder at its start)."""

    date: Series[pd.Timestamp] = _field("Date of the event", unit="date (ISO)", hxl="#date")
    event_id: Series[Text] = _field("Event", hxl="#event+id")
    pcode: Series[Text] = _field("P-code of the headline unit", hxl="#loc+code")
    place_name: Series[Text] = _field("Its name", hxl="#loc+name")
    change: Series[Text] = _field("Kind of change", isin=CHANGES)
    holder_before: Series[Text] = _field("Holder before the event", hxl="#org+name+before")
    holder_after: Series[Text] = _field("Holder after the event", hxl="#org+name+after")
    side_before: Series[Text] = _field("Side of the holder before")
    side_after: Series[Text] = _field("Side of the holder after")
    control_moved: Series[bool] = _field("Whether control changed hands")
    flag: Series[Text] = _text("Contested claim or inconsistent actors")
    in_period: Series[bool] = _field("Whether the event is in the period reported")

    class Config:
        coerce = True


class Held(ProjectedPeople):
    """Places and their people, with the places whose people are left out."""

    places: Series[int] = _field(
        "Places (for gained and lost: changes of hands, so a place taken twice counts twice)",
        unit="places",
    )
    places_without_figure: Series[int] = _field(
        "Places counted in `places` whose people are not in the population: no census "
        "figure, or inside another place of the sheet whose figure includes them",
        unit="places",
        ge=0,
    )


class Control(Held):
    """Places and people by holder after each date with a change, starting with the holdings
    as the period begins (dated the day before its first day); a holder that loses its last
    place gets a row of zeros on that date."""

    date: Series[pd.Timestamp] = _field("Date", unit="date (ISO)", hxl="#date")
    holder: Series[Text] = _field("Actor holding the places (canonical)", hxl="#org+name")
    side: Series[Text] = _field("Side of the holder", hxl="#org+type")

    class Config:
        coerce = True


MEASURE = (
    "held_at_start, gained, lost or held_at_end; held_at_end = held_at_start + gained - "
    "lost. Sum within one measure only"
)


class Flows(Held):
    """What each group held at the start and end of a period, and gained and lost in it."""

    measure: Series[Text] = _field(MEASURE, isin=["held_at_start", "gained", "lost", "held_at_end"])
    side: Series[Text] = _field("Side: military, resistance, non_aligned or unknown")

    class Config:
        coerce = True


class ByActor(Flows):
    """Flows by canonical actor over the period."""

    actor: Series[Text] = _field("Canonical actor", hxl="#org+name")


class BySide(Flows):
    """Flows by side over the period; a move between two actors of one side is not counted."""


class ByRegion(Flows):
    """Flows by state/region and side over the period."""

    state_region_name: Series[Text] = _field("State/region of the places", hxl="#adm1+name")


class ByMonth(ByActor):
    """What changed hands in each month, by actor; held_at_* are the month's start and end."""

    month: Series[Text] = _field("Month (YYYY-MM)", unit="month", str_matches=r"^\d{4}-\d{2}$")


class UnknownActor(pa.DataFrameModel):
    """An actor the actors table does not know, kept as written; add it with --actors FILE."""

    actor: Series[Text] = _field("The actor as written (tidied)")
    side: Series[Text] = _field("Always unknown until the actor is added to the table")
    role: Series[Text] = _field("gaining or losing")
    events: Series[int] = _field("Events naming it in that role", unit="events", ge=1)
    written_as: Series[Text] = _field("Every spelling seen, '; '-separated")

    class Config:
        coerce = True


class MatchAudit(pa.DataFrameModel):
    """How each distinct place text was matched (match_audit.csv)."""

    place: Series[Text] = _text("Place as written in the input", "#loc+name+input")
    township: Series[Text] = _text("Township hint from the input")
    district: Series[Text] = _text("District hint from the input")
    region: Series[Text] = _text("State/region hint from the input")
    outcome: Series[Text] = _text("matched, ambiguous, not found, unreadable or outside the hints")
    pcode: Series[Text] = _text("P-code chosen", "#loc+code")
    place_name: Series[Text] = _text("Name of the place chosen", "#loc+name")
    level: Series[Text] = _text("Level of the place chosen")
    match_method: Series[Text] = _text("pcode, exact, alias or fuzzy")
    match_score: Series[float] = _field(
        "Spelling similarity, 100 = identical", unit="0-100", nullable=True
    )
    match_note: Series[Text] = _text("Hints used, fuzzy spelling and runner-up")
    place_qualifier: Series[Text] = _text("Qualifier removed from the place text")
    candidates: Series[Text] = _text("How many places the name could mean", hxl="")
    runner_up: Series[Text] = _text("The next best candidate, when there was one")

    class Config:
        strict = False


class AssumptionRow(pa.DataFrameModel):
    """One assumption used by the estimates (assumptions.csv)."""

    name: Series[Text] = _field("Name of the assumption")
    value: Series[float] = _field("Its value", unit="see unit column")
    unit: Series[Text] = _text("Unit of the value")
    source: Series[Text] = _text("Where the value comes from", "#meta+source")


class DictionaryRow(pa.DataFrameModel):
    """One column of one output file (data_dictionary.csv)."""

    table: Series[Text] = _field("Output file the column is in")
    column: Series[Text] = _field("Column name")
    description: Series[Text] = _field("What the column holds")
    unit: Series[Text] = _text("Unit of the values")
    hxl: Series[Text] = _text("HXL hashtag of the column")


class PlaceFeature(pa.DataFrameModel):
    """Properties of a point in places.geojson (one per event row; also in impacts.csv)."""

    gaining_side: Series[Text] = _text(
        "Side of the gaining actor: military, resistance, non_aligned or unknown",
        "#org+type+gaining",
    )


class ControlFeature(pa.DataFrameModel):
    """Properties of a township outline in control.geojson."""

    township_pcode: Series[Text] = _field("Township P-code", hxl="#adm3+code")
    township_name: Series[Text] = _text("Township name", "#adm3+name")
    state_region_name: Series[Text] = _text("State/region name", "#adm1+name")
    holder: Series[Text] = _text(
        "Actor holding the township's changed places after the last change", "#org+name"
    )
    side: Series[Text] = _text("Side of that actor", "#org+type")
    last_change: Series[pd.Timestamp] = _date("Date of the last change of hands", "#date")
    events: Series[pd.Int64Dtype] = _count("Events in the township", "events")
    people_low: Series[pd.Int64Dtype] = _count(
        "People living in the township's counted places, low", hxl="#affected+total+min"
    )
    people_central: Series[pd.Int64Dtype] = _count(
        "People living in the township's counted places, central", hxl="#affected+total"
    )
    people_high: Series[pd.Int64Dtype] = _count(
        "People living in the township's counted places, high", hxl="#affected+total+max"
    )
    outline: Series[Text] = _text("Outline source, or none for townships created after 2014")


def in_date_order(table: pd.DataFrame) -> bool:
    """True when the rows are in date and then event_id order (a missing event_id last within
    its day), as a stable sort would leave them. Neighbouring rows are compared, so a million
    rows are checked without sorting them."""
    if len(table) < 2:
        return True
    dates = table["date"].to_numpy()
    later, same = dates[1:] > dates[:-1], dates[1:] == dates[:-1]
    if not (later | same).all():
        return False
    if not same.any():
        return True
    ids = pyarrow.array(table["event_id"].astype("string"))
    ordered = pc.or_kleene(pc.less_equal(ids[:-1], ids[1:]), pc.is_null(ids[1:]))
    ordered = np.asarray(pc.fill_null(ordered, False), dtype=bool)
    return bool(ordered[same].all())


def by_date(table: pd.DataFrame) -> pd.DataFrame:
    """The rows in date and event_id order: as they are when already so (impacts always are),
    else stably sorted."""
    if in_date_order(table):
        return table
    return table.take(date_order(table))


def date_order(table: pd.DataFrame) -> np.ndarray:
    """The positions of the rows in date and then event_id order (a missing one last), ties
    kept in table order: a stable sort by Arrow, much quicker than pandas' on text."""
    keys = pyarrow.table(
        {
            "date": pyarrow.array(table["date"]),
            "id": pyarrow.array(table["event_id"].astype("string")),
        }
    )
    order = pc.sort_indices(keys, sort_keys=[("date", "ascending"), ("id", "ascending")])
    return np.asarray(order)


def in_model_order(frame: pd.DataFrame, model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """The model's columns in their declared order, then any others (passed through)."""
    declared = [c for c in model.to_schema().columns if c in frame.columns]
    return frame[[*declared, *(c for c in frame.columns if c not in declared)]]


TABLES: dict[str, type[pa.DataFrameModel]] = {
    "impacts": Impact,
    "summary": Summary,
    "by_month": ByMonth,
    "by_actor": ByActor,
    "by_side": BySide,
    "by_region": ByRegion,
    "timeline": Timeline,
    "control": Control,
    "actors_not_in_table": UnknownActor,
    "rejected": Rejected,
    "skipped": Skipped,
    "match_audit": MatchAudit,
    "assumptions": AssumptionRow,
    "data_dictionary": DictionaryRow,
}
# Models whose columns can describe a column of the same name in another file.
GLOSSARY_MODELS = (Impact, Summary, Timeline, Control, ControlFeature, PlaceFeature, MatchAudit)


def data_dictionary(files: dict[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Every column of every output file: description, unit and HXL hashtag.

    Args:
        files: the columns of each output file, by file name (`impacts.csv`,
            `places.geojson` …); the declared columns of `TABLES` when None. A column the
            file's own model does not declare is described by the first model that does
            (a summary's `population_female` by the per-event table's).
    """
    if files is None:
        files = {f"{t}.csv": m.to_schema().columns for t, m in TABLES.items()}
    glossary: dict[str, Any] = {}
    for model in GLOSSARY_MODELS:
        for name, column in model.to_schema().columns.items():
            glossary.setdefault(name, column)
    rows = []
    for file, columns in files.items():
        model = TABLES.get(file.rsplit(".", 1)[0])
        own = model.to_schema().columns if model else {}
        for name in columns:
            column = own.get(name) or glossary.get(name)
            meta = (column.metadata or {}) if column is not None else {}
            rows.append(
                {
                    "table": file,
                    "column": name,
                    "description": column.description if column is not None else pd.NA,
                    "unit": meta.get("unit", ""),
                    "hxl": meta.get("hxl", ""),
                }
            )
    return pd.DataFrame(rows, columns=["table", "column", "description", "unit", "hxl"])


def hxl_tags(table: str, columns: pd.Index) -> list[str]:
    """The HXL hashtag row for a table's columns (empty where a column has no tag)."""
    model = TABLES.get(table)
    schema = model.to_schema().columns if model else {}
    return [(schema[c].metadata or {}).get("hxl", "") if c in schema else "" for c in columns]
