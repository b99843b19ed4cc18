"""Figures in prose: each number with a unit, its metric, its period and its year.

Each number with a unit ("信访救助支出519.69万元", "占30.61%", "1276 批2911人次") becomes a figure; its
metric is the phrase before it in its clause, cleaned of subjects and function words ("我局", "其中",
"为"). A clause that only compares ("比去年同期", "减少", "占") takes the subject of the figure before it and
sets the period (previous year, change) or makes a share ("基本支出占比"). The words are data
(qa_app/lexicon/figure_words.toml); the shapes of the patterns are here.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace

from qa_app.config import Settings
from qa_app.extract.model import RawFigure, canonical_unit
from qa_app.lexicon import load, ordered
from qa_app.structure.layout import UNIT_ALT, Block
from qa_app.structure.reports import LIST_MARKER, is_title_line
from qa_app.text.headings import heading_of

# The extract stage is called without settings: its bounds are the defaults (qa_app.config).
_SETTINGS = Settings()
_WORDS = load("figure_words")
_LABELS = _WORDS["labels"]
_PERIODS = _WORDS["periods"]
_APPROX = ordered(_WORDS["approximations"])
# A minus sign only where no number or % stands before it ("下降-3.2%", not "200-400", "15%-20%");
# a thousands separator only between 1-3 digits and groups of exactly three.
# Amounts and shares written in Chinese numerals: "五十万元", "三千二百万元", "百分之九十八".
_CN_NUMERAL = f"[{_WORDS['numerals']}]"
PERCENT_PREFIX = _WORDS["percent_prefix"]
NUMBER_WITH_UNIT = re.compile(
    r"(?<![\d.A-Za-z])(?<!\d,)((?:(?<![%\d])[-−])?(?:\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)*|\d+(?:\.\d+)*)"
    rf"|(?<!{_CN_NUMERAL}){_CN_NUMERAL}{{1,12}}(?={ordered(load('units')['numeral_money'])})"
    rf"|{PERCENT_PREFIX}{_CN_NUMERAL}{{1,8}})"
    rf"({_APPROX})?({UNIT_ALT})?"
)
_NOT_A_FIGURE_AFTER = re.compile(rf"^(?:{ordered(_WORDS['not_a_figure_after'])}|:\d|/)")
_RANGE_TAIL = re.compile(rf"^[{_WORDS['range_marks']}](\d+(?:\.\d+)?)(?:{_APPROX})?({UNIT_ALT})")
_ORDINAL_BEFORE = re.compile(rf"(?:{ordered(_WORDS['ordinal_before'])})\s*$")
_SENTENCE_STOP = set("。;!?")
_CLAUSE_STOP = set(',、:;。!?()“”"《》\n')
_OPENERS = {")": "(", "”": "“", "》": "《"}

_LEAD_WORDS = "|".join(
    re.escape(w) + (f"(?![{after}])" if (after := _LABELS["lead_unless_followed_by"].get(w)) else "")
    for w in _LABELS["leads"]
)
_LEAD = re.compile(
    rf"^(?:{ordered(_LABELS['as_of'])})?(?:\d{{4}}年(?:{ordered(_LABELS['year_ends'])})?|{ordered(_LABELS['this_year'])})|"
    rf"{LIST_MARKER.pattern}|"
    rf"^(?:{ordered(_LABELS['self_pronouns'])})(?:{ordered(_LABELS['self_nouns'])})|"
    rf"^(?:{_LEAD_WORDS})"
)
_TRAIL = re.compile(
    "(?:"
    + "|".join(
        "".join(f"(?<!{re.escape(b)})" for b in _LABELS["trail_unless_after"].get(w, ())) + re.escape(w)
        for w in _LABELS["trails"]
    )
    + ")$"
)
_TOTAL_END = re.compile(f"(?:{ordered(w for w in _LABELS['trail_unless_after'] if len(w) > 1)})$")
_GENERIC = re.compile(
    rf"^(?:{ordered(_LABELS['generic_years'])})?(?:{ordered(_LABELS['generic_flows'])})?"
    rf"(?:{ordered(_LABELS['generic_totals'])})?$"
)
# ... and a table row labelled only by these ("金额", "合计") is named by its table's caption.
_SAYS_NOTHING = re.compile(rf"^(?:{ordered(_LABELS['generic_years'])})?(?:{ordered(_LABELS['generic_totals'])})?$")
_MEASURE_ONLY = re.compile(f"(?:{ordered(_LABELS['measure_only'])})+")
_OWN_SUBJECT = re.compile(f"^(?:{ordered(_LABELS['own_subject_leads'])})")
_PART_LEAD = re.compile(ordered(_LABELS["part_leads"]))
_TARGET = re.compile(ordered(_LABELS["targets"]))
_COMPLETION = re.compile(ordered(_LABELS["completions"]))
# "上年为2.9万元", "比上年的2.9万元", "去年同期" close the clause: last year's figure of the subject.
_SAME_PERIOD = _PERIODS["same_period"]
_PREVIOUS = re.compile(
    rf"(?:{ordered(_PERIODS['compare'])})?(?:{ordered(_PERIODS['previous_year'])})(?:{_SAME_PERIOD})?"
    rf"(?:{ordered(_PERIODS['previous_copulas'])})?$|^(?:{ordered(_PERIODS['compare_same_period'])})?{_SAME_PERIOD}$"
)
# "上年同期支出80万元", "上年该项目支出80万元" lead the clause: last year's figure of what follows; but
# "上年结转" and "上年度结余" are this year's money carried over from last year.
_PREVIOUS_LEAD = re.compile(rf"^(?:{ordered(_PERIODS['previous_leads'])})")
CARRIED_OVER = re.compile(ordered(_PERIODS["carried_over"]))
_CHANGE = re.compile(
    rf"(?:{_PERIODS['year_on_year']})?(?:{ordered(_PERIODS['change'])}){_PERIODS['change_particle']}?$"
)
_REACHED = re.compile(
    rf"(?:{ordered(_PERIODS['change'])}){_PERIODS['change_particle']}?(?:{ordered(_PERIODS['reached'])})$"
)
_COMPARE_SPLIT = re.compile(rf"(?:{ordered(_PERIODS['compare_split'])})")
_AFTER = re.compile(r"^的?([\u4e00-\u9fff]{2,12})")
_RANGE = set(_WORDS["range_marks"])
_VERB_BEFORE_DE = re.compile(rf"(?:{ordered(_LABELS['verbs_before_de'])})$")
_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"|\([^()]*\)|《[^《》]*》")
# A year the sentence states for its figures: not "同比2021年", "自2019年成立以来", nor one inside 《》; a date
# counts only at the year's end ("截止2023年12月31日"), not "2024年3月" (when the report was written).
_YEAR_IN = re.compile(
    rf"(?<![{_PERIODS['year_not_after']}])((?:19|20)\d{{2}})年(?!(?!12月)\d{{1,2}}月|{ordered(_PERIODS['year_not_before'])})"
)
# A title, or an aside in brackets that says more than a year ("(含2023年转列项目5个)"), states no year for
# the sentence's later figures; "(2023年度)" still does.
_ASIDE = re.compile(r"《[^《》]*》|\((?!(?:19|20)\d{2}年度?\))[^()]*\)")
_CONTINUES = {"", *_LABELS["continues"]}
RESPECTIVELY = _LABELS["respectively"]
_RESPECTIVELY = re.compile(rf"{RESPECTIVELY}(?:{ordered(_LABELS['respectively_verbs'])})?$")
_LIST_SEPARATOR = re.compile(f"[{_LABELS['list_separators']}]")
_SHARE, _SHARE_WORD = _LABELS["share"], _LABELS["share_word"]


def clean_label(text: str) -> str:
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
    return text[-_SETTINGS.max_label_chars :]


def with_subject(metric: str, subject: str) -> str:
    """A label that only says how something is measured ("支出决算") names the sentence's subject too, with
    the subject's own measure words dropped: "三公经费支出预算" then "支出决算" → "三公经费支出决算"."""
    if not subject or not metric or not _MEASURE_ONLY.fullmatch(metric):
        return metric
    tail = [m for m in _MEASURE_ONLY.finditer(subject) if m.end() == len(subject)]
    topic = subject[: tail[0].start()] if tail else subject
    return topic + metric if topic and not _MEASURE_ONLY.fullmatch(topic) else metric


def says_nothing(label: str) -> bool:
    """A label that names nothing measured: "", "金额", "合计", "本年合计"."""
    return bool(_SAYS_NOTHING.match(label))


def short_label(text: str) -> str:
    """A table label cut to its first phrase: long description cells make poor metric names."""
    return re.split(r"[,:;。]", text, maxsplit=1)[0][: _SETTINGS.max_label_chars]


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
    return len(line) >= _SETTINGS.wrap_min_line_chars and not is_title_line(line) and not _short_heading(line)


def _short_heading(line: str) -> bool:
    """A heading line on its own; "1.项目支出情况。2021年我局…" opens a section but goes on as prose."""
    return heading_of(line) is not None and len(line) <= 2 * _SETTINGS.wrap_min_line_chars


def _next_text(view: str, i: int) -> int:
    while i < len(view) and view[i].isspace():
        i += 1
    return i


def _respective_items(view: str, start: int, floor: int, wrapped: str) -> list[str]:
    """The items listed before "分别为" ("基本支出、项目支出"), when there are two or more."""
    items_at = _clause_start(view, start, floor, wrapped, lists=True)
    head = _RESPECTIVELY.sub("", re.sub(r"\s+", "", view[items_at:start]))
    items = [clean_label(item) for item in _LIST_SEPARATOR.split(head)]
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
        if len(b.text) >= _SETTINGS.wrap_min_line_chars and not is_title_line(b.text) and not _short_heading(b.text)
    ]
    open_ended = sum(1 for t in long_lines if "\u4e00" <= t[-1] <= "\u9fff" or t[-1].isdigit())
    if open_ended < _SETTINGS.wrap_pages_min_lines or open_ended < _SETTINGS.wrap_pages_share * len(long_lines):
        return ""
    lines = open_ended >= _SETTINGS.wrap_lines_min_lines and open_ended >= _SETTINGS.wrap_lines_share * len(long_lines)
    return "lines" if lines else "pages"


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
    """The sentence around `pos`, at most `max_sentence_chars` characters each way (text without stops is bounded)."""
    lo, hi = max(lo, pos - _SETTINGS.max_sentence_chars), min(hi, pos + _SETTINGS.max_sentence_chars)
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
    return clean_label(view[_clause_start(view, colon, sentence_start, "") : colon])


def _target_columns(view: str, pos: int) -> tuple[str, str] | None:
    """The header words of a 自评表's target and completion columns before `pos`, target first; None when the
    text names no such pair."""
    targets = list(_TARGET.finditer(view, 0, pos))
    if not targets:
        return None
    done = _COMPLETION.search(view, targets[-1].end(), pos)
    return (targets[-1].group(), done.group()) if done else None


def _inside_brackets(view: str, pos: int, lo: int) -> bool:
    """Numbers inside 《…》 titles or 〔…〕 document numbers are not figures. A bracket left open on an
    earlier line (page junk, "泉港政综〔202465") holds nothing of this one."""
    lo = max(lo, view.rfind("\n", lo, pos) + 1)
    for opener, closer in (("《", "》"), ("〔", "〕"), ("[", "]")):
        o = view.rfind(opener, lo, pos)
        if o >= 0 and view.rfind(closer, o, pos) < 0:
            return True
    return False


def scan_prose(
    view: str,
    lo: int,
    hi: int,
    year: int | None,
    default_unit: str = "",
    hard: tuple[int, ...] = (),
    wrapped: str = "",
) -> list[RawFigure]:
    """Figures in view[lo:hi].

    `default_unit` applies to bare numbers after a colon (table text cells); `hard` are sorted offsets a
    subject never carries over (heading lines); `wrapped` says how lines break mid-sentence (`hard_wrapped`).
    """
    found: list[RawFigure] = []
    subject = ""
    said: dict[str, str] = {}  # the sentence's last subject of each unit ("项目支出" of 万元, "专项" of 个)
    carried: dict[str, str] = {}  # ... and of the paragraph's earlier sentences
    whole = ""  # the subject before the sentence opened a part ("其中…"): what a later measure-only label names
    pending: list[str] = []  # the items still unpaired in "A、B和C分别为x、y和z"
    listed: list[str] = []  # the items of the sentence's last "分别" list, paired again by "分别减少c、d"
    last_end = lo
    for m in NUMBER_WITH_UNIT.finditer(view, lo, hi):
        start, number, approx, unit = m.start(), m.group(1), m.group(2) or "", m.group(3) or ""
        if number.startswith(PERCENT_PREFIX):
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
        if _inside_brackets(view, start, max(lo, start - _SETTINGS.max_sentence_chars)):
            continue
        # A new sentence (or a heading line) forgets the subject of the last one.
        between = view[last_end:start]
        k = bisect.bisect_left(hard, last_end)
        if any(c in _SENTENCE_STOP for c in between) or (k < len(hard) and hard[k] < start):
            # ... but within its paragraph, a label that only says how ("年初预算103.59万元") still names it
            carried = {} if "\n" in between or (k < len(hard) and hard[k] < start) else {**carried, **said}
            subject, whole, pending, listed, said = "", "", [], [], {}
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
            metric = clean_label(head) or subject
            if RESPECTIVELY in clause and listed and not clean_label(head.replace(RESPECTIVELY, "")):
                metric, pending = listed[0], listed[1:]  # "与上年分别减少141.58万元、138.81万元"
        elif _REACHED.search(clause):  # "增加到14577.98元": the level the subject reached
            metric = clean_label(_COMPARE_SPLIT.split(_REACHED.sub("", clause))[0]) or subject
            subject = metric
        elif _PREVIOUS.search(clause):
            period = "previous"
            metric = clean_label(_COMPARE_SPLIT.split(_PREVIOUS.sub("", clause))[0]) or subject
            subject = metric
        elif _PREVIOUS_LEAD.match(clause) and not CARRIED_OVER.search(clause):  # "上年同期支出80万元"
            period = "previous"
            metric = clean_label(_PREVIOUS_LEAD.sub("", clause)) or subject
            subject = metric
        elif clause.startswith(_SHARE):
            share = _TOTAL_END.sub("", clean_label(clause[len(_SHARE) :]))  # "占支出合计的" → 占支出
            share = share if share and share != _SHARE_WORD else _SHARE_WORD
            metric = f"{subject}{_SHARE}{share}"
        else:
            metric = clean_label(clause)
            if metric and _GENERIC.match(metric) and clause_at > floor and view[clause_at - 1] == "、":
                # "年初预算一般公共预算收入、支出为308.76万元": the list of flows is one label
                metric = clean_label(view[_clause_start(view, start, floor, wrapped, lists=True) : start])
            follows = _AFTER.match(after)
            # "设立50万元的信访救助基金", "以及2个驻外科室": the thing measured follows the number.
            if follows and (not metric or (after.startswith("的") and _VERB_BEFORE_DE.search(metric))):
                metric = clean_label(follows.group(1))
            if _GENERIC.match(metric):
                metric = _topic(view, sent_start, clause_at) or metric or subject
            if not metric and clause and clause_at > floor:  # "兰州大学增长率最高,为41.16%": the clause before
                metric = clean_label(view[_clause_start(view, clause_at - 1, floor, wrapped) : clause_at - 1])
            if not whole and _PART_LEAD.search(view, max(last_end, sent_start), start):
                whole = subject
            if not _OWN_SUBJECT.match(clause):
                metric = with_subject(metric, whole or subject or carried.get(canonical_unit(unit, after), ""))
            if metric:
                subject = metric
        unit = canonical_unit(unit, after)
        if subject:
            said[unit] = subject
        explicit = _YEAR_IN.findall(_ASIDE.sub("", view[sent_start:start]))
        fig_year = int(explicit[-1]) if explicit else year
        if period == "previous" and fig_year is not None:
            fig_year -= 1
        text_end = m.end() if m.group(3) else m.start(1) + len(number) + len(approx)
        if found and not between.strip() and found[-1].unit == unit and (columns := _target_columns(view, start)):
            base = found[-1].metric.rpartition("·")[0] or found[-1].metric  # "5亿元5亿元6.47亿元": side by side
            found[-1] = replace(found[-1], metric=f"{base}·{columns[0]}")
            metric = f"{base}·{columns[1]}"
        found.append(RawFigure(start, text_end, number, unit, metric, period, fig_year, "text", (sent_start, sent_end)))
        last_end = text_end
    return found
