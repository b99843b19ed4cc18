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

from qa_app.config import Settings
from qa_app.store.pg_server import connect, stop_embedded
from qa_app.store.pg_writer import current_generation, read_manifest, schema_of
from qa_app.text.tokens import dictionary_words

FIRST = ["001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt"]
ADDED = "004_be4a0c6940302084.txt"
RENAMED = "岳阳市财政局_2023_信访救助基金.txt"
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"


def bm25_state(index: Path) -> dict[str, object]:
    """The live generation's BM25 by term and section (ids and rows differ with the build history): postings
    as (term, chunk id, tf, dl), each term's document frequency, the section count and mean length; the
    dictionary, the sections' texts in row order, and what the build tokenized."""
    with connect(Settings(index_dir=index, backend="postgres")) as conn:
        gen = current_generation(conn)
        s = sql.Identifier(schema_of(gen))
        postings = conn.execute(
            sql.SQL(
                "SELECT v.term, c.chunk_id, p.tf, p.dl FROM {s}.postings p JOIN {s}.vocab v USING (term_id) "
                "JOIN {s}.chunks c ON c.row = p.row ORDER BY v.term, c.chunk_id"
            ).format(s=s)
        ).fetchall()
        df = dict(conn.execute(sql.SQL("SELECT term, df FROM {}.vocab").format(s)).fetchall())
        meta = conn.execute(sql.SQL("SELECT num_docs, mean_length FROM {}.meta").format(s)).fetchone()
        words = [w for (w,) in conn.execute(sql.SQL("SELECT word FROM {}.words").format(s))]
        texts = [t for (t,) in conn.execute(sql.SQL("SELECT index_text FROM {}.chunks ORDER BY row").format(s))]
        built = read_manifest(conn, gen)["bm25"]
        return {"postings": postings, "df": df, "meta": meta, "words": words, "texts": texts, "built": built}


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
    """BM25 states of one index through four builds (two seed reports; a renamed copy of one added; a third
    seed added; both removed) and of a first build of the four files."""
    root = tmp_path_factory.mktemp("incremental")
    corpus, index, fresh = root / "corpus", root / "index", root / "fresh"
    corpus.mkdir()
    for name in FIRST:
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    states: dict[str, dict] = {}
    try:
        build_pg(corpus, index, workers=1)
        states["first"] = bm25_state(index)
        renamed_report(corpus / RENAMED)
        build_pg(corpus, index, workers=1)
        states["renamed"] = bm25_state(index)
        shutil.copy(ROOT / "corpus" / ADDED, corpus / ADDED)
        build_pg(corpus, index, workers=1)
        states["added"] = bm25_state(index)
        lines = "".join(
            json.dumps({"q": json.loads(q)["q"]}, ensure_ascii=False) + "\n" for q in DEV.open(encoding="utf-8")
        )
        states["added"]["answers"] = answers(index, lines, "postgres")
        build_pg(corpus, fresh, workers=1)
        states["fresh"] = bm25_state(fresh)
        states["fresh"]["answers"] = answers(fresh, lines, "postgres")
        (corpus / ADDED).unlink()
        (corpus / RENAMED).unlink()
        build_pg(corpus, index, workers=1)
        states["removed"] = bm25_state(index)
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


def test_every_build_history_ends_in_the_postings_of_a_first_build(history: dict[str, dict]) -> None:
    added, fresh = history["added"], history["fresh"]
    assert fresh["built"] == {"tokenized": fresh["meta"][0], "kept": 0}
    assert same_bm25(added, fresh)
    assert added["answers"] == fresh["answers"]
    removed, first = history["removed"], history["first"]
    assert removed["meta"][0] == first["meta"][0]
    assert removed["built"]["tokenized"] == holding(removed["texts"], added, removed)  # no new section
    assert same_bm25(removed, first)
