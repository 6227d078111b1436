"""Errors raised by the import parsing layer.

Every error is a :class:`ValueError` subclass whose message names what is wrong, so the CLI
and the web preview can show it to the user as it is. Per-row problems are not raised but
returned as :class:`~smarketing.ingest.formats.records.RowError` values (the good rows go on).
"""

from __future__ import annotations


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, delimiter, header, format, mapping)."""


class EncodingError(ImportFileError):
    """The bytes of the file cannot be decoded with the detected or given encoding."""


class FormatDetectionError(ImportFileError):
    """``format="auto"`` found no format, or more than one, that fits the header row."""


class MappingFileError(ImportFileError):
    """A ``--mapping`` file is malformed or names an unknown target field."""


class UnknownFormatError(ImportFileError):
    """A format name was given that smarketing does not know."""


class MissingColumnError(ImportFileError):
    """The header row lacks a column every row of the format needs (one error, not one a row)."""
