"""The Examples sections of the parsing layer's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "smarketing.ingest.channels",
    "smarketing.ingest.formats.importer",
    "smarketing.ingest.formats.mapping",
    "smarketing.ingest.formats.normalize",
    "smarketing.ingest.formats.reader",
    "smarketing.ingest.formats.registry",
    "smarketing.ingest.formats.spec",
    "smarketing.ingest.formats.stages",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
