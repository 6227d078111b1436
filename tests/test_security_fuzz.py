"""schemathesis over the whole OpenAPI, as an admin and as a sales member: no 5xx.

Real HTTP: the CLI runs in a subprocess against pytest-django's live server. The number of
cases is bounded (``MAX_EXAMPLES`` per operation and phase, fixed seed) so the suite stays
fast; docs/security.md gives the figures of the longer run.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smarketing.core.actions import do_create_token
from smarketing.crm.models import Account, Contact, Deal

#: Cases per operation in each phase (examples, fuzzing): 41 operations → about 330 requests.
MAX_EXAMPLES = 8
SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")


def fuzz(base_url: str, token: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the schemathesis CLI with the server-error check only; returns the process."""
    return subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{base_url}/api/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            "examples,fuzzing",
            "--seed",
            "14",
            "--workers",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=cwd,  # schemathesis keeps its state in ./.schemathesis
        timeout=900,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["admin", "member"])
def test_openapi_fuzzing_finds_no_server_error(live_server, make_user, role, tmp_path):
    if not Path(SCHEMATHESIS).exists():
        pytest.skip("schemathesis is not installed (pip install 'smarketing[test]')")
    user = make_user(f"fuzz-{role}", team="Sales", role=role)
    account = Account.objects.create(name="Acme", domain="acme.example")
    contact = Contact.objects.create(email="ann@acme.example", account=account, owner=user)
    Deal.objects.create(name="Acme deal", account=account, primary_contact=contact, amount=1000)
    _, token = do_create_token(
        user=user, name="fuzz", scopes=["read", "write", "ingest"] + (["admin"] * (role == "admin"))
    )
    run = fuzz(live_server.url, token, tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Server error" not in run.stdout
