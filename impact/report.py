"""Write a run to a report folder: CSVs, charts, report.md and manifest.json.

The folder is built in a temporary sibling and renamed into place, so an interrupted run leaves
no half-written report, and an existing folder is never overwritten unless asked.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import date
from importlib import metadata
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from impact import charts
from impact.errors import ReportExistsError
from impact.pipeline import RunResult

CHART_SOURCE = "impact; 2014 census via MIMU; events from public reporting"


def package_version() -> str:
    try:
        return metadata.version("impact")
    except metadata.PackageNotFoundError:
        return "unknown"


def default_report_dir(result: RunResult, root: str | Path = "reports") -> Path:
    """`reports/<first input>-<today>`, with -2, -3 … when that folder already exists."""
    stem = Path(result.inputs.inputs[0]["file"]).stem if result.inputs.inputs else "events"
    base = Path(root) / f"{stem}-{date.today().isoformat()}"
    candidate, n = base, 2
    while candidate.exists():
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate


def write_report(
    result: RunResult, out_dir: str | Path | None = None, *, force: bool = False
) -> Path:
    """Write every output of `result` into `out_dir` (a new folder) and return its path.

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
    try:
        _write_all(result, staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _write_all(result: RunResult, folder: Path) -> None:
    tables = {
        "impacts": result.impacts,
        "summary": result.summary,
        "rejected": result.rejected,
        "match_audit": result.resolution.audit,
        "assumptions": result.assumptions,
    }
    for name, table in tables.items():
        write_csv(table, folder / f"{name}.csv")
    (folder / "charts").mkdir()
    for name, figure in (
        ("people_per_event", charts.people_per_event),
        ("affected_over_time", charts.affected_over_time),
    ):
        figure(result.impacts, CHART_SOURCE).savefig(folder / "charts" / f"{name}.png", dpi=120)
    (folder / "report.md").write_text(render_markdown(result), encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest(result, folder), indent=2) + "\n")


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """UTF-8, LF line ends, ISO dates: the same table always gives the same bytes."""
    table.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def render_markdown(result: RunResult) -> str:
    """The report text, from the `report.md.j2` template."""
    env = Environment(
        loader=PackageLoader("impact", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    impacts = result.impacts.assign(date=result.impacts["date"].dt.strftime("%Y-%m-%d"))
    events = impacts.astype(object).where(impacts.notna(), None).to_dict("records")
    total = result.total
    dates = result.impacts["date"]
    period = f"{dates.min():%d %b %Y} to {dates.max():%d %b %Y}"
    values = dict(zip(result.assumptions["name"], result.assumptions["value"], strict=True))
    return env.get_template("report.md.j2").render(
        period=period,
        version=package_version(),
        today=date.today().isoformat(),
        inputs=[Path(i["file"]).name for i in result.inputs.inputs],
        reference_version=result.reference.version,
        headline=headline(result),
        total=total,
        n_used=len(result.impacts),
        n_read=result.inputs.rows_read,
        n_rejected=len(result.rejected),
        events=events,
        unknown=[e for e in events if e["population_census"] is None],
        scope=result.scope,
        a=values,
        assumptions=result.assumptions.to_dict("records"),
        sources=result.reference.sources.astype(object)
        .where(result.reference.sources.notna(), None)
        .to_dict("records"),
        fmt=fmt,
    )


def headline(result: RunResult) -> str:
    """One sentence with the figures an analyst reads out first."""
    total = result.total
    return (
        f"{total['places_counted']} places changed control in "
        f"{len(result.impacts)} events. About {fmt(total['population_central'])} people "
        f"lived there (range {fmt(total['population_low'])}–"
        f"{fmt(total['population_high'])}; {fmt(total['population_census'])} in the 2014 "
        f"census), in {fmt(total['households'])} households, with "
        f"{fmt(total['hospitals'])} public hospitals ({fmt(total['hospital_beds'])} beds). "
        f"{total['population_unknown_events']} counted places have no census figure."
    )


def fmt(value: object) -> str:
    """Thousands separators for counts; 'unknown' for missing values, never 0."""
    if value is None or pd.isna(value):
        return "unknown"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


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
        "inputs": result.inputs.inputs,
        "rows": {
            "input": result.inputs.rows_read,
            "used": len(result.impacts),
            "rejected": len(result.rejected),
        },
        "reference": {
            "path": str(result.reference.path),
            "version": result.reference.version,
            "census_date": str(result.reference.census_date.date()),
        },
        "scope": result.scope,
        "assumptions": result.assumptions.to_dict("records"),
        "outputs": outputs,
    }
