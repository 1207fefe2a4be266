"""Score `impact extract` on the test corpus and time it on 1,000 reports.

    python benchmarks/extract.py [--corpus DIR ...] [--speed 1000]

Three corpora: the development set (`tests/data/extract`, the rules were tuned on it) and two
held-out sets (`tests/data/extract_holdout`, `tests/data/extract_holdout2`, each keyed before the
extractor first read it; the first-run figures are in their READMEs). Each report
is read on its own and its draft rows are matched to the answer key
(`answer_key.csv`, written from the text alone) by place and change. Prints precision and
recall for place, change, actor and date, the false events on the negative reports (those
that mention a town without any change of control), and the time to read N reports built from
the corpus.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impact.extract import Extractor, extract_events
from impact.names import romanised_key

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "extract"
HOLDOUT = CORPUS.with_name("extract_holdout")
HOLDOUT_2 = CORPUS.with_name("extract_holdout2")


@dataclass
class Counts:
    """True positives and the two denominators of one measure."""

    right: int = 0
    predicted: int = 0
    found: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        return self.right / self.predicted if self.predicted else float("nan")

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else float("nan")


def extract_corpus(corpus: Path = CORPUS, extractor: Extractor | None = None) -> pd.DataFrame:
    """Draft rows of every report of the corpus, each report read on its own."""
    extractor = extractor or Extractor()
    frames = []
    for path in sorted((corpus / "articles").glob("*.txt")):
        rows = extract_events(path.read_text(encoding="utf-8"), reference=extractor)
        frames.append(rows.assign(article=path.stem))
    return pd.concat(frames, ignore_index=True)


def score(predicted: pd.DataFrame, corpus: Path = CORPUS) -> dict:
    """Precision and recall per measure, and false events on negative reports."""
    key = pd.read_csv(corpus / "answer_key.csv", dtype="string")
    articles = sorted(p.stem for p in (corpus / "articles").glob("*.txt"))
    measures = {name: Counts() for name in ("place", "change", "actor", "date")}
    false_events = {"negative_confident": 0, "negative_review": 0, "positive_unmatched": 0}
    for article in articles:
        rows = predicted[predicted["article"] == article]
        truth = key[key["article"] == article]
        _score_article(rows, truth, measures, false_events, negative=article.startswith("n"))
    return {"measures": measures, "false_events": false_events}


def _score_article(rows, truth, measures, false_events, negative: bool) -> None:
    """Precision counts draft rows that match a key row (optional rows too); recall counts key
    events that some draft row matches."""
    events = truth[truth["status"] == "event"]
    for name in ("place", "change"):
        measures[name].expected += len(events)
        measures[name].predicted += len(rows)
    details: dict[int, object] = {}
    place_found: set[int] = set()
    for row in rows.itertuples(index=False):
        same_place = [i for i in truth.index if _same_place(row, truth.loc[i])]
        full = [i for i in same_place if truth.loc[i, "change"] == row.change]
        measures["place"].right += int(bool(same_place))
        measures["change"].right += int(bool(full))
        place_found.update(i for i in same_place if truth.loc[i, "status"] == "event")
        for i in full:
            if truth.loc[i, "status"] == "event" and i not in details:
                details[i] = row
        if not full and negative:
            false_events["negative_review" if row.needs_review else "negative_confident"] += 1
        elif not full and not row.needs_review:
            false_events["positive_unmatched"] += 1
    measures["place"].found += len(place_found)
    measures["change"].found += len(details)
    for index, event in events.iterrows():
        row = details.get(index)
        _score_details(row, event, measures)


def _same_place(row, truth) -> bool:
    if pd.notna(truth["pcode"]) and pd.notna(row.pcode) and truth["pcode"] == row.pcode:
        return True
    keys = romanised_key(pd.Series([str(row.place), str(truth["place"])]))
    return bool(keys[0]) and keys[0] == keys[1]


def _score_details(row, truth, measures) -> None:
    if pd.notna(truth["gaining_actor"]):
        measures["actor"].expected += 1
        if row is not None and pd.notna(row.gaining_actor):
            measures["actor"].predicted += 1
            agree = _actors_agree(row.gaining_actor, truth["gaining_actor"])
            measures["actor"].right += int(agree)
            measures["actor"].found += int(agree)
    if pd.notna(truth["date"]):
        measures["date"].expected += 1
        if row is not None and pd.notna(row.date):
            measures["date"].predicted += 1
            agree = str(row.date)[: len(truth["date"])] == truth["date"]
            measures["date"].right += int(agree)
            measures["date"].found += int(agree)


def _actors_agree(predicted: str, expected: str) -> bool:
    """Any expected actor among the predicted ones (canonical names, or their initials)."""
    found = {_fold(p) for p in str(predicted).split("; ")}
    for name in str(expected).split("; "):
        if _fold(name) in found or any(_fold(name) in f or f in _fold(name) for f in found if f):
            return True
        initials = "".join(w[0] for w in re.findall(r"[A-Z][\w']*", name) if w[0].isupper())
        if len(initials) >= 2 and any(
            re.search(rf"\b{initials}\b", p) for p in str(predicted).split("; ")
        ):
            return True
    return False


def _fold(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("defense", "defence"))


def table(result: dict) -> str:
    """The measures as a Markdown table."""
    lines = [
        "| measure | precision | recall | right | predicted | found | expected |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, counts in result["measures"].items():
        lines.append(
            f"| {name} | {counts.precision:.0%} | {counts.recall:.0%} | {counts.right} | "
            f"{counts.predicted} | {counts.found} | {counts.expected} |"
        )
    return "\n".join(lines)


def speed(extractor: Extractor, corpus: Path, reports: int) -> float:
    """Seconds to read `reports` reports built by cycling through the corpus."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((corpus / "articles").glob("*.txt"))]
    start = time.perf_counter()
    for number in range(reports):
        extract_events(texts[number % len(texts)], reference=extractor)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+", default=[CORPUS, HOLDOUT, HOLDOUT_2])
    parser.add_argument("--speed", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    extractor = Extractor()
    built = time.perf_counter() - started
    for corpus in args.corpus:
        result = score(extract_corpus(corpus, extractor), corpus)
        articles = list((corpus / "articles").glob("*.txt"))
        negatives = sum(p.stem.startswith("n") for p in articles)
        changes = len(articles) - negatives
        counts = f"{changes} with changes, {negatives} negative"
        print(f"\n{corpus.name}: {len(articles)} reports ({counts})")
        print(table(result))
        print("false events:", result["false_events"])
    if args.speed:
        seconds = speed(extractor, args.corpus[0], args.speed)
        print(
            f"\nspeed: {args.speed} reports in {seconds:.1f} s (+ {built:.1f} s to build the index)"
        )


if __name__ == "__main__":
    main()
