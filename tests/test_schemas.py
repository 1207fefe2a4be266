"""The shared vocabulary's own computations: the canonical row order."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.schemas import by_date, in_date_order

ROWS = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.one_of(st.none(), st.sampled_from(["BM-1", "BM-2", "bm-1", "ခ-1", "", "BM-10"])),
    ),
    max_size=10,
)


def _table(rows: list[tuple[int, str | None]], dtype: str) -> pd.DataFrame:
    dates = [pd.Timestamp("2023-11-01") + pd.Timedelta(days=d) for d, _ in rows]
    return pd.DataFrame(
        {
            "date": pd.to_datetime(pd.Series(dates, dtype="datetime64[ns]")),
            "event_id": pd.array([e for _, e in rows], dtype=dtype),
        }
    )


@settings(max_examples=300, deadline=None)
@given(rows=ROWS, dtype=st.sampled_from(["str", "string", "object"]))
def test_date_order_is_what_a_stable_sort_leaves(rows, dtype):
    """Neighbours compared, never sorted: the same answer as sorting and comparing."""
    table = _table(rows, dtype)
    sorted_ = table.sort_values(["date", "event_id"], kind="stable")
    assert in_date_order(table) == sorted_.index.equals(table.index)
    assert in_date_order(by_date(table))
    pd.testing.assert_frame_equal(by_date(table), sorted_)
