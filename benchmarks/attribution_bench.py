"""Benchmark of the attribution engine, side by side with ChannelAttribution.

Generates the issue's data shape with DuckDB SQL (default 3.2M journeys, ~10M touches,
12 channels including sales touches, ~3% conversion), aggregates it to the path format
both engines read, and times every task in a fresh subprocess. Prints one line per task:
median wall seconds over ``--repeat`` runs, median CPU seconds of the process (all
threads; on a shared machine the wall time also holds the time spent waiting for a core),
the task process's peak RSS and its RSS once the input was read (MB, largest over the
runs) and the 1-minute load average when the task ran. Reading the input file is not
timed.

Peak memory is the child's ``VmHWM`` (``/proc/self/status``): the high-water mark of
its own address space, which starts afresh at ``exec``. Not ``ru_maxrss``: Linux
carries the parent's peak into the child at ``exec``, so every task would report at
least the parent's peak (the data generation's, ~1.2 GB).

    .venv/bin/python benchmarks/attribution_bench.py --journeys 3200000 --repeat 3
    .venv/bin/python benchmarks/attribution_bench.py --data-dir /tmp/attr  # keep the data
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHANNELS = [
    "Paid Search", "Organic Search", "Email", "Social", "Display", "Direct", "Webinar",
    "Content", "Sales Call", "Sales Email", "Meeting", "Demo",
]  # fmt: skip


def generate(out: Path, journeys: int, channels: int, seed: float = 0.42) -> dict:
    """Write touches.parquet and paths.parquet (path format) into ``out``."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SELECT setseed({seed})")
    names = CHANNELS if channels == 12 else [f"campaign {i}" for i in range(channels)]
    con.execute("CREATE TABLE ch AS SELECT * FROM unnest(?) WITH ORDINALITY AS t(name, idx)",
                [names])  # fmt: skip
    con.execute(f"""
        CREATE TABLE j AS SELECT i AS journey_id,
            least(1 + floor(-ln(random()) * 2.6)::INT, 30) AS n
        FROM range({journeys}) r(i)""")
    con.execute(f"""
        CREATE TABLE t AS SELECT journey_id, s AS seq,
            1 + floor(pow(random(), 1.7) * {len(names)})::INT AS idx
        FROM j, range(n) r(s)""")
    con.execute("""
        CREATE TABLE c AS SELECT journey_id, random() < 0.0098 * n AS conv,
            round(1000 + random() * 9000) AS value FROM j""")
    con.execute(f"""
        COPY (SELECT t.journey_id, TIMESTAMP '2024-01-01' + to_days(seq) AS occurred_at,
                     ch.name AS channel FROM t JOIN ch USING (idx))
        TO '{out / "touches.parquet"}' (FORMAT parquet)""")
    con.execute(f"""
        COPY (SELECT journey_id, 'deal_won' AS kind,
                     TIMESTAMP '2024-01-01' + to_days(j.n) AS occurred_at, value
              FROM c JOIN j USING (journey_id) WHERE conv)
        TO '{out / "conversions.parquet"}' (FORMAT parquet)""")
    con.execute(f"""
        COPY (WITH p AS (
                SELECT t.journey_id, string_agg(ch.name, ' > ' ORDER BY seq) AS path
                FROM t JOIN ch USING (idx) GROUP BY t.journey_id)
              SELECT path, sum(conv::INT) AS total_conversions,
                     sum(CASE WHEN conv THEN value ELSE 0 END) AS total_conversion_value,
                     sum(1 - conv::INT) AS total_null
              FROM p JOIN c USING (journey_id) GROUP BY path)
        TO '{out / "paths.parquet"}' (FORMAT parquet)""")
    stats = con.execute("""SELECT (SELECT count(*) FROM t), (SELECT avg(conv::INT) FROM c),
        (SELECT count(DISTINCT path) FROM read_parquet(?))""",
                        [str(out / "paths.parquet")]).fetchone()  # fmt: skip
    return {"touches": stats[0], "conversion_rate": stats[1], "distinct_paths": stats[2]}


def task(name: str, data: Path) -> None:
    """Run one task once; print seconds and peak RSS as JSON."""
    import pandas as pd

    from smarketing.analytics.attribution import attribute, attribute_paths, compare_paths

    paths = pd.read_parquet(data / "paths.parquet")
    base_mb = _status_mb("VmRSS")
    heur = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based",
            "w_shaped", "full_path"]  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    if name == "markov":
        attribute_paths(paths, model="markov")
    elif name == "markov_order2":
        attribute_paths(paths, model="markov", order=2)
    elif name == "heuristics":
        compare_paths(paths, models=heur)  # prepares the paths once, runs the 7 models
    elif name == "shapley":
        attribute_paths(paths, model="shapley")
    elif name == "bootstrap100":
        attribute_paths(paths, model="markov", intervals=True, n_boot=100)
    elif name == "touch_markov":
        import ibis

        con = ibis.duckdb.connect()
        tp = con.read_parquet(data / "touches.parquet")
        cv = con.read_parquet(data / "conversions.parquet")
        attribute(tp, cv, model="markov")
    elif name == "touch_linear":
        import ibis

        con = ibis.duckdb.connect()
        tp = con.read_parquet(data / "touches.parquet")
        cv = con.read_parquet(data / "conversions.parquet")
        attribute(tp, cv, model="linear")
    elif name.startswith("ca_"):
        import ChannelAttribution as ca

        with contextlib.redirect_stdout(io.StringIO()):
            if name == "ca_markov":
                ca.markov_model(paths, "path", "total_conversions", var_null="total_null",
                                var_value="total_conversion_value", sep=">", flg_pro=False)  # fmt: skip
            else:
                ca.heuristic_models(paths, "path", "total_conversions",
                                    var_value="total_conversion_value", sep=">", flg_pro=False)  # fmt: skip
    else:
        raise SystemExit(f"unknown task {name}")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": _status_mb("VmHWM"),
                      "base_mb": base_mb, "load": os.getloadavg()[0]}))  # fmt: skip


def _status_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(name: str, data: Path, repeat: int, timeout: float) -> str:
    runs = []
    for _ in range(repeat):
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--task", name, "--data", str(data)],
                capture_output=True, text=True, timeout=timeout, check=True,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return f"{name:<16} did not finish in {timeout:.0f} s"
        except subprocess.CalledProcessError as exc:
            return f"{name:<16} failed: {exc.stderr.strip().splitlines()[-1]}"
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    sec = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    mem = max(r["peak_mb"] for r in runs)
    base = max(r["base_mb"] for r in runs)
    load = statistics.mean(r["load"] for r in runs)
    return (f"{name:<16} median {sec:8.2f} s  cpu {cpu:7.2f} s  peak RSS {mem:7.0f} MB "
            f"(input read: {base:5.0f} MB)  load {load:4.1f}  (runs: {len(runs)})")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=int, default=3_200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--tasks", default="markov,ca_markov,heuristics,ca_heuristics,shapley,"
                    "bootstrap100,markov_order2,touch_linear,touch_markov,markov1000")  # fmt: skip
    ap.add_argument("--data-dir", type=Path, help="generate here once and reuse (not deleted)")
    ap.add_argument("--task")
    ap.add_argument("--data", type=Path)
    args = ap.parse_args()
    if args.task:
        task(args.task, args.data)
        return
    try:
        import ChannelAttribution  # noqa: F401

        has_ca = True
    except ImportError:
        has_ca = False
    with tempfile.TemporaryDirectory() as tmp:
        root = args.data_dir or Path(tmp)
        base, wide = root / "c12", root / "c1000"
        base.mkdir(parents=True, exist_ok=True)
        wide.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        info = _data(base, args.journeys, 12)
        print(f"data: {args.journeys:,} journeys, {info['touches']:,} touches, 12 channels, "
              f"conversion {info['conversion_rate']:.2%}, {info['distinct_paths']:,} distinct "
              f"paths (ready in {time.perf_counter() - t0:.1f} s); {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        for name in args.tasks.split(","):
            if name.startswith("ca_") and not has_ca:
                print(f"{name:<16} skipped: ChannelAttribution not installed")
                continue
            if name == "markov1000":
                info = _data(wide, args.journeys, 1000)
                print(f"1,000-channel data: {info['distinct_paths']:,} distinct paths")
                print(measure("markov", wide, args.repeat, args.timeout).replace(
                    "markov          ", "markov1000      "), flush=True)  # fmt: skip
                continue
            repeat = 1 if name in ("bootstrap100", "ca_markov") else args.repeat
            print(measure(name, base, repeat, args.timeout), flush=True)


def _data(out: Path, journeys: int, channels: int) -> dict:
    """Generate the data into ``out`` unless a previous run left it there."""
    info_file = out / "info.json"
    if info_file.exists():
        info = json.loads(info_file.read_text())
        if info.get("journeys") == journeys:
            return info
    info = {**generate(out, journeys, channels), "journeys": journeys}
    info_file.write_text(json.dumps(info))
    return info


if __name__ == "__main__":
    main()
