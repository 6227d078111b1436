"""Every model gives the same credits on a local Spark session as on DuckDB (slow)."""

from __future__ import annotations

import ibis
import pytest
from attribution_data import generated
from test_attribution_backends import OPTIONS, assert_same

from smarketing.analytics.attribution import MODELS, attribute, attribute_paths

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("smarketing-attribution-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.warehouse.dir", str(warehouse))
            .getOrCreate()
        )
    except Exception as exc:  # noqa: BLE001 - no java: nothing to test here
        pytest.skip(f"no local Spark: {exc}")
    yield ibis.pyspark.connect(session)
    session.stop()


def run_all(con, tp, cv):
    t = con.create_table("att_tp", tp, overwrite=True)
    c = con.create_table("att_cv", cv, overwrite=True)
    out = {}
    for model in MODELS:
        out[(model, "channel")] = attribute(
            t, c, model=model, conversion_kind="deal_won", **OPTIONS.get(model, {})
        )
    out[("markov2", "channel")] = attribute(t, c, model="markov", order=2)
    return out


def test_spark_matches_duckdb(spark):
    tp, cv = generated(seed=21, journeys=80)
    assert_same(run_all(ibis.duckdb.connect(), tp, cv), run_all(spark, tp, cv))


def test_spark_path_table(spark):
    import pandas as pd

    df = pd.DataFrame({"path": ["C1 > C2 > C3", "C1", "C2 > C3"], "total_conversions": [1, 0, 0],
                       "total_conversion_value": [1.0, 0, 0], "total_null": [0, 1, 1]})  # fmt: skip
    r = attribute_paths(spark.create_table("att_paths", df, overwrite=True), model="markov")
    assert {c.key: c.share for c in r.credits} == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
