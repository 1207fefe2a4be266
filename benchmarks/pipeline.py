"""Scale benchmark: the whole pipeline on 10k, 100k and 1M generated events.

    python benchmarks/pipeline.py [--sizes 10000 100000 1000000] [--seed 11] [--keep DIR]

Events are generated reproducibly from the real gazetteer: places at every level (mostly towns
and townships, also village tracts and wards), a share misspelt or qualified the way event
lists are, township and region hints, dates over 2021–2024, the usual optional columns. Each
size runs in its own process so its peak memory is its own. Stages are timed through the
pipeline's progress hook; charts and the text report are timed apart from the rest.

A baseline does the least a user could do by hand: read the same CSV with pandas, merge it on
an exact P-code with the places table, write the result. Our end-to-end time without charts is
reported as a ratio to it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from resolve_names import misspell

import impact
import impact.render
from impact import report as report_module

ACTORS = [
    "People's Defence Force",
    "Arakan Army",
    "TNLA",
    "MNDAA",
    "KIA",
    "Chin National Army",
    "Myanmar military",
    "KNLA",
    "Karenni Army",
    "PDF Mandalay",
]
CHANGES = [
    "captured",
    "seized",
    "took full control",
    "recaptured",
    "retaken",
    "handed over",
    "contested",
    "withdrew",
]
SOURCES = ["Myanmar Now", "The Irrawaddy", "Narinjara", "RFA Burmese", "DVB", "Mizzima"]


def generate(reference, n: int, seed: int) -> pd.DataFrame:
    """`n` realistic events; about 15% misspelt or qualified, 60% with a township hint."""
    rng = np.random.default_rng(seed)
    places = reference.places
    pool = pd.concat(
        [
            places[places["level"] == "town"].sample(400, random_state=seed),
            places[places["level"] == "township"].sample(250, random_state=seed),
            places[places["level"] == "village_tract"].sample(1500, random_state=seed),
            places[places["level"] == "ward"].sample(300, random_state=seed),
        ]
    )
    weights = np.where(pool["level"].isin(["town", "township"]), 4.0, 1.0)
    chosen = pool.iloc[rng.choice(len(pool), size=n, p=weights / weights.sum())]
    names = chosen["name"].to_numpy().astype(object)
    speller = random.Random(seed)
    messy = rng.random(n) < 0.15
    unique_messy = {name: misspell(name, speller) for name in set(names[messy])}
    names[messy] = [unique_messy[name] for name in names[messy]]
    township = chosen["township_pcode"].map(places["name"]).to_numpy().astype(object)
    township[rng.random(n) >= 0.6] = None
    region = chosen["state_region_pcode"].map(places["name"]).to_numpy().astype(object)
    region[rng.random(n) >= 0.3] = None
    days = rng.integers(0, 4 * 365, size=n)
    dates = (pd.Timestamp("2021-02-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    gaining = rng.integers(0, len(ACTORS), size=n)
    losing = (gaining + rng.integers(1, len(ACTORS), size=n)) % len(ACTORS)
    return pd.DataFrame(
        {
            "event_id": [f"BM-{i:07d}" for i in range(n)],
            "date": dates,
            "place": names,
            "township": township,
            "region": region,
            "change": np.array(CHANGES)[rng.integers(0, len(CHANGES), size=n)],
            "gaining_actor": np.array(ACTORS)[gaining],
            "losing_actor": np.array(ACTORS)[losing],
            "source": np.array(SOURCES)[rng.integers(0, len(SOURCES), size=n)],
            "notes": np.where(rng.random(n) < 0.3, "reported by local media", ""),
            "admin_pcode": chosen["pcode"].to_numpy(),
        }
    )


def baseline(events_csv: Path, places: pd.DataFrame, out: Path) -> float:
    """Read, merge on an exact P-code, write: what a user could do by hand."""
    started = time.perf_counter()
    events = pd.read_csv(events_csv, dtype=str)
    merged = events.merge(
        places.reset_index(drop=True), left_on="admin_pcode", right_on="pcode", how="left"
    )
    merged.to_csv(out, index=False)
    return time.perf_counter() - started


def measure(size: int, events_csv: Path, keep: Path | None) -> dict:
    """Time and memory of one size, in a process that did nothing else before."""
    reference = impact.load_reference()
    folder = events_csv.parent
    marks: list[tuple[str, float]] = []

    def mark(step: str) -> None:
        marks.append((step, time.perf_counter()))

    started = time.perf_counter()
    result = impact.run(events_csv, reference=reference, on_step=mark)
    mark("done")
    out = keep / f"report-{size}" if keep else folder / "report"
    # Tables alone (the end-to-end figure), then charts and the text report on their own.
    tables_started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    report_module._write_tables(result, out, hxl=False, facilities=False, step=lambda _: None)
    tables_done = time.perf_counter()
    report_module._write_charts(result, out)
    charts_done = time.perf_counter()
    (out / "report.md").write_text(impact.render.render_markdown(result))
    (out / "report.html").write_text(impact.render.render_html(result, out / "charts"))
    report_done = time.perf_counter()
    stages = {name: round(marks[i + 1][1] - when, 2) for i, (name, when) in enumerate(marks[:-1])}
    end_to_end = tables_done - started
    return {
        "events": size,
        "unique_places": int(result.audit.shape[0]),
        "used": len(result.impacts),
        "rejected": len(result.rejected),
        "stages_s": stages | {"write tables": round(tables_done - tables_started, 2)},
        "end_to_end_without_charts_s": round(end_to_end, 2),
        "charts_s": round(charts_done - tables_done, 2),
        "text_report_s": round(report_done - charts_done, 2),
        "baseline_s": None,
        "ratio_to_baseline": None,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="keep the reports in this folder")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        places = impact.load_reference().places
        print(
            json.dumps(
                {"baseline_s": baseline(args.events, places, args.events.with_name("baseline.csv"))}
            )
        )
        return
    if args.one:
        print(json.dumps(measure(args.one, args.events, args.keep)))
        return
    results = []
    for size in args.sizes:
        # Generate in this process, measure in a fresh one: its peak memory is the pipeline's.
        events_csv = Path(tempfile.mkdtemp(prefix=f"impact-bench-{size}-")) / "events.csv"
        generate(impact.load_reference(), size, args.seed).to_csv(events_csv, index=False)
        command = [sys.executable, __file__, "--one", str(size), "--events", str(events_csv)]
        if args.keep:
            command += ["--keep", str(args.keep)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        base = subprocess.run(
            [sys.executable, __file__, "--baseline", "--events", str(events_csv)],
            capture_output=True,
            text=True,
            check=True,
        )
        result["baseline_s"] = round(json.loads(base.stdout.strip())["baseline_s"], 2)
        result["ratio_to_baseline"] = round(
            result["end_to_end_without_charts_s"] / result["baseline_s"], 2
        )
        results.append(result)
        print(json.dumps(results[-1]), flush=True)
    if len(results) > 1:
        by_size = {r["events"]: r["end_to_end_without_charts_s"] for r in results}
        if 100_000 in by_size and 1_000_000 in by_size:
            print(f"1M / 100k time: {by_size[1_000_000] / by_size[100_000]:.1f}x")


if __name__ == "__main__":
    main()
