"""What every reader shares: the Document it returns, the IngestError it raises, and the stored-text convention.

All formats end up in the same plain-text convention, the one Word's own text export uses and the seed
reports arrive in: a paragraph is a line; a table row is a run of lines each starting with a tab (one per
cell; a cell's further lines carry no tab), rows are separated by a blank line, and a table ends with two.
Cells stand on the table's grid: a merged cell is followed by an empty cell for each further grid column it
spans, except a row's last cell, which spans the rest of the row (a shorter row), and a cell merged down
is an empty cell in each further row. One parser downstream (`layout.parse_blocks`) then serves every
format, and citations index into this stored text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from qa_app.config import Settings
from qa_app.text.normalize import Normalized

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
    # Words read by OCR from scanned pages: (stored start, end, page from 1, doubtful: under the confidence bound).
    ocr: tuple[tuple[int, int, int, bool], ...] = field(default=(), repr=False)


def check_text_length(text: str, settings: Settings) -> None:
    """Refuse a text longer than a report: it is an archive or a dump, and would take hours to embed."""
    if len(text) > settings.max_text_chars:
        raise IngestError(
            f"text too long: {len(text):,} characters, more than the {settings.max_text_chars:,} of a report "
            "(split it into reports, or raise Settings.max_text_chars)"
        )


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
