"""Read a report file into one stored text: `read_document`, by suffix (`READERS` names every format read).

Each format has its reader (`plain`, `docx`, `pdf`, `xlsx` for .xlsx and .xls, `html`, `doc` for .doc and
.wps through LibreOffice), all rendering into the stored-text convention of `base` (sheets and HTML tables
through `grid`); `bounds` holds what a file may unpack to, and qa_app.sandbox reads files in a separate
process. The readers of binary formats (heavy imports) are loaded on their first file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from qa_app.config import Settings
from qa_app.readers.base import TEXT_SUFFIXES, Document, IngestError, check_text_length
from qa_app.readers.plain import decode_text
from qa_app.text.normalize import normalize

__all__ = ["READERS", "Document", "IngestError", "read_document"]

# file bytes → (stored text, encoding or format), and for a scanned PDF also its OCR words (Document.ocr)
Reader = Callable[[bytes, Settings], tuple]


def _plain(data: bytes, settings: Settings) -> tuple[str, str]:
    return decode_text(data)


def _docx(data: bytes, settings: Settings) -> tuple[str, str]:
    from qa_app.readers.docx import docx_text

    return docx_text(data, settings), "docx"


def _pdf(data: bytes, settings: Settings) -> tuple[str, str, tuple]:
    from qa_app.readers.pdf import pdf_read  # pdfplumber is heavy; load it only for PDFs

    text, ocr = pdf_read(data, settings)
    return text, "pdf" if not ocr else "pdf, OCR", ocr


def _xlsx(data: bytes, settings: Settings) -> tuple[str, str]:
    from qa_app.readers.xlsx import xlsx_text

    return xlsx_text(data, settings), "xlsx"


def _xls(data: bytes, settings: Settings) -> tuple[str, str]:
    from qa_app.readers.xlsx import xls_text

    return xls_text(data, settings), "xls"


def _html(data: bytes, settings: Settings) -> tuple[str, str]:
    from qa_app.readers.html import html_text

    return html_text(data, settings)


def _doc(data: bytes, settings: Settings) -> tuple[str, str]:
    from qa_app.readers.doc import doc_text

    return doc_text(data, settings), "docx via LibreOffice"


def _wps(data: bytes, settings: Settings) -> tuple[str, str]:
    from qa_app.readers.doc import doc_text

    return doc_text(data, settings, ".wps"), "docx via LibreOffice"


READERS: dict[str, Reader] = {
    **dict.fromkeys(TEXT_SUFFIXES, _plain),
    ".docx": _docx,
    ".pdf": _pdf,
    ".xlsx": _xlsx,
    ".xls": _xls,
    ".html": _html,
    ".htm": _html,
    ".doc": _doc,
    ".wps": _wps,
}


def read_document(
    path: Path, name: str | None = None, max_bytes: int | None = None, settings: Settings | None = None
) -> Document:
    """Read one file; raises IngestError with a plain reason when it cannot be read.

    `settings` bounds what the file may unpack to (qa_app.readers.bounds) and its text; the defaults without it.
    """
    settings = settings or Settings()
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot open: {exc.strerror or exc}") from exc
    if max_bytes is not None and size > max_bytes:
        raise IngestError(f"file too large ({size / 2**20:.1f} MB > {max_bytes / 2**20:.0f} MB)")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError("empty file")
    reader = READERS.get(suffix)
    if reader is None:
        raise IngestError(f"unsupported file type {suffix or '(none)'}")
    text, encoding, *ocr = reader(data, settings)
    check_text_length(text, settings)  # before the normalised view, which costs several times the text
    norm = normalize(text)
    if not norm.text.strip():  # nothing but spaces, zero-width characters or converter artefacts
        raise IngestError("no text in file")
    return Document(
        name=name or path.name,
        format=suffix.lstrip("."),
        encoding=encoding,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        norm=norm,
        ocr=tuple(ocr[0]) if ocr else (),
    )
