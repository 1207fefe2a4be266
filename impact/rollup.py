"""Which event rows count in totals, so that no one is counted twice.

A place counts once: only its latest event in the period counts, and a place inside another
counted place (a town within a township that is also counted) does not count again. Every row
says whether it counts and, if not, why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.assumptions import assumption_values, load_assumptions
from impact.errors import AssumptionsError
from impact.per_value import once_per_row
from impact.reference import Reference

SUB_TOWNSHIP = "sub_township"
# Joins a seat town's P-code and `sub_township` into the key of its sub-township, inside this
# module only (the text shown names the P-code and the level).
SEATED_MARK = " "

# Whether a change of each certainty counts in totals: the assumption that says so, and why not.
CERTAINTY_RULES = {
    "claimed": ("count_claimed", "claimed, not confirmed"),
    "partial": ("count_partial", "partial change of control"),
    "brief": ("count_brief", "control held only briefly"),
}


def _same_actor(impacts: pd.DataFrame) -> pd.Series:
    """Rows whose gaining and losing actor are one actor (after canonical names; a case
    apart counts as the same), which is no change of control."""
    if "gaining_actor" not in impacts or "losing_actor" not in impacts:
        return pd.Series(False, index=impacts.index)
    same = once_per_row(_same_texts, impacts[["gaining_actor", "losing_actor"]])
    return same.astype(bool)


def _same_texts(pairs: pd.DataFrame) -> pd.Series:
    gaining, losing = (pairs[c].astype("string").str.strip().str.casefold() for c in pairs.columns)
    return gaining.eq(losing).fillna(False).astype(bool)


def mark_counted(
    impacts: pd.DataFrame, reference: Reference, assumptions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add `counted` and `not_counted_reason` to the per-event table (in date order).

    An event dated after the as-of date does not count. A change that is only claimed,
    partial or brief counts as the assumptions
    `count_claimed`, `count_partial` and `count_brief` say (defaults when `assumptions` is
    None). Works on the few columns it needs, so a large table is not copied while deciding.
    """
    keys = impacts[["event_id", "change"]].assign(
        headline_pcode=unit_keys(
            impacts["headline_pcode"], impacts.get("headline_level"), reference
        )
    )
    counted = pd.Series(True, index=impacts.index)
    # Reasons are gathered as Python texts and made a column once: setting rows of an Arrow
    # text column copies all of it each time.
    reason = np.full(len(impacts), None, dtype=object)
    contested = keys["change"] == "contested"
    counted[contested] = False
    reason[contested.to_numpy()] = "contested claim: control did not change"
    same = _same_actor(impacts) & counted
    counted[same] = False
    reason[same.to_numpy(dtype=bool)] = (
        "gaining and losing actor are the same: control did not change"
    )
    # A date after the report's as-of date is a typo or a forecast, not a change of control.
    future = impacts["date_flag"].str.contains("in the future", regex=False).fillna(False)
    counted[future] = False
    reason[future.to_numpy(dtype=bool)] = "dated after the report's as-of date (--as-of)"
    certainty = impacts.get("change_certainty", pd.Series("confirmed", index=impacts.index))
    for value, why in _uncounted_certainties(assumptions).items():
        rows = counted & certainty.eq(value)
        counted[rows] = False
        reason[rows.to_numpy(dtype=bool)] = why
    later = keys[counted].groupby("headline_pcode")["event_id"].transform("last")
    later = later.reindex(impacts.index)
    repeat = counted & later.notna() & later.ne(keys["event_id"])
    counted[repeat] = False
    reason[repeat.to_numpy(dtype=bool)] = (
        "same place counted at its latest event " + later[repeat]
    ).to_numpy(dtype=object, na_value=None)
    counted_units = keys[counted].set_index("headline_pcode")["event_id"]
    holders = _outermost_counted(counted_units.index.unique(), set(counted_units.index), reference)
    holder = keys["headline_pcode"].map(holders).astype("string").where(counted)
    nested = holder.notna()
    counted[nested] = False
    reason[nested.to_numpy(dtype=bool)] = (
        "inside "
        + holder[nested].str.replace(SEATED_MARK, " ", regex=False)
        + ", counted at event "
        + holder[nested].map(counted_units)
    ).to_numpy(dtype=object, na_value=None)
    out = impacts.copy(deep=False)
    out["counted"] = counted
    out["not_counted_reason"] = pd.array(reason, dtype="string")
    return out.reset_index(drop=True)


def unit_keys(pcode: pd.Series, level: pd.Series | None, reference: Reference) -> pd.Series:
    """Each row's unit: its P-code, or P-code and level for a sub-township keyed by its seat
    town's P-code (the town and its sub-township are different units)."""
    pcode = pcode.astype("str")  # text, where P-codes come as categories
    if level is None:
        return pcode
    seated = level.eq(SUB_TOWNSHIP) & pcode.isin(reference.areas.index)
    return pcode.where(~seated.fillna(False), pcode + SEATED_MARK + SUB_TOWNSHIP)


def _uncounted_certainties(assumptions: pd.DataFrame | None) -> dict[str, str]:
    """Certainty → reason, for each certainty the assumptions leave out of the totals."""
    values = assumption_values(load_assumptions() if assumptions is None else assumptions)
    left_out = {}
    for certainty, (name, why) in CERTAINTY_RULES.items():
        value = values.get(name, 1)
        if isinstance(value, str) or value not in (0, 1):
            raise AssumptionsError(f"{name} must be 1 or 0 (true or false), not {value!r}")
        if not value:
            left_out[certainty] = f"{why} ({name} = 0)"
    return left_out


def _outermost_counted(units: pd.Index, counted: set[str], reference: Reference) -> pd.Series:
    """For each unit, the outermost counted unit that contains it (admin parent or grouping)."""
    parent = _parent_links(units, reference)
    memberships = reference.memberships
    seated = memberships["group_pcode"].isin(reference.areas.index)
    group = memberships["group_pcode"].where(
        ~seated, memberships["group_pcode"] + SEATED_MARK + SUB_TOWNSHIP
    )
    groups = group.groupby(memberships["member_pcode"]).agg(list).to_dict()
    found = {}
    for unit in units:
        holder = None
        for box in _containers(unit, parent, groups):
            if box in counted:
                holder = box
        if holder is not None:
            found[unit] = holder
    return pd.Series(found, dtype=object)


def _parent_links(units: pd.Index, reference: Reference) -> dict[str, str]:
    """The parent of each unit and of every unit above it: the package's links followed only
    as far as the units lead (a mapping of every place's parent costs more than a run's
    lookups). A seated sub-township's parent is its area's."""
    seat = SEATED_MARK + SUB_TOWNSHIP
    areas = reference.areas["parent_pcode"].dropna()
    parent = {
        unit: areas[unit.removesuffix(seat)]
        for unit in units
        if isinstance(unit, str) and unit.endswith(seat) and unit.removesuffix(seat) in areas
    }
    lineage = reference.lineage([*units, *parent.values()])
    return parent | lineage["parent_pcode"].dropna().to_dict()


def _containers(pcode: str, parent: dict, groups: dict) -> list[str]:
    """Units that contain `pcode`, inner to outer: admin parents and groupings (sub-townships)."""
    chain: list[str] = list(groups.get(pcode, []))
    current = parent.get(pcode)
    while current is not None:
        chain += [current, *groups.get(current, [])]
        current = parent.get(current)
    return chain


def nested_in(units: pd.Index, reference: Reference, levels: pd.Series | None = None) -> pd.Series:
    """For each unit inside another of `units`, the outermost one that contains it.

    `levels` (indexed like `units`) tells a sub-township from its seat town of the same
    P-code; the result is indexed by `units`, a holder named by P-code (and level when a
    sub-township).
    """
    codes = pd.Series(pd.Index(units), index=pd.Index(units))
    given = None if levels is None else pd.Series(levels.to_numpy(), index=codes.index)
    keys = unit_keys(codes, given, reference)
    unique = pd.Index(keys).unique()
    holders = _outermost_counted(unique, set(unique), reference)
    found = keys.map(holders).dropna().astype("string")
    return found.str.replace(SEATED_MARK, " ", regex=False)
