"""impact: people and services in places that changed control in a conflict.

    import impact
    result = impact.run()                 # bundled Myanmar seed events
    result.impacts                        # one row per event (pandas DataFrame)
    impact.write_report(result, "reports/my-run")

Nothing here prints or writes unless asked. The report writer (matplotlib, jinja2) and the
news-report extractor are imported on first use, so a lookup or a run starts quickly.
"""

from importlib import import_module

from impact.assumptions import load_assumptions
from impact.errors import ImpactError
from impact.estimate import estimate
from impact.events import read_events
from impact.pipeline import RunResult, run
from impact.reference import load_reference
from impact.resolve import resolve_places
from impact.rollup import mark_counted
from impact.summaries import side_headline, summarise

LAZY = {
    "extract_events": "impact.extract",
    "extract_files": "impact.extract",
    "write_report": "impact.report",
}


def __getattr__(name: str) -> object:
    if name in LAZY:
        return getattr(import_module(LAZY[name]), name)
    raise AttributeError(f"module 'impact' has no attribute {name!r}")


__all__ = [
    "ImpactError",
    "RunResult",
    "estimate",
    "extract_events",
    "extract_files",
    "load_assumptions",
    "load_reference",
    "mark_counted",
    "read_events",
    "resolve_places",
    "run",
    "side_headline",
    "summarise",
    "write_report",
]
