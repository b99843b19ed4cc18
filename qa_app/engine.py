"""The composition root: an index, its embedder and the settings wired into one `Engine`, and `ask`, the
one API the CLI, the app and the tests use.

A question in, an extractive answer out: the best figure(s) with verbatim citations, and passages.
Figures are taken from the sections retrieval puts first (within the organisations and years the question
names) and kept only if their label is anchored in the question's metric (qa_app.answer.features). They are
ranked by how well the label matches (shared character bigrams, and its embedding against the question's
metric), by the unit the wording expects, by their period (this year's figure before last year's or a
change), and by their section's retrieval score. The best figure leads; the same metric for the years (or
organisations) the question left open follows (qa_app.answer.compose). When no figure is anchored and
scores `min_figure_score` (chosen on the dev set, docs/RETRIEVAL.md), the answer says plainly what was
looked for and was not found, and shows the closest passages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TypeVar

import numpy as np
import pandas as pd

from qa_app.answer.compose import Composer, missing, not_found
from qa_app.answer.contract import Answer, Passage
from qa_app.answer.dialogue import carried, clean, context, inherit, not_chinese, question_sentence, respect
from qa_app.answer.features import Rarity, Scored, figure_scores
from qa_app.config import Settings, load_settings
from qa_app.embed import get_embedder
from qa_app.embed.base import Embedder
from qa_app.search.catalog import Catalog
from qa_app.search.query import Query, own_name, parse_query
from qa_app.search.retrieve import Hit, Within, intersect, search
from qa_app.store.backends import AnyIndex, index_stamp, open_index
from qa_app.text import regions
from qa_app.text.names import REGION_PART
from qa_app.text.normalize import valid_utf8
from qa_app.text.tokens import tokenize


class Engine:
    """An index, its embedder and the settings: everything `ask` needs, loaded once."""

    def __init__(self, index: AnyIndex, embedder: Embedder, settings: Settings) -> None:
        self.index, self.embedder, self.settings = index, embedder, settings
        self.catalog = Catalog.from_reports(index.reports)
        self._report = index.reports.set_index("report_id")
        # Sections and figures are read per question, a few dozen rows (resident frames, or SQL): the engine
        # itself holds the reports, the metric labels and the row sets scopes are made of.
        self.reads = index.reads
        self._lookup = self.reads.lookup(index.reports)
        self._lexical, self._named, self._dense = index.searchers(settings)  # arrays, or SQL (postgres backend)
        self._rarity = Rarity.of_labels(index.metrics["metric"])
        self.example = _example(index.reports)
        titles = dict(zip(index.reports["report_id"], index.reports["title"].astype(str), strict=True))
        years = {
            r: None if pd.isna(y) else int(y)
            for r, y in zip(index.reports["report_id"], index.reports["year"], strict=True)
        }
        self._composer = Composer(titles, index.texts, self.reads.sections, self.catalog, self._rarity, settings,
                                  years)  # fmt: skip
        # A query vector is a function of its text alone (each text embedded on its own), so one asked before
        # is taken from here: a metric phrase ("基本支出") recurs across questions, and so do questions.
        self._query_vector = lru_cache(maxsize=settings.query_cache)(self._embed_one)

    def ask(self, question: str, history: Sequence[str] = (), within: Within | None = None) -> Answer:
        """Answer `question`, read in the light of the earlier questions of the conversation; `within`
        restricts every search (figures and passages) to some organisations and years."""
        clock = _Clock()
        question = valid_utf8("" if question is None else str(question))
        # Undecodable bytes (lone surrogates) become "?"; an overlong paste is read up to a sane length.
        text = question_sentence(clean(question, self.settings.max_question_chars), self.settings.paragraph_chars)
        if not_chinese(text):
            return Answer(question, False, f"请用中文提问，例如“{self.example}”。", timings_ms=clock.total())
        own = query = parse_query(text, self.catalog, self.index.tokenizer)
        if history and not query.unknown and not (query.orgs and query.metric):
            earlier = context(history, self.catalog, self.index.tokenizer, self.settings.max_question_chars,
                              self.settings.ranking.max_history)  # fmt: skip
            if earlier is not None:
                query = respect(inherit(query, earlier), query, within)
        clock.lap("understand")
        if not query.norm:
            return Answer(question, False, f"请输入一个问题，例如“{self.example}”。", timings_ms=clock.total())
        query = replace(query, text=question)
        # The question for sections, now; its metric (with budget names added) for metric labels only when a
        # figure is left to score (`_metric_cos`), and the question's own vector when the two are one text.
        qvec = self._query_vector(query.norm)
        clock.lap("embed")
        everywhere = within.rows(self._lookup, self.index.reports) if within else self._lookup.everything()
        # A name no report was read as: the reports whose text names it are its scope; none, and it is unknown.
        named = self._about(query.unknown, query.orgs) if query.unknown else []
        if query.unknown and not named and own_name(query.unknown, self.index.tokenizer):
            query = replace(query, unknown="")
        if named:
            rows = intersect(self._lookup.of_reports(named, query.years), everywhere, self._lookup.n)
        elif query.unknown:
            rows = np.zeros(0, np.int64)
        else:
            rows = intersect(self._lookup.scope(query), everywhere, self._lookup.n)
        tokens = tokenize(query.norm, self.index.tokenizer)
        hits = self._composer.headed_first(query, self._search(rows, tokens, qvec))
        clock.lap("retrieve")
        # Without a scope (an organisation or year the corpus lacks) the closest sections come from anywhere.
        hits_shown = hits or self._search(everywhere, tokens, qvec)
        shown = hits_shown[: self.settings.passages_shown]
        passages = self._composer.passages(shown, hits_shown[0].score) if shown else []
        answer = self._compose(query, hits, passages, clock, bool(named))
        if within and not answer.found:
            picked = "、".join([*sorted(within.orgs), *(f"{y}年" for y in sorted(within.years))])
            answer = replace(answer, answer=f"（只查找了所选的{picked}）{answer.answer}")
        inherited = carried(query, own)
        if inherited:
            answer = replace(answer, answer=f"（沿用上文：{' · '.join(inherited)}）{answer.answer}", context=inherited)
        clock.lap("answer")
        return replace(answer, timings_ms=clock.total())

    def figures_within(self, within: Within) -> pd.DataFrame:
        """All figures of the index (the figures view) of the organisations and years `within` allows."""
        return self.reads.figures_within(within)

    # --- pieces ------------------------------------------------------------------------------------

    def _about(self, name: str, orgs: frozenset[str]) -> list[str]:
        """Reports about `name` though none was read as it: those whose text names it and that were read as
        no organisation. A name that is no region also reaches the reports of an organisation whose name
        holds it (棠溪镇 of 贵池区棠溪镇人民政府) or that the question names too (a campus of 襄阳市中心医院).
        A region's name reaches no other organisation's report: 湘潭县's report that mentions 湘潭市 is not
        湘潭市's, nor is a district's report its city's; nor is a stem that says a place (湘潭 is 湘潭市)
        a piece of 湘潭县信访局's name (qa_app.text.regions)."""
        place = bool(REGION_PART.fullmatch(name)) or bool(regions.is_place(name))
        return [r for r in self._named.reports(name)
                if not (org := self._report.at[r, "org"]) or (not place and (name in org or org in orgs))]  # fmt: skip

    def _search(self, rows: np.ndarray, tokens: list[str], qvec: np.ndarray) -> list[Hit]:
        s = self.settings
        return search(rows, tokens, qvec, self._lexical, self._dense, (s.weight_bm25, s.weight_dense), s.rrf_k)

    def _embed_one(self, text: str) -> np.ndarray:
        vector = self.embedder.encode_queries([text])[0]
        vector.flags.writeable = False  # shared by every question that asks this text
        return vector

    def _metric_cos(self, query: Query) -> np.ndarray:
        """The cosine of the question's metric phrase with every metric label of the corpus."""
        return self.index.metric_vectors @ self._query_vector(query.terms or query.norm)

    def _candidates(self, query: Query, hits: list[Hit], clock: _Clock) -> list[Scored]:
        top = hits[: self.settings.candidate_sections]
        if not top:
            return []
        chunk_ids = self.reads.sections([h.row for h in top], ("chunk_id",))["chunk_id"]
        best = top[0].score
        section_score = {c: h.score / best for c, h in zip(chunk_ids, top, strict=True)}
        rows, figs = self.reads.candidates(list(section_score))
        if query.years:
            keep = [i for i, y in enumerate(figs["year"]) if y in query.years]
            rows, figs = rows[keep], {c: [v[i] for i in keep] for c, v in figs.items()}
        return figure_scores(
            figs, rows.tolist(), query, lambda: clock.apart("embed", lambda: self._metric_cos(query)),
            section_score, self.index.texts, self._rarity, self.settings.ranking,
        )  # fmt: skip

    def _compose(
        self, query: Query, hits: list[Hit], passages: list[Passage], clock: _Clock, named: bool = False
    ) -> Answer:
        if query.unknown and not named:
            return not_found(query, passages, f"这些报告中没有“{query.unknown}”的报告。")
        if not hits:
            return not_found(query, passages, missing(query))
        if not query.wants_passage:
            ranked = self._composer.own_report_first(
                self._composer.newest_first(query, self._candidates(query, hits, clock))
            )
            if ranked and ranked[0].score >= self.settings.min_figure_score:
                return self._composer.figure_answer(query, ranked, passages)
        if query.wants_figure:  # a number was asked for and none matches: say so, never a near miss
            return not_found(query, passages, missing(query))
        return self._composer.passage_answer(query, passages, hits[0])


def _example(reports: pd.DataFrame) -> str:
    """A question this index can answer, for messages: the organisation with most reports, its newest year."""
    dated = reports[reports["org"].astype(bool) & reports["year"].notna()]
    if dated.empty:
        return "2024年基本支出是多少？"
    org = dated["org"].value_counts().index[0]
    return f"{org}{int(dated.loc[dated['org'] == org, 'year'].max())}年基本支出是多少？"


T = TypeVar("T")


class _Clock:
    def __init__(self) -> None:
        self.t0 = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def apart(self, name: str, work: Callable[[], T]) -> T:
        """Run `work` inside a lap and count its time to `name` instead (the metric's embedding is "embed")."""
        start = time.perf_counter()
        result = work()
        spent = time.perf_counter() - start
        self.laps[name] = round(self.laps.get(name, 0.0) + spent * 1000, 2)
        self.last += spent
        return result

    def total(self) -> dict[str, float]:
        return {**self.laps, "total": round((time.perf_counter() - self.t0) * 1000, 2)}


@lru_cache(maxsize=2)
def _engine(settings: Settings, built: int) -> Engine:
    return Engine(open_index(settings), get_embedder(settings.embedder), settings)


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for these settings, loaded once, and again after the index is rebuilt."""
    settings = settings or load_settings()
    settings = settings.with_overrides(index_dir=settings.index_dir.resolve())
    return _engine(settings, index_stamp(settings))  # 0 without an index: open_index says what is missing


def ask(
    question: str, history: Sequence[str] = (), settings: Settings | None = None, within: Within | None = None
) -> Answer:
    """The one entry point the CLI, the app and the tests use."""
    return get_engine(settings).ask(question, history, within)
