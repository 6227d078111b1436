"""Email and domain normalisation: internationalised addresses, one canonical form, reasons."""

from __future__ import annotations

import doctest

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

import smarketing.crm.normalize as normalize_module
from smarketing.crm.normalize import InvalidValue, normalize_domain, normalize_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # The addresses the issue found refused: valid (RFC 6531 local parts).
        ("ines.garcía238@globex.io", "ines.garcía238@globex.io"),
        ("zoë.rossi@hooli.xyz", "zoë.rossi@hooli.xyz"),
        ("Nadia.Müller@Soylent.NET", "nadia.müller@soylent.net"),
        # IDN domains: one canonical form (the A-label), whichever form was typed.
        ("rene@bäckerei.de", "rene@xn--bckerei-5wa.de"),
        ("RENE@BÄCKEREI.DE", "rene@xn--bckerei-5wa.de"),
        ("rene@xn--bckerei-5wa.de", "rene@xn--bckerei-5wa.de"),
        ("josé@例え.jp", "josé@xn--r8jz45g.jp"),
        # NFC: a decomposed ë (e + combining diaeresis) is the same person as a composed one.
        ("zoe\u0308@x.io", "zo\u00eb@x.io"),
        ("MAILTO: Ann@Acme.com", "ann@acme.com"),
        ("a@a.com", "a@a.com"),
        ("qa@x.test", "qa@x.test"),  # RFC 2606 test domains are allowed (tests, sandboxes)
    ],
)
def test_international_addresses_are_accepted_in_one_form(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not-an-email", "must have an @-sign"),
        ("oz@@initrode.com", "invalid characters: '@'"),
        ("a..b@x.io", "two periods in a row"),
        ("ann@localhost", "should have a period"),
        ("ann@printer.local", "special-use or reserved name"),
        ("a b@x.io", "invalid character"),
        ("ann@-acme.com", "cannot have a hyphen"),
    ],
)
def test_invalid_addresses_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidValue) as exc:
        normalize_email(raw)
    message = str(exc.value)
    assert message.startswith(f"invalid email address {raw!r}: ")
    assert reason in message


def _library(email: str) -> str | None:
    try:
        checked = validate_email(
            email, check_deliverability=False, allow_smtputf8=True, test_environment=True
        )
    except EmailNotValidError:
        return None
    return f"{checked.local_part.lower()}@{checked.ascii_domain}"


def _full_check(email: str) -> str | None:
    try:
        return normalize_email(email)
    except InvalidValue:
        return None


ascii_piece = st.text(alphabet="abcz09.-_+'@xn", min_size=0, max_size=12)


@settings(max_examples=3000, deadline=None)
@given(st.builds(lambda a, b, c: f"{a}@{b}.{c}", ascii_piece, ascii_piece, ascii_piece))
def test_the_ascii_fast_path_agrees_with_the_library(email):
    """The pattern that skips the library never accepts (or changes) what the library refuses."""
    assert _full_check(email) == _library(email.lower())


@pytest.mark.parametrize(
    "email",
    [
        "ab--cd@x.io",
        "ann@ab--cd.io",
        "ann@xn--bckerei-5wa.de",
        "ann@xn--zz.de",
        "ann@x.onion",
        "ann@x.arpa",
        "ann@" + "a" * 64 + ".io",
        "a@" + ("b" * 60 + ".") * 4 + "io",
        "ann@x.123",
        "ann@x.c0m",
    ],
)
def test_fast_path_edge_cases_agree_with_the_library(email):
    assert _full_check(email) == _library(email)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Straße.de/", "xn--strae-oqa.de"),  # IDNA 2008 keeps ß (IDNA 2003 made it ss)
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("münchen.de", "xn--mnchen-3ya.de"),
    ],
)
def test_domains_use_the_same_idna_rules_as_emails(raw, expected):
    assert normalize_domain(raw) == expected
    assert normalize_email(f"info@{raw.split('//')[-1].strip('/')}") == f"info@{expected}"


def test_docstring_examples_hold():
    result = doctest.testmod(normalize_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
