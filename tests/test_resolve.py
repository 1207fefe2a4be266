"""The decision ladder on hostile and real input: crashes, notes, families, villages, points."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from impact.names import normalise_name, romanised_key
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


BRACKETS = st.sampled_from([*"()[]{}<>,;:/-–.'\"&?!#", " near ", " (", ") ", "((", ""])
NAMES = st.sampled_from(["Pang Hseng (Kyu Koke) Town", "Khampat", "Muse", "Kyauk Ta Lone", ""])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.one_of(BRACKETS, NAMES, st.text(max_size=6)), min_size=1, max_size=6),
    hints=st.lists(
        st.one_of(st.none(), BRACKETS, NAMES, st.text(max_size=8)), min_size=3, max_size=3
    ),
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


@pytest.mark.parametrize(
    ("text", "pcode", "qualifier"),
    [
        ("Loikaw (town centre)", "MMR002001701", "town centre"),
        ("Hpakant (reported)", "MMR001009701", "reported"),
        ("Kalay airport, Kalay", "MMR005027701", "Kalay airport"),
        ("IB-12 HQ, Hakha", "MMR004002701", "IB-12 HQ"),
        ("Khampat - unconfirmed", "MMR005030703", "unconfirmed"),
        ("Pang Hseng (Kyu Koke) Town", "MMR015009704", None),
    ],
)
def test_notes_written_with_the_name_move_to_the_qualifier(reference, text, pcode, qualifier):
    result = resolve_places(events([{"place": text}]), reference)
    assert outcome(result) == ("matched", pcode)
    row = result.resolved.iloc[0]
    assert (row["place_qualifier"] if pd.notna(row["place_qualifier"]) else None) == qualifier
    assert pd.isna(row["match_flags"])


def test_a_facility_near_a_town_is_the_towns_township_flagged(reference):
    result = resolve_places(
        events([{"place": "army base near Tamu"}, {"place": "outskirts of Kawlin"}]), reference
    )
    near = result.resolved.set_index("event_id")
    assert near.loc["e0", "pcode"] == "MMR005030"  # Tamu township, the area around the town
    assert near.loc["e0", "level"] == "township"
    assert near.loc["e0", "match_flags"] == "near_place"
    assert "army base near" in near.loc["e0", "place_qualifier"]
    assert near.loc["e1", "pcode"] == "MMR005024701"  # the outskirts are the town itself
    assert pd.isna(near.loc["e1", "match_flags"])


def test_hints_written_in_brackets_are_used(reference):
    result = resolve_places(
        events(
            [
                {"place": "Kyauk Ta Lone (Mogoke township)"},
                {"place": "Kyauk Ta Lone (Tanintharyi district, Tanintharyi township)"},
                {"place": "Kyauk Ta Lone"},
            ]
        ),
        reference,
    )
    assert outcome(result, 0) == ("matched", "MMR010011024")
    assert outcome(result, 1) == ("matched", "MMR006008009")
    assert outcome(result, 2)[0] == "place_ambiguous"


def test_a_sub_township_in_brackets_is_read_as_the_township_of_its_seat(reference):
    # Khampat heads a sub-township of Tamu township: the hint keeps Tamu's No (1) Ward.
    result = resolve_places(events([{"place": "No (1) Ward (Khampat sub-township)"}]), reference)
    assert outcome(result)[1].startswith("MMR005030")


def test_alt_names_are_tried_in_order_and_the_audit_says_which_matched(reference):
    result = resolve_places(
        events(
            [
                {"place": "Xqzzy Gate", "alt_names": "Qqqxx; Khampat / Kawlin"},
                {"place": "Kawlin", "alt_names": "Khampat"},
                {"place": "Xqzzy", "alt_names": None},
            ]
        ),
        reference,
    )
    assert outcome(result, 0) == ("matched", "MMR005030703")
    assert outcome(result, 1) == ("matched", "MMR005024701")
    assert outcome(result, 2)[0] == "place_not_found"
    audit = result.audit.set_index("place")
    assert audit.loc["Xqzzy Gate", "matched_name"] == "Khampat"
    assert audit.loc["Kawlin", "matched_name"] == "Kawlin"


FAMILIES = pd.read_csv(
    Path(__file__).with_name("data") / "spelling_variants_families.csv",
    dtype=str,
    keep_default_na=False,
)


@pytest.mark.parametrize("row", FAMILIES.to_dict("records"), ids=lambda r: r["place"])
def test_shan_kachin_chin_rakhine_spellings_resolve_or_are_refused(reference, row):
    """Real spellings from Wikipedia and the press: the right town, or a refusal with
    candidates where the spelling is not a systematic variant; never another place."""
    result = resolve_places(
        events([{"place": row["place"], "region": row["region"] or None}]), reference
    )
    found = outcome(result)
    if row["expected"].startswith("MMR"):
        assert found == ("matched", row["expected"])
        official = normalise_name(pd.Series([reference.places.loc[row["expected"], "name"]]))
        assert official.iloc[0] == normalise_name(pd.Series([row["official"]])).iloc[0]
    else:
        assert found[0] == row["expected"]


def test_the_family_table_is_new_large_and_sourced():
    old = pd.read_csv(Path(__file__).with_name("data") / "spelling_variants.csv", dtype=str)
    assert not set(FAMILIES["place"]) & set(old["place"])
    assert FAMILIES["expected"].str.startswith("MMR").sum() >= 80
    assert (FAMILIES["where_seen"].str.len() > 0).all()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Möng Hsat", "Monghsat"),
        ("Maing Hsat", "Mong Hsat"),
        ("Mueang La", "Mongla"),
        ("Mone Koe", "Monekoe"),
        ("Namhkam", "Namhkan"),
        ("Loi Lem", "Loi Len"),
        ("Wine Maw", "Waingmaw"),
        ("Lauk Kai", "Laukkai"),
        ("Hpa’an", "Hpa-an"),
    ],
)
def test_family_spellings_fold_together(a, b):
    fold = romanised_key(pd.Series([a, b]), families=True)
    assert fold.iloc[0] == fold.iloc[1]


def test_a_town_spelt_like_a_village_tract_of_its_township_is_never_silently_the_tract(
    reference,
):
    """The issue's failure: a town's press spelling equal to the official name of a village
    tract in the same township. Either the town wins by romanisation folding, or the row is
    ambiguous with both listed; never the tract alone."""
    result = resolve_places(
        events(
            [
                {"place": "Mong Ko", "township": "Muse"},
                {"place": "Pein Za Loke", "township": "Nyaunglebin"},
                {"place": "Oke Shit Pin", "township": "Padaung"},
            ]
        ),
        reference,
    )
    assert outcome(result, 0) == ("matched", "MMR015009702")  # Monekoe Town, not Man Kan
    for row, town, tract in (
        (1, "MMR007005704", "MMR007005025"),
        (2, "MMR008003702", "MMR008003008"),
    ):
        reason, message = outcome(result, row)
        assert reason == "place_ambiguous"
        assert town in message and tract in message


def test_a_fuzzy_match_with_a_close_runner_up_is_ambiguous_at_any_level(reference):
    # Naung Kaing and Laung Kaing, two village tracts of Kawkareik, one letter from the text.
    result = resolve_places(events([{"place": "Aung Kaing", "township": "Kawkareik"}]), reference)
    reason, message = outcome(result)
    assert reason == "place_ambiguous"
    assert "MMR003006009" in message and "MMR003006034" in message


def test_a_fuzzy_guess_at_a_village_tract_without_a_township_is_refused(reference):
    result = resolve_places(events([{"place": "Mabain"}, {"place": "Tiddim"}]), reference)
    assert outcome(result, 0)[0] in {"place_ambiguous", "place_not_found"}
    assert outcome(result, 1)[0] == "place_ambiguous"


def test_every_match_has_a_confidence_by_the_documented_rule(reference):
    result = resolve_places(
        events(
            [
                {"place": "Khampat"},
                {"place": "MMR005030703"},
                {"place": "Möng Hsat"},
                {"place": "Khampatx", "township": "Tamu"},
                {"place": "army base near Tamu"},
            ]
        ),
        reference,
    )
    rows = result.resolved.set_index("event_id")
    assert rows["match_confidence"].notna().all()
    assert rows.loc["e0", "match_confidence"] == "high"
    assert rows.loc["e1", "match_confidence"] == "high"
    assert rows.loc["e2", "match_confidence"] == "high"  # equal once romanisation is folded
    assert rows.loc["e3", "match_method"] == "fuzzy"
    assert rows.loc["e3", "match_confidence"] in {"medium", "low"}
    assert rows.loc["e4", "match_confidence"] == "medium"  # near: the area, not the town
    assert set(result.audit["match_confidence"].dropna()) <= {"high", "medium", "low"}


def test_a_village_resolves_to_its_village_tract_and_keeps_its_name_and_point(reference):
    result = resolve_places(events([{"place": "Moe Lin", "township": "Tamu"}]), reference)
    row = result.resolved.iloc[0]
    assert row["pcode"] == "MMR005030010" and row["level"] == "village"
    assert row["village_name"] == "Moe Lin" and row["village_pcode"] == "176030"
    assert row["village_lat"] == pytest.approx(24.49575)
    assert row["village_lon"] == pytest.approx(94.49547)
    assert row["township_pcode"] == "MMR005030"


def test_a_village_name_without_a_township_is_ambiguous_never_a_guess(reference):
    result = resolve_places(
        events([{"place": "Moe Lin"}, {"place": "Khum Mun Nun"}, {"place": "Kyauk Ta Lone"}]),
        reference,
    )
    for row in range(3):
        reason, message = outcome(result, row)
        assert reason == "place_ambiguous"
        assert "(MMR" in message
    assert "village name" in outcome(result, 0)[1]


def test_towns_and_tracts_win_over_a_same_named_village_unless_the_text_says_village(
    reference,
):
    result = resolve_places(
        events(
            [
                {"place": "Kyauk Ta Lone", "township": "Hpa-An"},
                {"place": "Kyauk Ta Lone village", "township": "Hpa-An"},
                {"place": "Kyauk Ta Lone Village", "township": "Mogoke"},
                {"place": "Tamu", "township": "Tamu"},
            ]
        ),
        reference,
    )
    assert outcome(result, 0) == ("matched", "MMR003001023")
    reason, message = outcome(result, 1)  # two villages of that name in Hpa-An
    assert reason == "place_ambiguous"
    assert "MMR003001019" in message and "MMR003001023" in message
    assert outcome(result, 2) == ("matched", "MMR010011024")
    rows = result.resolved.set_index("event_id")
    assert rows.loc["e2", "level"] == "village" and rows.loc["e0", "level"] == "village_tract"
    assert rows.loc["e3", "level"] == "town"


def test_loading_the_package_does_not_read_villages():
    import impact

    reference = impact.load_reference()
    assert "villages" not in reference.__dict__
    _ = reference.gazetteer
    assert "villages" not in reference.__dict__


def test_a_point_is_a_township_hint_and_a_check_on_the_named_match(reference):
    result = resolve_places(
        events(
            [
                # Khampat's own point: no conflict; the point's township is recorded.
                {"place": "Khampat", "latitude": 23.77977, "longitude": 94.14575},
                # A village name decided by the township holding the point.
                {"place": "Moe Lin", "latitude": 24.4957, "longitude": 94.4955},
                # Kawlin named, point at Khampat: flagged, not silently accepted.
                {"place": "Kawlin", "latitude": 23.77977, "longitude": 94.14575},
            ]
        ),
        reference,
    )
    rows = result.resolved.set_index("event_id")
    assert rows.loc["e0", "pcode"] == "MMR005030703"
    assert pd.isna(rows.loc["e0", "match_flags"])
    assert rows.loc["e0", "point_township_pcode"] == "MMR005030"
    assert rows.loc["e1", "pcode"] == "MMR005030010"
    assert rows.loc["e2", "pcode"] == "MMR005024701"
    assert rows.loc["e2", "match_flags"] == "location_conflict"
    assert rows.loc["e2", "match_confidence"] == "low"
    assert "km from the match" in rows.loc["e2", "match_note"]


def test_a_point_without_a_usable_name_takes_the_nearest_town_or_village(reference):
    result = resolve_places(
        events(
            [
                {"place": "unknown", "latitude": 24.2114, "longitude": 94.3153},
                {"place": "-", "latitude": 15.0, "longitude": 93.0},  # at sea
            ]
        ),
        reference,
    )
    row = result.resolved.set_index("event_id").loc["e0"]
    assert row["match_method"] == "coordinates"
    assert row["pcode"] == "MMR005030701"  # Tamu Town, a few metres away
    assert row["match_confidence"] == "medium"
    assert "nearest town" in row["match_note"]
    assert outcome(result, 1)[0] == "place_not_found"


def test_a_township_without_an_outline_is_said_in_the_note(reference):
    # Man Tun township was created after 2014: its area lies in a 2014 outline.
    point = {"latitude": 22.94789, "longitude": 98.612}
    result = resolve_places(events([{"place": "Man Tun Town", **point}]), reference)
    row = result.resolved.iloc[0]
    assert row["pcode"] == "MMR015303701"
    assert "no outline" in row["match_note"]
    assert pd.isna(row["match_flags"])


def test_resolution_is_per_unique_name_hints_and_rounded_point(reference):
    rows = [{"place": "Khampat", "latitude": 23.779771, "longitude": 94.145751}] * 3
    rows += [{"place": "Khampat", "latitude": 23.77977, "longitude": 94.14575}]
    rows += [{"place": "Khampat"}]
    result = resolve_places(events(rows), reference)
    assert len(result.resolved) == 5
    assert len(result.audit) == 2


def test_an_exact_township_name_outranks_another_places_alias(reference):
    # "Seikkan" is the township Seikkan's own name and only an alias (the bracketed part)
    # of Dagon Myothit (Seikkan): the exact name decides.
    result = resolve_places(events([{"place": "Seikkan"}, {"place": "Seikkkan"}]), reference)
    assert outcome(result, 0) == ("matched", "MMR013045")
    # Folded, the misspelling names both places alike: refused with both.
    reason, message = outcome(result, 1)
    assert reason == "place_ambiguous"
    assert "MMR013045" in message and "MMR013021" in message


@pytest.mark.parametrize(
    "text, listed",
    [
        # Exactly a tract's name, one letter from a town's (Monglon, Kyaukme).
        ("Monglun", ["MMR003004015", "MMR015012703"]),
        # Equally close to Mongnai and Mongyai.
        ("Mongai", ["MMR014019701", "MMR015003701"]),
        # Folds onto Myaung, but is spelt closer to Myanaung.
        ("Myaaung", ["MMR005003701", "MMR017011"]),
    ],
)
def test_a_name_close_to_another_town_is_ambiguous_not_a_silent_guess(reference, text, listed):
    reason, message = outcome(resolve_places(events([{"place": text}]), reference))
    assert reason == "place_ambiguous"
    assert all(code in message for code in listed)


def test_a_town_whose_folded_name_is_typed_keeps_a_merely_similar_rival_out(reference):
    # Mongko folds to Monekoe; Mongkhoke is spelt alike but not closer than 90%.
    result = resolve_places(events([{"place": "Mongko", "region": "Shan"}]), reference)
    assert outcome(result) == ("matched", "MMR015009702")


def test_a_nameless_point_finds_a_town_of_a_township_carved_after_2014(reference):
    # Mong Kar Town lies in the 2014 outline of Mongkhet; its township (Wa SAD) has none.
    result = resolve_places(
        events([{"place": "unknown", "latitude": 21.8437, "longitude": 99.4190}]), reference
    )
    row = result.resolved.set_index("event_id").loc["e0"]
    assert row["pcode"] == "MMR016322701"
    assert row["match_method"] == "coordinates"


def test_same_named_villages_about_as_near_the_point_stay_ambiguous(reference):
    # Two villages named Taw Hpyar, in two tracts of Zalun township, 350 m apart: the
    # point (140 m from one, 220 m from the other) cannot tell which.
    point = {"latitude": 17.3530, "longitude": 95.4332}
    result = resolve_places(events([{"place": "Taw Hpyar", **point}]), reference)
    reason, message = outcome(result)
    assert reason == "place_ambiguous"
    assert "MMR017022038" in message and "MMR017022045" in message


def test_each_event_takes_the_decision_of_its_key_in_input_order(reference):
    # Events are decided once per key (place, hints, alt_names, point) and given their key's
    # decision by key number: the same as joining the audit on the key columns.
    from impact.resolve import KEY_COLUMNS, RESOLVED_EXTRA, with_key_columns

    base = [
        {"place": "Khampat", "township": "Tamu"},
        {"place": "Khamphat"},
        {"place": "No (1) Ward", "township": "Tamu"},
        {"place": "Kalay", "alt_names": "Kale"},
        {"place": "Atlantis"},
        {"place": "Kalay"},
        {"place": "unknown", "latitude": "24.2", "longitude": "94.3"},
    ]
    rows = [base[i] for i in random.Random(4).choices(range(len(base)), k=40)]
    frame = events(rows)
    result = resolve_places(frame, reference)
    keyed = with_key_columns(frame)
    expected = keyed.merge(result.audit, on=KEY_COLUMNS, how="left")
    matched = expected[expected["outcome"] == "matched"].reset_index(drop=True)
    assert result.resolved["event_id"].tolist() == matched["event_id"].tolist()
    columns = ["pcode", "match_method", "match_note", "matched_name", "point_township_pcode"]
    assert set(columns) <= set(RESOLVED_EXTRA)
    pd.testing.assert_frame_equal(
        result.resolved[columns].astype(object).where(result.resolved[columns].notna(), None),
        matched[columns].astype(object).where(matched[columns].notna(), None),
    )
    refused = expected[expected["outcome"] != "matched"]
    assert result.rejected["source_row"].tolist() == refused["source_row"].tolist()
    assert result.rejected["reason"].tolist() == refused["outcome"].tolist()


def test_an_input_column_named_like_an_admin_column_is_replaced_where_it_stands(reference):
    frame = events([{"place": "Khampat", "township": "Tamu"}])
    frame.insert(2, "township_name", "typed by hand")
    resolved = resolve_places(frame, reference).resolved
    assert list(resolved.columns).index("township_name") == 2
    assert resolved.loc[0, "township_name"] == "Tamu"


KEY_TEXT = st.one_of(st.none(), st.sampled_from(["", "Kalay", "kalay", "Tamu", "MMR005"]))
# In an object column, None, NaN and pd.NA are all one missing value.
MISSING = st.sampled_from([None, float("nan"), pd.NA])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            KEY_TEXT,
            st.one_of(KEY_TEXT, MISSING),
            KEY_TEXT,
            st.sampled_from([None, 24.25]),
            st.one_of(KEY_TEXT, MISSING),
        ),
        min_size=0,
        max_size=40,
    ),
    st.sampled_from([2**62, 3]),
)
def test_distinct_keys_number_keys_as_grouping_the_rows_does(rows, limit):
    """Keys are numbered in order of first appearance, missing values as one value, as
    `groupby(..., sort=False, dropna=False).ngroup()` numbers them; a missing alt_names is
    None in the keys."""
    import impact.resolve
    from impact.resolve import KEY_COLUMNS, _distinct_keys

    frame = pd.DataFrame(
        {
            "place": pd.Series([r[0] for r in rows], dtype="str"),
            "township": pd.Series([r[1] for r in rows], dtype=object),
            "district": pd.Series([r[2] for r in rows], dtype="string"),
            "region": None,
            "alt_names": pd.Series([r[4] for r in rows], dtype=object),
            "point_lat": pd.Series([r[3] for r in rows], dtype=float),
            "point_lon": 94.5,
        },
        columns=KEY_COLUMNS,
    )
    with pytest.MonkeyPatch.context() as patch:
        # A small limit has the key numbers renumbered on the way, as huge tables would.
        patch.setattr(impact.resolve, "KEY_NUMBERS", limit)
        keys, key_of_row = _distinct_keys(frame)
    expected = frame.groupby(KEY_COLUMNS, dropna=False, sort=False).ngroup().to_numpy()
    assert key_of_row.tolist() == expected.tolist()
    first = [key_of_row.tolist().index(k) for k in range(len(keys))]
    expected = frame.loc[first].reset_index(drop=True)
    expected["alt_names"] = (
        expected["alt_names"].astype(object).where(expected["alt_names"].notna(), None)
    )
    pd.testing.assert_frame_equal(keys, expected)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from(["MMR005030", "MMR005030703", "MMR001"])),
        max_size=25,
    ),
    limit=st.integers(1, 4),
)
def test_places_listed_per_query_equal_joining_each_group(reference, rows, limit):
    from impact.resolve import _Describer

    describe = _Describer(reference.places)
    found = pd.DataFrame(rows, columns=["query_id", "pcode"]).astype({"query_id": "int64"})
    got = describe.per_query(found, limit=limit)
    if found.empty:
        assert got.empty
        return
    first = found.drop_duplicates(["query_id", "pcode"])
    first = first[first.groupby("query_id").cumcount() < limit]
    expected = describe.rows(first).groupby(level=0).agg(", ".join)
    pd.testing.assert_series_equal(got, expected)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    codes=st.lists(
        st.one_of(st.none(), st.sampled_from(["MMR005030", "MMR005030703", "MMR005", "XX"])),
        max_size=8,
    ),
    dtype=st.sampled_from([object, "str", "string"]),
)
def test_places_are_described_as_from_a_table_of_every_place(reference, codes, dtype):
    from impact.resolve import _Describer

    places = reference.places
    township = places["township_pcode"].map(places["name"])
    where = (", " + township + " township").fillna("")
    every = places["name"] + " (" + places["pcode"] + ", " + places["level"] + where
    pcodes = pd.Series(codes, dtype=dtype, index=[3 * i for i in range(len(codes))])
    pd.testing.assert_series_equal(_Describer(places).text(pcodes), pcodes.map(every))


def _mixed_sheet(reference, count: int, seed: int) -> pd.DataFrame:
    """Events as analysts write them: real names, some misspelt or bracketed, some with hints,
    alternative spellings or a point, some naming nothing known."""
    rng = random.Random(seed)
    places = reference.places[reference.places["level"].isin(["town", "village_tract", "ward"])]
    pool = places.sample(count, random_state=seed, replace=True)
    extras = [
        {"place": "Khamphat"},
        {"place": "Kalay", "alt_names": "Kale"},
        {"place": "Atlantis"},
        {"place": "Taw Hpyar"},
        {"place": "Pang Hseng (Kyu Koke"},
        {"place": "unknown", "latitude": "24.2", "longitude": "94.3"},
        {"place": "Khampat (near)", "township": "Tamu"},
    ]
    rows = []
    for name, township in zip(pool["name"], pool["township_pcode"], strict=True):
        draw = rng.random()
        if draw < 0.1:
            rows.append(rng.choice(extras))
        elif draw < 0.25:
            rows.append({"place": name[:-1]})
        else:
            rows.append({"place": name, "township": township if draw < 0.7 else None})
    return events(rows)


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    """Each cell as its type and text: 1 and 1.0, None and NaN are told apart, as a file
    written from them would tell them apart."""
    return table.astype(object).map(lambda value: (type(value).__name__, repr(value)))


def _same(one: pd.DataFrame, other: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(one, other)
    pd.testing.assert_frame_equal(_cells(one), _cells(other))


@pytest.mark.parametrize("refused", ["in both halves", "in the second half only"])
def test_deciding_the_keys_in_two_processes_gives_the_same_tables(reference, monkeypatch, refused):
    """Half of the keys are decided beside (a forked process) on a large sheet; the tables are
    the very ones deciding them all here gives, cell for cell, whichever half holds the keys
    that are refused."""
    import impact.resolve

    if refused == "in both halves":
        frame = _mixed_sheet(reference, 600, seed=5)
    else:
        towns = reference.places[reference.places["level"] == "town"].head(40)
        rows = [{"place": name} for name in towns["pcode"]] + [{"place": "Atlantis"}]
        frame = events(rows)
    monkeypatch.setattr(impact.resolve, "SPLIT_KEYS", 10**9)
    whole = resolve_places(frame, reference)
    monkeypatch.setattr(impact.resolve, "SPLIT_KEYS", 2)
    halves = resolve_places(frame, reference)
    _same(halves.resolved, whole.resolved)
    _same(halves.rejected, whole.rejected)
    _same(halves.audit, whole.audit)
    assert 0 < len(whole.rejected) < len(frame) / 2


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a shrink step decides keys thrice
)
@given(seed=st.integers(0, 10_000), count=st.integers(2, 60), cut=st.floats(0.05, 0.95))
def test_each_key_is_decided_on_its_own(reference, seed, count, cut):
    """Deciding keys in two parts, cut anywhere, joins into the table deciding them at once
    gives: what lets half of them be decided by another process."""
    from impact.resolve import _distinct_keys, _key_columns, decide

    keys, _ = _distinct_keys(_key_columns(_mixed_sheet(reference, count, seed)))
    at = max(1, min(len(keys) - 1, round(len(keys) * cut)))
    parts = [keys.iloc[:at], keys.iloc[at:]]
    joined = pd.concat(
        [decide(part.reset_index(drop=True), reference) for part in parts], ignore_index=True
    )
    _same(joined.rename_axis("key_id"), decide(keys, reference))


def test_a_place_text_naming_several_places_is_flagged_low(reference):
    result = resolve_places(
        events(
            [
                {"place": "Kawlin; Khampat", "township": "Kawlin"},
                {"place": "Kawlin and Khampat"},
                {"place": "Kyaukme and surrounding villages"},
                {"place": "Tar Mway Gyi (Ka Gyi + Ga Nge) Ward", "township": "Tamwe"},
            ]
        ),
        reference,
    )
    ward = result.resolved.set_index("event_id").loc["e3"]
    assert ward["match_confidence"] == "high" and pd.isna(ward["match_flags"])
    row = result.resolved.set_index("event_id").loc["e0"]
    assert (row["place_name"], row["match_flags"]) == ("Kawlin Town", "several_places")
    assert row["match_confidence"] == "low"
    assert "give each place its own row" in row["match_note"]
    messages = result.rejected.set_index("value")["message"]
    assert "name several places" in messages["Kawlin and Khampat"]
    assert "several places" not in messages["Kyaukme and surrounding villages"]


def test_a_large_table_takes_its_events_repeated_texts_as_categories(reference, monkeypatch):
    """At `CATEGORY_ROWS` events and more, the resolved rows take the events' repeated texts
    as codes: each column holds the categories of the resolved rows only (a rejected row's
    text is not among them), the event's own id stays text, and every value is the same as
    when the rows are taken as text."""
    import impact.per_value

    rows = [
        {"place": "Khampat", "source": "Myanmar Now"},
        {"place": "Nowhere-at-all-xyz", "source": "Only the rejected row"},
        {"place": "Kawlin", "source": "Myanmar Now"},
        {"place": "Falam", "source": "The Irrawaddy"},
    ]
    as_text = resolve_places(events(rows), reference).resolved
    monkeypatch.setattr(impact.per_value, "CATEGORY_ROWS", 0)
    held = resolve_places(events(rows), reference).resolved
    source = held["source"]
    assert isinstance(source.dtype, pd.CategoricalDtype)
    assert sorted(source.cat.categories) == ["Myanmar Now", "The Irrawaddy"]
    assert not isinstance(held["event_id"].dtype, pd.CategoricalDtype)
    assert list(held.columns) == list(as_text.columns)
    for column in held.columns:
        assert held[column].astype(object).equals(as_text[column].astype(object)), column


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        ("Pauktaw Tsp", "MMR012007"),
        ("Kyauktaw T/S", "MMR012004"),
        ("Minbya Tsp.", "MMR012005"),
        ("Kyaukme Twp", "MMR015012"),
        ("Hsipaw Twsp", "MMR015014"),
    ],
)
def test_township_shorthand_reads_as_township(reference, text, pcode):
    assert outcome(resolve_places(events([{"place": text}]), reference)) == ("matched", pcode)


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        ("Kokang Self-Administered Zone", "MMR015S002"),  # not the village Kokang in Lashio
        ("Kokang SAZ", "MMR015S002"),
        ("Pa Laung SAZ", "MMR015S001"),
        ("Danu Self-Administered Zone", "MMR014S001"),
    ],
)
def test_a_self_administered_zone_named_as_one_is_the_zone(reference, text, pcode):
    assert outcome(resolve_places(events([{"place": text}]), reference)) == ("matched", pcode)


@pytest.mark.parametrize(
    ("text", "pcode"),
    [
        ("Laukkai", "MMR015022701"),
        ("Momeik", "MMR015017701"),
        ("Naungcho", "MMR015013701"),
        ("Mogok", "MMR010011701"),
        ("Shartaw", "MMR002004701"),
    ],
)
def test_press_spellings_of_towns_resolve_as_sourced_aliases(reference, text, pcode):
    assert outcome(resolve_places(events([{"place": text}]), reference)) == ("matched", pcode)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Kawlin, Kyauktaw", True),  # two towns: only Kawlin is counted
        ("Khampat, Tamu", False),  # the township it lies in
        ("Khampat, Sagaing", False),  # its region, though a town is named Sagaing too
        ("Lashio, Northern Shan", False),  # no unit of that name
    ],
)
def test_a_comma_list_of_places_is_flagged_but_not_a_locator(reference, text, flagged):
    result = resolve_places(events([{"place": text}]), reference)
    flags = str(result.resolved["match_flags"].iloc[0])
    assert ("several_places" in flags) is flagged


def test_a_town_name_chosen_as_a_namesake_by_a_region_hint_alone_is_flagged(reference):
    result = resolve_places(
        events(
            [
                {"place": "Kyauktaw", "region": "Shan"},  # the town is in Rakhine
                {"place": "Kyauktaw", "region": "Rakhine"},
                {"place": "Kyauk Taw", "township": "Lawksawk"},  # a township hint is trusted
            ]
        ),
        reference,
    )
    rows = result.resolved.set_index("event_id")
    wrong = rows.loc["e0"]
    assert (wrong["pcode"], wrong["level"]) == ("MMR014008009", "village_tract")
    assert (wrong["match_flags"], wrong["match_confidence"]) == ("town_elsewhere", "low")
    assert "also the name of Kyauktaw Town (MMR012004701, Rakhine)" in wrong["match_note"]
    town = rows.loc["e1"]
    assert (town["pcode"], town["match_confidence"]) == ("MMR012004701", "high")
    assert pd.isna(town["match_flags"])
    trusted = rows.loc["e2"]
    assert trusted["pcode"] == "MMR014008009" and pd.isna(trusted["match_flags"])
