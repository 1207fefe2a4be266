"""Speed benchmark: the whole `impact report` process against what a user could do by hand.

    python benchmarks/pipeline.py [--sizes 8 10000 100000 1000000] [--repeat 3] [--seed 11]

For each size, `impact report EVENTS --out DIR --quiet` runs as its own process (imports,
charts, workbook, HTML and manifest included), timed from start to exit with its peak memory
and its CPU time, that of the processes it forks included (`os.wait4`, in a small launcher
process: see `LAUNCHER`); the median of `--repeat` runs is reported. The package cache
(`impact.package_cache`) is in a folder of the benchmark's own, emptied before each size: the
first run reads the package's files and keeps its tables, the others read them back, as an
analyst's second and later runs do; that first run's time is reported apart (`cold_s`).
In the same run a baseline does the least a user could do by hand: read the same CSV with
pandas, merge it on an exact P-code with `places.csv`, write the result. For the 8 bundled seed
events the baseline is importing pandas, matplotlib and pandera. A stage breakdown (read,
resolve, estimate, roll-up, tables, workbook, charts, report, manifest) comes from the
pipeline's own progress hook, in a separate process.

impact's modules are byte-compiled before the first run, as installing the package leaves them.

Size 8 means the bundled seeds; other sizes are generated reproducibly from the real gazetteer:
places at every level, about 15% misspelt or qualified, township and region hints, dates over
2021–2024, the usual optional columns.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from resolve_names import misspell

import impact
from impact.cli import _reuse_freed_memory, _without_hypothesis
from impact.pipeline import default_events_path
from impact.reference import load_reference
from impact.report import EarlyCharts

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
IMPORTS = "import pandas, matplotlib, pandera.pandas"


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


# Starts the timed command and reports its wall time, peak memory, CPU time and exit code. A
# process's peak (`ru_maxrss`) starts from the peak of the process it was forked from, so the
# command is started from this small process, not from the benchmark, which holds a million
# generated events (its 1.7 GB stood as the floor of every million-event figure before).
LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
elapsed = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
print(elapsed, usage.ru_maxrss, cpu, os.waitstatus_to_exitcode(status))
"""


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall time (s), peak memory (MB) and CPU time (s, user and system) of one process, from
    start to exit. The CPU time includes the processes it forked and waited for (the charts'
    and the helpers'): on two cores a run cannot take much less than half of it."""
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True
    )
    elapsed, peak_kb, cpu, code = launched.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {launched.stderr[-2000:]}")
    return float(elapsed), int(peak_kb) / 1024, float(cpu)


def baseline_command(events_csv: Path | None) -> list[str]:
    """The least a user could do by hand, as its own process."""
    if events_csv is None:
        return [sys.executable, "-c", IMPORTS]
    places = impact.reference.default_reference_path() / "places.csv"
    code = (
        "import pandas as pd, sys;"
        "e = pd.read_csv(sys.argv[1], dtype=str);"
        "p = pd.read_csv(sys.argv[2], dtype=str);"
        "e.merge(p, left_on='admin_pcode', right_on='pcode', how='left')"
        ".to_csv(sys.argv[3], index=False)"
    )
    return [sys.executable, "-c", code, str(events_csv), str(places), os.devnull]


def stages(events_csv: Path, out: Path) -> dict[str, float]:
    """Seconds per step of `run` and `write_report`, from their progress hooks, called as the
    command calls them (pandera's checks loaded without hypothesis, freed memory kept for
    reuse, the chart process started before the run)."""
    marks: list[tuple[str, float]] = [("start", time.perf_counter())]

    def mark(step: str) -> None:
        marks.append((step, time.perf_counter()))

    _without_hypothesis()
    _reuse_freed_memory()
    mark("loading reference data")
    reference = load_reference()
    with EarlyCharts(reference) as charts:
        result = impact.run(events_csv, reference=reference, on_step=mark)
        impact.write_report(result, out, on_step=mark, charts=charts)
    mark("done")
    seconds: dict[str, float] = {}
    for (name, when), (_, after) in pairwise(marks):
        seconds[name] = seconds.get(name, 0.0) + after - when
    return {name: round(value, 2) for name, value in seconds.items()}


def measure(size: int, events_csv: Path, repeat: int) -> dict:
    """Median whole-process time and memory of impact and of the baseline, and the stages."""
    folder = Path(tempfile.mkdtemp(prefix=f"impact-bench-{size}-"))
    os.environ["IMPACT_CACHE_DIR"] = str(folder / "cache")
    runs, base = [], []
    for i in range(repeat):
        command = [sys.executable, "-m", "impact", "report", str(events_csv)]
        runs.append(timed([*command, "--out", str(folder / f"r{i}"), "--quiet"]))
        base.append(timed(baseline_command(None if size == 8 else events_csv)))
    breakdown = subprocess.run(
        [sys.executable, __file__, "--stages", str(events_csv), str(folder / "stages")],
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(folder)  # a million events write ~1 GB of reports per run
    seconds = statistics.median(t for t, _, _ in runs)
    base_seconds = statistics.median(t for t, _, _ in base)
    return {
        "events": size,
        "impact_s": round(seconds, 2),
        "cold_s": round(runs[0][0], 2),
        "baseline_s": round(base_seconds, 2),
        "ratio": round(seconds / base_seconds, 2),
        "cpu_s": round(statistics.median(c for _, _, c in runs), 2),
        "baseline_cpu_s": round(statistics.median(c for _, _, c in base), 2),
        "peak_mb": round(max(m for _, m, _ in runs)),
        "baseline_peak_mb": round(max(m for _, m, _ in base)),
        "stages_s": json.loads(breakdown.stdout.strip().splitlines()[-1]),
    }


def events_file(size: int, seed: int) -> Path:
    if size == 8:
        return default_events_path()
    path = Path(tempfile.mkdtemp(prefix=f"impact-events-{size}-")) / "events.csv"
    generate(impact.load_reference(), size, seed).to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--stages", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(stages(*args.stages)))
        return
    print(
        f"# {date.today()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores"
    )
    # Byte-compiled first, as `pip install` leaves the package: where PYTHONDONTWRITEBYTECODE
    # is set (this development machine), every run would otherwise compile impact's modules.
    compileall.compile_dir(Path(impact.__file__).parent, quiet=1)
    for size in args.sizes:
        repeat = args.repeat if size < 1_000_000 else max(1, args.repeat // 2)
        events = events_file(size, args.seed)
        print(json.dumps(measure(size, events, repeat)), flush=True)
        if size != 8:
            shutil.rmtree(events.parent)


if __name__ == "__main__":
    main()
