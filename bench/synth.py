"""A synthetic archive of budget-performance self-evaluation reports (绩效自评报告) with gold questions,
to measure the product at archive scale (5, 100, 1,000, 5,000, 20,000 reports).

Usage: .venv/bin/python bench/synth.py N OUT_DIR [--seed 7] [--questions 200] [--force]
Writes OUT_DIR/corpus/ (N reports: about 40% .txt, 35% .docx, 25% .pdf) and OUT_DIR/questions.jsonl in the
schema of shared/eval/dev_questions.jsonl, then prints a one-line summary.

Design:
- Nesting. Report i depends only on (seed, i): a seeded stream picks (organisation, year) pairs one after
  the other (new organisations with a run of consecutive years, interleaved with further years of ones
  already open), so the first 100 reports of a 5,000 archive are the 100 of a 100 archive, byte for byte
  (.docx files are re-zipped with fixed timestamps, PDFs are written in reportlab's invariant mode). The
  format and the file name of report i come from (seed, i); no (organisation, year) occurs twice.
- Consistency. Every figure of (organisation, year) is a deterministic function of (seed, organisation,
  year), never of i: a report that says "上年为…" quotes exactly what that organisation's report of the
  previous year states as its own figure, whether or not that report is in the archive. Amounts are kept
  in fen (integers), so parts add up exactly (基本支出 + 项目支出 = 支出合计, 人员经费 + 公用经费 = 基本支出,
  the three 三公 items = 三公经费, the 元 table's rows = 人员经费 and 公用经费).
- Paraphrase. Reports vary their titles, headings, metric wording (公务接待费 / 公务接待支出, 基本支出 /
  基本经费支出 …), tables, line ends and encodings; questions name metrics in other words than the report
  does, name the organisation in several ways (full name, region stem, district without its city,
  department abbreviation, no year meaning the newest report), and vary the asking. The same metric occurs
  in every organisation and year, so only a question read with its organisation and year is answered right.
- Fairness. Region stems are unique and no stem is part of another place's name, asked figures stand once
  in prose with their unit (tables repeat them, never with other values), figures in 元 with thousands
  separators are never asked, zero amounts are never asked, and negatives name places and departments from
  reserved lists that are never generated, years that no report states (2016's report states 2015's
  figures, so 2015 is never used), or a department's own project metric for another department type.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import shutil
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import docgen  # noqa: E402  (tests/docgen.py: the project's .docx / .pdf writers)

from qa_app.readers.base import render_blocks  # noqa: E402
from qa_app.structure.reports import is_title_line  # noqa: E402

FIRST_YEAR, LAST_YEAR = 2016, 2024
NEGATIVE_YEARS = (2012, 2013, 2014, 2025, 2026)  # 2015 is stated by every 2016 report as its 上年
FORMATS = ("txt", "docx", "pdf")
FORMAT_BLOCK = 20  # per block of 20 reports: 8 .txt, 7 .docx, 5 .pdf, the first three one of each
NEW_ORG = 0.3  # chance that the next report opens a new organisation rather than another year of an open one
RUN_LENGTHS = (1, 1, 2, 2, 3, 3, 4, 5, 6, 9)  # consecutive years an organisation reports
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


# --- places ----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# Prefecture-level cities, their districts (named with the city: 株洲市渌口区), and county-level places.
# Chosen so that every stem (岳阳市 → 岳阳) is unique and no stem is part of another place's name or a
# common word (新建, 会同, 万年 and the like are left out), so that "岳阳教育局" names one organisation.
_CITIES = {
    "长沙市": "芙蓉区 天心区 岳麓区 开福区 雨花区 望城区",
    "株洲市": "荷塘区 芦淞区 石峰区 天元区 渌口区",
    "衡阳市": "珠晖区 雁峰区 石鼓区 蒸湘区 南岳区",
    "邵阳市": "双清区 大祥区",
    "岳阳市": "君山区 云溪区",
    "常德市": "武陵区 鼎城区",
    "益阳市": "赫山区 资阳区",
    "郴州市": "北湖区 苏仙区",
    "永州市": "零陵区 冷水滩区",
    "怀化市": "鹤城区",
    "娄底市": "娄星区",
    "张家界市": "",
    "黄石市": "下陆区",
    "十堰市": "茅箭区 张湾区",
    "宜昌市": "西陵区 伍家岗区 夷陵区",
    "襄阳市": "襄城区 樊城区 襄州区",
    "荆门市": "东宝区 掇刀区",
    "孝感市": "孝南区",
    "荆州市": "",
    "黄冈市": "黄州区",
    "咸宁市": "咸安区",
    "随州市": "曾都区",
    "鄂州市": "",
    "南昌市": "东湖区 青山湖区 红谷滩区",
    "景德镇市": "珠山区 昌江区",
    "萍乡市": "安源区",
    "九江市": "濂溪区 浔阳区",
    "新余市": "渝水区",
    "鹰潭市": "月湖区 余江区",
    "赣州市": "章贡区 南康区",
    "吉安市": "吉州区 青原区",
    "宜春市": "袁州区",
    "抚州市": "临川区",
    "上饶市": "信州区 广丰区",
}
_COUNTIES = _words("""
湘潭县 湘乡市 韶山市 宁乡市 浏阳市 醴陵市 茶陵县 炎陵县 衡南县 衡山县 衡东县 祁东县 耒阳市 常宁市 新邵县 隆回县
洞口县 绥宁县 新宁县 武冈市 邵东市 华容县 湘阴县 平江县 汨罗市 临湘市 安乡县 汉寿县 临澧县 桃源县 石门县 桃江县
安化县 沅江市 桂阳县 宜章县 永兴县 嘉禾县 临武县 汝城县 安仁县 资兴市 祁阳市 东安县 双牌县 宁远县 蓝山县 新田县
沅陵县 辰溪县 溆浦县 洪江市 新化县 涟源市 冷水江市 双峰县 慈利县 桑植县
大冶市 阳新县 丹江口市 郧西县 竹山县 竹溪县 宜都市 当阳市 枝江市 远安县 兴山县 秭归县 老河口市 枣阳市 宜城市 南漳县
谷城县 保康县 京山市 沙洋县 钟祥市 应城市 安陆市 汉川市 孝昌县 大悟县 云梦县 石首市 洪湖市 松滋市 监利市 江陵县
麻城市 武穴市 团风县 红安县 罗田县 英山县 浠水县 蕲春县 黄梅县 赤壁市 嘉鱼县 通城县 崇阳县 通山县 广水市
进贤县 安义县 乐平市 浮梁县 上栗县 芦溪县 瑞昌市 庐山市 武宁县 修水县 永修县 德安县 都昌县 湖口县 彭泽县 分宜县
贵溪市 瑞金市 信丰县 大余县 上犹县 崇义县 安远县 龙南市 定南县 全南县 宁都县 于都县 会昌县 寻乌县 石城县 井冈山市
吉水县 峡江县 新干县 永丰县 泰和县 遂川县 万安县 安福县 永新县 丰城市 樟树市 高安市 奉新县 万载县 上高县 宜丰县
靖安县 铜鼓县 南城县 黎川县 南丰县 崇仁县 乐安县 宜黄县 金溪县 资溪县 广昌县 德兴市 玉山县 铅山县 横峰县 弋阳县
余干县 鄱阳县 婺源县
""")
# Counties of Anhui, Henan and Shandong, opened only once every place above has been (after about 11,000
# reports), so archives up to that size are the same with or without them; same rules for their stems.
_MORE_COUNTIES = _words("""
长丰县 肥东县 肥西县 庐江县 巢湖市 南陵县 无为市 怀远县 五河县 固镇县 凤台县 当涂县 含山县 濉溪县 枞阳县 怀宁县
宿松县 望江县 岳西县 桐城市 潜山市 休宁县 祁门县 来安县 全椒县 定远县 凤阳县 明光市 临泉县 太和县 阜南县 颍上县
界首市 砀山县 灵璧县 霍邱县 舒城县 金寨县 霍山县 涡阳县 蒙城县 利辛县 石台县 青阳县 郎溪县 绩溪县 旌德县 宁国市
广德市
中牟县 巩义市 荥阳市 新密市 新郑市 登封市 通许县 尉氏县 兰考县 栾川县 汝阳县 宜阳县 洛宁县 伊川县 宝丰县 鲁山县
舞钢市 汝州市 安阳县 汤阴县 内黄县 林州市 新乡县 获嘉县 原阳县 延津县 封丘县 卫辉市 修武县 武陟县 沁阳市 孟州市
清丰县 南乐县 濮阳县 鄢陵县 禹州市 长葛市 舞阳县 临颍县 渑池县 卢氏县 义马市 灵宝市 南召县 方城县 西峡县 镇平县
内乡县 淅川县 社旗县 唐河县 新野县 桐柏县 邓州市 宁陵县 柘城县 虞城县 夏邑县 永城市 罗山县 光山县 固始县 潢川县
淮滨县 扶沟县 西华县 商水县 沈丘县 郸城县 太康县 鹿邑县 项城市 西平县 上蔡县 平舆县 正阳县 确山县 泌阳县 汝南县
遂平县 新蔡县
平阴县 商河县 桓台县 高青县 沂源县 滕州市 利津县 广饶县 龙口市 莱阳市 莱州市 招远市 栖霞市 海阳市 临朐县 昌乐县
青州市 诸城市 寿光市 安丘市 昌邑市 微山县 鱼台县 金乡县 嘉祥县 汶上县 泗水县 梁山县 曲阜市 邹城市 宁阳县 东平县
新泰市 肥城市 乳山市 五莲县 沂南县 郯城县 沂水县 兰陵县 平邑县 莒南县 蒙阴县 临沭县 宁津县 庆云县 临邑县 齐河县
夏津县 武城县 乐陵市 禹城市 阳谷县 东阿县 高唐县 临清市 无棣县 博兴县 邹平市 成武县 巨野县 郓城县 鄄城县
东明县
""")
# Never generated at any N: the places of negative questions (Fujian, Guangdong, Zhejiang).
RESERVED_REGIONS = _words("""
晋江市 南安市 安溪县 惠安县 福清市 仙游县 南靖县 建瓯市 博罗县 惠来县 普宁市 陆丰市 兴宁市 大埔县 丰顺县 五华县
桐乡市 海宁市 诸暨市 义乌市 东阳市 永康市 安吉县 德清县 临海市 仙居县 苍南县 龙游县 长兴县 泉州市 漳州市 温州市
金华市 湖州市 梅州市 汕头市
""")
# Never generated at any N: the departments of negative questions.
RESERVED_DEPTS = (
    "审计局", "统计局", "商务局", "林业局", "体育局", "医疗保障局", "退役军人事务局", "住房和城乡建设局",
    "生态环境局", "应急管理局", "发展和改革局", "科学技术局",
)  # fmt: skip


def _stem(name: str) -> str:
    """The name without its level ("岳阳市" → "岳阳"), as qa_app.text.names.region_stem reads it."""
    return name[:-1]


@dataclass(frozen=True)
class Region:
    name: str
    kind: str  # "city" (prefecture level), "county" (县 or county-level 市) or "district"
    parent: str = ""  # the city of a district

    @property
    def stem(self) -> str:
        return _stem(self.name)

    @property
    def level(self) -> str:
        """县, 市 or 区: the word in 全县 / 县委、县政府 / 县财政局."""
        return self.name[-1]

    @property
    def path(self) -> str:
        return self.parent + self.name


def _regions() -> list[Region]:
    out: list[Region] = []
    for city, districts in _CITIES.items():
        out.append(Region(city, "city"))
        out += [Region(d, "district", city) for d in districts.split()]
    out += [Region(c, "county") for c in _COUNTIES]
    return out


REGIONS = _regions()
MORE_REGIONS = [Region(c, "county") for c in _MORE_COUNTIES]


def _check_places() -> None:
    """Stems unique, and no stem inside another place's name: "湘潭教育局" must name one organisation."""
    names = [r.name for r in REGIONS + MORE_REGIONS] + RESERVED_REGIONS
    assert len(set(names)) == len(names), "a place twice"
    stems = [_stem(n) for n in names]
    assert len(set(stems)) == len(stems), "two places share a stem"
    for s in stems:
        assert len(s) >= 2
        clashes = [n for n in names if s in n and _stem(n) != s]
        assert not clashes, f"stem {s} inside {clashes}"


_check_places()


# --- departments -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """A counted output of a department's key project: "资助家庭经济困难学生12345人次"."""

    label: str
    unit: str
    low: int
    high: int
    asks: tuple[str, ...]  # how a question names it
    decimals: int = 0


@dataclass(frozen=True)
class Dept:
    key: str
    county_name: str
    city_name: str
    abbrev: tuple[str, str]  # (county, city) abbreviations people use; "" when none
    scale: tuple[int, int]  # yearly spending of a county-level body, 万元
    basic_share: tuple[float, float]
    projects: tuple[str, ...]  # the key project's names; the first is the usual one
    keywords: tuple[str, ...]  # words only this department type ever writes
    negative_asks: tuple[str, ...]  # its project metric, as asked of another department type
    outputs: tuple[Output, ...]
    served: str  # whose 满意度
    functions: tuple[str, ...]
    goals: tuple[str, ...]
    problems: tuple[str, ...]
    measures: tuple[str, ...]

    def name(self, region: Region) -> str:
        return self.city_name if region.kind == "city" else self.county_name

    def short(self, region: Region) -> str:
        return self.abbrev[1] if region.kind == "city" else self.abbrev[0]


def _o(label: str, unit: str, low: int, high: int, *asks: str, decimals: int = 0) -> Output:
    return Output(label, unit, low, high, asks or (label,), decimals)


# {全}: 全县 / 全市 / 全区; {委}: 县委、县政府 …
DEPTS: tuple[Dept, ...] = (
    Dept(
        "信访", "信访局", "信访局", ("", ""), (300, 900), (0.35, 0.7),
        ("信访救助资金", "信访救助专项资金", "信访救助基金"), ("信访救助",), ("信访救助资金支出", "信访救助支出"),
        (
            _o("救助信访困难群众", "人", 30, 260, "救助信访困难群众", "救助的信访困难群众"),
            _o("化解信访积案", "件", 15, 180, "化解信访积案", "化解的信访积案"),
            _o("受理群众来信", "件", 120, 2600, "受理群众来信", "受理的群众来信"),
            _o("接待群众来访", "人次", 300, 5000, "接待群众来访", "接待来访群众"),
        ),
        "信访群众",
        (
            "负责处理人民群众给{委}及其领导同志的来信，接待群众来访，受理网上信访事项",
            "承办上级机关和{委}交办的信访事项，督促检查领导同志批示件的落实情况",
            "综合反映群众来信来访中提出的意见、建议和问题，开展调查研究，为{委}决策提供信访信息",
            "协调处理{全}跨地区、跨部门的重大信访问题和群众集体上访事件",
            "指导{全}信访工作业务，组织信访干部培训，总结推广信访工作经验",
            "负责{全}信访工作联席会议的日常工作",
        ),
        (
            "畅通群众信访渠道，及时就地解决群众合理诉求", "深入推进信访工作法治化",
            "全力做好重大活动和敏感节点信访保障", "推动信访积案化解和重复信访治理",
            "确保不发生影响社会稳定的重大信访事件",
        ),
        (
            "信访救助资金使用的长期效益难以精准衡量", "部分信访事项突发性强，年初预算难以准确预计",
            "基层信访干部流动性较大，业务能力有待提升", "信访救助对象的甄别认定程序还需进一步规范",
        ),
        (
            "规范信访救助资金审批程序，做到专款专用", "加强与乡镇和相关部门的协调联动，推动信访积案化解",
            "加大信访法治宣传力度，引导群众依法理性表达诉求",
        ),
    ),
    Dept(
        "财政", "财政局", "财政局", ("", ""), (1500, 4000), (0.45, 0.8),
        ("财政投资评审专项经费", "财政投资评审经费", "财政投资评审工作经费"), ("投资评审",),
        ("财政投资评审经费支出", "财政投资评审专项经费"),
        (
            _o("完成财政投资评审项目", "个", 40, 400, "完成财政投资评审项目", "完成的财政投资评审项目"),
            _o("组织财政业务培训", "期", 3, 15, "组织财政业务培训", "举办财政业务培训"),
            _o("指导预算单位开展绩效自评", "家", 40, 200, "指导预算单位开展绩效自评", "指导开展绩效自评的预算单位"),
        ),
        "预算单位",
        (
            "贯彻执行国家财税方针政策，拟订{全}财政发展规划和年度财政政策措施",
            "承担财政收支管理责任，编制年度预决算草案并组织执行",
            "负责政府非税收入管理和政府性基金管理",
            "负责管理{全}行政事业单位国有资产",
            "组织开展预算绩效管理，建立全过程预算绩效管理体系",
            "负责政府采购监督管理工作",
        ),
        (
            "保障基层“三保”支出需要", "深化预算管理制度改革", "提高财政资金使用效益",
            "全面实施预算绩效管理", "加强政府债务风险防控",
        ),
        (
            "部分预算单位绩效目标编制质量不高", "财政投资评审项目送审资料不够完整，影响评审进度",
            "财政信息化系统之间数据共享不够充分",
        ),
        (
            "加强对预算单位的业务指导和培训", "规范财政投资评审工作流程，提高评审效率",
            "推进预算管理一体化系统建设",
        ),
    ),
    Dept(
        "教育", "教育局", "教育局", ("", ""), (6000, 30000), (0.55, 0.85),
        ("学生资助资金", "学生资助专项资金", "学生资助补助经费"), ("学生资助",), ("学生资助资金支出", "学生资助资金"),
        (
            _o("资助家庭经济困难学生", "人次", 2000, 30000, "资助家庭经济困难学生", "资助困难学生"),
            _o("营养改善计划惠及学生", "人", 3000, 40000, "营养改善计划惠及学生", "营养改善计划惠及的学生"),
            _o("完成校舍维修改造", "所", 5, 60, "完成校舍维修改造", "维修改造校舍"),
        ),
        "受助学生及家长",
        (
            "贯彻执行国家和上级有关教育工作的方针、政策和法规",
            "拟订{全}教育事业发展规划和年度计划并组织实施",
            "统筹管理{全}基础教育、职业教育和成人教育",
            "负责{全}中小学教师队伍建设和管理工作",
            "负责教育经费的统筹管理和学校基本建设",
            "指导{全}学校安全、德育和体育卫生艺术工作",
        ),
        (
            "推进义务教育优质均衡发展", "确保家庭经济困难学生应助尽助", "持续改善农村学校办学条件",
            "加强教师队伍建设，提升教育教学质量", "守牢校园安全底线",
        ),
        (
            "学生资助对象的认定依据还不够全面", "部分农村学校办学条件改善资金缺口较大",
            "教育经费支出结构还需进一步优化",
        ),
        (
            "完善家庭经济困难学生认定机制，做到精准资助", "统筹安排教育经费，优先保障义务教育支出",
            "加强学校财务管理培训，规范学校经费使用",
        ),
    ),
    Dept(
        "民政", "民政局", "民政局", ("", ""), (3000, 15000), (0.15, 0.4),
        ("城乡最低生活保障资金", "城乡低保资金", "最低生活保障专项资金"), ("低保", "最低生活保障", "特困"),
        ("城乡低保资金支出", "最低生活保障资金"),
        (
            _o("保障城乡低保对象", "人", 2000, 30000, "保障城乡低保对象", "保障的城乡低保对象"),
            _o("集中和分散供养特困人员", "人", 300, 3000, "供养特困人员", "集中和分散供养的特困人员"),
            _o("实施临时救助", "人次", 200, 3000, "实施临时救助", "临时救助"),
        ),
        "困难群众",
        (
            "贯彻执行民政工作的方针政策和法律法规",
            "负责{全}社会救助工作，组织实施城乡最低生活保障、特困人员救助供养和临时救助",
            "负责{全}养老服务体系建设",
            "负责{全}婚姻登记、殡葬管理和儿童福利工作",
            "指导城乡社区治理和村（居）民委员会建设",
            "负责社会组织登记和监督管理",
        ),
        ("兜牢兜准困难群众基本生活底线", "推进养老服务体系建设", "提升城乡社区治理水平", "做到应保尽保、应救尽救"),
        ("低保对象动态管理还不够及时", "部分乡镇社会救助经办力量较为薄弱", "养老服务设施运营管理还需加强"),
        (
            "健全低收入人口动态监测机制，及时将符合条件的困难群众纳入保障", "加强社会救助经办人员培训",
            "规范救助资金发放程序，确保资金安全",
        ),
    ),
    Dept(
        "卫健", "卫生健康局", "卫生健康委员会", ("卫健局", "卫健委"), (4000, 20000), (0.3, 0.6),
        ("基本公共卫生服务项目资金", "基本公共卫生服务补助资金", "基本公共卫生服务经费"), ("公共卫生服务",),
        ("基本公共卫生服务项目资金", "基本公共卫生服务经费支出"),
        (
            _o("建立规范化电子健康档案", "份", 100000, 600000, "建立规范化电子健康档案", "建立的电子健康档案"),
            _o("家庭医生签约服务", "人", 80000, 400000, "家庭医生签约服务", "家庭医生签约"),
            _o("孕产妇系统管理", "人", 2000, 9000, "孕产妇系统管理", "系统管理的孕产妇"),
        ),
        "辖区居民",
        (
            "贯彻执行卫生健康工作方针政策",
            "拟订{全}卫生健康事业发展规划并组织实施",
            "组织实施基本公共卫生服务项目和重大公共卫生服务项目",
            "负责疾病预防控制和卫生应急工作",
            "推进医药卫生体制改革",
            "负责妇幼健康、老龄健康和职业健康工作",
        ),
        ("提高居民健康素养水平", "做实家庭医生签约服务", "提升基层医疗卫生服务能力", "有效防控重大传染病"),
        (
            "基层医疗卫生机构人才队伍不够稳定", "部分公共卫生服务项目资金拨付进度偏慢",
            "健康档案的动态更新和使用率还不高",
        ),
        ("加强基层卫生人才引进和培养", "加快公共卫生服务项目资金拨付进度", "推进健康档案向居民开放使用"),
    ),
    Dept(
        "农业", "农业农村局", "农业农村局", ("", ""), (3000, 12000), (0.2, 0.5),
        ("耕地地力保护补贴资金", "耕地地力保护补贴", "耕地地力保护专项资金"), ("耕地地力保护",),
        ("耕地地力保护补贴资金支出", "耕地地力保护补贴"),
        (
            _o("补贴耕地面积", "万亩", 20, 150, "补贴耕地面积", "补贴的耕地面积", decimals=2),
            _o("惠及农户", "户", 30000, 150000, "惠及农户", "惠及的农户"),
            _o("新建高标准农田", "亩", 5000, 40000, "新建高标准农田", "新建的高标准农田"),
        ),
        "农户",
        (
            "贯彻执行“三农”工作方针政策",
            "统筹推进{全}乡村振兴和农业农村现代化",
            "负责粮食等主要农产品生产和耕地质量建设相关工作",
            "负责农田建设管理",
            "负责农产品质量安全监督管理",
            "组织实施农业技术推广和农民教育培训",
        ),
        ("稳定粮食播种面积和产量", "巩固拓展脱贫攻坚成果", "推进高标准农田建设", "促进农民持续增收"),
        (
            "补贴面积核实工作量大，基础数据更新不够及时", "部分项目前期工作滞后，资金支付进度偏慢",
            "农业项目后续管护机制不健全",
        ),
        ("加强补贴面积核实和公示，确保补贴资金精准发放", "建立农业项目建后管护长效机制", "加快项目前期工作进度"),
    ),
    Dept(
        "交通", "交通运输局", "交通运输局", ("交通局", "交通局"), (2000, 10000), (0.2, 0.5),
        ("农村公路养护资金", "农村公路养护专项资金", "农村公路日常养护经费"), ("农村公路养护", "公路日常养护"),
        ("农村公路养护资金支出", "农村公路养护资金"),
        (
            _o("完成农村公路日常养护", "公里", 800, 4000, "完成农村公路日常养护", "农村公路日常养护里程"),
            _o("完成危桥改造", "座", 3, 40, "完成危桥改造", "改造危桥"),
            _o("实施公路安防工程", "公里", 20, 200, "实施公路安防工程", "公路安防工程"),
        ),
        "沿线群众",
        (
            "贯彻执行交通运输方针政策和法律法规",
            "负责{全}公路、水路交通运输行业管理",
            "负责农村公路建设和管理工作",
            "负责道路运输市场监管和运输安全监督",
            "指导城乡客运一体化发展",
        ),
        ("提升农村公路通行条件", "保障道路运输安全畅通", "推进“四好农村路”建设"),
        (
            "农村公路里程长、资金需求大，养护资金相对不足", "部分路段养护质量不够稳定",
            "危桥改造项目前期手续办理周期较长",
        ),
        ("落实路长制，压实养护责任", "加强养护质量检查考核", "积极争取上级资金支持"),
    ),
    Dept(
        "司法", "司法局", "司法局", ("", ""), (400, 1500), (0.5, 0.8),
        ("法律援助经费", "法律援助专项经费", "法律援助办案补贴资金"), ("法律援助",),
        ("法律援助经费支出", "法律援助经费"),
        (
            _o("办理法律援助案件", "件", 200, 1500, "办理法律援助案件", "办理的法律援助案件"),
            _o("调解矛盾纠纷", "件", 1000, 8000, "调解矛盾纠纷", "调解的矛盾纠纷"),
            _o("开展普法宣传活动", "场", 30, 300, "开展普法宣传活动", "普法宣传活动"),
        ),
        "受援群众",
        (
            "负责{全}法治建设的统筹协调工作",
            "负责{全}普法宣传教育工作",
            "负责{全}人民调解和基层法治建设工作",
            "负责公证、律师等法律服务的管理",
            "负责社区矫正工作",
            "负责行政执法协调监督工作",
        ),
        ("提升公共法律服务水平", "深入开展普法宣传教育", "及时化解基层矛盾纠纷", "让困难群众获得及时便利的法律服务"),
        (
            "基层司法所人员力量不足", "法律援助案件补贴标准偏低，律师参与积极性不高",
            "人民调解员专业化水平有待提高",
        ),
        ("加强司法所规范化建设", "完善法律援助案件质量评估机制", "开展人民调解员业务培训"),
    ),
    Dept(
        "人社", "人力资源和社会保障局", "人力资源和社会保障局", ("人社局", "人社局"), (1500, 6000), (0.4, 0.7),
        ("就业补助资金", "就业专项补助资金", "就业创业补助资金"), ("就业补助", "就业专项补助", "就业创业补助"),
        ("就业补助资金支出", "就业补助资金"),
        (
            _o("新增城镇就业", "人", 1500, 12000, "新增城镇就业", "城镇新增就业"),
            _o("开展职业技能培训", "人次", 500, 8000, "开展职业技能培训", "职业技能培训"),
            _o("帮助就业困难人员实现就业", "人", 100, 1500, "帮助就业困难人员实现就业", "就业困难人员实现就业"),
        ),
        "参保群众和培训学员",
        (
            "贯彻执行人力资源和社会保障工作方针政策",
            "拟订{全}就业创业政策并组织实施",
            "负责{全}社会保险政策的组织实施",
            "负责职业能力建设和技能人才培养",
            "负责劳动关系协调和劳动保障监察工作",
            "负责事业单位人事管理和工资福利工作",
        ),
        ("实现更加充分更高质量就业", "扩大社会保险覆盖面", "构建和谐劳动关系"),
        ("补贴资金申领审核程序较为复杂", "职业技能培训与市场需求衔接不够紧密", "劳动保障监察执法力量不足"),
        ("简化补贴申领流程，推行网上经办", "围绕产业需求开展订单式培训", "加强劳动保障监察队伍建设"),
    ),
    Dept(
        "自然资源", "自然资源局", "自然资源和规划局", ("", ""), (1500, 6000), (0.35, 0.7),
        ("地质灾害防治专项资金", "地质灾害防治经费", "地质灾害综合防治资金"), ("地质灾害",),
        ("地质灾害防治专项资金支出", "地质灾害防治经费"),
        (
            _o("排查地质灾害隐患点", "处", 50, 400, "排查地质灾害隐患点", "排查的地质灾害隐患点"),
            _o("完成地质灾害治理工程", "个", 2, 20, "完成地质灾害治理工程", "地质灾害治理工程"),
            _o("办理不动产登记", "件", 5000, 40000, "办理不动产登记", "办理的不动产登记"),
        ),
        "受益群众",
        (
            "履行{全}自然资源资产所有者职责和国土空间用途管制职责",
            "负责{全}国土空间规划编制和实施监督",
            "负责耕地保护和土地整治工作",
            "负责不动产统一登记工作",
            "负责自然资源执法监察工作",
        ),
        ("守住耕地保护红线", "提升不动产登记服务效率", "有效防范自然灾害风险"),
        ("隐患点多面广，监测预警能力不足", "不动产登记历史遗留问题化解难度较大", "自然资源执法监管手段相对单一"),
        ("完善群测群防体系，提高监测预警水平", "推进不动产登记“一窗受理”", "运用卫片执法强化动态监管"),
    ),
    Dept(
        "水利", "水利局", "水利局", ("", ""), (2000, 8000), (0.2, 0.5),
        ("小型水库除险加固资金", "小型水库除险加固专项资金", "小型水库除险加固补助资金"), ("除险加固",),
        ("小型水库除险加固资金支出", "水库除险加固资金"),
        (
            _o("完成小型水库除险加固", "座", 3, 30, "完成小型水库除险加固", "除险加固的小型水库"),
            _o("新建和改造农村供水工程", "处", 5, 80, "新建和改造农村供水工程", "农村供水工程"),
            _o("巩固提升农村供水人口", "人", 5000, 60000, "巩固提升农村供水人口", "农村供水巩固提升人口"),
        ),
        "受益群众",
        (
            "贯彻执行水利工作方针政策",
            "负责{全}水资源的合理开发利用和保护",
            "负责水利工程建设与运行管理",
            "负责水旱灾害防御的有关工作",
            "负责农村饮水安全和农田水利建设",
            "负责河湖管理和河长制日常工作",
        ),
        ("确保水库安全度汛", "提升农村供水保障水平", "推进河湖长制落实"),
        ("部分小型水库管护人员专业素质不高", "水利工程建后管护经费不足", "项目建设进度受天气影响较大"),
        ("落实小型水库安全管理责任人", "建立工程建后管护经费保障机制", "科学安排施工时序，加快项目建设进度"),
    ),
    Dept(
        "文旅", "文化旅游广电局", "文化旅游广电局", ("文旅广电局", "文旅广电局"), (800, 3000), (0.4, 0.7),
        ("送戏下乡专项经费", "送戏下乡经费", "送戏下乡补助资金"), ("送戏下乡",), ("送戏下乡经费支出", "送戏下乡经费"),
        (
            _o("开展送戏下乡演出", "场", 30, 300, "开展送戏下乡演出", "送戏下乡演出"),
            _o("组织群众文化活动", "场", 50, 500, "组织群众文化活动", "举办群众文化活动"),
            _o("免费开放公共文化场馆", "个", 3, 20, "免费开放公共文化场馆", "免费开放的公共文化场馆"),
        ),
        "基层群众",
        (
            "贯彻执行文化、旅游、广播电视工作方针政策",
            "统筹规划{全}公共文化服务体系建设",
            "负责文物保护和非物质文化遗产保护工作",
            "推进文化和旅游融合发展",
            "负责文化市场综合执法监督工作",
            "负责广播电视公共服务和安全播出",
        ),
        ("丰富基层群众精神文化生活", "推进文旅融合发展", "加强文物和非遗保护利用"),
        ("基层文化设施使用效率不高", "文化活动内容与群众需求结合不够紧密", "文旅项目资金投入相对分散"),
        ("推行群众“点单”式文化服务", "统筹整合文化旅游项目资金", "加强基层文化队伍建设"),
    ),
    Dept(
        "市场", "市场监督管理局", "市场监督管理局", ("市场监管局", "市场监管局"), (1200, 4000), (0.5, 0.8),
        ("食品安全抽检经费", "食品安全监督抽检专项经费", "食品安全抽检专项资金"), ("抽检",),
        ("食品安全抽检经费支出", "食品安全抽检经费"),
        (
            _o("完成食品安全监督抽检", "批次", 500, 4000, "完成食品安全监督抽检", "食品安全监督抽检"),
            _o("检查各类市场主体", "家", 1000, 8000, "检查各类市场主体", "检查的市场主体"),
            _o("处理投诉举报", "件", 300, 3000, "处理投诉举报", "处理的投诉举报"),
        ),
        "消费者",
        (
            "负责{全}市场综合监督管理",
            "负责市场主体统一登记注册",
            "负责食品安全监督管理综合协调",
            "负责药品、医疗器械和化妆品的监督管理",
            "负责特种设备安全监督管理",
            "负责计量、标准化和认证认可工作",
        ),
        ("守牢食品药品安全底线", "优化营商环境", "维护公平竞争的市场秩序"),
        ("基层监管人员数量与监管任务不相适应", "食品安全监督覆盖面还需扩大", "智慧监管手段应用不够充分"),
        ("优化监督计划，提高问题发现率", "推进信用监管和“双随机、一公开”监管", "加强基层所标准化建设"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Org:
    region: Region
    dept: Dept

    @property
    def dept_name(self) -> str:
        return self.dept.name(self.region)

    @property
    def name(self) -> str:
        """The full name: 湘潭县教育局, 株洲市渌口区教育局."""
        return self.region.path + self.dept_name

    @property
    def local_name(self) -> str:
        """Without the city of a district: 渌口区教育局."""
        return self.region.name + self.dept_name


ALL_ORGS = tuple(Org(r, d) for r in REGIONS for d in DEPTS)
MORE_ORGS = tuple(Org(r, d) for r in MORE_REGIONS for d in DEPTS)  # after ALL_ORGS: see _MORE_COUNTIES


# --- which report is i ----------------------------------------------------------------------------


def schedule(seed: int) -> Iterator[tuple[Org, int]]:
    """(organisation, year) of report 0, 1, 2 …: a stream of the seed alone, so every archive of this seed
    is a prefix of every larger one. Each organisation gets a run of consecutive years, handed out
    interleaved with other organisations' runs, so an archive holds many multi-year organisations."""
    rng = random.Random(f"{seed}|schedule")
    fresh = list(ALL_ORGS)
    rng.shuffle(fresh)
    more = list(MORE_ORGS)
    random.Random(f"{seed}|schedule-more").shuffle(more)
    pending = chain(fresh, more)
    runs: list[tuple[Org, list[int]]] = []
    while True:
        if not runs or rng.random() < NEW_ORG:
            org = next(pending, None)
            if org is not None:
                length = rng.choice(RUN_LENGTHS)
                end = rng.randint(FIRST_YEAR + length - 1, LAST_YEAR)
                years = list(range(end - length + 1, end + 1))
                rng.shuffle(years)
                runs.append((org, years))
            elif not runs:
                return
        k = rng.randrange(len(runs))
        org, years = runs[k]
        yield org, years.pop()
        if not years:
            runs.pop(k)


def file_format(seed: int, i: int) -> str:
    """Per block of FORMAT_BLOCK reports 8 .txt, 7 .docx and 5 .pdf; the first three are one of each."""
    rng = random.Random(f"{seed}|formats|{i // FORMAT_BLOCK}")
    head = list(FORMATS)
    rng.shuffle(head)
    rest = ["txt"] * 7 + ["docx"] * 6 + ["pdf"] * 4
    rng.shuffle(rest)
    return (head + rest)[i % FORMAT_BLOCK]


def file_name(seed: int, i: int, org: Org, year: int, fmt: str) -> str:
    """Varied but unique: every form holds the organisation's full name and the year (or the serial i)."""
    rng = random.Random(f"{seed}|name|{i}")
    forms = (
        f"{org.name}{year}年度部门整体支出绩效自评报告",
        f"{year}年度{org.name}整体支出绩效自评报告",
        f"{org.name}{year}年绩效自评报告",
        f"{i + 1:04d}_{org.name}_{year}",
        f"附件2-{org.name}{year}年度部门整体支出绩效自评报告",
        f"{org.name}{year}",
        f"{year}{org.name}部门整体绩效自评（公示稿）",
        f"{i + 1:05d}-{year}-{org.name}",
    )
    weights = (5, 3, 3, 2, 1, 2, 1, 1)
    return rng.choices(forms, weights)[0] + "." + fmt


# --- the figures of (organisation, year) ---------------------------------------------------------


def _fen(wan: float) -> int:
    """万元 → hundredths of 万元, the unit of account: reports print 万元 with two decimals."""
    return max(0, round(wan * 100))


@dataclass(frozen=True)
class Figures:
    """One organisation's figures for one year; money in hundredths of 万元, shares derived when written."""

    income: int
    grant: int
    other_income: int
    budget_initial: int
    total: int
    basic: int
    personnel: int
    public: int
    project: int
    projects: tuple[tuple[str, int], ...]  # (name, amount): the key project first; they add up to `project`
    kp_initial: int
    kp_full: int
    reception: int
    vehicle: int
    abroad: int
    quota: int
    staff: int
    retired: int
    cars: int
    units: int
    outputs: tuple[int, ...]  # in the Output's unit; hundredths when it has decimals
    satisfaction: int  # tenths of a percent
    score: int  # tenths of a point
    wage: int  # 元 table: 工资福利支出 + 对个人和家庭的补助 = 人员经费, 商品和服务支出 = 公用经费 (fen of 元)
    household: int

    @property
    def key_project(self) -> int:
        return self.projects[0][1]

    @property
    def sangong(self) -> int:
        return self.reception + self.vehicle + self.abroad


_PROJECT_USES = {
    "党建工作经费": "党员教育培训、党建阵地建设和主题党日活动",
    "信息化建设运维经费": "业务系统运行维护、网络安全防护和设备更新",
    "办公楼维修改造经费": "办公楼屋面防水、水电线路改造和消防设施维修",
    "业务培训经费": "组织系统干部业务培训和外出学习考察",
    "档案数字化经费": "历年文书档案和业务档案的整理、扫描和数字化加工",
    "机关运行保障经费": "保障机关日常运转的水电、物业和安保等支出",
    "专项业务工作经费": "开展专项检查、调研督导和业务考核",
    "编外聘用人员经费": "编外聘用人员的工资、社会保险和管理支出",
    "宣传工作经费": "政策宣传资料印制、宣传活动组织和新闻宣传",
    "安全生产工作经费": "安全生产宣传教育、隐患排查和应急演练",
}
_OTHER_PROJECTS = tuple(_PROJECT_USES)
_LEVEL_SCALE = {"city": 2.4, "county": 1.0, "district": 0.65}


def figures(seed: int, org: Org, year: int) -> Figures:
    """The figures of (organisation, year): of the seed, organisation and year alone, so a report's "上年"
    is the previous year's report's own figure."""
    base = random.Random(f"{seed}|{org.name}|base")  # what stays with an organisation from year to year
    rng = random.Random(f"{seed}|{org.name}|{year}|figures")
    d = org.dept
    level = _LEVEL_SCALE[org.region.kind]
    size = base.uniform(*d.scale) * level
    growth = base.uniform(-0.03, 0.08)
    total_w = size * (1 + growth) ** (year - FIRST_YEAR) * rng.uniform(0.93, 1.07)
    total = _fen(total_w)
    share = min(0.92, max(0.08, base.uniform(*d.basic_share) + rng.uniform(-0.04, 0.04)))
    basic = round(total * share)
    project = total - basic
    personnel = round(basic * (base.uniform(0.76, 0.9) + rng.uniform(-0.03, 0.03)))
    public = basic - personnel
    # The key project and 2-4 further ones (the same names every year), adding up to 项目支出.
    others = base.sample(_OTHER_PROJECTS, base.randint(2, 4))
    key = round(project * rng.uniform(0.3, 0.65))
    weights = [rng.uniform(0.5, 1.5) for _ in others]
    rest, amounts = project - key, []
    for w in weights[:-1]:
        amounts.append(round(rest * w / sum(weights)))
    amounts.append(rest - sum(amounts))
    projects = ((d.projects[0], key), *zip(others, amounts, strict=True))
    # Budgets of the key project: 年初 below the year's, the year's above what was spent (执行率 ≤ 100%).
    kp_initial = round(key * rng.uniform(0.45, 1.0))
    if rng.random() < 0.4:  # often a round sum: "年初预算50.00万元"
        kp_initial = max(100, kp_initial // 100 * 100)
    kp_full = key if rng.random() < 0.3 else round(key / rng.uniform(0.86, 0.995))
    kp_full = max(kp_full, kp_initial, key)
    # Income: 财政拨款 plus (often) a little other income; 年初预算 below the year's spending.
    income = round(total * rng.uniform(0.985, 1.03))
    grant = income if rng.random() < 0.4 else round(income * rng.uniform(0.9, 0.995))
    budget_initial = round(total * rng.uniform(0.62, 0.98))
    # Staff and cars drift a little from a base; cars fell after the 2017-2018 car reform.
    quota = max(5, round(base.uniform(8, 45) * (level if level > 1 else 1) * (d.scale[0] / 1500) ** 0.3))
    staff = max(3, quota - rng.randint(-1, 4))
    retired = max(0, base.randint(2, 30) + (year - FIRST_YEAR) // 2 + rng.randint(-1, 1))
    cars = max(0, base.randint(0, 4) + (1 if year <= 2017 else 0) - (1 if rng.random() < 0.15 else 0))
    units = base.randint(3, 12)
    # 三公: reception and cars, rarely travel abroad (cities only), well within 公用经费.
    reception = _fen(rng.uniform(0.15, 2.5) * level**0.5)
    vehicle = _fen(cars * rng.uniform(1.2, 3.2)) if cars else 0
    abroad = _fen(rng.uniform(2, 8)) if org.region.kind == "city" and rng.random() < 0.15 else 0
    cap = public * 6 // 10
    if reception + vehicle + abroad > cap:
        f = cap / (reception + vehicle + abroad)
        reception, vehicle, abroad = round(reception * f), round(vehicle * f), round(abroad * f)
    outs = []
    for o in d.outputs:
        at = base.uniform(o.low, o.high) * (level if o.unit not in ("万亩",) else level**0.5)
        value = at * (1 + growth / 2) ** (year - FIRST_YEAR) * rng.uniform(0.85, 1.15)
        outs.append(max(1, round(value * 10**o.decimals)))
    satisfaction = rng.randint(900, 995)
    score = rng.randint(880, 995)
    # The 元 table: amounts in fen of 元 (×10000 of the 万元 hundredths), split without losing a fen.
    personnel_yuan = personnel * 10000
    wage = round(personnel_yuan * rng.uniform(0.84, 0.95))
    return Figures(
        income=income, grant=grant, other_income=income - grant, budget_initial=budget_initial, total=total,
        basic=basic, personnel=personnel, public=public, project=project, projects=projects,
        kp_initial=min(kp_initial, kp_full), kp_full=kp_full, reception=reception, vehicle=vehicle, abroad=abroad,
        quota=quota, staff=staff, retired=retired, cars=cars, units=units, outputs=tuple(outs),
        satisfaction=satisfaction, score=score, wage=wage, household=personnel_yuan - wage,
    )  # fmt: skip


# --- writing a report -------------------------------------------------------------------------------


def wan(v: int) -> str:
    """Hundredths of 万元 as printed: "281.98"."""
    return f"{v // 100}.{v % 100:02d}"


def yuan(v: int) -> str:
    """Fen as 元 with thousands separators: "1,234,567.89" (never asked: the judge reads plain numbers)."""
    return f"{v // 100:,}.{v % 100:02d}"


def percent(part: int, whole: int, digits: int = 2) -> str:
    return f"{100 * part / whole:.{digits}f}"


def fullwidth(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


_CN_NUMS = "一二三四五六七八九十"


@dataclass
class Fact:
    """A figure a question may ask for: as printed, with the prose that states it (`evidence`)."""

    key: str
    value: str
    unit: str
    evidence: str
    label: str  # the report's own wording of the metric


@dataclass
class Report:
    org: Org
    year: int
    fmt: str
    items: list[docgen.Paragraph | docgen.Table]
    facts: dict[str, Fact]
    clauses: dict[str, list[str]]  # passage kind → distinctive clauses of that section
    project: str  # the key project's name as this report writes it
    title_org: str  # the organisation as the title names it

    @cached_property
    def text(self) -> str:
        return "\n".join(
            item.text if isinstance(item, docgen.Paragraph) else "\n".join("\t".join(r) for r in item.rows)
            for item in self.items
        )


class Writer:
    """Builds one report: items for the writers, facts for questions, clauses for passage questions."""

    def __init__(self, seed: int, org: Org, year: int, fmt: str) -> None:
        self.org, self.year, self.fmt = org, year, fmt
        self.rng = random.Random(f"{seed}|{org.name}|{year}|text")
        self.cur = figures(seed, org, year)
        self.prev = figures(seed, org, year - 1)
        self.items: list[docgen.Paragraph | docgen.Table] = []
        self.facts: dict[str, Fact] = {}
        self.clauses: dict[str, list[str]] = {"problems": [], "measures": [], "goals": []}
        r = self.rng
        self.lv = org.region.level
        self.all = "全" + self.lv
        self.gov = f"{self.lv}委、{self.lv}政府"
        self.me = r.choice(("我局", "本单位", "我单位", "本局") if org.dept_name.endswith("局") else ("我委", "本单位"))
        self.sp = " " if fmt == "txt" and r.random() < 0.12 else ""  # "281.98 万元", as converted PDFs print
        self.fw = fmt == "txt" and r.random() < 0.3  # full-width digits in dates and document numbers
        self.indent = "\u3000\u3000" if fmt == "txt" and r.random() < 0.2 else ""
        self.h1_style = r.choices(("cn", "arabic", "part"), (7, 2, 1))[0]
        self.office = "科室" if org.region.kind == "city" else "股室"
        self.n1 = self.n2 = 0
        self.project = r.choice(org.dept.projects)
        # The report's own wording of each metric.
        self.words = {
            "income": r.choice(("收入合计", "本年收入合计", "收入总计")),
            "grant": r.choice(("财政拨款收入", "一般公共预算财政拨款收入", "财政拨款")),
            "total": r.choice(("支出合计", "本年支出合计", "支出总额", "全年支出")),
            "basic": r.choices(("基本支出", "基本经费支出"), (4, 1))[0],
            "personnel": r.choice(("人员经费", "人员经费支出", "人员类支出")),
            "public": r.choice(("公用经费", "日常公用经费", "公用经费支出")),
            "project": r.choices(("项目支出", "项目经费支出"), (4, 1))[0],
            "sangong": r.choice(("“三公”经费支出", "“三公”经费", "三公经费支出")),
            "reception": r.choice(("公务接待费", "公务接待支出", "公务接待费支出")),
            "vehicle": r.choice(("公务用车运行维护费", "公车运行维护费", "公务用车运行费")),
            "abroad": r.choice(("因公出国（境）费", "因公出国（境）经费", "出国（境）费用")),
        }

    # --- primitives -----------------------------------------------------------------------------

    def money(self, v: int) -> str:
        return f"{wan(v)}{self.sp}万元"

    def date(self, text: str) -> str:
        return fullwidth(text) if self.fw else text

    def para(self, text: str, blank: int = 0) -> None:
        self.items.append(docgen.Paragraph(self.indent + text if self.indent and len(text) > 30 else text, blank))

    def table(self, rows: list[list[str]]) -> None:
        self.items.append(docgen.Table(rows))

    def fact(self, key: str, value: str, unit: str, evidence: str, label: str = "") -> str:
        """Record a figure stated in prose (the first statement wins) and return the evidence to write."""
        if key not in self.facts:
            self.facts[key] = Fact(key, value, unit, evidence, label)
        return evidence

    def h1(self, title: str) -> None:
        self.n1 += 1
        self.n2 = 0
        n = self.n1
        if self.h1_style == "cn":
            self.para(f"{_CN_NUMS[n - 1] if n <= 10 else '十' + _CN_NUMS[n - 11]}、{title}")
        elif self.h1_style == "arabic":
            self.para(f"{n}、 {title}")
        else:
            self.para(f"第{_CN_NUMS[n - 1] if n <= 10 else '十' + _CN_NUMS[n - 11]}部分 {title}")

    def h2(self, title: str) -> None:
        self.n2 += 1
        marker = _CN_NUMS[self.n2 - 1]
        self.para(f"（{marker}）{title}" if self.h1_style != "part" else f"{marker}、{title}")

    def change(self, cur: int, prev: int, fmt=None, unit: str = "万元") -> str:
        """How a figure compares with last year's: "比上年增加53.21万元，增长3.65%" or "上年为…"."""
        fmt = fmt or wan
        sp = self.sp if unit == "万元" else ""
        if prev <= 0:
            return ""
        d = cur - prev
        if d == 0:
            return "，与上年持平"
        more, grow = ("增加", "增长") if d > 0 else ("减少", "下降")
        p = percent(abs(d), prev, self.rng.choice((1, 2)))
        forms = (
            f"，比上年{more}{fmt(abs(d))}{sp}{unit}，{grow}{p}%",
            f"，较上年{fmt(prev)}{sp}{unit}{more}{fmt(abs(d))}{sp}{unit}",
            f"，上年为{fmt(prev)}{sp}{unit}",
            f"，比上年同期{fmt(prev)}{sp}{unit}{more}{fmt(abs(d))}{sp}{unit}，{grow}{p}%",
            f"，同比{grow}{p}%",
        )
        return self.rng.choice(forms)

    def clause(self, kind: str, text: str) -> str:
        self.clauses[kind].append(text)
        return text

    # --- sections -------------------------------------------------------------------------------

    def title(self) -> str:
        r, y, org = self.rng, self.year, self.org
        name = org.local_name if org.region.kind == "district" and r.random() < 0.25 else org.name
        ys = self.date(str(y)) if r.random() < 0.5 else str(y)
        form = r.choices(range(8), (5, 4, 2, 2, 2, 1, 2, 1))[0]
        if form == 0:
            self.para(f"{name}{ys}年度部门整体支出绩效自评报告")
        elif form == 1:
            self.para(f"{ys}年度{name}部门整体支出绩效自评报告")
        elif form == 2:  # a title broken over two lines, as in the seeds
            self.para(f"{ys}年度{name}整体支出")
            self.para("绩效自评报告")
        elif form == 3:  # the name spaced out on a line of its own, the title without it
            self.para(" ".join(name))
            self.para(f"{ys}年度部门整体支出绩效自评报告", blank=2)
        elif form == 4:
            self.para(f"{name}{ys}年度整体支出绩效自评报告")
        elif form == 5:
            self.para(f"{name}关于{ys}年度部门整体支出绩效自评的报告")
        elif form == 6:
            self.para(f"{ys}年{name}部门整体支出绩效评价报告")
        else:
            self.para(f"{name}{ys}年度部门整体支出绩效自评报告（公示稿）")
        if r.random() < 0.3:
            self.para(f"单位名称（盖章）：{org.name}", blank=1)
        return name

    def preamble(self) -> None:
        r, y = self.rng, self.year
        fin = f"{self.org.region.path}财政局"
        no = self.date(f"〔{y + 1}〕{r.randint(3, 60)}号")
        forms = (
            f"根据《{fin}关于开展{y}年度预算支出绩效自评工作的通知》（{self.org.region.stem}财绩{no}）要求，"
            f"{self.me}对{y}年度部门整体支出开展了绩效自评，现将有关情况报告如下：",
            f"为进一步规范财政资金管理，强化绩效意识和支出责任，根据{self.lv}财政局有关要求，{self.me}认真组织开展了"
            f"{y}年度部门整体支出绩效自评工作。现将自评情况报告如下：",
            f"按照{self.lv}财政局部署，{self.me}成立了绩效自评工作领导小组，对照年初设定的绩效目标，对{y}年度部门整体"
            "支出的预算执行、资金管理和绩效目标完成情况进行了全面自评，现将有关情况报告如下：",
        )
        self.para(r.choice(forms), blank=1)
        if r.random() < 0.6:
            self.para(
                f"通过近年来持续开展绩效自评工作，{self.me}各{self.office}的绩效意识和责任意识进一步增强，财政资金管理"
                "逐步规范，资金配置效率和使用效益逐年提高。"
            )

    def basics(self) -> None:
        r, c, d = self.rng, self.cur, self.org.dept
        self.h1(r.choice(("部门基本情况", "部门概况", "单位基本情况", "预算单位基本情况")))
        self.h2(r.choice(("主要职能", "部门主要职责", "单位职能职责")))
        chosen = sorted(r.sample(range(len(d.functions)), min(len(d.functions), r.randint(5, 6))))
        funcs = [d.functions[k].format(全=self.all, 委=self.gov) for k in chosen]
        funcs += [f.format(全=self.all) for f in r.sample(_COMMON_FUNCTIONS, 2)]
        funcs.append(f"完成{self.gov}交办的其他任务")
        style = r.randrange(3)
        if style == 0:
            for n, f in enumerate(funcs, 1):
                self.para(f"（{n}）{f}。")
        elif style == 1:
            for n, f in enumerate(funcs, 1):
                self.para(f"{n}.{f}。")
        else:
            self.para("主要职责是：" + "；".join(funcs) + "。")
        self.h2(r.choice(("机构设置及人员情况", "机构和人员情况", "人员及资产情况")))
        units = self.date(str(c.units))
        quota_w = r.choice(("核定编制", "编制数为", "核定行政事业编制"))
        staff_w = r.choice(("实有在职人员", "在职人数", "实有人数"))
        retired_w = r.choice(("退休人员", "退休人数"))
        quota = self.fact("quota", str(c.quota), "名", f"{quota_w}{c.quota}名", quota_w)
        staff = self.fact("staff", str(c.staff), "人", f"{staff_w}{c.staff}人", staff_w)
        retired = ""
        if c.retired:
            retired = self.fact("retired", str(c.retired), "人", f"{retired_w}{c.retired}人", retired_w)
        if c.cars:
            car_w = r.choice(("公务用车", "实有公务用车", "公务车辆"))
            cars = "，" + self.fact("cars", str(c.cars), "辆", f"{car_w}{c.cars}辆", car_w)
        else:
            cars = "，无公务用车"
        people = "，".join(p for p in (quota, staff, retired) if p)
        nature = r.choice((
            f"{self.org.name}是{self.org.region.path}人民政府工作部门，为一级预算单位，机关经费实行财政全额拨款。",
            f"{self.me}为{self.org.region.path}一级预算单位，纳入部门整体支出绩效自评范围的只有本级，无下属二级预算单位。",
            f"{self.me}为行政单位，执行政府会计制度，部门预算由本级预算组成。",
        ))  # fmt: skip
        self.para(f"{nature}{self.me}内设{self.office}{units}个，{people}{cars}。")

    def assets_section(self) -> None:
        r = self.rng
        self.h1(r.choice(("资产管理情况", "国有资产管理情况")))
        assets = self.money(round(self.cur.total * r.uniform(0.05, 0.4)))
        cars = self.cur.cars
        self.para(
            f"截至{self.year}年底，{self.me}固定资产总额{assets}，主要为办公设备、家具{'和车辆' if cars else ''}。"
            + r.choice(
                (
                    "资产的购置、使用和处置严格履行审批程序，资产卡片登记完整，定期开展资产清查盘点，做到账实相符。",
                    "资产管理实行分级负责，由办公室统一登记、统一管理，年末对资产进行了全面清查，未发现资产流失的情况。",
                )
            )
        )

    def evaluation_work(self) -> None:
        r = self.rng
        self.h1(r.choice(("绩效自评工作开展情况", "绩效评价工作情况", "自评工作组织情况")))
        lead = r.choice((
            f"为做好绩效自评工作，{self.me}成立了由主要负责人任组长、分管负责人任副组长、各{self.office}负责人为成员的"
            f"绩效自评工作领导小组，明确财务{self.office}具体负责自评工作的组织实施。",
            f"{self.me}高度重视绩效自评工作，召开专题会议进行部署，明确由财务{self.office}牵头、各业务{self.office}配合，"
            "按时完成自评任务。",
        ))  # fmt: skip
        steps = r.choice((
            "自评工作分为前期准备、资料收集、分析评价和撰写报告四个阶段。工作组对照年初设定的绩效目标和部门整体支出"
            "绩效评价指标体系，逐项核实预算执行、资金管理和绩效目标完成情况，在此基础上进行打分并形成自评报告。",
            "工作组收集了部门预算批复、决算报表、会计账簿、项目实施方案和工作总结等资料，采取资料核查与实地查看相结合"
            "的方式，对部门整体支出的投入、过程、产出和效益进行了全面评价。",
        ))  # fmt: skip
        purpose = r.choice((
            "通过开展绩效自评，全面了解部门预算资金的使用效益，发现管理中存在的薄弱环节，为完善预算管理提供依据。",
            "自评坚持客观公正、实事求是的原则，评价结果真实反映了部门整体支出的管理水平和使用效益。",
        ))  # fmt: skip
        self.para(lead)
        self.para(steps + purpose)

    def management(self) -> None:
        r = self.rng
        self.h1(r.choice(("预算管理情况", "部门预算管理情况", "财务管理情况")))
        rules = r.sample(
            ["《财务管理制度》", "《内部控制手册》", "《政府采购管理办法》", "《资产管理办法》", "《公务接待管理规定》",
             "《经费支出审批制度》", "《专项资金管理办法》"], 3,
        )  # fmt: skip
        lines = [
            f"{self.me}制定了{'、'.join(rules)}，明确了经费审批权限和程序，确保各项支出合规合理。",
            r.choice(
                (
                    "项目支出全部分项目单独核算，做到专款专用。",
                    "严格执行“过紧日子”要求，压减一般性支出，从严控制“三公”经费。",
                    "对达到政府采购限额的货物和服务全部依法实行政府采购。",
                )
            ),
            r.choice(
                (
                    "财务报账实行“经办人、证明人、审核人、审批人”四级签字制度，大额资金支出实行集体研究。",
                    "定期对照预算分析支出进度，对执行偏慢的项目及时督促，预算执行总体均衡。",
                )
            ),
            r.choice(
                (
                    "按照规定时限和内容公开了部门预算、决算和“三公”经费情况。",
                    "定期开展资产清查，做到账实相符、账账相符。",
                    "财务人员积极参加预算管理一体化系统培训，会计核算进一步规范。",
                )
            ),
        ]
        self.para("".join(lines))

    def money_section(self) -> None:
        r, c, p, w = self.rng, self.cur, self.prev, self.words
        y = self.year
        self.h1(r.choice(("部门整体收支情况", "部门整体支出情况", "部门预算收支情况", "部门整体经费收支情况")))
        self.h2(r.choice(("收入情况", "收入预决算情况", "部门收入情况")))
        bud = self.fact("budget_initial", wan(c.budget_initial), "万元", f"年初预算{self.money(c.budget_initial)}",
                        "年初预算")  # fmt: skip
        inc = self.fact("income", wan(c.income), "万元", f"{w['income']}{self.money(c.income)}", w["income"])
        inc += self.change(c.income, p.income) if r.random() < 0.5 else ""
        if c.other_income:
            grant = self.fact("grant", wan(c.grant), "万元", f"{w['grant']}{self.money(c.grant)}", w["grant"])
            self.para(f"{y}年度，{self.me}{bud}。全年{inc}，其中：{grant}，其他收入{self.money(c.other_income)}。")
        else:
            self.para(f"{y}年度，{self.me}{bud}。全年{inc}，全部为财政拨款收入。")
        self.h2(r.choice(("支出情况", "支出预决算情况", "部门支出情况")))
        tot = self.fact("total", wan(c.total), "万元", f"{w['total']}{self.money(c.total)}", w["total"])
        tot += self.change(c.total, p.total) if r.random() < 0.6 else ""
        bs, ps = percent(c.basic, c.total), f"{100 - float(percent(c.basic, c.total)):.2f}"
        basic = self.fact("basic", wan(c.basic), "万元", f"{w['basic']}{self.money(c.basic)}", w["basic"])
        project = self.fact("project", wan(c.project), "万元", f"{w['project']}{self.money(c.project)}", w["project"])
        share_of = r.choice(("支出合计的", "总支出的", "支出总额的", ""))
        bshare = self.fact("basic_share", bs, "%", f"占{share_of}{bs}%")
        pshare = self.fact("project_share", ps, "%", f"占{share_of}{ps}%")
        bchg = self.change(c.basic, p.basic) if r.random() < 0.5 else ""
        pchg = self.change(c.project, p.project) if r.random() < 0.4 else ""
        why = ""
        if r.random() < 0.6:
            up = c.total >= p.total
            why = f"{'支出增加' if up else '支出减少'}的主要原因是{r.choice(_MORE if up else _LESS)}。"
        self.para(f"{y}年{tot}。其中：{basic}，{bshare}{bchg}；{project}，{pshare}{pchg}。{why}")
        pe = self.fact("personnel", wan(c.personnel), "万元", f"{w['personnel']}{self.money(c.personnel)}",
                       w["personnel"])  # fmt: skip
        pu = self.fact("public", wan(c.public), "万元", f"{w['public']}{self.money(c.public)}", w["public"])
        pes = percent(c.personnel, c.basic)
        pus = f"{100 - float(pes):.2f}"
        pe_share = self.fact("personnel_share", pes, "%", f"占基本支出的{pes}%")
        uses_pe = r.choice((
            "主要用于基本工资、津贴补贴、奖金、社会保障缴费和住房公积金等",
            "主要包括工资福利支出和对个人和家庭的补助",
        ))  # fmt: skip
        uses_pu = r.choice(("主要用于办公费、印刷费、水电费、差旅费、维修（护）费等日常运转支出",
                            "主要包括办公费、邮电费、差旅费、会议费、培训费、公务接待费等"))  # fmt: skip
        pechg = self.change(c.personnel, p.personnel) if r.random() < 0.4 else ""
        self.para(f"基本支出中，{pe}，{pe_share}{pechg}，{uses_pe}；{pu}，占{pus}%，{uses_pu}。")
        if r.random() < 0.7:
            uses = "、".join(name for name, _ in c.projects[1:])
            self.para(
                f"从支出结构看，基本支出主要用于保障机关正常运转和在职人员工资福利，项目支出主要用于{self.project}、{uses}"
                "等重点工作。"
                + r.choice(
                    (
                        "从执行进度看，各季度支出总体均衡，年底集中支出的现象较往年明显减少。",
                        "从执行进度看，上半年支出进度略慢，下半年加快了项目资金拨付，全年预算执行总体较好。",
                        "从资金管理看，各项支出均按规定程序审批，未发现超范围、超标准支出。",
                    )
                )
            )
        if r.random() < 0.8:
            self.money_table()
        if r.random() < 0.3:
            self.para(r.choice(("表2 基本支出经济分类明细（单位：元）", "基本支出按经济分类情况如下（单位：元）：")))
            goods = c.public * 10000
            self.table([
                ["科目名称", "金额"],
                ["工资福利支出", yuan(c.wage)],
                ["商品和服务支出", yuan(goods)],
                ["对个人和家庭的补助", yuan(c.household)],
            ])  # fmt: skip

    def money_table(self) -> None:
        r, c, p, w = self.rng, self.cur, self.prev, self.words
        rows_of = [
            (w["income"], c.income, p.income),
            ("其中：" + w["grant"], c.grant, p.grant),
            ("其他收入", c.other_income, p.other_income),
            (w["total"], c.total, p.total),
            (w["basic"], c.basic, p.basic),
            ("其中：" + w["personnel"], c.personnel, p.personnel),
            (w["public"], c.public, p.public),
            (w["project"], c.project, p.project),
        ]
        form = r.randrange(3)
        if form == 0:
            self.para(r.choice(("单位：万元", "表1 收支决算情况表（单位：万元）", "（单位：万元）")))
            rows = [["项目", "本年决算数", "上年决算数", "增减率"]]
            for label, a, b in rows_of:
                rows.append([label, wan(a), wan(b), f"{percent(a - b, b, 2)}%" if b else "-"])
        elif form == 1:
            rows = [["项目", f"{self.year}年（万元）", f"{self.year - 1}年（万元）"]]
            rows += [[label, wan(a), wan(b)] for label, a, b in rows_of]
        else:
            self.para(r.choice(("部门收支情况表", "收支决算表")))
            rows = [["项目", "金额（万元）"]] + [[label, wan(a)] for label, a, _ in rows_of]
        self.table(rows)

    def sangong_section(self, own: bool) -> None:
        r, c, p, w = self.rng, self.cur, self.prev, self.words
        title = r.choice(("“三公”经费支出情况", "“三公”经费使用和管理情况", "三公经费情况"))
        self.h1(title) if own else self.h2(title)
        if c.sangong == 0:
            self.para(f"{self.year}年{self.me}未发生“三公”经费支出。")
            return
        parts = []
        total = self.fact("sangong", wan(c.sangong), "万元", f"{w['sangong']}{self.money(c.sangong)}", w["sangong"])
        total += self.change(c.sangong, p.sangong) if r.random() < 0.7 else ""
        if c.reception:
            rec = self.fact("reception", wan(c.reception), "万元", f"{w['reception']}{self.money(c.reception)}",
                            w["reception"])  # fmt: skip
            parts.append(rec + (self.change(c.reception, p.reception) if r.random() < 0.6 else ""))
        else:
            parts.append(f"未发生{w['reception']}")
        if c.vehicle:
            veh = self.fact("vehicle", wan(c.vehicle), "万元", f"{w['vehicle']}{self.money(c.vehicle)}", w["vehicle"])
            parts.append(veh + (self.change(c.vehicle, p.vehicle) if r.random() < 0.6 else ""))
        else:
            parts.append(f"无{w['vehicle']}支出")
        if c.abroad:
            abroad = f"{w['abroad']}{self.money(c.abroad)}"
            parts.append(self.fact("abroad", wan(c.abroad), "万元", abroad, w["abroad"]))
        else:
            parts.append(r.choice(("未发生因公出国（境）费用", "本年未组织因公出国（境）")))
        if c.sangong < p.sangong:
            reason = r.choice(("减少的主要原因是严格落实中央八项规定精神，从严控制公务活动开支。", ""))
        else:
            reason = r.choice(
                ("增加的主要原因是上级检查调研和业务交流增多。", "变动的主要原因是公务活动和车辆运行需求变化。", "")
            )
        self.para(f"{self.year}年{total}。其中：{'；'.join(parts)}。{reason}")
        if r.random() < 0.85:
            self.para(r.choice(_SANGONG_RULES).format(me=self.me))
        if r.random() < 0.35:
            self.para("“三公”经费支出对比表（单位：万元）")
            self.table([
                ["项目", "本年支出", "上年支出"],
                [w["reception"], wan(c.reception), wan(p.reception)],
                [w["vehicle"], wan(c.vehicle), wan(p.vehicle)],
                ["因公出国（境）费", wan(c.abroad), wan(p.abroad)],
                ["合计", wan(c.sangong), wan(p.sangong)],
            ])  # fmt: skip

    def project_section(self) -> None:
        r, c, p = self.rng, self.cur, self.prev
        w = self.words
        self.h1(r.choice(("项目支出情况", "项目资金使用情况", "重点项目实施情况")))
        listed = [(self.project, c.key_project), *c.projects[1:]]
        items = "、".join(f"{name}{self.money(v)}" for name, v in listed)
        self.fact("kp_actual", wan(c.key_project), "万元", f"{self.project}{self.money(c.key_project)}", "支出")
        uses = "".join(
            f"{name}主要用于{_PROJECT_USES[name]}；" for name, _ in c.projects[1:] if r.random() < 0.7
        ).rstrip("；")
        tail = f"其中，{uses}。" if uses else ""
        self.para(f"{self.year}年{w['project']}共安排{len(listed)}个项目，主要包括：{items}。{tail}")
        self.h2(r.choice((f"{self.project}", f"{self.project}使用情况", "重点项目情况")))
        full = c.kp_full
        rate = percent(c.key_project, full)
        ini = self.fact("kp_initial", wan(c.kp_initial), "万元", f"年初预算{self.money(c.kp_initial)}", "年初预算")
        form = r.randrange(2) if full > c.kp_initial else 0
        rate_w = r.choice(("预算执行率", "执行率为", "资金执行率"))
        rated = self.fact("kp_rate", rate, "%", f"{rate_w}{rate}%", rate_w)
        if form == 0:
            fw = r.choice(("全年预算", "调整后预算"))
            fullt = self.fact("kp_full", wan(full), "万元", f"{fw}{self.money(full)}", fw)
            act = f"实际支出{self.money(c.key_project)}"
            self.para(f"{self.project}{ini}，{fullt}，{act}，{rated}。")
        else:
            add = full - c.kp_initial
            fullt = self.fact("kp_full", wan(full), "万元", f"调整后全年预算{self.money(full)}", "全年预算")
            self.para(
                f"该项目{ini}，年中追加{self.money(add)}，{fullt}，全年实际支出{self.money(c.key_project)}，{rated}。"
            )
        if r.random() < 0.5:
            self.para(f"上年该项目支出{self.money(p.key_project)}。")
        purpose = r.choice((
            f"资金严格按照{self.project}管理办法使用，做到专款专用、专账核算。",
            "项目资金实行国库集中支付，拨付程序规范，未发现截留、挪用现象。",
            "项目实施前制定了实施方案和绩效目标，实施过程中开展了绩效运行监控。",
        ))  # fmt: skip
        self.para(purpose + r.choice(_PROJECT_WORK).format(me=self.me))
        if r.random() < 0.5:
            self.table([
                ["项目名称", "年初预算（万元）", "全年预算（万元）", "实际支出（万元）", "执行率"],
                [self.project, wan(c.kp_initial), wan(full), wan(c.key_project), f"{rate}%"],
            ])  # fmt: skip

    def goals_section(self) -> None:
        r, d = self.rng, self.org.dept
        self.h1(r.choice(("年度绩效目标", "部门整体支出绩效目标", "年度工作目标")))
        overall = r.choice(d.goals)
        self.para(
            r.choice(("总体目标：", "部门整体绩效总目标：")) + f"全面落实{self.gov}决策部署，{overall}，"
            "部门预算执行规范有序，财政资金使用效益稳步提高。"
        )
        goals = r.sample([g for g in d.goals if g != overall], min(3, len(d.goals) - 1))
        extra = r.choice(_GENERIC_GOALS)
        parts = [self.clause("goals", g) for g in goals] + [self.clause("goals", extra)]
        if r.random() < 0.5:
            self.para(f"{self.year}年度，{self.me}的主要绩效目标是：" + "；".join(parts) + "。")
        else:
            self.para(f"围绕{self.gov}中心工作，{self.me}确定{self.year}年度工作目标如下：")
            for n, g in enumerate(parts, 1):
                self.para(f"{n}.{g}。")

    def performance_section(self, with_score: bool) -> None:
        r, c, p, d = self.rng, self.cur, self.prev, self.org.dept
        self.h1(r.choice(("部门整体支出绩效情况", "绩效目标完成情况", "部门整体支出绩效目标实现情况")))
        if r.random() < 0.5:
            self.para(
                "根据部门整体支出绩效评价指标体系，从预算投入、预算执行、预算管理、职责履行和履职效益等方面对部门整体"
                f"支出进行了评价。总体来看，{self.me}预算编制较为科学，资金使用较为规范，年度绩效目标基本实现。"
            )
        self.para(
            f"{self.year}年，{self.me}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实{self.gov}决策部署，"
            f"{r.choice(d.goals)}，较好完成了年度各项工作任务。"
        )
        self.h2(r.choice(("主要工作成效", "履职情况", "重点工作完成情况")))
        picks = zip(r.sample(d.goals, 3), r.sample(_ACTIONS, 3), r.sample(_EFFECTS, 3), strict=True)
        works = [f"{g}。{action}，{effect}。" for g, action, effect in picks]
        for t in r.sample(_ACHIEVEMENTS, r.randint(3, 4)):
            works.append(t.format(me=self.me, goal=r.choice(d.goals), office=self.office))
        r.shuffle(works)
        if r.random() < 0.4:  # one paragraph, as many reports write it
            self.para("".join(f"{'一二三四五六七'[n]}是{text}" for n, text in enumerate(works)))
        else:
            for n, text in enumerate(works, 1):
                self.para(f"{n}.{text}")
        self.h2(r.choice(("产出和效益情况", "绩效指标完成情况", "产出及效果")))
        outs = []
        for k, o in enumerate(d.outputs):
            v = c.outputs[k]
            shown = f"{v / 10**o.decimals:.{o.decimals}f}" if o.decimals else str(v)
            text = self.fact(f"out{k}", shown, o.unit, f"{o.label}{shown}{o.unit}", o.label)
            if r.random() < 0.4 and not o.decimals:
                dv = v - p.outputs[k]
                text += f"，比上年{'增加' if dv >= 0 else '减少'}{abs(dv)}{o.unit}" if dv else "，与上年持平"
            outs.append(text)
        self.para(r.choice(("产出方面：全年", "全年共", "一是产出指标完成较好。全年")) + "，".join(outs) + "。")
        sat = f"{c.satisfaction / 10:.1f}"
        sat_w = r.choice((f"{d.served}满意度", "服务对象满意度", "群众满意度"))
        sat_t = self.fact("satisfaction", sat, "%", f"{sat_w}达到{sat}%", sat_w)
        self.para(f"效益方面：{r.choice(d.goals)}成效明显，{sat_t}。")
        if r.random() < 0.7:
            self.para(
                f"社会效益方面，{r.choice(d.goals)}取得新进展，{d.served}的获得感进一步增强；可持续影响方面，{self.me}"
                "建立健全了长效工作机制，为今后工作的持续开展奠定了基础。"
            )
        if r.random() < 0.7:
            self.para(r.choice(("主要绩效指标完成情况如下：", "部门整体支出绩效指标完成情况")))
            rows = [["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值"]]
            for k, o in enumerate(d.outputs):
                target = round(c.outputs[k] * r.uniform(0.8, 0.98))
                shown = f"{c.outputs[k] / 10**o.decimals:.{o.decimals}f}"
                tshown = f"{target / 10**o.decimals:.{o.decimals}f}"
                rows.append(["产出指标" if k == 0 else "", "数量指标" if k == 0 else "", o.label, f"≥{tshown}{o.unit}",
                             f"{shown}{o.unit}"])  # fmt: skip
            quality = r.choice(("资金发放准确率", "项目验收合格率", "工作任务完成率"))
            goals = r.sample(d.goals, 2)
            rows += [
                ["", "质量指标", quality, "100%", "100%"],
                ["", "时效指标", r.choice(("资金拨付及时性", "任务完成及时性")), "及时", "及时"],
                ["", "成本指标", "支出控制在预算范围内", "是", "是"],
                ["效益指标", "社会效益指标", goals[0], "有效提升", "有效提升"],
                ["", "可持续影响指标", goals[1], "长效机制健全", "长效机制健全"],
                ["满意度指标", "服务对象满意度指标", sat_w, "≥90%", f"{sat}%"],
            ]
            self.table(rows)
        if with_score:
            self.score_paragraph()

    def score_paragraph(self) -> None:
        c = self.cur
        score = f"{c.score / 10:.1f}"
        grade = "优秀" if c.score >= 900 else "良好"
        label = self.rng.choice(("自评得分", "绩效自评得分", "综合得分"))
        text = self.fact("score", score, "分", f"{label}{score}分", label)
        lost = self.rng.choice((
            "扣分主要在预算编制准确性和绩效目标设置两个方面。",
            "扣分的主要原因是预算调整率偏高、部分绩效指标未细化量化。",
            "扣分主要集中在预算执行均衡性和绩效运行监控方面。",
            "",
        ))  # fmt: skip
        self.para(f"经综合评价，{self.me}{self.year}年度部门整体支出{text}，评价等级为“{grade}”。{lost}")

    def problems_section(self) -> None:
        r, d = self.rng, self.org.dept
        self.h1(r.choice(("存在的问题及原因分析", "存在的问题", "存在的主要问题")))
        if r.random() < 0.6:
            self.para(f"对照绩效目标和评价指标，{self.me}在预算管理和绩效管理方面还存在以下问题：")
        generic = [s + r.choice(_PROBLEM_PAIRS[s]) for s in r.sample(list(_PROBLEM_PAIRS), r.randint(2, 3))]
        chosen = [(t, True) for t in generic] + [(t, False) for t in r.sample(d.problems, r.randint(1, 2))]
        r.shuffle(chosen)
        texts = []
        for text, budgetary in chosen:
            cause = r.choice(_CAUSES) if budgetary and r.random() < 0.6 else ""
            more = f"，主要原因是{cause}" if cause else f"，{r.choice(_PROBLEM_MORE)}" if r.random() < 0.85 else ""
            texts.append(self.clause("problems", text) + more)
        self.listing(texts)

    def measures_section(self) -> None:
        r, d = self.rng, self.org.dept
        self.h1(r.choice(("改进措施", "下一步改进措施", "下一步工作打算", "整改措施及建议")))
        if r.random() < 0.6:
            self.para(f"针对上述问题，{self.me}将重点做好以下工作：")
        chosen = [a + "，" + r.choice(_MEASURE_PAIRS[a]) for a in r.sample(list(_MEASURE_PAIRS), r.randint(2, 3))]
        chosen += r.sample(d.measures, r.randint(1, 2))
        r.shuffle(chosen)
        self.listing(
            [self.clause("measures", t) + (f"，{r.choice(_MEASURE_MORE)}" if r.random() < 0.7 else "") for t in chosen]
        )

    def listing(self, texts: list[str]) -> None:
        style = self.rng.randrange(3)
        if style == 0:
            self.para("；".join(f"{'一二三四五'[n]}是{t}" for n, t in enumerate(texts)) + "。")
        elif style == 1:
            for n, t in enumerate(texts, 1):
                self.para(f"{n}.{t}。")
        else:
            for n, t in enumerate(texts):
                self.para(f"（{'一二三四五'[n]}）{t}。")

    def conclusion_section(self) -> None:
        self.h1(self.rng.choice(("绩效自评结论", "自评结论", "绩效自评结果")))
        self.score_paragraph()

    def disclosure_section(self) -> None:
        r = self.rng
        self.h1(r.choice(("绩效自评结果应用及公开情况", "自评结果拟应用和公开情况")))
        where = r.choice(("单位门户网站", f"{self.org.region.path}人民政府门户网站", "部门网站及政府门户网站专栏"))
        self.para(
            f"{self.me}将按要求在{where}公开绩效自评报告，接受社会监督，并将自评结果作为以后年度编制预算的重要依据。"
        )

    def funds_section(self) -> None:
        self.h1(self.rng.choice(("政府性基金预算支出情况", "其他资金支出情况")))
        self.para(f"{self.me}本年度无政府性基金预算、国有资本经营预算和社会保险基金预算安排的收支。")

    def other_section(self) -> None:
        self.h1(self.rng.choice(("其他需要说明的情况", "其他需要说明的问题")))
        self.para("无。")

    def sign_off(self) -> None:
        r = self.rng
        self.para(self.org.name, blank=2)
        self.para(self.date(f"{self.year + 1}年{r.randint(2, 6)}月{r.randint(1, 28)}日"))


# Paragraphs on the year's work; {me}: 我局 …, {goal}: one of the department's goals, {office}: 股室 / 科室.
_ACHIEVEMENTS = (
    "坚持党建引领。{me}坚持把党的政治建设摆在首位，认真落实“第一议题”制度，党组理论学习中心组定期开展集中学习"
    "研讨，干部职工的政治判断力、政治领悟力和政治执行力进一步提升。党建工作与业务工作同部署、同落实、同考核，"
    "以高质量党建引领业务工作高质量发展。",
    "强化作风建设。严格落实中央八项规定及其实施细则精神，持续纠治“四风”，优化办事流程，压缩办理时限，服务效率"
    "明显提高。班子成员带头深入基层开展调研，帮助解决实际困难和问题。",
    "聚焦主责主业。围绕{goal}这一目标，{me}细化工作举措，压实工作责任，建立工作台账，定期调度推进，各项重点工作"
    "均按计划完成，部分工作走在了全市前列。",
    "加强预算管理。严格执行年初预算，从严控制一般性支出，统筹安排项目资金，优先保障重点工作支出，预算执行进度"
    "总体符合要求。对预算执行中发现的问题及时分析原因，采取针对性措施加以改进。",
    "规范资金使用。严格执行财务管理制度和资金支付审批程序，重大支出事项经集体研究决定，项目资金实行专账核算，"
    "未发现挤占、挪用、截留资金等问题。全年接受财政部门检查，未发现违规问题。",
    "推进信息公开。按照规定时限和内容公开部门预算、决算和“三公”经费情况，主动接受人大监督和社会监督。在单位门户"
    "网站设立信息公开专栏，及时发布政策文件和工作动态。",
    "抓好安全稳定。扎实开展安全生产和风险隐患排查整治，落实意识形态工作责任制，全年未发生重大安全责任事故和"
    "负面舆情。对排查出的隐患建立台账，明确整改责任人和整改时限，做到闭环管理。",
    "助力乡村振兴。选派驻村工作队员常驻联系村，协调落实帮扶资金和项目，帮助联系村发展特色产业、改善基础设施。"
    "干部职工与结对帮扶户常态化联系，帮助解决生产生活中的实际困难。",
    "加强队伍建设。组织干部职工参加业务培训和专题讲座，开展岗位练兵，各{office}干部的业务能力和服务水平不断"
    "提升。完善干部考核评价机制，激发了干部干事创业的积极性。",
    "深化改革创新。推行“一件事一次办”，精简办事材料，推进政务服务事项网上办理，群众办事更加便捷。主动对接上级"
    "部门，争取政策和项目支持，为全年工作提供了有力保障。",
)
# The work behind one of a department's goals: "{goal}。{action}，{effect}。"
_ACTIONS = (
    "制定了专项工作方案，明确了目标任务、责任分工和完成时限",
    "建立了周调度、月通报工作机制，及时研究解决工作中遇到的困难和问题",
    "主要负责人亲自部署、分管负责人具体抓，各业务股室协同推进",
    "坚持问题导向，深入基层开展调研督导，逐项抓好整改落实",
    "加强与相关部门的沟通协调，形成了上下联动、齐抓共管的工作格局",
    "将目标任务分解到岗、落实到人，纳入年度绩效考核",
)
_EFFECTS = (
    "年度目标任务全面完成",
    "工作成效得到上级主管部门的肯定",
    "群众获得感和满意度进一步提升",
    "相关工作在年度考核中位居前列",
    "各项指标均达到或超过年初设定的目标",
    "为全年工作的顺利开展提供了有力保障",
)
_COMMON_FUNCTIONS = (
    "负责本系统党的建设和干部队伍建设工作", "负责本系统安全生产和综合治理工作", "负责{全}本行业统计和信息化建设工作",
    "负责本部门预算编制、执行和财务管理工作",
)  # fmt: skip
_SANGONG_RULES = (
    "{me}严格执行公务接待标准，实行公务接待审批单、派出单位公函和接待清单“三单”管理；公务用车实行定点维修、定点"
    "加油和单车核算。",
    "严格落实“三公”经费管理规定，公务接待一律按标准安排，公车使用实行派车单制度，“三公”经费支出控制在预算以内。",
    "{me}将“三公”经费纳入预算管理，实行总额控制，每季度在单位公示栏公示“三公”经费使用情况，接受干部职工监督。",
)
_PROJECT_WORK = (
    "项目实施前，{me}制定了实施方案，明确了资金使用范围、补助标准和工作流程；实施过程中，定期调度项目进度，"
    "开展绩效运行监控；项目完成后，及时组织验收和绩效自评。",
    "{me}严格按照项目管理办法组织实施，资金拨付实行“先审核、后拨付”，重大事项经集体研究决定，确保资金使用合规、"
    "安全、有效。",
    "项目资金的申请、审批、拨付和使用各环节均有完整的记录和凭证，实施过程接受了财政部门的监督检查。",
)
_PROBLEM_MORE = (
    "在实际执行中部分支出需要在年中进行预算追加和调整",
    "个别项目的实际支出与年初计划存在一定差距",
    "绩效目标对工作的导向作用发挥还不够",
    "部分指标以定性描述为主，难以客观反映资金的使用效益",
    "日常工作中重资金分配、轻绩效管理的现象仍不同程度存在",
    "相关人员对预算绩效管理政策的学习理解还不够深入",
    "对照预算绩效管理的新要求，相关工作机制还需进一步完善",
    "这在一定程度上影响了资金使用效益的充分发挥",
)
_MEASURE_MORE = (
    "确保各项工作落到实处",
    "做到事前有目标、事中有监控、事后有评价",
    "推动预算管理与业务工作深度融合",
    "切实把绩效理念贯穿预算管理全过程",
    "不断提升部门预算管理的规范化、科学化水平",
    "确保资金安全、高效运行",
)
_MORE = (
    "人员工资标准调整和在职人员增加", "年中追加了重点工作经费", "项目支出增加", "社会保障缴费基数调整",
    "新增专项工作任务",
)  # fmt: skip
_LESS = (
    "严格压减一般性支出", "部分项目年度内未实施完毕", "退休人员增加、在职人员减少", "上年一次性项目支出本年不再安排",
    "落实过“紧日子”要求，压减非刚性支出",
)  # fmt: skip
_GENERIC_GOALS = (
    "加强预算管理，提高财政资金使用效益", "保障机关正常运转和各项重点工作顺利开展", "严格控制一般性支出和“三公”经费",
    "健全内部控制制度，防范廉政风险", "全面实施预算绩效管理，做到花钱必问效", "不断提升服务群众的能力和水平",
)  # fmt: skip
# A problem is a subject and one of the ways it falls short; reports draw both, so sentences vary.
_PROBLEM_PAIRS = {
    "预算编制的精准性": ("还有待进一步提高", "与实际执行情况存在一定偏差"),
    "年初预算编制的前瞻性": ("还不够强", "有待加强"),
    "项目支出预算的测算依据": ("还不够充分", "不够细化"),
    "绩效目标的设置": ("还不够细化、量化", "与预算编制衔接不够紧密"),
    "部分绩效指标": ("可衡量性不强", "设置不够科学合理", "难以准确量化"),
    "绩效运行监控": ("还停留在表面", "的及时性有待提高"),
    "项目资金执行进度": ("存在前松后紧的现象", "不够均衡"),
    "财务人员的业务能力": ("与预算绩效管理要求还有差距", "有待进一步提升"),
    "内部控制制度的执行": ("还不够严格", "存在薄弱环节"),
    "资产管理的精细化水平": ("还需进一步提高", "有待加强"),
    "政府采购的计划性": ("还不够强", "有待提高"),
    "绩效自评工作的深度": ("还不够", "有待拓展"),
    "绩效评价结果的运用": ("还不够充分", "与预算安排挂钩不够紧密"),
    "专项资金的跟踪问效": ("还不到位", "需要进一步加强"),
    "会计核算的规范性": ("仍需加强", "有待提高"),
    "固定资产的日常管理": ("还不够规范", "存在账实不符的情况"),
    "年中追加预算": ("较多，影响了预算的严肃性", "频繁，预算调整幅度较大"),
}
_CAUSES = (
    "年中临时性任务较多", "部分项目实施周期跨年度", "上级资金下达较晚", "财务人员调整较为频繁",
    "业务工作量大、专职财务人员少", "对预算绩效管理的认识还不够深入", "相关制度更新不够及时",
)  # fmt: skip
# Measures: an action on an object, so sentences vary.
_MEASURE_PAIRS = {
    "严格按照预算编制要求": ("细化项目预算，提高预算编制的精准性", "做实项目前期论证，避免预算大幅调整"),
    "加强绩效目标管理": ("科学设置可量化的绩效指标", "做到绩效目标与预算同步编制、同步审核"),
    "强化预算执行管理": ("按月分析预算执行进度，确保均衡支出", "建立预算执行通报制度，及时纠正执行偏差"),
    "健全内部控制制度": ("规范经费审批和报账程序", "定期开展内部控制评价"),
    "加强财务队伍建设": ("定期组织财务人员参加业务培训", "配齐配强专职财务人员"),
    "强化绩效评价结果应用": ("将自评结果与下年度预算安排挂钩", "对评价发现的问题建立整改台账"),
    "加强资产管理": ("定期开展资产清查盘点", "规范资产配置、使用和处置程序"),
    "做好绩效运行监控": ("每季度开展一次绩效运行监控", "对偏离目标的项目及时调整"),
}


def build_report(seed: int, org: Org, year: int, fmt: str) -> Report:
    """The report of (organisation, year) in its format's variant (full-width digits and spaced units are
    .txt only); its figures are those of `figures`, so they agree with the same body's other years."""
    w = Writer(seed, org, year, fmt)
    r = w.rng
    title_org = w.title()
    w.preamble()
    w.basics()
    if r.random() < 0.7:
        w.management()
    if r.random() < 0.6:
        w.evaluation_work()
    w.money_section()
    own_sangong = r.random() < 0.6
    w.sangong_section(own_sangong)
    w.project_section()
    if r.random() < 0.4:
        w.assets_section()
    w.goals_section()
    separate_score = r.random() < 0.7
    w.performance_section(with_score=not separate_score)
    if r.random() < 0.4:
        w.funds_section()
    w.problems_section()
    w.measures_section()
    if separate_score:
        w.conclusion_section()
    if r.random() < 0.7:
        w.disclosure_section()
    if r.random() < 0.3:
        w.other_section()
    w.sign_off()
    report = Report(org, year, fmt, w.items, w.facts, w.clauses, w.project, title_org)
    _check(report)
    return report


def _check(report: Report) -> None:
    """What the questions rely on: every fact's evidence stands in the report, no body line reads as a
    title (it would split the report), and the report names no reserved organisation."""
    text = report.text
    for f in report.facts.values():
        assert f.evidence in text, (report.org.name, report.year, f)
        assert f.value + f.unit in f.evidence.replace(" ", ""), f
    paragraphs = [i.text for i in report.items if isinstance(i, docgen.Paragraph)]
    title_lines = 2 if not is_title_line(paragraphs[0]) else 1
    for line in paragraphs[title_lines:]:
        assert not is_title_line(line), line
    assert not any(d in text for d in RESERVED_DEPTS)


# --- files -----------------------------------------------------------------------------------------


def txt_bytes(report: Report, seed: int, i: int) -> bytes:
    """The stored-text convention (qa_app.readers.ingest.render_blocks); some files in CRLF or GB18030."""
    text = _render(report.items)
    rng = random.Random(f"{seed}|bytes|{i}")
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return text.encode("gb18030" if rng.random() < 0.1 else "utf-8")


def _render(items: list[docgen.Paragraph | docgen.Table]) -> str:
    """Paragraphs and tables through the project's own renderer, so .txt tables read like the seeds'."""
    out: list[str] = []
    for item in items:
        if isinstance(item, docgen.Paragraph):
            out.append(render_blocks([""] * item.blank_before + [item.text]))
        else:
            out.append(render_blocks(item.rows))
    return "".join(out)


def _fixed_zip(path: Path) -> None:
    """Re-zip a .docx with fixed timestamps, so the same report is the same bytes on every run."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
    path.write_bytes(buf.getvalue())


def write_report(report: Report, path: Path, seed: int, i: int) -> None:
    if report.fmt == "txt":
        path.write_bytes(txt_bytes(report, seed, i))
    elif report.fmt == "docx":
        docgen.write_docx(report.items, path)
        _fixed_zip(path)
    else:
        from reportlab import rl_config

        invariant, rl_config.invariant = rl_config.invariant, 1  # no creation date or random id: same bytes
        try:
            docgen.write_pdf(report.items, path)
        finally:
            rl_config.invariant = invariant


@dataclass
class Entry:
    """Report i of the archive."""

    i: int
    name: str
    report: Report


def archive(seed: int, n: int) -> list[Entry]:
    """The first n reports of the seed's stream, built (not written)."""
    out: list[Entry] = []
    for i, (org, year) in enumerate(schedule(seed)):
        if i >= n:
            break
        fmt = file_format(seed, i)
        out.append(Entry(i, file_name(seed, i, org, year, fmt), build_report(seed, org, year, fmt)))
    if len(out) < n:
        raise SystemExit(f"synth: this generator holds at most {len(out)} reports")
    names = [e.name for e in out]
    assert len(set(names)) == len(names), "two files of one name"
    return out


# --- questions -------------------------------------------------------------------------------------

# How a question names each metric; the report's own wording is avoided when another one exists.
_NAMES = {
    "budget_initial": ("部门年初预算", "年初预算总额", "年初部门预算"),
    "income": ("收入合计", "总收入", "全年收入总额", "本年收入"),
    "grant": ("财政拨款收入", "财政拨款", "一般公共预算拨款"),
    "total": ("支出合计", "总支出", "全年支出总额", "本年支出"),
    "basic": ("基本支出", "基本经费支出", "基本经费"),
    "personnel": ("人员经费", "人员支出", "人员经费支出"),
    "public": ("公用经费", "公用支出", "日常公用经费"),
    "project": ("项目支出", "项目经费支出", "项目经费"),
    "basic_share": ("基本支出占支出合计的比重", "基本支出占总支出的比例", "基本支出所占比重", "基本支出占比"),
    "project_share": ("项目支出占支出合计的比重", "项目支出占总支出的比例", "项目支出占比"),
    "personnel_share": ("人员经费占基本支出的比重", "人员经费在基本支出中的占比", "人员经费占基本支出比例"),
    "sangong": ("三公经费", "“三公”经费支出", "三公经费合计"),
    "reception": ("公务接待费", "公务接待支出", "接待费"),
    "vehicle": ("公务用车运行维护费", "公车运行维护费", "公务用车运维费用"),
    "abroad": ("因公出国（境）费", "出国经费", "因公出国费用"),
    "satisfaction": ("满意度", "服务对象满意度"),
    "score": ("自评得分", "绩效自评得分", "整体支出绩效自评分"),
}
_VERBS = (
    "完成", "开展", "组织", "办理", "处理", "检查", "排查", "实施", "帮助", "新增", "惠及", "资助", "救助",
    "化解", "受理", "接待", "保障", "建立", "补贴", "新建", "调解", "巩固",
)  # fmt: skip
_MONEY_ASKS = ("是多少", "为多少", "有多少", "多少", "是多少万元", "共计多少", "")
_SHARE_ASKS = ("是多少", "为多少", "是多少%", "")
_COLLOQUIAL = {  # whole metric + ask phrases in everyday words
    "reception": ("公务接待花了多少钱", "接待花了多少钱"),
    "vehicle": ("公车运行维护花了多少钱", "公务用车运行维护花了多少钱"),
    "sangong": ("三公经费花了多少钱",),
    "total": ("一共花了多少钱", "全年花了多少钱"),
    "personnel": ("人员方面花了多少钱",),
}


@dataclass
class Subject:
    """How a question names who and when, and the report that is then the gold."""

    who: str
    when: str  # "" when the question names no year: then the gold is the organisation's newest report


class Asker:
    """Questions over one archive, drawn with one seeded generator, so they depend on (seed, N) alone."""

    def __init__(self, seed: int, entries: list[Entry]) -> None:
        self.rng = random.Random(f"{seed}|questions|{len(entries)}")
        self.entries = entries
        self.by_org: dict[str, list[Entry]] = {}
        for e in entries:
            self.by_org.setdefault(e.report.org.name, []).append(e)
        self.clause_count = Counter(c for e in entries for cs in e.report.clauses.values() for c in set(cs))
        self.regions = {e.report.org.region.name for e in entries}
        self.parents = {e.report.org.region.parent for e in entries}

    def newest(self, org: Org) -> Entry:
        return max(self.by_org[org.name], key=lambda e: e.report.year)

    def subject(self, entry: Entry, allow_region: bool = False) -> Subject:
        """Name the organisation (full, stem, without its city, abbreviated, region only) and the year (or not,
        when this is the organisation's newest report)."""
        r, org, year = self.rng, entry.report.org, entry.report.year
        forms = [(org.name, 6), (org.region.stem + org.dept_name, 3)]
        if org.region.kind == "district":
            forms.append((org.local_name, 3))
        if abbrev := org.dept.short(org.region):
            forms.append((org.region.name + abbrev, 1))
        if allow_region and org.region.kind != "city" and org.region.name not in self.parents:
            forms.append((org.region.name, 1))
        who = r.choices([f for f, _ in forms], [w for _, w in forms])[0]
        newest = self.newest(org) is entry
        when = "" if newest and r.random() < 0.25 else r.choices((f"{year}年", f"{year}年度", str(year)), (5, 3, 1))[0]
        return Subject(who, when)

    def phrase(self, s: Subject, metric: str, noun: bool = True) -> str:
        """Who, when and what, in one of several orders; "…的" only before a noun ("2023年的基本支出是多少",
        never "2023年的存在哪些问题")."""
        r = self.rng
        forms = [f"{s.who}{s.when}{metric}", f"{s.when}{s.who}{metric}"]
        if noun:
            forms.append(f"{s.who}{s.when}的{metric}")
        if s.when:
            forms.append(f"{s.who}在{s.when}的{metric}" if noun else f"{s.who}在{s.when}{metric}")
        text = r.choice(forms)
        return f"请问{text}？" if r.random() < 0.1 else text

    def figure(self) -> dict | None:
        r = self.rng
        entry = r.choice(self.entries)
        rep = entry.report
        fact = r.choice(list(rep.facts.values()))
        exclusive = fact.key.startswith(("kp_", "out"))
        s = self.subject(entry, allow_region=exclusive)
        q = self.metric_question(rep, fact, s)
        if q is None:
            return None
        gold = self.newest(rep.org) if not s.when else entry
        if gold is not entry:
            return None
        also = []
        if not s.when:
            for other in sorted(self.by_org[rep.org.name], key=lambda e: -e.report.year):
                f = other.report.facts.get(fact.key)
                if other is not entry and f is not None and f.value not in also:
                    also.append(f.value)
        return {"kind": "figure", "q": q, "value": fact.value, "unit": fact.unit, "doc": entry.name,
                "evidence": fact.evidence, "also": also}  # fmt: skip

    def metric_question(self, rep: Report, fact: Fact, s: Subject) -> str | None:
        r, key = self.rng, fact.key
        if key.startswith("out"):
            o = rep.org.dept.outputs[int(key[3:])]
            ask = r.choice(o.asks)
            if ask.startswith(_VERBS):
                metric = ask + r.choice((f"多少{o.unit}", f"了多少{o.unit}", f"共多少{o.unit}"))
                return self.phrase(s, metric, noun=False)
            metric = ask + r.choice((f"有多少{o.unit}", f"是多少{o.unit}", f"共有多少{o.unit}"))
            return self.phrase(s, metric)
        if key.startswith("kp_"):
            p = r.choice(rep.org.dept.projects)
            metric = {
                "kp_actual": (f"{p}实际支出", f"{p}支出", f"{p}花了多少钱", f"{p}实际使用了多少"),
                "kp_initial": (f"{p}年初预算", f"{p}的年初预算", f"{p}年初安排了多少"),
                "kp_full": (f"{p}全年预算", f"{p}调整后的全年预算"),
                "kp_rate": (f"{p}执行率", f"{p}的预算执行率", f"{p}的执行率"),
            }[key]
            text = r.choice(metric)
            if "多少" in text:
                return self.phrase(s, text, noun=False)
            return self.phrase(s, text + r.choice(_SHARE_ASKS if key == "kp_rate" else _MONEY_ASKS))
        counted = {
            "quota": (("编制有多少名", True), ("核定编制多少名", True), ("编制数是多少名", True)),
            "staff": (("在职人员有多少人", True), ("实有在职人员多少人", True), ("在职人数是多少", True)),
            "retired": (("退休人员有多少人", True), ("有多少退休人员", False), ("退休人数是多少", True)),
            "cars": (("有几辆公务用车", False), ("公务用车有几辆", True), ("公务车辆有多少辆", True)),
        }
        if key in counted:
            text, noun = r.choice(counted[key])
            return self.phrase(s, text, noun)
        if key in _COLLOQUIAL and r.random() < 0.25:
            return self.phrase(s, r.choice(_COLLOQUIAL[key]), noun=False)
        names = [n for n in _NAMES[key] if n not in (fact.label, fact.label.strip("“”"))] or list(_NAMES[key])
        name = r.choice(names)
        if key == "satisfaction":
            return self.phrase(s, name + r.choice(("是多少", "达到了多少", "为多少")))
        if key == "score":
            return self.phrase(s, name + r.choice(("是多少分", "多少分", "为多少")))
        asks = _SHARE_ASKS if fact.unit == "%" else _MONEY_ASKS
        return self.phrase(s, name + r.choice(asks))

    def passage(self) -> dict | None:
        r = self.rng
        entry = r.choice(self.entries)
        rep = entry.report
        kind = r.choice(("problems", "measures", "goals"))
        clauses = [c for c in rep.clauses[kind] if not re.search(r"[0-9０-９]", c) and len(c) >= 8]
        if not clauses:
            return None
        fewest = min(self.clause_count[c] for c in clauses)
        text = r.choice([c for c in clauses if self.clause_count[c] == fewest])
        s = self.subject(entry)
        if not s.when and self.newest(rep.org) is not entry:
            return None
        metric, noun = r.choice({
            "problems": (
                ("存在哪些问题", False), ("绩效自评发现了什么问题", False), ("部门整体支出存在的问题是什么", True),
                ("预算绩效管理有哪些不足", True),
            ),
            "measures": (
                ("改进措施有哪些", True), ("下一步打算怎么改进", False), ("提出了哪些整改措施", False),
                ("下一步有什么改进措施", False),
            ),
            "goals": (("年度绩效目标是什么", True), ("年度工作目标有哪些", True), ("确定了哪些绩效目标", False)),
        }[kind])  # fmt: skip
        q = self.phrase(s, metric, noun)
        return {"kind": "passage", "q": q, "doc": entry.name, "text": text}

    def negative(self) -> dict | None:
        r = self.rng
        kind = r.choice(("org", "year", "metric"))
        metric_key = r.choice(("basic", "total", "project", "reception", "personnel", "income", "sangong"))
        name = r.choice(_NAMES[metric_key])
        ask = r.choice(("是多少", "多少", "为多少", "有多少"))
        year = r.randint(FIRST_YEAR, LAST_YEAR)
        if kind == "org":
            dept = r.choice(DEPTS)
            if r.random() < 0.5:
                region = r.choice(RESERVED_REGIONS)
                who = region + dept.county_name
            else:
                region = r.choice(sorted(self.regions))
                who = region + r.choice(RESERVED_DEPTS)
            q = self.phrase(Subject(who, f"{year}年"), name + ask)
            return {"kind": "negative", "q": q, "why": f"org: {who} is not in the archive"}
        entry = r.choice(self.entries)
        org = entry.report.org
        s = self.subject(entry)
        if kind == "year":
            bad = r.choice(NEGATIVE_YEARS)
            texts = [e.report.text for e in self.by_org[org.name]]
            if any(re.search(rf"{bad}年(?!\d{{1,2}}月)", t) for t in texts):
                return None
            q = self.phrase(Subject(s.who, r.choice((f"{bad}年", f"{bad}年度"))), name + ask)
            why = f"year: {bad} is outside {FIRST_YEAR}-{LAST_YEAR} and no report states it"
            return {"kind": "negative", "q": q, "why": why}
        other = r.choice([d for d in DEPTS if d is not org.dept])
        texts = [e.report.text for e in self.by_org[org.name]]
        if any(k in t for k in other.keywords for t in texts):
            return None
        metric = r.choice(other.negative_asks)
        q = self.phrase(s, metric + r.choice(("是多少", "多少", "有多少")))
        why = f"metric: no report of {org.name} mentions {'/'.join(other.keywords)}"
        return {"kind": "negative", "q": q, "why": why}


def make_questions(seed: int, entries: list[Entry], n: int) -> list[dict]:
    """About 70% figure, 15% passage and 15% negative questions over the whole archive, deterministic in
    (seed, N); a question text occurs once."""
    asker = Asker(seed, entries)
    want = {"figure": round(n * 0.7), "passage": round(n * 0.15)}
    want["negative"] = n - want["figure"] - want["passage"]
    made: dict[str, list[dict]] = {k: [] for k in want}
    seen: set[str] = set()
    asked: Counter[tuple[str, str]] = Counter()
    make = {"figure": asker.figure, "passage": asker.passage, "negative": asker.negative}
    for kind in ("figure", "passage", "negative"):
        tries = 0
        while len(made[kind]) < want[kind] and tries < 200 * n + 1000:
            tries += 1
            item = make[kind]()
            if item is None or item["q"] in seen:
                continue
            if kind == "figure":  # spread over facts: the same fact of one report at most twice
                fact = (item["doc"], item["value"] + item["unit"])
                if asked[fact] >= 2:
                    continue
                asked[fact] += 1
            seen.add(item["q"])
            made[kind].append(item)
    items = made["figure"] + made["passage"] + made["negative"]
    asker.rng.shuffle(items)
    return [{"id": f"s{k + 1:04d}", **item} for k, item in enumerate(items)]


# --- main ------------------------------------------------------------------------------------------


def generate(n: int, out: Path, seed: int = 7, n_questions: int = 200, force: bool = False) -> dict:
    """Write the archive and its questions; returns counts for the summary."""
    t0 = time.perf_counter()
    corpus = out / "corpus"
    if corpus.exists() and any(corpus.iterdir()):
        if not force:
            raise SystemExit(f"synth: {corpus} is not empty (use --force to replace it)")
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True, exist_ok=True)
    entries = archive(seed, n)
    for e in entries:
        write_report(e.report, corpus / e.name, seed, e.i)
    questions = make_questions(seed, entries, n_questions)
    with open(out / "questions.jsonl", "w", encoding="utf-8") as fh:
        for q in questions:
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")
    return {
        "formats": Counter(e.report.fmt for e in entries),
        "kinds": Counter(q["kind"] for q in questions),
        "chars": sorted(len(e.report.text) for e in entries),
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of reports")
    parser.add_argument("out", type=Path, help="output folder: corpus/ and questions.jsonl are written in it")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--force", action="store_true", help="replace an existing OUT_DIR/corpus/")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    s = generate(args.n, args.out, args.seed, args.questions, args.force)
    f, k, chars = s["formats"], s["kinds"], s["chars"]
    print(
        f"synth: {args.n} reports (txt {f['txt']}, docx {f['docx']}, pdf {f['pdf']}; median {chars[len(chars) // 2]} "
        f"chars), {sum(k.values())} questions (figure {k['figure']}, passage {k['passage']}, negative "
        f"{k['negative']}) in {s['seconds']:.1f} s → {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
