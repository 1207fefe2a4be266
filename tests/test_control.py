"""Control over time: the state before the first event, earlier events, monthly flows that add
up, one name per actor, and golden runs for a hand-over, a military retake and a claim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import impact
from impact.actors import load_actors
from impact.control import control_over_time, control_timeline, place_figures
from impact.event_actors import attach_actors
from impact.exports import write_csv
from impact.summaries import by_actor, by_month, by_region, by_side, period_changes
from tests.conftest import DATA, GOLDEN

SHEET = DATA / "control_changes_2023_2025.csv"
ACTORS = load_actors()
# Townships, none inside another, with their 2014 census figures in the bundled package.
PLACES = ["MMR005024", "MMR012007", "MMR015016", "MMR015020"]
# Spellings from public reporting and ACLED exports, by canonical actor.
SPELLINGS = {
    "Myanmar military": ["Myanmar military", "junta", "SAC", "Tatmadaw", "regime forces",
                         "Military Forces of Myanmar (2021-)"],
    "Arakan Army": ["Arakan Army", "AA", "ULA/AA", "AA: Arakan Army", "Arakan Army (AA)"],
    "Ta'ang National Liberation Army": ["TNLA", "Ta'ang National Liberation Army (TNLA)",
                                        "TNLA troops"],
    "People's Defence Force": ["PDF", "People's Defense Force", "PDF: People's Defense Force"],
    "United Wa State Army": ["UWSA", "United Wa State Army"],
}  # fmt: skip
CHANGE = st.sampled_from(["captured", "recaptured", "handed over", "withdrawn", "contested"])


@st.composite
def sheets(draw, spelled: bool = False, units: int = 0) -> pd.DataFrame:
    """A sheet of events on four townships between Oct 2023 and Dec 2025, actor texts drawn
    from real spellings (or the canonical names), and from `units` local units no table
    knows."""
    size = draw(st.integers(1, 14))
    actors = sorted(SPELLINGS) + [f"Local defence unit {k}" for k in range(units)]
    rows = []
    for i in range(size):
        gaining, losing = (draw(st.sampled_from(actors)) for _ in range(2))
        if spelled:
            gaining, losing = (
                draw(st.sampled_from(SPELLINGS.get(a, [a]))) for a in (gaining, losing)
            )
        day = pd.Timestamp("2023-10-01") + pd.Timedelta(days=draw(st.integers(0, 820)))
        rows.append(
            (day, f"E{i:02d}", draw(st.sampled_from(PLACES)), draw(CHANGE), gaining, losing)
        )
    frame = pd.DataFrame(
        rows,
        columns=["date", "event_id", "headline_pcode", "change", "gaining_actor", "losing_actor"],
    )
    return frame.sort_values(["date", "event_id"]).reset_index(drop=True)


def events_of(sheet: pd.DataFrame, reference) -> pd.DataFrame:
    """The sheet as the control stage sees it: canonical actors and one census figure per
    place (the 2014 figure as a narrow band)."""
    events = attach_actors(sheet, ACTORS)
    census = reference.places["population"].reindex(events["headline_pcode"]).to_numpy()
    events["population_central"] = pd.array(census, dtype="Int64")
    events["population_low"] = events["population_central"] - 100
    events["population_high"] = events["population_central"] + 100
    names = reference.places["name"].reindex(events["headline_pcode"]).to_numpy()
    events["area_name"] = events["place_name"] = names
    events["state_region_name"] = "somewhere"
    return events


def flows_of(sheet: pd.DataFrame, reference):
    events = events_of(sheet, reference)
    timeline = control_timeline(events)
    figures = place_figures(events, reference)
    return timeline, figures, events["date"].min(), events["date"].max()


PROPERTY = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(sheet=sheets())
def test_monthly_net_changes_add_up_to_the_change_in_control(reference, sheet):
    timeline, figures, start, end = flows_of(sheet, reference)
    months = by_month(timeline, figures, start, end)
    control = control_over_time(timeline, figures, start, end)
    wide = months.pivot_table(
        index=["month", "actor"], columns="measure", values="population_central", aggfunc="sum"
    ).reindex(columns=["held_at_start", "gained", "lost", "held_at_end"], fill_value=0)
    wide = wide.fillna(0)
    assert (wide["held_at_start"] + wide["gained"] - wide["lost"] == wide["held_at_end"]).all()
    net = (wide["gained"] - wide["lost"]).groupby("actor").sum()
    first = control[control["date"] == control["date"].min()]
    first = first.set_index("holder")["population_central"]
    last = control.sort_values("date").drop_duplicates("holder", keep="last")
    last = last.set_index("holder")["population_central"]
    change = last.fillna(0).sub(first.fillna(0), fill_value=0)
    expected = {k: int(v) for k, v in change.items() if v != 0}
    assert {k: int(v) for k, v in net.items() if v != 0} == expected
    # The month ends chain: each month starts where the one before ended.
    ends = wide["held_at_end"].unstack("actor", fill_value=0)
    starts = wide["held_at_start"].unstack("actor", fill_value=0)
    assert (ends.shift(1).iloc[1:].fillna(0) == starts.iloc[1:].fillna(0)).all().all()


@PROPERTY
@given(sheet=sheets(units=12))
def test_control_over_time_is_the_holdings_after_each_date_with_a_change(reference, sheet):
    from impact.control import BANDS, changes_between, finish_counts, holdings_before, tally

    timeline, figures, start, end = flows_of(sheet, reference)
    control = control_over_time(timeline, figures, start, end)
    moves = changes_between(timeline, start, end)
    opening = start - pd.Timedelta(days=1)
    days = [opening, *sorted(moves["date"].unique())]
    assert sorted(control["date"].unique()) == days
    for day in days:
        (state,) = holdings_before(timeline, figures, [day + pd.Timedelta(days=1)])
        held = finish_counts(tally(state, ["holder", "side"]), ["holder", "side"])
        on_day = moves[moves["date"] == day]
        touched = (
            set(zip(state["holder"], state["side"], strict=True))
            if day == opening
            else set(zip(on_day["holder_before"], on_day["side_before"], strict=True))
            | set(zip(on_day["holder_after"], on_day["side_after"], strict=True))
        )
        # A holder that lost its last place that day has a row of zeros.
        emptied = touched - set(zip(held["holder"], held["side"], strict=True))
        zeros = pd.DataFrame(
            [(holder, side) for holder, side in emptied], columns=["holder", "side"]
        ).assign(places=0, places_without_figure=0, **dict.fromkeys(BANDS, 0))
        keys = pd.Series(list(zip(held["holder"], held["side"], strict=True)), dtype=object)
        expected = pd.concat([held[(held["places"] > 0) | keys.isin(touched)], zeros])
        got = control[control["date"] == day].drop(columns="date").reset_index(drop=True)
        expected = expected.sort_values(["holder", "side"])[got.columns].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@PROPERTY
@given(sheet=sheets(units=12))
def test_monthly_flows_in_one_pass_equal_each_month_on_its_own(reference, sheet):
    timeline, figures, start, end = flows_of(sheet, reference)
    expected = []
    for month in pd.period_range(start, end, freq="M"):
        first = max(start, month.start_time.normalize())
        last = min(end, month.end_time.normalize())
        table = by_actor(timeline, figures, first, last).assign(month=str(month))
        expected.append(table[["month", *table.columns[:-1]]])
    expected = pd.concat(expected, ignore_index=True)
    pd.testing.assert_frame_equal(by_month(timeline, figures, start, end), expected)


@PROPERTY
@given(sheet=sheets())
def test_flow_tables_from_shared_period_changes_equal_each_on_its_own(reference, sheet):
    flows = flows_of(sheet, reference)
    changes = period_changes(*flows)
    for table in (by_actor, by_side, by_region, by_month, control_over_time):
        pd.testing.assert_frame_equal(table(*flows, changes), table(*flows))


@PROPERTY
@given(sheet=sheets(spelled=True), data=st.data())
def test_spellings_change_no_total_and_no_side(reference, sheet, data):
    canonical = sheet.assign(
        gaining_actor=attach_actors(sheet, ACTORS)["gaining_actor"],
        losing_actor=attach_actors(sheet, ACTORS)["losing_actor"],
    )
    spelled_flows = flows_of(sheet, reference)
    canonical_flows = flows_of(canonical, reference)
    pd.testing.assert_frame_equal(by_side(*spelled_flows), by_side(*canonical_flows))
    pd.testing.assert_frame_equal(by_actor(*spelled_flows), by_actor(*canonical_flows))
    timeline = spelled_flows[0]
    assert not timeline["flag"].fillna("").str.contains("is not the recorded").any() or (
        canonical_flows[0]["flag"].equals(timeline["flag"])
    )
    held = by_side(*spelled_flows)
    for measure in ("held_at_start", "held_at_end"):
        assert (
            held.loc[held["measure"] == measure, "places"].sum()
            == sheet["headline_pcode"].nunique()
        )


@pytest.fixture(scope="module")
def full_run(reference):
    return impact.run(SHEET, reference=reference)


def end_state(result) -> pd.DataFrame:
    control = result.control
    last = control[control["date"] == control["date"].max()]
    return last.drop(columns="date").reset_index(drop=True)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    since=st.sampled_from(["2023-11-13", "2024-01-01", "2024-04-15", "2024-08-04", "2025-01-01"])
)
def test_a_since_run_ends_with_the_full_runs_control(reference, full_run, since):
    later = impact.run(SHEET, reference=reference, since=since)
    pd.testing.assert_frame_equal(end_state(later), end_state(full_run))
    assert later.control["date"].min() == pd.Timestamp(since) - pd.Timedelta(days=1)
    assert later.reconciliation["used"] + later.reconciliation["skipped"] == 44
    # Places captured before the period are still held at its start.
    start = later.by_side[later.by_side["measure"] == "held_at_start"]
    assert (
        start["places"].sum() == full_run.by_side.query("measure == 'held_at_end'")["places"].sum()
    )


def test_until_sets_the_end_and_earlier_captures_stay(reference, full_run):
    result = impact.run(SHEET, reference=reference, since="2024-08-01", until="2024-12-31")
    lashio = result.timeline[result.timeline["place_name"] == "Lashio"]
    assert lashio["holder_after"].iloc[-1] == "Myanmar National Democratic Alliance Army"
    end = end_state(result).set_index("holder")
    # Kunlong (Nov 2023, before the period) is still held by the MNDAA at its end.
    assert end.loc["Myanmar National Democratic Alliance Army", "places"] >= 4
    assert set(result.skipped["reason"]) == {"outside_period"}


def test_every_place_starts_under_the_actor_it_was_taken_from(full_run):
    first = full_run.control[full_run.control["date"] == full_run.control["date"].min()]
    sides = first.groupby("side")[["places", "population_central", "places_without_figure"]].sum()
    # 33 places taken from the military itself, Maungdaw from its Border Guard Police and
    # Chipwi from the NDA-K border guard force; Ann from an actor the table does not know.
    assert first.set_index("holder").loc["Myanmar military", "places"] == 33
    assert sides.loc["military", "places"] == 35 and sides.loc["unknown", "places"] == 1
    assert sides.loc["military", "population_central"] > 3_000_000
    assert sides.loc["military", "places_without_figure"] == 2


def test_before_and_after_canonicalisation(full_run):
    """The numbers of the issue's before/after check on a 44-row sheet (2023-2025)."""
    impacts = full_run.impacts
    before = impacts.assign(
        gaining_actor=impacts["gaining_actor_text"], losing_actor=impacts["losing_actor_text"]
    )
    warnings_before = _mismatches(control_timeline(before))
    warnings_after = _mismatches(full_run.timeline)
    assert (impacts["gaining_actor_text"].nunique(), impacts["gaining_actor"].nunique()) == (34, 12)
    assert (warnings_before, warnings_after) == (8, 1)
    assert full_run.unknown_actors["actor"].tolist() == ["Western Command"]


def _mismatches(timeline: pd.DataFrame) -> int:
    return int(timeline["flag"].fillna("").str.contains("is not the recorded holder").sum())


# A user's actors file adding one actor the bundled table lacks (with its public source).
WESTERN_COMMAND = (
    "actor,short_name,side,actor_type,parent,aliases,source\n"
    "Western Command (regime),,military,state forces,Myanmar military,Western Command,"
    "https://www.irrawaddy.com/news/burma/arakan-army-seizes-myanmar-juntas-western-"
    "command-hq.html\n"
)


def test_actors_file_extends_the_table_and_the_report_lists_unknowns(tmp_path, reference):
    extra = tmp_path / "actors.csv"
    extra.write_text(WESTERN_COMMAND, encoding="utf-8")
    plain = impact.run(SHEET, reference=reference, until="2024-12-31")
    folder = impact.write_report(plain, tmp_path / "plain")
    assert "Actors not in the table" in (folder / "report.md").read_text(encoding="utf-8")
    assert "Western Command" in (folder / "actors_not_in_table.csv").read_text(encoding="utf-8")
    extended = impact.run(SHEET, reference=reference, until="2024-12-31", actors=extra)
    assert extended.unknown_actors.empty
    folder = impact.write_report(extended, tmp_path / "extended")
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "Actors not in the actors table" not in report, "the user's file knows it"
    held = extended.by_side.set_index(["side", "measure"])["places"]
    before = plain.by_side.set_index(["side", "measure"])["places"]
    assert held[("military", "held_at_start")] == before[("military", "held_at_start")] + 1


SCENARIOS = {
    # Two rebel groups: the PDF takes Khampat, then hands it to the KIA.
    "handover_between_rebel_groups": [
        ("2023-11-07", "Khampat", "Tamu", "captured", "PDF", "junta"),
        ("2023-11-20", "Khampat", "Tamu", "handed over", "Kachin Independence Army", "PDF"),
    ],
    # The TNLA takes Nawnghkio (Jul 2024) and the military retakes it (Jul 2025).
    "retake_by_the_military": [
        ("2024-07-10", "Nawnghkio", "Nawnghkio", "captured", "TNLA", "SAC"),
        ("2025-07-16", "Nawnghkio", "Nawnghkio", "recaptured", "Tatmadaw", "Ta'ang army"),
    ],
    # A claim on Loikaw between two real captures elsewhere: control does not move.
    "contested_claim": [
        ("2023-11-12", "Kunlong", "Kunlong", "captured", "MNDAA", "Myanmar military"),
        ("2023-11-26", "Loikaw", "Loikaw", "contested", "KNDF", "Myanmar military"),
        ("2023-12-15", "Namhsan", "Namhsan", "captured", "TNLA", "military regime"),
    ],
}
GOLDEN_TABLES = ["timeline", "control", "by_month", "by_actor", "by_side", "summary"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_control_scenarios_match_golden(tmp_path, reference, update_golden, scenario):
    rows = SCENARIOS[scenario]
    sheet = tmp_path / f"{scenario}.csv"
    pd.DataFrame(
        rows, columns=["date", "place", "township", "change", "gaining_actor", "losing_actor"]
    ).to_csv(sheet, index=False)
    result = impact.run(sheet, reference=reference)
    folder = GOLDEN / "control" / scenario
    for name in GOLDEN_TABLES:
        produced = tmp_path / f"{name}.csv"
        write_csv(getattr(result, name), produced)
        golden = folder / f"{name}.csv"
        if update_golden:
            folder.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(produced.read_bytes())
        assert produced.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8"), name
    headline = result.headline_by_side
    assert headline.startswith("Between ") and "control changed for" in headline


def test_cli_takes_an_actors_file_and_prints_the_side_headline(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from impact.cli import app

    extra = tmp_path / "actors.csv"
    extra.write_text(WESTERN_COMMAND, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["report", str(SHEET), "--actors", str(extra), "--out", "r", "--quiet"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "moved out of military control" in " ".join(done.output.split())
    assert (tmp_path / "r" / "actors_not_in_table.csv").read_text().strip() == (
        "actor,side,role,events,written_as"
    )


@PROPERTY
@given(sheet=sheets(), offsets=st.lists(st.integers(-30, 850), min_size=1, max_size=5, unique=True))
def test_holders_at_equal_the_last_event_before_each_day(reference, sheet, offsets):
    from impact.control import holders_at

    timeline = control_timeline(events_of(sheet, reference))
    days = pd.DatetimeIndex(sorted(pd.Timestamp("2023-10-01") + pd.Timedelta(days=d)
                                   for d in offsets))  # fmt: skip
    state = holders_at(timeline, days)
    for number, day in enumerate(days):
        for pcode, rows in timeline.groupby("pcode", sort=False):
            earlier = rows[rows["date"] < day]
            last = earlier.iloc[-1] if len(earlier) else None
            expected = (
                (last["holder_after"], last["side_after"])
                if last is not None
                else (rows["holder_before"].iloc[0], rows["side_before"].iloc[0])
            )
            got = state[(state["day"] == number) & (state["pcode"] == pcode)]
            assert len(got) == 1
            assert (got["holder"].iloc[0], got["side"].iloc[0]) == expected


def test_a_run_works_out_its_period_changes_once_and_lets_them_go(reference, monkeypatch):
    """Control over time, the summary and the flows by month, actor, side and region share
    one table of the period's changes, which is not kept once the last of them is made."""
    calls = []
    real = impact.pipeline.period_changes

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(impact.pipeline, "period_changes", counted)
    result = impact.run(SHEET, reference=reference, as_of="2026-01-01")
    tables = [result.by_month, result.control, result.by_side, result.summary, result.by_actor]
    assert len(calls) == 1
    assert "_period_changes" not in result.__dict__
    assert all(len(table) for table in tables)
    alone = impact.run(SHEET, reference=reference, as_of="2026-01-01")
    pd.testing.assert_frame_equal(alone.by_region, result.by_region)
    assert len(calls) == 2


def test_a_large_runs_timeline_is_compacted_once_its_changes_are_worked_out(reference, monkeypatch):
    """The tables of the period's changes need nothing else from the timeline, which is then
    only filtered and written: a large run holds its repeated text as categories from the
    moment the changes are worked out, with the same values, and its tables are those of a
    run that keeps it plain."""
    from impact import per_value
    from impact.per_value import categories_as_text

    plain_run = impact.run(SHEET, reference=reference, as_of="2026-01-01")
    plain = plain_run.timeline.copy()
    assert plain["holder_after"].dtype == "str"
    monkeypatch.setattr(per_value, "CATEGORY_ROWS", 0)
    result = impact.run(SHEET, reference=reference, as_of="2026-01-01")
    assert result.timeline["holder_after"].dtype == "str"
    summary = result.summary
    for column in ("holder_before", "holder_after", "side_after", "flag"):
        assert isinstance(result.timeline[column].dtype, pd.CategoricalDtype), column
    assert result.timeline["event_id"].dtype == "str"
    pd.testing.assert_frame_equal(categories_as_text(result.timeline), categories_as_text(plain))
    pd.testing.assert_frame_equal(summary, plain_run.summary)
    for name in ("by_month", "by_actor", "by_side", "by_region", "control"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(plain_run, name))


def test_a_small_runs_timeline_keeps_its_text(reference):
    result = impact.run(SHEET, reference=reference, as_of="2026-01-01")
    assert len(result.control)
    assert result.timeline["holder_after"].dtype == "str"


HOLDERS = st.sampled_from(["Arakan Army", "Myanmar military", "People's Defence Force", None])
KNOWN = st.sampled_from([True, False, None])
PEOPLE = st.one_of(st.none(), st.floats(0, 5e5, allow_nan=False).map(lambda x: round(x, 3)))


LEDGER_ROW = st.tuples(
    st.integers(0, 6),
    HOLDERS,
    st.sampled_from(["resistance", "military", None]),
    KNOWN,
    PEOPLE,
    PEOPLE,
    PEOPLE,
    st.sampled_from([1, -1]),
)


@PROPERTY
@given(rows=st.lists(LEDGER_ROW, max_size=40), weighted=st.booleans())
def test_tally_is_the_sum_of_each_group(rows, weighted):
    """A tally is each group's sum (groups sorted, missing keys a group of their own), as
    pandas sums them row by row, whatever the keys, missing values and weights."""
    from impact.control import BANDS, tally

    frame = pd.DataFrame(rows, columns=["day", "holder", "side", "known", *BANDS, "sign"])
    frame["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame.pop("day"), unit="D")
    frame = frame.astype({"holder": "str", "side": "str", "known": "boolean"})
    frame = frame.astype(dict.fromkeys(BANDS, "Float64"))
    keys = ["date", "holder", "side"]
    sign = frame.pop("sign").to_numpy(dtype=int) if weighted else np.ones(len(frame), dtype=int)
    counted = np.where(frame["known"].fillna(False).to_numpy(dtype=bool), sign, 0)
    expected = frame[keys].assign(
        places=sign,
        places_without_figure=sign - counted,
        **{band: frame[band].fillna(0) * counted for band in BANDS},
        known_places=counted,
    )
    expected = expected.groupby(keys, sort=True, dropna=False).sum().reset_index()
    got = tally(frame, keys, weight=sign if weighted else None)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_a_tally_of_one_key_and_of_no_rows():
    from impact.control import BANDS, tally

    frame = pd.DataFrame({"all": ["all"] * 3, "known": [True, False, True]})
    frame = frame.assign(**{band: pd.array([1.5, 2.0, None], "Float64") for band in BANDS})
    got = tally(frame, ["all"])
    assert got.to_dict("records") == [
        {"all": "all", "places": 3, "places_without_figure": 1, **dict.fromkeys(BANDS, 1.5),
         "known_places": 2}
    ]  # fmt: skip
    assert tally(frame.head(0), ["all"]).empty


def test_side_headline_writes_the_places_left_out_with_thousands_separators():
    from impact.summaries import side_headline

    summary = pd.Series(
        {
            "period_start": pd.Timestamp("2021-02-01"),
            "period_end": pd.Timestamp("2025-01-30"),
            "places_changed_hands": 1_861,
            "population_low_changed_hands": 44_490_062,
            "population_central_changed_hands": 51_821_659,
            "population_high_changed_hands": 56_786_857,
            "places_changed_without_figure": 1_501,
        }
    )
    no_sides = pd.DataFrame(columns=["side", "measure"])
    text = side_headline(summary, no_sides)
    assert "control changed for 1,861 places" in text
    assert "(1,501 of the places have no census figure" in text
