"""Any sentence-transformers model from a local folder (or the local cache), with the hub switched off."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa_app.embed.base import EmbedderUnavailable, unit_rows


def st_id(model: str) -> str:
    """A model folder is named by its absolute path: the same folder reached from another working directory is
    the same model."""
    return f"st:{Path(model).expanduser().resolve()}" if Path(model).expanduser().exists() else f"st:{model}"


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on disk; the hub is never contacted."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "not on this disk"
            raise EmbedderUnavailable(
                f"sentence-transformers model {model!r} could not be loaded from disk ({type(exc).__name__}: {exc})"
            ) from exc
        self.id = st_id(model)
        model = self._model  # sentence-transformers 6 renamed the method; older releases have the long name
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension())

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode_query(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return unit_rows(vectors).reshape(len(texts), self.dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode_document(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return unit_rows(vectors).reshape(len(texts), self.dim)
