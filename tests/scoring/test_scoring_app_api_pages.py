"""The scoring API over real HTTP, and the scoring pages."""

from __future__ import annotations

import pytest
from tests.http import call


@pytest.mark.django_db(transaction=True)
def test_api_over_http(live_server, api_token, scoring_world, definition_text, bad_definition_text):
    user, token = api_token
    # Only admins put a definition in force and rescore (core.permissions).
    user.profile.role = "admin"
    user.profile.save()
    base = live_server.url + "/api/scoring"
    status, body, _ = call("GET", base + "/definitions/active", token=token)
    assert status == 404
    status, body, _ = call(
        "POST",
        base + "/definitions",
        token=token,
        body={"text": bad_definition_text, "activate": True},
    )
    assert status == 422, body
    assert any("line 4" in m for m in body["detail"]["text"]), body
    status, body, _ = call(
        "POST", base + "/definitions", token=token, body={"text": definition_text, "activate": True}
    )
    assert status == 201 and body["active"] and body["version"] == 2, body
    # Activation rescored everyone (huey runs inline in tests).
    ann = scoring_world["people"][0]
    status, body, _ = call("GET", f"{base}/scores/{ann.pk}", token=token)
    assert status == 200 and body["scored"] and body["hand_raiser"] and body["fit"] == 49
    assert body["priority_basis"] == "rule" and body["rules"][0]["name"]
    ids = ",".join(str(c.pk) for c in scoring_world["people"])
    status, body, _ = call("GET", f"{base}/scores?ids={ids}", token=token)
    assert status == 200 and [r["contact_id"] for r in body] == [
        c.pk for c in scoring_world["people"]
    ]
    assert call("GET", f"{base}/scores?ids=1,x", token=token)[0] == 422
    assert call("GET", f"{base}/scores/999999", token=token)[0] == 404
    status, body, _ = call(
        "POST",
        base + "/backtest",
        token=token,
        body={"text": definition_text, "since": "2025-01-01"},
    )
    assert status == 200 and {"candidate", "active", "overlap"} <= set(body)
    status, body, _ = call(
        "POST",
        base + "/backtest",
        token=token,
        body={"text": bad_definition_text, "since": "2025-01-01"},
    )
    assert status == 422
    status, body, _ = call("POST", base + "/backtest", token=token, body={"since": "2025-01-01"})
    assert status == 422
    status, body, _ = call("GET", base + "/definitions", token=token)
    assert status == 200 and len(body) == 1
    status, body, _ = call("POST", f"{base}/definitions/{body[0]['id']}/activate", token=token)
    assert status == 200 and body["active"]
    assert call("POST", base + "/rescore", token=token)[0] == 200
    assert call("GET", base + "/models", token=token)[:2] == (200, [])
    assert call("GET", base + "/drift-alerts", token=token)[:2] == (200, [])
    assert call("GET", base + "/definitions")[0] == 401


@pytest.mark.django_db
def test_pages(client, make_user, scoring_world, definition_text, bad_definition_text):
    from smarketing.scoring.actions import do_rescore_all, do_save_definition

    row = do_save_definition(text=definition_text, activate=True, rescore=False)
    do_rescore_all(as_of=scoring_world["T0"])
    make_user("boss", role="manager")
    client.login(username="boss", password="pw-boss")
    page = client.get("/scoring/").content.decode()
    assert "Fit rules" in page and "Test definition" in page and "Scores by lifecycle stage" in page
    page = client.get(f"/scoring/?backtest=1&candidate={row.pk}&since=2025-01-01").content.decode()
    assert 'id="backtest-table"' in page and "MQL → SQL" in page
    response = client.post("/scoring/edit/", {"text": bad_definition_text, "activate": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and "line 4" in page and "nothing was saved" in page
    response = client.post(
        "/scoring/edit/", {"text": definition_text.replace("version: 2", "version: 3")}
    )
    assert response.status_code == 302
    assert client.get("/scoring/model/").status_code == 200
    ann = scoring_world["people"][0]
    part = client.get(f"/scoring/leads/{ann.pk}/explanation").content.decode()
    assert "Hand-raiser" in part and "VP (+20)" in part
    assert client.get("/scoring/plotly.js")["Content-Type"] == "application/javascript"
