"""Words for BM25: jieba words (with a user dictionary built from the corpus) plus CJK character bigrams.

Jieba alone splits rare names badly ("渌口区信访局" → "渌", "口区", …) and never matches a paraphrase that
shares characters but not words ("信访救助" vs "救助资金"); the bigrams cover both. Bigrams carry a "_"
prefix so that a two-character word and the same bigram are separate terms. Stop words and punctuation are
dropped. The same function tokenises passages and questions, so the index and the query always agree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba

from qa_app import lexicon

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_KEEP = re.compile(r"^(?:[\u4e00-\u9fff]+|[A-Za-z]+|\d+(?:\.\d+)?%?)$")
# Words and bigrams that carry no topic (lexicon/stop_words.toml); bigrams only from question wording.
_STOP = lexicon.load("stop_words")
STOP_WORDS = frozenset(_STOP["words"])
STOP_BIGRAMS = frozenset(_STOP["bigrams"])


def dictionary_words(user_words: Iterable[str]) -> list[str]:
    """The user words a tokenizer takes (2 to 16 characters, no space), sorted: the order they are added in."""
    return sorted({w for w in user_words if 2 <= len(w) <= 16 and not any(ch.isspace() for ch in w)})


def make_tokenizer(user_words: Iterable[str] = ()) -> jieba.Tokenizer:
    """A private jieba tokenizer (the global one is left alone) that knows the corpus's own names.

    jieba's `add_word` adds each word's frequency to the dictionary's total, which weighs every segmentation:
    one new organisation's name would then change the tokens of sections that never mention it. The total is
    held at the base dictionary's, so a text's tokens depend only on the user words inside it, and an upload
    re-tokenizes only its own sections and those holding a word it adds or removes (qa_app.store.pg_writer).
    """
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    base = tokenizer.total
    for word in dictionary_words(user_words):
        tokenizer.add_word(word, freq=None)
        tokenizer.total = base
    return tokenizer


def tokenize(text: str, tokenizer: jieba.Tokenizer) -> list[str]:
    """Words (search mode, so long names also yield their parts) and "_"-prefixed CJK bigrams."""
    words = [w for w in tokenizer.cut_for_search(text) if _KEEP.match(w) and w not in STOP_WORDS]
    return words + bigram_terms(text)


def bigram_terms(text: str) -> list[str]:
    """The "_"-prefixed CJK bigram terms of `text`, in order, stop bigrams dropped: as the index holds them."""
    return [
        "_" + run[i : i + 2]
        for run in CJK_RUN.findall(text)
        for i in range(len(run) - 1)
        if run[i : i + 2] not in STOP_BIGRAMS
    ]
