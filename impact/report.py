"""Write a run to a report folder: CSVs, workbook, charts, report.md/.html, manifest.json.

The folder is built in a staging sibling and published in one step (`impact.publish`), so an
interrupted run leaves no half-written report, and an existing folder is never overwritten
unless it is an earlier report and `force` is given.
"""

from __future__ import annotations

import itertools
import json
import pickle
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from impact.beside import Beside, Claims, Standby
from impact.errors import ReportExistsError
from impact.event_actors import event_sides
from impact.exports import write_tables
from impact.package_cache import file_sha256
from impact.per_value import categories_as_text
from impact.pipeline import RunResult
from impact.publish import check_target, make_staging, publish
from impact.render import (
    package_version,
    period_text,
    render_html,
    render_markdown,
    report_context,
)
from impact.schemas import data_dictionary

if TYPE_CHECKING:
    from impact.actors import ActorTable
    from impact.geo_outputs import Layer
    from impact.reference import Reference

HASHERS = 2
# The charts, in the order the report shows them (drawn by `impact.chart_files`).
CHARTS = (
    "gains_and_losses",
    "people_per_event",
    "affected_over_time",
    "control_over_time",
    "services_by_region",
    "location_map",
)


def default_report_dir(result: RunResult, root: str | Path = "reports") -> Path:
    """`reports/<first input>-<as-of date>`, with -2, -3 … when that folder already exists."""
    stem = Path(result.inputs[0].file).stem if result.inputs else "events"
    day = result.as_of or date.today().isoformat()
    base = Path(root) / f"{stem}-{day}"
    candidate, n = base, 2
    while candidate.exists() or candidate.is_symlink():
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate


def write_report(
    result: RunResult,
    out_dir: str | Path | None = None,
    *,
    force: bool = False,
    hxl: bool = False,
    include_facility_locations: bool = False,
    on_step: Callable[[str], None] | None = None,
    charts: EarlyCharts | None = None,
) -> Path:
    """Write every output of `result` into `out_dir` (a new folder) and return its path.

    The folder is built in a staging folder beside it and published in one step that never
    replaces a folder that appeared meanwhile (see `impact.publish`).

    Args:
        result: what `run` returned.
        out_dir: the folder; `reports/<input>-<date>` (with a free -2, -3 … suffix) when None.
        force: replace an existing folder if it is an earlier impact report.
        hxl: add an HXL hashtag row under the header of each CSV.
        include_facility_locations: also write hospital coordinates (sensitive in conflict
            areas, so off by default).
        on_step: called with the name of each step, for a progress display.
        charts: chart processes started before the run (see `EarlyCharts`); else they are
            started here.

    Raises:
        ReportExistsError: `out_dir` exists and `force` is False.
        OutputFolderError: `out_dir` is unsafe to write or replace.
    """
    inputs = [item.file for item in result.inputs]
    target = Path(out_dir) if out_dir is not None else default_report_dir(result)
    check_target(target, inputs=inputs, force=force and out_dir is not None)
    staging = make_staging(target)
    step = on_step or (lambda _: None)
    try:
        step("control timeline and summaries")  # worked out once the charts have the impacts
        drawing = _start_charts(result, staging, charts)
        with ThreadPoolExecutor(HASHERS) as hashers:
            try:
                # Each file is hashed as soon as it is complete, while the others are being
                # written (hashing releases the interpreter); `manifest` hashes the rest.
                tables: dict[Path, Future] = {}

                def hash_written(path: Path) -> None:
                    tables[path] = hashers.submit(file_sha256, path)

                _write_tables(result, staging, hxl, include_facility_locations, step, hash_written)
                # The Markdown report needs no chart: written while the charts are being drawn.
                context = report_context(result)
                markdown = render_markdown(result, context)
                (staging / "report.md").write_text(markdown, encoding="utf-8")
                step("drawing charts")
                drawing.finish()
            except BaseException:
                hashers.shutdown(wait=False, cancel_futures=True)
                drawing.abandon()
                raise
            # A chart taken by a process that then failed is drawn here, where an error is
            # raised.
            _draw_missing(result, staging)
            charts_png = {n: (staging / "charts" / f"{n}.png").read_bytes() for n in CHARTS}
            step("writing the report")
            html = render_html(result, charts_png, context)
            (staging / "report.html").write_text(html, encoding="utf-8")
            digests = {path: digest.result() for path, digest in tables.items()}
        (staging / "manifest.json").write_text(
            json.dumps(manifest(result, staging, digests), indent=2) + "\n"
        )
        target = _publish(staging, target, force=force, default=out_dir is None, result=result)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _publish(staging: Path, target: Path, *, force: bool, default: bool, result: RunResult) -> Path:
    """Publish; a default folder taken meanwhile by another run moves on to the next suffix."""
    while True:
        try:
            publish(staging, target, force=force and not default)
            return target
        except ReportExistsError:
            if not default:
                raise
            target = default_report_dir(result, target.parent)


def output_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The tables of a report, by file name (without .csv)."""
    from impact.geo_outputs import located_impacts  # shapely only when a report is written

    # The tables of the period's changes first: the changes are let go and the timeline
    # compacted (`RunResult._changes`) before the impacts take their points and admin units.
    summaries = {
        "summary": result.summary,
        "by_month": result.by_month,
        "by_actor": result.by_actor,
        "by_side": result.by_side,
        "by_region": result.by_region,
    }
    control = result.control
    return {
        "impacts": located_impacts(result.compact_impacts, result.reference),
        **summaries,
        "timeline": result.timeline,
        "control": control,
        "actors_not_in_table": result.unknown_actors,
        "rejected": result.rejected,
        "skipped": result.skipped,
        "match_audit": result.audit,
        "assumptions": result.assumptions,
    }


def _with_dictionary(tables: dict[str, pd.DataFrame], geo: dict[str, Layer]) -> None:
    """Add the data dictionary: every column of every CSV and GeoJSON file written."""
    files = {f"{name}.csv": list(map(str, table.columns)) for name, table in tables.items()}
    files["data_dictionary.csv"] = ["table", "column", "description", "unit", "hxl"]
    for name, layer in geo.items():
        files[name] = layer.properties
    tables["data_dictionary"] = data_dictionary(files)


def geo_features(result: RunResult, impacts: pd.DataFrame) -> dict[str, Layer]:
    """The GeoJSON files of a report, by file name: places (points) and control (outlines)."""
    from impact.geo_outputs import control_features, places_features

    sides = event_sides(impacts, result.actors)
    return {
        "places.geojson": places_features(impacts, sides),
        "control.geojson": control_features(
            impacts, sides, result.reference.township_outline_geojson
        ),
    }


def _write_tables(
    result: RunResult,
    folder: Path,
    hxl: bool,
    facilities: bool,
    step: Callable[[str], None],
    written: Callable[[Path], object],
) -> None:
    tables = output_tables(result)
    if facilities:
        tables["facilities"] = facility_locations(result)
    geo = geo_features(result, tables["impacts"])
    _with_dictionary(tables, geo)
    step("writing tables")
    from impact.geo_outputs import write_geojson

    write_tables(
        tables,
        folder,
        hxl=hxl,
        readme=workbook_readme(result),
        helper_when=partial(charts_drawn, folder),  # a core is free then
        more_files={
            folder / name: partial(write_geojson, layer, folder / name)
            for name, layer in geo.items()
        },
        written=written,
    )


def workbook_readme(result: RunResult) -> list[tuple[str, str]]:
    """The README sheet: what the workbook is, its sources and its caveats."""
    sources = "; ".join(
        f"{row.source}: {row.title} ({row.publisher})"
        for row in result.reference.sources.itertuples()
    )
    return [
        ("title", f"Control changes and the people living there: {period_text(result)}"),
        ("written by", f"impact {package_version()} on {result.as_of or date.today()}"),
        ("inputs", ", ".join(Path(item.file).name for item in result.inputs)),
        ("reference data", f"{result.reference.version} (2014 census, MIMU P-codes 9.6)"),
        ("headline scope", result.scope),
        ("affected", "living in a place where control changed; not the number displaced"),
        ("sources", sources),
        (
            "caveats",
            "Figures are 2014 census figures projected to the event date as a "
            "low-central-high range; displacement since 2021 is not reflected. Unknown stays "
            "empty, never 0. Column meanings: the data_dictionary sheet.",
        ),
        (
            "boundaries",
            "Names and boundaries follow MIMU (P-codes 9.6, 2014 boundaries); their "
            "use does not imply official endorsement or acceptance by the United Nations.",
        ),
    ]


def facility_locations(result: RunResult) -> pd.DataFrame:
    """Public hospitals in the places named by the events, with coordinates (sensitive)."""
    facilities = result.reference.facilities
    named = set(result.compact_impacts["pcode"])
    inside = facilities["town_pcode"].isin(named) | facilities["township_pcode"].isin(named)
    columns = [
        "facility_id",
        "name_mm",
        "township_pcode",
        "town_pcode",
        "beds",
        "lat",
        "lon",
        "source",
    ]
    table = facilities.loc[inside, [c for c in columns if c in facilities]]
    return table.astype({"beds": "Int64"}).reset_index(drop=True)


# The order charts are taken in: the longest to draw first (the map, then the bar charts of
# every event), so that no process is left drawing a long one while the others are idle.
LONGEST_FIRST = (
    "location_map",
    "gains_and_losses",
    "people_per_event",
    "control_over_time",
    "services_by_region",
    "affected_over_time",
)
# The one chart drawn from the control table rather than the impacts: chart processes started
# before the run are handed that table last, once it is worked out, and draw it second.
CONTROL_CHART = "control_over_time"
CHART_PROCESSES = 2
# The impacts columns the charts read: all that is pickled for a chart process (a test draws
# the charts from these alone).
CHART_COLUMNS = (
    "event_id",
    "date",
    "change",
    "gaining_actor",
    "losing_actor",
    "pcode",
    "place_name",
    "state_region_name",
    "township_pcode",
    "gaining_side",
    "losing_side",
    "population_low",
    "population_central",
    "population_high",
    "headline_pcode",
    "schools",
    "hospitals",
    "hospital_beds",
    "counted",
    "not_counted_reason",
)


@dataclass(frozen=True)
class ChartInputs:
    """What a report's charts are drawn from: the run's tables, not the rest of its result."""

    impacts: pd.DataFrame
    control: pd.DataFrame | None
    actors: ActorTable
    scope: str
    reference: Reference | None

    @classmethod
    def of(cls, result: RunResult) -> ChartInputs:
        """The `CHART_COLUMNS` of the impacts as plain text, the control table and the
        reference: all a chart is drawn from."""
        impacts = categories_as_text(_chart_columns(result.compact_impacts))
        return cls(impacts, result.control, result.actors, result.scope, result.reference)

    @classmethod
    def to_hand_over(cls, result: RunResult) -> ChartInputs:
        """Only what a process started before the run needs to start drawing: the
        `CHART_COLUMNS` of the impacts (a sixth of them, text still as categories); no
        control table (it comes later), no reference (it has its own)."""
        return cls(_chart_columns(result.compact_impacts), None, result.actors, result.scope, None)


def _chart_columns(impacts: pd.DataFrame) -> pd.DataFrame:
    return impacts[[c for c in CHART_COLUMNS if c in impacts.columns]]


@dataclass
class _Drawing:
    """Charts being drawn by other processes, each taking the next chart not yet taken;
    `here`, when given, draws what is left in this process once its tables are written."""

    claims: Claims[str]
    processes: list[Beside] | list[Standby]
    here: Callable[[], None] | None = None

    def finish(self) -> None:
        try:
            if self.here is not None:
                self.here()
            for process in self.processes:
                process.done()
        finally:
            self.claims.close()

    def abandon(self) -> None:
        for process in self.processes:
            process.abandon()
        self.claims.close()


class EarlyCharts:
    """A report's chart process, started before its run.

    While the run works on one core, it imports matplotlib and reads the package's outlines
    on the other; `write_report` then hands it the impacts, and it forks a second drawing
    process that shares them. Both draw the charts of the impacts while the control
    timeline is worked out here; that table is handed over last, for the one chart drawn
    from it. Handing over copies the chart columns pickled, text as categories (a million
    rows in 90 MB and 0.1 s); the chart process makes them plain text. A context manager: on
    leaving it, a process never handed anything ends.
    """

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self._claims = Claims([name for name in LONGEST_FIRST if name != CONTROL_CHART])
        self._handed = False
        self._process = Standby(
            partial(_ready_to_draw, reference),
            partial(_draw_handed, self._claims, reference),
            parts=True,
        )

    def __enter__(self) -> EarlyCharts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def hand_over(self, result: RunResult, folder: Path) -> _Drawing | None:
        """The process drawing the charts of `result` into `folder`; None (and the process
        ended) when the run is of another package, or the process drew an earlier report.

        The impacts go first; the control table is worked out meanwhile (it is the first
        thing that needs it) and handed over once it is."""
        if result.reference is not self.reference or self._handed:
            self.close()
            return None
        self._handed = True
        self._process.hand(pickle.dumps((ChartInputs.to_hand_over(result), folder), protocol=5))
        try:
            control = pickle.dumps(result.control, protocol=5)
        except BaseException:
            self.close()  # drawing into `folder` meanwhile: waited for before it is removed
            raise
        self._process.hand(control)
        return _Drawing(self._claims, [self._process])

    def close(self) -> None:
        self._process.done()
        self._claims.close()


def _ready_to_draw(reference: Reference) -> None:
    """Import what draws the charts and read the outlines the map needs."""
    import impact.chart_files
    import impact.map  # noqa: F401

    reference.township_outlines  # noqa: B018
    reference.state_outlines  # noqa: B018


def _draw_handed(
    claims: Claims[str], reference: Reference, handed: tuple, next_part: Callable[[], object]
) -> None:
    """Draw the charts of the impacts with `CHART_PROCESSES - 1` processes forked here, sharing
    the tables; here, after the first of them, the chart of the control table handed over
    meanwhile (worked out while that chart, the longest, was drawn)."""
    inputs, folder = handed
    inputs = replace(inputs, impacts=categories_as_text(inputs.impacts), reference=reference)

    def with_control() -> None:
        taken = claims.take()
        _draw_each(itertools.islice(taken, 1), inputs, folder)
        control = next_part()
        if control is not None:
            _draw_each([CONTROL_CHART], replace(inputs, control=control), folder)
        _draw_each(taken, inputs, folder)

    work = partial(_draw_claimed, claims, inputs, folder)
    processes = [Beside(work) for _ in range(CHART_PROCESSES - 1)]
    _Drawing(claims, processes, here=with_control).finish()


def _start_charts(result: RunResult, folder: Path, early: EarlyCharts | None) -> _Drawing:
    """Start drawing the charts in other processes while this one writes the tables (drawing
    is a third of a small run and needs none of the tables' files): the `early` ones when
    they take the run, else processes forked now, with this one helping once its tables are
    written."""
    (folder / "charts").mkdir()
    drawing = early.hand_over(result, folder) if early is not None else None
    if drawing is not None:
        return drawing
    _ready_to_draw(result.reference)  # once here, not once in each process
    claims = Claims(LONGEST_FIRST)
    work = partial(_draw_claimed, claims, ChartInputs.of(result), folder)
    return _Drawing(claims, [Beside(work) for _ in range(CHART_PROCESSES)], here=work)


def _draw_claimed(claims: Claims[str], inputs: ChartInputs, folder: Path) -> None:
    _draw_each(claims.take(), inputs, folder)


def _draw_each(names: Iterable[str], inputs: ChartInputs, folder: Path) -> None:
    """Each chart of `names` drawn and written in turn (a claim is taken only when the chart
    before it is done)."""
    from impact import chart_files

    for name in names:
        chart_files.write_charts(inputs, folder, (name,))


def _missing_charts(folder: Path) -> tuple[str, ...]:
    """The charts of the report in `folder` not drawn yet: a chart's PNG is written last, in
    one step."""
    return tuple(name for name in CHARTS if not (folder / "charts" / f"{name}.png").exists())


def charts_drawn(folder: Path) -> bool:
    """Whether every chart is drawn; asked by a forked process, which cannot wait for the
    (sibling) drawers."""
    return not _missing_charts(folder)


def _draw_missing(result: RunResult, folder: Path) -> None:
    missing = _missing_charts(folder)
    if missing:
        from impact import chart_files

        chart_files.write_charts(ChartInputs.of(result), folder, missing)


def _input_record(record: dict) -> dict:
    """An input's record with its file name only: no folder of the user's machine."""
    return {**record, "file": Path(str(record.get("file", ""))).name}


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(path for path in folder.glob(pattern) if path.is_file())


def manifest(result: RunResult, folder: Path, known: dict[Path, str] | None = None) -> dict:
    """Inputs with hashes, reference version, assumptions, software version, output files
    (hashed here, but for those whose digests are `known`)."""
    known = known or {}
    paths = _files(folder, "**/*")
    todo = [path for path in paths if path not in known]
    # Hashing releases the interpreter: a million events' 2 GB of files take half the time.
    with ThreadPoolExecutor(HASHERS) as hashers:
        digests = {**known, **dict(zip(todo, hashers.map(file_sha256, todo), strict=True))}
    outputs = {path.relative_to(folder).as_posix(): digests[path] for path in paths}
    return {
        "software": {"name": "impact", "version": package_version()},
        "created": result.as_of or date.today().isoformat(),
        "as_of": result.as_of,
        "inputs": [_input_record(item.as_dict()) for item in result.inputs],
        "rows": result.reconciliation,
        "period": {"since": result.period[0], "until": result.period[1]},
        "reference": {
            "name": Path(result.reference.path).name,
            "files": result.reference.file_hashes,
            "version": result.reference.version,
            "census_date": str(result.reference.census_date.date()),
        },
        "scope": result.scope,
        "assumptions": result.assumptions.to_dict("records"),
        "outputs": outputs,
    }
