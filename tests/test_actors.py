"""Canonical actors, sides, allies and colours from the Myanmar actors table."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.actors import (
    SIDE_LABELS,
    SIDES,
    actor_colours,
    actor_key,
    canonical_actors,
    load_actors,
    side_colours,
    tidy_actor_text,
)
from impact.errors import ReferenceDataError
from impact.reference import default_reference_path

DATA = Path(__file__).with_name("data")
SPELLINGS = pd.read_csv(DATA / "actor_spellings.csv", dtype="string")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table():
    return load_actors()


def resolve(texts, table):
    return canonical_actors(pd.Series(texts, dtype="string"), table)


def test_bundled_table_is_the_curated_evidence_table():
    bundled = (default_reference_path() / "actors.csv").read_bytes()
    assert bundled == (ROOT / "reference_build" / "myanmar_evidence" / "actors.csv").read_bytes()


def test_every_row_is_sourced_and_the_brief_groups_are_covered(table):
    rows = table.rows
    assert (rows["source"].str.len() > 10).all()
    assert (rows["side_note"].str.len() > 10).all()
    for name in ("SAC", "AA", "MNDAA", "TNLA", "KIA", "KNU", "KNLA", "KNPP", "CNF", "CDF",
                 "Chin Brotherhood", "Chinland Council", "PDF", "BPLA", "ABSDF", "KNDF", "PNLO",
                 "DKBA", "KPC", "UWSA", "SSPP", "RCSS", "NDAA", "SSA-N", "PSLF", "ALA",
                 "Kachin BGF", "Karen BGF", "Pyu Saw Htee", "Three Brotherhood Alliance",
                 "Spring Revolution Alliance", "Police Forces of Myanmar (2021-)"):  # fmt: skip
        assert table.lookup(name) is not None, name
    assert set(rows["side"]) == {"military", "resistance", "non_aligned"}


@pytest.mark.parametrize(
    ("text", "actor", "side"),
    list(SPELLINGS[["text", "actor", "side"]].itertuples(index=False, name=None)),
    ids=list(SPELLINGS["text"]),
)
def test_real_spellings_resolve_to_their_canonical_actor_and_side(text, actor, side, table):
    row = resolve([text], table).iloc[0]
    assert (row["actor"], row["side"], bool(row["known"])) == (actor, side, True)


def test_the_spellings_table_is_large_and_sourced():
    assert len(SPELLINGS) >= 80
    assert SPELLINGS["source"].notna().all()
    assert SPELLINGS["actor"].nunique() >= 35


@pytest.mark.parametrize(
    ("text", "actor", "allies"),
    [
        (
            "People's Defence Force (NUG) with KIA and AA",
            "People's Defence Force",
            "Kachin Independence Army; Arakan Army",
        ),
        (
            "People's Defence Force (NUG Military Region 1) with KIA and Chinland Defence Force",
            "People's Defence Force",
            "Kachin Independence Army; Chinland Defence Force",
        ),
        (
            "Chin National Army with Chinland Defence Forces",
            "Chin National Front",
            "Chinland Defence Force",
        ),
        ("MNDAA (Brotherhood Alliance)", "Myanmar National Democratic Alliance Army", ""),
        ("AA, TNLA and allies", "Arakan Army", "Ta'ang National Liberation Army"),
        (
            "MNDAA and TNLA",
            "Myanmar National Democratic Alliance Army",
            "Ta'ang National Liberation Army",
        ),
        ("joint forces of KIA and PDF", "Kachin Independence Army", "People's Defence Force"),
        ("KIA/PDF joint forces", "Kachin Independence Army", "People's Defence Force"),
        (
            "KIA-led coalition including PDF and AA",
            "Kachin Independence Army",
            "People's Defence Force; Arakan Army",
        ),
        ("KNDF-led Karenni resistance forces", "Karenni Nationalities Defence Force", ""),
        ("TNLA with MDY-PDF", "Ta'ang National Liberation Army", "Mandalay People's Defence Force"),
        ("KIA (with PDF, AA)", "Kachin Independence Army", "People's Defence Force; Arakan Army"),
        ("Arakan Army (AA) and allied forces", "Arakan Army", ""),
        (
            "KNLA and PDF, supported by KNDF",
            "Karen National Union",
            "People's Defence Force; Karenni Nationalities Defence Force",
        ),
        ("Brigade 5 (KNLA)", "Karen National Union", ""),
        ("KNU/KNLA", "Karen National Union", ""),
    ],
)
def test_coalitions_keep_the_lead_actor_and_list_allies(text, actor, allies, table):
    row = resolve([text], table).iloc[0]
    assert (row["actor"], row["allies"], bool(row["known"])) == (actor, allies, True)


def test_a_name_with_and_in_it_is_not_split_when_unknown(table):
    row = resolve(["Union Solidarity and Development Party"], table).iloc[0]
    assert (row["actor"], row["allies"], row["side"]) == (
        "Union Solidarity and Development Party", "", "unknown"
    )  # fmt: skip


def test_unknown_actors_stay_as_written_with_side_unknown(table):
    out = resolve(["Kalay Region Defence Force", "the kalay region defence forces", "Foo with KIA",
                   None, ""], table)  # fmt: skip
    assert list(out["actor"][:3]) == ["Kalay Region Defence Force"] * 2 + ["Foo"]
    assert list(out["side"]) == ["unknown"] * 5
    assert not out["known"].any()
    assert out.at[2, "allies"] == "Kachin Independence Army"
    assert pd.isna(out.at[3, "actor"]) and pd.isna(out.at[3, "actor_type"])


def test_placeholders_name_no_actor_and_other_scripts_are_kept(table):
    out = resolve(["-", "N/A", "unknown", "?", "克钦独立军", "ကချင်လွတ်မြောက်ရေးတပ်မတော်"], table)
    assert out["actor"][:4].isna().all()
    assert out.at[4, "actor"] == "克钦独立军" and out.at[4, "side"] == "unknown"
    assert out.at[5, "actor"] == "Kachin Independence Army"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("the forcs TROP'\".,; Ax")), max_size=30))
def test_tidying_twice_changes_nothing(text):
    assert tidy_actor_text(tidy_actor_text(text)) == tidy_actor_text(text)


def test_fuzzy_matching_only_for_long_names_with_the_same_numbers(table):
    out = resolve(["Kachin Independance Army", "Taang Natonal Liberation Army", "KIAA",
                   "Military Region 12", "Karen National Armyy"], table)  # fmt: skip
    assert list(out["actor"][:2]) == ["Kachin Independence Army", "Ta'ang National Liberation Army"]
    assert list(out["known"]) == [True, True, False, False, True]
    assert out.at[4, "actor"] == "Karen National Army (former Karen BGF)"


def test_local_pdf_units_resolve_to_the_people_s_defence_force(table):
    out = resolve(["Kalay PDF", "PDF Battalion 4", "Yinmabin People's Defence Force"], table)
    assert set(out["actor"]) == {"People's Defence Force"}
    assert set(out["side"]) == {"resistance"}


def test_result_keeps_the_input_index_and_types(table):
    texts = pd.Series(["SAC", "AA", None], index=[10, 7, 3], dtype=object)
    out = canonical_actors(texts, table)
    assert list(out.index) == [10, 7, 3]
    assert list(out.columns) == ["actor", "side", "actor_type", "allies", "known"]
    assert out["known"].dtype == bool
    assert list(out["side"]) == ["military", "resistance", "unknown"]


def test_asking_for_some_columns_gives_those_of_the_whole_answer(table):
    """A caller reading only the side gets the very column the full answer has, unknown
    actors and missing texts included."""
    texts = pd.Series(["SAC", "Kalay PDF", "Some new militia", "some new militia", None, "AA"])
    whole = canonical_actors(texts, table)
    for columns in [("side",), ("actor", "side"), ("allies", "actor_type")]:
        part = canonical_actors(texts, table, columns)
        assert list(part.columns) == list(columns)
        pd.testing.assert_frame_equal(part, whole[list(columns)])


def test_a_million_rows_with_few_texts_are_fast(table):
    texts = pd.Series(list(SPELLINGS["text"]) * 8500)
    started = time.perf_counter()
    out = canonical_actors(texts, table)
    assert time.perf_counter() - started < 10
    assert len(out) == len(texts) and out["known"].all()


def test_user_actors_file_overrides_and_extends(tmp_path, table):
    extra = tmp_path / "actors.csv"
    extra.write_text(
        "actor,short_name,side,actor_type,parent,aliases,source\n"
        "Karen National Army (former Karen BGF),KNA,military,militia/BGF,,Karen BGF|DKBA-BGF,"
        "analyst decision for 2023 events\n"
        "Kalay Region Defence Force,KRDF,resistance,resistance force,People's Defence Force,"
        "KRDF|Kalay Region Defense Force,local reporting\n",
        encoding="utf-8",
    )
    custom = load_actors(extra=extra)
    out = resolve(["Karen BGF", "Kalay Region Defence Force", "KRDF", "Kayin BGF", "AA"], custom)
    assert list(out["side"]) == ["military", "resistance", "resistance", "unknown", "resistance"]
    assert out.at[1, "actor"] == "Kalay Region Defence Force"
    assert len(custom.rows) == len(table.rows) + 1
    assert resolve(["Karen BGF"], table).at[0, "side"] == "non_aligned"


def test_user_row_named_by_an_alias_replaces_the_row_and_keeps_its_colour(tmp_path, table):
    extra = tmp_path / "actors.csv"
    extra.write_text(
        "actor,short_name,side,actor_type,aliases,source\n"
        "Karen National Army,KNA,military,militia/BGF,Karen BGF,analyst decision\n"
        "Arakan Army (Kayin State),AA Kayin,resistance,ethnic armed organisation,AA (Kayin),"
        "list of EAOs\n",
        encoding="utf-8",
    )
    custom = load_actors(extra=extra)
    assert "Karen National Army (former Karen BGF)" not in custom.rows.index
    assert len(custom.rows) == len(table.rows) + 1
    out = resolve(["KNA", "Karen BGF", "AA (Kayin)", "AA"], custom)
    assert list(out["actor"]) == [
        "Karen National Army", "Karen National Army", "Arakan Army (Kayin State)", "Arakan Army"
    ]  # fmt: skip


def test_a_replaced_row_keeps_its_colour(tmp_path, table):
    extra = tmp_path / "actors.csv"
    extra.write_text(
        "actor,short_name,side,actor_type,aliases,source\n"
        "United Wa State Army,UWSA,non_aligned,ethnic armed organisation,Wa,analyst's aliases\n",
        encoding="utf-8",
    )
    custom = load_actors(extra=extra)
    names = list(table.rows.index)
    assert actor_colours(names, custom) == actor_colours(names, table)
    assert resolve(["Wa"], custom).at[0, "actor"] == "United Wa State Army"


def test_user_alias_takes_over_a_bundled_alias(tmp_path):
    extra = tmp_path / "actors.csv"
    extra.write_text(
        "actor,side,actor_type,aliases,source\n"
        'Burma Army (SRA),resistance,resistance force,Burma Army|BA,"Spring Revolution Alliance '
        'member list (Shan Herald, Dec 2025)"\n',
        encoding="utf-8",
    )
    out = resolve(["Burma Army", "Tatmadaw"], load_actors(extra=extra))
    assert list(out["side"]) == ["resistance", "military"]


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("actor,side,actor_type\nX,military,state forces\n", None, "source"),
        ("actor,side,actor_type,source\nX,rebels,state forces,s\n", 2, "side"),
        ("actor,side,actor_type,source\nX,military,army,s\n", 2, "actor_type"),
        (
            "actor,side,actor_type,source\nX,military,state forces,s\nY,military,state forces,\n",
            3,
            "source",
        ),
        (
            "actor,side,actor_type,source,aliases\nX,military,state forces,s,junta\n"
            "Y,resistance,coalition,s,Junta\n",
            3,
            "aliases",
        ),
        (
            "actor,side,actor_type,source\nX,military,state forces,s\nx.,military,coalition,s\n",
            3,
            "actor",
        ),
    ],
)
def test_bad_actor_files_name_file_row_and_column(tmp_path, text, row, column):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReferenceDataError) as error:
        load_actors(path)
    assert (error.value.file, error.value.row, error.value.column) == (str(path), row, column)


def test_missing_actor_file_is_a_reference_error(tmp_path):
    with pytest.raises(ReferenceDataError, match="not found"):
        load_actors(tmp_path)


KNOWN_TEXTS = st.sampled_from(list(SPELLINGS["text"]))
ANY_TEXT = st.one_of(KNOWN_TEXTS, st.text(max_size=40))


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(ANY_TEXT, min_size=1, max_size=8))
def test_canonicalising_twice_changes_nothing(texts):
    table = load_actors()
    first = resolve(texts, table)
    again = canonical_actors(first["actor"], table)
    assert again["actor"].fillna("<NA>").tolist() == first["actor"].fillna("<NA>").tolist()
    assert again["side"].tolist() == first["side"].tolist()


def _variant(text: str, style: int) -> str:
    return [
        text.upper(),
        text.lower(),
        f"  the {text} forces ",
        f"“{text}”",
        text.replace("'", "’") + " troops",
        f"{text}.",
        text.replace(" ", "  "),
    ][style]


@settings(max_examples=200, deadline=None)
@given(text=KNOWN_TEXTS, style=st.integers(0, 6))
def test_case_punctuation_and_noise_words_never_make_a_new_actor(text, style):
    table = load_actors()
    out = resolve([text, _variant(text, style)], table)
    assert out.at[0, "actor"] == out.at[1, "actor"]
    assert out.at[0, "side"] == out.at[1, "side"]


@settings(max_examples=100, deadline=None)
@given(name=st.from_regex(r"[A-Z][a-z]{3,8} [A-Z][a-z]{3,8} Army", fullmatch=True),
       style=st.integers(0, 6))  # fmt: skip
def test_spelling_variants_of_an_unknown_actor_share_one_name(name, style):
    table = load_actors()
    out = resolve([name, _variant(name, style)], table)
    if not out["known"].any():
        assert out.at[0, "actor"] == out.at[1, "actor"]


def test_actor_key_folds_spelling_habits():
    assert actor_key("People’s Defense Forces") == actor_key("peoples defence force")
    assert actor_key("Ta'ang") == actor_key("TAANG")
    assert actor_key("the junta's troops") == actor_key("Junta")


def test_sides_and_labels():
    assert SIDES == ("military", "resistance", "non_aligned", "unknown")
    assert SIDE_LABELS["military"] == "military regime"
    assert SIDE_LABELS["non_aligned"] == "non-aligned armed groups"
    assert list(side_colours()) == list(SIDES)
    assert len(set(side_colours().values())) == 4


def test_actor_colours_are_shades_of_their_side_and_never_shared_across_sides(table):
    colours = actor_colours(list(table.rows.index), table)
    by_side = {
        side: {colours[a] for a in table.rows.index[table.rows["side"] == side]}
        for side in ("military", "resistance", "non_aligned")
    }
    assert not by_side["military"] & by_side["resistance"]
    assert not by_side["military"] & by_side["non_aligned"]
    assert not by_side["resistance"] & by_side["non_aligned"]
    assert colours["Myanmar military"] == side_colours()["military"]
    assert colours["Arakan Army"] != colours["Myanmar military"]


def test_actor_colours_do_not_depend_on_input_order_or_call(table):
    names = ["Arakan Army", "Myanmar military", "United Wa State Army", "Someone new"]
    first = actor_colours(names, table)
    assert actor_colours(list(reversed(names)), table) == first
    assert actor_colours(names[:1], load_actors()) == {"Arakan Army": first["Arakan Army"]}
    assert first["Someone new"].startswith("#") and first["Someone new"] not in {
        c for a, c in first.items() if a != "Someone new"
    }


def test_actor_texts_held_as_categories_resolve_as_the_texts(table):
    """A per-event table holds actor texts as categories: the same actors, sides and types."""
    texts = pd.Series([*SPELLINGS.iloc[:, 0].tolist(), None, "An Unknown Group"] * 2, dtype="str")
    texts.index = texts.index * 2 + 5
    pd.testing.assert_frame_equal(
        canonical_actors(texts.astype("category"), table), canonical_actors(texts, table)
    )


def test_a_table_resolves_each_text_once_however_often_it_is_asked(monkeypatch):
    import impact.actors as actors

    table = load_actors()
    texts = [f"Local defence unit {k} and KIA" for k in range(300)] + ["TNLA troops", "AA"]
    first = resolve(texts, table)
    calls = []
    original = actors._resolve
    monkeypatch.setattr(actors, "_resolve", lambda text, t: calls.append(text) or original(text, t))
    again = resolve(texts[::-1], table)
    assert calls == []
    pd.testing.assert_frame_equal(again.iloc[::-1].reset_index(drop=True), first)
    assert first["allies"].iloc[0] == "Kachin Independence Army"
    resolve(["Karenni Army"], table)
    assert calls == ["Karenni Army"]


def test_an_actors_path_that_is_no_file_is_a_message_not_a_wait(tmp_path):
    """A folder, or a named pipe (which reading would wait on for ever), is refused."""
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    for path in (tmp_path, pipe):
        with pytest.raises(ReferenceDataError, match="is not a file"):
            load_actors(extra=path)


def test_a_ragged_actors_file_is_a_one_line_message(tmp_path):
    extra = tmp_path / "actors.csv"
    extra.write_text(
        "actor,side,actor_type,source\nA,resistance,resistance force,x\n"
        "B,resistance,resistance force,x,extra\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="cannot read the actors table") as raised:
        load_actors(extra=extra)
    assert "\n" not in str(raised.value)
