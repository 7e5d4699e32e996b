"""Build the rows of a synthetic district (org tree, accounts, households, field work, responses) from a seed; no SQL."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from settings import now as settings_now
from surveys import constants as c
from surveys.model import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    DateQuestion,
    MatrixQuestion,
    MultiChoiceQuestion,
    Not,
    NoteQuestion,
    NpsQuestion,
    NumberQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    Survey,
    TextQuestion,
    is_satisfaction_question,
)

SATISFACTION_SURVEY = "qunzhong_manyidu"
VISIT_SURVEY = "ruhu_zoufang"
DEMO_PASSWORD = "demo1234"
DAYS = 60
# Responses are generated in fixed chunks, each from its own child seed, so the
# rows do not depend on how a caller batches them and memory stays bounded.
RESPONSE_CHUNK = 200_000
HOUSEHOLD_TAGS = ("低保户", "独居老人", "残疾人", "退役军人", "留守儿童", "重点关注")
PROBLEM_CATEGORIES = ("环境卫生", "道路交通", "社会保障", "医疗卫生", "治安", "就业", "住房", "其他")
PROBLEM_STATES = ("new", "assigned", "in_progress", "resolved", "closed")
# (action, from_state, to_state) for each step of a problem's life.
PROBLEM_STEPS = (
    ("create", None, "new"),
    ("assign", "new", "assigned"),
    ("start", "assigned", "in_progress"),
    ("resolve", "in_progress", "resolved"),
    ("close", "resolved", "closed"),
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_CHARS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国建华志强志明海燕雪梅凤兰淑珍玉兰春梅德明文军国强红梅丽华振华晓东卫东庆华桂芝翠花金凤宝山长林永福"
TOWN_NAMES = ("清河街道", "东风街道", "柳林镇", "南湖街道", "石桥镇", "金沙镇", "北关街道", "白马镇")
COMMUNITY_STEMS = "幸福 和平 光明 新华 民主 团结 建设 友谊 向阳 东升 兴隆 富强 丰收 太平 长青 红星 前进 永安 顺意 锦绣 桃园 杏花 松林 柳岸 荷塘 翠竹 梅园 枫桥 金桂 银杏 朝阳 凤凰 青龙 白云 碧水 龙泉 观山 望江 新村 后街 马家 李庄 王营 张湾 刘集".split()
STREETS = ("人民路", "解放路", "中山路", "建设路", "文化路", "胜利路", "和平街", "新华街", "学府路", "滨河路")
ESTATES = ("阳光花园", "锦绣家园", "金色港湾", "幸福里", "翠湖苑", "和谐小区", "书香门第", "世纪城", "康乐小区", "丽景苑")
SUGGESTIONS = (
    "希望小区加装电梯，老人上下楼太不方便",
    "路灯坏了很久没人修，晚上出门不安全",
    "垃圾清运不及时，夏天味道很大",
    "希望增加社区养老服务，白天有人照看老人",
    "小区停车太难，希望规划更多车位",
    "楼道里堆放杂物，存在消防隐患",
    "希望多组织一些文体活动",
    "网格员服务很热情，办事效率高，点赞",
    "下水道经常堵塞，希望彻底检修",
    "希望在附近增设公交站点",
    "菜市场周边占道经营，交通拥堵",
    "孩子上学接送不方便，希望学校门口加强交通疏导",
    "医保报销手续太繁琐，希望简化流程",
    "噪音扰民，夜间施工影响休息",
    "希望在小区里安装充电桩，电动车乱拉电线很危险",
    "社区工作人员态度很好，继续保持",
    "希望尽快修缮破损的道路",
    "流浪狗太多，担心伤人",
    "自来水水压不够，高层经常停水",
    "希望多关心独居老人",
    "就业信息太少，希望多开展技能培训",
    "健身器材损坏了，希望更换",
    "物业管理跟不上，收费不透明",
    "雨天小区积水严重",
    "总体满意，没有其他意见",
)
PROBLEM_TEXTS: Mapping[str, tuple[str, ...]] = {
    "环境卫生": ("楼道垃圾长期无人清理", "小区化粪池满溢，气味刺鼻", "河道漂浮垃圾较多", "公共厕所损坏无人维修"),
    "道路交通": ("门前道路坑洼不平，雨天积水", "路口缺少红绿灯，车辆通行危险", "村道路灯损坏多日", "占道停车影响消防通道"),
    "社会保障": ("申请低保材料提交后迟迟没有结果", "老人高龄补贴未按时发放", "残疾人补贴如何办理不清楚", "养老保险缴费咨询"),
    "医疗卫生": ("家庭医生签约后没有上门随访", "慢性病用药在社区卫生站买不到", "希望社区开展免费体检"),
    "治安": ("小区门禁损坏，外来人员随意进出", "夜间有人聚集喧哗", "电动车被盗，希望加装监控"),
    "就业": ("家中有失业人员，希望推荐工作", "希望参加技能培训", "灵活就业社保补贴如何申请"),
    "住房": ("房屋屋顶漏雨，需要修缮", "老旧小区改造进度慢", "公租房申请流程咨询", "外墙瓷砖脱落存在安全隐患"),
    "其他": ("邻里纠纷需要调解", "希望协助办理户籍迁移", "宠物扰民问题"),
}
VISIT_NOTES = ("家中老人身体尚可", "反映诉求已记录", "对社区工作表示满意", "需要回访", "已宣传相关政策", "")


@dataclass
class OrgUnits:
    """The org tree: district, towns, communities, grids (columns of equal length)."""

    id: list[int] = field(default_factory=list)
    parent_id: list[int | None] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)

    def add(self, parent_index: int | None, level: int, code: str, name: str, unit_id: int) -> int:
        parent_id = None if parent_index is None else self.id[parent_index]
        parent_path = "/" if parent_index is None else self.path[parent_index]
        self.id.append(unit_id)
        self.parent_id.append(parent_id)
        self.level.append(level)
        self.code.append(code)
        self.name.append(name)
        self.path.append(f"{parent_path}{unit_id}/")
        return len(self.id) - 1

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Users:
    """Demo accounts; `password` is the plain demo password (hashed by the loader)."""

    id: list[int] = field(default_factory=list)
    username: list[str] = field(default_factory=list)
    display_name: list[str] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    org_unit_id: list[int] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)
    password: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Households:
    id: np.ndarray
    code: list[str]
    head_name: list[str]
    phone: list[str]
    address: list[str]
    grid_id: np.ndarray
    members: np.ndarray
    tag_household_id: np.ndarray
    tag: list[str]

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Campaign:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    visit_survey_id: str
    coverage_target: float
    unit_ids: list[int]
    created_by: int


@dataclass
class Visits:
    id: np.ndarray
    client_key: list[str]
    household_id: np.ndarray
    org_unit_id: np.ndarray
    cadre_id: np.ndarray
    visited_at: np.ndarray  # datetime64[s]
    outcome: list[str]
    response_id: np.ndarray  # 0 = none
    follow_up: np.ndarray
    is_return_visit: np.ndarray
    note: list[str]

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class Problems:
    id: np.ndarray
    client_key: list[str]
    household_id: np.ndarray
    org_unit_id: np.ndarray
    visit_id: np.ndarray
    response_id: np.ndarray
    category: list[str]
    description: list[str]
    urgency: list[str]
    state: list[str]
    assignee_user_id: np.ndarray  # 0 = none
    assignee_unit_id: np.ndarray
    raised_at: np.ndarray
    due_on: list[dt.date]
    resolved_at: list[dt.datetime | None]
    closed_at: list[dt.datetime | None]
    resolution_satisfaction: list[int | None]
    created_by: np.ndarray

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class ProblemEvents:
    id: list[int] = field(default_factory=list)
    problem_id: list[int] = field(default_factory=list)
    occurred_at: list[dt.datetime] = field(default_factory=list)
    actor_id: list[int] = field(default_factory=list)
    action: list[str] = field(default_factory=list)
    from_state: list[str | None] = field(default_factory=list)
    to_state: list[str] = field(default_factory=list)
    note: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class ResponseBatch:
    """A chunk of responses and their answer rows, columnar (numpy / lists) for an Arrow insert.

    Answer text is dictionary-coded: ``answer_text_code`` indexes ``text_vocab`` (-1 = NULL),
    ``answer_question_code`` indexes ``question_vocab``, ``answer_row_code`` indexes ``row_vocab``.
    """

    id: np.ndarray
    client_key: list[str]
    survey_id: str
    survey_version: int
    org_unit_id: np.ndarray
    household_id: np.ndarray  # 0 = none
    visit_id: np.ndarray  # 0 = none
    channel: np.ndarray  # of str
    submitted_at: np.ndarray  # datetime64[s]
    started_at: np.ndarray
    duration_seconds: np.ndarray
    submitted_by: np.ndarray  # 0 = none
    sat_n: np.ndarray
    sat_ok: np.ndarray
    sat_index_sum: np.ndarray
    nps_score: np.ndarray  # -1 = none
    voided: np.ndarray  # bool
    answer_response_id: np.ndarray
    answer_question_code: np.ndarray
    answer_row_code: np.ndarray
    answer_value_num: np.ndarray  # NaN = NULL
    answer_text_code: np.ndarray
    question_vocab: list[str]
    row_vocab: list[str]
    text_vocab: list[str]

    def __len__(self) -> int:
        return len(self.id)

    def answers_of(self, response_id: int) -> list[tuple[str, str, float | None, str | None]]:
        """The answer rows of one response as (question_id, row_id, value_num, value_text), for tests."""
        rows = []
        for i in np.flatnonzero(self.answer_response_id == response_id):
            num = self.answer_value_num[i]
            text = self.answer_text_code[i]
            rows.append((
                self.question_vocab[self.answer_question_code[i]],
                self.row_vocab[self.answer_row_code[i]],
                None if np.isnan(num) else float(num),
                None if text < 0 else self.text_vocab[text],
            ))
        return rows


# --- the answer synthesiser -------------------------------------------------


class _Column:
    """One question's answers for a chunk: answered/hidden masks and the values."""

    def __init__(self, n: int) -> None:
        self.hidden = np.zeros(n, dtype=bool)
        self.answered = np.zeros(n, dtype=bool)
        self.num = np.full(n, np.nan)  # rating / nps / number / date ordinal
        self.choice = np.full(n, -1, dtype=np.int64)  # single_choice index
        self.multi: np.ndarray | None = None  # multi_choice: bool [n, k]
        self.text = np.full(n, -1, dtype=np.int64)  # text vocab code (text questions)
        self.rows: dict[str, np.ndarray] = {}  # matrix row id -> scale value (NaN = none)


class AnswerSynth:
    """Generates answers for any survey definition, vectorised over many respondents.

    Each respondent has a latent satisfaction (standard-normal-ish, shifted by their
    unit); ratings, matrix rows and NPS follow it, so unit rankings are meaningful.
    Conditions are evaluated column-wise with the semantics of surveys.conditions.
    """

    def __init__(self, survey: Survey, plan_seed: int) -> None:
        self.survey = survey
        rng = np.random.Generator(np.random.PCG64(plan_seed))
        self.questions = [q for q in survey.questions]
        self.question_vocab = [q.id for q in self.questions]
        self.row_vocab = [""]
        for q in self.questions:
            if isinstance(q, MatrixQuestion):
                self.row_vocab.extend(r.id for r in q.rows if r.id not in self.row_vocab)
        self.text_vocab: list[str] = []
        self._text_index: dict[str, int] = {}
        # A fixed preference profile per choice question, drawn once per survey.
        self.weights: dict[str, np.ndarray] = {}
        self.item_shift: dict[str, float] = {}
        for q in self.questions:
            if isinstance(q, (SingleChoiceQuestion, MultiChoiceQuestion)) and q.choices:
                self.weights[q.id] = rng.dirichlet(np.full(len(q.choices), 2.0))
            if isinstance(q, MatrixQuestion):
                for r in q.rows:
                    self.item_shift[f"{q.id}.{r.id}"] = float(rng.normal(0, 0.25))
            elif isinstance(q, RatingQuestion):
                self.item_shift[q.id] = float(rng.normal(0, 0.2))
        for q in self.questions:
            if isinstance(q, (SingleChoiceQuestion, MultiChoiceQuestion)):
                for ch in q.choices:
                    self._code(str(ch.value))
        self.suggestion_codes = np.array([self._code(s) for s in SUGGESTIONS])
        self.phone_codes = np.array([self._code(p) for p in _phones(rng, 500)])
        self.sat_questions = [q for q in self.questions if is_satisfaction_question(q)]

    def _code(self, text: str) -> int:
        code = self._text_index.get(text)
        if code is None:
            code = self._text_index[text] = len(self.text_vocab)
            self.text_vocab.append(text)
        return code

    # -- conditions, column-wise (mirrors surveys.conditions.evaluate) --
    def _holds(self, cond: Condition, cols: dict[str, _Column], n: int) -> np.ndarray:
        if isinstance(cond, AllOf):
            out = np.ones(n, dtype=bool)
            for sub in cond.conditions:
                out &= self._holds(sub, cols, n)
            return out
        if isinstance(cond, AnyOf):
            out = np.zeros(n, dtype=bool)
            for sub in cond.conditions:
                out |= self._holds(sub, cols, n)
            return out
        if isinstance(cond, Not):
            return ~self._holds(cond.condition, cols, n)
        return self._leaf(cond, cols, n)

    def _leaf(self, leaf: Comparison, cols: dict[str, _Column], n: int) -> np.ndarray:
        col = cols.get(leaf.question)
        if col is None:  # refers to a later or unknown question: unanswered so far
            return np.full(n, leaf.op == c.OP_NOT_ANSWERED)
        visible = ~col.hidden
        if leaf.op == c.OP_ANSWERED:
            return visible & col.answered
        if leaf.op == c.OP_NOT_ANSWERED:
            return visible & ~col.answered
        q = self.survey.question(leaf.question)
        if isinstance(q, (SingleChoiceQuestion, MultiChoiceQuestion)):
            values = [ch.value for ch in q.choices]
            if leaf.op == c.OP_CONTAINS:
                match = np.array([v == leaf.value or str(v) == str(leaf.value) for v in values])
                hit = (col.multi[:, match].any(axis=1)) if col.multi is not None and match.any() else np.zeros(n, bool)
                return col.answered & hit
            per_choice = np.array([_compare_scalar(leaf.op, v, leaf.value) for v in values] + [False])
            return col.answered & per_choice[col.choice]
        if isinstance(q, TextQuestion):
            per_code = np.array([_compare_scalar(leaf.op, t, leaf.value) for t in self.text_vocab] + [False])
            return col.answered & per_code[col.text]
        if isinstance(q, DateQuestion):
            ordinals = col.num
            value = leaf.value
            if isinstance(value, dt.date):
                return col.answered & _compare_array(leaf.op, ordinals, float(value.toordinal()))
            return np.zeros(n, bool)
        if leaf.op in c.LIST_OPERATORS:
            inside = np.zeros(n, bool)
            for item in leaf.value:
                inside |= col.num == float(item)
            return col.answered & (inside if leaf.op == c.OP_IN else ~inside)
        if isinstance(leaf.value, (int, float)) and not isinstance(leaf.value, bool):
            return col.answered & _compare_array(leaf.op, col.num, float(leaf.value))
        return np.zeros(n, bool)

    # -- generation --
    def generate(self, rng: np.random.Generator, latent: np.ndarray, answer_rate: float = 1.0) -> tuple[dict[str, _Column], dict[str, np.ndarray]]:
        """Answers for len(latent) respondents; returns the columns and the summary arrays."""
        n = len(latent)
        cols: dict[str, _Column] = {}
        for q in self.questions:
            col = _Column(n)
            if q.show_if is not None:
                col.hidden = ~self._holds(q.show_if, cols, n)
            shown = ~col.hidden
            if isinstance(q, NoteQuestion):
                cols[q.id] = col
                continue
            if q.required:
                willing = np.ones(n, bool)
            elif isinstance(q, TextQuestion):
                willing = rng.random(n) < 0.35
            elif isinstance(q, MultiChoiceQuestion) and not q.min_choices:
                willing = rng.random(n) < 0.25  # "tick any that apply" is mostly left empty
            else:
                willing = rng.random(n) < 0.93 * answer_rate
            if isinstance(q, RatingQuestion):
                col.num = self._scale_values(q.scale, latent + self.item_shift.get(q.id, 0.0) + rng.normal(0, 0.55, n))
            elif isinstance(q, MatrixQuestion):
                any_row = np.zeros(n, bool)
                for r in q.rows:
                    noise = rng.normal(0, 0.6, n)
                    values = self._scale_values(q.scale, latent + self.item_shift[f"{q.id}.{r.id}"] + noise)
                    row_answered = shown & willing & ((rng.random(n) < 0.97) | q.required)
                    values[~row_answered] = np.nan
                    col.rows[r.id] = values
                    any_row |= row_answered
                col.answered = any_row
                cols[q.id] = col
                continue
            elif isinstance(q, NpsQuestion):
                col.num = np.clip(np.rint(8.0 + 1.6 * latent + rng.normal(0, 1.2, n)), 0, 10)
            elif isinstance(q, SingleChoiceQuestion):
                if not q.choices:
                    cols[q.id] = col
                    continue
                col.choice = rng.choice(len(q.choices), size=n, p=self.weights[q.id])
            elif isinstance(q, MultiChoiceQuestion):
                col.multi = self._multi(rng, q, n)
            elif isinstance(q, TextQuestion):
                if q.pattern:
                    col.text = rng.choice(self.phone_codes, size=n)
                    if not re.fullmatch(q.pattern, self.text_vocab[self.phone_codes[0]]):
                        willing &= False
                else:
                    col.text = rng.choice(self.suggestion_codes, size=n)
            elif isinstance(q, NumberQuestion):
                low = q.min if q.min is not None else 0
                high = q.max if q.max is not None else max(low + 10, 10)
                high = min(high, low + 100)
                col.num = rng.uniform(low, high, n)
                if q.integer or float(low).is_integer():
                    col.num = np.clip(np.floor(col.num), low, high)
            elif isinstance(q, DateQuestion):
                low = (q.min or dt.date(2026, 1, 1)).toordinal()
                high = (q.max or dt.date(2026, 12, 31)).toordinal()
                col.num = rng.integers(low, high + 1, n).astype(float)
            col.answered = shown & willing
            if isinstance(q, (RatingQuestion, NpsQuestion, NumberQuestion, DateQuestion)):
                col.num[~col.answered] = np.nan
            if col.multi is not None:
                col.multi[~col.answered] = False
            col.choice[~col.answered] = -1
            col.text[~col.answered] = -1
            cols[q.id] = col
        return cols, self._summary(cols, n)

    def _scale_values(self, scale: tuple, signal: np.ndarray) -> np.ndarray:
        """Map a latent signal onto a scale: 0 is about '满意', +1 '非常满意', -2 '不满意'."""
        ordered = sorted(scale, key=lambda ch: ch.points)
        k = len(ordered)
        position = np.clip((signal + 3.0) / 4.0, 0.0, 1.0)  # 0..1 along the scale
        index = np.clip(np.rint(position * (k - 1)), 0, k - 1).astype(np.int64)
        values = np.array([float(ch.value) for ch in ordered])
        return values[index]

    def _multi(self, rng: np.random.Generator, q: MultiChoiceQuestion, n: int) -> np.ndarray:
        k = len(q.choices)
        low = max(q.min_choices or 1, 1)
        high = min(q.max_choices or k, k, max(low, 3))
        count = rng.integers(low, high + 1, n)
        keys = rng.random((n, k)) ** (1.0 / self.weights[q.id])  # weighted sampling without replacement
        ranks = np.argsort(np.argsort(-keys, axis=1), axis=1)
        return ranks < count[:, None]

    def _summary(self, cols: dict[str, _Column], n: int) -> dict[str, np.ndarray]:
        sat_n = np.zeros(n, np.int64)
        sat_ok = np.zeros(n, np.int64)
        index_sum = np.zeros(n)
        level = self.survey.satisfied_level
        for q in self.sat_questions:
            points_of = {float(ch.value): float(ch.points) for ch in q.scale}
            low, high = min(points_of.values()), max(points_of.values())
            values = list(cols[q.id].rows.values()) if isinstance(q, MatrixQuestion) else [cols[q.id].num]
            for v in values:
                answered = ~np.isnan(v)
                points = np.full(n, np.nan)
                for value, pts in points_of.items():
                    points[v == value] = pts
                sat_n += answered
                sat_ok += answered & (points >= level)
                index_sum += np.where(answered, (points - low) / (high - low) * 100.0, 0.0)
        nps = np.full(n, -1, np.int64)
        for q in self.questions:
            if isinstance(q, NpsQuestion):
                col = cols[q.id]
                nps = np.where(col.answered, np.nan_to_num(col.num, nan=-1).astype(np.int64), -1)
                break
        return {"sat_n": sat_n, "sat_ok": sat_ok, "sat_index_sum": index_sum, "nps_score": nps}

    def rows(self, cols: dict[str, _Column], response_ids: np.ndarray) -> dict[str, np.ndarray]:
        """The long answer rows (one per answered item), grouped by response."""
        parts: list[tuple[np.ndarray, int, int, np.ndarray, np.ndarray]] = []
        for qi, q in enumerate(self.questions):
            col = cols[q.id]
            if isinstance(q, NoteQuestion):
                continue
            if isinstance(q, MatrixQuestion):
                for r in q.rows:
                    v = col.rows[r.id]
                    idx = np.flatnonzero(~np.isnan(v))
                    parts.append((idx, qi, self.row_vocab.index(r.id), v[idx], np.full(len(idx), -1)))
            elif isinstance(q, MultiChoiceQuestion):
                if col.multi is None:
                    continue
                codes = np.array([self._text_index[str(ch.value)] for ch in q.choices])
                who, which = np.nonzero(col.multi)
                parts.append((who, qi, 0, np.full(len(who), np.nan), codes[which]))
            elif isinstance(q, SingleChoiceQuestion):
                idx = np.flatnonzero(col.answered)
                if not q.choices:
                    continue
                codes = np.array([self._text_index[str(ch.value)] for ch in q.choices])
                parts.append((idx, qi, 0, np.full(len(idx), np.nan), codes[col.choice[idx]]))
            elif isinstance(q, TextQuestion):
                idx = np.flatnonzero(col.answered)
                parts.append((idx, qi, 0, np.full(len(idx), np.nan), col.text[idx]))
            elif isinstance(q, DateQuestion):
                idx = np.flatnonzero(col.answered)
                ords = col.num[idx].astype(np.int64)
                codes = np.array([self._code(dt.date.fromordinal(int(o)).isoformat()) for o in np.unique(ords)])
                lookup = dict(zip(np.unique(ords).tolist(), codes.tolist()))
                parts.append((idx, qi, 0, np.full(len(idx), np.nan), np.array([lookup[o] for o in ords.tolist()], dtype=np.int64)))
            else:
                idx = np.flatnonzero(col.answered)
                parts.append((idx, qi, 0, col.num[idx], np.full(len(idx), -1)))
        who = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        order = np.argsort(who, kind="stable")
        return {
            "response_id": response_ids[who[order]],
            "question_code": np.concatenate([np.full(len(p[0]), p[1], np.int32) for p in parts])[order],
            "row_code": np.concatenate([np.full(len(p[0]), p[2], np.int32) for p in parts])[order],
            "value_num": np.concatenate([p[3] for p in parts])[order],
            "text_code": np.concatenate([np.asarray(p[4], np.int64) for p in parts])[order],
        }

    def answers_dict(self, cols: dict[str, _Column], i: int) -> dict[str, Any]:
        """Respondent i's answers in the shape surveys.* functions take (for tests)."""
        out: dict[str, Any] = {}
        for q in self.questions:
            col = cols[q.id]
            if isinstance(q, NoteQuestion) or not col.answered[i]:
                continue
            if isinstance(q, MatrixQuestion):
                out[q.id] = {rid: int(v[i]) for rid, v in col.rows.items() if not np.isnan(v[i])}
            elif isinstance(q, MultiChoiceQuestion):
                out[q.id] = [str(ch.value) for j, ch in enumerate(q.choices) if col.multi[i, j]]
            elif isinstance(q, SingleChoiceQuestion):
                out[q.id] = str(q.choices[col.choice[i]].value)
            elif isinstance(q, TextQuestion):
                out[q.id] = self.text_vocab[col.text[i]]
            elif isinstance(q, DateQuestion):
                out[q.id] = dt.date.fromordinal(int(col.num[i]))
            elif isinstance(q, NumberQuestion):
                v = float(col.num[i])
                out[q.id] = int(v) if v.is_integer() else v
            else:
                out[q.id] = int(col.num[i])
        return out


def _compare_scalar(op: str, answer: Any, value: Any) -> bool:
    from surveys.conditions import _compare

    return _compare(op, answer, value)


def _compare_array(op: str, a: np.ndarray, v: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return {
            c.OP_EQ: a == v, c.OP_NE: a != v, c.OP_LT: a < v, c.OP_LE: a <= v, c.OP_GT: a > v, c.OP_GE: a >= v,
        }[op]


def _phones(rng: np.random.Generator, n: int) -> list[str]:
    second = rng.integers(3, 10, n)
    rest = rng.integers(0, 10**9, n)
    return [f"1{s}{r:09d}" for s, r in zip(second.tolist(), rest.tolist())]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = np.array(list(SURNAMES))
    weights = 1.0 / np.arange(1, len(surnames) + 1) ** 0.8  # 王李张刘陈 are the most common
    chars = np.array(list(GIVEN_CHARS))
    s = rng.choice(surnames, size=n, p=weights / weights.sum())
    g1 = rng.choice(chars, size=n)
    g2 = rng.choice(chars, size=n)
    two = rng.random(n) < 0.7
    return [a + b + (d if t else "") for a, b, d, t in zip(s.tolist(), g1.tolist(), g2.tolist(), two.tolist())]


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64).astype(np.uint64)
    return [str(uuid.UUID(int=(int(a) << 64) | int(b), version=4)) for a, b in raw.tolist()]


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The date `days` working days (Mon–Fri) after `day`."""
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


# --- the district -----------------------------------------------------------


@dataclass
class DemoDistrict:
    """Every demo row, built from a seed; responses come in chunks from `response_batches()`."""

    seed: int
    today: dt.date
    org_units: OrgUnits
    users: Users
    households: Households
    campaign: Campaign
    visits: Visits
    problems: Problems
    problem_events: ProblemEvents
    responses: int
    surveys: Mapping[str, Survey]
    grid_effect: np.ndarray  # per grid index, the satisfaction shift
    grid_ids: np.ndarray
    grid_cadre: np.ndarray
    admin_id: int
    id_base: Mapping[str, int]
    visit_batch: ResponseBatch | None = None

    @property
    def window_start(self) -> dt.datetime:
        return dt.datetime.combine(self.today - dt.timedelta(days=DAYS), dt.time())

    @property
    def window_end(self) -> dt.datetime:
        # Everything lies before today 00:00, so nothing is ever in the future.
        return dt.datetime.combine(self.today, dt.time())

    def first_response_id(self) -> int:
        return self.id_base.get("responses", 1) + (len(self.visit_batch) if self.visit_batch is not None else 0)

    def response_batches(self) -> Iterator[ResponseBatch]:
        """The satisfaction-survey responses in chunks of RESPONSE_CHUNK (the visit responses come first, in `visit_batch`)."""
        survey = self.surveys[SATISFACTION_SURVEY]
        synth = AnswerSynth(survey, self.seed * 7919 + 1)
        children = np.random.SeedSequence([self.seed, 2]).spawn(max(1, -(-self.responses // RESPONSE_CHUNK)))
        first = self.first_response_id()
        for k, start in enumerate(range(0, self.responses, RESPONSE_CHUNK)):
            n = min(RESPONSE_CHUNK, self.responses - start)
            rng = np.random.Generator(np.random.PCG64(children[k]))
            yield self._satisfaction_batch(synth, rng, first + start, n)

    def _satisfaction_batch(self, synth: AnswerSynth, rng: np.random.Generator, first_id: int, n: int) -> ResponseBatch:
        ids = np.arange(first_id, first_id + n, dtype=np.int64)
        grid_index = rng.integers(0, len(self.grid_ids), n)
        start = np.datetime64(self.window_start, "s").astype(np.int64)
        span = int((self.window_end - self.window_start).total_seconds())
        # Days weighted toward recent weeks (the campaign picks up), hours toward daytime.
        day = np.floor((rng.random(n) ** 0.8) * DAYS).astype(np.int64)
        hour = np.clip(rng.normal(14.5, 3.5, n), 7, 23.5)
        submitted = start + day * 86400 + (hour * 3600).astype(np.int64)
        submitted = np.minimum(submitted, start + span - 1)
        trend = (day / DAYS - 0.5) * 0.3  # a little better lately
        latent = self.grid_effect[grid_index] + trend + rng.normal(0, 0.75, n)
        cols, summary = synth.generate(rng, latent)
        channel = rng.choice(np.array(["link", "visit", "import"]), size=n, p=[0.6, 0.3, 0.1])
        hh_ids = self.households.id
        hh_grid = self.households.grid_id
        # A household in the response's grid for visits and imports (when the grid has any).
        order = np.argsort(hh_grid, kind="stable")
        sorted_grid = hh_grid[order]
        unit = self.grid_ids[grid_index]
        lo = np.searchsorted(sorted_grid, unit, "left")
        hi = np.searchsorted(sorted_grid, unit, "right")
        has = hi > lo
        pick = lo + np.floor(rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
        household = np.where(has & (channel != "link"), hh_ids[order][np.minimum(pick, len(order) - 1)], 0)
        submitted_by = np.where(channel == "visit", self.grid_cadre[grid_index], np.where(channel == "import", self.admin_id, 0))
        duration = rng.uniform(40, 180, n).round(1)
        voided = rng.random(n) < 0.004
        rows = synth.rows(cols, ids)
        return ResponseBatch(
            id=ids,
            client_key=_uuids(rng, n),
            survey_id=SATISFACTION_SURVEY,
            survey_version=1,
            org_unit_id=unit,
            household_id=household,
            visit_id=np.zeros(n, np.int64),
            channel=channel,
            submitted_at=submitted.astype("datetime64[s]"),
            started_at=(submitted - duration.astype(np.int64)).astype("datetime64[s]"),
            duration_seconds=duration,
            submitted_by=submitted_by,
            voided=voided,
            **summary,
            answer_response_id=rows["response_id"],
            answer_question_code=rows["question_code"],
            answer_row_code=rows["row_code"],
            answer_value_num=rows["value_num"],
            answer_text_code=rows["text_code"],
            question_vocab=synth.question_vocab,
            row_vocab=synth.row_vocab,
            text_vocab=list(synth.text_vocab),
        )


def build_district(
    households: int = 3000,
    seed: int = 1,
    responses: int | None = None,
    today: dt.date | None = None,
    *,
    surveys: Mapping[str, Survey] | None = None,
    id_base: Mapping[str, int] | None = None,
    name_prefix: str = "",
) -> DemoDistrict:
    """Build a district deterministically from `seed`.

    responses: satisfaction-survey responses (default 3 per household); the
        visit responses (one per met visit) come on top.
    surveys: the two templates by id (default: surveys.loader.load_templates()).
    id_base: first id per table (default 1), so a district can sit beside other rows.
    name_prefix: prepended to usernames and org codes when those would collide.
    """
    today = today or settings_now().date()  # the deployment's day (MINYI_TZ), as the dashboards count it
    base = {t: 1 for t in ("org_units", "users", "households", "campaigns", "visits", "responses", "problems", "problem_events")}
    base.update(id_base or {})
    if surveys is None:
        from surveys.loader import load_templates

        surveys = load_templates().surveys
    for needed in (SATISFACTION_SURVEY, VISIT_SURVEY):
        if needed not in surveys:
            raise LookupError(f"template survey {needed!r} is missing")
    if responses is None:
        responses = min(3 * households, 1_000_000)
    rng = np.random.Generator(np.random.PCG64(seed))

    # -- org tree: 区 > 镇/街道 > 村/社区 > 网格
    units = OrgUnits()
    next_id = iter(range(base["org_units"], 10**15))
    p = name_prefix
    root = units.add(None, 1, f"{p}D01", "清河区", next(next_id))
    n_towns = int(rng.integers(5, 8))
    towns, communities, grids = [], [], []
    community_names = rng.permutation(COMMUNITY_STEMS)
    ci = 0
    for t in range(n_towns):
        town_name = TOWN_NAMES[t]
        town = units.add(root, 2, f"{p}D01-T{t + 1:02d}", town_name, next(next_id))
        towns.append(town)
        village = town_name.endswith("镇")
        for k in range(int(rng.integers(5, 9))):
            stem = community_names[ci % len(community_names)]
            ci += 1
            name = f"{stem}村" if village else f"{stem}社区"
            com = units.add(town, 3, f"{p}D01-T{t + 1:02d}-C{k + 1:02d}", name, next(next_id))
            communities.append(com)
            for g in range(int(rng.integers(5, 11))):
                grids.append(units.add(com, 4, f"{units.code[com]}-G{g + 1:02d}", f"第{g + 1}网格", next(next_id)))
    unit_id = np.array(units.id)
    grid_idx = np.array(grids)
    grid_ids = unit_id[grid_idx]
    parent_of = {i: units.parent_id[i] for i in range(len(units))}
    index_of = {uid: i for i, uid in enumerate(units.id)}

    # Satisfaction varies by town, community and grid; two grids are clearly worse.
    town_eff = {tw: rng.normal(0, 0.3) for tw in towns}
    com_eff = {cm: rng.normal(0, 0.2) for cm in communities}
    grid_effect = np.array([
        town_eff[index_of[parent_of[index_of[parent_of[g]]]]] + com_eff[index_of[parent_of[g]]] + rng.normal(0, 0.2)
        for g in grids
    ])
    worst = rng.choice(len(grids), size=2, replace=False)
    grid_effect[worst] -= 1.6

    # -- accounts
    users = Users()
    uid_iter = iter(range(base["users"], 10**15))
    staff_names = _names(rng, 2 + len(towns) + len(grids))
    staff_phones = _phones(rng, len(staff_names))

    def add_user(username: str, role: str, unit_index: int) -> int:
        k = len(users)
        users.id.append(next(uid_iter))
        users.username.append(p + username)
        users.display_name.append(staff_names[k])
        users.role.append(role)
        users.org_unit_id.append(units.id[unit_index])
        users.phone.append(staff_phones[k])
        users.password.append(DEMO_PASSWORD)
        return users.id[-1]

    admin_id = add_user("admin", "admin", root)
    add_user("leader", "leader", root)
    town_leader = {tw: add_user(f"leader_t{i + 1:02d}", "leader", tw) for i, tw in enumerate(towns)}
    grid_cadre = np.array([add_user(f"cadre_{i + 1:04d}", "cadre", g) for i, g in enumerate(grids)])

    # -- households, spread unevenly over grids
    hh_ids = np.arange(base["households"], base["households"] + households, dtype=np.int64)
    share = rng.gamma(4.0, 1.0, len(grids))
    hh_grid_index = np.sort(rng.choice(len(grids), size=households, p=share / share.sum()))
    hh_grid = grid_ids[hh_grid_index]
    counters: dict[int, int] = {}
    codes, addresses = [], []
    street = rng.choice(len(STREETS), households)
    estate = rng.choice(len(ESTATES), households)
    building = rng.integers(1, 30, households)
    unit_no = rng.integers(1, 5, households)
    floor = rng.integers(1, 19, households)
    room = rng.integers(1, 5, households)
    group = rng.integers(1, 13, households)
    number = rng.integers(1, 200, households)
    for i, g in enumerate(hh_grid_index.tolist()):
        counters[g] = counters.get(g, 0) + 1
        gi = grids[g]
        codes.append(f"{units.code[gi]}-{counters[g]:04d}")
        community = index_of[parent_of[gi]]
        town = index_of[parent_of[community]]
        if units.name[town].endswith("镇"):
            addresses.append(f"{units.name[town]}{units.name[community]}{group[i]}组{number[i]}号")
        else:
            addresses.append(
                f"{units.name[town]}{STREETS[street[i]]}{ESTATES[estate[i]]}"
                f"{building[i]}栋{unit_no[i]}单元{floor[i]}{room[i]:02d}室"
            )
    members = np.clip(rng.poisson(2.2, households) + 1, 1, 6)
    tagged = np.flatnonzero(rng.random(households) < 0.10)
    tag_hh, tag = [], []
    for i in tagged.tolist():
        for t in sorted(set(rng.choice(len(HOUSEHOLD_TAGS), size=int(rng.integers(1, 3))).tolist())):
            tag_hh.append(int(hh_ids[i]))
            tag.append(HOUSEHOLD_TAGS[t])
    hh = Households(
        id=hh_ids, code=codes, head_name=_names(rng, households), phone=_phones(rng, households),
        address=addresses, grid_id=hh_grid, members=members,
        tag_household_id=np.array(tag_hh, np.int64), tag=tag,
    )

    campaign = Campaign(
        id=base["campaigns"], name=f"{today.year}年冬季大走访", starts_on=today - dt.timedelta(days=DAYS),
        ends_on=dt.date(today.year, 12, 31), visit_survey_id=VISIT_SURVEY, coverage_target=1.0,
        unit_ids=[units.id[root]], created_by=admin_id,
    )

    visits, visit_batch, problems, events = _field_work(
        rng, today, hh, hh_grid_index, grid_ids, grid_cadre, grid_effect, town_leader, towns, grids,
        index_of, parent_of, campaign, surveys[VISIT_SURVEY], base, seed,
    )

    return DemoDistrict(
        seed=seed, today=today, org_units=units, users=users, households=hh, campaign=campaign,
        visits=visits, problems=problems, problem_events=events, responses=responses, surveys=surveys,
        grid_effect=grid_effect, grid_ids=grid_ids, grid_cadre=grid_cadre, admin_id=admin_id,
        id_base=base, visit_batch=visit_batch,
    )


def _field_work(rng, today, hh, hh_grid_index, grid_ids, grid_cadre, grid_effect, town_leader, towns, grids,
                index_of, parent_of, campaign, visit_survey, base, seed):
    """Visits (with their responses), problems and problem events."""
    n = len(hh)
    start = dt.datetime.combine(today - dt.timedelta(days=DAYS), dt.time())
    t0 = np.datetime64(start, "s").astype(np.int64)
    # Plan per household: covered (met), attempted only, vacant/moved, untouched.
    plan = rng.choice(4, size=n, p=[0.70, 0.12, 0.03, 0.15])
    v_hh, v_time, v_outcome, v_return = [], [], [], []
    for i in range(n):
        kind = plan[i]
        if kind == 3:
            continue
        day = rng.uniform(0, DAYS - 2)
        if kind == 0:
            for _ in range(int(rng.random() < 0.25)):  # an earlier failed attempt
                v_hh.append(i); v_time.append(day); v_outcome.append("not_home"); v_return.append(False)
                day = min(day + rng.uniform(1, 6), DAYS - 1.5)
            v_hh.append(i); v_time.append(day); v_outcome.append("met"); v_return.append(False)
        elif kind == 1:
            for _ in range(int(rng.integers(1, 3))):
                v_hh.append(i); v_time.append(day); v_outcome.append("not_home" if rng.random() < 0.8 else "refused")
                v_return.append(False)
                day = min(day + rng.uniform(1, 6), DAYS - 1.5)
        else:
            v_hh.append(i); v_time.append(day); v_outcome.append("vacant" if rng.random() < 0.6 else "moved")
            v_return.append(False)
    hour = np.clip(rng.normal(15, 2.5, len(v_hh)), 8.5, 20)
    v_sec = t0 + (np.floor(np.array(v_time)) * 86400 + hour * 3600).astype(np.int64)
    order = np.argsort(v_sec, kind="stable")
    v_hh = np.array(v_hh, np.int64)[order]
    v_sec = v_sec[order]
    v_outcome = np.array(v_outcome)[order]
    nv = len(v_hh)
    met = v_outcome == "met"
    # Problems come from ~15% of met visits; each such household also gets a return visit later.
    raises = met & (rng.random(nv) < 0.15)
    follow_up = raises | (met & (rng.random(nv) < 0.05))
    end_sec = np.datetime64(dt.datetime.combine(today, dt.time()), "s").astype(np.int64)
    returns = np.flatnonzero(raises & (rng.random(nv) < 0.6))
    ret_sec = v_sec[returns] + rng.integers(3, 20, len(returns)) * 86400
    keep = ret_sec < end_sec - 3600
    returns, ret_sec = returns[keep], ret_sec[keep]
    all_hh = np.concatenate([v_hh, v_hh[returns]])
    all_sec = np.concatenate([v_sec, ret_sec])
    all_outcome = np.concatenate([v_outcome, np.full(len(returns), "met")])
    all_return = np.concatenate([np.zeros(nv, bool), np.ones(len(returns), bool)])
    all_follow = np.concatenate([follow_up, np.zeros(len(returns), bool)])
    order = np.argsort(all_sec, kind="stable")
    all_hh, all_sec, all_outcome, all_return, all_follow = (
        all_hh[order], all_sec[order], all_outcome[order], all_return[order], all_follow[order])
    # Which rows raised a problem, after reordering.
    raised_flag = np.concatenate([raises, np.zeros(len(returns), bool)])[order]
    total = len(all_hh)
    visit_ids = np.arange(base["visits"], base["visits"] + total, dtype=np.int64)
    g_index = hh_grid_index[all_hh]
    met_rows = np.flatnonzero(all_outcome == "met")
    response_ids = np.zeros(total, np.int64)
    response_ids[met_rows] = np.arange(base["responses"], base["responses"] + len(met_rows))
    visits = Visits(
        id=visit_ids, client_key=_uuids(rng, total), household_id=hh.id[all_hh], org_unit_id=grid_ids[g_index],
        cadre_id=grid_cadre[g_index], visited_at=all_sec.astype("datetime64[s]"), outcome=all_outcome.tolist(),
        response_id=response_ids, follow_up=all_follow, is_return_visit=all_return,
        note=[VISIT_NOTES[k] for k in rng.integers(0, len(VISIT_NOTES), total).tolist()],
    )

    # Visit-survey responses, one per met visit.
    synth = AnswerSynth(visit_survey, seed * 7919 + 2)
    vrng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 3])))
    m = len(met_rows)
    latent = grid_effect[g_index[met_rows]] + vrng.normal(0, 0.75, m)
    cols, summary = synth.generate(vrng, latent)
    rows = synth.rows(cols, response_ids[met_rows])
    duration = vrng.uniform(120, 600, m).round(1)
    sub = all_sec[met_rows]
    visit_batch = ResponseBatch(
        id=response_ids[met_rows], client_key=_uuids(vrng, m), survey_id=VISIT_SURVEY, survey_version=1,
        org_unit_id=grid_ids[g_index[met_rows]], household_id=hh.id[all_hh[met_rows]], visit_id=visit_ids[met_rows],
        channel=np.full(m, "visit"), submitted_at=sub.astype("datetime64[s]"),
        started_at=(sub - duration.astype(np.int64)).astype("datetime64[s]"), duration_seconds=duration,
        submitted_by=grid_cadre[g_index[met_rows]], voided=np.zeros(m, bool), **summary,
        answer_response_id=rows["response_id"], answer_question_code=rows["question_code"],
        answer_row_code=rows["row_code"], answer_value_num=rows["value_num"], answer_text_code=rows["text_code"],
        question_vocab=synth.question_vocab, row_vocab=synth.row_vocab, text_vocab=list(synth.text_vocab),
    )

    # Problems, with a state history consistent with their age.
    prow = np.flatnonzero(raised_flag)
    np_ = len(prow)
    pids = np.arange(base["problems"], base["problems"] + np_, dtype=np.int64)
    category = [PROBLEM_CATEGORIES[k] for k in rng.choice(len(PROBLEM_CATEGORIES), np_, p=[.2, .18, .14, .1, .08, .08, .12, .1]).tolist()]
    description = [PROBLEM_TEXTS[cat][int(rng.integers(0, len(PROBLEM_TEXTS[cat])))] for cat in category]
    urgency = rng.choice(np.array(["low", "normal", "high", "urgent"]), np_, p=[.15, .6, .2, .05]).tolist()
    events = ProblemEvents()
    ev_id = iter(range(base["problem_events"], 10**15))
    state, raised_at, resolved_at, closed_at, sat, due_on, assignee = [], [], [], [], [], [], []
    now = dt.datetime.combine(today, dt.time())
    for k, r in enumerate(prow.tolist()):
        raised = dt.datetime.fromtimestamp(int(all_sec[r]), dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=20)
        gi = int(g_index[r])
        cadre = int(grid_cadre[gi])
        town_index = index_of[parent_of[index_of[parent_of[grids[gi]]]]]
        leader = town_leader[town_index]
        raised_at.append(raised)
        due_on.append(add_working_days(raised.date(), 15))
        stuck = rng.random() < 0.2  # some work stalls, so the list has overdue items
        gaps = [rng.uniform(0.1, 2), rng.uniform(0.5, 5), rng.uniform(2, 18), rng.uniform(1, 8)]
        actors = [leader, cadre, cadre, cadre]
        t = raised
        history = [("create", None, "new", raised, cadre)]
        for step, gap, actor in zip(PROBLEM_STEPS[1:], gaps, actors):
            if stuck and (step[0] in ("resolve", "close") or rng.random() < 0.5):
                break
            t = t + dt.timedelta(days=float(gap))
            if t >= now:
                break
            history.append((step[0], step[1], step[2], t, actor))
        for action, frm, to, when, actor in history:
            events.id.append(next(ev_id)); events.problem_id.append(int(pids[k])); events.occurred_at.append(when)
            events.actor_id.append(actor); events.action.append(action); events.from_state.append(frm)
            events.to_state.append(to)
            events.note.append("群众确认已解决，销号" if action == "close" else None)
        final = history[-1][2]
        state.append(final)
        assignee.append(cadre if final != "new" else 0)
        resolved_at.append(next((h[3] for h in history if h[2] == "resolved"), None))
        closed = next((h[3] for h in history if h[2] == "closed"), None)
        closed_at.append(closed)
        sat.append(int(rng.choice([3, 4, 5, 5, 5])) if closed else None)
    problems = Problems(
        id=pids, client_key=_uuids(rng, np_), household_id=hh.id[all_hh[prow]], org_unit_id=grid_ids[g_index[prow]],
        visit_id=visit_ids[prow], response_id=response_ids[prow], category=category, description=description,
        urgency=urgency, state=state, assignee_user_id=np.array(assignee, np.int64),
        assignee_unit_id=np.where(np.array(assignee) > 0, grid_ids[g_index[prow]], 0),
        raised_at=np.array(raised_at, dtype="datetime64[s]"),
        due_on=due_on, resolved_at=resolved_at, closed_at=closed_at, resolution_satisfaction=sat,
        created_by=grid_cadre[g_index[prow]],
    )
    return visits, visit_batch, problems, events
