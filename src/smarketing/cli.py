"""The ``smarketing`` command: one entry point for users and operators.

Every subcommand is a Django management command, so ``smarketing demo``, ``smarketing serve``,
``smarketing migrate``, ``smarketing createuser``, ``smarketing worker`` and any other
management command (``smarketing shell``, ``smarketing dbshell`` …) share one settings module.
``--database-url URL`` may be given to any subcommand and wins over ``DATABASE_URL``.
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


def main(argv: list[str] | None = None) -> None:
    """Run ``smarketing`` with ``argv`` (default: the process arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return
    argv = _pop_database_url(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.config.settings")
    from smarketing.config.env import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["smarketing", *argv])
    except ConfigError as exc:
        sys.exit(f"smarketing: configuration error: {exc}")


if __name__ == "__main__":
    main()
