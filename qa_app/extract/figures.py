"""Every figure in a report, with what it measures, whose it is, which year, and where it stands.

Prose: each number with a unit ("信访救助支出519.69万元", "占30.61%", "1276 批2911人次") becomes a figure; its
metric is the phrase before it in its clause, cleaned of subjects and function words ("我局", "其中",
"为"). A clause that only compares ("比去年同期", "减少", "占") takes the subject of the figure before it and
sets the period (previous year, change) or makes a share ("基本支出占比"). Tables: a numeric cell is
labelled row·column ("年度资金总额·全年执行数") and takes its unit from the header ("（万元）"), the
column (分值 → 分) or the row's merged label. Offsets are exact stored offsets of the number and unit.

Columns of the figures table (`figures_frame`):
    figure_id, doc, report_id, chunk_id, org, region, year, period ("current" | "previous" | "change"),
    value (float; NaN when malformed), text (stored text of number and unit), unit, metric, section,
    source ("text" | "table"), start, end (stored offsets of `text`), quote_start, quote_end (stored
    offsets of the sentence or table row it stands in), malformed (bool).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass, replace

import cn2an
import pandas as pd

from qa_app.readers.ingest import Document
from qa_app.structure.chunk import Chunk, Section, heading_of
from qa_app.structure.layout import NUMERIC_CELL, UNIT_ALT, Block, Layout, RowContext, strip_paren_unit
from qa_app.structure.reports import LIST_MARKER, Report, is_title_line

# A minus sign only where no number or % stands before it ("下降-3.2%", not "200-400", "15%-20%");
# a thousands separator only between 1-3 digits and groups of exactly three.
# Amounts and shares written in Chinese numerals: "五十万元", "三千二百万元", "百分之九十八".
_CN_NUMERAL = "[零〇一二两三四五六七八九十百千点]"
NUMBER_WITH_UNIT = re.compile(
    r"(?<![\d.A-Za-z])(?<!\d,)((?:(?<![%\d])[-−])?(?:\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)*|\d+(?:\.\d+)*)"
    rf"|(?<!{_CN_NUMERAL}){_CN_NUMERAL}{{1,12}}(?=万元|亿元|元)|百分之{_CN_NUMERAL}{{1,8}})"
    rf"(余|多)?({UNIT_ALT})?"
)
_NOT_A_FIGURE_AFTER = re.compile(r"^(?:年|月|日|号|届|季度|岁|时|点|:\d|/)")
_RANGE_TAIL = re.compile(rf"^[-~～至到](\d+(?:\.\d+)?)(?:余|多)?({UNIT_ALT})")
# Cells that identify rather than measure: serial numbers, phone numbers, codes, dates, years.
_NOT_A_MEASURE = re.compile(r"序号|编号|代码|编码|电话|手机|邮编|传真|号码|身份证|账号|^(?:年份|年度|日期|时间|年)$")
_WHEN = re.compile(r"(?:时间|日期|年份)$")  # "完成时间 | 2024": a year, not an amount
_ORDINAL_BEFORE = re.compile(r"(?:第|表|图|附表|附件|附图|序号|编号)\s*$")
_YEAR_NUMBER = re.compile(r"^(?:19|20)\d{2}$")
_DATE_CELL = re.compile(r"^(?:19|20)\d{2}[./-](?:0?[1-9]|1[0-2])(?:[./-]\d{1,2})?$")  # "2024.12"
# What a column header says of its figures' time: "2023年", "上年数", "增减".
_HEADER_YEAR = re.compile(r"((?:19|20)\d{2})年?")
_HEADER_PREVIOUS = re.compile(r"上年|去年|上一年")
_HEADER_CHANGE = re.compile(r"增减|变动|增幅|增长|同比|差额")
_SENTENCE_STOP = set("。;!?")
_CLAUSE_STOP = set(',、:;。!?()“”"《》\n')
_OPENERS = {")": "(", "”": "“", "》": "《"}

_LEAD = re.compile(
    r"^(?:截至|截止)?(?:\d{4}年(?:度|底|末)?|本年度|本年|今年|当年|该年|年内|年度内)|"
    rf"{LIST_MARKER.pattern}|"
    r"^(?:我|本)(?:中心|单位|部门|系统|公司|集团|局|委|办|厅|院|所|站|部|队|馆|会|署|县|市|区|镇|乡|省)|"
    r"^(?:的|经批复|其中|主要|包括|用于|以及|另有|另|故|并|且|共有|共(?![享同建治产青识])|由)"
)
_TRAIL = re.compile(r"(?:从|由|为|是|达到了|达到|达|共计|合计|总计|共|约|的|了|有|计|超过|近|逾|分别)$")
_GENERIC = re.compile(r"^(?:本年)?(?:支出|收入)?(?:总额|合计|共计|金额|总计|总数|数)?$")
# "上年为2.9万元", "比上年的2.9万元", "去年同期" close the clause: last year's figure of the subject.
_PREVIOUS = re.compile(r"(?:比|较|与)?(?:去年|上年度|上年|上一年)(?:同期)?(?:的|为|是)?$|^(?:比|较)?同期$")
# "上年同期支出80万元", "上年该项目支出80万元" lead the clause: last year's figure of what follows; but
# "上年结转" and "上年度结余" are this year's money carried over from last year.
_PREVIOUS_LEAD = re.compile(r"^(?:上年同期|去年同期|去年|上一年度|上一年|上年度|上年)")
_CARRIED_OVER = re.compile(r"结转|结余|结存")
_CHANGE = re.compile(r"(?:同比)?(?:增加|减少|增长|下降|上升|降低|上涨|提高|提升|回落|减|增)了?$")
_COMPARE_SPLIT = re.compile(r"(?:同比|比|较|与)")
_AFTER = re.compile(r"^的?([\u4e00-\u9fff]{2,12})")
_RANGE = {"-", "~", "～", "至", "到"}
_VERB_BEFORE_DE = re.compile(r"(?:设立|安排|拨付|下达|使用|投入|筹集|募集|追加)$")
_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"|\([^()]*\)|《[^《》]*》")
# A year the sentence states for its figures: not "同比2021年", "自2019年成立以来", nor one inside 《》.
_YEAR_IN = re.compile(r"(?<![比较与自从于])((?:19|20)\d{2})年(?!\d{1,2}月|成立|以来|起|开始|至今)")
_BOOK_TITLE = re.compile(r"《[^《》]*》")
_CONTINUES = {"", "和", "及", "与", "、"}
_RESPECTIVELY = re.compile(r"分别(?:为|是|达到|达|有)?$")
_LIST_SEPARATOR = re.compile(r"[、和及与]")
MAX_LABEL = 24
MAX_SENTENCE = 600
_WRAP_MIN_LINE = 20


@dataclass(frozen=True)
class Figure:
    figure_id: str
    doc: str
    report_id: str
    chunk_id: str
    org: str
    region: str
    year: int | None
    period: str
    value: float
    text: str
    unit: str
    metric: str
    section: str
    source: str
    start: int
    end: int
    quote_start: int
    quote_end: int
    malformed: bool


@dataclass(frozen=True)
class _Raw:
    """A figure found in the view, before it is placed in its report and chunk."""

    view_start: int
    view_end: int
    number: str
    unit: str
    metric: str
    period: str
    year: int | None
    source: str
    quote: tuple[int, int]


def parse_number(number: str) -> tuple[float, bool]:
    """(value, malformed): "1,805.99" → 1805.99; "五十" → 50; "1857.41.51" → (nan, True), kept but flagged."""
    if not number[-1:].isdigit():
        numeral = number.removeprefix("百分之")
        try:
            return float(cn2an.cn2an(numeral, "smart")), False
        except ValueError:
            return float("nan"), True
    plain = number.replace(",", "").replace("−", "-")
    if plain.count(".") > 1:
        return float("nan"), True
    return float(plain), False


def _clean_label(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    text = _QUOTED.sub(
        lambda m: "" if len(m.group()) > 8 or "、" in m.group() or m.group()[0] in "(《" else m.group()[1:-1], text
    )
    text = re.sub(r"[“”\"'‘’《》()<>\[\]【】*#-]", "", text)
    previous = None
    while previous != text:
        previous = text
        text = _LEAD.sub("", text)
        text = _TRAIL.sub("", text)
    return text[-MAX_LABEL:]


def short_label(text: str) -> str:
    """A table label cut to its first phrase: long description cells make poor metric names."""
    return re.split(r"[,:;。]", text, maxsplit=1)[0][:MAX_LABEL]


def _is_wrap(view: str, i: int, floor: int, wrapped: str) -> bool:
    """Whether the line break at `i` falls inside a sentence of wrapped text (see `hard_wrapped`).

    The line before it is long, no title and no short heading, and ends where no sentence can end; in
    text wrapped only at page ends, the break is also a blank line.
    """
    if not wrapped:
        return False
    j = i
    while j > floor and view[j - 1].isspace():
        j -= 1
    if j <= floor or not ("\u4e00" <= view[j - 1] <= "\u9fff" or view[j - 1].isdigit()):
        return False
    if wrapped == "pages" and view.count("\n", j, _next_text(view, i)) < 2:
        return False
    line = view[view.rfind("\n", 0, j) + 1 : j]
    return len(line) >= _WRAP_MIN_LINE and not is_title_line(line) and not _short_heading(line)


def _short_heading(line: str) -> bool:
    """A heading line on its own; "1.项目支出情况。2021年我局…" opens a section but goes on as prose."""
    return heading_of(line) is not None and len(line) <= 2 * _WRAP_MIN_LINE


def _next_text(view: str, i: int) -> int:
    while i < len(view) and view[i].isspace():
        i += 1
    return i


def _respective_items(view: str, start: int, floor: int, wrapped: str) -> list[str]:
    """The items listed before "分别为" ("基本支出、项目支出"), when there are two or more."""
    items_at = _clause_start(view, start, floor, wrapped, lists=True)
    head = _RESPECTIVELY.sub("", re.sub(r"\s+", "", view[items_at:start]))
    items = [_clean_label(item) for item in _LIST_SEPARATOR.split(head)]
    return items if len(items) >= 2 and all(items) else []


def hard_wrapped(paragraphs: list[Block]) -> str:
    """How the text breaks lines inside sentences: "" (typed), "pages" or "lines" (text taken from PDF).

    Long paragraph lines that are no heading or title end at a stop when typed. When several of them
    (three, and a tenth or more) end inside a sentence, the text was cut at page ends, and a blank line
    there continues the sentence; when many do (eight, and half or more), every line was wrapped.
    """
    long_lines = [
        b.text
        for b in paragraphs
        if len(b.text) >= _WRAP_MIN_LINE and not is_title_line(b.text) and not _short_heading(b.text)
    ]
    open_ended = sum(1 for t in long_lines if "\u4e00" <= t[-1] <= "\u9fff" or t[-1].isdigit())
    if open_ended < 3 or open_ended < 0.1 * len(long_lines):
        return ""
    return "lines" if open_ended >= 8 and open_ended >= 0.5 * len(long_lines) else "pages"


def _clause_start(view: str, pos: int, floor: int, wrapped: str, lists: bool = False) -> int:
    """Where the clause ending at `pos` begins; quoted and bracketed parts and line wraps do not end it,
    nor, with `lists`, the 、 between the items of "基本支出、项目支出分别为…"."""
    i = pos - 1
    while i >= floor:
        ch = view[i]
        if ch == '"' and (j := view.rfind('"', floor, i)) >= 0:
            i = j - 1  # ASCII quotes open and close alike: the first one met from the right closes
            continue
        if ch in _OPENERS:
            opener = _OPENERS[ch]
            j = view.rfind(opener, floor, i)
            if j >= 0:
                i = j - 1
                continue
        if ch == "\n" and _is_wrap(view, i, floor, wrapped):
            i -= 1
            continue
        if ch in _CLAUSE_STOP and not (lists and ch == "、"):
            return i + 1
        i -= 1
    return floor


def _sentence_bounds(view: str, pos: int, lo: int, hi: int, wrapped: str) -> tuple[int, int]:
    """The sentence around `pos`, at most MAX_SENTENCE characters each way (text without stops is bounded)."""
    lo, hi = max(lo, pos - MAX_SENTENCE), min(hi, pos + MAX_SENTENCE)
    start = pos
    while (
        start > lo
        and view[start - 1] not in _SENTENCE_STOP
        and (view[start - 1] != "\n" or _is_wrap(view, start - 1, lo, wrapped))
    ):
        start -= 1
    end = pos
    while end < hi and view[end] not in _SENTENCE_STOP and (view[end] != "\n" or _is_wrap(view, end, lo, wrapped)):
        end += 1
    if end < hi and view[end] in _SENTENCE_STOP:
        end += 1
    return start, end


def _topic(view: str, sentence_start: int, clause_start: int) -> str:
    """The "公务接待费" of "公务接待费:本年支出总额为0.42万元"."""
    colon = view.rfind(":", sentence_start, clause_start)
    if colon < 0:
        return ""
    return _clean_label(view[_clause_start(view, colon, sentence_start, "") : colon])


def _inside_brackets(view: str, pos: int, lo: int) -> bool:
    """Numbers inside 《…》 titles or 〔…〕 document numbers are not figures."""
    for opener, closer in (("《", "》"), ("〔", "〕"), ("[", "]")):
        o = view.rfind(opener, lo, pos)
        if o >= 0 and view.rfind(closer, o, pos) < 0:
            return True
    return False


def canonical_unit(unit: str, after: str = "") -> str:
    """A bare 万 or 亿 is money (万元, 亿元), but "8万群众" counts ten-thousands of something else."""
    if unit not in ("万", "亿"):
        return unit
    return unit if after[:1] and "\u4e00" <= after[0] <= "\u9fff" else unit + "元"


def scan_prose(
    view: str,
    lo: int,
    hi: int,
    year: int | None,
    default_unit: str = "",
    hard: tuple[int, ...] = (),
    wrapped: str = "",
) -> list[_Raw]:
    """Figures in view[lo:hi].

    `default_unit` applies to bare numbers after a colon (table text cells); `hard` are sorted offsets a
    subject never carries over (heading lines); `wrapped` says how lines break mid-sentence (`hard_wrapped`).
    """
    found: list[_Raw] = []
    subject = ""
    pending: list[str] = []  # the items still unpaired in "A、B和C分别为x、y和z"
    listed: list[str] = []  # the items of the sentence's last "分别" list, paired again by "分别减少c、d"
    last_end = lo
    for m in NUMBER_WITH_UNIT.finditer(view, lo, hi):
        start, number, approx, unit = m.start(), m.group(1), m.group(2) or "", m.group(3) or ""
        if number.startswith("百分之"):
            unit = unit or "%"
        end = m.end()
        after = view[end:hi]
        if not unit:
            if _NOT_A_FIGURE_AFTER.match(after):  # a date, a time, a document number
                continue
            tail = _RANGE_TAIL.match(after)
            before = view[max(lo, start - 1) : start]
            if tail:
                unit = tail.group(2)
            elif default_unit and before == ":" and (not after or after[0] in ",;。 \n"):
                unit = default_unit
            else:
                continue
        if _ORDINAL_BEFORE.search(view[max(lo, start - 8) : start]):  # "排名第 3 名", "表1", "图2所示"
            continue
        if _inside_brackets(view, start, max(lo, start - MAX_SENTENCE)):
            continue
        # A new sentence (or a heading line) forgets the subject of the last one.
        between = view[last_end:start]
        k = bisect.bisect_left(hard, last_end)
        if any(c in _SENTENCE_STOP for c in between) or (k < len(hard) and hard[k] < start):
            subject, pending, listed = "", [], []
        sent_start, sent_end = _sentence_bounds(view, start, lo, hi, wrapped)
        floor = max(sent_start, last_end if found and last_end > sent_start else sent_start)
        clause_at = _clause_start(view, start, floor, wrapped)
        clause = re.sub(r"\s+", "", view[clause_at:start])
        period = "current"
        items = _respective_items(view, start, floor, wrapped) if _RESPECTIVELY.search(clause) else []
        if items:  # "基本支出、项目支出分别为300万元、200万元": the k-th item goes with the k-th number
            metric, pending, listed = items[0], items[1:], items
        elif pending and clause in _CONTINUES and found and found[-1].view_end > sent_start:
            metric, period = pending.pop(0), found[-1].period
        elif (
            found
            and found[-1].view_end > sent_start
            and (clause in _RANGE or (clause in _CONTINUES and found[-1].period != "current"))
        ):  # "15%-20%", "分别下降8.2%、8.5%": the next number measures the same thing the same way
            metric, period = found[-1].metric, found[-1].period
        elif _CHANGE.search(clause):
            period = "change"
            head = _COMPARE_SPLIT.split(_CHANGE.sub("", clause))[0]
            metric = _clean_label(head) or subject
            if "分别" in clause and listed and not _clean_label(head.replace("分别", "")):
                metric, pending = listed[0], listed[1:]  # "与上年分别减少141.58万元、138.81万元"
        elif _PREVIOUS.search(clause):
            period = "previous"
            metric = _clean_label(_COMPARE_SPLIT.split(_PREVIOUS.sub("", clause))[0]) or subject
        elif _PREVIOUS_LEAD.match(clause) and not _CARRIED_OVER.search(clause):  # "上年同期支出80万元"
            period = "previous"
            metric = _clean_label(_PREVIOUS_LEAD.sub("", clause)) or subject
            subject = metric
        elif clause.startswith("占"):
            share = _clean_label(clause[1:])
            metric = f"{subject}占{share}" if share and share != "比" else f"{subject}占比"
        else:
            metric = _clean_label(clause)
            follows = _AFTER.match(after)
            # "设立50万元的信访救助基金", "以及2个驻外科室": the thing measured follows the number.
            if follows and (not metric or (after.startswith("的") and _VERB_BEFORE_DE.search(metric))):
                metric = _clean_label(follows.group(1))
            if _GENERIC.match(metric):
                metric = _topic(view, sent_start, clause_at) or metric or subject
            if metric:
                subject = metric
        unit = canonical_unit(unit, after)
        explicit = _YEAR_IN.findall(_BOOK_TITLE.sub("", view[sent_start:start]))
        fig_year = int(explicit[-1]) if explicit else year
        if period == "previous" and fig_year is not None:
            fig_year -= 1
        text_end = m.end() if m.group(3) else m.start(1) + len(number) + len(approx)
        found.append(_Raw(start, text_end, number, unit, metric, period, fig_year, "text", (sent_start, sent_end)))
        last_end = text_end
    return found


def scan_row(view: str, block: Block, ctx: RowContext, year: int | None) -> list[_Raw]:
    """Figures of one table row: numeric cells labelled row·column, and figures inside text cells."""
    found: list[_Raw] = []
    quote = (block.start, block.end)
    for k, cell in enumerate(block.cells):
        flat = cell.flat
        if not flat:
            continue
        m = NUMERIC_CELL.match(flat)
        if not m:
            for raw in scan_prose(view, cell.start, cell.end, year, ctx.column_unit(k, flat)):
                label = raw.metric or short_label(strip_paren_unit(ctx.label(k)))
                found.append(replace(raw, metric=label, source="table", quote=quote))
            continue
        number, unit = m.group(1), m.group(2) or ""
        pos = view.find(number[0], cell.start, cell.end)
        span_end = cell.end if unit else _number_end(view, pos, number, cell.end)
        row_label = short_label(strip_paren_unit(ctx.label(k)))
        header = strip_paren_unit(ctx.headers[k]) if k < len(ctx.headers) else ""
        if _NOT_A_MEASURE.search(header) or _NOT_A_MEASURE.search(row_label) or _DATE_CELL.match(flat):
            continue
        if not m.group(2) and _YEAR_NUMBER.match(number) and (_WHEN.search(header) or _WHEN.search(row_label)):
            continue
        unit = canonical_unit(unit or ctx.column_unit(k, flat))
        metric = "·".join(p for p in (row_label, header) if p)
        if not unit and (not metric or (len(number) >= 7 and number.isdigit())):  # a serial, a code, a phone
            continue
        period, cell_year = "current", year
        if m_year := _HEADER_YEAR.search(header):
            cell_year = int(m_year.group(1))
        if _HEADER_CHANGE.search(header):
            period = "change"
        elif _HEADER_PREVIOUS.search(header):
            period = "previous"
            cell_year = cell_year - 1 if cell_year is not None and not m_year else cell_year
        found.append(_Raw(pos, span_end, number, unit, metric, period, cell_year, "table", quote))
    return found


def _number_end(view: str, pos: int, number: str, limit: int) -> int:
    """End of `number` in the view from `pos`, allowing the spaces a cell may hold inside it."""
    i, k = pos, 0
    while i < limit and k < len(number):
        if view[i] == number[k]:
            k += 1
        i += 1
    return i


def _hard_boundaries(blocks: list[Block]) -> tuple[int, ...]:
    """Starts of heading lines, in order: a subject never carries into a new section."""
    return tuple(b.start for b in blocks if not b.is_row and heading_of(b.text))


def extract_figures(
    doc: Document, report: Report, layout: Layout, chunks: list[Chunk], sections: list[Section]
) -> list[Figure]:
    """The report's figures, each placed in the chunk that holds it and the section it stands under."""
    view = doc.norm.text
    inside = layout.within(report.view_start, report.view_end)
    hard = _hard_boundaries(inside)
    wrapped = hard_wrapped([b for b in inside if not b.is_row])
    raws: list[_Raw] = []
    run: list[Block] = []

    def flush() -> None:
        if run:
            raws.extend(scan_prose(view, run[0].start, run[-1].end, report.year, hard=hard, wrapped=wrapped))
            run.clear()

    for block in inside:
        if block.is_row:
            flush()
            raws.extend(scan_row(view, block, layout.context(block), report.year))
        else:
            run.append(block)
    flush()

    starts = [c.view_start for c in chunks]
    units = [(u.view_start, " › ".join(u.heading)) for sec in sections for u in sec.units]
    unit_starts = [start for start, _ in units]
    figures: list[Figure] = []
    for n, raw in enumerate(sorted(raws, key=lambda r: r.view_start)):
        i = max(0, bisect.bisect_right(starts, raw.view_start) - 1)
        while i > 0 and chunks[i].view_end <= raw.view_start:
            i -= 1
        chunk = chunks[i] if chunks else None
        start, end = doc.norm.stored_span(raw.view_start, raw.view_end)
        q_start, q_end = doc.norm.stored_span(*raw.quote)
        value, malformed = parse_number(raw.number)
        figures.append(
            Figure(
                figure_id=f"{report.report_id}/{n}",
                doc=doc.name,
                report_id=report.report_id,
                chunk_id=chunk.chunk_id if chunk else "",
                org=report.org,
                region=report.region,
                year=raw.year,
                period=raw.period,
                value=value,
                text=doc.text[start:end],
                unit=raw.unit,
                metric=raw.metric,
                section=units[max(0, bisect.bisect_right(unit_starts, raw.view_start) - 1)][1] if units else "",
                source=raw.source,
                start=start,
                end=end,
                quote_start=min(q_start, start),
                quote_end=max(q_end, end),
                malformed=malformed,
            )
        )
    return figures


def figures_frame(figures: list[Figure]) -> pd.DataFrame:
    columns = list(Figure.__dataclass_fields__)
    frame = pd.DataFrame([asdict(f) for f in figures], columns=columns)
    return frame.astype({"year": "Int64", "value": "float64", "malformed": "bool"})
