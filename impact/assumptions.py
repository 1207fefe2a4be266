"""The assumptions behind every estimate, kept in one place with their sources.

Defaults live in `assumptions.toml` beside this module; an analyst overrides any of them with a
TOML file of the same shape, and the report lists the values actually used.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd

from impact.errors import AssumptionsError

RATES = (
    "growth_low",
    "growth_central",
    "growth_high",
    "coverage_margin",
    "fuzzy_match_margin",
    "beds_benchmark",
)


def load_assumptions(path: str | Path | None = None) -> pd.DataFrame:
    """The assumptions table (name, value, unit, source), defaults overridden by `path`.

    Raises:
        AssumptionsError: the file cannot be read, is empty, names an unknown assumption or
            key, or sets a value of the wrong type or outside its possible range; the message
            names the assumption.
    """
    defaults = tomllib.loads(resources.files("impact").joinpath("assumptions.toml").read_text())
    if path is not None:
        for name, entry in _overrides(Path(path), defaults).items():
            defaults[name] = defaults[name] | {"source": f"override from {Path(path).name}"} | entry
    table = pd.DataFrame(
        [
            {
                "name": name,
                "value": entry["value"],
                "unit": entry.get("unit", ""),
                "source": entry["source"],
            }
            for name, entry in defaults.items()
        ]
    )
    _check(table.set_index("name")["value"], path)
    return table


ENTRY_KEYS = {"value", "unit", "source"}
# A yearly growth rate outside this range is a typo (a percentage written as a number, say).
GROWTH_RANGE = (-0.2, 0.2)


def _overrides(path: Path, defaults: dict) -> dict[str, dict]:
    """Each override as a {value, unit?, source?} entry, checked for shape and type."""
    try:
        overrides = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise AssumptionsError(f"cannot read assumptions: {error}", file=str(path)) from error
    if not overrides:
        raise AssumptionsError(
            "the file sets no assumption; write e.g. growth_central = 0.01, or leave out "
            "--assumptions to use the defaults",
            file=str(path),
        )
    entries = {}
    for name, entry in overrides.items():
        if name not in defaults:
            raise AssumptionsError(
                f"unknown assumption '{name}'; known: {', '.join(defaults)}", file=str(path)
            )
        entry = entry if isinstance(entry, dict) else {"value": entry}
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown or "value" not in entry:
            raise AssumptionsError(
                f"assumption '{name}' needs a value and may have a unit and source; found "
                f"{', '.join(map(repr, entry)) or 'nothing'}",
                file=str(path),
            )
        for key in ("unit", "source"):
            if key in entry and not isinstance(entry[key], str):
                raise AssumptionsError(f"{name}.{key} must be text", file=str(path))
        entries[name] = entry
    return entries


def _check(values: pd.Series, path: str | Path | None) -> None:
    where = str(path) if path else None
    rates = {name: _number(name, values[name], where) for name in RATES}
    for name in ("growth_low", "growth_central", "growth_high"):
        low, high = GROWTH_RANGE
        if not low <= rates[name] <= high:
            raise AssumptionsError(
                f"{name} = {rates[name]} is not a possible yearly growth rate; expected a share "
                f"between {low} and {high} (0.0089 means 0.89% a year)",
                file=where,
            )
    if not rates["growth_low"] <= rates["growth_central"] <= rates["growth_high"]:
        raise AssumptionsError(
            "growth rates must satisfy growth_low <= growth_central <= growth_high", file=where
        )
    for margin in ("coverage_margin", "fuzzy_match_margin"):
        if not 0 <= rates[margin] < 0.5:
            raise AssumptionsError(f"{margin} must be at least 0 and below 0.5", file=where)
    if not 0 < rates["beds_benchmark"] <= 1000:
        raise AssumptionsError(
            "beds_benchmark must be a positive number of beds per 10,000 people", file=where
        )


def _number(name: str, value: object, where: str | None) -> float:
    """A finite number (not text, not true/false, not NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AssumptionsError(f"{name} must be a finite number, got {value!r}", file=where)
    return float(value)


def assumption_values(table: pd.DataFrame) -> dict[str, object]:
    """Name → value, for the estimator."""
    return dict(zip(table["name"], table["value"], strict=True))
