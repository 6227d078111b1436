"""The machinery every export format is built from.

A :class:`Format` names its fields and the header spellings each one answers to (labels
and internal names), the header sets that identify it (for ``format="auto"``) and a
``build`` function turning one row into records. :meth:`Format.bind` resolves the header
row once into a :class:`BoundFormat`; :class:`Cells` then reads, parses and validates one
row's cells, collecting every problem as a :class:`~.records.RowError` instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from smarketing.ingest.channels import DEFAULT_RULES, ChannelRules, channel_for_source_value
from smarketing.ingest.formats.errors import MappingFileError, MissingColumnError
from smarketing.ingest.formats.normalize import (
    InvalidValue,
    normalize_domain,
    normalize_email,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
)
from smarketing.ingest.formats.reader import EXTRA_FIELDS
from smarketing.ingest.formats.records import Record, RowError, RowResult
from smarketing.ingest.formats.sfid import salesforce_id
from smarketing.ingest.formats.stages import DealStageMap, StageMap

__all__ = ["BoundFormat", "Cells", "Format", "ParseOptions", "header_key"]

_SEPARATORS = re.compile(r"[\s_\-]+")
IGNORE = "ignore"


def header_key(name: str) -> str:
    """Return the matching key of a header: lower case, ``_``/``-``/spaces collapsed to one space.

    Examples
    --------
    >>> header_key("Original Source Drill-Down 1"), header_key("hs_object_id")
    ('original source drill down 1', 'hs object id')
    """
    return _SEPARATORS.sub(" ", name.strip().lower()).strip()


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Choices that change how cells are read (mostly set by a mapping file).

    Attributes
    ----------
    dayfirst
        Read ``03/04/2025`` as 3 April.
    decimal_comma
        Read ``1.234,50`` as 1234.50.
    stages, deal_stages
        Extra source values → smarketing lifecycle / deal stage.
    source_system
        Overrides the format's ``source_system`` (a mapping file for a CRM we do not know).
    channel_rules
        The channel grouping rules used for source/medium columns.
    keep_properties
        Keep unmapped non-blank cells in each record's ``properties``.
    """

    dayfirst: bool = False
    decimal_comma: bool = False
    stages: Mapping[str, str | None] = field(default_factory=dict)
    deal_stages: Mapping[str, str] = field(default_factory=dict)
    source_system: str | None = None
    channel_rules: ChannelRules = DEFAULT_RULES
    keep_properties: bool = True


class Cells:
    """One row's cells by field name, parsed on demand; problems collect in :attr:`errors`."""

    __slots__ = ("bound", "errors", "row", "row_number")

    def __init__(self, bound: BoundFormat, row_number: int, row: Mapping[str, str]) -> None:
        self.bound = bound
        self.row_number = row_number
        self.row = row
        self.errors: list[RowError] = []

    @property
    def options(self) -> ParseOptions:
        return self.bound.options

    @property
    def source_system(self) -> str:
        return self.bound.source_system

    def has(self, name: str) -> bool:
        """Return whether the file has a column for field ``name``."""
        return name in self.bound.headers

    def raw(self, name: str) -> str | None:
        """The untouched cell of field ``name`` (``None`` when the file has no such column)."""
        header = self.bound.headers.get(name)
        return None if header is None else self.row.get(header)

    def fail(self, name: str | None, value: str | None, reason: str) -> None:
        """Record an error on field ``name`` (``None``: the row as a whole)."""
        column = self.bound.headers.get(name, name) if name else None
        self.errors.append(RowError(self.row_number, column, value, reason))

    def text(self, name: str) -> str | None:
        """The trimmed text of a field, ``None`` when absent or blank."""
        header = self.bound.headers.get(name)
        if header is None:
            return None
        value = self.row.get(header)
        return (value.strip() or None) if value else None

    def sf_id(self, name: str) -> str | None:
        """A Salesforce id in its 18-character form; ``None`` for blank or all-zero placeholders."""
        return salesforce_id(self.text(name))

    def _parse(self, name: str, parse: Callable[[str], Any]) -> Any:
        value = self.raw(name)
        if value is None or not value.strip():
            return None
        try:
            return parse(value)
        except InvalidValue as exc:
            self.fail(name, value, str(exc))
            return None

    def email(self, name: str = "email") -> str | None:
        """The normalised email; a bad one is recorded as an error and gives ``None``."""
        return self._parse(name, normalize_email)

    def domain(self, name: str) -> str | None:
        """The normalised domain of a website or domain cell."""
        return self._parse(name, normalize_domain)

    def datetime(self, name: str) -> datetime | None:
        """An aware UTC datetime (see :func:`~.normalize.parse_datetime`)."""
        value = self.raw(name)
        if not value or value.isspace():
            return None
        try:
            return parse_datetime(value, dayfirst=self.bound.options.dayfirst)
        except InvalidValue as exc:
            self.fail(name, value, str(exc))
            return None

    def date(self, name: str) -> date | None:
        """A calendar date (close dates)."""
        dayfirst = self.options.dayfirst
        return self._parse(name, lambda v: parse_date(v, dayfirst=dayfirst))

    def amount(self, name: str) -> Decimal | None:
        """A non-negative :class:`~decimal.Decimal`."""
        comma = self.options.decimal_comma
        return self._parse(name, lambda v: parse_decimal(v, decimal_comma=comma))

    def boolean(self, name: str) -> bool | None:
        """A checkbox value."""
        return self._parse(name, parse_bool)

    def integer(self, name: str) -> int | None:
        """A non-negative whole number."""
        return self._parse(name, parse_int)

    def signed_integer(self, name: str) -> int | None:
        """A whole number that may be negative (scores)."""
        return self._parse(name, lambda v: parse_int(v, allow_negative=True))

    def stage(self, name: str, stage_map: StageMap) -> tuple[str | None, str | None]:
        """Return ``(smarketing stage, source value)``; an unknown value is an error."""
        value = self.text(name)
        if value is None:
            return None, None
        try:
            return stage_map.lookup(value), value
        except InvalidValue as exc:
            table = "deal_stages" if isinstance(stage_map, DealStageMap) else "stages"
            self.fail(name, self.raw(name), f"{exc}; add it to the mapping file's {table}")
            return None, value

    def extra_fields(self) -> None:
        """Report a row that has more cells than the header has columns."""
        surplus = self.row.get(EXTRA_FIELDS)
        if surplus is not None:
            self.fail(
                None,
                surplus,
                f"the row has more cells than the header has columns "
                f"({len(self.bound.layout_headers)}); an unquoted delimiter?",
            )

    def properties(self) -> dict[str, str]:
        """Non-blank cells of the columns no field took (custom properties)."""
        if not self.options.keep_properties:
            return {}
        row = self.row
        return {h: row[h].strip() for h in self.bound.unmapped if row.get(h, "").strip()}


Builder = Callable[[Cells], list[Record]]


@dataclass(frozen=True)
class Format:
    """An export format: its fields, header spellings, identifying header sets and builder.

    Attributes
    ----------
    name
        The ``--format`` name, e.g. ``"hubspot-contacts"``.
    source_system
        Stored on every record (``"hubspot"`` ...).
    object_type
        What a row is: ``"contact"``, ``"deal"`` or ``"stage_event"``.
    columns
        Field name → accepted header spellings (matched by :func:`header_key`).
    signatures
        Header sets; the format is a candidate for ``auto`` when one set is all present.
    build
        Turns the :class:`Cells` of a row into records.
    dynamic_columns
        Optional: maps a header the columns table does not list to a field name
        (``"Became a Lead Date"`` → ``"stage_at:lead"``), or ``None``.
    """

    name: str
    source_system: str
    object_type: str
    columns: Mapping[str, tuple[str, ...]]
    signatures: tuple[frozenset[str], ...]
    build: Builder
    dynamic_columns: Callable[[str], str | None] | None = None
    lifecycle_stages: Mapping[str, str | None] | None = None
    deal_stages: Mapping[str, str] | None = None
    description: str = ""
    #: Header keys that prove a file is another object's export (a company export's
    #: "Company owner" for HubSpot contacts): with one present the format is no candidate.
    excludes: frozenset[str] = frozenset()
    #: Fields every row needs: a file without a column for one is refused as a whole.
    required: tuple[str, ...] = ()

    @cached_property
    def _index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, spellings in self.columns.items():
            for spelling in spellings:
                index.setdefault(header_key(spelling), name)
        return index

    def field_for_header(self, header: str) -> str | None:
        """Return the field a header feeds, or ``None`` if this format does not know it."""
        found = self._index.get(header_key(header))
        if found is None and self.dynamic_columns is not None:
            found = self.dynamic_columns(header)
        return found

    def fields(self) -> tuple[str, ...]:
        """The field names a mapping file may target for this format."""
        return (*self.columns, IGNORE)

    def recognised(self, headers: Iterable[str]) -> list[str]:
        """The headers this format understands."""
        return [h for h in headers if self.field_for_header(h) is not None]

    def matches_signature(self, headers: Iterable[str]) -> bool:
        keys = {header_key(h) for h in headers}
        if self.excludes & keys:
            return False
        return any(signature <= keys for signature in self.signatures)

    def bind(
        self,
        headers: Iterable[str],
        *,
        mapping: Mapping[str, str] | None = None,
        options: ParseOptions | None = None,
    ) -> BoundFormat:
        """Resolve a header row into field → header, once per file.

        ``mapping`` (source header → field) wins over the built-in spellings; the target
        ``"ignore"`` drops a column. The first header feeding a field wins.
        """
        headers = tuple(headers)
        mapped = {header_key(k): v for k, v in (mapping or {}).items()}
        by_field: dict[str, str] = {}
        unmapped = []
        for header in headers:
            target = mapped.get(header_key(header))
            if target is None:
                target = self.field_for_header(header)
            if target == IGNORE:
                continue
            if target is None or target in by_field:
                unmapped.append(header)
                continue
            by_field[target] = header
        missing = [name for name in self.required if name not in by_field]
        if missing:
            wanted = "; ".join(
                " or ".join(repr(h) for h in self.columns.get(name, (name,))) for name in missing
            )
            found = ", ".join(repr(h) for h in headers[:30]) + (", …" if len(headers) > 30 else "")
            raise MissingColumnError(
                f"the file has no {wanted} column, which every {self.name} row needs; "
                f"its columns are: {found}"
            )
        options = options or ParseOptions()
        lifecycle = deals = None
        try:
            if self.lifecycle_stages is not None:
                lifecycle = StageMap(self.lifecycle_stages, extra=options.stages)
            if self.deal_stages is not None:
                deals = DealStageMap(self.deal_stages, extra=options.deal_stages)
        except ValueError as exc:
            raise MappingFileError(str(exc)) from None
        return BoundFormat(
            self, by_field, tuple(unmapped), headers, options, lifecycle=lifecycle, deals=deals
        )


@dataclass(frozen=True)
class BoundFormat:
    """A format bound to one file's header row; :meth:`normalize` turns rows into results."""

    format: Format
    headers: Mapping[str, str]
    unmapped: tuple[str, ...]
    layout_headers: tuple[str, ...]
    options: ParseOptions
    lifecycle: StageMap | None = None
    deals: DealStageMap | None = None

    @property
    def source_system(self) -> str:
        return self.options.source_system or self.format.source_system

    @cached_property
    def stage_fields(self) -> tuple[tuple[str, str], ...]:
        """``(field, stage)`` for every ``stage_at:<stage>`` column present."""
        return tuple((f, f.partition(":")[2]) for f in self.headers if f.startswith("stage_at:"))

    @cached_property
    def _channel_cache(self) -> dict[tuple[str, str], str | None]:
        return {}

    def source_channel(self, system: str, value: str | None) -> str | None:
        """Cached :func:`~smarketing.ingest.channels.channel_for_source_value`."""
        if value is None:
            return None
        key = (system, value)
        cache = self._channel_cache
        if key not in cache:
            if len(cache) >= 4096:
                cache.clear()
            cache[key] = channel_for_source_value(system, value, rules=self.options.channel_rules)
        return cache[key]

    def normalize(self, row_number: int, row: Mapping[str, str]) -> RowResult:
        """Turn one data row into a :class:`RowResult` (records, or only errors)."""
        cells = Cells(self, row_number, row)
        cells.extra_fields()
        try:
            records = self.format.build(cells)
        except InvalidValue as exc:
            cells.fail(None, None, str(exc))
            records = []
        if cells.errors:
            return RowResult(row_number, (), tuple(cells.errors))
        return RowResult(row_number, tuple(records), ())
