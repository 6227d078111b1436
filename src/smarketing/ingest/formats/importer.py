"""The entry points the CLI and the web preview call: open, detect, bind, stream results.

``parse_file`` opens an export, sniffs it, picks the format (or detects it), binds the
header row and returns a :class:`ParsedFile`: iterate it for one :class:`RowResult` per data
row, in file order, with flat memory. ``preview`` reads the first rows for the web page's
"check before import" step. ``write_error_csv`` writes the downloadable error report.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from smarketing.ingest.formats.errors import FormatDetectionError
from smarketing.ingest.formats.mapping import ColumnMapping, load_mapping, parse_mapping
from smarketing.ingest.formats.reader import CsvLayout, Source, open_csv
from smarketing.ingest.formats.records import RowError, RowResult
from smarketing.ingest.formats.registry import detect_format, get_format
from smarketing.ingest.formats.spec import BoundFormat, ParseOptions

__all__ = ["ParseStats", "ParsedFile", "Preview", "parse_file", "preview", "write_error_csv"]

_RECORD_NAMES = {
    "ContactRecord": "contact",
    "AccountRecord": "account",
    "DealRecord": "deal",
    "StageEventRecord": "stage_event",
    "TouchRecord": "touch",
    "RoleRecord": "deal_role",
}


@dataclass
class ParseStats:
    """Running counts while a file is read (rows, rows with errors, records by type)."""

    rows_read: int = 0
    rows_ok: int = 0
    rows_with_errors: int = 0
    errors: int = 0
    records: Counter[str] = field(default_factory=Counter)

    def add(self, result: RowResult) -> None:
        self.rows_read += 1
        if result.errors:
            self.rows_with_errors += 1
            self.errors += len(result.errors)
            return
        self.rows_ok += 1
        for record in result.records:
            self.records[_RECORD_NAMES[type(record).__name__]] += 1

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_read": self.rows_read,
            "rows_ok": self.rows_ok,
            "rows_with_errors": self.rows_with_errors,
            "errors": self.errors,
            "records": dict(self.records),
        }


class ParsedFile:
    """An open export bound to its format; iterate for :class:`RowResult` values.

    Attributes
    ----------
    layout : CsvLayout
        Encoding, delimiter, headers.
    bound : BoundFormat
        The format and which header feeds which field (``bound.headers``).
    stats : ParseStats
        Counts so far, complete once iteration ends.
    """

    def __init__(self, rows, bound: BoundFormat) -> None:
        self._rows = rows
        self.layout: CsvLayout = rows.layout
        self.bound = bound
        self.stats = ParseStats()

    @property
    def format_name(self) -> str:
        return self.bound.format.name

    def column_map(self) -> dict[str, str | None]:
        """Header → field it feeds (``None``: kept as a custom property or ignored)."""
        by_header = {header: name for name, header in self.bound.headers.items()}
        return {h: by_header.get(h) for h in self.layout.headers}

    def __iter__(self) -> Iterator[RowResult]:
        normalize, stats = self.bound.normalize, self.stats
        for row_number, row in self._rows:
            result = normalize(row_number, row)
            stats.add(result)
            yield result

    def close(self) -> None:
        self._rows.close()

    def __enter__(self) -> ParsedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_file(
    source: Source,
    *,
    format: str = "auto",  # noqa: A002 - mirrors the --format option
    mapping: str | os.PathLike[str] | dict | ColumnMapping | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    options: ParseOptions | None = None,
) -> ParsedFile:
    """Open an export and bind it to its format.

    Parameters
    ----------
    source
        A path or a seekable binary file (an upload).
    format
        ``"auto"`` or a name from :data:`~.registry.FORMATS`.
    mapping
        A mapping file path, an already loaded document, or a :class:`ColumnMapping`.
        With ``format="auto"`` a mapping selects its own format (``generic`` by default).
    encoding, delimiter
        Override the sniffers.
    options
        Parse options; a mapping's choices are applied over them.

    Raises
    ------
    ImportFileError
        (or a subclass) when the file, its format or the mapping cannot be used.

    Examples
    --------
    >>> import io
    >>> data = b"Record ID,Email,Lifecycle Stage\\n1,ANN@x.io,Lead\\n2,bad,Lead\\n"
    >>> with parse_file(io.BytesIO(data)) as parsed:
    ...     results = list(parsed)
    >>> parsed.format_name, results[0].records[0].email, results[1].errors[0].reason
    ('hubspot-contacts', 'ann@x.io', "invalid email address 'bad': an email address must have an @-sign")
    """
    column_mapping = _mapping(mapping, format)
    rows = open_csv(source, encoding=encoding, delimiter=delimiter)
    try:
        headers = rows.layout.headers
        if column_mapping is not None:
            fmt = column_mapping.format
            options = column_mapping.options(options)
        elif format == "auto":
            fmt = detect_format(headers)
        else:
            fmt = get_format(format)
        bound = fmt.bind(
            headers,
            mapping=column_mapping.columns if column_mapping else None,
            options=options,
        )
        if not bound.headers:
            raise FormatDetectionError(
                f"none of the columns ({', '.join(headers[:8])}) is one {fmt.name} knows; "
                f"check --format or use a --mapping file"
            )
    except BaseException:
        rows.close()
        raise
    return ParsedFile(rows, bound)


def _mapping(mapping, format_name: str) -> ColumnMapping | None:
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, dict):
        return parse_mapping(mapping, format_name=format_name)
    return load_mapping(mapping, format_name=format_name)


@dataclass(frozen=True)
class Preview:
    """The first rows of a file as the import would read them (nothing is written)."""

    format_name: str
    layout: CsvLayout
    column_map: dict[str, str | None]
    raw_rows: list[tuple[int, dict[str, str]]]
    results: list[RowResult]

    @property
    def recognised(self) -> int:
        """How many columns the format maps to a field."""
        return sum(1 for field in self.column_map.values() if field is not None)

    @property
    def confidence(self) -> float:
        """The share of the file's columns the format recognises (shown in the preview)."""
        return self.recognised / len(self.column_map) if self.column_map else 0.0


def preview(
    source: Source,
    *,
    format: str = "auto",  # noqa: A002
    mapping: str | os.PathLike[str] | dict | ColumnMapping | None = None,
    limit: int = 20,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Preview:
    """Read the first ``limit`` data rows: raw cells, the column map and the parsed results."""
    raw_rows: list[tuple[int, dict[str, str]]] = []
    results: list[RowResult] = []
    with parse_file(
        source, format=format, mapping=mapping, encoding=encoding, delimiter=delimiter
    ) as parsed:
        for row_number, row in parsed._rows:
            if len(raw_rows) >= limit:
                break
            raw_rows.append((row_number, row))
            results.append(parsed.bound.normalize(row_number, row))
        return Preview(parsed.format_name, parsed.layout, parsed.column_map(), raw_rows, results)


def write_error_csv(errors: Iterable[RowError], target: IO[str]) -> int:
    """Write row errors as CSV (``row_number,column,value,reason``); returns the count.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> write_error_csv([RowError(3, "Email", "bad", "invalid email address 'bad'")], out)
    1
    >>> print(out.getvalue().strip())
    row_number,column,value,reason
    3,Email,bad,invalid email address 'bad'
    """
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(["row_number", "column", "value", "reason"])
    count = 0
    for error in errors:
        writer.writerow([error.row_number, error.column or "", error.value or "", error.reason])
        count += 1
    return count
