"""Give each census ward/VT row the P-code of its unit.

The census file names units by spelling only, and its join copied a name's values to every
same-named unit of a district, so keying is a ladder of rules, each stricter than a guess:
unique names, evidence, elimination, township residuals, township totals, then spelling
variants. The census totals are constraints: a township's keyed wards may not exceed its urban
population (nor its tracts its rural one) through elimination, and when one value per census
name adds up to the total, to the person, in exactly one way, that way is taken. A sum that
matches by chance in a single way is possible but needs every name to be the township's own;
where a name stands for several same-named units the rule does not decide.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from impact.names import romanised_key
from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.spelling import split_camel, squash

# Census ward/VT spellings that differ from P-code spellings are paired when this similar.
FUZZY_UNIT_SCORE = 85.0
# A township's value combinations are searched only up to this many (the largest seen is
# 14,336); beyond it the "total" rule does not decide.
MAX_COMBINATIONS = 50_000


def key_census_units(
    census_rows: pd.DataFrame,
    units: pd.DataFrame,
    totals: pd.DataFrame,
    ward_assignments: pd.DataFrame,
    report: BuildReport,
) -> pd.DataFrame:
    """Give each census ward/VT row its P-code.

    In order: a name that one unit of the township carries and one census value; evidence for
    same-named units; elimination of values the source repeated across a district; the one
    value that completes a township's total; the one choice of values that makes all of a
    township's census names add up to its total; a clearly best spelling variant.

    Returns one row per assigned P-code with `population`, `population_male`,
    `population_female`, `census_name` and `method`.
    """
    targets = units[units["level"].isin(["ward", "village_tract"])].copy()
    targets["kind"] = targets["level"]
    targets["township_pcode"] = np.where(
        targets["level"] == "ward", targets["parent_pcode"].str[:9], targets["parent_pcode"]
    )
    targets["key"] = squash(targets["name"])
    census = census_rows.assign(key=squash(census_rows["Ward/VillageTract"]))
    census["row_id"] = np.arange(len(census))
    group = ["township_pcode", "kind", "key"]
    census["values"] = census.groupby(group)["total_population"].transform("size")
    targets["candidates"] = targets.groupby(group)["pcode"].transform("size")
    paired = census.merge(targets[[*group, "pcode", "candidates"]], on=group, how="left")

    exact = paired[(paired["values"] == 1) & (paired["candidates"] == 1)].assign(method="exact")
    evidence = _assign_by_evidence(paired[paired["candidates"] > 1], ward_assignments, report)
    placed = pd.concat([exact, evidence])
    placed = pd.concat([placed, _assign_repeats(paired, placed, totals)])
    unnamed = census[~census.set_index(group).index.isin(targets.set_index(group).index)]
    fuzzy = _assign_fuzzy(
        unnamed[~unnamed["row_id"].isin(placed["row_id"])],
        targets[~targets["pcode"].isin(placed["pcode"])],
        report,
    )
    placed = pd.concat([placed, fuzzy])
    unplaced = census[~census["row_id"].isin(placed["row_id"])]
    report.unplaced.append(
        unplaced.assign(
            table="VT_Ward_geo.csv",
            reason=np.where(
                unplaced["township_pcode"].isna(),
                "township name not in the census",
                "no single P-code with this name in the township",
            ),
        )[["table", "Township", "Ward/VillageTract", "total_population", "reason"]].rename(
            columns={
                "Township": "township",
                "Ward/VillageTract": "name",
                "total_population": "population",
            }
        )
    )
    for method, count in placed["method"].value_counts().sort_index().items():
        report.say(f"Ward/VT census rows keyed by {method}: {count:,}.")
    report.say(f"Ward/VT census rows left unplaced: {len(unplaced):,} (listed below).")
    report.say(_check_total_rule(census, totals))
    return pd.DataFrame(
        {
            "pcode": placed["pcode"],
            "population": placed["total_population"],
            "population_male": placed["male_population"],
            "population_female": placed["female_population"],
            "census_name": split_camel(placed["Ward/VillageTract"]),
            "method": placed["method"],
        }
    ).drop_duplicates("pcode", keep=False)


def _assign_repeats(
    paired: pd.DataFrame, placed: pd.DataFrame, totals: pd.DataFrame
) -> pd.DataFrame:
    """Settle names the source repeated with several values (its join copied a name's values
    to every same-named unit of the district).

    Repeatedly: a value placed in one township is struck from the same name's candidates in
    the other townships of its district; a unit left with one candidate takes it
    ("elimination"); a township with one open unit takes the candidate equal to its urban or
    rural total less the units already keyed ("residual"); else a township whose census names
    add up to its total, to the person, by exactly one choice of value per name, takes that
    choice ("total").
    """
    total = {
        "ward": totals.set_index("pcode")["urban_population"],
        "village_tract": totals.set_index("pcode")["rural_population"],
    }
    open_rows = paired[(paired["candidates"] == 1) & (paired["values"] > 1)].copy()
    open_rows["district"] = open_rows["township_pcode"].str[:6]
    done = placed.copy()
    chosen: list[pd.DataFrame] = []
    while True:
        taken = done.assign(district=done["township_pcode"].str[:6])
        struck = open_rows.set_index(["district", "kind", "key", "total_population"]).index.isin(
            taken.set_index(["district", "kind", "key", "total_population"]).index
        )
        open_rows = open_rows[
            ~struck
            & ~open_rows["pcode"].isin(done["pcode"])
            & ~open_rows["row_id"].isin(done["row_id"])
        ]
        single = open_rows.groupby("pcode")["row_id"].transform("size") == 1
        step = _within_totals(open_rows[single].assign(method="elimination"), done, total)
        if step.empty:
            step = _residual_step(open_rows, done, total)
        if step.empty:
            step = _total_step(open_rows, done, paired, total)
        if step.empty:
            break
        chosen.append(step)
        done = pd.concat([done, step])
    return pd.concat(chosen) if chosen else paired.head(0).assign(method="")


def _within_totals(step: pd.DataFrame, done: pd.DataFrame, total: dict) -> pd.DataFrame:
    """Drop a township's eliminations when they would take its keyed units past its census
    total: a value left over by elimination then belongs to a unit elsewhere."""
    known = done.groupby(["township_pcode", "kind"])["total_population"].sum()
    added = step.groupby(["township_pcode", "kind"])["total_population"].transform("sum")
    index = pd.MultiIndex.from_frame(step[["township_pcode", "kind"]])
    before = pd.Series(known.reindex(index).fillna(0).to_numpy(), index=step.index)
    limit = pd.Series(
        [total[kind].get(township) for township, kind in index], index=step.index, dtype=float
    )
    return step[~(before + added > limit)]


def _residual_step(open_rows: pd.DataFrame, done: pd.DataFrame, total: dict) -> pd.DataFrame:
    known = done.groupby(["township_pcode", "kind"])["total_population"].sum()
    hits = []
    for (township, kind), rows in open_rows.groupby(["township_pcode", "kind"]):
        if rows["pcode"].nunique() != 1 or pd.isna(total[kind].get(township)):
            continue
        residual = total[kind][township] - known.get((township, kind), 0)
        match = rows[rows["total_population"] == residual]
        if len(match) == 1:
            hits.append(match.assign(method="residual"))
    return pd.concat(hits) if hits else open_rows.head(0).assign(method="")


def _total_step(
    open_rows: pd.DataFrame, done: pd.DataFrame, paired: pd.DataFrame, total: dict
) -> pd.DataFrame:
    """Choose one value per census name of a township so that the names sum exactly to its
    urban (wards) or rural (tracts) total; keep the choice only when it is the only one.

    Every census name of the township counts once: a name already keyed with its value, an
    open name with its remaining candidates, a name without a P-code with any of its values
    (it is still one of the township's units). Townships where a name stands for several
    same-named units are left alone, as are searches beyond `MAX_COMBINATIONS`.
    """
    hits = []
    for (township, kind), rows in open_rows.groupby(["township_pcode", "kind"]):
        target = total[kind].get(township)
        if pd.isna(target):
            continue
        names = paired[(paired["township_pcode"] == township) & (paired["kind"] == kind)]
        if (names["candidates"] > 1).any():
            continue
        choices = _value_choices(names, rows, done[done["township_pcode"] == township])
        only = only_exact_combination(choices, int(target))
        if only is not None:
            picked = pd.Series(only, index=choices.index)
            match = rows[rows["total_population"] == rows["key"].map(picked)]
            hits.append(match.drop_duplicates("pcode", keep=False).assign(method="total"))
    if not hits:
        return open_rows.head(0).assign(method="")
    chosen = pd.concat(hits)
    # Two townships of a district may not take the same repeated value in one step.
    clash = chosen.duplicated(["district", "kind", "key", "total_population"], keep=False)
    return chosen[~chosen["township_pcode"].isin(chosen.loc[clash, "township_pcode"])]


def _check_total_rule(census: pd.DataFrame, totals: pd.DataFrame) -> str:
    """Measure the total rule where the answer is known: townships whose census names each
    have one value summing exactly to their total, given as false options every value the
    same name has elsewhere in the district (what the source's join does)."""
    outcome = {"right": 0, "wrong": 0, "undecided": 0}
    census = census.dropna(subset=["township_pcode"])
    census = census.assign(district=census["township_pcode"].str[:6])
    for kind, column in (("ward", "urban_population"), ("village_tract", "rural_population")):
        total = totals.set_index("pcode")[column]
        rows = census[census["kind"] == kind]
        names = rows.groupby(["district", "key"])["total_population"].agg(set)
        for (district, township), group in rows.groupby(["district", "township_pcode"]):
            truth = group.groupby("key")["total_population"].agg(set)
            if (truth.map(len) > 1).any() or truth.map(min).sum() != total.get(township):
                continue
            options = pd.Series(
                {key: sorted(names[(district, key)]) for key in truth.index}, dtype=object
            )
            if (options.map(len) == 1).all():
                continue
            found = only_exact_combination(options, int(total[township]))
            key = "undecided" if found is None else "right"
            if found is not None and found != [min(v) for v in truth[options.index]]:
                key = "wrong"
            outcome[key] += 1
    tried = sum(outcome.values())
    return (
        f"Total rule checked on {tried} townships whose census names are all known, each name "
        f"given its district's same-named values as false options: {outcome['right']} decided "
        f"correctly, {outcome['wrong']} wrongly, {outcome['undecided']} left undecided."
    )


def _value_choices(names: pd.DataFrame, open_rows: pd.DataFrame, done: pd.DataFrame) -> pd.Series:
    """The values each census name of one township may take, by name key."""
    choices = names.groupby("key")["total_population"].apply(lambda v: sorted(set(v.dropna())))
    placed = done[done["kind"].isin(names["kind"].unique())].groupby("key")["total_population"]
    for key, values in placed:
        choices[key] = sorted(set(values))
    for key, values in open_rows.groupby("key")["total_population"]:
        choices[key] = sorted(set(values))
    return choices[choices.map(len) > 0]


def only_exact_combination(choices: pd.Series, target: int) -> list[int] | None:
    """The one combination (one value per entry) summing to `target`, else None."""
    sizes = choices.map(len)
    if int(np.prod(sizes.to_numpy(dtype=float))) > MAX_COMBINATIONS:
        return None
    found = []
    for combination in itertools.product(*choices.tolist()):
        if sum(combination) == target:
            found.append(list(combination))
            if len(found) > 1:
                return None
    return found[0] if found else None


def _assign_by_evidence(
    ambiguous: pd.DataFrame, evidence: pd.DataFrame, report: BuildReport
) -> pd.DataFrame:
    """Same-named units in one township: assign only where the evidence table decides."""
    decided = ambiguous.merge(
        evidence,
        left_on=["township_pcode", "Ward/VillageTract", "total_population", "pcode"],
        right_on=["township_pcode", "census_name", "census_population", "pcode"],
    )
    report.say(
        f"Same-named wards/VTs in one township assigned from evidence: {len(decided)} "
        "(reference_build/myanmar_evidence/ward_assignments.csv)."
    )
    return decided.assign(method="evidence")[[*ambiguous.columns, "method"]]


def _assign_fuzzy(census: pd.DataFrame, targets: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Pair leftover spellings within a township, one to one: first where the romanised keys
    are equal (Hpaing Lin / Hpai Lin differ, Kyun Taw Yae Shin / Kyun Taw Ye Shin do not),
    then where they are clearly the closest pair and start alike."""
    census = census[census["values"] == 1].assign(
        fkey=romanised_key(split_camel(census["Ward/VillageTract"]))
    )
    targets = targets.assign(fkey=romanised_key(targets["name"]))
    group = ["township_pcode", "kind", "fkey"]
    unique_census = census[~census.duplicated(group, keep=False)]
    unique_targets = targets[~targets.duplicated(group, keep=False)]
    folded = unique_census.merge(unique_targets[[*group, "pcode"]], on=group).assign(
        method="romanised"
    )
    rest = census[~census["row_id"].isin(folded["row_id"])]
    pool = targets[~targets["pcode"].isin(folded["pcode"])]
    chosen = []
    by_place = pool.groupby(["township_pcode", "kind"])
    for (township, kind), rows in rest.groupby(["township_pcode", "kind"]):
        if (township, kind) not in by_place.groups:
            continue
        options = by_place.get_group((township, kind))
        scores = process.cdist(rows["fkey"].tolist(), options["fkey"].tolist(), scorer=fuzz.ratio)
        for i, j in enumerate(scores.argmax(axis=1)):
            ranked = np.sort(scores[i])[::-1]
            runner_up = ranked[1] if len(ranked) > 1 else 0.0
            same_start = rows["fkey"].iloc[i][:1] == options["fkey"].iloc[j][:1]
            clear = scores[i, j] >= FUZZY_UNIT_SCORE and scores[i, j] - runner_up >= 5
            if clear and same_start and scores[:, j].argmax() == i:
                chosen.append(rows.iloc[i].to_dict() | {"pcode": options["pcode"].iloc[j]})
    fuzzy = pd.DataFrame(chosen, columns=[*rest.columns, "pcode"]).assign(method="fuzzy")
    report.say(
        f"Ward/VT census rows keyed by romanisation-folded spelling: {len(folded)}; by "
        f"spelling similarity >= {FUZZY_UNIT_SCORE:g} within their township: {len(fuzzy)}."
    )
    return pd.concat([folded, fuzzy])
