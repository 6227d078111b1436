"""The ``smarketing`` command: one entry point for users and operators.

Every subcommand is a Django management command, so ``smarketing demo``, ``smarketing serve``,
``smarketing migrate``, ``smarketing createuser``, ``smarketing worker`` and any other
management command (``smarketing shell``, ``smarketing dbshell`` …) share one settings module.
``--database-url URL`` may be given to any subcommand and wins over ``DATABASE_URL``.

File-mode analytics start at once: ``attribution --input FILE``, ``plan`` with every input
given, ``score check`` / ``score train --from-csv`` and ``sla check`` read no database, so they
run without starting Django (no settings module, no apps, no system checks): the same command
class parses the same flags and prints the same output, on Django's stand-alone settings. A
path file in Parquet is read with pyarrow directly (no DuckDB connection for it).
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: smarketing COMMAND [options]

Common commands:
  demo [--size small|medium|large] [--seed N] [--no-serve] [--port P] [--database-url URL]
                      create a demo company and serve it on http://127.0.0.1:8000
  serve [--host H] [--port P]   serve the web app with a production WSGI server (waitress)
  worker              run the background task worker (huey)
  migrate             create or upgrade the database
  createuser          create a user (with team and role)
  createtoken         create an API token for a user

Any Django management command works too; `smarketing help` lists them all.
"""

#: Commands with a file mode, and their management command modules.
FILE_COMMANDS = {
    "attribution": "smarketing.attribution.management.commands.attribution",
    "plan": "smarketing.planning.management.commands.plan",
    "score": "smarketing.scoring.management.commands.score",
    "sla": "smarketing.sla.management.commands.sla",
}
#: ``attribution --input`` options whose validation lives with the app's query parser: given a
#: value, the command runs through Django (same messages), not through the fast path.
_ATTRIBUTION_DB_OPTIONS = (
    "conversion", "since", "until", "lookback_days", "half_life_days", "order", "weights",
    "n_boot",
)  # fmt: skip


def _pop_database_url(argv: list[str]) -> list[str]:
    """Remove ``--database-url URL`` / ``--database-url=URL`` from argv into the environment."""
    out: list[str] = []
    it = iter(range(len(argv)))
    skip = False
    for i in it:
        if skip:
            skip = False
            continue
        arg = argv[i]
        if arg == "--database-url":
            if i + 1 >= len(argv):
                sys.exit("smarketing: --database-url needs a value")
            os.environ["DATABASE_URL"] = argv[i + 1]
            skip = True
        elif arg.startswith("--database-url="):
            os.environ["DATABASE_URL"] = arg.split("=", 1)[1]
        else:
            out.append(arg)
    return out


def _file_mode(opts: dict, name: str, module) -> str | None:
    """How a command line runs without Django: ``"command"``, ``"paths"`` or ``None`` (it
    needs the database, or validation that lives there)."""
    if name == "plan":
        return None if module.needs_database(opts) else "command"
    if name == "sla":
        return "command" if opts["action"] == "check" else None
    if name == "score":
        return "command" if opts["action"] == "check" or opts.get("csv") else None
    if not opts["input"] or opts["compare"] or opts["account_level"] or not opts["model"]:
        return None
    if opts["engine"] != "duckdb" or opts["intervals"] or opts["by"] != "channel":
        return None
    if any(opts[k] is not None for k in _ATTRIBUTION_DB_OPTIONS):
        return None
    from smarketing.analytics.attribution import AttributionError, normalize_model

    try:
        model = normalize_model(opts["model"])
    except AttributionError:
        return None
    return None if model == "custom" else "paths"


def _read_parquet(path: str, columns: list[str]):
    """A Parquet path file as a DataFrame of ``columns`` (Arrow-backed strings), read with
    pyarrow; ``None`` when it is not one (the engine's reader then reads it, or says why)."""
    if not path.lower().endswith((".parquet", ".pq")) or not os.path.isfile(path):
        return None
    import pyarrow.parquet as pq

    try:
        if not set(columns) <= set(pq.read_schema(path).names):
            return None
        table = pq.read_table(path, columns=list(dict.fromkeys(columns)))
    except Exception:  # noqa: BLE001 - not Parquet after all: read_input says why
        return None
    import pandas as pd
    import pyarrow as pa

    def strings(dtype):
        text = pa.types.is_string(dtype) or pa.types.is_large_string(dtype)
        return pd.StringDtype("pyarrow") if text else None

    return table.to_pandas(types_mapper=strings)


def _attribute_file(command, opts: dict) -> None:
    """``attribution --input FILE --model M``: what the command's ``_from_file`` does for these
    options, with the same messages (``CommandError: ...``, status 1)."""
    import json

    from smarketing.analytics.attribution import AttributionError, attribute_paths, read_input
    from smarketing.attribution.management.commands.attribution import _optional_column

    def fail(message: str):
        command.stderr.write(f"CommandError: {message}")
        sys.exit(1)

    columns = {
        "path_column": opts["path_column"],
        "conversions_column": opts["conversions_column"],
        "value_column": _optional_column(opts["value_column"]),
        "nulls_column": _optional_column(opts["nulls_column"]),
        "separator": opts["separator"],
    }
    wanted = [c for k, c in columns.items() if k != "separator" and c]
    try:
        paths = _read_parquet(opts["input"], wanted)
        if paths is None:
            try:
                paths = read_input(opts["input"], engine="duckdb")
            except AttributionError:
                raise
            except Exception as exc:  # noqa: BLE001 - a file the engine cannot parse
                fail(f"could not read {opts['input']!r}: {exc}")
        result = attribute_paths(paths, model=opts["model"], by=opts["by"], **columns)
    except AttributionError as exc:
        fail(str(exc))
    if opts["json"]:
        command.stdout.write(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        command._print_result(result)


def run_without_django(argv: list[str]) -> bool:
    """Run a file-mode command line without starting Django; ``False`` when it needs Django."""
    module_name = FILE_COMMANDS.get(argv[0])
    if module_name is None or any(a in ("-h", "--help", "--version") for a in argv[1:]):
        return False
    import importlib

    from django.conf import settings
    from django.core.management.base import CommandError

    module = importlib.import_module(module_name)
    command = module.Command()
    parser = command.create_parser("smarketing", argv[0])
    try:
        opts = vars(parser.parse_args(argv[1:]))
    except CommandError:
        return False  # the usual path prints argparse's message and exits with status 2
    how = _file_mode(opts, argv[0], module)
    if how is None:
        return False
    if how == "paths":
        _attribute_file(command, opts)
        return True
    if not settings.configured:
        settings.configure()  # stand-alone: no settings module, no database, no apps
    command.run_from_argv(["smarketing", *argv])
    return True


def main(argv: list[str] | None = None) -> None:
    """Run ``smarketing`` with ``argv`` (default: the process arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return
    argv = _pop_database_url(argv)
    if run_without_django(argv):
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    from smarketing.config.env import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["smarketing", *argv])
    except ConfigError as exc:
        sys.exit(f"smarketing: configuration error: {exc}")


if __name__ == "__main__":
    main()
