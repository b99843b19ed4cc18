"""Text and ruled tables of a PDF, rebuilt into paragraphs and rows for the stored-text convention.

A PDF holds positioned characters, not paragraphs. Lines are rebuilt from the characters, and a line
is joined to the one before it when that one was wrapped: it ran to the right margin (the first word
of the next line would not have fitted after it), the next line is not indented, is set in the same
size and follows at the usual line distance. Ruled tables are read cell by cell with the same rule
inside each cell, so a cell keeps its own line breaks but not the ones its width forced. Page numbers
above or below the text are dropped, so a paragraph that runs on over a page break is joined again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import pdfplumber

from qa_app.config import Settings
from qa_app.readers.base import IngestError, render_blocks
from qa_app.readers.bounds import check_pdf

# Characters that may not start a line: line breaking carries the character before them along.
_NO_LINE_START = set("，。、；：？！）》」』】〕〉’”…%,.;:?!)]}·—～")
_NO_LINE_END = set("（《「『【〔〈‘“([{")
_LEADING_PUNCT = _NO_LINE_START | _NO_LINE_END
_PUNCT_END = _LEADING_PUNCT | set("-~")
_SENTENCE_STOP = set("。！？；：!?;:")
_LIST_ITEM = re.compile(
    r"^\s*(?:[（(]\s*(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[)）]|(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[、.．](?!\d)"
    r"|第[一二三四五六七八九十百]+[部分章节条])"
)
# "3", "- 3 -", "第3页", "第 3 页 共 10 页", "3/10": a line that is only a page number.
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*(?:/|／|共)\s*\d{1,4}\s*页?)?[-—–\s]*$")


@dataclass(frozen=True)
class _Line:
    """One rebuilt text line: its box, text, font size and the width of its first unbreakable unit."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float
    lead_width: float


_Item = _Line | list[str]  # a text line, or a table row as its cell texts


@dataclass
class _Page:
    """A page's content top to bottom: text lines outside tables, and table rows."""

    items: list[tuple[float, _Item]]


def pdf_text(data: bytes, settings: Settings | None = None) -> str:
    """Text lines re-joined into paragraphs, and ruled tables cell by cell, in reading order."""
    return pdf_read(data, settings)[0]


OcrSpan = tuple[int, int, int, bool]  # a recognised word: stored start, end, page (from 1), doubtful


def pdf_read(data: bytes, settings: Settings | None = None) -> tuple[str, tuple[OcrSpan, ...]]:
    """The stored text, and where in it each word recognised on a scanned page stands.

    The streams, pages and images are checked against the bounds first (qa_app.readers.bounds.check_pdf), and
    each page's objects are let go once read, so memory follows one page, not the document. A page with an
    image and no text layer is rendered and read by OCR (qa_app.readers.ocr); its lines go through the same
    paragraph rules as a text page's.
    """
    import io

    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    settings = settings or Settings()
    check_pdf(data, settings)
    scans: dict[int, tuple[bytes, int]] = {}  # page index → its image and dots per inch, for OCR
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = []
            for n, page in enumerate(pdf.pages):
                pages.append(_pdf_page(page, settings))
                if not page.chars and page.images:
                    if len(scans) >= settings.max_ocr_pages:
                        raise IngestError(f"扫描页超过 {settings.max_ocr_pages:,} 页，文字识别需时过长，已拒绝")
                    from qa_app.readers.ocr import missing, page_png, scan_dpi, tesseract

                    if tesseract() is None:
                        raise missing()
                    dpi = scan_dpi(page, settings)
                    scans[n] = (page_png(page, dpi, settings), dpi)
                page.close()
    except (MemoryError, IngestError):
        raise  # the reading child refuses the file for its memory, not as a damaged PDF
    except Exception as exc:  # pdfminer raises many types on malformed files; classify the wrapped one
        cause = exc.__cause__ or exc.__context__ or exc
        if isinstance(cause, MemoryError):  # pdfplumber wraps what pdfminer raised, running out of memory too
            raise MemoryError from None
        if isinstance(cause, PDFEncryptionError | PDFPasswordIncorrect) or isinstance(
            exc, PDFEncryptionError | PDFPasswordIncorrect
        ):
            raise IngestError("encrypted PDF (password protected)") from exc
        raise IngestError("not a readable PDF (damaged or incomplete file)") from exc
    ocr_lines = _ocr_pages(scans, pages, settings)
    blocks = _pdf_page_blocks(pages, settings)
    if not any(b.strip() if isinstance(b, str) else any(c.strip() for c in b) for b in blocks):
        if scans:
            raise IngestError("扫描版 PDF 经文字识别（OCR）仍没有可读的文字，已拒绝")
        raise IngestError("no text layer (scanned PDF?)")
    text = render_blocks(blocks)
    return text, _ocr_spans(text, ocr_lines, settings)


def _ocr_pages(
    scans: dict[int, tuple[bytes, int]], pages: list[_Page], settings: Settings
) -> list[tuple[int, _Line, object]]:
    """OCR every scanned page (`ocr_workers` at once) and put its lines on its page; (page, line, OcrLine)."""
    if not scans:
        return []
    from concurrent.futures import ThreadPoolExecutor

    from qa_app.readers.ocr import ocr_image

    with ThreadPoolExecutor(max_workers=max(1, settings.ocr_workers)) as pool:
        read = dict(zip(scans, pool.map(lambda scan: ocr_image(*scan, settings), scans.values()), strict=True))
    placed: list[tuple[int, _Line, object]] = []
    for n, lines in read.items():
        items: list[tuple[float, _Item]] = []
        for ocr in lines:
            size = ocr.bottom - ocr.top
            line = _Line(ocr.x0, ocr.x1, ocr.top, ocr.bottom, ocr.text, size, ocr.char_width)
            items.append((line.top, line))
            placed.append((n + 1, line, ocr))
        pages[n] = _Page(_drop_page_numbers(sorted(items, key=lambda item: item[0]), settings))
    return placed


def _ocr_spans(text: str, placed: list[tuple[int, _Line, object]], settings: Settings) -> tuple[OcrSpan, ...]:
    """Each recognised word's place in the stored text (its line is found there in reading order)."""
    spans: list[OcrSpan] = []
    cursor = 0
    for page, line, ocr in placed:
        at = text.find(line.text, cursor)
        if at < 0:
            continue  # a page number, dropped from the text
        cursor = at + len(line.text)
        for word in ocr.words:
            spans.append((at + word.start, at + word.end, page, word.confidence < settings.ocr_min_confidence))
    return tuple(spans)


def _pdf_page(page: pdfplumber.page.Page, settings: Settings) -> _Page:
    """Ruled tables (row by row, cell by cell) and the text lines outside them, ordered top to bottom."""
    page = page.dedupe_chars()
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    items: list[tuple[float, _Item]] = []
    outside = page.filter(lambda obj: _is_char(obj) and not any(_inside(obj, box) for box in boxes))
    items.extend((ln.top, ln) for ln in _text_lines(outside))
    for table in tables:
        table_chars = page.filter(lambda obj, box=table.bbox: _is_char(obj) and _inside(obj, box))
        for row in table.rows:
            row_chars = table_chars.filter(lambda obj, box=row.bbox: _inside(obj, box))
            # On the table's grid, as the .docx reader writes it: a column that a merged cell covers (None) is an
            # empty cell, except after the row's last cell, which spans the rest of the row.
            boxes_on_grid = list(row.cells)
            while boxes_on_grid and boxes_on_grid[-1] is None:
                boxes_on_grid.pop()
            cells = [
                _cell_text(row_chars.filter(lambda obj, box=box: _inside(obj, box)), box, settings) if box else ""
                for box in boxes_on_grid
            ]
            items.append((row.bbox[1], cells))
    items.sort(key=lambda item: item[0])
    return _Page(_drop_page_numbers(items, settings))


def _drop_page_numbers(items: list[tuple[float, _Item]], settings: Settings) -> list[tuple[float, _Item]]:
    """A page number stands apart above or below the text; it is no part of the text around it."""
    for end, inner in ((-1, -2), (0, 1)):
        if not items or not isinstance(line := items[end][1], _Line) or not _PAGE_NUMBER.match(line.text):
            continue
        gap = settings.pdf_page_number_gap_lines * (line.bottom - line.top)
        if len(items) == 1 or abs(items[inner][0] - line.top) > gap:
            items.pop(end)
    return items


def _is_char(obj: dict) -> bool:
    return obj["object_type"] == "char"


def _inside(char: dict, box: tuple[float, float, float, float]) -> bool:
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _text_lines(page: pdfplumber.page.Page) -> list[_Line]:
    """Lines of text of a page's characters (a filtered page: only those of one region).

    The document's own spaces are kept, and a wide gap without any reads as one space.
    """
    if not page.chars:
        return []
    lines: list[_Line] = []
    for ln in page.extract_text_lines(strip=True, return_chars=True, keep_blank_chars=True):
        body = [c for c in ln["chars"] if c["text"].strip()]
        text = ln["text"].strip()
        if not body or not text:
            continue
        sizes = sorted(c["size"] for c in body)
        x0, x1 = min(c["x0"] for c in body), max(c["x1"] for c in body)
        lines.append(_Line(x0, x1, ln["top"], ln["bottom"], text, sizes[len(sizes) // 2], _lead_width(body)))
    return lines


def _lead_width(chars: list[dict]) -> float:
    """Width of what a line breaker moves as one piece with a line's first character.

    That is any punctuation in front, then one Chinese character or a whole Latin word or number, then
    the punctuation that may not start a line.
    """
    n = len(chars)
    end = 0
    while end < n - 1 and chars[end]["text"] in _LEADING_PUNCT:
        end += 1
    if _latin(chars[end]["text"]):
        while end < n and _latin(chars[end]["text"]):
            end += 1
    else:
        end += 1
    while end < n and chars[end]["text"] in _NO_LINE_START:
        end += 1
    return chars[end - 1]["x1"] - chars[0]["x0"]


def _latin(ch: str) -> bool:
    """A character of a Latin word or a number: letters, digits and the marks inside numbers."""
    return ch.isascii() and (ch.isalnum() or ch in ".,%-+/")


def _cell_text(cell: pdfplumber.page.Page, box: tuple[float, float, float, float], settings: Settings) -> str:
    """A cell's paragraphs (`cell`: the page filtered to its characters), wrapped lines re-joined against the
    cell's inner right edge."""
    lines = _text_lines(cell)
    if not lines:
        return ""
    pad = max(0.0, min(ln.x0 for ln in lines) - box[0])  # cell margins are set alike on both sides
    right = max(box[2] - pad, _right_margin(lines, settings))
    paragraphs: list[list[_Line]] = []
    for prev, line in zip([None, *lines], lines, strict=False):
        if prev is not None and _wrapped(prev, line, right, settings):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return "\n".join(_join_lines(p) for p in paragraphs)


def _right_margin(lines: list[_Line], settings: Settings) -> float:
    """Where full lines end: the rightmost end two lines share, not counting punctuation hung into the margin."""
    ends = [ln.x1 for ln in lines if ln.text[-1] not in _PUNCT_END] or [ln.x1 for ln in lines]
    return _shared_edge(ends, max, settings.pdf_edge_tolerance_pt)


def _shared_edge(values: list[float], outermost: Callable[..., float], tolerance: float) -> float:
    """The outermost position (`min` or `max`) that at least two lines reach alike; else the outermost one.

    One stray line (a note in the margin, an overlong word) then does not move the margin of the text.
    """
    ordered = sorted(values, reverse=outermost is max)
    for a, b in itertools.pairwise(ordered):
        if abs(a - b) <= tolerance:
            return a
    return outermost(values, default=0.0)


def _wrapped(prev: _Line, line: _Line, right: float, settings: Settings) -> bool:
    """True when `line` continues `prev` because `prev` had no room for its first word.

    A sentence that ends where the next line opens a numbered item ("。" then "（4）") ends its paragraph
    even when the item's marker would not have fitted after it.
    """
    if abs(prev.size - line.size) > settings.pdf_same_size_ratio * max(prev.size, line.size):
        return False
    if prev.text[-1] in _SENTENCE_STOP and _LIST_ITEM.match(line.text):
        return False
    # The tolerance covers a space that the break swallowed and small differences in glyph widths.
    return prev.x1 + line.lead_width > right - settings.pdf_wrap_tolerance * line.size


def _pdf_page_blocks(pages: list[_Page], settings: Settings) -> list[str | list[str]]:
    """Paragraphs (re-joined across lines and pages) and table rows of a whole document, in order."""
    body = [item for page in pages for _, item in page.items if isinstance(item, _Line)]
    if not body:
        return [item for page in pages for _, item in page.items if not isinstance(item, _Line)]
    left = _shared_edge([ln.x0 for ln in body], min, settings.pdf_edge_tolerance_pt)
    right = _right_margin(body, settings)
    same = settings.pdf_same_size_ratio
    gaps = [
        b.top - a.bottom
        for page in pages
        for (_, a), (_, b) in itertools.pairwise(page.items)
        if isinstance(a, _Line) and isinstance(b, _Line) and abs(a.size - b.size) < same * a.size
    ]
    usual_gap = _median([g for g in gaps if g >= 0])
    blocks: list[str | list[str]] = []
    paragraph: list[_Line] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_join_lines(paragraph))
            paragraph.clear()

    for page in pages:
        prev: _Line | None = paragraph[-1] if paragraph else None  # a paragraph may go on over a page break
        new_page = True
        for _, item in page.items:
            if not isinstance(item, _Line):
                flush()
                blocks.append(item)
                prev = None
                continue
            spaced = (
                prev is not None
                and not new_page
                and item.top - prev.bottom > usual_gap + settings.pdf_paragraph_gap * item.size
            )
            continues = (
                prev is not None
                and item.x0 <= left + settings.pdf_indent * item.size  # an indented line opens a paragraph
                and _wrapped(prev, item, right, settings)
                and not spaced
            )
            if not continues:
                flush()
                if spaced and blocks and isinstance(blocks[-1], str) and blocks[-1]:
                    blocks.append("")  # space between paragraphs reads as the blank line it stands for
            paragraph.append(item)
            prev, new_page = item, False
    flush()
    return blocks


def _join_lines(lines: list[_Line]) -> str:
    """Wrapped lines as one paragraph: Chinese joins directly, Latin words keep a space between them."""
    text = lines[0].text
    for line in lines[1:]:
        a, b = text[-1], line.text[0]
        latin_break = a.isascii() and b.isascii() and (a.isalpha() or a in ",;:!?") and b.isalnum()
        text += (" " if latin_break else "") + line.text
    return text


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0
