"""The normalised view: what it folds, and that every view span maps back to the stored text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.text.normalize import normalize


def test_full_width_digits_and_punctuation_fold() -> None:
    view = normalize("基本支出２８１．９８万元，占３０．６１％。")
    assert view.text == "基本支出281.98万元,占30.61%。"


def test_spaces_inside_numbers_and_units_are_removed() -> None:
    assert normalize("收支总预算 1805.99 万元, 上升3.2 %").text == "收支总预算 1805.99万元, 上升3.2%"
    assert normalize("2021 年度").text == "2021年度"


def test_chinese_year_digits_and_ling() -> None:
    assert normalize("二〇二四年度报告").text == "2024年度报告"
    assert normalize("一〇八").text == "一零八"


def test_traditional_characters_are_simplified() -> None:
    assert normalize("岳陽市信訪局").text == "岳阳市信访局"


def test_artefacts_are_dropped_but_offsets_still_point_into_stored_text() -> None:
    stored = "整体支出\n[bookmark: _GoBack]绩效自评报告"
    view = normalize(stored)
    assert view.text == "整体支出\n绩效自评报告"
    start = view.text.index("绩效")
    s, e = view.stored_span(start, start + 2)
    assert stored[s:e] == "绩效"


def test_number_span_maps_to_stored_text_with_its_space() -> None:
    stored = "实际支出总额 1857.41 万元"
    view = normalize(stored)
    i = view.text.index("1857")
    s, e = view.stored_span(i, view.text.index("元") + 1)
    assert stored[s:e] == "1857.41 万元"


_TEXT = st.text(
    alphabet=st.sampled_from(
        list("0123456789０１２.．，,%％ 　\t\n万元人次年〇零一二三四岳陽信訪局abc[]bookmark:_GoBack\r\ufeff")
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_offsets_round_trip_on_arbitrary_text(stored: str) -> None:
    view = normalize(stored)
    assert len(view.src) == len(view.text) + 1
    assert all(0 <= int(p) <= len(stored) for p in view.src)
    assert list(view.src) == sorted(view.src)  # the map never runs backwards
    for i, ch in enumerate(view.text):
        s, e = view.stored_span(i, i + 1)
        assert 0 <= s < e <= len(stored)
        if ch.isdigit():  # a digit of the view stands on a digit of the stored text
            assert stored[s] in "0123456789０１２〇零一二三四"


def test_line_ends_crlf_and_lone_cr() -> None:
    assert normalize("标题\r\n正文\r\n").text == "标题\n正文\n"
    view = normalize("标题\r一、基本情况\r正文")
    assert view.text == "标题\n一、基本情况\n正文"
    assert len(view.src) == len(view.text) + 1


def test_pinyin_after_characters_is_dropped_and_offsets_stay_exact() -> None:
    stored = "2023年,陽(yáng)新縣財(cái)政收入143938萬(wàn)元,措施(a)"
    norm = normalize(stored)
    assert norm.text == "2023年,阳新县财政收入143938万元,措施(a)"  # "(a)" has no tone mark: kept
    start = norm.text.index("143938")
    a, b = norm.stored_span(start, start + len("143938万元"))
    assert stored[a:b] == "143938萬(wàn)元"
