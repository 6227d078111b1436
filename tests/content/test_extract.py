"""Text extraction from every accepted format, and clear refusals of the rest."""

import io

import pytest

from smarketing.content.extract import UnsupportedFile, extract
from smarketing.demo.content_library import make_docx, make_pdf, make_pptx


def test_pdf_pages_are_extracted_one_by_one():
    got = extract("guide.pdf", make_pdf(["First page about payback.", "Second page on pricing."]))
    assert got.format == "pdf" and len(got.pages) == 2
    assert "payback" in got.pages[0] and "pricing" in got.pages[1]


def test_docx_pptx_html_markdown_text():
    assert "hashed" in extract("a.docx", make_docx("T", ["Passwords are hashed."])).text
    deck = extract("a.pptx", make_pptx("Deck", ["Slide one text", "Slide two text"]))
    assert deck.format == "pptx" and len(deck.pages) == 2 and "Slide two" in deck.pages[1]
    html = extract("a.html", b"<html><script>alert(1)</script><p>Visible <b>words</b></p></html>")
    assert "Visible words" in html.text and "alert" not in html.text
    md = extract("a.md", b"# Title\n\nSome **bold** text <script>x()</script>")
    assert "bold" in md.text and "**" not in md.text
    assert extract("a.txt", "Grüße aus Köln".encode()).text == "Grüße aus Köln"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.exe", b"MZ...", ".exe is not supported"),
        ("a.pdf", b"", "empty"),
        ("a.pdf", b"not a pdf at all", "not a PDF"),
        ("a.pdf", b"%PDF-1.4\n garbage", "could not be read as PDF"),
        ("a.docx", b"PK\x03\x04 broken zip", "not a Word"),
        ("a.pptx", make_docx("x", ["y"]), "ppt/presentation.xml is missing"),
        ("a.txt", b"\xff\xfe\xfa bad", "not UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(name, data, message):
    with pytest.raises(UnsupportedFile, match=message) as err:
        extract(name, data)
    assert name in str(err.value)


def test_pdf_scripts_are_removed_from_the_stored_file():
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Hello"]))))
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
    )
    js = DictionaryObject({NameObject("/Names"): writer._add_object(DictionaryObject())})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): js})
    buf = io.BytesIO()
    writer.write(buf)
    got = extract("x.pdf", buf.getvalue())
    assert got.had_scripts and "Hello" in got.text
    root = PdfReader(io.BytesIO(got.data)).trailer["/Root"]
    assert "/OpenAction" not in root
    assert "/JavaScript" not in (root.get("/Names") or {})
