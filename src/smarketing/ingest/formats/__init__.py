"""The pure parsing layer of CSV import: read CRM exports into normalised records.

No Django here: this package turns a file into a stream of :class:`RowResult` values
(records or per-row errors); ``smarketing.ingest`` writes them. Public API::

    from smarketing.ingest.formats import parse_file
    with parse_file("contacts.csv", format="auto") as parsed:
        for result in parsed:
            ...  # result.records or result.errors

See ``docs/import.md`` for the formats, stage maps, date rules and mapping files.
"""

from smarketing.ingest.formats.errors import (
    EncodingError,
    FormatDetectionError,
    ImportFileError,
    MappingFileError,
    MissingColumnError,
    UnknownFormatError,
)
from smarketing.ingest.formats.importer import (
    ParsedFile,
    ParseStats,
    Preview,
    parse_file,
    preview,
    write_error_csv,
)
from smarketing.ingest.formats.mapping import ColumnMapping, load_mapping, parse_mapping
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
from smarketing.ingest.formats.reader import CsvLayout, open_csv, read_rows, sniff_encoding
from smarketing.ingest.formats.records import (
    AccountRecord,
    ContactRecord,
    DealRecord,
    Record,
    RoleRecord,
    RowError,
    RowResult,
    StageEventRecord,
    TouchRecord,
)
from smarketing.ingest.formats.registry import FORMATS, detect_format, get_format, rank_formats
from smarketing.ingest.formats.spec import Format, ParseOptions

__all__ = [
    "FORMATS",
    "AccountRecord",
    "ColumnMapping",
    "ContactRecord",
    "CsvLayout",
    "DealRecord",
    "EncodingError",
    "MissingColumnError",
    "Format",
    "FormatDetectionError",
    "ImportFileError",
    "InvalidValue",
    "MappingFileError",
    "ParseOptions",
    "ParseStats",
    "ParsedFile",
    "Preview",
    "Record",
    "RowError",
    "RowResult",
    "RoleRecord",
    "StageEventRecord",
    "TouchRecord",
    "UnknownFormatError",
    "detect_format",
    "get_format",
    "load_mapping",
    "normalize_domain",
    "normalize_email",
    "open_csv",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_file",
    "parse_int",
    "parse_mapping",
    "preview",
    "rank_formats",
    "read_rows",
    "sniff_encoding",
    "write_error_csv",
]
