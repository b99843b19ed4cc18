"""Read a report file (.txt, .md, .docx, .pdf) into one stored text.

All formats end up in the same plain-text convention, the one Word's own text export uses and the seed
reports arrive in: a paragraph is a line; a table row is a run of lines each starting with a tab (one per
cell; a cell's further lines carry no tab), rows are separated by a blank line, and a table ends with two.
One parser downstream (`layout.parse_blocks`) then serves every format, and citations index into this
stored text.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from qa_app.config import Settings
from qa_app.text.normalize import Normalized, normalize

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


def read_document(
    path: Path, name: str | None = None, max_bytes: int | None = None, settings: Settings | None = None
) -> Document:
    """Read one file; raises IngestError with a plain reason when it cannot be read.

    `settings` bounds what the file may unpack to (qa_app.readers.limits) and its text; the defaults without it.
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
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_text(data)
    elif suffix == ".docx":
        text, encoding = docx_text(data, settings), "docx"
    elif suffix == ".pdf":
        from qa_app.readers.pdf import pdf_text  # pdfplumber is heavy; load it only for PDFs

        text, encoding = pdf_text(data, settings), "pdf"
    else:
        raise IngestError(f"unsupported file type {suffix or '(none)'}")
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
    )


def check_text_length(text: str, settings: Settings) -> None:
    """Refuse a text longer than a report: it is an archive or a dump, and would take hours to embed."""
    if len(text) > settings.max_text_chars:
        raise IngestError(
            f"text too long: {len(text):,} characters, more than the {settings.max_text_chars:,} of a report "
            "(split it into reports, or raise Settings.max_text_chars)"
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
                out.append("\n\n")  # a table ends with two blank lines
                in_table = False
            out.append(block.replace("\t", " ") + "\n")
        else:
            if in_table:
                out.append("\n")  # rows are separated by one blank line
            out.append("".join("\t" + _cell_lines(cell) + "\n" for cell in block))
            in_table = True
    if in_table:
        out.append("\n\n")
    return "".join(out)


def _cell_lines(cell: str) -> str:
    """A cell's text as lines: no tabs, no blank lines at its ends, never two blank lines in a row.

    A tab would start a new cell and two blank lines would end the table, so neither may occur inside one.
    """
    lines = cell.replace("\t", " ").split("\n")
    kept: list[str] = []
    for line in lines:
        if not line.strip() and (not kept or not kept[-1].strip()):
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


# --- .docx -----------------------------------------------------------------------------------------


def _docx_cell_text(cell: object) -> str:
    """A cell's paragraphs, and any table nested in it as one line per row (cells apart by spaces)."""
    from docx.table import Table, _Cell

    lines: list[str] = []
    for part in cell.iter_inner_content():
        if isinstance(part, Table):
            for row in part.rows:
                inner = [_docx_cell_text(_Cell(tc, part)).replace("\n", " ") for tc in row._tr.tc_lst]
                lines.append(" ".join(t for t in inner if t.strip()))
        else:
            lines.append(part.text)
    return "\n".join(lines)


def docx_text(data: bytes, settings: Settings | None = None) -> str:
    """Paragraphs and tables in document order; each table row keeps its cells apart.

    The archive is first inflated with counting (qa_app.readers.limits.check_zip), so python-docx, which holds
    every part in memory, only ever sees parts within the bounds.
    """
    import io

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table, _Cell
    from lxml.etree import XMLSyntaxError

    from qa_app.readers.limits import check_zip

    check_zip(data, settings or Settings())
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str | list[str]] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = [_Cell(tc, item) for tc in row._tr.tc_lst]
                    blocks.append([_docx_cell_text(cell) for cell in cells])
            else:
                blocks.append(item.text)
    except (PackageNotFoundError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, XMLSyntaxError) as exc:
        raise IngestError("not a readable .docx (damaged or incomplete file)") from exc
    except ValueError as exc:
        raise IngestError(f"not a readable .docx ({exc})") from exc
    return render_blocks(blocks)
