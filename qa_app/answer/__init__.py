"""A question in, an extractive answer out: the best figure(s) with verbatim citations, and passages.

Figures are taken from the sections retrieval puts first (within the organisations and years the question
names) and kept only if their label is anchored in the question's metric (`anchored`). They are ranked by
how well the label matches (shared character bigrams, and its embedding against the question's metric),
by the unit the wording expects, by their period (this year's figure before last year's or a change), and
by their section's retrieval score. The best figure leads; the same metric for the years (or
organisations) the question left open follows. Every number shown is a figure of the index with its
stored offsets, so it is verbatim in its source. When no figure is anchored and scores `min_figure_score`
(chosen on the dev set, docs/RETRIEVAL.md), the answer says plainly what was looked for and was not
found, and shows the closest passages.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from qa_app.config import Settings, load_settings
from qa_app.embed import Embedder, get_embedder
from qa_app.search.query import Catalog, Query, parse_query
from qa_app.search.retrieve import ByOrgYear, Dense, Hit, Lexical, Lookup, Within, intersect, search
from qa_app.store.index import Index, built_stamp, load_index
from qa_app.text.normalize import valid_utf8
from qa_app.text.tokens import CJK_RUN, tokenize

UNIGRAM_WEIGHT = 0.25
_FILLER = set("的了在是为和与及其之")
# Figure-score weights (chosen on the dev set; docs/RETRIEVAL.md).
W_LABEL, W_SENTENCE, W_SEMANTIC, W_PASSAGE = 0.45, 0.15, 0.3, 0.1
SEMANTIC_BAND = 0.04
UNIT_EXACT, UNIT_FAMILY, UNIT_OTHER = 0.15, 0.1, -0.3
PERIOD_PENALTY = {"current": 0.0, "previous": -0.15, "change": -0.25}
CHANGE_FIT = {"current": -0.1, "previous": -0.15, "change": 0.1}  # "比上年减少了多少"
ANCHOR = 0.5
MAX_OTHER = 4
MAX_HISTORY = 5
MAX_QUOTE = 200
_QUOTE_STOPS = "。；;！？!?\n\t"


@dataclass(frozen=True)
class FigureOut:
    value: float
    text: str
    unit: str
    metric: str
    org: str
    year: int | None
    citation: int


@dataclass(frozen=True)
class Citation:
    doc: str
    title: str
    section: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Passage:
    doc: str
    title: str
    section: str
    text: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    answer: str
    figures: list[FigureOut] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def grams(text: str) -> dict[str, float]:
    """Character bigrams of each CJK run (weight 1) and single characters (weight 0.25, fillers left out)."""
    out: dict[str, float] = {}
    for run in CJK_RUN.findall(text):
        for c in run:
            if c not in _FILLER:
                out[c] = UNIGRAM_WEIGHT
        for i in range(len(run) - 1):
            out[run[i : i + 2]] = 1.0
    return out


def overlap(query: dict[str, float], label: dict[str, float]) -> float:
    """How much of the question's metric the label covers, with a little credit for a label that is exact."""
    if not query or not label:
        return 0.0
    shared = sum(w for g, w in query.items() if g in label)
    return 0.8 * shared / sum(query.values()) + 0.2 * shared / sum(label.values())


def bigram_set(text: str) -> set[str]:
    return {g for g in grams(text) if len(g) == 2}


@dataclass(frozen=True)
class Rarity:
    """How rare each bigram is among the corpus's metric labels (IDF): 支出 and 经费 are everywhere, 三公 and
    救助 are not. A bigram no label has counts as the rarest."""

    idf: dict[str, float]
    unseen: float

    @classmethod
    def of_labels(cls, labels: Iterable[str]) -> Rarity:
        df: dict[str, int] = {}
        labels = list(labels)
        for label in labels:
            for g in bigram_set(label):
                df[g] = df.get(g, 0) + 1
        idf = {g: math.log((len(labels) + 1) / (n + 1)) + 1 for g, n in df.items()}
        return cls(idf, max(idf.values(), default=1.0))

    def weight(self, bigrams: Iterable[str]) -> float:
        return sum(self.idf.get(g, self.unseen) for g in bigrams)


def anchored(query: Query, label: str, rarity: Rarity) -> float:
    """How firmly a label names what was asked: the larger share of bigrams shared, of the question's
    metric or of the label ("来信" in "群众来信"), weighted by rarity, for the metric as worded and for the
    budget names its everyday words stand for ("开会花了" → "会议费"). Below ANCHOR a figure is never an
    answer: a label that merely sounds close (公务接待费 for 差旅费) or shares only common words
    (人事代理经费支出 for 三公经费支出) is not one.
    """
    lab = bigram_set(label)
    best = 0.0
    for asked in (query.metric, query.terms[len(query.metric) :]):
        q = bigram_set(asked)
        if q and lab:
            shared = rarity.weight(q & lab)
            best = max(best, shared / rarity.weight(q), shared / rarity.weight(lab))
    return best


def likeness(a: str, b: str, rarity: Rarity) -> float:
    """How much of label `a` label `b` repeats, by rarity: one metric in different reports
    ("信访救助支出", "信访救助基金·实际支出"), but not a generic "支出" for "基本支出"."""
    x, y = bigram_set(a), bigram_set(b)
    if not x or not y:
        return float(a == b)
    return rarity.weight(x & y) / rarity.weight(x)


def quote_span(text: str, quote_start: int, quote_end: int, start: int, end: int) -> tuple[int, int]:
    """The figure's sentence; a long table cell or paragraph is cut to the sentence that holds the figure."""
    if quote_end - quote_start <= MAX_QUOTE:
        return quote_start, quote_end
    left = max(text.rfind(c, quote_start, start) for c in _QUOTE_STOPS)
    right = [i for i in (text.find(c, end, quote_end) for c in _QUOTE_STOPS) if i >= 0]
    return (left + 1 if left >= quote_start else quote_start), (min(right) + 1 if right else quote_end)


def figure_scores(
    figs: pd.DataFrame,
    query: Query,
    label_cos: np.ndarray,
    section_score: dict[str, float],
    texts: dict[str, str],
    rarity: Rarity,
) -> pd.DataFrame:
    """The candidate figures that name what was asked (see `anchored`), with their features, best first.

    `label_cos` holds the cosine of the question's metric with every metric label of the corpus. The
    semantic feature is 1 for the label nearest to the question anywhere in the corpus and falls to 0
    SEMANTIC_BAND below it: what counts is whether this figure measures the concept the question names,
    which is not the case when the nearest concept exists only in other reports.
    """
    figs = figs.copy()
    figs["anchor"] = [anchored(query, m, rarity) for m in figs["metric"]]
    figs = figs[figs["anchor"] >= ANCHOR]
    if figs.empty:
        return figs.assign(score=pd.Series(dtype=float))
    qgrams = grams(query.terms)
    figs["label_match"] = [overlap(qgrams, grams(m)) for m in figs["metric"]]
    spans = [
        quote_span(texts[d], int(qs), int(qe), int(a), int(b))
        for d, qs, qe, a, b in zip(figs["doc"], figs["quote_start"], figs["quote_end"], figs["start"], figs["end"],
                                   strict=True)
    ]  # fmt: skip
    figs["quote_from"], figs["quote_to"] = [a for a, _ in spans], [b for _, b in spans]
    figs["sentence_match"] = [
        overlap(qgrams, grams(texts[d][a:b])) for d, (a, b) in zip(figs["doc"], spans, strict=True)
    ]
    rows = figs["metric_row"].to_numpy()
    top = float(label_cos.max()) if len(label_cos) else 0.0
    cos = np.where(rows >= 0, label_cos[np.maximum(rows, 0)], 0.0)
    figs["semantic"] = np.clip(1 - (top - cos) / SEMANTIC_BAND, 0, 1)
    figs["passage"] = figs["chunk_id"].map(section_score).fillna(0.0).astype(float)
    units = query.units
    figs["unit_fit"] = [
        0.0 if not units else UNIT_EXACT if u == units[0] else UNIT_FAMILY if u in units else UNIT_OTHER
        for u in figs["unit"]
    ]
    period_fit = CHANGE_FIT if query.asks_change else PERIOD_PENALTY
    figs["period_fit"] = [period_fit.get(p, 0.0) for p in figs["period"]]
    figs["score"] = (
        W_LABEL * figs["label_match"]
        + W_SENTENCE * figs["sentence_match"]
        + W_SEMANTIC * figs["semantic"]
        + W_PASSAGE * figs["passage"]
        + figs["unit_fit"]
        + figs["period_fit"]
    )
    newest = figs["year"].fillna(0).astype(int)
    return (
        figs.assign(_year=newest).sort_values(["score", "_year"], ascending=False, kind="stable").drop(columns="_year")
    )


class Engine:
    """An index, its embedder and the settings: everything `ask` needs, loaded once."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index, self.embedder, self.settings = index, embedder, settings
        self.catalog = Catalog.from_reports(index.reports)
        self._report = index.reports.set_index("report_id")
        figures = index.figures[~index.figures["malformed"] & index.figures["value"].notna()]
        self._figures = figures.reset_index(drop=True)
        # Per question only the figures of a few sections are scored: find them without a scan.
        self._figures_of = dict(self._figures.groupby("chunk_id").indices)
        self._lookup = Lookup.of(index.chunks, index.reports)
        self._figures_by = ByOrgYear.of(index.figures)
        self._lexical = Lexical.of(index.bm25)
        self._dense = Dense.of(index.vectors, settings.exact_max_sections, settings.hnsw_ef_search)
        self._rarity = Rarity.of_labels(index.metrics["metric"])

    def ask(self, question: str, history: Sequence[str] = (), within: Within | None = None) -> Answer:
        """Answer `question`, read in the light of the earlier questions of the conversation; `within`
        restricts every search (figures and passages) to some organisations and years."""
        clock = _Clock()
        question = valid_utf8("" if question is None else str(question))
        # Undecodable bytes (lone surrogates) become "?"; an overlong paste is read up to a sane length.
        text = _clean(question, self.settings.max_question_chars)
        query = parse_query(text, self.catalog, self.index.tokenizer)
        if history and not query.unknown and not (query.orgs and query.metric):
            query = _respect(_inherit(query, self._context(history)), query, within)
        clock.lap("understand")
        if not query.norm:
            return Answer(question, False, "请输入一个问题，例如“湘潭县信访救助支出多少”。", timings_ms=clock.total())
        query = replace(query, text=question)
        # The question for sections, its metric (with budget names added) for metric labels: one call.
        qvec, mvec = self.embedder.encode_queries([query.norm, query.terms or query.norm])
        clock.lap("embed")
        everywhere = within.rows(self._lookup, self.index.reports) if within else self._lookup.everything()
        if query.unknown:
            rows = np.zeros(0, np.int64)
        else:
            rows = intersect(self._lookup.scope(query), everywhere, self._lookup.n)
        tokens = tokenize(query.norm, self.index.tokenizer)
        hits = self._search(rows, tokens, qvec)
        clock.lap("retrieve")
        # Without a scope (an organisation or year the corpus lacks) the closest sections come from anywhere.
        hits_shown = hits or self._search(everywhere, tokens, qvec)
        passages = [self._passage(h, hits_shown[0].score) for h in hits_shown[: self.settings.passages_shown]]
        answer = self._compose(query, mvec, hits, passages)
        if within and not answer.found:
            picked = "、".join([*sorted(within.orgs), *(f"{y}年" for y in sorted(within.years))])
            answer = replace(answer, answer=f"（只查找了所选的{picked}）{answer.answer}")
        clock.lap("answer")
        return replace(answer, timings_ms=clock.total())

    def figures_within(self, within: Within) -> pd.DataFrame:
        """All figures of the index (the figures view) of the organisations and years `within` allows."""
        if not within:
            return self.index.figures
        return self.index.figures.iloc[self._figures_by.rows(within)]

    # --- pieces ------------------------------------------------------------------------------------

    def _context(self, history: Sequence[str]) -> Query:
        """What the conversation so far is about: each turn fills in what it leaves open from the ones before."""
        context: Query | None = None
        for turn in list(history)[-MAX_HISTORY:]:
            query = parse_query(_clean(str(turn or ""), self.settings.max_question_chars), self.catalog,
                                self.index.tokenizer)  # fmt: skip
            context = query if context is None else _inherit(query, context)
        assert context is not None
        return context

    def _search(self, rows: np.ndarray, tokens: list[str], qvec: np.ndarray) -> list[Hit]:
        s = self.settings
        return search(rows, tokens, qvec, self._lexical, self._dense, (s.weight_bm25, s.weight_dense), s.rrf_k)

    def _passage(self, hit: Hit, top: float) -> Passage:
        c = self.index.chunks.iloc[hit.row]
        return Passage(
            doc=c["doc"],
            title=str(self._report.loc[c["report_id"], "title"]),
            section=c["section"],
            text=c["text"],
            score=round(hit.score / top, 4) if top else 0.0,
            start=int(c["start"]),
            end=int(c["end"]),
        )

    def _candidates(self, query: Query, mvec: np.ndarray, hits: list[Hit]) -> pd.DataFrame:
        top = hits[: self.settings.candidate_sections]
        if not top:
            return self._figures.iloc[0:0]
        chunk_ids = self.index.chunks["chunk_id"].to_numpy()
        best = top[0].score
        section_score = {chunk_ids[h.row]: h.score / best for h in top}
        rows = [self._figures_of[c] for c in section_score if c in self._figures_of]
        figs = self._figures.iloc[np.concatenate(rows)] if rows else self._figures.iloc[0:0]
        if query.years:
            figs = figs[figs["year"].isin(query.years)]
        label_cos = self.index.metric_vectors @ mvec
        return figure_scores(figs, query, label_cos, section_score, self.index.texts, self._rarity)

    def _compose(self, query: Query, mvec: np.ndarray, hits: list[Hit], passages: list[Passage]) -> Answer:
        if query.unknown:
            return self._not_found(query, passages, f"这些报告中没有“{query.unknown}”的报告。")
        if not hits:
            return self._not_found(query, passages, self._missing(query))
        if not query.wants_passage:
            ranked = self._newest_first(query, self._candidates(query, mvec, hits))
            if len(ranked) and ranked["score"].iloc[0] >= self.settings.min_figure_score:
                return self._figure_answer(query, ranked, passages)
        if query.wants_figure:  # a number was asked for and none matches: say so, never a near miss
            return self._not_found(query, passages, self._missing(query))
        return self._passage_answer(query, passages, hits[0])

    def _newest_first(self, query: Query, ranked: pd.DataFrame) -> pd.DataFrame:
        """A question that names no year asks for the newest: of the best figure's organisation (under any of
        its names, `Catalog.body`), the same metric (label alike, same unit and period) of its newest year
        leads, whichever year scored best."""
        if query.years or ranked.empty or ranked["score"].iloc[0] < self.settings.min_figure_score:
            return ranked
        best = ranked.iloc[0]
        same = ranked[
            ranked["org"].isin(self.catalog.body(best["org"]))
            & (ranked["unit"] == best["unit"])
            & (ranked["period"] == best["period"])
            & (ranked["score"] >= self.settings.min_figure_score)
            & ranked["year"].notna()
        ]
        same = same[[likeness(best["metric"], m, self._rarity) >= ANCHOR for m in same["metric"]]]
        if same.empty or pd.isna(best["year"]) or same["year"].max() <= best["year"]:
            return ranked
        lead = same.index[same["year"] == same["year"].max()][0]
        return pd.concat([ranked.loc[[lead]], ranked.drop(index=lead)])

    def _missing(self, query: Query) -> str:
        who = "、".join(sorted(query.orgs)) if query.orgs else ""
        when = "、".join(f"{y}年" for y in query.years)
        return f"这些报告中没有{who}{when}“{query.focus}”的数字。"

    def _not_found(self, query: Query, passages: list[Passage], why: str) -> Answer:
        tail = "以下是最接近的段落。" if passages else ""
        return Answer(query.text, False, why + tail, passages=passages)

    def _cite(self, doc: str, report_id: str, section: str, start: int, end: int, cites: list[Citation]) -> int:
        cite = Citation(
            doc, str(self._report.loc[report_id, "title"]), section, start, end, self.index.texts[doc][start:end]
        )
        if cite not in cites:
            cites.append(cite)
        return cites.index(cite)

    def _figure_answer(self, query: Query, ranked: pd.DataFrame, passages: list[Passage]) -> Answer:
        best = ranked.iloc[0]
        floor = self.settings.min_figure_score
        others = ranked.iloc[1:]
        others = others[
            (others["score"] >= floor)
            & (others["unit"] == best["unit"])
            & ((others["period"] == "change") == (best["period"] == "change"))
            & ((others["org"] != best["org"]) | (others["year"] != best["year"]))
        ]
        several_years = len(query.years) > 1  # "2024年和2023年…"
        open_year = (not query.years or several_years) & (others["org"] == best["org"])
        open_org = (not query.orgs) & ((others["year"] == best["year"]) | (not query.years))
        others = others[open_year | open_org]
        # Per other organisation and year, the figure whose label is closest to the answer's, not merely the
        # best scored ("信访救助基金·实际支出" rather than the fund's budget for "信访救助支出").
        others = others.assign(_like=[likeness(best["metric"], m, self._rarity) for m in others["metric"]])
        others = others[others["_like"] >= ANCHOR]
        others = others.sort_values(["_like", "score"], ascending=False, kind="stable")
        others = others.drop_duplicates(["org", "year"]).head(MAX_OTHER)
        others = others.sort_values(["org", "year"], ascending=[True, False], kind="stable")
        chosen = [best] + [f for _, f in others.iterrows()]
        cites: list[Citation] = []
        figures = [
            FigureOut(
                float(f["value"]),
                f["text"],
                f["unit"],
                f["metric"],
                f["org"],
                None if pd.isna(f["year"]) else int(f["year"]),
                self._cite(f["doc"], f["report_id"], f["section"], int(f["quote_from"]), int(f["quote_to"]), cites),
            )
            for f in chosen
        ]
        lines = [f"{_who(figures[0])}{figures[0].metric}：{shown(figures[0])}[{figures[0].citation + 1}]。"]
        if len(figures) > 1:
            others = "；".join(f"{_who(f)}{f.metric} {shown(f)}[{f.citation + 1}]" for f in figures[1:])
            what = "年份" if all(f.org == figures[0].org for f in figures) else "单位"
            lines.append(f"其他{what}：{others}。")
        return Answer(query.text, True, "".join(lines), figures, cites, passages)

    def _passage_answer(self, query: Query, passages: list[Passage], top: Hit) -> Answer:
        # A passage answers only if it shares words with what was asked ("今天天气怎么样" shares none).
        if not passages or not bigram_set(query.terms) & bigram_set(passages[0].text):
            return self._not_found(query, passages, self._missing(query))
        p = passages[0]
        cites: list[Citation] = []
        report_id = self.index.chunks["report_id"].iat[top.row]  # passages[0] is the section of `top`
        n = self._cite(p.doc, report_id, p.section, p.start, p.end, cites)
        excerpt = re.sub(r"\s+", " ", p.text).strip()
        excerpt = excerpt if len(excerpt) <= 160 else excerpt[:160] + "…"
        return Answer(query.text, True, f"{p.title} · {p.section}：{excerpt}[{n + 1}]", [], cites, passages)


def shown(f: FigureOut) -> str:
    """The figure as its source writes it, with the unit a table took from its header: "284.14万元"."""
    return f.text if f.text.rstrip().endswith(f.unit) else f"{f.text}{f.unit}"


def _who(f: FigureOut) -> str:
    return f"{f.org} {f.year}年 " if f.year else f"{f.org} "


def _clean(text: str, limit: int) -> str:
    return valid_utf8(text)[:limit]


def _inherit(query: Query, previous: Query) -> Query:
    """A follow-up ("2023年呢?", "岳阳市呢?") keeps what it does not name: organisation, year, metric."""
    return replace(
        query,
        orgs=query.orgs or previous.orgs,
        metric=query.metric or previous.metric,
        terms=query.terms or previous.terms,
        years=query.years or (previous.years if not query.orgs else ()),  # "岳阳市呢?": its own newest year
        units=query.units or previous.units,
        wants_figure=query.wants_figure if query.metric else previous.wants_figure,
        wants_passage=query.wants_passage if query.metric else previous.wants_passage,
    )


def _respect(query: Query, own: Query, within: Within | None) -> Query:
    """Organisations and years carried over from earlier turns give way to filters that exclude them:
    with the filter on 岳阳, "基本支出多少" after a question about 湘潭县 asks about 岳阳."""
    if not within:
        return query
    if within.orgs and not own.orgs and not query.orgs <= within.orgs:
        query = replace(query, orgs=own.orgs)
    if within.years and not own.years and not set(query.years) <= within.years:
        query = replace(query, years=own.years)
    return query


class _Clock:
    def __init__(self) -> None:
        self.t0 = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def total(self) -> dict[str, float]:
        return {**self.laps, "total": round((time.perf_counter() - self.t0) * 1000, 2)}


@lru_cache(maxsize=2)
def _engine(settings: Settings, built: int) -> Engine:
    return Engine(load_index(settings.index_dir, settings.embedder), get_embedder(settings.embedder), settings)


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for these settings, loaded once, and again after the index is rebuilt."""
    settings = settings or load_settings()
    settings = settings.with_overrides(index_dir=settings.index_dir.resolve())
    return _engine(settings, built_stamp(settings.index_dir))  # 0 without an index: load_index says what is missing


def ask(
    question: str, history: Sequence[str] = (), settings: Settings | None = None, within: Within | None = None
) -> Answer:
    """The one entry point the CLI, the app and the tests use."""
    return get_engine(settings).ask(question, history, within)
