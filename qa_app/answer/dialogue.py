"""A conversation's scope: what a follow-up ("2023年呢?", "岳阳市呢?") carries over from earlier questions,
and how the carried scope gives way to the app's filters (`Within`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import jieba

from qa_app.search.catalog import Catalog
from qa_app.search.query import Query, parse_query
from qa_app.search.retrieve import Within
from qa_app.text.normalize import valid_utf8


def clean(text: str, limit: int) -> str:
    """A question as read: undecodable bytes (lone surrogates) become "?", an overlong paste is cut."""
    return valid_utf8(text)[:limit]


def context(
    history: Sequence[str], catalog: Catalog, tokenizer: jieba.Tokenizer, max_chars: int, max_history: int
) -> Query:
    """What the conversation so far is about: each turn fills in what it leaves open from the ones before."""
    current: Query | None = None
    for turn in list(history)[-max_history:]:
        query = parse_query(clean(str(turn or ""), max_chars), catalog, tokenizer)
        current = query if current is None else inherit(query, current)
    assert current is not None
    return current


def inherit(query: Query, previous: Query) -> Query:
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
