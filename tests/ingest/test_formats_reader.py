"""The streaming CSV reader: encodings, delimiters, quoting, blank lines, row numbers."""

from __future__ import annotations

import codecs
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.ingest.formats import EncodingError, ImportFileError, open_csv, read_rows
from smarketing.ingest.formats.reader import EXTRA_FIELDS, sniff_delimiter, sniff_encoding

SAMPLES = Path(__file__).parent / "samples"


def rows_of(data: bytes, **kwargs):
    return list(read_rows(io.BytesIO(data), **kwargs))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Email\nzoë@x.io\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Email\nzoë@x.io\n".encode(), "utf-8-sig"),
        ("Email\nzoë@x.io\n".encode("cp1252"), "cp1252"),
        ("Email\nzoë@x.io\n".encode("utf-16"), "utf-16"),
        # 0x81 is undefined in Windows-1252, so only Latin-1 decodes it
        (b"Email\n\x81a@x.io\n\xe9\n", "latin-1"),
        (b"Email\na@x.io\n", "utf-8"),
    ],
)
def test_sniff_encoding(data, expected):
    assert sniff_encoding(io.BytesIO(data)) == expected


def test_a_cp1252_byte_far_past_the_sample_is_still_detected():
    # 2 MB of ASCII, then one Windows-1252 "é": a sample-only sniffer would say UTF-8
    body = b"Email,Name\n" + b"a@x.io,Ann\n" * 200_000 + "b@x.io,Ren\xe9\n".encode("latin-1")
    stream = io.BytesIO(body)
    assert sniff_encoding(stream) == "cp1252"
    assert stream.tell() == 0
    last = list(read_rows(stream))[-1]
    assert last[1]["Name"] == "René"


def test_bom_is_stripped_from_the_first_header():
    rows = rows_of(codecs.BOM_UTF8 + b"Record ID,Email\r\n1,a@x.io\r\n")
    assert rows == [(2, {"Record ID": "1", "Email": "a@x.io"})]


def test_utf16_tab_separated_excel_unicode_text():
    data = "Email\tName\r\nzoë@x.io\tZoë\r\n".encode("utf-16")
    assert rows_of(data) == [(2, {"Email": "zoë@x.io", "Name": "Zoë"})]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_delimiter(delimiter):
    sample = delimiter.join(["Email", "Company", "Stage"]) + "\n"
    sample += delimiter.join(["a@x.io", '"Acme, Inc.; Ltd"', "Lead"]) + "\n"
    assert sniff_delimiter(sample) == delimiter


def test_single_column_file_is_comma_delimited():
    assert rows_of(b"Email\na@x.io\n") == [(2, {"Email": "a@x.io"})]


def test_quoted_commas_quotes_and_line_breaks_and_row_numbers():
    data = b'id,company,note\n1,"Acme, Inc.","said ""hi"""\n\n2,Globex,"two\nlines"\n3,Initech,x\n'
    assert rows_of(data) == [
        (2, {"id": "1", "company": "Acme, Inc.", "note": 'said "hi"'}),
        (4, {"id": "2", "company": "Globex", "note": "two\nlines"}),
        (6, {"id": "3", "company": "Initech", "note": "x"}),
    ]


def test_blank_and_delimiter_only_lines_are_skipped():
    data = b"id,name\n\n,\n  \n1,a\n\n"
    assert rows_of(data) == [(5, {"id": "1", "name": "a"})]


def test_short_rows_are_padded_and_long_rows_keep_the_surplus():
    rows = rows_of(b"a,b,c\n1\n1,2,3,4,5\n")
    assert rows[0] == (2, {"a": "1", "b": "", "c": ""})
    assert rows[1][1][EXTRA_FIELDS] == "4,5"


def test_duplicate_and_blank_headers_get_unique_names():
    with open_csv(io.BytesIO(b"Email,Email,,x\n1,2,3,4\n")) as rows:
        assert rows.layout.headers == ("Email", "Email (2)", "column 3", "x")


def test_empty_file_is_an_error():
    with pytest.raises(ImportFileError, match="empty"):
        rows_of(b"\n\n")


def test_wrong_forced_encoding_is_a_clear_error():
    with pytest.raises(EncodingError, match="not valid utf-8"):
        rows_of("Name\nRené\n".encode("cp1252"), encoding="utf-8")


def test_unknown_encoding_and_bad_delimiter_are_refused():
    with pytest.raises(ImportFileError, match="unknown encoding"):
        rows_of(b"a\n1\n", encoding="klingon")
    with pytest.raises(ImportFileError, match="one character"):
        rows_of(b"a\n1\n", delimiter=";;")


def test_reads_paths_and_leaves_callers_streams_open():
    path = SAMPLES / "salesforce_opportunities.csv"
    assert len(list(read_rows(path))) == 4
    stream = io.BytesIO(path.read_bytes())
    with open_csv(stream) as rows:
        list(rows)
    assert not stream.closed


def test_cp1252_semicolon_sample():
    with open_csv(SAMPLES / "mautic_contacts_cp1252.csv") as rows:
        assert (rows.layout.encoding, rows.layout.delimiter) == ("cp1252", ";")
        first = next(iter(rows))[1]
    assert first["firstname"] == "René"
    assert first["lastname"] == "Müller"


_COUNT_ROWS = """
import sys
from smarketing.ingest.formats import read_rows
count = 0
for _, row in read_rows(sys.argv[1]):
    count += 1
# VmHWM (peak RSS of this program); ru_maxrss would include the forking parent's peak
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(count, row["Company Name"], peak)
"""


@pytest.mark.slow
def test_memory_stays_flat_over_a_million_rows(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as out:
        out.write(b"Record ID,Email,Company Name\n")
        for start in range(0, 1_000_000, 10_000):
            out.write(
                b"".join(
                    b'%d,user%d@example.com,"Company %d, Inc."\n' % (i, i, i % 1000)
                    for i in range(start, start + 10_000)
                )
            )
    assert path.stat().st_size > 45_000_000
    out = subprocess.run(
        [sys.executable, "-c", _COUNT_ROWS, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    count, last_company, peak_kib = int(out[0]), " ".join(out[1:-1]), int(out[-1])
    assert count == 1_000_000
    assert last_company == "Company 999, Inc."
    # Loading 1M rows as dicts would take well over 1 GB; streaming stays near the interpreter's size.
    assert peak_kib < 120 * 1024


_CELL = st.text(alphabet=st.sampled_from(list('ab é,;\t"\n\r|€x')), max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_what_csv_writes_the_reader_reads_back(rows, delimiter, encoding):
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(["Email", "Company", "Note"])
    writer.writerows(rows)
    read = rows_of(text.getvalue().encode(encoding))
    expected = [r for r in rows if any(cell.strip() for cell in r)]
    assert [[row["Email"], row["Company"], row["Note"]] for _, row in read] == expected
