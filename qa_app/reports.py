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
from dataclasses import dataclass

from qa_app.ingest import Document
from qa_app.layout import Block, Layout

_CJK = r"\u4e00-\u9fff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_MARKUP = re.compile(r"^[#>*\-\s]+|\*+$")
_TITLE_END = re.compile(r"(绩效.{0,12}(报告|表)|(自评|评价)(报告|表))$")
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]?$|^第[一二三四五六七八九十]+部分\s*附件$")
_SENTENCE_PUNCT = re.compile(r"[。，,；;！？!?]")
_YEAR = re.compile(r"((?:19|20)\d{2})年(?!\d{1,2}月)")
_YEAR_DU = re.compile(r"((?:19|20)\d{2})年度")

# Administrative regions, outermost first, then the body's own name ending in an organ suffix.
# Names hold no function words: "位于北京市的公司" is a phrase, not an organisation.
_NAME_CHAR = rf"(?:(?![的于在是为了和与及或等从向对把被将])[{_CJK}])"
_REGION = rf"{_NAME_CHAR}{{2,7}}?(?:自治区|自治州|自治县|特别行政区|省|市|州|地区|盟|县|区|旗)"
_ORGAN = r"(?:委员会|办公室|管理局|局|委|办|厅|中心|院|所|站|部|队|馆|会|署|府|公司|集团|社|庭)"
_ORG = re.compile(rf"((?:{_REGION})+)({_NAME_CHAR}{{1,12}}?{_ORGAN})")
_NAMED_BODY = re.compile(rf"^{_NAME_CHAR}{{2,20}}?{_ORGAN}$")
_REGION_PART = re.compile(_REGION)
_ORG_FIELD = re.compile(r"(单位名称|部门名称|填报单位|预算单位|评价单位|实施单位)")


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

    @property
    def report_id(self) -> str:
        return f"{self.doc}#{self.index}"


def clean_line(text: str) -> str:
    """A title-like line without markdown marks or spaces between Chinese characters."""
    return _CJK_GAP.sub("", _MARKUP.sub("", text.strip())).strip()


def parse_org(text: str) -> tuple[str, tuple[str, ...]] | None:
    """The first organisation name in `text` and its region path: 株洲市渌口区信访局 → (株洲市, 渌口区)."""
    m = _ORG.search(text)
    if not m:
        return None
    return m.group(0), tuple(_REGION_PART.findall(m.group(1)))


def report_type(title: str) -> str:
    if title.endswith("表"):
        return "自评表"
    if "项目" in title:
        return "项目支出"
    if "整体" in title or "部门" in title:
        return "部门整体支出"
    return "其他"


def is_title_line(line: str) -> bool:
    """A line that reads like a report's title ("…绩效自评报告", "…绩效自评表")."""
    return _is_title_candidate(clean_line(line))


def _is_title_candidate(text: str) -> bool:
    return 4 <= len(text) <= 60 and not _SENTENCE_PUNCT.search(text) and bool(_TITLE_END.search(text))


def _titles(view: str, blocks: list[Block]) -> list[tuple[int, str]]:
    """(index of the first block of the title, title text) for every line that opens a report."""
    paras = [(i, b) for i, b in enumerate(blocks) if not b.is_row]
    found: list[tuple[int, str]] = []
    for k, (i, block) in enumerate(paras):
        text = clean_line(block.text)
        if not _is_title_candidate(text):
            continue
        first = i
        # A title broken over two lines: "2024年度岳阳市信访局整体支出" / "绩效自评报告".
        if k > 0 and not _YEAR.search(text):
            j, prev = paras[k - 1]
            prev_text = clean_line(prev.text)
            adjacent = j == i - 1 and "\n\n" not in view[prev.end : block.start]
            if adjacent and len(prev_text) <= 40 and not _SENTENCE_PUNCT.search(prev_text):
                text, first = prev_text + text, j
        if text.endswith("表"):
            earlier = [clean_line(b.text) for j, b in paras if j < first]
            at_top = (
                not found
                and not any(b.is_row for b in blocks[:first])
                and all(len(t) <= 40 and not _SENTENCE_PUNCT.search(t) for t in earlier)
            )
            after_attachment = bool(earlier) and bool(_ATTACHMENT.match(earlier[-1]))
            if not (at_top or after_attachment):
                continue
        if found and found[-1][0] == first:
            continue
        found.append((first, text))
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
        s, e = doc.norm.stored_span(vs, ve)
        reports.append(
            Report(doc.name, n, title, org, region, year, report_type(title) if titled else "其他", s, e, vs, ve)
        )
    return reports


def _find_org(title: str, blocks: list[Block], file_name: str) -> tuple[str, tuple[str, ...]]:
    """Title, labelled fields, a line that is only a name, the file's name, then the most named one."""
    found = parse_org(re.sub(r"^\d{4}年度?", "", title))
    if found:
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
    stem = re.sub(r"^[\w-]*?_", "", file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    if found := parse_org(stem):
        return found
    if _NAMED_BODY.match(stem):
        return stem, ()
    names = Counter(m.group(0) for b in blocks for m in _ORG.finditer(clean_line(b.text)))
    if names:
        name, count = names.most_common(1)[0]
        if count >= 2:
            return name, tuple(_REGION_PART.findall(_ORG.match(name).group(1)))
    return "", ()


def _find_year(title: str, text: str) -> int | None:
    """The fiscal year evaluated: the title's, else the first "20XX年度", else the year named most often."""
    m = _YEAR_DU.search(title) or _YEAR.search(title) or _YEAR_DU.search(text)
    if m:
        return int(m.group(1))
    years = Counter(int(y) for y in _YEAR.findall(text))
    return years.most_common(1)[0][0] if years else None
