"""BM25 weights from term counts, computed as bm25s computes them, bit for bit.

bm25s stores each (section, term) weight, which depends on every section of the index (document
frequencies, mean length): one upload changes them all. The postgres backend stores the counts instead (a
section's term frequencies and length, which depend on its own text only) and weighs the few postings a
question reads with these functions, so it scores exactly what bm25s's precomputed matrix holds while an
upload writes postings for its own sections only. bm25s's defaults: Lucene's idf and term saturation.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np

_DEFAULTS = bm25s.BM25()
K1, B = float(_DEFAULTS.k1), float(_DEFAULTS.b)
if (_DEFAULTS.method, _DEFAULTS.idf_method) != ("lucene", "lucene"):  # a bm25s release changed its defaults
    raise ImportError("qa_app.search.bm25 follows bm25s's lucene scoring, which is no longer its default")


def term_counts(tokens: Sequence[str]) -> tuple[list[str], list[int], int]:
    """A section's distinct terms (first occurrence order), their counts and its length, as bm25s counts
    them: a section with no token counts as the one empty token."""
    tokens = list(tokens) or [""]
    counts = Counter(tokens)
    return list(counts), list(counts.values()), len(tokens)


def mean_length(lengths: Sequence[int]) -> float:
    """The sections' mean length as bm25s takes it (numpy's mean of the integer lengths)."""
    return float(np.array(list(lengths)).mean())


def idf(df: int, n: int) -> np.float32:
    """Lucene's idf of a term in `df` of `n` sections, rounded to float32 as bm25s stores it."""
    return np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))


def weights(tf: np.ndarray, lengths: np.ndarray, idfs: np.ndarray, avg: float) -> np.ndarray:
    """float32 weights of postings (term frequency, section length, the term's float32 idf): bm25s's
    `idf * tf / (k1 * (1 - b + b * l / avg) + tf)`, with the same operand types in the same order."""
    tf = np.asarray(tf, np.float32)
    norm = K1 * ((1 - B) + B * np.asarray(lengths, np.int64) / np.float64(avg))
    return (np.asarray(idfs, np.float32) * (tf / (norm + tf))).astype(np.float32)
