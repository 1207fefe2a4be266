"""The change column as analysts write it: change words among notes, certainty, negations."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.changes import parse_changes, read_change
from impact.schemas import CERTAINTIES, CHANGES

# (text as written, change, certainty, qualifier); None change = rejected.
PHRASINGS = [
    ("captured", "captured", "confirmed", None),
    ("Captured", "captured", "confirmed", None),
    ("CAPTURED", "captured", "confirmed", None),
    ("captured (reported)", "captured", "claimed", "reported"),
    ("captured (confirmed)", "captured", "confirmed", "confirmed"),
    ("captured, reported by Myanmar Now", "captured", "confirmed", "reported by Myanmar Now"),
    (
        "seized after the garrison surrendered",
        "captured",
        "confirmed",
        "after the garrison surrendered",
    ),
    ("base captured", "captured", "confirmed", "base"),
    ("took full control", "captured", "confirmed", None),
    ("took control", "captured", "confirmed", None),
    ("taken over by the AA", "captured", "confirmed", "by the AA"),
    ("fell to", "captured", "confirmed", None),
    ("Fell to AA/TNLA", "captured", "confirmed", "AA/TNLA"),
    ("overran", "captured", "confirmed", None),
    ("overrun after 4-day siege", "captured", "confirmed", "after 4-day siege"),
    ("liberated", "captured", "confirmed", None),
    ("occupied", "captured", "confirmed", None),
    ("stormed and seized", "captured", "confirmed", "and seized"),
    ("briefly held", "captured", "brief", "briefly"),
    ("held for a day", "captured", "brief", "for a day"),
    ("temporarily occupied", "captured", "brief", "temporarily"),
    ("partially captured", "captured", "partial", "partially"),
    ("captured most of the town", "captured", "partial", "most of the town"),
    ("Captured [partial]", "captured", "partial", "partial"),
    ("reportedly seized", "captured", "claimed", "reportedly"),
    ("captured (unverified)", "captured", "claimed", "unverified"),
    ("captured?", "captured", "claimed", "?"),
    ("claimed capture, later confirmed", "captured", "confirmed", "claimed, later confirmed"),
    ("captured - not independently verified", "captured", "claimed", "not independently verified"),
    ("captured; denied by junta", "captured", "claimed", "denied by junta"),
    ("claimed; denied by the military", "contested", "claimed", "denied by the military"),
    ("Claimed", "contested", "claimed", None),
    ("contested", "contested", "confirmed", None),
    ("disputed", "contested", "claimed", None),
    ("retaken", "recaptured", "confirmed", None),
    (
        "Junta re-entered (with TNLA consent)",
        "recaptured",
        "confirmed",
        "Junta (with TNLA consent)",
    ),
    ("changed hands", "captured", "confirmed", None),
    ("Change of control", "captured", "confirmed", None),
    ("re-captured", "recaptured", "confirmed", None),
    ("Taken back by army", "recaptured", "confirmed", "by army"),
    ("regained control", "recaptured", "confirmed", "control"),
    ("handed back under a ceasefire", "handed over", "confirmed", "under a ceasefire"),
    ("handed back under a ceasefire deal", "handed over", "confirmed", None),
    ("hand-over", "handed over", "confirmed", None),
    ("transferred to the MNDAA", "handed over", "confirmed", "to the MNDAA"),
    ("retreated from", "withdrawn", "confirmed", None),
    ("withdrew (tactical)", "withdrawn", "confirmed", "tactical"),
    ("abandoned by troops", "withdrawn", "confirmed", "by troops"),
    ("pulled out", "withdrawn", "confirmed", None),
    ("junta lost control", "captured", "confirmed", "junta"),
    (
        "failed to capture, then captured next day",
        "captured",
        "confirmed",
        "failed to capture, then next day",
    ),
    ("under attack", None, "confirmed", "under attack"),
    ("clashes", None, "confirmed", "clashes"),
    ("failed to capture", None, "confirmed", "failed to capture"),
    ("not captured", None, "confirmed", "not captured"),
    ("attempted to seize", None, "confirmed", "attempted to seize"),
    ("did not fall", None, "confirmed", "did not fall"),
    ("capture attempt repelled", None, "confirmed", "capture attempt repelled"),
    ("besieged", None, "confirmed", "besieged"),
]


@pytest.mark.parametrize(("text", "change", "certainty", "qualifier"), PHRASINGS)
def test_phrasing(text, change, certainty, qualifier):
    row = parse_changes(pd.Series([text])).iloc[0]
    assert (None if pd.isna(row["change"]) else row["change"]) == change
    assert row["change_certainty"] == certainty
    assert (None if pd.isna(row["change_qualifier"]) else row["change_qualifier"]) == qualifier


def test_the_table_is_large_and_covers_every_change_and_certainty():
    assert len(PHRASINGS) >= 40
    assert {p[1] for p in PHRASINGS} >= set(CHANGES)
    assert {p[2] for p in PHRASINGS} == set(CERTAINTIES)


def test_negated_and_unknown_texts_say_which():
    assert read_change("failed to capture")[3] == "negated"
    assert read_change("under attack")[3] == "no_change_word"


def test_low_confidence_makes_a_claim_unless_the_text_confirms():
    text = pd.Series(["captured", "captured", "captured (confirmed)", "partially captured", None])
    confidence = pd.Series(["low", "High", "low", "unverified", "low"])
    certainty = parse_changes(text, confidence)["change_certainty"].tolist()
    assert certainty == ["claimed", "confirmed", "confirmed", "claimed", "claimed"]


def test_a_missing_change_is_a_confirmed_capture():
    row = parse_changes(pd.Series([None], dtype="string")).iloc[0]
    assert (row["change"], row["change_certainty"]) == ("captured", "confirmed")
    assert pd.isna(row["change_problem"])


def test_a_million_rows_read_per_distinct_text():
    texts = pd.Series([p[0] for p in PHRASINGS] * (1_000_000 // len(PHRASINGS)))
    start = time.perf_counter()
    parsed = parse_changes(texts, pd.Series((["low", "high"] * len(texts))[: len(texts)]))
    assert time.perf_counter() - start < 10
    assert len(parsed) == len(texts) and parsed.index.equals(texts.index)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=1, max_size=8))
def test_any_text_gives_a_change_or_a_problem(texts):
    parsed = parse_changes(pd.Series(texts, dtype="object"))
    known = parsed["change"].notna()
    assert parsed.loc[known, "change"].isin(CHANGES).all()
    assert parsed.loc[~known, "change_problem"].isin(["negated", "no_change_word"]).all()
    assert parsed["change_certainty"].isin(CERTAINTIES).all()


@pytest.mark.parametrize(
    ("text", "change", "certainty", "problem"),
    [
        ("to be handed over", None, set(), "negated"),
        ("expected to be handed over next week", None, set(), "negated"),
        ("Mixed control", "contested", set(), None),
        ("captured (to be confirmed)", "captured", {"claimed"}, None),
        ("captured (TBC)", "captured", {"claimed"}, None),
        ("captured, will be handed over later", "captured", set(), None),
    ],
)
def test_planned_mixed_and_unconfirmed_changes(text, change, certainty, problem):
    found, _, markers, trouble = read_change(text)
    assert (found, markers, trouble) == (change, certainty, problem)


def test_an_l_of_an_l_m_h_scale_is_low_confidence():
    read = parse_changes(
        pd.Series(["captured"] * 3, dtype="string"), pd.Series(["L", "M", "H"], dtype="string")
    )
    assert read["change_certainty"].tolist() == ["claimed", "confirmed", "confirmed"]
