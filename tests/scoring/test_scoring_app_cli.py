"""``smarketing score …``: train on any CSV, backtest JSON, activate, rescore; clear errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args) -> str:
    out = io.StringIO()
    call_command("score", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def leads_csv(tmp_path, *, positive="1", negative="0", n=300):
    rng = np.random.default_rng(3)
    visits = rng.integers(0, 10, n)
    industry = rng.choice(["saas", "retail", "bank"], n)
    good = (visits + 3 * (industry == "saas") + rng.normal(0, 2, n)) > 7
    frame = pd.DataFrame(
        {
            "lead_id": range(n),
            "email": [f"p{i}@x.io" for i in range(n)],
            "visits": visits,
            "industry": industry,
            "outcome": np.where(good, positive, negative),
        }
    )
    path = tmp_path / "leads.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("positive,negative", [("1", "0"), ("yes", "no"), ("True", "false")])
def test_train_from_csv_prints_the_figures(tmp_path, positive, negative):
    path = leads_csv(tmp_path, positive=positive, negative=negative)
    data = json.loads(run("train", "--from-csv", str(path), "--target", "outcome", "--json"))
    assert 0.8 < data["auc"] <= 1 and data["lift_top_decile"] > 1.5
    assert {"auc", "lift_top_decile", "brier", "calibration"} <= set(data["baseline"])
    assert len(data["calibration"]["bins"]) >= 5 and "ece" in data["calibration"]
    assert data["features"]["numeric"] == ["visits"]
    assert data["features"]["dropped"] == {
        "lead_id": "identifier-like name",
        "email": "identifier-like name",
    }
    assert data["n_rows"] == 300 and data["note"]


def test_train_from_csv_text_output(tmp_path):
    text = run("train", "--from-csv", str(leads_csv(tmp_path)), "--target", "outcome")
    assert "AUC" in text and "baseline" in text


def test_train_from_csv_bad_input_is_a_clear_error(tmp_path):
    path = leads_csv(tmp_path)
    with pytest.raises(CommandError, match="no column 'won'; the columns are: lead_id") as caught:
        run("train", "--from-csv", str(path), "--target", "won", "--json")
    assert caught.value.returncode == 1
    with pytest.raises(CommandError, match="must hold 1/0, true/false or yes/no"):
        run("train", "--from-csv", str(path), "--target", "industry")
    with pytest.raises(CommandError, match="no such file"):
        run("train", "--from-csv", str(tmp_path / "nope.csv"), "--target", "outcome")
    with pytest.raises(CommandError, match="--target COLUMN is required"):
        run("train", "--from-csv", str(path))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="not a readable CSV"):
        run("train", "--from-csv", str(empty), "--target", "outcome")


@pytest.mark.django_db
def test_train_on_the_crm_without_outcomes_says_why():
    with pytest.raises(CommandError, match="no closed-loop outcomes yet"):
        run("train", "--json")


@pytest.fixture
def outcomes_world(scoring_world):
    """Stage history for the small world: Ann and Cy reach SQL, Bob is disqualified."""
    from smarketing.funnel.models import StageChange

    ann, bob, cy, dee, eve = scoring_world["people"]
    t0 = scoring_world["T0"]
    for contact, stage in ((ann, "sql"), (cy, "customer"), (bob, "disqualified")):
        StageChange.objects.create(contact=contact, to_stage=stage, changed_at=t0)
    return scoring_world


@pytest.mark.django_db
def test_backtest_json_has_both_definitions(outcomes_world, definition_text, tmp_path):
    from smarketing.scoring.actions import do_save_definition

    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(definition_text.replace("total: 60", "total: 45"))
    data = json.loads(run("backtest", str(candidate), "--since", "2025-01-01", "--json"))
    assert data["active"] is None and data["overlap"] is None
    do_save_definition(text=definition_text, activate=True, rescore=False)
    data = json.loads(run("backtest", str(candidate), "--since", "2025-01-01", "--json"))
    keys = {"n_mql", "n_sql", "n_won", "mql_to_sql_rate", "sql_to_won_rate", "mql_to_won_rate",
            "mqls_by_month", "n_already_mql", "n_sql_before_mql", "definition_version"}  # fmt: skip
    assert keys <= set(data["candidate"]) and keys <= set(data["active"])
    assert set(data["overlap"]) == {"both", "only_candidate", "only_active"}
    assert data["candidate"]["n_mql"] >= data["active"]["n_mql"] >= 1
    text = run("backtest", str(candidate), "--since", "2025-01-01")
    assert "MQL→SQL" in text and "active (" in text


@pytest.mark.django_db
def test_backtest_and_activate_bad_input(
    scoring_world, bad_definition_text, definition_text, tmp_path
):
    bad = tmp_path / "bad.yaml"
    bad.write_text(bad_definition_text)
    with pytest.raises(CommandError, match="2 error"):
        run("backtest", str(bad), "--since", "2025-01-01")
    with pytest.raises(CommandError, match="nothing changed"):
        run("activate", str(bad))
    good = tmp_path / "good.yaml"
    good.write_text(definition_text)
    with pytest.raises(CommandError, match="is not a date"):
        run("backtest", str(good), "--since", "last tuesday")
    with pytest.raises(CommandError, match="no such file"):
        run("activate", str(tmp_path / "missing.yaml"))
    with pytest.raises(CommandError, match="no active scoring definition"):
        run("rescore")


@pytest.mark.django_db
def test_activate_and_rescore(scoring_world, definition_text, tmp_path):
    from smarketing.scoring.models import LeadScore

    path = tmp_path / "def.yaml"
    path.write_text(definition_text)
    assert "OK: Test definition v2" in run("check", str(path))
    assert "rescored 5 contacts" in run("activate", str(path))
    assert LeadScore.objects.count() == 5
    summary = json.loads(run("rescore"))
    assert summary["contacts"] == 5
