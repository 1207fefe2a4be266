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
from pathlib import Path

import pandas as pd

from impact import charts
from impact.errors import ReportExistsError
from impact.pipeline import RunResult
from impact.render import package_version, render_markdown

CHART_SOURCE = "impact; 2014 census via MIMU; events from public reporting"


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
        "skipped": result.skipped,
        "timeline": result.timeline,
        "control": result.control,
        "match_audit": result.resolution.audit,
        "assumptions": result.assumptions,
    }
    for name, table in tables.items():
        write_csv(table, folder / f"{name}.csv")
    (folder / "charts").mkdir()
    figures = {
        "people_per_event": charts.people_per_event(result.impacts, CHART_SOURCE),
        "affected_over_time": charts.affected_over_time(result.impacts, CHART_SOURCE),
        "control_over_time": charts.control_over_time(result.control, result.impacts, CHART_SOURCE),
    }
    for name, figure in figures.items():
        figure.savefig(folder / "charts" / f"{name}.png", dpi=120)
    (folder / "report.md").write_text(render_markdown(result), encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest(result, folder), indent=2) + "\n")


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """UTF-8, LF line ends, ISO dates, formulas defused: the same table, the same bytes."""
    safe_cells(table).to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column]
            risky = text.astype("string").str.startswith(FORMULA_START).fillna(False)
            if risky.any():
                out[column] = text.astype(object).where(~risky, "'" + text.astype("string"))
    return out


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
