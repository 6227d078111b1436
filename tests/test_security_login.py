"""Login throttling (django-axes), 429 on bad API tokens, token rate limits, Argon2 hashing."""

import pytest
from django.contrib.auth.hashers import make_password

from smarketing.core.actions import do_create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(make_user):
    return make_user("sam", team="Sales")


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_account(client, sam, settings, url):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "sam", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post(url, {"username": "sam", "password": "wrong"}).status_code == 429
    # Locked: even the right password is refused until the cool-off ends.
    locked = client.post(url, {"username": "sam", "password": "pw-sam"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()


def test_the_lock_is_per_account_and_per_address(client, make_user, settings):
    make_user("ann")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": f"nobody{n}", "password": "x"})
    # Same IP, other account: the address is locked too.
    assert client.post("/login/", {"username": "ann", "password": "pw-ann"}).status_code == 429
    other_ip = client.post(
        "/login/", {"username": "ann", "password": "pw-ann"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 302


def test_a_good_login_resets_the_count(client, sam, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "sam", "password": "wrong"})
    assert client.post("/login/", {"username": "sam", "password": "pw-sam"}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "sam", "password": "wrong"})
    assert client.post("/login/", {"username": "sam", "password": "pw-sam"}).status_code == 302


def test_repeated_bad_api_tokens_get_429(client, sam, settings):
    _, good = do_create_token(user=sam, name="t", scopes=["read"])
    for n in range(settings.API_BAD_TOKEN_LIMIT):
        r = client.get("/api/contacts", HTTP_AUTHORIZATION=f"Bearer smk_guess{n}")
        assert r.status_code == 401
    r = client.get("/api/contacts", HTTP_AUTHORIZATION="Bearer smk_guess-again")
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    # While the address is blocked, no token works from it (a right guess gains nothing).
    assert client.get("/api/contacts", HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 429
    r = client.get("/api/contacts", HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="10.0.0.8")
    assert r.status_code == 200


def test_a_token_lacking_a_scope_is_not_counted_as_guessing(client, sam, settings):
    _, read_only = do_create_token(user=sam, name="t", scopes=["read"])
    for _ in range(settings.API_BAD_TOKEN_LIMIT + 2):
        r = client.post(
            "/api/ingest/events", data="[]", content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {read_only}",
        )  # fmt: skip
        assert r.status_code == 401


def test_token_rate_limits(client, sam, settings):
    settings.API_TOKEN_RATE_LIMIT = 3
    settings.API_INGEST_RATE_LIMIT = 2
    _, token = do_create_token(user=sam, name="t", scopes=["read", "ingest"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert [client.get("/api/contacts", **auth).status_code for _ in range(4)] == [200] * 3 + [429]
    body = '{"external_id": "x1", "kind": "email_open", "occurred_at": "2025-03-04T10:00:00Z", "email": "a@example.com"}'  # noqa: E501
    codes = [
        client.post("/api/ingest/events", data=body, content_type="application/json", **auth)
        .status_code for _ in range(3)
    ]  # fmt: skip
    assert codes == [200, 200, 429]


def test_passwords_are_hashed_with_argon2(settings):
    from smarketing.config import settings as configured

    assert configured.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS
    assert make_password("correct horse").startswith("argon2$argon2id$")
