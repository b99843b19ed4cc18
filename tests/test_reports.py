"""Report boundaries and metadata on small generated files."""

from __future__ import annotations

from pathlib import Path

from qa_app.config import Settings
from qa_app.sandbox import process_file


def reports(tmp_path: Path, text: str) -> list[tuple[str, str, str, int | None, str]]:
    path = tmp_path / "r.txt"
    path.write_text(text, encoding="utf-8")
    return [(r.title, r.org, r.region, r.year, r.type) for r in process_file(path, Settings()).reports]


def test_no_title_no_org_no_year(tmp_path: Path) -> None:
    assert reports(tmp_path, "工作总结\n本单位全年完成各项任务。\n") == [("工作总结", "", "", None, "其他")]


def test_attachment_table_then_report_split_in_two(tmp_path: Path) -> None:
    text = (
        "附件1\n二〇二三年度广东省广州市天河区财政局\n整体支出绩效自评表\n\t项目\n\t金额\n\n\n"
        "附件2\n2023年度广州市天河区财政局整体支出绩效自评报告\n一、基本情况\n在职人员20人。\n"
    )
    assert reports(tmp_path, text) == [
        ("2023年度广东省广州市天河区财政局整体支出绩效自评表", "广东省广州市天河区财政局",
         "广东省 › 广州市 › 天河区", 2023, "自评表"),
        ("2023年度广州市天河区财政局整体支出绩效自评报告", "广州市天河区财政局", "广州市 › 天河区", 2023,
         "部门整体支出"),
    ]  # fmt: skip


def test_table_named_in_prose_stays_inside_its_report(tmp_path: Path) -> None:
    text = (
        "2024年度某市教育局部门整体支出绩效自评报告\n本年度自评98分（绩效自评表如下）。\n"
        "2024年度部门整体支出绩效自评表\n\t指标\n\t分值\n\n\n"
        "2024年某市教育局校舍维修项目支出绩效自评报告\n项目资金100万元。\n"
    )
    found = reports(tmp_path, text)
    assert [r[0] for r in found] == [
        "2024年度某市教育局部门整体支出绩效自评报告",
        "2024年某市教育局校舍维修项目支出绩效自评报告",
    ]
    assert [r[4] for r in found] == ["部门整体支出", "项目支出"]


def test_org_from_a_labelled_field_and_inherited_by_the_next_report(tmp_path: Path) -> None:
    text = (
        "2022年度部门整体支出绩效评价报告\n\t单位名称\n\t湘西州吉首市民政局\n\n\n正文。\n"
        "2022年低保资金项目支出绩效评价报告\n\t项目实施单位\n\t民政局\n\n\n正文。\n"
    )
    assert [(r[1], r[2], r[3]) for r in reports(tmp_path, text)] == [
        ("湘西州吉首市民政局", "湘西州 › 吉首市", 2022),
        ("湘西州吉首市民政局", "湘西州 › 吉首市", 2022),
    ]


def test_signed_date_is_not_the_fiscal_year(tmp_path: Path) -> None:
    text = "某县信访局\n\n2023年信访救助基金项目支出绩效自评报告\n正文。\n某县信访局\n2024年5月22日\n"
    assert reports(tmp_path, text)[0][3] == 2023


def test_org_names_from_titles_of_all_shapes(tmp_path: Path) -> None:
    cases = {
        "2024年度长沙市人力资源和社会保障局部门整体支出绩效自评报告": ("长沙市人力资源和社会保障局", "长沙市"),
        "2024年度沛县民政局部门整体支出绩效自评报告": ("沛县民政局", "沛县"),
        "2024年度中共长沙市委宣传部部门整体支出绩效自评报告": ("中共长沙市委宣传部", "长沙市"),
        "2024年度长沙市人民政府办公厅整体支出绩效自评报告": ("长沙市人民政府办公厅", "长沙市"),
        "2024年度长沙市第一中学部门整体支出绩效自评报告": ("长沙市第一中学", "长沙市"),
    }
    for title, (org, region) in cases.items():
        assert reports(tmp_path, title + "\n正文。\n")[0][1:3] == (org, region), title


def test_attachment_lists_and_numbered_titles_open_no_report(tmp_path: Path) -> None:
    text = (
        "2024年度某某县民政局部门整体支出绩效自评报告\n附件:\n1.2024年度低保项目支出绩效自评报告\n"
        "2.2024年度救助项目支出绩效自评报告\n二、2024年度绩效自评报告\n正文。\n"
    )
    assert len(reports(tmp_path, text)) == 1


def test_attachment_line_is_not_part_of_the_title(tmp_path: Path) -> None:
    text = "2024年度某某县民政局部门整体支出绩效自评报告\n正文。\n附件2\n低保项目支出绩效自评报告\n正文。\n"
    assert [r[0] for r in reports(tmp_path, text)][1] == "低保项目支出绩效自评报告"


def test_org_from_any_part_of_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "湘潭县信访局_2024.txt"
    path.write_text("工作总结\n本单位全年完成各项任务。\n", encoding="utf-8")
    assert process_file(path, Settings()).reports[0].org == "湘潭县信访局"


def test_reports_tile_the_stored_text_even_with_invisible_characters(tmp_path: Path) -> None:
    text = (
        "2024年度某某县民政局部门整体支出绩效自评报告\n正文。\n[bookmark: _GoBack]"
        "2024年低保项目支出绩效自评报告\n正文。\u200b"
    )
    path = tmp_path / "r.txt"
    path.write_text(text, encoding="utf-8")
    found = process_file(path, Settings()).reports
    assert len(found) == 2
    assert found[0].start == 0 and found[0].end == found[1].start and found[1].end == len(text)


def test_title_lead_ins_and_chinese_year_digits(tmp_path: Path) -> None:
    cases = {
        "关于2024年度湘潭县卫生健康局部门整体支出的绩效自评报告": ("湘潭县卫生健康局", 2024),
        "关于湘潭县卫生健康局2024年度部门整体支出绩效自评报告": ("湘潭县卫生健康局", 2024),
        "二○二四年度湘潭县民政局部门整体支出绩效自评报告": ("湘潭县民政局", 2024),
    }
    for title, (org, year) in cases.items():
        found = reports(tmp_path, title + "\n正文。\n")[0]
        assert (found[1], found[3]) == (org, year), title


def test_title_with_a_note_and_an_inline_attachment_marker(tmp_path: Path) -> None:
    text = (
        "2024年度某某县民政局部门整体支出绩效自评报告（公示稿）\n正文。\n"
        "附件2：2024年度某某县民政局低保项目支出绩效自评表\n\t项目\n\t金额（万元）\n\n\t合计\n\t300\n\n\n"
    )
    found = reports(tmp_path, text)
    assert [r[4] for r in found] == ["部门整体支出", "自评表"]


def test_org_from_a_name_line_runs_to_the_suffix_that_closes_the_name(tmp_path: Path) -> None:
    """社, 会, 府 stand inside longer names ("人力资源和社会保障局", "人民政府办公室"): the name runs on."""
    cases = {
        "万 安 县 人 力 资 源 和 社 会 保 障 局": ("万安县人力资源和社会保障局", "万安县"),
        "长沙市人民政府办公室": ("长沙市人民政府办公室", "长沙市"),
        "某县供销合作社": ("某县供销合作社", "某县"),
        "中共长沙市委宣传部": ("中共长沙市委宣传部", "长沙市"),
    }
    for line, (org, region) in cases.items():
        text = f"{line}\n\n\n2019年度部门整体支出绩效自评报告\n\n我局全年支出100万元。\n"
        assert reports(tmp_path, text)[0][1:4] == (org, region, 2019), line


def test_org_named_most_often_in_prose_is_the_whole_name(tmp_path: Path) -> None:
    text = (
        "2019年度部门整体支出绩效自评报告\n宜黄县人力资源和社会保障局关于开展绩效自评的情况如下。\n"
        "宜黄县人力资源和社会保障局全年支出100万元。\n"
    )
    assert reports(tmp_path, text)[0][1] == "宜黄县人力资源和社会保障局"
