"""One call from event files to every table of a report: `run`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impact.assumptions import load_assumptions
from impact.errors import NoUsableEventsError
from impact.estimate import estimate
from impact.events import EventTable, read_events
from impact.gazetteer import Resolution, resolve_places
from impact.reference import Reference, bundled_folder, load_reference
from impact.rollup import mark_counted, summarise
from impact.schemas import Impact, Rejected

IMPACT_COLUMNS = """
    event_id date place township district region change gaining_actor losing_actor source
    confidence notes pcode place_name level state_region_pcode state_region_name district_pcode
    district_name township_pcode township_name match_method match_score match_note
    place_qualifier scope
    area_pcode area_name area_level population_town_census population_area_census
    population_census census_year population_source context_pcode context_population
    years_since_census population_low population_central population_high households
    households_method wards village_tracts schools schools_source hospitals hospital_beds
    hospitals_source counted not_counted_reason headline_pcode source_file source_row
""".split()


def default_events_path() -> Path:
    """The bundled seed events (public reporting, Oct–Dec 2023)."""
    return bundled_folder("seeds") / "events.csv"


@dataclass
class RunResult:
    """Everything a report is made of; nothing here has been written anywhere."""

    inputs: EventTable
    resolution: Resolution
    impacts: pd.DataFrame
    rejected: pd.DataFrame
    summary: pd.DataFrame
    assumptions: pd.DataFrame
    reference: Reference
    scope: str

    @property
    def total(self) -> pd.Series:
        """The 'all events' row of the summary."""
        return self.summary[self.summary["group_by"] == "total"].iloc[0]


def run(
    events: str | Path | list[str | Path] | None = None,
    *,
    reference: Reference | str | Path | None = None,
    assumptions: str | Path | None = None,
    scope: str = "area",
    dayfirst: bool | None = None,
) -> RunResult:
    """Read events, resolve places, estimate and total them.

    Args:
        events: event files; the bundled seeds when None.
        reference: a loaded package or its folder; the bundled Myanmar package when None.
        assumptions: a TOML file overriding default assumptions.
        scope: "area" or "town", the headline population.
        dayfirst: how to read dates such as 07/11/2023 (None refuses ambiguous ones).

    Raises:
        NoUsableEventsError: every input row was rejected.
    """
    if not isinstance(reference, Reference):
        reference = load_reference(reference)
    table = read_events(events if events is not None else default_events_path(), dayfirst=dayfirst)
    resolution = resolve_places(table.events, reference)
    rejected = pd.concat([table.rejected, resolution.rejected], ignore_index=True)
    rejected = Rejected.validate(
        rejected.sort_values(["source_file", "source_row"]).reset_index(drop=True)
    )
    if resolution.resolved.empty:
        reasons = "; ".join(
            f"{r.source_file} row {r.source_row}: {r.message}"
            for r in rejected.head(3).itertuples()
        )
        raise NoUsableEventsError(
            f"none of the {table.rows_read} input rows could be used. "
            f"{reasons}{' …' if len(rejected) > 3 else ''}"
        )
    table_assumptions = load_assumptions(assumptions)
    impacts = estimate(resolution.resolved, reference, table_assumptions, scope=scope)
    impacts = mark_counted(impacts, reference)
    extra = [
        c
        for c in impacts.columns
        if c not in IMPACT_COLUMNS
        and c in table.events.columns
        and c not in ("date_text", "change_text")
    ]
    impacts = Impact.validate(impacts[[*IMPACT_COLUMNS, *extra]])
    return RunResult(
        table,
        resolution,
        impacts,
        rejected,
        summarise(impacts),
        table_assumptions,
        reference,
        scope,
    )
