"""Ranked figures (or retrieved sections) → an Answer: the best figure, the same metric for the years or
organisations the question left open, each with a verbatim citation; a passage when a passage was asked
for; or found=false with what was looked for and the closest passages. Every number shown is a figure of
the index with its stored offsets, so it is verbatim in its source."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from qa_app.answer.contract import Answer, Citation, FigureOut, Passage
from qa_app.answer.features import Rarity, Scored, bigram_set, likeness, measure
from qa_app.config import Settings
from qa_app.lexicon import load, ordered
from qa_app.search.catalog import Catalog
from qa_app.search.query import Query
from qa_app.search.retrieve import Hit
from qa_app.text.normalize import normalize

_PERIODS = load("figure_words")["periods"]
_DIRECTION = re.compile(f"({ordered(_PERIODS['down'])})|({ordered(_PERIODS['up'])})")


def direction(text_before: str) -> str:
    """Which way a change goes: the last change word before its number, "down", "up" or "" when none."""
    found = list(_DIRECTION.finditer(normalize(text_before).text))
    return "" if not found else "down" if found[-1].group(1) else "up"


def label(f: FigureOut) -> str:
    """The metric as the answer names it; a change says which way it went: "基本支出（减少）"."""
    way = {"down": "（减少）", "up": "（增加）"}.get(f.direction, "")
    return f"{f.metric}{way}"


def shown(f: FigureOut) -> str:
    """The figure as its source writes it, with the unit a table took from its header: "284.14万元"; a unit
    the source writes in traditional or full-width characters ("102萬元") is not added again."""
    written = normalize(f.text).text.rstrip()
    if written.endswith(f.unit):
        return f.text
    # "236.78億" read as 亿元: the source's 億 stays, only the 元 it implies is added
    bare = next((f.unit[:k] for k in range(len(f.unit) - 1, 0, -1) if written.endswith(f.unit[:k])), "")
    return f"{f.text}{f.unit[len(bare) :]}"


def source_note(f: FigureOut) -> str:
    """Where a figure read by OCR comes from: "（扫描件第3页，文字识别）"; nothing for a text layer."""
    return f"（扫描件第{f.ocr_page}页，文字识别）" if f.ocr_page else ""


def who(f: FigureOut) -> str:
    return f"{f.org} {f.year}年 " if f.year else f"{f.org} "


def missing(query: Query) -> str:
    orgs = "、".join(sorted(query.orgs)) if query.orgs else query.unknown
    when = "、".join(f"{y}年" for y in query.years)
    return f"这些报告中没有{orgs}{when}“{query.focus}”的数字。"


def not_found(query: Query, passages: list[Passage], why: str) -> Answer:
    tail = "以下是最接近的段落。" if passages else ""
    return Answer(query.text, False, why + tail, passages=passages)


_MIN_HEADING = 3  # a heading the question names is a phrase ("存在的问题"), not a word such as 其他


def headed_first(question: str, hits: list[Hit], sections: list[str]) -> list[Hit]:
    """The hits whose section's heading the question names ("存在的问题是什么") first, in their order, then the
    rest: the question asks for what stands under that heading, in every report of its scope, not for the
    sections that merely sound like it (改进措施). `sections` are the hits' heading paths ("A › B")."""
    named = [len(h) >= _MIN_HEADING and h in question for h in (s.rpartition(" › ")[2] for s in sections)]
    return [h for h, n in zip(hits, named, strict=True) if n] + [h for h, n in zip(hits, named, strict=True) if not n]


_PASSAGE_COLUMNS = ("doc", "report_id", "section", "text", "start", "end")


@dataclass(frozen=True)
class Composer:
    """What composing an answer reads of the index: report titles, stored texts, sections (a few rows read
    per question, qa_app.store.reads), the organisations' other names and the labels' rarity; and the
    settings' floor and `Ranking`."""

    titles: dict[str, str]  # report_id → title
    texts: Mapping[str, str]
    sections: Callable[[Sequence[int], Sequence[str]], dict[str, list]]  # (rows, columns) → columns (store.reads)
    catalog: Catalog
    rarity: Rarity
    settings: Settings
    report_years: dict[str, int | None] = field(default_factory=dict)  # report_id → the year it reports on

    def passages(self, hits: list[Hit], top: float) -> list[Passage]:
        rows = self.sections([h.row for h in hits], _PASSAGE_COLUMNS)
        return [
            Passage(
                doc=rows["doc"][i],
                title=self.titles[rows["report_id"][i]],
                section=rows["section"][i],
                text=rows["text"][i],
                score=round(h.score / top, 4) if top else 0.0,
                start=rows["start"][i],
                end=rows["end"][i],
            )
            for i, h in enumerate(hits)
        ]

    def newest_first(self, query: Query, ranked: list[Scored]) -> list[Scored]:
        """A question that names no year asks for the newest: of the best figure's organisation (under any of
        its names, `Catalog.body`), the same metric (label alike, same unit and period) of its newest year
        leads, whichever year scored best."""
        floor = self.settings.min_figure_score
        if query.years or not ranked or ranked[0].score < floor or ranked[0].year is None:
            return ranked
        best, anchor = ranked[0], self.settings.ranking.anchor
        body = self.catalog.body(best.org)
        same = [
            k
            for k, f in enumerate(ranked)
            if f.org in body and f.unit == best.unit and f.period == best.period and f.score >= floor
            and f.year is not None and likeness(best.metric, f.metric, self.rarity) >= anchor
        ]  # fmt: skip
        newest = max((ranked[k].year for k in same), default=None)
        if newest is None or newest <= best.year:
            return ranked
        lead = next(k for k in same if ranked[k].year == newest)
        return [ranked[lead], *ranked[:lead], *ranked[lead + 1 :]]

    def own_report_first(self, ranked: list[Scored]) -> list[Scored]:
        """A figure of year Y that another year's report restates (上年, a comparison column) is cited from the
        report of year Y when that report states the same value: there it is the report's own figure."""
        if not ranked or ranked[0].year is None or self.report_years.get(ranked[0].report_id) == ranked[0].year:
            return ranked
        best, floor = ranked[0], self.settings.min_figure_score
        body = self.catalog.body(best.org)
        for k, f in enumerate(ranked[1:], 1):
            if (f.score >= floor and f.value == best.value and f.unit == best.unit and f.year == best.year
                    and f.org in body and self.report_years.get(f.report_id) == f.year):  # fmt: skip
                return [f, *ranked[:k], *ranked[k + 1 :]]
        return ranked

    def cite(self, doc: str, report_id: str, section: str, start: int, end: int, cites: list[Citation]) -> int:
        cite = Citation(doc, self.titles[report_id], section, start, end, self.texts[doc][start:end])
        if cite not in cites:
            cites.append(cite)
        return cites.index(cite)

    def budget_of(self, query: Query, ranked: list[Scored]) -> list[Scored]:
        """When the question names no measure and the best figure is what was done (决算数, 全年执行数), the
        budgets of the same metric (预算数, 年初预算数, 全年预算数) of its organisation and year, best first."""
        best = ranked[0]
        if measure(query.metric) or measure(best.metric) != "actual":
            return []
        floor, anchor = self.settings.min_figure_score, self.settings.ranking.anchor
        budgets: list[Scored] = []
        for f in ranked[1:]:  # an unknown year is the same as another unknown year (read as year 0)
            if (
                f.score >= floor and f.org == best.org and (f.year or 0) == (best.year or 0) and f.unit == best.unit
                and f.period == best.period and measure(f.metric) == "budget"
                and likeness(best.metric, f.metric, self.rarity) >= anchor
                and all(b.metric != f.metric for b in budgets)
            ):  # fmt: skip
                budgets.append(f)
        return budgets[: self.settings.ranking.max_other]

    def figure_answer(self, query: Query, ranked: list[Scored], passages: list[Passage]) -> Answer:
        ranking = self.settings.ranking
        best = ranked[0]
        floor = self.settings.min_figure_score
        budgets = self.budget_of(query, ranked)
        several_years = len(query.years) > 1  # "2024年和2023年…"
        several_orgs = not query.orgs or len(query.orgs) > 1  # "各信访局…", "湘潭县和岳阳市…"
        known = best.year is not None
        body = self.catalog.body(best.org)  # its other names are no other organisation

        def other(f: Scored) -> bool:
            """Another organisation or year (an unknown year is no other year) that the question left open."""
            same_year = known and f.year is not None and f.year == best.year
            differs = f.org not in body or (known and f.year is not None and not same_year)
            open_year = (not query.years or several_years) and f.org in body
            open_org = several_orgs and (not query.years or same_year)
            return (
                f.score >= floor and f.unit == best.unit and (f.period == "change") == (best.period == "change")
                and differs and (open_year or open_org)
            )  # fmt: skip

        # Per other organisation and year, the figure whose label is closest to the answer's, not merely the
        # best scored ("信访救助基金·实际支出" rather than the fund's budget for "信访救助支出").
        leading = {f.row for f in budgets}
        liked = [(like, f) for f in ranked[1:] if f.row not in leading and other(f)
                 if (like := likeness(best.metric, f.metric, self.rarity)) >= ranking.anchor]  # fmt: skip
        liked.sort(key=lambda lf: (-lf[0], -lf[1].score))
        seen: set[tuple[frozenset[str], int | None]] = set()  # one figure per body (under any name) and year
        others = [f for _, f in liked if (k := (self.catalog.body(f.org), f.year)) not in seen and not seen.add(k)]
        others = others[: ranking.max_other]
        others.sort(key=lambda f: (f.org, f.year is None, -(f.year or 0)))  # organisation, newest year first
        cites: list[Citation] = []
        figures = [
            FigureOut(
                float(f.value),
                f.text,
                f.unit,
                f.metric,
                f.org,
                f.year,
                self.cite(f.doc, f.report_id, f.section, f.quote_from, f.quote_to, cites),
                direction(self.texts[f.doc][f.quote_from : f.start]) if f.period == "change" else "",
                f.ocr_page,
            )
            for f in [best, *budgets, *others]
        ]
        lead, rest = figures[: 1 + len(budgets)], figures[1 + len(budgets) :]
        budget = "".join(f"；{label(f)} {shown(f)}{source_note(f)}[{f.citation + 1}]" for f in lead[1:])
        top = lead[0]
        lines = [f"{who(top)}{label(top)}：{shown(top)}{source_note(top)}[{top.citation + 1}]{budget}。"]
        if rest:
            what = "年份" if all(f.org == figures[0].org for f in rest) else "单位"
            listed = "；".join(f"{who(f)}{label(f)} {shown(f)}{source_note(f)}[{f.citation + 1}]" for f in rest)
            lines.append(f"其他{what}：{listed}。")
        return Answer(query.text, True, "".join(lines), figures, cites, passages)

    def headed_first(self, query: Query, hits: list[Hit]) -> list[Hit]:
        """`headed_first` for a passage question, on the sections of `hits`."""
        if not query.wants_passage or not hits:
            return hits
        return headed_first(query.norm, hits, self.sections([h.row for h in hits], ("section",))["section"])

    def passage_answer(self, query: Query, passages: list[Passage], top: Hit) -> Answer:
        # A passage answers only if it shares words with what was asked ("今天天气怎么样" shares none).
        if not passages or not bigram_set(query.terms) & bigram_set(passages[0].text):
            return not_found(query, passages, missing(query))
        p = passages[0]
        cites: list[Citation] = []
        report_id = self.sections([top.row], ("report_id",))["report_id"][0]  # passages[0] is the section of `top`
        n = self.cite(p.doc, report_id, p.section, p.start, p.end, cites)
        limit = self.settings.ranking.excerpt_chars
        excerpt = re.sub(r"\s+", " ", p.text).strip()
        excerpt = excerpt if len(excerpt) <= limit else excerpt[:limit] + "…"
        return Answer(query.text, True, f"{p.title} · {p.section}：{excerpt}[{n + 1}]", [], cites, passages)
