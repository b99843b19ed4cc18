"""Charts of a multi-figure answer, read at a glance: years along the x-axis, organisations as bars.

An answer's figures over several years of one organisation are a time series: a line over the years in
order, each point labelled with its value. Figures of several organisations are a comparison: one bar each,
with the full organisation name (never cut) and the value at the bar's end. The unit is in the title, so no
axis says "项". Only figures in the leading figure's unit are drawn (a share beside a sum means nothing).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from qa_app.answer.contract import Answer

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, sans-serif"


def chart_data(answer: Answer) -> pd.DataFrame:
    """One row per organisation and year: 单位, 年度 (text, "2024年"), 年, 指标, 数值, 计量单位."""
    lead = answer.figures[0]
    rows = [
        {
            "单位": f.org or "单位不详",
            "年度": f"{f.year}年" if f.year else "年度不详",
            "年": f.year or 0,
            "指标": f.metric,
            "数值": -f.value if f.direction == "down" else f.value,
        }
        for f in answer.figures
        if f.unit == lead.unit
    ]
    return pd.DataFrame(rows).drop_duplicates(["单位", "年度"]).reset_index(drop=True)


def answer_chart(answer: Answer) -> alt.Chart | None:
    """A time series (one organisation, several years) or a comparison (several organisations); None otherwise."""
    if not answer.figures:
        return None
    data = chart_data(answer)
    unit = answer.figures[0].unit
    metric = answer.figures[0].metric
    orgs, years = data["单位"].nunique(), data["年度"].nunique()
    if len(data) < 2:
        return None
    if orgs == 1 and years > 1:
        title = f"{data['单位'].iloc[0]} {metric}（{unit}）"
        order = sorted(data["年度"], key=lambda y: data.loc[data["年度"] == y, "年"].iloc[0])
        x = alt.X("年度:O", sort=order, title="年度", axis=alt.Axis(labelAngle=0, labelLimit=0))
        y = alt.Y("数值:Q", title=unit, scale=alt.Scale(zero=True))
        base = alt.Chart(data).encode(x=x, y=y, tooltip=["单位", "年度", "指标", "数值"])
        chart = base.mark_line(point=alt.OverlayMarkDef(size=80)) + base.mark_text(dy=-12, fontSize=13).encode(
            text=alt.Text("数值:Q", format=",.2f")
        )
    else:
        data["项"] = data["单位"] + (" " + data["年度"] if years > 1 else "")
        title = f"{metric}（{unit}）" + (f" · {data['年度'].iloc[0]}" if years == 1 else "")
        y = alt.Y("项:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0))
        x = alt.X("数值:Q", title=unit)
        base = alt.Chart(data).encode(y=y, x=x, tooltip=["单位", "年度", "指标", "数值"])
        chart = base.mark_bar() + base.mark_text(align="left", dx=4, fontSize=13).encode(
            text=alt.Text("数值:Q", format=",.2f")
        )
    return chart.properties(title=title, height=max(220, 48 * len(data))).configure(font=FONT)
