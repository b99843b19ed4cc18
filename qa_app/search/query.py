"""What a question asks: whose figure, which year, about what, in which unit.

Organisations are the aliases of the index's `Catalog` (qa_app.search.catalog). A place or a 局/厅/委 the
corpus does not hold is reported as `unknown`, and so is another level of a known name ("湘潭市" beside
湘潭县) or an outer region alone ("株洲市", which holds only 渌口区's bureau here), so that the answer says so
instead of quoting another organisation's figure. The gazetteer (qa_app.text.regions) tells a place from a
word: a division named in no report is unknown though jieba does not tag it a place; a stem that is an
everyday word ("新建项目") is none; the province or city that holds a named organisation ("湖南省岳阳市信访局")
agrees with it.
Years: "2024", "2024年度", "二〇二四年", and 今年/去年/前年 counted
from the year after the newest report (reports are written the year after the year they evaluate, so
"去年" in that meeting is the newest report's year); "本年收入", "上年结转" are table labels, not years.
The words of each pattern are data (lexicon/question_words.toml, lexicon/budget_concepts.toml); the
patterns' structure is here.
The metric is what is left without names, years, their framing ("在2019年的") and the question form with
its verb ("为多少", "是多少名", "达到了多少"); its terms add the budget names of its other wordings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba
import jieba.posseg

from qa_app import lexicon
from qa_app.search.catalog import Catalog
from qa_app.text import regions
from qa_app.text.names import ORG_NAME, REGION_SUFFIX, region_stem
from qa_app.text.normalize import normalize

_WORDS = lexicon.load("question_words")

_TIME, _COMPARED_WORDS, _INTENT, _UNITS, _FORM = (_WORDS[k] for k in ("time", "compared", "intent", "units", "form"))


def _words(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(lexicon.ordered(words))


# A year, not an amount: "2024", "2024年度", "2024项目支出", but not "2000万元", "2024人" or "2024.5".
_AMOUNT_AFTER = "|".join(
    re.escape(u) + (f"(?!{re.escape(_TIME['amount_unit_unless'][u])})" if u in _TIME["amount_unit_unless"] else "")
    for u in _TIME["amount_units"]
)
_YEAR = re.compile(rf"(?<![\d.])((?:19|20)\d{{2}})(?![\d.]|\s*(?:{_AMOUNT_AFTER}))\s*(?:年度?|财年)?")
# "比上年减少" asks for a change, not for last year's figure.
_COMPARED = re.compile(
    f"(?:{lexicon.ordered(_COMPARED_WORDS['by'])})(?:{lexicon.ordered(_COMPARED_WORDS['last_year'])})"
    f"(?:{re.escape(_COMPARED_WORDS['same_period'])})?|{lexicon.ordered(_COMPARED_WORDS['alone'])}"
)
_RELATIVE_YEAR: dict[str, int] = dict(_TIME["relative"])
# Once its year is taken: "截至 12月8日", "截止年底".
_AS_OF = re.compile(
    rf"(?:{lexicon.ordered(_TIME['as_of'])})?\s*\d{{1,2}}月份?(?:\d{{1,2}}[日号])?(?:{lexicon.ordered(_TIME['as_of_ends'])})?"
    rf"|(?:{lexicon.ordered(_TIME['as_of'])})\s*(?:{lexicon.ordered(_TIME['as_of_ends'])})"
    rf"|(?:{lexicon.ordered(_TIME['as_of'][:2])})"
)
# "本年收入", "本年支出合计", "上年结转" are the labels of budget tables, not "this year" or "last year".
_TABLE_LABEL_AFTER = {word: lexicon.ordered(labels) for word, labels in _TIME["table_label_after"].items()}
_RELATIVE = re.compile(
    "|".join(
        re.escape(w) + (f"(?!{_TABLE_LABEL_AFTER[w]})" if w in _TABLE_LABEL_AFTER else "")
        for w in sorted(_RELATIVE_YEAR, key=len, reverse=True)
    )
)
_ASKS_CHANGE = _words(_INTENT["change"])
_FOREIGN_ORGAN = re.compile(r"(?:局|厅|委员会|委)$")
# jieba tags many measures as places ("满意度", "新鲜度" are "ns"): a word of three or more characters
# ending in 度 or 率 is what is measured, not where ("印度" stays a place).
_MEASURE = re.compile(rf"^[\u4e00-\u9fff]{{2,}}(?:{lexicon.ordered(_FORM['measure_suffixes'])})$")

# Units a question expects, most specific wording first.
_UNIT_FAMILIES = {family: tuple(units) for family, units in _UNITS["families"].items()}
_ASKED_UNIT = re.compile(f"(?:{lexicon.ordered(_UNITS['how_many'])})个?({lexicon.ordered(_UNITS['asked'])})")
_SCORE_WORDS = _words(_UNITS["words"]["score"])
_PERCENT_WORDS = _words(_UNITS["words"]["percent"])
_MONEY_WORDS = _words(_UNITS["words"]["money"])
_PEOPLE_WORDS = _words(_UNITS["words"]["people"])
# Everyday words for what reports call by their budget names; matched terms are added to the metric.
_CONCEPTS = lexicon.load("budget_concepts")
COLLOQUIAL: dict[str, str] = dict(_CONCEPTS["colloquial"])
# One figure under several names: the names budget tables and reports use, then other wordings of it.
BUDGET_SYNONYMS = tuple((tuple(s["names"]), tuple(s["wordings"])) for s in _CONCEPTS["synonyms"])


def _budget_names() -> dict[str, tuple[str, ...]]:
    """Each everyday word or other wording → the budget names added to the terms of a metric holding it."""
    also: dict[str, list[str]] = {word: [names] for word, names in COLLOQUIAL.items()}
    for names, wordings in BUDGET_SYNONYMS:
        for word in (*names, *wordings):
            also.setdefault(word, []).extend(n for n in names if n != word)
    return {word: tuple(names) for word, names in also.items()}


_ALSO = _budget_names()
_COLLOQUIAL = re.compile("|".join(sorted(map(re.escape, _ALSO), key=len, reverse=True)))
# Wording that asks for a passage rather than a figure.
_PASSAGE_WORDS = _words(_INTENT["passage"])
_FIGURE_WORDS = _words(_INTENT["figure"])
# Words that span organisations ("各信访局": group 1 is the kind of body) or years ("历年").
_SPAN_BODIES = re.compile(
    rf"(?:{lexicon.ordered(_INTENT['span_every'])})((?:[\u4e00-\u9fff]{{0,4}}?)(?:{lexicon.ordered(_INTENT['span_bodies'])}))"
)
_SPAN_YEARS = re.compile(lexicon.ordered(_INTENT["span_years"]))
# Openers of a follow-up ("那2023年呢") and the spanning words: neither is part of the metric.
_FOLLOW_UP = re.compile(
    f"^(?:{lexicon.ordered(_INTENT['follow_up_openers'])})|{_SPAN_BODIES.pattern}|{_SPAN_YEARS.pattern}"
)
_COMPARE = re.compile(lexicon.ordered(_INTENT["span_compare"]))
_BOOK_TITLE = re.compile(r"《[^《》]*》")


def _not_after(chars: str) -> str:
    """A lookbehind that fails after any of `chars` (empty: none)."""
    return "" if not chars else f"(?<!{chars})" if len(chars) == 1 else f"(?<![{chars}])"


# The verb that leads to the question word belongs to the question form, not to the metric: "执行率为多少",
# "编制数是多少名", "满意度达到了多少", "措施有哪些" (but not the 为 of "行为" or the 有 of "国有").
_ASK_VERB = (
    "(?:"
    + "|".join(_not_after(_FORM["ask_verb_not_after"].get(v, "")) + re.escape(v) for v in _FORM["ask_verbs"])
    + ")?了?"
)
_QUESTION_FORM = re.compile(
    rf"{_ASK_VERB}(?:{_ASKED_UNIT.pattern}|{lexicon.ordered(_FORM['question'])}|"
    + "|".join(re.escape(w) + "个?" for w in _FORM["counted"])
    + ")"
)
# Words that carry no metric: question forms, particles, the asking of a year.
_NOT_METRIC = _words(_FORM["not_metric"])
# What is left between the names and years a question frames its metric with: "在2019年的" leaves "在" and
# "的", "湘潭县和长沙市的" leaves "和".
_FRAME_ONLY = re.compile(f"[{_FORM['frame_only']}]+")


@dataclass(frozen=True)
class Query:
    text: str  # as asked
    norm: str  # simplified characters, half-width digits, Chinese-numeral years as digits
    orgs: frozenset[str]  # organisations of the corpus the question names (empty: any)
    unknown: str  # a place or organisation the question names that the corpus does not hold
    years: tuple[int, ...]  # asked years (empty: any)
    metric: str  # what is asked about, without organisation, year and question words
    terms: str  # the metric with the budget names of its everyday words added ("开会" → "会议费")
    units: tuple[str, ...]  # units the wording expects, best first (empty: any)
    wants_figure: bool  # the wording asks for a number
    wants_passage: bool  # the wording asks for a passage (措施, 如何, 是什么 …) and not for a number
    asks_change: bool  # "比上年减少了多少", "增长": a change is asked for, not the level
    spans_orgs: bool = False  # "各信访局", "所有单位", "比较…": every organisation (of a kind), none carried over
    spans_years: bool = False  # "历年": every year, none carried over

    @property
    def focus(self) -> str:
        """The question's metric in words, for messages: "信访救助支出"."""
        return (self.metric or self.norm).replace(" ", "")


_QUOTE_MARKS = re.compile(r"[“”\"'‘’「」『』]")


def _longest_matches(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of the names of `pattern` in `text`, leftmost and longest."""
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]


# jieba's tags of a place (ns) and of an organisation (nt: 清华大学, 财政部), whose names scope a question.
_NAME_FLAGS = ("ns", "nt")
# A division's name found in a question without jieba's word for it has at least this many characters (湘潭县);
# two-character ones (费县 of "缴费县级") are taken from jieba's words only.
_DIVISION_MIN_CHARS = 3


def _unknown_names(text: str, catalog: Catalog, pos: jieba.posseg.POSTokenizer) -> str:
    """A place or 局/厅/委 in `text` (known names already removed) that the corpus does not hold."""
    for m in ORG_NAME.finditer(text):
        named, organ = m.group(1), m.group(2)
        if not any(r in catalog.regions for r in re.findall(rf".+?{REGION_SUFFIX}", named)):
            return m.group(0)
        if _FOREIGN_ORGAN.search(organ):
            return m.group(0)
    for name in regions.named_in(text, _DIVISION_MIN_CHARS):
        if name not in catalog.regions:
            return name
    for word in pos.cut(text):
        if (
            word.flag in _NAME_FLAGS
            and len(word.word) >= 2
            and word.word not in catalog.regions
            and not _MEASURE.match(word.word)
            and regions.is_place(word.word) is not False  # "新建" of 新建项目 is a word, not 新建区
        ):
            return word.word
    return ""


def own_name(name: str, tokenizer: jieba.Tokenizer) -> bool:
    """Whether `name` is an organisation's own name (清华大学, 哈工大), not a place: named in no report, it may
    be a short form of a name that is (哈尔滨工业大学), so it stays part of the question's wording."""
    words = list(_pos_tagger(tokenizer).cut(name))
    return len(words) == 1 and words[0].flag == "nt"


@lru_cache(maxsize=4)
def _pos_tagger(tokenizer: jieba.Tokenizer) -> jieba.posseg.POSTokenizer:
    return jieba.posseg.POSTokenizer(tokenizer)


def expected_units(norm: str) -> tuple[str, ...]:
    if m := _ASKED_UNIT.search(norm):
        unit = m.group(1)
        family = next((f for f in _UNIT_FAMILIES.values() if unit in f), ())
        return (unit, *[u for u in family if u != unit])
    if _SCORE_WORDS.search(norm):
        return ("分",)
    if _PERCENT_WORDS.search(norm):
        return _UNIT_FAMILIES["percent"]
    if _PEOPLE_WORDS.search(norm):
        return _UNIT_FAMILIES["people"]
    if _MONEY_WORDS.search(norm):
        return _UNIT_FAMILIES["money"]
    return ()


def _spanned(norm: str, catalog: Catalog) -> tuple[bool, frozenset[str], str]:
    """Whether `norm` spans organisations ("各信访局", "所有单位"), the organisations of the kind it names, and
    that kind when no organisation of the index is of it ("各医院" in an index of bureaus)."""
    m = _SPAN_BODIES.search(norm)
    if not m:
        return False, frozenset(), ""
    kind = m.group(1)
    if kind in _INTENT["span_any_kind"]:
        return True, frozenset(), ""
    of_kind = frozenset(o for o in catalog.orgs if kind in o)
    return True, of_kind, "" if of_kind else kind


def parse_query(question: str, catalog: Catalog, tokenizer: jieba.Tokenizer) -> Query:
    norm = normalize(question).text.strip()
    norm = re.sub(r"\s+", "", norm)
    spans_orgs, of_kind, no_kind = _spanned(norm, catalog)
    # Book and law titles name no organisation: 《中华人民共和国预算法》 is read past.
    named = _BOOK_TITLE.sub(lambda m: " " * len(m.group()), norm)
    matches = _longest_matches(named, catalog.alias_pattern)
    orgs = frozenset(o for _, _, name in matches for o in catalog.aliases[name])
    rest = named
    for start, end, _ in reversed(matches):
        rest = rest[:start] + " " + rest[end:]
    # The province or city that holds the organisations named agrees with them: "湖南省岳阳市信访局".
    for region in sorted(catalog.holding(orgs), key=len, reverse=True):
        rest = rest.replace(region, " ")
    # A known region followed by another organ ("长沙市财政局") or a stem followed by another region level
    # ("湘潭市" is not 湘潭县) names what the corpus lacks; so does an outer region on its own ("株洲市"
    # holds only 渌口区's bureau here, and its figures are not the city's).
    unknown = _unknown_names(rest.replace(" ", "|"), catalog, _pos_tagger(tokenizer))
    for _start, end, name in matches:
        # a region suffix after a stem only: "湘潭市" is another place, "渌口区区本级" is 渌口区's own level
        level = "" if region_stem(name) else f"|{REGION_SUFFIX}"
        tail = re.match(rf"[\u4e00-\u9fff]{{1,8}}?(?:局|厅|委员会|委){level}", norm[end:])
        if unknown and not (tail and unknown in tail.group(0)):  # "张湾区统计局" rather than its "统计局"
            break
        if tail and name + tail.group(0) not in catalog.aliases and name + tail.group(0) not in catalog.regions:
            unknown = name + tail.group(0)
    outer = _longest_matches(rest, catalog.outer_pattern)
    if outer and not orgs and not unknown:
        unknown = outer[0][2]
    if spans_orgs and not orgs:
        orgs, unknown = of_kind, unknown or no_kind
    spans_orgs = spans_orgs or (not orgs and bool(_COMPARE.search(rest)))
    spans_years = bool(_SPAN_YEARS.search(rest))
    asks_change = bool(_COMPARED.search(rest)) or bool(_ASKS_CHANGE.search(rest))
    rest = _COMPARED.sub(" ", rest)
    years = [int(y) for y in _YEAR.findall(rest)]
    # 今年 / 去年 count from the newest report of the organisations named (else of the corpus): another
    # department's 2026 budget in the index does not make 去年 2026 for a bureau whose reports end in 2024.
    named_years = [catalog.newest_of[o] for o in orgs if o in catalog.newest_of]
    newest = max(named_years) if named_years else catalog.newest_year
    if newest is not None:
        years += [newest + 1 - _RELATIVE_YEAR[w] for w in _RELATIVE.findall(rest)]
    metric = _QUESTION_FORM.sub(" ", _RELATIVE.sub(" ", _AS_OF.sub(" ", _YEAR.sub(" ", rest))))
    metric = _NOT_METRIC.sub(" ", metric)
    parts = (p.strip("的") for p in metric.split())
    metric = " ".join(p for p in parts if p and not _FRAME_ONLY.fullmatch(p))
    metric = _FOLLOW_UP.sub("", metric).strip(" 的")
    metric = _QUOTE_MARKS.sub("", metric)  # “三公”经费 is 三公经费: quotes around a term split its bigrams
    units = expected_units(norm)
    if asks_change and not _ASKED_UNIT.search(norm) and units == _UNIT_FAMILIES["money"]:
        units = (*units, *_UNIT_FAMILIES["percent"])  # "收入同比增长多少": by an amount or by a rate
    asks_passage = bool(_PASSAGE_WORDS.search(norm))
    # "多少/几/比例" or a money word asks a number, unless the wording asks for a passage
    # ("信访救助资金存在的问题", "如何提高预算执行率", "存在哪几个问题").
    wants_figure = (bool(_FIGURE_WORDS.search(norm)) or bool(units)) and not asks_passage
    return Query(
        text=question,
        norm=norm,
        orgs=orgs,
        unknown=unknown,
        years=tuple(dict.fromkeys(years)),
        metric=metric,
        terms=" ".join([metric, *dict.fromkeys(n for w in _COLLOQUIAL.findall(metric) for n in _ALSO[w])]).strip(),
        units=units,
        wants_figure=wants_figure,
        wants_passage=asks_passage and not wants_figure,
        asks_change=asks_change,
        spans_orgs=spans_orgs,
        spans_years=spans_years,
    )
