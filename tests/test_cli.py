"""``smarketing``: file-mode commands start without Django and print what the command prints."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command

from smarketing.cli import FILE_COMMANDS
from smarketing.planning.management.commands.plan import needs_database

SRC = Path(__file__).resolve().parents[1] / "src"
SLA = SRC / "smarketing" / "analytics" / "sla" / "default_sla.yaml"
SCORING = SRC / "smarketing" / "analytics" / "scoring" / "default_scoring.yaml"
PLAN = ["plan", "--revenue", "10000", "--deal-size", "1000", "--lead-to-customer", "0.02"]

#: Runs ``smarketing`` in a fresh interpreter, then prints what was loaded, as JSON.
PROBE = """
import json, sys
from smarketing.cli import main
try:
    main(sys.argv[1:])
finally:
    from django.apps import apps
    loaded = [m for m in ("ibis", "duckdb", "sklearn", "smarketing.config.settings")
              if m in sys.modules]
    print("PROBE" + json.dumps({"apps_ready": apps.ready, "loaded": loaded}))
"""


def _probe(
    tmp_path, *argv: str, env: dict | None = None
) -> tuple[subprocess.CompletedProcess, dict]:
    full_env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "SMARKETING_DATA_DIR": str(tmp_path / "data"),
        **(env or {}),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=full_env,
        timeout=300,
    )  # fmt: skip
    lines = proc.stdout.splitlines()
    probe = json.loads(next(x for x in lines if x.startswith("PROBE"))[5:])
    out = "\n".join(x for x in lines if not x.startswith("PROBE"))
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, proc.stderr), probe


@pytest.fixture
def paths_parquet(tmp_path) -> Path:
    f = tmp_path / "paths.parquet"
    pd.DataFrame(
        {
            "path": ["C1 > C2 > C3", "C1", "C2 > C3", "Direct > C1"],
            "total_conversions": [3, 0, 1, 2],
            "total_conversion_value": [30.0, 0.0, 5.0, 12.5],
            "total_null": [1, 4, 2, 0],
        }
    ).to_parquet(f)
    return f


def test_help_is_instant_usage(tmp_path):
    proc, probe = _probe(tmp_path, "--help")
    assert proc.returncode == 0 and "usage: smarketing COMMAND" in proc.stdout
    assert probe["loaded"] == [] and not probe["apps_ready"]


@pytest.mark.parametrize(
    "argv",
    [
        PLAN,
        [*PLAN, "--period", "2026-Q1", "--json"],
        ["plan", "--revenue", "25000", "--deal-size", "1000", "--rate", "lead_to_mql=0.3",
         "--rate", "mql_to_sql=0.4", "--rate", "sql_to_opportunity=0.5",
         "--rate", "opportunity_to_customer=0.3"],
        ["sla", "check", str(SLA)],
        ["score", "check", str(SCORING)],
    ],
)  # fmt: skip
def test_file_mode_runs_without_django_and_without_a_database(tmp_path, argv):
    """No settings module, no apps, no database: even a broken DATABASE_URL does not matter."""
    proc, probe = _probe(tmp_path, *argv, env={"DATABASE_URL": "nonsense://"})
    assert proc.returncode == 0, proc.stderr
    assert not probe["apps_ready"] and "smarketing.config.settings" not in probe["loaded"]
    assert "ibis" not in probe["loaded"]
    if argv[0] != "score":  # the scoring package loads scikit-learn with its definitions
        assert "sklearn" not in probe["loaded"]
    if argv[0] == "plan":
        assert ("500" in proc.stdout) or ("1400" in proc.stdout)


@pytest.mark.django_db
def test_plan_output_is_the_commands_output(tmp_path):
    """The same text and JSON as the management command run inside Django."""
    for extra in ([], ["--period", "2026-Q1", "--json"]):
        proc, _ = _probe(tmp_path, *PLAN, *extra)
        inside = io.StringIO()
        call_command(*PLAN, *extra, stdout=inside)
        assert proc.stdout.strip() == inside.getvalue().strip()


def test_attribution_path_file_without_django_or_ibis(tmp_path, paths_parquet):
    args = ["attribution", "--input", str(paths_parquet), "--model", "markov", "--json"]
    proc, probe = _probe(tmp_path, *args, env={"DATABASE_URL": "nonsense://"})
    assert proc.returncode == 0, proc.stderr
    assert not probe["apps_ready"]
    assert "ibis" not in probe["loaded"] and "duckdb" not in probe["loaded"]
    inside = io.StringIO()
    call_command(*args, stdout=inside)
    assert json.loads(proc.stdout) == json.loads(inside.getvalue())


@pytest.mark.parametrize("model", ["linear", "shapley"])
def test_attribution_text_and_csv_match_the_command(tmp_path, paths_parquet, model):
    csv = tmp_path / "paths.csv"
    pd.read_parquet(paths_parquet).to_csv(csv, index=False)
    for file in (paths_parquet, csv):
        args = ["attribution", "--input", str(file), "--model", model]
        proc, _ = _probe(tmp_path, *args)
        inside = io.StringIO()
        call_command(*args, stdout=inside)
        assert proc.returncode == 0 and proc.stdout.strip() == inside.getvalue().strip()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope"], "unknown model 'nope'"),
        (["--model", "linear", "--path-column", "p"], "missing column"),
        (["--model", "linear", "--separator", ""], "separator"),
        (["--model", "time_decay"], "time_decay"),
        (["--model", "markov", "--order", "9"], "order"),
        (["--model", "linear", "--since", "2026-01-01"], "--since applies to the app database"),
    ],
)
def test_attribution_bad_input_same_message_status_1(tmp_path, paths_parquet, args, message):
    proc, _ = _probe(tmp_path, "attribution", "--input", str(paths_parquet), *args)
    assert proc.returncode == 1 and message in proc.stderr
    assert proc.stderr.startswith("CommandError: ") and "Traceback" not in proc.stderr


def test_missing_file_and_bad_flag(tmp_path):
    proc, _ = _probe(tmp_path, "attribution", "--input", str(tmp_path / "no.parquet"), "--model",
                     "linear")  # fmt: skip
    assert proc.returncode == 1 and "does not exist" in proc.stderr
    proc, _ = _probe(tmp_path, "plan", "--revenue", "x", "--deal-size", "1")
    assert proc.returncode == 2 and "invalid revenue value" in proc.stderr


def test_needs_database():
    base = {"deal_size": 1000.0, "lead_to_customer": 0.02, "rate": []}
    assert not needs_database(base)
    assert needs_database({**base, "deal_size": None})
    assert needs_database({**base, "lead_to_customer": None})
    for flag in ("by", "save", "measure_from", "measure_to"):
        assert needs_database({**base, flag: "x"})
    four = [f"{n}=0.5" for n in ("lead_to_mql", "mql_to_sql", "sql_to_opportunity",
                                 "opportunity_to_customer")]  # fmt: skip
    assert not needs_database({**base, "lead_to_customer": None, "rate": four})
    assert needs_database({**base, "lead_to_customer": None, "rate": four[:3]})


def test_file_commands_skip_system_checks():
    import importlib

    for module in FILE_COMMANDS.values():
        assert importlib.import_module(module).Command.requires_system_checks == []
