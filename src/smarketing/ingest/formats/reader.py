"""Streaming CSV reader: sniffs the encoding and the delimiter, then yields one row at a time.

The file is never loaded whole: memory stays flat however many rows it has. Encoding rules,
in order: a UTF-16 byte-order mark means UTF-16 (Excel's "Unicode text"); otherwise the file
is UTF-8 (with or without a BOM) if every byte of it decodes as UTF-8 (checked in one streaming
pass, about a second per 500 MB); otherwise Windows-1252, or Latin-1 when the file holds one of
the five bytes Windows-1252 leaves undefined. The delimiter (comma, semicolon, tab or pipe) is
sniffed from the first 64 KiB. Quoted delimiters, quoted line breaks, doubled quotes and blank
lines are handled by :mod:`csv`.

Row numbers are 1-based physical line numbers of the row's first line: the header is row 1 and,
in a file without line breaks inside quotes, a row's number is the one a spreadsheet shows.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from smarketing.ingest.formats.errors import EncodingError, ImportFileError

__all__ = [
    "EXTRA_FIELDS",
    "CsvLayout",
    "open_csv",
    "read_rows",
    "sniff_delimiter",
    "sniff_encoding",
]

#: Key under which a row holds the values beyond the header's width (joined by the delimiter).
EXTRA_FIELDS = "\x00extra"

_CHUNK = 1 << 20
_SAMPLE = 64 * 1024
_DELIMITERS = ",;\t|"
_CP1252_UNDEFINED = bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D])
_FIELD_LIMIT = 32 * 1024 * 1024

Source = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What the sniffers found: encoding, delimiter and the cleaned header names."""

    encoding: str
    delimiter: str
    headers: tuple[str, ...]


def _open_binary(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    if not hasattr(source, "read") or not hasattr(source, "seek"):
        raise ImportFileError(f"expected a path or a seekable binary file, got {source!r}")
    return source, False


def sniff_encoding(source: Source) -> str:
    """Return the Python codec name that decodes the whole file.

    Parameters
    ----------
    source
        A path or a seekable binary file (rewound afterwards).

    Examples
    --------
    >>> import io
    >>> sniff_encoding(io.BytesIO("\\ufeffEmail\\nzoë@example.com\\n".encode("utf-8")))
    'utf-8-sig'
    >>> sniff_encoding(io.BytesIO("Email\\nzoë@example.com\\n".encode("cp1252")))
    'cp1252'
    """
    stream, owned = _open_binary(source)
    try:
        start = stream.tell()
        head = stream.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        stream.seek(start)
        decoder = codecs.getincrementaldecoder("utf-8")()
        undefined_cp1252 = False
        utf8_ok = True
        while chunk := stream.read(_CHUNK):
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            if not utf8_ok and any(b in chunk for b in _CP1252_UNDEFINED):
                undefined_cp1252 = True
                break
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
        if utf8_ok:
            return encoding
        return "latin-1" if undefined_cp1252 else "cp1252"
    finally:
        if owned:
            stream.close()
        else:
            stream.seek(start)


def sniff_delimiter(sample: str) -> str:
    """Return the delimiter of a CSV text sample: comma, semicolon, tab or pipe.

    :class:`csv.Sniffer` decides; when it cannot, or when its answer splits the header into
    fewer columns than another candidate does, the candidate seen most often in the header
    line (outside quotes) wins. A one-column file is comma-delimited.

    Examples
    --------
    >>> sniff_delimiter('Email;Company\\n"a@x.io";"Acme, Inc."\\n')
    ';'
    >>> sniff_delimiter("Email\\ta\\nx@y.io\\tb\\n")
    '\\t'
    """
    lines = sample.splitlines()
    header = next((line for line in lines if line.strip()), "")
    counts = {d: _count_outside_quotes(header, d) for d in _DELIMITERS}
    by_header = max(_DELIMITERS, key=lambda d: counts[d])
    if counts[by_header] == 0:
        return ","
    cut = sample.rfind("\n")
    try:
        sniffed = csv.Sniffer().sniff(sample[: cut + 1] if cut > 0 else sample, _DELIMITERS)
        delimiter = sniffed.delimiter
    except csv.Error:
        return by_header
    if delimiter not in _DELIMITERS or counts[delimiter] < counts[by_header]:
        return by_header
    return delimiter


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _clean_headers(raw: list[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    headers = []
    for index, name in enumerate(raw, start=1):
        name = name.replace("\ufeff", "").strip()
        if index == 1 and name.startswith("ï»¿"):
            name = name[3:]
        name = name or f"column {index}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return tuple(headers)


class open_csv:  # noqa: N801 - used like open()
    """Open a CSV export for streaming: ``with open_csv(path) as f: for n, row in f: ...``.

    Parameters
    ----------
    source
        A path or a seekable binary file.
    encoding, delimiter
        Override the sniffers (any Python codec name; one character).

    Attributes
    ----------
    layout : CsvLayout
        Encoding, delimiter and header names, known as soon as the file is open.

    Examples
    --------
    >>> import io
    >>> data = b'Email,Company\\r\\n\\r\\nann@x.io,"Acme, Inc."\\r\\n'
    >>> with open_csv(io.BytesIO(data)) as rows:
    ...     print(rows.layout.headers, list(rows))
    ('Email', 'Company') [(3, {'Email': 'ann@x.io', 'Company': 'Acme, Inc.'})]
    """

    def __init__(
        self, source: Source, *, encoding: str | None = None, delimiter: str | None = None
    ) -> None:
        if delimiter is not None and len(delimiter) != 1:
            raise ImportFileError(f"delimiter must be one character, got {delimiter!r}")
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ImportFileError(f"unknown encoding {encoding!r}") from None
        self._binary, self._owned = _open_binary(source)
        try:
            self._encoding = encoding or sniff_encoding(self._binary)
            self._text = io.TextIOWrapper(self._binary, encoding=self._encoding, newline="")
            sample = self._decode(lambda: self._text.read(_SAMPLE))
            self._delimiter = delimiter or sniff_delimiter(sample)
            self._text.seek(0)
            csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
            self._reader = csv.reader(self._text, delimiter=self._delimiter)
            self._headers = self._read_header()
        except BaseException:
            self.close()
            raise
        self.layout = CsvLayout(self._encoding, self._delimiter, self._headers)

    def _decode(self, read):
        try:
            return read()
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"the file is not valid {self._encoding} (byte {exc.start} of a chunk: "
                f"{exc.reason}); pass the right encoding"
            ) from None

    def _read_header(self) -> tuple[str, ...]:
        def first_row() -> list[str] | None:
            return next((raw for raw in self._reader if any(c.strip() for c in raw)), None)

        raw = self._decode(first_row)
        if raw is None:
            raise ImportFileError("the file is empty: no header row found")
        return _clean_headers(raw)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        headers, width = self._headers, len(self._headers)
        reader, delimiter = self._reader, self._delimiter
        previous_line = reader.line_num
        try:
            for cells in reader:
                row_number = previous_line + 1
                previous_line = reader.line_num
                if not any(cells) or not any(cell.strip() for cell in cells):
                    continue
                if len(cells) == width:
                    yield row_number, dict(zip(headers, cells))
                    continue
                row = dict(zip(headers, cells))
                if len(cells) < width:
                    for name in headers[len(cells) :]:
                        row[name] = ""
                else:
                    row[EXTRA_FIELDS] = delimiter.join(cells[width:])
                yield row_number, row
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"line {previous_line + 1}: the file is not valid {self._encoding} "
                f"({exc.reason}); pass the right encoding"
            ) from None
        except csv.Error as exc:
            raise ImportFileError(f"line {reader.line_num}: malformed CSV ({exc})") from None

    def close(self) -> None:
        """Close the file if this reader opened it (a caller's stream is left open)."""
        text = getattr(self, "_text", None)
        if text is not None:
            text.detach()
            self._text = None
        if self._owned:
            self._binary.close()

    def __enter__(self) -> open_csv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_rows(
    source: Source, *, encoding: str | None = None, delimiter: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, {header: cell})`` for every non-blank data row of a CSV export.

    A short row is padded with empty cells; a long row keeps its surplus under
    :data:`EXTRA_FIELDS` (the normalisers report it as a row error).

    Examples
    --------
    >>> import io
    >>> list(read_rows(io.BytesIO(b'id;note\\n1;"two\\nlines"\\n2;x\\n')))
    [(2, {'id': '1', 'note': 'two\\nlines'}), (4, {'id': '2', 'note': 'x'})]
    """
    with open_csv(source, encoding=encoding, delimiter=delimiter) as rows:
        yield from rows
