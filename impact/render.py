"""Turn a run into words: the headline sentence and the report text from templates."""

from __future__ import annotations

import base64
from datetime import date
from importlib import metadata
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from impact.pipeline import RunResult


def package_version() -> str:
    try:
        return metadata.version("impact")
    except metadata.PackageNotFoundError:
        return "unknown"


def fmt(value: object) -> str:
    """Thousands separators for counts; 'unknown' for missing values, never 0."""
    if value is None or pd.isna(value):
        return "unknown"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def headline(result: RunResult) -> str:
    """One sentence with the figures an analyst reads out first."""
    total = result.total
    return (
        f"{total['places_counted']} places changed control in {len(result.impacts)} events. "
        f"About {fmt(total['population_central'])} people lived there (range "
        f"{fmt(total['population_low'])}–{fmt(total['population_high'])}; "
        f"{fmt(total['population_census'])} in the 2014 census), in "
        f"{fmt(total['households'])} households, with {fmt(total['hospitals'])} public "
        f"hospitals ({fmt(total['hospital_beds'])} beds). "
        f"{total['population_unknown_events']} counted places have no census figure."
    )


def period_text(result: RunResult) -> str:
    since, until = result.period
    dates = result.impacts["date"]
    start = pd.Timestamp(since) if since else dates.min()
    end = pd.Timestamp(until) if until else dates.max()
    return f"{start:%d %b %Y} to {end:%d %b %Y}"


def _records(frame: pd.DataFrame) -> list[dict]:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


MAX_EVENTS_SHOWN = 200


def _events_shown(impacts: pd.DataFrame) -> pd.DataFrame:
    """Every event for a short list; for a long one, the largest counted events."""
    if len(impacts) <= MAX_EVENTS_SHOWN:
        return impacts
    largest = impacts[impacts["counted"]].nlargest(MAX_EVENTS_SHOWN, "population_central")
    return largest.sort_values(["date", "event_id"])


def report_context(result: RunResult) -> dict:
    """Everything the report templates show, as plain values."""
    events = _records(_events_shown(result.impacts))
    control = result.control
    last = control[control["date"] == control["date"].max()] if not control.empty else control
    return {
        "period": period_text(result),
        "version": package_version(),
        "today": date.today().isoformat(),
        "inputs": [Path(item.file).name for item in result.inputs],
        "reference_version": result.reference.version,
        "census_date": result.reference.census_date.date().isoformat(),
        "headline": headline(result),
        "headline_by_side": result.headline_by_side,
        "unknown_actors": _records(result.unknown_actors),
        "rows": result.reconciliation,
        "total": result.total,
        "events": events,
        "events_total": len(result.impacts),
        "notes": [e for e in events if e["band_note"]],
        "unknown": [e for e in events if e["population_census"] is None],
        "control_end": _records(last.sort_values("population_central", ascending=False)),
        "flags": _records(result.timeline[result.timeline["flag"].notna()].head(50)),
        "scope": result.scope,
        "a": dict(zip(result.assumptions["name"], result.assumptions["value"], strict=True)),
        "assumptions": result.assumptions.to_dict("records"),
        "sources": _records(result.reference.sources),
        "fmt": fmt,
    }


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("impact", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )
    env.filters["cell"] = markdown_cell
    return env


def markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks folded."""
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", "\\|").split())


def render_markdown(result: RunResult) -> str:
    """The report as Markdown, from `templates/report.md.j2`."""
    template = _environment(autoescape=False).get_template("report.md.j2")
    return template.render(**report_context(result))


def render_html(result: RunResult, charts_png: dict[str, bytes]) -> str:
    """The report as one self-contained HTML page (charts embedded), text from inputs escaped.

    `charts_png` maps each chart's name to its PNG bytes, as drawn for the report folder.
    """
    images = {
        name: "data:image/png;base64," + base64.b64encode(png).decode()
        for name, png in sorted(charts_png.items())
    }
    template = _environment(autoescape=True).get_template("report.html.j2")
    return template.render(**report_context(result), images=images)
