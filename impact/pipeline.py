"""One call from event files to every table of a report: `run`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impact.assumptions import load_assumptions
from impact.dates import date_flags, resolve_as_of
from impact.errors import NoUsableEventsError
from impact.estimate import estimate
from impact.events import EventTable, read_events
from impact.gazetteer import Gazetteer, resolve_places
from impact.reference import Reference, bundled_folder, load_reference
from impact.rollup import control_timeline, mark_counted, population_by_actor, summarise
from impact.schemas import Control, Impact, Rejected, Skipped, Summary, Timeline

IMPACT_COLUMNS = """
    event_id date date_text date_precision date_start date_end date_flag place township
    district region change change_text gaining_actor losing_actor source confidence notes
    event_scope
    pcode place_name level state_region_pcode state_region_name district_pcode district_name
    township_pcode township_name match_method match_score match_note place_qualifier
    scope area_pcode area_name area_level headline_pcode population_town_census
    population_area_census population_census census_year census_coverage population_source
    context_pcode context_population
    years_since_census population_low population_central population_high band_note
    population_male population_female population_0_14 population_15_64 population_65_plus
    population_disability households breakdown_method
    wards village_tracts schools schools_source hospitals hospital_beds hospitals_source
    health_workers health_workers_source beds_per_10000 beds_benchmark_per_10000
    beds_below_benchmark
    counted not_counted_reason source_file source_row
""".split()
# Columns used while reading that are not part of the output.
INTERNAL = {"date_problem"}


def default_events_path() -> Path:
    """The bundled seed events (public reporting, Oct–Dec 2023)."""
    return bundled_folder("seeds") / "events.csv"


@dataclass
class RunResult:
    """Everything a report is made of; nothing here has been written anywhere."""

    inputs: list[dict]
    audit: pd.DataFrame
    impacts: pd.DataFrame
    rejected: pd.DataFrame
    skipped: pd.DataFrame
    summary: pd.DataFrame
    timeline: pd.DataFrame
    control: pd.DataFrame
    assumptions: pd.DataFrame
    reference: Reference
    scope: str
    period: tuple[str | None, str | None] = (None, None)
    as_of: str | None = None

    @property
    def total(self) -> pd.Series:
        """The 'all events' row of the summary."""
        return self.summary[self.summary["group_by"] == "total"].iloc[0]

    @property
    def reconciliation(self) -> dict[str, int]:
        """Input rows = used + rejected + skipped by rule, always."""
        return {
            "input": sum(item["rows"] for item in self.inputs),
            "used": len(self.impacts),
            "rejected": len(self.rejected),
            "skipped": len(self.skipped),
        }


def run(
    events: str | Path | list[str | Path] | None = None,
    *,
    reference: Reference | Gazetteer | str | Path | None = None,
    assumptions: str | Path | None = None,
    scope: str = "area",
    dayfirst: bool | None = None,
    since: str | None = None,
    until: str | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
    on_step: Callable[[str], None] | None = None,
    as_of: str | None = None,
) -> RunResult:
    """Read events, resolve places, estimate and total them.

    Args:
        events: event files; the bundled seeds when None.
        reference: a loaded package (or a Gazetteer built on one, to reuse its index) or a
            package folder; the bundled Myanmar package when None.
        assumptions: a TOML file overriding default assumptions.
        scope: "area" or "town", the headline population.
        dayfirst: how to read dates such as 07/11/2023 (None refuses ambiguous ones).
        since, until: keep events in this period (ISO dates, inclusive); others are skipped.
        sheet: the Excel sheet to read; encoding: the text encoding of CSV files.
        on_step: called with the name of each step, for a progress display.
        as_of: the report's "today" (YYYY-MM-DD; default the run date): later events are
            flagged "in the future"; recorded in the manifest.

    Raises:
        NoUsableEventsError: no input row could be used.
    """
    step = on_step or (lambda _: None)
    as_of = resolve_as_of(as_of)
    step("loading reference data")
    gazetteer = _gazetteer(reference)
    reference = gazetteer.reference
    step("reading events")
    table = read_events(
        events if events is not None else default_events_path(),
        dayfirst=dayfirst,
        sheet=sheet,
        encoding=encoding,
    )
    table.events["date_flag"] = date_flags(table.events, as_of)
    kept, outside = _within_period(table.events, since, until)
    # Date order from the start: later steps then never reorder the wide tables.
    kept = kept.sort_values(["date", "event_id"], kind="stable").reset_index(drop=True)
    skipped = Skipped.validate(pd.concat([table.skipped, outside], ignore_index=True))
    passthrough = [c for c in kept.columns if c not in IMPACT_COLUMNS and c not in INTERNAL]
    step("resolving places")
    del table.events  # only `kept` is needed from here; a large run cannot hold both
    resolution = resolve_places(kept, gazetteer)
    del kept
    rejected = pd.concat([table.rejected, resolution.rejected], ignore_index=True)
    rejected = Rejected.validate(
        rejected.sort_values(["source_file", "source_row"]).reset_index(drop=True)
    )
    if resolution.resolved.empty:
        raise NoUsableEventsError(_nothing_usable(table, rejected, skipped))
    step("estimating")
    table_assumptions = load_assumptions(assumptions)
    impacts = estimate(resolution.resolved, reference, table_assumptions, scope=scope)
    resolution.resolved = None
    impacts = mark_counted(impacts, reference)
    impacts = Impact.validate(impacts[[*IMPACT_COLUMNS, *passthrough]], inplace=True)
    step("counting and control timeline")
    timeline = Timeline.validate(control_timeline(impacts), inplace=True)
    return RunResult(
        inputs=table.inputs,
        audit=resolution.audit,
        impacts=impacts,
        rejected=rejected,
        skipped=skipped,
        summary=Summary.validate(summarise(impacts)),
        timeline=timeline,
        control=Control.validate(population_by_actor(timeline, impacts)),
        assumptions=table_assumptions,
        reference=reference,
        scope=scope,
        period=(since, until),
        as_of=as_of,
    )


def _gazetteer(reference: Reference | Gazetteer | str | Path | None) -> Gazetteer:
    if isinstance(reference, Gazetteer):
        return reference
    if not isinstance(reference, Reference):
        reference = load_reference(reference)
    return Gazetteer(reference)


def _within_period(
    events: pd.DataFrame, since: str | None, until: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events inside [since, until]; the others as skipped rows."""
    inside = pd.Series(True, index=events.index)
    if since:
        inside &= events["date"] >= pd.Timestamp(since)
    if until:
        inside &= events["date"] <= pd.Timestamp(until)
    out = events[~inside]
    period = f"{since or 'the start'} to {until or 'the end'}"
    skipped = pd.DataFrame(
        {
            "source_file": out["source_file"],
            "source_row": out["source_row"],
            "column": "date",
            "value": out["date"].dt.strftime("%Y-%m-%d"),
            "reason": "outside_period",
            "message": f"outside the period {period}",
        }
    )
    return events[inside].reset_index(drop=True), Skipped.validate(skipped.reset_index(drop=True))


def _nothing_usable(table: EventTable, rejected: pd.DataFrame, skipped: pd.DataFrame) -> str:
    if table.rows_read == 0:
        return "the input has a header but no event rows"
    if rejected.empty and not skipped.empty:
        return (
            f"all {table.rows_read} input rows fall outside the period asked for; widen "
            "--since/--until"
        )
    reasons = "; ".join(
        f"{r.source_file} row {r.source_row}: {r.message}" for r in rejected.head(3).itertuples()
    )
    more = " …" if len(rejected) > 3 else ""
    return f"none of the {table.rows_read} input rows could be used. {reasons}{more}"
