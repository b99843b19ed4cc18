"""Awkward and hostile questions, through every door: `Engine.ask`, `qa-app ask --json -` and the chat app.

Each question gets a valid answer (found or not, never an exception); every citation is verbatim in the
index; a figure is always inside its quote; and the app shows the question and the answer as text, never as
HTML or markdown. Questions that wrap a real question in markup, invisible characters or full-width forms
still find its figure (湘潭县信访救助支出 2024: 519.69万元).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qa_app.answer.contract import Answer
from qa_app.engine import Engine
from qa_app.text.normalize import valid_utf8

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "qa_app" / "ui" / "app.py")
XIANGTAN = 519.69  # 湘潭县信访局 2024 信访救助支出, 000_b015b3dd7bb80183.txt
SURROGATE = b"\xed\xa0\x80".decode("utf-8", "surrogatepass")  # "\ud800": a lone surrogate, not UTF-8 encodable

FIND, NONE, ANY = "finds 519.69", "found=false", "any valid answer"
# (id, question, what it must give). FIND: the first figure is 519.69; NONE: found is false; ANY: a valid answer.
HOSTILE: list[tuple[str, str, str]] = [
    ("empty", "", NONE),
    ("spaces", "   ", NONE),
    ("whitespace-mix", " \t\u3000\u00a0 ", NONE),
    ("tab-newline-tab", "\t\n\t", NONE),
    ("10000-chars", ("湘潭县信访救助支出多少" * 1000)[:10000], ANY),
    ("10000-xiang", "湘" * 10000, NONE),
    ("10000-x", "x" * 10000, NONE),
    ("punctuation-cjk", "？！。，、；：…—（）《》【】“”", NONE),
    ("punctuation-ascii", "?!.,;:'\"()[]{}<>/\\|@#%^&*~`-_=+", NONE),
    ("english", "What was the petition relief spending of Xiangtan County in 2024?", ANY),
    ("emoji", "😀💰📊🤔👨‍👩‍👧", NONE),
    ("none-word", "None", NONE),
    ("null-word", "null", NONE),
    ("nul", "\x00", NONE),
    ("nul-inside", "湘潭县\x00信访救助支出多少", FIND),
    ("lone-surrogate", SURROGATE, NONE),
    ("surrogate-inside", f"湘潭县{SURROGATE}信访救助支出多少", FIND),
    ("surrogateescape-bytes", b"\xff\xfe\xed\xa0\x80abc".decode("utf-8", "surrogateescape"), NONE),
    ("rtl-override", "\u202e湘潭县信访救助支出多少\u202c", FIND),
    ("zero-width", "湘\u200b潭\u200d县\ufeff信访救助\u2060支出多少", FIND),
    ("unicode-line-separators", "湘潭县信访救助支出多少\u2028\u2029\x85", FIND),
    ("ansi-escape", "\x1b[31m湘潭县信访救助支出多少\x1b[0m", ANY),
    ("sql-drop", "'; DROP TABLE figures; --", NONE),
    ("sql-or", "1' OR '1'='1", NONE),
    ("script", "<script>alert(1)</script>", NONE),
    ("img-onerror", "<img src=x onerror=alert(1)>", NONE),
    ("html-around-question", "<b>湘潭县</b>信访救助支出多少<br>", FIND),
    ("markdown-link", "[x](javascript:alert(1))", NONE),
    ("markdown-bold-question", "**湘潭县**信访救助支出多少", FIND),
    ("markdown-heading-question", "# 湘潭县信访救助支出多少", FIND),
    ("latex", "$\\frac{1}{0}$ \\(x\\) `code`", NONE),
    ("format-string", "{0} %s %(x)s {question!r}", NONE),
    ("full-width-question-mark", "湘潭县信访救助支出多少？", FIND),
    ("full-width-digits", "湘潭县２０２４年信访救助支出多少？", FIND),
]
IDS = [h[0] for h in HOSTILE]


def check_answer(engine: Engine, question: str, answer: Answer, expect: str) -> None:
    """What every answer must be, whatever the question."""
    assert isinstance(answer, Answer)
    assert isinstance(answer.found, bool)
    assert answer.question == valid_utf8(question)  # as asked, with undecodable parts as U+FFFD
    answer.question.encode("utf-8")
    assert isinstance(answer.answer, str) and answer.answer.strip()
    assert len(answer.answer) <= 1000, len(answer.answer)  # an overlong paste is not echoed whole
    answer.answer.encode("utf-8")  # what is shown is valid text (no lone surrogates leak into it)
    data = answer.to_json()
    assert json.loads(json.dumps(data)) == data
    for cite in answer.citations:
        text = engine.index.texts[cite.doc]
        assert 0 <= cite.start < cite.end <= len(text)
        assert cite.quote == text[cite.start : cite.end]
    for figure in answer.figures:
        assert 0 <= figure.citation < len(answer.citations)
        assert figure.text in answer.citations[figure.citation].quote
    if answer.found:
        assert answer.citations
    else:
        assert not answer.figures and not answer.citations
    if expect == FIND:
        assert answer.found and answer.figures, answer.answer
        assert answer.figures[0].value == XIANGTAN and answer.figures[0].unit == "万元"
        assert answer.figures[0].org == "湘潭县信访局" and answer.figures[0].year == 2024
    elif expect == NONE:
        assert not answer.found, answer.answer


@pytest.mark.parametrize(("question", "expect"), [(q, e) for _, q, e in HOSTILE], ids=IDS)
def test_engine_answers_hostile_question(engine: Engine, question: str, expect: str) -> None:
    check_answer(engine, question, engine.ask(question), expect)


def test_engine_hostile_history_and_none(engine: Engine) -> None:
    """Hostile earlier turns and a None question: still an answer."""
    history = [q for _, q, _ in HOSTILE]
    answer = engine.ask("那2023年呢？", history)
    check_answer(engine, "那2023年呢？", answer, ANY)
    none = engine.ask(None)  # type: ignore[arg-type]
    assert not none.found and none.question == ""
    check_answer(engine, "", none, NONE)
    full = engine.ask("湘潭县２０２４年信访救助支出多少？")
    assert {f.year for f in full.figures} == {2024}  # full-width digits read as the year 2024


# --- the command line -------------------------------------------------------------------------------------------


def one_line(question: str) -> bytes:
    """The question as one stdin line: a newline would make it two, a lone surrogate is sent as raw bytes."""
    return question.replace("\n", " ").replace("\r", " ").encode("utf-8", "surrogatepass")


def test_cli_json_stdin_answers_every_hostile_question_in_order(engine: Engine, seed_index: Path) -> None:
    lines = [one_line(q) for _, q, _ in HOSTILE]
    env = {**os.environ, "QA_INDEX": str(seed_index), "PYTHONIOENCODING": "utf-8"}
    env.pop("QA_EMBEDDER", None)
    run = subprocess.run(
        [sys.executable, "-m", "qa_app.ui.cli", "ask", "--json", "-"],
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 0, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    # Split on "\n" only: a JSON string may hold U+2028 or U+0085, which str.splitlines() would also split on.
    printed = run.stdout.decode("utf-8").split("\n")
    assert printed[-1] == ""
    printed = printed[:-1]
    assert len(printed) == len(lines)
    for (name, _, expect), line, text in zip(HOSTILE, lines, printed, strict=True):
        data = json.loads(text)
        question = line.decode("utf-8", "replace")  # how the CLI reads a line that is not UTF-8
        assert data["question"] == question, name
        assert isinstance(data["found"], bool), name
        assert "内部错误" not in data["answer"], name
        direct = engine.ask(question)
        check_answer(engine, question, direct, expect)
        data.pop("timings_ms")
        assert data == {k: v for k, v in direct.to_json().items() if k != "timings_ms"}, name  # the engine's answer


@pytest.mark.parametrize("stdout_encoding", ["PYTHONIOENCODING=utf-8", "LC_ALL=C.UTF-8"])
def test_cli_json_argv_question_that_is_not_utf8(seed_index: Path, stdout_encoding: str) -> None:
    env = {**os.environ, "QA_INDEX": str(seed_index)}
    for name in ("QA_EMBEDDER", "PYTHONIOENCODING", "LC_ALL"):
        env.pop(name, None)
    key, _, value = stdout_encoding.partition("=")
    env[key] = value
    run = subprocess.run(
        [sys.executable, "-m", "qa_app.ui.cli", "ask", "--json", b"\xed\xa0\x80abc\xff"],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 0 and "Traceback" not in stderr, stderr
    (line,) = run.stdout.decode("utf-8").splitlines()  # valid UTF-8: one JSON line
    answer = json.loads(line)
    assert answer["found"] is False and "abc" in answer["question"]


# --- the app ------------------------------------------------------------------------------------------------------


def as_browser_sends(question: str, max_chars: int) -> str:
    """What the chat input sends: at most its `max_chars` characters (the box takes no more), encoded as
    UTF-8 by the browser, which turns each lone surrogate into U+FFFD (TextEncoder)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", question[: max_chars or None])


def shown(text: str) -> str:
    """What st.text displays: the text dedented and stripped of surrounding whitespace, otherwise as is."""
    return textwrap.dedent(text).strip()


def unescaped(text: str) -> str:
    """`text` without its backslash-escaped characters: what markdown would still act on."""
    return re.sub(r"\\.", "", text, flags=re.S)


def markdown_bodies(at: AppTest) -> list[str]:
    """Every string of the page that Streamlit renders as markdown: bodies and labels."""
    out = [e.value for kind in ("markdown", "caption", "warning", "error", "info", "success") for e in at.get(kind)]
    out += [m.label for m in at.metric]
    out += [e.label for e in at.expander]
    out += [p.proto.popover.label for p in at.get("popover")]
    return out


def test_app_shows_hostile_questions_and_answers_as_text(seed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INDEX", str(seed_index))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    max_chars = at.chat_input[0].proto.max_chars
    assert max_chars >= 300  # room for any real question
    for asked, (name, question, expect) in enumerate(HOSTILE, 1):
        sent = as_browser_sends(question, max_chars)
        at.chat_input[0].set_value(sent).run()
        assert not at.exception, (name, at.exception)
        assert len(at.chat_message) == 2 * asked, name
        user, reply = at.chat_message[-2], at.chat_message[-1]
        assert user.name == "user" and reply.name == "assistant"
        assert [t.value for t in user.text] == [shown(sent)], name  # st.text: the raw question, never markdown
        assert not user.markdown, name
        assert reply.markdown or reply.warning, name
        if expect == FIND:
            assert reply.metric and reply.metric[0].value == "519.69万元", name
        elif expect == NONE:
            assert not reply.metric, name
        for body in reply.get("html"):
            low = body.value.lower()
            assert "<script" not in low and "<img" not in low, name
        for text in markdown_bodies(at):
            assert not re.search(r"[<>\[\]`*_$]", unescaped(text)), (name, text)
    bodies = [h.value for h in at.get("html")]
    assert bodies and not any("<script" in b.lower() or "<img" in b.lower() for b in bodies)
    users = [m.text[0].value for m in at.chat_message if m.name == "user"]
    assert users == [shown(as_browser_sends(q, max_chars)) for _, q, _ in HOSTILE]
