"""Write a run to a report folder: CSVs, workbook, charts, report.md/.html, manifest.json.

The folder is built in a temporary sibling and renamed into place, so an interrupted run leaves
no half-written report, and an existing folder is never overwritten unless asked.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from impact import charts
from impact.errors import ReportExistsError
from impact.exports import write_csv, write_workbook
from impact.pipeline import RunResult
from impact.render import package_version, render_html, render_markdown
from impact.schemas import data_dictionary

CHART_SOURCE = "impact; 2014 census via MIMU; events from public reporting"


def default_report_dir(result: RunResult, root: str | Path = "reports") -> Path:
    """`reports/<first input>-<today>`, with -2, -3 … when that folder already exists."""
    stem = Path(result.inputs[0].file).stem if result.inputs else "events"
    base = Path(root) / f"{stem}-{date.today().isoformat()}"
    candidate, n = base, 2
    while candidate.exists():
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

    Args:
        result: what `run` returned.
        out_dir: the folder; `reports/<input>-<date>` when None.
        force: replace an existing folder.
        hxl: add an HXL hashtag row under the header of each CSV.
        include_facility_locations: also write hospital coordinates (sensitive in conflict
            areas, so off by default).
        on_step: called with the name of each step, for a progress display.

    Raises:
        ReportExistsError: `out_dir` exists and `force` is False.
    """
    target = Path(out_dir) if out_dir is not None else default_report_dir(result)
    if target.exists() and not force:
        raise ReportExistsError(
            "the report folder already exists; choose another --out or pass --force to replace it",
            file=str(target),
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    step = on_step or (lambda _: None)
    try:
        _write_tables(result, staging, hxl, include_facility_locations, step)
        step("drawing charts")
        charts_png = _write_charts(result, staging)
        step("writing the report")
        (staging / "report.md").write_text(render_markdown(result), encoding="utf-8")
        (staging / "report.html").write_text(render_html(result, charts_png), encoding="utf-8")
        (staging / "manifest.json").write_text(
            json.dumps(manifest(result, staging), indent=2) + "\n"
        )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def output_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    """The tables of a report, by file name (without .csv)."""
    return {
        "impacts": result.impacts,
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
        "data_dictionary": data_dictionary(),
    }


def _write_tables(
    result: RunResult, folder: Path, hxl: bool, facilities: bool, step: Callable[[str], None]
) -> None:
    tables = output_tables(result)
    if facilities:
        tables["facilities"] = facility_locations(result)
    step("writing tables")
    for name, table in tables.items():
        write_csv(table, folder / f"{name}.csv", hxl=hxl)
    step("writing the workbook")
    write_workbook(tables, folder / "impact.xlsx")


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


CHART_DRAWERS: dict[str, Callable[[RunResult], Figure]] = {
    "people_per_event": lambda r: charts.people_per_event(
        r.impacts, CHART_SOURCE, r.scope, r.actors
    ),
    "affected_over_time": lambda r: charts.affected_over_time(r.impacts, CHART_SOURCE),
    "control_over_time": lambda r: charts.control_over_time(r.control, r.actors, CHART_SOURCE),
    "services_by_region": lambda r: charts.services_by_region(r.impacts, CHART_SOURCE),
    "location_map": lambda r: charts.location_map(
        r.impacts, r.reference.places, CHART_SOURCE, r.actors
    ),
}
CHARTS = tuple(CHART_DRAWERS)


def _write_charts(result: RunResult, folder: Path) -> dict[str, bytes]:
    """Draw each chart once, save it as PNG and SVG, and return the PNG bytes by name."""
    charts_dir = folder / "charts"
    charts_dir.mkdir()
    figures = {name: draw(result) for name, draw in CHART_DRAWERS.items()}
    pngs = {}
    # A fixed salt keeps the SVG element ids the same from run to run.
    with matplotlib.rc_context({"svg.hashsalt": "impact"}):
        for name, figure in figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=120)
            pngs[name] = buffer.getvalue()
            (charts_dir / f"{name}.png").write_bytes(pngs[name])
            figure.savefig(charts_dir / f"{name}.svg", metadata={"Date": None})
    return pngs


def manifest(result: RunResult, folder: Path) -> dict:
    """Inputs with hashes, reference version, assumptions, software version, output files."""
    outputs = {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    return {
        "software": {"name": "impact", "version": package_version()},
        "created": date.today().isoformat(),
        "inputs": [item.as_dict() for item in result.inputs],
        "rows": result.reconciliation,
        "period": {"since": result.period[0], "until": result.period[1]},
        "reference": {
            "path": str(result.reference.path),
            "version": result.reference.version,
            "census_date": str(result.reference.census_date.date()),
        },
        "scope": result.scope,
        "assumptions": result.assumptions.to_dict("records"),
        "outputs": outputs,
    }
