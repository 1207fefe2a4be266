"""Turn a run into words: the headline sentence and the report text from templates."""

from __future__ import annotations

import base64
import contextlib
from datetime import date
from importlib import metadata
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket

from impact.actors import SIDE_LABELS
from impact.package_cache import templates_folder
from impact.per_value import once_per_value
from impact.pipeline import RunResult
from impact.safe_text import markdown_text, visible_controls
from impact.schemas import by_date


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


def plural(count: object, one: str, many: str | None = None) -> str:
    """'1 place', '2 places', with thousands separators."""
    n = int(count) if count is not None and not pd.isna(count) else 0
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def headline(result: RunResult) -> str:
    """One sentence with the figures an analyst reads out first (zero counts left out)."""
    total = result.total
    events = plural(len(result.compact_impacts), "event")
    if not total["places_counted"]:
        return (
            f"No place is counted as changing control in {events}: each one's "
            "not_counted_reason in impacts.csv says why."
        )
    unknown = int(total["population_unknown_events"] or 0)
    missing = (
        f" {plural(unknown, 'counted place has', 'counted places have')} no census figure."
        if unknown
        else ""
    )
    hospitals = (
        f", with {plural(total['hospitals'], 'public hospital')} "
        f"({fmt(total['hospital_beds'])} beds)"
        if not pd.isna(total["hospitals"]) and total["hospitals"]
        else ""
    )
    return (
        f"{plural(total['places_counted'], 'place')} changed control in {events}. "
        f"About {fmt(total['population_central'])} people lived there (range "
        f"{fmt(total['population_low'])}–{fmt(total['population_high'])}; "
        f"{fmt(total['population_census'])} in the 2014 census), in "
        f"{fmt(total['households'])} households{hospitals}.{missing}"
    )


def period_text(result: RunResult) -> str:
    since, until = result.period
    dates = result.compact_impacts["date"]
    start = pd.Timestamp(since) if since else dates.min()
    end = pd.Timestamp(until) if until else dates.max()
    return f"{start:%d %b %Y} to {end:%d %b %Y}"


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (None where missing, dates as YYYY-MM-DD),
    built column by column: the table of events shown has over a hundred columns."""
    columns = [_plain_values(frame.iloc[:, j]) for j in range(frame.shape[1])]
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _plain_values(column: pd.Series) -> list:
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.dt.strftime("%Y-%m-%d")
    return column.to_numpy(dtype=object, na_value=None).tolist()


MAX_EVENTS_SHOWN = 200


def _events_shown(impacts: pd.DataFrame) -> pd.DataFrame:
    """Every event for a short list; for a long one, the largest counted events."""
    if len(impacts) <= MAX_EVENTS_SHOWN:
        return impacts
    largest = impacts[impacts["counted"]].nlargest(MAX_EVENTS_SHOWN, "population_central")
    return largest.sort_values(["date", "event_id"])


def report_context(result: RunResult) -> dict:
    """Everything the report templates show, as plain values."""
    review = for_review(result)
    events = _records(_events_shown(result.compact_impacts))
    control = result.control
    last = control[control["date"] == control["date"].max()] if not control.empty else control
    return {
        "period": period_text(result),
        "version": package_version(),
        "today": result.as_of or date.today().isoformat(),
        "inputs": [Path(item.file).name for item in result.inputs],
        "reference_version": result.reference.version,
        "census_date": result.reference.census_date.date().isoformat(),
        "headline": headline(result),
        "headline_by_side": result.headline_by_side,
        "unknown_actors": _records(result.unknown_actors),
        "rows": result.reconciliation,
        "total": result.total,
        "events": events,
        "events_total": len(result.compact_impacts),
        "notes": _once([e for e in events if e["band_note"]], ("place_name", "band_note")),
        "unknown": _once([e for e in events if e["population_census"] is None], ("pcode",)),
        "key": key_figures(result),
        "review": review,
        "unlabelled": unlabelled_places(result),
        "plural": plural,
        "control_end": _records(last.sort_values("population_central", ascending=False)),
        "flags": _records(result.timeline[result.timeline["flag"].notna()].head(50)),
        "scope": result.scope,
        "a": dict(zip(result.assumptions["name"], result.assumptions["value"], strict=True)),
        "assumptions": result.assumptions.to_dict("records"),
        "sources": _records(result.reference.sources),
        "fmt": fmt,
    }


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """A compiled template that cannot be kept (a full disk) is compiled again next time."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _environment(autoescape: bool) -> Environment:
    """Every value a template prints passes one filter: Markdown-escaped for report.md,
    control characters shown and HTML-escaped (autoescape) for report.html."""
    folder = templates_folder()
    return Environment(
        loader=PackageLoader("impact", "templates"),
        bytecode_cache=_QuietBytecodeCache(str(folder)) if folder else None,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=autoescape,
        finalize=_html_text if autoescape else markdown_text,
    )


def _html_text(value: object) -> object:
    return visible_controls(value) if isinstance(value, str) else value


def render_markdown(result: RunResult, context: dict | None = None) -> str:
    """The report as Markdown, from `templates/report.md.j2`.

    `context` is `report_context(result)` when the caller already has it (both reports of a
    run show the same values, worked out once)."""
    template = _environment(autoescape=False).get_template("report.md.j2")
    return template.render(**(context or report_context(result)))


def render_html(
    result: RunResult, charts_png: dict[str, bytes], context: dict | None = None
) -> str:
    """The report as one self-contained HTML page (charts embedded), text from inputs escaped.

    `charts_png` maps each chart's name to its PNG bytes, as drawn for the report folder;
    `context` as for `render_markdown`.
    """
    images = {
        name: "data:image/png;base64," + base64.b64encode(png).decode()
        for name, png in sorted(charts_png.items())
    }
    template = _environment(autoescape=True).get_template("report.html.j2")
    return template.render(**(context or report_context(result)), images=images)


def _once(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Rows with the first of each `keys` combination only (no place listed twice)."""
    seen, kept = set(), []
    for row in rows:
        key = tuple(row.get(k) for k in keys)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def key_figures(result: RunResult) -> dict:
    """Page 1's box: period, places, people, by side, households, hospitals, last month's change."""
    from impact.event_actors import event_sides

    impacts = result.compact_impacts
    sides = event_sides(impacts, result.actors)
    counted = impacts[impacts["counted"]].assign(side=sides["gaining_side"])
    by_side = (
        counted.groupby("side")
        .agg(places=("headline_pcode", "nunique"), people=("population_central", "sum"))
        .reset_index()
    )
    by_side["label"] = by_side["side"].map(SIDE_LABELS)
    gained = result.by_month[result.by_month["measure"] == "gained"]
    months = (
        gained.groupby("month")[["places", "population_central"]]
        .sum(min_count=1)
        .reset_index()
        .sort_values("month")
    )
    change = None
    if len(months) >= 2:
        last, before = months.iloc[-1], months.iloc[-2]
        change = {
            "month": pd.Timestamp(last["month"]).strftime("%b %Y"),
            "previous": pd.Timestamp(before["month"]).strftime("%b %Y"),
            "places": int(last["places"]),
            "places_before": int(before["places"]),
            "people": last["population_central"],
            "people_before": before["population_central"],
        }
    return {"by_side": _records(by_side), "change": change}


REVIEW_ROWS = 15


def for_review(result: RunResult) -> dict:
    """Short tables an analyst should check before publishing, each at most `REVIEW_ROWS`."""
    impacts = result.compact_impacts
    # Text tests once per distinct value: a million events share a handful of each.
    if "match_confidence" in impacts.columns:
        low = once_per_value(_says_low, impacts["match_confidence"])
    else:
        low = impacts["match_method"].eq("fuzzy") | (impacts["match_score"] < 90)
    matches = impacts.loc[low, ["place", "place_name", "pcode", "match_method", "match_score"]]
    if "population_method" in impacts.columns:
        estimated = impacts.loc[
            once_per_value(_says_estimated, impacts["population_method"]),
            ["place_name", "pcode", "population_method", "population_central"],
        ]
    else:
        estimated = impacts.iloc[0:0][["place_name", "pcode", "population_central"]]
    timeline = result.timeline
    conflicts = timeline.loc[timeline["flag"].notna(), ["date", "place_name", "event_id", "flag"]]
    rejected = (
        result.rejected.groupby("reason")
        .agg(rows=("reason", "size"), example=("message", "first"))
        .reset_index()
        .sort_values(["rows", "reason"], ascending=[False, True])
    )
    tables = {
        "matches": matches.drop_duplicates(["place", "pcode"]),
        "estimated": estimated.drop_duplicates("pcode"),
        "conflicts": conflicts,
        "actors": unknown_actor_counts(result.unknown_actors),
        "rejected": rejected,
    }
    return {
        name: {"rows": _records(t.head(REVIEW_ROWS)), "total": len(t)} for name, t in tables.items()
    }


def _says_low(confidence: pd.Series) -> pd.Series:
    return confidence.astype("string").str.lower().eq("low").fillna(False)


def _says_estimated(method: pd.Series) -> pd.Series:
    return method.astype("string").str.startswith("estimated").fillna(False)


def unknown_actor_counts(unknown: pd.DataFrame) -> pd.DataFrame:
    """Actors the run's actors table (with the user's --actors file) does not know, with how
    many events name them in either role."""
    counts = unknown.groupby("actor", as_index=False)["events"].sum()
    return counts.sort_values(["events", "actor"], ascending=[False, True])


def unlabelled_places(result: RunResult) -> list[str]:
    """Places on the map without a label (beyond the largest), for the report to list."""
    from impact.geo_outputs import LABELLED

    columns = ["date", "event_id", "headline_pcode", "population_central", "place_name"]
    latest = by_date(result.compact_impacts[columns])
    counted = latest.drop_duplicates("headline_pcode", keep="last")
    people = counted["population_central"].astype("Float64")
    ordered = counted.assign(people=people).sort_values(
        ["people", "place_name"], ascending=[False, True], na_position="last"
    )
    return list(dict.fromkeys(ordered["place_name"].astype(str)))[LABELLED:]
