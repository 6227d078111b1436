"""``--engine spark``: a local SparkSession reads the path file; credits equal DuckDB's."""

from __future__ import annotations

import json
import shutil
from io import StringIO

import pytest
from django.core.management import call_command

pytest.importorskip("pyspark", reason="pip install 'smarketing[spark]' to run Spark tests")

PATHS = (
    "path,total_conversions,total_conversion_value,total_null\n"
    "Paid Search > Email > Sales call,3,300,5\n"
    "Organic Search > Sales meeting,2,150,4\n"
    "Email,0,0,9\n"
    "Paid Search > Organic Search > Demo,1,80,2\n"
    "Sales call > Demo,1,50,1\n"
)


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs java")
@pytest.mark.parametrize("model", ["linear", "markov", "shapley", "w_shaped"])
def test_spark_engine_matches_duckdb(tmp_path, model):
    source = tmp_path / "paths.csv"
    source.write_text(PATHS)
    results = {}
    for engine in ("duckdb", "spark"):
        out = StringIO()
        call_command("attribution", "--model", model, "--input", str(source),
                     "--engine", engine, "--json", stdout=out)  # fmt: skip
        results[engine] = json.loads(out.getvalue())
    duck, spark = results["duckdb"], results["spark"]
    assert spark["total_conversions"] == duck["total_conversions"] == 7
    assert spark["total_value"] == duck["total_value"] == 580
    assert {c["key"]: pytest.approx(c["conversions"]) for c in spark["credits"]} == {
        c["key"]: c["conversions"] for c in duck["credits"]
    }


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs java")
def test_engine_runs_on_pyspark_tables(tmp_path):
    """Touch-level inputs read by Spark: the whole pipeline runs on ibis.pyspark."""
    import pandas as pd

    from smarketing.analytics.attribution import attribute, read_input

    tp = pd.DataFrame(
        {
            "journey_id": ["1", "1", "1", "2", "2", "3"],
            "channel": ["Ads", "Email", "Sales", "Organic", "Sales", "Direct"],
            "occurred_at": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-03",
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-01",
                ],
                utc=True,
            ),  # fmt: skip
        }
    )
    cv = pd.DataFrame(
        {
            "journey_id": ["1", "2", "1"],
            "kind": ["deal_won", "deal_won", "lead_created"],
            "value": [100.0, 50.0, 0.0],
            "occurred_at": pd.to_datetime(["2024-01-05", "2024-01-04", "2024-01-01"], utc=True),
        }
    )
    tp.to_parquet(tmp_path / "tp.parquet")
    cv.to_parquet(tmp_path / "cv.parquet")
    spark_tp = read_input(tmp_path / "tp.parquet", engine="spark")
    spark_cv = read_input(tmp_path / "cv.parquet", engine="spark")
    assert spark_tp._find_backend().name == "pyspark"
    for model in ("first_touch", "linear", "time_decay", "w_shaped", "markov", "shapley"):
        got = attribute(spark_tp, spark_cv, model=model, conversion_kind="deal_won")
        want = attribute(tp, cv, model=model, conversion_kind="deal_won")
        assert [
            (c.key, pytest.approx(c.conversions), pytest.approx(c.value)) for c in got.credits
        ] == [(c.key, c.conversions, c.value) for c in want.credits], model
