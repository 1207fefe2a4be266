"""One call from event files to every table of a report: `run`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pandas as pd
from pandera.typing import DataFrame

from impact.actors import COLUMNS as ACTOR_COLUMNS
from impact.actors import ActorTable, load_actors
from impact.assumptions import load_assumptions
from impact.control import (
    PeriodChanges,
    control_over_time,
    control_timeline,
    period_changes,
    place_figures,
)
from impact.dates import resolve_as_of
from impact.errors import NoUsableEventsError
from impact.estimate import estimate
from impact.event_actors import attach_actors, unknown_actors
from impact.events import EventTable, InputFile, read_events
from impact.per_value import PER_EVENT_TEXT, categories_as_text, repeated_as_categories
from impact.problems import combine, skipped_rows
from impact.reference import Reference, bundled_folder, load_reference
from impact.resolve import resolve_places
from impact.rollup import mark_counted
from impact.schemas import (
    SCOPES,
    ByActor,
    ByMonth,
    ByRegion,
    BySide,
    Control,
    Impact,
    Rejected,
    Skipped,
    SkipReason,
    Summary,
    Timeline,
    UnknownActor,
    in_model_order,
)
from impact.summaries import (
    by_actor,
    by_month,
    by_region,
    by_side,
    side_headline,
    summarise,
)


def default_events_path() -> Path:
    """The bundled seed events (public reporting, Oct–Dec 2023)."""
    return bundled_folder("seeds") / "events.csv"


@dataclass(frozen=True)
class Flows:
    """What a run's summaries are worked out from: the control timeline, each place's
    figures, the period, and the rows with those dated before it."""

    timeline: DataFrame[Timeline]
    figures: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    history: pd.DataFrame

    @property
    def period(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, pd.Timestamp]:
        return self.timeline, self.figures, self.start, self.end

    def compact(self) -> Flows:
        """These flows with the timeline's repeated text as categories (see
        `repeated_as_categories`): for once the period's changes are worked out from it, when
        it is only filtered and written (a million events' holders and sides: 140 MB of 170)."""
        return replace(self, timeline=repeated_as_categories(self.timeline, unique=PER_EVENT_TEXT))


# The tables made from the period's changes (`RunResult._changes`).
TABLES_OF_CHANGES = ("control", "summary", "by_month", "_moved")


@dataclass
class RunResult:
    """Everything a report is made of; nothing here has been written anywhere.

    The control timeline (`timeline`), the control table (`control`) and the summaries
    (`summary`, `by_month`, `by_actor`, `by_side`, `by_region`, `unknown_actors`) are worked
    out from the events (`history`) when first asked for, each validated then: a report
    hands its charts the impacts, which most of them need alone, before they are.

    The per-event tables hold text that repeats (names, codes, notes of a place) as
    categories (`compact_impacts`, `history`): a million events' text in a tenth of the
    memory. `impacts` is the same table with plain text, made when first asked for.
    """

    inputs: list[InputFile]
    audit: pd.DataFrame
    compact_impacts: DataFrame[Impact]
    rejected: DataFrame[Rejected]
    skipped: DataFrame[Skipped]
    actors: ActorTable
    assumptions: pd.DataFrame
    reference: Reference
    scope: str
    # The period's rows after the resolved rows dated before it, and the period's bounds.
    history: pd.DataFrame = field(repr=False)
    start: pd.Timestamp
    end: pd.Timestamp
    period: tuple[str | None, str | None] = (None, None)
    as_of: str | None = None

    @cached_property
    def impacts(self) -> DataFrame[Impact]:
        """One row per used event (see `Impact`), text as plain text."""
        return categories_as_text(self.compact_impacts)

    @cached_property
    def flows(self) -> Flows:
        timeline = control_timeline(self.history, self.scope)
        timeline["in_period"] = timeline["date"] >= self.start
        timeline = Timeline.validate(timeline, inplace=True)
        figures = place_figures(self.history, self.reference)
        return Flows(timeline, figures, self.start, self.end, self.history)

    @property
    def timeline(self) -> DataFrame[Timeline]:
        return self.flows.timeline

    @cached_property
    def control(self) -> DataFrame[Control]:
        with self._changes("control") as changes:
            return Control.validate(control_over_time(*self.flows.period, changes))

    @cached_property
    def summary(self) -> DataFrame[Summary]:
        with self._changes("summary") as changes:
            return Summary.validate(summarise(self.compact_impacts, *self.flows.period, changes))

    @cached_property
    def by_month(self) -> DataFrame[ByMonth]:
        with self._changes("by_month") as changes:
            return ByMonth.validate(by_month(*self.flows.period, changes))

    @property
    def by_actor(self) -> DataFrame[ByActor]:
        return self._moved[0]

    @property
    def by_side(self) -> DataFrame[BySide]:
        return self._moved[1]

    @property
    def by_region(self) -> DataFrame[ByRegion]:
        return self._moved[2]

    @cached_property
    def _moved(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The flows by actor, side and region, from one pass over the period's changes."""
        with self._changes("_moved") as changes:
            return (
                ByActor.validate(by_actor(*self.flows.period, changes)),
                BySide.validate(by_side(*self.flows.period, changes)),
                ByRegion.validate(by_region(*self.flows.period, changes)),
            )

    @contextmanager
    def _changes(self, table: str) -> Iterator[PeriodChanges]:
        """The period's changes of hands and holdings (see `PeriodChanges`) for `table`:
        worked out once for the tables made from them, and let go once the last of them is
        made (a table the size of the run's moves). Those tables need nothing else from the
        timeline, which is from then on only filtered and written: its text is compacted
        (`Flows.compact`) as soon as the changes are worked out, not held plain beside them
        (a million events' 140 MB)."""
        changes = self.__dict__.get("_period_changes")
        if changes is None:
            changes = self.__dict__["_period_changes"] = period_changes(*self.flows.period)
            self.__dict__["flows"] = self.flows.compact()
        yield changes
        if all(name == table or name in self.__dict__ for name in TABLES_OF_CHANGES):
            del self.__dict__["_period_changes"]

    @cached_property
    def unknown_actors(self) -> DataFrame[UnknownActor]:
        return UnknownActor.validate(unknown_actors(self.flows.history))

    @property
    def total(self) -> pd.Series:
        """The one row of the summary: the period's counted-once totals."""
        return self.summary.iloc[0]

    @property
    def headline_by_side(self) -> str:
        """ "Between A and B, control changed for N places where about P people live: …"."""
        return side_headline(self.total, self.by_side)

    @property
    def reconciliation(self) -> dict[str, int]:
        """Input rows = used + rejected + skipped by rule, always."""
        return {
            "input": sum(item.rows for item in self.inputs),
            "used": len(self.compact_impacts),
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
    actors: str | Path | None = None,
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
        since, until: report this period (ISO dates, inclusive); events outside it are
            skipped, but those before `since` still set who holds each place at its start.
        sheet: the Excel sheet to read; encoding: the text encoding of CSV files.
        actors: an actors CSV overriding or extending the package's `actors.csv`.
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
    actor_table = _actor_table(reference, actors)
    # Each table of rows is let go once the next is made from it: a million events' copies
    # would otherwise be held side by side until the run ends.
    events = attach_actors(table.pop_events(), actor_table)
    before, kept, outside = _split_period(events, since, until)
    del events
    step("resolving places")
    resolution = resolve_places(kept, reference)
    del kept
    resolved, not_resolved, audit = resolution.resolved, resolution.rejected, resolution.audit
    del resolution
    rejected = combine(table.rejected, not_resolved)
    skipped = combine(table.skipped, outside)
    if resolved.empty:
        raise NoUsableEventsError(_nothing_usable(table, rejected, skipped))
    step("estimating")
    impacts = estimate(resolved, reference, table_assumptions, scope=scope)
    del resolved
    # In place: the table is this function's own, and a copy of it is the size of the run.
    impacts = Impact.validate(
        in_model_order(mark_counted(impacts, reference, table_assumptions), Impact), inplace=True
    )
    history = _with_earlier(impacts, before, reference, table_assumptions, scope)
    compact = repeated_as_categories(history, unique=PER_EVENT_TEXT)
    if history is impacts:
        impacts = history = compact
    else:
        impacts, history = repeated_as_categories(impacts, unique=PER_EVENT_TEXT), compact
    return RunResult(
        inputs=table.inputs,
        audit=audit,
        compact_impacts=impacts,
        rejected=rejected,
        skipped=skipped,
        actors=actor_table,
        assumptions=table_assumptions,
        reference=reference,
        scope=scope,
        history=history,
        start=pd.Timestamp(since) if since else impacts["date"].min(),
        end=pd.Timestamp(until) if until else impacts["date"].max(),
        period=(since, until),
        as_of=as_of,
    )


def _actor_table(reference: Reference, extra: str | Path | None) -> ActorTable:
    """The package's actors table with the user's file laid over it; a package without one
    knows no actor, so every actor stays as written (or the user's file is the table)."""
    own = reference.path / "actors.csv"
    if own.exists():
        return load_actors(own, extra=extra)
    if extra is not None:
        return load_actors(extra)
    rows = pd.DataFrame(columns=list(ACTOR_COLUMNS), dtype="string")
    return ActorTable(rows=rows, alias_index={}, fuzzy_keys=(), path="")


def _with_earlier(
    impacts: pd.DataFrame,
    before: pd.DataFrame,
    reference: Reference,
    assumptions: pd.DataFrame,
    scope: str,
) -> pd.DataFrame:
    """The period's rows after the resolved and estimated rows dated before it, which set who
    holds each place at the period start (rows that cannot be resolved are left out here;
    they are already in skipped.csv)."""
    if before.empty:
        return impacts
    earlier = resolve_places(before, reference).resolved
    if earlier.empty:
        return impacts
    earlier = estimate(earlier, reference, assumptions, scope=scope)
    return pd.concat([earlier, impacts], ignore_index=True)


def _split_period(
    events: pd.DataFrame, since: str | None, until: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Events before `since`, events inside [since, until], and every event outside the
    period as a skipped row."""
    early = pd.Series(False, index=events.index)
    late = pd.Series(False, index=events.index)
    if since:
        early = events["date"] < pd.Timestamp(since)
    if until:
        late = events["date"] > pd.Timestamp(until)
    inside = ~early & ~late
    out = events[~inside]
    period = f"{since or 'the start'} to {until or 'the end'}"
    skipped = skipped_rows(
        out,
        column="date",
        value=out["date"].dt.strftime("%Y-%m-%d"),
        reason=SkipReason.OUTSIDE_PERIOD,
        message=f"outside the period {period}",
    )
    before = events[early].reset_index(drop=True)
    return before, events[inside].reset_index(drop=True), skipped


def _nothing_usable(table: EventTable, rejected: pd.DataFrame, skipped: pd.DataFrame) -> str:
    if table.rows_read == 0:
        return "the input has a header but no event rows"
    if rejected.empty and not skipped.empty:
        counts = skipped["reason"].value_counts()
        said = {
            SkipReason.OUTSIDE_PERIOD: "fall outside the period asked for (widen --since/--until)",
            SkipReason.NOT_A_CONTROL_CHANGE: "are not changes of control (ACLED sub-event types "
            "other than the territorial ones)",
        }
        parts = [f"{n} {said.get(reason, reason)}" for reason, n in counts.items()]
        return f"all {table.rows_read} input rows were skipped: {'; '.join(parts)}"
    reasons = "; ".join(
        f"{r.source_file} row {r.source_row}: {r.message}" for r in rejected.head(3).itertuples()
    )
    more = " …" if len(rejected) > 3 else ""
    return f"none of the {table.rows_read} input rows could be used. {reasons}{more}"
