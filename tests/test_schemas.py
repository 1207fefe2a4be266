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


def test_a_run_holds_repeated_text_as_categories_and_gives_it_as_text(reference, monkeypatch):
    """`compact_impacts` of a large run (here: any) holds each text column but the event ID as
    categories, passes the schema as it is (no conversion), and `impacts` is the same table
    as plain text."""
    import impact
    from impact import per_value
    from impact.schemas import Impact

    monkeypatch.setattr(per_value, "CATEGORY_ROWS", 0)
    result = impact.run(reference=reference, as_of="2026-12-05")
    held, plain = result.compact_impacts, result.impacts
    kinds = {str(kind) for kind in plain.dtypes}
    assert "category" not in kinds and plain["place_name"].dtype == "str"
    assert isinstance(held["place_name"].dtype, pd.CategoricalDtype)
    assert held["event_id"].dtype == "str"
    checked = Impact.validate(held)
    assert isinstance(checked["pcode"].dtype, pd.CategoricalDtype)

    def values(column: pd.Series) -> list:
        return column.astype(object).where(column.notna(), None).tolist()

    for column in held.columns:
        assert values(held[column]) == values(plain[column]), column
    assert plain["not_counted_reason"].fillna("").str.len().ge(0).all()  # plain text edits
