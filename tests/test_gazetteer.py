"""Place resolution: P-codes, names, aliases, fuzzy spellings, hints, ambiguity, audit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from impact.gazetteer import folded_key
from impact.names import normalise_name, repair_pcode, romanised_key, split_qualifier
from impact.resolve import resolve_places
from impact.schemas import LEVELS as LEVEL_PREFERENCE
from impact.schemas import Event

VARIANTS = pd.read_csv(
    Path(__file__).with_name("data") / "spelling_variants.csv", dtype=str, keep_default_na=False
)


def events(*rows: tuple) -> pd.DataFrame:
    """Event rows (place, township, district, region) with every other Event column filled."""
    frame = pd.DataFrame(rows, columns=["place", "township", "district", "region"])
    frame["event_id"] = [f"e{i}" for i in range(len(frame))]
    frame["date"] = pd.Timestamp("2023-11-07")
    frame["change"] = "captured"
    frame["source_file"] = "test.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    for column in Event.to_schema().columns:
        if column not in frame:
            frame[column] = pd.NA
    return frame


@pytest.mark.parametrize("row", VARIANTS.to_dict("records"), ids=lambda r: r["place"])
def test_spelling_variants_from_public_reporting(reference, row):
    frame = events((row["place"], row["township"] or None, None, row["region"] or None))
    result = resolve_places(frame, reference)
    if row["expected"].startswith("MMR"):
        assert result.rejected.empty, result.rejected["message"].tolist()
        assert result.resolved.loc[0, "pcode"] == row["expected"]
    else:
        assert result.rejected.loc[0, "reason"] == row["expected"]


def test_the_variant_table_is_large_enough():
    assert len(VARIANTS) >= 60
    assert VARIANTS["expected"].str.startswith("place_").sum() >= 6


def test_methods_scores_notes_and_qualifier_are_recorded(reference):
    frame = events(
        ("Khamphat", "Tamu", None, None),
        ("MMR005030703", None, None, None),
        ("Moulmein", None, None, None),
        ("LIB-345 base, Khampat", None, None, None),
        ("Khampat", "Tamu", None, None),
    )
    resolved = resolve_places(frame, reference).resolved.drop_duplicates("place")
    resolved = resolved.set_index("place")
    assert resolved.loc["Khamphat", "match_method"] == "fuzzy"
    assert 80 < resolved.loc["Khamphat", "match_score"] < 100
    assert "within township Tamu" in resolved.loc["Khamphat", "match_note"]
    assert resolved.loc["MMR005030703", "match_method"] == "pcode"
    assert resolved.loc["Moulmein", "match_method"] == "alias"
    assert resolved.loc["Khampat", "match_method"] == "exact"
    assert resolved.loc["LIB-345 base, Khampat", "place_qualifier"] == "LIB-345 base"


def test_ambiguous_message_lists_candidates_with_townships(reference):
    row = resolve_places(events(("No (1) Ward", "Tamu", None, None)), reference).rejected.iloc[0]
    assert row["reason"] == "place_ambiguous"
    assert "MMR005030702501" in row["message"] and "MMR005030703501" in row["message"]
    assert "Tamu township" in row["message"]


def test_not_found_gives_three_suggestions(reference):
    row = resolve_places(events(("Khampatt Xyz", None, None, None)), reference).rejected.iloc[0]
    assert row["reason"] == "place_not_found"
    assert row["message"].count("(MMR") == 3


def test_hint_that_contradicts_the_place_is_reported(reference):
    row = resolve_places(events(("Khampat", "Kawlin", None, None)), reference).rejected.iloc[0]
    assert row["reason"] == "place_not_found"
    assert "exists elsewhere" in row["message"] and "MMR005030703" in row["message"]


def test_short_names_are_never_fuzzed(reference):
    result = resolve_places(events(("Ann", None, None, None), ("Anx", None, None, None)), reference)
    assert result.resolved.loc[0, "pcode"] == "MMR012014701"
    assert result.rejected.loc[0, "reason"] == "place_not_found"


def test_audit_has_one_row_per_unique_name_and_hints(reference):
    frame = events(*[("Khampat", "Tamu", None, None)] * 5, ("Kawlin", None, None, None))
    result = resolve_places(frame, reference)
    assert len(result.audit) == 2 and len(result.resolved) == 6
    assert {"runner_up", "match_method", "match_score", "candidates"} <= set(result.audit)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kalay", "Kale"),
        ("Hpa-an", "Pa-an"),
        ("Khampat", "Khamphat"),
        ("Toungup", "Taungup"),
        ("Kawthoung", "Kawthaung"),
        ("Hpakant", "Hpakan"),
        ("Pyin Oo Lwin", "Pyin U Lwin"),
    ],
)
def test_romanisation_variants_fold_together(a, b):
    assert romanised_key(pd.Series([a])).iloc[0] == romanised_key(pd.Series([b])).iloc[0]


@pytest.mark.parametrize(("a", "b"), [("Nyaung Kone", "Kyaung Kone"), ("Bagan", "Hpakan")])
def test_different_sounds_stay_apart(a, b):
    assert romanised_key(pd.Series([a])).iloc[0] != romanised_key(pd.Series([b])).iloc[0]


def test_name_helpers():
    assert normalise_name(pd.Series(["Kham Pat Town", "KHAMPAT"])).tolist() == ["khampat"] * 2
    assert split_qualifier("Kawlin outskirts") == ("Kawlin", "outskirts")
    assert split_qualifier("near Namhsan") == ("Namhsan", "near")
    assert repair_pcode("mmr 5030703") == "MMR005030703"
    assert repair_pcode("MMR5D6") == "MMR005D006"
    assert repair_pcode("Khampat") is None


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_place_resolves_to_itself_by_pcode_and_by_name(reference, data):
    pcode = data.draw(st.sampled_from(sorted(reference.places.index)))
    place = reference.places.loc[pcode]
    hint = place["township_pcode"] if pd.notna(place["township_pcode"]) else None
    frame = events((pcode, None, None, None), (place["name"], hint, None, None))
    result = resolve_places(frame, reference)
    by_code = result.resolved[result.resolved["place"] == pcode]
    assert by_code["pcode"].tolist() == [pcode]
    by_name = result.resolved[result.resolved["place"] == place["name"]]
    if by_name.empty:
        rejected = result.rejected[result.rejected["value"] == place["name"]].iloc[0]
        assert rejected["reason"] == "place_ambiguous"
        listed = re.findall(r"\((MMR\w+),", rejected["message"])
        own_rank = LEVEL_PREFERENCE.index(place["level"])
        assert pcode in listed or all(
            LEVEL_PREFERENCE.index(reference.places.loc[code, "level"]) < own_rank
            for code in listed
        )
    elif by_name["pcode"].iloc[0] != pcode:
        # Only a place of a preferred level may win (a town over a village tract of the
        # same name); never an unrelated place at the same level.
        other = reference.places.loc[by_name["pcode"].iloc[0]]
        assert LEVEL_PREFERENCE.index(other["level"]) < LEVEL_PREFERENCE.index(place["level"])


def values(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`'s values only: an all-empty column's dtype depends on the batch."""
    frame = frame.reset_index(drop=True).astype(object)
    return frame.where(frame.notna(), None)


def test_candidates_and_suggestions_are_the_same_in_a_batch_as_one_by_one(reference):
    # Matching runs once per distinct folded key: a batch where spellings repeat (with
    # different hints) must give every query what it would get alone.
    names = ["Kalay", "Khamphat", "Monglun", "Kalay", "Hpakant (reported)", "Khampatt", "Xyzzq"]
    hints = ["Kale", None, None, None, None, "Tamu", None]
    batch = pd.DataFrame({"query_id": range(len(names)), "name": names, "township": hints}).assign(
        district=None, region=None
    )
    gazetteer = reference.gazetteer
    together = gazetteer.candidates(batch)
    suggested = gazetteer.closest(batch["name"])
    for query_id in range(len(names)):
        alone = gazetteer.candidates(batch.iloc[[query_id]])
        mine = together[together["query_id"] == query_id]
        pd.testing.assert_frame_equal(values(mine), values(alone))
        one = gazetteer.closest(batch["name"].iloc[[query_id]])
        pd.testing.assert_frame_equal(
            suggested[suggested["query_id"] == query_id].reset_index(drop=True),
            one.reset_index(drop=True),
        )


def test_suggestions_are_best_first_and_ties_keep_the_order_of_the_index(reference):
    # "So" and "Mongig" are near many names with the same score: which of them are
    # suggested must not depend on how a sort happens to break ties.
    gazetteer = reference.gazetteer
    folded = gazetteer.folded
    names = pd.Series(["So", "Mongig", "Xyzzq"])
    suggested = gazetteer.closest(names)
    for query_id, name in names.items():
        key = folded_key(pd.Series([name])).iloc[0]
        scores = process.cdist([key], folded["fkey"].tolist(), scorer=fuzz.ratio, dtype=np.uint8)
        best = sorted(range(len(folded)), key=lambda row: (-int(scores[0, row]), row))[:12]
        mine = suggested[suggested["query_id"] == query_id]
        assert mine["pcode"].tolist() == folded["pcode"].iloc[best].tolist()
        assert mine["score"].tolist() == [float(scores[0, row]) for row in best]


def test_stored_name_keys_give_the_same_index_as_computed_keys(reference, monkeypatch):
    """The package build stores every name's search keys; a gazetteer using them equals one
    computing them, and keys made by other folding rules are not used."""
    from impact.gazetteer import Gazetteer
    from impact.package_cache import PackageCache
    from impact.reference import load_reference

    assert reference.name_keys is not None
    stored = Gazetteer(reference)
    fresh = load_reference(reference.path)
    monkeypatch.setitem(fresh.__dict__, "name_keys", None)
    # Built, not read back: the index's tables are kept in the package cache.
    monkeypatch.setitem(fresh.__dict__, "cache", PackageCache(None))
    computed = Gazetteer(fresh)
    pd.testing.assert_frame_equal(stored.names, computed.names, check_dtype=False)
    pd.testing.assert_frame_equal(stored.villages, computed.villages, check_dtype=False)
    import impact.reference

    stale = load_reference(reference.path)
    monkeypatch.setattr(impact.reference, "folding_rules", lambda: "other rules")
    assert stale.name_keys is None


def _misspelt(data: st.DataObject, name: str) -> str:
    """`name` with up to two letters dropped, doubled or swapped, as event lists write them."""
    for _ in range(data.draw(st.integers(0, 2))):
        if len(name) < 3:
            break
        at = data.draw(st.integers(0, len(name) - 2))
        edit = data.draw(st.sampled_from(["drop", "double", "swap"]))
        if edit == "drop":
            name = name[:at] + name[at + 1 :]
        elif edit == "double":
            name = name[: at + 1] + name[at:]
        else:
            name = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return name


def _random_queries(reference, data: st.DataObject, size: int) -> pd.DataFrame:
    """Queries mixing real names (some misspelt, some repeated with other hints, some bracketed
    pairs), P-codes and noise, with township hints given by name, by P-code or not at all."""
    places = reference.places
    names = sorted(places["name"].dropna().unique())
    townships = sorted(places.loc[places["level"] == "township", "name"].unique())
    pool = []
    for _ in range(size):
        kind = data.draw(st.sampled_from(["name", "misspelt", "bracketed", "pcode", "noise"]))
        name = data.draw(st.sampled_from(names))
        if kind == "misspelt":
            name = _misspelt(data, name)
        elif kind == "bracketed":
            name = f"{_misspelt(data, name)} ({data.draw(st.sampled_from(names))})"
        elif kind == "pcode":
            name = data.draw(st.sampled_from(sorted(places.index)))
        elif kind == "noise":
            name = data.draw(st.text("abkmnoprtuy ()-", min_size=0, max_size=9))
        if pool and data.draw(st.booleans()):
            name = data.draw(st.sampled_from(pool))
        pool.append(name)
    hint = st.one_of(st.none(), st.sampled_from(townships), st.sampled_from(sorted(places.index)))
    return pd.DataFrame(
        {
            "query_id": range(size),
            "name": pool,
            "township": [data.draw(hint) for _ in range(size)],
            "district": None,
            "region": [data.draw(st.sampled_from([None, "Sagaing", "Shan State"])) for _ in pool],
        }
    )


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_random_batch_gives_each_query_what_it_gets_alone(reference, data):
    # Names are looked up once per distinct spelling and ranked once per spelling: whatever
    # the mix, each query gets exactly what it would get alone.
    batch = _random_queries(reference, data, size=8)
    gazetteer = reference.gazetteer
    together = gazetteer.search(batch)
    for query_id in batch["query_id"]:
        alone = gazetteer.search(batch.iloc[[query_id]])
        mine = together[together["query_id"] == query_id]
        pd.testing.assert_frame_equal(values(mine), values(alone))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_candidates_do_not_depend_on_the_order_of_the_queries(reference, data):
    # Queries in query_id order are ranked per spelling; any other order (as the parts of a
    # bracketed name sharing one query) is ranked per query: both give the same table.
    batch = _random_queries(reference, data, size=10)
    shuffled = batch.sample(frac=1, random_state=data.draw(st.integers(0, 1000)))
    gazetteer = reference.gazetteer
    pd.testing.assert_frame_equal(
        gazetteer.candidates(batch), gazetteer.candidates(shuffled), check_exact=True
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_close_folded_names_are_all_found_within_the_reachable_lengths(reference, data):
    # Keys are scored only against folded names of a length that can reach the cutoff: the
    # hits must be those of scoring every folded name.
    from rapidfuzz import fuzz, process

    from impact.gazetteer import FUZZY_CUTOFF

    gazetteer = reference.gazetteer
    folded = sorted(gazetteer.folded["fkey"].unique())
    keys = [_misspelt(data, data.draw(st.sampled_from(folded))) for _ in range(6)]
    keys = pd.Series(sorted({k for k in keys if k}), dtype=object)
    scores = process.cdist(
        keys.tolist(),
        gazetteer.folded["fkey"].tolist(),
        scorer=fuzz.ratio,
        score_cutoff=FUZZY_CUTOFF,
        dtype="uint8",
    )
    rows, cols = scores.nonzero()
    expected = pd.DataFrame(
        {"fkey": keys.to_numpy()[rows], "index": cols, "score": scores[rows, cols].astype(float)}
    )
    found = gazetteer._close_folded(keys)
    pd.testing.assert_frame_equal(found, expected.astype({"fkey": object}), check_exact=True)


def test_no_folded_name_of_a_reachable_length_is_left_out():
    from rapidfuzz import fuzz

    from impact.gazetteer import FUZZY_CUTOFF, _reachable_lengths

    for length in range(1, 60):
        low, high = _reachable_lengths(length, FUZZY_CUTOFF)
        assert low <= length <= high
        for other in range(1, 120):
            best = fuzz.ratio("a" * length, "a" * other)
            assert (low <= other <= high) or best < FUZZY_CUTOFF - 1


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(
        st.one_of(st.none(), st.sampled_from(["Kalay", "Kale Town", "Möng Hsat", "No (1) Ward"])),
        max_size=12,
    )
)
def test_name_keys_worked_out_once_per_value_equal_those_of_every_row(names):
    from impact.gazetteer import folded_key
    from impact.per_value import once_per_value

    for dtype in ("str", object):
        values = pd.Series(names, dtype=dtype, index=[f"r{i}" for i in range(len(names))])
        for function in (normalise_name, folded_key):
            pd.testing.assert_series_equal(
                once_per_value(function, values), function(values), check_names=False
            )


@settings(max_examples=100, deadline=None)
@given(
    rows=st.integers(0, 9),
    columns=st.integers(0, 23),
    cells=st.lists(st.tuples(st.integers(0, 250), st.integers(1, 255)), max_size=40),
)
def test_nonzero_bytes_equal_numpy_nonzero(rows, columns, cells):
    from impact.gazetteer import _nonzero_bytes

    scores = np.zeros(rows * columns, dtype=np.uint8)
    for at, value in cells:
        if len(scores):
            scores[at % len(scores)] = value
    scores = scores.reshape(rows, columns)
    expected = np.nonzero(scores)
    got = _nonzero_bytes(scores)
    assert [a.tolist() for a in got] == [a.tolist() for a in expected]
    assert [a.dtype for a in got] == [a.dtype for a in expected]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_folded_keys_from_the_stored_keys_equal_those_worked_out(reference, data):
    """Texts the package stores keys for take them; others are worked out: the same keys."""
    from impact.gazetteer import folded_key

    names = sorted(reference.name_keys.index[:: max(1, len(reference.name_keys) // 400)])
    text = st.one_of(st.none(), st.sampled_from(names), st.text("aekmnopt ()-MöŋU", max_size=9))
    drawn = data.draw(st.lists(text, max_size=12))
    gazetteer = reference.gazetteer
    for dtype in (object, "str"):
        texts = pd.Series(drawn, dtype=dtype, index=[2 * i + 1 for i in range(len(drawn))])
        pd.testing.assert_series_equal(gazetteer.fkey_of(texts), folded_key(texts))


CODES = st.sampled_from(["MMR001", "MMR002", "MMR001001", "MMR002003"])
HINT = st.one_of(st.none(), st.frozensets(st.one_of(CODES, st.none()), max_size=3))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(CODES, st.none()), st.one_of(CODES, st.none()), HINT, HINT, HINT),
        max_size=20,
    )
)
def test_inside_hints_is_membership_in_every_hint_set(rows):
    from impact.gazetteer import HINT_LEVELS, Gazetteer

    levels = list(HINT_LEVELS.values())
    found = pd.DataFrame(
        {
            "pcode": [r[0] for r in rows],
            **{f"{level}_pcode": [r[1] for r in rows] for level in levels},
            **{f"hint_{level}": [r[2 + i] for r in rows] for i, level in enumerate(levels)},
        },
        index=[3 * i for i in range(len(rows))],
        dtype=object,
    ).astype({"pcode": "string"})
    expected = [
        all(
            allowed is None or any(c is not None and c in allowed for c in (r[0], r[1]))
            for allowed in r[2:]
        )
        for r in rows
    ]
    got = Gazetteer._inside(found)
    assert got.tolist() == expected
    assert got.index.equals(found.index)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.integers(0, 5),
    columns=st.integers(1, 30),
    count=st.integers(1, 14),
    data=st.data(),
)
def test_best_columns_equal_a_stable_sort_of_each_row(rows, columns, count, data):
    from impact.gazetteer import SUGGESTION_FLOOR, _best_columns

    near = [0, SUGGESTION_FLOOR - 1, SUGGESTION_FLOOR, SUGGESTION_FLOOR + 1, 80, 100]
    cells = data.draw(
        st.lists(st.sampled_from(near), min_size=rows * columns, max_size=rows * columns)
    )
    scores = np.array(cells, dtype=np.uint8).reshape(rows, columns)
    expected = np.argsort(100 - scores, axis=1, kind="stable")[:, :count]
    np.testing.assert_array_equal(_best_columns(scores, count), expected)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_close_control_names_are_those_of_scoring_every_pair_exactly(reference, data):
    # Close pairs are first found in whole points, then scored exactly: the same pairs and
    # scores as scoring every pair in floating point.
    gazetteer = reference.gazetteer
    control = gazetteer.control_names
    names = sorted(control["text"].unique())
    typed = [_misspelt(data, data.draw(st.sampled_from(names))) for _ in range(5)]
    cutoff = data.draw(st.sampled_from([80.0, 85.0, 79.5]))
    found = gazetteer.close_control_names(pd.Series(typed, index=range(5)), cutoff=cutoff)
    keys = normalise_name(pd.Series(typed)).tolist()
    scores = process.cdist(
        keys, control["key"].tolist(), scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.float64
    )
    expected = {
        (int(query_id), control["pcode"].iloc[col], float(scores[query_id, col]))
        for query_id, col in zip(*np.nonzero(scores), strict=True)
        if len(keys[query_id]) >= 4
    }
    best = {}
    for query_id, pcode, plain in sorted(expected):
        best[(query_id, pcode)] = max(plain, best.get((query_id, pcode), 0))
    got = dict(
        zip(zip(found["query_id"], found["pcode"], strict=True), found["plain"], strict=True)
    )
    assert got == best


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=20))
def test_popcount_counts_set_bits_with_or_without_numpy_2(values):
    import impact.gazetteer as gazetteer

    array = np.array(values, dtype=np.uint64).reshape(-1, 1)
    expected = [[bin(v).count("1")] for v in values]
    assert gazetteer._popcount(array).tolist() == expected
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(np, "bitwise_count", raising=False)
        assert gazetteer._popcount(array).tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.text("abkmnoprtuy019ခါ", max_size=12), st.text("abkmnoprtuy019ခါ", max_size=12))
def test_letters_one_text_lacks_never_outnumber_the_indel_distance(a, b):
    # The bound `_close_folded_of_length` filters by: distinct letters one text has and the
    # other lacks are at most the insertions and deletions that turn one into the other.
    from rapidfuzz.distance import Indel

    from impact.gazetteer import _letter_sets, _popcount

    sets = _letter_sets(np.array([a, b], dtype=object))
    assert int(_popcount(sets[:1] ^ sets[1:])[0]) <= Indel.distance(a, b)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("ab\x00ခါ𝒜 ", max_size=6), max_size=12))
def test_letter_sets_hold_each_character_once(texts):
    from impact.gazetteer import _letter_sets

    expected = [sum(1 << bit for bit in {ord(c) % 64 for c in text}) for text in texts]
    assert _letter_sets(np.array(texts, dtype=object)).tolist() == expected


def test_texts_folded_before_are_folded_the_same_again(reference, monkeypatch):
    """Keys of texts outside the package are kept from one search to the next (a bounded
    number of them): the same keys as folding afresh, with or without stored keys."""
    import impact.gazetteer
    from impact.gazetteer import Gazetteer, folded_key
    from impact.reference import load_reference

    texts = pd.Series(["Khamphatt", "Kalay", None, "Mong Ko Town", "Khamphatt", "Xyzzq"])
    monkeypatch.setattr(impact.gazetteer, "FOLDED_KEPT", 2)
    without = load_reference(reference.path)
    monkeypatch.setitem(without.__dict__, "name_keys", None)
    for gazetteer in (Gazetteer(reference), Gazetteer(without)):
        for batch in (texts, texts.iloc[::-1], texts.iloc[[0, 5]]):
            pd.testing.assert_series_equal(gazetteer.fkey_of(batch), folded_key(batch))
        assert len(gazetteer._folded_before) <= 2 + len(texts)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "kalay", "", "nan"]), max_size=12),
    st.lists(st.sampled_from(["a", "b", "kalay", "tamu", "nan"]), max_size=15),
)
def test_matches_pair_rows_as_an_inner_merge_does(keys, values):
    from impact.gazetteer import _grouped, _matches

    left = pd.DataFrame({"key": pd.Series(keys, dtype=object), "at": range(len(keys))})
    right = pd.DataFrame({"key": pd.Series(values, dtype="str"), "row": range(len(values))})
    merged = left.merge(right, on="key")
    at, rows = _matches(left["key"], _grouped(right["key"]))
    assert at.tolist() == merged["at"].tolist()
    assert rows.tolist() == merged["row"].tolist()


def test_hint_sets_met_before_are_the_same_again(reference, monkeypatch):
    """Hint sets are kept from one search to the next (a bounded number): the same sets as
    working them out afresh."""
    import impact.gazetteer
    from impact.gazetteer import Gazetteer

    queries = pd.DataFrame(
        {
            "query_id": range(5),
            "township": ["Tamu", "MMR005030", None, "Nowhere", "Tamu"],
            "district": [None, "Kale", None, "Muse", None],
            "region": ["Sagaing", None, "Shan State", None, "Shan"],
        }
    )
    fresh = Gazetteer(reference)._hint_sets(queries)
    monkeypatch.setattr(impact.gazetteer, "FOLDED_KEPT", 3)
    gazetteer = Gazetteer(reference)
    for batch in (queries, queries.iloc[::-1], queries, queries.iloc[[3]]):
        got = gazetteer._hint_sets(batch).set_index("query_id")
        expected = fresh.set_index("query_id").loc[got.index]
        # A column no hint of the batch fills is all NaN, as float (as a map gives it).
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("abkmo ခါ", max_size=8), st.text("abkmo ခါ", max_size=8))))
def test_ratios_are_those_of_fuzz_ratio(pairs):
    from impact.gazetteer import ratios

    got = ratios([a for a, _ in pairs], [b for _, b in pairs])
    assert got.dtype == np.float64
    assert got.tolist() == [fuzz.ratio(a, b) for a, b in pairs]
