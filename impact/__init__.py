"""impact: people and services in places that changed control in a conflict.

    import impact
    result = impact.run()                 # bundled Myanmar seed events
    result.impacts                        # one row per event (pandas DataFrame)
    impact.write_report(result, "reports/my-run")

Nothing here prints or writes unless asked. Every name is imported from its module on first
use: the report writer (matplotlib, jinja2) and the news-report extractor only when used.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from impact.assumptions import load_assumptions
    from impact.errors import ImpactError
    from impact.estimate import estimate
    from impact.events import read_events
    from impact.extract import extract_events, extract_files
    from impact.pipeline import RunResult, run
    from impact.reference import load_reference
    from impact.report import write_report
    from impact.resolve import resolve_places
    from impact.rollup import mark_counted
    from impact.summaries import side_headline, summarise

# Each name is imported from its module on first use: the command line imports pandas and the
# rest with the collector paused (see `impact.launch`), which it cannot do once a package
# `__init__` has imported them.
LAZY = {
    "ImpactError": "impact.errors",
    "RunResult": "impact.pipeline",
    "estimate": "impact.estimate",
    "extract_events": "impact.extract",
    "extract_files": "impact.extract",
    "load_assumptions": "impact.assumptions",
    "load_reference": "impact.reference",
    "mark_counted": "impact.rollup",
    "read_events": "impact.events",
    "resolve_places": "impact.resolve",
    "run": "impact.pipeline",
    "side_headline": "impact.summaries",
    "summarise": "impact.summaries",
    "write_report": "impact.report",
}


class _Package(ModuleType):
    """This package: a name of `LAZY` always means what its module defines, even once a module
    of the same name is imported (importing `impact.estimate` makes the module an attribute
    of the package, over the function `estimate`)."""

    def __getattribute__(self, name: str) -> object:
        if name in LAZY:
            return getattr(import_module(LAZY[name]), name)
        return super().__getattribute__(name)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> object:
    try:  # a module of the package, as `import impact` used to make them all attributes
        return import_module(f"impact.{name}")
    except ModuleNotFoundError as missing:
        if missing.name != f"impact.{name}":
            raise
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
