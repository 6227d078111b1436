"""Guards on the stack itself: the ibis/sqlglot pairing, the pure-analytics contract."""

import importlib.metadata as md

import ibis
import pandas as pd
from packaging.version import Version


def test_sqlglot_is_below_29_while_ibis_12_needs_it():
    # ibis 12 breaks with sqlglot 29+ (ARCHITECTURE.md); pyproject pins sqlglot<29.
    if Version(md.version("ibis-framework")).major == 12:
        assert Version(md.version("sqlglot")) < Version("29")


def test_ibis_compiles_and_runs_on_sqlite_and_duckdb():
    frame = pd.DataFrame({"channel": ["a", "b", "a"], "value": [1.0, 2.0, 3.0]})
    for backend in (ibis.duckdb.connect(), ibis.sqlite.connect()):
        table = backend.create_table("t", frame, overwrite=True)
        result = (
            table.group_by("channel")
            .aggregate(total=table.value.sum())
            .order_by("channel")
            .to_pandas()
        )
        assert result.to_dict("list") == {"channel": ["a", "b"], "total": [4.0, 2.0]}


def test_analytics_package_imports_no_django():
    import subprocess
    import sys

    code = (
        "import sys, importlib, pkgutil, smarketing.analytics as a\n"
        "for m in pkgutil.walk_packages(a.__path__, 'smarketing.analytics.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
