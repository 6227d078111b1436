"""Benchmark of the attribution engine on Apache Spark: ~100M touchpoints.

Generates the shape of ``attribution_bench.py`` (12 channels including sales touches,
~3.1 touches per journey, ~3% conversion) at scale: ``--journeys`` (default 32M, i.e.
~100M touches) written as Parquet in chunks of ``--chunk`` journeys, each chunk its own
DuckDB query with a memory limit, so generation needs bounded memory whatever the size.
Then runs the engine on a local SparkSession (``local[2]`` by default) reading those
files: every task prints its wall time, the CPU seconds of the Spark JVM and of Python
(the machine is shared: CPU seconds / cores is what the task would take with the cores
to itself), the 1-minute load average, and checks that the credits sum to the totals
(the generated conversion count and value).

    .venv/bin/python benchmarks/attribution_spark_bench.py --data-dir /tmp/attrspark
    .venv/bin/python benchmarks/attribution_spark_bench.py --journeys 320000 --tasks linear
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attribution_bench import CHANNELS  # noqa: E402  (benchmarks/ is not a package)


def generate(out: Path, journeys: int, chunk: int, seed: float = 0.42) -> dict:
    """Write touches/ and conversions/ (Parquet parts) into ``out``; return the totals."""
    import duckdb

    for sub in ("touches", "conversions"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET memory_limit = '2GB'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("CREATE TABLE ch AS SELECT * FROM unnest(?) WITH ORDINALITY AS t(name, idx)",
                [CHANNELS])  # fmt: skip
    touches = conversions = 0
    value = 0.0
    parts = math.ceil(journeys / chunk)
    for part in range(parts):
        start, stop = part * chunk, min(journeys, (part + 1) * chunk)
        # one seed per chunk: the same data whatever the chunk sizes run before it
        con.execute(f"SELECT setseed({(seed + part / parts) % 1})")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE j AS SELECT i AS journey_id,
                least(1 + floor(-ln(random()) * 2.6)::INT, 30) AS n,
                random() AS u, round(1000 + random() * 9000) AS value
            FROM range({start}, {stop}) r(i)""")
        con.execute(f"""
            COPY (SELECT journey_id, TIMESTAMP '2024-01-01' + to_days(s) AS occurred_at,
                         ch.name AS channel
                  FROM (SELECT journey_id, s,
                               1 + floor(pow(random(), 1.7) * {len(CHANNELS)})::INT AS idx
                        FROM j, range(n) r(s)) t JOIN ch USING (idx))
            TO '{out / "touches" / f"part-{part:04d}.parquet"}'
            (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
        con.execute(f"""
            COPY (SELECT journey_id, 'deal_won' AS kind,
                         TIMESTAMP '2024-01-01' + to_days(n) AS occurred_at, value
                  FROM j WHERE u < 0.0098 * n)
            TO '{out / "conversions" / f"part-{part:04d}.parquet"}' (FORMAT parquet)""")
        t, c, v = con.execute(f"""
            SELECT (SELECT sum(n) FROM j), count(*), coalesce(sum(value), 0)
            FROM read_parquet('{out / "conversions" / f"part-{part:04d}.parquet"}')""").fetchone()
        touches, conversions, value = touches + int(t), conversions + int(c), value + float(v)
        print(f"  part {part + 1}/{parts}: {stop:,} journeys, {touches:,} touches", flush=True)
    size = sum(f.stat().st_size for f in out.rglob("*.parquet"))
    return {"journeys": journeys, "touches": touches, "conversions": conversions,
            "value": value, "parquet_bytes": size}  # fmt: skip


def spark_session(cores: int, driver_memory: str, local_dir: Path):
    """A local SparkSession tuned for one machine (UI off, UTC, spill into ``local_dir``)."""
    from pyspark.sql import SparkSession

    local_dir.mkdir(parents=True, exist_ok=True)
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("smarketing-attribution-bench")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(local_dir))
        .config("spark.sql.warehouse.dir", str(local_dir / "warehouse"))
        .config("spark.sql.shuffle.partitions", str(max(8, 16 * cores)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def jvm_cpu_seconds(session) -> float:
    """CPU seconds (user + system, all threads) of the local Spark JVM so far."""
    pid = session.sparkContext._gateway.proc.pid
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_task(name: str, tp, cv, info: dict, session) -> dict:
    """Run one model on the Spark tables; check that the credits sum to the totals."""
    from smarketing.analytics.attribution import attribute

    model, _, order = name.partition("_order")
    t0, c0, j0 = time.perf_counter(), time.process_time(), jvm_cpu_seconds(session)
    result = attribute(tp, cv, model=model, order=int(order or 1))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    jvm = jvm_cpu_seconds(session) - j0
    credited_c = sum(c.conversions for c in result.credits)
    credited_v = sum(c.value for c in result.credits)
    ok = (
        math.isclose(result.total_conversions, info["conversions"], rel_tol=1e-9)
        and math.isclose(result.total_value, info["value"], rel_tol=1e-9)
        and math.isclose(credited_c, info["conversions"], rel_tol=1e-9)
        and math.isclose(credited_v, info["value"], rel_tol=1e-9)
    )
    top = [(c.key, round(c.share, 4)) for c in result.credits[:3]]
    return {"task": name, "seconds": seconds, "spark_cpu": jvm, "python_cpu": cpu,
            "load": os.getloadavg()[0],
            "total_conversions": result.total_conversions, "credited_conversions": credited_c,
            "total_value": result.total_value, "credited_value": credited_v,
            "sums_ok": ok, "top3": top}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=int, default=32_000_000)
    ap.add_argument("--chunk", type=int, default=2_000_000)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/attrspark"))
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--tasks", default="linear,markov,shapley")
    args = ap.parse_args()

    info_file = args.data_dir / "info.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    if info.get("journeys") != args.journeys:
        t0 = time.perf_counter()
        info = generate(args.data_dir, args.journeys, args.chunk)
        info_file.write_text(json.dumps(info))
        print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"data: {info['journeys']:,} journeys, {info['touches']:,} touches, 12 channels, "
          f"{info['conversions']:,} conversions ({info['conversions'] / info['journeys']:.2%}), "
          f"Parquet {info['parquet_bytes'] / 1e9:.2f} GB; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    if args.generate_only:
        return

    import ibis

    t0 = time.perf_counter()
    session = spark_session(args.cores, args.driver_memory, args.data_dir / "spark-local")
    session.sparkContext.setLogLevel("ERROR")
    con = ibis.pyspark.connect(session)
    tp = con.read_parquet(str(args.data_dir / "touches"))
    cv = con.read_parquet(str(args.data_dir / "conversions"))
    print(f"spark local[{args.cores}], driver memory {args.driver_memory}: session and "
          f"tables ready in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
    try:
        for name in args.tasks.split(","):
            out = run_task(name, tp, cv, info, session)
            print(json.dumps(out), flush=True)
    finally:
        session.stop()


if __name__ == "__main__":
    main()
