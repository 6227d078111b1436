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
