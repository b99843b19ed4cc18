"""`qa-app ask` and `qa-app eval` through the real command line, over the session's seed index."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"  # a copy of shared/eval/dev_questions.jsonl


def qa_app(*args: str, index: Path, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QA_INDEX": str(index), "PYTHONIOENCODING": "utf-8"}
    env.pop("QA_EMBEDDER", None)
    return subprocess.run(
        [sys.executable, "-m", "qa_app.ui.cli", *args],
        input=stdin.encode("utf-8") if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )


def out(run: subprocess.CompletedProcess) -> str:
    return run.stdout.decode("utf-8")


def err(run: subprocess.CompletedProcess) -> str:
    return run.stderr.decode("utf-8", "replace")


def test_ask_json_stdin_gives_one_line_per_input_line_in_order(seed_index: Path) -> None:
    lines = [
        "湘潭县信访救助支出多少",
        "",
        "   ",
        "%%%",
        "😀",
        "\t岳阳市信访局2024年基本支出  ",
        "",
        "信访" * 2500,
        "岳阳市信访局2024年基本支出",
        "北京市信访局2024年信访救助支出多少",
    ]
    assert len(lines[7]) == 5000
    # the last line has no newline after it: it is still a question
    run = qa_app("ask", "--json", "-", index=seed_index, stdin="\n".join(lines))
    assert run.returncode == 0, err(run)
    assert "Traceback" not in err(run)
    printed = out(run).splitlines()
    assert len(printed) == len(lines)
    answers = [json.loads(line) for line in printed]
    assert [a["question"] for a in answers] == lines
    for a in answers:
        assert "内部错误" not in a["answer"], a["answer"]
    first, blank, space = answers[0], answers[1], answers[2]
    assert first["found"] and first["figures"][0]["value"] == 519.69
    assert not blank["found"] and not space["found"]
    assert answers[5]["found"] and answers[5]["figures"][0]["value"] == 586.11
    assert answers[8]["figures"][0] == answers[5]["figures"][0]
    assert not answers[9]["found"] and "北京市信访局" in answers[9]["answer"]


def test_ask_json_stdin_with_windows_line_ends(seed_index: Path) -> None:
    run = qa_app("ask", "--json", "-", index=seed_index, stdin="湘潭县信访救助支出多少\r\n\r\n")
    assert run.returncode == 0, err(run)
    answers = [json.loads(line) for line in out(run).splitlines()]
    assert [a["question"] for a in answers] == ["湘潭县信访救助支出多少", ""]
    assert answers[0]["found"]


def test_ask_json_one_question(seed_index: Path) -> None:
    run = qa_app("ask", "--json", "湘潭县信访救助支出多少", index=seed_index)
    assert run.returncode == 0, err(run)
    text = out(run).strip()
    assert len(text.splitlines()) == 1
    answer = json.loads(text)
    assert set(answer) == {"question", "found", "answer", "figures", "citations", "passages", "timings_ms", "context"}
    assert answer["question"] == "湘潭县信访救助支出多少" and answer["found"]
    first = answer["figures"][0]
    assert (first["value"], first["unit"], first["org"], first["year"]) == (519.69, "万元", "湘潭县信访局", 2024)
    cite = answer["citations"][first["citation"]]
    stored = (ROOT / "corpus" / cite["doc"]).read_text("utf-8")
    assert first["text"] in cite["quote"]
    assert cite["quote"] in stored


def test_ask_prints_the_answer_for_people(seed_index: Path) -> None:
    run = qa_app("ask", "湘潭县信访救助支出多少", index=seed_index)
    assert run.returncode == 0, err(run)
    text = out(run)
    assert not text.lstrip().startswith("{")
    head = text.splitlines()[0]
    assert "519.69" in head and "[1]" in head
    assert "[1] 000_b015b3dd7bb80183.txt" in text
    assert "相关段落" in text


def test_ask_passage_question_for_people(seed_index: Path) -> None:
    run = qa_app("ask", "湘潭县信访局党建工作怎么样", index=seed_index)
    assert run.returncode == 0, err(run)
    assert "[1]" in out(run).splitlines()[0]
    assert "000_b015b3dd7bb80183.txt" in out(run)


def test_eval_dev_set_meets_its_bar(seed_index: Path) -> None:
    assert DEV_QUESTIONS.is_file(), DEV_QUESTIONS
    run = qa_app("eval", str(DEV_QUESTIONS), "--min", "0.96", index=seed_index)
    assert run.returncode == 0, out(run) + err(run)
    text = out(run)
    kinds = {}
    for kind in ("figure", "passage", "negative", "all"):
        m = re.search(rf"^{kind}\s+(\d+)/(\d+)\s+([\d.]+)%$", text, re.M)
        assert m, (kind, text)
        kinds[kind] = (int(m.group(1)), int(m.group(2)))
    n_items = sum(1 for line in DEV_QUESTIONS.read_text("utf-8").splitlines() if line.strip())
    assert kinds["all"][1] == n_items
    assert kinds["all"][0] >= 0.96 * n_items
    assert sum(total for kind, (_, total) in kinds.items() if kind != "all") == n_items


def test_eval_below_min_exits_1(seed_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "one.jsonl"
    item = {"id": "x1", "kind": "figure", "q": "岳阳市信访局2024年基本支出是多少", "value": "586.11", "unit": "万元"}
    item["doc"] = "001_8614dcb30a713240.txt"
    questions.write_text(json.dumps(item, ensure_ascii=False) + "\n", "utf-8")
    run = qa_app("eval", str(questions), "--min", "1.01", index=seed_index)
    assert run.returncode == 1, out(run) + err(run)
    assert re.search(r"^all\s+1/1\s+100\.0%$", out(run), re.M), out(run)
    assert "below --min 1.01" in out(run)


def test_eval_names_each_failure_and_why(seed_index: Path, tmp_path: Path) -> None:
    items = [
        {
            "id": "wrong1",
            "kind": "figure",
            "q": "湘潭县信访救助支出多少",
            "value": "999.99",
            "unit": "万元",
            "doc": "000_b015b3dd7bb80183.txt",
        },
        {"id": "neg1", "kind": "negative", "q": "岳阳市信访局2024年基本支出"},
        {"id": "pas1", "kind": "passage", "q": "湘潭县信访局党建工作怎么样", "doc": "000_b015b3dd7bb80183.txt"},
    ]
    items[2]["text"] = "心齐气顺"
    questions = tmp_path / "bad.jsonl"
    questions.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n\n", "utf-8")
    run = qa_app("eval", str(questions), index=seed_index)
    assert run.returncode == 0, err(run)
    text = out(run)
    fails = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2, text
    assert fails[0].startswith("FAIL wrong1 [figure] 湘潭县信访救助支出多少: first figure is 519.69 万元")
    assert "expected 999.99 万元" in fails[0]
    assert fails[1].startswith("FAIL neg1 [negative] 岳阳市信访局2024年基本支出: answered")
    assert re.search(r"^passage\s+1/1\s+100\.0%$", text, re.M)
    assert re.search(r"^all\s+1/3\s+33\.3%$", text, re.M)


def test_eval_of_a_broken_question_file_is_a_clear_error(seed_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "broken.jsonl"
    questions.write_text('{"id": "a", "kind": "negative", "q": "x"}\n{not json\n', "utf-8")
    run = qa_app("eval", str(questions), index=seed_index)
    assert run.returncode != 0
    assert "broken.jsonl:2" in err(run)
    assert "Traceback" not in err(run)


@pytest.mark.parametrize(
    "command",
    [["ask", "湘潭县信访救助支出多少"], ["ask", "--json", "-"], ["eval", "q.jsonl"]],
    ids=["ask", "ask-stdin", "eval"],
)
@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_no_index_says_to_build_one(tmp_path: Path, command: list[str], folder: str) -> None:
    index = tmp_path / "index"
    if folder == "empty":
        index.mkdir()
    (tmp_path / "q.jsonl").write_text('{"id": "a", "kind": "negative", "q": "x"}\n', "utf-8")
    command = [str(tmp_path / c) if c == "q.jsonl" else c for c in command]
    run = qa_app(*command, index=index, stdin="湘潭县信访救助支出多少\n")
    assert run.returncode == 2, out(run) + err(run)
    assert "qa-app build" in err(run)
    assert str(index) in err(run)
    assert "Traceback" not in err(run)
    if command == ["ask", "--json", "-"]:  # still one JSON line per input line, saying why
        lines = out(run).splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["found"] is False
        assert json.loads(lines[0])["question"] == "湘潭县信访救助支出多少"
    else:
        assert out(run) == ""


def test_damaged_index_says_to_rebuild(seed_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    data = bytearray((index / "vectors.faiss").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (index / "vectors.faiss").write_bytes(bytes(data))
    run = qa_app("ask", "--json", "湘潭县信访救助支出多少", index=index)
    assert run.returncode == 2, out(run) + err(run)
    assert "vectors.faiss" in err(run) and "qa-app build" in err(run)
    assert "Traceback" not in err(run)
