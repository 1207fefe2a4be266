"""Draft events from news reports: the seed report, the scored corpus, hedges, dates, the CLI."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impact
from impact.errors import ImpactWarning, InputLimitError
from impact.extract import COLUMNS, Extractor, extract_events, extract_files

CORPUS = Path(__file__).with_name("data") / "extract"
ARTICLES = CORPUS / "articles"
SEED = ARTICLES / "p01_myanmarnow_khampat.txt"


@pytest.fixture(scope="module")
def extractor(reference) -> Extractor:
    return Extractor(reference)


def draft(extractor, text: str, published: str | None = "2023-11-08") -> pd.DataFrame:
    return extract_events(text, published=published, reference=extractor)


def confident(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["needs_review"].astype(bool)]


def test_seed_report_gives_the_khampat_row_with_its_evidence(extractor):
    rows = extract_events(SEED.read_text(encoding="utf-8"), reference=extractor)
    assert list(rows.columns) == COLUMNS
    khampat = rows[rows["place"] == "Khampat"]
    assert len(khampat) == 1
    row = khampat.iloc[0]
    assert (row["date"], row["date_precision"], row["change"]) == ("2023-11-07", "day", "captured")
    assert row["pcode"] == "MMR005030703"
    assert (row["township"], row["region"]) == ("Tamu", "Sagaing")
    gaining = row["gaining_actor"].split("; ")
    assert gaining[0] == "People's Defence Force"
    assert "Kachin Independence Army" in gaining
    assert row["losing_actor"] == "Myanmar military"
    assert "the town fell to them at around 11am Tuesday" in row["evidence"]
    assert row["source"].startswith("https://myanmar-now.org/")
    assert row["extraction_confidence"] in ("high", "medium")


def test_corpus_scores_meet_the_thresholds(extractor):
    benchmark = _benchmark_module()
    result = benchmark.score(benchmark.extract_corpus(CORPUS, extractor), CORPUS)
    measures = result["measures"]
    assert len(list(ARTICLES.glob("p*.txt"))) >= 40
    assert len(list(ARTICLES.glob("n*.txt"))) >= 8
    assert measures["place"].recall >= 0.8
    assert measures["change"].recall >= 0.8
    assert measures["change"].precision >= 0.8
    assert measures["actor"].precision >= 0.7
    assert measures["date"].precision >= 0.8
    assert result["false_events"]["negative_confident"] <= 1


def _benchmark_module():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "extract.py"
    spec = importlib.util.spec_from_file_location("extract_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_benchmark"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "text",
    [
        "Resistance forces attempted to seize Kawlin on Monday but were repelled.",
        "The Arakan Army failed to capture Sittwe after a week of fighting.",
        "Junta troops repelled an attack on Hpakant town on Tuesday.",
        "The KIA has encircled Bhamo, and fighting continues in the town.",
        "A junta air strike on Falam town killed four civilians on Sunday.",
        "The TNLA besieged junta troops in Namhsan Township on Wednesday.",
        "The junta plans to retake Lashio before the election.",
        "The MNDAA did not capture Kunlong town, residents said on Monday.",
        "Rebels seized a police station in Kale town on Monday.",
        "The KNU captured an army base near Myawaddy on Thursday.",
        "Residents returned to the liberated town of Khampat on Monday.",
        "Will Sittwe fall to the Arakan Army?",
        "The TNLA is expected to take Kyaukme within weeks.",
        "Junta troops captured 30 resistance fighters in Mansi on Friday.",
        "Resistance forces abandoned an attempt to seize control of Kani on Monday.",
        "The groups have taken control over the road from Tagaung to Htigyaing on Monday.",
        "Resistance forces dismissed the junta's claim of having taken full control of Demoso.",
        "Kawlin could be the next town to fall to the resistance, residents said on Monday.",
        "Eight months after the fall of Lashio to the MNDAA, the junta holds the upper hand.",
    ],
)
def test_hedges_and_facilities_give_no_confident_capture(extractor, text):
    assert confident(draft(extractor, text)).empty


@pytest.mark.parametrize(
    "text",
    [
        "Residents of Lashio said the fighting took place near the airport on Monday.",
        "The junta lost 20 soldiers near Lashio on Monday.",
        "A man from Lashio was taken to hospital on Monday.",
        "Photos taken in Lashio on Monday show the damage.",
        "The military lost contact with its troops in Lashio on Monday.",
        "The loss of life in Lashio was heavy, residents said on Monday.",
        "It took the AA three weeks to reach Kyauktaw.",
        "The AA took part in the fighting in Kyauktaw on Monday.",
        "Soldiers took Kawlin residents hostage on Monday.",
        "The junta could lose Lashio within weeks, analysts said on Monday.",
        "The military risks losing Lashio, analysts said on Monday.",
        "Many people lost their homes in Kawlin on Monday.",
        "Mongyai has served as the command's base since losing Lashio, residents said on Monday.",
    ],
)
def test_took_lost_and_taken_in_other_senses_draft_nothing(extractor, text):
    assert draft(extractor, text).empty


@pytest.mark.parametrize(
    ("text", "place", "gaining", "losing"),
    [
        (
            "Khampat was taken by the Chin National Front on 7 November 2023.",
            "Khampat",
            "Chin National Front",
            None,
        ),
        ("The AA took the town of Paletwa on 15 January 2024.", "Paletwa", "Arakan Army", None),
        (
            "The junta lost Lashio to the MNDAA on 3 August 2024.",
            "Lashio",
            "Myanmar National Democratic Alliance Army",
            "Myanmar military",
        ),
        (
            "Lashio was lost to the MNDAA on 3 August 2024.",
            "Lashio",
            "Myanmar National Democratic Alliance Army",
            None,
        ),
        (
            "The military lost control of Kawlin to resistance forces on 6 November 2023.",
            "Kawlin",
            "Resistance forces (unspecified)",
            "Myanmar military",
        ),
        (
            "The junta's loss of Lashio to the MNDAA on 3 August 2024 shocked Naypyitaw.",
            "Lashio",
            "Myanmar National Democratic Alliance Army",
            "Myanmar military",
        ),
        ("Paletwa came under AA control on 15 January 2024.", "Paletwa", "Arakan Army", None),
        (
            "Paletwa came under the control of the Arakan Army on 15 January 2024.",
            "Paletwa",
            "Arakan Army",
            None,
        ),
        (
            "Resistance forces had already seized Khampat on 7 November 2023.",
            "Khampat",
            "Resistance forces (unspecified)",
            None,
        ),
    ],
)
def test_taken_lost_and_came_under_state_a_capture(extractor, text, place, gaining, losing):
    rows = draft(extractor, text, published="2024-12-10")
    assert list(rows["place"]) == [place]
    assert list(rows["change"]) == ["captured"]
    assert rows["gaining_actor"].iloc[0].split("; ")[0] == gaining
    if losing:
        assert rows["losing_actor"].iloc[0].split("; ")[0] == losing


def test_places_listed_each_with_its_own_date(extractor):
    rows = draft(
        extractor,
        "The Arakan Army captured Kyauktaw on 14 March 2024 and Minbya on 20 March 2024.",
        published="2024-12-10",
    )
    assert rows[["place", "date"]].values.tolist() == [
        ["Kyauktaw", "2024-03-14"],
        ["Minbya", "2024-03-20"],
    ]


def test_actors_joined_to_a_common_phrase_and_a_spokesperson_s_group(extractor):
    rows = draft(
        extractor,
        "Combined forces of the Kachin Independence Army (KIA) and People's Defense Forces "
        "(PDFs) seized Mabein town on Friday. A spokesperson for the Arakan Army said on "
        "Sunday that his group had seized Buthidaung on Saturday.",
    ).set_index("place")
    assert rows.loc["Mabein", "gaining_actor"] == (
        "Kachin Independence Army; People's Defence Force"
    )
    assert rows.loc["Buthidaung", "gaining_actor"] == "Arakan Army"


def test_the_date_of_a_change_told_again_a_few_sentences_on(extractor):
    rows = draft(
        extractor,
        "The Chin Brotherhood has driven the junta from Matupi after a long offensive. "
        "Troops abandoned their camp, a commander said. Residents have fled to the hills. "
        "The alliance captured the camp and town on the morning of June 29 in Matupi.",
        published="2024-07-03",
    ).set_index("place")
    assert rows.loc["Matupi", "date"] == "2024-06-29"
    assert "another sentence on the same change" in rows.loc["Matupi", "review_reason"]


def test_every_place_of_a_list_changes_hands_named_or_not(extractor):
    rows = draft(
        extractor,
        "The KIA has occupied Lwegel, Hsinbo, Kawbein and Sumprabum towns on Monday.",
    ).set_index("place")
    assert set(rows.index) == {"Lwegel", "Hsinbo", "Kawbein", "Sumprabum"}
    assert set(rows["gaining_actor"]) == {"Kachin Independence Army"}
    assert rows["pcode"].fillna("").eq("").tolist().count(True) == 1
    assert not rows.loc["Kawbein", "pcode"]
    assert "place not in the gazetteer" in rows.loc["Kawbein", "review_reason"]


def test_a_ranked_fall_is_a_change_and_a_place_north_of_another_is_not_it(extractor):
    rows = draft(
        extractor,
        "Resistance forces captured Tagaung, a town about 130 miles north of Mandalay, on "
        "Monday. Shadaw is the second township to fall fully under the control of the "
        "Karenni Army, on Sunday. Lay Kay Kaw Myo Thit, a village in KNU territory, south of "
        "Myawaddy city, was seized by the junta on Monday.",
    )
    assert set(rows["place"]) == {"Tagaung", "Shadaw", "Lay Kay Kaw Myo Thit"}
    shadaw = rows.set_index("place").loc["Shadaw"]
    assert shadaw["gaining_actor"] == "Karenni National Progressive Party"  # its armed wing


def test_claim_denied_in_the_report_needs_review(extractor):
    rows = draft(
        extractor,
        "The MNDAA said its fighters had captured Lashio on Thursday. "
        "But a junta spokesman told reporters the claim was not true.",
    )
    assert len(rows) == 1
    assert bool(rows["needs_review"].iloc[0])
    assert "denied" in rows["review_reason"].iloc[0]
    assert rows["extraction_confidence"].iloc[0] == "low"


@pytest.mark.parametrize(
    ("denial", "denied"),
    [
        ("The military denied this on Tuesday.", True),
        ("A junta spokesman denied that the town had fallen.", True),
        ("The junta denied the capture.", True),
        ("The junta denied that its airstrike killed civilians.", False),
        ("The junta denied bombing a school.", False),
    ],
)
def test_a_denial_of_what_was_just_said_needs_review(extractor, denial, denied):
    rows = draft(extractor, f"The AA captured Kyauktaw on 14 March 2024. {denial}", "2024-12-30")
    assert list(rows["place"]) == ["Kyauktaw"]
    assert (rows["extraction_confidence"].iloc[0] == "low") is denied


@pytest.mark.parametrize(
    ("text", "change", "gaining", "losing"),
    [
        ("The town of Paletwa fell to the AA on Sunday.", "captured", "Arakan Army", None),
        ("Paletwa was captured by the Arakan Army on Sunday.", "captured", "Arakan Army", None),
        (
            "Junta troops retreated from Mindat town on Sunday.",
            "withdrawn",
            None,
            "Myanmar military",
        ),
        ("The military recaptured Kawlin on Monday.", "recaptured", "Myanmar military", None),
        (
            "The MNDAA handed Lashio back to the junta on Tuesday.",
            "handed over",
            "Myanmar military",
            "Myanmar National Democratic Alliance Army",
        ),
    ],
)
def test_voice_sets_who_gained_and_lost(extractor, text, change, gaining, losing):
    rows = draft(extractor, text)
    assert list(rows["change"]) == [change]
    if gaining:
        assert rows["gaining_actor"].iloc[0].split("; ")[0] == gaining
    if losing:
        assert rows["losing_actor"].iloc[0].split("; ")[0] == losing


@pytest.mark.parametrize(
    ("text", "date", "precision", "review"),
    [
        ("The AA seized Pauktaw on Thursday.", "2023-11-02", "day", False),
        ("The AA seized Pauktaw on Wednesday.", "2023-11-08", "day", False),
        ("The AA seized Pauktaw yesterday.", "2023-11-07", "day", False),
        ("The AA seized Pauktaw on Nov. 24.", "2022-11-24", "day", False),
        ("The AA seized Pauktaw on Nov. 6 last year.", "2022-11-06", "day", False),
        ("The AA seized Pauktaw on 3 November 2023.", "2023-11-03", "day", False),
        ("The AA seized Pauktaw in late October.", "2023-10", "month", True),
        ("The AA seized Pauktaw last week.", "2023-10-30/2023-11-05", "week", True),
        ("The AA seized Pauktaw.", "2023-11-08", "day", True),
    ],
)
def test_dates_read_against_the_publication_date(extractor, text, date, precision, review):
    rows = draft(extractor, text)  # published Wednesday 8 Nov 2023
    assert (rows["date"].iloc[0], rows["date_precision"].iloc[0]) == (date, precision)
    assert bool(rows["needs_review"].iloc[0]) is review


def test_no_publication_date_leaves_relative_dates_unresolved(extractor):
    rows = draft(extractor, "The AA seized Pauktaw on Thursday.", published=None)
    assert pd.isna(rows["date"].iloc[0])
    assert "publication date" in rows["review_reason"].iloc[0]


@pytest.mark.parametrize(
    "text",
    [
        "The man looked pale and the mon soldiers seized the moment on Monday.",
        "A Man was seized by police in Yangon's market on Monday.",
    ],
)
def test_ordinary_words_that_are_place_names_are_not_places(extractor, text):
    assert not (draft(extractor, text)["place"].isin(["Pale", "Man", "Mon", "pale", "man"])).any()


def test_short_name_counts_next_to_a_place_word(extractor):
    rows = draft(extractor, "Resistance forces seized Pale town on Monday.")
    assert list(rows["place"]) == ["Pale"]
    assert rows["pcode"].iloc[0].startswith("MMR005019")


def test_the_place_that_changed_is_the_object_of_the_verb(extractor):
    rows = draft(
        extractor,
        "The Arakan Army captured Rathedaung town in Rakhine State on Sunday, "
        "about 40 km north of Sittwe, a town still held by the junta.",
    )
    assert list(rows["place"]) == ["Rathedaung"]


def test_several_events_in_one_report(extractor):
    text = (ARTICLES / "p10_irrawaddy_pauktaw_retaken.txt").read_text(encoding="utf-8")
    rows = extract_events(text, reference=extractor)
    pauktaw = rows[rows["place"] == "Pauktaw"]
    assert sorted(pauktaw["change"]) == ["captured", "recaptured"]
    assert set(pauktaw["date"]) == {"2023-11-16"}
    retaken = pauktaw[pauktaw["change"] == "recaptured"].iloc[0]
    assert (retaken["gaining_actor"], retaken["losing_actor"]) == (
        "Myanmar military",
        "Arakan Army",
    )


def test_same_event_in_several_reports_is_one_row_with_every_source(extractor):
    paths = [ARTICLES / "p38_irrawaddy_paletwa.txt", ARTICLES / "p39_assamtribune_paletwa.txt"]
    rows = extract_files(paths, reference=extractor)
    paletwa = rows[rows["pcode"] == "MMR004009701"]
    assert len(paletwa) == 1
    assert paletwa["source"].iloc[0].count("; ") == 1
    assert paletwa["date"].iloc[0] == "2024-01-14"


def test_html_page_and_header_metadata(extractor, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(
        "<html><head><title>AA takes Myebon</title>"
        '<meta property="article:published_time" content="2024-02-02T10:00:00Z">'
        '<meta property="og:url" content="https://example.org/myebon"></head>'
        "<body><nav>Home | News</nav><article><p>The Arakan Army (AA) took over "
        "<b>Myebon</b> on Thursday.</p><script>var x = 'seized Sittwe';</script></article>"
        "</body></html>",
        encoding="utf-8",
    )
    rows = extract_files([page], reference=extractor)
    assert list(rows["place"]) == ["Myebon"]
    assert rows["date"].iloc[0] == "2024-02-01"
    assert rows["source"].iloc[0] == "https://example.org/myebon"


def test_same_input_gives_identical_output(extractor):
    paths = sorted(ARTICLES.glob("*.txt"))
    first = extract_files(paths, reference=extractor).to_csv(index=False)
    second = extract_files(list(reversed(paths)), reference=extractor).to_csv(index=False)
    assert first == second


PIECES = [
    *"abcdefghijklmnopqrstuvwxyz ABCDEFGKLMNPSTUY.,;:'\"()-\n0123456789",
    "seized ",
    "Khampat ",
    "town ",
    "fell to ",
    "the AA ",
    "on Monday ",
    "Nov. ",
    "<p>",
    "Published: ",
    "retook ",
    "it ",
    "they ",
    "village ",
    "Pale ",
    "not ",
    "the town of ",
    "was captured by ",
    "handed ",
    "back to ",
    "last week ",
    "2023-11-08 ",
    "Township ",
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(st.text(max_size=300), st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
)
def test_random_text_never_raises(extractor, text):
    rows = extract_events(text, published="2024-01-01", reference=extractor)
    assert list(rows.columns) == COLUMNS
    assert rows["needs_review"].notna().all()


def test_public_api_exports_the_extractor():
    assert impact.extract_events is extract_events
    assert impact.extract_files is extract_files


def run_cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "impact", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_extract_then_report_reads_the_drafts_unchanged(tmp_path):
    done = run_cli("extract", str(SEED), "--out", "drafts.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "drafts.csv" in done.stdout
    drafts = pd.read_csv(tmp_path / "drafts.csv", dtype="string")
    assert list(drafts.columns) == COLUMNS
    report = run_cli("report", "drafts.csv", "--out", "rep", "--quiet", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    impacts = pd.read_csv(tmp_path / "rep" / "impacts.csv", dtype="string", comment=None)
    assert "MMR005030703" in set(impacts["pcode"])


def test_cli_reads_stdin_and_keeps_existing_output(tmp_path):
    text = "The Arakan Army seized Pauktaw town on Thursday."
    done = run_cli("extract", "-", "--published", "2023-11-17", cwd=tmp_path, stdin=text)
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(tmp_path / "drafts.csv", dtype="string")
    assert list(rows["date"]) == ["2023-11-16"]
    again = run_cli("extract", "-", cwd=tmp_path, stdin=text)
    assert again.returncode != 0
    assert "--force" in again.stderr
    assert "Traceback" not in again.stderr


def test_cli_missing_file_is_a_message_not_a_traceback(tmp_path):
    done = run_cli("extract", "no-such-report.txt", cwd=tmp_path)
    assert done.returncode == 1
    assert "no-such-report.txt" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_reads_stdin_bytes_as_it_reads_files(tmp_path):
    """Standard input is decoded like a file: a Windows-1252 byte is a letter, not an error
    when the drafts are written."""
    text = "Resistance forces captured Khampat on Tuesday, caf\xe9 owners said.\n"
    done = subprocess.run(
        [sys.executable, "-m", "impact", "extract", "-", "--published", "2023-11-08"],
        cwd=tmp_path,
        input=text.encode("cp1252"),
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(tmp_path / "drafts.csv", dtype="string")
    assert list(rows["place"]) == ["Khampat"]
    assert "café" in rows["evidence"].iloc[0]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_reports_are_read_with_or_without_a_byte_order_mark(tmp_path, codec):
    report = tmp_path / "report.txt"
    report.write_bytes("Resistance forces captured Khampat on Tuesday.".encode(codec))
    rows = extract_files([report], "2023-11-08")
    assert list(rows["place"]) == ["Khampat"]
    assert list(rows["date"]) == ["2023-11-07"]


def test_a_report_over_the_size_limit_is_refused_with_the_limit_named(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_MAX_REPORT_MB", "1")
    report = tmp_path / "huge.txt"
    report.write_bytes(b"captured Khampat " * 70_000)
    with pytest.raises(InputLimitError, match="IMPACT_MAX_REPORT_MB"):
        extract_files([report], "2023-11-08")


@pytest.mark.parametrize("out", ["folder", "", "report.txt/drafts.csv", "/dev/full"])
def test_cli_output_that_cannot_be_a_drafts_file_is_a_message(tmp_path, out):
    (tmp_path / "folder").mkdir()
    (tmp_path / "report.txt").write_text("Resistance forces captured Khampat on Tuesday.")
    done = run_cli("extract", "report.txt", "--published", "2023-11-08", "--out", out, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: file "), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize(
    "sentence",
    [
        "Resistance forces captured Khampat, Sagaing Region, on 7 Nov 2023.",
        "Resistance forces captured Khampat, Tamu Township, on 7 Nov 2023.",
    ],
)
def test_the_unit_a_place_lies_in_is_where_not_another_capture(sentence):
    rows = extract_events(sentence, published="2023-11-08")
    assert rows[["place", "pcode", "date"]].values.tolist() == [
        ["Khampat", "MMR005030703", "2023-11-07"]
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Rumours that the AA had captured Sittwe spread on social media on Monday.",
        "Has the AA captured Sittwe?",
    ],
)
def test_a_rumour_or_a_question_drafts_no_event(sentence):
    assert extract_events(sentence, published="2024-12-10").empty


def test_a_month_after_in_is_a_date_and_may_as_a_verb_is_not():
    rows = extract_events("The AA captured Buthidaung in May after a long assault.", "2024-12-10")
    assert rows[["date", "date_precision"]].values.tolist() == [["2024-05", "month"]]
    assert extract_events("The AA may capture Buthidaung soon.", "2024-12-10").empty


def test_a_report_named_twice_is_read_once_and_an_empty_one_is_noted(tmp_path):
    report = tmp_path / "k.txt"
    report.write_text("Resistance forces captured Khampat on Tuesday.")
    (tmp_path / "empty.txt").write_bytes(b"")
    named = [report, tmp_path / "empty.txt", tmp_path / "." / "k.txt"]
    with pytest.warns(ImpactWarning, match="empty.txt: no readable text"):
        rows = extract_files(named, "2023-11-08")
    assert rows["place"].tolist() == ["Khampat"]


def test_a_name_the_index_lacks_is_matched_as_a_report_would_match_it(extractor):
    spelled = draft(extractor, "The TNLA captured Namtue on 5 January 2024.", "2024-12-30")
    assert spelled[["pcode", "township"]].values.tolist() == [["MMR015015701", "Namtu"]]
    assert spelled["extraction_confidence"].iloc[0] == "medium"
    assert "read as Namtu Town (MMR015015701) by spelling" in spelled["review_reason"].iloc[0]
    short = draft(extractor, "The AA captured Ann town on 20 December 2024.", "2024-12-30")
    assert short[["pcode", "needs_review"]].values.tolist() == [["MMR012014701", False]]
    unknown = draft(extractor, "The AA seized Foo Bar on 8 December 2024.")
    assert unknown["pcode"].fillna("").tolist() == [""]
    assert "no P-code" in unknown["review_reason"].iloc[0]


def test_markdown_table_rows_are_sentences_and_code_is_not_read(extractor):
    text = (
        "The AA captured Kyauktaw on 14 March 2024.\n\n"
        "| Town | Status | Date |\n|---|---|---|\n"
        "| Minbya | captured by AA | 20 March 2024 |\n| Sittwe | junta-held | |\n\n"
        "```\nThe KIA captured Bhamo on 1 January 2024.\n```\n"
    )
    rows = draft(extractor, text, "2024-12-30")
    assert rows[["place", "date", "gaining_actor"]].values.tolist() == [
        ["Kyauktaw", "2024-03-14", "Arakan Army"],
        ["Minbya", "2024-03-20", "Arakan Army"],
    ]
    assert rows["evidence"].iloc[1] == "Minbya, captured by AA, 20 March 2024."


@pytest.mark.parametrize(
    "text",
    [
        "Kyauktaw, Minbya and Mrauk-U were all captured by the AA in February 2024.",
        "The towns of Kyauktaw, Minbya and Mrauk-U fell to the AA in February 2024.",
    ],
)
def test_every_place_listed_as_the_subject_changes_hands(extractor, text):
    rows = draft(extractor, text, "2024-12-30")
    assert rows[["place", "gaining_actor"]].values.tolist() == [
        ["Kyauktaw", "Arakan Army"],
        ["Minbya", "Arakan Army"],
        ["Mrauk-U", "Arakan Army"],
    ]
    unit = draft(extractor, "Khampat, Tamu Township, was captured by the PDF on 7 November 2023.")
    assert list(unit["place"]) == ["Khampat"]


def test_a_change_in_a_clause_of_its_own_is_not_dated_by_the_main_clause(extractor):
    aside = draft(
        extractor,
        "The AA, which captured Paletwa in January, seized Kyauktaw on 14 March 2024.",
        "2024-12-30",
    )
    assert sorted(aside[["place", "date"]].values.tolist()) == [
        ["Kyauktaw", "2024-03-14"],
        ["Paletwa", "2024-01"],
    ]
    leading = draft(
        extractor, "After capturing Paletwa, the AA seized Kyauktaw on 14 March 2024.", "2024-12-30"
    )
    paletwa = leading.set_index("place").loc["Paletwa"]
    assert paletwa["date"] != "2024-03-14" and "date not stated" in paletwa["review_reason"]
    main = draft(
        extractor,
        "After a week of fighting, the AA seized Kyauktaw on 14 March 2024.",
        "2024-12-30",
    )
    assert main[["place", "date"]].values.tolist() == [["Kyauktaw", "2024-03-14"]]
