"""Text extraction from uploaded content files, page by page, for search and the viewer.

Each format is read by a well-kept library: pypdf (PDF), python-docx (Word), python-pptx
(PowerPoint), inscriptis (HTML to text, keeps the layout of lists and tables readable) and
markdown-it-py (Markdown, rendered to HTML first so its markup never reaches the index).
Anything else, or a file that does not parse, raises :class:`UnsupportedFile` with a message
that names what is wrong; nothing is stored before extraction succeeded.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

#: Extensions the library accepts, mapped to the stored format.
EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
}
#: Words per "page" when a format has no pages of its own (Word, HTML, Markdown, text).
WORDS_PER_PAGE = 450


class UnsupportedFile(ValueError):
    """The file cannot go into the library; the message says why."""


@dataclass
class Extracted:
    """What extraction found: the format, the text of each page, and the bytes to store."""

    format: str
    pages: list[str]
    data: bytes
    had_scripts: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(p for p in self.pages if p)


def format_for(filename: str) -> str:
    """The stored format for ``filename``, or :class:`UnsupportedFile` naming the accepted ones."""
    ext = PurePath(filename or "").suffix.lower()
    if ext not in EXTENSIONS:
        accepted = ", ".join(sorted({e.lstrip(".") for e in EXTENSIONS}))
        raise UnsupportedFile(
            f"{filename or 'the file'}: {ext or 'no extension'} is not supported; "
            f"upload one of: {accepted}"
        )
    return EXTENSIONS[ext]


def extract(filename: str, data: bytes) -> Extracted:
    """Extract the text of ``data`` (the file ``filename``) page by page."""
    fmt = format_for(filename)
    if not data:
        raise UnsupportedFile(f"{filename}: the file is empty")
    reader = {
        "pdf": _pdf,
        "docx": _docx,
        "pptx": _pptx,
        "html": _html,
        "md": _markdown,
        "txt": _text,
    }[fmt]
    try:
        result = reader(data)
    except UnsupportedFile as exc:
        raise UnsupportedFile(f"{filename}: {exc}") from None
    except Exception as exc:  # every parser has its own error types; all mean "corrupt"
        raise UnsupportedFile(
            f"{filename}: the file could not be read as {fmt.upper()} ({type(exc).__name__}); "
            "is it damaged or saved in another format?"
        ) from None
    result.pages = [_clean(p) for p in result.pages]
    if not any(result.pages) and fmt != "pdf":
        raise UnsupportedFile(f"{filename}: no text found in the file")
    return result


def split_words(text: str, per_page: int = WORDS_PER_PAGE) -> list[str]:
    """Split running text into pages of about ``per_page`` words, at paragraph breaks."""
    pages, current, count = [], [], 0
    for para in text.split("\n"):
        words = len(para.split())
        if current and count + words > per_page:
            pages.append("\n".join(current))
            current, count = [], 0
        current.append(para)
        count += words
    if current:
        pages.append("\n".join(current))
    return [p for p in (p.strip() for p in pages) if p] or [""]


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in (text or "").replace("\x00", "").splitlines()]
    out, blank = [], False
    for line in lines:
        if line or not blank:
            out.append(line)
        blank = not line
    return "\n".join(out).strip()


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader, PdfWriter

    if not data.startswith(b"%PDF-"):
        raise UnsupportedFile("this is not a PDF (it does not start with %PDF-)")
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UnsupportedFile("the PDF is password-protected; upload an unprotected copy")
    pages = [page.extract_text() or "" for page in reader.pages]
    if not pages:
        raise UnsupportedFile("the PDF has no pages")
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    has_js = (
        "/OpenAction" in root
        or "/AA" in root
        or (names is not None and "/JavaScript" in names.get_object())
    )
    if has_js:
        # Serve the file without its scripts: PDF.js never runs them, but a download might.
        writer = PdfWriter(clone_from=reader)
        wroot = writer._root_object
        for key in ("/OpenAction", "/AA"):
            if key in wroot:
                del wroot[key]
        if "/Names" in wroot and "/JavaScript" in wroot["/Names"].get_object():
            del wroot["/Names"].get_object()["/JavaScript"]
        for page in writer.pages:
            if "/AA" in page:
                del page["/AA"]
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return Extracted("pdf", pages, data, had_scripts=has_js)


def _zip_with(data: bytes, member: str, what: str) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsupportedFile(f"this is not a {what} file (not an Office Open XML package)")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if member not in zf.namelist():
            raise UnsupportedFile(f"this is not a {what} file ({member} is missing)")


def _docx(data: bytes) -> Extracted:
    import docx

    _zip_with(data, "word/document.xml", "Word (.docx)")
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return Extracted("docx", split_words("\n".join(parts)), data)


def _pptx(data: bytes) -> Extracted:
    from pptx import Presentation

    _zip_with(data, "ppt/presentation.xml", "PowerPoint (.pptx)")
    deck = Presentation(io.BytesIO(data))
    pages = []
    for slide in deck.slides:
        texts = [
            shape.text_frame.text
            for shape in slide.shapes
            if shape.has_text_frame and shape.text_frame.text
        ]
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            texts.append(slide.notes_slide.notes_text_frame.text)
        pages.append("\n".join(texts))
    if not pages:
        raise UnsupportedFile("the deck has no slides")
    return Extracted("pptx", pages, data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedFile("the file is not UTF-8 text") from None


def html_to_text(html: str) -> str:
    """Readable text of an HTML document (scripts and styles dropped)."""
    from inscriptis import get_text

    return get_text(html)


def _html(data: bytes) -> Extracted:
    return Extracted("html", split_words(html_to_text(_decode(data))), data)


def _markdown(data: bytes) -> Extracted:
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).render(_decode(data))
    return Extracted("md", split_words(html_to_text(html)), data)


def _text(data: bytes) -> Extracted:
    return Extracted("txt", split_words(_decode(data)), data)
