"""Write a run to a report folder: CSVs, workbook, charts, report.md/.html, manifest.json.

The folder is built in a staging sibling and published in one step (`impact.publish`), so an
interrupted run leaves no half-written report, and an existing folder is never overwritten
unless it is an earlier report and `force` is given.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.image
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from impact import charts
from impact.beside import Beside, Claims
from impact.errors import ReportExistsError
from impact.exports import write_tables
from impact.package_cache import file_sha256
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
    from impact.geo_outputs import Layer

PNG_DPI = 200
HASHERS = 2
CHART_SOURCE = "impact; 2014 census via MIMU; events from public reporting"


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
        claims, drawing = _charts_beside(result, staging)
        try:
            _write_tables(result, staging, hxl, include_facility_locations, step)
            # The Markdown report needs no chart: written while the charts are being drawn.
            context = report_context(result)
            (staging / "report.md").write_text(render_markdown(result, context), encoding="utf-8")
            step("drawing charts")
            _draw_claimed(claims, result, staging)  # what the other processes have not taken
            for process in drawing:
                process.done()
        except BaseException:
            for process in drawing:
                process.abandon()
            raise
        finally:
            claims.close()
        # A chart taken by a process that then failed is drawn here, where an error is raised.
        _write_charts(result, staging, _missing_charts(staging))
        charts_png = {name: (staging / "charts" / f"{name}.png").read_bytes() for name in CHARTS}
        step("writing the report")
        html = render_html(result, charts_png, context)
        (staging / "report.html").write_text(html, encoding="utf-8")
        (staging / "manifest.json").write_text(
            json.dumps(manifest(result, staging), indent=2) + "\n"
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

    return {
        "impacts": located_impacts(result.impacts, result.reference),
        "summary": result.summary,
        "by_month": result.by_month,
        "by_actor": result.by_actor,
        "by_side": result.by_side,
        "by_region": result.by_region,
        "timeline": result.timeline,
        "control": result.control,
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
    from impact.geo_outputs import control_features, places_features, township_outlines

    sides = charts.event_sides(impacts, result.actors)
    return {
        "places.geojson": places_features(impacts, sides),
        "control.geojson": control_features(impacts, sides, township_outlines(result.reference)),
    }


def _write_tables(
    result: RunResult, folder: Path, hxl: bool, facilities: bool, step: Callable[[str], None]
) -> None:
    tables = output_tables(result)
    if facilities:
        tables["facilities"] = facility_locations(result)
    geo = geo_features(result, tables["impacts"])
    _with_dictionary(tables, geo)
    step("writing tables")
    from impact.geo_outputs import write_geojson

    for name, layer in geo.items():
        write_geojson(layer, folder / name)
    write_tables(
        tables,
        folder,
        hxl=hxl,
        readme=workbook_readme(result),
        on_workbook=lambda: step("writing the workbook"),
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
    named = set(result.impacts["pcode"])
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


def _location_map(result: RunResult) -> Figure:
    from impact.map import location_map  # shapely only when the map is drawn

    return location_map(result.impacts, result.reference, CHART_SOURCE, result.actors)


CHART_DRAWERS: dict[str, Callable[[RunResult], Figure]] = {
    "gains_and_losses": lambda r: charts.gains_and_losses(r.impacts, CHART_SOURCE, r.actors),
    "people_per_event": lambda r: charts.people_per_event(
        r.impacts, CHART_SOURCE, r.scope, r.actors
    ),
    "affected_over_time": lambda r: charts.affected_over_time(r.impacts, CHART_SOURCE),
    "control_over_time": lambda r: charts.control_over_time(
        r.control, r.impacts, CHART_SOURCE, r.actors
    ),
    "services_by_region": lambda r: charts.services_by_region(r.impacts, CHART_SOURCE),
    "location_map": lambda r: _location_map(r),
}
CHARTS = tuple(CHART_DRAWERS)


def _write_charts(
    result: RunResult, folder: Path, names: tuple[str, ...] = CHARTS
) -> dict[str, bytes]:
    """Draw each chart of `names` once, save it as SVG and PNG, and return the PNG bytes.

    The PNG file is written last and in one step, so a chart whose PNG exists is complete.
    """
    charts_dir = folder / "charts"
    charts_dir.mkdir(exist_ok=True)
    pngs = {}
    # A fixed salt keeps the SVG element ids the same from run to run.
    # SVG keeps its text as text (editable, searchable); PNG at print resolution.
    with matplotlib.rc_context({"svg.hashsalt": "impact", "svg.fonttype": "none"}):
        for name in names:
            figure = CHART_DRAWERS[name](result)
            pngs[name] = _png(figure)
            _write_svg(figure, charts_dir / f"{name}.svg")
            partial_png = charts_dir / f".{name}.png.partial"
            partial_png.write_bytes(pngs[name])
            partial_png.replace(charts_dir / f"{name}.png")
    return pngs


def _png(figure: Figure) -> bytes:
    """The figure as PNG at `PNG_DPI`, drawn once with its layout done within the draw.

    `savefig` draws a figure twice, once without output only to lay it out; the pixels and
    the file's bytes are the same either way.
    """
    dpi = figure.dpi
    figure.dpi = PNG_DPI
    try:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        buffer = io.BytesIO()
        matplotlib.image.imsave(
            buffer, canvas.buffer_rgba(), format="png", origin="upper", dpi=PNG_DPI
        )
    finally:
        figure.dpi = dpi
    return buffer.getvalue()


def _write_svg(figure: Figure, path: Path) -> None:
    """The figure as SVG, drawn once like `_png` (same bytes as `savefig`), without a date."""
    dpi = figure.dpi
    try:
        FigureCanvasSVG(figure).print_svg(path, metadata={"Date": None})
    finally:
        figure.dpi = dpi  # print_svg leaves the figure at 72 dpi


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
CHART_PROCESSES = 2


def _charts_beside(result: RunResult, folder: Path) -> tuple[Claims[str], list[Beside]]:
    """Start drawing the charts in forked processes while this one writes the tables (drawing
    is a third of a small run and needs none of the tables' files); each process, and this
    one once its tables are written, takes the next chart not yet taken."""
    (folder / "charts").mkdir()
    # Read once here (the map and control.geojson both need them), not once per process.
    result.reference.township_outlines  # noqa: B018
    result.reference.state_outlines  # noqa: B018
    claims = Claims(LONGEST_FIRST)
    work = partial(_draw_claimed, claims, result, folder)
    return claims, [Beside(work) for _ in range(CHART_PROCESSES)]


def _draw_claimed(claims: Claims[str], result: RunResult, folder: Path) -> None:
    for name in claims.take():
        _write_charts(result, folder, (name,))


def _missing_charts(folder: Path) -> tuple[str, ...]:
    return tuple(name for name in CHARTS if not (folder / "charts" / f"{name}.png").exists())


def _input_record(record: dict) -> dict:
    """An input's record with its file name only: no folder of the user's machine."""
    return {**record, "file": Path(str(record.get("file", ""))).name}


def manifest(result: RunResult, folder: Path) -> dict:
    """Inputs with hashes, reference version, assumptions, software version, output files."""
    paths = sorted(path for path in folder.rglob("*") if path.is_file())
    # Hashing releases the interpreter: a million events' 2 GB of files take half the time.
    with ThreadPoolExecutor(HASHERS) as hashers:
        digests = hashers.map(file_sha256, paths)
    outputs = {
        path.relative_to(folder).as_posix(): digest
        for path, digest in zip(paths, digests, strict=True)
    }
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
