"""Split a document into the reports it holds and read each report's metadata by general rules.

A file may hold several reports (a department's overall report followed by project reports, or a
self-evaluation table as 附件1 and the report as 附件2). A report starts at a title line: a short line
ending in 报告, or ending in 表 at the top of a file or right after an 附件 line (a 自评表 named inside a
report's prose is part of that report). Organisation, region, fiscal year and type come from the title,
from labelled fields (单位名称, 预算部门名称 …), from a line that is only an organisation's name, and
last from the report before it in the same file.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, replace

from qa_app.lexicon import load, ordered
from qa_app.readers.base import Document
from qa_app.structure.layout import Block, Layout
from qa_app.text.headings import clean_line
from qa_app.text.names import NAMED_BODY, REGION_PART, TITLE_ORG, division_start, orgs, parse_org

_WORDS = load("report_types")
_NUMERALS = load("headings")["numerals"]
_DOCUMENTS = ordered(_WORDS["documents"])
_TITLE_END = re.compile(
    rf"({_WORDS['performance']}.{{0,12}}({_DOCUMENTS})|({ordered(_WORDS['assessments'])})({_DOCUMENTS}))$"
)
_ATTACHMENT = re.compile(
    rf"^{_WORDS['attachment']}\s*\d*\s*[:：]?$|^第[{_NUMERALS}]+{_WORDS['attachment_part']}\s*{_WORDS['attachment']}$"
)
# "附件2：2024年度…自评表" on one line
_ATTACHMENT_PREFIX = re.compile(rf"^{_WORDS['attachment']}\s*\d*\s*[:：]\s*(?=\S)")
_TITLE_NOTE = re.compile(r"\s*\([^()]{1,8}\)$")  # "…自评报告（公示稿）"
_LEAD_WORD = _WORDS["title_lead"]
_TITLE_LEAD = re.compile(rf"^(?:{_LEAD_WORD})?(?:\d{{4}}(?:[-~至]\d{{4}})?年度?)?(?:{_LEAD_WORD})?")
_SENTENCE_PUNCT = re.compile(r"[。，,；;！？!?]")
_YEAR = re.compile(r"((?:19|20)\d{2})年(?!\d{1,2}月)")
_YEAR_DU = re.compile(r"((?:19|20)\d{2})年度")
_TITLE_SUBJECT = re.compile(rf"(?:{ordered(_WORDS['subjects'])}).*$")
_ORG_FIELD = re.compile(f"({ordered(load('organisations')['field_labels'])})")
_CN_NUM = f"[{_NUMERALS}]+"
LIST_MARKER = re.compile(rf"^(?:\d{{1,3}}\s*[.、)]|\(\d{{1,3}}\)|{_CN_NUM}\s*[、.]|\({_CN_NUM}\))")


@dataclass(frozen=True)
class Report:
    """One report within a document; `start`/`end` are stored offsets, `view_*` offsets into the view."""

    doc: str
    index: int
    title: str
    org: str
    region: str
    year: int | None
    type: str
    start: int
    end: int
    view_start: int
    view_end: int
    titled: bool = True  # False when the file has no title line and `title` is only its first line

    @property
    def report_id(self) -> str:
        return f"{self.doc}#{self.index}"


def title_org(title: str) -> tuple[str, tuple[str, ...]] | None:
    """The organisation a title names before what it evaluates: "2024年度长沙市第一中学部门整体支出…"."""
    head = _TITLE_SUBJECT.sub("", _TITLE_LEAD.sub("", title))
    m = TITLE_ORG.match(head)
    if not m:
        return None
    skip = division_start(m.group(1))
    start = m.start(1) + skip if skip else 0
    return m.group(0)[start:], tuple(REGION_PART.findall(m.group(1)[skip:]))


def report_type(title: str) -> str:
    """The report's type by its title's words (qa_app/lexicon/report_types.toml)."""
    if title.endswith(_WORDS["table_ending"]):
        return _WORDS["table_type"]
    for kind in _WORDS["type"]:
        if any(word in title for word in kind["words"]):
            return kind["name"]
    return _WORDS["other"]


def is_title_line(line: str) -> bool:
    """A line that reads like a report's title ("…绩效自评报告", "…绩效自评表")."""
    return _is_title_candidate(clean_line(line))


def _is_title_candidate(text: str) -> bool:
    """Short, no sentence punctuation, no list marker ("1.…报告" lists attachments), ends like a title."""
    text = _TITLE_NOTE.sub("", text)
    return (
        4 <= len(text) <= 60
        and not _SENTENCE_PUNCT.search(text)
        and not LIST_MARKER.match(text)
        and bool(_TITLE_END.search(text))
    )


def _titles(view: str, blocks: list[Block]) -> list[tuple[int, str]]:
    """(index of the first block of the title, title text) for every line that opens a report."""
    found: list[tuple[int, str]] = []
    prev: tuple[int, str] | None = None  # the paragraph before this one: (block index, clean text)
    at_top = True  # nothing but short lines so far: a 表 title here opens the file's first report
    for i, block in enumerate(blocks):
        if block.is_row:
            at_top, prev = False, None
            continue
        line = clean_line(block.text)
        text = _ATTACHMENT_PREFIX.sub("", line)
        inline_attachment = text != line
        candidate = _is_title_candidate(text)
        first = i
        # A title broken over two lines: "2024年度岳阳市信访局整体支出" / "绩效自评报告".
        if candidate and prev is not None and not _YEAR.search(text):
            j, prev_text = prev
            adjacent = j == i - 1 and "\n\n" not in view[blocks[j].end : block.start]
            short = len(prev_text) <= 40 and not _SENTENCE_PUNCT.search(prev_text)
            if adjacent and short and not _ATTACHMENT.match(prev_text):
                text, first = prev_text + text, j
        if candidate and text.endswith("表"):
            # A 自评表 opens a report only at the top of a file or after its 附件 line; named in prose
            # ("绩效自评表如下"), it is part of the report around it.
            before = prev[1] if prev is not None and prev[0] < first else ""
            candidate = (at_top and not found) or inline_attachment or bool(_ATTACHMENT.match(before))
        if candidate and not (found and found[-1][0] == first):
            found.append((first, text))
        if len(text) > 40 or _SENTENCE_PUNCT.search(text):
            at_top = False
        prev = (i, line)
    return found


def split_reports(doc: Document, layout: Layout) -> list[Report]:
    """The reports of one document, covering all of its text; a file with no title is one report."""
    view = doc.norm.text
    blocks = layout.blocks
    titles = _titles(view, blocks)
    titled = bool(titles)
    if not titled:  # no title line: the first line names the report, and tells nothing of its metadata
        first = next((clean_line(b.text) for b in blocks if not b.is_row and b.text.strip()), "")
        titles = [(0, first[:60] or doc.name)]
    # Text before the first title (an 附件 line, the organisation's name) belongs to the first report.
    starts = [0] + [blocks[i].start for i, _ in titles[1:]]
    # A title preceded by its 附件 line starts at that line.
    for n, (i, _) in enumerate(titles[1:], start=1):
        if i > 0 and not blocks[i - 1].is_row and _ATTACHMENT.match(clean_line(blocks[i - 1].text)):
            starts[n] = blocks[i - 1].start
    ends = [*starts[1:], len(view)]
    reports: list[Report] = []
    for n, ((_, title), vs, ve) in enumerate(zip(titles, starts, ends, strict=True)):
        inside = layout.within(vs, ve)
        org, path = _find_org(title if titled else "", inside, doc.name)
        region = " › ".join(path)
        if not region and reports:  # "信访局" in a project report: the file's organisation, named before
            org, region = reports[-1].org, reports[-1].region
        year = _find_year(title if titled else "", view[vs:ve])
        if year is None and reports:
            year = reports[-1].year
        kind = report_type(title) if titled else _WORDS["other"]
        reports.append(Report(doc.name, n, title, org, region, year, kind, 0, 0, vs, ve, titled))
    # Stored spans tile the whole file: each report ends where the next begins.
    stored_starts = [0] + [doc.norm.stored_span(r.view_start, r.view_start)[0] for r in reports[1:]]
    stored_ends = [*stored_starts[1:], len(doc.text)]
    return [replace(r, start=s, end=e) for r, s, e in zip(reports, stored_starts, stored_ends, strict=True)]


def _find_org(title: str, blocks: list[Block], file_name: str) -> tuple[str, tuple[str, ...]]:
    """Title, labelled fields, a line that is only a name, the file's name, then the most named one."""
    if found := title_org(title):
        return found
    for block in blocks:
        if block.is_row:
            cells = [c.flat for c in block.cells if c.flat]
            for label, value in itertools.pairwise(cells):
                if _ORG_FIELD.search(label) and (found := parse_org(value)):
                    return found
        else:
            text = clean_line(block.text)
            m = _ORG_FIELD.search(text)
            if m and (found := parse_org(text[m.end() :])):
                return found
    for block in blocks:
        text = clean_line(block.text)
        if not block.is_row and len(text) <= 30 and (found := parse_org(text)) and text.startswith(found[0]):
            return found
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for part in re.split(r"[_\-\s]+", stem):  # "db31_社交科技有限公司", "湘潭县信访局_2024"
        if found := parse_org(part):
            return found
        if NAMED_BODY.match(part):
            return part, ()
    names = Counter(found for b in blocks for found in orgs(clean_line(b.text)))
    if names:
        found, count = names.most_common(1)[0]
        if count >= 2:
            return found
    return "", ()


def _find_year(title: str, text: str) -> int | None:
    """The fiscal year evaluated: the title's, else the first "20XX年度", else the year named most often."""
    m = _YEAR_DU.search(title) or _YEAR.search(title) or _YEAR_DU.search(text)
    if m:
        return int(m.group(1))
    years = Counter(int(y) for y in _YEAR.findall(text))
    return years.most_common(1)[0][0] if years else None
