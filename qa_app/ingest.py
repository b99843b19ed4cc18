"""Read a report file (.txt, .md, .docx, .pdf) into one stored text.

All formats end up in the same plain-text convention, the one Word's own text export uses and the seed
reports arrive in: a paragraph is a line; a table row is a run of lines each starting with a tab (one per
cell; a cell's further lines carry no tab), rows are separated by a blank line, and a table ends with two.
One parser downstream (`blocks`) then serves every format, and citations index into this stored text.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from qa_app.textnorm import Normalized, normalize

TEXT_SUFFIXES = (".txt", ".md")


class IngestError(Exception):
    """A file that cannot be read; the message is the plain reason shown to the user."""


@dataclass(frozen=True)
class Document:
    """One file as read: `text` is what citations quote; `norm` is the view used for matching."""

    name: str
    format: str
    encoding: str
    text: str
    sha256: str
    norm: Normalized = field(repr=False, compare=False)


def read_document(path: Path, name: str | None = None, max_bytes: int | None = None) -> Document:
    """Read one file; raises IngestError with a plain reason when it cannot be read."""
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
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data)
    elif suffix == ".docx":
        text, encoding = docx_text(data), "docx"
    elif suffix == ".pdf":
        text, encoding = pdf_text(data), "pdf"
    else:
        raise IngestError(f"unsupported file type {suffix or '(none)'}")
    if not text.strip():
        raise IngestError("no text in file")
    return Document(
        name=name or path.name,
        format=suffix.lstrip("."),
        encoding=encoding,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        norm=normalize(text),
    )


# --- plain text -----------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode strictly and say which encoding was used; never substitute characters silently.

    UTF-8 is tried strictly first; a GB2312/GBK guess is read as GB18030 (its superset), because short
    Chinese texts are often misdetected and GB18030 decodes all of them.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise IngestError(f"invalid {encoding} text at byte {exc.start}") from exc
    if b"\x00" in data[:4096]:
        raise IngestError("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = ["gb18030"]
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is not None and best.encoding.lower().replace("_", "") not in _GB_FAMILY:
        candidates.append(best.encoding)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text, encoding
    raise IngestError("cannot decode text (not UTF-8, GB18030 or another known encoding)")


def _looks_like_text(text: str) -> bool:
    """Reject decodings that are mostly control or private-use characters (a binary file or wrong guess)."""
    sample = text[:20_000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad <= len(sample) * 0.01


# --- the common text convention --------------------------------------------------------------------


def render_blocks(blocks: Iterable[str | list[str]]) -> str:
    """Render paragraphs (str) and table rows (list of cell texts) in the stored-text convention."""
    out: list[str] = []
    in_table = False
    for block in blocks:
        if isinstance(block, str):
            if in_table:
                out.append("\n")  # a table ends with two blank lines
                in_table = False
            out.append(block.replace("\t", " ") + "\n")
        else:
            if in_table:
                out.append("\n")  # rows are separated by one blank line
            out.append("".join("\t" + cell.replace("\t", " ").strip("\n") + "\n" for cell in block))
            in_table = True
    if in_table:
        out.append("\n")
    return "".join(out)


# --- .docx -----------------------------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """Paragraphs and tables in document order; each table row keeps its cells apart."""
    import io

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table, _Cell

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str | list[str]] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = [_Cell(tc, item) for tc in row._tr.tc_lst]
                    blocks.append(["\n".join(p.text for p in cell.paragraphs) for cell in cells])
            else:
                blocks.append(item.text)
    except (PackageNotFoundError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        raise IngestError(f"not a readable .docx ({type(exc).__name__})") from exc
    except ValueError as exc:
        raise IngestError(f"not a readable .docx ({exc})") from exc
    return render_blocks(blocks)


# --- .pdf ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """Text lines re-joined into paragraphs, and ruled tables cell by cell, in reading order."""
    import io

    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            blocks: list[str | list[str]] = []
            for page in pdf.pages:
                blocks.extend(_pdf_page_blocks(page))
    except Exception as exc:  # pdfminer raises many types on malformed files; classify the wrapped one
        cause = exc.__cause__ or exc.__context__ or exc
        if isinstance(cause, PDFEncryptionError | PDFPasswordIncorrect) or isinstance(
            exc, PDFEncryptionError | PDFPasswordIncorrect
        ):
            raise IngestError("encrypted PDF (password protected)") from exc
        raise IngestError(f"not a readable PDF ({type(cause).__name__})") from exc
    if not any(b.strip() if isinstance(b, str) else any(c.strip() for c in b) for b in blocks):
        raise IngestError("no text layer (scanned PDF?)")
    return render_blocks(blocks)


def _pdf_page_blocks(page) -> list[str | list[str]]:
    """One page: tables where ruled, paragraphs elsewhere, ordered top to bottom."""
    tables = page.find_tables()
    placed: list[tuple[float, str | list[str]]] = []
    text_page = page
    for table in tables:
        text_page = text_page.outside_bbox(table.bbox)
        for row, row_cells in zip(table.rows, table.extract(), strict=False):
            cells = [c for c, cell in zip(row_cells, row.cells, strict=False) if cell is not None]
            placed.append((row.bbox[1], [(c or "").replace("\n", "") for c in cells]))
    lines = text_page.extract_text_lines(layout=False, strip=True, return_chars=False)
    right = max((ln["x1"] for ln in lines), default=0.0)
    char_w = _median([(ln["x1"] - ln["x0"]) / max(len(ln["text"]), 1) for ln in lines]) or 10.0
    paragraph: list[str] = []
    start_top = 0.0
    for ln in lines:
        if not paragraph:
            start_top = ln["top"]
        paragraph.append(ln["text"])
        if ln["x1"] < right - 1.5 * char_w:  # a line that stops short ends its paragraph
            placed.append((start_top, "".join(paragraph)))
            paragraph = []
    if paragraph:
        placed.append((start_top, "".join(paragraph)))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0
