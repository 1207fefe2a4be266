"""The decision ladder on hostile and realistic input: crashes, notes, families, villages, points."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.resolve import resolve_places
from impact.schemas import Event


def events(rows: list[dict]) -> pd.DataFrame:
    """Event rows from dicts (place plus any hint or coordinate columns), other columns filled."""
    frame = pd.DataFrame(rows)
    for column in ("township", "district", "region"):
        if column not in frame:
            frame[column] = None
    frame["event_id"] = [f"e{i}" for i in range(len(frame))]
    frame["date"] = pd.Timestamp("2023-11-07")
    frame["change"] = "captured"
    frame["source_file"] = "test.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    for column in Event.to_schema().columns:
        if column not in frame:
            frame[column] = pd.NA
    return frame


def outcome(result, row: int = 0) -> tuple[str, str | None]:
    """('matched', pcode) or (reason, message) for the event at position `row`."""
    event_id = f"e{row}"
    hit = result.resolved[result.resolved["event_id"] == event_id]
    if len(hit):
        return "matched", hit["pcode"].iloc[0]
    rejected = result.rejected[result.rejected["source_row"] == row + 2]
    return rejected["reason"].iloc[0], rejected["message"].iloc[0]


def test_generated_sheet_with_truncated_names_and_pcode_hints_resolves(reference):
    """10,000 events from the real gazetteer, 15% with the last letter dropped (which leaves
    official names such as 'Pang Hseng (Kyu Koke' with an unbalanced bracket), township
    given as a P-code: every row is resolved or rejected, none raises."""
    rng = random.Random(13)
    places = reference.places[reference.places["level"].isin(["town", "village_tract", "ward"])]
    pool = places.sample(10_000, random_state=13, replace=True)
    names = [n[:-1] if rng.random() < 0.15 else n for n in pool["name"]]
    names[0] = "Pang Hseng (Kyu Koke"
    rows = [
        {"place": name, "township": township}
        for name, township in zip(names, pool["township_pcode"], strict=True)
    ]
    rows[0]["township"] = "MMR015009"
    result = resolve_places(events(rows), reference)
    assert len(result.resolved) + len(result.rejected) == 10_000
    assert outcome(result, 0) == ("matched", "MMR015009704")
    assert len(result.resolved) / 10_000 > 0.9


BRACKETS = st.sampled_from(list("()[]{}<>,;:/-–.'\"&?!#") + [" near ", " (", ") ", "((", ""])
NAMES = st.sampled_from(["Pang Hseng (Kyu Koke) Town", "Khampat", "Muse", "Kyauk Ta Lone", ""])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.one_of(BRACKETS, NAMES, st.text(max_size=6)), min_size=1, max_size=6),
    hints=st.lists(st.one_of(st.none(), BRACKETS, NAMES, st.text(max_size=8)), min_size=3,
                   max_size=3),
    alt=st.one_of(st.none(), st.text(max_size=12), NAMES),
    point=st.one_of(st.none(), st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True))),
)
def test_any_text_with_any_brackets_never_raises(reference, parts, hints, alt, point):
    place = "".join(parts) or "("
    row = {"place": place, "township": hints[0], "district": hints[1], "region": hints[2]}
    row["alt_names"] = alt
    row["latitude"], row["longitude"] = point if point else (None, None)
    result = resolve_places(events([row]), reference)
    assert len(result.resolved) + len(result.rejected) == 1
