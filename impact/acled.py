"""Read ACLED exports as they are.

Only ACLED's territorial sub-event types are control changes; every other row is skipped by
rule (counted, never lost). ACLED's actor order is not a direction, so who gained and who lost
is derived from the sub-event type and the actors' interaction codes, and the rule used is kept
on each row (`actor_rule`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from impact.problems import skipped_rows as problem_rows
from impact.schemas import Skipped, SkipReason

SIGNATURE = {"event_id_cnty", "event_date", "sub_event_type", "actor1"}
TERRITORIAL = {
    "non-state actor overtakes territory": "captured",
    "government regains territory": "recaptured",
    "non-violent transfer of territory": "handed over",
}
# ACLED interaction codes for state forces: 1 in numeric exports, "State forces" in newer ones.
STATE_CODES = {"1", "state forces"}
# Columns read into the project's own fields; every other ACLED column (event_id_cnty,
# admin1-3, geo_precision, fatalities …) passes through as it is.
USED = {"event_date", "location", "sub_event_type", "actor1", "actor2", "source", "notes"}


def is_acled(columns: pd.Index) -> bool:
    """True when the header is an ACLED export's."""
    return {str(c).strip().lower() for c in columns} >= SIGNATURE


def acled_events(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """ACLED rows in the project's event columns, and a mask of rows skipped by rule.

    Returns the converted frame (same index as `raw`) and a boolean Series, True for rows whose
    sub-event type is not a control change.
    """
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    kind = raw["sub_event_type"].fillna("").str.strip().str.lower()
    skipped = ~kind.isin(list(TERRITORIAL))
    actor1, actor2 = _blank(raw.get("actor1"), raw.index), _blank(raw.get("actor2"), raw.index)
    state1 = _is_state(raw.get("inter1"), raw.index)
    state2 = _is_state(raw.get("inter2"), raw.index)
    gaining, losing, rule = _direction(kind, actor1, actor2, state1, state2)
    frame = pd.DataFrame(
        {
            "event_id": raw["event_id_cnty"],
            "date": raw["event_date"],
            "place": raw.get("location"),
            "township": raw.get("admin3"),
            "district": raw.get("admin2"),
            "region": raw.get("admin1"),
            "change": kind.map(TERRITORIAL),
            "gaining_actor": gaining,
            "losing_actor": losing,
            "actor_rule": rule,
            "source": raw.get("source"),
            "notes": raw.get("notes"),
        },
        index=raw.index,
    )
    frame["time_precision"] = raw.get("time_precision")
    rest = [c for c in raw.columns if c not in USED and c not in frame.columns]
    return frame.join(raw[rest]), skipped


def skipped_rows(rows: pd.DataFrame) -> DataFrame[Skipped]:
    """The ACLED rows that are not territorial changes, as rows skipped by rule."""
    kind = rows.get("sub_event_type", pd.Series(pd.NA, index=rows.index))
    return problem_rows(
        rows,
        column="sub_event_type",
        value=kind,
        reason=SkipReason.NOT_A_CONTROL_CHANGE,
        message="ACLED sub-event type is not one of the territorial changes",
    )


def _blank(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """The actors of a column, empty cells missing; all missing when the export lacks it."""
    if values is None:
        return pd.Series(pd.NA, index=index, dtype="string")
    return values.replace("", pd.NA)


def _is_state(codes: pd.Series | None, index: pd.Index) -> pd.Series:
    if codes is None:
        return pd.Series(False, index=index)
    return codes.fillna("").astype(str).str.strip().str.lower().isin(STATE_CODES)


def _direction(
    kind: pd.Series, actor1: pd.Series, actor2: pd.Series, state1: pd.Series, state2: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    overtakes = kind == "non-state actor overtakes territory"
    regains = kind == "government regains territory"
    # The non-state actor gains when it overtakes; the state actor gains when it regains.
    first_gains = np.select(
        [
            overtakes & ~state1,
            overtakes & state1 & actor2.notna(),
            regains & state1,
            regains & state2,
            overtakes,
            regains,
        ],
        [True, False, True, False, True, True],
        default=True,
    )
    rule = np.select(
        [
            overtakes & ~state1,
            overtakes & state1 & actor2.notna(),
            regains & state1,
            regains & state2,
            overtakes | regains,
        ],
        [
            "overtakes: non-state actor1 gains",
            "overtakes: non-state actor2 gains",
            "regains: state actor1 gains",
            "regains: state actor2 gains",
            "no state/non-state contrast: actor1 taken as gaining, check notes",
        ],
        default="transfer: actor1 taken as gaining (ACLED gives no direction), check notes",
    )
    gaining = actor1.where(first_gains, actor2)
    losing = actor2.where(first_gains, actor1)
    return gaining, losing, pd.Series(rule, index=kind.index)


def precision_window(dates: pd.DataFrame, precision: pd.Series) -> pd.DataFrame:
    """Widen ACLED dates: time_precision 2 is the week around the date, 3 its month."""
    code = pd.to_numeric(precision, errors="coerce")
    week, month = code == 2, code == 3
    dates.loc[week, "date_start"] = dates.loc[week, "date"] - pd.Timedelta(days=3)
    dates.loc[week, "date_end"] = dates.loc[week, "date"] + pd.Timedelta(days=3)
    dates.loc[week, "date_precision"] = "week"
    dates.loc[month, "date_start"] = dates.loc[month, "date"].dt.to_period("M").dt.start_time
    dates.loc[month, "date_end"] = dates.loc[month, "date"] + pd.offsets.MonthEnd(0)
    dates.loc[month, "date_precision"] = "month"
    return dates
