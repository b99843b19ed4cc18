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

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_KEEP = re.compile(r"^(?:[\u4e00-\u9fff]+|[A-Za-z]+|\d+(?:\.\d+)?%?)$")
STOP_WORDS = frozenset(
    {
        "的", "了", "和", "与", "及", "或", "等", "在", "是", "为", "对", "将", "把",
        "被", "从", "向", "于", "以", "其", "该", "本", "我", "我们", "你", "他", "它",
        "这", "那", "之", "也", "并", "而", "但", "就", "都", "又", "还", "有", "无",
        "个", "年", "月", "日", "中", "上", "下", "内", "外", "各", "每", "此", "其中",
        "以及", "进行", "通过", "根据", "按照", "关于", "一个", "一些", "多少", "几", "几个",
        "什么", "怎么", "怎样", "怎么样", "如何", "哪些", "哪个", "吗", "呢", "吧", "啊", "请问",
        "请", "告诉", "一下", "是否", "是不是", "有没有", "情况",
    }
)  # fmt: skip
# Bigrams that only come from question wording; they match every report equally and only add noise.
STOP_BIGRAMS = frozenset(["多少", "是多", "少钱", "怎么", "么样", "如何", "哪些", "什么", "是什", "请问", "一下"])


def make_tokenizer(user_words: Iterable[str] = ()) -> jieba.Tokenizer:
    """A private jieba tokenizer (the global one is left alone) that knows the corpus's own names."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(set(user_words)):
        if 2 <= len(word) <= 16 and not any(ch.isspace() for ch in word):
            tokenizer.add_word(word, freq=None)
    return tokenizer


def tokenize(text: str, tokenizer: jieba.Tokenizer) -> list[str]:
    """Words (search mode, so long names also yield their parts) and "_"-prefixed CJK bigrams."""
    words = [w for w in tokenizer.cut_for_search(text) if _KEEP.match(w) and w not in STOP_WORDS]
    bigrams = [
        "_" + run[i : i + 2]
        for run in CJK_RUN.findall(text)
        for i in range(len(run) - 1)
        if run[i : i + 2] not in STOP_BIGRAMS
    ]
    return words + bigrams
