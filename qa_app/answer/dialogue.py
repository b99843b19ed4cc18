"""A conversation's scope: what a follow-up ("2023年呢?", "岳阳市呢?") carries over from earlier questions,
and how the carried scope gives way to the app's filters (`Within`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import jieba

from qa_app.answer.features import measure_word
from qa_app.lexicon import load, ordered
from qa_app.search.catalog import Catalog
from qa_app.search.query import Query, parse_query
from qa_app.search.retrieve import Within
from qa_app.text.normalize import valid_utf8
from qa_app.text.tokens import CJK_RUN

_LATIN = re.compile(r"[A-Za-z]")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_ASKING = re.compile(ordered(load("question_words")["asking"]))


def clean(text: str, limit: int) -> str:
    """A question as read: undecodable bytes (lone surrogates) become "?", an overlong paste is cut."""
    return valid_utf8(text)[:limit]


def not_chinese(text: str) -> bool:
    """A question with Latin letters and no Chinese character ("What is the weather in Beijing?")."""
    return not CJK_RUN.search(text) and bool(_LATIN.search(text))


def question_sentence(text: str, min_chars: int) -> str:
    """The question of a pasted paragraph: its last sentence that asks ("…是多少？"); a text shorter than
    `min_chars`, or one with no asking sentence, is the question as a whole."""
    if len(text) < min_chars:
        return text
    asking = [m.group() for m in _SENTENCE.finditer(text) if _ASKING.search(m.group())]
    return asking[-1].strip() if asking else text


def context(
    history: Sequence[str], catalog: Catalog, tokenizer: jieba.Tokenizer, max_chars: int, max_history: int
) -> Query | None:
    """What the conversation so far is about: each turn fills in what it leaves open from the ones before."""
    current: Query | None = None
    for turn in list(history)[-max_history:]:
        text = clean(str(turn or ""), max_chars)
        query = parse_query(text, catalog, tokenizer)
        if query.unknown or not_chinese(text) or not (query.orgs or query.metric or query.years):
            current = None  # a failed or nonsense turn passes nothing on, and ends what came before
            continue
        current = query if current is None else inherit(query, current)
    return current


def carried(query: Query, own: Query) -> list[str]:
    """What `query` took from the conversation that the question `own` did not say, for the answer to show:
    ["湘潭县信访局", "2024年"]."""
    out: list[str] = []
    if query.orgs and not own.orgs:
        out += sorted(query.orgs) if len(query.orgs) <= 3 else [f"{len(query.orgs)}个单位"]
    if query.years and not own.years:
        out += [f"{y}年" for y in query.years]
    if query.metric and not own.metric:
        out.append(query.metric.replace(" ", ""))
    return out


def inherit(query: Query, previous: Query) -> Query:
    """A follow-up ("2023年呢?", "湘潭县呢?") replaces what it names and keeps the rest: organisation, year,
    metric. 各 / 所有 / 比较 widen to every organisation (of their kind) and 历年 to every year: what was
    carried gives way."""
    metric, terms = query.metric or previous.metric, query.terms or previous.terms
    # Sections are searched with what the follow-up leaves to the conversation: "湘潭县呢?" → 基本支出.
    norm = query.norm if query.metric else f"{query.norm} {previous.metric}".strip()
    kept = measure_word(previous.metric)
    if query.metric and kept and not measure_word(query.metric):  # "…基本支出预算" → "项目支出呢?": its 预算
        metric, terms, norm = f"{metric}{kept}", f"{terms} {kept}", f"{norm} {kept}"
    return replace(
        query,
        orgs=query.orgs or (frozenset() if query.spans_orgs else previous.orgs),
        metric=metric,
        terms=terms,
        years=query.years or (() if query.spans_years else previous.years),
        norm=norm,
        units=query.units or previous.units,
        wants_figure=query.wants_figure if query.metric else previous.wants_figure,
        wants_passage=query.wants_passage if query.metric else previous.wants_passage,
    )


def respect(query: Query, own: Query, within: Within | None) -> Query:
    """Organisations and years carried over from earlier turns give way to filters that exclude them:
    with the filter on 岳阳, "基本支出多少" after a question about 湘潭县 asks about 岳阳."""
    if not within:
        return query
    if within.orgs and not own.orgs and not query.orgs <= within.orgs:
        query = replace(query, orgs=own.orgs)
    if within.years and not own.years and not set(query.years) <= within.years:
        query = replace(query, years=own.years)
    return query
