"""What a question asks: whose figure, which year, about what, in which unit.

Organisations are recognised through aliases the corpus itself implies: the full name, the name without its
outer regions ("渌口区信访局") or with a stem ("岳阳信访局"), and the innermost region ("渌口区") and its
stem ("岳阳", "渌口"), each also with its department's short name ("宜黄县人社局", "安仁卫健委"). One body
titled in some reports with its city in front and in others without (十堰市张湾区财政局, 张湾区财政局) is
reached by either name. A place or a 局/厅/委 the corpus does not hold is reported as `unknown`, and so is
another level of a known name ("湘潭市" beside 湘潭县) or an outer region alone ("株洲市", which holds only
渌口区's bureau here), so that the answer says so instead of quoting another organisation's figure.
Years: "2024", "2024年度", "二〇二四年", and 今年/去年/前年 counted
from the year after the newest report (reports are written the year after the year they evaluate, so
"去年" in that meeting is the newest report's year); "本年收入", "上年结转" are table labels, not years.
The metric is what is left without names, years, their framing ("在2019年的") and the question form with
its verb ("为多少", "是多少名", "达到了多少"); its terms add the budget names of its other wordings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
import jieba.posseg
import pandas as pd

from qa_app.structure.reports import ORG_NAME, REGION_SUFFIX, region_stem
from qa_app.text.normalize import normalize

# A year, not an amount: "2024", "2024年度", "2024项目支出", but not "2000万元", "2024人" or "2024.5".
_YEAR = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})(?![\d.]|\s*(?:万|亿|元|%|人(?!员)|件|个|项(?!目)|次))\s*(?:年度?|财年)?"
)
# "比上年减少" asks for a change, not for last year's figure.
_COMPARED = re.compile(r"(?:比|较|与|同比)(?:上年|去年|上一年)(?:同期)?|同比")
_RELATIVE_YEAR = {"今年": 0, "本年": 0, "本年度": 0, "去年": 1, "上年": 1, "上一年": 1, "上年度": 1, "前年": 2}
# "本年收入", "本年支出合计", "上年结转" are the labels of budget tables, not "this year" or "last year".
_TABLE_LABEL_AFTER = {"本年": "收入|支出|结转|结余|拨款|预算|决算", "上年": "结转|结余"}
_RELATIVE = re.compile(
    "|".join(
        re.escape(w) + (f"(?!{_TABLE_LABEL_AFTER[w]})" if w in _TABLE_LABEL_AFTER else "")
        for w in sorted(_RELATIVE_YEAR, key=len, reverse=True)
    )
)
_ASKS_CHANGE = re.compile(r"增减|增加|减少|增长|下降|上升|变化|变动|增幅|降幅")
_FOREIGN_ORGAN = re.compile(r"(?:局|厅|委员会|委)$")
# jieba tags many measures as places ("满意度", "新鲜度" are "ns"): a word of three or more characters
# ending in 度 or 率 is what is measured, not where ("印度" stays a place).
_MEASURE = re.compile(r"^[\u4e00-\u9fff]{2,}(?:度|率)$")

# Units a question expects, most specific wording first.
_UNIT_FAMILIES = {
    "money": ("万元", "元", "亿元", "千元"),
    "percent": ("%",),
    "people": ("人", "人次", "名", "万人", "万人次"),
    "items": ("件", "件次", "批", "批次", "起", "条"),
}
_ASKED_UNIT = re.compile(
    r"(?:多少|几)个?(万元|亿元|元|人次|件次|批次|个百分点|人|件|批|个|辆|名|次|户|家|项|条|台|套|篇|场|天|起|份|分|%)"
)
_SCORE_WORDS = re.compile(r"总分|得分|分值|评分|打分|自评分")
_PERCENT_WORDS = re.compile(r"比例|比重|占比|百分比|百分之|率|满意度|%")
_MONEY_WORDS = re.compile(r"多少钱|钱|金额|资金|经费|费用|费|预算|决算|支出|收入|拨款|投入|结余|结转|资产|专项")
_PEOPLE_WORDS = re.compile(r"人数|多少人|几人|几名")
# Everyday words for what reports call by their budget names; matched terms are added to the metric.
COLLOQUIAL = {
    "花": "支出", "花费": "支出", "开销": "支出", "用了": "支出", "用掉": "支出", "开支": "支出",
    "钱": "资金", "工资": "工资福利", "开会": "会议费", "会议": "会议费", "出差": "差旅费",
    "出国": "因公出国", "招待": "公务接待", "吃饭": "公务接待", "用车": "公务用车", "车": "车辆",
    "救济": "救助", "上访": "信访", "来访": "信访", "退休": "退休人员", "人头": "人员", "编制": "编制",
    "占多少": "占比", "比例": "占比", "完成了多少": "完成率",
}  # fmt: skip
# One figure under several names. First the names budget tables and reports use (a question naming one of
# them is given the others: "公车运行维护费" is "公务用车运行费" in some reports), then other wordings of it
# (given the names: "总收入" → "收入合计 收入总计", "核定编制" → "编制数"). General budget wording, no
# report's own; kept short, since every name added is matched against every label.
BUDGET_SYNONYMS = (
    (("收入合计", "收入总计"), ("总收入", "全年收入", "本年收入", "收入总额")),
    (("支出合计", "支出总额"), ("总支出", "全年支出", "本年支出", "支出总计")),
    (("基本支出",), ("基本经费",)),
    (("项目支出",), ("项目经费",)),
    (("人员经费", "人员类支出"), ("人员支出",)),
    (("公用经费",), ("公用支出",)),
    (("公务接待费",), ("接待费", "接待支出")),
    (("公务用车运行维护费", "公务用车运行费", "公车运行维护费"), ("公车运行费", "公务用车运维费", "公车运维费")),
    (("编制数", "核定编制"), ("编制人数",)),
    (("实有人数", "在职人数"), ("在职人员", "实有人员")),
    (("服务对象满意度", "群众满意度"), ()),
    (("预算执行率",), ("执行率",)),
    (("自评得分", "综合得分"), ("自评分", "评价得分", "绩效得分")),
    (("全年预算", "调整后预算"), ()),
    (("占比",), ("比重",)),
)


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
_PASSAGE_WORDS = re.compile(r"什么|怎么|怎样|如何|哪些|为什么|为何|措施|问题|建议|做法|经验|原因|介绍|说明|情况如何")
_FIGURE_WORDS = re.compile(r"多少|几|比例|比重|占比|率|金额|数额|总额|合计")
# Openers of a follow-up ("那2023年呢") and words that span organisations or years ("各信访局", "历年").
_FOLLOW_UP = re.compile(
    r"^(?:那么|那|还有|另外|同样|再)|(?:各|所有|全部)[\u4e00-\u9fff]{0,4}?(?:局|单位|部门)|历年|各年|逐年|每年"
)
# The verb that leads to the question word belongs to the question form, not to the metric: "执行率为多少",
# "编制数是多少名", "满意度达到了多少", "措施有哪些" (but not the 为 of "行为" or the 有 of "国有").
_ASK_VERB = (
    r"(?:(?<![行作认成因以称视改分更较最极尤])为|(?<![国所拥现实共具含没只还都特固占])有|(?<!不)是"
    r"|一共有|总共有|共有|达到|达|约为|约|大约是|大约|大概是|大概)?了?"
)
_QUESTION_FORM = re.compile(rf"{_ASK_VERB}(?:{_ASKED_UNIT.pattern}|多少钱|多少|几|什么|哪些|哪几个?)")
# Words that carry no metric: question forms, particles, the asking of a year.
_NOT_METRIC = re.compile(
    r"请问|是多少|有多少|多少钱|多少|是几|有几|几|是什么|什么|怎么样|怎样|如何|哪些|吗|呢|呀|啊|\?|？|。|,|，|"
    r"一共|总共|共计|大概|大约|具体|分别|的数据|数据"
)
# What is left between the names and years a question frames its metric with: "在2019年的" leaves "在" and
# "的", "湘潭县和长沙市的" leaves "和".
_FRAME_ONLY = re.compile(r"[在于的和与及、或]+")


# The short forms people use for the official names of government departments: "宜黄县人社局" is
# 宜黄县人力资源和社会保障局, "安仁县卫健委" 安仁县卫生健康局. Domain knowledge, not tied to any report.
DEPARTMENT_SHORT_NAMES = {
    "人力资源和社会保障局": ("人社局", "人力资源社会保障局"),
    "人力资源社会保障局": ("人社局", "人力资源和社会保障局"),
    "卫生健康委员会": ("卫健委", "卫健局", "卫生健康委"),
    "卫生健康局": ("卫健局", "卫健委"),
    "卫生和计划生育委员会": ("卫计委", "卫计局"),
    "卫生和计划生育局": ("卫计局", "卫计委"),
    "交通运输局": ("交通局",),
    "文化广电旅游局": ("文旅广电局", "文广旅局", "文旅局"),
    "文化旅游广电局": ("文旅广电局", "文广旅局", "文旅局"),
    "文化广电和旅游局": ("文旅广电局", "文广旅局", "文旅局"),
    "文化和旅游局": ("文旅局",),
    "文化广电新闻出版局": ("文广新局", "文广局"),
    "市场监督管理局": ("市场监管局", "市监局"),
    "农业农村局": ("农业局",),
    "发展和改革委员会": ("发改委", "发展改革委"),
    "发展和改革局": ("发改局", "发改委"),
    "住房和城乡建设局": ("住建局",),
    "住房和城乡建设委员会": ("住建委",),
    "自然资源和规划局": ("自然资源局", "资规局"),
    "生态环境局": ("环保局",),
    "应急管理局": ("应急局",),
    "医疗保障局": ("医保局",),
    "退役军人事务局": ("退役军人局",),
    "工业和信息化局": ("工信局",),
    "科学技术局": ("科技局",),
    "教育和体育局": ("教体局",),
    "城市管理局": ("城管局",),
    "城市管理和综合执法局": ("城管局", "城管执法局"),
    "行政审批服务局": ("审批局", "行政审批局"),
    "机关事务管理局": ("机关事务局",),
    "人民政府办公室": ("政府办",),
    "国有资产监督管理委员会": ("国资委",),
    "人民防空办公室": ("人防办",),
    "粮食和物资储备局": ("粮食局", "粮储局"),
    "林业和草原局": ("林业局",),
    "广播电视局": ("广电局",),
    "民族宗教事务局": ("民宗局",),
    "政务服务和数据管理局": ("政数局", "数据局"),
    "残疾人联合会": ("残联",),
    "妇女联合会": ("妇联",),
}
_DEPARTMENT = re.compile(f"(?:{'|'.join(sorted(DEPARTMENT_SHORT_NAMES, key=len, reverse=True))})$")


def short_names(name: str) -> set[str]:
    """`name` with its department said the short way: "宜黄县人力资源和社会保障局" → "宜黄县人社局" …"""
    m = _DEPARTMENT.search(name)
    if not m or m.start() == 0:  # never a bare "人社局": like "信访局", it names no one organisation
        return set()
    return {name[: m.start()] + short for short in DEPARTMENT_SHORT_NAMES[m.group()]}


@dataclass(frozen=True)
class Catalog:
    """The organisations of an index and every alias that names them."""

    aliases: dict[str, frozenset[str]]  # alias → organisations
    regions: frozenset[str]  # every region name and stem the corpus holds
    outer: frozenset[str]  # regions that hold an organisation only through an inner region (株洲市 › 渌口区)
    newest_year: int | None
    bodies: dict[str, frozenset[str]] = field(default_factory=dict)  # organisation → all its names, if several
    alias_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    outer_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alias_pattern", names_pattern(self.aliases))
        object.__setattr__(self, "outer_pattern", names_pattern(self.outer))

    @classmethod
    def from_reports(cls, reports: pd.DataFrame) -> Catalog:
        """Aliases of each organisation: its name without outer regions, with region stems, with the short
        name of its department, and its innermost region. One body titled in some reports with its city in
        front (十堰市张湾区财政局) and in others without (张湾区财政局) is one organisation: either name
        reaches the reports of both."""
        aliases: dict[str, set[str]] = {}
        regions: set[str] = set()
        outer: set[str] = set()
        shorter: dict[str, set[str]] = {}  # organisation → its name without outer regions
        for org, region in reports[["org", "region"]].drop_duplicates().itertuples(index=False):
            if not isinstance(org, str) or not org:
                continue
            parts = [p for p in str(region or "").split(" › ") if p]
            names = {org}
            rest = org
            for part in parts[:-1]:  # "株洲市渌口区信访局" → "渌口区信访局", never the bare "信访局"
                if not rest.startswith(part):
                    break
                rest = rest[len(part) :]
                names.add(rest)
            shorter[org] = names - {org}
            for name in list(names):  # "岳阳市信访局" → "岳阳信访局"
                for part in parts:
                    if name.startswith(part) and (stem := region_stem(part)):
                        names.add(stem + name[len(part) :])
            for name in list(names):  # "宜黄县人力资源和社会保障局" → "宜黄县人社局"
                names |= short_names(name)
            for i, part in enumerate(parts):
                stem = region_stem(part)
                regions.update(p for p in (part, stem) if p)
                if i == len(parts) - 1:  # only the innermost region names the organisation
                    names.update(p for p in (part, stem) if p)
                else:
                    outer.update(p for p in (part, stem) if p)
            for name in names:
                aliases.setdefault(name, set()).add(org)
        same = _same_bodies(shorter)
        aliases = {name: {s for o in orgs for s in same.get(o, {o})} for name, orgs in aliases.items()}
        years = pd.to_numeric(reports["year"], errors="coerce").dropna()
        return cls(
            aliases={k: frozenset(v) for k, v in aliases.items()},
            regions=frozenset(regions),
            outer=frozenset(outer - set(aliases)),
            newest_year=int(years.max()) if len(years) else None,
            bodies={o: frozenset(b) for o, b in same.items()},
        )

    @property
    def orgs(self) -> frozenset[str]:
        return frozenset(o for v in self.aliases.values() for o in v)

    def body(self, org: str) -> frozenset[str]:
        """Every name the organisation `org` has in the corpus (十堰市张湾区财政局 and 张湾区财政局)."""
        return self.bodies.get(org, frozenset({org}))


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

    @property
    def focus(self) -> str:
        """The question's metric in words, for messages: "信访救助支出"."""
        return (self.metric or self.norm).replace(" ", "")


def _same_bodies(shorter: dict[str, set[str]]) -> dict[str, set[str]]:
    """Organisations that are one body: one's name is another's without its outer regions. Each maps to
    all names of its body (only those with another name are listed)."""
    body = {org: {org} for org in shorter}
    for org, names in shorter.items():
        for other in names & body.keys():
            merged = body[org] | body[other]
            for o in merged:
                body[o] = merged
    return {o: b for o, b in body.items() if len(b) > 1}


def names_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """One alternation, longest names first, so a scan finds the longest name at each place; built once
    per index, so a question costs one regex pass however many organisations the corpus holds."""
    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    return re.compile("|".join(map(re.escape, ordered)) if ordered else r"(?!)")


def _longest_matches(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of the names of `pattern` in `text`, leftmost and longest."""
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]


def _unknown_names(text: str, catalog: Catalog, pos: jieba.posseg.POSTokenizer) -> str:
    """A place or 局/厅/委 in `text` (known names already removed) that the corpus does not hold."""
    for m in ORG_NAME.finditer(text):
        regions, organ = m.group(1), m.group(2)
        if not any(r in catalog.regions for r in re.findall(rf".+?{REGION_SUFFIX}", regions)):
            return m.group(0)
        if _FOREIGN_ORGAN.search(organ):
            return m.group(0)
    for word in pos.cut(text):
        if (
            word.flag == "ns"
            and len(word.word) >= 2
            and word.word not in catalog.regions
            and not _MEASURE.match(word.word)
        ):
            return word.word
    return ""


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


def parse_query(question: str, catalog: Catalog, tokenizer: jieba.Tokenizer) -> Query:
    norm = normalize(question).text.strip()
    norm = re.sub(r"\s+", "", norm)
    matches = _longest_matches(norm, catalog.alias_pattern)
    orgs = frozenset(o for _, _, name in matches for o in catalog.aliases[name])
    rest = norm
    for start, end, _ in reversed(matches):
        rest = rest[:start] + " " + rest[end:]
    # A known region followed by another organ ("长沙市财政局") or a stem followed by another region level
    # ("湘潭市" is not 湘潭县) names what the corpus lacks; so does an outer region on its own ("株洲市"
    # holds only 渌口区's bureau here, and its figures are not the city's).
    unknown = _unknown_names(rest.replace(" ", "|"), catalog, _pos_tagger(tokenizer))
    for _start, end, name in matches:
        if unknown:
            break
        # a region suffix after a stem only: "湘潭市" is another place, "渌口区区本级" is 渌口区's own level
        level = "" if region_stem(name) else f"|{REGION_SUFFIX}"
        tail = re.match(rf"[\u4e00-\u9fff]{{1,8}}?(?:局|厅|委员会|委){level}", norm[end:])
        if tail and name + tail.group(0) not in catalog.aliases and name + tail.group(0) not in catalog.regions:
            unknown = name + tail.group(0)
    outer = _longest_matches(rest, catalog.outer_pattern)
    if outer and not orgs and not unknown:
        unknown = outer[0][2]
    asks_change = bool(_COMPARED.search(rest)) or bool(_ASKS_CHANGE.search(rest))
    rest = _COMPARED.sub(" ", rest)
    years = [int(y) for y in _YEAR.findall(rest)]
    if catalog.newest_year is not None:
        years += [catalog.newest_year + 1 - _RELATIVE_YEAR[w] for w in _RELATIVE.findall(rest)]
    metric = _QUESTION_FORM.sub(" ", _RELATIVE.sub(" ", _YEAR.sub(" ", rest)))
    metric = _NOT_METRIC.sub(" ", metric)
    parts = (p.strip("的") for p in metric.split())
    metric = " ".join(p for p in parts if p and not _FRAME_ONLY.fullmatch(p))
    metric = _FOLLOW_UP.sub("", metric).strip(" 的")
    units = expected_units(norm)
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
    )
