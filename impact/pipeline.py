"""One call from event files to every table of a report: `run`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pandera.typing import DataFrame

from impact.assumptions import load_assumptions
from impact.dates import resolve_as_of
from impact.errors import NoUsableEventsError
from impact.estimate import estimate
from impact.events import EventTable, InputFile, read_events
from impact.problems import combine, skipped_rows
from impact.reference import Reference, bundled_folder, load_reference
from impact.resolve import resolve_places
from impact.rollup import control_timeline, mark_counted, population_by_actor, summarise
from impact.schemas import (
    SCOPES,
    Control,
    Impact,
    Rejected,
    Skipped,
    SkipReason,
    Summary,
    Timeline,
    in_model_order,
)


def default_events_path() -> Path:
    """The bundled seed events (public reporting, Oct–Dec 2023)."""
    return bundled_folder("seeds") / "events.csv"


@dataclass
class RunResult:
    """Everything a report is made of; nothing here has been written anywhere."""

    inputs: list[InputFile]
    audit: pd.DataFrame
    impacts: DataFrame[Impact]
    rejected: DataFrame[Rejected]
    skipped: DataFrame[Skipped]
    summary: DataFrame[Summary]
    timeline: DataFrame[Timeline]
    control: DataFrame[Control]
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
            "input": sum(item.rows for item in self.inputs),
            "used": len(self.impacts),
            "rejected": len(self.rejected),
            "skipped": len(self.skipped),
        }


def run(
    events: str | Path | list[str | Path] | None = None,
    *,
    reference: Reference | str | Path | None = None,
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
        reference: a loaded package (its name index is built once and kept with it) or a
            package folder; the bundled Myanmar package when None.
        assumptions: a TOML file overriding default assumptions.
        scope: one of `SCOPES` ("area" or "town"), the headline population.
        dayfirst: how to read dates such as 07/11/2023 (None refuses ambiguous ones).
        since, until: keep events in this period (ISO dates, inclusive); others are skipped.
        sheet: the Excel sheet to read; encoding: the text encoding of CSV files.
        on_step: called with the name of each step, for a progress display.
        as_of: the report's "today" (YYYY-MM-DD; default the run date): later events are
            flagged "in the future"; recorded in the manifest.

    Raises:
        NoUsableEventsError: no input row could be used.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    step = on_step or (lambda _: None)
    as_of = resolve_as_of(as_of)
    step("loading reference data")
    if not isinstance(reference, Reference):
        reference = load_reference(reference)
    table_assumptions = load_assumptions(assumptions)
    step("reading events")
    table = read_events(
        events if events is not None else default_events_path(),
        dayfirst=dayfirst,
        sheet=sheet,
        encoding=encoding,
        census_date=reference.census_date,
        as_of=as_of,
    )
    kept, outside = _within_period(table.events, since, until)
    step("resolving places")
    resolution = resolve_places(kept, reference)
    rejected = combine(table.rejected, resolution.rejected)
    skipped = combine(table.skipped, outside)
    if resolution.resolved.empty:
        raise NoUsableEventsError(_nothing_usable(table, rejected, skipped))
    step("estimating")
    impacts = estimate(resolution.resolved, reference, table_assumptions, scope=scope)
    impacts = Impact.validate(
        in_model_order(mark_counted(impacts, reference, table_assumptions), Impact)
    )
    step("counting and control timeline")
    timeline = Timeline.validate(control_timeline(impacts, scope), inplace=True)
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
    skipped = skipped_rows(
        out,
        column="date",
        value=out["date"].dt.strftime("%Y-%m-%d"),
        reason=SkipReason.OUTSIDE_PERIOD,
        message=f"outside the period {period}",
    )
    return events[inside].reset_index(drop=True), skipped


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
