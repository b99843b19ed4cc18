"""Ranked figures (or retrieved sections) → an Answer: the best figure, the same metric for the years or
organisations the question left open, each with a verbatim citation; a passage when a passage was asked
for; or found=false with what was looked for and the closest passages. Every number shown is a figure of
the index with its stored offsets, so it is verbatim in its source."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from qa_app.answer.contract import Answer, Citation, FigureOut, Passage
from qa_app.answer.features import Rarity, bigram_set, likeness, measure
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


@dataclass(frozen=True)
class Composer:
    """What composing an answer reads of the index: report titles, stored texts, sections' reports, the
    organisations' other names and the labels' rarity; and the settings' floor and `Ranking`."""

    reports: pd.DataFrame  # indexed by report_id
    texts: dict[str, str]
    chunks: pd.DataFrame
    catalog: Catalog
    rarity: Rarity
    settings: Settings

    def passage(self, hit: Hit, top: float) -> Passage:
        c = self.chunks.iloc[hit.row]
        return Passage(
            doc=c["doc"],
            title=str(self.reports.loc[c["report_id"], "title"]),
            section=c["section"],
            text=c["text"],
            score=round(hit.score / top, 4) if top else 0.0,
            start=int(c["start"]),
            end=int(c["end"]),
        )

    def newest_first(self, query: Query, ranked: pd.DataFrame) -> pd.DataFrame:
        """A question that names no year asks for the newest: of the best figure's organisation (under any of
        its names, `Catalog.body`), the same metric (label alike, same unit and period) of its newest year
        leads, whichever year scored best."""
        floor = self.settings.min_figure_score
        if query.years or ranked.empty or ranked["score"].iloc[0] < floor:
            return ranked
        best = ranked.iloc[0]
        same = ranked[
            ranked["org"].isin(self.catalog.body(best["org"]))
            & (ranked["unit"] == best["unit"])
            & (ranked["period"] == best["period"])
            & (ranked["score"] >= floor)
            & ranked["year"].notna()
        ]
        anchor = self.settings.ranking.anchor
        same = same[[likeness(best["metric"], m, self.rarity) >= anchor for m in same["metric"]]]
        if same.empty or pd.isna(best["year"]) or same["year"].max() <= best["year"]:
            return ranked
        lead = same.index[same["year"] == same["year"].max()][0]
        return pd.concat([ranked.loc[[lead]], ranked.drop(index=lead)])

    def cite(self, doc: str, report_id: str, section: str, start: int, end: int, cites: list[Citation]) -> int:
        cite = Citation(doc, str(self.reports.loc[report_id, "title"]), section, start, end, self.texts[doc][start:end])
        if cite not in cites:
            cites.append(cite)
        return cites.index(cite)

    def budget_of(self, query: Query, ranked: pd.DataFrame) -> pd.DataFrame:
        """When the question names no measure and the best figure is what was done (决算数, 全年执行数), the
        budgets of the same metric (预算数, 年初预算数, 全年预算数) of its organisation and year, best first."""
        best = ranked.iloc[0]
        if measure(query.metric) or measure(best["metric"]) != "actual":
            return ranked.iloc[0:0]
        same = ranked.iloc[1:]
        same = same[
            (same["score"] >= self.settings.min_figure_score)
            & (same["org"] == best["org"])
            & (same["year"].fillna(0) == (0 if pd.isna(best["year"]) else best["year"]))
            & (same["unit"] == best["unit"])
            & (same["period"] == best["period"])
        ]
        anchor = self.settings.ranking.anchor
        alike = [measure(m) == "budget" and likeness(best["metric"], m, self.rarity) >= anchor for m in same["metric"]]
        return same[alike].drop_duplicates("metric").head(self.settings.ranking.max_other)

    def figure_answer(self, query: Query, ranked: pd.DataFrame, passages: list[Passage]) -> Answer:
        ranking = self.settings.ranking
        best = ranked.iloc[0]
        floor = self.settings.min_figure_score
        budgets = self.budget_of(query, ranked)
        others = ranked.iloc[1:].drop(index=budgets.index)
        others = others[
            (others["score"] >= floor)
            & (others["unit"] == best["unit"])
            & ((others["period"] == "change") == (best["period"] == "change"))
            & ((others["org"] != best["org"]) | (others["year"] != best["year"]))
        ]
        several_years = len(query.years) > 1  # "2024年和2023年…"
        open_year = (not query.years or several_years) & (others["org"] == best["org"])
        several_orgs = not query.orgs or len(query.orgs) > 1  # "各信访局…", "湘潭县和岳阳市…"
        open_org = several_orgs & ((others["year"] == best["year"]) | (not query.years))
        others = others[open_year | open_org]
        # Per other organisation and year, the figure whose label is closest to the answer's, not merely the
        # best scored ("信访救助基金·实际支出" rather than the fund's budget for "信访救助支出").
        others = others.assign(_like=[likeness(best["metric"], m, self.rarity) for m in others["metric"]])
        others = others[others["_like"] >= ranking.anchor]
        others = others.sort_values(["_like", "score"], ascending=False, kind="stable")
        others = others.drop_duplicates(["org", "year"]).head(ranking.max_other)
        others = others.sort_values(["org", "year"], ascending=[True, False], kind="stable")
        chosen = [best] + [f for _, f in budgets.iterrows()] + [f for _, f in others.iterrows()]
        cites: list[Citation] = []
        figures = [
            FigureOut(
                float(f["value"]),
                f["text"],
                f["unit"],
                f["metric"],
                f["org"],
                None if pd.isna(f["year"]) else int(f["year"]),
                self.cite(f["doc"], f["report_id"], f["section"], int(f["quote_from"]), int(f["quote_to"]), cites),
                direction(self.texts[f["doc"]][int(f["quote_from"]) : int(f["start"])])
                if f["period"] == "change"
                else "",
                int(f.get("ocr_page", 0) or 0),
            )
            for f in chosen
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

    def passage_answer(self, query: Query, passages: list[Passage], top: Hit) -> Answer:
        # A passage answers only if it shares words with what was asked ("今天天气怎么样" shares none).
        if not passages or not bigram_set(query.terms) & bigram_set(passages[0].text):
            return not_found(query, passages, missing(query))
        p = passages[0]
        cites: list[Citation] = []
        report_id = self.chunks["report_id"].iat[top.row]  # passages[0] is the section of `top`
        n = self.cite(p.doc, report_id, p.section, p.start, p.end, cites)
        limit = self.settings.ranking.excerpt_chars
        excerpt = re.sub(r"\s+", " ", p.text).strip()
        excerpt = excerpt if len(excerpt) <= limit else excerpt[:limit] + "…"
        return Answer(query.text, True, f"{p.title} · {p.section}：{excerpt}[{n + 1}]", [], cites, passages)
