"""The name index of a reference package and the search for candidate places.

The index holds every name of every place (official names, aliases, Burmese script) as a
normalised key and a romanisation-folded key; village names (a level below village tracts,
pointing to their tract) are indexed on the first search, so loading a package stays fast.
`Gazetteer.search` returns every candidate for a batch of queries: by P-code, by exact or
alias name, by fuzzy folded spelling (with the Shan, Kachin, Chin and Rakhine families), by
village name, and by the parts of a bracketed name; each candidate says whether it lies inside
the query's admin hints.
Deciding among candidates is `impact.resolve`'s job, not this module's.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from impact.names import normalise_name, repair_pcode, romanised_key
from impact.per_value import is_in, once_per_value
from impact.reference import Reference

HINT_LEVELS = {"township": "township", "district": "district", "region": "state_region"}
HINT_COLUMNS = list(HINT_LEVELS)
STAGES = {"pcode": 1, "exact": 2, "alias": 3, "fuzzy": 4}
ADMIN = ["level", "state_region_pcode", "district_pcode", "township_pcode"]
# Below this folded-name similarity a name is not a match.
FUZZY_CUTOFF = 88.0
PLAIN_CUTOFF = 70.0
FOLDED_PLAIN_CUTOFF = 60.0
# How many folded keys of texts outside the package an index keeps (about 100 bytes each).
FOLDED_KEPT = 200_000
# Suggestions for a name not found are ranked among the names scoring above this first.
SUGGESTION_FLOOR = 60
# The score of a candidate found for one bracketed part of the text.
PART_SCORE = 95.0
# Names this short are never fuzzed: too many places are one letter away.
MIN_FUZZY_LENGTH = 4
CANDIDATE_COLUMNS = ["query_id", "pcode", "method", "text", "score", *ADMIN, "village_pcode"]
# Levels a hint may name; a sub-township hint is read as the township holding its seat.
SEAT_LEVELS = ("town", "sub_township")
# Levels whose capture changes control: a fuzzy winner at these levels is not made ambiguous
# by a lower-level runner-up, but a lower-level winner is by one of these.
CONTROL_LEVELS = ("town", "township", "sub_township")


class Gazetteer:
    """Searchable names of one reference package, built once and reused for every lookup."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        # Both name tables come from the package alone, so they are kept with its tables
        # (`Reference.cache`): reading them back costs a run about a third of building them.
        self.names = reference.cache.table("name_index", self._name_index)
        fuzzed = self.names["fkey"].str.len() >= MIN_FUZZY_LENGTH
        folded = self.names[fuzzed & ~self.names.duplicated(["fkey", "pcode"])]
        self.folded = folded.reset_index(drop=True)

    def _name_index(self) -> pd.DataFrame:
        places = self.reference.places
        own = pd.DataFrame({"text": places["name"], "pcode": places["pcode"], "method": "exact"})
        other = pd.DataFrame(
            {
                "text": self.reference.aliases["alias"],
                "pcode": self.reference.aliases["pcode"],
                "method": "alias",
            }
        )
        names = pd.concat([own, other], ignore_index=True)
        names[["key", "fkey"]] = self._keys(names["text"])
        names = names[(names["key"] != "") & ~names.duplicated(["key", "pcode"])]
        return self._with_admin(names, ADMIN).reset_index(drop=True)

    @cached_property
    def villages(self) -> pd.DataFrame:
        """The village names, read on the first search that needs them.

        One row per village: `key`, `fkey`, `text`, `village_pcode`, and `pcode` = the
        village tract it belongs to (the unit figures come from), with that tract's admin
        columns and level `village`.
        """
        return self.reference.cache.table("village_index", self._village_index)

    def _village_index(self) -> pd.DataFrame:
        villages = self.reference.villages
        tracts = arrow.array(
            villages["village_tract_pcode"], arrow.large_string(), from_pandas=True
        )
        known = villages[pc.is_in(tracts, value_set=self._place_codes).to_numpy(False)]
        table = pd.DataFrame(
            {
                "text": known["name"].astype(str),
                "pcode": known["village_tract_pcode"],
                "village_pcode": known["village_pcode"],
            }
        )
        table[["key", "fkey"]] = self._keys(known["name"])
        table = self._with_admin(table[table["key"] != ""], ADMIN[1:])
        return table.assign(level="village").reset_index(drop=True)

    @cached_property
    def villages_by_pcode(self) -> pd.DataFrame:
        """The package's villages indexed by their P-code (for their points and tracts)."""
        return self.reference.villages.set_index("village_pcode")

    def _with_admin(self, table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """`table.join(places[columns], on="pcode")`: the columns of each row's place (NA
        where the package has no such P-code), with the P-codes looked up in Arrow (a
        pandas join hashes each one as a Python string)."""
        places = self.reference.places
        codes = arrow.array(table["pcode"], type=arrow.large_string(), from_pandas=True)
        rows = pc.index_in(codes, value_set=self._place_codes).fill_null(-1).to_numpy()
        admin = places[columns].reset_index(drop=True).reindex(rows).set_axis(table.index)
        if table["pcode"].dtype != places.index.dtype:  # as the join gives it
            table = table.assign(pcode=table["pcode"].astype(object))
        return pd.concat([table, admin], axis=1)

    @cached_property
    def _place_codes(self) -> arrow.Array:
        return arrow.array(self.reference.places.index.array, type=arrow.large_string())

    def _keys(self, texts: pd.Series) -> pd.DataFrame:
        """`key` and `fkey` of each text: the package's stored keys where it has them,
        computed for any other text."""
        stored = self.reference.name_keys
        if stored is None or stored.empty:
            return self._computed(texts)
        # Looked up in Arrow: the index and the villages hold some 100,000 texts.
        text = arrow.array(texts.fillna("").astype(str), type=arrow.large_string())
        stored_texts = arrow.array(stored.index.array, type=arrow.large_string())
        rows = pc.index_in(text, value_set=stored_texts).fill_null(-1).to_numpy()
        found = stored.iloc[np.maximum(rows, 0)].set_axis(texts.index)
        missing = rows < 0
        if missing.any():
            found.loc[missing] = self._computed(texts[missing])
        return found

    @staticmethod
    def _computed(texts: pd.Series) -> pd.DataFrame:
        return pd.DataFrame(
            {"key": normalise_name(texts), "fkey": romanised_key(texts, families=True)},
            index=texts.index,
        )

    def fkey_of(self, texts: pd.Series) -> pd.Series:
        """`folded_key` of each text, once per distinct text: from the package's stored
        keys for the texts they hold (most texts searched are names of the package), else
        from those this index folded before (a run searches a name up to four times:
        candidates, bracketed parts, rivals, suggestions), else worked out (folding is the
        slow part of a search) and kept for next time."""
        stored = self.reference.name_keys

        def looked_up(distinct: pd.Series) -> pd.Series:
            text = distinct.fillna("").astype(str).to_numpy(dtype=object)
            keys = (
                np.full(len(text), np.nan, dtype=object)
                if stored is None
                else stored["fkey"].reindex(text).to_numpy(dtype=object)
            )
            missing = pd.isna(keys)
            keys[missing] = [self._folded_before.get(t) for t in text[missing]]
            missing = pd.isna(keys)
            if missing.any():
                keys[missing] = folded_key(distinct[missing]).to_numpy(dtype=object)
                if len(self._folded_before) > FOLDED_KEPT:
                    self._folded_before.clear()
                self._folded_before.update(zip(text[missing], keys[missing], strict=True))
            return pd.Series(keys, index=distinct.index, dtype=object)

        return once_per_value(looked_up, texts)

    @cached_property
    def _folded_before(self) -> dict[str, str]:
        """Folded keys of texts the package stores no keys for, kept from earlier searches
        (at most `FOLDED_KEPT` of them)."""
        return {}

    def search(self, queries: pd.DataFrame) -> pd.DataFrame:
        """Every candidate for each query, and for a bracketed name without an exact match
        ("Pang Hseng (Kyu Koke)") the candidates of each part.

        `queries` has `query_id`, `name` and the hint columns. Returns one row per candidate
        with stage, method, score and `inside_hints`.
        """
        found = self.candidates(queries)
        return pd.concat([found, self._bracketed_parts(queries, found)], ignore_index=True)

    def candidates(self, queries: pd.DataFrame) -> pd.DataFrame:
        """Every candidate place for each query, best stage and score first, with
        `inside_hints` (the place lies inside every admin hint the query gives).

        Names are looked up once per distinct spelling (many queries share one, with other
        hints) and each query then takes its spelling's candidates, in the same order.
        """
        spellings, spelling_of = self._distinct_spellings(queries)
        spellings = spellings.assign(
            key=normalise_name(spellings["name"]),
            fkey=self.fkey_of(spellings["name"]),
        )
        # A key without letters ("=1+1" → "11") names nothing; P-codes are matched apart.
        keyed = spellings[spellings["key"].str.contains(r"[a-z\u1000-\u109f]", regex=True)]
        at, rows = _matches(keyed["key"], self._names_by_key)
        exact = self.names.iloc[rows][["pcode", "method", "text"]].reset_index(drop=True)
        exact.insert(0, "query_id", keyed["query_id"].to_numpy()[at])
        exact = self._with_admin(exact.assign(score=100.0), ADMIN)
        blocks = [
            block
            for block in (
                self._pcodes(spellings),
                exact,
                self._fuzzy(spellings),
                self._villages(spellings),
            )
            if not block.empty
        ]
        ids = queries["query_id"]
        if ids.is_unique and ids.is_monotonic_increasing:
            # One spelling per query: each spelling's candidates are ranked once, then handed
            # to every query that has it.
            found = _per_query(_best_first(blocks), spelling_of, queries)
        else:
            # Several spellings per query (the parts of a bracketed name): their candidates
            # are ranked together, per query.
            found = _best_first([_per_query(block, spelling_of, queries) for block in blocks])
        hints = self._hint_sets(queries).set_index("query_id").reindex(found["query_id"])
        found = pd.concat([found.reset_index(drop=True), hints.reset_index(drop=True)], axis=1)
        return found.assign(inside_hints=self._inside(found))

    @staticmethod
    def _distinct_spellings(queries: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        """Each distinct `name` of `queries` once (its `query_id` numbering the spellings),
        and the spelling number of each query."""
        spelling_of, _ = pd.factorize(queries["name"], use_na_sentinel=False)
        first = np.unique(spelling_of, return_index=True)[1]
        spellings = queries.iloc[first][["name"]].reset_index(drop=True)
        spellings.insert(0, "query_id", np.arange(len(spellings)))
        return spellings, spelling_of

    def closest(self, names: pd.Series, limit: int = 3) -> pd.DataFrame:
        """The `limit` × 4 closest folded names in the whole index for each of `names`
        (query_id = the index of `names`), for suggestions in messages."""
        keys = self.fkey_of(names)
        keys = keys[keys != ""]
        if keys.empty:
            return pd.DataFrame(columns=["query_id", "pcode", "score"])
        # Scored once per distinct key against each distinct folded name (then spread to the
        # rows of `folded`); the best first, tied names in the order of `folded`.
        unique = pd.Series(keys.unique(), dtype=object)
        choices, _, choice_of_row = self._distinct_folded
        parts = []
        for start in range(0, len(unique), 500):
            chunk = unique.iloc[start : start + 500]
            scores = process.cdist(
                chunk.tolist(), choices.tolist(), scorer=fuzz.ratio, dtype=np.uint8, workers=-1
            )[:, choice_of_row]
            best = _best_columns(scores, limit * 4)
            rows = np.repeat(np.arange(len(chunk)), best.shape[1])
            parts.append(
                pd.DataFrame(
                    {
                        "fkey": chunk.to_numpy()[rows],
                        "pcode": self.folded["pcode"].to_numpy()[best.ravel()],
                        "score": scores[rows, best.ravel()].astype(float),
                    }
                )
            )
        best = pd.concat(parts, ignore_index=True)
        asked = pd.DataFrame({"query_id": keys.index.to_numpy(), "fkey": keys.to_numpy()})
        return asked.merge(best, on="fkey", sort=False)[["query_id", "pcode", "score"]]

    @cached_property
    def carved_outlines(self) -> pd.DataFrame:
        """Every (township without a 2014 outline, outline holding any of its located towns
        or villages) pair, as `pcode`, `within_outline`: a point in that outline may lie in
        the carved township, whichever outline holds most of its places."""
        geography = self.reference.geography
        missing = geography.townships_without_outline
        columns = ["pcode", "within_outline"]
        if missing.empty or not geography.has_outlines:
            return pd.DataFrame(columns=columns)
        own = geography.points[geography.points["township_pcode"].isin(missing["pcode"])]
        pairs = pd.DataFrame(
            {
                "pcode": own["township_pcode"].to_numpy(),
                "within_outline": geography.township_of(own["lat"], own["lon"]).to_numpy(),
            }
        )
        pairs = pd.concat([pairs, missing[columns]]).dropna().astype(str)
        return pairs.drop_duplicates().sort_values(columns).reset_index(drop=True)

    @cached_property
    def control_names(self) -> pd.DataFrame:
        """The names of towns, townships and sub-townships (levels whose capture changes
        control), with their keys and admin columns."""
        control = self.names[self.names["level"].isin(CONTROL_LEVELS)]
        return control[control["key"].str.len() >= MIN_FUZZY_LENGTH].reset_index(drop=True)

    def close_control_names(self, names: pd.Series, cutoff: float = 80.0) -> pd.DataFrame:
        """Towns, townships and sub-townships whose plain name is at least `cutoff` alike to
        each of `names` (query_id = its index): query_id, pcode, the admin columns, `plain`
        (that similarity) and `folded` (the similarity once romanisation is folded). Scored
        once per distinct spelling."""
        control = self.control_names
        keys = once_per_value(normalise_name, names)
        unique = pd.Series(keys.unique(), dtype=object)
        unique = unique[unique.str.len() >= MIN_FUZZY_LENGTH]
        columns = ["query_id", "pcode", *ADMIN, "plain", "folded"]
        if unique.empty or control.empty:
            return pd.DataFrame(columns=columns)
        # The close pairs are found in whole points, from a point below the cutoff, and
        # only they are scored exactly.
        coarse = process.cdist(
            unique.tolist(),
            control["key"].tolist(),
            scorer=fuzz.ratio,
            score_cutoff=cutoff - 1,
            dtype=np.uint8,
            workers=-1,
        )
        rows, cols = _nonzero_bytes(coarse)
        typed, named = unique.to_numpy()[rows], control["key"].to_numpy(dtype=object)[cols]
        plain = ratios(typed, named)
        close = plain >= cutoff
        hits = pd.DataFrame({"key": typed[close], "row": cols[close], "plain": plain[close]})
        asked = pd.DataFrame(
            {"query_id": names.index, "key": keys.to_numpy(), "typed": names.to_numpy()}
        )
        hits = asked.merge(hits, on="key").join(control[["pcode", "fkey", *ADMIN]], on="row")
        typed = self.fkey_of(hits["typed"])
        hits["folded"] = ratios(typed, hits["fkey"])
        hits = hits.sort_values(["query_id", "pcode", "plain"], ascending=[True, True, False])
        return hits.drop_duplicates(["query_id", "pcode"])[columns].reset_index(drop=True)

    def _villages(self, spellings: pd.DataFrame) -> pd.DataFrame:
        """Villages whose name equals the spelling's (`query_id`, `key`, `fkey`) once
        romanisation is folded.

        Villages are matched on the folded key only, not by similarity: tens of thousands of
        short, shared names would make any near spelling a false village. An exact spelling
        is `exact`; a folded-equal one is `fuzzy` with score 100.
        """
        keyed = spellings[spellings["fkey"].str.len() >= MIN_FUZZY_LENGTH][
            ["query_id", "key", "fkey"]
        ]
        if keyed.empty or self.reference.villages.empty:
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        at, rows = _matches(keyed["fkey"], self._villages_by_fkey)
        found = self.villages.iloc[rows].reset_index(drop=True)
        method = np.where(keyed["key"].to_numpy()[at] == found["key"].to_numpy(), "exact", "fuzzy")
        found["query_id"] = keyed["query_id"].to_numpy()[at]
        return found.assign(method=method, score=100.0)[CANDIDATE_COLUMNS]

    @cached_property
    def _names_by_key(self) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        return _grouped(self.names["key"])

    @cached_property
    def _villages_by_fkey(self) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        return _grouped(self.villages["fkey"])

    def _pcodes(self, queries: pd.DataFrame) -> pd.DataFrame:
        code = queries["name"].map(repair_pcode)
        hit = is_in(code, self.reference.places.index)
        found = pd.DataFrame(
            {
                "query_id": queries.loc[hit, "query_id"],
                "pcode": code[hit],
                "method": "pcode",
                "text": code[hit],
                "score": 100.0,
            }
        )
        return self._with_admin(found, ADMIN)

    def _fuzzy(self, spellings: pd.DataFrame) -> pd.DataFrame:
        """Names whose folded key is close to the spelling's (`query_id`, `key`, `fkey`) and
        whose plain spelling is alike enough too."""
        keys = spellings[spellings["fkey"].str.len() >= MIN_FUZZY_LENGTH].reset_index(drop=True)
        if keys.empty:
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        hits = self._close_folded(pd.Series(keys["fkey"].unique(), dtype=object))
        # Each spelling takes its folded key's hits (in row order of `folded`).
        row, hit = _matches(keys["fkey"], _grouped(hits["fkey"]))
        index = hits["index"].to_numpy()[hit]
        found = self.folded[["pcode", "text", "key", *ADMIN]].iloc[index].reset_index(drop=True)
        found.insert(0, "query_id", keys["query_id"].to_numpy()[row])
        found.insert(1, "score", hits["score"].to_numpy()[hit])
        # Folding can bring unlike names together (Mong Sheen / Mong Inn); the plain
        # spellings must still be alike.
        plain = ratios(keys["key"].to_numpy()[row], found["key"])
        # Names equal once folded may differ more as written (Mo Lu / Maw Lu).
        found = found[plain >= np.where(found["score"] >= 100, FOLDED_PLAIN_CUTOFF, PLAIN_CUTOFF)]
        return found.drop(columns=["key"]).assign(method="fuzzy")

    def _close_folded(self, fkeys: pd.Series) -> pd.DataFrame:
        """Every folded name at least `FUZZY_CUTOFF` alike to each distinct folded key:
        `fkey`, `index` (row of `folded`) and `score`, in the order of `fkeys`, then `index`.

        Each distinct folded name is scored once, and only against keys of a length that can
        reach the cutoff (two texts of lengths m and n are at most 100 × (1 − |m − n| / (m + n))
        alike).
        """
        keys = fkeys.to_numpy(dtype=object)
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        by_length = np.argsort(lengths, kind="stable")
        starts = np.flatnonzero(np.diff(lengths[by_length], prepend=-1))[1:]
        order, choice, score = _stacked(
            [self._close_folded_of_length(keys, group) for group in np.split(by_length, starts)]
        )
        # A distinct name stands for every row of `folded` that has it.
        first, rows = self._rows_of_distinct_folded
        count = np.diff(first)[choice]
        hit = np.repeat(np.arange(len(choice)), count)
        within = np.arange(len(hit)) - np.repeat(np.cumsum(count) - count, count)
        index = rows[first[choice][hit] + within]
        sort = np.lexsort((index, order[hit]))
        hit, index = hit[sort], index[sort]
        return pd.DataFrame(
            {
                "fkey": pd.Series(keys[order[hit]], dtype=object),
                "index": index,
                "score": score[hit],
            }
        )

    def _close_folded_of_length(
        self, keys: np.ndarray, group: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_close_folded` pairs for the `keys` at positions `group`, all of one length: the
        key's position, the distinct folded name (its position in `_distinct_folded`) and the
        score.

        Only names of a reachable length are looked at, and of those only the ones that
        differ from the key in few enough letters are scored: each letter one of two texts
        has and the other lacks costs at least an insertion or a deletion, and two texts of
        lengths m and n that are `FUZZY_CUTOFF` alike differ by at most
        (100 − FUZZY_CUTOFF) / 100 × (m + n) of those (a point of slack is allowed).
        """
        choices, lengths, _ = self._distinct_folded
        length = len(keys[group[0]])
        low, high = _reachable_lengths(length, FUZZY_CUTOFF)
        start, stop = np.searchsorted(lengths, [low, high + 1])
        most = np.floor((101 - FUZZY_CUTOFF) / 100 * (length + lengths[start:stop])).astype(
            np.uint8
        )
        letters = self._folded_letters[start:stop]
        found = []
        for begin in range(0, len(group) if stop > start else 0, 64):
            chunk = group[begin : begin + 64]
            differ = _popcount(_letter_sets(keys[chunk])[:, None] ^ letters[None, :])
            rows, cols = _nonzero_bytes((differ <= most).view(np.uint8))
            scores = process.cpdist(
                keys[chunk[rows]].tolist(),
                choices[start + cols].tolist(),
                scorer=fuzz.ratio,
                score_cutoff=FUZZY_CUTOFF,
                dtype=np.uint8,
            )
            hit = scores != 0
            found.append((chunk[rows[hit]], start + cols[hit], scores[hit].astype(float)))
        return _stacked(found)

    @cached_property
    def _folded_letters(self) -> np.ndarray:
        """The letters of each name of `_distinct_folded`, as a set of bits."""
        return _letter_sets(self._distinct_folded[0])

    @cached_property
    def _rows_of_distinct_folded(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows of `folded` holding each distinct folded name, in row order: those of
        name i are `rows[first[i]:first[i + 1]]`."""
        choices, _, choice_of_row = self._distinct_folded
        rows = np.argsort(choice_of_row, kind="stable")
        return np.searchsorted(choice_of_row[rows], np.arange(len(choices) + 1)), rows

    @cached_property
    def _distinct_folded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each distinct folded name once, shortest first; its length; and for each row of
        `folded`, the position of its name."""
        codes, distinct = pd.factorize(self.folded["fkey"].to_numpy(dtype=object))
        lengths = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct))
        order = np.argsort(lengths, kind="stable")
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        return distinct[order], lengths[order], position[codes]

    def _hint_sets(self, queries: pd.DataFrame) -> pd.DataFrame:
        """P-codes each hint names, one column of sets per hinted level (None: no hint).

        Worked out once per distinct hint text, which many queries share."""
        # One row per query: the parts of a bracketed name share their query's hints.
        queries = queries.drop_duplicates("query_id").reset_index(drop=True)
        out = queries[["query_id"]].copy()
        texts = {
            level: queries[column].fillna("").astype(str) for column, level in HINT_LEVELS.items()
        }
        self._learn_hint_sets(texts)
        for level, text in texts.items():
            number, distinct = pd.factorize(text)
            sets = np.empty(len(distinct), dtype=object)
            sets[:] = [self._hint_sets_before[level, value] for value in distinct]
            named = pd.Series(sets[number], dtype=object).fillna(np.nan)
            out[f"hint_{level}"] = named if named.notna().any() else np.nan
        # The township is the most precise hint: where it is known, district and region
        # hints are not applied (event lists often carry districts from before 2022).
        has_township = out["hint_township"].notna()
        out.loc[has_township, ["hint_district", "hint_state_region"]] = None
        return out

    def _learn_hint_sets(self, texts: dict[str, pd.Series]) -> None:
        """Work out the hint set of each (level, text) not seen before, normalising the new
        texts together; kept for later searches (at most `FOLDED_KEPT`)."""
        if len(self._hint_sets_before) > FOLDED_KEPT:
            self._hint_sets_before.clear()
        new = {
            (level, text)
            for level, column in texts.items()
            for text in column.unique()
            if (level, text) not in self._hint_sets_before
        }
        if not new:
            return
        pairs = sorted(new)
        keys = normalise_name(pd.Series([text for _, text in pairs], dtype=object))
        units = self._units_named(keys)
        for (level, text), key, named in zip(pairs, keys, units, strict=True):
            self._hint_sets_before[level, text] = self._hint_set(text, key, level, named)

    @cached_property
    def _hint_sets_before(self) -> dict[tuple[str, str], frozenset | None]:
        """The P-codes named by each (level, hint text) met in earlier searches."""
        return {}

    def _hint_set(
        self, text: str, key: str, level: str, units: dict[str, frozenset]
    ) -> frozenset | None:
        """The P-codes a hint text (normalised: `key`) names at `level`: the `units` of that
        name (`_units_named`; for a region that names none, every part of a state split into
        parts), else the place of that P-code; None when it names nothing."""
        found = units.get(level)
        if found is None and level == "state_region" and key != "":
            found = self._state_parts.get(key)
        if found is None:
            code = repair_pcode(text)
            found = frozenset([code]) if code in self.reference.places.index else None
        return found

    def _units_named(self, keys: pd.Series) -> list[dict[str, frozenset]]:
        """For each name of `keys`, the P-codes of the units of that name, by hinted level.
        Where no unit has the name, a sub-township or seat town of it means its township (a
        township hint naming its seat). Looked up for the names a run's hints give, not
        worked out for every name of the package."""
        distinct, first, rows = self._names_by_key
        level, pcode, township = self._hint_columns
        found = []
        for at in distinct.get_indexer(keys):
            named = rows[first[at] : first[at + 1]] if at >= 0 else rows[:0]
            units: dict[str, set] = {}
            for unit_level, code in zip(level[named], pcode[named], strict=True):
                if unit_level in HINT_LEVELS.values():
                    units.setdefault(unit_level, set()).add(code)
            if not units:
                seats = {
                    code
                    for lv, code in zip(level[named], township[named], strict=True)
                    if lv in SEAT_LEVELS
                }
                units = {"township": seats} if seats else {}
            found.append({unit_level: frozenset(codes) for unit_level, codes in units.items()})
        return found

    @cached_property
    def _hint_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each name's level, P-code and township P-code, as arrays of `names`' rows."""
        return tuple(
            self.names[column].to_numpy(dtype=object)
            for column in ("level", "pcode", "township_pcode")
        )

    @cached_property
    def _state_parts(self) -> dict[str, frozenset]:
        """The parts of each state split into parts ("Shan State" → Shan (North), (South),
        (East)), by the state's name."""
        regions = self.reference.places[self.reference.places["level"] == "state_region"]
        base = normalise_name(regions["name"].str.replace(r"\s*\(.*$", "", regex=True))
        return _sets_by_key(base.to_numpy(dtype=object), regions["pcode"].to_numpy(object))

    @staticmethod
    def _inside(found: pd.DataFrame) -> pd.Series:
        """True where a candidate's P-code, or its unit at the hinted level, is in every
        hint set of its row (`hint_township`, … : sets of P-codes, NA where not hinted)."""
        inside = np.ones(len(found), dtype=bool)
        for level in HINT_LEVELS.values():
            allowed = found[f"hint_{level}"]
            hinted = allowed.notna().to_numpy()
            if not hinted.any():
                continue
            number, sets = pd.factorize(allowed[hinted])
            members = pd.Series(list(sets), dtype=object).explode().dropna()
            member_code, codes = pd.factorize(members.to_numpy(dtype=object))
            # Each (set, P-code) pair numbered as one integer; P-codes looked up in Arrow.
            pairs = members.index.to_numpy() * len(codes) + member_code
            known = arrow.array(codes, type=arrow.large_string())
            ok = np.zeros(hinted.sum(), dtype=bool)
            for column in ("pcode", f"{level}_pcode"):
                values = arrow.array(found[column], type=arrow.large_string(), from_pandas=True)
                code = pc.index_in(values.filter(hinted), value_set=known)
                code = code.fill_null(-1).to_numpy()
                ok |= (code >= 0) & pd.Index(number * len(codes) + code).isin(pairs)
            inside[hinted] &= ok
        return pd.Series(inside, index=found.index)

    def _bracketed_parts(self, queries: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
        """Candidates of each part of a bracketed name that has no exact match; a part that
        is only a qualifier such as (East) or (A) is not a name."""
        exact_ids = set(found.loc[found["stage"] <= STAGES["alias"], "query_id"])
        todo = queries[
            queries["name"].str.contains(r"\(.+\)", regex=True)
            & ~queries["query_id"].isin(exact_ids)
        ]
        if todo.empty:
            return found.head(0)
        parts = todo.assign(name=todo["name"].str.split(r"[()]")).explode("name")
        parts = parts.assign(name=parts["name"].str.strip())
        qualifier = parts["name"].str.fullmatch(
            r"(?i)(north|south|east|west|upper|lower|middle|[a-z]|\d+)?"
        )
        # A part names a place, not the whole text: never better than a close spelling.
        found = self.candidates(parts[~qualifier].reset_index(drop=True))
        return found.assign(
            method="fuzzy", stage=STAGES["fuzzy"], score=found["score"].clip(upper=PART_SCORE)
        )


def _reachable_lengths(length: int, cutoff: float) -> tuple[int, int]:
    """The shortest and longest text that a text of `length` characters may be `cutoff`
    alike to (`fuzz.ratio`), with a point of slack for rounding."""
    share = (100.0 - (cutoff - 1.0)) / 100.0
    low = int(np.ceil(length * (1 - share) / (1 + share) - 1e-9))
    high = int(np.floor(length * (1 + share) / (1 - share) + 1e-9))
    return low, high


def ratios(texts: pd.Series | np.ndarray, others: pd.Series | np.ndarray) -> np.ndarray:
    """`fuzz.ratio` of each pair of texts (the very same numbers), in one call."""
    return process.cpdist(list(texts), list(others), scorer=fuzz.ratio, dtype=np.float64)


def folded_key(names: pd.Series) -> pd.Series:
    """The romanisation-folded key the index uses (`romanised_key` with the name families)."""
    return romanised_key(names, families=True)


def _best_columns(scores: np.ndarray, count: int) -> np.ndarray:
    """The columns of the `count` highest scores of each row of a uint8 array, best first,
    ties in column order: a stable sort of each row by score, descending, cut to `count`.

    A row with `count` scores above `SUGGESTION_FLOOR` (most rows: a dozen names are that
    alike to almost any name) is ranked among those alone; only the others are sorted whole.
    """
    count = min(count, scores.shape[1])
    rows, cols = _nonzero_bytes((scores > SUGGESTION_FLOOR).view(np.uint8))
    value = scores[rows, cols]
    order = np.lexsort((cols, 255 - value, rows))
    rows, cols = rows[order], cols[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    enough = np.bincount(rows, minlength=len(scores)) >= count
    best = np.empty((len(scores), count), dtype=np.int64)
    best[enough] = cols[(rank < count) & enough[rows]].reshape(-1, count)
    # A stable sort of 100 - score (a radix sort on bytes) for the rest.
    best[~enough] = np.argsort(100 - scores[~enough], axis=1, kind="stable")[:, :count]
    return best


def _sets_by_key(keys: np.ndarray, pcodes: np.ndarray) -> dict[str, frozenset]:
    """The P-codes of each key, as sets."""
    sets: dict[str, set] = {}
    for key, pcode in zip(keys, pcodes, strict=True):
        sets.setdefault(key, set()).add(pcode)
    return {key: frozenset(codes) for key, codes in sets.items()}


def _grouped(values: pd.Series) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Each distinct value of `values`, and the rows holding each: those of value i are
    `rows[first[i]:first[i + 1]]`, in order (see `_matches`)."""
    codes, distinct = pd.factorize(values)
    rows = np.argsort(codes, kind="stable")
    return pd.Index(distinct), np.searchsorted(codes[rows], np.arange(len(distinct) + 1)), rows


def _matches(
    keys: pd.Series, grouped: tuple[pd.Index, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (position in `keys`, row of the grouped table) whose values are equal, in
    the order an inner merge gives them: by key, then row. Looked up in the table's index
    of distinct values, not hashed anew as a merge does."""
    distinct, first, rows = grouped
    value = distinct.get_indexer(keys)
    found = np.flatnonzero(value >= 0)
    start, count = first[value[found]], np.diff(first)[value[found]]
    at = np.repeat(found, count)
    within = np.arange(len(at)) - np.repeat(np.cumsum(count) - count, count)
    return at, rows[np.repeat(start, count) + within]


def _letter_sets(texts: np.ndarray) -> np.ndarray:
    """The characters of each text as a 64-bit set: character c sets bit ord(c) mod 64
    (characters sharing a bit only make two texts look more alike). Worked out in numpy,
    the texts of each length together."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    sets = np.zeros(len(texts), dtype=np.uint64)
    for length in np.unique(lengths[lengths > 0]):
        at = np.flatnonzero(lengths == length)
        codes = np.array(texts[at].tolist(), dtype=f"<U{length}").view(np.uint32)
        bits = np.left_shift(np.uint64(1), codes.reshape(len(at), length) % 64)
        sets[at] = np.bitwise_or.reduce(bits, axis=1)
    return sets


def _popcount(values: np.ndarray) -> np.ndarray:
    """The number of bits set in each uint64."""
    if hasattr(np, "bitwise_count"):  # numpy 2
        return np.bitwise_count(values)
    ones = np.unpackbits(values.view(np.uint8)).reshape(*values.shape, 64)
    return ones.sum(axis=-1, dtype=np.uint8)


def _nonzero_bytes(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.nonzero` of a C-ordered 2-D uint8 array that is mostly zeros, looked for eight
    cells at a time: scores below a cutoff are 0, and hits are few among millions."""
    flat = scores.reshape(-1)
    whole = len(flat) - len(flat) % 8
    words = np.flatnonzero(flat[:whole].view(np.uint64))
    cells = np.concatenate(
        [(words[:, None] * 8 + np.arange(8)).ravel(), np.arange(whole, len(flat))]
    )
    cells = cells[flat[cells] != 0]
    return np.divmod(cells, scores.shape[1])


def _stacked(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Scored pairs from several batches (tuples of order, choice and score arrays) as one
    tuple of arrays."""
    return tuple(
        np.concatenate([np.empty(0, dtype=dtype)] + [part[i] for part in parts])
        for i, dtype in enumerate((np.int64, np.int64, float))
    )


def _best_first(blocks: list[pd.DataFrame]) -> pd.DataFrame:
    """The candidates of `blocks` (P-code, exact, fuzzy and village matches, in that order),
    each query's best stage and score first, once per place and level."""
    found = pd.concat(blocks or [pd.DataFrame(columns=CANDIDATE_COLUMNS)], ignore_index=True)
    found = found.reindex(columns=CANDIDATE_COLUMNS)
    found["stage"] = found["method"].map(STAGES)
    found = found.sort_values(
        ["query_id", "stage", "score", "pcode", "village_pcode"],
        ascending=[True, True, False, True, True],
        na_position="first",
    )
    return found.drop_duplicates(["query_id", "pcode", "level"])


def _per_query(block: pd.DataFrame, spelling_of: np.ndarray, queries: pd.DataFrame) -> pd.DataFrame:
    """The rows of `block` (found per distinct spelling, `query_id` = spelling number) for
    each query in turn: a query's rows in the order its spelling's rows have in `block`."""
    if block.empty:
        return block
    numbers = block["query_id"].to_numpy(dtype=np.int64)
    order = np.argsort(numbers, kind="stable")
    counts = np.bincount(numbers, minlength=len(spelling_of) and spelling_of.max() + 1)
    starts = np.cumsum(counts) - counts
    per_query = counts[spelling_of]
    first = np.repeat(starts[spelling_of], per_query)
    offset = np.arange(per_query.sum()) - np.repeat(np.cumsum(per_query) - per_query, per_query)
    out = block.iloc[order[first + offset]].reset_index(drop=True)
    out["query_id"] = np.repeat(queries["query_id"].to_numpy(), per_query)
    return out
