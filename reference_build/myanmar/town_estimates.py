"""This project's estimate of town populations the census does not give, and its validation.

Proxy: a township's urban population that its exactly known towns leave is shared among its
other towns in proportion to their expected size: the census figures of the wards already keyed
plus, for each ward not keyed, the typical 2014 population of a ward (P-code release 9.6 lists
every town's wards). A ward of the town that names its township is typically larger than a ward
of a secondary town, so the typical size is taken separately for the two roles, from every town
whose wards are all keyed.

Validation: the towns of townships whose towns are all known exactly are estimated as if none
were known (their ward sizes taken from the other townships). Secondary towns err far more than
main towns, so the band published with each estimate is the 90th percentile of the absolute
percentage error of its role, rounded up to 5 points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ESTIMATE_SOURCE = "impact_town_estimate"
ROLES = {True: "main_town", False: "other_town"}


@dataclass(frozen=True)
class EstimateValidation:
    """Hold-out errors of the estimate and the band chosen from them."""

    towns: int
    townships: int
    median_pct: float
    p90_pct: float
    count_only_median_pct: float
    count_only_p90_pct: float
    band_pct: int
    role_bands: dict[str, int]
    ward_sizes: dict[str, float]

    def summary(self) -> str:
        sizes = ", ".join(f"{role} {size:,.0f}" for role, size in sorted(self.ward_sizes.items()))
        bands = ", ".join(f"{role} ±{band}%" for role, band in sorted(self.role_bands.items()))
        return (
            f"Town estimate validated on {self.towns} towns of {self.townships} townships whose "
            f"towns are all known exactly, each estimated as if unknown: absolute error median "
            f"{self.median_pct:.1f}%, 90th percentile {self.p90_pct:.1f}% (by ward count alone: "
            f"{self.count_only_median_pct:.1f}% and {self.count_only_p90_pct:.1f}%). Bands (90th "
            f"percentile by role, rounded up to 5 points): {bands}; ±{self.band_pct}% for a split "
            f"town's successors. Typical people per ward: {sizes}."
        )


def allocate(shares: pd.DataFrame, group: str) -> pd.Series:
    """Whole people per `pcode`, proportional to `weight`, summing exactly to each group's
    `total` (largest remainder; ties go to the lower P-code)."""
    shares = shares.sort_values([group, "pcode"]).reset_index(drop=True)
    weight_sum = shares.groupby(group)["weight"].transform("sum")
    exact = shares["total"] * shares["weight"] / weight_sum
    whole = np.floor(exact)
    left = (shares["total"] - whole.groupby(shares[group]).transform("sum")).round()
    rank = (exact - whole).groupby(shares[group]).rank(method="first", ascending=False)
    whole = whole + (rank <= left).astype(float)
    return pd.Series(whole.to_numpy(), index=shares["pcode"].to_numpy())


def typical_ward_sizes(towns: pd.DataFrame, leave_out: str | None = None) -> dict[str, float]:
    """People per ward in towns whose wards are all keyed, by role, pooled over the country."""
    known = towns[towns["complete"] & (towns["township_pcode"] != leave_out)]
    pooled = known.groupby(known["main_town"].map(ROLES))[["keyed_sum", "wards"]].sum()
    return (pooled["keyed_sum"] / pooled["wards"]).to_dict()


def estimate_remaining(towns: pd.DataFrame, ward_sizes: dict[str, float]) -> pd.Series:
    """Estimates for towns without a figure in townships with two or more such towns.

    `towns` are the towns sharing their township's urban population (`towns.urban_sharers`).
    Returns whole people by town P-code; townships whose known towns already exceed the
    urban total, or whose open towns have no wards, get none.
    """
    open_towns = towns[towns["population"].isna()]
    open_count = open_towns.groupby("township_pcode")["pcode"].transform("size")
    open_towns = open_towns[open_count >= 2]
    known = towns["population"].groupby(towns["township_pcode"]).sum()
    keyed = open_towns.groupby("township_pcode")["keyed_sum"].sum()
    spare = open_towns["township_pcode"].map(open_towns.groupby("township_pcode")["urban"].first())
    spare = (
        spare - open_towns["township_pcode"].map(known) - open_towns["township_pcode"].map(keyed)
    )
    size = open_towns["main_town"].map(ROLES).map(ward_sizes)
    shares = pd.DataFrame(
        {
            "pcode": open_towns["pcode"],
            "township_pcode": open_towns["township_pcode"],
            "weight": (open_towns["wards"] - open_towns["keyed_wards"]) * size,
            "total": spare,
        }
    )
    weight_sum = shares.groupby("township_pcode")["weight"].transform("sum")
    shares = shares[(shares["total"] >= 0) & (weight_sum > 0)]
    if shares.empty:
        return pd.Series(dtype=float)
    added = allocate(shares, group="township_pcode")
    estimate = open_towns.set_index("pcode")["keyed_sum"].reindex(added.index) + added
    return estimate[estimate > 0]


def validate_estimates(towns: pd.DataFrame, exact: list[str]) -> EstimateValidation:
    """Estimate every town of each fully known township as if unknown; measure the error."""
    full = towns.groupby("township_pcode")["method"].transform(lambda m: m.isin(exact).all())
    size = towns.groupby("township_pcode")["pcode"].transform("size")
    held = towns[full & (size >= 2)]
    guesses, count_only = [], []
    for township, rows in held.groupby("township_pcode"):
        sizes = typical_ward_sizes(towns, leave_out=township)
        weight = rows["wards"] * rows["main_town"].map(ROLES).map(sizes)
        guesses.append(_held_out(rows, weight))
        count_only.append(_held_out(rows, rows["wards"].astype(float)))
    error = _abs_pct_error(pd.concat(guesses), held)
    error_count = _abs_pct_error(pd.concat(count_only), held)
    p90 = float(error.quantile(0.9))
    role = held.set_index("pcode")["main_town"].map(ROLES).reindex(error.index)
    role_p90 = error.groupby(role).quantile(0.9)
    return EstimateValidation(
        towns=len(held),
        townships=held["township_pcode"].nunique(),
        median_pct=float(error.median()),
        p90_pct=p90,
        count_only_median_pct=float(error_count.median()),
        count_only_p90_pct=float(error_count.quantile(0.9)),
        band_pct=_band(p90),
        role_bands={role: _band(value) for role, value in role_p90.items()},
        ward_sizes=typical_ward_sizes(towns),
    )


def _band(p90: float) -> int:
    return int(math.ceil(p90 / 5) * 5)


def _held_out(rows: pd.DataFrame, weight: pd.Series) -> pd.Series:
    shares = pd.DataFrame(
        {
            "pcode": rows["pcode"],
            "township_pcode": rows["township_pcode"],
            "weight": weight,
            "total": rows["urban"],
        }
    )
    return allocate(shares, group="township_pcode")


def _abs_pct_error(guess: pd.Series, truth: pd.DataFrame) -> pd.Series:
    actual = truth.set_index("pcode")["population"].reindex(guess.index)
    return ((guess - actual).abs() / actual * 100).sort_index()
