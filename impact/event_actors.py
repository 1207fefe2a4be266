"""Canonical actor and side columns on event rows, and the actors the table does not know.

Every stage after this one reads `gaining_actor` and `losing_actor` as canonical names, so a
spelling never makes a second actor, a second colour or a timeline warning. The text as written
stays beside them (`gaining_actor_text`, `losing_actor_text`) for the audit.
"""

from __future__ import annotations

import pandas as pd

from impact.actors import SIDES, ActorTable, canonical_actors, load_actors
from impact.per_value import as_text

ROLES = ("gaining", "losing")
UNKNOWN_ACTOR_COLUMNS = ["actor", "side", "role", "events", "written_as"]


def attach_actors(events: pd.DataFrame, table: ActorTable) -> pd.DataFrame:
    """The events with canonical actors, sides, the gaining actor's type and its allies.

    Both roles are resolved in one call, so the same text always gives the same actor
    (an unknown actor keeps one spelling whichever column it appears in).
    """
    texts = pd.concat([events[f"{role}_actor"] for role in ROLES], ignore_index=True)
    columns = ("actor", "side", "actor_type", "allies")
    found = canonical_actors(texts.astype("string"), table, columns)
    gaining, losing = found.iloc[: len(events)], found.iloc[len(events) :]
    out = events.copy()
    for role, part in zip(ROLES, (gaining, losing), strict=True):
        out[f"{role}_actor_text"] = events[f"{role}_actor"].astype("string")
        out[f"{role}_actor"] = part["actor"].array
        out[f"{role}_side"] = part["side"].array
    out["gaining_actor_type"] = gaining["actor_type"].array
    out["gaining_allies"] = gaining["allies"].replace("", pd.NA).array
    return out


def event_sides(impacts: pd.DataFrame, actors: ActorTable | None = None) -> pd.DataFrame:
    """Canonical gaining actor and the gaining and losing sides of each event row.

    Uses the `gaining_side` / `losing_side` columns when the table has them; otherwise the
    sides come from the actors table (once per distinct actor text).

    Returns:
        A frame indexed like `impacts` with `gaining`, `gaining_side` and `losing_side`.
    """
    table = actors if actors is not None else load_actors()
    gaining = canonical_actors(impacts["gaining_actor"], table, ("actor", "side"))
    out = pd.DataFrame(index=impacts.index)
    out["gaining"] = gaining["actor"].fillna("unknown")
    out["gaining_side"] = _side_column(impacts, "gaining_side", gaining["side"])
    if "losing_side" in impacts.columns:
        out["losing_side"] = _side_column(impacts, "losing_side", None)
    else:
        out["losing_side"] = canonical_actors(impacts["losing_actor"], table, ("side",))["side"]
    return out.astype("string")


def _side_column(impacts: pd.DataFrame, column: str, fallback: pd.Series | None) -> pd.Series:
    if column in impacts.columns:
        sides = as_text(impacts[column], "string")
        return sides.where(sides.isin(SIDES), "unknown").fillna("unknown")
    return fallback.fillna("unknown") if fallback is not None else pd.Series("unknown")


def unknown_actors(events: pd.DataFrame) -> pd.DataFrame:
    """Actors not in the table, with how often and how they were written, for the analyst to
    add to an `--actors` file. Expects the columns `attach_actors` adds; an actor the table
    does not know is the only named actor whose side is `unknown`."""
    parts = []
    for role in ROLES:
        side = events[f"{role}_side"]
        unknown = events[(side == "unknown") & events[f"{role}_actor"].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "actor": unknown[f"{role}_actor"],
                    "side": unknown[f"{role}_side"],
                    "role": role,
                    "text": unknown[f"{role}_actor_text"],
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=UNKNOWN_ACTOR_COLUMNS)
    grouped = rows.groupby(["actor", "side", "role"], sort=True)
    table = grouped.size().rename("events").to_frame()
    table["written_as"] = grouped["text"].agg(lambda texts: "; ".join(sorted(set(texts))))
    return table.reset_index()[UNKNOWN_ACTOR_COLUMNS]
