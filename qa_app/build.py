"""Corpus folder → index folder: read only the files that changed, reuse the rest, one build at a time.

A file whose bytes, reading code and reading settings are those of the last build keeps its rows of the
last index (sections, figures, vectors); only new or changed files are read and embedded. So `make run`
after an edit, or an upload in the app, costs the new file, not the corpus. A file's corrections
(qa_app.corrections: organisation and year set by hand in the corpus's 报告信息.toml) decide its rows too: a
changed entry reads that file again, and only it. A file lock serialises builds (the app's upload and a
`qa-app build` in a terminal): the second waits, then reuses what the first wrote.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from qa_app import versions
from qa_app.config import Settings
from qa_app.corrections import FILE_NAME, Correction, of_file, read_corrections, records
from qa_app.embed import embedder_id, get_embedder
from qa_app.faults import reached
from qa_app.pipeline import FileResult
from qa_app.readers import READERS
from qa_app.readers.base import IngestError
from qa_app.sandbox import ReadingChild, process_file
from qa_app.store.backends import check, live_manifest
from qa_app.store.loader import load_tables
from qa_app.store.manifest import Failure, IndexUnavailable, file_entries, file_sha256, read_manifest
from qa_app.store.writer import BuildStats, Progress, frames, stage, write_index

SUFFIXES = tuple(READERS)  # what an upload may be: every format a reader reads
OUTSIDE = "a link to a file outside the corpus folder: copy the file in instead"
# Settings that decide a file's rows or its refusal: a file refused under one bound is read again under another.
_READ_SETTINGS = (
    "chunk_max_chars", "chunk_min_chars", "chunk_overlap_chars", "max_file_bytes", "max_text_chars",
    "read_memory_bytes", "read_timeout_s", "max_unzipped_bytes", "max_zip_members", "max_xml_bytes",
    "max_xml_nodes", "max_xml_text_chars", "max_pdf_pages", "max_pdf_stream_bytes", "max_pdf_unpacked_bytes",
    "max_image_pixels", "image_bytes_per_pixel", "max_sheet_cells", "convert_timeout_s", "convert_memory_bytes",
    "ocr_dpi", "ocr_min_dpi", "ocr_max_dpi", "ocr_page_timeout_s", "ocr_memory_bytes", "max_ocr_pages",
    "ocr_min_confidence",
    "pdf_page_number_gap_lines", "pdf_same_size_ratio", "pdf_wrap_tolerance", "pdf_paragraph_gap", "pdf_indent",
    "pdf_edge_tolerance_pt",
)  # fmt: skip


class BuildError(Exception):
    """The corpus cannot make an index (no readable report); the previous index is left as it was."""


@dataclass(frozen=True)
class IndexState:
    current: bool
    reason: str  # why a build is needed ("" when current)


@dataclass(frozen=True)
class BuildReport:
    read: list[FileResult]  # files read by this build
    reused: list[str]  # files whose rows came from the previous index unchanged
    copies: dict[str, str]  # file → the earlier file with the same bytes, indexed once under that name
    failures: list[Failure]
    stats: BuildStats
    counts: dict[str, int]  # rows per table of the new index

    @property
    def seconds(self) -> dict[str, float]:
        """Time per stage of this build: reading, figures (of the files read), embedding, indexing."""
        stages = {stage: sum(r.seconds.get(stage, 0.0) for r in self.read) for stage in ("reading", "figures")}
        return stages | self.stats.seconds


def corpus_files(corpus: Path) -> list[Path]:
    """The reports of the corpus: every file but hidden ones and the corrections file beside them."""
    skip = corpus / FILE_NAME
    return sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith(".") and p != skip)


def reading_key(settings: Settings) -> dict:
    """What decides the rows of a file besides its bytes; stored in the manifest, compared by the next build.

    The reading code by its explicit version (qa_app.versions), so an edit that changes no row reads nothing again.
    """
    return {
        "reader": versions.READER,
        "read_settings": {k: getattr(settings, k) for k in _READ_SETTINGS},
    }


def index_state(settings: Settings) -> IndexState:
    """Whether `settings.index_dir` holds an index of exactly the files in `settings.corpus_dir` now."""
    try:
        manifest = live_manifest(settings)
    except IndexUnavailable as exc:
        return IndexState(False, str(exc))
    if manifest.get("embedder", {}).get("id") != embedder_id(settings.embedder):
        return IndexState(False, "the index was built with another embedder")
    if manifest.get("reading") != reading_key(settings):
        return IndexState(False, "the reading code or settings changed since the index was built")
    if manifest.get("tokenizer", {}).get("version") != versions.TOKENIZER:
        return IndexState(False, "the BM25 tokenizer changed since the index was built")
    known = {name: entry["sha256"] for name, entry in manifest.get("files", {}).items()}
    known |= {f["doc"]: f.get("sha256", "") for f in manifest.get("failures", [])}
    present = {p.relative_to(settings.corpus_dir).as_posix(): p for p in corpus_files(settings.corpus_dir)}
    if set(present) != set(known):
        added, gone = sorted(set(present) - set(known)), sorted(set(known) - set(present))
        changes = [f"{len(names)} {what} ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})"
                   for what, names in (("added", added), ("removed", gone)) if names]  # fmt: skip
        return IndexState(False, f"files {' and '.join(changes)} since the index was built")
    for name, path in present.items():
        if file_sha256(path) != known[name]:
            return IndexState(False, f"{name} changed since the index was built")
    try:
        corrections = read_corrections(settings.corpus_dir)
    except ValueError as exc:
        return IndexState(False, str(exc))
    for name, entry in manifest.get("files", {}).items():
        if not entry.get("copy_of") and entry.get("corrections", {}) != records(of_file(corrections, name)):
            return IndexState(False, f"the {FILE_NAME} entry of {name} changed since the index was built")
    return IndexState(True, "")


@contextmanager
def build_lock(index_dir: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """One build at a time per index folder; a second one waits (after calling `waiting`) for the first."""
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(index_dir.with_name(f".{index_dir.name}.lock"))  # flock: released by the OS if we die
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if waiting:
            waiting()
        reached("build:waiting")
        lock.acquire()
    try:
        reached("build:locked")
        yield
    finally:
        lock.release()


def _previous(settings: Settings) -> tuple[dict[str, pd.DataFrame], dict[str, dict], dict[str, Failure]]:
    """The last index's tables and file records, when they were read the way this build would read."""
    try:
        manifest = read_manifest(settings.index_dir)
        if manifest.get("reading") != reading_key(settings):
            return {}, {}, {}
        tables = load_tables(settings.index_dir)
    except (IndexUnavailable, OSError, ValueError):
        return {}, {}, {}
    failed = {f["doc"]: Failure(**f) for f in manifest.get("failures", []) if f.get("sha256")}
    return tables, manifest.get("files", {}), failed


def build_index(
    settings: Settings,
    progress: Progress | None = None,
    waiting: Callable[[], None] | None = None,
) -> BuildReport:
    """Index `settings.corpus_dir` into `settings.index_dir` (or the database, for the postgres backend); one
    unreadable file never stops the others."""
    if not settings.corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {settings.corpus_dir}")
    check(settings)
    if settings.backend == "postgres":
        with build_lock(settings.index_dir, waiting):
            return _build_postgres(settings, progress)
    with build_lock(settings.index_dir, waiting):
        try:
            corrections = read_corrections(settings.corpus_dir)
        except ValueError as exc:
            raise BuildError(str(exc)) from exc
        embedder = get_embedder(settings.embedder)
        old_tables, old_files, old_failures = _previous(settings)
        read: list[FileResult] = []

        def read_now(path: Path, name: str, sha: str, mine: dict[str, Correction]) -> list[Failure]:
            return read_file(path, name, sha, settings, read, mine)

        plan = _plan(settings, corrections, old_files, old_failures, read_now, progress)
        reused, failures, copies = plan.reused, plan.failures, plan.copies
        tables = frames(read)
        if reused:
            keep = set(reused)
            tables = {
                name: pd.concat([old_tables[name][old_tables[name]["doc"].isin(keep)], frame], ignore_index=True)
                for name, frame in tables.items()
            }
            tables["reports"] = tables["reports"].astype({"year": "Int64"})
        names_of = _names_of(copies)
        tables["documents"]["copies"] = ["; ".join(names_of.get(doc, [])) for doc in tables["documents"]["doc"]]
        if tables["chunks"].empty:
            raise nothing_read(settings, failures)
        files, failures, copies = _records(read, reused, old_files, corrections, copies, failures)
        stats = write_index(
            settings.index_dir,
            tables,
            dict(sorted(files.items())),
            failures,
            _recorded(settings),
            embedder,
            progress,
            extra={"reading": reading_key(settings)},
            exact_max_sections=settings.exact_max_sections,
        )
    return BuildReport(read, reused, copies, failures, stats, {k: len(v) for k, v in tables.items()})


def _build_postgres(settings: Settings, progress: Progress | None) -> BuildReport:
    """The postgres build: files read and passages embedded on Dask workers (qa_app.dask_build), the kept
    files' rows copied in SQL and the new ones bulk-loaded into a new generation (qa_app.store.pg_writer)."""
    from qa_app import dask_build
    from qa_app.store import pg_server, pg_writer
    from qa_app.store.pending import PendingTable

    if settings.pg_postings_block_rows < 1:
        raise BuildError(f"pg_postings_block_rows must be at least 1, not {settings.pg_postings_block_rows}")
    try:
        corrections = read_corrections(settings.corpus_dir)
    except ValueError as exc:
        raise BuildError(str(exc)) from exc
    # each transaction() a real one; `side` keeps the vectors of batches as they come (qa_app.store.pending)
    with pg_server.connect(settings, autocommit=True) as conn, pg_server.connect(settings, autocommit=True) as side:
        pg_writer.ensure_meta(conn)
        old_gen = pg_writer.current_generation(conn)
        manifest = pg_writer.read_manifest(conn, old_gen) if old_gen is not None else {}
        same_model = manifest.get("embedder", {}).get("id") == embedder_id(settings.embedder)
        # rows are kept, vectors included, only from a generation read and embedded the way this build would
        same = (
            same_model
            and manifest.get("reading") == reading_key(settings)
            and manifest.get("layout") == pg_writer.LAYOUT
        )
        old_files = manifest.get("files", {}) if same else {}
        old_failures = {f["doc"]: Failure(**f) for f in manifest.get("failures", []) if f.get("sha256")} if same else {}
        jobs: list[dask_build.ReadJob] = []

        def queue(path: Path, name: str, sha: str, mine: dict[str, Correction]) -> list[Failure]:
            jobs.append(dask_build.ReadJob(path, name, sha, mine))
            return []

        plan = _plan(settings, corrections, old_files, old_failures, queue, progress)
        with dask_build.cluster(settings) as client:
            outcomes = dask_build.read_files(client, jobs, settings, stage(progress, "reading on workers"))
            read = [o for o in outcomes if isinstance(o, FileResult)]
            order = {name: n for n, name in enumerate(plan.names)}
            failures = sorted(plan.failures + [o for o in outcomes if isinstance(o, Failure)],
                              key=lambda f: order.get(f.doc, len(order)))  # fmt: skip
            if not read and not plan.reused:
                raise nothing_read(settings, failures)
            files, failures, copies = _records(read, plan.reused, old_files, corrections, plan.copies, failures)
            dim = int(manifest["embedder"]["dim"]) if same_model else _dim(client, settings)
            pending = PendingTable(side, embedder_id(settings.embedder), dim)
            _, stats, counts = pg_writer.write_generation(
                conn,
                frames(read),
                plan.reused,
                old_gen if same_model else None,  # no vector of another model is taken
                _names_of(copies),
                dict(sorted(files.items())),
                failures,
                _recorded(settings),
                (embedder_id(settings.embedder), dim),
                lambda texts, keys: dask_build.embed_texts(
                    client,
                    settings.embedder,
                    texts,
                    settings.embed_task_texts,
                    stage(progress, "embedding on workers"),
                    save=pending.save,
                    keys=keys,
                ),
                lambda texts, words: dask_build.tokenize_texts(client, texts, words),
                settings.keep_generations,
                settings.pg_postings_block_rows,
                extra={"reading": reading_key(settings)},
                progress=progress,
                pending=pending,
            )
    if not counts["chunks"]:
        raise nothing_read(settings, [])
    return BuildReport(read, plan.reused, copies, failures, stats, counts)


def _names_of(copies: dict[str, str]) -> dict[str, list[str]]:
    """Each read file → the other names of its bytes in the corpus (a copy → its original, inverted)."""
    names: dict[str, list[str]] = {}
    for name, original in copies.items():
        names.setdefault(original, []).append(name)
    return names


def nothing_read(settings: Settings, failures: list[Failure]) -> BuildError:
    """The error of a corpus with no readable report, with the first reasons files were refused."""
    reasons = "; ".join(f"{f.doc}: {f.reason}" for f in failures[:5])
    return BuildError(f"no readable report in {settings.corpus_dir}" + (f" ({reasons})" if reasons else ""))


def _recorded(settings: Settings) -> dict[str, str]:
    """The settings a manifest records: all but the database address, which may hold a password."""
    return {k: str(v) for k, v in asdict(settings).items() if k != "database_url"}


def _dim(client: object, settings: Settings) -> int:
    """The embedder's dimension, asked of a worker (the build process never loads the model; the worker keeps
    it for the passages)."""
    from qa_app import dask_build

    return int(client.submit(dask_build.embed_batch, settings.embedder, ["维度"], pure=False).result().shape[1])


@dataclass(frozen=True)
class Plan:
    """What a build does with each corpus file, decided from its bytes and the last build's records."""

    reused: list[str]  # files whose rows the last index has
    failures: list[Failure]  # files refused (outside the corpus, unreadable before and unchanged, or now)
    copies: dict[str, str]  # a file with the bytes of an earlier one → that file
    names: list[str]  # every corpus file, in the order the build goes through them


def _plan(
    settings: Settings,
    corrections: dict[str, Correction],
    old_files: dict[str, dict],
    old_failures: dict[str, Failure],
    read: Callable[[Path, str, str, dict[str, Correction]], list[Failure]],
    progress: Progress | None,
) -> Plan:
    """Go through the corpus files in order; `read` is called for each new or changed one (the folder build
    reads it there and then, the postgres build queues it for the workers)."""
    paths = corpus_files(settings.corpus_dir)
    names = [path.relative_to(settings.corpus_dir).as_posix() for path in paths]
    reused: list[str] = []
    failures: list[Failure] = []
    first_of: dict[str, str] = {}  # sha256 → the first file with those bytes
    copies: dict[str, str] = {}  # a file with the bytes of an earlier one → that file
    for n, (path, name) in enumerate(zip(paths, names, strict=True), 1):
        sha = file_sha256(path)
        old = old_files.get(name, {})
        mine = of_file(corrections, name)
        if not _inside(path, settings.corpus_dir):
            failures.append(Failure(name, OUTSIDE, sha))
        elif sha in first_of:
            copies[name] = first_of[sha]  # the same report under two names: read once, both names kept
        else:
            first_of[sha] = name
            if old.get("sha256") == sha and not old.get("copy_of") and old.get("corrections", {}) == records(mine):
                reused.append(name)
            elif name in old_failures and old_failures[name].sha256 == sha:
                failures.append(old_failures[name])
            else:
                failures.extend(read(path, name, sha, mine))
        if progress:
            progress("reading reports", n, len(paths))
    return Plan(reused, failures, copies, names)


def _records(
    read: list[FileResult],
    reused: list[str],
    old_files: dict[str, dict],
    corrections: dict[str, Correction],
    copies: dict[str, str],
    failures: list[Failure],
) -> tuple[dict[str, dict], list[Failure], dict[str, str]]:
    """The manifest's file entries (with corrections and copies), the failures with copies of unreadable
    files added, and the copies whose original is indexed."""
    files = {name: old_files[name] for name in reused} | file_entries(read)
    for result in read:
        if mine := records(of_file(corrections, result.doc.name)):
            files[result.doc.name]["corrections"] = mine
    files |= {
        name: {"sha256": files[original]["sha256"], "copy_of": original}
        for name, original in copies.items()
        if original in files
    }
    failed = {f.doc: f for f in failures}
    failures = failures + [
        Failure(name, f"same bytes as {original}, which could not be read", failed[original].sha256)
        for name, original in copies.items()
        if original in failed
    ]
    copies = {name: original for name, original in copies.items() if original in files}
    return files, failures, copies


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, links followed, is a file of `folder`: a link must not bring outside files in."""
    return path.resolve().is_relative_to(folder.resolve())


def read_file(
    path: Path,
    name: str,
    sha: str,
    settings: Settings,
    out: list[FileResult],
    corrections: dict[str, Correction],
    child: ReadingChild | None = None,
) -> list[Failure]:
    """Read one file into `out`, or name why not; `process_file` reads it in the reading child.

    So a file that unpacks to gigabytes, or hangs the reader, is refused (qa_app.readers.bounds and
    qa_app.sandbox: the bounds, the child's memory limit, its timeout) while this process and the other files
    of the corpus go on.
    """
    try:
        out.append(process_file(path, settings, name, corrections, child))
    except IngestError as exc:
        return [Failure(name, str(exc), sha)]
    except Exception as exc:  # a reader bug on one file must not lose the others
        return [Failure(name, f"could not be processed ({type(exc).__name__}: {exc})", sha)]
    return []


MAX_NAME_BYTES = 200  # of the stem; room for " (2)" and the suffix within 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_name(client_name: str) -> str:
    """A file name from a browser, reduced to its last part and to characters safe on any file system."""
    name = unicodedata.normalize("NFC", client_name.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUFFIXES:
        raise ValueError(f"{client_name!r}: only {', '.join(SUFFIXES)} files can be added")
    stem = stem.strip(" .") or "report"
    while len(stem.encode("utf-8")) > MAX_NAME_BYTES:  # file systems count bytes: 255, and "报" is 3
        stem = stem[:-1]
    return f"{stem}.{suffix.lower()}"


def save_upload(corpus_dir: Path, client_name: str, data: bytes, max_bytes: int) -> Path:
    """Write an uploaded report into the corpus under a safe name, never over another file."""
    if len(data) > max_bytes:
        raise ValueError(f"{client_name!r} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    if not data:
        raise ValueError(f"{client_name!r} is empty")
    name = safe_name(client_name)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    target = corpus_dir / name
    stem, suffix = target.stem, target.suffix
    n = 1
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            if target.read_bytes() == data:
                return target  # the same report again: nothing new to add
            n += 1
            target = corpus_dir / f"{stem} ({n}){suffix}"
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return target
