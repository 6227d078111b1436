"""``smarketing attribution``: the --json contract, path files, the app DB, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

# The classic three-path example (S. Bryl, analyzecore.com, 2016): C1 > C2 > C3 converts,
# C1 and C2 > C3 do not. P(conversion) = 1/3; removal effects C1 0.5, C2 1, C3 1, so the
# shares are 0.2 / 0.4 / 0.4.
THREE_PATHS = (
    "path,total_conversions,total_conversion_value,total_null\n"
    "C1 > C2 > C3,1,10,0\n"
    "C1,0,0,1\n"
    "C2 > C3,0,0,1\n"
)


def run(*args) -> str:
    out = StringIO()
    call_command("attribution", *args, stdout=out)
    return out.getvalue()


def run_json(*args) -> dict:
    return json.loads(run(*args, "--json"))


@pytest.fixture
def three_paths(tmp_path) -> Path:
    path = tmp_path / "paths.csv"
    path.write_text(THREE_PATHS)
    return path


def test_json_contract_markov_on_path_csv(three_paths):
    got = run_json("--model", "markov", "--input", str(three_paths))
    assert set(got) == {"model", "by", "total_conversions", "total_value", "credits"}
    assert got["model"] == "markov" and got["by"] == "channel"
    assert got["total_conversions"] == 1 and got["total_value"] == 10
    shares = {c["key"]: round(c["share"], 12) for c in got["credits"]}
    assert shares == {"C1": 0.2, "C2": 0.4, "C3": 0.4}
    assert [c["key"] for c in got["credits"]][-1] == "C1"
    assert all(set(c) == {"key", "conversions", "value", "share"} for c in got["credits"])
    values = {c["key"]: round(c["value"], 9) for c in got["credits"]}
    assert values == {"C1": 2, "C2": 4, "C3": 4}


def test_heuristics_on_path_csv(three_paths):
    first = run_json("--model", "first_touch", "--input", str(three_paths))
    assert {c["key"]: c["conversions"] for c in first["credits"]}["C1"] == 1
    linear = run_json("--model", "linear", "--input", str(three_paths))
    assert {c["key"]: round(c["conversions"], 12) for c in linear["credits"]} == {
        "C1": round(1 / 3, 12),
        "C2": round(1 / 3, 12),
        "C3": round(1 / 3, 12),
    }


def test_custom_columns_separator_and_parquet(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"p": ["A|B", "B"], "conv": [2, 1], "val": [20.0, 5.0], "lost": [0, 3]})
    csv_file, pq_file = tmp_path / "x.csv", tmp_path / "x.parquet"
    df.to_csv(csv_file, index=False)
    df.to_parquet(pq_file)
    args = ["--model", "last_touch", "--path-column", "p", "--conversions-column", "conv",
            "--value-column", "val", "--nulls-column", "lost", "--separator", "|"]  # fmt: skip
    for f in (csv_file, pq_file):
        got = run_json(*args, "--input", str(f))
        credited = {c["key"]: (c["conversions"], c["value"]) for c in got["credits"]}
        assert credited == {"A": (0, 0), "B": (3, 25)}
    no_value = run_json("--model", "linear", "--input", str(csv_file), "--path-column", "p",
                        "--conversions-column", "conv", "--value-column", "",
                        "--nulls-column", "", "--separator", "|")  # fmt: skip
    assert no_value["total_value"] == 0 and no_value["total_conversions"] == 3


def test_intervals_and_compare_on_path_csv(three_paths):
    got = run_json("--model", "shapley", "--input", str(three_paths), "--intervals")
    assert got["intervals"]["confidence"] == 0.9
    assert {i["key"] for i in got["intervals"]["keys"]} == {"C1", "C2", "C3"}
    cmp = run_json("--compare", "--input", str(three_paths))
    assert "markov" in cmp["models"] and cmp["rows"]


def test_readable_table_without_json(three_paths):
    text = run("--model", "markov", "--input", str(three_paths))
    assert "C2" in text and "40.0%" in text and "{" not in text


def test_json_on_app_db_matches_hand_numbers(journeys):
    got = run_json("--model", "linear", "--by", "team", "--conversion", "opportunity")
    assert got["model"] == "linear" and got["by"] == "team"
    assert got["total_conversions"] == 2 and got["total_value"] == 1200
    split = {c["key"]: (round(c["conversions"], 9), round(c["value"], 6)) for c in got["credits"]}
    assert split == {"marketing": (round(7 / 6, 9), 750), "sales": (round(5 / 6, 9), 450)}
    acct = run_json("--model", "first_touch", "--conversion", "opportunity", "--account-level")
    assert [(c["key"], c["conversions"]) for c in acct["credits"] if c["conversions"]] == [
        ("Paid Search", 2)
    ]
    period = run_json("--model", "linear", "--conversion", "opportunity",
                      "--since", "2025-03-08", "--until", "2025-03-31")  # fmt: skip
    assert period["total_conversions"] == 1
    campaign = run_json("--model", "linear", "--by", "campaign", "--conversion", "won")
    row = next(c for c in campaign["credits"] if c["key"] == "Search Q1")
    assert row["cost"] == 600 and row["roi"] == pytest.approx(-0.5)
    cmp = run_json("--compare", "--conversion", "opportunity")
    assert len(cmp["models"]) == 10
    assert "Organic Search" in run("--model", "markov", "--conversion", "opportunity")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope"], "unknown model 'nope'"),
        (["--model", "linear", "--by", "planet"], "unknown level 'planet'"),
        (["--model", "linear", "--conversion", "sale"], "unknown conversion 'sale'"),
        (["--by", "channel"], "--model is required"),
        (["--model", "custom", "--weights", "first=0.5,middle=0.1,last=0.1"], "sum"),
        (["--model", "custom", "--weights", "first=x"], "weights"),
        (["--model", "linear", "--weights", "first=1"], "only used by model custom"),
        (["--model", "markov", "--order", "9"], "order"),
        (["--model", "linear", "--lookback-days", "0"], "lookback_days"),
        (["--model", "linear", "--since", "2030-01-01"], "no conversions"),
        (["--model", "linear", "--engine", "spark"], "--engine applies to --input"),
    ],
)
def test_bad_input_on_app_db(journeys, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--path-column", "route"], "missing column"),
        (["--conversions-column", "sales"], "missing column"),
        (["--engine", "flink"], "engine must be duckdb or spark"),
        (["--conversion", "won"], "--conversion applies to the app database"),
        (["--account-level"], "--account-level applies"),
        (["--model", "time_decay"], "time_decay"),
    ],
)
def test_bad_input_on_path_file(three_paths, args, message):
    base = ["--model", "linear", "--input", str(three_paths)]
    with pytest.raises(CommandError, match=message):
        run(*base, *args)


def test_bad_path_rows_and_missing_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("path,total_conversions,total_conversion_value,total_null\nA > > B,1,1,0\n")
    with pytest.raises(CommandError, match="empty step"):
        run("--model", "linear", "--input", str(bad))
    neg = tmp_path / "neg.csv"
    neg.write_text("path,total_conversions,total_conversion_value,total_null\nA,-1,1,0\n")
    with pytest.raises(CommandError, match="negative"):
        run("--model", "linear", "--input", str(neg))
    with pytest.raises(CommandError, match="does not exist"):
        run("--model", "linear", "--input", str(tmp_path / "missing.csv"))
    text = tmp_path / "paths.txt"
    text.write_text(THREE_PATHS)
    with pytest.raises(CommandError, match=r"\.csv or \.parquet"):
        run("--model", "linear", "--input", str(text))


def test_real_process_exit_code_and_no_traceback(three_paths, tmp_path):
    """The installed ``smarketing`` command: JSON on stdout; bad input = status 1, one line."""
    exe = Path(sys.executable).with_name("smarketing")
    env = {**os.environ, "SMARKETING_DATA_DIR": str(tmp_path)}
    ok = subprocess.run(
        [exe, "attribution", "--model", "markov", "--input", str(three_paths), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["credits"][0]["share"] == pytest.approx(0.4)
    bad = subprocess.run(
        [exe, "attribution", "--model", "nope", "--input", str(three_paths), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "unknown model 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr and bad.stdout == ""
