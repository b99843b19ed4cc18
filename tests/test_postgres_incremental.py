"""An upload to the postgres backend tokenizes only what it changes: its own sections, and the kept sections
that hold a dictionary word it adds or removes. The kept sections' BM25 postings (term counts and lengths)
are copied as they are, and every build history ends in the postings, document frequencies and mean length
a first build of the same files writes, so the answers are the same. Runs the embedded PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pg_cli import ROOT, answers, build_pg
from psycopg import sql

from qa_app.build import BuildError, build_index
from qa_app.config import Settings, load_settings
from qa_app.store.pg_copy import unpack_lengths, unpack_postings
from qa_app.store.pg_server import connect, stop_embedded
from qa_app.store.pg_writer import current_generation, read_manifest, schema_of
from qa_app.text.tokens import dictionary_words

FIRST = ["001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt"]
ADDED = "004_be4a0c6940302084.txt"
RENAMED = "岳阳市财政局_2023_信访救助基金.txt"
APPENDED = "001_归档副本.txt"
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
BLOCK = "16"  # sections per block of postings: these few reports span many blocks, so builds copy some


def bm25_state(index: Path) -> dict[str, object]:
    """The live generation's BM25 by term and section (ids and rows differ with the build history): postings
    as (term, chunk id, tf, dl), each term's document frequency, the section count and mean length; the
    dictionary, the sections' texts in row order, and what the build tokenized."""
    with connect(Settings(index_dir=index, backend="postgres")) as conn:
        gen = current_generation(conn)
        s = sql.Identifier(schema_of(gen))
        terms, rows, tfs = unpack_postings(
            conn.execute(sql.SQL("SELECT term_id, data FROM {}.postings").format(s)).fetchall()
        )
        term_of = dict(conn.execute(sql.SQL("SELECT term_id, term FROM {}.vocab").format(s)).fetchall())
        chunk_of = [c for (c,) in conn.execute(sql.SQL("SELECT chunk_id FROM {}.chunks ORDER BY row").format(s))]
        (lengths,) = conn.execute(sql.SQL("SELECT lengths FROM {}.meta").format(s)).fetchone()
        dl = unpack_lengths(lengths)
        found = zip(terms.tolist(), rows.tolist(), tfs.tolist(), strict=True)
        postings = sorted((term_of[t], chunk_of[r], f, int(dl[r])) for t, r, f in found)
        df = dict(conn.execute(sql.SQL("SELECT term, df FROM {}.vocab").format(s)).fetchall())
        meta = conn.execute(sql.SQL("SELECT num_docs, mean_length FROM {}.meta").format(s)).fetchone()
        words = [w for (w,) in conn.execute(sql.SQL("SELECT word FROM {}.words").format(s))]
        texts = [t for (t,) in conn.execute(sql.SQL("SELECT index_text FROM {}.chunks ORDER BY row").format(s))]
        built = read_manifest(conn, gen)["bm25"]
        blocks = [b for (b,) in conn.execute(sql.SQL("SELECT block FROM {}.postings").format(s))]
        return {"postings": postings, "df": df, "meta": meta, "words": words, "texts": texts, "built": built,
                "chunks": chunk_of, "blocks": blocks}  # fmt: skip


def holding(texts: list[str], before: dict, after: dict) -> int:
    """How many of `texts` hold a dictionary word one build has and the other has not."""
    changed = set(dictionary_words(before["words"])) ^ set(dictionary_words(after["words"]))
    return sum(any(w in t for w in changed) for t in texts)


def same_bm25(a: dict, b: dict) -> bool:
    return all(a[k] == b[k] for k in ("postings", "df", "meta"))


def renamed_report(to: Path) -> None:
    """Seed report 003 (湘潭县信访局) as if the 岳阳市财政局 had written it: its words are the seed's but for
    the organisation's name, which a few sections of seed 001 (岳阳市信访局) quote."""
    text = (ROOT / "corpus" / FIRST[1]).read_text("utf-8")
    for old, new in (
        ("湘 潭 县 信 访 局", "岳 阳 市 财 政 局"),
        ("湘潭县信访局", "岳阳市财政局"),
        ("湘潭县", "岳阳市"),
    ):
        text = text.replace(old, new)
    to.write_text(text, "utf-8")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """BM25 states of one index through five builds (two seed reports; a renamed copy of one added; a third
    seed added; both removed; a copy of the first with a note appended) and of a first build of four files."""
    root = tmp_path_factory.mktemp("incremental")
    corpus, index, fresh = root / "corpus", root / "index", root / "fresh"
    corpus.mkdir()
    for name in FIRST:
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    states: dict[str, dict] = {}
    try:
        build_pg(corpus, index, workers=1, QA_PG_BLOCK_ROWS=BLOCK)
        states["first"] = bm25_state(index)
        renamed_report(corpus / RENAMED)
        build_pg(corpus, index, workers=1, QA_PG_BLOCK_ROWS=BLOCK)
        states["renamed"] = bm25_state(index)
        shutil.copy(ROOT / "corpus" / ADDED, corpus / ADDED)
        build_pg(corpus, index, workers=1, QA_PG_BLOCK_ROWS=BLOCK)
        states["added"] = bm25_state(index)
        lines = "".join(
            json.dumps({"q": json.loads(q)["q"]}, ensure_ascii=False) + "\n" for q in DEV.open(encoding="utf-8")
        )
        states["added"]["answers"] = answers(index, lines, "postgres")
        build_pg(corpus, fresh, workers=1, QA_PG_BLOCK_ROWS=BLOCK)
        states["fresh"] = bm25_state(fresh)
        states["fresh"]["answers"] = answers(fresh, lines, "postgres")
        (corpus / ADDED).unlink()
        (corpus / RENAMED).unlink()
        build_pg(corpus, index, workers=1, QA_PG_BLOCK_ROWS=BLOCK)
        states["removed"] = bm25_state(index)
        text = (corpus / FIRST[0]).read_text("utf-8")
        (corpus / APPENDED).write_text(text + "\n附注：本报告已归档。\n", "utf-8")  # no new name nor label
        build_pg(corpus, index, workers=1, QA_PG_BLOCK_ROWS=BLOCK)
        states["appended"] = bm25_state(index)
    finally:
        stop_embedded(index)
        stop_embedded(fresh)
    return states


def retokenized(before: dict, after: dict) -> int:
    """Kept sections a build tokenized again (the kept ones come first, in their old order)."""
    return after["built"]["tokenized"] - (after["meta"][0] - before["meta"][0])


def test_an_upload_tokenizes_its_sections_and_the_kept_ones_holding_a_word_it_adds(history: dict[str, dict]) -> None:
    first, renamed = history["first"], history["renamed"]
    kept = first["meta"][0]
    assert renamed["meta"][0] > kept
    assert renamed["built"]["kept"] + renamed["built"]["tokenized"] == renamed["meta"][0]
    # the new organisation's name is quoted by a few kept sections: those, and only those, are tokenized again
    assert 0 < retokenized(first, renamed) == holding(renamed["texts"][:kept], first, renamed) < kept / 4
    # a real report brings new metric labels too ("下设" …), which every kept section of these seeds holds
    added = history["added"]
    assert retokenized(renamed, added) == holding(added["texts"][: renamed["meta"][0]], renamed, added)


def first_changed(before: dict, after: dict) -> int:
    """The first row whose postings a build cannot keep as they are: a section moved, or holding a changed
    dictionary word (or the first new row)."""
    changed = set(dictionary_words(before["words"])) ^ set(dictionary_words(after["words"]))
    for row, (was, now) in enumerate(zip(before["chunks"], after["chunks"], strict=False)):
        if was != now or any(w in after["texts"][row] for w in changed):
            return row
    return min(len(before["chunks"]), len(after["chunks"]))


def test_an_upload_copies_the_blocks_of_postings_before_its_first_changed_section(history: dict[str, dict]) -> None:
    steps = [("first", "renamed"), ("renamed", "added"), ("added", "removed"), ("removed", "appended")]
    copied = {}
    for before, after in steps:
        a, b = history[before], history[after]
        clean = first_changed(a, b) // int(BLOCK)
        copied[after] = b["built"]["blocks_copied"]
        assert copied[after] == sum(block < clean for block in a["blocks"]), after
        assert b["built"]["blocks_written"] == sum(block >= clean for block in b["blocks"]), after
    # a report bringing no new word keeps every block but the last of each term, and tokenizes only itself
    appended, removed = history["appended"], history["removed"]
    assert appended["built"]["tokenized"] == appended["meta"][0] - removed["meta"][0]
    assert copied["appended"] == sum(block < removed["meta"][0] // int(BLOCK) for block in removed["blocks"]) > 0


def test_every_build_history_ends_in_the_postings_of_a_first_build(history: dict[str, dict]) -> None:
    added, fresh = history["added"], history["fresh"]
    assert fresh["built"] == {"tokenized": fresh["meta"][0], "kept": 0, "block_rows": int(BLOCK),
                              "blocks_copied": 0, "blocks_written": len(fresh["blocks"])}  # fmt: skip
    assert same_bm25(added, fresh)
    assert added["answers"] == fresh["answers"]
    removed, first = history["removed"], history["first"]
    assert removed["meta"][0] == first["meta"][0]
    assert removed["built"]["tokenized"] == holding(removed["texts"], added, removed)  # no new section
    assert same_bm25(removed, first)


def test_a_block_size_below_one_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("QA_PG_BLOCK_ROWS", "0")
    assert load_settings().pg_postings_block_rows == Settings().pg_postings_block_rows  # said, and not taken
    assert "QA_PG_BLOCK_ROWS='0'" in capsys.readouterr().err
    monkeypatch.setenv("QA_PG_BLOCK_ROWS", "64")
    assert load_settings().pg_postings_block_rows == 64
    index = tmp_path / "index"
    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=index, backend="postgres", pg_postings_block_rows=0)
    with pytest.raises(BuildError, match="at least 1"):
        build_index(settings)
    assert not (index / "pg").exists()  # refused before a server was made
