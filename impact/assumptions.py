"""The assumptions behind every estimate, kept in one place with their sources.

Defaults live in `assumptions.toml` beside this module; an analyst overrides any of them with a
TOML file of the same shape, and the report lists the values actually used.
"""

from __future__ import annotations

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
        AssumptionsError: the file cannot be read, names an unknown assumption, or sets
            rates that would break low <= central <= high.
    """
    defaults = tomllib.loads(resources.files("impact").joinpath("assumptions.toml").read_text())
    if path is not None:
        try:
            overrides = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise AssumptionsError(f"cannot read assumptions: {error}", file=str(path)) from error
        for name, entry in overrides.items():
            if name not in defaults:
                raise AssumptionsError(
                    f"unknown assumption '{name}'; known: {', '.join(defaults)}", file=str(path)
                )
            entry = entry if isinstance(entry, dict) else {"value": entry}
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


def _check(values: pd.Series, path: str | Path | None) -> None:
    try:
        rates = {name: float(values[name]) for name in RATES}
    except (TypeError, ValueError) as error:
        raise AssumptionsError(
            f"an assumption is not a number: {error}", file=str(path) if path else None
        ) from error
    if not rates["growth_low"] <= rates["growth_central"] <= rates["growth_high"]:
        raise AssumptionsError(
            "growth rates must satisfy growth_low <= growth_central <= growth_high",
            file=str(path) if path else None,
        )
    where = str(path) if path else None
    for margin in ("coverage_margin", "fuzzy_match_margin"):
        if not 0 <= rates[margin] < 0.5:
            raise AssumptionsError(f"{margin} must be at least 0 and below 0.5", file=where)
    if rates["beds_benchmark"] <= 0:
        raise AssumptionsError("beds_benchmark must be positive", file=where)


def assumption_values(table: pd.DataFrame) -> dict[str, object]:
    """Name → value, for the estimator."""
    return dict(zip(table["name"], table["value"], strict=True))
