"""The chart helper: figures encoded once, empty state, ids, units, Plotly served locally."""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys

import plotly.graph_objects as go
import pytest
from django.template.loader import render_to_string

from smarketing.web import charts


def _bars(ys):
    fig = go.Figure()
    fig.add_bar(x=["a", "b"], y=ys, name="n")
    return charts.style(fig, x_title="Key", y_title=charts.money("Revenue"))


def test_figure_is_a_dict_encoded_once_in_the_page():
    c = charts.chart(_bars([1, float("nan")]), name="Cost & ROI", title="Cost")
    assert isinstance(c["figure"], dict) and c["figure"]["data"][0]["y"] == [1, None]
    html = render_to_string("web/_chart.html", {"c": c})
    assert 'id="chart-cost-roi"' in html and 'data-figure="chart-cost-roi-data"' in html
    payload = html.split('id="chart-cost-roi-data" type="application/json">')[1]
    parsed = json.loads(payload.split("</script>")[0])
    assert isinstance(parsed, dict) and parsed["data"][0]["type"] == "bar"  # not a string
    assert "<script>" not in html  # no inline script: charts.js draws it


def test_no_data_point_gives_the_empty_state():
    for ys in ([], [None, None], [math.nan, math.nan]):
        c = charts.chart(_bars(ys) if ys else go.Figure(), name="x", title="X")
        assert c["figure"] is None
        html = render_to_string("web/_chart.html", {"c": c})
        assert "No data for these filters." in html and "data-figure" not in html
    assert charts.chart(None, name="x", title="X", empty="Set a goal")["empty"] == "Set a goal"


def test_axis_titles_carry_units_and_the_currency(settings):
    settings.SMARKETING_CURRENCY = "EUR"
    layout = charts.chart(_bars([3, 4]), name="r", title="R")["figure"]["layout"]
    assert layout["yaxis"]["title"]["text"] == "Revenue (EUR)"
    assert layout["xaxis"]["title"]["text"] == "Key"
    assert layout["colorway"] == charts.COLORS


def test_has_points_needs_a_pair_or_a_value():
    assert not charts.has_points(go.Figure(go.Bar(x=["a"], y=[None])))
    assert charts.has_points(go.Figure(go.Bar(x=["a"], y=[0])))
    assert charts.has_points(go.Figure(go.Pie(labels=["a"], values=[2])))


def test_bad_currency_setting_stops_with_a_message(tmp_path):
    env = {"SMARKETING_CURRENCY": "dollars", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env.update({k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "SMARKETING_DATA_DIR")})
    code = "import smarketing.config.settings"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "SMARKETING_CURRENCY='DOLLARS'" in r.stderr


@pytest.mark.parametrize(
    "url", ["/assets/plotly.js", "/reporting/plotly.js", "/sla/plotly.js", "/scoring/plotly.js"]
)
def test_plotly_served_from_the_package_cached_by_etag(client, url):
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/javascript")
    assert b"plotly" in r.content[:3000].lower() and "max-age=86400" in r["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304 and not again.content
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == r.content


def test_api_docs_use_ninja_s_bundled_swagger(client):
    html = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
