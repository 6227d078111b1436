"""Mapping files (``--mapping FILE``): rename another export's columns onto our fields.

A mapping file is YAML (``.yaml``/``.yml``) or JSON (``.json``)::

    format: generic            # optional: the format whose fields the columns map to
    source_system: pipedrive   # optional: stored on every record (default: the format's)
    columns:                   # source header -> field ("ignore" drops the column)
      "E-mail address": email
      "Organisation": company_name
      "Lead created": created_at
      "Internal notes": ignore
    stages:                    # optional: extra lifecycle stage values -> our stage
      "Hot": sql
    deal_stages:               # optional: extra deal stage values -> our deal stage
      "Verbal yes": negotiation
    dayfirst: true             # optional: 03/04/2025 is 3 April
    decimal_comma: false       # optional: 1.234,50 is 1234.50

Field names are the keys of the format's column table (see ``docs/import.md``), plus
``stage_at:<stage>`` for a date column recording when the contact reached ``<stage>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smarketing.ingest.formats.errors import MappingFileError
from smarketing.ingest.formats.registry import get_format
from smarketing.ingest.formats.spec import IGNORE, Format, ParseOptions
from smarketing.ingest.formats.stages import DEAL_STAGES, LIFECYCLE_STAGES

__all__ = ["ColumnMapping", "load_mapping", "parse_mapping"]

_KEYS = {"format", "source_system", "columns", "stages", "deal_stages", "dayfirst", "decimal_comma"}


@dataclass(frozen=True)
class ColumnMapping:
    """A validated mapping file."""

    format: Format
    columns: Mapping[str, str]
    source_system: str | None = None
    stages: Mapping[str, str | None] = field(default_factory=dict)
    deal_stages: Mapping[str, str] = field(default_factory=dict)
    dayfirst: bool = False
    decimal_comma: bool = False

    def options(self, base: ParseOptions | None = None) -> ParseOptions:
        """Return parse options with this mapping's choices applied over ``base``."""
        base = base or ParseOptions()
        return ParseOptions(
            dayfirst=self.dayfirst or base.dayfirst,
            decimal_comma=self.decimal_comma or base.decimal_comma,
            stages={**base.stages, **self.stages},
            deal_stages={**base.deal_stages, **self.deal_stages},
            source_system=self.source_system or base.source_system,
            channel_rules=base.channel_rules,
            keep_properties=base.keep_properties,
        )


def _valid_field(fmt: Format, name: str) -> bool:
    if name in fmt.columns or name == IGNORE:
        return True
    prefix, _, stage = name.partition(":")
    if prefix == "stage_at" and fmt.lifecycle_stages is not None:
        return stage in LIFECYCLE_STAGES
    # Deal stage-date columns are read by the HubSpot deals format only.
    return prefix == "deal_stage_at" and fmt.name == "hubspot-deals" and bool(stage)


def parse_mapping(document: Any, *, format_name: str | None = None) -> ColumnMapping:
    """Validate a mapping document (already loaded from YAML/JSON).

    ``format_name`` (from ``--format``) is used when the document names no format; a
    document naming a different format than ``--format`` is an error.

    Examples
    --------
    >>> m = parse_mapping({"columns": {"E-mail": "email", "Firma": "company_name"}})
    >>> m.format.name, dict(m.columns)
    ('generic', {'E-mail': 'email', 'Firma': 'company_name'})
    >>> parse_mapping({"columns": {"E-mail": "mail"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    smarketing.ingest.formats.errors.MappingFileError: mapping: column 'E-mail' maps to unknown field 'mail'...
    """
    if not isinstance(document, Mapping):
        raise MappingFileError("mapping: the file must hold a mapping with a 'columns' table")
    unknown = set(document) - _KEYS
    if unknown:
        raise MappingFileError(
            f"mapping: unknown keys {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(_KEYS))})"
        )
    named = document.get("format")
    if named and format_name and format_name != "auto" and named != format_name:
        raise MappingFileError(f"mapping: the file is for format {named!r}, not {format_name!r}")
    fmt = get_format(named or (format_name if format_name not in (None, "auto") else "generic"))
    columns = document.get("columns", {})
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise MappingFileError("mapping: 'columns' must map source header text to a field name")
    for header, target in columns.items():
        if not _valid_field(fmt, target):
            raise MappingFileError(
                f"mapping: column {header!r} maps to unknown field {target!r}; fields of "
                f"{fmt.name}: {', '.join(fmt.fields())}"
                + (", stage_at:<stage>" if fmt.lifecycle_stages is not None else "")
            )
    stages = _stage_table(document.get("stages", {}), "stages", LIFECYCLE_STAGES, allow_none=True)
    deal_stages = _stage_table(document.get("deal_stages", {}), "deal_stages", DEAL_STAGES)
    flags = {}
    for flag in ("dayfirst", "decimal_comma"):
        value = document.get(flag, False)
        if not isinstance(value, bool):
            raise MappingFileError(f"mapping: {flag!r} must be true or false, got {value!r}")
        flags[flag] = value
    source_system = document.get("source_system")
    if source_system is not None and (not isinstance(source_system, str) or not source_system):
        raise MappingFileError("mapping: 'source_system' must be a short name such as 'pipedrive'")
    return ColumnMapping(
        format=fmt,
        columns=dict(columns),
        source_system=source_system,
        stages=stages,
        deal_stages=deal_stages,
        **flags,
    )


def _stage_table(
    table: Any, key: str, allowed: tuple[str, ...], *, allow_none: bool = False
) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise MappingFileError(f"mapping: {key!r} must map source values to stages")
    for source, target in table.items():
        if target is None and allow_none:
            continue
        if target not in allowed:
            raise MappingFileError(
                f"mapping: {key} value {source!r} maps to {target!r}; use one of "
                f"{', '.join(allowed)}"
            )
    return {str(k): v for k, v in table.items()}


def load_mapping(path: str | os.PathLike[str], *, format_name: str | None = None) -> ColumnMapping:
    """Read and validate a mapping file (YAML or JSON, chosen by the file extension)."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as exc:
        raise MappingFileError(f"mapping: cannot read {path}: {exc.strerror}") from None
    if path.lower().endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingFileError(f"mapping: {path} is not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise MappingFileError(f"mapping: {path} is not valid YAML: {exc}") from None
    return parse_mapping(document, format_name=format_name)
