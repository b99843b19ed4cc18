"""Sections and chunks on small generated reports: headings, merging, splitting, table rows."""

from __future__ import annotations

from pathlib import Path

from qa_app.config import Settings
from qa_app.pipeline import FileResult
from qa_app.sandbox import process_file

TITLE = "2024年度某某县民政局部门整体支出绩效自评报告\n"


def run(tmp_path: Path, body: str, title: str = TITLE) -> FileResult:
    path = tmp_path / "r.txt"
    path.write_text(title + body, encoding="utf-8")
    result = process_file(path, Settings())
    for c in result.chunks:
        assert result.doc.text[c.start : c.end] == c.text
    return result


def test_a_tiny_section_keeps_its_own_heading_or_a_shared_one(tmp_path: Path) -> None:
    body = "一、基本情况\n" + "本单位共有在职人员十名，负责全县民政工作的日常运转。" * 2 + "\n二、其他说明\n无。\n"
    chunks = run(tmp_path, body).chunks
    assert [c.heading for c in chunks] == [()]  # 二、其他说明 joined the text before it, under what both share
    assert "其他说明" in chunks[0].index_text


def test_a_bare_heading_joins_the_subsection_it_opens(tmp_path: Path) -> None:
    long = "分布在各个股室，承担全部日常工作，人员结构较为合理，年龄梯次分明。"
    body = f"二、人员\n(一)在职\n在职人员10人，{long}\n(二)退休\n退休人员4人，{long}\n"
    result = run(tmp_path, body)
    assert [c.heading for c in result.chunks] == [("人员", "在职"), ("人员", "退休")]
    assert {f.text: f.section for f in result.figures} == {"10人": "人员 › 在职", "4人": "人员 › 退休"}


def test_figures_name_their_own_section_even_inside_a_merged_chunk(tmp_path: Path) -> None:
    body = "二、人员\n(一)在职\n在职人员10人。\n(二)退休\n退休人员4人。\n"
    result = run(tmp_path, body)
    assert [c.heading for c in result.chunks] == [("人员",)]  # too small to stand alone
    assert {f.text: f.section for f in result.figures} == {"10人": "人员 › 在职", "4人": "人员 › 退休"}


def test_untitled_report_keeps_its_first_heading(tmp_path: Path) -> None:
    body = (
        "一、基本情况\n在职人员10人，负责全县民政工作的日常运转与管理服务，人员结构较为合理。\n"
        "二、存在问题\n预算编制不够精细，执行进度偏慢，绩效目标设置还不够具体量化，需要进一步改进。\n"
    )
    result = run(tmp_path, body, title="")
    assert [c.heading for c in result.chunks] == [("基本情况",), ("存在问题",)]


def test_text_without_sentence_ends_is_still_cut_to_size(tmp_path: Path) -> None:
    settings = Settings()
    for body in ("支出100万元，" * 2000 + "\n", "甲" * 5000 + "\n"):
        chunks = run(tmp_path, body).chunks
        assert max(len(c.text) for c in chunks) <= settings.chunk_max_chars
        covered = "".join(c.text for c in chunks)
        assert len(covered) >= len(body.strip())  # nothing lost, some overlap allowed


def test_last_rows_of_a_long_table_keep_their_headers(tmp_path: Path) -> None:
    rows = "".join(f"\t救助项目第{i}类\n\t{i}0\n\t{i}\n\n" for i in range(1, 37))
    table = "\t项目\n\t预算（万元）\n\t执行（万元）\n\n" + rows + "\t合计\n\t50\n\t40\n\n\n"
    chunks = run(tmp_path, "附表\n" + table).chunks
    last = chunks[-1].index_text.splitlines()[-1]
    assert last == "合计 预算 50万元 执行 40万元"


def test_odd_numbering_does_not_fail_the_file(tmp_path: Path) -> None:
    result = run(tmp_path, "(十十)说明\n正文内容较长一些，说明本单位的基本情况和主要职能。\n")
    assert result.chunks


def test_a_table_caption_ends_with_its_table(tmp_path: Path) -> None:
    body = (
        "一、基本情况\n支出明细表\n\t项目\n\t金额（万元）\n\t备注\n\n\t办公费\n\t12\n\t无\n\n\n"
        "项目完成率95%，群众满意度较高，达到了年初设定的绩效目标。\n"
    )
    result = run(tmp_path, body)
    assert {f.text: f.section for f in result.figures} == {"12": "基本情况 › 支出明细表", "95%": "基本情况"}


def test_a_unit_line_is_no_caption_and_a_long_cell_is_cut_to_size(tmp_path: Path) -> None:
    long_cell = "本项目主要用于农田水利设施建设，" * 120
    body = f"一、收支情况\n单位：万元\n\t项目\n\t说明\n\n\t水利\n\t{long_cell}\n\n\n"
    result = run(tmp_path, body)
    assert all("单位" not in part for c in result.chunks for part in c.heading)
    assert max(len(c.text) for c in result.chunks) <= Settings().chunk_max_chars


def test_markdown_headings_set_the_path(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    filler = "本单位认真履行职责，较好完成了全年各项工作任务，群众满意度持续提高。"
    path.write_text(f"# 2024年度某县民政局部门整体支出绩效自评报告\n\n## 部门概况\n\n### 收入\n\n{filler}\n\n"
                    f"### 支出\n\n{filler}\n", encoding="utf-8")  # fmt: skip
    result = process_file(path, Settings())
    assert [c.heading for c in result.chunks] == [("部门概况", "收入"), ("部门概况", "支出")]
