"""A saved web page (.html, .htm): the report's text without the site around it, its tables kept as tables.

A report saved from a government portal sits among the site's menus, breadcrumbs, link lists, search box,
footer and scripts; one saved from Word ("网页" / .htm) is the document in Word's markup. The page is
parsed with lxml's HTML parser, and what is not the report is removed before any text is taken:

- elements that never show report text (script, style, nav, form, iframe, hidden elements …), and a
  page's own <header>/<footer> (those of an <article> or <main> are the report's);
- elements whose class or id names a part of the site (nav, menu, footer, breadcrumb, sidebar, share,
  copyright, 导航 as "dh" …);
- blocks that are mostly link text (a menu or a list of related links), judged top down, so a block that
  holds the report is kept and only its link lists go.

Then block elements (p, div, h1…h6, li, br …) are paragraphs (the page's heading once, where the report
opens with the same title) and each data table a grid
(qa_app.readers.grid, rowspan/colspan as merged ranges); a table used for layout (one that holds a
table, or has one column) is read as the flow of its cells. Bounds: the page's elements and text are
counted by a parser that builds nothing (max_xml_nodes, max_xml_text_chars) before lxml builds the tree.
"""

from __future__ import annotations

import re

from qa_app.config import Settings
from qa_app.readers.base import IngestError, render_blocks
from qa_app.readers.bounds import count_html
from qa_app.readers.grid import Blocks, Grid, grid_blocks
from qa_app.readers.plain import decode_text

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "hz-gb-2312"}
# Elements that never show report text.
_DROP = {
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "svg",
    "canvas", "form", "button", "select", "input", "textarea", "nav", "menu", "head", "title", "meta",
    "link", "audio", "video", "map",
}  # fmt: skip
_SITE_PART = re.compile(
    r"(?:^|[\s_-])(?:nav\w*|menu\w*|footer\w*|foot|bottom|breadcrumbs?|crumbs?|sidebar|side|share\w*|copyright"
    r"|banner|topbar|toolbar|login|search\w*|position|location|weizhi|dh|daohang|friend\w*|links?|related"
    r"|skip|goto?top|backtop|qrcode|ewm)(?:$|[\s_-])",
    re.IGNORECASE,
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BLOCK = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre",
    "section", "article", "main", "header", "footer", "address", "figure", "figcaption", "caption", "center",
    "hr", "body", "html", "tr", "td", "th", "tbody", "thead", "tfoot",
}  # fmt: skip
_MOSTLY_LINKS = 0.5  # a block whose text is more than this share link text, in 3 or more links, is the site's
_MAX_COLSPAN = 1000  # the HTML standard's own clamp
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_BREAK_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u200b]*[\r\n][ \t\r\n\u200b]*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u200b]+")


def decode_html(data: bytes) -> tuple[str, str]:
    """The page's text and encoding: a BOM, else the charset its <meta> names, else strict detection."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) and (m := _CHARSET.search(data[:4096])):
        named = m.group(1).decode("ascii").lower()
        encoding = "gb18030" if named in _GB else named
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(data)


def html_text(data: bytes, settings: Settings | None = None) -> tuple[str, str]:
    """(stored text, encoding) of a saved page: its report's paragraphs and tables, the site removed."""
    import lxml.html
    from lxml import etree

    settings = settings or Settings()
    text, encoding = decode_html(data)
    text = _XML_DECLARATION.sub("", text)
    count_html(text, settings)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError("不是可读的网页文件（无法解析 HTML），已拒绝") from exc
    _remove_site(root)
    blocks: Blocks = []
    _Flow(blocks, settings).walk(root)
    return render_blocks(_title_once(blocks)), encoding


def _title_once(blocks: Blocks, within: int = 8) -> Blocks:
    """The page's heading dropped where the report below it opens with the same title (on one line, or
    starting a title set on two)."""
    for i, block in enumerate(blocks[:within]):
        if not isinstance(block, str) or len(key := _SPACES.sub("", block)) < 8:
            continue
        for later in blocks[i + 1 : i + 1 + within]:
            line = _SPACES.sub("", later) if isinstance(later, str) else ""
            if line == key or (len(line) >= 8 and key.startswith(line)):
                return blocks[:i] + blocks[i + 1 :]
    return blocks


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _remove_site(root) -> None:
    """Drop what is not the report: non-text elements, hidden ones, the site's parts by name and by links."""
    for el in list(root.iter()):
        if el.getparent() is None:
            continue
        tag = _tag(el)
        if not tag:  # a comment or processing instruction (Word's <!--[if gte mso 9]> blocks)
            _drop(el)
            continue
        names = f"{el.get('class', '')} {el.get('id', '')}"
        in_report = any(_tag(a) in ("article", "main") for a in el.iterancestors())
        if (
            tag in _DROP
            or el.get("hidden") is not None
            or _HIDDEN.search(el.get("style", ""))
            or (tag in ("header", "footer", "aside") and not in_report)
            or (tag not in ("body", "html") and _SITE_PART.search(names) and not _holds_report(el))
        ):
            _drop(el)
    _drop_link_blocks(root)


def _holds_report(el) -> bool:
    """A block named like a site part that still holds the report (a page-wide "side-content" wrapper)."""
    return el.find(".//table") is not None or len(_text_of(el)) > 2000


def _drop(el) -> None:
    """Remove an element but keep the text that follows it (its tail) in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    previous = el.getprevious()
    parent.remove(el)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _text_of(el) -> str:
    return _SPACES.sub("", "".join(el.itertext()))


def _drop_link_blocks(el) -> None:
    """Top down: a block that is mostly link text goes whole; otherwise its children are judged in turn."""
    for child in list(el):
        if _tag(child) in ("table", "tr", "td", "th"):
            _drop_link_blocks(child)
            continue
        links = child.findall(".//a") if _tag(child) != "a" else []
        if len(links) >= 3:
            total = len(_text_of(child))
            linked = sum(len(_text_of(a)) for a in links)
            if total and linked / total > _MOSTLY_LINKS:
                _drop(child)
                continue
        _drop_link_blocks(child)


def _clean(text: str) -> str:
    """Inline text as a browser shows it: runs of white space as one space, a line break in the source between
    two Chinese characters as nothing (CSS's segment-break rule for Chinese)."""
    return _SPACES.sub(" ", _BREAK_BETWEEN_CJK.sub("", text)).strip()


class _Flow:
    """Walks the cleaned tree, gathering inline text into paragraphs and tables into grids."""

    def __init__(self, blocks: Blocks, settings: Settings) -> None:
        self.blocks, self.settings = blocks, settings
        self.line: list[str] = []

    def flush(self, empty_paragraph: bool = False) -> None:
        """The gathered inline text as a paragraph; an empty <p> (Word's blank line) as an empty one."""
        text = _clean("".join(self.line))
        self.line.clear()
        if text or empty_paragraph:
            self.blocks.append(text)

    def walk(self, el) -> None:
        tag = _tag(el)
        if tag == "table" and _is_data_table(el):
            self.flush()
            self.blocks.append("")  # a table right after another is its own table
            self.blocks.extend(grid_blocks(_table_grid(el, self.settings), self.settings.max_sheet_cells, sheet=False))
            self.blocks.append("")
            return
        if tag == "br":
            self.flush()
        block = tag in _BLOCK
        if block:
            self.flush()
        at = len(self.blocks)
        if el.text and tag:
            self.line.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.line.append(child.tail)
        if block:
            self.flush(empty_paragraph=tag == "p" and len(self.blocks) == at)


def _rows(table) -> list:
    """The table's own rows (in thead, tbody, tfoot or directly), not those of a table inside a cell."""
    rows = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if _tag(r) == "tr")
    return rows


def _cells(row) -> list:
    return [c for c in row if _tag(c) in ("td", "th")]


def _is_data_table(table) -> bool:
    """A table of data, not one that lays out a page: no table inside it, and more than one column."""
    if table.find(".//table") is not None:
        return False
    return any(len(_cells(r)) > 1 for r in _rows(table))


def _span(cell, name: str, limit: int) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", cell.get(name, "1")) or 1), limit))
    except ValueError:
        return 1


def _cell_text(cell) -> str:
    """A cell's lines: its paragraphs and line breaks kept, inline text joined as a browser shows it."""
    blocks: Blocks = []
    flow = _Flow(blocks, Settings())
    flow.line.append(cell.text or "")
    for child in cell:
        flow.walk(child)
        if child.tail:
            flow.line.append(child.tail)
    flow.flush()
    return "\n".join(b if isinstance(b, str) else " ".join(b) for b in blocks if b)


def _table_grid(table, settings: Settings | None = None) -> Grid:
    """The table's cells on a grid: each cell at the first free column of its row, rowspan/colspan merged."""
    grid = Grid()
    rows = _rows(table)
    taken: set[tuple[int, int]] = set()
    limit = Settings().max_sheet_cells if settings is None else settings.max_sheet_cells
    for r, row in enumerate(rows):
        c = 0
        for cell in _cells(row):
            while (r, c) in taken:
                c += 1
            colspan = _span(cell, "colspan", _MAX_COLSPAN)
            rowspan = _span(cell, "rowspan", len(rows) - r)  # a rowspan past the table's end stops at its end
            grid.put(r, c, _cell_text(cell))
            if colspan > 1 or rowspan > 1:
                if len(taken) + rowspan * colspan > limit:
                    raise IngestError(f"网页表格的合并单元格超过 {limit:,} 个，已拒绝")
                grid.merges.append((r, c, r + rowspan - 1, c + colspan - 1))
                taken.update((r + i, c + j) for i in range(rowspan) for j in range(colspan))
            c += colspan
    return grid
