"""The app's conversation store: real SQLite files in tmp_path, answers from the real engine."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from qa_app.engine import Engine
from qa_app.ui.conversation import ConversationStore, answer_from_json, new_id, valid_id


def test_an_answer_comes_back_exactly_as_it_was_stored(engine: Engine, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    first = engine.ask("湘潭县信访救助支出多少")
    second = engine.ask("那2023年呢？", ["湘潭县信访救助支出多少"])
    cid = new_id()
    store.append(cid, first.question, first)
    store.append(cid, second.question, second)
    again = ConversationStore(tmp_path / "c.sqlite3").turns(cid)  # a new process would open it like this
    assert [t.question for t in again] == ["湘潭县信访救助支出多少", "那2023年呢？"]
    assert [t.answer for t in again] == [first, second]
    assert again[1].answer.context and again[1].answer.figures[0].value == 284.14
    assert store.turns(new_id()) == []


def test_replace_changes_one_turn_and_conversations_stay_apart(engine: Engine, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    a, b = new_id(), new_id()
    assert a != b and valid_id(a) and valid_id(b)
    first, follow = engine.ask("湘潭县信访救助支出多少"), engine.ask("那2023年呢？", ["湘潭县信访救助支出多少"])
    store.append(a, first.question, first)
    store.append(a, follow.question, follow)
    store.append(b, first.question, first)
    alone = engine.ask("那2023年呢？")
    store.replace(a, 1, alone)
    assert [t.answer for t in store.turns(a)] == [first, alone]
    assert [t.answer for t in store.turns(b)] == [first]


def test_concurrent_appends_keep_every_turn_in_order(engine: Engine, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    answer = engine.ask("湘潭县信访救助支出多少")
    cid = new_id()

    def write(k: int) -> None:
        for j in range(10):
            store.append(cid, f"{k}-{j}", answer)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    questions = [t.question for t in store.turns(cid)]
    assert sorted(questions) == sorted(f"{k}-{j}" for k in range(4) for j in range(10))
    for k in range(4):  # each writer's turns in the order it wrote them
        assert [q for q in questions if q.startswith(f"{k}-")] == [f"{k}-{j}" for j in range(10)]
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        assert db.execute("SELECT COUNT(DISTINCT n) FROM turns").fetchone() == (40,)


def test_ids_from_the_url_are_checked() -> None:
    for bad in (None, "", "short", "a" * 41, "../../etc", "x' OR '1'='1", 12345678):
        assert not valid_id(bad), bad
    assert answer_from_json({"question": "q", "found": False, "answer": "没有", "unknown": 1}).answer == "没有"
