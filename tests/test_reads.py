"""The folder backend's reads (`Resident`) on the seed index: a figure that is malformed, has no value or a
digit OCR doubted is listed but never a candidate answer; candidates come section by section as asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa_app.config import Settings
from qa_app.search.retrieve import Within
from qa_app.store.loader import load_index
from qa_app.store.reads import Resident


def test_only_answerable_figures_are_candidates_in_the_order_asked(seed_index: Path) -> None:
    index = load_index(seed_index, Settings().embedder)
    figures = index.figures.copy()
    figures["ocr_doubt"] = False
    figures.loc[figures.index[1::5], "ocr_doubt"] = True
    figures.loc[figures.index[2::5], "malformed"] = True
    figures.loc[figures.index[3::5], "value"] = np.nan
    reads = Resident.of(index.chunks, figures)
    chunk_ids = list(reversed(index.chunks["chunk_id"]))
    rows, figs = reads.candidates(chunk_ids)
    usable = figures[~figures["ocr_doubt"] & ~figures["malformed"] & figures["value"].notna()]
    assert sorted(rows.tolist()) == usable.index.tolist() and len(rows) > 100
    assert (
        figs["chunk_id"] == figures.loc[rows, "chunk_id"].tolist()
        and figs["value"] == figures.loc[rows, "value"].tolist()
    )
    place = {c: k for k, c in enumerate(chunk_ids)}
    order = [(place[c], r) for c, r in zip(figs["chunk_id"], rows.tolist(), strict=True)]
    assert order == sorted(order)  # section by section as asked, rows ascending within one
    assert len(reads.figures_within(Within())) == len(figures)  # the 数字 view lists them all
